//! Group commit of sealed bids.
//!
//! A request verifies its token, validates the body and seals the bid to the round's key
//! (none of which needs the database); then the bid goes to a writer lane, chosen by
//! supplier. A lane takes every submission waiting for it (up to [`MAX_BATCH`]) and
//! handles them in **one transaction** of five round trips: `BEGIN`; the round's shared
//! lock with one pipelined read of the batch's sessions, catalog items with their
//! ceilings, Idempotency-Keys, supplier bars and the live bids it replaces; the round's
//! state and the database clock, read after the lock is granted; then, after the checks
//! of each bid, one pipelined write of the bids, their audit entries and their receipt
//! mails; `COMMIT` (one WAL flush for all of them). Only then does each request get its
//! receipt. Under light load a batch is one bid; at a deadline rush the batches grow by
//! themselves, with no timer, and PostgreSQL runs a dozen statements per batch instead of
//! a dozen per bid. The statements stay prepared per connection and their lookups are
//! planned for each batch ([`crate::platform::db::prepared`]).
//!
//! The rules of a single submission hold for every bid of a batch: the session is checked
//! (a revoked token, a deactivated user or a suspended organisation is refused), the
//! deadline and the terms version against the database's clock under the round's shared
//! advisory lock, inside the transaction that writes the bid (closing takes the lock
//! exclusively, so it waits for a batch in flight). Lanes are chosen by supplier, so two
//! bids of one supplier never race in two transactions, and a batch holds at most one bid
//! per (lot, supplier) and per Idempotency-Key (a second one waits for the next batch, so
//! replacement keeps its order). If a batch fails as a whole, its bids are handled again
//! one transaction each, so one bad bid never fails the others.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    sync::Arc,
};

use bidding_core::UnitPrice;
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use rust_decimal::Decimal;
use serde_json::json;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::{
    bids::{
        queries::{BidRow, NewBid},
        service::{self as bids, BiddingTerms},
    },
    catalog::queries::CatalogItem,
    platform::{
        audit::{self, Actor},
        auth::{AuthUser, Claims, Session},
        db::{
            Pool,
            prepared::{cached_plans, custom_plan_transaction},
        },
        error::ApiError,
        jobs,
        settings::Settings,
    },
    rounds::queries::{BiddingState, Round, items_with_ceilings},
};
use bidding_core::RoundStatus;

/// The most bids one transaction writes.
pub const MAX_BATCH: usize = 64;

/// A validated, sealed bid waiting to be checked and written.
pub struct Submission {
    /// The bidder's verified token; its session is checked in the writing transaction.
    pub claims: Claims,
    /// The terms the bid was sealed against (its round, version, key, lots and rules).
    pub terms: Arc<BiddingTerms>,
    pub lot_id: Uuid,
    /// The offered product's catalog code (normalized).
    pub product_code: String,
    pub unit_price: UnitPrice,
    pub sealed: Vec<u8>,
    pub commitment: String,
    pub idempotency_key: Option<String>,
    pub request_hash: String,
}

impl Submission {
    fn round_id(&self) -> Uuid {
        self.terms.round_id
    }
    fn supplier(&self) -> Uuid {
        self.claims.org
    }
}

/// A written bid; `created` is false when a retried request (same Idempotency-Key) got
/// the bid its first copy wrote.
pub struct Written {
    pub bid: BidRow,
    pub created: bool,
}

/// Why a submission was not written.
pub enum Refusal {
    /// The answer to give the client.
    Refused(ApiError),
    /// The round's terms changed after the bid was sealed: seal it again under the new
    /// terms and resubmit.
    StaleTerms,
}

impl From<ApiError> for Refusal {
    fn from(e: ApiError) -> Self {
        Refusal::Refused(e)
    }
}

type Outcome = Result<Written, Refusal>;

struct Pending {
    sub: Submission,
    reply: oneshot::Sender<Outcome>,
}

/// The writer lanes of a process. Their tasks start with the first submission.
pub struct BidWriter {
    lanes: Vec<mpsc::UnboundedSender<Pending>>,
    receivers: std::sync::Mutex<Option<Vec<mpsc::UnboundedReceiver<Pending>>>>,
    batch_size: prometheus::Histogram,
}

impl BidWriter {
    /// The writer of a running service: its lanes from the settings, its batch sizes
    /// into the service's metrics.
    pub fn for_state(state: &crate::platform::AppState) -> Self {
        Self::new(state.settings.bid_lanes, state.metrics.bid_batch.clone())
    }

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

    /// Checks and writes a bid (in a batch with whatever else is waiting) and returns it
    /// once committed.
    pub async fn write(&self, pool: &Pool, settings: &Settings, sub: Submission) -> Outcome {
        self.start(pool, settings)?;
        let lane = (sub.supplier().as_u128() % self.lanes.len() as u128) as usize;
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
            let pair_free = pairs.insert((p.sub.lot_id, p.sub.supplier()));
            let key_free = match &p.sub.idempotency_key {
                Some(k) => keys.insert((p.sub.supplier(), k.clone())),
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
                // no connection in time: the same 503 as every other route, to retry
                let _ = r.send(Err(ApiError::Unavailable(msg.clone().into()).into()));
            }
            return;
        }
    };
    let results = match custom_plan_transaction(&mut conn, async |conn| {
        write_all(conn, settings, &subs).await
    })
    .await
    {
        Ok(results) => results,
        Err(e) if subs.len() == 1 => vec![Err(e.into())],
        Err(e) => {
            // one at a time, so a bad bid fails alone
            tracing::warn!(error = %e, bids = subs.len(), "bid batch failed; writing its bids one by one");
            let mut out = Vec::with_capacity(subs.len());
            for sub in &subs {
                let one = std::slice::from_ref(sub);
                out.push(
                    match custom_plan_transaction(&mut conn, async |conn| {
                        write_all(conn, settings, one).await
                    })
                    .await
                    {
                        Ok(mut r) => r
                            .pop()
                            .unwrap_or_else(|| Err(ApiError::internal("no result").into())),
                        Err(e) => Err(e.into()),
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

/// A submission that passed every check.
enum Verdict {
    /// To be written, by this caller.
    Accept(AuthUser),
    /// A retry whose first copy is written: answered with that bid.
    Retry(Box<Written>),
}

/// What the batch's pipelined reads found.
struct Found {
    /// by jti: the session's user, its check, the user's address and name
    sessions: HashMap<Uuid, (Uuid, crate::platform::auth::SessionCheck, String, String)>,
    /// by (code, ceilings date)
    items: HashMap<(String, NaiveDate), (CatalogItem, Option<Decimal>)>,
    /// by (supplier, Idempotency-Key): the bid its first copy wrote
    first_of: HashMap<(Uuid, String), BidRow>,
    /// barred suppliers, with the last day of the bar
    barred: HashMap<Uuid, NaiveDate>,
    /// by (lot, supplier): the live bid a new one replaces
    live: HashMap<(Uuid, Uuid), Uuid>,
}

/// Everything a batch reads besides its rounds, in one pipelined round trip (each lookup
/// planned for this batch's arrays, so a plan chosen while a table was small is never
/// kept: see [`crate::platform::db::prepared`]).
async fn read_batch(conn: &AsyncPgConnection, subs: &[Submission]) -> Result<Found, ApiError> {
    let mut jtis: Vec<Uuid> = subs.iter().map(|s| s.claims.jti).collect();
    jtis.sort();
    jtis.dedup();
    // codes per ceilings date (a batch normally holds one round, so one date)
    let mut codes: HashMap<NaiveDate, Vec<&str>> = HashMap::new();
    for s in subs {
        let day = codes.entry(s.terms.ceilings_date).or_default();
        if !day.contains(&s.product_code.as_str()) {
            day.push(&s.product_code);
        }
    }
    let (key_suppliers, keys): (Vec<Uuid>, Vec<&str>) = subs
        .iter()
        .filter_map(|s| Some((s.supplier(), s.idempotency_key.as_deref()?)))
        .unzip();
    let (lots, pair_suppliers): (Vec<Uuid>, Vec<Uuid>) =
        subs.iter().map(|s| (s.lot_id, s.supplier())).unzip();
    let mut suppliers = pair_suppliers.clone();
    suppliers.sort();
    suppliers.dedup();
    let (sessions, items, first, barred, live) = futures_util::future::join5(
        Session::check_many(conn, &jtis),
        futures_util::future::try_join_all(codes.iter().map(|(day, codes)| async move {
            items_with_ceilings(conn, codes, *day)
                .await
                .map(|found| (*day, found))
        })),
        async {
            if keys.is_empty() {
                Ok(Vec::new())
            } else {
                BidRow::by_idempotency_keys(conn, &key_suppliers, &keys).await
            }
        },
        crate::contracts::service::barred_today_many(conn, &suppliers),
        BidRow::live_of_pairs(conn, &lots, &pair_suppliers),
    )
    .await;
    Ok(Found {
        sessions: sessions?
            .into_iter()
            .map(|(jti, user, check, email, name)| (jti, (user, check, email, name)))
            .collect(),
        items: items?
            .into_iter()
            .flat_map(|(day, found)| {
                found
                    .into_iter()
                    .map(move |(item, ceiling)| ((item.code.clone(), day), (item, ceiling)))
            })
            .collect(),
        first_of: first?
            .into_iter()
            .filter_map(|b| Some(((b.supplier_org_id, b.idempotency_key.clone()?), b)))
            .collect(),
        barred: barred?.into_iter().collect(),
        live: live?
            .into_iter()
            .map(|(id, lot, supplier)| ((lot, supplier), id))
            .collect(),
    })
}

/// The verdict on one submission of a batch, in the order a single request meets them:
/// the session, a retried Idempotency-Key, the round's state and deadline, a bar, the
/// terms version, then the product (catalog, eligibility, ceiling).
fn judge(
    s: &Submission,
    found: &Found,
    (current, now): &(BiddingState, DateTime<Utc>),
) -> Result<Verdict, Refusal> {
    let session = found
        .sessions
        .get(&s.claims.jti)
        .filter(|(user, ..)| *user == s.claims.sub)
        .map(|(_, check, email, name)| (check.clone(), email.clone(), name.clone()));
    let user = AuthUser::admitted(s.claims.clone(), session)?;
    if let Some(key) = &s.idempotency_key
        && let Some(first) = found.first_of.get(&(s.supplier(), key.clone()))
    {
        if first.request_hash.as_deref() == Some(s.request_hash.as_str())
            && first.round_id == s.round_id()
        {
            return Ok(Verdict::Retry(Box::new(Written {
                bid: first.clone(),
                created: false,
            })));
        }
        return Err(ApiError::rule(
            "idempotency_key_reused",
            "this Idempotency-Key was used for a different bid",
        )
        .into());
    }
    match current.status {
        RoundStatus::BiddingOpen if *now < current.bidding_deadline => {}
        RoundStatus::BiddingOpen => {
            return Err(ApiError::rule(
                "bidding_closed",
                format!(
                    "bidding closed at {} (server time {}): the bid was not accepted",
                    current.bidding_deadline.to_rfc3339(),
                    now.to_rfc3339()
                ),
            )
            .into());
        }
        RoundStatus::Draft => return Err(ApiError::not_found("no such round").into()),
        other => {
            return Err(ApiError::rule(
                "round_not_open",
                format!("the round is {other}: it does not accept bids"),
            )
            .into());
        }
    }
    if let Some(until) = found.barred.get(&s.supplier()) {
        return Err(ApiError::rule("supplier_barred", format!(
            "your organisation is barred from procurement rounds until {until} (after a supply failure)"
        ))
        .into());
    }
    if current.terms_version != s.terms.terms_version {
        return Err(Refusal::StaleTerms);
    }
    let item = found
        .items
        .get(&(s.product_code.clone(), s.terms.ceilings_date));
    bids::check_offer(
        &s.terms,
        s.lot_id,
        s.supplier(),
        &s.product_code,
        s.unit_price,
        item,
    )?;
    Ok(Verdict::Accept(user))
}

/// Checks the bids of `subs` and writes the accepted ones in the caller's transaction;
/// the outcome of each, in order.
async fn write_all(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    subs: &[Submission],
) -> Result<Vec<Outcome>, ApiError> {
    // each round once: its shared lock, then its state and the clock
    let mut round_ids: Vec<Uuid> = subs.iter().map(Submission::round_id).collect();
    round_ids.sort();
    round_ids.dedup();
    // One round trip for the locks and the batch's reads, then one for the states: a
    // round's state is read by a statement sent after its lock was granted, so it sees
    // whatever a closing (or terms change) that held the lock committed.
    let shared: &AsyncPgConnection = conn;
    let (state, found) = futures_util::future::join(
        async {
            let mut state: HashMap<Uuid, (BiddingState, DateTime<Utc>)> = HashMap::new();
            for id in round_ids {
                Round::lock_for_bidding(shared, id).await?;
                state.insert(id, Round::bidding_state_now(shared, id).await?);
            }
            Ok::<_, ApiError>(state)
        },
        read_batch(shared, subs),
    )
    .await;
    let (state, found) = (state?, found?);

    let mut results: Vec<Option<Outcome>> = Vec::with_capacity(subs.len());
    let mut accepted: Vec<(usize, AuthUser)> = Vec::new();
    for (i, s) in subs.iter().enumerate() {
        match judge(s, &found, &state[&s.round_id()]) {
            Ok(Verdict::Retry(first)) => results.push(Some(Ok(*first))),
            Ok(Verdict::Accept(user)) => {
                results.push(None);
                accepted.push((i, user));
            }
            Err(refusal) => results.push(Some(Err(refusal))),
        }
    }
    if accepted.is_empty() {
        return Ok(results.into_iter().flatten().collect());
    }

    // end the live bids being replaced (none, for a first bid), in one statement
    let to_end: Vec<Uuid> = accepted
        .iter()
        .filter_map(|(i, _)| found.live.get(&(subs[*i].lot_id, subs[*i].supplier())))
        .copied()
        .collect();
    let ended: HashSet<Uuid> = if to_end.is_empty() {
        HashSet::new()
    } else {
        BidRow::replace_live(conn, &to_end)
            .await?
            .into_iter()
            .collect()
    };
    let replaced: HashMap<(Uuid, Uuid), Uuid> = found
        .live
        .iter()
        .filter(|(_, id)| ended.contains(id))
        .map(|(pair, id)| (*pair, *id))
        .collect();

    // the bids, signed with the database's time, in one statement
    let mut signed = Vec::with_capacity(accepted.len());
    for (i, _) in &accepted {
        let s = &subs[*i];
        let now = state[&s.round_id()].1;
        let id = Uuid::now_v7();
        let message =
            bids::receipt_message(id, s.round_id(), s.lot_id, s.supplier(), now, &s.commitment);
        signed.push((id, now, settings.receipt_key.sign(message.as_bytes())));
    }
    let rows: Vec<NewBid<'_>> = accepted
        .iter()
        .zip(&signed)
        .map(|((i, user), (id, now, signature))| {
            let s = &subs[*i];
            NewBid {
                id: *id,
                round_id: s.round_id(),
                lot_id: s.lot_id,
                supplier_org_id: s.supplier(),
                submitted_by: user.user_id,
                terms_version: s.terms.terms_version,
                sealed: &s.sealed,
                commitment: &s.commitment,
                submitted_at: *now,
                receipt_signature: signature,
                idempotency_key: s.idempotency_key.as_deref(),
                request_hash: Some(&s.request_hash),
            }
        })
        .collect();

    // their audit entries and receipt mails, one statement each
    let mut entries = Vec::with_capacity(accepted.len());
    let mut mails = Vec::with_capacity(accepted.len());
    for ((i, user), (id, now, signature)) in accepted.iter().zip(&signed) {
        let s = &subs[*i];
        let replaces = replaced.get(&(s.lot_id, s.supplier()));
        entries.push(audit::NewRecord {
            actor: Actor::user(user.user_id, user.role.as_str()),
            action: "bid.submit",
            entity_type: "bid",
            entity_id: id.to_string(),
            details: json!({ "round": s.round_id(), "lot": s.lot_id, "supplier": s.supplier(),
                             "commitment": s.commitment, "replaces": replaces,
                             "terms_version": s.terms.terms_version }),
        });
        let round_name = &state[&s.round_id()].0.name;
        let (lot_number, generic_name) = s
            .terms
            .lots
            .get(&s.lot_id)
            .map(|(lot, _)| (lot.number, lot.generic_name.as_str()))
            .unwrap_or_default();
        mails.push((
            user.email.clone(),
            json!({
                "name": if user.display_name.is_empty() { &user.email } else { &user.display_name },
                "round_name": round_name, "lot_number": lot_number, "generic_name": generic_name,
                "bid_id": id, "submitted_at": now.to_rfc3339_opts(chrono::SecondsFormat::Micros, true),
                "commitment": s.commitment, "signature": signature, "platform_url": settings.mail.public_url,
            }),
            format!("bid_receipt:{id}"),
        ));
    }
    // the three writes in one round trip, with their cached plans (an insert from arrays
    // has no plan to get wrong; planning it for each batch's arrays cost PostgreSQL about
    // 90 us a bid)
    let shared: &AsyncPgConnection = conn;
    let (cached, inserted, logged, mailed) = futures_util::future::join4(
        cached_plans(shared),
        BidRow::insert_many(shared, &rows),
        audit::record_many(shared, &entries),
        jobs::enqueue_emails(shared, &settings.jobs, "bid_receipt", &mails),
    )
    .await;
    let (_, inserted, _, _) = (cached?, inserted?, logged?, mailed?);
    crate::platform::jobs::rush::note_bids_written(inserted.len() as u64);
    let by_id: HashMap<Uuid, BidRow> = inserted.into_iter().map(|b| (b.id, b)).collect();

    let mut accepted_iter = signed.iter();
    Ok(results
        .into_iter()
        .map(|r| match r {
            Some(done) => done,
            None => accepted_iter
                .next()
                .and_then(|(id, _, _)| by_id.get(id).cloned())
                .map(|bid| Written { bid, created: true })
                .ok_or_else(|| ApiError::internal("a written bid is missing").into()),
        })
        .collect())
}
