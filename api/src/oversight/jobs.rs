//! The daily supply scan (00:10 China time; `platform::jobs::Daily`): late shipments
//! recorded as problems, every warning recomputed.

use diesel_async::AsyncConnection;

use crate::platform::{
    audit::Actor,
    error::ApiError,
    jobs::{Daily, Job, JobError, Registry, Worker},
};

pub const SUPPLY_SCAN: Daily = Daily {
    kind: "supply_scan",
    hour: 0,
    minute: 10,
};

pub fn register(registry: &mut Registry) {
    registry.register(SUPPLY_SCAN.kind, |worker, job| Box::pin(run(worker, job)));
}

async fn run(worker: &Worker, _job: &Job) -> Result<(), JobError> {
    let mut conn = SUPPLY_SCAN.next(worker).await?;
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
