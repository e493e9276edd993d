//! Scenario tests across modules (evaluation, allocation, whole rounds) and
//! property tests.
#![allow(clippy::unwrap_used)]

mod allocation;
mod evaluation;
mod properties;

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::date::Timestamp;
use crate::eval::{Bid, Lot};
use crate::ids::{BidId, LotId, ProvinceCode, SupplierId};
use crate::money::UnitPrice;
use crate::rules::VolumeClass;
use crate::spec::{Consistency, DosageForm, Product, ProductKind, Quantity, Specification, Unit};

pub(crate) const GENERIC: &str = "atorvastatin calcium tablets";

pub(crate) fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

pub(crate) fn price(s: &str) -> UnitPrice {
    UnitPrice::new(dec(s)).unwrap()
}

pub(crate) fn tablet(mg: &str) -> Specification {
    Specification {
        dosage_form: DosageForm::Tablet,
        strength: Some(Quantity::new(dec(mg), Unit::Mg).unwrap()),
        fill_volume: None,
        pack_count: 28,
        min_unit: "tablet".into(),
    }
}

/// Lot 1: atorvastatin tablets, representative 20 mg.
pub(crate) fn lot(ceiling_ucp: Option<&str>) -> Lot {
    Lot {
        id: LotId(1),
        generic_name: GENERIC.into(),
        kind: ProductKind::Drug,
        representative: tablet("20"),
        ceiling_ucp: ceiling_ucp.map(price),
        volume_class: VolumeClass::Standard,
    }
}

pub(crate) fn product(mg: &str) -> Product {
    Product {
        code: "XC10AAA126A001010101234".into(),
        kind: ProductKind::Drug,
        generic_name: GENERIC.into(),
        spec: tablet(mg),
        consistency: Some(Consistency::Passed),
        ceiling: None,
    }
}

/// A valid 20 mg bid of supplier `id` (bid id = supplier id) at `p`.
pub(crate) fn bid(id: i64, p: &str) -> Bid {
    Bid {
        id: BidId(id),
        lot_id: LotId(1),
        supplier_id: SupplierId(id),
        product: Some(product("20")),
        unit_price: price(p),
        annual_capacity: 1_000_000,
        submitted_at: Timestamp(id),
        province_preferences: Vec::new(),
    }
}

pub(crate) fn prov(code: u32) -> ProvinceCode {
    ProvinceCode(code)
}
