//! Organisations and users, as an admin manages them.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tests::TestApp;

#[actix_web::test]
async fn admin_creates_an_organisation_and_a_user_who_can_log_in() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let org = app
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"name": "Hunan Example Purchasing Centre", "kind": "buyer", "province": "430000"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(org["kind"], "buyer");
    assert_eq!(org["province"], "430000");
    assert_eq!(org["status"], "active");
    let created = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "Buyer.Hunan@Example.cn", "role": "provincial_buyer", "org_id": org["id"]}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(created["email"], "buyer.hunan@example.cn");
    let password = created["initial_password"].as_str().unwrap();
    assert!(password.len() >= 12);
    let token = app.login("buyer.hunan@example.cn", password).await;
    let me = app.get("/api/v1/me", &token).await.expect(200).body;
    assert_eq!(me["province"], "430000");
    // the user is listed, without any password material
    let users = app
        .get(
            &format!("/api/v1/users?org_id={}", org["id"].as_str().unwrap()),
            &admin,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(users["total"], 1);
    assert!(users["items"][0].get("password_hash").is_none());
    assert!(users["items"][0].get("initial_password").is_none());
}

#[actix_web::test]
async fn invalid_organisations_and_users_are_refused_with_the_field() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let res = app
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"name": "No Province Insurer", "kind": "insurer"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "province");
    let res = app
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"name": "Bad Province", "kind": "buyer", "province": "990000"}),
        )
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "province");
    app.post(
        "/api/v1/orgs",
        &admin,
        json!({"name": "x", "kind": "pharmacy"}),
    )
    .await
    .expect_problem(422);
    // duplicate name, any case
    app.post(
        "/api/v1/orgs",
        &admin,
        json!({"name": "QILU PHARMACEUTICAL CO., LTD.", "kind": "supplier"}),
    )
    .await
    .expect_problem(409);

    let supplier_org = app
        .get("/api/v1/orgs?kind=supplier", &admin)
        .await
        .expect(200)
        .body["items"][0]["id"]
        .clone();
    // role must match the organisation's kind
    let res = app
        .post(
            "/api/v1/users",
            &admin,
            json!({"email": "a@b.cn", "role": "insurer", "org_id": supplier_org}),
        )
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "role");
    let res = app
        .post("/api/v1/users", &admin, json!({"email": "not-an-email", "role": "supplier", "org_id": supplier_org, "password": "short"}))
        .await
        .expect_problem(422);
    let fields: Vec<&str> = res.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password"]);
    app.post(
        "/api/v1/users",
        &admin,
        json!({"email": "officer@vbp.demo", "role": "supplier", "org_id": supplier_org}),
    )
    .await
    .expect_problem(409);
}

#[actix_web::test]
async fn admin_cannot_lock_itself_out() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let me = app.get("/api/v1/me", &admin).await.expect(200).body;
    app.patch(
        &format!("/api/v1/users/{}", me["id"].as_str().unwrap()),
        &admin,
        json!({"active": false}),
    )
    .await
    .expect_problem(422);
    app.patch(
        &format!("/api/v1/orgs/{}", me["org_id"].as_str().unwrap()),
        &admin,
        json!({"status": "suspended"}),
    )
    .await
    .expect_problem(422);
    app.get("/api/v1/me", &admin).await.expect(200);
}

#[actix_web::test]
async fn password_reset_ends_sessions() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let token = app.login_demo("officer2").await;
    let id = app.get("/api/v1/me", &token).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.patch(
        &format!("/api/v1/users/{id}"),
        &admin,
        json!({"password": "a-brand-new-password"}),
    )
    .await
    .expect(200);
    app.get("/api/v1/me", &token).await.expect_problem(401);
    app.login("officer2@vbp.demo", "a-brand-new-password").await;
}

#[actix_web::test]
async fn lists_are_paginated() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let page1 = app
        .get("/api/v1/orgs?per_page=10&page=1", &admin)
        .await
        .expect(200)
        .body;
    let page2 = app
        .get("/api/v1/orgs?per_page=10&page=2", &admin)
        .await
        .expect(200)
        .body;
    let total = page1["total"].as_i64().unwrap();
    assert!(total >= 77, "total {total}");
    assert_eq!(page1["items"].as_array().unwrap().len(), 10);
    assert_ne!(page1["items"][0]["id"], page2["items"][0]["id"]);
    let buyers = app
        .get("/api/v1/orgs?kind=buyer", &admin)
        .await
        .expect(200)
        .body;
    assert_eq!(buyers["total"], 31);
    app.get("/api/v1/orgs?per_page=0", &admin)
        .await
        .expect_problem(422);
    app.get("/api/v1/orgs?per_page=1000", &admin)
        .await
        .expect_problem(422);
    app.get("/api/v1/orgs?page=abc", &admin)
        .await
        .expect_problem(400);
}

/// A round's builder picks custodians among the procurement officers, and only them.
#[actix_web::test]
async fn officers_see_the_officers_they_may_name_as_custodians() {
    let app = TestApp::with_demo().await;
    let officer = app.login_demo("officer").await;
    let page = app
        .get("/api/v1/officers?per_page=200", &officer)
        .await
        .expect(200)
        .body;
    let emails: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["email"].as_str().unwrap())
        .collect();
    for who in ["officer@vbp.demo", "officer2@vbp.demo", "officer3@vbp.demo"] {
        assert!(emails.contains(&who), "{who} missing from {emails:?}");
    }
    assert!(
        emails.iter().all(|e| e.starts_with("officer")),
        "{emails:?}"
    );
    assert_eq!(page["total"], emails.len());
    let supplier = app.login_demo("supplier").await;
    app.get("/api/v1/officers", &supplier)
        .await
        .expect_problem(403);
}
