//! After the award: hospital demand and quotas, orders, deliveries with traceability
//! codes by a distributor, acceptance, progress and supply problems, through the HTTP
//! API as each party would use it.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tests::{CatalogBuilder, Drug, RoundBuilder, Supplier, TestApp, new_suppliers, supplier_name};

/// A drug code of the orders tests' generic, supplier `n`'s product.
fn code(n: usize) -> String {
    format!("XC10AAT931A0012001{:05}", 10000 + n)
}

/// Two 20-digit drug traceability codes that pass the structure check.
const CODE_A: &str = "81234567890123456789";
const CODE_B: &str = "81234567890123456790";

struct World {
    app: TestApp,
    sup: Vec<Supplier>,
    round: String,
    /// Beijing's contract and its supplier's token.
    beijing: Value,
    seller: String,
    shanghai: Value,
}

/// An awarded round of one lot, three winners (70 %): Beijing's demand reported by its
/// three demo hospitals (1, 1, 1 tablets: an awkward split), Shanghai's by its centre.
async fn world() -> World {
    let app = TestApp::with_demo().await;
    let sup = new_suppliers(&app, 3).await;
    CatalogBuilder::new(&app)
        .drug(Drug::new(code(1), "E2E订单片", supplier_name(1)).ceiling("1.0000"))
        .drugs((2..=3).map(|n| Drug::new(code(n), "E2E订单片", supplier_name(n))))
        .import()
        .await;
    let mut round = RoundBuilder::new(&app)
        .name("订单测试轮次")
        .lot(&code(1))
        .demand("buyer2@vbp.demo", [50_000])
        .bid(&sup[0].token, 0, &code(1), "0.5000", 1_000_000, &["110000"])
        .bid(&sup[1].token, 0, &code(2), "0.5500", 1_000_000, &["310000"])
        .bid(&sup[2].token, 0, &code(3), "0.6000", 1_000_000, &[])
        .collecting()
        .await;
    for who in ["hospital", "hospital3", "hospital4"] {
        let token = app.login_demo(who).await;
        app.request(
            "PUT",
            &round.path("/hospital-demand"),
            Some(&token),
            Some(json!({"lines": [{"lot_id": round.lots[0], "annual_quantity": 1}]})),
        )
        .await
        .expect(200);
    }
    // no hospital's report may take its province past 10^12 units a year
    let hospital = app.login_demo("hospital").await;
    app.request(
        "PUT",
        &round.path("/hospital-demand"),
        Some(&hospital),
        Some(
            json!({"lines": [{"lot_id": round.lots[0], "annual_quantity": 1_000_000_000_000_i64}]}),
        ),
    )
    .await
    .expect_code(422, "demand_too_large");
    // the centre's single figure is refused once its hospitals have reported
    let buyer = app.login_demo("buyer").await;
    app.request(
        "PUT",
        &round.path("/demand"),
        Some(&buyer),
        Some(json!({"lines": [{"lot_id": round.lots[0], "annual_quantity": 9}]})),
    )
    .await
    .expect_code(422, "demand_by_hospital");
    round.publish(&app).await;
    round.submit_bids(&app).await;
    round.close(&app).await;
    round.open(&app).await;
    round.evaluate(&app).await;
    round.award(&app).await;
    let officer = app.login_demo("officer").await;
    let contracts = app
        .get(
            &format!("/api/v1/contracts?round_id={}&status=active", round.id),
            &officer,
        )
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone();
    let beijing = contracts
        .iter()
        .find(|c| c["province"] == "110000")
        .unwrap()
        .clone();
    let shanghai = contracts
        .iter()
        .find(|c| c["province"] == "310000")
        .unwrap()
        .clone();
    let seller = sup
        .iter()
        .find(|s| s.org == beijing["supplier_org_id"].as_str().unwrap())
        .unwrap()
        .token
        .clone();
    World {
        app,
        sup,
        round: round.id,
        beijing,
        seller,
        shanghai,
    }
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn quotas_split_an_awkward_demand_exactly_and_move_within_the_province() {
    let w = world().await;
    let app = &w.app;
    // 3 x 70 % = 2.1 -> 2 tablets for Beijing, split 1, 1, 0 among equal hospitals
    assert_eq!(w.beijing["agreed_volume"], 2, "{}", w.beijing);
    let buyer = app.login_demo("buyer").await;
    let c = id(&w.beijing);
    let q = app
        .get(&format!("/api/v1/contracts/{c}/quotas"), &buyer)
        .await
        .expect(200)
        .body;
    let mut split: Vec<i64> = q["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| q["quantity"].as_i64().unwrap())
        .collect();
    split.sort();
    assert_eq!(split, vec![0, 1, 1]);
    assert_eq!(q["total"], 2);
    // equal remainders and demand: the lower organisation ids get the units
    let mut by_id: Vec<(String, i64)> = q["quotas"]
        .as_array()
        .unwrap()
        .iter()
        .map(|q| {
            (
                q["hospital_org_id"].as_str().unwrap().to_owned(),
                q["quantity"].as_i64().unwrap(),
            )
        })
        .collect();
    by_id.sort();
    assert_eq!(
        by_id.iter().map(|(_, n)| *n).collect::<Vec<_>>(),
        vec![1, 1, 0]
    );
    // Shanghai reported one figure: no quotas
    let buyer2 = app.login_demo("buyer2").await;
    let sh = app
        .get(
            &format!("/api/v1/contracts/{}/quotas", id(&w.shanghai)),
            &buyer2,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(sh["quotas"], json!([]));
    // the centre moves one tablet from the first to the third hospital; the total stays
    let (from, to) = (by_id[0].0.clone(), by_id[2].0.clone());
    let moved = app
        .post(
            &format!("/api/v1/contracts/{c}/quotas/transfer"),
            &buyer,
            json!({"from_hospital_org_id": from, "to_hospital_org_id": to, "quantity": 1}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(moved["total"], 2);
    // more than the giver holds, or nothing: refused, nothing written
    app.post(
        &format!("/api/v1/contracts/{c}/quotas/transfer"),
        &buyer,
        json!({"from_hospital_org_id": from, "to_hospital_org_id": to, "quantity": 1}),
    )
    .await
    .expect_code(422, "quota_exceeded");
    app.post(
        &format!("/api/v1/contracts/{c}/quotas/transfer"),
        &buyer,
        json!({"from_hospital_org_id": to, "to_hospital_org_id": from, "quantity": 0}),
    )
    .await
    .expect_problem(422);
    let after = app
        .get(&format!("/api/v1/contracts/{c}/quotas"), &buyer)
        .await
        .expect(200)
        .body;
    assert_eq!(after, moved);
}

/// Places an order of `units` tablets on Beijing's contract as the demo hospital.
async fn order(w: &World, hospital: &str, body: Value, key: Option<&str>) -> tests::Resp {
    let token = w.app.login_demo(hospital).await;
    match key {
        None => w.app.post("/api/v1/orders", &token, body).await,
        Some(k) => w.app.post_with_key("/api/v1/orders", &token, k, body).await,
    }
}

#[actix_web::test]
async fn an_order_is_confirmed_shipped_twice_by_the_distributor_and_accepted_in_part() {
    let w = world().await;
    let app = &w.app;
    let c = id(&w.beijing);
    let hospital = app.login_demo("hospital").await;
    // 10 packs of 28 tablets, under an Idempotency-Key
    let body =
        json!({"lines": [{"contract_id": c, "quantity": 10, "unit": "pack"}], "note": "月度采购"});
    let first = order(&w, "hospital", body.clone(), Some("h-1"))
        .await
        .expect(201)
        .body;
    assert_eq!(first["status"], "submitted");
    assert_eq!(first["lines"][0]["quantity"], 280);
    assert_eq!(first["lines"][0]["packs"], 10);
    assert_eq!(first["amount"], "140.00"); // 280 x 0.5000
    let again = order(&w, "hospital", body, Some("h-1"))
        .await
        .expect(200)
        .body;
    assert_eq!(again["id"], first["id"]);
    order(
        &w,
        "hospital",
        json!({"lines": [{"contract_id": c, "quantity": 1}]}),
        Some("h-1"),
    )
    .await
    .expect_code(422, "idempotency_key_reused");
    let oid = id(&first);
    // the hospital changes it before the supplier confirms
    let edited = app
        .request(
            "PUT",
            &format!("/api/v1/orders/{oid}"),
            Some(&hospital),
            Some(json!({"lines": [{"contract_id": c, "quantity": 300}]})),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(edited["lines"][0]["quantity"], 300);
    let confirmed = app
        .request(
            "POST",
            &format!("/api/v1/orders/{oid}/confirm"),
            Some(&w.seller),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(confirmed["status"], "confirmed");
    // confirmed: no more edits, no withdrawal, no second decision
    app.request(
        "PUT",
        &format!("/api/v1/orders/{oid}"),
        Some(&hospital),
        Some(json!({"lines": [{"contract_id": c, "quantity": 1}]})),
    )
    .await
    .expect_code(409, "order_not_editable");
    app.request(
        "POST",
        &format!("/api/v1/orders/{oid}/withdraw"),
        Some(&hospital),
        None,
    )
    .await
    .expect_code(409, "order_not_editable");
    app.post(
        &format!("/api/v1/orders/{oid}/refuse"),
        &w.seller,
        json!({"reason": "too late"}),
    )
    .await
    .expect_code(409, "order_decided");

    // the supplier names its distributor for the contract; the distributor ships
    let admin = app.login_demo("admin").await;
    let distributor = app.login_demo("distributor").await;
    let dist_org = app.me(&distributor).await["org_id"].clone();
    // before it is named, the distributor cannot see or ship the order
    let line = edited["lines"][0]["id"].clone();
    let ship = |qty: Value, codes: Value, expiry: &str| {
        json!({"batch_no": "B2026A", "expiry_date": expiry, "invoice_no": "FP-001",
               "lines": [{"order_line_id": line, "quantity": qty, "trace_codes": codes}]})
    };
    let path = format!("/api/v1/orders/{oid}/deliveries");
    app.post(
        &path,
        &distributor,
        ship(json!(100), json!([]), "2030-01-01"),
    )
    .await
    .expect_problem(404);
    app.request(
        "PUT",
        &format!("/api/v1/contracts/{c}/distributor"),
        Some(&w.seller),
        Some(json!({"distributor_org_id": dist_org})),
    )
    .await
    .expect(200);
    // a hospital is not a distributor
    let h_org = app.me(&hospital).await["org_id"].clone();
    app.request(
        "PUT",
        &format!("/api/v1/contracts/{c}/distributor"),
        Some(&w.seller),
        Some(json!({"distributor_org_id": h_org})),
    )
    .await
    .expect_code(422, "not_a_distributor");
    // bad deliveries: each refused, nothing written
    for (qty, codes, expiry, status, code) in [
        (json!(100), json!([]), "2020-01-01", 422, "expiry_in_past"),
        (
            json!(301),
            json!([]),
            "2030-01-01",
            422,
            "quantity_above_open",
        ),
        (json!(0), json!([]), "2030-01-01", 422, "validation"),
        (json!(-5), json!([]), "2030-01-01", 422, "validation"),
        (
            json!(100),
            json!(["8123456789012345678"]),
            "2030-01-01",
            422,
            "trace_code_malformed",
        ),
        (
            json!(100),
            json!([CODE_A, CODE_A]),
            "2030-01-01",
            422,
            "trace_code_duplicate",
        ),
    ] {
        app.post(&path, &distributor, ship(qty, codes, expiry))
            .await
            .expect_code(status, code);
    }
    // beyond i64: the body does not fit its type
    let huge = format!(
        r#"{{"batch_no": "B", "expiry_date": "2030-01-01", "invoice_no": "F", "lines": [{{"order_line_id": {line}, "quantity": 99999999999999999999}}]}}"#
    );
    let res = app
        .post_bytes(&path, Some(&distributor), "application/json", huge)
        .await
        .expect_problem(422);
    assert!(res.body.to_string().contains("quantity"), "{}", res.body);
    let untouched = app
        .get(&format!("/api/v1/orders/{oid}"), &hospital)
        .await
        .expect(200)
        .body;
    assert_eq!(untouched["lines"][0]["shipped"], 0);
    // first delivery: 100 tablets with two traceability codes, by the distributor
    let d1 = app
        .post(
            &path,
            &distributor,
            ship(json!(100), json!([CODE_A, CODE_B]), "2030-01-01"),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(d1["shipped_by_org_id"], dist_org);
    assert_eq!(d1["lines"][0]["trace_codes"], json!([CODE_A, CODE_B]));
    // a code is delivered once nationwide
    app.post(
        &path,
        &w.seller,
        ship(json!(50), json!([CODE_B]), "2030-01-01"),
    )
    .await
    .expect_code(409, "trace_code_delivered");
    // second delivery: the rest, by the distributor again, with a code of its own; then
    // nothing is open, for the distributor or the supplier itself
    const CODE_C: &str = "81234567890123456791";
    let d2 = app
        .post(
            &path,
            &distributor,
            ship(json!(200), json!([CODE_C]), "2031-06-30"),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(d2["lines"][0]["trace_codes"], json!([CODE_C]));
    app.post(&path, &w.seller, ship(json!(1), json!([]), "2031-06-30"))
        .await
        .expect_code(422, "quantity_above_open");

    // acceptance: the first whole, the second in part with a reason
    let accept = |d: &Value, accepted: i64, reason: Option<&str>| json!({"lines": [{"delivery_line_id": d["lines"][0]["id"], "accepted": accepted, "reason": reason}]});
    let a1 = app
        .post(
            &format!("/api/v1/deliveries/{}/acceptance", id(&d1)),
            &hospital,
            accept(&d1, 100, None),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(a1["status"], "accepted");
    let accepted_on =
        chrono::NaiveDate::parse_from_str(a1["accepted_on"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    let due =
        chrono::NaiveDate::parse_from_str(a1["due_date"].as_str().unwrap(), "%Y-%m-%d").unwrap();
    assert_eq!((due - accepted_on).num_days(), 30);
    app.post(
        &format!("/api/v1/deliveries/{}/acceptance", id(&d2)),
        &hospital,
        accept(&d2, 150, None),
    )
    .await
    .expect_code(422, "acceptance_invalid");
    app.post(
        &format!("/api/v1/deliveries/{}/acceptance", id(&d2)),
        &hospital,
        accept(&d2, 201, Some("x")),
    )
    .await
    .expect_code(422, "acceptance_invalid");
    app.post(
        &format!("/api/v1/deliveries/{}/acceptance", id(&d2)),
        &hospital,
        accept(&d2, 150, Some("50 tablets damaged")),
    )
    .await
    .expect(200);
    // final: a second acceptance is refused
    app.post(
        &format!("/api/v1/deliveries/{}/acceptance", id(&d1)),
        &hospital,
        accept(&d1, 100, None),
    )
    .await
    .expect_code(409, "delivery_accepted");
    let done = app
        .get(&format!("/api/v1/orders/{oid}"), &hospital)
        .await
        .expect(200)
        .body;
    let l = &done["lines"][0];
    assert_eq!(
        (
            l["quantity"].clone(),
            l["shipped"].clone(),
            l["accepted"].clone(),
            l["refused"].clone(),
            l["open"].clone()
        ),
        (json!(300), json!(300), json!(250), json!(50), json!(0))
    );
    // progress for the hospital: ordered, shipped, accepted against its quota
    let p = app
        .get("/api/v1/progress?group_by=contract", &hospital)
        .await
        .expect(200)
        .body;
    let row = p["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["key"] == c)
        .unwrap()
        .clone();
    assert_eq!(
        (
            row["ordered"].clone(),
            row["shipped"].clone(),
            row["accepted"].clone()
        ),
        (json!(300), json!(300), json!(250))
    );
    assert!(row["quota"].as_i64().unwrap() <= 1);
    // the supplier and the hospital were told, through the outbox
    let mut conn = app.db.connect().await;
    use diesel_async::RunQueryDsl;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mails: N = diesel::sql_query(
        "SELECT count(*) AS n FROM jobs WHERE payload->>'template' = 'order_update'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    #[derive(diesel::QueryableByName)]
    struct K {
        #[diesel(sql_type = diesel::sql_types::Text)]
        k: String,
    }
    let keys: Vec<K> = diesel::sql_query("SELECT coalesce(dedupe_key, '-') AS k FROM jobs WHERE payload->>'template' = 'order_update'").load(&mut conn).await.unwrap();
    assert!(
        mails.n >= 4,
        "{} order mails: {:?}",
        mails.n,
        keys.iter().map(|k| &k.k).collect::<Vec<_>>()
    );
    // the audit log holds every step
    let actions = app.audit_actions(&format!("entity_id={oid}")).await;
    for a in ["order.create", "order.edit", "order.confirm"] {
        assert!(actions.iter().any(|x| x == a), "{a} not in {actions:?}");
    }
    // the public record: the contract's implementation, its deliveries as a milestone
    let package = app
        .get(&format!("/api/v1/rounds/{}/ocds", w.round), &admin)
        .await
        .expect(200)
        .body;
    let implementation = package["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["tag"] == json!(["implementation"]))
        .expect("an implementation release");
    let contract = implementation["contracts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["id"] == c)
        .unwrap();
    let milestone = &contract["implementation"]["milestones"][0];
    assert_eq!(milestone["type"], "delivery");
    assert_eq!(milestone["status"], "met", "250 accepted of the agreed 2");
    assert!(
        milestone["description"]
            .as_str()
            .unwrap()
            .contains("250 accepted")
    );
    let (ok, out) = tests::validate_ocds(&package);
    assert!(ok, "{out}");
    let _ = &w.sup;
}

#[actix_web::test]
async fn orders_are_refused_on_another_province_a_failed_contract_or_bad_quantities() {
    let w = world().await;
    let app = &w.app;
    let c = id(&w.beijing);
    let line =
        |contract: &str, qty: Value| json!({"lines": [{"contract_id": contract, "quantity": qty}]});
    order(&w, "hospital", line(&id(&w.shanghai), json!(10)), None)
        .await
        .expect_code(422, "contract_other_province");
    for q in [json!(0), json!(-1), json!(1_000_000_000_001_i64)] {
        order(&w, "hospital", line(&c, q), None)
            .await
            .expect_code(422, "validation");
    }
    order(&w, "hospital", json!({"lines": []}), None)
        .await
        .expect_code(422, "validation");
    order(
        &w,
        "hospital",
        json!({"lines": [{"contract_id": c, "quantity": 1}, {"contract_id": c, "quantity": 2}]}),
        None,
    )
    .await
    .expect_code(422, "validation");
    // a placed order, then the supplier fails: open lines move to the backup's contract
    let placed = order(&w, "hospital", line(&c, json!(500)), None)
        .await
        .expect(201)
        .body;
    let hospital = app.login_demo("hospital").await;
    let mine = app.get("/api/v1/orders", &hospital).await.expect(200).body;
    assert_eq!(mine["total"], 1, "only the placed order was written");
    let officer = app.login_demo("officer").await;
    let failure = app
        .post(
            &format!("/api/v1/contracts/{c}/supply-failure"),
            &officer,
            json!({"reason": "停产 production stopped"}),
        )
        .await
        .expect(201)
        .body;
    let takeover = failure["takeover"]["id"].as_str().unwrap().to_owned();
    let old = app
        .get(&format!("/api/v1/orders/{}", id(&placed)), &hospital)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (
            old["lines"][0]["moved"].clone(),
            old["lines"][0]["open"].clone()
        ),
        (json!(500), json!(0))
    );
    let moved = app
        .get("/api/v1/orders?status=submitted", &hospital)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["moved_from"] == placed["id"])
        .unwrap()
        .clone();
    assert_eq!(moved["lines"][0]["contract_id"], takeover);
    assert_eq!(moved["lines"][0]["quantity"], 500);
    assert_eq!(
        moved["lines"][0]["unit_price"],
        failure["takeover"]["unit_price"]
    );
    assert_ne!(moved["supplier_org_id"], placed["supplier_org_id"]);
    // quotas went with the province
    let buyer = app.login_demo("buyer").await;
    let q = app
        .get(&format!("/api/v1/contracts/{takeover}/quotas"), &buyer)
        .await
        .expect(200)
        .body;
    assert_eq!(q["total"], 2);
    // the failed contract takes no new order
    order(&w, "hospital", line(&c, json!(10)), None)
        .await
        .expect_code(422, "contract_not_active");
    // nor does a contract whose cycle has ended (time passes: its end moved to yesterday)
    {
        use diesel_async::SimpleAsyncConnection;
        let mut conn = app.db.connect().await;
        conn.batch_execute(&format!(
            "UPDATE contracts SET cycle_start = china_today() - 400, cycle_end = china_today() - 1 WHERE id = '{takeover}'"
        ))
        .await
        .unwrap();
    }
    order(&w, "hospital", line(&takeover, json!(10)), None)
        .await
        .expect_code(422, "contract_ended");
    assert_eq!(
        app.get("/api/v1/orders", &hospital).await.expect(200).body["total"],
        2,
        "the placed order and the one moved to the backup, nothing more"
    );
}

#[actix_web::test]
async fn two_acceptances_at_once_accept_once() {
    let w = world().await;
    let app = &w.app;
    let c = id(&w.beijing);
    let placed = order(
        &w,
        "hospital",
        json!({"lines": [{"contract_id": c, "quantity": 40}]}),
        None,
    )
    .await
    .expect(201)
    .body;
    let oid = id(&placed);
    app.request(
        "POST",
        &format!("/api/v1/orders/{oid}/confirm"),
        Some(&w.seller),
        None,
    )
    .await
    .expect(200);
    let d = app
        .post(
            &format!("/api/v1/orders/{oid}/deliveries"),
            &w.seller,
            json!({"batch_no": "B1", "expiry_date": "2030-01-01", "invoice_no": "F1",
                   "lines": [{"order_line_id": placed["lines"][0]["id"], "quantity": 40}]}),
        )
        .await
        .expect(201)
        .body;
    let a = app.login_demo("hospital").await;
    let b = app.login_demo("hospital").await;
    let path = format!("/api/v1/deliveries/{}/acceptance", id(&d));
    let body = json!({"lines": [{"delivery_line_id": d["lines"][0]["id"], "accepted": 40}]});
    let (r1, r2) =
        futures_util::future::join(app.post(&path, &a, body.clone()), app.post(&path, &b, body))
            .await;
    let mut statuses = [r1.status.as_u16(), r2.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "{} / {}", r1.body, r2.body);
    let after = app
        .get(&format!("/api/v1/orders/{oid}"), &a)
        .await
        .expect(200)
        .body;
    assert_eq!(after["lines"][0]["accepted"], 40);
    assert_eq!(after["lines"][0]["refused"], 0);
}

#[actix_web::test]
async fn refused_and_unshipped_orders_are_supply_problems() {
    let w = world().await;
    let app = &w.app;
    let c = id(&w.beijing);
    let refused = order(
        &w,
        "hospital",
        json!({"lines": [{"contract_id": c, "quantity": 7}]}),
        None,
    )
    .await
    .expect(201)
    .body;
    app.post(
        &format!("/api/v1/orders/{}/refuse", id(&refused)),
        &w.seller,
        json!({"reason": "无法配送"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/orders/{}/refuse", id(&refused)),
        &w.seller,
        json!({"reason": " "}),
    )
    .await
    .expect_problem(422);
    let waiting = order(
        &w,
        "hospital3",
        json!({"lines": [{"contract_id": c, "quantity": 9}]}),
        None,
    )
    .await
    .expect(201)
    .body;
    app.request(
        "POST",
        &format!("/api/v1/orders/{}/confirm", id(&waiting)),
        Some(&w.seller),
        None,
    )
    .await
    .expect(200);
    let buyer = app.login_demo("buyer").await;
    // within the 7-day term only the refusal is a problem; with a term of 0 days both
    let now = app
        .get("/api/v1/supply-problems", &buyer)
        .await
        .expect(200)
        .body;
    assert_eq!(now.as_array().unwrap().len(), 1);
    assert_eq!(now[0]["kind"], "refused");
    assert_eq!(now[0]["reason"], "无法配送");
    let all = app
        .get("/api/v1/supply-problems?term_days=0", &buyer)
        .await
        .expect(200)
        .body;
    let kinds: Vec<&str> = all
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.len(), 2);
    assert!(kinds.contains(&"not_shipped") && kinds.contains(&"refused"));
    let buyer2 = app.login_demo("buyer2").await;
    let none = app
        .get("/api/v1/supply-problems?term_days=0", &buyer2)
        .await
        .expect(200)
        .body;
    assert_eq!(none, json!([]));
    // a hospital reports a shortage on its province's contract: a problem too
    let hospital = app.login_demo("hospital").await;
    app.post(
        "/api/v1/shortages",
        &hospital,
        json!({"contract_id": id(&w.shanghai), "note": "缺货"}),
    )
    .await
    .expect_code(422, "contract_other_province");
    app.post(
        "/api/v1/shortages",
        &hospital,
        json!({"contract_id": c, "note": " "}),
    )
    .await
    .expect_code(422, "validation");
    let report = app
        .post(
            "/api/v1/shortages",
            &hospital,
            json!({"contract_id": c, "note": "两周未到货 nothing delivered for two weeks"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(report["supplier_org_id"], w.beijing["supplier_org_id"]);
    let now = app
        .get("/api/v1/supply-problems", &buyer)
        .await
        .expect(200)
        .body;
    assert_eq!(now.as_array().unwrap().len(), 2);
    assert_eq!(now[0]["kind"], "reported_shortage");
    assert_eq!(now[0]["order_id"], Value::Null);
    assert_eq!(
        app.get("/api/v1/supply-problems", &buyer2)
            .await
            .expect(200)
            .body,
        json!([])
    );
    // a withdrawn order is no problem, and a hospital never sees another's orders
    let hospital4 = app.login_demo("hospital4").await;
    app.get(&format!("/api/v1/orders/{}", id(&waiting)), &hospital4)
        .await
        .expect_problem(404);
}

/// Lists sort on the server by the fields they name (`field` ascending, `-field`
/// descending, newest first by default); any other value is refused before the query.
#[actix_web::test]
async fn orders_sort_on_the_server_by_the_fields_they_name() {
    let w = world().await;
    let app = &w.app;
    let c = id(&w.beijing);
    let hospital = app.login_demo("hospital").await;
    let mut placed = Vec::new();
    for q in [3, 1, 2] {
        let o = order(
            &w,
            "hospital",
            json!({"lines": [{"contract_id": c, "quantity": q}]}),
            None,
        )
        .await
        .expect(201)
        .body;
        placed.push(id(&o));
    }
    // one of them withdrawn, so the statuses differ
    app.post(
        &format!("/api/v1/orders/{}/withdraw", placed[1]),
        &hospital,
        json!({}),
    )
    .await
    .expect(200);
    let ids = |path: String| {
        let hospital = hospital.clone();
        async move {
            app.get(&path, &hospital).await.expect(200).body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(id)
                .collect::<Vec<_>>()
        }
    };
    let newest_first = ids("/api/v1/orders".into()).await;
    let mut expected = placed.clone();
    expected.reverse();
    assert_eq!(newest_first, expected);
    assert_eq!(
        ids("/api/v1/orders?sort=-created_at".into()).await,
        expected
    );
    assert_eq!(ids("/api/v1/orders?sort=created_at".into()).await, placed);
    // by status: submitted < withdrawn, ties newest first
    let by_status = ids("/api/v1/orders?sort=status".into()).await;
    assert_eq!(
        by_status,
        [placed[2].clone(), placed[0].clone(), placed[1].clone()]
    );
    for bad in ["price", "-", "created_at,status", "CREATED_AT"] {
        app.get(&format!("/api/v1/orders?sort={bad}"), &hospital)
            .await
            .expect_problem(400);
    }
    app.get("/api/v1/deliveries?sort=-due_date", &hospital)
        .await
        .expect(200);
    app.get("/api/v1/deliveries?sort=due", &hospital)
        .await
        .expect_problem(400);
}

/// A traceability code is delivered once in the whole country, though the lines that
/// carry it are kept (and partitioned) by province: the nationwide claim is a table of
/// its own, keyed by the code.
#[actix_web::test]
async fn a_traceability_code_is_delivered_once_across_provinces() {
    const SHARED: &str = "81234567890123456799";
    const OWN: &str = "81234567890123456798";
    let w = world().await;
    let app = &w.app;
    let shanghai_seller = w
        .sup
        .iter()
        .find(|s| s.org == w.shanghai["supplier_org_id"].as_str().unwrap())
        .unwrap()
        .token
        .clone();
    // an order, confirmed, in each province
    let mut paths = Vec::new();
    for (hospital, contract, seller) in [
        ("hospital", &w.beijing, &w.seller),
        ("hospital2", &w.shanghai, &shanghai_seller),
    ] {
        let placed = order(
            &w,
            hospital,
            json!({"lines": [{"contract_id": id(contract), "quantity": 10}]}),
            None,
        )
        .await
        .expect(201)
        .body;
        let oid = id(&placed);
        app.request(
            "POST",
            &format!("/api/v1/orders/{oid}/confirm"),
            Some(seller),
            None,
        )
        .await
        .expect(200);
        paths.push((
            format!("/api/v1/orders/{oid}/deliveries"),
            placed["lines"][0]["id"].clone(),
            seller.clone(),
        ));
    }
    let ship = |line: &Value, code: &str| {
        json!({"batch_no": "B1", "expiry_date": "2030-01-01", "invoice_no": "FP-1",
               "lines": [{"order_line_id": line, "quantity": 5, "trace_codes": [code]}]})
    };
    let (beijing, beijing_line, beijing_seller) = &paths[0];
    let (shanghai, shanghai_line, shanghai_seller) = &paths[1];
    app.post(beijing, beijing_seller, ship(beijing_line, SHARED))
        .await
        .expect(201);
    // the same code in Shanghai: refused, and nothing written
    app.post(shanghai, shanghai_seller, ship(shanghai_line, SHARED))
        .await
        .expect_code(409, "trace_code_delivered");
    let delivered = app
        .post(shanghai, shanghai_seller, ship(shanghai_line, OWN))
        .await
        .expect(201)
        .body;
    assert_eq!(delivered["lines"][0]["trace_codes"], json!([OWN]));
    // each code is claimed once, by the province whose line carries it
    let mut conn = app.db.connect().await;
    #[derive(diesel::QueryableByName, Debug, PartialEq)]
    struct Claim {
        #[diesel(sql_type = diesel::sql_types::Text)]
        code: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        claimed_by: String,
        #[diesel(sql_type = diesel::sql_types::Text)]
        kept_in: String,
    }
    let claims: Vec<Claim> = diesel_async::RunQueryDsl::load(
        diesel::sql_query(
            "SELECT c.code, c.province::text AS claimed_by, string_agg(t.province::text, ',') AS kept_in
               FROM trace_code_claims c JOIN trace_codes t ON t.code = c.code
              WHERE c.code IN ($1, $2) GROUP BY 1, 2 ORDER BY 1",
        )
        .bind::<diesel::sql_types::Text, _>(SHARED)
        .bind::<diesel::sql_types::Text, _>(OWN),
        &mut conn,
    )
    .await
    .unwrap();
    let claim = |code: &str, p: &str| Claim {
        code: code.into(),
        claimed_by: p.into(),
        kept_in: p.into(),
    };
    assert_eq!(claims, [claim(OWN, "310000"), claim(SHARED, "110000")]);
}
