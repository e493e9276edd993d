//! The daily overdue scan, a job that schedules its next run (00:05 China time the next
//! day) when it finishes; `vbp serve` schedules today's at start-up. The dedupe key is the
//! date, so however many servers start, one scan per day is queued.

use chrono::NaiveTime;
use diesel_async::AsyncConnection;

use crate::platform::{
    audit::Actor,
    db::Pool,
    error::ApiError,
    jobs::{self, Job, JobError, Registry, Worker},
    settings::JobSettings,
};

/// Flags overdue lines in every province (payload `{}`).
pub const OVERDUE_SCAN: &str = "overdue_scan";

pub fn register(registry: &mut Registry) {
    registry.register(OVERDUE_SCAN, |worker, job| Box::pin(run(worker, job)));
}

/// Queues the scan of China's day `offset` days from today, at 00:05 of that day.
async fn queue(
    conn: &mut diesel_async::AsyncPgConnection,
    settings: &JobSettings,
    offset: i64,
) -> Result<(), ApiError> {
    let at = NaiveTime::from_hms_opt(0, 5, 0).unwrap_or_default();
    jobs::enqueue_daily(conn, OVERDUE_SCAN, settings.max_attempts, offset, at).await?;
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
    let (jobs_settings, url) = (&worker.jobs, worker.mail.public_url.as_str());
    // tomorrow's first, in its own statement: a scan that fails for good does not end the
    // daily chain
    queue(&mut conn, jobs_settings, 1).await?;
    conn.transaction(async |conn| {
        let done = super::overdue::scan(conn, jobs_settings, url, &Actor::system(), None).await?;
        tracing::info!(today = %done.today, flagged = done.flagged, "overdue scan");
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(())
}
