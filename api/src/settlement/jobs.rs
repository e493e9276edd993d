//! The daily overdue scan (00:05 China time; `platform::jobs::Daily`).

use diesel_async::AsyncConnection;

use crate::platform::{
    audit::Actor,
    error::ApiError,
    jobs::{Daily, Job, JobError, Registry, Worker},
};

/// Flags overdue lines in every province.
pub const OVERDUE_SCAN: Daily = Daily {
    kind: "overdue_scan",
    hour: 0,
    minute: 5,
};

pub fn register(registry: &mut Registry) {
    registry.register(OVERDUE_SCAN.kind, |worker, job| Box::pin(run(worker, job)));
}

async fn run(worker: &Worker, _job: &Job) -> Result<(), JobError> {
    let mut conn = OVERDUE_SCAN.next(worker).await?;
    let (jobs_settings, url) = (&worker.jobs, worker.mail.public_url.as_str());
    conn.transaction(async |conn| {
        let done = super::overdue::scan(conn, jobs_settings, url, &Actor::system(), None).await?;
        tracing::info!(today = %done.today, flagged = done.flagged, "overdue scan");
        Ok::<_, ApiError>(())
    })
    .await?;
    Ok(())
}
