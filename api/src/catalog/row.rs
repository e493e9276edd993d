//! The columns of a catalog CSV file and the validation of one row.
//!
//! Every rule names the column it checks; the file's line is added by the caller.
//! The vocabularies and the NHSA code structure come from `bidding_core::catalog`.

use std::str::FromStr;

use bidding_core::{
    ProductKind, UnitPrice,
    catalog::{self, NhsaCode},
    spec::DosageForm,
};
use chrono::NaiveDate;
use rust_decimal::Decimal;

use crate::catalog::queries::{StagedCeiling, StagedItem};

/// A column of the catalog CSV.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Kind,
    Code,
    GenericName,
    DosageForm,
    Strength,
    StrengthUnit,
    FillVolume,
    FillVolumeUnit,
    PackCount,
    MinUnit,
    Consistency,
    Manufacturer,
    CeilingPrice,
    CeilingValidFrom,
    CeilingValidTo,
    ProductSystem,
}

/// Every column in export order: its name and the Chinese headers accepted for it.
pub const COLUMNS: &[(Column, &str, &[&str])] = &[
    (Column::Kind, "kind", &["类别", "类型"]),
    (
        Column::Code,
        "code",
        &["编码", "医保编码", "国家医保编码", "代码"],
    ),
    (
        Column::GenericName,
        "generic_name",
        &["通用名", "通用名称", "产品名称"],
    ),
    (Column::DosageForm, "dosage_form", &["剂型"]),
    (Column::Strength, "strength", &["规格", "规格数值"]),
    (Column::StrengthUnit, "strength_unit", &["规格单位"]),
    (Column::FillVolume, "fill_volume", &["装量"]),
    (Column::FillVolumeUnit, "fill_volume_unit", &["装量单位"]),
    (Column::PackCount, "pack_count", &["包装数量"]),
    (Column::MinUnit, "min_unit", &["最小单位", "最小制剂单位"]),
    (
        Column::Consistency,
        "consistency",
        &["一致性评价", "一致性评价状态"],
    ),
    (
        Column::Manufacturer,
        "manufacturer",
        &["生产企业", "生产厂家"],
    ),
    (
        Column::CeilingPrice,
        "ceiling_price",
        &["最高有效申报价", "最高限价", "限价"],
    ),
    (
        Column::CeilingValidFrom,
        "ceiling_valid_from",
        &["限价生效日期", "生效日期"],
    ),
    (
        Column::CeilingValidTo,
        "ceiling_valid_to",
        &["限价失效日期", "失效日期"],
    ),
    (Column::ProductSystem, "product_system", &["产品系统"]),
];

const REQUIRED: &[Column] = &[
    Column::Kind,
    Column::Code,
    Column::GenericName,
    Column::PackCount,
    Column::MinUnit,
    Column::Manufacturer,
];

impl Column {
    pub fn name(self) -> &'static str {
        COLUMNS
            .iter()
            .find(|(c, _, _)| *c == self)
            .map_or("?", |(_, n, _)| n)
    }

    fn index(self) -> usize {
        COLUMNS.iter().position(|(c, _, _)| *c == self).unwrap_or(0)
    }

    /// A header cell: the column name in any case, or a Chinese header.
    pub fn from_header(cell: &str) -> Option<Self> {
        let cell = cell.trim();
        let lower = cell.to_ascii_lowercase();
        COLUMNS
            .iter()
            .find(|(_, name, zh)| *name == lower || zh.contains(&cell))
            .map(|(c, _, _)| *c)
    }
}

/// An error in one column (`None`: the row as a whole).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellError {
    pub column: Option<&'static str>,
    pub message: String,
}

fn err(column: Column, message: impl Into<String>) -> CellError {
    CellError {
        column: Some(column.name()),
        message: message.into(),
    }
}

/// Where each column is in the file.
#[derive(Debug, Clone)]
pub struct Header {
    at: [Option<usize>; COLUMNS.len()],
    /// Canonical column name of each field of the file, by position.
    names: Vec<&'static str>,
}

impl Header {
    /// Reads the header row; every cell must name a known column, once.
    pub fn parse(cells: &csv::StringRecord) -> Result<Self, Vec<CellError>> {
        let mut at = [None; COLUMNS.len()];
        let mut names = Vec::with_capacity(cells.len());
        let mut errors = Vec::new();
        for (i, cell) in cells.iter().enumerate() {
            match Column::from_header(cell) {
                Some(c) if at[c.index()].is_some() => {
                    errors.push(err(
                        c,
                        format!("column {} repeats the {} column", i + 1, c.name()),
                    ));
                    names.push(c.name());
                }
                Some(c) => {
                    at[c.index()] = Some(i);
                    names.push(c.name());
                }
                None => {
                    errors.push(CellError {
                        column: None,
                        message: format!(
                            "column {}: unknown header {:?}; expected {} (or their Chinese headers, see docs/api.md)",
                            i + 1,
                            cell.trim(),
                            COLUMNS.iter().map(|(_, n, _)| *n).collect::<Vec<_>>().join(", ")
                        ),
                    });
                    names.push("?");
                }
            }
        }
        for c in REQUIRED {
            if at[c.index()].is_none() {
                errors.push(err(*c, "the header has no such column; it is required"));
            }
        }
        if errors.is_empty() {
            Ok(Self { at, names })
        } else {
            Err(errors)
        }
    }

    /// How many fields a row must have.
    pub fn len(&self) -> usize {
        self.names.len()
    }

    pub fn is_empty(&self) -> bool {
        self.names.is_empty()
    }

    /// The column name of the 1-based field `n` of a row.
    pub fn name_of(&self, n: usize) -> Option<&'static str> {
        n.checked_sub(1)
            .and_then(|i| self.names.get(i))
            .copied()
            .filter(|n| *n != "?")
    }

    /// The row's code, normalized (empty when missing).
    pub fn code_of(&self, row: &csv::StringRecord) -> String {
        catalog::normalize_code(self.get(row, Column::Code))
    }

    fn get<'r>(&self, row: &'r csv::StringRecord, c: Column) -> &'r str {
        self.at[c.index()]
            .and_then(|i| row.get(i))
            .map_or("", str::trim)
    }
}

/// A decimal written plainly: digits, at most one point, optionally a leading minus.
fn parse_decimal(s: &str) -> Option<Decimal> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let plain = !body.is_empty()
        && body.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && body.bytes().filter(|b| *b == b'.').count() <= 1
        && body.bytes().any(|b| b.is_ascii_digit());
    if !plain {
        return None;
    }
    Decimal::from_str(s).ok()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    (s.len() == 10)
        .then(|| NaiveDate::parse_from_str(s, "%Y-%m-%d").ok())
        .flatten()
}

const MAX_AMOUNT: i64 = 1_000_000_000_000;
const MAX_PRICE: i64 = 100_000_000;

/// Amount and unit of a strength or fill volume, both or neither.
fn quantity(
    amount: &str,
    unit: &str,
    amount_col: Column,
    unit_col: Column,
    errors: &mut Vec<CellError>,
) -> Option<(Decimal, &'static str)> {
    match (amount.is_empty(), unit.is_empty()) {
        (true, true) => return None,
        (true, false) => {
            errors.push(err(
                amount_col,
                format!("is empty but {} is given", unit_col.name()),
            ));
            return None;
        }
        (false, true) => {
            errors.push(err(
                unit_col,
                format!("is required with {}", amount_col.name()),
            ));
        }
        (false, false) => {}
    }
    let value = match parse_decimal(amount) {
        None => {
            errors.push(err(
                amount_col,
                format!("{amount:?} is not a decimal number"),
            ));
            None
        }
        Some(v) if v <= Decimal::ZERO => {
            errors.push(err(amount_col, format!("{amount} must be greater than 0")));
            None
        }
        Some(v) if v.normalize().scale() > 6 || v >= Decimal::from(MAX_AMOUNT) => {
            errors.push(err(
                amount_col,
                format!("{amount} must have at most 6 decimal places and be below 10^12"),
            ));
            None
        }
        Some(v) => Some(v),
    };
    if unit.is_empty() {
        return None;
    }
    let unit = match catalog::parse_unit(unit) {
        Some(u) => Some(u),
        None => {
            errors.push(err(
                unit_col,
                format!(
                    "unknown unit {unit:?}; expected one of {}",
                    catalog::UNIT_LIST
                ),
            ));
            None
        }
    };
    let (value, (unit, factor)) = (value?, unit?);
    // the amount in the stored unit (万IU as IU) is what the column holds
    let stored = value
        .checked_mul(factor)
        .filter(|v| *v < Decimal::from(MAX_AMOUNT));
    if stored.is_none() {
        errors.push(err(
            amount_col,
            format!(
                "{amount} {} is 10^12 or more once in the stored unit",
                unit.as_str()
            ),
        ));
    }
    Some((stored?, unit.as_str()))
}

/// Validates one data row; all of its errors at once.
pub fn validate(header: &Header, row: &csv::StringRecord) -> Result<StagedItem, Vec<CellError>> {
    let get = |c| header.get(row, c);
    let mut errors = Vec::new();

    let kind = match get(Column::Kind) {
        "" => {
            errors.push(err(Column::Kind, "is required (drug or consumable)"));
            None
        }
        s => {
            let k = catalog::parse_kind(s);
            if k.is_none() {
                errors.push(err(
                    Column::Kind,
                    format!("{s:?} is not drug or consumable (药品 / 耗材)"),
                ));
            }
            k
        }
    };

    let raw_code = get(Column::Code);
    let code = catalog::normalize_code(raw_code);
    let parsed = if code.is_empty() {
        errors.push(err(Column::Code, "is required"));
        None
    } else {
        let checked = match kind {
            Some(k) => catalog::check_code(k, &code),
            None => catalog::parse_code(&code),
        };
        match checked {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(err(Column::Code, format!("{raw_code:?} {e}")));
                None
            }
        }
    };

    let generic_name = get(Column::GenericName);
    if generic_name.is_empty() || generic_name.chars().count() > 200 {
        errors.push(err(
            Column::GenericName,
            "is required, at most 200 characters",
        ));
    }
    let manufacturer = get(Column::Manufacturer);
    if manufacturer.is_empty() || manufacturer.chars().count() > 200 {
        errors.push(err(
            Column::Manufacturer,
            "is required, at most 200 characters",
        ));
    }

    let is_drug = kind == Some(ProductKind::Drug);
    let is_consumable = kind == Some(ProductKind::Consumable);

    let dosage_form = match (get(Column::DosageForm), kind) {
        ("", Some(ProductKind::Drug)) => {
            errors.push(err(Column::DosageForm, "is required for a drug"));
            None
        }
        ("", _) => None,
        (s, _) => match catalog::parse_dosage_form(s) {
            Some(DosageForm::Device) if is_drug => {
                errors.push(err(
                    Column::DosageForm,
                    "device is for consumables, not drugs",
                ));
                None
            }
            Some(DosageForm::Device) => None,
            Some(_) if is_consumable => {
                errors.push(err(
                    Column::DosageForm,
                    format!("{s:?}: a consumable has no dosage form (leave it empty)"),
                ));
                None
            }
            Some(f) => Some(catalog::dosage_form_name(f)),
            None => {
                errors.push(err(
                    Column::DosageForm,
                    format!(
                        "unknown dosage form {s:?}; expected one of {}",
                        catalog::DOSAGE_FORMS
                            .iter()
                            .map(|(_, n, _)| *n)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
                None
            }
        },
    };

    let strength = quantity(
        get(Column::Strength),
        get(Column::StrengthUnit),
        Column::Strength,
        Column::StrengthUnit,
        &mut errors,
    );
    if is_drug && get(Column::Strength).is_empty() {
        errors.push(err(Column::Strength, "is required for a drug"));
    }
    let fill_volume = quantity(
        get(Column::FillVolume),
        get(Column::FillVolumeUnit),
        Column::FillVolume,
        Column::FillVolumeUnit,
        &mut errors,
    );

    let pack = get(Column::PackCount);
    let pack_count = match pack.parse::<i32>() {
        Ok(n) if (1..=1_000_000).contains(&n) && pack.bytes().all(|b| b.is_ascii_digit()) => n,
        _ => {
            errors.push(err(
                Column::PackCount,
                format!("{pack:?} is not a whole number from 1 to 1000000"),
            ));
            0
        }
    };

    let min_unit = match get(Column::MinUnit) {
        "" => {
            errors.push(err(Column::MinUnit, "is required"));
            ""
        }
        s => catalog::parse_min_unit(s).unwrap_or_else(|| {
            errors.push(err(
                Column::MinUnit,
                format!(
                    "unknown minimum unit {s:?}; expected one of {}",
                    catalog::MIN_UNITS
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            ));
            ""
        }),
    };

    let consistency = match get(Column::Consistency) {
        "" if is_drug => {
            errors.push(err(
                Column::Consistency,
                "is required for a drug (originator, reference, passed, not_passed)",
            ));
            None
        }
        "" => None,
        s if is_consumable => {
            errors.push(err(
                Column::Consistency,
                format!("{s:?}: consumables have no consistency evaluation (leave it empty)"),
            ));
            None
        }
        s => match catalog::parse_consistency(s) {
            Some(c) => Some(catalog::consistency_name(c)),
            None => {
                errors.push(err(
                    Column::Consistency,
                    format!("{s:?} is not originator, reference, passed or not_passed"),
                ));
                None
            }
        },
    };

    let product_system = match get(Column::ProductSystem) {
        "" => None,
        s if is_drug => {
            errors.push(err(
                Column::ProductSystem,
                format!("{s:?}: only consumables belong to a product system"),
            ));
            None
        }
        s if s.chars().count() > 100 => {
            errors.push(err(Column::ProductSystem, "is at most 100 characters"));
            None
        }
        s => Some(s.to_owned()),
    };

    let price = get(Column::CeilingPrice);
    let from = get(Column::CeilingValidFrom);
    let to = get(Column::CeilingValidTo);
    let ceiling = if price.is_empty() {
        if !from.is_empty() || !to.is_empty() {
            errors.push(err(
                Column::CeilingPrice,
                "is empty but a validity date is given",
            ));
        }
        None
    } else {
        let price_value = match parse_decimal(price) {
            None => {
                errors.push(err(
                    Column::CeilingPrice,
                    format!("{price:?} is not a decimal number"),
                ));
                None
            }
            Some(v) if v >= Decimal::from(MAX_PRICE) => {
                errors.push(err(
                    Column::CeilingPrice,
                    format!("{price} must be below 100000000"),
                ));
                None
            }
            Some(v) => match UnitPrice::new(v) {
                Ok(p) => Some(p.value()),
                Err(bidding_core::BiddingError::NegativePrice { .. }) => {
                    errors.push(err(
                        Column::CeilingPrice,
                        format!("{price} must be 0 or more"),
                    ));
                    None
                }
                Err(e) => {
                    errors.push(err(Column::CeilingPrice, e.to_string()));
                    None
                }
            },
        };
        let valid_from = if from.is_empty() {
            errors.push(err(
                Column::CeilingValidFrom,
                "is required with ceiling_price",
            ));
            None
        } else {
            let d = parse_date(from);
            if d.is_none() {
                errors.push(err(
                    Column::CeilingValidFrom,
                    format!("{from:?} is not a date (YYYY-MM-DD)"),
                ));
            }
            d
        };
        let valid_to = if to.is_empty() {
            Some(None)
        } else {
            match parse_date(to) {
                None => {
                    errors.push(err(
                        Column::CeilingValidTo,
                        format!("{to:?} is not a date (YYYY-MM-DD)"),
                    ));
                    None
                }
                Some(t) if valid_from.is_some_and(|f| t <= f) => {
                    errors.push(err(
                        Column::CeilingValidTo,
                        format!("{to} must be after ceiling_valid_from {from}"),
                    ));
                    None
                }
                Some(t) => Some(Some(t)),
            }
        };
        match (price_value, valid_from, valid_to) {
            (Some(price), Some(valid_from), Some(valid_to)) => Some(StagedCeiling {
                price,
                valid_from,
                valid_to,
            }),
            _ => None,
        }
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    let (Some(kind), Some(parsed)) = (kind, parsed) else {
        return Err(vec![CellError {
            column: None,
            message: "invalid row".into(),
        }]);
    };
    Ok(StagedItem {
        consumable_class: match &parsed {
            NhsaCode::Consumable(c) => Some(c.class()),
            NhsaCode::Drug(_) => None,
        },
        code,
        kind: catalog::kind_name(kind),
        generic_name: generic_name.to_owned(),
        dosage_form,
        strength,
        fill_volume,
        pack_count,
        min_unit,
        consistency,
        manufacturer: manufacturer.to_owned(),
        product_system,
        ceiling,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn header(cells: &[&str]) -> Header {
        Header::parse(&csv::StringRecord::from(cells.to_vec())).unwrap()
    }

    const HEAD: &[&str] = &[
        "kind",
        "code",
        "generic_name",
        "dosage_form",
        "strength",
        "strength_unit",
        "pack_count",
        "min_unit",
        "consistency",
        "manufacturer",
        "ceiling_price",
        "ceiling_valid_from",
    ];

    fn row(cells: &[&str]) -> Result<StagedItem, Vec<CellError>> {
        validate(&header(HEAD), &csv::StringRecord::from(cells.to_vec()))
    }

    #[test]
    fn a_good_drug_row() {
        let item = row(&[
            "drug",
            "XA01ABD075A002010100483",
            "阿托伐他汀钙片",
            "片剂",
            "20",
            "mg",
            "28",
            "片",
            "过评",
            "Example Pharma",
            "0.8500",
            "2026-01-01",
        ])
        .unwrap();
        assert_eq!(item.dosage_form, Some("tablet"));
        assert_eq!(item.strength, Some((dec!(20), "mg")));
        assert_eq!(item.min_unit, "tablet");
        assert_eq!(item.consistency, Some("passed"));
        assert_eq!(item.ceiling.unwrap().price, dec!(0.8500));
    }

    #[test]
    fn wan_iu_is_stored_as_iu() {
        let item = row(&[
            "drug",
            "XJ01CEQ001B001010100001",
            "注射用青霉素钠",
            "powder_for_injection",
            "80",
            "万IU",
            "1",
            "vial",
            "passed",
            "X",
            "",
            "",
        ])
        .unwrap();
        assert_eq!(item.strength, Some((dec!(800000), "IU")));
    }

    #[test]
    fn every_error_of_a_row_is_named_by_column() {
        let errors = row(&[
            "drug",
            "XA01ABD075A00201010048",
            "",
            "tablet",
            "20",
            "mgg",
            "0",
            "box",
            "",
            "M",
            "-1",
            "2026-13-01",
        ])
        .unwrap_err();
        let cols: Vec<_> = errors.iter().map(|e| e.column.unwrap()).collect();
        assert_eq!(
            cols,
            [
                "code",
                "generic_name",
                "strength_unit",
                "pack_count",
                "min_unit",
                "consistency",
                "ceiling_price",
                "ceiling_valid_from"
            ]
        );
        assert!(errors[6].message.contains("0 or more"), "{:?}", errors[6]);
    }

    #[test]
    fn headers_in_chinese_any_order() {
        let h = header(&["编码", "类别", "通用名", "包装数量", "最小单位", "生产企业"]);
        assert_eq!(h.name_of(1), Some("code"));
        assert_eq!(h.name_of(2), Some("kind"));
        let e =
            Header::parse(&csv::StringRecord::from(vec!["code", "kind", "colour"])).unwrap_err();
        assert!(
            e.iter()
                .any(|e| e.message.contains("unknown header \"colour\""))
        );
        assert!(e.iter().any(|e| e.column == Some("manufacturer")));
    }
}
