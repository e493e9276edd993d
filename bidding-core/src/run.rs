//! A whole round: evaluate every lot, apply accepted revivals, allocate.

use serde::{Deserialize, Serialize};

use crate::alloc::{LotAllocation, ProvinceDemand, allocate_lot};
use crate::date::Date;
use crate::error::BiddingError;
use crate::eval::{Bid, EligibilityContext, Lot, LotEvaluation, apply_revival, evaluate_lot_memo};
use crate::ids::{LotId, SupplierId};
use crate::rules::RoundRules;
use crate::ucp::FactorMemo;

/// Everything needed to compute a round's results.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RoundInput {
    pub rules: RoundRules,
    pub lots: Vec<Lot>,
    pub bids: Vec<Bid>,
    pub demand: Vec<ProvinceDemand>,
    pub context: EligibilityContext,
    /// Suppliers that accepted a lot's revival price.
    pub accepted_revivals: Vec<(LotId, SupplierId)>,
    pub cycle_start: Date,
}

/// Evaluation and allocation of one lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotResult {
    pub evaluation: LotEvaluation,
    /// `None` for an unsuccessful lot.
    pub allocation: Option<LotAllocation>,
}

/// The results of a round, lots by id.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RoundResult {
    pub lots: Vec<LotResult>,
}

/// Item indices ordered by lot, and for each lot (in `lot_ids` order) its
/// range in that order.
struct Groups {
    order: Vec<usize>,
    ranges: Vec<std::ops::Range<usize>>,
}

/// Groups `items` by lot; `Err(i)` names an item of an unknown lot.
fn group_by_lot<T>(
    lot_ids: &[LotId],
    items: &[T],
    key: impl Fn(&T) -> LotId,
) -> Result<Groups, usize> {
    // lot_ids is sorted; map each item to its lot position.
    let mut order: Vec<(usize, usize)> = Vec::with_capacity(items.len());
    for (i, it) in items.iter().enumerate() {
        match lot_ids.binary_search(&key(it)) {
            Ok(p) => order.push((p, i)),
            Err(_) => return Err(i),
        }
    }
    order.sort_unstable();
    let mut ranges = Vec::with_capacity(lot_ids.len());
    let mut start = 0;
    for p in 0..lot_ids.len() {
        let mut end = start;
        while end < order.len() && order[end].0 == p {
            end += 1;
        }
        ranges.push(start..end);
        start = end;
    }
    Ok(Groups {
        order: order.into_iter().map(|(_, i)| i).collect(),
        ranges,
    })
}

fn sorted_lot_ids(lots: &[Lot]) -> Result<(Vec<LotId>, Vec<usize>), BiddingError> {
    let mut idx: Vec<usize> = (0..lots.len()).collect();
    idx.sort_unstable_by_key(|&i| lots[i].id);
    let ids: Vec<LotId> = idx.iter().map(|&i| lots[i].id).collect();
    for w in ids.windows(2) {
        if w[0] == w[1] {
            return Err(BiddingError::DuplicateLot(w[0]));
        }
    }
    Ok((ids, idx))
}

/// Evaluates every lot of a round (lots in id order), applying the accepted
/// revivals. Bid ids must be unique across the round.
pub fn evaluate_round(
    rules: &RoundRules,
    lots: &[Lot],
    bids: &[Bid],
    context: &EligibilityContext,
    accepted_revivals: &[(LotId, SupplierId)],
) -> Result<Vec<LotEvaluation>, BiddingError> {
    rules.validate()?;
    let (ids, lot_idx) = sorted_lot_ids(lots)?;
    let mut bid_ids: Vec<_> = bids.iter().map(|b| b.id).collect();
    bid_ids.sort_unstable();
    for w in bid_ids.windows(2) {
        if w[0] == w[1] {
            return Err(BiddingError::DuplicateBid(w[0]));
        }
    }
    let Groups { order, ranges } =
        group_by_lot(&ids, bids, |b| b.lot_id).map_err(|i| BiddingError::UnknownLot {
            bid: bids[i].id,
            lot: bids[i].lot_id,
        })?;
    let mut accepted: Vec<(LotId, SupplierId)> = accepted_revivals.to_vec();
    accepted.sort_unstable();
    let mut out = Vec::with_capacity(lots.len());
    let mut lot_accepted: Vec<SupplierId> = Vec::new();
    let mut memo = FactorMemo::default();
    for (p, range) in ranges.into_iter().enumerate() {
        let lot = &lots[lot_idx[p]];
        let lot_bids = order[range].iter().map(|&i| &bids[i]);
        let eval = evaluate_lot_memo(lot, lot_bids.clone(), context, rules, &mut memo)?;
        lot_accepted.clear();
        lot_accepted.extend(
            accepted
                .iter()
                .filter(|(l, _)| *l == lot.id)
                .map(|(_, s)| *s),
        );
        let eval = if lot_accepted.is_empty() {
            eval
        } else {
            apply_revival(&eval, lot_bids, &lot_accepted)?
        };
        out.push(eval);
    }
    Ok(out)
}

/// Evaluates and allocates a whole round.
pub fn run_round(input: &RoundInput) -> Result<RoundResult, BiddingError> {
    let evals = evaluate_round(
        &input.rules,
        &input.lots,
        &input.bids,
        &input.context,
        &input.accepted_revivals,
    )?;
    let (ids, lot_idx) = sorted_lot_ids(&input.lots)?;
    let Groups { order, ranges } =
        group_by_lot(&ids, &input.demand, |d| d.lot_id).map_err(|i| {
            BiddingError::UnknownDemandLot {
                lot: input.demand[i].lot_id,
            }
        })?;
    let mut lots = Vec::with_capacity(evals.len());
    let mut demand: Vec<ProvinceDemand> = Vec::new();
    for (p, evaluation) in evals.into_iter().enumerate() {
        let lot = &input.lots[lot_idx[p]];
        demand.clear();
        demand.extend(order[ranges[p].clone()].iter().map(|&i| input.demand[i]));
        let allocation = allocate_lot(
            &evaluation,
            lot.volume_class,
            &demand,
            &input.rules,
            input.cycle_start,
        )?;
        lots.push(LotResult {
            evaluation,
            allocation,
        });
    }
    Ok(RoundResult { lots })
}
