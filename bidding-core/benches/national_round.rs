//! A national-scale round: lots x bids x 31 provinces, evaluated and allocated
//! with the batch 10 rules (revival offers included).
//!
//! `cargo bench -p bidding-core -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use bidding_core::{
    Bid, BidId, Consistency, DosageForm, EligibilityContext, Lot, LotId, Product, ProductKind,
    ProvinceCode, ProvinceDemand, Quantity, RoundInput, RoundRules, Specification, SupplierId,
    Timestamp, Unit, UnitPrice, VolumeClass, run_round,
};
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rust_decimal::Decimal;

const PROVINCES: [u32; 31] = [
    110000, 120000, 130000, 140000, 150000, 210000, 220000, 230000, 310000, 320000, 330000, 340000,
    350000, 360000, 370000, 410000, 420000, 430000, 440000, 450000, 460000, 500000, 510000, 520000,
    530000, 540000, 610000, 620000, 630000, 640000, 650000,
];

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn spec(mg: i64) -> Specification {
    Specification {
        dosage_form: DosageForm::Tablet,
        strength: Quantity::new(Decimal::new(mg, 0), Unit::Mg).ok(),
        fill_volume: None,
        pack_count: 28,
        min_unit: "tablet".into(),
    }
}

fn price(tenth_mills: i64) -> UnitPrice {
    UnitPrice::new(Decimal::new(tenth_mills, 4)).unwrap_or(UnitPrice::ZERO)
}

/// `lots` lots with `bids_per_lot` bids each and demand in all 31 provinces.
fn national_round(lots: usize, bids_per_lot: usize) -> RoundInput {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let strengths = [10, 20, 40, 20, 20, 15, 10, 20]; // mostly powers of two, some 15 mg
    let mut out_lots = Vec::with_capacity(lots);
    let mut bids = Vec::with_capacity(lots * bids_per_lot);
    let mut demand = Vec::with_capacity(lots * PROVINCES.len());
    for l in 0..lots {
        let lot_id = LotId(l as i64 + 1);
        let generic = format!("generic {l}");
        let base = 500 + rng.below(20_000) as i64; // representative UCP scale
        out_lots.push(Lot {
            id: lot_id,
            generic_name: generic.clone(),
            kind: ProductKind::Drug,
            representative: spec(20),
            ceiling_ucp: Some(price(base * 3)),
            volume_class: if l % 10 == 0 {
                VolumeClass::SpecialAntibacterial
            } else {
                VolumeClass::Standard
            },
        });
        for b in 0..bids_per_lot {
            let id = (l * bids_per_lot + b) as i64 + 1;
            let mg = strengths[rng.below(strengths.len() as u64) as usize];
            let p = base / 2 + rng.below(base as u64 * 3) as i64;
            let prefs = (0..3)
                .map(|_| ProvinceCode(PROVINCES[rng.below(31) as usize]))
                .collect();
            bids.push(Bid {
                id: BidId(id),
                lot_id,
                supplier_id: SupplierId(b as i64 + 1),
                product: Some(Product {
                    code: "XC10AAA126A001010101234".into(),
                    kind: ProductKind::Drug,
                    generic_name: generic.clone(),
                    spec: spec(mg),
                    consistency: Some(if rng.below(20) == 0 {
                        Consistency::NotPassed
                    } else {
                        Consistency::Passed
                    }),
                    ceiling: None,
                }),
                unit_price: price(p),
                annual_capacity: 1_000 * (1 + rng.below(5)),
                submitted_at: Timestamp(rng.below(1_000_000) as i64),
                province_preferences: prefs,
            });
        }
        for p in PROVINCES {
            demand.push(ProvinceDemand {
                lot_id,
                province: ProvinceCode(p),
                annual_demand: rng.below(5_000_000),
            });
        }
    }
    RoundInput {
        rules: RoundRules::batch10(),
        lots: out_lots,
        bids,
        demand,
        context: EligibilityContext::default(),
        accepted_revivals: Vec::new(),
        cycle_start: "2026-01-01".parse().unwrap_or_else(|_| unreachable!()),
    }
}

fn bench(c: &mut Criterion) {
    let mut g = c.benchmark_group("national_round");
    g.sample_size(20);
    // The national shape: 40 bids per lot, lots grow.
    for lots in [250usize, 1_000, 4_000] {
        let input = national_round(lots, 40);
        let n = input.bids.len();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(
            BenchmarkId::new("40_bids_per_lot", n),
            &input,
            |b, input| b.iter(|| run_round(black_box(input)).map(|r| r.lots.len())),
        );
    }
    // Bids per lot grow: 1,000 lots x 10 / 40 / 160 bids.
    for per_lot in [10usize, 160] {
        let input = national_round(1_000, per_lot);
        let n = input.bids.len();
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::new("1000_lots", n), &input, |b, input| {
            b.iter(|| run_round(black_box(input)).map(|r| r.lots.len()))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
