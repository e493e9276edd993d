//! Direct settlement by the insurance bureaus: prepayments and the fund ledger, batches
//! and payment orders, payments by bank reference, the 30-day clock, statements with
//! disputes, retained savings; through the HTTP API as each party would use it, on
//! awkward prices (0.0033 and 0.0050 a tablet).

#![allow(clippy::unwrap_used)]

use diesel::sql_types::BigInt;
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use tests::{CatalogBuilder, Drug, RoundBuilder, Supplier, TestApp, new_suppliers, supplier_name};

fn code(n: usize) -> String {
    format!("XC10AAT931A0012002{:05}", 10000 + n)
}

struct World {
    app: TestApp,
    round: String,
    /// Beijing's contract (0.0033 a tablet) and its supplier.
    beijing: String,
    seller: Supplier,
    /// Shanghai's contract (0.0050 a tablet) and its supplier.
    shanghai: String,
    seller_sh: Supplier,
}

/// An awarded round of one lot (previous price 0.0100): Beijing's three demo hospitals
/// report 1,000 tablets each (quotas of 700 at 70 %), Shanghai's centre 1,000.
async fn world() -> World {
    let app = TestApp::with_demo().await;
    let sup = new_suppliers(&app, 3).await;
    CatalogBuilder::new(&app)
        .drug(Drug::new(code(1), "E2E结算片", supplier_name(1)).ceiling("0.0100"))
        .drugs((2..=3).map(|n| Drug::new(code(n), "E2E结算片", supplier_name(n))))
        .import()
        .await;
    let mut round = RoundBuilder::new(&app)
        .name("结算测试轮次")
        .lot_with(json!({"representative_code": code(1), "previous_price": "0.0100"}))
        .demand("buyer2@vbp.demo", [1_000])
        .bid(&sup[0].token, 0, &code(1), "0.0033", 1_000_000, &["110000"])
        .bid(&sup[1].token, 0, &code(2), "0.0050", 1_000_000, &["310000"])
        .bid(&sup[2].token, 0, &code(3), "0.0055", 1_000_000, &[])
        .collecting()
        .await;
    for who in ["hospital", "hospital3", "hospital4"] {
        let token = app.login_demo(who).await;
        app.request(
            "PUT",
            &round.path("/hospital-demand"),
            Some(&token),
            Some(json!({"lines": [{"lot_id": round.lots[0], "annual_quantity": 1000}]})),
        )
        .await
        .expect(200);
    }
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
    let pick = |province: &str| {
        let c = contracts
            .iter()
            .find(|c| c["province"] == province)
            .unwrap();
        let s = sup
            .iter()
            .find(|s| s.org == c["supplier_org_id"].as_str().unwrap())
            .unwrap();
        (c["id"].as_str().unwrap().to_owned(), s.clone())
    };
    let (beijing, seller) = pick("110000");
    let (shanghai, seller_sh) = pick("310000");
    World {
        app,
        round: round.id,
        beijing,
        seller,
        shanghai,
        seller_sh,
    }
}

/// Orders `qty` tablets on `contract` for `hospital`, ships them whole and accepts them
/// whole: the accepted delivery line's id.
async fn delivered(
    app: &TestApp,
    hospital: &str,
    seller: &str,
    contract: &str,
    qty: i64,
) -> String {
    let order = app
        .post(
            "/api/v1/orders",
            hospital,
            json!({"lines": [{"contract_id": contract, "quantity": qty}]}),
        )
        .await
        .expect(201)
        .body;
    let oid = order["id"].as_str().unwrap();
    app.request(
        "POST",
        &format!("/api/v1/orders/{oid}/confirm"),
        Some(seller),
        None,
    )
    .await
    .expect(200);
    let d = app
        .post(
            &format!("/api/v1/orders/{oid}/deliveries"),
            seller,
            json!({"batch_no": "B1", "expiry_date": "2030-01-01", "invoice_no": "FP-1",
                   "lines": [{"order_line_id": order["lines"][0]["id"], "quantity": qty}]}),
        )
        .await
        .expect(201)
        .body;
    let line = d["lines"][0]["id"].as_str().unwrap().to_owned();
    app.post(
        &format!(
            "/api/v1/deliveries/{}/acceptance",
            d["id"].as_str().unwrap()
        ),
        hospital,
        json!({"lines": [{"delivery_line_id": line, "accepted": qty}]}),
    )
    .await
    .expect(200);
    line
}

#[derive(diesel::QueryableByName)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

async fn count(app: &TestApp, sql: &str) -> i64 {
    let mut conn = app.db.connect().await;
    diesel::sql_query(sql)
        .get_result::<N>(&mut conn)
        .await
        .unwrap()
        .n
}

async fn exec(app: &TestApp, sql: &str) {
    let mut conn = app.db.connect().await;
    diesel::sql_query(sql).execute(&mut conn).await.unwrap();
}

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

async fn get_bytes(app: &TestApp, path: &str, token: &str) -> (u16, String, Vec<u8>) {
    let mut res = app
        .client
        .get(format!("{}{}", app.base, path))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let body = res.body().limit(64 << 20).await.unwrap().to_vec();
    let ct = res
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default();
    (res.status().as_u16(), ct, body)
}

#[actix_web::test]
async fn prepayment_batch_payment_and_ledger_reconcile_to_the_cent() {
    let w = world().await;
    let app = &w.app;
    let (hospital, hospital3) = (
        app.login_demo("hospital").await,
        app.login_demo("hospital3").await,
    );
    let sh_hospital = app.login_demo("hospital2").await;
    let (insurer, insurer2) = (
        app.login_demo("insurer").await,
        app.login_demo("insurer2").await,
    );
    let h_org = app.me(&hospital).await["org_id"].clone();
    let h3_org = app.me(&hospital3).await["org_id"].clone();
    let sh_org = app.me(&sh_hospital).await["org_id"].clone();
    let seller = &w.seller.token;
    // 7 x 0.0033 = 0.0231 -> 0.02; 300 x 0.0033 = 0.99; 3 x 0.0033 = 0.0099 -> 0.01;
    // in Shanghai 1 x 0.0050 = 0.005 -> 0.01
    let l1 = delivered(app, &hospital, seller, &w.beijing, 7).await;
    delivered(app, &hospital, seller, &w.beijing, 300).await;
    delivered(app, &hospital3, seller, &w.beijing, 3).await;
    delivered(app, &sh_hospital, &w.seller_sh.token, &w.shanghai, 1).await;

    // prepayments: 30 % of 700 x 0.0033 = 0.693 -> 0.69 per Beijing hospital
    let due = app
        .get(
            &format!("/api/v1/settlements/prepayments?round_id={}", w.round),
            &insurer,
        )
        .await
        .expect(200)
        .body;
    let due = due.as_array().unwrap();
    assert_eq!(due.len(), 3, "{due:?}");
    for d in due {
        assert_eq!(
            (s(&d["agreed_amount"]), s(&d["amount"]), s(&d["ratio"])),
            ("2.3100", "0.69", "0.3000"),
            "{d}"
        );
        assert!(d["prepayment_id"].is_null());
    }
    let prepay = |hospital: &Value, reference: &str| json!({"round_id": w.round, "hospital_org_id": hospital, "bank_reference": reference});
    let p = app
        .post(
            "/api/v1/settlements/prepayments",
            &insurer,
            prepay(&h_org, "PRE-1"),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(s(&p["amount"]), "0.69");
    // a retry is the same prepayment; another reference for it, or this reference for
    // another hospital, is refused; a Shanghai hospital is not the Beijing insurer's
    let again = app
        .post(
            "/api/v1/settlements/prepayments",
            &insurer,
            prepay(&h_org, "PRE-1"),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(again["prepayment_id"], p["prepayment_id"]);
    app.post(
        "/api/v1/settlements/prepayments",
        &insurer,
        prepay(&h_org, "PRE-2"),
    )
    .await
    .expect_code(409, "prepayment_paid");
    app.post(
        "/api/v1/settlements/prepayments",
        &insurer,
        prepay(&h3_org, "PRE-1"),
    )
    .await
    .expect_code(409, "reference_reused");
    app.post(
        "/api/v1/settlements/prepayments",
        &insurer,
        prepay(&sh_org, "PRE-9"),
    )
    .await
    .expect_problem(404);
    app.post(
        "/api/v1/settlements/prepayments",
        &insurer,
        prepay(&h3_org, " PRE-3"),
    )
    .await
    .expect_code(422, "validation");
    app.post(
        "/api/v1/settlements/prepayments",
        &insurer,
        prepay(&h3_org, &"X".repeat(65)),
    )
    .await
    .expect_code(422, "validation");
    assert_eq!(count(app, "SELECT count(*) AS n FROM prepayments").await, 1);
    let ledger = app
        .get(
            &format!("/api/v1/settlements/ledgers/{}", s(&h_org)),
            &hospital,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&ledger["prepaid"]), ledger["balanced"].clone()),
        ("0.69", json!(true)),
        "{ledger}"
    );

    // a batch of Beijing's accepted lines: one payment order, 0.02 + 0.99 + 0.01
    let batch = app
        .post("/api/v1/settlements/batches", &insurer, json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&batch["total"]), batch["line_count"].clone()),
        ("1.02", json!(3)),
        "{batch}"
    );
    let orders = batch["payment_orders"].as_array().unwrap();
    assert_eq!(orders.len(), 1);
    assert_eq!(s(&orders[0]["total"]), "1.02");
    assert_eq!(orders[0]["supplier_org_id"], json!(w.seller.org));
    let order = s(&orders[0]["id"]).to_owned();
    // every line settled once; the total is the sum of the lines, to the cent; the lines
    // lie in Beijing's partition
    assert_eq!(
        count(
            app,
            "SELECT count(*) AS n FROM settlement_lines WHERE province = '110000'"
        )
        .await,
        3
    );
    assert_eq!(
        count(
            app,
            "SELECT count(*) AS n FROM settlement_lines_110000 WHERE province = '110000'"
        )
        .await,
        3
    );
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM settlement_batches b WHERE total <> (SELECT sum(amount) FROM settlement_lines l WHERE l.batch_id = b.id)").await,
        0
    );
    // nothing left to settle: refused, nothing written
    app.post("/api/v1/settlements/batches", &insurer, json!({}))
        .await
        .expect_code(422, "batch_empty");
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM settlement_batches").await,
        1
    );
    // the database refuses a line settled twice, whatever the code does
    let mut conn = app.db.connect().await;
    let twice = diesel::sql_query(format!(
        "INSERT INTO settlement_lines SELECT delivery_line_id, batch_id, supplier_org_id, hospital_org_id,
                province, quantity, unit_price, amount, due_date FROM settlement_lines WHERE delivery_line_id = '{l1}'"
    ))
    .execute(&mut conn)
    .await;
    assert!(
        format!("{twice:?}").contains("UniqueViolation"),
        "{twice:?}"
    );

    // payments: in full only; another province's insurer does not see the order
    let pay =
        |reference: &str, amount: &str| json!({"bank_reference": reference, "amount": amount});
    let path = format!("/api/v1/settlements/payment-orders/{order}/payments");
    app.post(&path, &insurer, pay("BANK-1", "1.03"))
        .await
        .expect_code(422, "payment_above_order");
    app.post(&path, &insurer, pay("BANK-1", "1.01"))
        .await
        .expect_code(422, "payment_below_order");
    // a bank reference is one transfer: a prepayment's cannot pay an order
    app.post(&path, &insurer, pay("PRE-1", "1.02"))
        .await
        .expect_code(409, "reference_reused");
    app.post(&path, &insurer, pay("BANK-1", "1.025"))
        .await
        .expect_code(422, "validation");
    app.post(&path, &insurer2, pay("BANK-1", "1.02"))
        .await
        .expect_problem(404);
    assert_eq!(count(app, "SELECT count(*) AS n FROM payments").await, 0);
    let paid = app
        .post(&path, &insurer, pay("BANK-1", "1.02"))
        .await
        .expect(201)
        .body;
    // the prepayment (0.69) is used first, the rest deducted: PUMCH's 1.01 -> 0.69 + 0.32,
    // Chaoyang's 0.01 deducted (no prepayment)
    assert_eq!(
        (s(&paid["set_off"]), s(&paid["deducted"])),
        ("0.69", "0.33"),
        "{paid}"
    );
    // a retried payment with the same reference is one payment
    let retried = app
        .post(&path, &insurer, pay("BANK-1", "1.02"))
        .await
        .expect(200)
        .body;
    assert_eq!(retried["id"], paid["id"]);
    assert_eq!(count(app, "SELECT count(*) AS n FROM payments").await, 1);
    assert_eq!(
        count(
            app,
            "SELECT count(*) AS n FROM fund_entries WHERE kind <> 'prepayment'"
        )
        .await,
        3
    );
    app.post(&path, &insurer, pay("BANK-2", "1.02"))
        .await
        .expect_code(409, "payment_order_paid");
    // the ledgers balance after prepayment, settlement and deduction
    let ledger = app
        .get(
            &format!("/api/v1/settlements/ledgers/{}", s(&h_org)),
            &insurer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        [
            &ledger["prepaid"],
            &ledger["set_off"],
            &ledger["deducted"],
            &ledger["prepayment_left"],
            &ledger["paid"]
        ]
        .map(|v| s(v).to_owned()),
        ["0.69", "0.69", "0.32", "0.00", "1.01"].map(str::to_owned),
        "{ledger}"
    );
    assert_eq!(ledger["balanced"], true);
    let kinds: Vec<&str> = ledger["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| s(&e["kind"]))
        .collect();
    assert_eq!(kinds, ["prepayment", "set_off", "deduction"]);
    let l3 = app
        .get(
            &format!("/api/v1/settlements/ledgers/{}", s(&h3_org)),
            &hospital3,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&l3["deducted"]), l3["balanced"].clone()),
        ("0.01", json!(true)),
        "{l3}"
    );
    // a hospital reads its own ledger only
    app.get(
        &format!("/api/v1/settlements/ledgers/{}", s(&h_org)),
        &hospital3,
    )
    .await
    .expect_problem(404);

    // Shanghai settles its own line; a bank reference is one payment, nowhere else
    let sh = app
        .post("/api/v1/settlements/batches", &insurer2, json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&sh["total"]), sh["line_count"].clone()),
        ("0.01", json!(1))
    );
    let sh_order = s(&sh["payment_orders"][0]["id"]).to_owned();
    app.post(
        &format!("/api/v1/settlements/payment-orders/{sh_order}/payments"),
        &insurer2,
        pay("BANK-1", "0.01"),
    )
    .await
    .expect_code(409, "reference_reused");

    // a paid line cannot be disputed
    app.post(
        "/api/v1/settlements/disputes",
        seller,
        json!({"delivery_line_id": l1, "reason": "wrong quantity"}),
    )
    .await
    .expect_code(409, "line_paid");

    // settings: a new version changes what is due, not what was recorded
    let admin = app.login_demo("admin").await;
    let body = json!({"prepayment_ratio": "0.5", "payment_days": 29, "behind_threshold": "0.8", "retention_share": "0.5"});
    app.request(
        "PUT",
        "/api/v1/settlements/settings/110000",
        Some(&insurer),
        Some(body.clone()),
    )
    .await
    .expect_problem(403);
    for bad in [
        json!({"prepayment_ratio": "0.29", "payment_days": 30, "behind_threshold": "0.8", "retention_share": "0.5"}),
        json!({"prepayment_ratio": "0.5", "payment_days": 0, "behind_threshold": "0.8", "retention_share": "0.5"}),
        json!({"prepayment_ratio": "0.5", "payment_days": 30, "behind_threshold": "1.1", "retention_share": "0.5"}),
        json!({"prepayment_ratio": "0.5", "payment_days": 30, "behind_threshold": "0.8", "retention_share": "0.00001"}),
    ] {
        app.request(
            "PUT",
            "/api/v1/settlements/settings/110000",
            Some(&admin),
            Some(bad),
        )
        .await
        .expect_code(422, "validation");
    }
    app.request(
        "PUT",
        "/api/v1/settlements/settings/990000",
        Some(&admin),
        Some(body.clone()),
    )
    .await
    .expect_problem(404);
    let v2 = app
        .request(
            "PUT",
            "/api/v1/settlements/settings/110000",
            Some(&admin),
            Some(body),
        )
        .await
        .expect(200)
        .body;
    let due = app
        .get(
            &format!("/api/v1/settlements/prepayments?round_id={}", w.round),
            &insurer,
        )
        .await
        .expect(200)
        .body;
    for d in due.as_array().unwrap() {
        if d["hospital_org_id"] == h_org {
            assert_eq!(
                (s(&d["amount"]), s(&d["ratio"])),
                ("0.69", "0.3000"),
                "recorded: {d}"
            );
            assert_ne!(d["settings_id"], v2["id"]);
        } else {
            // 0.5 x 2.31 = 1.155 -> 1.16 (half-up)
            assert_eq!(
                (s(&d["amount"]), d["settings_id"].clone()),
                ("1.16", v2["id"].clone()),
                "{d}"
            );
        }
    }
    // a delivery accepted now falls due after the new payment days, and keeps the version
    let l_new = delivered(app, &hospital, seller, &w.beijing, 10).await;
    assert_eq!(
        count(app, &format!("SELECT count(*) AS n FROM deliveries d JOIN delivery_lines dl ON dl.delivery_id = d.id
             WHERE dl.id = '{l_new}' AND d.due_date = d.accepted_on + 29 AND d.settings_id = {}", v2["id"])).await,
        1
    );

    // retained savings: PUMCH took 317 tablets, at the previous price 3.17, at the
    // contract's 0.02 + 0.99 + 0.03 = 1.04; half of 2.13 = 1.065 -> 1.07
    let savings = app
        .get(
            &format!("/api/v1/settlements/retained-savings?round_id={}", w.round),
            &hospital,
        )
        .await
        .expect(200)
        .body;
    let mine = savings.as_array().unwrap();
    assert_eq!(mine.len(), 1, "a hospital sees its own: {savings}");
    assert_eq!(
        [
            &mine[0]["baseline"],
            &mine[0]["actual"],
            &mine[0]["savings"],
            &mine[0]["retained"]
        ]
        .map(|v| s(v).to_owned()),
        ["3.17", "1.04", "2.13", "1.07"].map(str::to_owned),
        "{savings}"
    );
    let all = app
        .get(
            &format!("/api/v1/settlements/retained-savings?round_id={}", w.round),
            &insurer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(
        all.as_array().unwrap().len(),
        2,
        "PUMCH and Chaoyang: {all}"
    );

    // every change is in the audit log
    for action in [
        "settlement.prepayment",
        "settlement.batch",
        "settlement.payment",
        "settlement.settings",
    ] {
        assert!(
            count(
                app,
                &format!("SELECT count(*) AS n FROM audit_log WHERE action = '{action}'")
            )
            .await
                >= 1,
            "{action} not audited"
        );
    }
}

#[actix_web::test]
async fn disputes_hold_a_line_out_of_payment_and_statements_stream_as_json_and_csv() {
    let w = world().await;
    let app = &w.app;
    let hospital = app.login_demo("hospital").await;
    let insurer = app.login_demo("insurer").await;
    let seller = &w.seller.token;
    let a = delivered(app, &hospital, seller, &w.beijing, 7).await;
    let b = delivered(app, &hospital, seller, &w.beijing, 10).await;
    let batch = app
        .post("/api/v1/settlements/batches", &insurer, json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(s(&batch["total"]), "0.05"); // 0.02 + 0.03
    let batch_id = s(&batch["id"]).to_owned();

    // the supplier disputes a batched, unpaid line: it leaves the batch and its order
    for bad in [
        json!({"delivery_line_id": a, "reason": ""}),
        json!({"delivery_line_id": a, "reason": "x".repeat(2001)}),
    ] {
        app.post("/api/v1/settlements/disputes", seller, bad)
            .await
            .expect_code(422, "validation");
    }
    // another supplier's line is not found
    app.post(
        "/api/v1/settlements/disputes",
        &w.seller_sh.token,
        json!({"delivery_line_id": a, "reason": "not ours"}),
    )
    .await
    .expect_problem(404);
    let dispute = app
        .post(
            "/api/v1/settlements/disputes",
            seller,
            json!({"delivery_line_id": b, "reason": "发票数量不符 invoice says 9"}),
        )
        .await
        .expect(201)
        .body;
    app.post(
        "/api/v1/settlements/disputes",
        seller,
        json!({"delivery_line_id": b, "reason": "again"}),
    )
    .await
    .expect_code(409, "dispute_open");
    let now = app
        .get(&format!("/api/v1/settlements/batches/{batch_id}"), &insurer)
        .await
        .expect(200)
        .body;
    assert_eq!(
        (s(&now["total"]), now["line_count"].clone()),
        ("0.02", json!(1)),
        "{now}"
    );
    assert_eq!(s(&now["payment_orders"][0]["total"]), "0.02");
    // held out: no new batch takes it
    app.post("/api/v1/settlements/batches", &insurer, json!({}))
        .await
        .expect_code(422, "batch_empty");

    // the statement shows both lines and their states; it cannot be confirmed while disputed
    let month = chrono::Utc::now()
        .checked_add_signed(chrono::Duration::hours(8))
        .unwrap()
        .format("%Y-%m")
        .to_string();
    let path = format!(
        "/api/v1/settlements/statements/suppliers/{}/{month}",
        w.seller.org
    );
    let st = app.get(&path, seller).await.expect(200).body;
    assert_eq!(
        (st["line_count"].clone(), s(&st["total"])),
        (json!(2), "0.05"),
        "{st}"
    );
    let states: Vec<&str> = st["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| s(&l["state"]))
        .collect();
    assert_eq!(states.len(), 2);
    assert!(
        states.contains(&"batched") && states.contains(&"disputed"),
        "{states:?}"
    );
    app.request("POST", &format!("{path}/confirm"), Some(seller), None)
        .await
        .expect_code(409, "statement_disputed");

    // CSV: UTF-8 with a byte-order mark by default, GBK on request, the same rows
    let (status, ct, utf8) = get_bytes(app, &format!("{path}?format=csv"), seller).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=utf-8"));
    assert!(utf8.starts_with("\u{feff}delivery_line_id,".as_bytes()));
    let text = String::from_utf8(utf8[3..].to_vec()).unwrap();
    assert_eq!(text.lines().count(), 3, "{text}");
    assert!(text.contains("北京协和医院"), "{text}");
    let (status, ct, gbk) =
        get_bytes(app, &format!("{path}?format=csv&encoding=gbk"), seller).await;
    assert_eq!((status, ct.as_str()), (200, "text/csv; charset=gbk"));
    let (decoded, _, bad) = encoding_rs::GBK.decode(&gbk);
    assert!(!bad);
    assert_eq!(decoded, text);
    for bad in [
        "?format=xml",
        "?format=csv&encoding=latin1",
        "?encoding=gbk",
    ] {
        app.get(&format!("{path}{bad}"), seller)
            .await
            .expect_code(422, "validation");
    }
    app.get(
        &format!(
            "/api/v1/settlements/statements/suppliers/{}/2026-13",
            w.seller.org
        ),
        seller,
    )
    .await
    .expect_code(422, "validation");
    // the hospital's statement: its own lines; another supplier cannot read this one
    let hs = app
        .get(
            &format!(
                "/api/v1/settlements/statements/hospitals/{}/{month}",
                app.me(&hospital).await["org_id"].as_str().unwrap()
            ),
            &hospital,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(hs["line_count"], 2);
    app.get(&path, &w.seller_sh.token).await.expect_problem(404);

    // the insurer resolves; the next batch takes the line; the statement is confirmed once
    let id = s(&dispute["id"]);
    app.post(
        &format!("/api/v1/settlements/disputes/{id}/resolve"),
        &insurer,
        json!({"resolution": ""}),
    )
    .await
    .expect_code(422, "validation");
    let insurer2 = app.login_demo("insurer2").await;
    app.post(
        &format!("/api/v1/settlements/disputes/{id}/resolve"),
        &insurer2,
        json!({"resolution": "ok"}),
    )
    .await
    .expect_problem(404);
    app.post(
        &format!("/api/v1/settlements/disputes/{id}/resolve"),
        &insurer,
        json!({"resolution": "发票已更正 invoice corrected"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/settlements/disputes/{id}/resolve"),
        &insurer,
        json!({"resolution": "again"}),
    )
    .await
    .expect_code(409, "dispute_resolved");
    let next = app
        .post("/api/v1/settlements/batches", &insurer, json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&next["total"]), next["line_count"].clone()),
        ("0.03", json!(1))
    );
    let confirmed = app
        .request("POST", &format!("{path}/confirm"), Some(seller), None)
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&confirmed["total"]), confirmed["line_count"].clone()),
        ("0.05", json!(2))
    );
    app.request("POST", &format!("{path}/confirm"), Some(seller), None)
        .await
        .expect_code(409, "statement_confirmed");
    // a confirmed month's lines cannot be disputed any more
    app.post(
        "/api/v1/settlements/disputes",
        seller,
        json!({"delivery_line_id": a, "reason": "too late"}),
    )
    .await
    .expect_code(409, "statement_confirmed");
    // 1 x 0.0033 = 0.0033 -> 0.00: nothing to transfer, so its payment order is paid as made
    delivered(app, &hospital, seller, &w.beijing, 1).await;
    let zero = app
        .post("/api/v1/settlements/batches", &insurer, json!({}))
        .await
        .expect(201)
        .body;
    assert_eq!(
        (s(&zero["total"]), zero["status"].clone()),
        ("0.00", json!("paid")),
        "{zero}"
    );
    assert!(!zero["payment_orders"][0]["paid_at"].is_null());
    // the insurer was told of the dispute, the supplier of its resolution
    assert!(
        count(
            app,
            "SELECT count(*) AS n FROM jobs WHERE dedupe_key LIKE 'settlement_update:dispute:%'"
        )
        .await
            >= 1
    );
    assert!(count(app, "SELECT count(*) AS n FROM jobs WHERE dedupe_key LIKE 'settlement_update:dispute_resolved:%'").await >= 1);
}

#[actix_web::test]
async fn two_batches_at_once_never_settle_a_line_twice() {
    let w = world().await;
    let app = &w.app;
    let hospital = app.login_demo("hospital").await;
    let insurer = app.login_demo("insurer").await;
    let other = app.login_demo("insurer").await;
    for qty in 1..=12 {
        delivered(app, &hospital, &w.seller.token, &w.beijing, qty).await;
    }
    let expected = count(
        app,
        "SELECT count(*) AS n FROM delivery_lines dl JOIN deliveries d ON d.id = dl.delivery_id
         WHERE d.status = 'accepted' AND dl.accepted > 0",
    )
    .await;
    assert_eq!(expected, 12);
    let (r1, r2) = futures_util::future::join(
        app.post("/api/v1/settlements/batches", &insurer, json!({})),
        app.post("/api/v1/settlements/batches", &other, json!({})),
    )
    .await;
    let mut settled = 0;
    for r in [&r1, &r2] {
        match r.status.as_u16() {
            201 => settled += r.body["line_count"].as_i64().unwrap(),
            422 => assert_eq!(r.body["code"], "batch_empty"),
            other => panic!("{other}: {}", r.body),
        }
    }
    assert_eq!(settled, 12, "{} / {}", r1.body, r2.body);
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM settlement_lines").await,
        12
    );
    // every settled line is an accepted delivery line of its hospital and supplier, at its
    // accepted quantity and price, in a payment order of its batch
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM settlement_lines sl
                    JOIN delivery_lines dl ON dl.id = sl.delivery_line_id
                    JOIN deliveries d ON d.id = dl.delivery_id
                    JOIN payment_orders po ON po.batch_id = sl.batch_id AND po.supplier_org_id = sl.supplier_org_id
                    WHERE d.status = 'accepted' AND sl.quantity = dl.accepted AND sl.unit_price = dl.unit_price
                      AND sl.hospital_org_id = d.hospital_org_id AND sl.supplier_org_id = d.supplier_org_id
                      AND sl.amount = round(dl.accepted * dl.unit_price, 2)").await,
        12
    );
    // totals reconcile: each batch is the sum of its orders, each order of its lines
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM payment_orders p WHERE total <> (SELECT sum(amount) FROM settlement_lines l WHERE l.batch_id = p.batch_id AND l.supplier_org_id = p.supplier_org_id)").await,
        0
    );
    assert_eq!(
        count(app, "SELECT count(*) AS n FROM settlement_batches b WHERE total <> (SELECT coalesce(sum(total), 0) FROM payment_orders p WHERE p.batch_id = b.id)").await,
        0
    );
}

#[actix_web::test]
async fn a_line_is_overdue_on_the_31st_day_not_the_30th_and_told_once() {
    let w = world().await;
    let app = &w.app;
    let hospital = app.login_demo("hospital").await;
    let insurer = app.login_demo("insurer").await;
    let d30 = delivered(app, &hospital, &w.seller.token, &w.beijing, 5).await;
    let d31 = delivered(app, &hospital, &w.seller.token, &w.beijing, 6).await;
    // accepted 30 and 31 days ago (China's date, in the database), due 30 days after
    for (line, days) in [(&d30, 30), (&d31, 31)] {
        exec(
            app,
            &format!(
                "UPDATE deliveries SET accepted_on = china_today() - {days}, due_date = china_today() - {days} + 30
                 WHERE id = (SELECT delivery_id FROM delivery_lines WHERE id = '{line}')"
            ),
        )
        .await;
    }
    let scan = app
        .request(
            "POST",
            "/api/v1/settlements/overdue/scan",
            Some(&insurer),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(scan["flagged"], 1, "{scan}");
    let overdue = app
        .get("/api/v1/settlements/overdue", &insurer)
        .await
        .expect(200)
        .body;
    assert_eq!(overdue["total"], 1);
    assert_eq!(overdue["items"][0]["delivery_line_id"], json!(d31));
    assert_eq!(overdue["items"][0]["overdue"], true);
    // the supplier and the hospital see it too; another province's insurer does not
    for who in [&hospital, &w.seller.token] {
        assert_eq!(
            app.get("/api/v1/settlements/overdue", who)
                .await
                .expect(200)
                .body["total"],
            1
        );
    }
    let insurer2 = app.login_demo("insurer2").await;
    assert_eq!(
        app.get("/api/v1/settlements/overdue", &insurer2)
            .await
            .expect(200)
            .body["total"],
        0
    );
    // told once: insurer, hospital and supplier users, one mail each
    let told = "SELECT count(*) AS n FROM jobs WHERE dedupe_key LIKE 'settlement_update:overdue:%'";
    let first = count(app, told).await;
    assert!(first >= 3, "{first} notices");
    let again = app
        .request(
            "POST",
            "/api/v1/settlements/overdue/scan",
            Some(&insurer),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(again["flagged"], 0);
    assert_eq!(count(app, told).await, first);
    // the next day the other line is on its 31st day: the daily job flags it
    exec(
        app,
        &format!(
            "UPDATE deliveries SET accepted_on = accepted_on - 1, due_date = due_date - 1
             WHERE id = (SELECT delivery_id FROM delivery_lines WHERE id = '{d30}')"
        ),
    )
    .await;
    exec(
        app,
        "INSERT INTO jobs (kind, payload, max_attempts) VALUES ('overdue_scan', '{}', 3)",
    )
    .await;
    app.start_worker();
    let mut flagged = 0;
    for _ in 0..100 {
        flagged = count(app, "SELECT count(*) AS n FROM overdue_lines").await;
        if flagged == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(flagged, 2);
    // and queues tomorrow's scan
    let mut queued = 0;
    for _ in 0..50 {
        queued = count(
            app,
            "SELECT count(*) AS n FROM jobs WHERE kind = 'overdue_scan'
             AND dedupe_key = 'overdue_scan:' || (china_today() + 1)::text",
        )
        .await;
        if queued == 1 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(queued, 1);
    // paying the overdue lines ends their overdue state
    let batch = app
        .post("/api/v1/settlements/batches", &insurer, json!({}))
        .await
        .expect(201)
        .body;
    let order = &batch["payment_orders"][0];
    app.post(
        &format!(
            "/api/v1/settlements/payment-orders/{}/payments",
            s(&order["id"])
        ),
        &insurer,
        json!({"bank_reference": "BANK-OVERDUE", "amount": order["total"]}),
    )
    .await
    .expect(201);
    assert_eq!(
        app.get("/api/v1/settlements/overdue", &insurer)
            .await
            .expect(200)
            .body["total"],
        0
    );
}
