//! The audit log: append-only in the database, chained in transaction order by the
//! sealer, verified end to end; tampering by a superuser is found and named.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use serde_json::json;
use tests::{TestApp, api::platform::audit, seal_all, vbp_binary};

async fn write(conn: &mut AsyncPgConnection, tag: &str) {
    audit::record(
        conn,
        &audit::Actor::system(),
        "test.write",
        "test",
        tag,
        json!({ "tag": tag }),
    )
    .await
    .unwrap();
}

#[actix_web::test]
async fn chain_verifies_after_real_changes() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    app.post(
        "/api/v1/orgs",
        &admin,
        json!({"name": "Audit Test Pharma", "kind": "supplier"}),
    )
    .await
    .expect(201);
    let sealed = app.seal_audit().await;
    assert!(sealed > 80, "sealed {sealed}");
    let auditor = app.login_demo("auditor").await; // one more entry, unsealed
    let report = app
        .get("/api/v1/audit/verify", &auditor)
        .await
        .expect(200)
        .body;
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["checked"].as_u64().unwrap(), sealed as u64);
    assert_eq!(report["unsealed"], 1);
    assert_eq!(report["head_hash"].as_str().unwrap().len(), 64);
    // the org creation is in the log, attributed to the admin, with its seal number
    let entries = app
        .get(
            "/api/v1/audit?action=org.create&entity_type=organisation&per_page=200",
            &auditor,
        )
        .await
        .expect(200)
        .body;
    let mine: Vec<_> = entries["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["details"]["name"] == "Audit Test Pharma")
        .collect();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0]["actor_role"], "admin");
    assert!(mine[0]["seq"].as_i64().unwrap() > 0);
    // the CLI agrees
    let out = Command::new(vbp_binary())
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&format!("{sealed} entries verified")));
}

#[actix_web::test]
async fn database_refuses_update_delete_and_truncate() {
    let app = TestApp::with_demo().await;
    app.seal_audit().await;
    let mut conn = app.db.connect().await;
    for sql in [
        "UPDATE audit_log SET details = '{}' WHERE id = 1",
        "DELETE FROM audit_log WHERE id = 1",
        "TRUNCATE audit_log CASCADE",
        "UPDATE audit_seal SET hash = prev_hash WHERE seq = 1",
        "DELETE FROM audit_seal WHERE seq = 1",
        "TRUNCATE audit_seal",
    ] {
        let err = conn.batch_execute(sql).await.expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
}

#[actix_web::test]
async fn superuser_tampering_is_named_by_vbp_audit_verify() {
    let app = TestApp::with_demo().await;
    app.seal_audit().await;
    let mut conn = app.db.connect().await;
    // a superuser bypasses the triggers and rewrites entry 5
    conn.batch_execute(
        "BEGIN; SET LOCAL session_replication_role = replica;
         UPDATE audit_log SET details = '{\"email\": \"someone-else@vbp.demo\"}' WHERE id = 5;
         COMMIT;",
    )
    .await
    .unwrap();
    let out = Command::new(vbp_binary())
        .args(["audit", "verify"])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(stderr.contains("audit entry 5"), "{stderr}");
    assert!(stderr.contains("altered"), "{stderr}");
    // the API reports the same break
    let auditor = app.login_demo("auditor").await;
    let report = app
        .get("/api/v1/audit/verify", &auditor)
        .await
        .expect(200)
        .body;
    assert_eq!(report["intact"], false);
    assert_eq!(report["first_break"]["entry_id"], 5);
    assert_eq!(report["checked"], 4);
}

#[actix_web::test]
async fn deleted_entry_and_forged_seal_are_found() {
    let app = TestApp::with_demo().await;
    app.seal_audit().await;
    let mut conn = app.db.connect().await;
    conn.batch_execute(
        "BEGIN; SET LOCAL session_replication_role = replica;
         DELETE FROM audit_log WHERE id = 7;
         COMMIT;",
    )
    .await
    .unwrap();
    let report = audit::verify(&mut conn).await.unwrap();
    let b = report.first_break.unwrap();
    assert_eq!((b.seq, b.entry_id), (7, Some(7)));
    assert!(b.reason.contains("deleted"), "{}", b.reason);

    // recomputing the hash of an altered entry does not help: the next seal no longer links
    let app = TestApp::with_demo().await;
    app.seal_audit().await;
    let mut conn = app.db.connect().await;
    conn.batch_execute(
        "BEGIN; SET LOCAL session_replication_role = replica;
         UPDATE audit_seal SET hash = sha256(hash) WHERE seq = 3;
         COMMIT;",
    )
    .await
    .unwrap();
    let b = audit::verify(&mut conn).await.unwrap().first_break.unwrap();
    assert_eq!(b.seq, 3);
}

#[actix_web::test]
async fn entries_are_sealed_in_commit_order_and_never_skipped() {
    let app = TestApp::spawn().await;
    let mut a = app.db.connect().await;
    let mut b = app.db.connect().await;
    let mut sealer = app.db.connect().await;
    // A opens a transaction and writes first, but commits last
    a.batch_execute("BEGIN").await.unwrap();
    write(&mut a, "a").await;
    write(&mut b, "b1").await;
    write(&mut b, "b2").await;
    // B's entries are committed, but a transaction older than them is still running:
    // nothing after A may be chained yet, or A's entry would have to be skipped.
    assert_eq!(audit::seal_pending(&mut sealer).await.unwrap(), 0);
    a.batch_execute("COMMIT").await.unwrap();
    // (the horizon is cluster-wide: transactions of other tests may delay, never reorder)
    assert_eq!(seal_all(&mut sealer).await, 3);
    let report = audit::verify(&mut sealer).await.unwrap();
    assert!(
        report.intact && report.checked == 3 && report.unsealed == 0,
        "{report:?}"
    );
    // and A's entry comes first in the chain
    let auditor_view = audit::page(&mut sealer, &Default::default(), 10, 0)
        .await
        .unwrap()
        .0;
    let seq_of = |tag: &str| {
        auditor_view
            .iter()
            .find(|(e, _)| e.entity_id == tag)
            .unwrap()
            .1
            .unwrap()
    };
    assert!(seq_of("a") < seq_of("b1") && seq_of("b1") < seq_of("b2"));
    // a rolled-back transaction leaves nothing to seal
    a.batch_execute("BEGIN").await.unwrap();
    write(&mut a, "rolled back").await;
    a.batch_execute("ROLLBACK").await.unwrap();
    assert_eq!(audit::seal_pending(&mut sealer).await.unwrap(), 0);
    let report = audit::verify(&mut sealer).await.unwrap();
    assert_eq!((report.checked, report.unsealed), (3, 0));
}

#[actix_web::test]
async fn concurrent_writers_and_sealers_give_one_intact_chain() {
    let app = TestApp::spawn().await;
    const WRITERS: usize = 8;
    const PER_WRITER: usize = 60;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let url = app.db.url.clone();
        tasks.push(actix_web::rt::spawn(async move {
            use diesel_async::AsyncConnection;
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            for i in 0..PER_WRITER {
                // some entries share a transaction, some are alone
                conn.transaction(async |c| {
                    write(c, &format!("{w}-{i}-x")).await;
                    if i % 3 == 0 {
                        write(c, &format!("{w}-{i}-y")).await;
                    }
                    Ok::<_, diesel::result::Error>(())
                })
                .await
                .unwrap();
            }
        }));
    }
    // two sealers race the writers and each other
    let mut sealers = Vec::new();
    for _ in 0..2 {
        let url = app.db.url.clone();
        sealers.push(actix_web::rt::spawn(async move {
            use diesel_async::AsyncConnection;
            let mut conn = AsyncPgConnection::establish(&url).await.unwrap();
            let mut sealed = 0;
            for _ in 0..40 {
                sealed += audit::seal_pending(&mut conn).await.unwrap();
                actix_web::rt::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            sealed
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let mut during = 0;
    for s in sealers {
        during += s.await.unwrap();
    }
    let mut conn = app.db.connect().await;
    let after = seal_all(&mut conn).await;
    let expected = WRITERS * (PER_WRITER + PER_WRITER.div_ceil(3));
    assert_eq!(during + after, expected);
    let report = audit::verify(&mut conn).await.unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked as usize, expected);
    assert_eq!(report.unsealed, 0);
}

/// The server's whole log of a run (every request of a login, a failed login, a user
/// created with a password, custodians fetching and presenting their opening-key shares,
/// a sealed bid) holds no password, token, share, key or sealed price, even at debug
/// level.
#[actix_web::test]
async fn the_servers_log_holds_no_secret() {
    use tests::{ServeProcess, random_hex};
    let db = tests::TestDb::new().await;
    let (master, receipt) = (random_hex(), random_hex());
    let jwt = "log-test-secret-that-is-at-least-32-bytes-long";
    let password = "demo-password-in-no-log-1";
    let mail = std::env::temp_dir().join(format!("vbp-log-mail-{}", uuid::Uuid::new_v4().simple()));
    let env = [
        ("VBP_MASTER_KEY", master.clone()),
        ("VBP_RECEIPT_KEY", receipt.clone()),
        ("VBP_JWT_SECRET", jwt.to_owned()),
        ("VBP_MAIL_DIR", mail.display().to_string()),
        ("RUST_LOG", "debug".to_owned()),
    ];
    let demo = Command::new(vbp_binary())
        .args(["demo", "--password", password])
        .env("DATABASE_URL", &db.url)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .unwrap();
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    let mut server = ServeProcess::start(&db.url, &env).await;
    let client = awc::Client::default();
    let base = server.base.clone();
    let login = |email: &'static str, pw: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let mut res = client
                .post(format!("{base}/api/v1/auth/login"))
                .send_json(&json!({"email": email, "password": pw}))
                .await
                .unwrap();
            let body: serde_json::Value = res.json().await.unwrap_or_default();
            body["access_token"].as_str().unwrap_or_default().to_owned()
        }
    };
    let call =
        |method: &'static str, path: String, token: String, body: Option<serde_json::Value>| {
            let client = client.clone();
            let base = base.clone();
            async move {
                let req = client
                    .request(
                        awc::http::Method::from_bytes(method.as_bytes()).unwrap(),
                        format!("{base}{path}"),
                    )
                    .bearer_auth(token);
                let mut res = match body {
                    Some(b) => req.send_json(&b).await.unwrap(),
                    None => req.send().await.unwrap(),
                };
                let status = res.status().as_u16();
                let body: serde_json::Value = res.json().limit(16 << 20).await.unwrap_or_default();
                (status, body)
            }
        };
    let mut secrets: Vec<String> = vec![
        password.into(),
        master.clone(),
        receipt.clone(),
        jwt.into(),
        "wrong-password-in-no-log-2".into(),
        "new-user-password-in-no-log-3".into(),
    ];
    let admin = login("admin@vbp.demo", password).await;
    assert!(!admin.is_empty());
    assert!(
        login("admin@vbp.demo", "wrong-password-in-no-log-2")
            .await
            .is_empty()
    );
    let (_, me) = call("GET", "/api/v1/me".into(), admin.clone(), None).await;
    let (status, _) = call(
        "POST",
        "/api/v1/users".into(),
        admin.clone(),
        Some(json!({"email": "log-test@vbp.demo", "role": "auditor",
                    "org_id": me["org_id"], "password": "new-user-password-in-no-log-3"})),
    )
    .await;
    assert!(matches!(status, 201 | 422), "{status}"); // an admin's org may not hold auditors
    // the closed demo round: two custodians fetch and present their shares
    let officer = login("officer@vbp.demo", password).await;
    let officer2 = login("officer2@vbp.demo", password).await;
    let supplier = login("supplier@vbp.demo", password).await;
    let (_, rounds) = call(
        "GET",
        "/api/v1/rounds?status=closed".into(),
        officer.clone(),
        None,
    )
    .await;
    let closed = rounds["items"][0]["id"].as_str().unwrap().to_owned();
    for t in [&officer, &officer2] {
        let (status, share) = call(
            "GET",
            format!("/api/v1/rounds/{closed}/key-shares/mine"),
            t.clone(),
            None,
        )
        .await;
        assert_eq!(status, 200, "{share}");
        let share = share["share"].as_str().unwrap().to_owned();
        let (status, _) = call(
            "POST",
            format!("/api/v1/rounds/{closed}/open"),
            t.clone(),
            Some(json!({"share": share})),
        )
        .await;
        assert_eq!(status, 200);
        secrets.push(share);
    }
    // a sealed bid in the open round
    let (_, open) = call(
        "GET",
        "/api/v1/rounds?status=bidding_open".into(),
        officer.clone(),
        None,
    )
    .await;
    let open = open["items"][0]["id"].as_str().unwrap().to_owned();
    let (_, mine) = call(
        "GET",
        format!("/api/v1/rounds/{open}/bids"),
        supplier.clone(),
        None,
    )
    .await;
    let lot = mine["items"][0]["lot_id"].clone();
    let (_, lots) = call(
        "GET",
        format!("/api/v1/rounds/{open}/lots"),
        supplier.clone(),
        None,
    )
    .await;
    let _ = lots;
    let (status, body) = call(
        "POST",
        format!("/api/v1/rounds/{open}/bids"),
        supplier.clone(),
        Some(
            json!({"lot_id": lot, "product_code": "NO-SUCH-CODE", "unit_price": "0.3141",
                    "annual_capacity": 1000}),
        ),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    // a search: its terms are no secret, but the log keeps no query string at all
    let (status, _) = call(
        "GET",
        "/api/v1/catalog/items?q=query-term-in-no-log-4".into(),
        supplier.clone(),
        None,
    )
    .await;
    assert_eq!(status, 200);
    secrets.push("query-term-in-no-log-4".into());
    for t in [&admin, &officer, &officer2, &supplier] {
        secrets.push(t.clone());
        // the signature alone identifies a token
        secrets.push(t.rsplit('.').next().unwrap().to_owned());
    }
    call("POST", "/api/v1/auth/logout".into(), supplier.clone(), None).await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    server.kill();
    let mut log = std::fs::read_to_string(&server.log).unwrap_or_default();
    log.push_str(&std::fs::read_to_string(server.log.with_extension("err")).unwrap_or_default());
    assert!(
        log.contains("/api/v1/auth/login"),
        "the log has no requests: {log}"
    );
    assert!(log.contains("/key-shares/mine"));
    for s in &secrets {
        assert!(s.len() >= 16, "a short secret {s:?} would prove nothing");
        assert!(!log.contains(s.as_str()), "the log holds a secret: {s}");
    }
    assert!(!log.contains("0.3141"), "the log holds a bid's price");
    let _ = std::fs::remove_dir_all(&mail);
}

#[actix_web::test]
async fn the_log_is_partitioned_by_month_and_every_partition_is_append_only() {
    use diesel::{QueryableByName, sql_types::Text};
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = Text)]
        name: String,
    }
    let app = TestApp::spawn().await;
    let mut conn = app.db.connect().await;
    // this month's partition and the next three's exist once the sealer has run its check
    audit::ensure_partitions(&mut conn).await.unwrap();
    let db = &app.db;
    let names = |sql: &'static str| {
        let url = db.url.clone();
        async move {
            let mut c = <AsyncPgConnection as diesel_async::AsyncConnection>::establish(&url)
                .await
                .unwrap();
            diesel::sql_query(sql)
                .load::<Name>(&mut c)
                .await
                .unwrap()
                .into_iter()
                .map(|n| n.name)
                .collect::<Vec<_>>()
        }
    };
    let months = names(
        "SELECT to_char(date_trunc('month', now()) + make_interval(months => m), '\"audit_log_\"YYYYMM') AS name
         FROM generate_series(0, 3) m
         WHERE to_regclass(to_char(date_trunc('month', now()) + make_interval(months => m), '\"audit_log_\"YYYYMM')) IS NOT NULL",
    )
    .await;
    assert_eq!(months.len(), 4, "{months:?}");
    assert_eq!(audit::ensure_partitions(&mut conn).await.unwrap(), 0);
    // entries land in this month's partition
    write(&mut conn, "partitioned").await;
    tests::api::demo::load(&mut conn, Some(tests::DEMO_PASSWORD.into()))
        .await
        .unwrap();
    let holding = names("SELECT DISTINCT tableoid::regclass::text AS name FROM audit_log").await;
    assert_eq!(holding, [months[0].clone()]);
    // a partition refuses change as the log does
    for sql in [
        format!("UPDATE {} SET details = '{{}}'", months[0]),
        format!("DELETE FROM {}", months[0]),
        format!("TRUNCATE {}", months[0]),
        format!("TRUNCATE {}", months[3]),
        "TRUNCATE audit_log_default".to_owned(),
    ] {
        let err = conn.batch_execute(&sql).await.expect_err(&sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    // and the chain verifies across it
    seal_all(&mut conn).await;
    let report = audit::verify(&mut conn).await.unwrap();
    assert!(report.first_break.is_none() && report.checked > 0);
}
