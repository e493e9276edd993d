//! Price monitoring (价格监测): per generic over time, the ceilings, the winning prices per
//! round and province, the previous price, and what hospitals paid (accepted deliveries),
//! with the two alerts of DOMAIN.md. The public price index is built from the published
//! results only (`award::results::results`: the winners, never another bid), so it can
//! show nothing the results do not.

use std::{collections::BTreeMap, fmt::Write as _};

use bidding_core::{PriceAlert, UnitPrice, monitoring};
use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_types::{BigInt, Bpchar, Numeric, Text, Uuid as U},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    award::results::{published, results},
    platform::{
        db::{
            china_date,
            schema::{lots, rounds},
        },
        error::ApiError,
    },
    rounds::queries::Round,
};

/// A new ceiling more than this share above the last winning price is an alert (20 %).
pub fn max_ceiling_rise() -> Decimal {
    Decimal::new(20, 2)
}

/// A province's winner of a lot, as published.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProvincePrice {
    pub province: String,
    pub province_name: String,
    pub supplier_name: String,
    pub product_code: String,
    /// Price per minimum unit of the product.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    /// The winner's unit comparable price (at the lot's representative specification).
    #[schema(value_type = Option<String>)]
    pub ucp: Option<Decimal>,
}

/// One lot of one awarded round for the generic.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PricePoint {
    pub round_id: Uuid,
    pub round_name: String,
    /// The award (the result's publication).
    pub awarded_at: chrono::DateTime<chrono::Utc>,
    /// China's day of the award.
    pub awarded_on: NaiveDate,
    pub lot_id: Uuid,
    pub lot_number: i32,
    pub dosage_form: Option<String>,
    pub representative_code: String,
    /// The lot's ceiling, per minimum unit of the representative specification.
    #[schema(value_type = Option<String>)]
    pub ceiling: Option<Decimal>,
    /// The price before the round (per minimum unit, representative specification).
    #[schema(value_type = Option<String>)]
    pub previous_price: Option<Decimal>,
    /// `successful` or `unsuccessful`.
    pub status: String,
    #[schema(value_type = Option<String>)]
    pub lowest_winning_ucp: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub highest_winning_ucp: Option<Decimal>,
    pub provinces: Vec<ProvincePrice>,
}

/// The public price index of a generic: published results only.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceIndex {
    pub generic_name: String,
    /// Oldest award first.
    pub points: Vec<PricePoint>,
}

/// A generic with published results.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct IndexedGeneric {
    #[diesel(sql_type = Text)]
    pub generic_name: String,
    /// Awarded rounds with a lot of it.
    #[diesel(sql_type = BigInt)]
    pub rounds: i64,
}

/// The generics with a lot in an awarded round, by name.
pub async fn generics(conn: &mut AsyncPgConnection) -> Result<Vec<IndexedGeneric>, ApiError> {
    Ok(diesel::sql_query(
        "SELECT l.generic_name, count(DISTINCT r.id) AS rounds
           FROM lots l JOIN rounds r ON r.id = l.round_id
          WHERE r.awarded_at IS NOT NULL AND r.status IN ('awarded', 'completed')
          GROUP BY l.generic_name ORDER BY l.generic_name",
    )
    .load(conn)
    .await?)
}

/// The index of one generic (exact name), from the published results of every awarded
/// round with a lot of it.
pub async fn index(conn: &mut AsyncPgConnection, generic: &str) -> Result<PriceIndex, ApiError> {
    let round_ids: Vec<Uuid> = lots::table
        .inner_join(rounds::table)
        .filter(lots::generic_name.eq(generic))
        .filter(rounds::awarded_at.is_not_null())
        .select(rounds::id)
        .distinct()
        .load(conn)
        .await?;
    let mut points = Vec::new();
    for id in round_ids {
        let round = Round::find(conn, id).await?;
        if !round.status.results_published() {
            continue;
        }
        let Some(awarded_at) = round.awarded_at else {
            continue;
        };
        let evaluation = published(conn, &round).await?;
        let public = results(&round, &evaluation);
        for lot in public
            .lots
            .into_iter()
            .filter(|l| l.generic_name == generic)
        {
            let ucp_of = |supplier: Uuid| {
                lot.winners
                    .iter()
                    .find(|w| w.supplier_org_id == supplier)
                    .and_then(|w| w.ucp)
            };
            let ucps: Vec<Decimal> = lot.winners.iter().filter_map(|w| w.ucp).collect();
            points.push(PricePoint {
                round_id: round.id,
                round_name: round.name.clone(),
                awarded_at,
                awarded_on: china_date(awarded_at),
                lot_id: lot.lot_id,
                lot_number: lot.number,
                dosage_form: lot.dosage_form.clone(),
                representative_code: lot.representative_code.clone(),
                ceiling: lot.ceiling,
                previous_price: lot.previous_price,
                status: lot.status.clone(),
                lowest_winning_ucp: ucps.iter().min().copied(),
                highest_winning_ucp: ucps.iter().max().copied(),
                provinces: lot
                    .allocations
                    .iter()
                    .map(|a| ProvincePrice {
                        province: a.province.clone(),
                        province_name: a.province_name.clone(),
                        supplier_name: a.supplier_name.clone(),
                        product_code: a.product_code.clone(),
                        unit_price: a.unit_price,
                        ucp: ucp_of(a.supplier_org_id),
                    })
                    .collect(),
            });
        }
    }
    points.sort_by(|a, b| {
        (a.awarded_at, a.round_id, a.lot_number).cmp(&(b.awarded_at, b.round_id, b.lot_number))
    });
    Ok(PriceIndex {
        generic_name: generic.to_owned(),
        points,
    })
}

/// The index as CSV: one row per round, lot and province.
pub fn index_csv(index: &PriceIndex) -> String {
    let mut out = String::from(
        "generic_name,round_name,awarded_on,lot_number,dosage_form,representative_code,ceiling,previous_price,province,province_name,supplier_name,product_code,unit_price,ucp\n",
    );
    let field = |s: &str| {
        if s.contains([',', '"', '\n', '\r']) || s.starts_with(['=', '+', '-', '@']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.to_owned()
        }
    };
    let dec = |d: Option<Decimal>| d.map(|d| d.to_string()).unwrap_or_default();
    for p in &index.points {
        for v in &p.provinces {
            let _ = writeln!(
                out,
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
                field(&index.generic_name),
                field(&p.round_name),
                p.awarded_on,
                p.lot_number,
                field(p.dosage_form.as_deref().unwrap_or_default()),
                field(&p.representative_code),
                dec(p.ceiling),
                dec(p.previous_price),
                v.province,
                field(&v.province_name),
                field(&v.supplier_name),
                field(&v.product_code),
                v.unit_price,
                dec(v.ucp),
            );
        }
    }
    out
}

/// What hospitals paid on one contract in one month (accepted delivery lines).
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct PaidPrice {
    #[diesel(sql_type = U)]
    pub contract_id: Uuid,
    #[diesel(sql_type = U)]
    pub round_id: Uuid,
    #[diesel(sql_type = U)]
    pub lot_id: Uuid,
    #[diesel(sql_type = Bpchar)]
    pub province: String,
    #[diesel(sql_type = Text)]
    pub supplier_name: String,
    /// `YYYY-MM`, China time.
    #[diesel(sql_type = Text)]
    pub month: String,
    #[diesel(sql_type = BigInt)]
    pub lines: i64,
    #[diesel(sql_type = BigInt)]
    pub units: i64,
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub contract_price: Decimal,
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub min_price: Decimal,
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub max_price: Decimal,
    /// Weighted by accepted units, 4 places.
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub average_price: Decimal,
}

/// A price worth an officer's attention.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceAlertDto {
    /// `paid_above_contract` or `ceiling_above_last_win`.
    pub kind: String,
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub province: Option<String>,
    pub contract_id: Option<Uuid>,
    pub month: Option<String>,
    /// The price paid, or the new ceiling.
    #[schema(value_type = String)]
    pub price: Decimal,
    /// The contract's price, or the last winning UCP.
    #[schema(value_type = String)]
    pub reference: Decimal,
    /// The rise over the reference, a fraction to 4 places (0.2500 is 25 %).
    #[schema(value_type = Option<String>)]
    pub rise: Option<Decimal>,
}

/// The officers' view of a generic's prices.
#[derive(Debug, Serialize, ToSchema)]
pub struct PriceMonitor {
    pub generic_name: String,
    /// The published points, oldest award first.
    pub points: Vec<PricePoint>,
    /// Paid prices per contract and month, oldest month first.
    pub paid: Vec<PaidPrice>,
    /// The allowed rise of a new ceiling over the last winning price (0.2000: 20 %).
    #[schema(value_type = String)]
    pub max_ceiling_rise: Decimal,
    pub alerts: Vec<PriceAlertDto>,
}

/// Paid prices, the published points and the alerts of one generic.
pub async fn monitor(
    conn: &mut AsyncPgConnection,
    generic: &str,
) -> Result<PriceMonitor, ApiError> {
    let index = index(conn, generic).await?;
    let paid: Vec<PaidPrice> = diesel::sql_query(
        "SELECT c.id AS contract_id, c.round_id, c.lot_id, c.province, s.name AS supplier_name,
                to_char(d.accepted_on, 'YYYY-MM') AS month, count(*) AS lines,
                sum(dl.accepted)::bigint AS units, c.unit_price AS contract_price,
                min(dl.unit_price) AS min_price, max(dl.unit_price) AS max_price,
                round(sum(dl.accepted * dl.unit_price) / sum(dl.accepted), 4) AS average_price
           FROM lots lt
           JOIN contracts c ON c.lot_id = lt.id
           JOIN organisations s ON s.id = c.supplier_org_id
           JOIN delivery_lines dl ON dl.contract_id = c.id AND dl.province = c.province
           JOIN deliveries d ON d.id = dl.delivery_id AND d.province = dl.province
          WHERE lt.generic_name = $1 AND d.status = 'accepted' AND dl.accepted > 0
          GROUP BY c.id, s.name, month
          ORDER BY month, c.province, c.id",
    )
    .bind::<Text, _>(generic)
    .load(conn)
    .await?;
    let mut alerts = Vec::new();
    for p in &paid {
        let (Ok(max), Ok(contract)) = (
            UnitPrice::round(p.max_price),
            UnitPrice::round(p.contract_price),
        ) else {
            continue;
        };
        if let Some(PriceAlert::PaidAboveContract { paid, contract }) =
            monitoring::paid_above_contract(max, contract)
        {
            alerts.push(PriceAlertDto {
                kind: "paid_above_contract".into(),
                round_id: p.round_id,
                lot_id: p.lot_id,
                province: Some(p.province.clone()),
                contract_id: Some(p.contract_id),
                month: Some(p.month.clone()),
                price: paid.value(),
                reference: contract.value(),
                rise: None,
            });
        }
    }
    // a ceiling against the last winning price of an earlier round, same dosage form
    let mut last_win: BTreeMap<Option<String>, (Uuid, Decimal)> = BTreeMap::new();
    for p in &index.points {
        if let (Some(ceiling), Some((round, win))) = (p.ceiling, last_win.get(&p.dosage_form))
            && *round != p.round_id
            && let (Ok(c), Ok(w)) = (UnitPrice::round(ceiling), UnitPrice::round(*win))
            && let Some(PriceAlert::CeilingAboveLastWin {
                ceiling,
                last_winning,
                rise,
            }) = monitoring::ceiling_above_last_win(c, w, max_ceiling_rise())
        {
            alerts.push(PriceAlertDto {
                kind: "ceiling_above_last_win".into(),
                round_id: p.round_id,
                lot_id: p.lot_id,
                province: None,
                contract_id: None,
                month: None,
                price: ceiling.value(),
                reference: last_winning.value(),
                rise: Some(rise),
            });
        }
        if let Some(w) = p.highest_winning_ucp {
            last_win.insert(p.dosage_form.clone(), (p.round_id, w));
        }
    }
    Ok(PriceMonitor {
        generic_name: index.generic_name,
        points: index.points,
        paid,
        max_ceiling_rise: max_ceiling_rise(),
        alerts,
    })
}
