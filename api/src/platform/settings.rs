//! Configuration, read once from the environment at start-up.
//!
//! Every setting is documented in README.md. A missing or invalid setting stops start-up
//! with one line naming the variable; secrets are never printed (see the `Debug` impls).

use std::{fmt, path::PathBuf, time::Duration};

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
    /// A streaming replica for the read-heavy public routes (`VBP_DATABASE_READ_URL`);
    /// `None` sends every read to `url`. See [`crate::platform::db::read`].
    pub read_url: Option<String>,
    /// Connections per process to the replica (`VBP_DB_READ_POOL_SIZE`).
    pub read_pool_size: usize,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(&self.url))
            .field("pool_size", &self.pool_size)
            .field("read_url", &self.read_url.as_deref().map(redact_url))
            .field("read_pool_size", &self.read_pool_size)
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
        let read_url = var("VBP_DATABASE_READ_URL");
        if let Some(r) = &read_url
            && !(r.starts_with("postgres://") || r.starts_with("postgresql://"))
        {
            return Err(SettingsError(format!(
                "VBP_DATABASE_READ_URL must be a postgres:// URL, got {:?}",
                redact_url(r)
            )));
        }
        let read_pool_size = parse_num("VBP_DB_READ_POOL_SIZE", pool_size)?;
        if read_pool_size == 0 {
            return Err(SettingsError(
                "VBP_DB_READ_POOL_SIZE must be at least 1".into(),
            ));
        }
        Ok(Self {
            url,
            pool_size,
            pool_timeout: Duration::from_millis(timeout_ms),
            read_url,
            read_pool_size,
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

/// Where outgoing mail goes.
#[derive(Clone)]
pub enum MailBackend {
    /// An SMTP server: `smtp://host:port` (plain, for a relay on a trusted network),
    /// `smtp://...?tls=required` (STARTTLS) or `smtps://host:port` (TLS); user and password
    /// in the URL when the server wants them.
    Smtp { url: String },
    /// Each message written as an .eml file into a folder (development and demos).
    File { dir: PathBuf },
}

impl fmt::Debug for MailBackend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Smtp { url } => write!(f, "Smtp({})", redact_url(url)),
            Self::File { dir } => write!(f, "File({})", dir.display()),
        }
    }
}

#[derive(Debug, Clone)]
pub struct MailSettings {
    pub backend: MailBackend,
    /// The From: mailbox, e.g. `vbp <noreply@vbp.example.cn>`.
    pub from: String,
    /// How long one SMTP conversation may take.
    pub smtp_timeout: Duration,
    /// The platform's address as users reach it, for links in mail.
    pub public_url: String,
}

/// The platform's address in mail links when `VBP_PUBLIC_URL` is not set: the address
/// served (`VBP_BIND`), with a wildcard host read as this machine.
pub fn default_public_url(bind: &str) -> String {
    let (host, port) = bind.rsplit_once(':').unwrap_or((bind, "8080"));
    let host = match host {
        "" | "0.0.0.0" | "[::]" | "::" => "127.0.0.1",
        h => h,
    };
    format!("http://{host}:{port}/")
}

impl MailSettings {
    /// `bind` is where the server listens (`VBP_BIND`), the default of mail links.
    pub fn from_env_for(bind: &str) -> Result<Self, SettingsError> {
        let backend = match (var("VBP_SMTP_URL"), var("VBP_MAIL_DIR")) {
            (Some(url), _) => {
                if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
                    return Err(SettingsError(format!(
                        "VBP_SMTP_URL={:?} must start with smtp:// or smtps://",
                        redact_url(&url)
                    )));
                }
                MailBackend::Smtp { url }
            }
            (None, Some(dir)) => MailBackend::File { dir: dir.into() },
            (None, None) => {
                return Err(SettingsError(
                    "VBP_SMTP_URL (e.g. smtp://127.0.0.1:25) or VBP_MAIL_DIR (write mail to files) must be set"
                        .into(),
                ));
            }
        };
        let from = var("VBP_MAIL_FROM")
            .unwrap_or_else(|| "vbp 带量采购平台 <noreply@vbp.localhost>".into());
        if from.parse::<lettre::message::Mailbox>().is_err() {
            return Err(SettingsError(format!(
                "VBP_MAIL_FROM={from:?} is not a mailbox such as: vbp <noreply@example.cn>"
            )));
        }
        Ok(Self {
            backend,
            from,
            smtp_timeout: Duration::from_secs(parse_num("VBP_SMTP_TIMEOUT_SECS", 30u64)?.max(1)),
            public_url: var("VBP_PUBLIC_URL").unwrap_or_else(|| default_public_url(bind)),
        })
    }
}

/// The job queue's timing.
#[derive(Debug, Clone)]
pub struct JobSettings {
    /// How often an idle worker looks for due jobs.
    pub poll_interval: Duration,
    /// How long a claimed job stays claimed; a worker that dies leaves it for others after this.
    pub lease: Duration,
    /// Attempts before a job is dead.
    pub max_attempts: i32,
    /// Retry delay after the first failure; doubled after each further one.
    pub backoff_base: Duration,
    pub backoff_max: Duration,
    /// Jobs a worker takes at once.
    pub batch: i64,
    /// The worker holds back bid receipt mails while a round's bidding deadline is this
    /// close and bids are pouring in (the rush gets the machine; receipts are in the
    /// responses, their mails follow). Zero: never.
    pub pause_before_deadline: Duration,
    /// Bids a second (written by this process) from which a deadline is a rush.
    pub pause_min_bids_per_sec: f64,
}

impl Default for JobSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(250),
            lease: Duration::from_secs(120),
            max_attempts: 8,
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(3600),
            batch: 8,
            pause_before_deadline: Duration::from_secs(300),
            pause_min_bids_per_sec: 20.0,
        }
    }
}

impl JobSettings {
    pub fn from_env(smtp_timeout: Duration) -> Result<Self, SettingsError> {
        let d = Self::default();
        let s = Self {
            poll_interval: Duration::from_millis(
                parse_num("VBP_JOB_POLL_MS", d.poll_interval.as_millis() as u64)?.max(10),
            ),
            lease: Duration::from_secs(parse_num("VBP_JOB_LEASE_SECS", d.lease.as_secs())?),
            max_attempts: parse_num("VBP_JOB_MAX_ATTEMPTS", d.max_attempts)?,
            backoff_base: Duration::from_millis(parse_num(
                "VBP_JOB_BACKOFF_BASE_MS",
                d.backoff_base.as_millis() as u64,
            )?),
            backoff_max: Duration::from_secs(parse_num(
                "VBP_JOB_BACKOFF_MAX_SECS",
                d.backoff_max.as_secs(),
            )?),
            batch: parse_num("VBP_JOB_BATCH", d.batch)?.clamp(1, 100),
            pause_before_deadline: Duration::from_secs(parse_num(
                "VBP_JOB_PAUSE_BEFORE_DEADLINE_SECS",
                d.pause_before_deadline.as_secs(),
            )?),
            pause_min_bids_per_sec: parse_num(
                "VBP_JOB_PAUSE_MIN_BIDS_PER_SEC",
                d.pause_min_bids_per_sec,
            )?
            .max(0.0),
        };
        if s.max_attempts < 1 {
            return Err(SettingsError(
                "VBP_JOB_MAX_ATTEMPTS must be at least 1".into(),
            ));
        }
        if s.lease <= smtp_timeout {
            return Err(SettingsError(format!(
                "VBP_JOB_LEASE_SECS ({} s) must be longer than VBP_SMTP_TIMEOUT_SECS ({} s), or a slow send could be taken over by another worker",
                s.lease.as_secs(),
                smtp_timeout.as_secs()
            )));
        }
        Ok(s)
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
    /// Writer lanes of the bid writer: bid transactions in flight at once.
    pub bid_lanes: usize,
    pub mail: MailSettings,
    pub jobs: JobSettings,
    /// Wraps opening-key shares at rest and the private keys of quorum-1 rounds.
    pub master_key: crate::platform::sealing::MasterKey,
    /// Signs bid receipts (Ed25519).
    pub receipt_key: std::sync::Arc<crate::platform::sealing::ReceiptKey>,
    /// The OCDS prefix of the platform's contracting process ids (`ocds-` and 6 characters).
    pub ocid_prefix: String,
    /// Origins other than the platform's own whose browser pages may call the API
    /// (`VBP_CORS_ORIGINS`, comma-separated, e.g. `https://ui.example.cn`); none by default.
    pub cors_origins: Vec<String>,
    /// The built web UI (`VBP_UI_DIR`, default `admin-ui/dist`): its `index.html` is served
    /// at `/` and for client-side routes, its `assets/` as immutable files. When the
    /// directory holds no `index.html`, `/` says how to build it.
    pub ui_dir: std::path::PathBuf,
}

/// The origin (`scheme://host[:port]`, lower case) of a URL such as `VBP_PUBLIC_URL`.
pub fn origin_of(url: &str) -> Option<String> {
    let (scheme, rest) = url.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    (!authority.is_empty()).then(|| format!("{scheme}://{authority}").to_ascii_lowercase())
}

/// `https://host[:port]` origins, comma-separated.
fn parse_origins(list: &str) -> Result<Vec<String>, SettingsError> {
    list.split(',')
        .map(str::trim)
        .filter(|o| !o.is_empty())
        .map(|o| {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"))
                .unwrap_or("");
            if rest.is_empty() || rest.contains('/') || o == "*" {
                Err(SettingsError(format!(
                    "VBP_CORS_ORIGINS: {o:?} is not an origin (scheme://host[:port], no path, no wildcard)"
                )))
            } else {
                Ok(o.to_ascii_lowercase())
            }
        })
        .collect()
}

/// The OCDS prefix used when `VBP_OCID_PREFIX` is not set; a publisher registers its own
/// with the Open Contracting Partnership.
pub const DEFAULT_OCID_PREFIX: &str = "ocds-vbpcn1";

/// A secret given as 64 hex characters, inline (`NAME`) or in a file (`NAME_FILE`).
pub fn hex_secret(name: &str) -> Result<String, SettingsError> {
    let file_var = format!("{name}_FILE");
    let value = match (var(name), var(&file_var)) {
        (Some(v), _) => v,
        (None, Some(path)) => std::fs::read_to_string(&path)
            .map_err(|e| SettingsError(format!("{file_var}={path:?} cannot be read: {e}")))?,
        (None, None) => {
            return Err(SettingsError(format!(
                "{name} (or {file_var}) is not set: give 32 random bytes as 64 hex characters, e.g. {name}=$(openssl rand -hex 32)"
            )));
        }
    };
    let value = value.trim().to_owned();
    if value.len() != 64 || !value.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(SettingsError(format!(
            "{name} must be 64 hex characters (32 bytes)"
        )));
    }
    Ok(value)
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
        let bid_lanes = parse_num("VBP_BID_LANES", default_bid_lanes())?;
        if !(1..=32).contains(&bid_lanes) {
            return Err(SettingsError("VBP_BID_LANES must be 1 to 32".into()));
        }
        let mail = MailSettings::from_env_for(&bind)?;
        let jobs = JobSettings::from_env(mail.smtp_timeout)?;
        let master_key =
            crate::platform::sealing::MasterKey::from_hex(&hex_secret("VBP_MASTER_KEY")?)
                .map_err(|e| SettingsError(format!("VBP_MASTER_KEY: {e}")))?;
        let previous = var("VBP_RECEIPT_PREVIOUS_KEYS").unwrap_or_default();
        let previous: Vec<&str> = previous
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .collect();
        let receipt_key =
            crate::platform::sealing::ReceiptKey::from_hex(&hex_secret("VBP_RECEIPT_KEY")?)
                .map_err(|e| SettingsError(format!("VBP_RECEIPT_KEY: {e}")))?
                .with_previous(&previous)
                .map_err(|_| {
                    SettingsError(
                        "VBP_RECEIPT_PREVIOUS_KEYS must list Ed25519 public keys, 64 hex characters each, separated by commas (`vbp receipt-key` prints a key's public half)".into(),
                    )
                })?;
        if receipt_key.previous().contains(&receipt_key.public_hex()) {
            return Err(SettingsError(
                "VBP_RECEIPT_PREVIOUS_KEYS lists the current receipt key: list only the keys it replaced".into(),
            ));
        }
        let ocid_prefix = var("VBP_OCID_PREFIX").unwrap_or_else(|| DEFAULT_OCID_PREFIX.into());
        let ok = ocid_prefix.len() == 11
            && ocid_prefix.starts_with("ocds-")
            && ocid_prefix[5..]
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if !ok {
            return Err(SettingsError(format!(
                "VBP_OCID_PREFIX={ocid_prefix:?} is not an OCDS prefix: 'ocds-' and 6 lowercase letters or digits"
            )));
        }
        let cors_origins = var("VBP_CORS_ORIGINS")
            .map(|v| parse_origins(&v))
            .transpose()?
            .unwrap_or_default();
        let ui_dir = var("VBP_UI_DIR")
            .unwrap_or_else(|| "admin-ui/dist".into())
            .into();
        Ok(Self {
            ui_dir,
            cors_origins,
            ocid_prefix,
            master_key,
            receipt_key: std::sync::Arc::new(receipt_key),
            mail,
            jobs,
            database,
            bind,
            jwt_secret: JwtSecret(secret),
            token_ttl: Duration::from_secs(ttl),
            login,
            audit_seal_interval: Duration::from_millis(seal_ms.max(10)),
            workers: workers.max(1),
            bid_lanes,
        })
    }
}

/// Writer lanes per process when `VBP_BID_LANES` is not set: one per core. Each lane is one
/// bid transaction in flight; more lanes than PostgreSQL can run at once only make the
/// batches smaller (on 2 cores, 4 lanes cost PostgreSQL 15 % more CPU a bid than 2, and
/// doubled the p99 latency at 2,000 bids/s; 1 lane queued the batches behind each other).
pub fn default_bid_lanes() -> usize {
    std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 32))
}

#[cfg(test)]
mod tests {
    use super::redact_url;

    #[test]
    fn origin_of_a_url() {
        use super::origin_of;
        assert_eq!(
            origin_of("https://VBP.example.cn/app/").as_deref(),
            Some("https://vbp.example.cn")
        );
        assert_eq!(
            origin_of("http://127.0.0.1:8080/").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(origin_of("nonsense"), None);
    }

    #[test]
    fn mail_links_follow_the_bound_address() {
        use super::default_public_url as url;
        assert_eq!(url("127.0.0.1:9090"), "http://127.0.0.1:9090/");
        assert_eq!(url("0.0.0.0:8081"), "http://127.0.0.1:8081/");
        assert_eq!(url("vbp.example.cn:80"), "http://vbp.example.cn:80/");
    }

    #[test]
    fn redacts_password_only() {
        assert_eq!(
            redact_url("postgres://u:secret@h:5432/db"),
            "postgres://u:***@h:5432/db"
        );
        assert_eq!(redact_url("postgres://u@h/db"), "postgres://u@h/db");
    }
}
