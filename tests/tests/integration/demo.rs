//! `vbp demo`: the accounts of API.md, the catalog, and one round in each state, built
//! through the real application; and a second run changes nothing.

#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;

use tests::{DEMO_PASSWORD, TestApp};

#[actix_web::test]
async fn demo_loads_one_round_in_each_state_and_is_idempotent() {
    let app = TestApp::with_demo().await;
    let report = tests::api::demo::rounds::load(app.state.settings.clone())
        .await
        .unwrap();
    assert!(report.contains("opened"), "{report}");
    let officer = app.login_demo("officer").await;
    let rounds = app
        .get("/api/v1/rounds?per_page=50", &officer)
        .await
        .expect(200)
        .body;
    let mut by_status = BTreeMap::new();
    for r in rounds["items"].as_array().unwrap() {
        *by_status
            .entry(r["status"].as_str().unwrap().to_owned())
            .or_insert(0) += 1;
    }
    for status in [
        "draft",
        "demand_collection",
        "bidding_open",
        "closed",
        "opened",
        "evaluated",
        "awarded",
        "cancelled",
        "completed",
    ] {
        assert_eq!(by_status.get(status), Some(&1), "{status}: {by_status:?}");
    }
    // the opened round's bids are revealed; the open one's stay sealed
    let auditor = app.login_demo("auditor").await;
    let open_round = rounds["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "opened")
        .unwrap();
    let register = app
        .get(
            &format!(
                "/api/v1/rounds/{}/register",
                open_round["id"].as_str().unwrap()
            ),
            &auditor,
        )
        .await
        .expect(200)
        .body;
    assert!(register["bids"].as_array().unwrap().len() >= 3);
    // the awarded round publishes its results, contracts and OCDS record to everyone
    let awarded = rounds["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "awarded")
        .unwrap();
    let id = awarded["id"].as_str().unwrap();
    let supplier = app.login_demo("supplier").await;
    let results = app
        .get(&format!("/api/v1/rounds/{id}/results"), &supplier)
        .await
        .expect(200)
        .body;
    assert!(
        results["summary"]["winning_bids"].as_u64().unwrap() >= 3,
        "{results}"
    );
    let contracts = app
        .get(&format!("/api/v1/contracts?round_id={id}"), &officer)
        .await
        .expect(200)
        .body;
    assert!(contracts["total"].as_i64().unwrap() >= 31, "{contracts}");
    let ocds = app
        .get(&format!("/api/v1/rounds/{id}/ocds"), &supplier)
        .await
        .expect(200)
        .body;
    assert_eq!(ocds["version"], "1.1");
    // every demo account of API.md logs in with the demo password
    for who in [
        "admin",
        "officer",
        "officer2",
        "officer3",
        "supplier",
        "supplier2",
        "buyer",
        "buyer2",
        "insurer",
        "auditor",
    ] {
        app.login(&format!("{who}@vbp.demo"), DEMO_PASSWORD).await;
    }
    // a second run changes nothing
    let again = tests::api::demo::rounds::load(app.state.settings.clone())
        .await
        .unwrap();
    assert!(again.contains("exist already"), "{again}");
    let mut conn = app.db.connect().await;
    tests::api::demo::load(&mut conn, None).await.unwrap();
    let total = app.get("/api/v1/rounds", &officer).await.expect(200).body["total"].clone();
    assert_eq!(total, 9);
    assert!(tests::seal_all(&mut conn).await > 0);
    assert!(
        tests::api::platform::audit::verify(&mut conn)
            .await
            .unwrap()
            .intact
    );
}
