//! Rows and queries of sealed bids, the bid register and the opening shares.

use crate::platform::db::schema::{bid_register, bids, opening_shares};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

/// Bids by (supplier, Idempotency-Key) pairs, given as two arrays of equal length (one
/// index probe per pair; `supplier = ANY($1) AND key = ANY($2)` probes every combination).
const BY_IDEMPOTENCY_KEYS: &str =
    "SELECT b.* FROM unnest({}::uuid[], {}::text[]) AS t(supplier_org_id, idempotency_key)
  JOIN bids b ON b.supplier_org_id = t.supplier_org_id AND b.idempotency_key = t.idempotency_key";

crate::platform::db::text_enum! {
    /// Where a sealed bid is: live until replaced, withdrawn (before the deadline) or
    /// invalidated (the terms changed, or it could not be read at the opening).
    BidStatus {
        Live => "live",
        Replaced => "replaced",
        Withdrawn => "withdrawn",
        Invalidated => "invalidated",
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = bids, check_for_backend(diesel::pg::Pg))]
pub struct BidRow {
    pub id: Uuid,
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub supplier_org_id: Uuid,
    pub submitted_by: Uuid,
    pub status: BidStatus,
    pub terms_version: i32,
    pub sealed: Vec<u8>,
    pub commitment: String,
    pub submitted_at: DateTime<Utc>,
    pub receipt_signature: String,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub ended_at: Option<DateTime<Utc>>,
    pub product_code: Option<String>,
    pub unit_price: Option<Decimal>,
    pub annual_capacity: Option<i64>,
    pub province_preferences: Option<Value>,
    pub opened_at: Option<DateTime<Utc>>,
}

/// A sealed bid to write ([`BidRow::insert_many`]).
#[derive(Debug)]
pub struct NewBid<'a> {
    pub id: Uuid,
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub supplier_org_id: Uuid,
    pub submitted_by: Uuid,
    pub terms_version: i32,
    pub sealed: &'a [u8],
    pub commitment: &'a str,
    pub submitted_at: DateTime<Utc>,
    pub receipt_signature: &'a str,
    pub idempotency_key: Option<&'a str>,
    pub request_hash: Option<&'a str>,
}

impl BidRow {
    pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Self> {
        bids::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .await
    }

    /// Takes `&AsyncPgConnection`, so it can be pipelined with other reads.
    ///
    /// Written as `sql_query`, which diesel does not keep as a prepared statement, so
    /// PostgreSQL plans it for its parameters every time. As a cached prepared statement
    /// it got a generic plan chosen while `bids` was nearly empty (a sequential scan) and
    /// kept it as the table grew: 20-40 ms per bid at 20,000 bids in the load benchmark.
    pub async fn by_idempotency_key(
        conn: &AsyncPgConnection,
        supplier: Uuid,
        key: &str,
    ) -> QueryResult<Option<Self>> {
        let mut conn = conn;
        diesel::sql_query("SELECT * FROM bids WHERE supplier_org_id = $1 AND idempotency_key = $2")
            .bind::<diesel::sql_types::Uuid, _>(supplier)
            .bind::<diesel::sql_types::Text, _>(key)
            .get_result(&mut conn)
            .await
            .optional()
    }

    /// The bids of these (supplier, Idempotency-Key) pairs (`suppliers[i]` with `keys[i]`),
    /// for the bid writer, whose transactions plan each statement for its parameters
    /// (see [`crate::platform::db::prepared`] and [`Self::by_idempotency_key`]).
    pub async fn by_idempotency_keys(
        conn: &AsyncPgConnection,
        suppliers: &[Uuid],
        keys: &[&str],
    ) -> QueryResult<Vec<Self>> {
        let mut conn = conn;
        crate::platform::db::prepared::prepared(BY_IDEMPOTENCY_KEYS)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(suppliers)
            .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(keys)
            .load(&mut conn)
            .await
    }

    /// Writes sealed bids in one statement whose text does not depend on their number
    /// (columns as arrays, `unnest`), so PostgreSQL parses a few hundred bytes, not a
    /// `VALUES` list of twelve parameters a bid. Takes `&AsyncPgConnection`, so it can be
    /// pipelined with the batch's other writes.
    pub async fn insert_many(
        conn: &AsyncPgConnection,
        rows: &[NewBid<'_>],
    ) -> QueryResult<Vec<Self>> {
        use diesel::sql_types::{Array, Bytea, Int4, Nullable, Text, Timestamptz, Uuid as U};
        let col = |f: fn(&NewBid<'_>) -> Uuid| rows.iter().map(f).collect::<Vec<_>>();
        let mut conn = conn;
        crate::platform::db::prepared::prepared(
            "INSERT INTO bids (id, round_id, lot_id, supplier_org_id, submitted_by, terms_version,
                               sealed, commitment, submitted_at, receipt_signature,
                               idempotency_key, request_hash)
             SELECT * FROM unnest({}::uuid[], {}::uuid[], {}::uuid[], {}::uuid[], {}::uuid[],
                                  {}::int4[], {}::bytea[], {}::text[], {}::timestamptz[],
                                  {}::text[], {}::text[], {}::text[])
             RETURNING *",
        )
        .bind::<Array<U>, _>(col(|r| r.id))
        .bind::<Array<U>, _>(col(|r| r.round_id))
        .bind::<Array<U>, _>(col(|r| r.lot_id))
        .bind::<Array<U>, _>(col(|r| r.supplier_org_id))
        .bind::<Array<U>, _>(col(|r| r.submitted_by))
        .bind::<Array<Int4>, _>(rows.iter().map(|r| r.terms_version).collect::<Vec<_>>())
        .bind::<Array<Bytea>, _>(rows.iter().map(|r| r.sealed).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.commitment).collect::<Vec<_>>())
        .bind::<Array<Timestamptz>, _>(rows.iter().map(|r| r.submitted_at).collect::<Vec<_>>())
        .bind::<Array<Text>, _>(rows.iter().map(|r| r.receipt_signature).collect::<Vec<_>>())
        .bind::<Array<Nullable<Text>>, _>(
            rows.iter().map(|r| r.idempotency_key).collect::<Vec<_>>(),
        )
        .bind::<Array<Nullable<Text>>, _>(rows.iter().map(|r| r.request_hash).collect::<Vec<_>>())
        .load(&mut conn)
        .await
    }

    /// The live bids of these (lot, supplier) pairs (`lots[i]` with `suppliers[i]`), as
    /// (id, lot, supplier). For the bid writer, which plans it for each batch.
    pub async fn live_of_pairs(
        conn: &AsyncPgConnection,
        lots: &[Uuid],
        suppliers: &[Uuid],
    ) -> QueryResult<Vec<(Uuid, Uuid, Uuid)>> {
        #[derive(QueryableByName)]
        struct Live {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: Uuid,
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            lot_id: Uuid,
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            supplier_org_id: Uuid,
        }
        let mut conn = conn;
        let rows: Vec<Live> = crate::platform::db::prepared::prepared(
            "SELECT b.id, b.lot_id, b.supplier_org_id
               FROM unnest({}::uuid[], {}::uuid[]) AS t(lot_id, supplier_org_id)
               JOIN bids b ON b.lot_id = t.lot_id AND b.supplier_org_id = t.supplier_org_id
                          AND b.status = {}",
        )
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(lots)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(suppliers)
        .bind::<diesel::sql_types::Text, _>(BidStatus::Live)
        .load(&mut conn)
        .await?;
        Ok(rows
            .into_iter()
            .map(|r| (r.id, r.lot_id, r.supplier_org_id))
            .collect())
    }

    /// Marks these bids `replaced` where still live; returns the ids it ended. For the bid
    /// writer, which plans it for each batch: a cached plan made while `bids` was nearly
    /// empty would scan it.
    pub async fn replace_live(
        conn: &mut AsyncPgConnection,
        ids: &[Uuid],
    ) -> QueryResult<Vec<Uuid>> {
        #[derive(QueryableByName)]
        struct Ended {
            #[diesel(sql_type = diesel::sql_types::Uuid)]
            id: Uuid,
        }
        let rows: Vec<Ended> = crate::platform::db::prepared::prepared(
            "UPDATE bids SET status = {}, ended_at = now()
              WHERE id = ANY({}) AND status = {} RETURNING id",
        )
        .bind::<diesel::sql_types::Text, _>(BidStatus::Replaced)
        .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(ids)
        .bind::<diesel::sql_types::Text, _>(BidStatus::Live)
        .load(conn)
        .await?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }

    /// Ends the supplier's live bid on a lot (replaced or withdrawn); returns its id.
    pub async fn end_live(
        conn: &mut AsyncPgConnection,
        lot: Uuid,
        supplier: Uuid,
        status: BidStatus,
    ) -> QueryResult<Option<Uuid>> {
        diesel::update(
            bids::table
                .filter(bids::lot_id.eq(lot))
                .filter(bids::supplier_org_id.eq(supplier))
                .filter(bids::status.eq(BidStatus::Live)),
        )
        .set((bids::status.eq(status), bids::ended_at.eq(diesel::dsl::now)))
        .returning(bids::id)
        .get_result(conn)
        .await
        .optional()
    }

    /// Voids every live bid of a round (its terms changed); returns the suppliers affected.
    pub async fn invalidate_round(
        conn: &mut AsyncPgConnection,
        round: Uuid,
    ) -> QueryResult<Vec<Uuid>> {
        let mut orgs: Vec<Uuid> = diesel::update(
            bids::table
                .filter(bids::round_id.eq(round))
                .filter(bids::status.eq(BidStatus::Live)),
        )
        .set((
            bids::status.eq(BidStatus::Invalidated),
            bids::ended_at.eq(diesel::dsl::now),
        ))
        .returning(bids::supplier_org_id)
        .get_results(conn)
        .await?;
        orgs.sort();
        orgs.dedup();
        Ok(orgs)
    }

    pub async fn of_supplier(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        supplier: Uuid,
    ) -> QueryResult<Vec<Self>> {
        bids::table
            .filter(bids::round_id.eq(round))
            .filter(bids::supplier_org_id.eq(supplier))
            .order(bids::submitted_at.desc())
            .select(Self::as_select())
            .load(conn)
            .await
    }

    /// The bids that count: live, under the round's current terms.
    pub async fn live_of_round(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        terms_version: i32,
    ) -> QueryResult<Vec<Self>> {
        bids::table
            .filter(bids::round_id.eq(round))
            .filter(bids::status.eq(BidStatus::Live))
            .filter(bids::terms_version.eq(terms_version))
            .order(bids::id)
            .select(Self::as_select())
            .load(conn)
            .await
    }

    /// A bid that cannot be revealed (its content is out of range): ended as invalid at
    /// the opening, its revealed columns left empty.
    pub async fn invalidate_at_opening(
        conn: &mut AsyncPgConnection,
        id: Uuid,
    ) -> QueryResult<usize> {
        diesel::update(bids::table.find(id))
            .set((
                bids::status.eq(BidStatus::Invalidated),
                bids::ended_at.eq(diesel::dsl::now),
                bids::opened_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
    }

    pub async fn reveal(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        product_code: &str,
        unit_price: Decimal,
        annual_capacity: i64,
        preferences: &Value,
    ) -> QueryResult<usize> {
        diesel::update(bids::table.find(id))
            .set((
                bids::product_code.eq(product_code),
                bids::unit_price.eq(unit_price),
                bids::annual_capacity.eq(annual_capacity),
                bids::province_preferences.eq(preferences),
                bids::opened_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = bid_register, check_for_backend(diesel::pg::Pg))]
pub struct RegisterRow {
    pub bid_id: Uuid,
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub commitment: String,
    pub submitted_at: DateTime<Utc>,
    pub frozen_at: DateTime<Utc>,
}

impl RegisterRow {
    /// Freezes the register: every live bid under the current terms. Returns how many.
    pub async fn freeze(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        terms_version: i32,
    ) -> QueryResult<usize> {
        diesel::sql_query(
            "INSERT INTO bid_register (bid_id, round_id, lot_id, commitment, submitted_at)
             SELECT id, round_id, lot_id, commitment, submitted_at FROM bids
             WHERE round_id = $1 AND status = $3 AND terms_version = $2",
        )
        .bind::<diesel::sql_types::Uuid, _>(round)
        .bind::<diesel::sql_types::Integer, _>(terms_version)
        .bind::<diesel::sql_types::Text, _>(BidStatus::Live)
        .execute(conn)
        .await
    }

    pub async fn of_round(conn: &mut AsyncPgConnection, round: Uuid) -> QueryResult<Vec<Self>> {
        bid_register::table
            .filter(bid_register::round_id.eq(round))
            .order((
                bid_register::lot_id,
                bid_register::submitted_at,
                bid_register::bid_id,
            ))
            .select(Self::as_select())
            .load(conn)
            .await
    }
}

pub struct OpeningShares;

impl OpeningShares {
    /// Records a custodian's presented share; false when it had presented one already.
    pub async fn add(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        user: Uuid,
        wrapped: &[u8],
    ) -> QueryResult<bool> {
        let n = diesel::insert_into(opening_shares::table)
            .values((
                opening_shares::round_id.eq(round),
                opening_shares::user_id.eq(user),
                opening_shares::share_wrapped.eq(wrapped),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        Ok(n == 1)
    }

    pub async fn of_round(
        conn: &mut AsyncPgConnection,
        round: Uuid,
    ) -> QueryResult<Vec<(Uuid, Vec<u8>)>> {
        opening_shares::table
            .filter(opening_shares::round_id.eq(round))
            .order(opening_shares::presented_at)
            .select((opening_shares::user_id, opening_shares::share_wrapped))
            .load(conn)
            .await
    }

    pub async fn clear(conn: &mut AsyncPgConnection, round: Uuid) -> QueryResult<usize> {
        diesel::delete(opening_shares::table.filter(opening_shares::round_id.eq(round)))
            .execute(conn)
            .await
    }
}

/// What `vbp audit bids` found: every stored sealed bid against its own commitment and
/// against the frozen register of its round.
#[derive(Debug, diesel::QueryableByName)]
pub struct CommitmentCheck {
    /// Bids stored (sealed), all rounds.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub bids: i64,
    /// Register entries, all frozen rounds.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub registered: i64,
    /// Bids whose sealed bytes no longer hash to their commitment.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub altered: i64,
    /// Register entries whose bid is gone or whose commitment differs from the bid's.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub register_mismatch: i64,
    /// Live bids of a frozen round (current terms) missing from its register.
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub unregistered: i64,
    /// Up to ten bid ids of the problems above.
    #[diesel(sql_type = diesel::sql_types::Array<diesel::sql_types::Uuid>)]
    pub examples: Vec<Uuid>,
}

impl CommitmentCheck {
    pub async fn run(conn: &mut AsyncPgConnection) -> QueryResult<Self> {
        diesel::sql_query(
            "WITH altered AS (
                 SELECT id FROM bids WHERE encode(sha256(sealed), 'hex') <> commitment),
             mismatch AS (
                 SELECT r.bid_id AS id FROM bid_register r LEFT JOIN bids b ON b.id = r.bid_id
                  WHERE b.id IS NULL OR b.commitment <> r.commitment
                     OR encode(sha256(b.sealed), 'hex') <> r.commitment),
             unregistered AS (
                 SELECT b.id FROM bids b JOIN rounds ro ON ro.id = b.round_id
                  WHERE ro.closed_at IS NOT NULL AND b.status = $1
                    AND b.terms_version = ro.terms_version
                    AND NOT EXISTS (SELECT 1 FROM bid_register r WHERE r.bid_id = b.id))
             SELECT (SELECT count(*) FROM bids) AS bids,
                    (SELECT count(*) FROM bid_register) AS registered,
                    (SELECT count(*) FROM altered) AS altered,
                    (SELECT count(*) FROM mismatch) AS register_mismatch,
                    (SELECT count(*) FROM unregistered) AS unregistered,
                    ARRAY(SELECT id FROM (SELECT id FROM altered UNION SELECT id FROM mismatch
                                          UNION SELECT id FROM unregistered) x
                          ORDER BY id LIMIT 10) AS examples",
        )
        .bind::<diesel::sql_types::Text, _>(BidStatus::Live)
        .get_result(conn)
        .await
    }

    pub fn ok(&self) -> bool {
        self.altered == 0 && self.register_mismatch == 0 && self.unregistered == 0
    }
}
