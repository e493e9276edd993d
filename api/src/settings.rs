//! Configuration, read once from the environment at start-up.
//!
//! Every setting is documented in README.md. A missing or invalid setting stops start-up
//! with one line naming the variable; secrets are never printed (see the `Debug` impls).

use std::{fmt, time::Duration};

/// A setting that is missing or invalid; its message is one line meant for the operator.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct SettingsError(pub String);

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn parse_num<T: std::str::FromStr>(name: &str, default: T) -> Result<T, SettingsError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v
            .trim()
            .parse()
            .map_err(|_| SettingsError(format!("{name}={v:?} is not a valid number"))),
    }
}

/// Where the database is and how many connections to keep.
#[derive(Clone)]
pub struct DatabaseSettings {
    pub url: String,
    pub pool_size: usize,
    /// How long a request waits for a free connection before answering 503.
    pub pool_timeout: Duration,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .finish()
    }
}

/// The URL without its password, for logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

impl DatabaseSettings {
    pub fn from_env() -> Result<Self, SettingsError> {
        let url = var("DATABASE_URL").ok_or_else(|| {
            SettingsError(
                "DATABASE_URL is not set (for example postgres://postgres@127.0.0.1:5432/vbp); \
                 scripts/demo.sh sets it for you"
                    .into(),
            )
        })?;
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(SettingsError(format!(
                "DATABASE_URL must be a postgres:// URL, got {:?}",
                redact_url(&url)
            )));
        }
        let pool_size = parse_num("VBP_DB_POOL_SIZE", 16usize)?;
        if pool_size == 0 {
            return Err(SettingsError("VBP_DB_POOL_SIZE must be at least 1".into()));
        }
        let timeout_ms = parse_num("VBP_DB_POOL_TIMEOUT_MS", 5_000u64)?;
        Ok(Self {
            url,
            pool_size,
            pool_timeout: Duration::from_millis(timeout_ms),
        })
    }
}

/// Limits on failed logins, per account and per client address, in one window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    pub window: Duration,
    pub per_account: i32,
    pub per_ip: i32,
}

impl Default for LoginLimits {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(15 * 60),
            per_account: 5,
            per_ip: 50,
        }
    }
}

/// Secret key for signing access tokens (HS256).
#[derive(Clone)]
pub struct JwtSecret(pub Vec<u8>);

impl fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("JwtSecret(***)")
    }
}

/// Everything `vbp serve` needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub database: DatabaseSettings,
    pub bind: String,
    pub jwt_secret: JwtSecret,
    pub token_ttl: Duration,
    pub login: LoginLimits,
    /// How often the audit sealer chains new entries.
    pub audit_seal_interval: Duration,
    /// Number of HTTP worker threads.
    pub workers: usize,
}

pub const MIN_SECRET_BYTES: usize = 32;

impl Settings {
    pub fn from_env() -> Result<Self, SettingsError> {
        let database = DatabaseSettings::from_env()?;
        let bind = var("VBP_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        if bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(SettingsError(format!(
                "VBP_BIND={bind:?} is not an address:port such as 127.0.0.1:8080"
            )));
        }
        let secret = match (var("VBP_JWT_SECRET"), var("VBP_JWT_SECRET_FILE")) {
            (Some(s), _) => s.into_bytes(),
            (None, Some(path)) => std::fs::read(&path)
                .map_err(|e| {
                    SettingsError(format!("VBP_JWT_SECRET_FILE={path:?} cannot be read: {e}"))
                })?
                .trim_ascii()
                .to_vec(),
            (None, None) => {
                return Err(SettingsError(
                    "VBP_JWT_SECRET (or VBP_JWT_SECRET_FILE) is not set: give at least 32 random bytes, \
                     e.g. VBP_JWT_SECRET=$(openssl rand -hex 32)"
                        .into(),
                ));
            }
        };
        if secret.len() < MIN_SECRET_BYTES {
            return Err(SettingsError(format!(
                "the JWT secret is {} bytes long; at least {MIN_SECRET_BYTES} are required",
                secret.len()
            )));
        }
        let ttl = parse_num("VBP_TOKEN_TTL_SECS", 8 * 3600u64)?;
        if !(60..=7 * 24 * 3600).contains(&ttl) {
            return Err(SettingsError(
                "VBP_TOKEN_TTL_SECS must be between 60 and 604800".into(),
            ));
        }
        let defaults = LoginLimits::default();
        let login = LoginLimits {
            window: Duration::from_secs(parse_num(
                "VBP_LOGIN_WINDOW_SECS",
                defaults.window.as_secs(),
            )?),
            per_account: parse_num("VBP_LOGIN_MAX_FAILURES_PER_ACCOUNT", defaults.per_account)?,
            per_ip: parse_num("VBP_LOGIN_MAX_FAILURES_PER_IP", defaults.per_ip)?,
        };
        let seal_ms = parse_num("VBP_AUDIT_SEAL_INTERVAL_MS", 500u64)?;
        let workers = parse_num(
            "VBP_WORKERS",
            std::thread::available_parallelism().map_or(2, |n| n.get()),
        )?;
        Ok(Self {
            database,
            bind,
            jwt_secret: JwtSecret(secret),
            token_ttl: Duration::from_secs(ttl),
            login,
            audit_seal_interval: Duration::from_millis(seal_ms.max(10)),
            workers: workers.max(1),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn redacts_password_only() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
