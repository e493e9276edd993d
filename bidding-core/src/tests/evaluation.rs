use super::*;
use crate::date::Date;
use crate::error::BiddingError;
use crate::eval::*;
use crate::rules::{FormThreshold, MaxWinners, RevivalRule, RoundRules, SelectionRule, TieBreak};
use crate::spec::FormClass;

fn eval(rules: &RoundRules, lot: &Lot, bids: &[Bid]) -> LotEvaluation {
    evaluate_lot(lot, bids, &EligibilityContext::default(), rules).unwrap()
}

fn winners(e: &LotEvaluation) -> Vec<i64> {
    e.winners.iter().map(|w| w.bid_id.0).collect()
}

fn reason(e: &LotEvaluation, id: i64) -> LossReason {
    match &e.bid(BidId(id)).unwrap().outcome {
        BidOutcome::Lost { reason } => reason.clone(),
        BidOutcome::Won { .. } => panic!("bid {id} won"),
    }
}

fn admission(e: &LotEvaluation, id: i64) -> Admission {
    match &e.bid(BidId(id)).unwrap().outcome {
        BidOutcome::Won { admitted_by, .. } => *admitted_by,
        BidOutcome::Lost { reason } => panic!("bid {id} lost: {reason:?}"),
    }
}

// ---------------------------------------------------------------- UCP, ceiling

#[test]
fn ucp_of_a_10mg_bid_at_050_against_20mg_is_085() {
    let mut b = bid(1, "0.50");
    b.product = Some(product("10"));
    let e = eval(&RoundRules::batch7(), &lot(None), &[b]);
    let r = e.bid(BidId(1)).unwrap();
    assert_eq!(r.ucp.unwrap().to_string(), "0.8500");
    assert_eq!(r.unit_price.to_string(), "0.5000");
    assert_eq!(e.winners[0].unit_price.to_string(), "0.5000"); // paid in its own spec
}

#[test]
fn above_lot_ceiling_is_eliminated_with_both_numbers() {
    // batch 4: a 3.82 bid against a 1.0924 ceiling
    let e = eval(
        &RoundRules::batch7(),
        &lot(Some("1.0924")),
        &[bid(1, "3.82"), bid(2, "1.0924")],
    );
    assert_eq!(winners(&e), vec![2]);
    assert_eq!(
        reason(&e, 1),
        LossReason::AboveCeiling {
            check: CeilingCheck::LotCeilingUcp {
                ucp: price("3.82"),
                ceiling_ucp: price("1.0924")
            }
        }
    );
    assert_eq!(e.bid(BidId(1)).unwrap().rank, None);
    assert_eq!(e.valid_bidders, 1);
    let json = serde_json::to_value(reason(&e, 1)).unwrap();
    assert_eq!(
        json,
        serde_json::json!({"code": "above_ceiling", "check": {"basis": "lot_ceiling_ucp", "ucp": "3.8200", "ceiling_ucp": "1.0924"}})
    );
}

#[test]
fn item_ceiling_is_checked_on_the_bid_price_and_takes_precedence() {
    // 10 mg item with its own ceiling 0.60: a 0.61 bid is out, even though
    // its UCP (1.037) is under the lot's 1.20 ceiling UCP.
    let mut over = bid(1, "0.61");
    over.product = Some(Product {
        ceiling: Some(price("0.60")),
        ..product("10")
    });
    // 10 mg at 0.59 with the 0.60 item ceiling: UCP 1.003 > a 0.90 lot
    // ceiling, but the item's own ceiling governs.
    let mut under = bid(2, "0.59");
    under.product = over.product.clone();
    let e = eval(&RoundRules::batch7(), &lot(Some("0.90")), &[over, under]);
    assert_eq!(
        reason(&e, 1),
        LossReason::AboveCeiling {
            check: CeilingCheck::ItemCeiling {
                price: price("0.61"),
                ceiling: price("0.60")
            }
        }
    );
    assert_eq!(winners(&e), vec![2]);
}

#[test]
fn suppliers_are_told_at_submission_that_they_are_above_the_ceiling() {
    let r = RoundRules::batch7();
    let l = lot(Some("1.0924"));
    let p10 = product("10");
    assert_eq!(bid_ucp(&l, &p10, price("0.50"), &r).unwrap(), price("0.85"));
    assert_eq!(above_ceiling(&l, &p10, price("0.64"), &r).unwrap(), None); // UCP 1.088
    assert_eq!(
        above_ceiling(&l, &p10, price("0.65"), &r).unwrap(),
        Some(CeilingCheck::LotCeilingUcp {
            ucp: price("1.105"),
            ceiling_ucp: price("1.0924")
        })
    );
    let with_own = Product {
        ceiling: Some(price("0.70")),
        ..p10
    };
    assert_eq!(
        above_ceiling(&l, &with_own, price("0.65"), &r).unwrap(),
        None
    );
    assert!(
        above_ceiling(&l, &with_own, price("0.7001"), &r)
            .unwrap()
            .is_some()
    );
}

#[test]
fn bid_at_the_ceiling_is_valid() {
    let e = eval(
        &RoundRules::batch7(),
        &lot(Some("1.0924")),
        &[bid(1, "1.0924")],
    );
    assert_eq!(winners(&e), vec![1]);
}

// ---------------------------------------------------------------- eligibility

#[test]
fn eligibility_reasons() {
    let mut not_in_catalog = bid(1, "0.5");
    not_in_catalog.product = None;
    let mut wrong_generic = bid(2, "0.5");
    wrong_generic.product.as_mut().unwrap().generic_name = "rosuvastatin".into();
    let mut not_passed = bid(3, "0.5");
    not_passed.product.as_mut().unwrap().consistency = Some(Consistency::NotPassed);
    let mut no_status = bid(4, "0.5");
    no_status.product.as_mut().unwrap().consistency = None;
    let barred = bid(5, "0.5");
    let inactive = bid(6, "0.5");
    let mut capsule = bid(7, "0.5");
    capsule.product.as_mut().unwrap().spec.dosage_form = DosageForm::Capsule;
    let mut zero = bid(8, "0");
    zero.product = Some(product("20"));
    let mut consumable = bid(9, "0.5");
    consumable.product.as_mut().unwrap().kind = ProductKind::Consumable;
    let good = bid(10, "0.9");
    let mut ctx = EligibilityContext::default();
    let until = Date::from_ymd(2027, 6, 30).unwrap();
    ctx.excluded
        .insert(SupplierId(5), Exclusion::Barred { until: Some(until) });
    ctx.excluded.insert(SupplierId(6), Exclusion::Inactive);
    let bids = [
        not_in_catalog,
        wrong_generic,
        not_passed,
        no_status,
        barred,
        inactive,
        capsule,
        zero,
        consumable,
        good,
    ];
    let e = evaluate_lot(&lot(None), &bids, &ctx, &RoundRules::batch10()).unwrap();
    assert_eq!(winners(&e), vec![10]);
    let inel = |id| match reason(&e, id) {
        LossReason::Ineligible { reason } => reason,
        other => panic!("{other:?}"),
    };
    assert_eq!(inel(1), Ineligibility::NotInCatalog);
    assert_eq!(
        inel(2),
        Ineligibility::WrongGeneric {
            expected: GENERIC.into(),
            found: "rosuvastatin".into()
        }
    );
    assert_eq!(
        inel(3),
        Ineligibility::ConsistencyNotPassed {
            status: Some(Consistency::NotPassed)
        }
    );
    assert_eq!(
        inel(4),
        Ineligibility::ConsistencyNotPassed { status: None }
    );
    assert_eq!(
        inel(5),
        Ineligibility::SupplierBarred { until: Some(until) }
    );
    assert_eq!(inel(6), Ineligibility::SupplierInactive);
    assert!(matches!(inel(7), Ineligibility::NotComparable { .. }));
    assert_eq!(inel(8), Ineligibility::ZeroPrice);
    assert!(matches!(inel(9), Ineligibility::WrongKind { .. }));
    // invalid bids are listed after the valid ones, by id
    let ids: Vec<i64> = e.bids.iter().map(|b| b.bid_id.0).collect();
    assert_eq!(ids, vec![10, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

#[test]
fn consistency_rule_can_be_switched_off_and_does_not_apply_to_consumables() {
    let mut r = RoundRules::batch7();
    r.eligibility.require_consistency = false;
    let mut b = bid(1, "0.5");
    b.product.as_mut().unwrap().consistency = Some(Consistency::NotPassed);
    assert_eq!(winners(&eval(&r, &lot(None), &[b])), vec![1]);
}

#[test]
fn a_supplier_counts_once_with_its_best_bid() {
    let mut second = bid(2, "0.80");
    second.supplier_id = SupplierId(1);
    let e = eval(
        &RoundRules::batch10(),
        &lot(None),
        &[bid(1, "0.70"), second, bid(3, "0.75")],
    );
    assert_eq!(e.valid_bidders, 2);
    assert_eq!(
        reason(&e, 2),
        LossReason::Ineligible {
            reason: Ineligibility::DuplicateSupplierBid { kept: BidId(1) }
        }
    );
}

#[test]
fn errors_on_foreign_or_repeated_bids() {
    let mut other = bid(1, "0.5");
    other.lot_id = LotId(2);
    assert!(matches!(
        evaluate_lot(
            &lot(None),
            &[other],
            &EligibilityContext::default(),
            &RoundRules::batch7()
        ),
        Err(BiddingError::UnknownLot { .. })
    ));
    assert_eq!(
        evaluate_lot(
            &lot(None),
            &[bid(1, "0.5"), bid(1, "0.6")],
            &EligibilityContext::default(),
            &RoundRules::batch7()
        ),
        Err(BiddingError::DuplicateBid(BidId(1)))
    );
}

// ---------------------------------------------------------------- presets

#[test]
fn batch7_any_of_three_rules() {
    // lowest 1.00 -> 1.8 x lowest = 1.80; ceiling 4.00 -> 50 % = 2.00
    let e = eval(
        &RoundRules::batch7(),
        &lot(Some("4.00")),
        &[
            bid(1, "1.00"),
            bid(2, "1.80"),
            bid(3, "1.95"),
            bid(4, "2.00"),
            bid(5, "2.01"),
        ],
    );
    assert_eq!(winners(&e), vec![1, 2, 3, 4]);
    assert_eq!(admission(&e, 1), Admission::Lowest);
    assert_eq!(
        admission(&e, 2),
        Admission::WithinRatioOfLowest { limit: dec("1.80") }
    );
    assert_eq!(
        admission(&e, 3),
        Admission::ShareOfCeiling { limit: dec("2.00") }
    );
    assert_eq!(
        reason(&e, 5),
        LossReason::AboveSelectionLimit {
            ucp: price("2.01"),
            limit: dec("2.00")
        }
    );
    assert_eq!(e.selection_limit, Some(dec("2.00")));

    // 0.10 yuan absolute: lowest 0.02 -> 1.8x = 0.036, yet 0.10 wins
    let e = eval(
        &RoundRules::batch7(),
        &lot(None),
        &[bid(1, "0.02"), bid(2, "0.10"), bid(3, "0.1001")],
    );
    assert_eq!(winners(&e), vec![1, 2]);
    assert_eq!(
        admission(&e, 2),
        Admission::AbsoluteThreshold { limit: dec("0.10") }
    );
    assert!(matches!(
        reason(&e, 3),
        LossReason::AboveSelectionLimit { .. }
    ));
}

#[test]
fn batch7_caps_at_ten_winners() {
    let bids: Vec<Bid> = (1..=12).map(|i| bid(i, &format!("1.{i:02}"))).collect();
    let e = eval(&RoundRules::batch7(), &lot(None), &bids);
    assert_eq!(e.max_winners, 10);
    assert_eq!(winners(&e), (1..=10).collect::<Vec<_>>());
    assert_eq!(
        reason(&e, 11),
        LossReason::MaxWinnersReached {
            rank: 11,
            max_winners: 10,
            valid_bidders: 12
        }
    );
}

#[test]
fn max_winners_table_applies_at_every_bidder_count() {
    let table = [1, 2, 2, 3, 3, 3, 4, 5, 6, 6, 7, 8, 8, 9, 9, 10, 10, 10];
    let table9 = [1, 2, 2, 3, 4, 4, 5, 6, 7, 8, 9, 9, 10, 10, 10, 10, 10, 10];
    for n in 1..=18usize {
        // all within 1.8 x lowest, so only the cap limits
        let bids: Vec<Bid> = (1..=n as i64)
            .map(|i| bid(i, &format!("1.{i:02}")))
            .collect();
        let mut r = RoundRules::batch10();
        let e = eval(&r, &lot(None), &bids);
        assert_eq!(e.winners.len(), table[n - 1], "batch10, {n} bidders");
        r.max_winners = MaxWinners::batch9();
        let e = eval(&r, &lot(None), &bids);
        assert_eq!(e.winners.len(), table9[n - 1], "batch9, {n} bidders");
    }
}

#[test]
fn batch10_ratio_and_absolute_threshold_by_form() {
    let mut r = RoundRules::batch10();
    let e = eval(
        &r,
        &lot(None),
        &[
            bid(1, "0.04"),
            bid(2, "0.072"),
            bid(3, "0.10"),
            bid(4, "0.11"),
        ],
    );
    assert_eq!(winners(&e), vec![1, 2, 3]);
    assert_eq!(
        admission(&e, 3),
        Admission::AbsoluteThreshold { limit: dec("0.10") }
    );
    // an injection lot does not use the oral-solid threshold
    let mut inj = lot(None);
    inj.representative.dosage_form = DosageForm::Injection;
    let mk = |id, p: &str| {
        let mut b = bid(id, p);
        b.product.as_mut().unwrap().spec.dosage_form = DosageForm::Injection;
        b
    };
    let inj_bids = [mk(1, "0.04"), mk(2, "0.072"), mk(3, "0.10"), mk(4, "0.60")];
    let e = eval(&r, &inj, &inj_bids);
    assert_eq!(winners(&e), vec![1, 2]);
    // unless the round sets one for injections
    if let SelectionRule::Batch10 {
        absolute_by_form, ..
    } = &mut r.selection
    {
        absolute_by_form.push(FormThreshold {
            class: FormClass::Injection,
            ucp: price("0.50"),
        });
    }
    let e = eval(&r, &inj, &inj_bids);
    assert_eq!(winners(&e), vec![1, 2, 3]);
}

#[test]
fn batch10_revival_at_highest_winning_ucp() {
    let r = RoundRules::batch10();
    // 6 bidders -> cap 3; lowest 1.00 -> limit 1.80: 1, 2 win; 3, 4, 5, 6 lose
    let bids = [
        bid(1, "1.00"),
        bid(2, "1.50"),
        bid(3, "1.90"),
        bid(4, "2.50"),
        bid(5, "3.00"),
        bid(6, "3.10"),
    ];
    let e = eval(&r, &lot(None), &bids);
    assert_eq!(winners(&e), vec![1, 2]);
    let offer = e.revival.clone().unwrap();
    assert_eq!(offer.ucp, price("1.50"));
    assert_eq!(offer.places, 1);
    assert_eq!(
        offer
            .candidates
            .iter()
            .map(|c| c.bid_id.0)
            .collect::<Vec<_>>(),
        vec![3, 4, 5, 6]
    );
    // 5 and 4 accept: only one place, so the better-ranked 4 is revived
    let after = apply_revival(&e, &bids, &[SupplierId(5), SupplierId(4)]).unwrap();
    assert_eq!(winners(&after), vec![1, 2, 4]);
    let w4 = after.winners.iter().find(|w| w.bid_id == BidId(4)).unwrap();
    assert_eq!(w4.unit_price, price("1.50"));
    assert_eq!(w4.ucp, price("1.50"));
    assert_eq!(
        admission(&after, 4),
        Admission::Revival {
            revival_ucp: price("1.50")
        }
    );
    // not a candidate
    assert_eq!(
        apply_revival(&e, &bids, &[SupplierId(1)]),
        Err(BiddingError::NotRevivalCandidate(SupplierId(1)))
    );
    // no revival in batch 7
    let e7 = eval(&RoundRules::batch7(), &lot(None), &bids);
    assert!(e7.revival.is_none());
    assert_eq!(
        apply_revival(&e7, &bids, &[SupplierId(3)]),
        Err(BiddingError::RevivalNotOffered)
    );
}

#[test]
fn batch10_revival_with_one_winner_is_18_times_its_ucp_in_own_spec() {
    let r = RoundRules::batch10();
    // 10 mg revival candidate: pays revival UCP x K = 1.8 x 1.00 / 1.7, rounded down
    let mut c = bid(2, "2.00");
    c.product = Some(product("10"));
    let bids = [bid(1, "1.00"), c];
    let e = eval(&r, &lot(None), &bids);
    assert_eq!(winners(&e), vec![1]);
    let offer = e.revival.clone().unwrap();
    assert_eq!(offer.ucp, price("1.80"));
    let cand = &offer.candidates[0];
    assert_eq!(cand.ucp, price("3.40")); // 2.00 x 1.7
    assert_eq!(cand.revival_unit_price, price("1.0588")); // 1.80 / 1.7 = 1.05882...
    assert!(cand.revival_ucp <= offer.ucp);
    let after = apply_revival(&e, &bids, &[SupplierId(2)]).unwrap();
    assert_eq!(winners(&after), vec![1, 2]);
}

#[test]
fn revival_is_closed_when_the_cap_is_full_unless_configured() {
    let mut r = RoundRules::batch10();
    let bids = [
        bid(1, "1.00"),
        bid(2, "1.81"),
        bid(3, "1.10"),
        bid(4, "1.20"),
    ];
    // 4 bidders -> cap 3: 1, 3, 4 win, 2 is out, no place left
    let e = eval(&r, &lot(None), &bids);
    assert_eq!(winners(&e), vec![1, 3, 4]);
    let offer = e.revival.unwrap();
    assert_eq!(offer.places, 0);
    assert!(offer.candidates.is_empty());
    if let SelectionRule::Batch10 { revival, .. } = &mut r.selection {
        *revival = Some(RevivalRule {
            single_winner_ratio: dec("1.8"),
            within_max_winners: false,
        });
    }
    let e = eval(&r, &lot(None), &bids);
    assert_eq!(e.revival.as_ref().unwrap().candidates.len(), 1);
    let after = apply_revival(&e, &bids, &[SupplierId(2)]).unwrap();
    assert_eq!(after.winners.len(), 4);
    assert_eq!(after.winners[3].unit_price, price("1.20"));
}

#[test]
fn batch11_anchor_and_oral_solid_exemption() {
    let r = RoundRules::batch11();
    // UCPs 0.20, 1.00, 1.00, 1.80: average 1.00, 50 % = 0.50 > lowest 0.20
    // anchor 0.50, limit 0.90: only 0.20 wins
    let e = eval(
        &r,
        &lot(None),
        &[
            bid(1, "0.20"),
            bid(2, "1.00"),
            bid(3, "1.00"),
            bid(4, "1.80"),
        ],
    );
    assert_eq!(e.anchor, Some(dec("0.50")));
    assert_eq!(winners(&e), vec![1]);
    assert_eq!(
        reason(&e, 2),
        LossReason::AboveSelectionLimit {
            ucp: price("1.00"),
            limit: dec("0.900")
        }
    );
    // anchor = lowest when lowest is above half the average
    let e = eval(
        &r,
        &lot(None),
        &[
            bid(1, "0.80"),
            bid(2, "1.00"),
            bid(3, "1.44"),
            bid(4, "1.45"),
        ],
    );
    assert_eq!(e.anchor, Some(dec("0.80")));
    assert_eq!(winners(&e), vec![1, 2, 3]);
    // exemption: UCPs 0.01 .. 0.10 oral solid; anchor 0.02 (avg 0.04 x 0.5 = 0.02)
    let e = eval(
        &r,
        &lot(None),
        &[
            bid(1, "0.01"),
            bid(2, "0.03"),
            bid(3, "0.02"),
            bid(4, "0.10"),
        ],
    );
    assert_eq!(winners(&e), vec![1, 3, 2]);
    let mut r = r;
    r.max_winners = MaxWinners::Fixed { max: 10 };
    let e = eval(
        &r,
        &lot(None),
        &[
            bid(1, "0.01"),
            bid(2, "0.01"),
            bid(3, "0.01"),
            bid(4, "0.10"),
        ],
    );
    assert_eq!(
        admission(&e, 4),
        Admission::OralSolidExemption { limit: dec("0.10") }
    );
}

#[test]
fn pilot_single_lowest_with_three_bidders() {
    let r = RoundRules::pilot();
    let e = eval(
        &r,
        &lot(None),
        &[bid(1, "1.00"), bid(2, "0.90"), bid(3, "0.95")],
    );
    assert_eq!(winners(&e), vec![2]);
    assert_eq!(
        reason(&e, 3),
        LossReason::AboveSelectionLimit {
            ucp: price("0.95"),
            limit: dec("0.90")
        }
    );
    // a tie at the lowest: cap 1
    let e = eval(
        &r,
        &lot(None),
        &[bid(1, "0.90"), bid(2, "0.90"), bid(3, "0.95")],
    );
    assert_eq!(e.winners.len(), 1);
    assert!(matches!(
        reason(&e, 2),
        LossReason::MaxWinnersReached { .. }
    ));
}

// ---------------------------------------------------------------- unsuccessful

#[test]
fn lot_with_too_few_bidders_is_unsuccessful() {
    // batch 3, lamivudine: 2 bidders, the round requires 3
    let r = RoundRules::pilot();
    let e = eval(&r, &lot(None), &[bid(1, "1.00"), bid(2, "0.90")]);
    let why = UnsuccessfulReason::TooFewBidders {
        valid_bidders: 2,
        min_bidders: 3,
    };
    assert_eq!(e.outcome, LotOutcome::Unsuccessful { reason: why });
    assert!(e.winners.is_empty());
    assert_eq!(reason(&e, 2), LossReason::LotUnsuccessful { reason: why });
    assert_eq!(e.bid(BidId(2)).unwrap().rank, Some(1));
    assert_eq!(
        serde_json::to_value(e.outcome).unwrap(),
        serde_json::json!({"status": "unsuccessful", "reason": {"code": "too_few_bidders", "valid_bidders": 2, "min_bidders": 3}})
    );
}

#[test]
fn lot_with_no_valid_bid_is_unsuccessful() {
    let e = eval(
        &RoundRules::batch10(),
        &lot(Some("1.00")),
        &[bid(1, "1.01")],
    );
    assert_eq!(
        e.outcome,
        LotOutcome::Unsuccessful {
            reason: UnsuccessfulReason::NoValidBid
        }
    );
    let e = eval(&RoundRules::batch10(), &lot(None), &[]);
    assert!(matches!(e.outcome, LotOutcome::Unsuccessful { .. }));
    assert!(e.revival.is_none());
}

// ---------------------------------------------------------------- ties, order

#[test]
fn ties_larger_capacity_then_earlier_submission_then_bid_id() {
    let r = RoundRules::pilot();
    let mut a = bid(1, "0.90");
    let mut b = bid(2, "0.90");
    let mut c = bid(3, "0.90");
    a.annual_capacity = 100;
    b.annual_capacity = 200;
    c.annual_capacity = 200;
    b.submitted_at = Timestamp(50);
    c.submitted_at = Timestamp(40);
    let e = eval(&r, &lot(None), &[a.clone(), b.clone(), c.clone()]);
    let order: Vec<i64> = e.bids.iter().map(|x| x.bid_id.0).collect();
    assert_eq!(order, vec![3, 2, 1]);
    assert_eq!(winners(&e), vec![3]);
    // same capacity and time: bid id decides
    b.submitted_at = Timestamp(40);
    let e = eval(&r, &lot(None), &[c.clone(), b.clone(), a.clone()]);
    assert_eq!(winners(&e), vec![2]);
    // the order of tie-breaks is a setting
    let mut r2 = r.clone();
    r2.tie_break = vec![TieBreak::EarlierSubmission, TieBreak::LargerCapacity];
    a.submitted_at = Timestamp(1);
    let e = eval(&r2, &lot(None), &[a, b, c]);
    assert_eq!(winners(&e), vec![1]);
}

#[test]
fn result_does_not_depend_on_input_order() {
    let bids: Vec<Bid> = [
        "0.90", "1.00", "0.95", "0.90", "1.70", "1.62", "2.00", "0.91",
    ]
    .iter()
    .enumerate()
    .map(|(i, p)| bid(i as i64 + 1, p))
    .collect();
    for r in [
        RoundRules::batch7(),
        RoundRules::batch10(),
        RoundRules::batch11(),
        RoundRules::pilot(),
    ] {
        let a = eval(&r, &lot(None), &bids);
        let mut rev = bids.clone();
        rev.reverse();
        assert_eq!(a, eval(&r, &lot(None), &rev));
    }
}

#[test]
fn outcomes_serialize_for_the_api() {
    let e = eval(
        &RoundRules::batch7(),
        &lot(None),
        &[bid(1, "1.00"), bid(2, "1.81")],
    );
    let v = serde_json::to_value(&e).unwrap();
    assert_eq!(v["outcome"], serde_json::json!({"status": "successful"}));
    assert_eq!(
        v["bids"][0]["outcome"],
        serde_json::json!({"result": "won", "rank": 1, "admitted_by": {"rule": "lowest"}})
    );
    assert_eq!(
        v["bids"][1]["outcome"],
        serde_json::json!({"result": "lost", "reason": {"code": "above_selection_limit", "ucp": "1.8100", "limit": "1.8"}})
    );
    let back: LotEvaluation = serde_json::from_value(v).unwrap();
    assert_eq!(back, e);
}
