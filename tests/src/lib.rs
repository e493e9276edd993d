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
    AppState, build_app,
    settings::{DatabaseSettings, JwtSecret, LoginLimits, Settings},
};
use awc::http::StatusCode;
use diesel_async::{AsyncConnection, AsyncPgConnection, SimpleAsyncConnection};
use serde_json::{Value, json};

pub use api;

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
            api::db::run_migrations(&format!("{server}/{building}"))
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

pub fn test_settings(db_url: &str) -> Settings {
    Settings {
        database: DatabaseSettings {
            url: db_url.to_owned(),
            pool_size: 4,
            pool_timeout: Duration::from_secs(10),
        },
        bind: "127.0.0.1:0".into(),
        jwt_secret: JwtSecret(b"test-secret-that-is-at-least-32-bytes-long".to_vec()),
        token_ttl: Duration::from_secs(3600),
        login: LoginLimits::default(),
        audit_seal_interval: Duration::from_millis(50),
        workers: 1,
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
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(tweak: impl FnOnce(&mut Settings)) -> Self {
        api::telemetry::init();
        let db = TestDb::new().await;
        let mut settings = test_settings(&db.url);
        tweak(&mut settings);
        let state = web::Data::new(AppState::new(settings).unwrap());
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = HttpServer::new({
            let state = state.clone();
            move || build_app(state.clone())
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

    /// Seals pending audit entries now, as the background sealer would.
    pub async fn seal_audit(&self) -> usize {
        let mut conn = self.db.connect().await;
        api::audit::seal_pending(&mut conn).await.unwrap()
    }
}

/// The demo account (local part of the email) for each role.
pub const DEMO_BY_ROLE: &[(&str, &str)] = &[
    ("admin", "admin"),
    ("procurement_officer", "officer"),
    ("supplier", "supplier"),
    ("provincial_buyer", "buyer"),
    ("insurer", "insurer"),
    ("auditor", "auditor"),
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
