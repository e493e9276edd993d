//! One error type for every handler, rendered as RFC 9457 `application/problem+json`.
//!
//! A 4xx says exactly what the caller must fix; a 5xx logs its whole source chain and
//! tells the caller only that the fault is ours.

use std::error::Error as StdError;

use actix_web::{
    HttpResponse, ResponseError,
    http::{StatusCode, header},
};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

type BoxError = Box<dyn StdError + Send + Sync + 'static>;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One problem with one field of the input (or one line of an uploaded file).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct FieldError {
    /// The field (JSON pointer-like path or CSV column) at fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    /// The 1-based line of an uploaded file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// What is wrong and what is expected.
    pub message: String,
}

impl FieldError {
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: Some(field.into()),
            line: None,
            message: message.into(),
        }
    }
}

/// An RFC 9457 problem document. `type` is a relative URI naming the kind of problem
/// (documented in docs/api.md); `title` is fixed per type, `detail` specific to the call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({
    "type": "/problems/validation", "code": "validation", "title": "Invalid input", "status": 422,
    "detail": "1 field is invalid", "errors": [{"field": "email", "message": "must contain @"}]
}))]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    /// A stable machine-readable code (snake_case) for clients and translations: the
    /// refusing rule's own (`bid_above_ceiling`, `round_not_open`, `share_presented`...),
    /// else the `type`'s (`validation`, `not_found`...). docs/api.md lists them all.
    pub code: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{}", validation_detail(.0))]
    Validation(Vec<FieldError>),
    /// An uploaded file with errors: `detail` sums them up, `errors` lists them by line.
    #[error("{detail}")]
    InvalidFile {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    /// A domain rule refused the request (state, eligibility, a referenced row missing).
    #[error("{0}")]
    Unprocessable(String),
    #[error("too many failed attempts; retry in {retry_after_secs} s")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the service is temporarily unavailable; retry shortly")]
    Unavailable(#[source] BoxError),
    #[error("internal error")]
    Internal(#[source] BoxError),
    /// Another problem with a specific `code` (`bid_above_ceiling`, `round_not_open`):
    /// status, type, title and detail are the inner problem's.
    #[error("{inner}")]
    Coded {
        code: &'static str,
        inner: Box<ApiError>,
    },
}

fn validation_detail(errors: &[FieldError]) -> String {
    match errors {
        [one] => match &one.field {
            Some(f) => format!("{f}: {}", one.message),
            None => one.message.clone(),
        },
        many => format!("{} fields are invalid", many.len()),
    }
}

impl ApiError {
    pub fn internal(e: impl Into<BoxError>) -> Self {
        Self::Internal(e.into())
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        Self::NotFound(what.into())
    }

    pub fn forbidden(why: impl Into<String>) -> Self {
        Self::Forbidden(why.into())
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::field(field, message)])
    }

    /// A refusal by a business rule (422), with its specific code.
    pub fn rule(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Unprocessable(detail.into()).with_code(code)
    }

    /// A conflict with the current state (409), with its specific code.
    pub fn conflict(code: &'static str, detail: impl Into<String>) -> Self {
        Self::Conflict(detail.into()).with_code(code)
    }

    /// This problem, with a specific `code` in place of its type's (docs/api.md lists
    /// them all).
    pub fn with_code(self, code: &'static str) -> Self {
        match self {
            Self::Coded { inner, .. } => Self::Coded { code, inner },
            other => Self::Coded {
                code,
                inner: Box::new(other),
            },
        }
    }

    /// The problem's stable machine code: the specific one, or its type's.
    pub fn code(&self) -> String {
        match self {
            Self::Coded { code, .. } => (*code).to_owned(),
            other => other.kind_and_title().0.replace('-', "_"),
        }
    }

    fn kind_and_title(&self) -> (&'static str, &'static str) {
        match self {
            Self::BadRequest(_) => ("bad-request", "Malformed request"),
            Self::Validation(_) | Self::InvalidFile { .. } => ("validation", "Invalid input"),
            Self::Unauthorized(_) => ("unauthorized", "Authentication required"),
            Self::Forbidden(_) => ("forbidden", "Not allowed"),
            Self::NotFound(_) => ("not-found", "Not found"),
            Self::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            Self::Conflict(_) => ("conflict", "Conflict"),
            Self::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported media type"),
            Self::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            Self::Unprocessable(_) => ("rule-violation", "Refused by a business rule"),
            Self::TooManyRequests { .. } => ("too-many-requests", "Too many requests"),
            Self::Unavailable(_) => ("unavailable", "Service unavailable"),
            Self::Internal(_) => ("internal", "Internal error"),
            Self::Coded { inner, .. } => inner.kind_and_title(),
        }
    }

    pub fn problem(&self) -> Problem {
        let (kind, title) = self.kind_and_title();
        Problem {
            code: self.code(),
            kind: format!("/problems/{kind}"),
            title: title.into(),
            status: self.status_code().as_u16(),
            detail: self.to_string(),
            errors: match self {
                Self::Validation(errors) | Self::InvalidFile { errors, .. } => errors.clone(),
                Self::Coded { inner, .. } => inner.problem().errors,
                _ => Vec::new(),
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            Self::BadRequest(_) => StatusCode::BAD_REQUEST,
            Self::Validation(_) | Self::InvalidFile { .. } | Self::Unprocessable(_) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            Self::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::NotFound(_) => StatusCode::NOT_FOUND,
            Self::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            Self::Conflict(_) => StatusCode::CONFLICT,
            Self::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Coded { inner, .. } => inner.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        if self.status_code().is_server_error() {
            let mut chain = String::new();
            let mut source = self.source();
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            tracing::error!(error = %self, chain = %chain, "request failed");
        }
        let mut res = HttpResponse::build(self.status_code());
        res.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        let headers_of = match self {
            Self::Coded { inner, .. } => inner.as_ref(),
            other => other,
        };
        match headers_of {
            Self::Unauthorized(_) => {
                res.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            Self::TooManyRequests { retry_after_secs } => {
                res.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            _ => {}
        }
        res.json(self.problem())
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => Self::NotFound("no such record".into()),
            E::DatabaseError(K::UniqueViolation, info) => Self::Conflict(format!(
                "already exists ({})",
                info.constraint_name().unwrap_or("unique constraint")
            )),
            E::DatabaseError(K::ForeignKeyViolation, info) => Self::Unprocessable(format!(
                "refers to a record that does not exist ({})",
                info.constraint_name().unwrap_or("foreign key")
            )),
            E::DatabaseError(K::CheckViolation, info) => Self::Unprocessable(format!(
                "violates the rule {}",
                info.constraint_name().unwrap_or("check constraint")
            )),
            E::DatabaseError(K::SerializationFailure, _) => Self::Unavailable(Box::new(e)),
            other => Self::Internal(Box::new(other)),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(e: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        Self::Unavailable(Box::new(e))
    }
}

/// Maps actix's query and path extraction failures to problems (bodies are read by
/// [`crate::platform::input::Json`]).
pub fn query_error(
    err: actix_web::error::QueryPayloadError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::BadRequest(format!("invalid query string: {err}")).into()
}

pub fn path_error(
    err: actix_web::error::PathError,
    _: &actix_web::HttpRequest,
) -> actix_web::Error {
    ApiError::NotFound(format!("invalid path parameter: {err}")).into()
}

pub type ApiResult<T> = Result<T, ApiError>;
