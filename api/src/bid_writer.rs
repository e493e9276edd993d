//! Group commit of sealed bids.
//!
//! A submission is checked and sealed in its request; then its writes (end the supplier's
//! live bid on the lot, insert the bid, its audit entry and its receipt mail) go to a
//! writer lane, chosen by supplier. A lane takes every submission waiting for it (up to
//! [`MAX_BATCH`]) and writes them in **one transaction**: the round's shared lock and the
//! database clock are read once, each statement covers the whole batch, and one commit
//! (one WAL flush) makes them all durable. Only then does each request get its receipt.
//! Under light load a batch is one bid and nothing changes; at a deadline rush the
//! batches grow by themselves, with no timer.
//!
//! The rules of a single submission hold for every bid of a batch: the deadline and the
//! terms version are checked against the database's clock under the round's shared
//! advisory lock, inside the transaction that writes the bid (closing takes the lock
//! exclusively, so it waits for a batch in flight). Lanes are chosen by supplier, so two
//! bids of one supplier never race in two transactions, and a batch holds at most one bid
//! per (lot, supplier) and per Idempotency-Key (a second one waits for the next batch, so
//! replacement keeps its order). If a batch fails as a whole, its bids are written again
//! one transaction each, so one bad bid never fails the others.

use std::collections::{HashMap, HashSet, VecDeque};

use chrono::{DateTime, Utc};
use diesel::{
    prelude::*,
    sql_types::{Array, Uuid as SqlUuid},
};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::{
    audit::{self, Actor},
    db::{
        Pool,
        rounds::{BidRow, NewBid, Round},
        schema::bids,
    },
    error::ApiError,
    jobs, rounds,
    settings::Settings,
};

/// The most bids one transaction writes.
pub const MAX_BATCH: usize = 64;
/// Writer lanes per process: transactions writing bids at once.
pub const LANES: usize = 4;

/// A checked, sealed bid waiting to be written.
pub struct Submission {
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub lot_number: i32,
    pub generic_name: String,
    pub supplier: Uuid,
    pub user_id: Uuid,
    pub actor: Actor,
    pub email: String,
    pub display_name: String,
    /// The terms version the bid was checked and sealed against.
    pub terms_version: i32,
    pub sealed: Vec<u8>,
    pub commitment: String,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
}

/// A written bid; `created` is false when a retried request (same Idempotency-Key) got
/// the bid its first copy wrote.
pub struct Written {
    pub bid: BidRow,
    pub created: bool,
}

struct Pending {
    sub: Submission,
    reply: oneshot::Sender<Result<Written, ApiError>>,
}

/// The writer lanes of a process. Their tasks start with the first submission, on the
/// runtime that serves it.
pub struct BidWriter {
    lanes: Vec<mpsc::UnboundedSender<Pending>>,
    receivers: std::sync::Mutex<Option<Vec<mpsc::UnboundedReceiver<Pending>>>>,
    batch_size: prometheus::Histogram,
}

impl BidWriter {
    pub fn new(lanes: usize, batch_size: prometheus::Histogram) -> Self {
        let (tx, rx): (Vec<_>, Vec<_>) =
            (0..lanes.max(1)).map(|_| mpsc::unbounded_channel()).unzip();
        Self {
            lanes: tx,
            receivers: std::sync::Mutex::new(Some(rx)),
            batch_size,
        }
    }

    /// Starts the lanes on a thread of their own, so that a batch never waits behind the
    /// HTTP work of a busy server thread.
    fn start(&self, pool: &Pool, settings: &Settings) -> Result<(), ApiError> {
        let Some(receivers) = self.receivers.lock().ok().and_then(|mut r| r.take()) else {
            return Ok(());
        };
        let (pool, settings, batch_size) =
            (pool.clone(), settings.clone(), self.batch_size.clone());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(ApiError::internal)?;
        std::thread::Builder::new()
            .name("bid-writer".into())
            .spawn(move || {
                runtime.block_on(futures_util::future::join_all(receivers.into_iter().map(
                    |rx| run_lane(rx, pool.clone(), settings.clone(), batch_size.clone()),
                )));
            })
            .map_err(ApiError::internal)?;
        Ok(())
    }

    /// Writes a bid (in a batch with whatever else is waiting) and returns it once
    /// committed.
    pub async fn write(
        &self,
        pool: &Pool,
        settings: &Settings,
        sub: Submission,
    ) -> Result<Written, ApiError> {
        self.start(pool, settings)?;
        let lane = (sub.supplier.as_u128() % self.lanes.len() as u128) as usize;
        let (reply, answer) = oneshot::channel();
        self.lanes[lane]
            .send(Pending { sub, reply })
            .map_err(|_| ApiError::internal("the bid writer has stopped"))?;
        answer
            .await
            .map_err(|_| ApiError::internal("the bid writer dropped the submission"))?
    }
}

async fn run_lane(
    mut rx: mpsc::UnboundedReceiver<Pending>,
    pool: Pool,
    settings: Settings,
    batch_size: prometheus::Histogram,
) {
    let mut carry: VecDeque<Pending> = VecDeque::new();
    loop {
        if carry.is_empty() {
            match rx.recv().await {
                Some(p) => carry.push_back(p),
                None => return,
            }
        }
        while carry.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(p) => carry.push_back(p),
                Err(_) => break,
            }
        }
        // one bid per (lot, supplier) and per Idempotency-Key in a batch, in arrival order
        let mut batch = Vec::with_capacity(carry.len().min(MAX_BATCH));
        let mut later = VecDeque::new();
        let mut pairs = HashSet::new();
        let mut keys = HashSet::new();
        while let Some(p) = carry.pop_front() {
            let pair_free = pairs.insert((p.sub.lot_id, p.sub.supplier));
            let key_free = match &p.sub.idempotency_key {
                Some(k) => keys.insert((p.sub.supplier, k.clone())),
                None => true,
            };
            if pair_free && key_free && batch.len() < MAX_BATCH {
                batch.push(p);
            } else {
                later.push_back(p);
            }
        }
        carry = later;
        batch_size.observe(batch.len() as f64);
        write_batch(&pool, &settings, batch).await;
    }
}

async fn write_batch(pool: &Pool, settings: &Settings, batch: Vec<Pending>) {
    let (subs, replies): (Vec<Submission>, Vec<_>) =
        batch.into_iter().map(|p| (p.sub, p.reply)).unzip();
    let mut conn = match pool.get().await {
        Ok(c) => c,
        Err(e) => {
            let msg = e.to_string();
            for r in replies {
                let _ = r.send(Err(ApiError::internal(msg.clone())));
            }
            return;
        }
    };
    let results = match conn
        .transaction(async |conn| write_all(conn, settings, &subs).await)
        .await
    {
        Ok(results) => results,
        Err(e) if subs.len() == 1 => vec![Err(e)],
        Err(e) => {
            // one at a time, so a bad bid fails alone
            tracing::warn!(error = %e, bids = subs.len(), "bid batch failed; writing its bids one by one");
            let mut out = Vec::with_capacity(subs.len());
            for sub in &subs {
                let one = std::slice::from_ref(sub);
                out.push(
                    match conn
                        .transaction(async |conn| write_all(conn, settings, one).await)
                        .await
                    {
                        Ok(mut r) => r
                            .pop()
                            .unwrap_or_else(|| Err(ApiError::internal("no result"))),
                        Err(e) => Err(e),
                    },
                );
            }
            out
        }
    };
    for (reply, result) in replies.into_iter().zip(results) {
        let _ = reply.send(result);
    }
}

#[derive(QueryableByName)]
struct Ended {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    lot_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    supplier_org_id: Uuid,
}

/// Writes the accepted bids of `subs` in the caller's transaction; the result of each, in
/// order (a bid refused for the deadline or a terms change gets its error, the others
/// are written).
async fn write_all(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    subs: &[Submission],
) -> Result<Vec<Result<Written, ApiError>>, ApiError> {
    // each round once: its shared lock, then its state and the clock
    let mut round_ids: Vec<Uuid> = subs.iter().map(|s| s.round_id).collect();
    round_ids.sort();
    round_ids.dedup();
    let mut state: HashMap<Uuid, (crate::db::rounds::BiddingState, DateTime<Utc>)> = HashMap::new();
    for id in round_ids {
        Round::lock_for_bidding(conn, id).await?;
        state.insert(id, Round::bidding_state_now(conn, id).await?);
    }
    // a retried request whose first copy was written meanwhile gets that first bid
    let keyed: Vec<&str> = subs
        .iter()
        .filter_map(|s| s.idempotency_key.as_deref())
        .collect();
    let mut first_of: HashMap<(Uuid, String), BidRow> = HashMap::new();
    if !keyed.is_empty() {
        let suppliers: Vec<Uuid> = subs.iter().map(|s| s.supplier).collect();
        let found = BidRow::by_idempotency_keys(conn, &suppliers, &keyed).await?;
        for b in found {
            if let Some(k) = b.idempotency_key.clone() {
                first_of.insert((b.supplier_org_id, k), b);
            }
        }
    }
    let mut results: Vec<Option<Result<Written, ApiError>>> = Vec::with_capacity(subs.len());
    let mut accepted = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        let (current, now) = &state[&s.round_id];
        let first = s
            .idempotency_key
            .as_ref()
            .and_then(|k| first_of.get(&(s.supplier, k.clone())));
        if let Some(first) = first {
            results.push(Some(
                if first.request_hash.as_deref() == Some(s.request_hash.as_str())
                    && first.round_id == s.round_id
                {
                    Ok(Written {
                        bid: first.clone(),
                        created: false,
                    })
                } else {
                    Err(ApiError::Unprocessable(
                        "this Idempotency-Key was used for a different bid".into(),
                    ))
                },
            ));
        } else if current.status != "bidding_open" || *now >= current.bidding_deadline {
            results.push(Some(Err(ApiError::Unprocessable(format!(
                "bidding closed at {} (server time {}): the bid was not accepted",
                current.bidding_deadline.to_rfc3339(),
                now.to_rfc3339()
            )))));
        } else if current.terms_version != s.terms_version {
            results.push(Some(Err(ApiError::Conflict(
                "the round's terms changed while you submitted: submit again".into(),
            ))));
        } else {
            results.push(None);
            accepted.push(i);
        }
    }
    if accepted.is_empty() {
        return Ok(results.into_iter().flatten().collect());
    }

    // end the live bids being replaced, in one statement
    let lots: Vec<Uuid> = accepted.iter().map(|&i| subs[i].lot_id).collect();
    let suppliers: Vec<Uuid> = accepted.iter().map(|&i| subs[i].supplier).collect();
    let ended: Vec<Ended> = diesel::sql_query(
        "UPDATE bids b SET status = 'replaced', ended_at = now()
           FROM unnest($1::uuid[], $2::uuid[]) AS t(lot_id, supplier_org_id)
          WHERE b.lot_id = t.lot_id AND b.supplier_org_id = t.supplier_org_id AND b.status = 'live'
      RETURNING b.id, b.lot_id, b.supplier_org_id",
    )
    .bind::<Array<SqlUuid>, _>(&lots)
    .bind::<Array<SqlUuid>, _>(&suppliers)
    .load(conn)
    .await?;
    let replaced: HashMap<(Uuid, Uuid), Uuid> = ended
        .into_iter()
        .map(|e| ((e.lot_id, e.supplier_org_id), e.id))
        .collect();

    // the bids, signed with the database's time, in one statement
    let mut signed = Vec::with_capacity(accepted.len());
    for &i in &accepted {
        let s = &subs[i];
        let now = state[&s.round_id].1;
        let id = Uuid::now_v7();
        let message =
            rounds::receipt_message(id, s.round_id, s.lot_id, s.supplier, now, &s.commitment);
        signed.push((id, now, settings.receipt_key.sign(message.as_bytes())));
    }
    let rows: Vec<NewBid<'_>> = accepted
        .iter()
        .zip(&signed)
        .map(|(&i, (id, now, signature))| {
            let s = &subs[i];
            NewBid {
                id: *id,
                round_id: s.round_id,
                lot_id: s.lot_id,
                supplier_org_id: s.supplier,
                submitted_by: s.user_id,
                terms_version: s.terms_version,
                sealed: &s.sealed,
                commitment: &s.commitment,
                submitted_at: *now,
                receipt_signature: signature,
                idempotency_key: s.idempotency_key.as_deref(),
                request_hash: Some(&s.request_hash),
            }
        })
        .collect();
    let inserted: Vec<BidRow> = diesel::insert_into(bids::table)
        .values(&rows)
        .returning(BidRow::as_returning())
        .get_results(conn)
        .await?;
    let by_id: HashMap<Uuid, BidRow> = inserted.into_iter().map(|b| (b.id, b)).collect();

    // their audit entries and receipt mails, one statement each
    let mut entries = Vec::with_capacity(accepted.len());
    let mut mails = Vec::with_capacity(accepted.len());
    for (&i, (id, now, signature)) in accepted.iter().zip(&signed) {
        let s = &subs[i];
        let replaces = replaced.get(&(s.lot_id, s.supplier));
        entries.push(audit::NewRecord {
            actor: s.actor.clone(),
            action: "bid.submit",
            entity_type: "bid",
            entity_id: id.to_string(),
            details: json!({ "round": s.round_id, "lot": s.lot_id, "supplier": s.supplier,
                             "commitment": s.commitment, "replaces": replaces,
                             "terms_version": s.terms_version }),
        });
        let round_name = &state[&s.round_id].0.name;
        mails.push((
            s.email.clone(),
            json!({
                "name": if s.display_name.is_empty() { &s.email } else { &s.display_name },
                "round_name": round_name, "lot_number": s.lot_number, "generic_name": s.generic_name,
                "bid_id": id, "submitted_at": now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "commitment": s.commitment, "signature": signature, "platform_url": settings.mail.public_url,
            }),
            format!("bid_receipt:{id}"),
        ));
    }
    audit::record_many(conn, &entries).await?;
    jobs::enqueue_emails(conn, &settings.jobs, "bid_receipt", &mails).await?;

    let mut accepted_iter = signed.iter();
    Ok(results
        .into_iter()
        .map(|r| match r {
            Some(done) => done,
            None => accepted_iter
                .next()
                .and_then(|(id, _, _)| by_id.get(id).cloned())
                .map(|bid| Written { bid, created: true })
                .ok_or_else(|| ApiError::internal("a written bid is missing")),
        })
        .collect())
}
