//! Products and their specifications.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::BiddingError;
use crate::money::UnitPrice;

/// A unit of strength or fill volume.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Unit {
    /// microgram
    #[serde(alias = "µg", alias = "mcg")]
    Ug,
    Mg,
    G,
    /// international units
    #[serde(rename = "IU", alias = "iu", alias = "U")]
    Iu,
    /// millimole
    Mmol,
    Ml,
    #[serde(rename = "L", alias = "l")]
    L,
    /// concentration in percent
    #[serde(rename = "%", alias = "percent")]
    Percent,
}

/// What a unit measures; only equal dimensions compare.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Dimension {
    Mass,
    Activity,
    Amount,
    Volume,
    Concentration,
}

impl Unit {
    /// The dimension of the unit.
    #[must_use]
    pub fn dimension(self) -> Dimension {
        match self {
            Unit::Ug | Unit::Mg | Unit::G => Dimension::Mass,
            Unit::Iu => Dimension::Activity,
            Unit::Mmol => Dimension::Amount,
            Unit::Ml | Unit::L => Dimension::Volume,
            Unit::Percent => Dimension::Concentration,
        }
    }

    /// Factor to the dimension's base unit (mg, IU, mmol, ml, %).
    #[must_use]
    pub fn to_base(self) -> Decimal {
        match self {
            Unit::Ug => Decimal::new(1, 3),
            Unit::G | Unit::L => Decimal::ONE_THOUSAND,
            Unit::Mg | Unit::Iu | Unit::Mmol | Unit::Ml | Unit::Percent => Decimal::ONE,
        }
    }

    /// The catalog spelling.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Ug => "ug",
            Unit::Mg => "mg",
            Unit::G => "g",
            Unit::Iu => "IU",
            Unit::Mmol => "mmol",
            Unit::Ml => "ml",
            Unit::L => "L",
            Unit::Percent => "%",
        }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Unit {
    type Err = BiddingError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "ug" | "µg" | "μg" | "mcg" => Unit::Ug,
            "mg" => Unit::Mg,
            "g" => Unit::G,
            "IU" | "iu" | "U" => Unit::Iu,
            "mmol" => Unit::Mmol,
            "ml" | "mL" => Unit::Ml,
            "L" | "l" => Unit::L,
            "%" | "percent" => Unit::Percent,
            other => {
                return Err(BiddingError::NotComparable {
                    what: "unit",
                    detail: format!("unknown unit {other:?}"),
                });
            }
        })
    }
}

/// An amount with its unit, e.g. 20 mg or 2 ml. The amount is > 0.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Quantity {
    pub amount: Decimal,
    pub unit: Unit,
}

impl Quantity {
    /// Builds a quantity; the amount must be positive.
    pub fn new(amount: Decimal, unit: Unit) -> Result<Self, BiddingError> {
        if amount <= Decimal::ZERO {
            return Err(BiddingError::NonPositiveQuantity { value: amount });
        }
        Ok(Quantity { amount, unit })
    }

    /// `self / other` in common base units.
    pub fn ratio_to(&self, other: &Quantity) -> Result<Decimal, BiddingError> {
        if self.unit.dimension() != other.unit.dimension() {
            return Err(BiddingError::IncompatibleUnits {
                left: self.unit,
                right: other.unit,
            });
        }
        if self.amount <= Decimal::ZERO || other.amount <= Decimal::ZERO {
            return Err(BiddingError::NonPositiveQuantity {
                value: self.amount.min(other.amount),
            });
        }
        let a = self
            .amount
            .checked_mul(self.unit.to_base())
            .ok_or(BiddingError::Overflow)?;
        let b = other
            .amount
            .checked_mul(other.unit.to_base())
            .ok_or(BiddingError::Overflow)?;
        a.checked_div(b).ok_or(BiddingError::Overflow)
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.amount.normalize(), self.unit)
    }
}

/// Dosage form of a drug (consumables use [`DosageForm::Device`]).
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DosageForm {
    Tablet,
    FilmCoatedTablet,
    DispersibleTablet,
    SustainedReleaseTablet,
    EntericCoatedTablet,
    OrallyDisintegratingTablet,
    Capsule,
    SustainedReleaseCapsule,
    EntericCoatedCapsule,
    Granule,
    Powder,
    Pill,
    OralSolution,
    OralSuspension,
    Syrup,
    Injection,
    PowderForInjection,
    Infusion,
    EyeDrops,
    Ointment,
    Cream,
    Gel,
    Inhalation,
    Spray,
    Suppository,
    Patch,
    /// A medical consumable (no dosage form).
    Device,
    Other,
}

/// The class of a dosage form, used by thresholds set "by dosage form".
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FormClass {
    OralSolid,
    OralLiquid,
    Injection,
    Topical,
    Device,
    Other,
}

impl DosageForm {
    /// The class of the form.
    #[must_use]
    pub fn class(self) -> FormClass {
        use DosageForm::*;
        match self {
            Tablet
            | FilmCoatedTablet
            | DispersibleTablet
            | SustainedReleaseTablet
            | EntericCoatedTablet
            | OrallyDisintegratingTablet
            | Capsule
            | SustainedReleaseCapsule
            | EntericCoatedCapsule
            | Granule
            | Powder
            | Pill => FormClass::OralSolid,
            OralSolution | OralSuspension | Syrup => FormClass::OralLiquid,
            Injection | PowderForInjection | Infusion => FormClass::Injection,
            EyeDrops | Ointment | Cream | Gel | Inhalation | Spray | Suppository | Patch => {
                FormClass::Topical
            }
            Device => FormClass::Device,
            Other => FormClass::Other,
        }
    }
}

/// Consistency-evaluation status of a generic drug.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consistency {
    Originator,
    Reference,
    Passed,
    NotPassed,
}

impl Consistency {
    /// Originator, reference listed drug and passed products may bid.
    #[must_use]
    pub fn may_bid(self) -> bool {
        !matches!(self, Consistency::NotPassed)
    }
}

/// Drug or medical consumable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ProductKind {
    #[default]
    Drug,
    Consumable,
}

/// A specification: dosage form, strength, fill volume, pack count, minimum unit.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub struct Specification {
    pub dosage_form: DosageForm,
    /// Content per minimum unit (20 mg); `None` for consumables.
    pub strength: Option<Quantity>,
    /// Fill volume per minimum unit for liquids (2 ml).
    pub fill_volume: Option<Quantity>,
    /// Minimum units per pack (28 tablets).
    pub pack_count: u32,
    /// What one minimum unit is: tablet, capsule, vial, bag, piece, set...
    pub min_unit: String,
}

/// A catalog item a bid refers to, as resolved by the caller from the national
/// catalog.
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct Product {
    /// NHSA drug (23) or consumables (27) code.
    pub code: String,
    pub kind: ProductKind,
    pub generic_name: String,
    pub spec: Specification,
    /// Drugs only.
    pub consistency: Option<Consistency>,
    /// The item's published ceiling, price per minimum unit, valid on the
    /// round's bidding date (the caller filters by validity period).
    pub ceiling: Option<UnitPrice>,
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn ratio_across_units() {
        let a = Quantity::new(dec!(0.5), Unit::G).unwrap();
        let b = Quantity::new(dec!(250), Unit::Mg).unwrap();
        assert_eq!(a.ratio_to(&b).unwrap(), dec!(2));
        let c = Quantity::new(dec!(2), Unit::Ml).unwrap();
        assert!(matches!(
            a.ratio_to(&c),
            Err(BiddingError::IncompatibleUnits { .. })
        ));
        assert!(Quantity::new(dec!(0), Unit::Mg).is_err());
    }

    #[test]
    fn units_parse_and_serialize() {
        assert_eq!("µg".parse::<Unit>().unwrap(), Unit::Ug);
        assert_eq!(serde_json::to_string(&Unit::Iu).unwrap(), "\"IU\"");
        assert_eq!(
            serde_json::from_str::<Unit>("\"%\"").unwrap(),
            Unit::Percent
        );
        assert!("furlong".parse::<Unit>().is_err());
    }

    #[test]
    fn form_classes() {
        assert_eq!(DosageForm::Tablet.class(), FormClass::OralSolid);
        assert_eq!(DosageForm::Capsule.class(), FormClass::OralSolid);
        assert_eq!(DosageForm::Infusion.class(), FormClass::Injection);
        assert_eq!(DosageForm::Syrup.class(), FormClass::OralLiquid);
        assert!(!Consistency::NotPassed.may_bid());
        assert!(Consistency::Reference.may_bid());
    }
}
