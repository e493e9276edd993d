//! The evaluation document the officers review and the award approves by its digest:
//! per lot, every bid's UCP, rank and reason, the revival offers, the allocation and the
//! backups. Stored as JSON with its SHA-256 digest.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

/// The evaluation of a round, as the officers review it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evaluation {
    pub round_id: Uuid,
    pub evaluated_at: DateTime<Utc>,
    /// First day of the supply cycle.
    pub cycle_start: NaiveDate,
    /// Until when revival candidates may answer (batch 10), if any lot has an offer.
    pub revival_deadline: Option<DateTime<Utc>>,
    /// Revivals counted in this evaluation: (lot, supplier) pairs that accepted.
    pub accepted_revivals: Vec<RevivalRef>,
    pub lots: Vec<LotEvaluation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RevivalRef {
    pub lot_id: Uuid,
    pub supplier_org_id: Uuid,
}

/// One lot's evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LotEvaluation {
    pub lot_id: Uuid,
    pub number: i32,
    pub generic_name: String,
    pub dosage_form: Option<String>,
    pub representative_code: String,
    /// The lot's ceiling UCP (per minimum unit of the representative specification).
    #[schema(value_type = Option<String>, example = "0.8500")]
    pub ceiling: Option<Decimal>,
    /// The price before this round, per unit of the representative specification.
    #[schema(value_type = Option<String>)]
    pub previous_price: Option<Decimal>,
    /// `successful` or `unsuccessful`
    pub status: String,
    /// Why the lot has no winner (`no_valid_bid`, `too_few_bidders`), with its numbers.
    #[schema(value_type = Option<Object>)]
    pub unsuccessful_reason: Option<Value>,
    pub valid_bidders: u32,
    pub max_winners: u32,
    #[schema(value_type = Option<String>)]
    pub lowest_ucp: Option<Decimal>,
    /// The loosest limit of the preset's selection rule (UCP).
    #[schema(value_type = Option<String>)]
    pub selection_limit: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub highest_winning_ucp: Option<Decimal>,
    /// Every bid: valid ones in rank order, then invalid ones.
    pub bids: Vec<BidEvaluation>,
    pub revival: Option<RevivalOffer>,
    /// The supply regions and contract lines (successful lots).
    pub allocation: Option<Allocation>,
}

/// One bid's line: its UCP, rank and why it won or lost.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BidEvaluation {
    pub bid_id: Uuid,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub product_code: String,
    /// Price bid per minimum unit of the product's own specification.
    #[schema(value_type = String, example = "0.5000")]
    pub unit_price: Decimal,
    /// Unit comparable price at the representative specification.
    #[schema(value_type = Option<String>, example = "0.8500")]
    pub ucp: Option<Decimal>,
    /// Rank among the valid bids (1 = lowest UCP).
    pub rank: Option<u32>,
    pub won: bool,
    /// The price it is paid (its bid, or the revival price), for winners.
    #[schema(value_type = Option<String>)]
    pub awarded_unit_price: Option<Decimal>,
    /// The UCP of the price it is paid, for winners.
    #[schema(value_type = Option<String>)]
    pub awarded_ucp: Option<Decimal>,
    /// bidding-core's outcome: `{"result":"won","rank":..,"admitted_by":{..}}` or
    /// `{"result":"lost","reason":{"code":..}}`.
    #[schema(value_type = Object)]
    pub outcome: Value,
    /// The outcome in words.
    pub reason: String,
}

/// A lot's revival offer (batch 10).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevivalOffer {
    /// The revival UCP.
    #[schema(value_type = String)]
    pub ucp: Decimal,
    /// How many candidates may still be admitted.
    pub places: u32,
    pub candidates: Vec<RevivalCandidate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevivalCandidate {
    pub bid_id: Uuid,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub rank: u32,
    #[schema(value_type = String)]
    pub ucp: Decimal,
    /// What it would be paid per unit of its own specification.
    #[schema(value_type = String)]
    pub revival_unit_price: Decimal,
    #[schema(value_type = String)]
    pub revival_ucp: Decimal,
}

/// Agreed volume, cycle and supply regions of a successful lot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Allocation {
    pub winners: u32,
    #[schema(value_type = String, example = "0.80")]
    pub volume_ratio: Decimal,
    pub cycle_years: u32,
    pub cycle_start: NaiveDate,
    /// Last day of the cycle.
    pub cycle_end: NaiveDate,
    pub total_demand: u64,
    pub agreed_volume: u64,
    #[schema(value_type = String)]
    pub annual_amount: Decimal,
    /// One line per province with demand, by province code.
    pub lines: Vec<AllocationLine>,
}

/// One (lot, winner, province): a contract once awarded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AllocationLine {
    pub province: String,
    pub province_name: String,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub bid_id: Uuid,
    pub product_code: String,
    pub rank: u32,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    pub annual_demand: u64,
    pub agreed_volume: u64,
    #[schema(value_type = String)]
    pub annual_amount: Decimal,
    /// 1-based turn of the draft in which the province was taken.
    pub draft_turn: u32,
    /// How it was picked: `{"by":"preference","position":n}` or `{"by":"largest_demand"}`.
    #[schema(value_type = Object)]
    pub pick: Value,
    pub backup: Option<BackupLine>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupLine {
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub bid_id: Uuid,
    pub rank: u32,
    /// The backup's own winning price per unit of its own specification.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
}

/// The stored evaluation of a round with its digest.
pub struct StoredEvaluation {
    pub digest: String,
    pub evaluation: Evaluation,
}
