//! Checks every request meets before any handler: what no route may take, refused once
//! here rather than in each handler.
//!
//! * U+0000 (NUL) in the path, the query string or a JSON body: PostgreSQL stores no NUL
//!   in text, so a NUL that reached a query would be a 500. Refused with a 422 naming the
//!   field (`path`, the query parameter, or the JSON path of the body's value).
//! * A query string that does not decode (bad percent-encoding, not UTF-8): 400.
//! * A JSON body larger than [`MAX_JSON_BODY`]: 413.
//!
//! Uploaded files (CSV) are checked by their own decoder, which names line and column.
//!
//! [`Json`] is the body extractor of every route: its errors name the field at fault.

use actix_web::{
    HttpMessage,
    body::{EitherBody, MessageBody},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::header,
    middleware::Next,
    web::{Bytes, BytesMut},
};
use futures_util::StreamExt;
use serde_json::Value;

use crate::platform::error::{ApiError, FieldError};

/// The largest JSON body any route accepts.
pub const MAX_JSON_BODY: usize = 1 << 20;

/// Longest names (organisations, users, rounds, generic names, manufacturers), in characters.
pub const MAX_NAME: usize = 200;
/// Longest free text (a cancellation's or a supply failure's reason), in characters.
pub const MAX_TEXT: usize = 2000;
/// Longest code (catalog codes, dosage forms, audit actions and entity types).
pub const MAX_CODE: usize = 64;

/// `value` (a text input named `field`) has at most `max` characters; otherwise an error
/// naming the field is pushed.
pub fn check_len(errors: &mut Vec<FieldError>, field: &str, value: &str, max: usize) {
    if value.chars().count() > max {
        errors.push(FieldError::field(
            field,
            format!("must be at most {max} characters"),
        ));
    }
}

/// [`check_len`] for one field alone: the 422 at once.
pub fn bounded(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    check_len(&mut errors, field, value, max);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// A date input within what the platform plans for (years 2000 to 2199): PostgreSQL's
/// own range is wider, chrono's too, but a procurement date outside this is a typo.
pub fn check_date(field: &str, date: chrono::NaiveDate) -> Result<(), ApiError> {
    use chrono::Datelike;
    if (2000..2200).contains(&date.year()) {
        Ok(())
    } else {
        Err(ApiError::invalid(
            field,
            format!("{date} is not a date between 2000-01-01 and 2199-12-31"),
        ))
    }
}

/// A JSON body. Like `web::Json`, but a body of the wrong shape is a 422 naming the field
/// at fault (`lines[2].annual_quantity`), and a body that is not JSON at all a 400.
///
/// The body is read before the handler runs, but its verdict is taken by the handler with
/// [`Json::into_inner`] once the caller's role is checked: a role that may not act gets
/// its 403 whatever it sent, and learns nothing of the body's rules.
pub struct Json<T>(Result<T, ApiError>);

impl<T> Json<T> {
    /// The body, or why it is refused (400, 413, 415 or 422).
    pub fn into_inner(self) -> Result<T, ApiError> {
        self.0
    }
}

impl<T: serde::de::DeserializeOwned + 'static> actix_web::FromRequest for Json<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &actix_web::HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = sent_as_json(req.headers());
        let payload = payload.take();
        Box::pin(async move {
            if !json {
                return Ok(Json(Err(ApiError::UnsupportedMediaType(
                    "the body must be JSON, sent with Content-Type: application/json".into(),
                ))));
            }
            Ok(Json(match read_body(payload).await {
                Ok(body) => parse_json(&body),
                Err(e) => Err(e),
            }))
        })
    }
}

/// `body` as a `T`, or the problem: 400 when it is not JSON, 422 naming the field.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(body);
    let parsed = match serde_path_to_error::deserialize(&mut *de) {
        // nothing but whitespace may follow the value
        Ok(v) => de.end().map(|()| v).map_err(|e| (".".to_owned(), e)),
        Err(e) => Err((e.path().to_string(), e.into_inner())),
    };
    parsed.map_err(|(path, e)| {
        if e.is_syntax() || e.is_eof() {
            ApiError::BadRequest(format!(
                "the body is not valid JSON (line {}, column {}): {e}",
                e.line(),
                e.column()
            ))
        } else {
            // serde's message names the field itself when it is missing or unknown
            let field = (path != ".").then_some(path);
            ApiError::Validation(vec![FieldError {
                field,
                line: None,
                message: e.to_string(),
            }])
        }
    })
}

/// The middleware: see the module documentation.
pub async fn screen(
    mut req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if let Err(e) = check_uri(req.uri()) {
        return Ok(req.error_response(e).map_into_right_body());
    }
    if sent_as_json(req.headers()) {
        let body = match read_body(req.take_payload()).await {
            Ok(body) => body,
            Err(e) => return Ok(req.error_response(e).map_into_right_body()),
        };
        if let Some(field) = nul_in_json(&body) {
            return Ok(req
                .error_response(ApiError::Validation(vec![nul_error(field)]))
                .map_into_right_body());
        }
        req.set_payload(Payload::from(body));
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn nul_error(field: String) -> FieldError {
    FieldError::field(
        field,
        "contains a NUL character (U+0000), which no text may hold",
    )
}

/// Whether the body is declared JSON: `Content-Type: application/json` or
/// `application/<something>+json`, with any parameters.
fn sent_as_json(headers: &header::HeaderMap) -> bool {
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json"))
}

/// The path and the query string: no NUL, and a query that decodes.
fn check_uri(uri: &actix_web::http::Uri) -> Result<(), ApiError> {
    if uri.path().as_bytes().windows(3).any(|w| w == b"%00") {
        return Err(ApiError::Validation(vec![nul_error("path".into())]));
    }
    let Some(query) = uri.query() else {
        return Ok(());
    };
    // decoded once; percent-escapes that are not UTF-8 would be read as U+FFFD and match
    // nothing
    let decoded: Vec<u8> = percent_encoding::percent_decode_str(query).collect();
    let Ok(decoded) = std::str::from_utf8(&decoded) else {
        return Err(ApiError::BadRequest(
            "the query string cannot be read: its percent-escapes are not UTF-8 (percent-encode it as UTF-8)".into(),
        ));
    };
    if !decoded.contains('\0') {
        return Ok(());
    }
    // a NUL: name the parameter that holds it
    let pairs = actix_web::web::Query::<Vec<(String, String)>>::from_query(query).map_err(|e| {
        ApiError::BadRequest(format!(
            "the query string cannot be read ({e}): percent-encode it as UTF-8"
        ))
    })?;
    match pairs
        .iter()
        .find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        Some((k, _)) => Err(ApiError::Validation(vec![nul_error(k.replace('\0', ""))])),
        None => Ok(()),
    }
}

/// The whole body, at most [`MAX_JSON_BODY`] bytes.
async fn read_body(mut payload: Payload) -> Result<Bytes, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("the body cannot be read: {e}")))?;
        if body.len() + chunk.len() > MAX_JSON_BODY {
            return Err(ApiError::PayloadTooLarge(format!(
                "the JSON body is larger than {MAX_JSON_BODY} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// The JSON path of the first string (or object key) holding a NUL, when the body is JSON
/// and has one. A body that is not JSON is left to the handler's extractor (a 400).
fn nul_in_json(body: &[u8]) -> Option<String> {
    // JSON can carry NUL only escaped; most bodies have no such escape at all
    if !body.windows(6).any(|w| w == br"\u0000") {
        return None;
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => find_nul(&value, String::new()),
        // Unreadable as a whole (a number out of range, nested too deep), yet a route's
        // own parser may still read it, skipping the unreadable part as an unknown field:
        // the NUL must not slip through with it.
        Err(_) => nul_outside_escaped_backslash(body).then(|| "body".to_owned()),
    }
}

/// Whether `\u0000` stands in `body` as an escape (not after an escaped backslash).
fn nul_outside_escaped_backslash(body: &[u8]) -> bool {
    body.windows(6).enumerate().any(|(i, w)| {
        w == br"\u0000" && body[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0
    })
}

fn find_nul(value: &Value, at: String) -> Option<String> {
    match value {
        Value::String(s) if s.contains('\0') => {
            Some(if at.is_empty() { "body".into() } else { at })
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| find_nul(v, format!("{at}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let path = if at.is_empty() {
                k.replace('\0', "")
            } else {
                format!("{at}.{}", k.replace('\0', ""))
            };
            if k.contains('\0') {
                Some(path)
            } else {
                find_nul(v, path)
            }
        }),
        _ => None,
    }
}

/// The `Idempotency-Key` header, when sent: 1 to 200 visible characters.
pub fn idempotency_key(req: &actix_web::HttpRequest) -> Result<Option<String>, ApiError> {
    req.headers()
        .get("idempotency-key")
        .map(|v| {
            v.to_str()
                .ok()
                .map(str::trim)
                .filter(|s| !s.is_empty() && s.len() <= 200)
                .map(str::to_owned)
                .ok_or_else(|| {
                    ApiError::invalid("Idempotency-Key", "must be 1 to 200 visible characters")
                })
        })
        .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_with_its_path() {
        assert_eq!(nul_in_json(br#"{"a":"x"}"#), None);
        assert_eq!(
            nul_in_json(br#"{"a":"x","lines":[{"q":1},{"code":"A\u0000"}]}"#).as_deref(),
            Some("lines[1].code")
        );
        assert_eq!(nul_in_json(br#""\u0000""#).as_deref(), Some("body"));
        assert_eq!(nul_in_json(br#"{"k\u0000":1}"#).as_deref(), Some("k"));
        // an escaped backslash followed by u0000 is no NUL
        assert_eq!(nul_in_json(br#"{"a":"\\u0000"}"#), None);
        // not JSON: left to the extractor
        assert_eq!(nul_in_json(br#"{"a":"x"#), None);
        // unreadable as a whole but readable by a route that skips the unknown field
        assert_eq!(
            nul_in_json(br#"{"name":"a\u0000","x":1e400}"#).as_deref(),
            Some("body")
        );
        assert_eq!(nul_in_json(br#"{"name":"a\\u0000","x":1e400}"#), None);
    }

    #[test]
    fn json_errors_name_the_field() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Line {
            qty: u32,
        }
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Body {
            lines: Vec<Line>,
        }
        let field = |body: &str| match parse_json::<Body>(body.as_bytes()) {
            Err(ApiError::Validation(e)) => e[0].field.clone(),
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(r#"{"lines":[{"qty":1},{"qty":"x"}]}"#).as_deref(),
            Some("lines[1].qty")
        );
        assert_eq!(
            field(r#"{"lines":[{"qty":4294967296}]}"#).as_deref(),
            Some("lines[0].qty")
        );
        assert!(matches!(
            parse_json::<Body>(br#"{"lines": "#),
            Err(ApiError::BadRequest(_))
        ));
        assert!(matches!(
            parse_json::<Body>(br#"{"lines": []} x"#),
            Err(ApiError::BadRequest(_))
        ));
        // nested past serde_json's recursion limit: not readable (a free-form JSON field)
        let deep = "[".repeat(10_000);
        assert!(matches!(
            parse_json::<serde_json::Value>(deep.as_bytes()),
            Err(ApiError::BadRequest(_))
        ));
        assert!(parse_json::<Body>(br#"{"lines":[{"qty":1}]}"#).is_ok());
    }

    #[test]
    fn uri_checks() {
        let ok = |s: &str| check_uri(&s.parse().unwrap_or_default());
        assert!(ok("/api/v1/rounds?status=draft").is_ok());
        assert!(ok("/api/v1/rounds/%00").is_err());
        assert!(ok("/api/v1/catalog/items?q=a%00b").is_err());
        assert!(ok("/api/v1/catalog/items?q=%E9%98%BF").is_ok());
        assert!(ok("/api/v1/catalog/items?a%00=1").is_err());
        assert!(matches!(
            ok("/api/v1/catalog/items?q=%E9%98"),
            Err(ApiError::BadRequest(_))
        ));
    }
}
