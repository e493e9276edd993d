//! The vbp service: HTTP API, persistence, authentication, audit, and the `vbp` command.
//!
//! [`build_app`] assembles the whole HTTP surface; the binary and the end-to-end tests
//! both use it, so what is tested is what runs. Start with docs/architecture.md.

pub mod accounts;
pub mod admin;
pub mod award;
pub mod bids;
pub mod catalog;
pub mod cli;
pub mod contracts;
pub mod demo;
pub mod orders;
pub mod oversight;
pub mod platform;
pub mod rounds;
pub mod routes;
pub mod settlement;
pub mod ui;

use actix_web::{
    App, HttpRequest, HttpResponse,
    body::MessageBody,
    dev::{ServiceFactory, ServiceRequest, ServiceResponse},
    http::{StatusCode, header},
    middleware::{self, ErrorHandlerResponse, ErrorHandlers},
    web,
};
use utoipa::OpenApi as _;
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::{
    bids::writer::BidWriter,
    platform::{
        AppState,
        error::{self, ApiError, PROBLEM_JSON, Problem},
        input, metrics,
        openapi::{self, RouteTable},
        settings, telemetry,
    },
};

/// Every job kind the worker runs, registered by the features that own them (the mail
/// job is the platform's own).
pub fn job_registry() -> platform::jobs::Registry {
    let mut registry = platform::jobs::Registry::default();
    rounds::jobs::register(&mut registry);
    settlement::jobs::register(&mut registry);
    oversight::jobs::register(&mut registry);
    registry
}

/// The whole HTTP application. Routes are registered in [`routes::configure`]; the
/// OpenAPI document is collected from the same registrations, so it cannot miss a route.
pub fn build_app(
    state: web::Data<AppState>,
    bids: web::Data<BidWriter>,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    let api = openapi::finish(api);
    let ui_dir = ui::UiDir(state.settings.ui_dir.clone());
    let mut origins = state.settings.cors_origins.clone();
    origins.extend(settings::origin_of(&state.settings.mail.public_url));
    let cors = cors(&origins);
    app.app_data(state)
        .app_data(bids)
        .app_data(web::Data::new(RouteTable::new(&api)))
        .app_data(web::QueryConfig::default().error_handler(error::query_error))
        .app_data(web::PathConfig::default().error_handler(error::path_error))
        .service(SwaggerUi::new("/api/docs/{_:.*}").url("/api/openapi.json", api))
        .route("/api/docs", web::get().to(docs_redirect))
        .configure(|cfg| ui::assets(cfg, &ui_dir))
        .app_data(web::Data::new(ui_dir))
        .route("/", web::get().to(ui::index))
        .default_service(web::to(ui::fallback))
        .wrap(middleware::from_fn(platform::db::read::mark_writes))
        .wrap(middleware::from_fn(input::screen))
        .wrap(cors)
        .wrap(ErrorHandlers::new().default_handler(problem_body))
        .wrap(middleware::from_fn(metrics::track))
        .wrap(
            middleware::DefaultHeaders::new()
                .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
                .add((header::X_FRAME_OPTIONS, "DENY"))
                .add((header::REFERRER_POLICY, "no-referrer"))
                .add((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
                .add((
                    header::HeaderName::from_static("cross-origin-opener-policy"),
                    "same-origin",
                ))
                .add((
                    header::HeaderName::from_static("cross-origin-resource-policy"),
                    "same-origin",
                )),
        )
        .wrap(tracing_actix_web::TracingLogger::<telemetry::RootSpan>::new())
}

/// What a page of the platform may load: its own scripts, styles and images only (inline
/// styles too, which Ant Design and Swagger UI set; `data:` images, which Swagger UI's
/// icons are); no framing by other sites, no plugins, forms posted only to itself.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; \
     connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; \
     frame-ancestors 'none'";

/// Cross-origin requests from browsers: only from the platform's own origin (the one
/// the request was sent to, or that of `VBP_PUBLIC_URL`, for a proxy that rewrites
/// `Host`) and those listed in `VBP_CORS_ORIGINS`. A page of any other
/// site gets no CORS headers, and a request it makes is refused (400) before any handler.
fn cors(extra: &[String]) -> actix_cors::Cors {
    let extra = extra.to_vec();
    actix_cors::Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let Ok(origin) = origin.to_str() else {
                return false;
            };
            let own = head
                .headers()
                .get(header::HOST)
                .and_then(|h| h.to_str().ok())
                .is_some_and(|host| {
                    origin
                        .split_once("://")
                        .is_some_and(|(_, rest)| rest.eq_ignore_ascii_case(host))
                });
            own || extra.iter().any(|o| o.eq_ignore_ascii_case(origin))
        })
        .allowed_methods(["GET", "POST", "PATCH", "PUT", "DELETE"])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static(platform::db::read::MIN_LSN_HEADER),
        ])
        .expose_headers([
            header::RETRY_AFTER,
            header::LOCATION,
            header::HeaderName::from_static(platform::db::read::LSN_HEADER),
        ])
        .block_on_origin_mismatch(true)
        .max_age(600)
}

/// `/api/docs` without its slash: to the docs.
async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((header::LOCATION, "/api/docs/"))
        .finish()
}

/// The OpenAPI document the server serves at `/api/openapi.json` (`vbp openapi` prints it).
pub fn openapi_document() -> utoipa::openapi::OpenApi {
    let (_, api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::ApiDoc::openapi())
        .configure(routes::configure)
        .split_for_parts();
    openapi::finish(api)
}

/// No route matched: 405 with `Allow` when the path exists for other methods, else 404.
pub(crate) async fn not_found(
    req: HttpRequest,
    table: web::Data<RouteTable>,
) -> Result<HttpResponse, ApiError> {
    match table.methods_for(req.path()) {
        Some(methods) => {
            let allow = methods.join(", ");
            let err = ApiError::MethodNotAllowed(format!(
                "{} is not allowed on {}; allowed: {allow}",
                req.method(),
                req.path()
            ));
            let mut res = actix_web::ResponseError::error_response(&err);
            if let Ok(v) = header::HeaderValue::from_str(&allow) {
                res.headers_mut().insert(header::ALLOW, v);
            }
            Ok(res)
        }
        None => Err(ApiError::NotFound(format!(
            "there is nothing at {}",
            req.path()
        ))),
    }
}

/// Turns any error response that is not problem+json yet (errors raised inside actix
/// itself) into one, so every error a client sees has the same shape.
fn problem_body<B>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let title = status.canonical_reason().unwrap_or("Error");
    let problem = Problem {
        code: format!("http_{}", status.as_u16()),
        kind: format!("/problems/http-{}", status.as_u16()),
        title: title.into(),
        status: status.as_u16(),
        detail: if status == StatusCode::PAYLOAD_TOO_LARGE {
            "the request body is too large".into()
        } else {
            title.to_lowercase()
        },
        errors: Vec::new(),
    };
    let new = HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .json(problem);
    Ok(ErrorHandlerResponse::Response(
        ServiceResponse::new(req, new).map_into_right_body(),
    ))
}
