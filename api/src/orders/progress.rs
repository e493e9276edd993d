//! Progress against quota: ordered, shipped and accepted per hospital, contract,
//! province or lot, with the "behind" flag (accepted below the province's threshold, 80 %
//! unless set, of the quota's elapsed share of the cycle; DOMAIN.md, "Progress").

use std::collections::BTreeMap;

use rust_decimal::prelude::ToPrimitive;

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
    /// Ordered by live orders (submitted or confirmed), less what moved to a backup. A
    /// contract ended by a supply failure keeps its figures but no quota (its backup's
    /// contract holds the quota now).
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
       CASE WHEN c.status = $6 THEN COALESCE(q.quantity, 0) ELSE 0 END AS quota,
       COALESCE(l.ordered, 0) AS ordered,
       COALESCE(l.shipped, 0) AS shipped, COALESCE(l.accepted, 0) AS accepted
FROM keys k
JOIN contracts c ON c.id = k.contract_id
LEFT JOIN quotas q ON q.contract_id = k.contract_id AND q.hospital_org_id = k.hospital_org_id
LEFT JOIN lines l ON l.contract_id = k.contract_id AND l.hospital_org_id = k.hospital_org_id
WHERE ($2::uuid IS NULL OR k.hospital_org_id = $2)
  AND ($3::bpchar IS NULL OR c.province = $3::bpchar)
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
        .bind::<Text, _>(crate::contracts::service::ContractStatus::Active.as_str())
        .load(conn)
        .await?;
    let today = china_date(clock(conn).await?);
    // each province's "behind" threshold (its current settlement settings)
    let thresholds: std::collections::HashMap<String, Decimal> =
        crate::settlement::settings::behind_thresholds(conn).await?;
    let threshold_of = |province: &str| {
        thresholds
            .get(province)
            .copied()
            .unwrap_or(Decimal::new(8, 1))
    };
    // per group: the sum of threshold x expected over its cells
    let mut bars: BTreeMap<String, Decimal> = BTreeMap::new();
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
        let threshold = threshold_of(&c.province);
        let basis_points = (threshold * Decimal::from(10_000)).to_u32().unwrap_or(8000);
        let behind = is_behind(
            u64::try_from(c.accepted).unwrap_or(0),
            u64::try_from(c.quota).unwrap_or(0),
            elapsed,
            cycle,
            basis_points,
        );
        *bars.entry(key.clone()).or_default() += threshold * expected;
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
            r.behind = Decimal::from(r.accepted) < bars.get(&r.key).copied().unwrap_or_default();
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

/// A supply problem: an order refused by its supplier, confirmed and not wholly shipped
/// within the delivery term, or a shortage a hospital reported.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyProblem {
    /// The order refused or late; none for a hospital's report.
    pub order_id: Option<Uuid>,
    /// `refused`, `not_shipped` or `reported_shortage` (by a hospital).
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
    #[diesel(sql_type = Nullable<U>)]
    id: Option<Uuid>,
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

/// The kind of a hospital's shortage report in the problems' union.
const REPORTED: &str = "reported_shortage";

/// Refused orders and confirmed orders with units still open `term_days` after their
/// confirmation, newest first, in the caller's scope (a centre its province).
pub async fn supply_problems(
    conn: &mut AsyncPgConnection,
    province: Option<&str>,
    term_days: i32,
    limit: i64,
) -> Result<Vec<SupplyProblem>, ApiError> {
    let rows: Vec<ProblemRow> = diesel::sql_query(
        "SELECT * FROM (
         SELECT o.id, o.status, o.hospital_org_id, o.province, o.supplier_org_id,
                array_agg(l.contract_id ORDER BY l.line_no) AS contract_ids,
                sum(CASE WHEN o.status = $1 THEN l.quantity ELSE l.quantity - l.shipped - l.moved END)::bigint AS open_units,
                o.refusal_reason, o.decided_at
           FROM orders o JOIN order_lines l ON l.order_id = o.id AND l.province = o.province
          WHERE ($3::bpchar IS NULL OR o.province = $3::bpchar)
            AND (o.status = $1
                 OR o.status = $2 AND o.decided_at <= now() - make_interval(days => $4))
          GROUP BY o.id, o.province
         HAVING o.status = $1 OR sum(l.quantity - l.shipped - l.moved) > 0
         UNION ALL
         SELECT NULL, $6, r.hospital_org_id, r.province, r.supplier_org_id, ARRAY[r.contract_id],
                0::bigint, r.note, r.reported_at
           FROM shortage_reports r
          WHERE ($3::bpchar IS NULL OR r.province = $3::bpchar)
         ) p
          ORDER BY decided_at DESC
          LIMIT $5",
    )
    .bind::<Text, _>(OrderStatus::Refused.as_str())
    .bind::<Text, _>(OrderStatus::Confirmed.as_str())
    .bind::<Nullable<Bpchar>, _>(province)
    .bind::<diesel::sql_types::Integer, _>(term_days)
    .bind::<BigInt, _>(limit)
    .bind::<Text, _>(REPORTED)
    .load(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| SupplyProblem {
            kind: if r.status == OrderStatus::Refused.as_str() {
                "refused"
            } else if r.status == REPORTED {
                "reported_shortage"
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

#[derive(Debug, Deserialize, ToSchema)]
pub struct ShortageReport {
    /// A contract of the hospital's province.
    pub contract_id: Uuid,
    /// What is missing and since when (1 to 2,000 characters).
    #[schema(max_length = 2000)]
    pub note: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ShortageDto {
    pub id: Uuid,
    pub hospital_org_id: Uuid,
    pub province: String,
    pub contract_id: Uuid,
    pub supplier_org_id: Uuid,
    pub note: String,
    pub reported_at: chrono::DateTime<chrono::Utc>,
}

/// A hospital reports a shortage on one of its province's contracts: recorded, audited,
/// and the contract's supplier and the province's centre are told.
pub async fn report_shortage(
    conn: &mut AsyncPgConnection,
    settings: &crate::platform::settings::Settings,
    user: &AuthUser,
    body: &ShortageReport,
) -> Result<ShortageDto, ApiError> {
    use crate::{
        contracts::service::ContractRow,
        platform::{
            auth::OrgKind,
            db::schema::{contracts, organisations, shortage_reports as sr},
        },
    };
    use diesel::{ExpressionMethods, OptionalExtension, QueryDsl, SelectableHelper};
    let note = body.note.trim();
    if note.is_empty() || note.chars().count() > crate::platform::input::MAX_TEXT {
        return Err(ApiError::invalid("note", "must be 1 to 2000 characters"));
    }
    let province = user.province.clone().unwrap_or_default();
    let c: ContractRow = contracts::table
        .find(body.contract_id)
        .select(ContractRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::rule("contract_not_found", "no such contract"))?;
    if c.province != province {
        return Err(ApiError::rule(
            "contract_other_province",
            format!(
                "the contract is for province {}, not yours ({province})",
                c.province
            ),
        ));
    }
    let id = Uuid::now_v7();
    let reported_at = clock(conn).await?;
    diesel::insert_into(sr::table)
        .values((
            sr::id.eq(id),
            sr::hospital_org_id.eq(user.org_id),
            sr::province.eq(&province),
            sr::contract_id.eq(c.id),
            sr::supplier_org_id.eq(c.supplier_org_id),
            sr::note.eq(note),
            sr::reported_by.eq(user.user_id),
            sr::reported_at.eq(reported_at),
        ))
        .execute(conn)
        .await?;
    crate::oversight::supply::record_report(
        conn,
        &crate::oversight::supply::Notices {
            jobs: &settings.jobs,
            public_url: &settings.mail.public_url,
        },
        &user.actor(),
        id,
        &province,
    )
    .await?;
    crate::platform::audit::record(
        conn,
        &user.actor(),
        "shortage.report",
        "contract",
        &c.id.to_string(),
        serde_json::json!({ "report_id": id, "note": note }),
    )
    .await?;
    let mut told: Vec<Uuid> = organisations::table
        .filter(organisations::kind.eq(OrgKind::Buyer))
        .filter(organisations::province.eq(&province))
        .select(organisations::id)
        .load(conn)
        .await?;
    told.push(c.supplier_org_id);
    crate::platform::mail::mail_orgs(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        &told,
        "order_update",
        &format!("shortage:{id}"),
        serde_json::json!({
            "headline_zh": "医疗机构报告短缺", "headline_en": "A hospital reported a shortage",
            "order_id": "-", "hospital": user.display_name, "supplier": "-",
            "status": REPORTED, "amount": "-", "lines": 0, "reason": note,
        }),
    )
    .await?;
    Ok(ShortageDto {
        id,
        hospital_org_id: user.org_id,
        province,
        contract_id: c.id,
        supplier_org_id: c.supplier_org_id,
        note: note.to_owned(),
        reported_at,
    })
}
