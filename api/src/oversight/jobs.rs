//! The daily supply scan, a job that queues the next day's (00:10 China time) when it
//! runs; `vbp serve` queues today's at start-up (one per day, however many servers).

use chrono::NaiveTime;
use diesel_async::AsyncConnection;

use crate::platform::{
    audit::Actor,
    db::Pool,
    error::ApiError,
    jobs::{self, Job, JobError, Registry, Worker},
    settings::JobSettings,
};

/// Records late shipments and recomputes the warnings (payload `{}`).
pub const SUPPLY_SCAN: &str = "supply_scan";

pub fn register(registry: &mut Registry) {
    registry.register(SUPPLY_SCAN, |worker, job| Box::pin(run(worker, job)));
}

async fn queue(
    conn: &mut diesel_async::AsyncPgConnection,
    settings: &JobSettings,
    offset: i64,
) -> Result<(), ApiError> {
    let at = NaiveTime::from_hms_opt(0, 10, 0).unwrap_or_default();
    jobs::enqueue_daily(conn, SUPPLY_SCAN, settings.max_attempts, offset, at).await?;
    Ok(())
}

/// Queues today's scan (at start-up).
pub async fn schedule(pool: &Pool, settings: &JobSettings) -> Result<(), ApiError> {
    let mut conn = pool.get().await?;
    queue(&mut conn, settings, 0).await
}

async fn run(worker: &Worker, _job: &Job) -> Result<(), JobError> {
    let mut conn = worker
        .pool
        .get()
        .await
        .map_err(|e| JobError::Transient(e.to_string()))?;
    // tomorrow's first, in its own statement: a scan that fails for good does not end the
    // daily chain
    queue(&mut conn, &worker.jobs, 1).await?;
    let notices = super::supply::Notices {
        jobs: &worker.jobs,
        public_url: &worker.mail.public_url,
    };
    conn.transaction(async |conn| {
        let done = super::supply::scan(conn, &notices, &Actor::system()).await?;
        tracing::info!(today = %done.today, recorded = done.recorded, changed = done.changed, "supply scan");
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(())
}
