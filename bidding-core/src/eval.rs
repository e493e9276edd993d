//! Evaluation of a lot: eligibility, ceiling, ranking, winners, and for every
//! bid the reason it won or lost.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::date::{Date, Timestamp};
use crate::error::BiddingError;
use crate::ids::{BidId, LotId, ProvinceCode, SupplierId};
use crate::money::UnitPrice;
use crate::rules::{RevivalRule, RoundRules, SelectionRule, TieBreak, VolumeClass};
use crate::spec::{Consistency, FormClass, Product, ProductKind, Specification};
use crate::ucp::{FactorMemo, PriceFactor, price_factor_memo};

/// A lot: one generic name and dosage form, compared at its representative
/// specification.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Lot {
    pub id: LotId,
    pub generic_name: String,
    pub kind: ProductKind,
    /// The representative specification; its dosage form is the lot's form.
    pub representative: Specification,
    /// The representative specification's ceiling (the lot's ceiling UCP).
    pub ceiling_ucp: Option<UnitPrice>,
    pub volume_class: VolumeClass,
}

/// A sealed bid, once opened.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Bid {
    pub id: BidId,
    pub lot_id: LotId,
    pub supplier_id: SupplierId,
    /// The catalog item bid, as resolved from the catalog; `None` when the
    /// product code is not in the catalog.
    pub product: Option<Product>,
    /// Price per minimum unit of the product's own specification.
    pub unit_price: UnitPrice,
    /// Declared annual supply capacity, in minimum units.
    pub annual_capacity: u64,
    /// Final submission time (first tie-break after capacity).
    pub submitted_at: Timestamp,
    /// Ranked province preference for the region draft.
    pub province_preferences: Vec<ProvinceCode>,
}

/// Why a supplier may not take part.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Exclusion {
    Inactive,
    /// Barred after failing to supply; `until` is the last barred day if known.
    Barred {
        until: Option<Date>,
    },
}

/// Facts about suppliers on the evaluation date, supplied by the caller.
#[derive(Clone, PartialEq, Eq, Debug, Default, Serialize, Deserialize)]
pub struct EligibilityContext {
    pub excluded: BTreeMap<SupplierId, Exclusion>,
}

/// Why a bid is not eligible.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Ineligibility {
    NotInCatalog,
    WrongGeneric {
        expected: String,
        found: String,
    },
    WrongKind {
        expected: ProductKind,
        found: ProductKind,
    },
    ConsistencyNotPassed {
        status: Option<Consistency>,
    },
    SupplierInactive,
    SupplierBarred {
        until: Option<Date>,
    },
    ZeroPrice,
    /// The specification cannot be converted to the representative one.
    NotComparable {
        detail: String,
    },
    /// The supplier has a better-ranked valid bid in this lot.
    DuplicateSupplierBid {
        kept: BidId,
    },
}

/// Which ceiling a bid was checked against.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "basis", rename_all = "snake_case")]
pub enum CeilingCheck {
    /// The bid's own item ceiling, price per minimum unit.
    ItemCeiling {
        price: UnitPrice,
        ceiling: UnitPrice,
    },
    /// The lot's ceiling UCP (the item has none).
    LotCeilingUcp {
        ucp: UnitPrice,
        ceiling_ucp: UnitPrice,
    },
}

/// Why a lot has no winner.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum UnsuccessfulReason {
    NoValidBid,
    TooFewBidders {
        valid_bidders: u32,
        min_bidders: u32,
    },
}

/// Why a bid lost.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum LossReason {
    Ineligible {
        reason: Ineligibility,
    },
    /// Invalid: above the published ceiling; both numbers are given.
    AboveCeiling {
        check: CeilingCheck,
    },
    /// Valid, but its UCP is above every selection limit of the preset.
    AboveSelectionLimit {
        ucp: UnitPrice,
        limit: Decimal,
    },
    /// Valid and within the limits, but the lot already has its maximum.
    MaxWinnersReached {
        rank: u32,
        max_winners: u32,
        valid_bidders: u32,
    },
    /// Valid, but the lot is unsuccessful.
    LotUnsuccessful {
        reason: UnsuccessfulReason,
    },
}

/// Which rule admitted a winner.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case")]
pub enum Admission {
    /// The lowest UCP of the lot.
    Lowest,
    /// UCP <= ratio x lowest UCP.
    WithinRatioOfLowest { limit: Decimal },
    /// UCP <= the absolute threshold (batch 7, or batch 10 by dosage form).
    AbsoluteThreshold { limit: Decimal },
    /// UCP <= fraction x the lot's ceiling UCP (batch 7).
    ShareOfCeiling { limit: Decimal },
    /// UCP <= ratio x anchor (batch 11).
    WithinRatioOfAnchor { anchor: Decimal, limit: Decimal },
    /// Oral solid at or below the exemption UCP (batch 11).
    OralSolidExemption { limit: Decimal },
    /// Accepted the revival price (batch 10).
    Revival { revival_ucp: UnitPrice },
}

/// The result of one bid.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case")]
pub enum BidOutcome {
    Won { rank: u32, admitted_by: Admission },
    Lost { reason: LossReason },
}

impl BidOutcome {
    /// True for a winner.
    #[must_use]
    pub fn is_won(&self) -> bool {
        matches!(self, BidOutcome::Won { .. })
    }
}

/// One bid's line in the evaluation.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct BidResult {
    pub bid_id: BidId,
    pub supplier_id: SupplierId,
    pub unit_price: UnitPrice,
    /// `None` when the UCP cannot be computed (not in catalog, not comparable).
    pub ucp: Option<UnitPrice>,
    /// Rank among the valid bids (1 = lowest UCP).
    pub rank: Option<u32>,
    pub outcome: BidOutcome,
}

/// A winner of a lot, with the price it will be paid.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Winner {
    pub bid_id: BidId,
    pub supplier_id: SupplierId,
    pub rank: u32,
    /// UCP at the price paid.
    pub ucp: UnitPrice,
    /// Price paid per minimum unit of the winner's own specification.
    pub unit_price: UnitPrice,
    pub admitted_by: Admission,
    pub annual_capacity: u64,
    pub province_preferences: Vec<ProvinceCode>,
}

/// A valid non-winner that may accept the revival price.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RevivalCandidate {
    pub bid_id: BidId,
    pub supplier_id: SupplierId,
    pub rank: u32,
    /// The bid's own UCP.
    pub ucp: UnitPrice,
    /// What it would be paid per unit of its own specification: the revival
    /// UCP converted back (rounded down), never above its own bid.
    pub revival_unit_price: UnitPrice,
    /// UCP of `revival_unit_price` (<= the revival UCP).
    pub revival_ucp: UnitPrice,
}

/// The revival offer of a lot (batch 10).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RevivalOffer {
    /// Highest winning UCP, or with a single winner ratio x its UCP (rounded
    /// down to 4 places).
    pub ucp: UnitPrice,
    /// Candidates in rank order.
    pub candidates: Vec<RevivalCandidate>,
    /// How many candidates may still be admitted (max-winners cap).
    pub places: u32,
}

/// Result of a lot.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum LotOutcome {
    Successful,
    Unsuccessful { reason: UnsuccessfulReason },
}

/// The full evaluation of a lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotEvaluation {
    pub lot_id: LotId,
    pub outcome: LotOutcome,
    pub valid_bidders: u32,
    pub max_winners: u32,
    pub lowest_ucp: Option<UnitPrice>,
    /// Batch 11 anchor.
    pub anchor: Option<Decimal>,
    /// The highest UCP the preset admits (the loosest of its limits).
    pub selection_limit: Option<Decimal>,
    pub highest_winning_ucp: Option<UnitPrice>,
    /// Winners in rank order.
    pub winners: Vec<Winner>,
    /// Every bid: valid ones in rank order, then invalid ones by bid id.
    pub bids: Vec<BidResult>,
    pub revival: Option<RevivalOffer>,
}

impl LotEvaluation {
    /// The result line of a bid.
    #[must_use]
    pub fn bid(&self, id: BidId) -> Option<&BidResult> {
        self.bids.iter().find(|b| b.bid_id == id)
    }
}

/// Price factors of the specifications seen in one lot (a lot has few
/// distinct specifications, so a linear cache is fastest).
#[derive(Default)]
struct FactorCache<'a> {
    entries: Vec<(&'a Specification, Result<PriceFactor, String>)>,
}

impl<'a> FactorCache<'a> {
    fn get(
        &mut self,
        spec: &'a Specification,
        rep: &Specification,
        rules: &RoundRules,
        memo: &mut FactorMemo,
    ) -> Result<PriceFactor, String> {
        if let Some((_, f)) = self.entries.iter().find(|(s, _)| *s == spec) {
            return f.clone();
        }
        let f = price_factor_memo(spec, rep, &rules.comparison, memo).map_err(|e| e.to_string());
        self.entries.push((spec, f.clone()));
        f
    }
}

struct Valid<'a> {
    bid: &'a Bid,
    ucp: UnitPrice,
    factor: PriceFactor,
}

fn compare(a: &Valid<'_>, b: &Valid<'_>, ties: &[TieBreak]) -> Ordering {
    a.ucp.cmp(&b.ucp).then_with(|| {
        for t in ties {
            let o = match t {
                TieBreak::LargerCapacity => b.bid.annual_capacity.cmp(&a.bid.annual_capacity),
                TieBreak::EarlierSubmission => a.bid.submitted_at.cmp(&b.bid.submitted_at),
            };
            if o != Ordering::Equal {
                return o;
            }
        }
        a.bid.id.cmp(&b.bid.id)
    })
}

fn lost(bid: &Bid, ucp: Option<UnitPrice>, reason: LossReason) -> BidResult {
    BidResult {
        bid_id: bid.id,
        supplier_id: bid.supplier_id,
        unit_price: bid.unit_price,
        ucp,
        rank: None,
        outcome: BidOutcome::Lost { reason },
    }
}

fn ineligible(bid: &Bid, ucp: Option<UnitPrice>, reason: Ineligibility) -> BidResult {
    lost(bid, ucp, LossReason::Ineligible { reason })
}

/// Eligibility, UCP and ceiling of one bid: `Ok` when valid.
fn check<'a>(
    lot: &Lot,
    bid: &'a Bid,
    ctx: &EligibilityContext,
    rules: &RoundRules,
    cache: &mut FactorCache<'a>,
    memo: &mut FactorMemo,
) -> Result<Valid<'a>, BidResult> {
    let Some(product) = &bid.product else {
        return Err(ineligible(bid, None, Ineligibility::NotInCatalog));
    };
    if product.generic_name != lot.generic_name {
        return Err(ineligible(
            bid,
            None,
            Ineligibility::WrongGeneric {
                expected: lot.generic_name.clone(),
                found: product.generic_name.clone(),
            },
        ));
    }
    if product.kind != lot.kind {
        return Err(ineligible(
            bid,
            None,
            Ineligibility::WrongKind {
                expected: lot.kind,
                found: product.kind,
            },
        ));
    }
    if rules.eligibility.require_consistency
        && product.kind == ProductKind::Drug
        && !product.consistency.is_some_and(Consistency::may_bid)
    {
        return Err(ineligible(
            bid,
            None,
            Ineligibility::ConsistencyNotPassed {
                status: product.consistency,
            },
        ));
    }
    match ctx.excluded.get(&bid.supplier_id) {
        Some(Exclusion::Inactive) => {
            return Err(ineligible(bid, None, Ineligibility::SupplierInactive));
        }
        Some(Exclusion::Barred { until }) => {
            return Err(ineligible(
                bid,
                None,
                Ineligibility::SupplierBarred { until: *until },
            ));
        }
        None => {}
    }
    if bid.unit_price.is_zero() {
        return Err(ineligible(bid, None, Ineligibility::ZeroPrice));
    }
    let factor = match cache.get(&product.spec, &lot.representative, rules, memo) {
        Ok(f) => f,
        Err(detail) => {
            return Err(ineligible(
                bid,
                None,
                Ineligibility::NotComparable { detail },
            ));
        }
    };
    let ucp = match factor.comparable(bid.unit_price) {
        Ok(u) => u,
        Err(e) => {
            return Err(ineligible(
                bid,
                None,
                Ineligibility::NotComparable {
                    detail: e.to_string(),
                },
            ));
        }
    };
    if let Some(ceiling) = product.ceiling {
        if bid.unit_price > ceiling {
            return Err(lost(
                bid,
                Some(ucp),
                LossReason::AboveCeiling {
                    check: CeilingCheck::ItemCeiling {
                        price: bid.unit_price,
                        ceiling,
                    },
                },
            ));
        }
    } else if let Some(ceiling_ucp) = lot.ceiling_ucp
        && ucp > ceiling_ucp
    {
        return Err(lost(
            bid,
            Some(ucp),
            LossReason::AboveCeiling {
                check: CeilingCheck::LotCeilingUcp { ucp, ceiling_ucp },
            },
        ));
    }
    Ok(Valid { bid, ucp, factor })
}

/// The UCP of a price for `product` in `lot` (for showing a supplier its
/// comparable price when it submits).
pub fn bid_ucp(
    lot: &Lot,
    product: &Product,
    unit_price: UnitPrice,
    rules: &RoundRules,
) -> Result<UnitPrice, BiddingError> {
    price_factor_memo(
        &product.spec,
        &lot.representative,
        &rules.comparison,
        &mut FactorMemo::default(),
    )?
    .comparable(unit_price)
}

/// The ceiling check done at submission: `Some` (with both numbers) when the
/// bid is above its item's ceiling or, without one, its UCP above the lot's
/// ceiling UCP. The same rule as in evaluation.
pub fn above_ceiling(
    lot: &Lot,
    product: &Product,
    unit_price: UnitPrice,
    rules: &RoundRules,
) -> Result<Option<CeilingCheck>, BiddingError> {
    if let Some(ceiling) = product.ceiling {
        return Ok((unit_price > ceiling).then_some(CeilingCheck::ItemCeiling {
            price: unit_price,
            ceiling,
        }));
    }
    let Some(ceiling_ucp) = lot.ceiling_ucp else {
        return Ok(None);
    };
    let ucp = bid_ucp(lot, product, unit_price, rules)?;
    Ok((ucp > ceiling_ucp).then_some(CeilingCheck::LotCeilingUcp { ucp, ceiling_ucp }))
}

/// The preset's limits for a lot, loosest last is not required: a bid is
/// admitted by the first limit it meets.
fn limits(
    lot: &Lot,
    rules: &RoundRules,
    valid: &[Valid<'_>],
    lowest: UnitPrice,
) -> (Vec<Admission>, Option<Decimal>) {
    let lo = lowest.value();
    let class = lot.representative.dosage_form.class();
    let mut out = Vec::with_capacity(3);
    let mut anchor = None;
    match &rules.selection {
        SelectionRule::Pilot => out.push(Admission::WithinRatioOfLowest { limit: lo }),
        SelectionRule::Batch7 {
            ratio_to_lowest,
            absolute_ucp,
            ceiling_fraction,
        } => {
            out.push(Admission::WithinRatioOfLowest {
                limit: *ratio_to_lowest * lo,
            });
            if let Some(a) = absolute_ucp {
                out.push(Admission::AbsoluteThreshold { limit: a.value() });
            }
            if let (Some(f), Some(c)) = (ceiling_fraction, lot.ceiling_ucp) {
                out.push(Admission::ShareOfCeiling {
                    limit: *f * c.value(),
                });
            }
        }
        SelectionRule::Batch10 {
            ratio_to_lowest,
            absolute_by_form,
            ..
        } => {
            out.push(Admission::WithinRatioOfLowest {
                limit: *ratio_to_lowest * lo,
            });
            if let Some(t) = absolute_by_form.iter().find(|t| t.class == class) {
                out.push(Admission::AbsoluteThreshold {
                    limit: t.ucp.value(),
                });
            }
        }
        SelectionRule::Batch11 {
            ratio_to_anchor,
            average_fraction,
            oral_solid_exempt_ucp,
        } => {
            let sum: Decimal = valid.iter().map(|v| v.ucp.value()).sum();
            let avg = sum / Decimal::from(valid.len().max(1));
            let a = lo.max(*average_fraction * avg);
            anchor = Some(a);
            out.push(Admission::WithinRatioOfAnchor {
                anchor: a,
                limit: *ratio_to_anchor * a,
            });
            if class == FormClass::OralSolid
                && let Some(e) = oral_solid_exempt_ucp
            {
                out.push(Admission::OralSolidExemption { limit: e.value() });
            }
        }
    }
    for a in &mut out {
        normalize(a);
    }
    (out, anchor.map(|a| a.normalize()))
}

/// Limits are exact products; shown without trailing zeros.
fn normalize(a: &mut Admission) {
    match a {
        Admission::WithinRatioOfLowest { limit }
        | Admission::AbsoluteThreshold { limit }
        | Admission::ShareOfCeiling { limit }
        | Admission::OralSolidExemption { limit } => *limit = limit.normalize(),
        Admission::WithinRatioOfAnchor { anchor, limit } => {
            *anchor = anchor.normalize();
            *limit = limit.normalize();
        }
        Admission::Lowest | Admission::Revival { .. } => {}
    }
}

fn limit_of(a: &Admission) -> Decimal {
    match a {
        Admission::Lowest => Decimal::ZERO,
        Admission::WithinRatioOfLowest { limit }
        | Admission::AbsoluteThreshold { limit }
        | Admission::ShareOfCeiling { limit }
        | Admission::WithinRatioOfAnchor { limit, .. }
        | Admission::OralSolidExemption { limit } => *limit,
        Admission::Revival { revival_ucp } => revival_ucp.value(),
    }
}

fn revival_rule(rules: &RoundRules) -> Option<RevivalRule> {
    match &rules.selection {
        SelectionRule::Batch10 { revival, .. } => *revival,
        _ => None,
    }
}

/// Evaluates one lot. `bids` are the lot's bids in any order; the result does
/// not depend on that order. Errors on a bid of another lot or a repeated bid
/// id.
pub fn evaluate_lot<'a, I>(
    lot: &Lot,
    bids: I,
    ctx: &EligibilityContext,
    rules: &RoundRules,
) -> Result<LotEvaluation, BiddingError>
where
    I: IntoIterator<Item = &'a Bid>,
{
    evaluate_lot_memo(lot, bids, ctx, rules, &mut FactorMemo::default())
}

/// [`evaluate_lot`] sharing a memo of price ratios across the lots of a round.
pub(crate) fn evaluate_lot_memo<'a, I>(
    lot: &Lot,
    bids: I,
    ctx: &EligibilityContext,
    rules: &RoundRules,
    memo: &mut FactorMemo,
) -> Result<LotEvaluation, BiddingError>
where
    I: IntoIterator<Item = &'a Bid>,
{
    let bids = bids.into_iter();
    let mut cache = FactorCache::default();
    let mut valid: Vec<Valid<'a>> = Vec::with_capacity(bids.size_hint().0);
    let mut invalid: Vec<BidResult> = Vec::new();
    for bid in bids {
        if bid.lot_id != lot.id {
            return Err(BiddingError::UnknownLot {
                bid: bid.id,
                lot: bid.lot_id,
            });
        }
        match check(lot, bid, ctx, rules, &mut cache, memo) {
            Ok(v) => valid.push(v),
            Err(r) => invalid.push(r),
        }
    }
    let ties = &rules.tie_break;
    valid.sort_unstable_by(|a, b| compare(a, b, ties));
    for w in valid.windows(2) {
        if w[0].bid.id == w[1].bid.id {
            return Err(BiddingError::DuplicateBid(w[0].bid.id));
        }
    }

    // One bid per supplier: keep the best-ranked.
    if rules.eligibility.one_bid_per_supplier && valid.len() > 1 {
        let mut by_supplier: Vec<(SupplierId, usize)> = valid
            .iter()
            .enumerate()
            .map(|(i, v)| (v.bid.supplier_id, i))
            .collect();
        by_supplier.sort_unstable();
        let mut drop = vec![false; valid.len()];
        for w in by_supplier.windows(2) {
            if w[0].0 == w[1].0 {
                drop[w[1].1] = true;
            }
        }
        if drop.iter().any(|d| *d) {
            let mut kept_of: Vec<(SupplierId, BidId)> = Vec::new();
            let mut keep = Vec::with_capacity(valid.len());
            for (v, d) in valid.into_iter().zip(drop) {
                if d {
                    let kept = kept_of
                        .iter()
                        .find(|(s, _)| *s == v.bid.supplier_id)
                        .map_or(v.bid.id, |(_, b)| *b);
                    invalid.push(ineligible(
                        v.bid,
                        Some(v.ucp),
                        Ineligibility::DuplicateSupplierBid { kept },
                    ));
                } else {
                    kept_of.push((v.bid.supplier_id, v.bid.id));
                    keep.push(v);
                }
            }
            valid = keep;
        }
    }
    invalid.sort_unstable_by_key(|r| r.bid_id);
    for w in invalid.windows(2) {
        if w[0].bid_id == w[1].bid_id {
            return Err(BiddingError::DuplicateBid(w[0].bid_id));
        }
    }
    let valid_bidders = u32::try_from(valid.len()).map_err(|_| BiddingError::Overflow)?;

    let mut eval = LotEvaluation {
        lot_id: lot.id,
        outcome: LotOutcome::Successful,
        valid_bidders,
        max_winners: 0,
        lowest_ucp: valid.first().map(|v| v.ucp),
        anchor: None,
        selection_limit: None,
        highest_winning_ucp: None,
        winners: Vec::new(),
        bids: Vec::with_capacity(valid.len() + invalid.len()),
        revival: None,
    };

    let unsuccessful = if valid.is_empty() {
        Some(UnsuccessfulReason::NoValidBid)
    } else if valid_bidders < rules.min_bidders {
        Some(UnsuccessfulReason::TooFewBidders {
            valid_bidders,
            min_bidders: rules.min_bidders,
        })
    } else {
        None
    };
    if let Some(reason) = unsuccessful {
        eval.outcome = LotOutcome::Unsuccessful { reason };
        for (i, v) in valid.iter().enumerate() {
            let mut r = lost(v.bid, Some(v.ucp), LossReason::LotUnsuccessful { reason });
            r.rank = Some(i as u32 + 1);
            eval.bids.push(r);
        }
        eval.bids.append(&mut invalid);
        return Ok(eval);
    }

    let lowest = valid[0].ucp;
    let max = rules.max_winners.for_bidders(valid_bidders);
    eval.max_winners = max;
    let (admissions, anchor) = limits(lot, rules, &valid, lowest);
    eval.anchor = anchor;
    let loosest = admissions
        .iter()
        .map(limit_of)
        .max()
        .unwrap_or(lowest.value());
    eval.selection_limit = Some(loosest);

    let mut non_winners: Vec<usize> = Vec::new();
    for (i, v) in valid.iter().enumerate() {
        let rank = i as u32 + 1;
        let admitted = if i == 0 {
            Some(Admission::Lowest)
        } else {
            admissions
                .iter()
                .find(|a| v.ucp.value() <= limit_of(a))
                .copied()
        };
        let outcome = match admitted {
            Some(a) if (eval.winners.len() as u32) < max => {
                eval.winners.push(Winner {
                    bid_id: v.bid.id,
                    supplier_id: v.bid.supplier_id,
                    rank,
                    ucp: v.ucp,
                    unit_price: v.bid.unit_price,
                    admitted_by: a,
                    annual_capacity: v.bid.annual_capacity,
                    province_preferences: v.bid.province_preferences.clone(),
                });
                BidOutcome::Won {
                    rank,
                    admitted_by: a,
                }
            }
            Some(_) => {
                non_winners.push(i);
                BidOutcome::Lost {
                    reason: LossReason::MaxWinnersReached {
                        rank,
                        max_winners: max,
                        valid_bidders,
                    },
                }
            }
            None => {
                non_winners.push(i);
                BidOutcome::Lost {
                    reason: LossReason::AboveSelectionLimit {
                        ucp: v.ucp,
                        limit: loosest,
                    },
                }
            }
        };
        eval.bids.push(BidResult {
            bid_id: v.bid.id,
            supplier_id: v.bid.supplier_id,
            unit_price: v.bid.unit_price,
            ucp: Some(v.ucp),
            rank: Some(rank),
            outcome,
        });
    }
    eval.highest_winning_ucp = eval.winners.last().map(|w| w.ucp);

    if let (Some(rule), Some(highest)) = (revival_rule(rules), eval.highest_winning_ucp)
        && !non_winners.is_empty()
    {
        let revival_ucp = if eval.winners.len() == 1 {
            UnitPrice::round_down(rule.single_winner_ratio * highest.value())?
        } else {
            highest
        };
        let won = eval.winners.len() as u32;
        let places = if rule.within_max_winners {
            max.saturating_sub(won)
        } else {
            u32::MAX
        };
        let mut candidates = Vec::new();
        if places > 0 {
            for &i in &non_winners {
                let v = &valid[i];
                let own = v
                    .factor
                    .own_price_at_most(revival_ucp)?
                    .min(v.bid.unit_price);
                candidates.push(RevivalCandidate {
                    bid_id: v.bid.id,
                    supplier_id: v.bid.supplier_id,
                    rank: i as u32 + 1,
                    ucp: v.ucp,
                    revival_unit_price: own,
                    revival_ucp: v.factor.comparable(own)?,
                });
            }
        }
        eval.revival = Some(RevivalOffer {
            ucp: revival_ucp,
            candidates,
            places,
        });
    }
    eval.bids.append(&mut invalid);
    Ok(eval)
}

/// Applies accepted revivals: each accepting candidate (in rank order, while
/// places remain) becomes a winner at its revival price. `bids` are the lot's
/// bids (for the revived winners' province preferences and capacity). Returns
/// the updated evaluation; the input is left unchanged.
pub fn apply_revival<'a, I>(
    eval: &LotEvaluation,
    bids: I,
    accepted: &[SupplierId],
) -> Result<LotEvaluation, BiddingError>
where
    I: IntoIterator<Item = &'a Bid>,
{
    let Some(offer) = &eval.revival else {
        return if accepted.is_empty() {
            Ok(eval.clone())
        } else {
            Err(BiddingError::RevivalNotOffered)
        };
    };
    for s in accepted {
        if !offer.candidates.iter().any(|c| c.supplier_id == *s) {
            return Err(BiddingError::NotRevivalCandidate(*s));
        }
    }
    let bids: Vec<&Bid> = bids.into_iter().collect();
    let mut out = eval.clone();
    let mut places = offer.places;
    let mut revived = Vec::new();
    for c in &offer.candidates {
        if places == 0 {
            break;
        }
        if !accepted.contains(&c.supplier_id) {
            continue;
        }
        places -= 1;
        revived.push(c.bid_id);
        let admitted_by = Admission::Revival {
            revival_ucp: offer.ucp,
        };
        if let Some(r) = out.bids.iter_mut().find(|b| b.bid_id == c.bid_id) {
            r.outcome = BidOutcome::Won {
                rank: c.rank,
                admitted_by,
            };
        }
        out.winners.push(Winner {
            bid_id: c.bid_id,
            supplier_id: c.supplier_id,
            rank: c.rank,
            ucp: c.revival_ucp,
            unit_price: c.revival_unit_price,
            admitted_by,
            annual_capacity: bids
                .iter()
                .find(|b| b.id == c.bid_id)
                .map_or(0, |b| b.annual_capacity),
            province_preferences: bids
                .iter()
                .find(|b| b.id == c.bid_id)
                .map(|b| b.province_preferences.clone())
                .unwrap_or_default(),
        });
    }
    out.winners.sort_unstable_by_key(|w| w.rank);
    out.revival = Some(RevivalOffer {
        ucp: offer.ucp,
        candidates: offer
            .candidates
            .iter()
            .filter(|c| !revived.contains(&c.bid_id))
            .cloned()
            .collect(),
        places,
    });
    Ok(out)
}
