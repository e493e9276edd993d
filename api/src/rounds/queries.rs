//! Rows and queries of rounds, lots, demand, bids, custodians and the bid register.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    prelude::*,
    sql_types::{BigInt, Timestamptz},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::Value;
use uuid::Uuid;

use bidding_core::RoundStatus;

use crate::{
    catalog::queries::CatalogItem,
    platform::db::schema::{demands, lots, round_custodians, rounds},
};

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = rounds, check_for_backend(diesel::pg::Pg))]
pub struct Round {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub status: RoundStatus,
    pub preset: String,
    pub rules: Value,
    pub bidding_deadline: DateTime<Utc>,
    pub key_mode: String,
    pub quorum: i16,
    pub terms_version: i32,
    pub public_key: Option<Vec<u8>>,
    pub wrapped_key: Option<Vec<u8>>,
    pub published_at: Option<DateTime<Utc>>,
    pub ceilings_date: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub cycle_start: Option<NaiveDate>,
    pub evaluated_at: Option<DateTime<Utc>>,
    pub revival_deadline: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = rounds)]
pub struct NewRound<'a> {
    pub id: Uuid,
    pub name: &'a str,
    pub kind: &'a str,
    pub preset: &'a str,
    pub rules: &'a Value,
    pub bidding_deadline: DateTime<Utc>,
    pub key_mode: &'a str,
    pub quorum: i16,
    pub created_by: Uuid,
}

/// An advisory-lock key for a round: submissions hold it shared, closing exclusively.
fn lock_key(round: Uuid) -> i64 {
    let b = round.as_bytes();
    i64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]) ^ 0x7662_705f_726e_6421
}

impl Round {
    pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Self> {
        rounds::table
            .find(id)
            .select(Self::as_select())
            .first(conn)
            .await
    }

    /// The round, locked against concurrent state changes until the transaction ends.
    pub async fn lock(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Self> {
        rounds::table
            .find(id)
            .for_update()
            .select(Self::as_select())
            .first(conn)
            .await
    }

    pub async fn insert(conn: &mut AsyncPgConnection, new: &NewRound<'_>) -> QueryResult<Self> {
        diesel::insert_into(rounds::table)
            .values(new)
            .returning(Self::as_returning())
            .get_result(conn)
            .await
    }

    /// Rounds visible to the caller (drafts only to `with_drafts`), in the order asked
    /// (latest deadline first by default).
    pub async fn page(
        conn: &mut AsyncPgConnection,
        with_drafts: bool,
        status: Option<RoundStatus>,
        sort: crate::rounds::dto::RoundSort,
        limit: i64,
        offset: i64,
    ) -> QueryResult<(Vec<Self>, i64)> {
        let mut q = rounds::table.into_boxed();
        let mut c = rounds::table.into_boxed();
        if !with_drafts {
            q = q.filter(rounds::status.ne(RoundStatus::Draft));
            c = c.filter(rounds::status.ne(RoundStatus::Draft));
        }
        if let Some(s) = status {
            q = q.filter(rounds::status.eq(s));
            c = c.filter(rounds::status.eq(s));
        }
        let total = c.count().get_result(conn).await?;
        use crate::rounds::dto::RoundSort as S;
        let q = match sort {
            S::BiddingDeadline => q.order((rounds::bidding_deadline.asc(), rounds::id)),
            S::BiddingDeadlineDesc => q.order((rounds::bidding_deadline.desc(), rounds::id)),
            S::CreatedAt => q.order((rounds::created_at.asc(), rounds::id)),
            S::CreatedAtDesc => q.order((rounds::created_at.desc(), rounds::id)),
            S::Name => q.order((rounds::name.asc(), rounds::id)),
            S::NameDesc => q.order((rounds::name.desc(), rounds::id)),
        };
        let rows = q
            .limit(limit)
            .offset(offset)
            .select(Self::as_select())
            .load(conn)
            .await?;
        Ok((rows, total))
    }

    /// Moves the round to `status`, stamping the time of closing, opening or cancelling.
    pub async fn set_status(
        conn: &mut AsyncPgConnection,
        id: Uuid,
        status: RoundStatus,
    ) -> QueryResult<usize> {
        use diesel::sql_types::Bool;
        diesel::sql_query(
            "UPDATE rounds SET status = $2, updated_at = now(),
                    closed_at = CASE WHEN $3 THEN now() ELSE closed_at END,
                    opened_at = CASE WHEN $4 THEN now() ELSE opened_at END,
                    cancelled_at = CASE WHEN $5 THEN now() ELSE cancelled_at END
              WHERE id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(id)
        .bind::<diesel::sql_types::Text, _>(status)
        .bind::<Bool, _>(status == RoundStatus::Closed)
        .bind::<Bool, _>(status == RoundStatus::Opened)
        .bind::<Bool, _>(status == RoundStatus::Cancelled)
        .execute(conn)
        .await
    }

    /// Takes the round's submission lock shared (bids) for this transaction.
    /// Takes `&AsyncPgConnection`, so the bid writer can pipeline the reads that must
    /// follow it (a pipelined statement starts, and takes its snapshot, after the one
    /// before it has finished).
    pub async fn lock_for_bidding(conn: &AsyncPgConnection, id: Uuid) -> QueryResult<()> {
        let mut conn = conn;
        crate::platform::db::prepared::prepared("SELECT pg_advisory_xact_lock_shared({})")
            .bind::<BigInt, _>(lock_key(id))
            .execute(&mut conn)
            .await
            .map(drop)
    }

    /// Takes the round's submission lock exclusively (closing): waits for every bid
    /// transaction in flight to end, and keeps new ones out until this one ends.
    pub async fn lock_for_closing(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<()> {
        diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
            .bind::<BigInt, _>(lock_key(id))
            .execute(conn)
            .await
            .map(drop)
    }
}

/// What the bid writer reads of a round in each batch: the parts that can change while
/// bidding is open (the rest is fixed per terms version, see `rounds::BiddingTerms`).
#[derive(Debug, Clone, Queryable)]
pub struct BiddingState {
    pub status: RoundStatus,
    pub terms_version: i32,
    pub bidding_deadline: DateTime<Utc>,
    pub name: String,
}

impl Round {
    /// The bidding state and the database's clock now, in one statement. Call it after
    /// taking the submission lock: a statement that starts after the lock is granted sees
    /// every change committed by the closing (or terms change) that held it.
    pub async fn bidding_state_now(
        conn: &AsyncPgConnection,
        id: Uuid,
    ) -> QueryResult<(BiddingState, DateTime<Utc>)> {
        let mut conn = conn;
        rounds::table
            .find(id)
            .select((
                (
                    rounds::status,
                    rounds::terms_version,
                    rounds::bidding_deadline,
                    rounds::name,
                ),
                diesel::dsl::sql::<Timestamptz>("clock_timestamp()"),
            ))
            .first(&mut conn)
            .await
    }
}

/// The catalog items of `codes` with their ceilings valid on `day` (the rule of
/// `Ceiling::valid_at`), in one statement, for a batch of bids (a `db::prepared` statement,
/// run by the bid writer under custom plans: the catalog may be small when a connection
/// first runs it). A scalar subquery, not the SQL function catalog_ceiling_at: PostgreSQL
/// re-plans a SQL function's body in every statement that calls it.
pub async fn items_with_ceilings(
    conn: &AsyncPgConnection,
    codes: &[&str],
    day: NaiveDate,
) -> QueryResult<Vec<(CatalogItem, Option<Decimal>)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(embed)]
        item: CatalogItem,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Numeric>)]
        ceiling: Option<Decimal>,
    }
    let mut conn = conn;
    let rows: Vec<Row> = crate::platform::db::prepared::prepared(
        "SELECT i.*,
                (SELECT c.price FROM catalog_ceilings c
                  WHERE c.item_code = i.code AND c.valid_from <= {}
                    AND (c.valid_to IS NULL OR c.valid_to > {})
                  ORDER BY c.id DESC LIMIT 1) AS ceiling
           FROM catalog_items i
          WHERE i.code = ANY({})",
    )
    .bind::<diesel::sql_types::Date, _>(day)
    .bind::<diesel::sql_types::Date, _>(day)
    .bind::<diesel::sql_types::Array<diesel::sql_types::Text>, _>(codes)
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.item, r.ceiling)).collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = round_custodians, check_for_backend(diesel::pg::Pg))]
pub struct Custodian {
    pub round_id: Uuid,
    pub user_id: Uuid,
    pub share_commitment: Option<String>,
    pub share_wrapped: Option<Vec<u8>>,
    pub fetched_at: Option<DateTime<Utc>>,
}

impl Custodian {
    pub async fn of_round(conn: &mut AsyncPgConnection, round: Uuid) -> QueryResult<Vec<Self>> {
        round_custodians::table
            .filter(round_custodians::round_id.eq(round))
            .order(round_custodians::user_id)
            .select(Self::as_select())
            .load(conn)
            .await
    }

    pub async fn add(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        users: &[Uuid],
    ) -> QueryResult<usize> {
        let rows: Vec<_> = users
            .iter()
            .map(|u| {
                (
                    round_custodians::round_id.eq(round),
                    round_custodians::user_id.eq(*u),
                )
            })
            .collect();
        diesel::insert_into(round_custodians::table)
            .values(rows)
            .execute(conn)
            .await
    }

    pub async fn set_share(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        user: Uuid,
        commitment: &str,
        wrapped: &[u8],
    ) -> QueryResult<usize> {
        diesel::update(round_custodians::table.find((round, user)))
            .set((
                round_custodians::share_commitment.eq(commitment),
                round_custodians::share_wrapped.eq(wrapped),
            ))
            .execute(conn)
            .await
    }

    /// Hands out the share once: returns it and erases it in the same statement.
    pub async fn take_share(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        user: Uuid,
    ) -> QueryResult<Option<Vec<u8>>> {
        // the old value is read by a sub-select of the row as it was before the update
        diesel::sql_query(
            "UPDATE round_custodians c SET share_wrapped = NULL, fetched_at = now()
             FROM (SELECT share_wrapped FROM round_custodians
                   WHERE round_id = $1 AND user_id = $2 AND share_wrapped IS NOT NULL FOR UPDATE) old
             WHERE c.round_id = $1 AND c.user_id = $2 AND c.share_wrapped IS NOT NULL
             RETURNING old.share_wrapped",
        )
        .bind::<diesel::sql_types::Uuid, _>(round)
        .bind::<diesel::sql_types::Uuid, _>(user)
        .get_result::<TakenShare>(conn)
        .await
        .optional()
        .map(|r| r.map(|t| t.share_wrapped))
    }
}

#[derive(QueryableByName)]
struct TakenShare {
    #[diesel(sql_type = diesel::sql_types::Bytea)]
    share_wrapped: Vec<u8>,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = lots, check_for_backend(diesel::pg::Pg))]
pub struct LotRow {
    pub id: Uuid,
    pub round_id: Uuid,
    pub number: i32,
    pub generic_name: String,
    pub dosage_form: Option<String>,
    pub representative_code: String,
    pub special_antibacterial: bool,
    pub ceiling: Option<Decimal>,
    pub created_at: DateTime<Utc>,
    pub previous_price: Option<Decimal>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = lots)]
pub struct NewLot<'a> {
    pub id: Uuid,
    pub round_id: Uuid,
    pub number: i32,
    pub generic_name: &'a str,
    pub dosage_form: Option<&'a str>,
    pub representative_code: &'a str,
    pub special_antibacterial: bool,
    pub previous_price: Option<Decimal>,
}

impl LotRow {
    pub async fn of_round(conn: &mut AsyncPgConnection, round: Uuid) -> QueryResult<Vec<Self>> {
        lots::table
            .filter(lots::round_id.eq(round))
            .order(lots::number)
            .select(Self::as_select())
            .load(conn)
            .await
    }

    pub async fn find(conn: &mut AsyncPgConnection, round: Uuid, id: Uuid) -> QueryResult<Self> {
        lots::table
            .filter(lots::round_id.eq(round))
            .filter(lots::id.eq(id))
            .select(Self::as_select())
            .first(conn)
            .await
    }

    pub async fn insert(conn: &mut AsyncPgConnection, new: &NewLot<'_>) -> QueryResult<Self> {
        diesel::insert_into(lots::table)
            .values(new)
            .returning(Self::as_returning())
            .get_result(conn)
            .await
    }

    pub async fn next_number(conn: &mut AsyncPgConnection, round: Uuid) -> QueryResult<i32> {
        let max: Option<i32> = lots::table
            .filter(lots::round_id.eq(round))
            .select(diesel::dsl::max(lots::number))
            .first(conn)
            .await?;
        Ok(max.unwrap_or(0) + 1)
    }

    /// Sets every lot's ceiling to its representative item's ceiling on `day`.
    pub async fn freeze_ceilings(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        day: NaiveDate,
    ) -> QueryResult<usize> {
        diesel::sql_query(
            "UPDATE lots SET ceiling = catalog_ceiling_at(representative_code, $2) WHERE round_id = $1",
        )
        .bind::<diesel::sql_types::Uuid, _>(round)
        .bind::<diesel::sql_types::Date, _>(day)
        .execute(conn)
        .await
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = demands, check_for_backend(diesel::pg::Pg))]
pub struct DemandRow {
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub province: String,
    pub annual_quantity: i64,
    pub reported_by: Uuid,
    pub reported_at: DateTime<Utc>,
}

impl DemandRow {
    pub async fn of_round(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        province: Option<&str>,
    ) -> QueryResult<Vec<Self>> {
        let mut q = demands::table
            .filter(demands::round_id.eq(round))
            .into_boxed();
        if let Some(p) = province {
            q = q.filter(demands::province.eq(p.to_owned()));
        }
        q.order((demands::lot_id, demands::province))
            .select(Self::as_select())
            .load(conn)
            .await
    }

    /// Replaces a province's demand for a round.
    pub async fn replace(
        conn: &mut AsyncPgConnection,
        round: Uuid,
        province: &str,
        user: Uuid,
        rows: &[(Uuid, i64)],
    ) -> QueryResult<usize> {
        diesel::delete(
            demands::table
                .filter(demands::round_id.eq(round))
                .filter(demands::province.eq(province)),
        )
        .execute(conn)
        .await?;
        let values: Vec<_> = rows
            .iter()
            .map(|(lot, qty)| {
                (
                    demands::round_id.eq(round),
                    demands::lot_id.eq(*lot),
                    demands::province.eq(province),
                    demands::annual_quantity.eq(*qty),
                    demands::reported_by.eq(user),
                )
            })
            .collect();
        diesel::insert_into(demands::table)
            .values(values)
            .execute(conn)
            .await
    }
}

/// Whether a user holds an active officer account (custodians must).
pub async fn is_active_officer(conn: &mut AsyncPgConnection, user: Uuid) -> QueryResult<bool> {
    use crate::platform::db::schema::users;
    diesel::select(diesel::dsl::exists(
        users::table
            .filter(users::id.eq(user))
            .filter(users::role.eq(crate::platform::auth::Role::ProcurementOfficer))
            .filter(users::active.eq(true)),
    ))
    .get_result::<bool>(conn)
    .await
}
