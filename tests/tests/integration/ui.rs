//! The web UI's files as `vbp serve` serves them: `index.html` at `/` and for client-side
//! routes, hashed assets cached for a year, nothing outside the build, and the API's own
//! 404 and 405 problems untouched.

#![allow(clippy::unwrap_used)]

use tests::TestApp;

/// A fake build: what `vite build` writes (index.html, assets/, root files).
fn build() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vbp-test-ui-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(dir.join("assets")).unwrap();
    std::fs::write(
        dir.join("index.html"),
        "<!doctype html><title>vbp ui</title>",
    )
    .unwrap();
    std::fs::write(dir.join("assets/index-AbC123.js"), "console.log(1)").unwrap();
    std::fs::write(
        dir.join("favicon.svg"),
        "<svg xmlns='http://www.w3.org/2000/svg'/>",
    )
    .unwrap();
    std::fs::write(dir.join(".secret"), "not for the web").unwrap();
    dir
}

#[actix_web::test]
async fn the_ui_is_served_with_client_routes_and_the_api_keeps_its_problems() {
    let dir = build();
    let ui = dir.clone();
    let app = TestApp::spawn_with(move |s| s.ui_dir = ui).await;
    let header = |r: &tests::Resp, n: &str| {
        r.headers
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default()
    };

    // index.html at / and at every client route, never cached
    for path in ["/", "/rounds/7f6c/bid", "/settlement/batches", "/login"] {
        let (status, ct, body) = app.get_text(path, "").await;
        assert_eq!(status, 200, "{path}");
        assert!(ct.starts_with("text/html"), "{path}: {ct}");
        assert!(body.contains("vbp ui"), "{path}: {body}");
        let res = app.request("GET", path, None, None).await;
        assert_eq!(header(&res, "cache-control"), "no-cache", "{path}");
        // the security headers of every response
        assert!(header(&res, "content-security-policy").contains("script-src 'self'"));
    }
    // hashed assets: a year, immutable; a missing one is a 404
    let res = app
        .request("GET", "/assets/index-AbC123.js", None, None)
        .await;
    assert_eq!(res.status.as_u16(), 200);
    assert!(
        res.content_type().contains("javascript"),
        "{}",
        res.content_type()
    );
    assert_eq!(
        header(&res, "cache-control"),
        "public, max-age=31536000, immutable"
    );
    assert_eq!(
        app.request("GET", "/assets/gone-111.js", None, None)
            .await
            .status
            .as_u16(),
        404
    );
    // a file at the root of the build
    let res = app.request("GET", "/favicon.svg", None, None).await;
    assert_eq!(res.status.as_u16(), 200);
    assert!(
        res.content_type().starts_with("image/svg"),
        "{}",
        res.content_type()
    );
    // nothing outside the build, no hidden files, no made-up files
    for path in [
        "/.secret",
        "/no/such/file.txt",
        "/../Cargo.toml",
        "/%2e%2e/Cargo.toml",
        "/assets/../../Cargo.toml",
    ] {
        let res = app.request("GET", path, None, None).await;
        assert!(
            res.status.as_u16() == 404 || res.status.as_u16() == 400,
            "{path}: {}",
            res.status
        );
        assert!(
            !format!("{}", res.body).contains("not for the web"),
            "{path}"
        );
    }
    // the API and the service endpoints keep their problems
    app.request("GET", "/api/v1/nothing-here", None, None)
        .await
        .expect_problem(404);
    app.request("GET", "/api", None, None)
        .await
        .expect_problem(404);
    app.request("POST", "/rounds/new", None, None)
        .await
        .expect_problem(404);
    app.request("DELETE", "/api/v1/orgs", None, None)
        .await
        .expect_problem(405);
    std::fs::remove_dir_all(dir).unwrap();
}

#[actix_web::test]
async fn without_a_build_the_root_says_how_to_make_one() {
    let app = TestApp::spawn().await;
    let (status, ct, body) = app.get_text("/", "").await;
    assert_eq!(status, 200);
    assert!(ct.starts_with("text/html"));
    assert!(body.contains("scripts/ui.sh"), "{body}");
    // and a client route is the API's 404, not a page
    app.request("GET", "/rounds/new", None, None)
        .await
        .expect_problem(404);
}
