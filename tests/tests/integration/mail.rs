//! Notifications: the outbox, the job worker and mail through a real SMTP server.
//! A notice is never lost, never sent twice, never sent for a rolled-back change.

#![allow(clippy::unwrap_used)]

use std::time::Duration;

use api::platform::{
    jobs::{self, Job},
    settings::MailBackend,
};
use diesel_async::AsyncConnection;
use serde_json::{Value, json};
use tests::{ServeProcess, SmtpSink, TestApp, free_port};

/// Creates a supplier user in the first supplier organisation; returns (user, org name).
async fn create_supplier_user(app: &TestApp, admin: &str, email: &str) -> (Value, String) {
    let org = app
        .get("/api/v1/orgs?kind=supplier", admin)
        .await
        .expect(200)
        .body["items"][0]
        .clone();
    let user = app.post(
        "/api/v1/users",
        admin,
        json!({"email": email, "display_name": "Zhou Min", "role": "supplier", "org_id": org["id"]}),
    )
    .await
    .expect(201)
    .body;
    (user, org["name"].as_str().unwrap().to_owned())
}

/// An app mailing through `url`, with the demo loaded and its job worker running.
async fn mailing_app(
    url: String,
    tweak: impl FnOnce(&mut api::platform::settings::Settings),
) -> TestApp {
    let app = TestApp::spawn_with(|s| {
        s.mail.backend = MailBackend::Smtp { url };
        tweak(s);
    })
    .await;
    let mut conn = app.db.connect().await;
    api::demo::load(&mut conn, Some(tests::DEMO_PASSWORD.into()))
        .await
        .unwrap();
    app.start_worker();
    app
}

async fn all_jobs(app: &TestApp) -> Vec<Job> {
    let mut conn = app.db.connect().await;
    jobs::page(&mut conn, None, 1000, 0).await.unwrap().0
}

async fn wait_until<F: Fn(&[Job]) -> bool>(
    app: &TestApp,
    what: &str,
    secs: u64,
    done: F,
) -> Vec<Job> {
    let deadline = std::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let jobs = all_jobs(app).await;
        if done(&jobs) {
            return jobs;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for {what}: {jobs:#?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

#[actix_web::test]
async fn new_user_gets_a_welcome_mail_with_the_right_recipient_subject_and_body() {
    let sink = SmtpSink::start(&[]);
    let url = sink.url();
    let app = mailing_app(url, |_| {}).await;
    let admin = app.login_demo("admin").await;
    let (_, org_name) = create_supplier_user(&app, &admin, "zhou.min@example.cn").await;
    let mails = sink.wait_for(1, 20).await;
    assert_eq!(mails.len(), 1, "{mails:#?}");
    let m = &mails[0];
    assert_eq!(m["rcpt_tos"], json!(["zhou.min@example.cn"]));
    assert_eq!(m["to"], "zhou.min@example.cn");
    assert!(m["from"].as_str().unwrap().contains("noreply@vbp.test"));
    assert_eq!(
        m["subject"],
        "【vbp】您的账户已开通 / Your vbp account is ready"
    );
    let text = m["text"].as_str().unwrap();
    assert!(text.contains("Zhou Min，您好"), "{text}");
    assert!(
        text.contains("申报企业") && text.contains("Role:         supplier"),
        "{text}"
    );
    assert!(text.contains(&format!("所属机构：{org_name}")), "{text}");
    assert!(
        text.contains(&format!("Organisation: {org_name}")),
        "{text}"
    );
    assert!(!text.contains("password:") && !text.contains(tests::DEMO_PASSWORD));
    let html = m["html"].as_str().unwrap();
    assert!(html.contains("<table") && html.contains("zhou.min@example.cn"));
    // the job is done, with the Message-ID the server received
    let jobs = wait_until(&app, "job done", 10, |j| {
        j.iter().all(|j| j.status.as_str() == "done")
    })
    .await;
    assert_eq!(jobs.len(), 1);
    assert_eq!(jobs[0].message_id.as_deref(), m["message_id"].as_str());
    assert_eq!(jobs[0].attempts, 1);
}

#[actix_web::test]
async fn with_the_smtp_server_down_jobs_retry_and_deliver_once_it_is_back() {
    let port = free_port();
    let app = mailing_app(format!("smtp://127.0.0.1:{port}"), |_| {}).await;
    let admin = app.login_demo("admin").await;
    create_supplier_user(&app, &admin, "retry.me@example.cn").await;
    create_supplier_user(&app, &admin, "retry.me.too@example.cn").await;
    // nobody listens: attempts fail and are rescheduled, not lost
    let failing = wait_until(&app, "two failed attempts each", 30, |j| {
        j.len() == 2
            && j.iter()
                .all(|j| j.attempts >= 2 && j.status.as_str() == "pending")
    })
    .await;
    assert!(
        failing
            .iter()
            .all(|j| j.last_error.as_deref().is_some_and(|e| !e.is_empty()))
    );
    let sink = SmtpSink::start_on(port, &[]);
    let mails = sink.wait_for(2, 30).await;
    wait_until(&app, "jobs done", 30, |j| {
        j.iter().all(|j| j.status.as_str() == "done")
    })
    .await;
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let mails_after = sink.messages();
    assert_eq!(mails.len(), 2);
    assert_eq!(
        mails_after.len(),
        2,
        "a message was sent twice: {mails_after:#?}"
    );
    let mut to: Vec<_> = mails_after
        .iter()
        .map(|m| m["to"].as_str().unwrap().to_owned())
        .collect();
    to.sort();
    assert_eq!(to, ["retry.me.too@example.cn", "retry.me@example.cn"]);
}

#[actix_web::test]
async fn dead_jobs_are_listed_and_an_admin_can_retry_them() {
    let port = free_port();
    let app = mailing_app(format!("smtp://127.0.0.1:{port}"), |s| {
        s.jobs.max_attempts = 2
    })
    .await;
    let admin = app.login_demo("admin").await;
    create_supplier_user(&app, &admin, "dead.letter@example.cn").await;
    wait_until(&app, "dead job", 30, |j| {
        j.len() == 1 && j[0].status.as_str() == "dead"
    })
    .await;
    let dead = app
        .get("/api/v1/admin/jobs?status=dead", &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(dead["total"], 1);
    let job = &dead["items"][0];
    assert_eq!(job["attempts"], 2);
    assert_eq!(job["summary"], "user_created to d***@example.cn");
    assert!(job["last_error"].as_str().unwrap().len() > 3);
    let id = job["id"].as_i64().unwrap();
    // only admins
    let auditor = app.login_demo("auditor").await;
    app.get("/api/v1/admin/jobs", &auditor)
        .await
        .expect_problem(403);
    app.request(
        "POST",
        &format!("/api/v1/admin/jobs/{id}/retry"),
        Some(&auditor),
        None,
    )
    .await
    .expect_problem(403);
    let sink = SmtpSink::start_on(port, &[]);
    let retried = app
        .request(
            "POST",
            &format!("/api/v1/admin/jobs/{id}/retry"),
            Some(&admin),
            None,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(retried["status"], "pending");
    assert_eq!(sink.wait_for(1, 20).await.len(), 1);
    wait_until(&app, "job done", 10, |j| j[0].status.as_str() == "done").await;
    // a job that is not dead cannot be retried
    app.request(
        "POST",
        &format!("/api/v1/admin/jobs/{id}/retry"),
        Some(&admin),
        None,
    )
    .await
    .expect_problem(422);
    app.request(
        "POST",
        "/api/v1/admin/jobs/999999/retry",
        Some(&admin),
        None,
    )
    .await
    .expect_problem(404);
    let audit = app
        .get("/api/v1/audit?action=job.retry", &auditor)
        .await
        .expect(200)
        .body;
    assert_eq!(audit["total"], 1);
}

#[actix_web::test]
async fn a_rolled_back_change_leaves_no_job_and_sends_nothing() {
    let sink = SmtpSink::start(&[]);
    let url = sink.url();
    let app = TestApp::spawn_with(|s| s.mail.backend = MailBackend::Smtp { url }).await;
    app.start_worker();
    let settings = app.state.settings.jobs.clone();
    let mut conn = app.db.connect().await;
    let ctx = json!({"name": "x", "email": "x@example.cn", "role_zh": "r", "role_en": "r", "org_name": "o", "platform_url": "u"});
    let result = conn
        .transaction(async |c| {
            jobs::enqueue_email(c, &settings, "user_created", "x@example.cn", &ctx, None)
                .await
                .unwrap();
            Err::<(), _>(diesel::result::Error::RollbackTransaction)
        })
        .await;
    assert!(result.is_err());
    // and a committed one is sent, so the worker is really running
    conn.transaction(async |c| {
        jobs::enqueue_email(
            c,
            &settings,
            "user_created",
            "y@example.cn",
            &ctx,
            Some("once"),
        )
        .await
        .unwrap();
        // the same event twice gives one job
        assert!(
            jobs::enqueue_email(
                c,
                &settings,
                "user_created",
                "y@example.cn",
                &ctx,
                Some("once")
            )
            .await
            .unwrap()
            .is_none()
        );
        Ok::<_, diesel::result::Error>(())
    })
    .await
    .unwrap();
    let mails = sink.wait_for(1, 20).await;
    actix_web::rt::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(mails.len(), 1);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(mails[0]["to"], "y@example.cn");
    assert_eq!(all_jobs(&app).await.len(), 1);
}

fn serve_env(sink: &SmtpSink, lease_secs: u64) -> Vec<(&'static str, String)> {
    vec![
        ("VBP_SMTP_URL", sink.url()),
        ("VBP_MAIL_FROM", "vbp <noreply@vbp.test>".into()),
        ("VBP_SMTP_TIMEOUT_SECS", "2".into()),
        ("VBP_JOB_LEASE_SECS", lease_secs.to_string()),
        ("VBP_JOB_BACKOFF_BASE_MS", "100".into()),
    ]
}

#[actix_web::test]
async fn a_job_interrupted_mid_send_is_delivered_exactly_once_after_restart() {
    // the server holds the first RCPT for 1.5 s: the process is killed in the middle of
    // the SMTP conversation, before the server accepted anything
    let sink = SmtpSink::start(&["--rcpt-delay", "1.5", "--delay-first", "1"]);
    let app = TestApp::spawn().await;
    let settings = app.state.settings.jobs.clone();
    let mut conn = app.db.connect().await;
    let ctx = json!({"name": "Chen Jie", "email": "chen.jie@example.cn", "role_zh": "申报企业", "role_en": "supplier", "org_name": "Qilu", "platform_url": "u"});
    let id = jobs::enqueue_email(
        &mut conn,
        &settings,
        "user_created",
        "chen.jie@example.cn",
        &ctx,
        None,
    )
    .await
    .unwrap()
    .unwrap();
    let mut first = ServeProcess::start(&app.db.url, &serve_env(&sink, 3)).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while sink.events("rcpt_delayed") == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first process never reached the SMTP server"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    first.kill();
    let job = jobs::find(&mut conn, id).await.unwrap();
    assert_eq!(
        (job.status.as_str(), job.attempts),
        ("running", 1),
        "killed while sending"
    );
    actix_web::rt::time::sleep(Duration::from_millis(1700)).await;
    assert!(
        sink.messages().is_empty(),
        "the server accepted nothing from the killed process"
    );
    // a new process takes the job over once its lease has run out, and sends it once
    let _second = ServeProcess::start(&app.db.url, &serve_env(&sink, 3)).await;
    let mails = sink.wait_for(1, 30).await;
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    let job = loop {
        let job = jobs::find(&mut conn, id).await.unwrap();
        if job.status.as_str() == "done" || std::time::Instant::now() > deadline {
            break job;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    };
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(job.status.as_str(), "done");
    assert_eq!(job.attempts, 2);
    assert_eq!(mails.len(), 1);
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(mails[0]["message_id"].as_str(), job.message_id.as_deref());
}

#[actix_web::test]
async fn two_worker_processes_never_send_the_same_job_twice() {
    let sink = SmtpSink::start(&["--data-delay", "0.02"]);
    let app = TestApp::spawn().await;
    let settings = app.state.settings.jobs.clone();
    let mut conn = app.db.connect().await;
    const N: usize = 60;
    conn.transaction(async |c| {
        for i in 0..N {
            let to = format!("supplier{i}@example.cn");
            let ctx = json!({"name": to, "email": to, "role_zh": "申报企业", "role_en": "supplier", "org_name": "Org", "platform_url": "u"});
            jobs::enqueue_email(c, &settings, "user_created", &to, &ctx, None).await.unwrap();
        }
        Ok::<_, diesel::result::Error>(())
    })
    .await
    .unwrap();
    let env = serve_env(&sink, 30);
    let a = ServeProcess::start(&app.db.url, &env).await;
    let b = ServeProcess::start(&app.db.url, &env).await;
    let mails = sink.wait_for(N, 60).await;
    // every job due is done (each server queues today's overdue scan at start, and the
    // scan queues tomorrow's: that one is not due)
    let now = chrono::Utc::now();
    let done = wait_until(&app, "all jobs done", 30, |j| {
        j.iter()
            .filter(|j| j.run_at <= now)
            .all(|j| j.status.as_str() == "done")
    })
    .await;
    let done: Vec<_> = done.into_iter().filter(|j| j.run_at <= now).collect();
    assert_eq!(
        done.iter().filter(|j| j.kind == "overdue_scan").count(),
        1,
        "two servers queue one scan a day"
    );
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    let mails_after = sink.messages();
    assert_eq!(mails.len(), N);
    assert_eq!(mails_after.len(), N, "some job was sent twice");
    let mut ids: Vec<_> = mails_after
        .iter()
        .map(|m| m["message_id"].as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), N);
    assert!(
        done.iter().all(|j| j.attempts == 1),
        "a job was attempted twice"
    );
    drop((a, b));
}
