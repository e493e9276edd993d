//! Tender rounds and sealed bids, through the HTTP API: nobody can read a bid before the
//! opening, and no bid can be added, dropped or changed after the deadline.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeSet;

use diesel::{QueryableByName, sql_types::Text};
use diesel_async::{RunQueryDsl, SimpleAsyncConnection};
use serde_json::{Value, json};
use tests::{CatalogBuilder, Drug, Key, Round, RoundBuilder, TestApp, api::platform::sealing};

const HUAHAI: &str = "Zhejiang Huahai Pharmaceutical Co., Ltd.";
const QILU: &str = "Qilu Pharmaceutical Co., Ltd.";
const HENGRUI: &str = "Jiangsu Hengrui Pharmaceuticals Co., Ltd.";

/// A test generic: Qilu's 20 mg tablet is the representative (ceiling 0.8500 per tablet),
/// Huahai makes a 10 mg tablet (own ceiling 0.5000), Hengrui one that has not passed the
/// consistency evaluation.
const QILU_20MG: &str = "XC10AAT901A001020100102";
const HUAHAI_10MG: &str = "XC10AAT901A001010100101";
const HENGRUI_10MG: &str = "XC10AAT901A001010100103";

/// The test generic's three products, imported.
async fn import_catalog(app: &TestApp) {
    let generic = "测试他汀钙片";
    CatalogBuilder::new(app)
        .drug(Drug::new(QILU_20MG, generic, QILU).ceiling("0.8500"))
        .drug(
            Drug::new(HUAHAI_10MG, generic, HUAHAI)
                .strength(10, "mg")
                .ceiling("0.5000"),
        )
        .drug(
            Drug::new(HENGRUI_10MG, generic, HENGRUI)
                .strength(10, "mg")
                .consistency("not_passed")
                .ceiling("0.5000"),
        )
        .import()
        .await;
}

struct Fixture {
    app: TestApp,
    officer: String,
    round: String,
    lot: String,
    built: Round,
}

/// A published round (`key`: master, or `k` of the 3 demo officers) with one lot and
/// demand from Beijing and Shanghai.
async fn published(key: Key) -> Fixture {
    let app = TestApp::with_demo().await;
    import_catalog(&app).await;
    let built = RoundBuilder::new(&app)
        .name("第十二批国家组织药品集中采购（测试）")
        .key(key)
        .lot(QILU_20MG)
        .demand("buyer@vbp.demo", [1_000_000])
        .demand("buyer2@vbp.demo", [400_000])
        .published()
        .await;
    assert_eq!(built.lot_details[0]["generic_name"], "测试他汀钙片");
    let lots = app
        .get(&built.path("/lots"), &built.officer)
        .await
        .expect(200)
        .body["items"]
        .clone();
    assert_eq!(lots[0]["ceiling"], "0.8500");
    // the suppliers whose catalog products match a lot are told, through the outbox
    let notified = app.mail_to("round_published").await;
    for who in ["supplier@vbp.demo", "supplier2@vbp.demo"] {
        assert!(
            notified.contains(&who.to_owned()),
            "{who} not notified: {notified:?}"
        );
    }
    Fixture {
        app,
        officer: built.officer.clone(),
        round: built.id.clone(),
        lot: built.lots[0].clone(),
        built,
    }
}

impl Fixture {
    /// The same round, its server restarted with its settings as `tweak` changes them.
    async fn restarted_with(
        self,
        tweak: impl FnOnce(&mut tests::api::platform::settings::Settings),
    ) -> Self {
        Self {
            app: self.app.restart_with(tweak).await,
            ..self
        }
    }

    async fn bid(&self, token: &str, product: &str, price: &str, key: Option<&str>) -> tests::Resp {
        let body = json!({"lot_id": self.lot, "product_code": product, "unit_price": price,
                          "annual_capacity": 2_000_000, "province_preferences": ["110000", "310000"]});
        match key {
            None => {
                self.app
                    .post(&format!("/api/v1/rounds/{}/bids", self.round), token, body)
                    .await
            }
            Some(k) => {
                let mut res = self
                    .app
                    .client
                    .post(format!(
                        "{}/api/v1/rounds/{}/bids",
                        self.app.base, self.round
                    ))
                    .bearer_auth(token)
                    .insert_header(("Idempotency-Key", k))
                    .send_json(&body)
                    .await
                    .unwrap();
                let bytes = res.body().await.unwrap();
                tests::Resp {
                    status: res.status(),
                    headers: res.headers().clone(),
                    body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                }
            }
        }
    }

    /// Time passes: the deadline is now.
    async fn pass_deadline(&self) {
        self.built.pass_deadline(&self.app).await;
    }

    async fn share(&self, who: &str) -> String {
        self.built.share(&self.app, who).await
    }

    async fn open(&self, who: &str, share: Option<&str>) -> tests::Resp {
        let t = self.app.login_demo(who).await;
        self.app
            .post(
                &format!("/api/v1/rounds/{}/open", self.round),
                &t,
                json!({"share": share}),
            )
            .await
    }
}

#[derive(QueryableByName)]
struct TableName {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct Dump {
    #[diesel(sql_type = Text)]
    text: String,
}

/// Whether `price` (e.g. "0.4321") stands in `text` as a number: not as part of a longer
/// run of digits, such as the microseconds of a timestamp ("12:00:00.432107") or a hex
/// ciphertext, where it can appear by chance.
fn contains_price(text: &str, price: &str) -> bool {
    text.match_indices(price).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + price.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_digit()) && !after.is_some_and(|c| c.is_ascii_digit())
    })
}

#[test]
fn contains_price_ignores_digit_runs() {
    assert!(contains_price("{\"unit_price\": \"0.4321\"}", "0.4321"));
    assert!(contains_price("(7,0.4321,8)", "0.4321"));
    assert!(!contains_price("2026-11-22 19:46:00.432107+00", "0.4321"));
    assert!(!contains_price("\\x9a0.43217f", "0.4321"));
}

/// Every row of every table, as text.
async fn dump_everything(app: &TestApp) -> String {
    let mut conn = app.db.connect().await;
    let tables: Vec<TableName> =
        diesel::sql_query("SELECT tablename AS name FROM pg_tables WHERE schemaname = 'public'")
            .load(&mut conn)
            .await
            .unwrap();
    let mut out = String::new();
    for t in tables {
        let rows: Dump = diesel::sql_query(format!(
            "SELECT coalesce(string_agg(x::text, E'\\n'), '') AS text FROM \"{}\" x",
            t.name
        ))
        .get_result(&mut conn)
        .await
        .unwrap();
        out.push_str(&rows.text);
        out.push('\n');
    }
    out
}

#[actix_web::test]
async fn custodians_fetch_their_shares_once_and_no_one_else_can() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    // custodians fetch their shares once; the server erases them
    for who in tests::builders::CUSTODIANS {
        f.share(who).await;
    }
    let officer = app.login_demo("officer").await;
    app.get(
        &format!("/api/v1/rounds/{}/key-shares/mine", f.round),
        &officer,
    )
    .await
    .expect_problem(409);
    app.get(
        &format!("/api/v1/rounds/{}/key-shares/mine", f.round),
        &huahai,
    )
    .await
    .expect_problem(403);
}

#[actix_web::test]
async fn a_bid_over_its_ceiling_ineligible_or_of_another_lot_is_refused() {
    let f = published(Key::Threshold(2)).await;
    let huahai = f.app.login_demo("supplier").await;
    // above the item's own ceiling: refused with both numbers
    let res = f
        .bid(&huahai, HUAHAI_10MG, "0.5100", None)
        .await
        .expect_code(422, "bid_above_ceiling");
    let msg = res.body["errors"][0]["message"].as_str().unwrap();
    // 10 mg against the 20 mg representative: UCP = 0.5100 x 1.7 = 0.8670
    assert!(
        msg.contains("0.5100") && msg.contains("0.5000") && msg.contains("0.8670"),
        "{msg}"
    );
    // not passed the consistency evaluation, and not its own product: ineligible
    let res = f
        .bid(&huahai, HENGRUI_10MG, "0.3000", None)
        .await
        .expect_code(422, "bid_ineligible");
    assert!(res.body["detail"].as_str().unwrap().contains("ineligible"));
    // a product of another generic's lot or unknown code
    f.bid(&huahai, "XC10AAT901A001010100199", "0.3000", None)
        .await
        .expect_code(422, "product_not_in_catalog");
}

/// The bids the tests below start from: Huahai's (under an Idempotency-Key) and Qilu's
/// two, the first replaced by the second; returns (Huahai's, Qilu's first, Qilu's last).
async fn three_bids(f: &Fixture, huahai: &str, qilu: &str) -> (Value, Value, Value) {
    let a = f
        .bid(huahai, HUAHAI_10MG, "0.4321", Some("huahai-1"))
        .await
        .expect(201)
        .body;
    let b_first = f
        .bid(qilu, QILU_20MG, "0.8123", None)
        .await
        .expect(201)
        .body;
    let b = f
        .bid(qilu, QILU_20MG, "0.7777", None)
        .await
        .expect(201)
        .body;
    (a, b_first, b)
}

#[actix_web::test]
async fn each_accepted_bid_gets_one_signed_receipt_even_when_retried() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let qilu = app.login_demo("supplier2").await;
    let a = f
        .bid(&huahai, HUAHAI_10MG, "0.4321", Some("huahai-1"))
        .await
        .expect(201)
        .body;
    // a retry with the same key gives the same receipt, a different bid under it is refused
    let again = f
        .bid(&huahai, HUAHAI_10MG, "0.4321", Some("huahai-1"))
        .await
        .expect(200)
        .body;
    assert_eq!(again["bid_id"], a["bid_id"]);
    assert_eq!(again["signature"], a["signature"]);
    f.bid(&huahai, HUAHAI_10MG, "0.4000", Some("huahai-1"))
        .await
        .expect_code(422, "idempotency_key_reused");
    // Qilu bids, then replaces its bid
    f.bid(&qilu, QILU_20MG, "0.8123", None).await.expect(201);
    let b = f
        .bid(&qilu, QILU_20MG, "0.7777", None)
        .await
        .expect(201)
        .body;
    // each accepted bid mails its receipt to the submitter (the idempotent retry did not)
    assert_eq!(
        app.mail_to("bid_receipt").await,
        [
            "supplier2@vbp.demo",
            "supplier2@vbp.demo",
            "supplier@vbp.demo"
        ]
    );

    // the receipt verifies with the published key, and not when altered
    let key = app
        .request("GET", "/api/receipt-key", None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(key["public_key"], a["public_key"]);
    let pk = key["public_key"].as_str().unwrap();
    for r in [&a, &b] {
        assert!(sealing::verify_signature(
            pk,
            r["message"].as_str().unwrap().as_bytes(),
            r["signature"].as_str().unwrap()
        ));
        let forged = r["message"].as_str().unwrap().replace("bid=", "bid=0");
        assert!(!sealing::verify_signature(
            pk,
            forged.as_bytes(),
            r["signature"].as_str().unwrap()
        ));
    }
}

#[actix_web::test]
async fn receipts_signed_before_a_key_rotation_still_verify() {
    let f = published(Key::Threshold(2)).await;
    let huahai = f.app.login_demo("supplier").await;
    let qilu = f.app.login_demo("supplier2").await;
    let before = f
        .bid(&huahai, HUAHAI_10MG, "0.4321", Some("rotation-1"))
        .await
        .expect(201)
        .body;
    let old_key = before["public_key"].as_str().unwrap().to_owned();
    // the operator rotates: a new seed, the old public key kept as a previous one
    let f = f
        .restarted_with(|s| {
            s.receipt_key = std::sync::Arc::new(
                sealing::ReceiptKey::from_hex(&tests::random_hex())
                    .unwrap()
                    .with_previous(&[&old_key])
                    .unwrap(),
            );
        })
        .await;
    let published = f
        .app
        .request("GET", "/api/receipt-key", None, None)
        .await
        .expect(200)
        .body;
    let new_key = published["public_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, old_key);
    assert_eq!(published["previous_keys"], json!([old_key]));
    let verifies = |r: &Value, key: &str| {
        sealing::verify_signature(
            key,
            r["message"].as_str().unwrap().as_bytes(),
            r["signature"].as_str().unwrap(),
        )
    };
    // the old receipt, shown again (the supplier's list, a retry), names the old key
    let mine = f
        .app
        .get(&format!("/api/v1/rounds/{}/bids", f.round), &huahai)
        .await
        .expect(200)
        .body;
    let listed = &mine["items"][0];
    assert_eq!(listed["bid_id"], before["bid_id"]);
    assert_eq!(listed["public_key"], json!(old_key));
    assert!(verifies(listed, &old_key) && !verifies(listed, &new_key));
    let retried = f
        .bid(&huahai, HUAHAI_10MG, "0.4321", Some("rotation-1"))
        .await
        .expect(200)
        .body;
    assert_eq!(retried["public_key"], json!(old_key));
    assert!(verifies(&retried, &old_key));
    // a new receipt is signed by the new key
    let after = f
        .bid(&qilu, QILU_20MG, "0.8123", None)
        .await
        .expect(201)
        .body;
    assert_eq!(after["public_key"], json!(new_key));
    assert!(verifies(&after, &new_key) && !verifies(&after, &old_key));
}

#[actix_web::test]
async fn with_a_replica_writes_hand_back_their_position_but_bids_do_not() {
    let f = published(Key::Threshold(2)).await;
    // the read URL names the primary itself: the rule's plumbing, not the lag (the drills
    // test a lagging replica)
    let f = f
        .restarted_with(|s| s.database.read_url = Some(s.database.url.clone()))
        .await;
    // a write: its position in the header and the cookie
    let mut res = f
        .app
        .client
        .post(format!("{}/api/v1/auth/login", f.app.base))
        .send_json(&json!({"email": "supplier@vbp.demo", "password": tests::DEMO_PASSWORD}))
        .await
        .unwrap();
    assert!(res.status().is_success());
    let lsn = res
        .headers()
        .get("vbp-lsn")
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert!(lsn.contains('/'), "{lsn}");
    assert!(
        res.headers()
            .get_all("set-cookie")
            .any(|c| c.to_str().unwrap().starts_with(&format!("vbp_lsn={lsn};")))
    );
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // a sealed bid hands back none
    let bid = f.bid(&token, HUAHAI_10MG, "0.4321", None).await.expect(201);
    assert!(bid.headers.get("vbp-lsn").is_none());
    // a read takes the position, and refuses a malformed one
    let read = |min: &str| {
        f.app
            .client
            .get(format!("{}/api/v1/catalog/items/{HUAHAI_10MG}", f.app.base))
            .bearer_auth(&token)
            .insert_header(("VBP-Min-LSN", min.to_owned()))
            .send()
    };
    assert_eq!(read(&lsn).await.unwrap().status().as_u16(), 200);
    let mut bad = read("not-a-position").await.unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    assert_eq!(bad.json::<Value>().await.unwrap()["code"], "invalid_lsn");
}

#[actix_web::test]
async fn a_supplier_sees_only_its_own_bids_and_cannot_withdraw_anothers() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let qilu = app.login_demo("supplier2").await;
    let (_, _, b) = three_bids(&f, &huahai, &qilu).await;
    let mine = app
        .get(&format!("/api/v1/rounds/{}/bids", f.round), &huahai)
        .await
        .expect(200)
        .body["items"]
        .clone();
    assert_eq!(mine.as_array().unwrap().len(), 1);
    assert!(!mine.to_string().contains(b["bid_id"].as_str().unwrap()));
    app.request(
        "DELETE",
        &format!(
            "/api/v1/rounds/{}/bids/{}",
            f.round,
            b["bid_id"].as_str().unwrap()
        ),
        Some(&huahai),
        None,
    )
    .await
    .expect_problem(404);
    let theirs = app
        .get(&format!("/api/v1/rounds/{}/bids", f.round), &qilu)
        .await
        .expect(200)
        .body["items"]
        .clone();
    let statuses: BTreeSet<_> = theirs
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        statuses,
        BTreeSet::from(["live".to_owned(), "replaced".to_owned()])
    );
}

#[actix_web::test]
async fn before_the_deadline_no_table_holds_a_price_and_nothing_opens() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let qilu = app.login_demo("supplier2").await;
    let (a, _, _) = three_bids(&f, &huahai, &qilu).await;
    let s1 = f.share("officer").await;

    // before the opening no table holds a price, in any form
    let dump = dump_everything(app).await;
    for price in ["0.4321", "0.7777", "0.8123"] {
        assert!(
            !contains_price(&dump, price),
            "{price} found in the database before the opening"
        );
    }
    assert!(dump.contains(a["commitment"].as_str().unwrap()));

    // nobody opens before the deadline, and the register is not frozen yet
    f.open("officer", Some(&s1))
        .await
        .expect_code(422, "deadline_not_passed");
    app.get(&format!("/api/v1/rounds/{}/register", f.round), &huahai)
        .await
        .expect_code(422, "register_not_frozen");
}

#[actix_web::test]
async fn at_the_deadline_bidding_closes_on_a_register_of_the_bids_that_count() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let qilu = app.login_demo("supplier2").await;
    let (a, b_first, b) = three_bids(&f, &huahai, &qilu).await;

    f.pass_deadline().await;
    let late = f
        .bid(&huahai, HUAHAI_10MG, "0.4000", None)
        .await
        .expect_code(422, "bidding_closed");
    assert!(late.body["detail"].as_str().unwrap().contains("closed"));

    // the frozen register lists exactly the receipts that count: no replaced bid
    let register = app
        .get(&format!("/api/v1/rounds/{}/register", f.round), &huahai)
        .await
        .expect(200)
        .body;
    let pair = |v: &Value| {
        (
            v["bid_id"].as_str().unwrap().to_owned(),
            v["commitment"].as_str().unwrap().to_owned(),
        )
    };
    let listed: BTreeSet<_> = register["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(pair)
        .collect();
    let issued: BTreeSet<_> = [&a, &b].into_iter().map(pair).collect();
    assert_eq!(listed, issued);
    assert!(
        !register
            .to_string()
            .contains(b_first["bid_id"].as_str().unwrap())
    );
}

#[actix_web::test]
async fn k_real_shares_open_the_round_and_reveal_every_bid_as_committed() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let qilu = app.login_demo("supplier2").await;
    let s1 = f.share("officer").await;
    let s2 = f.share("officer2").await;
    let s3 = f.share("officer3").await;
    three_bids(&f, &huahai, &qilu).await;
    f.pass_deadline().await;

    // one share is not enough; a forged share is refused and recorded nowhere
    let res = f.open("officer", Some(&s1)).await.expect(200).body;
    assert_eq!(
        (res["status"].as_str(), res["presented"].as_u64()),
        (Some("waiting"), Some(1))
    );
    f.open("officer", Some(&s1))
        .await
        .expect_code(409, "share_presented");
    let mut forged = s2.clone();
    forged.replace_range(4..8, if &s2[4..8] == "AAAA" { "BBBB" } else { "AAAA" });
    f.open("officer2", Some(&forged)).await.expect_problem(422);
    f.open("officer3", Some(&s2))
        .await
        .expect_code(422, "share_not_yours");
    let dump = dump_everything(app).await;
    assert!(
        !contains_price(&dump, "0.4321"),
        "opened with fewer than k shares"
    );

    // the second real share opens: every bid revealed and matching its commitment
    let opened = f.open("officer3", Some(&s3)).await.expect(200).body;
    assert_eq!(opened["status"], "opened");
    assert_eq!(opened["bids_revealed"], 2);
    let mut conn = app.db.connect().await;
    #[derive(QueryableByName)]
    struct Revealed {
        #[diesel(sql_type = Text)]
        text: String,
    }
    let rows: Vec<Revealed> = diesel::sql_query(format!(
        "SELECT b.product_code || ' ' || b.unit_price::text || ' ' || b.annual_capacity::text || ' ' || b.province_preferences::text
                || ' ' || (encode(sha256(b.sealed), 'hex') = r.commitment)::text AS text
         FROM bids b JOIN bid_register r ON r.bid_id = b.id WHERE b.round_id = '{}' ORDER BY b.unit_price",
        f.round
    ))
    .load(&mut conn)
    .await
    .unwrap();
    let rows: Vec<_> = rows.into_iter().map(|r| r.text).collect();
    assert_eq!(
        rows,
        [
            format!("{HUAHAI_10MG} 0.4321 2000000 [\"110000\", \"310000\"] true"),
            format!("{QILU_20MG} 0.7777 2000000 [\"110000\", \"310000\"] true"),
        ]
    );
    let round = app
        .get(&format!("/api/v1/rounds/{}", f.round), &f.officer)
        .await
        .expect(200)
        .body;
    assert_eq!(round["status"], "opened");
    // presenting again after the opening changes nothing
    let again = f.open("officer2", Some(&s2)).await.expect(200).body;
    assert_eq!(again["opened_by_this_call"], false);
}

#[actix_web::test]
async fn two_officers_opening_at_once_give_one_opening() {
    let f = published(Key::Threshold(2)).await;
    let huahai = f.app.login_demo("supplier").await;
    f.bid(&huahai, HUAHAI_10MG, "0.4000", None)
        .await
        .expect(201);
    let (s1, s2, s3) = (
        f.share("officer").await,
        f.share("officer2").await,
        f.share("officer3").await,
    );
    f.pass_deadline().await;
    f.open("officer", Some(&s1)).await.expect(200);
    let (x, y) =
        futures_util::future::join(f.open("officer2", Some(&s2)), f.open("officer3", Some(&s3)))
            .await;
    let x = x.expect(200).body;
    let y = y.expect(200).body;
    let by_call: Vec<bool> = [&x, &y]
        .iter()
        .map(|r| r["opened_by_this_call"].as_bool().unwrap())
        .collect();
    assert_eq!(by_call.iter().filter(|b| **b).count(), 1, "{x} {y}");
    assert!([&x, &y].iter().all(|r| r["status"] == "opened"));
    let auditor = f.app.login_demo("auditor").await;
    let opens = f
        .app
        .get("/api/v1/audit?action=round.open", &auditor)
        .await
        .expect(200)
        .body;
    assert_eq!(opens["total"], 1);
}

#[actix_web::test]
async fn master_key_round_opens_with_quorum_one_after_the_deadline() {
    let f = published(Key::Master).await;
    let qilu = f.app.login_demo("supplier2").await;
    f.bid(&qilu, QILU_20MG, "0.6000", None).await.expect(201);
    let officer = f.app.login_demo("officer").await;
    f.app
        .get(
            &format!("/api/v1/rounds/{}/key-shares/mine", f.round),
            &officer,
        )
        .await
        .expect_problem(422);
    f.open("officer", None).await.expect_problem(422);
    f.pass_deadline().await;
    let opened = f.open("officer2", None).await.expect(200).body;
    assert_eq!(opened["bids_revealed"], 1);
}

#[actix_web::test]
async fn withdrawal_and_replacement_end_at_the_deadline() {
    let f = published(Key::Threshold(1)).await;
    let huahai = f.app.login_demo("supplier").await;
    let first = f
        .bid(&huahai, HUAHAI_10MG, "0.4500", None)
        .await
        .expect(201)
        .body;
    let withdrawn = f
        .app
        .request(
            "DELETE",
            &format!(
                "/api/v1/rounds/{}/bids/{}",
                f.round,
                first["bid_id"].as_str().unwrap()
            ),
            Some(&huahai),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(withdrawn["status"], "withdrawn");
    // the officers' live count: a withdrawn bid no longer counts, and no price is in it
    let counts_path = format!("/api/v1/rounds/{}/bid-counts", f.round);
    let before = f.app.get(&counts_path, &f.officer).await.expect(200).body;
    assert_eq!(before["total"], 0, "{before}");
    assert_eq!(before["lots"][0]["bids"], 0);
    let second = f
        .bid(&huahai, HUAHAI_10MG, "0.4400", None)
        .await
        .expect(201)
        .body;
    let after = f.app.get(&counts_path, &f.officer).await.expect(200).body;
    assert_eq!(after["total"], 1, "{after}");
    assert_eq!(after["lots"][0]["lot_id"], f.lot.as_str());
    assert_eq!(after["lots"][0]["bids"], 1);
    assert!(after["as_of"].is_string() && after["bidding_deadline"].is_string());
    assert!(
        !after.to_string().contains("0.44"),
        "a price in the count: {after}"
    );
    f.app.get(&counts_path, &huahai).await.expect_problem(403);
    f.pass_deadline().await;
    f.app
        .request(
            "DELETE",
            &format!(
                "/api/v1/rounds/{}/bids/{}",
                f.round,
                second["bid_id"].as_str().unwrap()
            ),
            Some(&huahai),
            None,
        )
        .await
        .expect_problem(422);
    let register = f
        .app
        .get(&format!("/api/v1/rounds/{}/register", f.round), &huahai)
        .await
        .expect(200)
        .body;
    let ids: Vec<_> = register["bids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["bid_id"].clone())
        .collect();
    assert_eq!(ids, [second["bid_id"].clone()]);
}

#[actix_web::test]
async fn changing_a_published_rounds_terms_voids_its_bids() {
    let f = published(Key::Threshold(1)).await;
    let huahai = f.app.login_demo("supplier").await;
    let bid = f
        .bid(&huahai, HUAHAI_10MG, "0.4500", None)
        .await
        .expect(201)
        .body;
    let later = (chrono::Utc::now() + chrono::Duration::hours(5)).to_rfc3339();
    let round = f
        .app
        .patch(
            &format!("/api/v1/rounds/{}", f.round),
            &f.officer,
            json!({"bidding_deadline": later}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(round["terms_version"], 2);
    let mine = f
        .app
        .get(&format!("/api/v1/rounds/{}/bids", f.round), &huahai)
        .await
        .expect(200)
        .body["items"]
        .clone();
    assert_eq!(mine[0]["bid_id"], bid["bid_id"]);
    assert_eq!(mine[0]["status"], "invalidated");
    // the supplier bids again under the new terms; only that bid counts
    let again = f
        .bid(&huahai, HUAHAI_10MG, "0.4500", None)
        .await
        .expect(201)
        .body;
    f.pass_deadline().await;
    let register = f
        .app
        .get(&format!("/api/v1/rounds/{}/register", f.round), &huahai)
        .await
        .expect(200)
        .body;
    assert_eq!(register["bids"].as_array().unwrap().len(), 1);
    assert_eq!(register["bids"][0]["bid_id"], again["bid_id"]);
}

#[actix_web::test]
async fn the_bid_writer_checks_every_bids_session() {
    // the submission checks its token's session in the writing transaction, batched with
    // other bids: a session that ended, or an organisation suspended, is refused there
    let f = published(Key::Threshold(1)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    f.bid(&huahai, HUAHAI_10MG, "0.4500", None)
        .await
        .expect(201);
    app.request("POST", "/api/v1/auth/logout", Some(&huahai), None)
        .await
        .expect(204);
    let res = f
        .bid(&huahai, HUAHAI_10MG, "0.4400", None)
        .await
        .expect_problem(401);
    let detail = res.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("session has ended"), "{detail}");
    // refused early (an invalid body) or in the writer, a dead token gets a 401 first
    f.bid(&huahai, HUAHAI_10MG, "-1", None)
        .await
        .expect_problem(401);

    let qilu = app.login_demo("supplier2").await;
    f.bid(&qilu, QILU_20MG, "0.8123", None).await.expect(201);
    let admin = app.login_demo("admin").await;
    let org = app.me(&qilu).await["org_id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/orgs/{org}"),
        &admin,
        json!({"status": "suspended"}),
    )
    .await
    .expect(200);
    let res = f
        .bid(&qilu, QILU_20MG, "0.7000", None)
        .await
        .expect_problem(401);
    let detail = res.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("suspended"), "{detail}");

    // a non-supplier gets its 403 only with a live session
    let officer = app.login_demo("officer2").await;
    f.bid(&officer, QILU_20MG, "0.7000", None)
        .await
        .expect_problem(403);
    app.request("POST", "/api/v1/auth/logout", Some(&officer), None)
        .await
        .expect(204);
    f.bid(&officer, QILU_20MG, "0.7000", None)
        .await
        .expect_problem(401);

    // only the two first bids were written
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.connect().await;
    let written = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM bids WHERE round_id = '{}'",
        f.round
    ))
    .get_result::<Count>(&mut conn)
    .await
    .unwrap();
    assert_eq!(written.n, 2);
}

#[actix_web::test]
async fn demand_is_per_province_and_frozen_at_publication() {
    let f = published(Key::Threshold(1)).await;
    let app = &f.app;
    let buyer = app.login_demo("buyer").await;
    let own = app
        .get(&format!("/api/v1/rounds/{}/demand", f.round), &buyer)
        .await
        .expect(200)
        .body;
    assert_eq!(own["rows"].as_array().unwrap().len(), 1);
    assert_eq!(own["rows"][0]["province"], "110000");
    assert_eq!(own["totals"][0]["annual_quantity"], 1_000_000);
    let all = app
        .get(&format!("/api/v1/rounds/{}/demand", f.round), &f.officer)
        .await
        .expect(200)
        .body;
    assert_eq!(all["totals"][0]["annual_quantity"], 1_400_000);
    assert_eq!(all["rows"].as_array().unwrap().len(), 2);
    app.request(
        "PUT",
        &format!("/api/v1/rounds/{}/demand", f.round),
        Some(&buyer),
        Some(json!({"lines": [{"lot_id": f.lot, "annual_quantity": 5}]})),
    )
    .await
    .expect_problem(422);
    let supplier = app.login_demo("supplier").await;
    app.get(&format!("/api/v1/rounds/{}/demand", f.round), &supplier)
        .await
        .expect_problem(403);
}

#[actix_web::test]
async fn only_officers_run_rounds_and_drafts_stay_internal() {
    let app = TestApp::with_demo().await;
    let officer = app.login_demo("officer").await;
    let officer_id = app.me(&officer).await["id"].clone();
    let deadline = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    let body = json!({"name": "r", "kind": "drug", "preset": "batch10", "bidding_deadline": deadline, "custodians": [officer_id], "quorum": 1});
    for who in ["admin", "supplier", "buyer", "insurer", "auditor"] {
        let t = app.login_demo(who).await;
        app.post("/api/v1/rounds", &t, body.clone())
            .await
            .expect_problem(403);
    }
    let round = app
        .post("/api/v1/rounds", &officer, body.clone())
        .await
        .expect(201)
        .body;
    let id = round["id"].as_str().unwrap();
    let supplier = app.login_demo("supplier").await;
    app.get(&format!("/api/v1/rounds/{id}"), &supplier)
        .await
        .expect_problem(404);
    assert_eq!(
        app.get("/api/v1/rounds", &supplier).await.expect(200).body["total"],
        0
    );
    // invalid input is named field by field
    let bad = json!({"name": "", "kind": "food", "preset": "batch99", "bidding_deadline": "2000-01-01T00:00:00Z", "custodians": [], "quorum": 3});
    let res = app
        .post("/api/v1/rounds", &officer, bad)
        .await
        .expect_problem(422);
    let fields: BTreeSet<_> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_owned())
        .collect();
    for f in ["name", "kind", "preset", "bidding_deadline", "custodians"] {
        assert!(fields.contains(f), "{f} not named: {fields:?}");
    }
    // a supplier cannot be a custodian
    let supplier_id = app.me(&supplier).await["id"].clone();
    let res = app
        .post("/api/v1/rounds", &officer, json!({"name": "r", "kind": "drug", "preset": "batch7", "bidding_deadline": deadline, "custodians": [supplier_id], "quorum": 1}))
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "custodians");
    // cancel needs a reason, and a cancelled round stays cancelled
    app.post(
        &format!("/api/v1/rounds/{id}/cancel"),
        &officer,
        json!({"reason": " "}),
    )
    .await
    .expect_problem(422);
    let cancelled = app
        .post(
            &format!("/api/v1/rounds/{id}/cancel"),
            &officer,
            json!({"reason": "catalog error"}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(cancelled["status"], "cancelled");
    app.request(
        "POST",
        &format!("/api/v1/rounds/{id}/publish"),
        Some(&officer),
        None,
    )
    .await
    .expect_problem(422);
}

#[actix_web::test]
async fn the_worker_closes_bidding_at_the_deadline() {
    let f = published(Key::Threshold(1)).await;
    let huahai = f.app.login_demo("supplier").await;
    let bid = f
        .bid(&huahai, HUAHAI_10MG, "0.4000", None)
        .await
        .expect(201)
        .body;
    {
        let mut conn = f.app.db.connect().await;
        // a close job at the deadline and a reminder a day before were scheduled at publication
        let kinds: Vec<Dump> = diesel::sql_query(format!(
            "SELECT kind || ' ' || (run_at = (SELECT bidding_deadline FROM rounds WHERE id = '{0}'))::text AS text
             FROM jobs WHERE payload->>'round_id' = '{0}' ORDER BY kind",
            f.round
        ))
        .load(&mut conn)
        .await
        .unwrap();
        let kinds: Vec<_> = kinds.into_iter().map(|k| k.text).collect();
        assert_eq!(kinds, ["close_round true"]); // the deadline is 2 h away: no reminder
        // time passes: the deadline and the job are due
        conn.batch_execute(&format!(
            "UPDATE rounds SET bidding_deadline = clock_timestamp() WHERE id = '{0}';
             UPDATE jobs SET run_at = clock_timestamp() WHERE payload->>'round_id' = '{0}';",
            f.round
        ))
        .await
        .unwrap();
    }
    f.app.start_worker();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let round = f
            .app
            .get(&format!("/api/v1/rounds/{}", f.round), &f.officer)
            .await
            .expect(200)
            .body;
        if round["status"] == "closed" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the worker did not close the round: {round}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let register = f
        .app
        .get(&format!("/api/v1/rounds/{}/register", f.round), &huahai)
        .await
        .expect(200)
        .body;
    assert_eq!(register["bids"][0]["bid_id"], bid["bid_id"]);
}

/// Bids arriving together are written in batches (one transaction each): under
/// concurrency every receipt stays a bid, each supplier keeps exactly one live bid per
/// lot (its last one), repeated Idempotency-Keys give one bid, and each bid has exactly
/// one audit entry and one receipt mail.
#[actix_web::test]
async fn concurrent_submissions_are_written_in_batches_without_loss_or_doubles() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let qilu = app.login_demo("supplier2").await;
    let prices: Vec<(String, String)> = (0..25)
        .map(|i| (format!("0.{:04}", 2000 + i), format!("0.{:04}", 3000 + i)))
        .collect();
    let mut calls = Vec::new();
    for (h, q) in &prices {
        calls.push(f.bid(&huahai, HUAHAI_10MG, h, None));
        calls.push(f.bid(&qilu, QILU_20MG, q, None));
    }
    // the same retried request ten times at once
    for _ in 0..10 {
        calls.push(f.bid(&qilu, QILU_20MG, "0.4444", Some("retry-me")));
    }
    let responses = futures_util::future::join_all(calls).await;
    let mut receipts = BTreeSet::new();
    let mut retried = BTreeSet::new();
    for (i, r) in responses.iter().enumerate() {
        assert!(
            r.status.as_u16() == 201 || r.status.as_u16() == 200,
            "{}: {}",
            r.status,
            r.body
        );
        let id = r.body["bid_id"].as_str().unwrap().to_owned();
        if i >= 50 {
            retried.insert(id.clone());
        }
        receipts.insert(id);
    }
    assert_eq!(retried.len(), 1, "one bid for one Idempotency-Key");
    assert_eq!(receipts.len(), 51);

    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let count = |sql: String| {
        let app = &f.app;
        async move {
            let mut conn = app.db.connect().await;
            diesel::sql_query(sql)
                .get_result::<Count>(&mut conn)
                .await
                .unwrap()
                .n
        }
    };
    let round = &f.round;
    assert_eq!(
        count(format!(
            "SELECT count(*) AS n FROM bids WHERE round_id = '{round}'"
        ))
        .await,
        51
    );
    assert_eq!(
        count(format!(
            "SELECT count(*) AS n FROM bids WHERE round_id = '{round}' AND status = 'live'"
        ))
        .await,
        2
    );
    // the live bid of each supplier is its last: no later submission of it exists
    assert_eq!(
        count(format!(
            "SELECT count(*) AS n FROM bids l JOIN bids b ON b.supplier_org_id = l.supplier_org_id
              AND b.lot_id = l.lot_id AND (b.submitted_at, b.id) > (l.submitted_at, l.id)
              WHERE l.round_id = '{round}' AND l.status = 'live'"
        ))
        .await,
        0
    );
    assert_eq!(
        count(format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'bid.submit' AND details->>'round' = '{round}'"
        ))
        .await,
        51
    );
    assert_eq!(
        count("SELECT count(*) AS n FROM jobs WHERE dedupe_key LIKE 'bid_receipt:%'".into()).await,
        51
    );
    // and each replaced bid names its successor's predecessor exactly once
    assert_eq!(
        count(format!(
            "SELECT count(DISTINCT details->>'replaces') AS n FROM audit_log
              WHERE action = 'bid.submit' AND details->>'round' = '{round}' AND details->>'replaces' IS NOT NULL"
        ))
        .await,
        49
    );
}

/// At a deadline rush the job worker stands aside: with a round's deadline minutes away
/// it claims nothing (the receipts are in the responses); after the deadline it sends.
#[actix_web::test]
async fn the_job_worker_holds_receipts_back_only_while_a_rush_is_on() {
    let f = published(Key::Threshold(1)).await;
    let worker = tests::api::platform::jobs::Worker::new(
        f.app.state.pool.clone(),
        f.app.state.settings.mail.clone(),
        f.app.state.settings.jobs.clone(),
        tests::api::job_registry(),
    )
    .unwrap();
    let move_deadline = |sql: &'static str| {
        let app = &f.app;
        let round = f.round.clone();
        async move {
            let mut conn = app.db.connect().await;
            conn.batch_execute(&format!(
                "UPDATE rounds SET bidding_deadline = {sql} WHERE id = '{round}'"
            ))
            .await
            .unwrap();
        }
    };
    let pending = |template: &'static str| {
        let app = &f.app;
        async move {
            let mut conn = app.db.connect().await;
            let rows: Vec<Dump> = diesel::sql_query(format!(
                "SELECT count(*)::text AS text FROM jobs WHERE status = 'pending'
                  AND payload->>'template' = '{template}'"
            ))
            .load(&mut conn)
            .await
            .unwrap();
            rows[0].text.parse::<i64>().unwrap()
        }
    };
    let huahai = f.app.login_demo("supplier").await;
    f.bid(&huahai, HUAHAI_10MG, "0.4000", None)
        .await
        .expect(201);
    move_deadline("clock_timestamp() + interval '2 minutes'").await;
    // a deadline near but no rush: everything is sent
    while worker.run_once().await.unwrap() > 0 {}
    assert_eq!(pending("round_published").await, 0);
    assert_eq!(pending("bid_receipt").await, 0);
    // a rush (bids pouring in) near the deadline: receipts wait, other mail goes out
    let qilu = f.app.login_demo("supplier2").await;
    f.bid(&qilu, QILU_20MG, "0.7000", None).await.expect(201);
    let other = f
        .app
        .post(
            "/api/v1/users",
            &f.app.login_demo("admin").await,
            json!({"email": "new.desk@vbp.demo", "role": "supplier", "org_id": f.app.me(&qilu).await["org_id"]}),
        )
        .await
        .expect(201);
    assert!(other.body["id"].is_string());
    // the rate is measured over windows of a second
    let window = std::time::Duration::from_millis(1100);
    tests::api::platform::jobs::rush::note_bids_written(100_000);
    actix_web::rt::time::sleep(window).await;
    assert!(
        worker.run_once().await.unwrap() > 0,
        "other mail goes out during the rush"
    );
    while worker.run_once().await.unwrap() > 0 {}
    assert_eq!(
        pending("bid_receipt").await,
        1,
        "the receipt was sent during the rush"
    );
    assert_eq!(pending("user_created").await, 0);
    // the rush over (a second without bids): the receipt follows, deadline or not
    actix_web::rt::time::sleep(window).await;
    assert!(worker.run_once().await.unwrap() > 0);
    assert_eq!(pending("bid_receipt").await, 0);
}

/// Every run of 64 hex digits in `text` (SHA-256 digests and the like).
fn hex_digests(text: &str) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
    let bytes = text.as_bytes();
    let mut start = None;
    for (i, b) in bytes.iter().chain(std::iter::once(&b' ')).enumerate() {
        match (b.is_ascii_hexdigit(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                // a longer run (a hex ciphertext) holds every 64-digit window
                for w in s..=i.saturating_sub(64) {
                    if i - w >= 64 {
                        out.insert(text[w..w + 64].to_ascii_lowercase());
                    }
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// The price of a bid found by trying every 4-decimal price up to `ceiling` against the
/// digests in `digests`, as an attacker holding a dump would: each candidate request is
/// hashed the ways a server could have hashed it (unkeyed SHA-256 of the fields joined).
fn brute_force(
    digests: &std::collections::HashSet<String>,
    round: &str,
    lot: &str,
    code: &str,
    capacity: u64,
    prefs: &str,
    ceiling_ten_thousandths: u32,
) -> Option<String> {
    use sha2::{Digest, Sha256};
    for n in 1..=ceiling_ten_thousandths {
        let exact = format!("{}.{:04}", n / 10_000, n % 10_000);
        let short = exact.trim_end_matches('0').trim_end_matches('.').to_owned();
        for price in [&exact, &short] {
            for message in [
                format!("{lot}|{code}|{price}|{capacity}|{prefs}"),
                format!("{round}|{lot}|{code}|{price}|{capacity}|{prefs}"),
            ] {
                if digests.contains(&hex::encode(Sha256::digest(message.as_bytes()))) {
                    return Some(exact.clone());
                }
            }
        }
    }
    None
}

/// Whoever holds the database (a dump, a backup, a replica) cannot recompute a sealed
/// price: no digest stored beside a sealed bid (bids, register, jobs, audit log) matches
/// any price of the grid below the ceiling, and ciphertexts do not differ in length by
/// the number of digits of the price.
#[actix_web::test]
async fn a_database_dump_lets_no_sealed_price_be_recomputed() {
    let f = published(Key::Threshold(2)).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let qilu = app.login_demo("supplier2").await;
    let a = f
        .bid(&huahai, HUAHAI_10MG, "0.4321", Some("dump-a"))
        .await
        .expect(201)
        .body;
    // a shorter plaintext: a one-digit capacity and no preferences
    let mut res = app
        .client
        .post(format!("{}/api/v1/rounds/{}/bids", app.base, f.round))
        .bearer_auth(&qilu)
        .insert_header(("Idempotency-Key", "dump-b"))
        .send_json(
            &json!({"lot_id": f.lot, "product_code": QILU_20MG, "unit_price": "0.6171",
                           "annual_capacity": 7}),
        )
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201, "{:?}", res.body().await);
    let mut conn = app.db.connect().await;
    let dump = dump_everything(app).await;
    let digests = hex_digests(&dump);
    assert!(digests.contains(a["commitment"].as_str().unwrap()));
    for (code, price, capacity, prefs) in [
        (HUAHAI_10MG, "0.4321", 2_000_000, "110000,310000"),
        (QILU_20MG, "0.6171", 7, ""),
    ] {
        assert!(
            !contains_price(&dump, price),
            "{price} readable in the dump"
        );
        // the attack works on a digest of the kind the platform stored before: the test
        // would find the price if it were there
        let mut planted = digests.clone();
        planted.insert(hex::encode(<sha2::Sha256 as sha2::Digest>::digest(
            format!("{}|{code}|{price}|{capacity}|{prefs}", f.lot).as_bytes(),
        )));
        assert_eq!(
            brute_force(&planted, &f.round, &f.lot, code, capacity, prefs, 8500).as_deref(),
            Some(price)
        );
        // ... and finds nothing in the real dump
        assert_eq!(
            brute_force(&digests, &f.round, &f.lot, code, capacity, prefs, 8500),
            None,
            "the price of {code} can be recomputed from the dump"
        );
    }
    // the stored request digests are keyed (an HMAC), and the ciphertexts are padded
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        len: i64,
        #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
        request_hash: Option<String>,
    }
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT octet_length(sealed)::bigint AS len, request_hash FROM bids WHERE round_id = '{}'",
        f.round
    ))
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0].len, rows[1].len, "ciphertext lengths differ");
    assert!(
        rows.iter()
            .all(|r| r.request_hash.as_ref().is_some_and(|h| h.len() == 64))
    );
    // a retry with the same key is still recognised (the keyed digest works)
    let again = f
        .bid(&huahai, HUAHAI_10MG, "0.4321", Some("dump-a"))
        .await
        .expect(200)
        .body;
    assert_eq!(again["bid_id"], a["bid_id"]);
    f.bid(&huahai, HUAHAI_10MG, "0.4322", Some("dump-a"))
        .await
        .expect_problem(422);
}

/// A capacity is bounded by what its column holds (a stated maximum): a bid that would
/// have made the opening fail is refused at submission, and the largest accepted one
/// opens.
#[actix_web::test]
async fn capacity_past_its_column_is_refused_and_the_largest_opens() {
    let f = published(Key::Master).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let url = format!("/api/v1/rounds/{}/bids", f.round);
    for capacity in [
        json!(9_223_372_036_854_775_808u64),
        json!(u64::MAX),
        json!(1_000_000_000_001u64),
        json!(0),
    ] {
        let res = app
            .post(
                &url,
                &huahai,
                json!({"lot_id": f.lot, "product_code": HUAHAI_10MG, "unit_price": "0.4000",
                       "annual_capacity": capacity}),
            )
            .await
            .expect_problem(422);
        assert_eq!(
            res.body["errors"][0]["field"], "annual_capacity",
            "{capacity}"
        );
    }
    // a price past NUMERIC(12,4), and in exponent form
    for price in ["100000000", "1e10", "-0.5", "0.00001"] {
        let res = app
            .post(
                &url,
                &huahai,
                json!({"lot_id": f.lot, "product_code": HUAHAI_10MG, "unit_price": price,
                       "annual_capacity": 1}),
            )
            .await;
        assert_eq!(res.status.as_u16(), 422, "{price}: {}", res.body);
    }
    app.post(
        &url,
        &huahai,
        json!({"lot_id": f.lot, "product_code": HUAHAI_10MG, "unit_price": "0.4000",
               "annual_capacity": 1_000_000_000_000u64}),
    )
    .await
    .expect(201);
    f.pass_deadline().await;
    let opened = f.open("officer", None).await.expect(200).body;
    assert_eq!(opened["status"], "opened");
    let mut conn = app.db.connect().await;
    let rows: Vec<Dump> = diesel::sql_query(format!(
        "SELECT annual_capacity::text AS text FROM bids WHERE round_id = '{}'",
        f.round
    ))
    .load(&mut conn)
    .await
    .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].text, "1000000000000");
}

/// A sealed bid the opening cannot store (as one with a capacity past its column, sealed
/// before the bound existed) no longer makes the round impossible to open: it is set
/// aside as invalid, with the reason in the audit log, and the other bids open.
#[actix_web::test]
async fn an_unreadable_sealed_bid_is_invalidated_at_the_opening_not_a_500() {
    let f = published(Key::Master).await;
    let app = &f.app;
    let huahai = app.login_demo("supplier").await;
    let huahai_org = app.me(&huahai).await;
    f.bid(
        &app.login_demo("supplier2").await,
        QILU_20MG,
        "0.7000",
        None,
    )
    .await
    .expect(201);
    // sealed to the round's key exactly as the platform did before the bound
    let round = app
        .get(&format!("/api/v1/rounds/{}", f.round), &f.officer)
        .await
        .expect(200)
        .body;
    let public = hex::decode(round["public_key"].as_str().unwrap()).unwrap();
    let content = json!({"product_code": HUAHAI_10MG, "unit_price": "0.4000",
                         "annual_capacity": 9_223_372_036_854_775_808u64, "province_preferences": []});
    let org = huahai_org["org_id"].as_str().unwrap();
    let info = tests::api::bids::service::bid_info(
        f.round.parse().unwrap(),
        1,
        f.lot.parse().unwrap(),
        org.parse().unwrap(),
    );
    let sealed = sealing::seal(&public, &info, content.to_string().as_bytes()).unwrap();
    let commitment = sealing::sha256_hex(&sealed);
    let mut conn = app.db.connect().await;
    conn.batch_execute(&format!(
        "INSERT INTO bids (id, round_id, lot_id, supplier_org_id, submitted_by, terms_version, sealed,
                           commitment, submitted_at, receipt_signature)
         VALUES (gen_random_uuid(), '{}', '{}', '{org}', '{}', 1, '\\x{}', '{commitment}', now(), 'x')",
        f.round,
        f.lot,
        huahai_org["id"].as_str().unwrap(),
        hex::encode(&sealed)
    ))
    .await
    .unwrap();
    f.pass_deadline().await;
    let opened = f.open("officer", None).await.expect(200).body;
    assert_eq!(opened["status"], "opened");
    let rows: Vec<Dump> = diesel::sql_query(format!(
        "SELECT status || ' ' || coalesce(annual_capacity::text, '-') AS text FROM bids
          WHERE round_id = '{}' ORDER BY status",
        f.round
    ))
    .load(&mut conn)
    .await
    .unwrap();
    let rows: Vec<_> = rows.into_iter().map(|r| r.text).collect();
    assert_eq!(rows, ["invalidated -", "live 2000000"]);
    let auditor = app.login_demo("auditor").await;
    let entries = app
        .get("/api/v1/audit?action=bid.invalid_at_opening", &auditor)
        .await
        .expect(200)
        .body;
    assert_eq!(entries["total"], 1);
    assert!(
        entries["items"][0]["details"]["reason"]
            .as_str()
            .unwrap()
            .contains("capacity")
    );
}

/// A price past its column (`NUMERIC(12,4)`) is a 422 naming the field, not a 500.
#[actix_web::test]
async fn a_previous_price_past_its_column_is_refused() {
    let app = TestApp::with_demo().await;
    import_catalog(&app).await;
    let round = RoundBuilder::new(&app).name("上限测试").draft().await;
    let (url, officer) = (round.path("/lots"), round.officer);
    for price in ["1e10", "100000000", "-1", "0.00001", "1e-30"] {
        let res = app
            .post(
                &url,
                &officer,
                json!({"representative_code": QILU_20MG, "previous_price": price}),
            )
            .await;
        assert_eq!(res.status.as_u16(), 422, "{price}: {}", res.body);
        assert!(
            res.body.to_string().contains("previous_price"),
            "{price}: {}",
            res.body
        );
    }
    app.post(
        &url,
        &officer,
        json!({"representative_code": QILU_20MG, "previous_price": "99999999.9999"}),
    )
    .await
    .expect(201);
}

/// The rounds list sorts on the server by the fields it names; anything else is refused.
#[actix_web::test]
async fn rounds_sort_on_the_server_by_the_fields_they_name() {
    let app = TestApp::with_demo().await;
    let mut made = Vec::new();
    for name in ["乙批次", "甲批次", "丙批次"] {
        made.push(RoundBuilder::new(&app).name(name).draft().await);
    }
    let officer = made[0].officer.clone();
    let names = |sort: &'static str| {
        let (app, officer) = (&app, officer.clone());
        async move {
            app.get(&format!("/api/v1/rounds?sort={sort}"), &officer)
                .await
                .expect(200)
                .body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(names("created_at").await, ["乙批次", "甲批次", "丙批次"]);
    assert_eq!(names("-created_at").await, ["丙批次", "甲批次", "乙批次"]);
    // by name in the database's collation: all three, and `-name` the exact reverse
    let mut by_name = names("name").await;
    let mut all = by_name.clone();
    all.sort();
    assert_eq!(all, ["丙批次", "乙批次", "甲批次"]);
    by_name.reverse();
    assert_eq!(names("-name").await, by_name);
    for bad in ["price", "-", "name,created_at"] {
        app.get(&format!("/api/v1/rounds?sort={bad}"), &officer)
            .await
            .expect_problem(400);
    }
}
