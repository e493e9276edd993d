//! The state every request can reach (registered as `web::Data<AppState>`).

use crate::platform::{auth::TokenKeys, db::Pool, metrics::Metrics, settings::Settings};

/// What every request can reach: the pools, the token keys, the settings, the metrics.
pub struct AppState {
    pub pool: Pool,
    /// The streaming replica's pool, for [`crate::platform::db::read::ReadDb`].
    pub read_pool: Option<Pool>,
    pub tokens: TokenKeys,
    pub settings: Settings,
    pub metrics: Metrics,
}

impl AppState {
    pub fn new(settings: Settings) -> Result<Self, Box<dyn std::error::Error + Send + Sync>> {
        let metrics = Metrics::new()?;
        Ok(Self {
            pool: super::db::build_pool(&settings.database)?,
            read_pool: super::db::build_read_pool(&settings.database)?,
            tokens: TokenKeys::new(&settings.jwt_secret.0),
            metrics,
            settings,
        })
    }
}
