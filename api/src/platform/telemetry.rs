//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or as
//! JSON lines when `VBP_LOG_FORMAT=json`; coloured only when stderr is a terminal.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("VBP_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // colours only for a terminal: a log written to a file or a journal stays plain text
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // a second init (tests) is harmless
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}

/// The span of every request: method, path (never the query string, which may carry
/// search terms), status, and a request id; the events of the request carry it. The
/// default builder of tracing-actix-web records `http.target`, path and query.
pub struct RootSpan;

impl tracing_actix_web::RootSpanBuilder for RootSpan {
    fn on_request_start(request: &actix_web::dev::ServiceRequest) -> tracing::Span {
        use actix_web::HttpMessage;
        let request_id = request
            .extensions()
            .get::<tracing_actix_web::RequestId>()
            .map(ToString::to_string)
            .unwrap_or_default();
        tracing::info_span!(
            "HTTP request",
            http.method = %request.method(),
            http.path = %request.path(),
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
            request_id = %request_id,
        )
    }

    fn on_request_end<B: actix_web::body::MessageBody>(
        span: tracing::Span,
        outcome: &Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>,
    ) {
        tracing_actix_web::DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
