//! Progress against quota: ordered, shipped and accepted per hospital, contract,
//! province or lot, with the "behind" flag (accepted below 80 % of the quota's elapsed
//! share of the cycle; DOMAIN.md, "Progress").

use std::collections::BTreeMap;

use bidding_core::supply::is_behind;
use chrono::NaiveDate;
use diesel::{
    QueryableByName,
    sql_types::{Array, BigInt, Bpchar, Date, Nullable, Text, Uuid as U},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::queries::OrderStatus;
use crate::platform::{
    auth::{AuthUser, Role},
    db::{china_date, clock},
    error::ApiError,
};

/// The share of the elapsed quota below which a hospital is behind (DOMAIN.md: 80 %).
pub const BEHIND_PCT: u32 = 80;

#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    #[default]
    Hospital,
    Contract,
    Province,
    Lot,
}

#[derive(QueryableByName)]
struct Cell {
    #[diesel(sql_type = U)]
    contract_id: Uuid,
    #[diesel(sql_type = U)]
    lot_id: Uuid,
    #[diesel(sql_type = Bpchar)]
    province: String,
    #[diesel(sql_type = U)]
    hospital_org_id: Uuid,
    #[diesel(sql_type = Date)]
    cycle_start: NaiveDate,
    #[diesel(sql_type = Date)]
    cycle_end: NaiveDate,
    #[diesel(sql_type = BigInt)]
    quota: i64,
    #[diesel(sql_type = BigInt)]
    ordered: i64,
    #[diesel(sql_type = BigInt)]
    shipped: i64,
    #[diesel(sql_type = BigInt)]
    accepted: i64,
}

/// One group's progress.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProgressRow {
    /// The hospital, contract or lot id, or the province code.
    pub key: String,
    pub quota: i64,
    /// Ordered by live orders (submitted or confirmed), less what moved to a backup.
    pub ordered: i64,
    pub shipped: i64,
    pub accepted: i64,
    /// The quota's share of the cycle elapsed today, in units (two decimals).
    #[schema(value_type = String)]
    pub expected: Decimal,
    /// accepted < 80 % of expected.
    pub behind: bool,
    /// Hospital-contract pairs behind within the group.
    pub behind_hospitals: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    pub group_by: GroupBy,
    pub today: NaiveDate,
    pub rows: Vec<ProgressRow>,
}

const QUERY: &str = "
WITH lines AS (
    SELECT o.hospital_org_id, l.contract_id,
           sum(l.quantity - l.moved)::bigint AS ordered,
           sum(l.shipped)::bigint AS shipped, sum(l.accepted)::bigint AS accepted
    FROM order_lines l JOIN orders o ON o.id = l.order_id
    WHERE o.status = ANY($1)
    GROUP BY o.hospital_org_id, l.contract_id
), keys AS (
    SELECT contract_id, hospital_org_id FROM quotas
    UNION
    SELECT contract_id, hospital_org_id FROM lines
)
SELECT c.id AS contract_id, c.lot_id, c.province, k.hospital_org_id, c.cycle_start, c.cycle_end,
       COALESCE(q.quantity, 0) AS quota, COALESCE(l.ordered, 0) AS ordered,
       COALESCE(l.shipped, 0) AS shipped, COALESCE(l.accepted, 0) AS accepted
FROM keys k
JOIN contracts c ON c.id = k.contract_id
LEFT JOIN quotas q ON q.contract_id = k.contract_id AND q.hospital_org_id = k.hospital_org_id
LEFT JOIN lines l ON l.contract_id = k.contract_id AND l.hospital_org_id = k.hospital_org_id
WHERE ($2::uuid IS NULL OR k.hospital_org_id = $2)
  AND ($3::bpchar IS NULL OR c.province = $3)
  AND ($4::uuid IS NULL OR c.supplier_org_id = $4)
  AND ($5::uuid IS NULL OR c.round_id = $5)
ORDER BY c.province, c.lot_id, k.hospital_org_id";

/// Progress of what the caller may see: a hospital its own, a centre or insurer its
/// province, a supplier its contracts; officers, auditors and admins all.
pub async fn progress(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    group: GroupBy,
    round: Option<Uuid>,
) -> Result<Progress, ApiError> {
    let (hospital, province, supplier) = match user.role {
        Role::Hospital => (Some(user.org_id), None, None),
        Role::ProvincialBuyer | Role::Insurer => (None, user.province.clone(), None),
        Role::Supplier => (None, None, Some(user.org_id)),
        Role::ProcurementOfficer | Role::Auditor | Role::Admin => (None, None, None),
        Role::Distributor => {
            return Err(ApiError::forbidden("distributors see orders, not quotas"));
        }
    };
    let live: Vec<&str> = [OrderStatus::Submitted, OrderStatus::Confirmed]
        .iter()
        .map(|s| s.as_str())
        .collect();
    let cells: Vec<Cell> = diesel::sql_query(QUERY)
        .bind::<Array<Text>, _>(live)
        .bind::<Nullable<U>, _>(hospital)
        .bind::<Nullable<Bpchar>, _>(province)
        .bind::<Nullable<U>, _>(supplier)
        .bind::<Nullable<U>, _>(round)
        .load(conn)
        .await?;
    let today = china_date(clock(conn).await?);
    let mut groups: BTreeMap<String, ProgressRow> = BTreeMap::new();
    for c in cells {
        let key = match group {
            GroupBy::Hospital => c.hospital_org_id.to_string(),
            GroupBy::Contract => c.contract_id.to_string(),
            GroupBy::Province => c.province.clone(),
            GroupBy::Lot => c.lot_id.to_string(),
        };
        let cycle = (c.cycle_end - c.cycle_start).num_days() + 1;
        let elapsed = ((today - c.cycle_start).num_days()).clamp(0, cycle.max(0));
        let expected = if cycle > 0 {
            Decimal::from(c.quota) * Decimal::from(elapsed) / Decimal::from(cycle)
        } else {
            Decimal::ZERO
        };
        let behind = is_behind(
            u64::try_from(c.accepted).unwrap_or(0),
            u64::try_from(c.quota).unwrap_or(0),
            elapsed,
            cycle,
            BEHIND_PCT,
        );
        let row = groups.entry(key.clone()).or_insert_with(|| ProgressRow {
            key,
            quota: 0,
            ordered: 0,
            shipped: 0,
            accepted: 0,
            expected: Decimal::ZERO,
            behind: false,
            behind_hospitals: 0,
        });
        row.quota += c.quota;
        row.ordered += c.ordered;
        row.shipped += c.shipped;
        row.accepted += c.accepted;
        row.expected += expected;
        row.behind_hospitals += usize::from(behind);
    }
    let rows = groups
        .into_values()
        .map(|mut r| {
            r.behind = Decimal::from(r.accepted) * Decimal::from(100)
                < Decimal::from(BEHIND_PCT) * r.expected;
            r.expected = r.expected.round_dp(2);
            r
        })
        .collect();
    Ok(Progress {
        group_by: group,
        today,
        rows,
    })
}

/// A supply problem: an order refused by its supplier, or confirmed and not wholly
/// shipped within the delivery term.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyProblem {
    pub order_id: Uuid,
    /// `refused` or `not_shipped`.
    pub kind: &'static str,
    pub hospital_org_id: Uuid,
    pub province: String,
    pub supplier_org_id: Uuid,
    pub contract_ids: Vec<Uuid>,
    /// Units not shipped (all the order's for a refusal).
    pub open_units: i64,
    pub reason: Option<String>,
    pub since: chrono::DateTime<chrono::Utc>,
}

#[derive(QueryableByName)]
struct ProblemRow {
    #[diesel(sql_type = U)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = U)]
    hospital_org_id: Uuid,
    #[diesel(sql_type = Bpchar)]
    province: String,
    #[diesel(sql_type = U)]
    supplier_org_id: Uuid,
    #[diesel(sql_type = Array<U>)]
    contract_ids: Vec<Uuid>,
    #[diesel(sql_type = BigInt)]
    open_units: i64,
    #[diesel(sql_type = Nullable<Text>)]
    refusal_reason: Option<String>,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    decided_at: chrono::DateTime<chrono::Utc>,
}

/// Refused orders and confirmed orders with units still open `term_days` after their
/// confirmation, newest first, in the caller's scope (a centre its province).
pub async fn supply_problems(
    conn: &mut AsyncPgConnection,
    province: Option<&str>,
    term_days: i32,
    limit: i64,
) -> Result<Vec<SupplyProblem>, ApiError> {
    let rows: Vec<ProblemRow> = diesel::sql_query(
        "SELECT o.id, o.status, o.hospital_org_id, o.province, o.supplier_org_id,
                array_agg(l.contract_id ORDER BY l.line_no) AS contract_ids,
                sum(CASE WHEN o.status = $1 THEN l.quantity ELSE l.quantity - l.shipped - l.moved END)::bigint AS open_units,
                o.refusal_reason, o.decided_at
           FROM orders o JOIN order_lines l ON l.order_id = o.id
          WHERE ($3::bpchar IS NULL OR o.province = $3)
            AND (o.status = $1
                 OR o.status = $2 AND o.decided_at <= now() - make_interval(days => $4))
          GROUP BY o.id
         HAVING o.status = $1 OR sum(l.quantity - l.shipped - l.moved) > 0
          ORDER BY o.decided_at DESC
          LIMIT $5",
    )
    .bind::<Text, _>(OrderStatus::Refused.as_str())
    .bind::<Text, _>(OrderStatus::Confirmed.as_str())
    .bind::<Nullable<Bpchar>, _>(province)
    .bind::<diesel::sql_types::Integer, _>(term_days)
    .bind::<BigInt, _>(limit)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SupplyProblem {
            kind: if r.status == OrderStatus::Refused.as_str() {
                "refused"
            } else {
                "not_shipped"
            },
            order_id: r.id,
            hospital_org_id: r.hospital_org_id,
            province: r.province,
            supplier_org_id: r.supplier_org_id,
            contract_ids: r.contract_ids,
            open_units: r.open_units,
            reason: r.refusal_reason,
            since: r.decided_at,
        })
        .collect())
}
