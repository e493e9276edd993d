//! The HTTP surface: problem+json for every error, health, metrics, and an OpenAPI
//! document that names every route with its request, response and error schemas.

#![allow(clippy::unwrap_used)]

use serde_json::{Value, json};
use tests::TestApp;

#[actix_web::test]
async fn errors_are_problem_json() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    app.request("GET", "/api/v1/nothing-here", Some(&admin), None)
        .await
        .expect_problem(404);
    app.request("GET", "/no/such/page", None, None)
        .await
        .expect_problem(404);
    let res = app
        .request("DELETE", "/api/v1/orgs", Some(&admin), None)
        .await
        .expect_problem(405);
    assert_eq!(res.headers.get("allow").unwrap(), "GET, POST");
    app.request("PUT", "/api/v1/auth/login", None, None)
        .await
        .expect_problem(405);
    // malformed JSON, wrong type, wrong content type, too large
    let res = app
        .request_raw(
            "POST",
            "/api/v1/orgs",
            Some(&admin),
            "application/json",
            "{\"name\": ",
        )
        .await;
    assert!(matches!(res.status.as_u16(), 400 | 422), "{}", res.status);
    let status = res.status.as_u16();
    let res = res.expect_problem(status);
    assert!(res.body["detail"].as_str().unwrap().contains("JSON"));
    app.post(
        "/api/v1/orgs",
        &admin,
        json!({"name": 7, "kind": "supplier"}),
    )
    .await
    .expect_problem(422);
    app.request_raw("POST", "/api/v1/orgs", Some(&admin), "text/plain", "name=x")
        .await
        .expect_problem(415);
    let big = "x".repeat(2 << 20);
    let res = app
        .post(
            "/api/v1/orgs",
            &admin,
            json!({"name": big, "kind": "supplier"}),
        )
        .await;
    res.expect_problem(413);
    // a path parameter that is not a UUID
    app.get("/api/v1/orgs/not-a-uuid", &admin)
        .await
        .expect_problem(404);
    // a well-formed id that does not exist
    app.get("/api/v1/orgs/00000000-0000-0000-0000-000000000000", &admin)
        .await
        .expect_problem(404);
}

#[actix_web::test]
async fn health_readiness_metrics_and_ui() {
    let app = TestApp::spawn().await;
    assert_eq!(
        app.request("GET", "/healthz", None, None)
            .await
            .expect(200)
            .body["status"],
        "ok"
    );
    assert_eq!(
        app.request("GET", "/readyz", None, None)
            .await
            .expect(200)
            .body["status"],
        "ok"
    );
    let mut res = app
        .client
        .get(format!("{}/metrics", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let text = String::from_utf8(res.body().await.unwrap().to_vec()).unwrap();
    assert!(
        text.contains("vbp_http_requests_total{method=\"GET\",route=\"/readyz\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(text.contains("vbp_db_pool_connections"));
    let mut res = app
        .client
        .get(format!("{}/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(String::from_utf8_lossy(&res.body().await.unwrap()).contains("vbp"));
    let mut res = app
        .client
        .get(format!("{}/api/docs/", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        String::from_utf8_lossy(&res.body().await.unwrap())
            .to_lowercase()
            .contains("swagger")
    );
}

#[actix_web::test]
async fn readyz_is_503_when_the_database_is_gone() {
    let app = TestApp::spawn_with(|s| {
        s.database.url = "postgres://postgres@127.0.0.1:1/none".into();
        s.database.pool_timeout = std::time::Duration::from_millis(500);
    })
    .await;
    app.request("GET", "/readyz", None, None)
        .await
        .expect_problem(503);
    app.request("GET", "/healthz", None, None).await.expect(200);
}

fn resolve<'a>(doc: &'a Value, r: &str) -> &'a Value {
    let name = r
        .strip_prefix("#/components/schemas/")
        .unwrap_or_else(|| panic!("unexpected ref {r}"));
    let schema = &doc["components"]["schemas"][name];
    assert!(!schema.is_null(), "dangling $ref {r}");
    schema
}

/// Every `$ref` anywhere in `v` resolves.
fn check_refs(doc: &Value, v: &Value) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                if k == "$ref" {
                    resolve(doc, x.as_str().unwrap());
                } else {
                    check_refs(doc, x);
                }
            }
        }
        Value::Array(xs) => xs.iter().for_each(|x| check_refs(doc, x)),
        _ => {}
    }
}

/// Actions that take no body; every other POST, PUT and PATCH must document one.
const BODYLESS: &[&str] = &[
    "/api/v1/auth/logout",
    "/api/v1/admin/jobs/{id}/retry",
    "/api/v1/rounds/{id}/demand-collection",
    "/api/v1/rounds/{id}/publish",
];

#[actix_web::test]
async fn openapi_names_every_route_with_request_response_and_error_schemas() {
    let app = TestApp::spawn().await;
    let doc = app
        .request("GET", "/api/openapi.json", None, None)
        .await
        .expect(200)
        .body;
    assert_eq!(doc["openapi"], "3.1.0");
    check_refs(&doc, &doc);
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let at = format!("{} {path}", method.to_uppercase());
            assert!(
                op["summary"].is_string() || op["description"].is_string(),
                "{at}: no summary"
            );
            assert!(
                op["tags"].as_array().is_some_and(|t| !t.is_empty()),
                "{at}: no tag"
            );
            let responses = op["responses"].as_object().unwrap();
            let ok: Vec<_> = responses.keys().filter(|s| s.starts_with('2')).collect();
            assert!(!ok.is_empty(), "{at}: no success response");
            for status in ok {
                if status != "204" {
                    assert!(
                        responses[status]["content"].is_object(),
                        "{at}: {status} has no schema"
                    );
                }
            }
            if path != "/healthz" {
                let errors: Vec<_> = responses
                    .iter()
                    .filter(|(s, _)| s.starts_with('4') || s.starts_with('5'))
                    .collect();
                assert!(!errors.is_empty(), "{at}: no error responses");
                for (status, r) in errors {
                    let content = &r["content"]["application/problem+json"]["schema"]["$ref"];
                    assert_eq!(
                        content, "#/components/schemas/Problem",
                        "{at}: {status} is not a Problem"
                    );
                }
            }
            if matches!(method.as_str(), "post" | "patch" | "put")
                && !BODYLESS.contains(&path.as_str())
            {
                let content = &op["requestBody"]["content"];
                assert!(
                    content["application/json"]["schema"].is_object()
                        || content["text/csv"]["schema"].is_object(),
                    "{at}: no request schema"
                );
            }
            if path.starts_with("/api/v1/") && path != "/api/v1/auth/login" {
                assert!(
                    op["security"].is_array(),
                    "{at}: not marked as needing a token"
                );
                assert!(responses.contains_key("401"), "{at}: no 401");
            }
            // the documented route is really served: without a token it is refused, not missing
            let concrete = path
                .replace("{id}", "00000000-0000-0000-0000-000000000000")
                .replace("{code}", "XA01ABD075A002010100483");
            let body = (method != "get").then(|| json!({}));
            let res = app
                .request(&method.to_uppercase(), &concrete, None, body)
                .await;
            assert!(
                !matches!(res.status.as_u16(), 404 | 405),
                "{at} is documented but not served ({})",
                res.status
            );
        }
    }
    assert!(operations >= 17, "only {operations} operations");
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Problem",
        "FieldError",
        "LoginRequest",
        "LoginResponse",
        "OrgDto",
        "UserDto",
        "CreateUser",
        "VerifyReport",
        "ItemDto",
        "ItemDetailDto",
        "ImportReport",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
