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
    // not JSON at all: the request cannot be read (400); JSON of the wrong shape: 422
    let res = res.expect_problem(400);
    assert!(res.body["detail"].as_str().unwrap().contains("JSON"));
    assert_eq!(res.body["code"], "bad_request");
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
    "/api/v1/orders/{id}/withdraw",
    "/api/v1/orders/{id}/confirm",
    "/api/v1/settlements/overdue/scan",
    "/api/v1/monitoring/supply-scan",
    "/api/v1/settlements/statements/suppliers/{org_id}/{month}/confirm",
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
                        || content["text/csv"]["schema"].is_object()
                        || content["application/octet-stream"]["schema"].is_object(),
                    "{at}: no request schema"
                );
            }
            // every /api/v1 route takes a token but login and those declared public
            if path.starts_with("/api/v1/")
                && path != "/api/v1/auth/login"
                && op["x-scope"] != "public"
            {
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

/// A NUL character cannot be stored in text: refused once for every route, as a 422
/// naming the field, wherever it comes (JSON body, query, path), and nothing is written.
#[actix_web::test]
async fn nul_characters_are_refused_naming_the_field() {
    let app = TestApp::with_demo().await;
    let admin = app.login_demo("admin").await;
    // login, without a token
    let res = app
        .post_bytes(
            "/api/v1/auth/login",
            None,
            "application/json",
            r#"{"email": "admin@vbp.demo\u0000", "password": "x"}"#,
        )
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "email");
    assert_eq!(res.body["code"], "validation");
    // nested in a body
    let res = app
        .post_bytes(
            "/api/v1/orgs",
            Some(&admin),
            "application/json",
            r#"{"name": "NUL\u0000 Pharma", "kind": "supplier"}"#,
        )
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "name");
    // hidden beside a value the whole body cannot be read with (a number past any float,
    // nesting past the parser's depth), which a route skips as an unknown field
    let deep = format!("{}1{}", "[".repeat(200), "]".repeat(200));
    for extra in ["1e400".to_owned(), deep] {
        let body = format!(r#"{{"name": "NUL\u0000 Pharma", "kind": "supplier", "x": {extra}}}"#);
        let res = app
            .post_bytes("/api/v1/orgs", Some(&admin), "application/json", body)
            .await;
        assert!(matches!(res.status.as_u16(), 400 | 422), "{}", res.body);
        assert_eq!(
            res.body["code"],
            if res.status == 400 {
                "bad_request"
            } else {
                "validation"
            }
        );
    }
    let res = app
        .request(
            "PUT",
            "/api/v1/rounds/00000000-0000-0000-0000-000000000000/demand",
            Some(&admin),
            Some(json!({"lines": [{"lot_id": "x", "note": "a\u{0}"}]})),
        )
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "lines[0].note");
    // query and path
    let res = app
        .get("/api/v1/catalog/items?q=%E9%98%BF%00", &admin)
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "q");
    let res = app
        .get("/api/v1/catalog/items/XA01%00", &admin)
        .await
        .expect_problem(422);
    assert_eq!(res.body["errors"][0]["field"], "path");
    // an escaped backslash before "u0000" is no NUL: the body goes through
    let res = app
        .post_bytes(
            "/api/v1/orgs",
            Some(&admin),
            "application/json",
            r#"{"name": "Back\\u0000slash Co.", "kind": "supplier"}"#,
        )
        .await
        .expect(201);
    assert_eq!(res.body["name"], "Back\\u0000slash Co.");
    let orgs = app
        .get("/api/v1/orgs?per_page=200", &admin)
        .await
        .expect(200);
    assert!(!orgs.body.to_string().contains("NUL"));
}

/// `/api/docs` without its slash leads to the docs.
#[actix_web::test]
async fn api_docs_without_the_slash_redirects() {
    let app = TestApp::spawn().await;
    let res = awc::Client::builder()
        .disable_redirects()
        .finish()
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 308);
    assert_eq!(res.headers().get("location").unwrap(), "/api/docs/");
    app.request("GET", "/api/docs/", None, None)
        .await
        .expect(200);
}

/// The statuses the server sends whatever the handler does are in the document: 400 for
/// an unreadable query or body, 413, 415 and 422 for bodies, 404 for path ids, 401 for
/// routes behind a token; and a body sent without a content type really is a 415.
#[actix_web::test]
async fn openapi_lists_the_statuses_every_route_of_a_kind_sends() {
    let app = TestApp::with_demo().await;
    let doc = app
        .request("GET", "/api/openapi.json", None, None)
        .await
        .expect(200)
        .body;
    let mut bodies = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{} {path}", method.to_uppercase());
            let responses = op["responses"].as_object().unwrap();
            let has = |s: &str| responses.contains_key(s);
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            let in_ = |place: &str| params.iter().any(|p| p["in"] == place);
            if in_("query") {
                assert!(has("400") && has("422"), "{at}: query without 400/422");
            }
            if in_("path") {
                assert!(has("404") && has("422"), "{at}: path id without 404/422");
            }
            if op["requestBody"]["content"]["application/json"].is_object() {
                bodies += 1;
                for s in ["400", "413", "415", "422"] {
                    assert!(has(s), "{at}: JSON body without {s}");
                }
                // and the server does answer 415 to a body without a content type, to a
                // role the route admits
                let role = op["security"][0]["bearer"][0].as_str().unwrap_or("admin");
                let who = tests::DEMO_BY_ROLE
                    .iter()
                    .find(|(r, _)| *r == role)
                    .unwrap()
                    .1;
                let token = app.login_demo(who).await;
                let concrete = path
                    .replace("{id}", "00000000-0000-0000-0000-000000000000")
                    .replace("{lot_id}", "00000000-0000-0000-0000-000000000000");
                let res = app
                    .client
                    .request(
                        awc::http::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                        format!("{}{concrete}", app.base),
                    )
                    .bearer_auth(&token)
                    .send_body("{}")
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), 415, "{at}");
            }
            if path.starts_with("/api/v1/") {
                assert!(has("503"), "{at}: no 503");
            }
        }
    }
    assert!(bodies >= 16, "only {bodies} JSON bodies");
}

/// Security headers on every response, and cross-origin calls only from the platform's
/// own origin and the configured ones.
#[actix_web::test]
async fn security_headers_and_a_same_origin_cors_policy() {
    let app = TestApp::spawn_with(|s| s.cors_origins = vec!["https://ui.example.cn".into()]).await;
    for path in ["/healthz", "/api/v1/me", "/", "/api/docs/"] {
        let res = app.request("GET", path, None, None).await;
        let h = |n: &str| {
            res.headers
                .get(n)
                .map(|v| v.to_str().unwrap().to_owned())
                .unwrap_or_else(|| panic!("{path}: no {n}"))
        };
        assert_eq!(h("x-content-type-options"), "nosniff");
        assert_eq!(h("x-frame-options"), "DENY");
        let csp = h("content-security-policy");
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert!(csp.contains("default-src 'self'"), "{csp}");
        assert!(csp.contains("object-src 'none'"), "{csp}");
        assert_eq!(h("cross-origin-opener-policy"), "same-origin");
    }
    let preflight = |origin: &'static str| {
        app.client
            .request(
                awc::http::Method::OPTIONS,
                format!("{}/api/v1/orgs", app.base),
            )
            .insert_header(("origin", origin))
            .insert_header(("access-control-request-method", "POST"))
            .insert_header((
                "access-control-request-headers",
                "authorization, content-type",
            ))
            .send()
    };
    // a foreign site: refused, and no CORS header tells the browser otherwise
    let mut res = preflight("https://evil.example").await.unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let body: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(body["status"], 400);
    let res = app
        .client
        .get(format!("{}/api/v1/provinces", app.base))
        .insert_header(("origin", "https://evil.example"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    // a configured origin is allowed
    let res = preflight("https://ui.example.cn").await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "https://ui.example.cn"
    );
    // the platform's own origin (the UI it serves) is allowed
    let own = app.base.clone();
    let res = app
        .client
        .get(format!("{own}/api/v1/me"))
        .insert_header(("origin", own.as_str()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        own.as_str()
    );
}
