//! Authorization: every role-restricted route refuses every other role with 403, and
//! admits its own.

#![allow(clippy::unwrap_used)]

use serde_json::json;
use tests::{DEMO_BY_ROLE, TestApp};

const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// (method, path, roles admitted). Bodies are valid so only the role can fail.
fn restricted(org_id: &str, user_id: &str) -> Vec<(&'static str, String, &'static [&'static str])> {
    vec![
        ("GET", "/api/v1/orgs".into(), &["admin", "auditor"]),
        ("POST", "/api/v1/orgs".into(), &["admin"]),
        (
            "GET",
            format!("/api/v1/orgs/{org_id}"),
            &["admin", "auditor"],
        ),
        ("PATCH", format!("/api/v1/orgs/{org_id}"), &["admin"]),
        ("GET", "/api/v1/users".into(), &["admin", "auditor"]),
        ("POST", "/api/v1/users".into(), &["admin"]),
        (
            "GET",
            format!("/api/v1/users/{user_id}"),
            &["admin", "auditor"],
        ),
        ("PATCH", format!("/api/v1/users/{user_id}"), &["admin"]),
        ("GET", "/api/v1/audit".into(), &["auditor"]),
        ("GET", "/api/v1/audit/verify".into(), &["auditor"]),
        // evaluation and award (the round need not exist: the role is checked first)
        (
            "POST",
            format!("/api/v1/rounds/{NIL}/evaluate"),
            &["procurement_officer"],
        ),
        (
            "GET",
            format!("/api/v1/rounds/{NIL}/evaluation"),
            &["procurement_officer", "auditor"],
        ),
        (
            "POST",
            format!("/api/v1/rounds/{NIL}/award"),
            &["procurement_officer"],
        ),
        (
            "GET",
            format!("/api/v1/rounds/{NIL}/revival-offers"),
            &["procurement_officer", "auditor", "supplier"],
        ),
        (
            "POST",
            format!("/api/v1/rounds/{NIL}/revival-offers/{NIL}"),
            &["supplier"],
        ),
        (
            "POST",
            format!("/api/v1/contracts/{NIL}/supply-failure"),
            &["procurement_officer"],
        ),
        (
            "GET",
            "/api/v1/supplier-bars".into(),
            &["procurement_officer", "admin", "auditor", "supplier"],
        ),
    ]
}

#[actix_web::test]
async fn each_role_gets_403_on_routes_of_other_roles() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let supplier = app.login_demo("supplier").await;
    let me = app.get("/api/v1/me", &supplier).await.expect(200).body;
    let (org_id, user_id) = (me["org_id"].as_str().unwrap(), me["id"].as_str().unwrap());
    let routes = restricted(org_id, user_id);
    let mut refused = 0;
    for (role, who) in DEMO_BY_ROLE {
        let token = if *role == "admin" {
            admin.clone()
        } else {
            app.login_demo(who).await
        };
        for (method, path, allowed) in &routes {
            if allowed.contains(role) {
                continue;
            }
            let body = match *method {
                "POST" if path.ends_with("/evaluate") => Some(json!({})),
                "POST" if path.ends_with("/award") => Some(json!({"evaluation_digest": "x"})),
                "POST" if path.contains("/revival-offers/") => Some(json!({"accept": true})),
                "POST" if path.ends_with("/supply-failure") => Some(json!({"reason": "x"})),
                "POST" if path.ends_with("/orgs") => {
                    Some(json!({"name": "X Co.", "kind": "supplier"}))
                }
                "POST" => Some(json!({"email": "x@y.cn", "role": "supplier", "org_id": org_id})),
                "PATCH" => Some(json!({"display_name": "x"})),
                _ => None,
            };
            let res = app.request(method, path, Some(&token), body).await;
            assert_eq!(
                res.status.as_u16(),
                403,
                "{role} {method} {path}: {}",
                res.body
            );
            assert!(res.body["detail"].as_str().unwrap().contains(role));
            refused += 1;
        }
    }
    assert!(refused >= 40, "only {refused} refusals checked");
    // and nothing was created by the refused calls
    let orgs = app
        .get("/api/v1/orgs?per_page=200", &admin)
        .await
        .expect(200);
    assert!(!orgs.body.to_string().contains("X Co."));
}

#[actix_web::test]
async fn admitted_roles_get_through() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    let auditor = app.login_demo("auditor").await;
    for path in ["/api/v1/orgs", "/api/v1/users"] {
        app.get(path, &admin).await.expect(200);
        app.get(path, &auditor).await.expect(200);
    }
    app.get("/api/v1/audit", &auditor).await.expect(200);
    app.get("/api/v1/audit/verify", &auditor).await.expect(200);
    // reference data is for every signed-in user
    for (_, who) in DEMO_BY_ROLE {
        let token = app.login_demo(who).await;
        let provinces = app.get("/api/v1/provinces", &token).await.expect(200);
        assert_eq!(provinces.body.as_array().unwrap().len(), 31);
    }
}
