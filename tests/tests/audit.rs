//! The audit log: append-only in the database, chained in transaction order by the
//! sealer, verified end to end; tampering by a superuser is found and named.

#![allow(clippy::unwrap_used)]

use std::process::Command;

use diesel_async::{AsyncPgConnection, SimpleAsyncConnection};
use serde_json::json;
use tests::{TestApp, api::audit, seal_all, vbp_binary};

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
