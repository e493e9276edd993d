//! Reads from a streaming replica (`VBP_DATABASE_READ_URL`), never older than the
//! client's own last write.
//!
//! The rule: after every successful write request (any method but GET, HEAD and OPTIONS
//! answered 2xx), [`mark_writes`] reads the primary's WAL position *after* the commit
//! (`pg_current_wal_lsn()`) and hands it to the client twice: as the cookie `vbp_lsn`
//! (a browser sends it back by itself) and as the response header `VBP-LSN` (an API
//! client sends it back as the request header `VBP-Min-LSN`). A route that reads through
//! [`ReadDb`] uses the replica only when the replica has replayed at least that position
//! (`pg_last_wal_replay_lsn() >= token`); otherwise, and whenever the replica cannot be
//! reached, it reads from the primary. A client with no token (anonymous readers of the
//! public results, OCDS and catalog) reads the replica as it is: at most the replication
//! lag old (docs/operations.md tells how to watch it).
//!
//! Only the read-heavy routes that show published or reference data read through
//! [`ReadDb`]: catalog search, item and export; results; the frozen register; OCDS; the
//! statements. Everything that decides (a write's checks, a session) reads the primary.

use std::{future::Future, pin::Pin};

use actix_web::{
    FromRequest, HttpRequest,
    body::MessageBody,
    cookie::{Cookie, SameSite},
    dev::{Payload, ServiceRequest, ServiceResponse},
    http::{Method, header},
    middleware::Next,
    web,
};
use diesel::sql_types::{Bool, Nullable, Text};
use diesel_async::RunQueryDsl;

use crate::platform::{
    AppState,
    db::{Pool, PooledConn},
    error::ApiError,
};

/// The cookie that carries the client's last write position.
pub const LSN_COOKIE: &str = "vbp_lsn";
/// The response header with the position of the write just made.
pub const LSN_HEADER: &str = "vbp-lsn";
/// The request header an API client sends it back in.
pub const MIN_LSN_HEADER: &str = "vbp-min-lsn";

/// A PostgreSQL WAL position as text (`16/B374D848`): two hexadecimal numbers of at most
/// eight digits each.
pub fn valid_lsn(s: &str) -> bool {
    let Some((hi, lo)) = s.split_once('/') else {
        return false;
    };
    let hex = |p: &str| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_hexdigit());
    hex(hi) && hex(lo)
}

/// A WAL position as a number, for comparing two of them.
fn lsn_value(s: &str) -> Option<u64> {
    let (hi, lo) = s.split_once('/')?;
    Some((u64::from_str_radix(hi, 16).ok()? << 32) | u64::from_str_radix(lo, 16).ok()?)
}

/// The position a reader must see: the later of the `VBP-Min-LSN` header (400
/// `invalid_lsn` when malformed) and the `vbp_lsn` cookie (ignored when malformed: a
/// browser cannot fix it).
fn wanted_lsn(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let header = match req.headers().get(MIN_LSN_HEADER) {
        None => None,
        Some(v) => {
            let v = v.to_str().unwrap_or_default().trim();
            if !valid_lsn(v) {
                return Err(ApiError::BadRequest(
                    "VBP-Min-LSN must be a WAL position such as 16/B374D848 (the VBP-LSN header of a write)".into(),
                )
                .with_code("invalid_lsn"));
            }
            Some(v.to_owned())
        }
    };
    let cookie = req
        .cookie(LSN_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| valid_lsn(v));
    Ok(match (header, cookie) {
        (Some(h), Some(c)) => Some(if lsn_value(&c) > lsn_value(&h) { c } else { h }),
        (h, c) => h.or(c),
    })
}

/// The position handed out when the real one cannot be read: no replica reaches it, so the
/// client's reads go to the primary until its next write.
pub const READ_THE_PRIMARY: &str = "FFFFFFFF/FFFFFFFF";

/// The request header of a read through [`ReadDb`], for the OpenAPI document
/// (`params(..., MinLsn)` on each such route).
#[derive(serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
pub struct MinLsn {
    /// Read nothing older than this WAL position: the `VBP-LSN` header of the client's last
    /// write (browsers send the `vbp_lsn` cookie instead). Only matters with a read replica.
    #[serde(rename = "VBP-Min-LSN")]
    #[param(
        pattern = r"^[0-9A-Fa-f]{1,8}/[0-9A-Fa-f]{1,8}$",
        example = "0/16B3748"
    )]
    pub min_lsn: Option<String>,
}

#[derive(diesel::QueryableByName)]
struct CaughtUp {
    #[diesel(sql_type = Nullable<Bool>)]
    caught_up: Option<bool>,
}

/// A connection for a read-heavy route: the replica when it has replayed the client's
/// last write (or the client made none), else the primary. Counted by target in
/// `vbp_db_reads_total`. `pool` is the pool it came from, for a route that reads in
/// several steps (a streamed statement takes a connection per page).
pub struct ReadDb {
    pub conn: PooledConn,
    pub pool: Pool,
}

impl ReadDb {
    async fn pick(state: &AppState, wanted: Option<String>) -> Result<Self, ApiError> {
        if let Some(replica) = &state.read_pool {
            match Self::from_replica(replica, wanted.as_deref()).await {
                Ok(Some(conn)) => {
                    state.metrics.db_reads.with_label_values(&["replica"]).inc();
                    return Ok(Self {
                        conn,
                        pool: replica.clone(),
                    });
                }
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "replica unavailable; reading the primary"),
            }
        }
        state.metrics.db_reads.with_label_values(&["primary"]).inc();
        Ok(Self {
            conn: state.pool.get().await?,
            pool: state.pool.clone(),
        })
    }

    /// The replica's connection when it is recent enough; `None` when it lags behind
    /// `wanted`. A read server that is not in recovery (the primary itself, named twice)
    /// is compared by its own WAL position.
    async fn from_replica(
        replica: &Pool,
        wanted: Option<&str>,
    ) -> Result<Option<PooledConn>, ApiError> {
        let mut conn = replica.get().await?;
        let Some(lsn) = wanted else {
            return Ok(Some(conn));
        };
        let row: CaughtUp = diesel::sql_query(
            "SELECT CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() >= $1::pg_lsn
                         ELSE pg_current_wal_lsn() >= $1::pg_lsn END AS caught_up",
        )
        .bind::<Text, _>(lsn)
        .get_result(&mut conn)
        .await?;
        Ok(row.caught_up.unwrap_or(false).then_some(conn))
    }
}

impl FromRequest for ReadDb {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let wanted = wanted_lsn(req);
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::internal("application state missing"))?;
            Self::pick(&state, wanted?).await
        })
    }
}

#[derive(diesel::QueryableByName)]
struct Lsn {
    #[diesel(sql_type = Text)]
    lsn: String,
}

/// Put in a response's extensions by a write whose effect no [`ReadDb`] route shows
/// before a later write orders it (a sealed bid: only the register shows it, once the
/// round's closing has committed): [`mark_writes`] then hands back no position, sparing
/// the round trip. Each use says why the rule still holds.
pub struct NothingToReadBack;

/// Middleware: after a successful write, when a replica is configured, the primary's WAL
/// position goes back to the client (cookie `vbp_lsn`, header `VBP-LSN`). Without a
/// replica it does nothing.
pub async fn mark_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .filter(|s| s.read_pool.is_some())
        .cloned();
    let write = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut res = next.call(req).await?;
    let Some(state) = state.filter(|_| {
        write
            && res.status().is_success()
            && res
                .response()
                .extensions()
                .get::<NothingToReadBack>()
                .is_none()
    }) else {
        return Ok(res);
    };
    let lsn = match state.pool.get().await {
        Ok(mut conn) => diesel::sql_query("SELECT pg_current_wal_lsn()::text AS lsn")
            .get_result::<Lsn>(&mut conn)
            .await
            .map_err(|e| e.to_string()),
        Err(e) => Err(e.to_string()),
    };
    let lsn = match lsn {
        Ok(Lsn { lsn }) if valid_lsn(&lsn) => lsn,
        // the write is done but its position is unknown: the client reads the primary
        // until its next write
        other => {
            tracing::warn!(error = ?other.err(), "cannot read the WAL position after a write; the client will read the primary");
            READ_THE_PRIMARY.to_owned()
        }
    };
    let cookie = Cookie::build(LSN_COOKIE, lsn.clone())
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .finish();
    if let Ok(v) = header::HeaderValue::from_str(&cookie.to_string()) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    if let Ok(v) = header::HeaderValue::from_str(&lsn) {
        res.headers_mut()
            .insert(header::HeaderName::from_static(LSN_HEADER), v);
    }
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::valid_lsn;

    #[test]
    fn positions_compare_as_numbers() {
        use super::lsn_value;
        assert!(lsn_value("0/16B3748") < lsn_value("0/16B3749"));
        assert!(lsn_value("0/FFFFFFFF") < lsn_value("1/0"));
        assert!(lsn_value("2/0") < lsn_value(super::READ_THE_PRIMARY));
    }

    #[test]
    fn lsn_syntax() {
        assert!(valid_lsn("0/16B3748"));
        assert!(valid_lsn("FFFFFFFF/FFFFFFFF"));
        for bad in ["", "/", "0/", "/1", "0/123456789", "g/1", "0/1/2", "0 /1"] {
            assert!(!valid_lsn(bad), "{bad:?}");
        }
    }
}
