//! Retained savings at the annual clearing (结余留用): per hospital and round, (its
//! accepted lines at the lots' previous prices - the same lines at the contract prices,
//! each line to the cent both ways) x its province's retention share, to the cent; never
//! below zero. A lot without a previous price counts at its contract price: no saving.

use std::collections::HashMap;

use diesel::sql_types::{Nullable, Text, Uuid as SqlUuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use uuid::Uuid;

use super::{dto::SavingsDto, settings};
use crate::orders::service::Scope;
use crate::platform::error::ApiError;
use bidding_core::money::round_half_up;

/// The retained savings of the hospitals the caller may see for `round`.
pub async fn retained(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    round: Uuid,
) -> Result<Vec<SavingsDto>, ApiError> {
    let (province, hospital) = match scope {
        Scope::All => (None, None),
        Scope::Province(p) => (Some(p.clone()), None),
        Scope::Hospital(h) | Scope::Supplier(h) | Scope::Distributor(h) => (None, Some(*h)),
    };
    let mut rows: Vec<SavingsDto> = diesel::sql_query(
        "SELECT d.hospital_org_id, h.name AS hospital_name, d.province::text AS province,
                sum(round(dl.accepted * coalesce(l.previous_price, dl.unit_price), 2)) AS baseline,
                sum(round(dl.accepted * dl.unit_price, 2)) AS actual,
                0::numeric AS savings, 0::numeric AS retention_share, 0::numeric AS retained,
                0::bigint AS settings_id, count(*) AS lines
         FROM deliveries d
         JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.province = d.province
         JOIN contracts c ON c.id = dl.contract_id
         JOIN lots l ON l.id = c.lot_id
         JOIN organisations h ON h.id = d.hospital_org_id
         WHERE c.round_id = $1 AND d.status = 'accepted' AND dl.accepted > 0
           AND ($2::text IS NULL OR d.province = $2::bpchar) AND ($3::uuid IS NULL OR d.hospital_org_id = $3)
         GROUP BY d.hospital_org_id, h.name, d.province
         ORDER BY d.province, h.name, d.hospital_org_id",
    )
    .bind::<SqlUuid, _>(round)
    .bind::<Nullable<Text>, _>(province)
    .bind::<Nullable<SqlUuid>, _>(hospital)
    .load(conn)
    .await?;
    let mut by_province = HashMap::new();
    for r in &mut rows {
        if !by_province.contains_key(&r.province) {
            let s = settings::current(conn, &r.province).await?;
            by_province.insert(r.province.clone(), s);
        }
        let Some(s) = by_province.get(&r.province) else {
            continue;
        };
        r.savings = r.baseline - r.actual;
        r.retention_share = s.retention_share;
        r.settings_id = s.id;
        r.retained = round_half_up(r.savings.max(Decimal::ZERO) * s.retention_share, 2);
    }
    Ok(rows)
}
