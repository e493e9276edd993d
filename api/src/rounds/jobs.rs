//! The round jobs: closing bidding at the deadline and reminding suppliers a day before.

use diesel_async::AsyncConnection;
use serde_json::json;

use super::{queries::Round, service};
use crate::platform::{
    db::clock,
    error::ApiError,
    jobs::{self, Job, JobError, Registry, Worker},
    settings::Settings,
};
use bidding_core::RoundStatus;

/// Closes a round's bidding at its deadline (payload `{round_id}`).
pub const CLOSE_ROUND: &str = "close_round";
/// Reminds matching suppliers a day before the deadline (payload `{round_id}`).
pub const DEADLINE_REMINDER: &str = "deadline_reminder";

/// Registers the round jobs.
pub fn register(registry: &mut Registry) {
    registry
        .register(CLOSE_ROUND, |worker, job| {
            Box::pin(close_round(worker, job))
        })
        .register(DEADLINE_REMINDER, |worker, job| {
            Box::pin(remind(worker, job))
        });
}

/// Schedules the closing of `round` at its deadline and, when the deadline is more than a
/// day away, the reminder a day before (each once per deadline).
pub async fn schedule(
    conn: &mut diesel_async::AsyncPgConnection,
    settings: &Settings,
    round: &Round,
) -> Result<(), ApiError> {
    let key = format!(
        "close_round:{}:{}",
        round.id,
        round.bidding_deadline.timestamp_micros()
    );
    jobs::enqueue(
        conn,
        CLOSE_ROUND,
        &json!({ "round_id": round.id }),
        settings.jobs.max_attempts.max(20),
        Some(&key),
        Some(round.bidding_deadline),
    )
    .await?;
    let remind_at = round.bidding_deadline - chrono::Duration::hours(24);
    if remind_at > clock(conn).await? {
        let key = format!(
            "deadline_reminder:{}:{}",
            round.id,
            round.bidding_deadline.timestamp_micros()
        );
        jobs::enqueue(
            conn,
            DEADLINE_REMINDER,
            &json!({ "round_id": round.id }),
            settings.jobs.max_attempts,
            Some(&key),
            Some(remind_at),
        )
        .await?;
    }
    Ok(())
}

/// The round a round job is about, and a connection to work on it.
async fn round_job(
    worker: &Worker,
    job: &Job,
) -> Result<(uuid::Uuid, crate::platform::db::PooledConn), JobError> {
    let round = job.payload["round_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| JobError::Permanent(format!("malformed {} job: no round_id", job.kind)))?;
    let conn = worker
        .pool
        .get()
        .await
        .map_err(|e| JobError::Transient(e.to_string()))?;
    Ok((round, conn))
}

async fn close_round(worker: &Worker, job: &Job) -> Result<(), JobError> {
    let (round, mut conn) = round_job(worker, job).await?;
    let closed = conn
        .transaction(async |conn| {
            service::close_if_due(conn, round, &crate::platform::audit::Actor::system()).await
        })
        .await?;
    if closed.is_none() {
        let r = Round::find(&mut conn, round)
            .await
            .map_err(|e| JobError::Transient(e.to_string()))?;
        if r.status == RoundStatus::BiddingOpen {
            // the database clock is behind ours, or the deadline moved later
            return Err(JobError::Transient(format!(
                "not due yet (deadline {})",
                r.bidding_deadline
            )));
        }
    }
    Ok(())
}

async fn remind(worker: &Worker, job: &Job) -> Result<(), JobError> {
    let (round, mut conn) = round_job(worker, job).await?;
    let (jobs, url) = (&worker.jobs, worker.mail.public_url.as_str());
    conn.transaction(async |conn| {
        let r = Round::find(conn, round).await?;
        if r.status != RoundStatus::BiddingOpen {
            return Ok(());
        }
        let orgs = service::matching_suppliers(conn, &r).await?;
        service::notify_suppliers(
            conn,
            jobs,
            url,
            &r,
            &orgs,
            "deadline_reminder",
            &r.bidding_deadline.timestamp().to_string(),
        )
        .await?;
        Ok::<_, crate::platform::error::ApiError>(())
    })
    .await?;
    Ok(())
}
