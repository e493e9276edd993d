//! The crate's error type.

use rust_decimal::Decimal;

use crate::ids::{BidId, DeliveryId, LotId, ProvinceCode, SupplierId};
use crate::money::Money;
use crate::round::{RoundAction, RoundStatus};
use crate::spec::Unit;

/// Everything that can go wrong in the domain. Each variant tells the caller
/// what to fix; the API maps them to 4xx responses.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BiddingError {
    #[error("price {value} is negative")]
    NegativePrice { value: Decimal },
    #[error("price {value} is above the largest price a price column holds, {max}")]
    PriceTooLarge { value: Decimal, max: Decimal },
    #[error("{value} has more than {max} decimal places")]
    TooManyDecimals { value: Decimal, max: u32 },
    #[error("quantity {value} must be greater than zero")]
    NonPositiveQuantity { value: Decimal },
    #[error("units {left} and {right} cannot be compared")]
    IncompatibleUnits { left: Unit, right: Unit },
    #[error("specifications differ in {what}: {detail}")]
    NotComparable { what: &'static str, detail: String },
    #[error("ratio {ratio} is outside the supported range")]
    RatioOutOfRange { ratio: Decimal },
    #[error("invalid round rules: {0}")]
    InvalidRules(String),
    #[error("invalid date {0:?} (expected YYYY-MM-DD)")]
    InvalidDate(String),
    #[error("arithmetic overflow")]
    Overflow,
    #[error("bid {0} appears more than once")]
    DuplicateBid(BidId),
    #[error("bid {bid} is for lot {lot}, which is not in the round")]
    UnknownLot { bid: BidId, lot: LotId },
    #[error("demand is reported for lot {lot}, which is not in the round")]
    UnknownDemandLot { lot: LotId },
    #[error("lot {0} appears more than once")]
    DuplicateLot(LotId),
    #[error("province {province} reports demand for lot {lot} more than once")]
    DuplicateDemand { lot: LotId, province: ProvinceCode },
    #[error("the round's rules do not offer revival")]
    RevivalNotOffered,
    #[error("supplier {0} is not a revival candidate of this lot")]
    NotRevivalCandidate(SupplierId),
    #[error("cannot {action} a round that is {from}")]
    InvalidTransition {
        from: RoundStatus,
        action: RoundAction,
    },
    #[error("a cancellation needs a reason")]
    CancelReasonRequired,
    #[error("prepayment ratio {ratio} is below the minimum {min}")]
    PrepaymentRatioTooLow { ratio: Decimal, min: Decimal },
    #[error("prepayment ratio {ratio} is above 100 %")]
    PrepaymentRatioTooHigh { ratio: Decimal },
    #[error("delivery {0} appears more than once")]
    DuplicateDelivery(DeliveryId),
    #[error("delivery {0} has zero quantity")]
    EmptyDelivery(DeliveryId),
    #[error("amount {0} is negative")]
    NegativeAmount(Money),
}
