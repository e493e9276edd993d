//! The national catalog's vocabulary: NHSA codes and the controlled values of a
//! catalog row (kind, dosage form, units, minimum unit, consistency status).
//!
//! * [`parse_code`] checks the structure of an NHSA insurance drug code (23
//!   characters) or medical consumables code (27 characters) and splits it into its
//!   parts; [`CodeError`] names the position at fault.
//! * [`parse_kind`], [`parse_dosage_form`], [`parse_unit`], [`parse_min_unit`] and
//!   [`parse_consistency`] accept the English catalog spelling and the usual Chinese
//!   names, and return the one canonical value the catalog stores.
//!
//! The exact rules are documented in `docs/rules.md`, "Catalog codes".

use rust_decimal::Decimal;

use crate::spec::{Consistency, DosageForm, ProductKind, Unit};

/// Length of an NHSA insurance drug code (`XA01ABD075A002010100483`).
pub const DRUG_CODE_LEN: usize = 23;
/// Length of an NHSA medical consumables code (`C15011121200000107660000016`).
pub const CONSUMABLE_CODE_LEN: usize = 27;

/// ATC level-1 anatomical main groups; position 2 of a western-medicine (`X`) code.
pub const ATC_GROUPS: &str = "ABCDGHJLMNPRSV";

/// What is wrong with a code, naming the 1-based positions at fault.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("is empty")]
    Empty,
    #[error(
        "must start with X (western medicine) or Z (Chinese patent medicine) for a drug, or C for a consumable; found {found:?}"
    )]
    Prefix { found: char },
    #[error("position {position} is {found:?}; a code holds only ASCII letters and digits")]
    NotAscii { position: usize, found: char },
    #[error("a {what} code has {expected} characters; found {found}")]
    Length {
        what: &'static str,
        expected: usize,
        found: usize,
    },
    #[error("positions {from}-{to} ({part}) must be {expected}; found {found:?}")]
    Part {
        from: usize,
        to: usize,
        part: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("is a {code_kind} code but the row's kind is {row_kind}")]
    KindMismatch {
        code_kind: &'static str,
        row_kind: &'static str,
    },
}

/// The parts of a 23-character NHSA insurance drug code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrugCode {
    /// `X` western medicine, `Z` Chinese patent medicine.
    pub category: char,
    /// Positions 2-6: ATC level 4 (`A01AB`), or the TCM classification for `Z`.
    pub class: String,
    /// Positions 7-10: generic-name id (`D075`).
    pub generic_id: String,
    /// Positions 11-14: dosage form (`A002`).
    pub dosage_form: String,
    /// Positions 15-16: strength serial.
    pub strength_serial: String,
    /// Positions 17-18: package serial.
    pub package_serial: String,
    /// Positions 19-23: company id.
    pub company: String,
}

/// The parts of a 27-character NHSA medical consumables code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsumableCode {
    /// Positions 2-3, 4-5, 6-7: class levels 1, 2 and 3.
    pub class_levels: [String; 3],
    /// Positions 8-10: generic name.
    pub generic_name: String,
    /// Positions 11-15: features (material, use...).
    pub features: String,
    /// Positions 16-20: company.
    pub company: String,
    /// Positions 21-27: specification / model.
    pub model: String,
}

impl ConsumableCode {
    /// The class as stored in the catalog: the three levels joined by dots (`15.01.11`).
    #[must_use]
    pub fn class(&self) -> String {
        self.class_levels.join(".")
    }
}

/// A structurally valid NHSA code.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NhsaCode {
    Drug(DrugCode),
    Consumable(ConsumableCode),
}

impl NhsaCode {
    #[must_use]
    pub fn kind(&self) -> ProductKind {
        match self {
            NhsaCode::Drug(_) => ProductKind::Drug,
            NhsaCode::Consumable(_) => ProductKind::Consumable,
        }
    }
}

/// Normalizes a code as read from a file: surrounding blanks removed, upper case.
#[must_use]
pub fn normalize_code(raw: &str) -> String {
    raw.trim().to_ascii_uppercase()
}

fn part<'a>(
    code: &'a str,
    from: usize,
    to: usize,
    name: &'static str,
    expected: &'static str,
    ok: impl Fn(&[u8]) -> bool,
) -> Result<&'a str, CodeError> {
    let s = &code[from - 1..to];
    if ok(s.as_bytes()) {
        Ok(s)
    } else {
        Err(CodeError::Part {
            from,
            to,
            part: name,
            expected,
            found: s.to_owned(),
        })
    }
}

fn upper(b: u8) -> bool {
    b.is_ascii_uppercase()
}

fn digits(s: &[u8]) -> bool {
    s.iter().all(u8::is_ascii_digit)
}

/// A letter followed by digits (`D075`, `A002`).
fn letter_digits(s: &[u8]) -> bool {
    s.split_first()
        .is_some_and(|(first, rest)| upper(*first) && digits(rest))
}

/// Checks the structure of a normalized code (see [`normalize_code`]) and splits it.
pub fn parse_code(code: &str) -> Result<NhsaCode, CodeError> {
    let first = code.chars().next().ok_or(CodeError::Empty)?;
    if let Some((i, c)) = code
        .chars()
        .enumerate()
        .find(|(_, c)| !c.is_ascii_alphanumeric())
    {
        return Err(CodeError::NotAscii {
            position: i + 1,
            found: c,
        });
    }
    let n = code.len();
    match first {
        'X' | 'Z' => {
            if n != DRUG_CODE_LEN {
                return Err(CodeError::Length {
                    what: "drug",
                    expected: DRUG_CODE_LEN,
                    found: n,
                });
            }
            let class = if first == 'X' {
                part(
                    code,
                    2,
                    6,
                    "ATC level 4",
                    "an ATC group letter (A B C D G H J L M N P R S V), 2 digits and 2 letters, like A01AB",
                    |s| {
                        ATC_GROUPS.as_bytes().contains(&s[0])
                            && digits(&s[1..3])
                            && upper(s[3])
                            && upper(s[4])
                    },
                )?
            } else {
                part(
                    code,
                    2,
                    6,
                    "classification",
                    "a letter, 2 digits and 2 letters, like A01AB",
                    |s| upper(s[0]) && digits(&s[1..3]) && upper(s[3]) && upper(s[4]),
                )?
            };
            Ok(NhsaCode::Drug(DrugCode {
                category: first,
                class: class.to_owned(),
                generic_id: part(
                    code,
                    7,
                    10,
                    "generic-name id",
                    "a letter and 3 digits, like D075",
                    letter_digits,
                )?
                .to_owned(),
                dosage_form: part(
                    code,
                    11,
                    14,
                    "dosage form",
                    "a letter and 3 digits, like A002",
                    letter_digits,
                )?
                .to_owned(),
                strength_serial: part(code, 15, 16, "strength serial", "2 digits", digits)?
                    .to_owned(),
                package_serial: part(code, 17, 18, "package serial", "2 digits", digits)?
                    .to_owned(),
                company: part(code, 19, 23, "company id", "5 digits", digits)?.to_owned(),
            }))
        }
        'C' => {
            if n != CONSUMABLE_CODE_LEN {
                return Err(CodeError::Length {
                    what: "consumable",
                    expected: CONSUMABLE_CODE_LEN,
                    found: n,
                });
            }
            let level = |from: usize, name: &'static str| {
                part(code, from, from + 1, name, "2 digits, 01 to 99", |s| {
                    digits(s) && s != b"00"
                })
                .map(str::to_owned)
            };
            Ok(NhsaCode::Consumable(ConsumableCode {
                class_levels: [
                    level(2, "class level 1")?,
                    level(4, "class level 2")?,
                    level(6, "class level 3")?,
                ],
                generic_name: part(code, 8, 10, "generic name", "3 digits", digits)?.to_owned(),
                features: part(code, 11, 15, "features", "5 digits", digits)?.to_owned(),
                company: part(code, 16, 20, "company", "5 digits", digits)?.to_owned(),
                model: part(code, 21, 27, "specification/model", "7 digits", digits)?.to_owned(),
            }))
        }
        other => Err(CodeError::Prefix { found: other }),
    }
}

/// [`parse_code`], and the code's kind must be the row's.
pub fn check_code(kind: ProductKind, code: &str) -> Result<NhsaCode, CodeError> {
    let parsed = parse_code(code)?;
    if parsed.kind() != kind {
        return Err(CodeError::KindMismatch {
            code_kind: kind_name(parsed.kind()),
            row_kind: kind_name(kind),
        });
    }
    Ok(parsed)
}

/// The catalog spelling of a kind.
#[must_use]
pub fn kind_name(kind: ProductKind) -> &'static str {
    match kind {
        ProductKind::Drug => "drug",
        ProductKind::Consumable => "consumable",
    }
}

/// `drug` / `consumable` (also 药品 / 耗材).
#[must_use]
pub fn parse_kind(s: &str) -> Option<ProductKind> {
    match s.trim() {
        "drug" | "Drug" | "药品" => Some(ProductKind::Drug),
        "consumable" | "Consumable" | "耗材" | "医用耗材" => Some(ProductKind::Consumable),
        _ => None,
    }
}

/// Every dosage form: its catalog spelling and the Chinese names accepted for it.
pub const DOSAGE_FORMS: &[(DosageForm, &str, &[&str])] = &[
    (DosageForm::Tablet, "tablet", &["片剂", "片", "普通片"]),
    (
        DosageForm::FilmCoatedTablet,
        "film_coated_tablet",
        &["薄膜衣片"],
    ),
    (
        DosageForm::DispersibleTablet,
        "dispersible_tablet",
        &["分散片"],
    ),
    (
        DosageForm::SustainedReleaseTablet,
        "sustained_release_tablet",
        &["缓释片"],
    ),
    (
        DosageForm::EntericCoatedTablet,
        "enteric_coated_tablet",
        &["肠溶片"],
    ),
    (
        DosageForm::OrallyDisintegratingTablet,
        "orally_disintegrating_tablet",
        &["口崩片", "口腔崩解片"],
    ),
    (
        DosageForm::Capsule,
        "capsule",
        &["胶囊", "胶囊剂", "硬胶囊"],
    ),
    (
        DosageForm::SustainedReleaseCapsule,
        "sustained_release_capsule",
        &["缓释胶囊"],
    ),
    (
        DosageForm::EntericCoatedCapsule,
        "enteric_coated_capsule",
        &["肠溶胶囊"],
    ),
    (DosageForm::Granule, "granule", &["颗粒", "颗粒剂"]),
    (DosageForm::Powder, "powder", &["散剂", "粉剂"]),
    (DosageForm::Pill, "pill", &["丸剂"]),
    (
        DosageForm::OralSolution,
        "oral_solution",
        &["口服溶液", "口服溶液剂", "口服液"],
    ),
    (
        DosageForm::OralSuspension,
        "oral_suspension",
        &["口服混悬液", "混悬液"],
    ),
    (DosageForm::Syrup, "syrup", &["糖浆", "糖浆剂"]),
    (DosageForm::Injection, "injection", &["注射液", "注射剂"]),
    (
        DosageForm::PowderForInjection,
        "powder_for_injection",
        &["注射用无菌粉末", "粉针剂", "冻干粉针"],
    ),
    (DosageForm::Infusion, "infusion", &["输液", "大容量注射液"]),
    (DosageForm::EyeDrops, "eye_drops", &["滴眼液", "滴眼剂"]),
    (DosageForm::Ointment, "ointment", &["软膏", "软膏剂"]),
    (DosageForm::Cream, "cream", &["乳膏", "乳膏剂"]),
    (DosageForm::Gel, "gel", &["凝胶", "凝胶剂"]),
    (
        DosageForm::Inhalation,
        "inhalation",
        &["吸入剂", "吸入制剂"],
    ),
    (DosageForm::Spray, "spray", &["喷雾剂"]),
    (DosageForm::Suppository, "suppository", &["栓剂"]),
    (DosageForm::Patch, "patch", &["贴剂"]),
    (DosageForm::Device, "device", &["器械"]),
    (DosageForm::Other, "other", &["其他"]),
];

/// A dosage form by its catalog spelling or a Chinese name.
#[must_use]
pub fn parse_dosage_form(s: &str) -> Option<DosageForm> {
    let s = s.trim();
    DOSAGE_FORMS
        .iter()
        .find(|(_, name, zh)| *name == s || zh.contains(&s))
        .map(|(form, _, _)| *form)
}

/// The catalog spelling of a dosage form (the same as its JSON name).
#[must_use]
pub fn dosage_form_name(form: DosageForm) -> &'static str {
    DOSAGE_FORMS
        .iter()
        .find(|(f, _, _)| *f == form)
        .map_or("other", |(_, name, _)| name)
}

/// Units of strength and fill volume: what a file may say, and what it means.
/// `万IU` (ten thousand IU) is stored as IU, its amount multiplied by 10,000.
pub const UNITS: &[(&str, Unit, i64)] = &[
    ("mg", Unit::Mg, 1),
    ("g", Unit::G, 1),
    ("ug", Unit::Ug, 1),
    ("µg", Unit::Ug, 1),
    ("μg", Unit::Ug, 1),
    ("mcg", Unit::Ug, 1),
    ("IU", Unit::Iu, 1),
    ("iu", Unit::Iu, 1),
    ("U", Unit::Iu, 1),
    ("万IU", Unit::Iu, 10_000),
    ("万U", Unit::Iu, 10_000),
    ("mmol", Unit::Mmol, 1),
    ("ml", Unit::Ml, 1),
    ("mL", Unit::Ml, 1),
    ("L", Unit::L, 1),
    ("%", Unit::Percent, 1),
];

/// The accepted unit spellings, for error messages.
pub const UNIT_LIST: &str = "mg, g, ug (µg, mcg), IU (U), 万IU (万U), mmol, ml (mL), L, %";

/// A unit and the factor its amount is multiplied by when stored (10,000 for 万IU).
#[must_use]
pub fn parse_unit(s: &str) -> Option<(Unit, Decimal)> {
    let s = s.trim();
    UNITS
        .iter()
        .find(|(name, _, _)| *name == s)
        .map(|(_, unit, factor)| (*unit, Decimal::from(*factor)))
}

/// Minimum units (the unit a price is quoted per) and the Chinese names accepted.
pub const MIN_UNITS: &[(&str, &[&str])] = &[
    ("tablet", &["片"]),
    ("capsule", &["粒"]),
    ("pill", &["丸"]),
    ("sachet", &["包"]),
    ("bag", &["袋"]),
    ("vial", &["西林瓶"]),
    ("ampoule", &["安瓿"]),
    ("bottle", &["瓶"]),
    ("tube", &["管"]),
    ("pen", &["笔"]),
    ("cartridge", &["笔芯"]),
    ("syringe", &["预充式注射器"]),
    ("patch", &["贴"]),
    ("suppository", &["枚"]),
    ("dose", &["揿", "喷"]),
    ("piece", &["个", "根", "件"]),
    ("set", &["套"]),
];

/// A minimum unit by its catalog spelling or Chinese name.
#[must_use]
pub fn parse_min_unit(s: &str) -> Option<&'static str> {
    let s = s.trim();
    MIN_UNITS
        .iter()
        .find(|(name, zh)| *name == s || zh.contains(&s))
        .map(|(name, _)| *name)
}

/// The consistency-evaluation statuses: catalog spelling and Chinese names.
pub const CONSISTENCY: &[(Consistency, &str, &[&str])] = &[
    (Consistency::Originator, "originator", &["原研", "原研药"]),
    (Consistency::Reference, "reference", &["参比制剂", "参比"]),
    (
        Consistency::Passed,
        "passed",
        &["通过", "过评", "通过一致性评价"],
    ),
    (Consistency::NotPassed, "not_passed", &["未通过", "未过评"]),
];

/// A consistency-evaluation status by its catalog spelling or Chinese name.
#[must_use]
pub fn parse_consistency(s: &str) -> Option<Consistency> {
    let s = s.trim();
    CONSISTENCY
        .iter()
        .find(|(_, name, zh)| *name == s || zh.contains(&s))
        .map(|(c, _, _)| *c)
}

/// The catalog spelling of a consistency status (the same as its JSON name).
#[must_use]
pub fn consistency_name(c: Consistency) -> &'static str {
    CONSISTENCY
        .iter()
        .find(|(x, _, _)| *x == c)
        .map_or("not_passed", |(_, name, _)| name)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn the_documented_drug_code_splits_into_its_parts() {
        let NhsaCode::Drug(d) = parse_code("XA01ABD075A002010100483").unwrap() else {
            panic!("not a drug");
        };
        assert_eq!(d.category, 'X');
        assert_eq!(d.class, "A01AB");
        assert_eq!(d.generic_id, "D075");
        assert_eq!(d.dosage_form, "A002");
        assert_eq!(d.strength_serial, "01");
        assert_eq!(d.package_serial, "01");
        assert_eq!(d.company, "00483");
        // Chinese patent medicines share the shape; position 2 is not an ATC group
        assert!(parse_code("ZT01AAA001B001010100012").is_ok());
    }

    #[test]
    fn the_documented_consumable_code_splits_into_its_parts() {
        let NhsaCode::Consumable(c) = parse_code("C15011121200000107660000016").unwrap() else {
            panic!("not a consumable");
        };
        assert_eq!(c.class(), "15.01.11");
        assert_eq!(c.generic_name, "212");
        assert_eq!(c.features, "00000");
        assert_eq!(c.company, "10766");
        assert_eq!(c.model, "0000016");
    }

    #[test]
    fn drug_codes_are_refused_naming_the_position() {
        let err = |c: &str| parse_code(c).unwrap_err();
        assert_eq!(err(""), CodeError::Empty);
        assert!(matches!(
            err("YA01ABD075A002010100483"),
            CodeError::Prefix { found: 'Y' }
        ));
        assert_eq!(
            err("XA01ABD075A00201010048"),
            CodeError::Length {
                what: "drug",
                expected: 23,
                found: 22
            }
        );
        // E is no ATC group
        assert!(matches!(
            err("XE01ABD075A002010100483"),
            CodeError::Part { from: 2, to: 6, .. }
        ));
        assert!(matches!(
            err("XA0AABD075A002010100483"),
            CodeError::Part { from: 2, to: 6, .. }
        ));
        assert!(matches!(
            err("XA01ABDX75A002010100483"),
            CodeError::Part {
                from: 7,
                to: 10,
                ..
            }
        ));
        assert!(matches!(
            err("XA01ABD0751002010100483"),
            CodeError::Part {
                from: 11,
                to: 14,
                ..
            }
        ));
        assert!(matches!(
            err("XA01ABD075A0020A0100483"),
            CodeError::Part {
                from: 15,
                to: 16,
                ..
            }
        ));
        assert!(matches!(
            err("XA01ABD075A00201O100483"),
            CodeError::Part {
                from: 17,
                to: 18,
                ..
            }
        ));
        assert!(matches!(
            err("XA01ABD075A0020101004B3"),
            CodeError::Part {
                from: 19,
                to: 23,
                ..
            }
        ));
        // a multi-byte character must not be taken for one position
        assert_eq!(
            err("XA01ABD075A00201010048é"),
            CodeError::NotAscii {
                position: 23,
                found: 'é'
            }
        );
        let msg = err("XA01ABD0751002010100483").to_string();
        assert!(msg.contains("positions 11-14 (dosage form)"), "{msg}");
    }

    #[test]
    fn consumable_codes_are_refused_naming_the_position() {
        let err = |c: &str| parse_code(c).unwrap_err();
        assert!(matches!(
            err("C1501112120000010766000001"),
            CodeError::Length { found: 26, .. }
        ));
        assert!(matches!(
            err("C00011121200000107660000016"),
            CodeError::Part { from: 2, to: 3, .. }
        ));
        assert!(matches!(
            err("C15011121A00000107660000016"),
            CodeError::Part {
                from: 8,
                to: 10,
                ..
            }
        ));
        assert!(matches!(
            err("C150111212000001076600000X6"),
            CodeError::Part {
                from: 21,
                to: 27,
                ..
            }
        ));
    }

    #[test]
    fn a_code_must_match_the_rows_kind() {
        assert!(check_code(ProductKind::Drug, "XA01ABD075A002010100483").is_ok());
        assert_eq!(
            check_code(ProductKind::Consumable, "XA01ABD075A002010100483").unwrap_err(),
            CodeError::KindMismatch {
                code_kind: "drug",
                row_kind: "consumable"
            }
        );
        assert_eq!(
            normalize_code(" xa01abd075a002010100483 "),
            "XA01ABD075A002010100483"
        );
    }

    #[test]
    fn vocabularies_accept_english_and_chinese() {
        assert_eq!(parse_kind("耗材"), Some(ProductKind::Consumable));
        assert_eq!(parse_kind("device"), None);
        assert_eq!(
            parse_dosage_form("薄膜衣片"),
            Some(DosageForm::FilmCoatedTablet)
        );
        assert_eq!(parse_dosage_form("tablet"), Some(DosageForm::Tablet));
        assert_eq!(parse_dosage_form("Tablet"), None);
        assert_eq!(parse_unit("万IU"), Some((Unit::Iu, dec!(10000))));
        assert_eq!(parse_unit("µg"), Some((Unit::Ug, dec!(1))));
        assert_eq!(parse_unit("mgg"), None);
        assert_eq!(parse_min_unit("粒"), Some("capsule"));
        assert_eq!(parse_min_unit("box"), None);
        assert_eq!(parse_consistency("过评"), Some(Consistency::Passed));
        assert_eq!(consistency_name(Consistency::NotPassed), "not_passed");
    }

    #[test]
    fn catalog_spellings_are_the_json_names() {
        for (form, name, _) in DOSAGE_FORMS {
            assert_eq!(serde_json::to_value(form).unwrap(), *name);
            assert_eq!(dosage_form_name(*form), *name);
        }
        for (c, name, _) in CONSISTENCY {
            assert_eq!(serde_json::to_value(c).unwrap(), *name);
        }
        for (_, unit, _) in UNITS {
            assert_eq!(parse_unit(unit.as_str()).unwrap().0, *unit);
        }
        // every alias names one value only
        let mut seen = std::collections::HashSet::new();
        for (_, name, zh) in DOSAGE_FORMS {
            assert!(seen.insert(*name));
            for z in *zh {
                assert!(seen.insert(*z), "{z} twice");
            }
        }
        let mut seen = std::collections::HashSet::new();
        for (name, zh) in MIN_UNITS {
            assert!(seen.insert(*name));
            for z in *zh {
                assert!(seen.insert(*z), "{z} twice");
            }
        }
    }
}
