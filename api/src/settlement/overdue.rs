//! The 30-day clock: accepted lines unpaid after their due date are flagged overdue (by
//! China's date in the database, the day after the due date), once per line, and the
//! insurer, the hospital and the supplier are told once per line through the outbox.

use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_types::{BigInt, Date, Nullable, Numeric, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::dto::ScanDto;
use crate::platform::{
    audit::{self, Actor},
    error::ApiError,
    settings::JobSettings,
};

#[derive(QueryableByName)]
struct Flagged {
    #[diesel(sql_type = Text)]
    province: String,
    #[diesel(sql_type = SqlUuid)]
    hospital_org_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    supplier_org_id: Uuid,
    #[diesel(sql_type = BigInt)]
    lines: i64,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Text)]
    first_line: String,
    #[diesel(sql_type = Date)]
    today: NaiveDate,
}

/// Flags the accepted, unpaid lines due before today (one province, or all) and tells
/// the parties; a line is flagged once, so a second scan the same day tells nobody.
pub async fn scan(
    conn: &mut AsyncPgConnection,
    jobs: &JobSettings,
    public_url: &str,
    actor: &Actor,
    province: Option<&str>,
) -> Result<ScanDto, ApiError> {
    let groups: Vec<Flagged> = diesel::sql_query(
        "WITH flagged AS (
             INSERT INTO overdue_lines (delivery_line_id, province, hospital_org_id, supplier_org_id,
                                        due_date, flagged_on)
             SELECT dl.id, d.province, d.hospital_org_id, d.supplier_org_id, d.due_date, china_today()
             FROM deliveries d
             JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.province = d.province
             WHERE d.status = 'accepted' AND dl.accepted > 0 AND d.due_date < china_today()
               AND ($1::text IS NULL OR d.province = $1::bpchar)
               AND NOT EXISTS (
                   SELECT 1 FROM settlement_lines sl
                   JOIN payment_orders po ON po.batch_id = sl.batch_id
                                         AND po.supplier_org_id = sl.supplier_org_id
                   WHERE sl.delivery_line_id = dl.id AND sl.province = d.province
                     AND po.paid_at IS NOT NULL)
             ORDER BY dl.id
             ON CONFLICT (delivery_line_id, province) DO NOTHING
             RETURNING delivery_line_id, province, hospital_org_id, supplier_org_id
         )
         SELECT f.province::text AS province, f.hospital_org_id, f.supplier_org_id,
                count(*) AS lines, sum(round(dl.accepted * dl.unit_price, 2)) AS amount,
                min(f.delivery_line_id::text) AS first_line, china_today() AS today
         FROM flagged f JOIN delivery_lines dl ON dl.id = f.delivery_line_id AND dl.province = f.province
         GROUP BY f.province, f.hospital_org_id, f.supplier_org_id
         ORDER BY 1, 2, 3",
    )
    .bind::<Nullable<Text>, _>(province)
    .load(conn)
    .await?;
    let today: NaiveDate = match <[Flagged]>::first(&groups) {
        Some(g) => g.today,
        None => {
            diesel::select(diesel::dsl::sql::<Date>("china_today()"))
                .get_result(conn)
                .await?
        }
    };
    let flagged: i64 = groups.iter().map(|g| g.lines).sum();
    for g in &groups {
        super::tell(
            conn,
            jobs,
            public_url,
            &g.province,
            &[g.hospital_org_id, g.supplier_org_id],
            &format!("overdue:{}", g.first_line),
            json!({ "headline_zh": "有结算款逾期未付", "headline_en": "Accepted lines are overdue for payment",
                    "province": g.province, "lines": g.lines, "amount": g.amount.to_string(), "reference": "",
                    "reason": "", "detail": format!("unpaid after their due date, as of {today}") }),
        )
        .await?;
    }
    if flagged > 0 {
        audit::record(
            conn,
            actor,
            "settlement.overdue",
            "province",
            province.unwrap_or("all"),
            json!({ "today": today, "flagged": flagged,
                    "groups": groups.iter().map(|g| json!({"province": g.province, "hospital_org_id": g.hospital_org_id,
                        "supplier_org_id": g.supplier_org_id, "lines": g.lines, "amount": g.amount})).collect::<Vec<_>>() }),
        )
        .await?;
    }
    Ok(ScanDto { today, flagged })
}

/// Overdue lines still unpaid that the caller may see, by due date.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &crate::orders::service::Scope,
    limit: i64,
    offset: i64,
) -> Result<(Vec<super::dto::SettlementLineDto>, i64), ApiError> {
    use crate::orders::service::Scope;
    let (province, hospital, supplier) = match scope {
        Scope::All => (None, None, None),
        Scope::Province(p) => (Some(p.clone()), None, None),
        Scope::Hospital(h) => (None, Some(*h), None),
        Scope::Supplier(s) | Scope::Distributor(s) => (None, None, Some(*s)),
    };
    let filter = "ov.delivery_line_id IS NOT NULL AND po.paid_at IS NULL
        AND ($1::text IS NULL OR d.province = $1::bpchar) AND ($2::uuid IS NULL OR d.hospital_org_id = $2)
        AND ($3::uuid IS NULL OR d.supplier_org_id = $3)";
    let items = diesel::sql_query(format!(
        "{} WHERE {filter} ORDER BY d.due_date, dl.id LIMIT $4 OFFSET $5",
        super::statements::LINES_SQL
    ))
    .bind::<Nullable<Text>, _>(province.clone())
    .bind::<Nullable<SqlUuid>, _>(hospital)
    .bind::<Nullable<SqlUuid>, _>(supplier)
    .bind::<BigInt, _>(limit)
    .bind::<BigInt, _>(offset)
    .load(conn)
    .await?;
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    let total: Total = diesel::sql_query(format!(
        "SELECT count(*) AS n FROM ({} WHERE {filter}) x",
        super::statements::LINES_SQL
    ))
    .bind::<Nullable<Text>, _>(province)
    .bind::<Nullable<SqlUuid>, _>(hospital)
    .bind::<Nullable<SqlUuid>, _>(supplier)
    .get_result(conn)
    .await?;
    Ok((items, total.n))
}
