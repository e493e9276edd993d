//! The web UI: the static files `admin-ui/` builds (Vite), served by the binary itself.
//!
//! * `/assets/*`: content-hashed files, cached for a year (`immutable`).
//! * `/` and every other `GET` path outside the API that has no file extension (a
//!   client-side route such as `/rounds/…/bid`): `index.html`, never cached, so a new
//!   build is picked up on the next load.
//! * a file at the root of the build (`/favicon.svg`): that file.
//! * anything else (`/api/…`, `/healthz`, a missing file): the problem+json 404 or 405 of
//!   [`crate::not_found`].
//!
//! Without a build (`index.html` missing), `/` answers a page saying how to make one.

use std::path::{Path, PathBuf};

use actix_files::NamedFile;
use actix_web::{
    HttpRequest, HttpResponse,
    http::{Method, header},
    web,
};

use crate::platform::error::ApiError;

/// Where the built UI is.
#[derive(Clone, Debug)]
pub struct UiDir(pub PathBuf);

impl UiDir {
    fn index(&self) -> PathBuf {
        self.0.join("index.html")
    }

    /// Whether a build is there.
    pub fn is_built(&self) -> bool {
        self.index().is_file()
    }
}

/// Long-lived caching for the hashed assets.
pub const ASSETS_CACHE: &str = "public, max-age=31536000, immutable";

/// The `/assets` service, when the UI is built.
pub fn assets(cfg: &mut web::ServiceConfig, dir: &UiDir) {
    let assets = dir.0.join("assets");
    if assets.is_dir() {
        cfg.service(
            web::scope("/assets")
                .wrap(
                    actix_web::middleware::DefaultHeaders::new()
                        .add((header::CACHE_CONTROL, ASSETS_CACHE)),
                )
                .service(actix_files::Files::new("", assets).use_etag(true)),
        );
    }
}

/// Paths the UI never answers: the API and the service endpoints.
fn is_api(path: &str) -> bool {
    path == "/api"
        || path.starts_with("/api/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
}

/// `index.html`, or the "not built" page.
pub async fn index(req: HttpRequest, dir: web::Data<UiDir>) -> HttpResponse {
    if !dir.is_built() {
        return HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .insert_header((header::CACHE_CONTROL, "no-cache"))
            .body(include_str!("ui_missing.html"));
    }
    file(&req, &dir.index()).await
}

async fn file(req: &HttpRequest, path: &Path) -> HttpResponse {
    match NamedFile::open_async(path).await {
        Ok(f) => {
            let mut res = f.use_etag(true).prefer_utf8(true).into_response(req);
            res.headers_mut().insert(
                header::CACHE_CONTROL,
                header::HeaderValue::from_static("no-cache"),
            );
            res
        }
        Err(_) => HttpResponse::NotFound().finish(),
    }
}

/// A file at the root of the build, by a name of plain characters only (no path).
fn root_file(dir: &UiDir, path: &str) -> Option<PathBuf> {
    let name = path.strip_prefix('/')?;
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'));
    let file = dir.0.join(name);
    (plain && file.is_file()).then_some(file)
}

/// Every request no route matched: the UI's files and client-side routes, else the API's 404/405.
pub async fn fallback(
    req: HttpRequest,
    dir: web::Data<UiDir>,
    table: web::Data<crate::platform::openapi::RouteTable>,
) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    let readable = req.method() == Method::GET || req.method() == Method::HEAD;
    if readable && !is_api(path) && dir.is_built() {
        if let Some(f) = root_file(&dir, path) {
            return Ok(file(&req, &f).await);
        }
        let last = path.rsplit('/').next().unwrap_or_default();
        if !last.contains('.') {
            return Ok(index(req, dir).await);
        }
    }
    crate::not_found(req, table).await
}
