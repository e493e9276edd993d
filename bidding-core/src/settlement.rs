//! Direct settlement arithmetic: line amounts, due dates, prepayment and exact
//! reconciliation.

use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::BiddingError;
use crate::ids::{DeliveryId, SupplierId};
use crate::money::{Money, UnitPrice};
use crate::rules::SettlementRules;

/// A delivery the buyer has accepted.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct AcceptedDelivery {
    pub delivery_id: DeliveryId,
    pub supplier_id: SupplierId,
    /// Accepted quantity in minimum units.
    pub quantity: u64,
    /// The contract's unit price.
    pub unit_price: UnitPrice,
    pub accepted_on: Date,
}

/// One line of a settlement batch.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SettlementLine {
    pub delivery_id: DeliveryId,
    pub supplier_id: SupplierId,
    pub quantity: u64,
    pub unit_price: UnitPrice,
    /// quantity x unit price, rounded half-up to the cent.
    pub amount: Money,
    pub accepted_on: Date,
    /// acceptance + payment days.
    pub due_on: Date,
}

/// A settlement batch: lines by delivery id and their exact total.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SettlementBatch {
    pub lines: Vec<SettlementLine>,
    pub total: Money,
}

/// Payment due date: acceptance + `payment_days`.
pub fn due_date(accepted_on: Date, rules: &SettlementRules) -> Result<Date, BiddingError> {
    let days = i32::try_from(rules.payment_days).map_err(|_| BiddingError::Overflow)?;
    accepted_on.add_days(days)
}

/// True when `due_on` has passed on `today` and the line is unpaid.
#[must_use]
pub fn is_overdue(due_on: Date, today: Date) -> bool {
    today > due_on
}

/// Builds a batch from accepted deliveries: one line each, amounts to the
/// cent, total the exact sum of the lines.
pub fn build_batch(
    deliveries: &[AcceptedDelivery],
    rules: &SettlementRules,
) -> Result<SettlementBatch, BiddingError> {
    let mut lines = Vec::with_capacity(deliveries.len());
    for d in deliveries {
        if d.quantity == 0 {
            return Err(BiddingError::EmptyDelivery(d.delivery_id));
        }
        lines.push(SettlementLine {
            delivery_id: d.delivery_id,
            supplier_id: d.supplier_id,
            quantity: d.quantity,
            unit_price: d.unit_price,
            amount: Money::line_amount(d.quantity, d.unit_price),
            accepted_on: d.accepted_on,
            due_on: due_date(d.accepted_on, rules)?,
        });
    }
    lines.sort_unstable_by_key(|l| l.delivery_id);
    for w in lines.windows(2) {
        if w[0].delivery_id == w[1].delivery_id {
            return Err(BiddingError::DuplicateDelivery(w[0].delivery_id));
        }
    }
    let mut total = Money::ZERO;
    for l in &lines {
        total = total.checked_add(l.amount)?;
    }
    Ok(SettlementBatch { lines, total })
}

/// Prepayment at cycle start: `ratio` x the annual agreed amount, to the cent.
/// The ratio must be at least the round's minimum (30 %) and at most 100 %.
pub fn prepayment(
    annual_agreed_amount: Money,
    ratio: Decimal,
    rules: &SettlementRules,
) -> Result<Money, BiddingError> {
    if ratio < rules.min_prepayment_ratio {
        return Err(BiddingError::PrepaymentRatioTooLow {
            ratio,
            min: rules.min_prepayment_ratio,
        });
    }
    if ratio > Decimal::ONE {
        return Err(BiddingError::PrepaymentRatioTooHigh { ratio });
    }
    if annual_agreed_amount < Money::ZERO {
        return Err(BiddingError::NegativeAmount(annual_agreed_amount));
    }
    Ok(Money::round(annual_agreed_amount.value() * ratio))
}

/// One reconciliation problem.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, thiserror::Error)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum ReconcileIssue {
    #[error("accepted delivery {delivery_id} is not settled")]
    NotSettled { delivery_id: DeliveryId },
    #[error("delivery {delivery_id} is settled {times} times")]
    SettledMoreThanOnce { delivery_id: DeliveryId, times: u32 },
    #[error("delivery {delivery_id} is settled but was not accepted")]
    NotAccepted { delivery_id: DeliveryId },
    #[error("delivery {delivery_id}: line says {found}, quantity x price is {expected}")]
    WrongAmount {
        delivery_id: DeliveryId,
        expected: Money,
        found: Money,
    },
    #[error("delivery {delivery_id}: settled quantity {found}, accepted {expected}")]
    WrongQuantity {
        delivery_id: DeliveryId,
        expected: u64,
        found: u64,
    },
    #[error("delivery {delivery_id}: settled at {found}, contract price {expected}")]
    WrongPrice {
        delivery_id: DeliveryId,
        expected: UnitPrice,
        found: UnitPrice,
    },
    #[error("batch total {found} differs from the sum of lines {expected}")]
    WrongTotal { expected: Money, found: Money },
}

/// Reconciliation failed; every issue found, in delivery order.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize, thiserror::Error)]
#[error("settlement does not reconcile: {} issue(s), first: {}", .issues.len(), .issues.first().map(ToString::to_string).unwrap_or_default())]
pub struct ReconcileError {
    pub issues: Vec<ReconcileIssue>,
}

/// Checks that every accepted delivery is settled exactly once, at its
/// quantity and price, that each line's amount is exact, and that the total
/// is the sum of the lines to the cent. Returns the total.
///
/// `settled` are all settlement lines of the period (across batches) and
/// `total` the sum the statement claims.
pub fn reconcile(
    accepted: &[AcceptedDelivery],
    settled: &[SettlementLine],
    total: Money,
) -> Result<Money, ReconcileError> {
    let mut issues = Vec::new();
    let mut by_id: BTreeMap<DeliveryId, (Option<&AcceptedDelivery>, Vec<&SettlementLine>)> =
        BTreeMap::new();
    for a in accepted {
        by_id.entry(a.delivery_id).or_default().0 = Some(a);
    }
    for l in settled {
        by_id.entry(l.delivery_id).or_default().1.push(l);
    }
    let mut sum = Money::ZERO;
    for (id, (acc, lines)) in &by_id {
        let delivery_id = *id;
        for l in lines {
            sum = sum + l.amount;
            let expected = Money::line_amount(l.quantity, l.unit_price);
            if expected != l.amount {
                issues.push(ReconcileIssue::WrongAmount {
                    delivery_id,
                    expected,
                    found: l.amount,
                });
            }
        }
        match (acc, lines.len()) {
            (None, _) => issues.push(ReconcileIssue::NotAccepted { delivery_id }),
            (Some(_), 0) => issues.push(ReconcileIssue::NotSettled { delivery_id }),
            (Some(a), 1) => {
                let l = lines[0];
                if l.quantity != a.quantity {
                    issues.push(ReconcileIssue::WrongQuantity {
                        delivery_id,
                        expected: a.quantity,
                        found: l.quantity,
                    });
                }
                if l.unit_price != a.unit_price {
                    issues.push(ReconcileIssue::WrongPrice {
                        delivery_id,
                        expected: a.unit_price,
                        found: l.unit_price,
                    });
                }
            }
            (Some(_), n) => issues.push(ReconcileIssue::SettledMoreThanOnce {
                delivery_id,
                times: u32::try_from(n).unwrap_or(u32::MAX),
            }),
        }
    }
    if sum != total {
        issues.push(ReconcileIssue::WrongTotal {
            expected: sum,
            found: total,
        });
    }
    if issues.is_empty() {
        Ok(sum)
    } else {
        Err(ReconcileError { issues })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn delivery(id: i64, qty: u64, price: Decimal, on: &str) -> AcceptedDelivery {
        AcceptedDelivery {
            delivery_id: DeliveryId(id),
            supplier_id: SupplierId(7),
            quantity: qty,
            unit_price: UnitPrice::new(price).unwrap(),
            accepted_on: on.parse().unwrap(),
        }
    }

    #[test]
    fn lines_round_to_cent_and_total_is_exact() {
        let r = SettlementRules::default();
        let ds = [
            delivery(2, 30, dec!(0.0335), "2026-03-10"), // 1.005 -> 1.01
            delivery(1, 1000, dec!(0.8500), "2026-01-15"), // 850.00
            delivery(3, 3, dec!(0.0335), "2026-12-15"),  // 0.1005 -> 0.10
        ];
        let b = build_batch(&ds, &r).unwrap();
        assert_eq!(
            b.lines.iter().map(|l| l.delivery_id.0).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert_eq!(b.lines[1].amount.to_string(), "1.01");
        assert_eq!(b.lines[2].amount.to_string(), "0.10");
        assert_eq!(b.total.to_string(), "851.11");
        assert_eq!(b.lines[0].due_on.to_string(), "2026-02-14");
        assert_eq!(b.lines[2].due_on.to_string(), "2027-01-14");
        assert_eq!(reconcile(&ds, &b.lines, b.total).unwrap(), b.total);
    }

    #[test]
    fn due_date_is_a_parameter() {
        let r = SettlementRules {
            payment_days: 60,
            ..SettlementRules::default()
        };
        assert_eq!(
            due_date("2026-01-01".parse().unwrap(), &r)
                .unwrap()
                .to_string(),
            "2026-03-02"
        );
        assert!(is_overdue(
            "2026-02-14".parse().unwrap(),
            "2026-02-15".parse().unwrap()
        ));
        assert!(!is_overdue(
            "2026-02-14".parse().unwrap(),
            "2026-02-14".parse().unwrap()
        ));
    }

    #[test]
    fn duplicates_and_empty_deliveries_are_refused() {
        let r = SettlementRules::default();
        let d = delivery(1, 10, dec!(1), "2026-01-01");
        assert_eq!(
            build_batch(&[d, d], &r),
            Err(BiddingError::DuplicateDelivery(DeliveryId(1)))
        );
        assert_eq!(
            build_batch(&[delivery(4, 0, dec!(1), "2026-01-01")], &r),
            Err(BiddingError::EmptyDelivery(DeliveryId(4)))
        );
    }

    #[test]
    fn prepayment_ratio_of_annual_amount() {
        let r = SettlementRules::default();
        let annual = Money::new(dec!(1234567.89)).unwrap();
        assert_eq!(
            prepayment(annual, dec!(0.30), &r).unwrap().to_string(),
            "370370.37"
        );
        assert_eq!(
            prepayment(annual, dec!(0.5), &r).unwrap().to_string(),
            "617283.95"
        );
        assert!(matches!(
            prepayment(annual, dec!(0.29), &r),
            Err(BiddingError::PrepaymentRatioTooLow { .. })
        ));
        assert!(prepayment(annual, dec!(1.01), &r).is_err());
    }

    #[test]
    fn reconciliation_reports_every_issue() {
        let r = SettlementRules::default();
        let ds = [
            delivery(1, 10, dec!(1.5), "2026-01-01"),
            delivery(2, 20, dec!(2), "2026-01-02"),
            delivery(3, 5, dec!(1), "2026-01-03"),
        ];
        let b = build_batch(&ds[..2], &r).unwrap();
        let mut lines = b.lines.clone();
        lines.push(b.lines[0]); // settled twice
        let mut stray = b.lines[1];
        stray.delivery_id = DeliveryId(9); // never accepted
        lines.push(stray);
        let mut wrong = b.lines[1];
        wrong.amount = Money::new(dec!(39.99)).unwrap();
        lines[1] = wrong;
        let err = reconcile(&ds, &lines, b.total).unwrap_err();
        assert_eq!(
            err.issues,
            vec![
                ReconcileIssue::SettledMoreThanOnce {
                    delivery_id: DeliveryId(1),
                    times: 2
                },
                ReconcileIssue::WrongAmount {
                    delivery_id: DeliveryId(2),
                    expected: Money::new(dec!(40)).unwrap(),
                    found: Money::new(dec!(39.99)).unwrap()
                },
                ReconcileIssue::NotSettled {
                    delivery_id: DeliveryId(3)
                },
                ReconcileIssue::NotAccepted {
                    delivery_id: DeliveryId(9)
                },
                ReconcileIssue::WrongTotal {
                    expected: Money::new(dec!(109.99)).unwrap(),
                    found: Money::new(dec!(55)).unwrap()
                },
            ]
        );
        assert!(
            err.to_string()
                .starts_with("settlement does not reconcile: 5 issue(s)")
        );
    }

    #[test]
    fn reconciliation_catches_quantity_and_price_changes() {
        let ds = [delivery(1, 10, dec!(1.5), "2026-01-01")];
        let b = build_batch(&ds, &SettlementRules::default()).unwrap();
        let mut l = b.lines[0];
        l.quantity = 11;
        l.unit_price = UnitPrice::new(dec!(1.4)).unwrap();
        l.amount = Money::line_amount(11, l.unit_price);
        let err = reconcile(&ds, &[l], l.amount).unwrap_err();
        assert_eq!(err.issues.len(), 2);
    }
}
