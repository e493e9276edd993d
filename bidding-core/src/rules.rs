//! Round rules as data. A round stores its [`RoundRules`] (as JSON), so its
//! results can be recomputed years later with exactly the rules it ran under.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::BiddingError;
use crate::money::UnitPrice;
use crate::spec::FormClass;
use crate::ucp::ComparisonRules;

/// An absolute UCP threshold for one class of dosage forms.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct FormThreshold {
    pub class: FormClass,
    pub ucp: UnitPrice,
}

/// The batch-10 "revival": a valid non-winner may still win by accepting the
/// revival price.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RevivalRule {
    /// With a single winner the revival UCP is this ratio x its UCP (1.8);
    /// otherwise it is the highest winning UCP.
    pub single_winner_ratio: Decimal,
    /// Revived winners count against the max-winners cap.
    pub within_max_winners: bool,
}

/// How winners are selected among the valid bids of a lot, ranked by UCP.
/// Every bound is inclusive ("UCP <= limit").
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "preset", rename_all = "snake_case")]
pub enum SelectionRule {
    /// 4+7 pilot: the single lowest bid wins (with the pilot's minimum of 3
    /// bidders and a cap of 1 winner).
    Pilot,
    /// Batch 7: a bid wins if ANY of: UCP <= ratio x lowest UCP;
    /// UCP <= absolute threshold; UCP <= fraction x the lot's ceiling UCP.
    Batch7 {
        ratio_to_lowest: Decimal,
        absolute_ucp: Option<UnitPrice>,
        ceiling_fraction: Option<Decimal>,
    },
    /// Batch 10: UCP <= ratio x lowest UCP, or <= an absolute threshold set by
    /// dosage-form class; optional revival.
    Batch10 {
        ratio_to_lowest: Decimal,
        absolute_by_form: Vec<FormThreshold>,
        revival: Option<RevivalRule>,
    },
    /// Batch 11: anchor = max(lowest UCP, fraction x average valid UCP); a bid
    /// above ratio x anchor is out, except oral solids at or below the
    /// exemption UCP.
    Batch11 {
        ratio_to_anchor: Decimal,
        average_fraction: Decimal,
        oral_solid_exempt_ucp: Option<UnitPrice>,
    },
}

/// The maximum number of winners of a lot given its number of valid bidders.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MaxWinners {
    /// The same cap whatever the number of bidders.
    Fixed { max: u32 },
    /// `by_bidders[i]` is the cap with `i + 1` valid bidders; the last entry
    /// applies to every larger count.
    Table { by_bidders: Vec<u32> },
}

/// Batch 10 table, 1..=16 bidders.
pub const BATCH10_MAX_WINNERS: [u32; 16] = [1, 2, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 9, 10];
/// Batch 9 table, 1..=16 bidders.
pub const BATCH9_MAX_WINNERS: [u32; 16] = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10, 10];

impl MaxWinners {
    /// The batch 10 table.
    #[must_use]
    pub fn batch10() -> Self {
        MaxWinners::Table {
            by_bidders: BATCH10_MAX_WINNERS.to_vec(),
        }
    }

    /// The batch 9 variant.
    #[must_use]
    pub fn batch9() -> Self {
        MaxWinners::Table {
            by_bidders: BATCH9_MAX_WINNERS.to_vec(),
        }
    }

    /// The cap for `valid_bidders` valid bidders (0 with none), never more
    /// than the number of bidders.
    #[must_use]
    pub fn for_bidders(&self, valid_bidders: u32) -> u32 {
        if valid_bidders == 0 {
            return 0;
        }
        let cap = match self {
            MaxWinners::Fixed { max } => *max,
            MaxWinners::Table { by_bidders } => {
                let i = (valid_bidders as usize - 1).min(by_bidders.len().saturating_sub(1));
                by_bidders.get(i).copied().unwrap_or(0)
            }
        };
        cap.min(valid_bidders)
    }
}

/// Tie-break between bids of equal UCP. The bid id is always the final key,
/// so that results never depend on input order.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TieBreak {
    /// Larger declared annual supply capacity first.
    LargerCapacity,
    /// Earlier final submission first.
    EarlierSubmission,
}

/// One row of a volume table: from `winners` winners on (until the next
/// row), the agreed volume is `ratio` x demand and the cycle lasts
/// `cycle_years`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct VolumeStep {
    pub winners: u32,
    pub ratio: Decimal,
    pub cycle_years: u32,
}

/// Which volume table a lot uses.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum VolumeClass {
    #[default]
    Standard,
    SpecialAntibacterial,
}

/// Agreed-volume ratio and cycle length by number of winners.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct VolumeRules {
    pub standard: Vec<VolumeStep>,
    pub special_antibacterial: Vec<VolumeStep>,
}

fn step(winners: u32, pct: i64, cycle_years: u32) -> VolumeStep {
    VolumeStep {
        winners,
        ratio: Decimal::new(pct, 2),
        cycle_years,
    }
}

impl Default for VolumeRules {
    /// Batch 7: 50/60/70/80 % and 1/1/2/3 years; special antibacterials
    /// 30/40/50 % with the same cycles.
    fn default() -> Self {
        VolumeRules {
            standard: vec![
                step(1, 50, 1),
                step(2, 60, 1),
                step(3, 70, 2),
                step(4, 80, 3),
            ],
            special_antibacterial: vec![
                step(1, 30, 1),
                step(2, 40, 1),
                step(3, 50, 2),
                step(4, 50, 3),
            ],
        }
    }
}

impl VolumeRules {
    /// One ratio and cycle whatever the number of winners (consumables rounds
    /// set their own, e.g. 0.90 for joints 2021).
    #[must_use]
    pub fn flat(ratio: Decimal, cycle_years: u32) -> Self {
        let s = VolumeStep {
            winners: 1,
            ratio,
            cycle_years,
        };
        VolumeRules {
            standard: vec![s],
            special_antibacterial: vec![s],
        }
    }

    /// The step that applies to `winners` winners of a lot of `class`.
    pub fn step_for(&self, class: VolumeClass, winners: u32) -> Result<VolumeStep, BiddingError> {
        let table = match class {
            VolumeClass::Standard => &self.standard,
            VolumeClass::SpecialAntibacterial => &self.special_antibacterial,
        };
        table
            .iter()
            .filter(|s| s.winners <= winners)
            .max_by_key(|s| s.winners)
            .copied()
            .ok_or_else(|| {
                BiddingError::InvalidRules(format!("no volume ratio for {winners} winner(s)"))
            })
    }
}

/// Eligibility settings.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct EligibilityRules {
    /// Drugs must be originator, reference listed drug or consistency-passed.
    pub require_consistency: bool,
    /// Only a supplier's best-ranked valid bid in a lot counts.
    pub one_bid_per_supplier: bool,
}

impl Default for EligibilityRules {
    fn default() -> Self {
        EligibilityRules {
            require_consistency: true,
            one_bid_per_supplier: true,
        }
    }
}

/// Payment settings.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct SettlementRules {
    /// Payment is due this many days after acceptance (30).
    pub payment_days: u32,
    /// Prepayment is at least this share of the annual agreed amount (0.30).
    pub min_prepayment_ratio: Decimal,
}

impl Default for SettlementRules {
    fn default() -> Self {
        SettlementRules {
            payment_days: 30,
            min_prepayment_ratio: Decimal::new(30, 2),
        }
    }
}

/// After the award: how long suppliers may object to the result, and how long a supplier
/// has to ship a confirmed order before it counts as a supply problem.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct OversightRules {
    /// A supplier may object from the publication day through this many days after it (7).
    pub objection_days: u32,
    /// A confirmed order not wholly shipped this many days after its confirmation is a
    /// supply problem (7).
    pub delivery_days: u32,
}

impl Default for OversightRules {
    fn default() -> Self {
        OversightRules {
            objection_days: 7,
            delivery_days: 7,
        }
    }
}

/// Everything a round's evaluation depends on.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct RoundRules {
    pub selection: SelectionRule,
    pub max_winners: MaxWinners,
    /// A lot with fewer valid bidders is unsuccessful.
    pub min_bidders: u32,
    /// Applied in order after UCP; then bid id.
    pub tie_break: Vec<TieBreak>,
    pub comparison: ComparisonRules,
    pub eligibility: EligibilityRules,
    pub volume: VolumeRules,
    pub settlement: SettlementRules,
    /// Rules of a round published before these existed take the defaults.
    #[serde(default)]
    pub oversight: OversightRules,
}

fn d(n: i64, scale: u32) -> Decimal {
    Decimal::new(n, scale)
}

fn up(n: i64, scale: u32) -> UnitPrice {
    // Constants below are valid prices by construction.
    UnitPrice::round(Decimal::new(n, scale)).unwrap_or(UnitPrice::ZERO)
}

impl RoundRules {
    fn base(selection: SelectionRule, max_winners: MaxWinners, min_bidders: u32) -> Self {
        RoundRules {
            selection,
            max_winners,
            min_bidders,
            tie_break: vec![TieBreak::LargerCapacity, TieBreak::EarlierSubmission],
            comparison: ComparisonRules::default(),
            eligibility: EligibilityRules::default(),
            volume: VolumeRules::default(),
            settlement: SettlementRules::default(),
            oversight: OversightRules::default(),
        }
    }

    /// 4+7 pilot: single lowest wins, at least 3 bidders.
    #[must_use]
    pub fn pilot() -> Self {
        Self::base(SelectionRule::Pilot, MaxWinners::Fixed { max: 1 }, 3)
    }

    /// Batch 7: 1.8 x lowest, or <= 0.10 yuan, or <= 50 % of the ceiling;
    /// max 10 winners.
    #[must_use]
    pub fn batch7() -> Self {
        Self::base(
            SelectionRule::Batch7 {
                ratio_to_lowest: d(18, 1),
                absolute_ucp: Some(up(10, 2)),
                ceiling_fraction: Some(d(50, 2)),
            },
            MaxWinners::Fixed { max: 10 },
            1,
        )
    }

    /// Batch 10: 1.8 x lowest or <= 0.10 yuan for oral solids; revival at
    /// the highest winning UCP; the batch-10 max-winners table.
    #[must_use]
    pub fn batch10() -> Self {
        Self::base(
            SelectionRule::Batch10 {
                ratio_to_lowest: d(18, 1),
                absolute_by_form: vec![FormThreshold {
                    class: FormClass::OralSolid,
                    ucp: up(10, 2),
                }],
                revival: Some(RevivalRule {
                    single_winner_ratio: d(18, 1),
                    within_max_winners: true,
                }),
            },
            MaxWinners::batch10(),
            1,
        )
    }

    /// Batch 11: anchor = max(lowest, 50 % of the average); out above 1.8 x
    /// anchor; oral solids <= 0.10 yuan exempt; the batch-10 table.
    #[must_use]
    pub fn batch11() -> Self {
        Self::base(
            SelectionRule::Batch11 {
                ratio_to_anchor: d(18, 1),
                average_fraction: d(50, 2),
                oral_solid_exempt_ucp: Some(up(10, 2)),
            },
            MaxWinners::batch10(),
            1,
        )
    }

    /// Checks that the rules make sense; the API calls this when a round's
    /// rules are set.
    pub fn validate(&self) -> Result<(), BiddingError> {
        let bad = |m: String| Err(BiddingError::InvalidRules(m));
        match &self.selection {
            SelectionRule::Pilot => {}
            SelectionRule::Batch7 {
                ratio_to_lowest,
                ceiling_fraction,
                ..
            } => {
                if *ratio_to_lowest < Decimal::ONE {
                    return bad(format!("ratio_to_lowest {ratio_to_lowest} must be >= 1"));
                }
                if let Some(f) = ceiling_fraction
                    && (*f <= Decimal::ZERO || *f > Decimal::ONE)
                {
                    return bad(format!("ceiling_fraction {f} must be in (0, 1]"));
                }
            }
            SelectionRule::Batch10 {
                ratio_to_lowest,
                revival,
                ..
            } => {
                if *ratio_to_lowest < Decimal::ONE {
                    return bad(format!("ratio_to_lowest {ratio_to_lowest} must be >= 1"));
                }
                if let Some(r) = revival
                    && r.single_winner_ratio < Decimal::ONE
                {
                    return bad(format!(
                        "single_winner_ratio {} must be >= 1",
                        r.single_winner_ratio
                    ));
                }
            }
            SelectionRule::Batch11 {
                ratio_to_anchor,
                average_fraction,
                ..
            } => {
                if *ratio_to_anchor < Decimal::ONE {
                    return bad(format!("ratio_to_anchor {ratio_to_anchor} must be >= 1"));
                }
                if *average_fraction <= Decimal::ZERO || *average_fraction > Decimal::ONE {
                    return bad(format!(
                        "average_fraction {average_fraction} must be in (0, 1]"
                    ));
                }
            }
        }
        match &self.max_winners {
            MaxWinners::Fixed { max } if *max == 0 => return bad("max winners must be >= 1".into()),
            MaxWinners::Table { by_bidders }
                if by_bidders.is_empty() || by_bidders.contains(&0) =>
            {
                return bad("max-winners table must be non-empty with entries >= 1".into());
            }
            _ => {}
        }
        if self.min_bidders == 0 {
            return bad("min_bidders must be >= 1".into());
        }
        for (name, table) in [
            ("standard", &self.volume.standard),
            ("special_antibacterial", &self.volume.special_antibacterial),
        ] {
            if !table.iter().any(|s| s.winners <= 1) {
                return bad(format!("{name} volume table must start at 1 winner"));
            }
            for s in table {
                if s.ratio <= Decimal::ZERO || s.ratio > Decimal::ONE || s.cycle_years == 0 {
                    return bad(format!(
                        "{name} volume step for {} winners: ratio must be in (0, 1] and cycle >= 1 year",
                        s.winners
                    ));
                }
            }
        }
        let c = &self.comparison;
        for (name, b) in [
            ("strength_base", c.strength_base),
            ("fill_volume_base", c.fill_volume_base),
            ("pack_count_base", c.pack_count_base),
        ] {
            if b <= Decimal::ZERO {
                return bad(format!("{name} must be positive"));
            }
        }
        let s = &self.settlement;
        if s.min_prepayment_ratio < Decimal::ZERO || s.min_prepayment_ratio > Decimal::ONE {
            return bad("min_prepayment_ratio must be in [0, 1]".into());
        }
        let o = &self.oversight;
        if !(1..=90).contains(&o.objection_days) {
            return bad("objection_days must be 1 to 90".into());
        }
        if !(1..=90).contains(&o.delivery_days) {
            return bad("delivery_days must be 1 to 90".into());
        }
        Ok(())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn max_winners_batch10_at_every_bidder_count() {
        let t = MaxWinners::batch10();
        let want = [1, 2, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 9, 10];
        assert_eq!(t.for_bidders(0), 0);
        for (i, w) in want.iter().enumerate() {
            assert_eq!(t.for_bidders(i as u32 + 1), *w, "{} bidders", i + 1);
        }
        for n in [16, 17, 39, 100] {
            assert_eq!(t.for_bidders(n), 10);
        }
    }

    #[test]
    fn max_winners_batch9_at_every_bidder_count() {
        let t = MaxWinners::batch9();
        let want = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10, 10];
        for (i, w) in want.iter().enumerate() {
            assert_eq!(t.for_bidders(i as u32 + 1), *w, "{} bidders", i + 1);
        }
        assert_eq!(t.for_bidders(40), 10);
    }

    #[test]
    fn fixed_cap_never_exceeds_bidders() {
        let f = MaxWinners::Fixed { max: 10 };
        assert_eq!(f.for_bidders(3), 3);
        assert_eq!(f.for_bidders(30), 10);
    }

    #[test]
    fn volume_50_60_70_80() {
        let v = VolumeRules::default();
        let got: Vec<_> = (1..=6)
            .map(|w| {
                let s = v.step_for(VolumeClass::Standard, w).unwrap();
                (s.ratio, s.cycle_years)
            })
            .collect();
        assert_eq!(
            got,
            vec![
                (dec!(0.50), 1),
                (dec!(0.60), 1),
                (dec!(0.70), 2),
                (dec!(0.80), 3),
                (dec!(0.80), 3),
                (dec!(0.80), 3)
            ]
        );
        let a: Vec<_> = (1..=4)
            .map(|w| {
                v.step_for(VolumeClass::SpecialAntibacterial, w)
                    .unwrap()
                    .ratio
            })
            .collect();
        assert_eq!(a, vec![dec!(0.30), dec!(0.40), dec!(0.50), dec!(0.50)]);
        assert!(v.step_for(VolumeClass::Standard, 0).is_err());
        assert_eq!(
            VolumeRules::flat(dec!(0.9), 2)
                .step_for(VolumeClass::Standard, 7)
                .unwrap()
                .ratio,
            dec!(0.9)
        );
    }

    #[test]
    fn presets_validate_and_roundtrip_through_json() {
        for r in [
            RoundRules::pilot(),
            RoundRules::batch7(),
            RoundRules::batch10(),
            RoundRules::batch11(),
        ] {
            r.validate().unwrap();
            let json = serde_json::to_string(&r).unwrap();
            let back: RoundRules = serde_json::from_str(&json).unwrap();
            assert_eq!(back, r);
        }
        let json = serde_json::to_value(RoundRules::batch7()).unwrap();
        assert_eq!(json["selection"]["preset"], "batch7");
        assert_eq!(json["selection"]["ratio_to_lowest"], "1.8");
        assert_eq!(json["selection"]["absolute_ucp"], "0.1000");
    }

    #[test]
    fn invalid_rules_are_rejected() {
        let mut r = RoundRules::batch7();
        r.min_bidders = 0;
        assert!(r.validate().is_err());
        let mut r = RoundRules::batch10();
        r.max_winners = MaxWinners::Table { by_bidders: vec![] };
        assert!(r.validate().is_err());
        let mut r = RoundRules::batch11();
        r.volume.standard[0].ratio = dec!(1.5);
        assert!(r.validate().is_err());
        let mut r = RoundRules::batch7();
        r.selection = SelectionRule::Batch7 {
            ratio_to_lowest: dec!(0.9),
            absolute_ucp: None,
            ceiling_fraction: None,
        };
        assert!(r.validate().is_err());
    }
}
