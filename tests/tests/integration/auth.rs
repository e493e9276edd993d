//! Login, tokens and sessions: every way in, and every way a token must stop working.

#![allow(clippy::unwrap_used)]

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD as B64};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};
use tests::{DEMO_BY_ROLE, DEMO_PASSWORD, TestApp};

fn claims_of(token: &str) -> Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&B64.decode(payload).unwrap()).unwrap()
}

fn sign(claims: &Value, secret: &[u8]) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret),
    )
    .unwrap()
}

#[actix_web::test]
async fn every_role_logs_in_and_sees_itself() {
    let app = TestApp::with_demo().await;
    for (role, who) in DEMO_BY_ROLE {
        let res = app
            .login_response(&format!("{who}@vbp.demo"), DEMO_PASSWORD)
            .await
            .expect(200);
        assert_eq!(res.body["token_type"], "Bearer");
        assert!(res.body["expires_in"].as_u64().unwrap() > 0);
        assert_eq!(res.body["user"]["role"], *role);
        let token = res.body["access_token"].as_str().unwrap();
        let claims = claims_of(token);
        assert_eq!(claims["role"], *role);
        for claim in ["sub", "org", "iat", "exp", "jti"] {
            assert!(!claims[claim].is_null(), "claim {claim} missing");
        }
        let me = app.get("/api/v1/me", token).await.expect(200);
        assert_eq!(me.body["email"], format!("{who}@vbp.demo"));
        assert_eq!(me.body["role"], *role);
    }
    // buyers and insurers carry their province
    let buyer = app.login_demo("buyer2").await;
    assert_eq!(claims_of(&buyer)["province"], "310000");
    let me = app.get("/api/v1/me", &buyer).await.expect(200);
    assert_eq!(me.body["province"], "310000");
}

#[actix_web::test]
async fn login_is_case_insensitive_on_email() {
    let app = TestApp::with_demo().await;
    app.login_response("  Officer@VBP.demo ", DEMO_PASSWORD)
        .await
        .expect(200);
}

#[actix_web::test]
async fn wrong_password_and_unknown_user_are_401_alike() {
    let app = TestApp::with_demo().await;
    let wrong = app
        .login_response("officer@vbp.demo", "not-the-password")
        .await
        .expect_problem(401);
    let unknown = app
        .login_response("nobody@vbp.demo", DEMO_PASSWORD)
        .await
        .expect_problem(401);
    // the answer does not reveal whether the account exists
    assert_eq!(wrong.body["detail"], unknown.body["detail"]);
}

#[actix_web::test]
async fn missing_or_malformed_authorization_is_401() {
    let app = TestApp::with_demo().await;
    let res = app
        .request("GET", "/api/v1/me", None, None)
        .await
        .expect_problem(401);
    assert_eq!(res.headers.get("www-authenticate").unwrap(), "Bearer");
    app.request_raw("GET", "/api/v1/me", None, "application/json", "")
        .await
        .expect_problem(401);
    app.get("/api/v1/me", "not.a.jwt").await.expect_problem(401);
}

#[actix_web::test]
async fn expired_token_is_401() {
    let app = TestApp::with_demo().await;
    let token = app.login_demo("officer").await;
    let mut claims = claims_of(&token);
    let now = Utc::now().timestamp();
    claims["iat"] = json!(now - 7200);
    claims["exp"] = json!(now - 3600);
    let expired = sign(&claims, &app.state.settings.jwt_secret.0);
    let res = app.get("/api/v1/me", &expired).await.expect_problem(401);
    assert!(res.body["detail"].as_str().unwrap().contains("expired"));
    // the same claims, unexpired, are accepted: the expiry is what failed
    claims["exp"] = json!(now + 600);
    app.get(
        "/api/v1/me",
        &sign(&claims, &app.state.settings.jwt_secret.0),
    )
    .await
    .expect(200);
}

#[actix_web::test]
async fn token_signed_with_another_key_is_401() {
    let app = TestApp::with_demo().await;
    let token = app.login_demo("admin").await;
    let forged = sign(&claims_of(&token), b"another-secret-of-at-least-32-bytes!!");
    app.get("/api/v1/me", &forged).await.expect_problem(401);
    app.get("/api/v1/orgs", &forged).await.expect_problem(401);
}

#[actix_web::test]
async fn alg_none_token_is_401() {
    let app = TestApp::with_demo().await;
    let token = app.login_demo("admin").await;
    let header = B64.encode(br#"{"alg":"none","typ":"JWT"}"#);
    let payload = token.split('.').nth(1).unwrap();
    for unsigned in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}"),
    ] {
        app.get("/api/v1/me", &unsigned).await.expect_problem(401);
    }
}

#[actix_web::test]
async fn tampered_role_claim_is_401() {
    let app = TestApp::with_demo().await;
    let token = app.login_demo("supplier").await;
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut claims = claims_of(&token);
    claims["role"] = json!("admin");
    parts[1] = B64.encode(serde_json::to_vec(&claims).unwrap());
    let tampered = parts.join(".");
    app.get("/api/v1/orgs", &tampered).await.expect_problem(401);
    // and a correctly signed token whose role disagrees with the account is refused too
    let resigned = sign(&claims, &app.state.settings.jwt_secret.0);
    app.get("/api/v1/orgs", &resigned).await.expect_problem(401);
    // the untouched token still works, within its role
    app.get("/api/v1/me", &token).await.expect(200);
}

#[actix_web::test]
async fn logged_out_token_is_401() {
    let app = TestApp::with_demo().await;
    let token = app.login_demo("buyer").await;
    let other_session = app.login_demo("buyer").await;
    app.get("/api/v1/me", &token).await.expect(200);
    app.request("POST", "/api/v1/auth/logout", Some(&token), None)
        .await
        .expect(204);
    let res = app.get("/api/v1/me", &token).await.expect_problem(401);
    assert!(
        res.body["detail"]
            .as_str()
            .unwrap()
            .contains("session has ended")
    );
    // logging out ends that session only
    app.get("/api/v1/me", &other_session).await.expect(200);
}

#[actix_web::test]
async fn deactivated_users_old_token_is_401_and_login_refused() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let token = app.login_demo("supplier2").await;
    let me = app.get("/api/v1/me", &token).await.expect(200);
    let id = me.body["id"].as_str().unwrap().to_owned();
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({ "active": false }),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &token).await.expect_problem(401);
    let res = app
        .login_response("supplier2@vbp.demo", DEMO_PASSWORD)
        .await
        .expect_problem(401);
    assert!(res.body["detail"].as_str().unwrap().contains("deactivated"));
    // reactivated, the user can log in again, but the old token stays dead
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({ "active": true }),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &token).await.expect_problem(401);
    app.login_demo("supplier2").await;
}

#[actix_web::test]
async fn suspended_organisation_locks_out_its_users() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let token = app.login_demo("insurer").await;
    let org_id = app.get("/api/v1/me", &token).await.body["org_id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &format!("/api/v1/orgs/{org_id}"),
        &admin,
        json!({ "status": "suspended" }),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &token).await.expect_problem(401);
    app.login_response("insurer@vbp.demo", DEMO_PASSWORD)
        .await
        .expect_problem(401);
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_account() {
    let app = TestApp::with_demo().await;
    let limit = app.state.settings.login.per_account;
    for _ in 0..limit {
        app.login_response("auditor@vbp.demo", "wrong-password-000")
            .await
            .expect_problem(401);
    }
    // now even the right password waits
    let res = app
        .login_response("auditor@vbp.demo", DEMO_PASSWORD)
        .await
        .expect_problem(429);
    let retry: u64 = res
        .headers
        .get("retry-after")
        .unwrap()
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry > 0 && retry <= app.state.settings.login.window.as_secs());
    // other accounts are not affected
    app.login_demo("officer").await;
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_address() {
    let app = TestApp::spawn_with(|s| s.login.per_ip = 3).await;
    let mut conn = app.db.connect().await;
    tests::api::demo::load(&mut conn, Some(DEMO_PASSWORD.into()))
        .await
        .unwrap();
    for who in ["a", "b", "c"] {
        app.login_response(&format!("{who}@nowhere.cn"), "whatever-password")
            .await
            .expect_problem(401);
    }
    // a different account from the same address is blocked now
    app.login_response("officer@vbp.demo", DEMO_PASSWORD)
        .await
        .expect_problem(429);
}

#[actix_web::test]
async fn login_and_failures_are_audited_without_secrets() {
    let app = TestApp::with_demo().await;
    app.login_response("officer@vbp.demo", "wrong-password-xyz")
        .await
        .expect(401);
    app.login_demo("officer").await;
    let auditor = app.login_demo("auditor").await;
    let failed = app
        .get("/api/v1/audit?action=auth.login_failed", &auditor)
        .await
        .expect(200);
    assert_eq!(failed.body["total"], 1);
    let ok = app
        .get("/api/v1/audit?action=auth.login", &auditor)
        .await
        .expect(200);
    assert!(ok.body["total"].as_i64().unwrap() >= 2);
    let all = app
        .get("/api/v1/audit?per_page=200", &auditor)
        .await
        .expect(200)
        .body
        .to_string();
    assert!(!all.contains("wrong-password-xyz") && !all.contains(DEMO_PASSWORD));
}
