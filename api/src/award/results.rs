//! Results published at the award: per lot the winners, prices and the drop against
//! the previous purchase price.

use super::{
    dto::{AllocationLine, Evaluation},
    evaluation::stored,
};
use crate::{platform::error::ApiError, rounds::queries::Round};
use bidding_core::{UnitPrice, price_change};
use chrono::{DateTime, NaiveDate, Utc};
use diesel_async::AsyncPgConnection;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// The published results of an awarded round.
#[derive(Debug, Serialize, ToSchema)]
pub struct Results {
    pub round_id: Uuid,
    pub name: String,
    pub kind: String,
    pub preset: String,
    pub awarded_at: Option<DateTime<Utc>>,
    pub cycle_start: Option<NaiveDate>,
    pub summary: ResultsSummary,
    pub lots: Vec<LotResult>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsSummary {
    pub lots: usize,
    pub successful_lots: usize,
    /// Winning bids over all lots.
    pub winning_bids: usize,
    /// Agreed annual amount over all contracts, yuan.
    #[schema(value_type = String)]
    pub annual_amount: Decimal,
    /// Mean over the winning bids of (UCP - ceiling) / ceiling: -0.48 is a 48 % drop.
    #[schema(value_type = Option<String>)]
    pub average_change_vs_ceiling: Option<Decimal>,
    /// The same against the previous price, over the lots that have one.
    #[schema(value_type = Option<String>)]
    pub average_change_vs_previous: Option<Decimal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotResult {
    pub lot_id: Uuid,
    pub number: i32,
    pub generic_name: String,
    pub dosage_form: Option<String>,
    pub representative_code: String,
    #[schema(value_type = Option<String>)]
    pub ceiling: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub previous_price: Option<Decimal>,
    /// `successful` or `unsuccessful`
    pub status: String,
    #[schema(value_type = Option<Object>)]
    pub unsuccessful_reason: Option<Value>,
    pub valid_bidders: u32,
    pub winners: Vec<WinnerResult>,
    #[schema(value_type = Option<String>)]
    pub average_change_vs_ceiling: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub average_change_vs_previous: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub volume_ratio: Option<Decimal>,
    pub cycle_start: Option<NaiveDate>,
    pub cycle_end: Option<NaiveDate>,
    pub total_demand: Option<u64>,
    pub agreed_volume: Option<u64>,
    #[schema(value_type = Option<String>)]
    pub annual_amount: Option<Decimal>,
    /// Supply regions: one line per province, with its backup supplier.
    pub allocations: Vec<AllocationLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WinnerResult {
    pub rank: u32,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub product_code: String,
    /// Price paid per minimum unit of the product's own specification.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    #[schema(value_type = Option<String>)]
    pub ucp: Option<Decimal>,
    /// (UCP - ceiling) / ceiling, to 4 places.
    #[schema(value_type = Option<String>)]
    pub change_vs_ceiling: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub change_vs_previous: Option<Decimal>,
    pub reason: String,
}

fn change(reference: Option<Decimal>, price: Option<Decimal>) -> Option<Decimal> {
    let r = UnitPrice::round(reference?).ok()?;
    let p = UnitPrice::round(price?).ok()?;
    price_change(r, p).map(four_places)
}

/// A fraction shown to 4 places ("-0.7500").
fn four_places(mut d: Decimal) -> Decimal {
    d.rescale(4);
    d
}

fn mean(values: &[Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let sum: Decimal = values.iter().sum();
    Some(four_places(bidding_core::money::round_half_up(
        sum / Decimal::from(values.len()),
        4,
    )))
}

/// The public results, from the evaluation the award approved.
pub fn results(round: &Round, evaluation: &Evaluation) -> Results {
    let mut lots = Vec::with_capacity(evaluation.lots.len());
    let mut all_ceiling = Vec::new();
    let mut all_previous = Vec::new();
    let mut amount = Decimal::ZERO;
    for lot in &evaluation.lots {
        let mut winners = Vec::new();
        for b in lot.bids.iter().filter(|b| b.won) {
            // a revived winner is paid the revival price, at its revival UCP
            let ucp = b.awarded_ucp.or(b.ucp);
            winners.push(WinnerResult {
                rank: b.rank.unwrap_or(0),
                supplier_org_id: b.supplier_org_id,
                supplier_name: b.supplier_name.clone(),
                product_code: b.product_code.clone(),
                unit_price: b.awarded_unit_price.unwrap_or(b.unit_price),
                ucp,
                change_vs_ceiling: change(lot.ceiling, ucp),
                change_vs_previous: change(lot.previous_price, ucp),
                reason: b.reason.clone(),
            });
        }
        winners.sort_by_key(|w| w.rank);
        let vs_ceiling: Vec<Decimal> = winners.iter().filter_map(|w| w.change_vs_ceiling).collect();
        let vs_previous: Vec<Decimal> = winners
            .iter()
            .filter_map(|w| w.change_vs_previous)
            .collect();
        all_ceiling.extend(&vs_ceiling);
        all_previous.extend(&vs_previous);
        let a = lot.allocation.as_ref();
        amount += a.map_or(Decimal::ZERO, |a| a.annual_amount);
        lots.push(LotResult {
            lot_id: lot.lot_id,
            number: lot.number,
            generic_name: lot.generic_name.clone(),
            dosage_form: lot.dosage_form.clone(),
            representative_code: lot.representative_code.clone(),
            ceiling: lot.ceiling,
            previous_price: lot.previous_price,
            status: lot.status.clone(),
            unsuccessful_reason: lot.unsuccessful_reason.clone(),
            valid_bidders: lot.valid_bidders,
            average_change_vs_ceiling: mean(&vs_ceiling),
            average_change_vs_previous: mean(&vs_previous),
            winners,
            volume_ratio: a.map(|a| a.volume_ratio),
            cycle_start: a.map(|a| a.cycle_start),
            cycle_end: a.map(|a| a.cycle_end),
            total_demand: a.map(|a| a.total_demand),
            agreed_volume: a.map(|a| a.agreed_volume),
            annual_amount: a.map(|a| a.annual_amount),
            allocations: a.map(|a| a.lines.clone()).unwrap_or_default(),
        });
    }
    Results {
        round_id: round.id,
        name: round.name.clone(),
        kind: round.kind.clone(),
        preset: round.preset.clone(),
        awarded_at: round.awarded_at,
        cycle_start: round.cycle_start,
        summary: ResultsSummary {
            lots: lots.len(),
            successful_lots: lots.iter().filter(|l| l.status == "successful").count(),
            winning_bids: lots.iter().map(|l| l.winners.len()).sum(),
            annual_amount: amount,
            average_change_vs_ceiling: mean(&all_ceiling),
            average_change_vs_previous: mean(&all_previous),
        },
        lots,
    }
}

/// Reads an awarded round's evaluation for publication; 422 before the award.
pub async fn published(
    conn: &mut AsyncPgConnection,
    round: &Round,
) -> Result<Evaluation, ApiError> {
    if !round.status.results_published() {
        return Err(ApiError::rule(
            "results_not_published",
            format!(
                "results are published at the award; the round is {}",
                round.status
            ),
        ));
    }
    Ok(stored(conn, round.id)
        .await?
        .ok_or_else(|| ApiError::internal("awarded round without its evaluation"))?
        .evaluation)
}
