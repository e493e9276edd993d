//! The end-to-end test harness: the real application, served by a real HTTP server on
//! a loopback port, against a real PostgreSQL database of its own.
//!
//! Each test gets a fresh database cloned from a template that is migrated once per
//! migration set (named after a hash of `migrations/`), so tests run in parallel and
//! never see each other's rows. The database is dropped when the test ends.
//!
//! `DATABASE_URL` (or `VBP_TEST_DATABASE_URL`) names the server; by default
//! postgres://postgres@127.0.0.1:5432. scripts/test.sh starts one when none answers.

#![allow(clippy::unwrap_used)] // a test harness fails loudly on purpose

use std::{net::TcpListener, time::Duration};

use actix_web::{HttpServer, web};
use api::{
    bids::writer::BidWriter,
    build_app,
    platform::{
        AppState,
        settings::{
            DatabaseSettings, JobSettings, JwtSecret, LoginLimits, MailBackend, MailSettings,
            Settings,
        },
    },
};
use awc::http::StatusCode;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};

pub use api;

pub mod builders;
pub use builders::{
    CatalogBuilder, Drug, Key, Round, RoundBuilder, Supplier, new_suppliers, supplier_name,
};

pub const DEMO_PASSWORD: &str = "test-demo-password-1";

/// The server part of the database URL (no database name).
fn server_url() -> String {
    let url = std::env::var("VBP_TEST_DATABASE_URL")
        .or_else(|_| std::env::var("DATABASE_URL"))
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    // strip the database name and query
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => url[..after_scheme + slash].to_owned(),
        None => url,
    }
}

fn template_name() -> String {
    format!("vbp_tpl_{}", env!("VBP_MIGRATIONS_HASH"))
}

/// A database of one test's own, dropped at the end of the test.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn new() -> Self {
        let server = server_url();
        let admin_url = format!("{server}/postgres");
        let mut admin = AsyncPgConnection::establish(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("cannot reach PostgreSQL at {server}: {e} (run scripts/test.sh, or set DATABASE_URL)"));
        let template = template_name();
        // One process builds the template; the others wait on the lock.
        admin
            .batch_execute("SELECT pg_advisory_lock(7662705)")
            .await
            .unwrap();
        let exists: bool = {
            use diesel::{dsl::sql, sql_types::Bool};
            use diesel_async::RunQueryDsl;
            diesel::select(sql::<Bool>(&format!(
                "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{template}')"
            )))
            .get_result(&mut admin)
            .await
            .unwrap()
        };
        if !exists {
            let building = format!("{template}_building");
            admin
                .batch_execute(&format!("DROP DATABASE IF EXISTS {building} WITH (FORCE)"))
                .await
                .unwrap();
            admin
                .batch_execute(&format!("CREATE DATABASE {building}"))
                .await
                .unwrap();
            api::platform::db::run_migrations(&format!("{server}/{building}"))
                .await
                .unwrap();
            admin
                .batch_execute(&format!("ALTER DATABASE {building} RENAME TO {template}"))
                .await
                .unwrap();
        }
        admin
            .batch_execute("SELECT pg_advisory_unlock(7662705)")
            .await
            .unwrap();
        let name = format!("vbp_test_{}", uuid::Uuid::new_v4().simple());
        admin
            .batch_execute(&format!("CREATE DATABASE {name} TEMPLATE {template}"))
            .await
            .unwrap();
        Self {
            url: format!("{server}/{name}"),
            name,
        }
    }

    pub async fn connect(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url).await.unwrap()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let admin_url = format!("{}/postgres", server_url());
        let name = self.name.clone();
        // A runtime of its own: Drop may run inside or outside the test's runtime.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = AsyncPgConnection::establish(&admin_url).await {
                    let _ = c
                        .batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .await;
                }
            });
        })
        .join();
    }
}

/// A running server and its database.
pub struct TestApp {
    pub base: String,
    pub db: TestDb,
    pub state: web::Data<AppState>,
    pub client: awc::Client,
    server: actix_web::dev::ServerHandle,
}

/// 32 random bytes as hex (test keys).
pub fn random_hex() -> String {
    let a = uuid::Uuid::new_v4().simple().to_string();
    let b = uuid::Uuid::new_v4().simple().to_string();
    format!("{a}{b}")
}

pub fn test_settings(db_url: &str) -> Settings {
    Settings {
        database: DatabaseSettings {
            url: db_url.to_owned(),
            pool_size: 4,
            pool_timeout: Duration::from_secs(10),
            read_url: None,
            read_pool_size: 4,
        },
        bind: "127.0.0.1:0".into(),
        jwt_secret: JwtSecret(b"test-secret-that-is-at-least-32-bytes-long".to_vec()),
        token_ttl: Duration::from_secs(3600),
        login: LoginLimits::default(),
        audit_seal_interval: Duration::from_millis(50),
        bid_lanes: api::platform::settings::default_bid_lanes(),
        workers: 1,
        mail: MailSettings {
            backend: MailBackend::File {
                dir: std::env::temp_dir()
                    .join(format!("vbp-test-mail-{}", uuid::Uuid::new_v4().simple())),
            },
            from: "vbp 带量采购平台 <noreply@vbp.test>".into(),
            smtp_timeout: Duration::from_secs(5),
            public_url: "http://127.0.0.1:8080/".into(),
        },
        master_key: api::platform::sealing::MasterKey::from_hex(&random_hex()).unwrap(),
        receipt_key: std::sync::Arc::new(
            api::platform::sealing::ReceiptKey::from_hex(&random_hex()).unwrap(),
        ),
        ocid_prefix: api::platform::settings::DEFAULT_OCID_PREFIX.into(),
        cors_origins: Vec::new(),
        // no UI build: the tests of the UI's serving give a directory of their own
        ui_dir: std::env::temp_dir().join("vbp-test-no-ui"),
        jobs: JobSettings {
            poll_interval: Duration::from_millis(50),
            lease: Duration::from_secs(10),
            backoff_base: Duration::from_millis(200),
            backoff_max: Duration::from_secs(2),
            ..JobSettings::default()
        },
    }
}

/// A response: status, headers and the body parsed as JSON (Null when empty or not JSON).
pub struct Resp {
    pub status: StatusCode,
    pub headers: awc::http::header::HeaderMap,
    pub body: Value,
}

impl Resp {
    pub fn content_type(&self) -> &str {
        self.headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    /// Asserts the status, printing the body when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(
            self.status.as_u16(),
            status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status.
    #[track_caller]
    pub fn expect_problem(self, status: u16) -> Self {
        let s = self.expect(status);
        assert!(
            s.content_type().starts_with("application/problem+json"),
            "content type {:?}",
            s.content_type()
        );
        assert_eq!(s.body["status"], json!(status));
        assert!(
            s.body["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("/problems/"))
        );
        assert!(s.body["title"].is_string() && s.body["detail"].is_string());
        s
    }

    /// Asserts an RFC 9457 problem with this status and this machine `code`.
    #[track_caller]
    pub fn expect_code(self, status: u16, code: &str) -> Self {
        let s = self.expect_problem(status);
        assert_eq!(s.body["code"], json!(code), "body: {}", s.body);
        s
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        api::platform::telemetry::init();
        let db = TestDb::new().await;
        let mut settings = test_settings(&db.url);
        tweak(&mut settings);
        Self::serve(db, settings)
    }

    /// Stops this server and starts another on the same database, with this server's
    /// settings as `tweak` changes them (a restart with a new configuration, such as a
    /// rotated key).
    pub async fn restart_with(self, tweak: impl FnOnce(&mut Settings)) -> Self {
        let Self {
            db, server, state, ..
        } = self;
        server.stop(true).await;
        let mut settings = state.settings.clone();
        tweak(&mut settings);
        Self::serve(db, settings)
    }

    fn serve(db: TestDb, settings: Settings) -> Self {
        let state = web::Data::new(AppState::new(settings).unwrap());
        let bids = web::Data::new(BidWriter::for_state(&state));
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new({
            let state = state.clone();
            move || build_app(state.clone(), bids.clone())
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .unwrap()
        .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Self {
            base: format!("http://127.0.0.1:{port}"),
            db,
            state,
            client: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
            server: handle,
        }
    }

    /// The server with the demo organisations and users loaded (password [`DEMO_PASSWORD`]).
    pub async fn with_demo() -> Self {
        let app = Self::spawn().await;
        let mut conn = app.db.connect().await;
        api::demo::load(&mut conn, Some(DEMO_PASSWORD.into()))
            .await
            .unwrap();
        app
    }

    /// Runs the job worker of this app (mail) in the background, as `vbp serve` does.
    pub fn start_worker(&self) {
        let worker = api::platform::jobs::Worker::new(
            self.state.pool.clone(),
            self.state.settings.mail.clone(),
            self.state.settings.jobs.clone(),
            api::job_registry(),
        )
        .unwrap();
        actix_web::rt::spawn(worker.run());
    }

    pub async fn stop(&self) {
        self.server.stop(true).await;
    }

    pub async fn request(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Resp {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let mut res = match body {
            Some(b) => req.send_json(&b).await.unwrap(),
            None => req.send().await.unwrap(),
        };
        let bytes = res.body().limit(16 << 20).await.unwrap();
        Resp {
            status: res.status(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// POSTs JSON with an `Idempotency-Key` header.
    pub async fn post_with_key(&self, path: &str, token: &str, key: &str, body: Value) -> Resp {
        let mut res = self
            .client
            .post(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .insert_header(("Idempotency-Key", key))
            .send_json(&body)
            .await
            .unwrap();
        let bytes = res.body().limit(16 << 20).await.unwrap();
        Resp {
            status: res.status(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// Sends a raw body with a content type (for malformed-input tests).
    pub async fn request_raw(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: &'static str,
    ) -> Resp {
        let method = awc::http::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path))
            .insert_header(("content-type", content_type));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let mut res = req.send_body(body).await.unwrap();
        let bytes = res.body().limit(16 << 20).await.unwrap();
        Resp {
            status: res.status(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.request("GET", path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request("POST", path, Some(token), Some(body)).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Resp {
        self.request("PATCH", path, Some(token), Some(body)).await
    }

    pub async fn login_response(&self, email: &str, password: &str) -> Resp {
        self.request(
            "POST",
            "/api/v1/auth/login",
            None,
            Some(json!({ "email": email, "password": password })),
        )
        .await
    }

    /// Logs in and returns the access token; panics on failure.
    pub async fn login(&self, email: &str, password: &str) -> String {
        let res = self.login_response(email, password).await.expect(200);
        res.body["access_token"].as_str().unwrap().to_owned()
    }

    /// Logs in a demo user by the local part of its email (`admin`, `supplier2`...).
    pub async fn login_demo(&self, who: &str) -> String {
        self.login(&format!("{who}@vbp.demo"), DEMO_PASSWORD).await
    }

    /// `GET /api/v1/me` as `token`.
    pub async fn me(&self, token: &str) -> Value {
        self.get("/api/v1/me", token).await.expect(200).body
    }

    /// The actions of the audit entries `query` selects (e.g. `entity_id=...`), newest
    /// first, as the demo auditor reads them (at most 200).
    pub async fn audit_actions(&self, query: &str) -> Vec<String> {
        let auditor = self.login_demo("auditor").await;
        let log = self
            .get(&format!("/api/v1/audit?{query}&per_page=200"), &auditor)
            .await
            .expect(200)
            .body;
        log["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap().to_owned())
            .collect()
    }

    /// The recipients of the mail jobs queued with `template`, in order.
    pub async fn mail_to(&self, template: &str) -> Vec<String> {
        use diesel::{QueryableByName, sql_types::Text};
        use diesel_async::RunQueryDsl;
        #[derive(QueryableByName)]
        struct Recipient {
            #[diesel(sql_type = Text)]
            to: String,
        }
        let mut conn = self.db.connect().await;
        let rows: Vec<Recipient> = diesel::sql_query(
            "SELECT payload->>'to' AS to FROM jobs WHERE kind = 'email' AND payload->>'template' = $1 ORDER BY 1",
        )
        .bind::<Text, _>(template)
        .load(&mut conn)
        .await
        .unwrap();
        rows.into_iter().map(|r| r.to).collect()
    }

    /// Seals every audit entry written so far, as the background sealer would; returns how
    /// many were sealed. Waits while transactions elsewhere on the cluster (other tests)
    /// hold the sealing horizon back.
    pub async fn seal_audit(&self) -> usize {
        let mut conn = self.db.connect().await;
        seal_all(&mut conn).await
    }
}

/// Seals until no entry of this database waits for a seal (at most 60 s).
pub async fn seal_all(conn: &mut AsyncPgConnection) -> usize {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    let mut sealed = 0;
    loop {
        sealed += api::platform::audit::seal_pending(conn).await.unwrap();
        let report = api::platform::audit::verify(conn).await.unwrap();
        if report.unsealed == 0 {
            return sealed;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{} audit entries still unsealed after 60 s",
            report.unsealed
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

/// The body that creates a draft drug round named `name`: batch 7, master-key mode
/// (quorum 1), bidding closing in two hours.
pub fn master_round(name: &str) -> Value {
    let deadline = (chrono::Utc::now() + chrono::Duration::hours(2)).to_rfc3339();
    json!({"name": name, "kind": "drug", "preset": "batch7", "bidding_deadline": deadline,
           "key_mode": "master", "quorum": 1})
}

/// The id of one round in each status (the demo has one in each), as `token` sees them.
pub async fn rounds_by_status(
    app: &TestApp,
    token: &str,
) -> std::collections::BTreeMap<String, String> {
    let list = app
        .get("/api/v1/rounds?per_page=50", token)
        .await
        .expect(200)
        .body;
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["status"].as_str().unwrap().to_owned(),
                r["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// The demo account (local part of the email) for each role.
pub const DEMO_BY_ROLE: &[(&str, &str)] = &[
    ("admin", "admin"),
    ("procurement_officer", "officer"),
    ("supplier", "supplier"),
    ("provincial_buyer", "buyer"),
    ("insurer", "insurer"),
    ("auditor", "auditor"),
    ("hospital", "hospital"),
    ("distributor", "distributor"),
];

/// The `vbp` binary built beside the test executables.
pub fn vbp_binary() -> std::path::PathBuf {
    if let Ok(p) = std::env::var("CARGO_BIN_EXE_vbp") {
        return p.into();
    }
    let exe = std::env::current_exe().unwrap();
    // target/<profile>/deps/<test> -> target/<profile>/vbp
    let dir = exe.parent().and_then(|d| d.parent()).unwrap();
    let bin = dir.join("vbp");
    assert!(
        bin.exists(),
        "{} not found: build it with `cargo build -p api`",
        bin.display()
    );
    bin
}

/// A free TCP port on loopback (bound and released; fine for tests).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A real SMTP server on loopback (tests/smtp_sink.py, aiosmtpd) recording every message.
pub struct SmtpSink {
    child: std::process::Child,
    pub port: u16,
    out: std::path::PathBuf,
}

impl SmtpSink {
    /// Starts a sink on a free port; `options` as in smtp_sink.py.
    pub fn start(options: &[&str]) -> Self {
        Self::start_on(0, options)
    }

    pub fn start_on(port: u16, options: &[&str]) -> Self {
        use std::io::BufRead;
        let python = std::env::var("VBP_TEST_PYTHON").unwrap_or_else(|_| {
            let venv = workspace_root().join(".vbp/venv/bin/python");
            if venv.exists() {
                venv.display().to_string()
            } else {
                "python3".into()
            }
        });
        let out =
            std::env::temp_dir().join(format!("vbp-smtp-{}.jsonl", uuid::Uuid::new_v4().simple()));
        std::fs::write(&out, "").unwrap();
        let mut child = std::process::Command::new(&python)
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/smtp_sink.py"))
            .args(["--port", &port.to_string(), "--out"])
            .arg(&out)
            .args(options)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {python} tests/smtp_sink.py: {e} (scripts/test.sh installs aiosmtpd)"));
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .strip_prefix("READY ")
            .unwrap_or_else(|| {
                panic!("smtp sink did not start (is aiosmtpd installed for {python}?): {line:?}")
            })
            .parse()
            .unwrap();
        Self { child, port, out }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    fn records(&self) -> Vec<Value> {
        std::fs::read_to_string(&self.out)
            .unwrap_or_default()
            .lines()
            .filter_map(|l| serde_json::from_str(l).ok())
            .collect()
    }

    /// Messages accepted so far.
    pub fn messages(&self) -> Vec<Value> {
        self.records()
            .into_iter()
            .filter(|r| r["event"] == "message")
            .collect()
    }

    /// Events other than messages (e.g. `rcpt_delayed`).
    pub fn events(&self, kind: &str) -> usize {
        self.records().iter().filter(|r| r["event"] == kind).count()
    }

    /// Waits until at least `n` messages arrived (at most `secs`); returns them all.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Value> {
        let deadline = std::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let got = self.messages();
            if got.len() >= n || std::time::Instant::now() > deadline {
                return got;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.out);
    }
}

/// A real `vbp serve` process (for tests that kill processes or run several).
pub struct ServeProcess {
    child: std::process::Child,
    pub base: String,
    pub log: std::path::PathBuf,
}

impl ServeProcess {
    /// Starts `vbp serve` on `db_url` with these extra environment variables and waits
    /// until it answers /healthz.
    pub async fn start(db_url: &str, env: &[(&str, String)]) -> Self {
        let port = free_port();
        let log =
            std::env::temp_dir().join(format!("vbp-serve-{}.log", uuid::Uuid::new_v4().simple()));
        let mut cmd = std::process::Command::new(vbp_binary());
        cmd.arg("serve")
            .env("DATABASE_URL", db_url)
            .env("VBP_BIND", format!("127.0.0.1:{port}"))
            .env(
                "VBP_JWT_SECRET",
                "test-secret-that-is-at-least-32-bytes-long",
            )
            .env("VBP_MASTER_KEY", random_hex())
            .env("VBP_RECEIPT_KEY", random_hex())
            .env("VBP_WORKERS", "1")
            .env("VBP_DB_POOL_SIZE", "4")
            .env("VBP_JOB_POLL_MS", "50")
            .env("RUST_LOG", "info")
            .stdout(std::fs::File::create(&log).unwrap())
            .stderr(std::fs::File::create(log.with_extension("err")).unwrap());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let client = awc::Client::default();
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(res) = client.get(format!("{base}/healthz")).send().await
                && res.status() == 200
            {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "vbp serve did not start; see {}",
                log.with_extension("err").display()
            );
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        }
        Self { child, base, log }
    }

    /// SIGKILL: no chance to finish anything.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

impl TestApp {
    /// Sends bytes with a content type (CSV uploads).
    pub async fn post_bytes(
        &self,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<actix_web::web::Bytes>,
    ) -> Resp {
        let mut req = self
            .client
            .post(format!("{}{}", self.base, path))
            .insert_header(("content-type", content_type));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let mut res = req.send_body(body.into()).await.unwrap();
        let bytes = res.body().limit(16 << 20).await.unwrap();
        Resp {
            status: res.status(),
            headers: res.headers().clone(),
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    /// A GET whose body is text (CSV exports): status, content type and the text.
    pub async fn get_text(&self, path: &str, token: &str) -> (u16, String, String) {
        let mut res = self
            .client
            .get(format!("{}{}", self.base, path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap();
        let bytes = res.body().limit(256 << 20).await.unwrap();
        let ct = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        (
            res.status().as_u16(),
            ct,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }
}

/// Runs the schema validator installed by scripts/ocds-schema.sh on `package`.
pub fn validate_ocds(package: &Value) -> (bool, String) {
    let dir = std::env::var("VBP_OCDS_SCHEMA_DIR").unwrap_or_else(|_| {
        let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../.vbp/ocds-schema");
        d.display().to_string()
    });
    assert!(
        std::path::Path::new(&dir)
            .join("release-schema.json")
            .exists(),
        "the OCDS schema is not installed in {dir}: run scripts/test.sh (or scripts/ocds-schema.sh)"
    );
    let python = std::env::var("VBP_TEST_PYTHON").unwrap_or_else(|_| {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../.vbp/venv/bin/python")
            .display()
            .to_string()
    });
    let file = std::env::temp_dir().join(format!("vbp-ocds-{}.json", uuid::Uuid::new_v4()));
    std::fs::write(&file, serde_json::to_vec_pretty(package).unwrap()).unwrap();
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ocds/validate_ocds.py");
    let mut cmd = std::process::Command::new(python);
    cmd.arg(script).arg(&dir).arg(&file);
    // where the lots and bids extensions add fields to the core schema
    for field in [
        "$.releases[*].tender.lots",
        "$.releases[*].tender.items[*].relatedLot",
        "$.releases[*].bids",
        "$.releases[*].awards[*].relatedLots",
        "$.releases[*].awards[*].items[*].relatedLot",
        "$.releases[*].contracts[*].items[*].relatedLot",
    ] {
        cmd.arg("--extension-field").arg(field);
    }
    let out = cmd.output().unwrap();
    let _ = std::fs::remove_file(&file);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
