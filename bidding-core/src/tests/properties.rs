use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::alloc::{ProvinceDemand, agreed_volume, allocate_lot};
use crate::date::Date;
use crate::eval::*;
use crate::rules::{RoundRules, SelectionRule, VolumeClass};
use crate::ucp::comparable_price;

const PROVINCES: [u32; 31] = [
    110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000, 340000,
    350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000, 510000, 520000,
    530000, 540000, 610000, 620000, 630000, 640000, 650000,
];

#[derive(Debug, Clone)]
struct Scenario {
    rules: RoundRules,
    lot: Lot,
    bids: Vec<Bid>,
    ctx: EligibilityContext,
    demand: Vec<ProvinceDemand>,
}

fn arb_rules() -> impl Strategy<Value = RoundRules> {
    (0..4u8, 1..4u32).prop_map(|(p, min)| {
        let mut r = match p {
            0 => RoundRules::pilot(),
            1 => RoundRules::batch7(),
            2 => RoundRules::batch10(),
            _ => RoundRules::batch11(),
        };
        r.min_bidders = min;
        r
    })
}

prop_compose! {
    fn arb_bid()(
        price in 100i64..=60_000,
        mg in prop::sample::select(vec!["5", "10", "20", "40", "15", "30"]),
        capacity in 1u64..=3,
        submitted in 0i64..4,
        supplier in 1i64..=14,
        flaw in 0u8..20,
        item_ceiling in prop::option::weighted(0.2, 1000i64..=40_000),
        prefs in prop::collection::vec(prop::sample::select(PROVINCES.to_vec()), 0..6),
    ) -> Bid {
        let mut b = bid(0, "1");
        b.supplier_id = SupplierId(supplier);
        b.unit_price = UnitPrice::new(Decimal::new(price, 4)).unwrap();
        b.annual_capacity = capacity * 1000;
        b.submitted_at = Timestamp(submitted);
        let mut p = product(mg);
        p.ceiling = item_ceiling.map(|c| UnitPrice::new(Decimal::new(c, 4)).unwrap());
        match flaw {
            0 => b.product = None,
            1 => p.consistency = Some(Consistency::NotPassed),
            2 => p.generic_name = "other".into(),
            _ => {}
        }
        if b.product.is_some() {
            b.product = Some(p);
        }
        b.province_preferences = prefs.into_iter().map(ProvinceCode).collect();
        b
    }
}

prop_compose! {
    fn arb_scenario()(
        rules in arb_rules(),
        ceiling in prop::option::weighted(0.6, 10_000i64..=40_000),
        rep in prop::sample::select(vec!["10", "20"]),
        bids in prop::collection::vec(arb_bid(), 0..40),
        barred in prop::collection::vec(1i64..=14, 0..3),
        demand in prop::collection::vec(prop::option::weighted(0.8, 0u64..=2_000_000), 31),
    ) -> Scenario {
        let mut lot = lot(None);
        lot.representative = tablet(rep);
        lot.ceiling_ucp = ceiling.map(|c| UnitPrice::new(Decimal::new(c, 4)).unwrap());
        let bids = bids
            .into_iter()
            .enumerate()
            .map(|(i, mut b)| {
                b.id = BidId(i as i64 + 1);
                b
            })
            .collect();
        let mut ctx = EligibilityContext::default();
        for s in barred {
            ctx.excluded.insert(SupplierId(s), Exclusion::Barred { until: None });
        }
        let demand = PROVINCES
            .iter()
            .zip(demand)
            .filter_map(|(p, d)| {
                d.map(|d| ProvinceDemand {
                    lot_id: LotId(1),
                    province: ProvinceCode(*p),
                    annual_demand: d,
                })
            })
            .collect();
        Scenario { rules, lot, bids, ctx, demand }
    }
}

/// An independent statement of validity (eligibility and ceiling).
fn is_valid(s: &Scenario, b: &Bid) -> bool {
    let Some(p) = &b.product else { return false };
    if p.generic_name != s.lot.generic_name
        || p.consistency.is_none_or(|c| c == Consistency::NotPassed)
        || s.ctx.excluded.contains_key(&b.supplier_id)
        || b.unit_price.is_zero()
    {
        return false;
    }
    let ucp = comparable_price(
        b.unit_price,
        &p.spec,
        &s.lot.representative,
        &s.rules.comparison,
    )
    .unwrap();
    match (p.ceiling, s.lot.ceiling_ucp) {
        (Some(c), _) => b.unit_price <= c,
        (None, Some(c)) => ucp <= c,
        (None, None) => true,
    }
}

fn shuffled<T: Clone>(v: &[T], seed: u64) -> Vec<T> {
    let mut out = v.to_vec();
    let mut x = seed | 1;
    for i in (1..out.len()).rev() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let j = (x % (i as u64 + 1)) as usize;
        out.swap(i, j);
    }
    out
}

fn evaluate(s: &Scenario, bids: &[Bid]) -> LotEvaluation {
    evaluate_lot(&s.lot, bids, &s.ctx, &s.rules).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, ..ProptestConfig::default() })]

    #[test]
    fn no_invalid_bid_ever_wins(s in arb_scenario()) {
        let e = evaluate(&s, &s.bids);
        let by_id: BTreeMap<BidId, &Bid> = s.bids.iter().map(|b| (b.id, b)).collect();
        prop_assert!(e.winners.len() as u32 <= e.max_winners);
        for w in &e.winners {
            prop_assert!(is_valid(&s, by_id[&w.bid_id]), "invalid winner {:?}", w);
            prop_assert!(w.ucp.value() <= e.selection_limit.unwrap());
        }
        // every valid bid has a rank; suppliers win at most once
        let mut suppliers: Vec<_> = e.winners.iter().map(|w| w.supplier_id).collect();
        suppliers.sort_unstable();
        suppliers.dedup();
        prop_assert_eq!(suppliers.len(), e.winners.len());
        prop_assert_eq!(e.bids.len(), s.bids.len());
        for r in &e.bids {
            if !is_valid(&s, by_id[&r.bid_id]) {
                prop_assert!(r.rank.is_none() && !r.outcome.is_won());
            }
        }
        // winners are the best ranks
        for (i, w) in e.winners.iter().enumerate() {
            prop_assert_eq!(w.rank, i as u32 + 1);
        }
    }

    #[test]
    fn result_does_not_depend_on_input_order(s in arb_scenario(), seed in any::<u64>()) {
        let a = evaluate(&s, &s.bids);
        let b = evaluate(&s, &shuffled(&s.bids, seed));
        prop_assert_eq!(&a, &b);
        let start = Date::from_ymd(2026, 1, 1).unwrap();
        let x = allocate_lot(&a, VolumeClass::Standard, &s.demand, &s.rules, start).unwrap();
        let y = allocate_lot(&b, VolumeClass::Standard, &shuffled(&s.demand, seed ^ 0xabcd), &s.rules, start)
            .unwrap();
        prop_assert_eq!(x, y);
    }

    #[test]
    fn every_province_with_demand_gets_exactly_one_primary_and_volumes_sum(s in arb_scenario()) {
        let e = evaluate(&s, &s.bids);
        let start = Date::from_ymd(2026, 1, 1).unwrap();
        let Some(a) = allocate_lot(&e, VolumeClass::Standard, &s.demand, &s.rules, start).unwrap() else {
            prop_assert!(e.winners.is_empty());
            return Ok(());
        };
        let with_demand: Vec<ProvinceCode> = s
            .demand
            .iter()
            .filter(|d| d.annual_demand > 0)
            .map(|d| d.province)
            .collect();
        let mut lines: Vec<ProvinceCode> = a.lines.iter().map(|l| l.province).collect();
        lines.sort_unstable();
        let mut want = with_demand.clone();
        want.sort_unstable();
        prop_assert_eq!(lines, want);
        let expected: u64 = s
            .demand
            .iter()
            .map(|d| agreed_volume(d.annual_demand, a.volume_ratio).unwrap())
            .sum();
        prop_assert_eq!(a.lines.iter().map(|l| l.agreed_volume).sum::<u64>(), a.agreed_volume);
        prop_assert_eq!(a.agreed_volume, expected);
        let n = e.winners.len();
        for l in &a.lines {
            let w = e.winners.iter().find(|w| w.supplier_id == l.supplier_id).unwrap();
            prop_assert_eq!(l.unit_price, w.unit_price);
            match l.backup {
                Some(b) => prop_assert!(n >= 2 && b.supplier_id != l.supplier_id),
                None => prop_assert_eq!(n, 1),
            }
        }
        // with at least as many provinces as winners, every winner supplies one
        if with_demand.len() >= n {
            for w in &e.winners {
                prop_assert!(a.lines.iter().any(|l| l.supplier_id == w.supplier_id));
            }
        }
    }

    #[test]
    fn revival_never_pays_above_the_highest_winning_ucp(s in arb_scenario(), accept in any::<u64>()) {
        let mut s = s;
        s.rules = RoundRules::batch10();
        if let SelectionRule::Batch10 { revival: Some(r), .. } = &mut s.rules.selection {
            r.within_max_winners = accept % 2 == 0;
        }
        let e = evaluate(&s, &s.bids);
        let Some(offer) = &e.revival else { return Ok(()); };
        let highest = e.highest_winning_ucp.unwrap();
        if e.winners.len() >= 2 {
            prop_assert_eq!(offer.ucp, highest);
        } else {
            prop_assert!(offer.ucp.value() <= Decimal::new(18, 1) * highest.value());
        }
        let accepted: Vec<SupplierId> = offer
            .candidates
            .iter()
            .enumerate()
            .filter(|(i, _)| accept >> (i % 64) & 1 == 1)
            .map(|(_, c)| c.supplier_id)
            .collect();
        let after = apply_revival(&e, &s.bids, &accepted).unwrap();
        let by_id: BTreeMap<BidId, &Bid> = s.bids.iter().map(|b| (b.id, b)).collect();
        for w in after.winners.iter().filter(|w| matches!(w.admitted_by, Admission::Revival { .. })) {
            prop_assert!(w.ucp <= offer.ucp);
            prop_assert!(w.unit_price <= by_id[&w.bid_id].unit_price);
            prop_assert!(is_valid(&s, by_id[&w.bid_id]));
            // recomputed from its own price, the UCP is still within the offer
            let p = by_id[&w.bid_id].product.as_ref().unwrap();
            let ucp = comparable_price(w.unit_price, &p.spec, &s.lot.representative, &s.rules.comparison).unwrap();
            prop_assert!(ucp <= offer.ucp);
            if e.winners.len() >= 2 {
                prop_assert!(ucp <= highest);
            }
        }
        if offer.places != u32::MAX {
            prop_assert!(after.winners.len() as u32 <= e.max_winners);
        }
    }
}
