//! A whole national round through the HTTP API: catalog, round, demand from the 31
//! provinces, sealed bids from 20 suppliers on four lots, close, 2-of-3 opening,
//! evaluation, award, contracts, a supply failure with the backup's takeover, and the
//! OCDS record checked against the official schema. Every expected winner, UCP and
//! volume below was computed by hand from DOMAIN.md's rules (the working is in the
//! comments), not by the code under test.

#![allow(clippy::unwrap_used)]

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use tests::{
    CatalogBuilder, Drug, Round, RoundBuilder, Supplier, TestApp, new_suppliers, supplier_name,
    validate_ocds,
};

/// The 31 provinces in code order: index k in the comments below.
const PROVINCES: [&str; 31] = [
    "110000", "120000", "130000", "140000", "150000", "210000", "220000", "230000", "310000",
    "320000", "330000", "340000", "350000", "360000", "370000", "410000", "420000", "430000",
    "440000", "450000", "460000", "500000", "510000", "520000", "530000", "540000", "610000",
    "620000", "630000", "640000", "650000",
];

/// (supplier, lot index, product, price per own unit, capacity, preferences)
type BidPlan = (usize, usize, String, &'static str, u64, Vec<&'static str>);

/// A drug code: ATC class, generic id, form, strength serial and the supplier's number.
fn code(atc: &str, generic: &str, form: &str, strength: u32, supplier: usize) -> String {
    format!(
        "X{atc}{generic}{form}{strength:02}01{:05}",
        10000 + supplier
    )
}

fn lot1(s: usize, mg: u32) -> String {
    code("C10AA", "T911", "A001", mg / 10, s)
}
fn lot2(s: usize) -> String {
    code("C09CA", "T912", "A002", 8, s)
}
fn lot3(s: usize) -> String {
    code("L01EA", "T913", "A001", 10, s)
}
fn lot4(s: usize) -> String {
    code("J01DH", "T914", "B001", 1, s)
}

/// The national round's catalog: one product per supplier on four generics, the
/// representative's with the ceiling price.
fn national_catalog(app: &TestApp) -> CatalogBuilder<'_> {
    let mut catalog = CatalogBuilder::new(app);
    // lot 1: a statin tablet, 20 mg representative (S01's, ceiling 0.8500 per tablet)
    let specs: [(usize, u32); 8] = [
        (1, 20),
        (2, 10),
        (3, 40),
        (4, 20),
        (5, 20),
        (6, 20),
        (7, 10),
        (8, 20),
    ];
    for (s, mg) in specs {
        let drug = Drug::new(lot1(s, mg), "E2E他汀钙片", supplier_name(s)).strength(mg, "mg");
        catalog = catalog.drug(if s == 1 { drug.ceiling("0.8500") } else { drug });
    }
    // lot 2: a sartan capsule, 80 mg (S09's is the representative, ceiling 1.2000)
    for s in [9, 10, 11, 12, 13, 14, 15, 20] {
        let drug = Drug::new(lot2(s), "E2E沙坦胶囊", supplier_name(s))
            .form("capsule", "capsule")
            .strength(80, "mg")
            .pack(14);
        catalog = catalog.drug(if s == 9 { drug.ceiling("1.2000") } else { drug });
    }
    // lot 3: one bidder only
    catalog = catalog.drug(
        Drug::new(lot3(19), "E2E替尼片", supplier_name(19))
            .strength(100, "mg")
            .pack(30)
            .ceiling("5.0000"),
    );
    // lot 4: a special antibacterial injection, 1 g vial (S16's, ceiling 10.0000)
    for s in [16, 17, 18] {
        let drug = Drug::new(lot4(s), "E2E霉素注射剂", supplier_name(s))
            .form("injection", "vial")
            .strength(1, "g")
            .pack(1);
        catalog = catalog.drug(if s == 16 {
            drug.ceiling("10.0000")
        } else {
            drug
        });
    }
    catalog
}

/// The bids: (supplier, lot, product, price per own unit, capacity, preferences)
fn national_bids() -> Vec<BidPlan> {
    vec![
        (1, 0, lot1(1, 20), "0.3000", 3_000_000, vec!["440000"]),
        (
            2,
            0,
            lot1(2, 10),
            "0.2000",
            3_000_000,
            vec!["440000", "320000"],
        ),
        (3, 0, lot1(3, 40), "0.8500", 3_000_000, vec![]),
        (4, 0, lot1(4, 20), "0.4200", 3_000_000, vec![]),
        (5, 0, lot1(5, 20), "0.5400", 3_000_000, vec![]),
        (6, 0, lot1(6, 20), "0.5500", 3_000_000, vec![]),
        (7, 0, lot1(7, 10), "0.3300", 3_000_000, vec![]),
        (8, 0, lot1(8, 20), "0.3100", 3_000_000, vec![]),
        (9, 1, lot2(9), "0.0900", 1_000_000, vec![]),
        (10, 1, lot2(10), "0.4000", 1_000_000, vec![]),
        (11, 1, lot2(11), "0.6001", 1_000_000, vec![]),
        (12, 1, lot2(12), "0.9000", 1_000_000, vec![]),
        (13, 1, lot2(13), "1.1000", 1_000_000, vec![]),
        (14, 1, lot2(14), "1.2000", 1_000_000, vec![]),
        (20, 1, lot2(20), "0.7000", 1_000_000, vec![]),
        // after S10 at the same UCP, but with the larger capacity: ranks ahead of it
        (15, 1, lot2(15), "0.4000", 2_000_000, vec![]),
        (19, 2, lot3(19), "2.0000", 500_000, vec![]),
        (16, 3, lot4(16), "5.0000", 100_000, vec![]),
        (17, 3, lot4(17), "8.5000", 100_000, vec![]),
        (18, 3, lot4(18), "9.5000", 100_000, vec![]),
    ]
}

/// The national round of suppliers `sup` (E2E Pharma 01..20), its catalog imported: batch
/// 7 rules, at least 2 bidders per lot, opening key 2 of 3 officers, four lots, demand
/// from all 31 provinces, and the 20 bids of [`national_bids`] to submit once published.
async fn national_round<'a>(app: &'a TestApp, sup: &[Supplier]) -> RoundBuilder<'a> {
    let report = national_catalog(app).import().await;
    assert_eq!(report["created"], 20, "{report}");
    let mut round = RoundBuilder::new(app)
        .name("第十二批国家组织药品集中采购（端到端）")
        .threshold(2)
        .min_bidders(2)
        .lot_with(json!({"representative_code": lot1(1, 20), "previous_price": "1.2000"}))
        .lot(&lot2(9))
        .lot(&lot3(19))
        .lot_with(json!({"representative_code": lot4(16), "special_antibacterial": true}));
    // demand from all 31 provinces (k = index in code order):
    //   lot 1: (31 - k) x 10,000 tablets; lot 2: 12,345 + 1,000 k capsules for k < 10, none
    //   elsewhere; lot 3: 1,000 each; lot 4: (31 - k) x 100 vials
    for (k, code) in PROVINCES.iter().enumerate() {
        let k = k as i64;
        let lot2_qty = if k < 10 { 12_345 + 1_000 * k } else { 0 };
        round = round.demand(
            &buyer_email(code),
            [(31 - k) * 10_000, lot2_qty, 1_000, (31 - k) * 100],
        );
    }
    for (n, lot, product, price, capacity, prefs) in national_bids() {
        round = round.bid(&sup[n - 1].token, lot, &product, price, capacity, &prefs);
    }
    round
}

/// The admin suspends a supplier's organisation.
async fn suspend(app: &TestApp, supplier: &Supplier) {
    let admin = app.login_demo("admin").await;
    app.patch(
        &format!("/api/v1/orgs/{}", supplier.org),
        &admin,
        json!({"status": "suspended"}),
    )
    .await
    .expect(200);
}

/// The national round with its 20 bids, past its deadline, S08's organisation suspended,
/// opened by two of its three custodians.
async fn opened_national_round(app: &TestApp) -> (Round, Vec<Supplier>) {
    let sup = new_suppliers(app, 20).await;
    let mut round = national_round(app, &sup).await.published().await;
    round.submit_bids(app).await;
    round.pass_deadline(app).await;
    suspend(app, &sup[7]).await;
    round.close(app).await;
    round.open(app).await;
    (round, sup)
}

fn s(v: &Value) -> String {
    v.as_str().map_or_else(|| v.to_string(), str::to_owned)
}

/// The buyer of province `code` in the demo.
fn buyer_email(code: &str) -> String {
    match code {
        "110000" => "buyer@vbp.demo".into(),
        "310000" => "buyer2@vbp.demo".into(),
        c => format!("buyer-{c}@vbp.demo"),
    }
}

#[actix_web::test]
async fn a_national_round_takes_20_sealed_bids_and_opens_with_2_of_3_shares() {
    let app = TestApp::with_demo().await;
    let sup = new_suppliers(&app, 20).await;
    let mut round = national_round(&app, &sup).await.published().await;
    let (rid, officer) = (round.id.clone(), round.officer.clone());
    let officer2 = app.login_demo("officer2").await;
    let mut shares = Vec::new();
    for t in [&officer, &officer2] {
        let share = app
            .get(&format!("/api/v1/rounds/{rid}/key-shares/mine"), t)
            .await
            .expect(200)
            .body;
        shares.push(s(&share["share"]));
    }
    round.submit_bids(&app).await;
    let receipts: BTreeSet<String> = round.receipts.iter().map(|r| s(&r["bid_id"])).collect();
    assert_eq!(receipts.len(), 20);

    // the deadline passes (the one shortcut: time), then S08's organisation is suspended
    round.pass_deadline(&app).await;
    suspend(&app, &sup[7]).await;
    let register = app
        .get(&format!("/api/v1/rounds/{rid}/register"), &officer)
        .await
        .expect(200)
        .body;
    assert_eq!(register["bids"].as_array().unwrap().len(), 20);

    // nothing to evaluate before the opening
    app.post(
        &format!("/api/v1/rounds/{rid}/evaluate"),
        &officer,
        json!({}),
    )
    .await
    .expect_problem(422);
    let waiting = app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            &officer,
            json!({"share": shares[0]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(waiting["status"], "waiting");
    let opened = app
        .post(
            &format!("/api/v1/rounds/{rid}/open"),
            &officer2,
            json!({"share": shares[1]}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(opened["status"], "opened");
    assert_eq!(opened["bids_revealed"], 20);
}

#[actix_web::test]
async fn a_national_rounds_evaluation_gives_the_hand_computed_ranks_volumes_and_draft() {
    let app = TestApp::with_demo().await;
    let (round, sup) = opened_national_round(&app).await;
    let sx = |n: usize| &sup[n - 1];
    let (rid, officer) = (round.id.clone(), round.officer.clone());
    // evaluation: only officers (and auditors) see it before the award
    app.post(
        &format!("/api/v1/rounds/{rid}/evaluate"),
        &sx(1).token,
        json!({}),
    )
    .await
    .expect_problem(403);
    app.post(
        &format!("/api/v1/rounds/{rid}/evaluate"),
        &officer,
        json!({"cycle_start": "2001-01-01"}),
    )
    .await
    .expect_problem(422);
    let evaluated = app
        .post(
            &format!("/api/v1/rounds/{rid}/evaluate"),
            &officer,
            json!({"cycle_start": "2030-01-01"}),
        )
        .await
        .expect(200)
        .body;
    let digest = s(&evaluated["digest"]);
    assert_eq!(digest.len(), 64);
    let ev = &evaluated["evaluation"]["lots"];
    let by_supplier = |lot: &Value| -> BTreeMap<String, Value> {
        lot["bids"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| (s(&b["supplier_name"]), b.clone()))
            .collect()
    };
    app.get(&format!("/api/v1/rounds/{rid}/evaluation"), &sx(1).token)
        .await
        .expect_problem(403);
    app.get(&format!("/api/v1/rounds/{rid}/results"), &sx(1).token)
        .await
        .expect_problem(422);

    // Lot 1 (ceiling UCP 0.8500 at 20 mg; batch 7: a bid wins if UCP <= 1.8 x lowest,
    // <= 0.10, or <= 50 % of the ceiling):
    //   S01 20 mg 0.3000 -> UCP 0.3000 (lowest)
    //   S02 10 mg 0.2000 -> x 1.7 (K = 1.7^log2(0.5)) = 0.3400
    //   S03 40 mg 0.8500 -> / 1.7 = 0.5000
    //   S04 20 mg 0.4200; S05 0.5400 (= 1.8 x 0.3000, the limit: wins); S06 0.5500 (out)
    //   S07 10 mg 0.3300 -> 0.5610 (out); S08 0.3100, but its organisation is suspended
    //   limit = max(0.54, 0.10, 0.425) = 0.54; 7 valid bidders, 5 winners
    let l1 = &ev[0];
    assert_eq!(l1["status"], "successful");
    assert_eq!(l1["valid_bidders"], 7);
    assert_eq!(l1["lowest_ucp"], "0.3000");
    let b1 = by_supplier(l1);
    let expect_bid =
        |b: &BTreeMap<String, Value>, n: usize, ucp: &str, rank: Option<u64>, won: bool| {
            let bid = &b[&supplier_name(n)];
            assert_eq!(bid["ucp"], json!(ucp), "S{n:02} UCP: {bid}");
            assert_eq!(bid["rank"], json!(rank), "S{n:02} rank: {bid}");
            assert_eq!(bid["won"], json!(won), "S{n:02} won: {bid}");
        };
    expect_bid(&b1, 1, "0.3000", Some(1), true);
    expect_bid(&b1, 2, "0.3400", Some(2), true);
    expect_bid(&b1, 4, "0.4200", Some(3), true);
    expect_bid(&b1, 3, "0.5000", Some(4), true);
    expect_bid(&b1, 5, "0.5400", Some(5), true);
    expect_bid(&b1, 6, "0.5500", Some(6), false);
    expect_bid(&b1, 7, "0.5610", Some(7), false);
    assert_eq!(
        b1[&supplier_name(6)]["outcome"]["reason"]["code"],
        "above_selection_limit"
    );
    assert_eq!(b1[&supplier_name(8)]["rank"], Value::Null);
    assert_eq!(
        b1[&supplier_name(8)]["outcome"]["reason"]["reason"]["code"],
        "supplier_inactive",
        "{}",
        b1[&supplier_name(8)]
    );

    // Lot 2 (ceiling 1.2000; lowest 0.0900, so the limit is max(0.162, 0.10, 0.60) = 0.60):
    //   S09 0.0900 (1), S15 0.4000 cap 2,000,000 (2), S10 0.4000 cap 1,000,000 (3) win;
    //   S11 0.6001 is 0.0001 over; S20 0.7000, S12 0.9000, S13 1.1000, S14 1.2000 lose
    let l2 = &ev[1];
    assert_eq!(l2["valid_bidders"], 8);
    let b2 = by_supplier(l2);
    expect_bid(&b2, 9, "0.0900", Some(1), true);
    expect_bid(&b2, 15, "0.4000", Some(2), true);
    expect_bid(&b2, 10, "0.4000", Some(3), true);
    expect_bid(&b2, 11, "0.6001", Some(4), false);
    expect_bid(&b2, 14, "1.2000", Some(8), false);
    assert_eq!(l2["selection_limit"], "0.6"); // exact: 50 % of 1.2000

    // Lot 3: one bidder, the round needs 2: unsuccessful
    let l3 = &ev[2];
    assert_eq!(l3["status"], "unsuccessful");
    assert_eq!(
        l3["unsuccessful_reason"],
        json!({"code": "too_few_bidders", "valid_bidders": 1, "min_bidders": 2})
    );
    assert_eq!(l3["allocation"], Value::Null);

    // Lot 4: S16 5.0000 (1), S17 8.5000 <= 1.8 x 5 = 9.0 (2), S18 9.5000 out
    let b4 = by_supplier(&ev[3]);
    expect_bid(&b4, 16, "5.0000", Some(1), true);
    expect_bid(&b4, 17, "8.5000", Some(2), true);
    expect_bid(&b4, 18, "9.5000", Some(3), false);

    // volumes: 5 winners -> 80 %, 3 years; 3 -> 70 %, 2 years; special antibacterial
    // with 2 winners -> 40 %, 1 year
    let a1 = &l1["allocation"];
    assert_eq!(a1["volume_ratio"], "0.80");
    assert_eq!(a1["cycle_end"], "2032-12-31");
    assert_eq!(a1["total_demand"], 4_960_000); // 10,000 x (31 + 30 + ... + 1)
    assert_eq!(a1["agreed_volume"], 3_968_000);
    let a2 = &l2["allocation"];
    assert_eq!(a2["volume_ratio"], "0.70");
    assert_eq!(a2["cycle_end"], "2031-12-31");
    // each province's 0.7 x (12,345 + 1,000 k) ends in .5 and rounds up: 117,915 + 10 x 0.5
    assert_eq!(a2["agreed_volume"], 117_920);
    assert_eq!(a2["lines"].as_array().unwrap().len(), 10);
    let a4 = &ev[3]["allocation"];
    assert_eq!(a4["volume_ratio"], "0.40");
    assert_eq!(a4["cycle_end"], "2030-12-31");
    assert_eq!(a4["agreed_volume"], 19_840); // 40 x 496

    // Lot 1's draft, turns 1, 2, ... by rank (S01 S02 S04 S03 S05): S01 takes its
    // preference Guangdong (k 18); S02 finds Guangdong gone and takes its second,
    // Jiangsu (k 9); everyone else, and everyone later, the free province with the
    // largest demand (the lowest k). Hence (k):
    //   S01 18 3 8 14 20 25 30 | S02 9 4 10 15 21 26 | S04 0 5 11 16 22 27
    //   S03 1 6 12 17 23 28    | S05 2 7 13 19 24 29
    let draft: [(usize, &[usize]); 5] = [
        (1, &[18, 3, 8, 14, 20, 25, 30]),
        (2, &[9, 4, 10, 15, 21, 26]),
        (4, &[0, 5, 11, 16, 22, 27]),
        (3, &[1, 6, 12, 17, 23, 28]),
        (5, &[2, 7, 13, 19, 24, 29]),
    ];
    let lines1: BTreeMap<String, Value> = a1["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (s(&l["province"]), l.clone()))
        .collect();
    assert_eq!(lines1.len(), 31);
    for (n, ks) in draft {
        for k in ks {
            let line = &lines1[PROVINCES[*k]];
            assert_eq!(
                line["supplier_name"],
                supplier_name(n),
                "province k={k}: {line}"
            );
            assert_eq!(line["agreed_volume"], json!(8_000 * (31 - k)), "k={k}");
        }
    }
    assert_eq!(
        lines1["440000"]["pick"],
        json!({"by": "preference", "position": 1})
    );
    assert_eq!(
        lines1["320000"]["pick"],
        json!({"by": "preference", "position": 2})
    );
    assert_eq!(lines1["320000"]["draft_turn"], 2);
    // each winner's volume: 8,000 x (sum of 31 - k): S01 99, S02 101, S04 105, S03 99, S05 92
    let mut per_winner: BTreeMap<String, u64> = BTreeMap::new();
    for l in lines1.values() {
        *per_winner.entry(s(&l["supplier_name"])).or_default() +=
            l["agreed_volume"].as_u64().unwrap();
    }
    for (n, v) in [
        (1, 792_000),
        (2, 808_000),
        (4, 840_000),
        (3, 792_000),
        (5, 736_000),
    ] {
        assert_eq!(per_winner[&supplier_name(n)], v, "S{n:02}");
    }
    // prices are per unit of the winner's own spec: S02 10 mg 0.2000, S03 40 mg 0.8500;
    // Beijing (k 0, S04): 248,000 x 0.4200 = 104,160.00
    assert_eq!(lines1["110000"]["unit_price"], "0.4200");
    assert_eq!(lines1["110000"]["annual_amount"], "104160.00");
    assert_eq!(lines1["320000"]["unit_price"], "0.2000");
    // backups: a second draft in the same order, never the province's own supplier:
    // S01 (its preference is its own) takes Beijing (k 0, S04's); S02 takes its preference
    // Guangdong (S01's); S04 takes Tianjin (k 1, S03's)
    assert_eq!(
        lines1["110000"]["backup"]["supplier_name"],
        supplier_name(1)
    );
    assert_eq!(lines1["110000"]["backup"]["unit_price"], "0.3000");
    assert_eq!(
        lines1["440000"]["backup"]["supplier_name"],
        supplier_name(2)
    );
    assert_eq!(
        lines1["120000"]["backup"]["supplier_name"],
        supplier_name(4)
    );

    // Lot 2: no preferences, demand grows with k, so the largest free is the highest k:
    //   S09 9 6 3 0 | S15 8 5 2 | S10 7 4 1; agreed 8,642 + 700 k
    //   S09 4 x 8,642 + 700 x 18 = 47,168; S15 25,926 + 10,500 = 36,426; S10 34,326
    let mut per_winner2: BTreeMap<String, u64> = BTreeMap::new();
    for l in a2["lines"].as_array().unwrap() {
        *per_winner2.entry(s(&l["supplier_name"])).or_default() +=
            l["agreed_volume"].as_u64().unwrap();
    }
    assert_eq!(per_winner2[&supplier_name(9)], 47_168);
    assert_eq!(per_winner2[&supplier_name(15)], 36_426);
    assert_eq!(per_winner2[&supplier_name(10)], 34_326);
    // Lot 4: two winners alternate from the largest demand: S16 the even k (256 x 40),
    // S17 the odd (240 x 40); each is the other's backup
    let mut per_winner4: BTreeMap<String, u64> = BTreeMap::new();
    for l in a4["lines"].as_array().unwrap() {
        *per_winner4.entry(s(&l["supplier_name"])).or_default() +=
            l["agreed_volume"].as_u64().unwrap();
        assert_ne!(l["backup"]["supplier_name"], l["supplier_name"]);
    }
    assert_eq!(per_winner4[&supplier_name(16)], 10_240);
    assert_eq!(per_winner4[&supplier_name(17)], 9_600);
}

#[actix_web::test]
async fn a_national_rounds_award_publishes_results_contracts_and_notices() {
    let app = TestApp::with_demo().await;
    let (mut round, sup) = opened_national_round(&app).await;
    round.evaluate(&app).await;
    let digest = s(&round.evaluation["digest"]);
    let sx = |n: usize| &sup[n - 1];
    let (rid, officer, lots) = (round.id.clone(), round.officer.clone(), round.lots.clone());
    // the award names the evaluation it approves; a wrong digest is told to fetch the
    // evaluation again, not handed the current digest to award unread
    let stale = app
        .post(
            &format!("/api/v1/rounds/{rid}/award"),
            &officer,
            json!({"evaluation_digest": "0".repeat(64)}),
        )
        .await
        .expect_problem(409);
    let detail = stale.body["detail"].as_str().unwrap();
    assert!(!detail.contains(digest.as_str()), "{detail}");
    assert!(detail.contains("/evaluation"), "{detail}");
    let awarded = app
        .post(
            &format!("/api/v1/rounds/{rid}/award"),
            &officer,
            json!({"evaluation_digest": digest}),
        )
        .await
        .expect(200)
        .body;
    assert_eq!(awarded["status"], "awarded");
    assert_eq!(awarded["contracts"], 31 + 10 + 31);
    app.post(
        &format!("/api/v1/rounds/{rid}/evaluate"),
        &officer,
        json!({}),
    )
    .await
    .expect_problem(422);

    // the published results, readable by everyone
    let results = app
        .get(&format!("/api/v1/rounds/{rid}/results"), &sx(6).token)
        .await
        .expect(200)
        .body;
    assert_eq!(results["summary"]["lots"], 4);
    assert_eq!(results["summary"]["successful_lots"], 3);
    assert_eq!(results["summary"]["winning_bids"], 10);
    let r1 = &results["lots"][0];
    let winners: Vec<(String, String)> = r1["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| (s(&w["supplier_name"]), s(&w["ucp"])))
        .collect();
    assert_eq!(
        winners,
        [
            (1, "0.3000"),
            (2, "0.3400"),
            (4, "0.4200"),
            (3, "0.5000"),
            (5, "0.5400")
        ]
        .map(|(n, u)| (supplier_name(n), u.to_owned()))
    );
    // S01: (0.3000 - 0.8500) / 0.8500 = -0.64706 -> -0.6471; against 1.2000: -0.7500
    assert_eq!(r1["winners"][0]["change_vs_ceiling"], "-0.6471");
    assert_eq!(r1["winners"][0]["change_vs_previous"], "-0.7500");
    assert_eq!(r1["allocations"].as_array().unwrap().len(), 31);
    assert_eq!(results["lots"][2]["status"], "unsuccessful");

    // contracts, scoped to the party: Beijing's buyer sees Beijing's three
    let buyer = app.login_demo("buyer").await;
    let mine = app.get("/api/v1/contracts", &buyer).await.expect(200).body;
    assert_eq!(mine["total"], 3);
    let suppliers_in_beijing: Vec<String> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["province"], "110000");
            s(&c["supplier_name"])
        })
        .collect();
    for n in [4, 9, 16] {
        assert!(
            suppliers_in_beijing.contains(&supplier_name(n)),
            "{suppliers_in_beijing:?}"
        );
    }
    let all = app
        .get(
            &format!("/api/v1/contracts?round_id={rid}&per_page=200"),
            &officer,
        )
        .await
        .expect(200)
        .body;
    assert_eq!(all["total"], 72);
    let s05 = app
        .get("/api/v1/contracts?per_page=200", &sx(5).token)
        .await
        .expect(200)
        .body;
    for c in s05["items"].as_array().unwrap() {
        let own = c["supplier_name"] == supplier_name(5);
        let backup = c["backup"]["supplier_name"] == supplier_name(5);
        assert!(own || backup, "S05 sees a contract it is not party to: {c}");
    }
    assert_eq!(
        s05["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["supplier_name"] == supplier_name(5))
            .count(),
        6
    );
    let beijing_lot1 = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["lot_id"] == json!(lots[0]))
        .unwrap()
        .clone();
    assert_eq!(beijing_lot1["agreed_volume"], 248_000);
    assert_eq!(beijing_lot1["cycle_start"], "2030-01-01");
    assert_eq!(beijing_lot1["cycle_end"], "2032-12-31");
    // another party's contract is not found
    app.get(
        &format!("/api/v1/contracts/{}", beijing_lot1["id"].as_str().unwrap()),
        &sx(6).token,
    )
    .await
    .expect_problem(404);

    // notices: winners get an award notice, the others a non-award notice, each buyer
    // its province's contracts
    let award_notice = app.mail_to("award_notice").await;
    let non_award_notice = app.mail_to("non_award_notice").await;
    assert!(award_notice.contains(&"tender01@e2e-pharma.test".to_owned()));
    assert!(non_award_notice.contains(&"tender06@e2e-pharma.test".to_owned()));
    assert!(non_award_notice.contains(&"tender19@e2e-pharma.test".to_owned()));
    assert!(!award_notice.contains(&"tender06@e2e-pharma.test".to_owned()));
    assert!(
        app.mail_to("contracts_awarded")
            .await
            .contains(&"buyer@vbp.demo".to_owned())
    );
    // the Chinese half of a non-award notice gives the reason in Chinese
    for (zh, en) in non_award_reasons(&app).await {
        assert!(zh.starts_with("未中选"), "{zh}");
        assert!(!zh.contains("lost"), "{zh}");
        assert!(en.starts_with("lost"), "{en}");
    }
}

#[actix_web::test]
async fn a_supply_failure_goes_to_the_backup_and_the_public_record_validates() {
    let app = TestApp::with_demo().await;
    let (mut round, sup) = opened_national_round(&app).await;
    round.evaluate(&app).await;
    round.award(&app).await;
    let sx = |n: usize| &sup[n - 1];
    let (rid, officer) = (round.id.clone(), round.officer.clone());
    // Beijing's contract for lot 1 (S04's)
    let buyer = app.login_demo("buyer").await;
    let mine = app.get("/api/v1/contracts", &buyer).await.expect(200).body;
    let beijing_lot1 = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["lot_id"] == json!(round.lots[0]))
        .unwrap()
        .clone();

    // S04 fails Beijing: S01, its backup, takes over at its own price 0.3000:
    // 248,000 x 0.3000 = 74,400.00; S04 is barred until the end of 2031
    let failure = app
        .post(
            &format!("/api/v1/contracts/{}/supply-failure", s(&beijing_lot1["id"])),
            &officer,
            json!({"reason": "GMP certificate suspended; no deliveries since March", "bar_until": "2031-12-31"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(failure["failed"]["status"], "failed");
    assert_eq!(failure["takeover"]["supplier_name"], supplier_name(1));
    assert_eq!(failure["takeover"]["unit_price"], "0.3000");
    assert_eq!(failure["takeover"]["agreed_volume"], 248_000);
    assert_eq!(failure["takeover"]["annual_amount"], "74400.00");
    assert_eq!(failure["takeover"]["replaces"], beijing_lot1["id"]);
    assert_eq!(failure["bar"]["barred_until"], "2031-12-31");
    app.post(
        &format!(
            "/api/v1/contracts/{}/supply-failure",
            s(&beijing_lot1["id"])
        ),
        &officer,
        json!({"reason": "again"}),
    )
    .await
    .expect_problem(422);
    let bars = app
        .get(
            &format!("/api/v1/supplier-bars?org_id={}", sx(4).org),
            &officer,
        )
        .await
        .expect(200)
        .body["items"]
        .clone();
    assert_eq!(bars.as_array().unwrap().len(), 1);

    // the public record: an OCDS 1.1 release package that the official schema accepts
    let package = app
        .get(&format!("/api/v1/rounds/{rid}/ocds"), &sx(6).token)
        .await
        .expect(200)
        .body;
    let releases = package["releases"].as_array().unwrap();
    assert_eq!(releases.len(), 3, "tender, award, supply failure");
    let award_release = &releases[1];
    assert_eq!(award_release["tender"]["lots"].as_array().unwrap().len(), 4);
    assert_eq!(award_release["tender"]["numberOfTenderers"], 20);
    assert_eq!(
        award_release["awards"].as_array().unwrap().len(),
        5 + 3 + 1 + 2
    );
    assert_eq!(award_release["contracts"].as_array().unwrap().len(), 72);
    assert_eq!(
        award_release["bids"]["details"].as_array().unwrap().len(),
        20
    );
    assert_eq!(releases[2]["contracts"][0]["status"], "terminated");
    let (ok, out) = validate_ocds(&package);
    assert!(ok, "the OCDS package does not validate:\n{out}");
    // and the validator does reject a broken package
    let mut broken = package.clone();
    broken["releases"][1]["tag"] = json!(["bogus"]);
    broken["releases"][1]["awards"][0]["date"] = json!("yesterday");
    let (ok, out) = validate_ocds(&broken);
    assert!(
        !ok && out.contains("bogus") && out.contains("yesterday"),
        "{out}"
    );

    // every step is in the audit log, and the chain is intact
    app.seal_audit().await;
    let auditor = app.login_demo("auditor").await;
    let verify = app
        .get("/api/v1/audit/verify", &auditor)
        .await
        .expect(200)
        .body;
    assert_eq!(verify["intact"], true, "{verify}");
    let actions = app.audit_actions(&format!("entity_id={rid}")).await;
    for a in ["round.evaluate", "round.award", "round.open"] {
        assert!(
            actions.contains(&a.to_owned()),
            "{a} missing from {actions:?}"
        );
    }
}

/// (Chinese, English) reasons of every lot of every non-award notice queued.
async fn non_award_reasons(app: &TestApp) -> Vec<(String, String)> {
    use diesel::{QueryableByName, sql_types::Text};
    use diesel_async::RunQueryDsl;
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        zh: String,
        #[diesel(sql_type = Text)]
        en: String,
    }
    let mut conn = app.db.connect().await;
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT l->>'reason_zh' AS zh, l->>'reason' AS en FROM jobs,
                jsonb_array_elements(payload->'context'->'lost') AS l
          WHERE kind = 'email' AND payload->>'template' = 'non_award_notice'",
    )
    .load(&mut conn)
    .await
    .unwrap();
    assert!(!rows.is_empty(), "no non-award notice queued");
    rows.into_iter().map(|r| (r.zh, r.en)).collect()
}

/// A one-lot round of `preset` in master-key mode with demand from Beijing (100,000),
/// Tianjin (80,000) and Shanghai (50,000).
fn small_round<'a>(app: &'a TestApp, preset: &str, representative: &str) -> RoundBuilder<'a> {
    RoundBuilder::new(app)
        .name(format!("复活测试 {preset}"))
        .preset(preset)
        .lot(representative)
        .demand(&buyer_email("110000"), [100_000])
        .demand(&buyer_email("120000"), [80_000])
        .demand(&buyer_email("310000"), [50_000])
}

#[actix_web::test]
async fn revival_window_then_supply_failure_bars_the_supplier_from_the_next_round() {
    let app = TestApp::with_demo().await;
    let sup = new_suppliers(&app, 4).await;
    let code = |n: usize| code("C10AA", "T921", "A001", 2, n);
    let drug = |n: usize| Drug::new(code(n), "E2E复活片", supplier_name(n));
    CatalogBuilder::new(&app)
        .drug(drug(1).ceiling("1.0000"))
        .drugs((2..=4).map(drug))
        .import()
        .await;
    let mut round = small_round(&app, "batch10", &code(1));
    // batch 10: S01 0.3000 and S02 0.5000 win (<= 1.8 x 0.3000 = 0.54); S03 0.6000 and
    // S04 0.7000 do not. 4 valid bidders allow 3 winners: one revival place, at the
    // highest winning UCP, 0.5000
    for (n, price) in [(1, "0.3000"), (2, "0.5000"), (3, "0.6000"), (4, "0.7000")] {
        round = round.bid(&sup[n - 1].token, 0, &code(n), price, 1_000_000, &[]);
    }
    let round = round.opened().await;
    let (rid, lot, officer) = (round.id, round.lots[0].clone(), round.officer);
    let first = app
        .post(
            &format!("/api/v1/rounds/{rid}/evaluate"),
            &officer,
            json!({"cycle_start": "2030-01-01", "revival_window_minutes": 60}),
        )
        .await
        .expect(200)
        .body;
    let lot_ev = &first["evaluation"]["lots"][0];
    assert_eq!(lot_ev["revival"]["ucp"], "0.5000");
    assert_eq!(lot_ev["revival"]["places"], 1);
    let candidates: Vec<String> = lot_ev["revival"]["candidates"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(&c["supplier_name"]))
        .collect();
    assert_eq!(candidates, [supplier_name(3), supplier_name(4)]);
    assert!(first["evaluation"]["revival_deadline"].is_string());
    let offers = app
        .get(
            &format!("/api/v1/rounds/{rid}/revival-offers"),
            &sup[3].token,
        )
        .await
        .expect(200)
        .body["items"]
        .clone();
    assert_eq!(
        offers.as_array().unwrap().len(),
        1,
        "a supplier sees its own offer"
    );
    assert_eq!(offers[0]["unit_price"], "0.5000");
    assert!(
        app.mail_to("revival_offer")
            .await
            .contains(&"tender04@e2e-pharma.test".to_owned())
    );

    // no award while candidates may still answer
    let digest = s(&first["digest"]);
    app.post(
        &format!("/api/v1/rounds/{rid}/award"),
        &officer,
        json!({"evaluation_digest": digest}),
    )
    .await
    .expect_problem(422);
    let answer = |n: usize, accept: bool| {
        let app = &app;
        let token = sup[n - 1].token.clone();
        let path = format!("/api/v1/rounds/{rid}/revival-offers/{lot}");
        async move { app.post(&path, &token, json!({"accept": accept})).await }
    };
    answer(3, false).await.expect(200);
    let accepted = answer(4, true).await.expect(200).body;
    assert_eq!(accepted["response"], "accepted");
    answer(4, false).await.expect_problem(409);
    answer(1, true).await.expect_problem(404);

    // the reviewed evaluation predates the answers: re-evaluate first
    app.post(
        &format!("/api/v1/rounds/{rid}/award"),
        &officer,
        json!({"evaluation_digest": digest}),
    )
    .await
    .expect_problem(409);
    let second = app
        .post(
            &format!("/api/v1/rounds/{rid}/evaluate"),
            &officer,
            json!({}),
        )
        .await
        .expect(200)
        .body;
    assert_ne!(second["digest"], first["digest"]);
    let lot_ev = &second["evaluation"]["lots"][0];
    let winners: Vec<(String, String)> = lot_ev["bids"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["won"] == true)
        .map(|b| (s(&b["supplier_name"]), s(&b["awarded_unit_price"])))
        .collect();
    assert_eq!(
        winners,
        [(1, "0.3000"), (2, "0.5000"), (4, "0.5000")]
            .map(|(n, p)| (supplier_name(n), p.to_owned()))
    );
    // 3 winners: 70 %; the draft gives Beijing to S01, Tianjin to S02, Shanghai to S04
    let lines: BTreeMap<String, (String, u64, String)> = lot_ev["allocation"]["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            (
                s(&l["province"]),
                (
                    s(&l["supplier_name"]),
                    l["agreed_volume"].as_u64().unwrap(),
                    s(&l["annual_amount"]),
                ),
            )
        })
        .collect();
    assert_eq!(
        lines["110000"],
        (supplier_name(1), 70_000, "21000.00".into())
    );
    assert_eq!(
        lines["120000"],
        (supplier_name(2), 56_000, "28000.00".into())
    );
    assert_eq!(
        lines["310000"],
        (supplier_name(4), 35_000, "17500.00".into())
    );
    app.post(
        &format!("/api/v1/rounds/{rid}/award"),
        &officer,
        json!({"evaluation_digest": second["digest"]}),
    )
    .await
    .expect(200);
    answer(3, true).await.expect_problem(422);

    // S01 fails Beijing; its backup S02 (second draft: S01 backs Tianjin, S02 Beijing)
    // takes over at 0.5000: 70,000 x 0.5 = 35,000.00. S01 is barred until 2031-12-31
    let contracts = app
        .get(
            &format!("/api/v1/contracts?round_id={rid}&province=110000"),
            &officer,
        )
        .await
        .expect(200)
        .body;
    let beijing = &contracts["items"][0];
    assert_eq!(beijing["backup"]["supplier_name"], supplier_name(2));
    let failure = app
        .post(
            &format!("/api/v1/contracts/{}/supply-failure", s(&beijing["id"])),
            &officer,
            json!({"reason": "production line shut down", "bar_until": "2031-12-31"}),
        )
        .await
        .expect(201)
        .body;
    assert_eq!(failure["takeover"]["annual_amount"], "35000.00");
    app.post(
        &format!(
            "/api/v1/contracts/{}/supply-failure",
            s(&failure["takeover"]["id"])
        ),
        &officer,
        json!({"reason": "no backup left"}),
    )
    .await
    .expect_problem(422);

    // the next round: S01 is refused at submission; S02 is not
    let next = small_round(&app, "batch7", &code(1)).published().await;
    let (rid2, lot2) = (next.id, &next.lots[0]);
    let refused = app
        .post(
            &format!("/api/v1/rounds/{rid2}/bids"),
            &sup[0].token,
            json!({"lot_id": lot2, "product_code": code(1), "unit_price": "0.3000",
                   "annual_capacity": 1_000_000}),
        )
        .await
        .expect_problem(422)
        .body;
    assert!(
        s(&refused["detail"]).contains("barred") && s(&refused["detail"]).contains("2031-12-31"),
        "{refused}"
    );
    app.post(
        &format!("/api/v1/rounds/{rid2}/bids"),
        &sup[1].token,
        json!({"lot_id": lot2, "product_code": code(2), "unit_price": "0.3000",
               "annual_capacity": 1_000_000}),
    )
    .await
    .expect(201);
}
