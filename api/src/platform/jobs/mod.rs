//! The job queue: a transactional outbox in PostgreSQL, worked by every `vbp serve`.
//!
//! * [`enqueue`] inserts a job in the caller's transaction: the job exists if and only if
//!   the change that caused it committed.
//! * Workers [`claim`] due jobs with `FOR UPDATE SKIP LOCKED` (so several processes never
//!   take the same job) and hold them under a lease (`locked_until`). A worker that dies
//!   leaves its jobs to be reclaimed when their lease runs out.
//! * A failed attempt is retried after an exponential backoff; a permanent failure or
//!   too many attempts makes the job `dead`, visible to admins who can retry it.
//! * Mail jobs carry the template and its context, rendered when sent; the Message-ID is
//!   derived from the job id, so every attempt sends the same message. A retry after a
//!   crash can re-send a message the server had already accepted (at-least-once at the
//!   SMTP boundary, in the instant between the server's acceptance and our commit); it
//!   carries the same Message-ID.

use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Double, Text},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::platform::{
    db::{Pool, schema::jobs},
    mail::{self, Email, MailError, Mailer},
    settings::{JobSettings, MailSettings},
};

pub mod registry;
pub mod rush;

pub use registry::Registry;

/// The platform's own job: one mail. Features register theirs in a [`Registry`].
pub const EMAIL: &str = "email";

/// A failed attempt of a job.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    /// Retrying cannot help.
    #[error("{0}")]
    Permanent(String),
    /// Worth retrying later.
    #[error("{0}")]
    Transient(String),
}

impl JobError {
    pub fn is_permanent(&self) -> bool {
        matches!(self, JobError::Permanent(_))
    }
}

impl From<MailError> for JobError {
    fn from(e: MailError) -> Self {
        if e.is_permanent() {
            JobError::Permanent(e.to_string())
        } else {
            JobError::Transient(e.to_string())
        }
    }
}

/// A refusal (4xx: a rule, a missing record, bad input) is permanent: the same job would
/// be refused again. A fault of ours or an unavailable database (5xx) is worth retrying.
impl From<crate::platform::error::ApiError> for JobError {
    fn from(e: crate::platform::error::ApiError) -> Self {
        use actix_web::ResponseError;
        if e.status_code().is_client_error() {
            JobError::Permanent(e.to_string())
        } else {
            JobError::Transient(e.to_string())
        }
    }
}

impl From<diesel::result::Error> for JobError {
    fn from(e: diesel::result::Error) -> Self {
        crate::platform::error::ApiError::from(e).into()
    }
}

crate::platform::db::text_enum! {
    /// Where a job is: waiting (or backing off), held under a lease, done, or dead (failed
    /// for good; an admin may retry it).
    JobStatus {
        Pending => "pending",
        Running => "running",
        Done => "done",
        Dead => "dead",
    }
}

/// A job as stored.
#[derive(Debug, Clone, Queryable, Selectable, QueryableByName)]
#[diesel(table_name = jobs, check_for_backend(diesel::pg::Pg))]
pub struct Job {
    pub id: i64,
    pub kind: String,
    pub payload: Value,
    pub status: JobStatus,
    pub attempts: i32,
    pub max_attempts: i32,
    pub run_at: DateTime<Utc>,
    pub locked_by: Option<String>,
    pub locked_until: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
    pub message_id: Option<String>,
    pub sent_at: Option<DateTime<Utc>>,
    pub dedupe_key: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

/// A job that runs once a day at a China time (payload `{}`): `vbp serve` queues today's
/// run at start-up and each run queues the next day's before its work. The dedupe key is
/// the kind and the day, so however many servers queue it, one run per day is queued.
#[derive(Debug, Clone, Copy)]
pub struct Daily {
    pub kind: &'static str,
    /// China time of day.
    pub hour: u32,
    pub minute: u32,
}

impl Daily {
    /// Queues the run of China's day `offset` days from today (now when its time is past).
    pub async fn queue(
        &self,
        conn: &mut AsyncPgConnection,
        settings: &crate::platform::settings::JobSettings,
        offset: i64,
    ) -> QueryResult<()> {
        use crate::platform::db::{china_date, clock};
        let now = clock(conn).await?;
        let day = china_date(now) + chrono::Duration::days(offset);
        let at = chrono::NaiveTime::from_hms_opt(self.hour, self.minute, 0).unwrap_or_default();
        let when = day.and_time(at).and_utc() - chrono::Duration::hours(8);
        enqueue(
            conn,
            self.kind,
            &serde_json::json!({}),
            settings.max_attempts,
            Some(&format!("{}:{day}", self.kind)),
            Some(when.max(now)),
        )
        .await?;
        Ok(())
    }

    /// Queues today's run (at start-up).
    pub async fn schedule(
        &self,
        pool: &Pool,
        settings: &crate::platform::settings::JobSettings,
    ) -> Result<(), crate::platform::error::ApiError> {
        let mut conn = pool.get().await?;
        self.queue(&mut conn, settings, 0).await?;
        Ok(())
    }

    /// For the run's handler: a connection, with tomorrow's run queued first in its own
    /// statement (a run that fails for good does not end the daily chain).
    pub async fn next(&self, worker: &Worker) -> Result<crate::platform::db::PooledConn, JobError> {
        let mut conn = worker
            .pool
            .get()
            .await
            .map_err(|e| JobError::Transient(e.to_string()))?;
        self.queue(&mut conn, &worker.jobs, 1).await?;
        Ok(conn)
    }
}

/// Adds a job, due at `run_at` (now when `None`); call inside the transaction of the
/// change that causes it. With a `dedupe_key`, a second job for the same event is not
/// added (returns `None`).
pub async fn enqueue(
    conn: &mut AsyncPgConnection,
    kind: &str,
    payload: &Value,
    max_attempts: i32,
    dedupe_key: Option<&str>,
    run_at: Option<DateTime<Utc>>,
) -> QueryResult<Option<i64>> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::kind.eq(kind),
            jobs::payload.eq(payload),
            jobs::max_attempts.eq(max_attempts),
            jobs::dedupe_key.eq(dedupe_key),
            run_at.map(|at| jobs::run_at.eq(at)),
        ))
        .on_conflict_do_nothing()
        .returning(jobs::id)
        .get_result(conn)
        .await
        .optional()
}

/// An `email` job's payload: the template, the recipient and the template's context. The
/// worker renders the message when it sends it, so a job row stays small (a receipt mail's
/// context is about 400 bytes of JSON; the rendered text and HTML were 2 kB, compressed
/// by PostgreSQL on every insert, in every bid's transaction).
fn email_payload(
    template: &str,
    to: &str,
    context: &Value,
) -> Result<Value, crate::platform::error::ApiError> {
    if !mail::has_template(template) {
        return Err(crate::platform::error::ApiError::internal(format!(
            "no mail template {template}"
        )));
    }
    serde_json::to_value(mail::MailJob {
        template: template.into(),
        to: to.into(),
        context: context.clone(),
    })
    .map_err(crate::platform::error::ApiError::internal)
}

/// Enqueues the mail of `template` for `to`.
pub async fn enqueue_email(
    conn: &mut AsyncPgConnection,
    jobs: &JobSettings,
    template: &str,
    to: &str,
    context: &Value,
    dedupe_key: Option<&str>,
) -> Result<Option<i64>, crate::platform::error::ApiError> {
    let payload = email_payload(template, to, context)?;
    Ok(enqueue(conn, EMAIL, &payload, jobs.max_attempts, dedupe_key, None).await?)
}

/// Enqueues the mail of `template` for each (recipient, context, dedupe key), in one
/// statement whose text does not depend on their number (`unnest`). Takes
/// `&AsyncPgConnection`, so it can be pipelined with the other writes of its transaction.
pub async fn enqueue_emails(
    conn: &AsyncPgConnection,
    jobs_settings: &JobSettings,
    template: &str,
    mails: &[(String, Value, String)],
) -> Result<usize, crate::platform::error::ApiError> {
    use diesel::sql_types::{Array, Integer, Jsonb};
    let payloads = mails
        .iter()
        .map(|(to, context, _)| email_payload(template, to, context))
        .collect::<Result<Vec<_>, _>>()?;
    let mut conn = conn;
    Ok(crate::platform::db::prepared::prepared(
        "INSERT INTO jobs (kind, payload, max_attempts, dedupe_key)
         SELECT {}, t.payload, {}, t.dedupe_key FROM unnest({}::jsonb[], {}::text[]) AS t(payload, dedupe_key)
         ON CONFLICT DO NOTHING",
    )
    .bind::<Text, _>(EMAIL)
    .bind::<Integer, _>(jobs_settings.max_attempts)
    .bind::<Array<Jsonb>, _>(&payloads)
    .bind::<Array<Text>, _>(mails.iter().map(|(_, _, d)| d.as_str()).collect::<Vec<_>>())
    .execute(&mut conn)
    .await?)
}

/// Whether a round open for bids reaches its deadline within `window` (database clock).
/// With bids pouring in too, the worker holds back bid receipt mails then: at a deadline
/// rush, sending them (two writes each) took a quarter of the machine from the
/// submissions (docs/benchmarks.md). Receipts are in the responses; their mails follow
/// the rush. Every other job (notices, closing, reminders) runs as usual.
pub async fn deadline_near(conn: &mut AsyncPgConnection, window: Duration) -> QueryResult<bool> {
    if window.is_zero() {
        return Ok(false);
    }
    #[derive(diesel::QueryableByName)]
    struct Near {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        near: bool,
    }
    diesel::sql_query(
        "SELECT EXISTS (SELECT 1 FROM rounds WHERE status = $2
                           AND bidding_deadline > now()
                           AND bidding_deadline < now() + $1 * interval '1 second') AS near",
    )
    .bind::<Double, _>(window.as_secs_f64())
    .bind::<Text, _>(bidding_core::RoundStatus::BiddingOpen)
    .get_result::<Near>(conn)
    .await
    .map(|n| n.near)
}

/// Claims up to `limit` due jobs, and up to `limit` jobs whose lease ran out, for `worker`.
///
/// Each part walks its partial index in order and stops at `limit`, so a claim costs the
/// same with 10 or 100,000 jobs waiting (an `OR` of the two conditions made PostgreSQL
/// sort the whole backlog: 300 ms with 87,000 pending, measured in the load benchmark).
///
/// `hold_receipts`: leave bid receipt mails waiting (a deadline rush is on); the other
/// due jobs are then read from their own partial index, which receipts never enter, so
/// a backlog of thousands of receipts costs the claim nothing.
pub async fn claim(
    conn: &mut AsyncPgConnection,
    worker: &str,
    lease: Duration,
    limit: i64,
    hold_receipts: bool,
) -> QueryResult<Vec<Job>> {
    let not_receipt = if hold_receipts {
        "AND (kind <> 'email' OR payload->>'template' IS DISTINCT FROM 'bid_receipt')"
    } else {
        ""
    };
    // the statuses are written into the text (not bound) so that the partial indexes
    // `WHERE status = 'pending'` and `'running'` match every plan
    let (pending, running) = (JobStatus::Pending, JobStatus::Running);
    let due =
        format!("SELECT id FROM jobs WHERE status = '{pending}' AND run_at <= now() {not_receipt}");
    diesel::sql_query(format!(
        "WITH expired AS (
             SELECT id FROM jobs WHERE status = '{running}' AND locked_until < now() {not_receipt}
             ORDER BY locked_until LIMIT $3 FOR UPDATE SKIP LOCKED),
         due AS ({due} ORDER BY run_at LIMIT $3 FOR UPDATE SKIP LOCKED)
         UPDATE jobs SET status = '{running}', attempts = attempts + 1, locked_by = $1,
                locked_until = now() + ($2 * interval '1 second'), updated_at = now()
         WHERE id IN (SELECT id FROM expired UNION ALL SELECT id FROM due)
         RETURNING *"
    ))
    .bind::<Text, _>(worker)
    .bind::<Double, _>(lease.as_secs_f64())
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await
}

/// Marks a job done, if this worker still holds it. Returns false when the lease was
/// lost (another worker took the job over).
pub async fn complete(
    conn: &mut AsyncPgConnection,
    id: i64,
    worker: &str,
    message_id: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::locked_by.eq(worker))
            .filter(jobs::status.eq(JobStatus::Running)),
    )
    .set((
        jobs::status.eq(JobStatus::Done),
        jobs::finished_at.eq(diesel::dsl::now),
        jobs::updated_at.eq(diesel::dsl::now),
        jobs::sent_at.eq(diesel::dsl::now),
        jobs::message_id.eq(message_id),
        jobs::locked_by.eq(None::<String>),
        jobs::locked_until.eq(None::<DateTime<Utc>>),
        jobs::last_error.eq(None::<String>),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// Delay before attempt `attempts + 1`: base x 2^(attempts-1), at most `max`, with
/// +-20 % jitter so that a burst of failures does not retry in lockstep.
pub fn backoff(settings: &JobSettings, attempts: i32) -> Duration {
    let exp = attempts.saturating_sub(1).clamp(0, 30) as u32;
    let raw = settings
        .backoff_base
        .saturating_mul(2u32.saturating_pow(exp));
    let capped = raw.min(settings.backoff_max);
    let jitter = 0.8 + 0.4 * rand::random::<f64>();
    capped.mul_f64(jitter)
}

/// Records a failed attempt: back to `pending` after a backoff, or `dead`.
pub async fn fail(
    conn: &mut AsyncPgConnection,
    job: &Job,
    worker: &str,
    error: &str,
    permanent: bool,
    settings: &JobSettings,
) -> QueryResult<bool> {
    let dead = permanent || job.attempts >= job.max_attempts;
    let delay = backoff(settings, job.attempts);
    let run_at = Utc::now() + delay;
    let n = diesel::update(
        jobs::table
            .find(job.id)
            .filter(jobs::locked_by.eq(worker))
            .filter(jobs::status.eq(JobStatus::Running)),
    )
    .set((
        jobs::status.eq(if dead {
            JobStatus::Dead
        } else {
            JobStatus::Pending
        }),
        jobs::run_at.eq(run_at),
        jobs::last_error.eq(error),
        jobs::locked_by.eq(None::<String>),
        jobs::locked_until.eq(None::<DateTime<Utc>>),
        jobs::updated_at.eq(diesel::dsl::now),
        jobs::finished_at.eq(dead.then(Utc::now)),
    ))
    .execute(conn)
    .await?;
    Ok(n == 1)
}

/// The Message-ID of a job's mail: the same for every attempt.
pub fn message_id(job_id: i64, from: &str) -> String {
    let domain = from
        .rsplit_once('@')
        .map(|(_, d)| d.trim_end_matches('>').trim())
        .filter(|d| !d.is_empty())
        .unwrap_or("vbp.localhost");
    format!("<vbp-job-{job_id}@{domain}>")
}

/// The shortest window the bid rate of a rush is measured over, in seconds.
const RATE_WINDOW_SECS: f64 = 1.0;

/// What a worker needs.
pub struct Worker {
    pub id: String,
    pub pool: Pool,
    pub mailer: Mailer,
    pub mail: MailSettings,
    pub jobs: JobSettings,
    /// The handlers of the features' job kinds.
    registry: Registry,
    /// When the bid count was last sampled, the count then, and the rate over the window
    /// that ended there.
    last_seen: std::sync::Mutex<(std::time::Instant, u64, f64)>,
}

impl Worker {
    pub fn new(
        pool: Pool,
        mail: MailSettings,
        jobs: JobSettings,
        registry: Registry,
    ) -> Result<Self, MailError> {
        let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "vbp".into());
        Ok(Self {
            id: format!(
                "{host}:{}:{:08x}",
                std::process::id(),
                rand::random::<u32>()
            ),
            mailer: Mailer::new(&mail)?,
            pool,
            mail,
            jobs,
            registry,
            last_seen: std::sync::Mutex::new((
                std::time::Instant::now(),
                rush::bids_written(),
                0.0,
            )),
        })
    }

    /// Claims and runs due jobs until the process ends.
    pub async fn run(self) {
        tracing::info!(worker = %self.id, "job worker started");
        loop {
            match self.run_once().await {
                Ok(0) => tokio::time::sleep(self.jobs.poll_interval).await,
                Ok(_) => {}
                Err(e) => {
                    tracing::warn!(error = %e, "job worker: cannot reach the database; retrying");
                    tokio::time::sleep(self.jobs.poll_interval.max(Duration::from_secs(1))).await;
                }
            }
        }
    }

    /// Bids a second written by this process, measured over windows of at least a
    /// second (the writer counts whole batches, so shorter windows swing between 0 and a
    /// peak): the rate of the last whole window.
    fn bid_rate(&self) -> f64 {
        let (now, count) = (std::time::Instant::now(), rush::bids_written());
        let Ok(mut last) = self.last_seen.lock() else {
            return 0.0;
        };
        let (since, seen, _) = *last;
        let secs = now.duration_since(since).as_secs_f64();
        if secs >= RATE_WINDOW_SECS {
            *last = (now, count, count.saturating_sub(seen) as f64 / secs);
        }
        last.2
    }

    /// Whether a deadline rush is on: bids pouring in, a deadline near.
    pub async fn rush(&self, conn: &mut AsyncPgConnection) -> QueryResult<bool> {
        let pouring = self.bid_rate() >= self.jobs.pause_min_bids_per_sec;
        Ok(pouring && deadline_near(conn, self.jobs.pause_before_deadline).await?)
    }

    /// One round: claim a batch and run it. Returns how many jobs were run (receipt mails
    /// wait while a deadline rush is on, see [`deadline_near`]).
    ///
    /// The connection that claimed the batch is kept until the batch is done, and each
    /// job's outcome is recorded on it the moment the job ends: a mail the relay has
    /// accepted is marked sent without first waiting for a free connection (during a bid
    /// rush the pool is the writers'), which keeps the window in which a crash makes a
    /// mail go twice (accepted, not yet recorded) to one short statement.
    pub async fn run_once(&self) -> Result<usize, Box<dyn std::error::Error + Send + Sync>> {
        let mut conn = self.pool.get().await?;
        let rush = self.rush(&mut conn).await?;
        let claimed = claim(&mut conn, &self.id, self.jobs.lease, self.jobs.batch, rush).await?;
        let n = claimed.len();
        if n == 0 {
            return Ok(0);
        }
        let held = tokio::sync::Mutex::new(Some(conn));
        futures_util::future::join_all(claimed.into_iter().map(|job| self.run_job(job, &held)))
            .await;
        Ok(n)
    }

    /// Records a job's outcome on `conn`. Ok(false): the lease was lost.
    async fn record(
        &self,
        conn: &mut AsyncPgConnection,
        job: &Job,
        outcome: &Result<Option<String>, JobError>,
    ) -> QueryResult<bool> {
        match outcome {
            Ok(mid) => complete(conn, job.id, &self.id, mid.as_deref()).await,
            Err(e) => {
                fail(
                    conn,
                    job,
                    &self.id,
                    &e.to_string(),
                    e.is_permanent(),
                    &self.jobs,
                )
                .await
            }
        }
    }

    async fn run_job(
        &self,
        job: Job,
        held: &tokio::sync::Mutex<Option<crate::platform::db::PooledConn>>,
    ) {
        let outcome = match job.kind.as_str() {
            EMAIL => self.send_email(&job).await,
            other => match self.registry.handler(other) {
                Some(handler) => handler(self, &job).await.map(|()| None),
                None => Err(JobError::Permanent(format!("unknown job kind {other:?}"))),
            },
        };
        // The side effect happened or not; record it: on the held connection first, then,
        // if that one broke, on pool connections, insisting a little if the database is
        // briefly away (giving up means the lease runs out and the job runs again).
        for attempt in 0..6 {
            let recorded = if attempt == 0 {
                let mut slot = held.lock().await;
                match slot.as_mut() {
                    Some(conn) => {
                        let r = self.record(conn, &job, &outcome).await;
                        if r.is_err() {
                            // a broken connection is not reused
                            *slot = None;
                        }
                        r.map_err(|e| e.to_string())
                    }
                    None => Err("the batch's connection is gone".into()),
                }
            } else {
                match self.pool.get().await {
                    Ok(mut conn) => self
                        .record(&mut conn, &job, &outcome)
                        .await
                        .map_err(|e| e.to_string()),
                    Err(e) => Err(e.to_string()),
                }
            };
            match recorded {
                Ok(true) => {
                    match &outcome {
                        Ok(_) => {
                            tracing::info!(job = job.id, kind = %job.kind, attempt = job.attempts, "job done")
                        }
                        Err(e) => {
                            tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, error = %e, "job attempt failed")
                        }
                    }
                    return;
                }
                Ok(false) => {
                    tracing::warn!(
                        job = job.id,
                        "job lease lost before its outcome was recorded"
                    );
                    return;
                }
                Err(e) => {
                    tracing::warn!(job = job.id, error = %e, "cannot record job outcome; retrying");
                    if attempt > 0 {
                        tokio::time::sleep(Duration::from_millis(200 << (attempt - 1))).await;
                    }
                }
            }
        }
    }

    async fn send_email(&self, job: &Job) -> Result<Option<String>, JobError> {
        let email: Email = match serde_json::from_value(job.payload.clone())
            .map_err(|e| JobError::Permanent(format!("malformed email job: {e}")))?
        {
            mail::EmailJob::Deferred(m) => mail::render(&m.template, &m.to, &m.context)?,
            mail::EmailJob::Rendered(email) => email,
        };
        let mid = message_id(job.id, &self.mail.from);
        tracing::debug!(job = job.id, to = %mail::mask(&email.to), template = %email.template, "sending mail");
        self.mailer.send(&self.mail.from, &email, &mid).await?;
        Ok(Some(mid))
    }
}

/// A job as admins see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct JobDto {
    pub id: i64,
    pub kind: String,
    /// pending, running, done or dead
    pub status: String,
    pub attempts: i32,
    pub max_attempts: i32,
    /// When it runs next (pending) or ran last.
    pub run_at: DateTime<Utc>,
    pub last_error: Option<String>,
    /// Template and masked recipient, for mail.
    pub summary: String,
    pub message_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Job> for JobDto {
    fn from(j: Job) -> Self {
        let summary = match j.kind.as_str() {
            EMAIL => format!(
                "{} to {}",
                j.payload["template"].as_str().unwrap_or("?"),
                mail::mask(j.payload["to"].as_str().unwrap_or(""))
            ),
            _ => String::new(),
        };
        Self {
            id: j.id,
            kind: j.kind,
            status: j.status.to_string(),
            attempts: j.attempts,
            max_attempts: j.max_attempts,
            run_at: j.run_at,
            last_error: j.last_error,
            summary,
            message_id: j.message_id,
            created_at: j.created_at,
            finished_at: j.finished_at,
        }
    }
}

pub async fn page(
    conn: &mut AsyncPgConnection,
    status: Option<JobStatus>,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<Job>, i64)> {
    let mut q = jobs::table.into_boxed();
    let mut c = jobs::table.into_boxed();
    if let Some(s) = status {
        q = q.filter(jobs::status.eq(s));
        c = c.filter(jobs::status.eq(s));
    }
    let total = c.count().get_result(conn).await?;
    let rows = q
        .order(jobs::id.desc())
        .limit(limit)
        .offset(offset)
        .select(Job::as_select())
        .load(conn)
        .await?;
    Ok((rows, total))
}

/// Puts a dead job back in the queue, with a fresh set of attempts.
pub async fn retry(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Option<Job>> {
    diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::status.eq(JobStatus::Dead)),
    )
    .set((
        jobs::status.eq(JobStatus::Pending),
        jobs::attempts.eq(0),
        jobs::run_at.eq(diesel::dsl::now),
        jobs::finished_at.eq(None::<DateTime<Utc>>),
        jobs::updated_at.eq(diesel::dsl::now),
    ))
    .returning(Job::as_returning())
    .get_result(conn)
    .await
    .optional()
}

pub async fn find(conn: &mut AsyncPgConnection, id: i64) -> QueryResult<Job> {
    jobs::table
        .find(id)
        .select(Job::as_select())
        .first(conn)
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        let s = JobSettings {
            backoff_base: Duration::from_secs(30),
            backoff_max: Duration::from_secs(600),
            ..JobSettings::default()
        };
        for (attempt, nominal) in [(1, 30.0), (2, 60.0), (3, 120.0), (6, 600.0), (20, 600.0)] {
            let d = backoff(&s, attempt).as_secs_f64();
            assert!(
                d >= nominal * 0.8 - 1e-9 && d <= nominal * 1.2 + 1e-9,
                "attempt {attempt}: {d}"
            );
        }
    }

    #[test]
    fn message_id_is_stable_and_uses_the_sender_domain() {
        assert_eq!(
            message_id(42, "vbp <noreply@vbp.example.cn>"),
            "<vbp-job-42@vbp.example.cn>"
        );
        assert_eq!(message_id(42, "broken"), "<vbp-job-42@vbp.localhost>");
    }
}
