//! The audit log: an append-only record of every state change, chained by SHA-256.
//!
//! Writing and chaining are split so the chain never serializes the platform's writes
//! (measured in ../shared/NOTES.md: a chain head updated inline costs 4-7x throughput):
//!
//! 1. [`record`] inserts an entry inside the transaction of the change it records; the
//!    row carries the id of that transaction (`txid`). No shared row is touched.
//! 2. [`seal_pending`], run by one sealer at a time (an advisory lock), takes the entries of
//!    every transaction older than all transactions still running (`txid` below the
//!    snapshot's `xmin`: those can no longer gain or lose entries), orders them by
//!    (`txid`, `id`) and appends one `audit_seal` row per entry: sequence number,
//!    previous hash and `hash = SHA-256(prev_hash || canonical entry)`.
//! 3. [`verify`] walks the seals in order, recomputes every hash from the entry as stored,
//!    and reports the first entry that does not match, plus how many entries await sealing.
//!
//! The database refuses UPDATE, DELETE and TRUNCATE on both tables; a superuser who
//! bypasses that is caught by [`verify`].

use chrono::{DateTime, SecondsFormat, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Bool},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::db::schema::{audit_log, audit_seal};

/// Who made a change: a signed-in user, or the platform itself (jobs, migrations, demo).
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub role: Option<String>,
}

impl Actor {
    pub fn system() -> Self {
        Self {
            user_id: None,
            role: None,
        }
    }

    pub fn user(user_id: Uuid, role: impl Into<String>) -> Self {
        Self {
            user_id: Some(user_id),
            role: Some(role.into()),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = audit_log)]
struct NewEntry<'a> {
    actor_user_id: Option<Uuid>,
    actor_role: Option<&'a str>,
    action: &'a str,
    entity_type: &'a str,
    entity_id: &'a str,
    details: &'a Value,
}

/// Appends an entry; call it inside the transaction of the change it records.
/// `action` is dotted lower-case (`user.create`); `details` must not hold secrets.
pub async fn record(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    action: &str,
    entity_type: &str,
    entity_id: &str,
    details: Value,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(NewEntry {
            actor_user_id: actor.user_id,
            actor_role: actor.role.as_deref(),
            action,
            entity_type,
            entity_id,
            details: &details,
        })
        .execute(conn)
        .await
        .map(drop)
}

/// An entry for [`record_many`].
pub struct NewRecord {
    pub actor: Actor,
    pub action: &'static str,
    pub entity_type: &'static str,
    pub entity_id: String,
    pub details: Value,
}

/// Appends several entries in one statement (inside the transaction of their changes),
/// whose text does not depend on their number (columns as arrays, `unnest`). Takes
/// `&AsyncPgConnection`, so it can be pipelined with the other writes of its transaction.
pub async fn record_many(conn: &AsyncPgConnection, records: &[NewRecord]) -> QueryResult<()> {
    use diesel::sql_types::{Array, Jsonb, Nullable, Text, Uuid as U};
    let mut conn = conn;
    crate::platform::db::prepared::prepared(
        "INSERT INTO audit_log (actor_user_id, actor_role, action, entity_type, entity_id, details)
         SELECT * FROM unnest({}::uuid[], {}::text[], {}::text[], {}::text[], {}::text[], {}::jsonb[])",
    )
    .bind::<Array<Nullable<U>>, _>(records.iter().map(|r| r.actor.user_id).collect::<Vec<_>>())
    .bind::<Array<Nullable<Text>>, _>(
        records
            .iter()
            .map(|r| r.actor.role.as_deref())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Text>, _>(records.iter().map(|r| r.action).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(records.iter().map(|r| r.entity_type).collect::<Vec<_>>())
    .bind::<Array<Text>, _>(
        records
            .iter()
            .map(|r| r.entity_id.as_str())
            .collect::<Vec<_>>(),
    )
    .bind::<Array<Jsonb>, _>(records.iter().map(|r| &r.details).collect::<Vec<_>>())
    .execute(&mut conn)
    .await
    .map(drop)
}

/// An audit entry as stored.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct Entry {
    pub id: i64,
    /// The id of the database transaction that wrote the entry.
    pub txid: i64,
    pub at: DateTime<Utc>,
    pub actor_user_id: Option<Uuid>,
    pub actor_role: Option<String>,
    pub action: String,
    pub entity_type: String,
    pub entity_id: String,
    pub details: Value,
}

/// Writes `value` as JSON with object keys sorted, so equal values hash equally whatever
/// order a client or the database returned them in.
fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(k.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(k) {
                    write_canonical(v, out);
                }
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(v, out);
            }
            out.push(']');
        }
        scalar => out.push_str(&scalar.to_string()),
    }
}

impl Entry {
    /// The canonical text that is hashed: every field, in a fixed order.
    pub fn canonical(&self, seq: i64) -> String {
        let head = serde_json::json!({
            "seq": seq,
            "id": self.id,
            "txid": self.txid,
            "at": self.at.to_rfc3339_opts(SecondsFormat::Micros, true),
            "actor_user_id": self.actor_user_id,
            "actor_role": self.actor_role,
            "action": self.action,
            "entity_type": self.entity_type,
            "entity_id": self.entity_id,
            "details": self.details,
        });
        let mut out = String::with_capacity(256);
        write_canonical(&head, &mut out);
        out
    }

    pub fn hash(&self, seq: i64, prev_hash: &[u8]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(prev_hash);
        h.update(self.canonical(seq).as_bytes());
        h.finalize().into()
    }
}

pub const GENESIS_HASH: [u8; 32] = [0; 32];
/// Advisory lock key held by the one sealer at work.
const SEALER_LOCK: i64 = 0x7662_705f_6175_6474; // "vbp_audt"
const SEAL_BATCH: i64 = 5_000;

#[derive(Insertable)]
#[diesel(table_name = audit_seal)]
struct NewSeal {
    seq: i64,
    entry_id: i64,
    prev_hash: Vec<u8>,
    hash: Vec<u8>,
}

/// Chains every entry whose transaction has ended and that is not sealed yet.
/// Returns how many were sealed; 0 when another sealer is at work.
///
/// The lock is a session lock taken *before* the sealing transaction starts: under
/// REPEATABLE READ the snapshot is taken by the first statement, so a lock taken inside
/// the transaction could be granted after another sealer committed, to a snapshot that
/// does not see that sealer's seals.
pub async fn seal_pending(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let locked: bool = diesel::select(diesel::dsl::sql::<Bool>(&format!(
        "pg_try_advisory_lock({SEALER_LOCK})"
    )))
    .get_result(conn)
    .await?;
    if !locked {
        return Ok(0);
    }
    let mut total = 0;
    let result = loop {
        let sealed = conn
            .build_transaction()
            .repeatable_read()
            .run(async |conn| seal_batch(conn).await)
            .await;
        match sealed {
            Ok(n) => {
                total += n;
                if n < SEAL_BATCH as usize {
                    break Ok(total);
                }
            }
            Err(e) => break Err(e),
        }
    };
    let unlocked = diesel::select(diesel::dsl::sql::<Bool>(&format!(
        "pg_advisory_unlock({SEALER_LOCK})"
    )))
    .get_result::<bool>(conn)
    .await;
    let total = result?;
    unlocked?;
    Ok(total)
}

async fn seal_batch(conn: &mut AsyncPgConnection) -> QueryResult<usize> {
    let head: Option<(i64, Vec<u8>, i64, i64)> = audit_seal::table
        .inner_join(audit_log::table)
        .order(audit_seal::seq.desc())
        .select((
            audit_seal::seq,
            audit_seal::hash,
            audit_log::txid,
            audit_log::id,
        ))
        .first(conn)
        .await
        .optional()?;
    // Transactions below this id have all ended: their entries are final.
    let horizon: i64 = diesel::select(diesel::dsl::sql::<BigInt>(
        "pg_snapshot_xmin(pg_current_snapshot())::text::bigint",
    ))
    .get_result(conn)
    .await?;
    let (mut seq, mut prev, after_txid, after_id) =
        head.unwrap_or((0, GENESIS_HASH.to_vec(), i64::MIN, i64::MIN));
    let entries: Vec<Entry> = audit_log::table
        .filter(audit_log::txid.lt(horizon))
        .filter(
            audit_log::txid.gt(after_txid).or(audit_log::txid
                .eq(after_txid)
                .and(audit_log::id.gt(after_id))),
        )
        .order((audit_log::txid, audit_log::id))
        .limit(SEAL_BATCH)
        .select(Entry::as_select())
        .load(conn)
        .await?;
    let mut seals = Vec::with_capacity(entries.len());
    for entry in &entries {
        seq += 1;
        let hash = entry.hash(seq, &prev);
        seals.push(NewSeal {
            seq,
            entry_id: entry.id,
            prev_hash: std::mem::replace(&mut prev, hash.to_vec()),
            hash: hash.to_vec(),
        });
    }
    for chunk in seals.chunks(1_000) {
        diesel::insert_into(audit_seal::table)
            .values(chunk)
            .execute(conn)
            .await?;
    }
    Ok(seals.len())
}

/// The first place where the chain does not hold.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq, Eq)]
pub struct ChainBreak {
    /// Sequence number of the seal at fault.
    pub seq: i64,
    /// The audit entry it seals (absent when the entry itself was removed).
    pub entry_id: Option<i64>,
    pub reason: String,
}

/// The result of walking the whole chain.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct VerifyReport {
    /// True when every sealed entry matches its hash and the seals link up.
    pub intact: bool,
    /// How many sealed entries were checked.
    pub checked: i64,
    /// Entries written but not chained yet (normally 0 a second after the last write).
    pub unsealed: i64,
    /// Hash of the last seal, hex; publish it to anchor the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head_hash: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_break: Option<ChainBreak>,
}

/// A seal with the entry it seals (`None` when the entry is gone):
/// (seq, entry_id, prev_hash, hash, entry).
type SealRow = (i64, i64, Vec<u8>, Vec<u8>, Option<Entry>);

/// Walks every seal in order and recomputes every hash from the stored entries.
pub async fn verify(conn: &mut AsyncPgConnection) -> QueryResult<VerifyReport> {
    const PAGE: i64 = 10_000;
    let mut expected_seq = 1;
    let mut prev = GENESIS_HASH.to_vec();
    let mut last_order: Option<(i64, i64)> = None;
    let mut checked = 0;
    let mut first_break = None;
    'pages: loop {
        let rows: Vec<SealRow> = audit_seal::table
            .left_join(audit_log::table)
            .filter(audit_seal::seq.ge(expected_seq))
            .order(audit_seal::seq)
            .limit(PAGE)
            .select((
                audit_seal::seq,
                audit_seal::entry_id,
                audit_seal::prev_hash,
                audit_seal::hash,
                Option::<Entry>::as_select(),
            ))
            .load(conn)
            .await?;
        let n = rows.len();
        for (seq, entry_id, prev_hash, hash, entry) in rows {
            let broken = |reason: String| ChainBreak {
                seq,
                entry_id: Some(entry_id),
                reason,
            };
            if seq != expected_seq {
                first_break = Some(broken(format!(
                    "seal {expected_seq} is missing (next seal is {seq})"
                )));
                break 'pages;
            }
            let Some(entry) = entry else {
                first_break = Some(broken(format!("audit entry {entry_id} has been deleted")));
                break 'pages;
            };
            if prev_hash != prev {
                first_break = Some(broken(format!(
                    "seal {seq} does not link to the seal before it"
                )));
                break 'pages;
            }
            if let Some(last) = last_order
                && (entry.txid, entry.id) <= last
            {
                first_break = Some(broken(format!(
                    "audit entry {entry_id} is sealed out of transaction order"
                )));
                break 'pages;
            }
            if entry.hash(seq, &prev)[..] != hash[..] {
                first_break = Some(broken(format!(
                    "audit entry {entry_id} does not match its hash: it was altered after sealing"
                )));
                break 'pages;
            }
            last_order = Some((entry.txid, entry.id));
            prev = hash;
            expected_seq += 1;
            checked += 1;
        }
        if n < PAGE as usize {
            break;
        }
    }
    let unsealed: i64 = audit_log::table
        .left_join(audit_seal::table)
        .filter(audit_seal::seq.is_null())
        .count()
        .get_result(conn)
        .await?;
    Ok(VerifyReport {
        intact: first_break.is_none(),
        checked,
        unsealed,
        head_hash: (checked > 0 && first_break.is_none()).then(|| hex::encode(&prev)),
        first_break,
    })
}

/// A page of audit entries, newest first, with the total.
#[derive(Debug, Default)]
pub struct EntryFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub action: Option<String>,
    pub actor_user_id: Option<Uuid>,
}

pub async fn page(
    conn: &mut AsyncPgConnection,
    filter: &EntryFilter,
    limit: i64,
    offset: i64,
) -> QueryResult<(Vec<(Entry, Option<i64>)>, i64)> {
    macro_rules! filtered {
        ($q:expr) => {{
            let mut q = $q;
            if let Some(v) = &filter.entity_type {
                q = q.filter(audit_log::entity_type.eq(v.clone()));
            }
            if let Some(v) = &filter.entity_id {
                q = q.filter(audit_log::entity_id.eq(v.clone()));
            }
            if let Some(v) = &filter.action {
                q = q.filter(audit_log::action.eq(v.clone()));
            }
            if let Some(v) = filter.actor_user_id {
                q = q.filter(audit_log::actor_user_id.eq(v));
            }
            q
        }};
    }
    let total = filtered!(audit_log::table.into_boxed())
        .count()
        .get_result(conn)
        .await?;
    let rows = filtered!(audit_log::table.left_join(audit_seal::table).into_boxed())
        .order(audit_log::id.desc())
        .limit(limit)
        .offset(offset)
        .select((Entry::as_select(), audit_seal::seq.nullable()))
        .load(conn)
        .await?;
    Ok((rows, total))
}

/// How often the sealer makes sure the audit log's monthly partitions exist ahead.
const PARTITIONS_EVERY: std::time::Duration = std::time::Duration::from_secs(6 * 3600);
/// How many months ahead of this one the partitions are made.
const PARTITIONS_AHEAD: i32 = 3;

/// Makes the audit log's missing monthly partitions, this month's and [`PARTITIONS_AHEAD`]
/// after it (migration 2026-12-04-000081); returns how many it made.
pub async fn ensure_partitions(conn: &mut AsyncPgConnection) -> QueryResult<i32> {
    #[derive(QueryableByName)]
    struct Made {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        made: i32,
    }
    diesel::sql_query("SELECT audit_log_ensure_partitions($1) AS made")
        .bind::<diesel::sql_types::Integer, _>(PARTITIONS_AHEAD)
        .get_result::<Made>(conn)
        .await
        .map(|m| m.made)
}

/// Runs [`seal_pending`] every `interval` until the process ends, and
/// [`ensure_partitions`] at start and every few hours.
pub async fn run_sealer(pool: crate::platform::db::Pool, interval: std::time::Duration) {
    let mut tick = tokio::time::interval(interval);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut partitions_due = std::time::Instant::now();
    loop {
        tick.tick().await;
        let result = match pool.get().await {
            Ok(mut conn) => {
                if std::time::Instant::now() >= partitions_due {
                    match ensure_partitions(&mut conn).await {
                        Ok(made) => {
                            partitions_due = std::time::Instant::now() + PARTITIONS_EVERY;
                            if made > 0 {
                                tracing::info!(made, "audit log partitions made ahead");
                            }
                        }
                        Err(e) => {
                            partitions_due =
                                std::time::Instant::now() + std::time::Duration::from_secs(60);
                            tracing::warn!(error = %e, "cannot make the audit log's partitions; retrying in a minute");
                        }
                    }
                }
                seal_pending(&mut conn).await.map_err(|e| e.to_string())
            }
            Err(e) => Err(e.to_string()),
        };
        match result {
            Ok(0) => {}
            Ok(n) => tracing::debug!(sealed = n, "audit entries sealed"),
            Err(e) => tracing::warn!(error = %e, "audit sealer failed; retrying"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_sorts_keys_recursively() {
        let mut a = String::new();
        let mut b = String::new();
        write_canonical(
            &serde_json::json!({"b": 1, "a": {"d": [1, {"y": 2, "x": 1}], "c": "é"}}),
            &mut a,
        );
        write_canonical(
            &serde_json::json!({"a": {"c": "é", "d": [1, {"x": 1, "y": 2}]}, "b": 1}),
            &mut b,
        );
        assert_eq!(a, b);
        assert_eq!(a, r#"{"a":{"c":"é","d":[1,{"x":1,"y":2}]},"b":1}"#);
    }
}
