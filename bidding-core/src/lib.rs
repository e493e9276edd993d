//! Pure domain of national volume-based procurement (VBP, 带量采购).
//!
//! No I/O lives here: no database, no HTTP, no async runtime. Everything is
//! exact decimal arithmetic on [`rust_decimal::Decimal`].
//!
//! * [`money`]: [`UnitPrice`] (4 places) and [`Money`] (to the cent).
//! * [`spec`] and [`ucp`]: specifications and the unit comparable price.
//! * [`rules`]: [`RoundRules`] with the pilot, batch 7, 10 and 11 presets.
//! * [`eval`]: eligibility, ceiling, ranking, winners and reasons per bid.
//! * [`alloc`]: agreed volume, the province draft, backups, contract lines.
//! * [`run`]: a whole round at once.
//! * [`settlement`]: line amounts, due dates, prepayment, reconciliation.
//! * [`round`]: the round state machine.
//! * [`catalog`]: NHSA code structure and the catalog's controlled vocabularies.
//! * [`monitoring`]: supply warning levels over a sliding window, price alerts.
//! * [`complaint`]: complaints against a published result, and the objection window.
//!
//! The business rules, with worked examples, are in `docs/rules.md`.
//!
//! ```
//! use bidding_core::*;
//! use rust_decimal::Decimal;
//!
//! let tablet = |mg: i64| Specification {
//!     dosage_form: DosageForm::Tablet,
//!     strength: Some(Quantity::new(Decimal::from(mg), Unit::Mg).unwrap()),
//!     fill_volume: None,
//!     pack_count: 28,
//!     min_unit: "tablet".into(),
//! };
//! // A 10 mg tablet at 0.50 against a 20 mg representative: UCP 0.8500.
//! let price = UnitPrice::new(Decimal::new(50, 2)).unwrap();
//! let ucp = comparable_price(price, &tablet(10), &tablet(20), &ComparisonRules::default()).unwrap();
//! assert_eq!(ucp.to_string(), "0.8500");
//! ```

pub mod alloc;
pub mod catalog;
pub mod complaint;

/// The largest annual quantity, in minimum units, that a bid's capacity, a province's
/// demand or a contract's volume may state: a trillion units, far above any national
/// round (the largest lots buy a few billion a year) and far below `i64::MAX`, so sums
/// over every province and every winner cannot overflow.
pub const MAX_ANNUAL_UNITS: u64 = 1_000_000_000_000;
pub mod date;
pub mod error;
pub mod eval;
pub mod ids;
pub mod money;
pub mod monitoring;
pub mod round;
pub mod rules;
pub mod run;
pub mod settlement;
pub mod spec;
pub mod supply;
pub mod ucp;

#[cfg(test)]
mod tests;

pub use alloc::{
    Backup, ContractLine, LotAllocation, Pick, ProvinceDemand, agreed_volume, allocate_lot,
};
pub use date::{Date, Timestamp};
pub use error::BiddingError;
pub use eval::{
    Admission, Bid, BidOutcome, BidResult, CeilingCheck, EligibilityContext, Exclusion,
    Ineligibility, LossReason, Lot, LotEvaluation, LotOutcome, RevivalCandidate, RevivalOffer,
    UnsuccessfulReason, Winner, above_ceiling, apply_revival, bid_ucp, evaluate_lot,
};
pub use ids::{BidId, DeliveryId, LotId, ProvinceCode, SupplierId};
pub use money::{Money, UnitPrice, price_change};
pub use monitoring::{PriceAlert, Warning, WarningLevel, WarningRules};
pub use round::{RoundAction, RoundStatus, transition};
pub use rules::{
    EligibilityRules, FormThreshold, MaxWinners, OversightRules, RevivalRule, RoundRules,
    SelectionRule, SettlementRules, TieBreak, VolumeClass, VolumeRules, VolumeStep,
};
pub use run::{LotResult, RoundInput, RoundResult, evaluate_round, run_round};
pub use settlement::{
    AcceptedDelivery, ReconcileError, ReconcileIssue, SettlementBatch, SettlementLine, build_batch,
    due_date, is_overdue, prepayment, reconcile,
};
pub use spec::{
    Consistency, DosageForm, FormClass, Product, ProductKind, Quantity, Specification, Unit,
};
pub use ucp::{
    ComparisonRules, FormRatio, PriceBasis, PriceFactor, comparable_price, price_factor,
};
