//! Persistence: the connection pool, embedded migrations, and row types with their queries.
//!
//! Row structs live here and are converted to domain or response types at the edge.
//! Queries are associated async functions returning `QueryResult<T>`; HTTP errors belong
//! to the handlers.

pub mod prepared;
pub mod read;
pub mod schema;
pub mod text_enum;

pub(crate) use text_enum::text_enum;

use diesel::{Connection, ConnectionError};
use diesel_async::{
    AsyncPgConnection,
    async_connection_wrapper::AsyncConnectionWrapper,
    pooled_connection::{AsyncDieselConnectionManager, deadpool},
};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::platform::{error::ApiError, settings::DatabaseSettings};

// Joins schema.rs cannot derive: the seal's entry is no foreign key (see migration
// 2026-12-01-000040_write_path), but the audit queries join on it.
diesel::joinable!(schema::audit_seal -> schema::audit_log (entry_id));

pub type Pool = deadpool::Pool<AsyncPgConnection>;
pub type PooledConn = deadpool::Object<AsyncPgConnection>;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("../migrations");

/// A database that could not be reached, created or migrated.
#[derive(Debug, thiserror::Error)]
pub enum DbSetupError {
    #[error("cannot connect to the database: {0}")]
    Connect(#[from] ConnectionError),
    #[error("database query failed: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
    #[error("cannot build the connection pool: {0}")]
    Pool(#[from] deadpool::BuildError),
    #[error("background task failed: {0}")]
    Join(#[from] tokio::task::JoinError),
}

pub fn build_pool(settings: &DatabaseSettings) -> Result<Pool, DbSetupError> {
    pool_of(&settings.url, settings.pool_size, settings)
}

/// The pool of the read replica, when `VBP_DATABASE_READ_URL` is set.
pub fn build_read_pool(settings: &DatabaseSettings) -> Result<Option<Pool>, DbSetupError> {
    settings
        .read_url
        .as_deref()
        .map(|url| pool_of(url, settings.read_pool_size, settings))
        .transpose()
}

fn pool_of(url: &str, size: usize, settings: &DatabaseSettings) -> Result<Pool, DbSetupError> {
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new(url);
    Ok(Pool::builder(manager)
        .max_size(size)
        .wait_timeout(Some(settings.pool_timeout))
        .create_timeout(Some(settings.pool_timeout))
        .runtime(::deadpool::Runtime::Tokio1)
        .build()?)
}

/// Splits a `postgres://` URL into (URL of the `postgres` maintenance database, database name).
/// Returns `None` for URLs it does not understand, which are then used as they are.
fn maintenance_url(url: &str) -> Option<(String, String)> {
    let after_scheme = url.find("://")? + 3;
    let slash = after_scheme + url[after_scheme..].find('/')?;
    let (path, query) = match url[slash + 1..].find('?') {
        Some(q) => (&url[slash + 1..slash + 1 + q], &url[slash + 1 + q..]),
        None => (&url[slash + 1..], ""),
    };
    if path.is_empty()
        || path == "postgres"
        || !path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return None;
    }
    Some((
        format!("{}/postgres{}", &url[..slash], query),
        path.to_owned(),
    ))
}

/// Creates the database named in the URL when it does not exist yet, so that a fresh
/// machine needs no manual `createdb`.
pub async fn ensure_database(url: &str) -> Result<(), DbSetupError> {
    use diesel::{dsl::sql, select, sql_types::Bool};
    use diesel_async::{AsyncConnection, RunQueryDsl, SimpleAsyncConnection};

    let Some((admin_url, name)) = maintenance_url(url) else {
        return Ok(());
    };
    let mut conn = AsyncPgConnection::establish(&admin_url).await?;
    let exists: bool = select(sql::<Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(&mut conn)
    .await?;
    if !exists {
        match conn
            .batch_execute(&format!("CREATE DATABASE \"{name}\""))
            .await
        {
            Ok(()) => tracing::info!(database = %name, "created database"),
            // another process created it at the same moment
            Err(e) if e.to_string().contains("already exists") => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// Runs pending migrations; returns the versions applied. Runs on a blocking thread
/// because diesel's migration harness is synchronous.
pub async fn run_migrations(url: &str) -> Result<Vec<String>, DbSetupError> {
    let url = url.to_owned();
    tokio::task::spawn_blocking(move || {
        let mut conn = AsyncConnectionWrapper::<AsyncPgConnection>::establish(&url)?;
        let applied = conn
            .run_pending_migrations(MIGRATIONS)
            .map_err(|e| DbSetupError::Migration(e.to_string()))?;
        Ok(applied.iter().map(ToString::to_string).collect())
    })
    .await?
}

/// The calendar day in China Standard Time (UTC+8, no daylight saving) at `t`: the day of
/// every business date of the platform (ceilings, cycles, bars), as docs/rules.md says.
pub fn china_date(t: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
    (t + chrono::TimeDelta::hours(8)).date_naive()
}

/// A calendar day as the domain's date (bidding_core works on its own `Date`).
pub fn core_date(d: chrono::NaiveDate) -> Result<bidding_core::Date, ApiError> {
    use chrono::Datelike;
    bidding_core::Date::from_ymd(d.year(), d.month(), d.day()).map_err(ApiError::internal)
}

/// The domain's date as a calendar day.
pub fn naive_date(d: bidding_core::Date) -> Result<chrono::NaiveDate, ApiError> {
    let (y, m, day) = d.ymd();
    chrono::NaiveDate::from_ymd_opt(y, m, day)
        .ok_or_else(|| ApiError::internal("date out of range"))
}

/// The database's clock now (not the transaction's start).
pub async fn clock(
    conn: &mut diesel_async::AsyncPgConnection,
) -> diesel::QueryResult<chrono::DateTime<chrono::Utc>> {
    use diesel_async::RunQueryDsl;
    diesel::select(diesel::dsl::sql::<diesel::sql_types::Timestamptz>(
        "clock_timestamp()",
    ))
    .get_result(conn)
    .await
}

#[cfg(test)]
mod tests {
    use super::maintenance_url;

    #[test]
    fn maintenance_url_swaps_database() {
        assert_eq!(
            maintenance_url("postgres://postgres@127.0.0.1:5432/vbp?sslmode=disable"),
            Some((
                "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable".into(),
                "vbp".into()
            ))
        );
        assert_eq!(maintenance_url("postgres://h/postgres"), None);
        assert_eq!(maintenance_url("postgres://h/db;drop"), None);
    }
}
