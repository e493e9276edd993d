//! Exact money and price types.
//!
//! * [`UnitPrice`]: a price per minimum unit (or a unit comparable price), always
//!   held at exactly 4 decimal places (`0.8500`).
//! * [`Money`]: an amount in yuan, always held at exactly 2 decimal places.
//!
//! Both serialize as JSON strings (`"0.8500"`, `"12.30"`), never as floats.
//! Values produced by arithmetic are rounded half-up (midpoint away from zero);
//! values supplied from outside must already fit the scale, or they are rejected.

use std::fmt;
use std::iter::Sum;

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Deserialize, Serialize};

use crate::error::BiddingError;

/// Decimal places of a unit price.
pub const PRICE_DP: u32 = 4;
/// Decimal places of a money amount.
pub const MONEY_DP: u32 = 2;

/// Rounds half-up (midpoint away from zero) to `dp` places.
#[must_use]
pub fn round_half_up(value: Decimal, dp: u32) -> Decimal {
    value.round_dp_with_strategy(dp, RoundingStrategy::MidpointAwayFromZero)
}

/// Price change of `price` against `reference` as a fraction, rounded half-up
/// to 4 places: -0.4800 is a 48 % drop. `None` when the reference is zero.
#[must_use]
pub fn price_change(reference: UnitPrice, price: UnitPrice) -> Option<Decimal> {
    if reference.is_zero() {
        return None;
    }
    Some(round_half_up(
        (price.value() - reference.value()) / reference.value(),
        4,
    ))
}

fn fits_scale(value: Decimal, dp: u32) -> bool {
    value.normalize().scale() <= dp
}

fn at_scale(value: Decimal, dp: u32) -> Decimal {
    let mut v = value;
    v.rescale(dp);
    v
}

/// A non-negative price per minimum unit, exactly 4 decimal places.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct UnitPrice(Decimal);

impl UnitPrice {
    /// Zero yuan.
    pub const ZERO: UnitPrice = UnitPrice(Decimal::ZERO);

    /// The largest price a price column holds (`NUMERIC(12, 4)`): 99,999,999.9999 yuan.
    pub const MAX: UnitPrice = UnitPrice(Decimal::from_parts(3_567_587_327, 232, 0, false, 4));

    /// A price given from outside (bid, catalog): must be >= 0, at most [`Self::MAX`],
    /// and have at most 4 decimal places.
    pub fn new(value: Decimal) -> Result<Self, BiddingError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(BiddingError::NegativePrice { value });
        }
        if value > Self::MAX.0 {
            return Err(BiddingError::PriceTooLarge {
                value,
                max: Self::MAX.0,
            });
        }
        if !fits_scale(value, PRICE_DP) {
            return Err(BiddingError::TooManyDecimals {
                value,
                max: PRICE_DP,
            });
        }
        Ok(UnitPrice(at_scale(value.abs(), PRICE_DP)))
    }

    /// A price produced by arithmetic: rounded half-up to 4 places.
    pub fn round(value: Decimal) -> Result<Self, BiddingError> {
        Self::rounded(value, RoundingStrategy::MidpointAwayFromZero)
    }

    /// A price produced by arithmetic that must never exceed `value`:
    /// rounded toward zero to 4 places.
    pub fn round_down(value: Decimal) -> Result<Self, BiddingError> {
        Self::rounded(value, RoundingStrategy::ToZero)
    }

    fn rounded(value: Decimal, strategy: RoundingStrategy) -> Result<Self, BiddingError> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(BiddingError::NegativePrice { value });
        }
        // After rounding the scale is <= 4, so rescaling is exact.
        Ok(UnitPrice(at_scale(
            value.round_dp_with_strategy(PRICE_DP, strategy).abs(),
            PRICE_DP,
        )))
    }

    /// The exact decimal value.
    #[must_use]
    pub fn value(self) -> Decimal {
        self.0
    }

    /// True when the price is zero.
    #[must_use]
    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }
}

impl TryFrom<Decimal> for UnitPrice {
    type Error = BiddingError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        UnitPrice::new(value)
    }
}

impl From<UnitPrice> for Decimal {
    fn from(p: UnitPrice) -> Decimal {
        p.0
    }
}

impl fmt::Display for UnitPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for UnitPrice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UnitPrice({})", self.0)
    }
}

/// An amount of money in yuan, exactly 2 decimal places. May be negative
/// (differences in reconciliation).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(try_from = "Decimal", into = "Decimal")]
pub struct Money(Decimal);

impl Money {
    /// Zero yuan.
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// An amount given from outside: at most 2 decimal places.
    pub fn new(value: Decimal) -> Result<Self, BiddingError> {
        if !fits_scale(value, MONEY_DP) {
            return Err(BiddingError::TooManyDecimals {
                value,
                max: MONEY_DP,
            });
        }
        Ok(Money(at_scale(value, MONEY_DP)))
    }

    /// An amount produced by arithmetic: rounded half-up to the cent.
    #[must_use]
    pub fn round(value: Decimal) -> Self {
        Money(at_scale(round_half_up(value, MONEY_DP), MONEY_DP))
    }

    /// `quantity x price`, rounded half-up to the cent.
    #[must_use]
    pub fn line_amount(quantity: u64, price: UnitPrice) -> Self {
        Money::round(Decimal::from(quantity) * price.value())
    }

    /// The exact decimal value.
    #[must_use]
    pub fn value(self) -> Decimal {
        self.0
    }

    /// Exact sum, checking for overflow.
    pub fn checked_add(self, other: Money) -> Result<Money, BiddingError> {
        self.0
            .checked_add(other.0)
            .map(Money)
            .ok_or(BiddingError::Overflow)
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, |a, b| a + b)
    }
}

impl TryFrom<Decimal> for Money {
    type Error = BiddingError;
    fn try_from(value: Decimal) -> Result<Self, Self::Error> {
        Money::new(value)
    }
}

impl From<Money> for Decimal {
    fn from(m: Money) -> Decimal {
        m.0
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

impl fmt::Debug for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Money({})", self.0)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn unit_price_keeps_four_places_and_serializes_as_string() {
        let p = UnitPrice::new(dec!(0.85)).unwrap();
        assert_eq!(p.to_string(), "0.8500");
        assert_eq!(serde_json::to_string(&p).unwrap(), "\"0.8500\"");
        let back: UnitPrice = serde_json::from_str("\"0.8500\"").unwrap();
        assert_eq!(back, p);
    }

    #[test]
    fn unit_price_is_bounded_by_its_column() {
        assert_eq!(UnitPrice::MAX.to_string(), "99999999.9999");
        assert!(UnitPrice::new(dec!(99999999.9999)).is_ok());
        assert!(matches!(
            UnitPrice::new(dec!(100000000)),
            Err(BiddingError::PriceTooLarge { .. })
        ));
        assert!(serde_json::from_str::<UnitPrice>("\"1e10\"").is_err());
    }

    #[test]
    fn unit_price_rejects_negative_and_five_places() {
        assert!(UnitPrice::new(dec!(-0.01)).is_err());
        assert!(UnitPrice::new(dec!(0.12345)).is_err());
        assert!(serde_json::from_str::<UnitPrice>("\"0.12345\"").is_err());
        // trailing zeros beyond 4 places are fine
        assert_eq!(
            UnitPrice::new(dec!(0.123400)).unwrap().to_string(),
            "0.1234"
        );
    }

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(
            UnitPrice::round(dec!(0.12345)).unwrap().to_string(),
            "0.1235"
        );
        assert_eq!(
            UnitPrice::round(dec!(0.12355)).unwrap().to_string(),
            "0.1236"
        );
        assert_eq!(
            UnitPrice::round_down(dec!(0.12349)).unwrap().to_string(),
            "0.1234"
        );
        assert_eq!(Money::round(dec!(0.005)).to_string(), "0.01");
        assert_eq!(Money::round(dec!(0.015)).to_string(), "0.02");
        assert_eq!(Money::round(dec!(2.675)).to_string(), "2.68");
    }

    #[test]
    fn money_line_amount_rounds_to_cent() {
        let p = UnitPrice::new(dec!(0.0335)).unwrap();
        assert_eq!(Money::line_amount(3, p).to_string(), "0.10"); // 0.1005 -> 0.10
        assert_eq!(Money::line_amount(15, p).to_string(), "0.50"); // 0.5025 -> 0.50
        assert_eq!(Money::line_amount(30, p).to_string(), "1.01"); // 1.005 -> 1.01
        assert_eq!(
            serde_json::to_string(&Money::line_amount(30, p)).unwrap(),
            "\"1.01\""
        );
    }

    #[test]
    fn price_drop_against_ceiling() {
        // stents 2020: 2,850 ceiling, won at 469 -> -83.54 %
        let c = UnitPrice::new(dec!(2850)).unwrap();
        let p = UnitPrice::new(dec!(469)).unwrap();
        assert_eq!(price_change(c, p), Some(dec!(-0.8354)));
        assert_eq!(price_change(UnitPrice::ZERO, p), None);
        assert_eq!(price_change(p, p), Some(dec!(0)));
    }

    #[test]
    fn money_sum_is_exact() {
        let parts = [dec!(0.10), dec!(0.20), dec!(0.30)].map(|d| Money::new(d).unwrap());
        let total: Money = parts.into_iter().sum();
        assert_eq!(total, Money::new(dec!(0.60)).unwrap());
        assert!(Money::new(dec!(0.001)).is_err());
    }
}
