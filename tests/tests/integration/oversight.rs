//! Oversight (issue #18): supply problems and warning levels, complaints against a
//! published result, and the public price index, through the HTTP API as officers,
//! centres, hospitals and suppliers would use them.

#![allow(clippy::unwrap_used)]

use diesel::sql_types::{Integer, Text};
use diesel_async::RunQueryDsl;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tests::{CatalogBuilder, Drug, RoundBuilder, Supplier, TestApp, new_suppliers, supplier_name};

const GENERIC_A: &str = "监测甲片";
const GENERIC_B: &str = "监测乙片";
/// The losing bid's price: it must appear nowhere public.
const LOSING_PRICE: &str = "0.9137";

fn code(lot: usize, n: usize) -> String {
    format!("XC10AAT93{lot}A0012001{:05}", 10000 + n)
}

fn id(v: &Value) -> String {
    v["id"].as_str().unwrap().to_owned()
}

struct World {
    app: TestApp,
    sup: Vec<Supplier>,
    round: String,
    lots: Vec<String>,
    officer: String,
}

/// An awarded round of two lots (generics A and B); on each, suppliers 0-2 win (70 %
/// rule, batch 7) and supplier 3 bids on lot A at a price more than 1.8 times the lowest,
/// so it loses.
async fn world() -> World {
    let app = TestApp::with_demo().await;
    let sup = new_suppliers(&app, 4).await;
    CatalogBuilder::new(&app)
        .drug(Drug::new(code(1, 1), GENERIC_A, supplier_name(1)).ceiling("1.0000"))
        .drugs((2..=4).map(|n| Drug::new(code(1, n), GENERIC_A, supplier_name(n))))
        .drug(Drug::new(code(2, 1), GENERIC_B, supplier_name(1)).ceiling("2.0000"))
        .drugs((2..=3).map(|n| Drug::new(code(2, n), GENERIC_B, supplier_name(n))))
        .import()
        .await;
    let round = RoundBuilder::new(&app)
        .name("监测测试轮次")
        .lot(&code(1, 1))
        .lot(&code(2, 1))
        .demand("buyer@vbp.demo", [30_000, 20_000])
        .demand("buyer2@vbp.demo", [50_000, 40_000])
        .bid(
            &sup[0].token,
            0,
            &code(1, 1),
            "0.5000",
            1_000_000,
            &["110000"],
        )
        .bid(
            &sup[1].token,
            0,
            &code(1, 2),
            "0.5500",
            1_000_000,
            &["310000"],
        )
        .bid(&sup[2].token, 0, &code(1, 3), "0.6000", 1_000_000, &[])
        .bid(&sup[3].token, 0, &code(1, 4), LOSING_PRICE, 1_000_000, &[])
        .bid(
            &sup[0].token,
            1,
            &code(2, 1),
            "1.2000",
            1_000_000,
            &["110000"],
        )
        .bid(&sup[1].token, 1, &code(2, 2), "1.2500", 1_000_000, &[])
        .bid(&sup[2].token, 1, &code(2, 3), "1.3000", 1_000_000, &[])
        .awarded()
        .await;
    let officer = app.login_demo("officer").await;
    World {
        app,
        sup,
        round: round.id.clone(),
        lots: round.lots.clone(),
        officer,
    }
}

impl World {
    async fn contracts(&self, lot: usize) -> Vec<Value> {
        self.app
            .get(
                &format!("/api/v1/contracts?round_id={}&per_page=200", self.round),
                &self.officer,
            )
            .await
            .expect(200)
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["lot_id"] == self.lots[lot].as_str())
            .cloned()
            .collect()
    }

    /// Beijing's contract of lot `lot` and its supplier's token.
    async fn beijing(&self, lot: usize) -> (Value, String) {
        let c = self
            .contracts(lot)
            .await
            .into_iter()
            .find(|c| c["province"] == "110000" && c["status"] == "active")
            .unwrap();
        let seller = self
            .sup
            .iter()
            .find(|s| s.org == c["supplier_org_id"].as_str().unwrap())
            .unwrap()
            .token
            .clone();
        (c, seller)
    }

    /// Beijing's warning for `generic`, if any.
    async fn warning(&self, generic: &str) -> Option<Value> {
        let all = self
            .app
            .get("/api/v1/monitoring/warnings", &self.officer)
            .await
            .expect(200)
            .body;
        all["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|w| w["province"] == "110000" && w["generic_name"] == generic)
            .cloned()
    }

    async fn scan(&self) -> Value {
        self.app
            .post("/api/v1/monitoring/supply-scan", &self.officer, json!({}))
            .await
            .expect(200)
            .body
    }

    async fn report(&self, hospital: &str, contract: &Value) {
        let token = self.app.login_demo(hospital).await;
        self.app
            .post(
                "/api/v1/shortages",
                &token,
                json!({"contract_id": contract["id"], "note": "缺货 out of stock"}),
            )
            .await
            .expect(201);
    }

    async fn sql(&self, query: &str, id: &str, days: i32) {
        let mut conn = self.app.db.connect().await;
        diesel::sql_query(query)
            .bind::<Text, _>(id)
            .bind::<Integer, _>(days)
            .execute(&mut conn)
            .await
            .unwrap();
    }
}

#[actix_web::test]
async fn a_refused_order_and_an_unshipped_confirmed_order_each_raise_a_supply_problem() {
    let w = world().await;
    let app = &w.app;
    let (c, seller) = w.beijing(0).await;
    let hospital = app.login_demo("hospital").await;
    let hospital3 = app.login_demo("hospital3").await;
    assert!(w.warning(GENERIC_A).await.is_none(), "no problem yet");

    // a refusal is a problem at once
    let refused = app
        .post(
            "/api/v1/orders",
            &hospital,
            json!({"lines": [{"contract_id": c["id"], "quantity": 7}]}),
        )
        .await
        .expect(201)
        .body;
    app.post(
        &format!("/api/v1/orders/{}/refuse", id(&refused)),
        &seller,
        json!({"reason": "无法配送 cannot deliver"}),
    )
    .await
    .expect(200);
    let warning = w.warning(GENERIC_A).await.unwrap();
    assert_eq!(warning["problems"], 1);
    assert_eq!(warning["refused"], 1);
    assert_eq!(warning["level"], "watch");
    assert_eq!(warning["recent"][0]["order_id"], refused["id"]);
    assert_eq!(warning["recent"][0]["open_units"], 7);
    assert_eq!(warning["hospitals"][0]["problems"], 1);
    // the contracts of the generic in the province and their backups, for the next step
    let option = &warning["contracts"][0];
    assert_eq!(option["contract_id"], c["id"]);
    assert_eq!(
        option["backup_supplier_org_id"],
        c["backup"]["supplier_org_id"]
    );
    assert!(option["backup_supplier_org_id"].is_string(), "{option}");

    // a confirmed order not shipped: a problem once its round's term (7 days) is over,
    // found by the scan, recorded once
    let waiting = app
        .post(
            "/api/v1/orders",
            &hospital3,
            json!({"lines": [{"contract_id": c["id"], "quantity": 9}]}),
        )
        .await
        .expect(201)
        .body;
    app.request(
        "POST",
        &format!("/api/v1/orders/{}/confirm", id(&waiting)),
        Some(&seller),
        None,
    )
    .await
    .expect(200);
    let set_back =
        "UPDATE orders SET decided_at = now() - make_interval(days => $2) WHERE id = $1::uuid";
    w.sql(set_back, &id(&waiting), 6).await;
    assert_eq!(w.scan().await["recorded"], 0, "within its term");
    w.sql(set_back, &id(&waiting), 8).await;
    assert_eq!(w.scan().await["recorded"], 1);
    assert_eq!(w.scan().await["recorded"], 0, "recorded once");
    assert_eq!(
        app.audit_actions("action=supply.scan").await,
        ["supply.scan"],
        "the scan that found it is audited, the empty ones are not"
    );
    let warning = w.warning(GENERIC_A).await.unwrap();
    assert_eq!(warning["problems"], 2);
    assert_eq!(warning["not_shipped"], 1);
    let late = warning["recent"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["kind"] == "not_shipped")
        .unwrap()
        .clone();
    assert_eq!(late["order_id"], waiting["id"]);
    assert_eq!(late["open_units"], 9);
    assert_eq!(late["hospital_org_id"], app.me(&hospital3).await["org_id"]);
    // the centre sees its province's; another centre sees none of it and may not ask
    let buyer = app.login_demo("buyer").await;
    let own = app
        .get("/api/v1/monitoring/warnings", &buyer)
        .await
        .expect(200)
        .body;
    assert_eq!(own["warnings"].as_array().unwrap().len(), 1);
    let buyer2 = app.login_demo("buyer2").await;
    let other = app
        .get("/api/v1/monitoring/warnings", &buyer2)
        .await
        .expect(200)
        .body;
    assert_eq!(other["warnings"], json!([]));
    app.get("/api/v1/monitoring/warnings?province=110000", &buyer2)
        .await
        .expect_problem(403);
}

#[actix_web::test]
async fn the_warning_level_crosses_its_threshold_at_the_right_count_and_falls_back_after_the_window()
 {
    let w = world().await;
    let app = &w.app;
    let (c, _) = w.beijing(0).await;
    // 30 days; watch from 1, warning from 3, alarm from 5
    let hospitals = [
        "hospital",
        "hospital3",
        "hospital4",
        "hospital",
        "hospital3",
    ];
    let expected = ["watch", "watch", "warning", "warning", "alarm"];
    for (n, (h, level)) in hospitals.iter().zip(expected).enumerate() {
        w.report(h, &c).await;
        let warning = w.warning(GENERIC_A).await.unwrap();
        assert_eq!(warning["problems"], n + 1);
        assert_eq!(warning["level"], level, "after {} problem(s)", n + 1);
    }
    // the rises to warning and to alarm were told to the centre and the office, once each
    let told = app.mail_to("oversight_notice").await;
    assert_eq!(
        told.iter().filter(|t| *t == "buyer@vbp.demo").count(),
        2,
        "{told:?}"
    );
    assert!(told.contains(&"officer@vbp.demo".to_owned()), "{told:?}");
    assert!(!told.contains(&"buyer2@vbp.demo".to_owned()), "{told:?}");
    // another generic, another province: untouched
    assert!(w.warning(GENERIC_B).await.is_none());

    // all five problems 29 days old: still in the window (today and the 29 days before)
    let age = "UPDATE supply_problems SET day = china_today() - $2 WHERE generic_name = $1";
    w.sql(age, GENERIC_A, 29).await;
    w.scan().await;
    let warning = w.warning(GENERIC_A).await.unwrap();
    assert_eq!(warning["level"], "alarm");
    let today = chrono::NaiveDate::parse_from_str(
        app.get("/api/v1/monitoring/warnings", &w.officer)
            .await
            .expect(200)
            .body["today"]
            .as_str()
            .unwrap(),
        "%Y-%m-%d",
    )
    .unwrap();
    assert_eq!(
        warning["falls_back_on"],
        json!((today + chrono::Duration::days(1)).to_string())
    );
    // a day later they have left it: no level, and the fall is recorded
    w.sql(age, GENERIC_A, 30).await;
    assert_eq!(w.scan().await["changed"], 1);
    assert!(w.warning(GENERIC_A).await.is_none());
    let actions = app.audit_actions("entity_type=supply_warning").await;
    assert_eq!(
        actions
            .iter()
            .filter(|a| *a == "supply_warning.rise")
            .count(),
        3,
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a == "supply_warning.fall"),
        "{actions:?}"
    );
}

/// Three refusals at once each count: the third raises the warning, which is told.
#[actix_web::test]
async fn problems_recorded_at_once_all_count_towards_the_level() {
    let w = world().await;
    let app = &w.app;
    let (c, seller) = w.beijing(0).await;
    let mut orders = Vec::new();
    for h in ["hospital", "hospital3", "hospital4"] {
        let token = app.login_demo(h).await;
        let o = app
            .post(
                "/api/v1/orders",
                &token,
                json!({"lines": [{"contract_id": c["id"], "quantity": 5}]}),
            )
            .await
            .expect(201)
            .body;
        orders.push(id(&o));
    }
    let paths: Vec<String> = orders
        .iter()
        .map(|o| format!("/api/v1/orders/{o}/refuse"))
        .collect();
    let refusals = paths
        .iter()
        .map(|p| app.post(p, &seller, json!({"reason": "停产 production stopped"})));
    for r in futures_util::future::join_all(refusals).await {
        r.expect(200);
    }
    let warning = w.warning(GENERIC_A).await.unwrap();
    assert_eq!(
        (warning["problems"].as_u64(), warning["level"].as_str()),
        (Some(3), Some("warning"))
    );
    // the level recorded (and told) is the level the three make
    let mut conn = app.db.connect().await;
    #[derive(diesel::QueryableByName)]
    struct Level {
        #[diesel(sql_type = Text)]
        level: String,
    }
    let stored: Level = diesel::sql_query(
        "SELECT level FROM supply_warnings WHERE province = '110000' AND generic_name = $1",
    )
    .bind::<Text, _>(GENERIC_A)
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(stored.level, "warning");
    assert!(
        app.mail_to("oversight_notice")
            .await
            .contains(&"buyer@vbp.demo".to_owned())
    );
}

#[actix_web::test]
async fn a_complaint_after_its_window_is_refused() {
    let w = world().await;
    let app = &w.app;
    let path = format!("/api/v1/rounds/{}/complaints", w.round);
    let body = |lot: &str| json!({"lot_id": lot, "grounds": "评审有误 the evaluation is wrong"});
    // the losing bidder objects on the award's day
    let loser = &w.sup[3].token;
    let first = app
        .post(&path, loser, body(&w.lots[0]))
        .await
        .expect(201)
        .body;
    assert_eq!(first["status"], "submitted");
    app.post(&path, loser, body(&w.lots[0]))
        .await
        .expect_code(409, "complaint_open");
    // a supplier may object only on a lot it bid on, with grounds
    app.post(&path, loser, body(&w.lots[1]))
        .await
        .expect_code(422, "complaint_not_bidder");
    app.post(&path, loser, json!({"lot_id": w.lots[0], "grounds": "  "}))
        .await
        .expect_code(422, "validation");
    app.post(
        &path,
        loser,
        json!({"lot_id": w.lots[0], "grounds": "x".repeat(5001)}),
    )
    .await
    .expect_code(422, "validation");
    // the window (7 days unless the round says otherwise) runs through the 7th day
    let award_back =
        "UPDATE rounds SET awarded_at = awarded_at - make_interval(days => $2) WHERE id = $1::uuid";
    w.sql(award_back, &w.round, 7).await;
    app.post(&path, &w.sup[0].token, body(&w.lots[1]))
        .await
        .expect(201);
    w.sql(award_back, &w.round, 1).await;
    let late = app
        .post(&path, &w.sup[1].token, body(&w.lots[1]))
        .await
        .expect_code(422, "objection_window_closed")
        .body;
    assert!(
        late["detail"].as_str().unwrap().contains("closed on"),
        "{late}"
    );
    // nothing was written by the refusals
    let all = app
        .get(
            &format!("/api/v1/complaints?round_id={}", w.round),
            &w.officer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(all["total"], 2);
    // a dismissed complaint suspended nothing: there is nothing to lift
    let cid = id(&first);
    app.post(
        &format!("/api/v1/complaints/{cid}/actions"),
        &w.officer,
        json!({"action": "dismiss", "answer": "评审无误 the evaluation stands"}),
    )
    .await
    .expect(200);
    app.post(
        &format!("/api/v1/complaints/{cid}/resume"),
        &w.officer,
        json!({"note": "x"}),
    )
    .await
    .expect_code(409, "nothing_suspended");
}

#[actix_web::test]
async fn an_upheld_complaint_suspends_exactly_that_lots_contracts() {
    let w = world().await;
    let app = &w.app;
    let supplier = &w.sup[2].token;
    let made = app
        .post(
            &format!("/api/v1/rounds/{}/complaints", w.round),
            supplier,
            json!({"lot_id": w.lots[0], "grounds": "平价排序有误 the tie-break was misapplied"}),
        )
        .await
        .expect(201)
        .body;
    let cid = id(&made);
    // evidence, kept with its SHA-256; another supplier cannot see it
    let evidence = "检验报告 test report\n".repeat(100);
    let (status, _, body) = {
        let url = format!(
            "{}/api/v1/complaints/{cid}/attachments?file_name=report.txt",
            app.base
        );
        let mut res = app
            .client
            .post(url)
            .insert_header(("authorization", format!("Bearer {supplier}")))
            .insert_header(("content-type", "text/plain"))
            .send_body(evidence.clone())
            .await
            .unwrap();
        let body: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
        (res.status().as_u16(), (), body)
    };
    assert_eq!(status, 201, "{body}");
    assert_eq!(
        body["sha256"],
        hex::encode(Sha256::digest(evidence.as_bytes()))
    );
    assert_eq!(body["size"], evidence.len());
    let file = format!("/api/v1/complaints/{cid}/attachments/{}", id(&body));
    let (status, _, text) = app.get_text(&file, &w.officer).await;
    assert_eq!((status, text.as_str()), (200, evidence.as_str()));
    let (status, _, _) = app.get_text(&file, &w.sup[0].token).await;
    assert_eq!(status, 404);
    app.get(&format!("/api/v1/complaints/{cid}"), &w.sup[0].token)
        .await
        .expect_problem(404);
    // too large: refused, nothing stored
    let big = vec![b'x'; 5 * 1024 * 1024 + 1];
    let status = app
        .client
        .post(format!(
            "{}/api/v1/complaints/{cid}/attachments?file_name=big.bin",
            app.base
        ))
        .insert_header(("authorization", format!("Bearer {supplier}")))
        .insert_header(("content-type", "application/octet-stream"))
        .send_body(big)
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(status, 413);

    // while it is open, the OCDS record shows lot A under review, lot B complete
    let ocds = app
        .get(&format!("/api/v1/rounds/{}/ocds", w.round), &w.officer)
        .await
        .expect(200)
        .body;
    let award = ocds["releases"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"].as_str().unwrap().ends_with("-award"))
        .unwrap()
        .clone();
    let lot = |n: usize| {
        award["tender"]["lots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == w.lots[n].as_str())
            .unwrap()
            .clone()
    };
    assert_eq!(lot(0)["status"], "active");
    assert!(
        lot(0)["statusDetails"]
            .as_str()
            .unwrap()
            .contains("under review")
    );
    assert_eq!(lot(1)["status"], "complete");
    for a in award["awards"].as_array().unwrap() {
        let under = a["relatedLots"][0] == w.lots[0].as_str();
        assert_eq!(a["status"], if under { "pending" } else { "active" }, "{a}");
    }
    let (valid, errors) = tests::validate_ocds(&ocds);
    assert!(valid, "{errors}");

    // an officer decides: an answer is needed; a supplier cannot decide
    let act = format!("/api/v1/complaints/{cid}/actions");
    app.post(&act, supplier, json!({"action": "uphold", "answer": "x"}))
        .await
        .expect_problem(403);
    app.post(&act, &w.officer, json!({"action": "uphold"}))
        .await
        .expect_code(422, "validation");
    app.post(&act, &w.officer, json!({"action": "review", "answer": "x"}))
        .await
        .expect_code(422, "validation");
    app.post(
        &act,
        &w.officer,
        json!({"action": "dismiss", "answer": "x", "suspend_contracts": true}),
    )
    .await
    .expect_code(422, "validation");
    app.post(&act, &w.officer, json!({"action": "review"}))
        .await
        .expect(200);
    let a_before = w.contracts(0).await.len();
    let b_before: Vec<Value> = w.contracts(1).await;
    let upheld = app
        .post(
            &act,
            &w.officer,
            json!({"action": "uphold", "answer": "投诉成立，暂停本包协议并重新评审", "suspend_contracts": true}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(upheld["status"], "upheld");
    assert!(upheld["reviewed_at"].is_string() && upheld["closed_at"].is_string());
    // exactly lot A's contracts, in every province, are suspended; lot B's as they were
    let a_after = w.contracts(0).await;
    assert_eq!(a_after.len(), a_before);
    assert!(
        a_after.iter().all(|c| c["status"] == "suspended"),
        "{a_after:?}"
    );
    assert_eq!(upheld["suspended_contracts"], a_before);
    assert_eq!(w.contracts(1).await, b_before);
    assert!(b_before.iter().all(|c| c["status"] == "active"));
    // a suspended contract takes no order; lot B's still does
    let hospital = app.login_demo("hospital").await;
    let (b, _) = w.beijing(1).await;
    let a = a_after.iter().find(|c| c["province"] == "110000").unwrap();
    app.post(
        "/api/v1/orders",
        &hospital,
        json!({"lines": [{"contract_id": a["id"], "quantity": 1}]}),
    )
    .await
    .expect_code(422, "contract_not_active");
    app.post(
        "/api/v1/orders",
        &hospital,
        json!({"lines": [{"contract_id": b["id"], "quantity": 1}]}),
    )
    .await
    .expect(201);
    // once the review is done the officer lifts the suspension: the same contracts are
    // active again, once
    let resume = format!("/api/v1/complaints/{cid}/resume");
    app.post(&resume, &w.officer, json!({"note": " "}))
        .await
        .expect_code(422, "validation");
    let resumed = app
        .post(
            &resume,
            &w.officer,
            json!({"note": "复核后维持原中选结果 the result stands"}),
        )
        .await
        .expect(200)
        .body;
    assert!(resumed["resumed_at"].is_string());
    let back = w.contracts(0).await;
    assert!(back.iter().all(|c| c["status"] == "active"), "{back:?}");
    let ids = |v: &[Value]| v.iter().map(|c| c["id"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&back), ids(&a_after));
    app.post(&resume, &w.officer, json!({"note": "again"}))
        .await
        .expect_code(409, "suspension_lifted");
    // a decided complaint is final, takes no attachment, and every step is in the log
    app.post(
        &act,
        &w.officer,
        json!({"action": "dismiss", "answer": "x"}),
    )
    .await
    .expect_code(409, "complaint_transition");
    app.post(&act, supplier, json!({"action": "withdraw"}))
        .await
        .expect_code(409, "complaint_transition");
    let auditor = app.login_demo("auditor").await;
    let seen = app
        .get(&format!("/api/v1/complaints/{cid}"), &auditor)
        .await
        .expect(200)
        .body;
    assert_eq!(seen["attachments"].as_array().unwrap().len(), 1);
    let mut actions = app.audit_actions(&format!("entity_id={cid}")).await;
    actions.sort_unstable();
    assert_eq!(
        actions,
        [
            "complaint.attach",
            "complaint.resume",
            "complaint.review",
            "complaint.submit",
            "complaint.uphold"
        ]
    );
}

#[actix_web::test]
async fn the_price_index_reveals_no_bid_that_did_not_win() {
    let w = world().await;
    let app = &w.app;
    // public: no token
    let generics = app
        .request("GET", "/api/v1/price-index", None, None)
        .await
        .expect(200)
        .body;
    assert!(
        generics
            .as_array()
            .unwrap()
            .iter()
            .any(|g| g["generic_name"] == GENERIC_A && g["rounds"] == 1)
    );
    let path = format!("/api/v1/price-index/{}", urlencode(GENERIC_A));
    let json_body = app.request("GET", &path, None, None).await.expect(200).body;
    let point = &json_body["points"][0];
    assert_eq!(point["ceiling"], "1.0000");
    // the winners' UCPs (three winners; two provinces reported demand, so two supply)
    assert_eq!(point["lowest_winning_ucp"], "0.5000");
    assert_eq!(point["highest_winning_ucp"], "0.6000");
    let mut supplying: Vec<(&str, &str)> = point["provinces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["province"].as_str().unwrap(),
                p["unit_price"].as_str().unwrap(),
            )
        })
        .collect();
    supplying.sort_unstable();
    assert_eq!(supplying, [("110000", "0.5000"), ("310000", "0.5500")]);
    let mut res = app
        .client
        .get(format!("{}{path}?format=csv", app.base))
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    assert_eq!(
        res.headers().get("cache-control").unwrap(),
        "public, max-age=300"
    );
    let content_type = res
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    let csv = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert_eq!(status, 200);
    assert!(content_type.starts_with("text/csv"), "{content_type}");
    assert_eq!(csv.lines().count(), 3);
    assert!(csv.contains("0.5500"));
    // the losing bid (valid, under the ceiling, more than 1.8 times the lowest) and its
    // bidder appear nowhere, in JSON or CSV
    let loser = tests::supplier_name(4);
    for text in [json_body.to_string(), csv] {
        assert!(
            !text.contains(LOSING_PRICE) && !text.contains("0.913"),
            "{text}"
        );
        assert!(!text.contains(&loser), "{text}");
    }
    // a generic without a published result has no points; a bad format is refused
    let none = app
        .request("GET", "/api/v1/price-index/%E6%97%A0", None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(none["points"], json!([]));
    app.request("GET", &format!("{path}?format=xml"), None, None)
        .await
        .expect_code(422, "validation");
    // the officers' view: the same points, nothing paid yet, no alert
    let monitor = app
        .get(
            &format!(
                "/api/v1/monitoring/prices?generic_name={}",
                urlencode(GENERIC_A)
            ),
            &w.officer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(monitor["points"], json_body["points"]);
    assert_eq!(monitor["paid"], json!([]));
    assert_eq!(monitor["alerts"], json!([]));
    assert!(!monitor.to_string().contains(LOSING_PRICE));
    let hospital = app.login_demo("hospital").await;
    app.get("/api/v1/monitoring/prices?generic_name=x", &hospital)
        .await
        .expect_problem(403);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// The demo: a generic in warning, a price history over two rounds with what hospitals
/// paid, a complaint in each state.
#[actix_web::test]
async fn the_demo_shows_a_warning_a_price_history_and_a_complaint_in_each_state() {
    let app = TestApp::with_demo().await;
    tests::api::demo::rounds::load(app.state.settings.clone())
        .await
        .unwrap();
    let officer = app.login_demo("officer").await;
    let warnings = app
        .get("/api/v1/monitoring/warnings", &officer)
        .await
        .expect(200)
        .body;
    let levels: Vec<&str> = warnings["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["level"].as_str().unwrap())
        .collect();
    assert!(
        levels.contains(&"alarm") && levels.contains(&"warning"),
        "{levels:?}"
    );
    let generics = app
        .request("GET", "/api/v1/price-index", None, None)
        .await
        .expect(200)
        .body;
    let two = generics
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["rounds"] == 2)
        .unwrap()["generic_name"]
        .as_str()
        .unwrap()
        .to_owned();
    let monitor = app
        .get(
            &format!("/api/v1/monitoring/prices?generic_name={}", urlencode(&two)),
            &officer,
        )
        .await
        .expect(200)
        .body;
    let points = monitor["points"].as_array().unwrap();
    assert_eq!(points.len(), 2);
    // the previous cycle first, at higher prices
    let ucp = |p: &Value| {
        p["lowest_winning_ucp"]
            .as_str()
            .unwrap()
            .parse::<f64>()
            .unwrap()
    };
    assert!(ucp(&points[0]) > ucp(&points[1]), "{points:?}");
    assert!(!monitor["paid"].as_array().unwrap().is_empty());
    let complaints = app
        .get("/api/v1/complaints?per_page=50", &officer)
        .await
        .expect(200)
        .body;
    let mut states: Vec<&str> = complaints["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    states.sort_unstable();
    assert_eq!(
        states,
        [
            "dismissed",
            "submitted",
            "under_review",
            "upheld",
            "withdrawn"
        ]
    );
}
