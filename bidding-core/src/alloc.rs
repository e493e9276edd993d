//! Agreed volume and supply regions: the province draft, backups and contract
//! lines.

use serde::{Deserialize, Serialize};

use crate::date::Date;
use crate::error::BiddingError;
use crate::eval::{LotEvaluation, Winner};
use crate::ids::{BidId, LotId, ProvinceCode, SupplierId};
use crate::money::{Money, round_half_up};
use crate::rules::{RoundRules, VolumeClass};
use rust_decimal::Decimal;

/// A province's reported annual demand for a lot, in minimum units.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ProvinceDemand {
    pub lot_id: LotId,
    pub province: ProvinceCode,
    pub annual_demand: u64,
}

/// How a winner came to a province in the draft.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "by", rename_all = "snake_case")]
pub enum Pick {
    /// Its `position`-th preference (1-based).
    Preference { position: u32 },
    /// Preferences used up: the free province with the largest demand.
    LargestDemand,
}

/// A backup assignment for a province.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Backup {
    pub supplier_id: SupplierId,
    pub bid_id: BidId,
    /// The backup's own winning price per minimum unit.
    pub unit_price: crate::money::UnitPrice,
    pub pick: Pick,
}

/// One contract: (lot, winner, province).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ContractLine {
    pub lot_id: LotId,
    pub province: ProvinceCode,
    pub supplier_id: SupplierId,
    pub bid_id: BidId,
    /// Rank of the winner in the lot.
    pub rank: u32,
    /// The winner's price per minimum unit of its own specification.
    pub unit_price: crate::money::UnitPrice,
    pub annual_demand: u64,
    /// Demand x ratio, rounded half-up to whole units.
    pub agreed_volume: u64,
    /// Agreed volume x unit price, to the cent.
    pub annual_amount: Money,
    /// 1-based draft turn in which the province was taken.
    pub draft_turn: u32,
    pub pick: Pick,
    pub backup: Option<Backup>,
    pub cycle_start: Date,
    /// Last day of the cycle (inclusive).
    pub cycle_end: Date,
}

/// Allocation of a successful lot.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct LotAllocation {
    pub lot_id: LotId,
    pub winners: u32,
    pub volume_ratio: Decimal,
    pub cycle_years: u32,
    pub cycle_start: Date,
    pub cycle_end: Date,
    pub total_demand: u64,
    /// Sum of the lines' agreed volumes.
    pub agreed_volume: u64,
    pub annual_amount: Money,
    /// One line per province with demand, by province code.
    pub lines: Vec<ContractLine>,
}

impl ContractLine {
    /// The line when the winner cannot supply: the backup supplier takes
    /// over the province at its own winning price (same volume and cycle).
    /// `None` when the line has no backup.
    #[must_use]
    pub fn backup_takeover(&self) -> Option<ContractLine> {
        let b = self.backup?;
        Some(ContractLine {
            supplier_id: b.supplier_id,
            bid_id: b.bid_id,
            unit_price: b.unit_price,
            annual_amount: Money::line_amount(self.agreed_volume, b.unit_price),
            backup: None,
            ..self.clone()
        })
    }
}

/// Renewal: next year's agreed volume is never below this year's.
#[must_use]
pub fn renewal_agreed_volume(this_year: u64, next_year_computed: u64) -> u64 {
    this_year.max(next_year_computed)
}

/// Agreed volume of one province: demand x ratio, rounded half-up.
pub fn agreed_volume(demand: u64, ratio: Decimal) -> Result<u64, BiddingError> {
    let v = Decimal::from(demand)
        .checked_mul(ratio)
        .ok_or(BiddingError::Overflow)?;
    u64::try_from(round_half_up(v, 0)).map_err(|_| BiddingError::Overflow)
}

struct Prov {
    code: ProvinceCode,
    demand: u64,
    primary: Option<(usize, u32, Pick)>, // winner index, draft turn, pick
    backup: Option<(usize, Pick)>,
}

/// Next pick for `winner` among provinces where `free(i)` holds: its highest
/// preference still free, else the free province with the largest demand
/// (ties: lower code). `by_demand` lists province indices by demand desc,
/// code asc.
fn pick_for(
    winner: &Winner,
    provs: &[Prov],
    by_demand: &[usize],
    free: impl Fn(usize) -> bool,
) -> Option<(usize, Pick)> {
    for (pos, code) in winner.province_preferences.iter().enumerate() {
        if let Ok(i) = provs.binary_search_by_key(code, |p| p.code)
            && free(i)
        {
            return Some((
                i,
                Pick::Preference {
                    position: pos as u32 + 1,
                },
            ));
        }
    }
    by_demand
        .iter()
        .copied()
        .find(|&i| free(i))
        .map(|i| (i, Pick::LargestDemand))
}

/// Allocates a lot: volume ratio and cycle from the number of winners, the
/// province draft (1, 2, ..., n, 1, 2, ...), then backups, then one contract
/// line per province with demand. `demand` holds this lot's rows only.
/// Returns `None` for an unsuccessful lot.
///
/// Backups: with two or more winners, a second draft in the same order gives
/// every province exactly one backup, never its own primary supplier; on its
/// turn a winner takes its highest preference still needing a backup (and not
/// its own), else the largest such demand; a winner with nothing to take
/// passes. With one winner there are no backups.
pub fn allocate_lot(
    eval: &LotEvaluation,
    volume_class: VolumeClass,
    demand: &[ProvinceDemand],
    rules: &RoundRules,
    cycle_start: Date,
) -> Result<Option<LotAllocation>, BiddingError> {
    let winners = &eval.winners;
    if winners.is_empty() {
        return Ok(None);
    }
    let n = winners.len();
    let step = rules.volume.step_for(volume_class, n as u32)?;
    let years = i32::try_from(step.cycle_years).map_err(|_| BiddingError::Overflow)?;
    let cycle_end = cycle_start.add_years(years)?.add_days(-1)?;

    let mut provs: Vec<Prov> = demand
        .iter()
        .filter(|d| d.annual_demand > 0)
        .map(|d| {
            if d.lot_id != eval.lot_id {
                Err(BiddingError::UnknownDemandLot { lot: d.lot_id })
            } else {
                Ok(Prov {
                    code: d.province,
                    demand: d.annual_demand,
                    primary: None,
                    backup: None,
                })
            }
        })
        .collect::<Result<_, _>>()?;
    provs.sort_unstable_by_key(|p| p.code);
    for w in provs.windows(2) {
        if w[0].code == w[1].code {
            return Err(BiddingError::DuplicateDemand {
                lot: eval.lot_id,
                province: w[0].code,
            });
        }
    }
    let mut by_demand: Vec<usize> = (0..provs.len()).collect();
    by_demand.sort_unstable_by(|&a, &b| {
        provs[b]
            .demand
            .cmp(&provs[a].demand)
            .then(provs[a].code.cmp(&provs[b].code))
    });

    // Primary draft.
    let mut left = provs.len();
    let mut turn = 0u32;
    while left > 0 {
        let w = turn as usize % n;
        turn += 1;
        if let Some((i, pick)) = pick_for(&winners[w], &provs, &by_demand, |i| {
            provs[i].primary.is_none()
        }) {
            provs[i].primary = Some((w, turn, pick));
            left -= 1;
        }
    }

    // Backup draft.
    if n >= 2 {
        let mut left = provs.len();
        let mut turn = 0usize;
        let mut idle = 0usize;
        while left > 0 && idle < n {
            let w = turn % n;
            turn += 1;
            let choice = pick_for(&winners[w], &provs, &by_demand, |i| {
                provs[i].backup.is_none() && provs[i].primary.is_some_and(|(p, _, _)| p != w)
            });
            match choice {
                Some((i, pick)) => {
                    provs[i].backup = Some((w, pick));
                    left -= 1;
                    idle = 0;
                }
                None => idle += 1,
            }
        }
    }

    let mut lines = Vec::with_capacity(provs.len());
    let mut total_demand = 0u64;
    let mut agreed_total = 0u64;
    let mut amount_total = Money::ZERO;
    for p in &provs {
        let Some((w, draft_turn, pick)) = p.primary else {
            continue;
        };
        let win = &winners[w];
        let agreed = agreed_volume(p.demand, step.ratio)?;
        let amount = Money::line_amount(agreed, win.unit_price);
        total_demand = total_demand
            .checked_add(p.demand)
            .ok_or(BiddingError::Overflow)?;
        agreed_total = agreed_total
            .checked_add(agreed)
            .ok_or(BiddingError::Overflow)?;
        amount_total = amount_total.checked_add(amount)?;
        lines.push(ContractLine {
            lot_id: eval.lot_id,
            province: p.code,
            supplier_id: win.supplier_id,
            bid_id: win.bid_id,
            rank: win.rank,
            unit_price: win.unit_price,
            annual_demand: p.demand,
            agreed_volume: agreed,
            annual_amount: amount,
            draft_turn,
            pick,
            backup: p.backup.map(|(b, pick)| Backup {
                supplier_id: winners[b].supplier_id,
                bid_id: winners[b].bid_id,
                unit_price: winners[b].unit_price,
                pick,
            }),
            cycle_start,
            cycle_end,
        });
    }
    Ok(Some(LotAllocation {
        lot_id: eval.lot_id,
        winners: n as u32,
        volume_ratio: step.ratio,
        cycle_years: step.cycle_years,
        cycle_start,
        cycle_end,
        total_demand,
        agreed_volume: agreed_total,
        annual_amount: amount_total,
        lines,
    }))
}
