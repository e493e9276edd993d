use super::*;
use crate::alloc::*;
use crate::date::Date;
use crate::error::BiddingError;
use crate::eval::*;
use crate::money::Money;
use crate::rules::{RoundRules, VolumeClass};
use crate::run::{RoundInput, run_round};

fn start() -> Date {
    Date::from_ymd(2026, 1, 1).unwrap()
}

fn demand(rows: &[(u32, u64)]) -> Vec<ProvinceDemand> {
    rows.iter()
        .map(|&(p, d)| ProvinceDemand {
            lot_id: LotId(1),
            province: prov(p),
            annual_demand: d,
        })
        .collect()
}

fn evaluated(n: i64) -> LotEvaluation {
    let bids: Vec<Bid> = (1..=n).map(|i| bid(i, &format!("1.{i:02}"))).collect();
    evaluate_lot(
        &lot(None),
        &bids,
        &EligibilityContext::default(),
        &RoundRules::batch7(),
    )
    .unwrap()
}

#[test]
fn volume_ratio_and_cycle_by_number_of_winners() {
    let want = [
        (1, "0.50", 500, 1, "2026-12-31"),
        (2, "0.60", 600, 1, "2026-12-31"),
        (3, "0.70", 700, 2, "2027-12-31"),
        (4, "0.80", 800, 3, "2028-12-31"),
        (7, "0.80", 800, 3, "2028-12-31"),
    ];
    for (n, ratio, volume, years, end) in want {
        let e = evaluated(n);
        assert_eq!(e.winners.len(), n as usize);
        let a = allocate_lot(
            &e,
            VolumeClass::Standard,
            &demand(&[(110000, 1000)]),
            &RoundRules::batch7(),
            start(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(a.volume_ratio, dec(ratio), "{n} winners");
        assert_eq!(a.agreed_volume, volume);
        assert_eq!(a.cycle_years, years);
        assert_eq!(a.cycle_end.to_string(), end);
        assert_eq!(a.lines[0].cycle_start, start());
    }
}

#[test]
fn special_antibacterials_use_30_40_50() {
    for (n, volume) in [(1, 300), (2, 400), (3, 500), (5, 500)] {
        let a = allocate_lot(
            &evaluated(n),
            VolumeClass::SpecialAntibacterial,
            &demand(&[(110000, 1000)]),
            &RoundRules::batch7(),
            start(),
        )
        .unwrap()
        .unwrap();
        assert_eq!(a.agreed_volume, volume, "{n} winners");
    }
}

#[test]
fn province_volume_rounds_half_up_to_whole_units_and_lot_sums_provinces() {
    assert_eq!(agreed_volume(1001, dec("0.5")).unwrap(), 501);
    assert_eq!(agreed_volume(1003, dec("0.7")).unwrap(), 702); // 702.1
    assert_eq!(agreed_volume(1005, dec("0.6")).unwrap(), 603);
    assert_eq!(agreed_volume(5, dec("0.3")).unwrap(), 2); // 1.5 -> 2
    let a = allocate_lot(
        &evaluated(1),
        VolumeClass::Standard,
        &demand(&[(110000, 1001), (310000, 1003), (440000, 1)]),
        &RoundRules::batch7(),
        start(),
    )
    .unwrap()
    .unwrap();
    // 500.5 -> 501, 501.5 -> 502, 0.5 -> 1
    assert_eq!(
        a.lines.iter().map(|l| l.agreed_volume).collect::<Vec<_>>(),
        vec![501, 502, 1]
    );
    assert_eq!(a.agreed_volume, 1004);
    assert_eq!(a.total_demand, 2005);
}

fn three_winners() -> (LotEvaluation, Vec<ProvinceDemand>) {
    let mut b1 = bid(1, "1.00");
    b1.province_preferences = vec![prov(310000), prov(110000)];
    let mut b2 = bid(2, "1.10");
    b2.province_preferences = vec![prov(310000), prov(440000)];
    let mut b3 = bid(3, "0.90");
    b3.product = Some(product("10")); // paid 0.90 per 10 mg tablet: UCP 1.53
    let e = evaluate_lot(
        &lot(None),
        &[b3, b2, b1],
        &EligibilityContext::default(),
        &RoundRules::batch7(),
    )
    .unwrap();
    let d = demand(&[
        (110000, 1000),
        (310000, 5000),
        (440000, 3000),
        (510000, 3000),
        (120000, 0),
        (650000, 200),
    ]);
    (e, d)
}

#[test]
fn draft_rank_order_preferences_then_largest_demand() {
    let (e3, d) = three_winners();
    assert_eq!(
        e3.winners.iter().map(|w| w.bid_id.0).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(e3.winners[2].ucp, price("1.53"));
    let a = allocate_lot(
        &e3,
        VolumeClass::Standard,
        &d,
        &RoundRules::batch7(),
        start(),
    )
    .unwrap()
    .unwrap();
    let by = |code: u32| a.lines.iter().find(|l| l.province == prov(code)).unwrap();
    // turn 1: rank 1 takes its first preference
    assert_eq!((by(310000).supplier_id.0, by(310000).draft_turn), (1, 1));
    assert_eq!(by(310000).pick, Pick::Preference { position: 1 });
    // turn 2: rank 2's first is gone, takes its second
    assert_eq!((by(440000).supplier_id.0, by(440000).draft_turn), (2, 2));
    assert_eq!(by(440000).pick, Pick::Preference { position: 2 });
    // turn 3: rank 3 has no preferences: largest free demand
    assert_eq!((by(510000).supplier_id.0, by(510000).draft_turn), (3, 3));
    assert_eq!(by(510000).pick, Pick::LargestDemand);
    // turn 4: rank 1 again, its second preference
    assert_eq!((by(110000).supplier_id.0, by(110000).draft_turn), (1, 4));
    // turn 5: rank 2, preferences used up, the only free province
    assert_eq!((by(650000).supplier_id.0, by(650000).draft_turn), (2, 5));
    // no line for a province without demand
    assert_eq!(a.lines.len(), 5);
    assert!(a.lines.iter().all(|l| l.province != prov(120000)));
    // 3 winners: 70 %, 2 years
    assert_eq!(
        a.lines.iter().map(|l| l.agreed_volume).collect::<Vec<_>>(),
        vec![700, 3500, 2100, 2100, 140]
    );
    assert_eq!(a.agreed_volume, 8540);
    // price in the winner's own spec, amount to the cent
    assert_eq!(by(510000).unit_price, price("0.90"));
    assert_eq!(
        by(510000).annual_amount,
        Money::new(dec("1890.00")).unwrap()
    );
    assert_eq!(
        a.annual_amount,
        a.lines.iter().map(|l| l.annual_amount).sum::<Money>()
    );
    // backups: 440000 (largest, rank 1), 310000 (rank 2's first preference),
    // 110000 (rank 3, largest left not its own), 510000 (rank 1), then
    // rank 2 cannot back up its own 650000 and passes; rank 3 takes it.
    let backup = |code: u32| by(code).backup.unwrap();
    assert_eq!(backup(440000).supplier_id.0, 1);
    assert_eq!(backup(440000).pick, Pick::LargestDemand);
    assert_eq!(backup(310000).supplier_id.0, 2);
    assert_eq!(backup(310000).pick, Pick::Preference { position: 1 });
    assert_eq!(backup(110000).supplier_id.0, 3);
    assert_eq!(backup(510000).supplier_id.0, 1);
    assert_eq!(backup(650000).supplier_id.0, 3);
    assert_eq!(backup(650000).unit_price, price("0.90"));
    for l in &a.lines {
        assert_ne!(l.backup.unwrap().supplier_id, l.supplier_id);
    }
    // rank 2 cannot supply 440000: its backup, rank 1, takes over at 1.00
    let t = by(440000).backup_takeover().unwrap();
    assert_eq!((t.supplier_id.0, t.unit_price), (1, price("1.00")));
    assert_eq!(t.agreed_volume, 2100);
    assert_eq!(t.annual_amount, Money::new(dec("2100.00")).unwrap());
    assert!(t.backup.is_none() && t.backup_takeover().is_none());
    assert_eq!(renewal_agreed_volume(2100, 1900), 2100);
    assert_eq!(renewal_agreed_volume(2100, 2500), 2500);
}

#[test]
fn demand_ties_go_to_the_lower_province_code() {
    let e = evaluated(1);
    let a = allocate_lot(
        &e,
        VolumeClass::Standard,
        &demand(&[(530000, 100), (130000, 100), (320000, 100)]),
        &RoundRules::batch7(),
        start(),
    )
    .unwrap()
    .unwrap();
    let turns: Vec<(u32, u32)> = a
        .lines
        .iter()
        .map(|l| (l.province.0, l.draft_turn))
        .collect();
    assert_eq!(turns, vec![(130000, 1), (320000, 2), (530000, 3)]);
    // a single winner has no backup
    assert!(a.lines.iter().all(|l| l.backup.is_none()));
}

#[test]
fn unsuccessful_lot_has_no_allocation_and_bad_demand_is_refused() {
    let e = evaluate_lot(
        &lot(Some("0.50")),
        &[bid(1, "0.60")],
        &EligibilityContext::default(),
        &RoundRules::batch7(),
    )
    .unwrap();
    assert_eq!(
        allocate_lot(
            &e,
            VolumeClass::Standard,
            &demand(&[(110000, 5)]),
            &RoundRules::batch7(),
            start()
        ),
        Ok(None)
    );
    assert_eq!(
        allocate_lot(
            &evaluated(2),
            VolumeClass::Standard,
            &demand(&[(110000, 5), (110000, 6)]),
            &RoundRules::batch7(),
            start()
        ),
        Err(BiddingError::DuplicateDemand {
            lot: LotId(1),
            province: prov(110000)
        })
    );
}

#[test]
fn whole_round_with_revival_and_an_unsuccessful_lot() {
    let mut lot2 = lot(None);
    lot2.id = LotId(2);
    let mut rules = RoundRules::batch10();
    rules.min_bidders = 2;
    let mut bids = vec![
        bid(1, "1.00"),
        bid(2, "1.50"),
        bid(3, "2.00"),
        bid(4, "2.10"),
    ];
    let mut lone = bid(5, "0.70");
    lone.lot_id = LotId(2);
    bids.push(lone);
    let mut d = demand(&[(110000, 1000), (310000, 2000), (440000, 500)]);
    d.push(ProvinceDemand {
        lot_id: LotId(2),
        province: prov(110000),
        annual_demand: 10,
    });
    let mut input = RoundInput {
        rules,
        lots: vec![lot2, lot(None)],
        bids,
        demand: d,
        context: EligibilityContext::default(),
        accepted_revivals: vec![],
        cycle_start: start(),
    };
    let r = run_round(&input).unwrap();
    assert_eq!(r.lots.len(), 2);
    assert_eq!(r.lots[0].evaluation.lot_id, LotId(1));
    // 4 bidders -> cap 3; 1 and 2 win, 3 and 4 may revive at 1.50 (one place)
    assert_eq!(r.lots[0].evaluation.winners.len(), 2);
    assert_eq!(
        r.lots[0].allocation.as_ref().unwrap().volume_ratio,
        dec("0.60")
    );
    assert_eq!(
        r.lots[1].evaluation.outcome,
        LotOutcome::Unsuccessful {
            reason: UnsuccessfulReason::TooFewBidders {
                valid_bidders: 1,
                min_bidders: 2
            }
        }
    );
    assert!(r.lots[1].allocation.is_none());

    input.accepted_revivals = vec![(LotId(1), SupplierId(4))];
    let r = run_round(&input).unwrap();
    let a = r.lots[0].allocation.as_ref().unwrap();
    assert_eq!(a.winners, 3);
    assert_eq!(a.volume_ratio, dec("0.70"));
    let line4 = a
        .lines
        .iter()
        .find(|l| l.supplier_id == SupplierId(4))
        .unwrap();
    assert_eq!(line4.unit_price, price("1.50"));
    assert_eq!(a.agreed_volume, 700 + 1400 + 350);
    // results serialize (the API stores them) and read back identically
    let json = serde_json::to_string(&r).unwrap();
    assert_eq!(
        serde_json::from_str::<crate::run::RoundResult>(&json).unwrap(),
        r
    );
    // and a round's input too
    let json = serde_json::to_string(&input).unwrap();
    assert_eq!(serde_json::from_str::<RoundInput>(&json).unwrap(), input);
}

#[test]
fn round_errors() {
    let mut input = RoundInput {
        rules: RoundRules::batch7(),
        lots: vec![lot(None)],
        bids: vec![bid(1, "1.00")],
        demand: vec![],
        context: EligibilityContext::default(),
        accepted_revivals: vec![],
        cycle_start: start(),
    };
    input.bids[0].lot_id = LotId(9);
    assert_eq!(
        run_round(&input),
        Err(BiddingError::UnknownLot {
            bid: BidId(1),
            lot: LotId(9)
        })
    );
    input.bids[0].lot_id = LotId(1);
    input.demand = vec![ProvinceDemand {
        lot_id: LotId(3),
        province: prov(110000),
        annual_demand: 1,
    }];
    assert_eq!(
        run_round(&input),
        Err(BiddingError::UnknownDemandLot { lot: LotId(3) })
    );
    input.demand.clear();
    input.lots.push(lot(None));
    assert_eq!(run_round(&input), Err(BiddingError::DuplicateLot(LotId(1))));
    input.lots.pop();
    input.bids.push(bid(1, "1.00"));
    assert_eq!(run_round(&input), Err(BiddingError::DuplicateBid(BidId(1))));
    input.bids.pop();
    input.rules.min_bidders = 0;
    assert!(matches!(
        run_round(&input),
        Err(BiddingError::InvalidRules(_))
    ));
}
