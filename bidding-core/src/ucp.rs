//! Unit comparable price (UCP, 差比价, NDRC 2011 no. 2452).
//!
//! With X = (bid spec) / (representative spec) the price ratio is
//! K = base ^ log2(X): base 1.7 for strength, 1.9 for fill volume, 1.95 for
//! pack count (only when prices are per pack). Dosage forms compare through an
//! explicit table of ratios. UCP = unit price / K, rounded half-up to 4 places
//! once, at the end.
//!
//! K is kept as a fraction `num / den` so that power-of-two ratios are exact
//! (10 mg vs 20 mg: K = 1 / 1.7, UCP = price x 1.7). Other ratios are computed
//! with a 28-digit decimal series (about 25 significant digits).

use std::collections::HashMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::BiddingError;
use crate::money::UnitPrice;
use crate::spec::{DosageForm, Specification};

/// Whether prices are quoted per minimum unit (the VBP norm) or per pack.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum PriceBasis {
    #[default]
    PerMinUnit,
    PerPack,
}

/// The price of `form` is `ratio` x the price of `representative` at equal
/// strength, fill volume and pack.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct FormRatio {
    pub form: DosageForm,
    pub representative: DosageForm,
    pub ratio: Decimal,
}

/// Settings of the comparable-price conversion (a round setting).
#[derive(Clone, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct ComparisonRules {
    /// Strength (content) base, 1.7.
    pub strength_base: Decimal,
    /// Fill volume base, 1.9.
    pub fill_volume_base: Decimal,
    /// Pack count base, 1.95.
    pub pack_count_base: Decimal,
    pub price_basis: PriceBasis,
    /// Dosage forms that may be compared with the lot's form, and at what
    /// ratio. A bid in another form than the lot's and not listed here is not
    /// comparable (and so not eligible).
    pub form_ratios: Vec<FormRatio>,
}

impl Default for ComparisonRules {
    fn default() -> Self {
        ComparisonRules {
            strength_base: Decimal::new(17, 1),
            fill_volume_base: Decimal::new(19, 1),
            pack_count_base: Decimal::new(195, 2),
            price_basis: PriceBasis::PerMinUnit,
            form_ratios: Vec::new(),
        }
    }
}

/// A price ratio K held as the exact fraction `num / den`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct PriceFactor {
    pub num: Decimal,
    pub den: Decimal,
}

impl PriceFactor {
    /// K = 1.
    pub const ONE: PriceFactor = PriceFactor {
        num: Decimal::ONE,
        den: Decimal::ONE,
    };

    fn times(self, other: PriceFactor) -> Result<PriceFactor, BiddingError> {
        Ok(PriceFactor {
            num: self
                .num
                .checked_mul(other.num)
                .ok_or(BiddingError::Overflow)?,
            den: self
                .den
                .checked_mul(other.den)
                .ok_or(BiddingError::Overflow)?,
        })
    }

    /// K as one decimal (rounded to 28 digits when not exact).
    pub fn value(self) -> Result<Decimal, BiddingError> {
        self.num.checked_div(self.den).ok_or(BiddingError::Overflow)
    }

    /// UCP = price / K, rounded half-up to 4 places.
    pub fn comparable(self, price: UnitPrice) -> Result<UnitPrice, BiddingError> {
        if self.num == Decimal::ONE {
            if self.den == Decimal::ONE {
                return Ok(price);
            }
            let v = price
                .value()
                .checked_mul(self.den)
                .ok_or(BiddingError::Overflow)?;
            return UnitPrice::round(v);
        }
        let v = price
            .value()
            .checked_mul(self.den)
            .ok_or(BiddingError::Overflow)?
            .checked_div(self.num)
            .ok_or(BiddingError::Overflow)?;
        UnitPrice::round(v)
    }

    /// The price in the bid's own spec for a given UCP (price = UCP x K),
    /// rounded toward zero so that its UCP never exceeds `ucp`.
    pub fn own_price_at_most(self, ucp: UnitPrice) -> Result<UnitPrice, BiddingError> {
        if self == PriceFactor::ONE {
            return Ok(ucp);
        }
        let v = ucp
            .value()
            .checked_mul(self.num)
            .ok_or(BiddingError::Overflow)?
            .checked_div(self.den)
            .ok_or(BiddingError::Overflow)?;
        UnitPrice::round_down(v)
    }
}

const MAX_DOUBLINGS: i32 = 64;

fn eps() -> Decimal {
    Decimal::new(1, 28)
}

/// ln(m) for m in [1, 2): 2 atanh((m-1)/(m+1)).
fn ln_1_2(m: Decimal) -> Result<Decimal, BiddingError> {
    let z = (m - Decimal::ONE)
        .checked_div(m + Decimal::ONE)
        .ok_or(BiddingError::Overflow)?;
    let z2 = z * z;
    let mut term = z;
    let mut sum = Decimal::ZERO;
    let mut k = 1u32;
    while !term.is_zero() && term.abs() > eps() && k < 400 {
        sum += term / Decimal::from(k);
        term *= z2;
        k += 2;
    }
    Ok(sum * Decimal::TWO)
}

/// Splits x > 0 into m x 2^e with m in [1, 2).
fn split_pow2(x: Decimal) -> Result<(Decimal, i32), BiddingError> {
    if x <= Decimal::ZERO {
        return Err(BiddingError::RatioOutOfRange { ratio: x });
    }
    let mut m = x;
    let mut e = 0i32;
    while m >= Decimal::TWO {
        m /= Decimal::TWO;
        e += 1;
        if e > MAX_DOUBLINGS {
            return Err(BiddingError::RatioOutOfRange { ratio: x });
        }
    }
    while m < Decimal::ONE {
        m *= Decimal::TWO;
        e -= 1;
        if e < -MAX_DOUBLINGS {
            return Err(BiddingError::RatioOutOfRange { ratio: x });
        }
    }
    Ok((m, e))
}

/// exp(y) for |y| < ~2 by Taylor series.
fn exp_small(y: Decimal) -> Decimal {
    let mut sum = Decimal::ONE;
    let mut term = Decimal::ONE;
    let mut n = 1u32;
    while n < 200 {
        term = term * y / Decimal::from(n);
        if term.is_zero() || term.abs() < eps() {
            break;
        }
        sum += term;
        n += 1;
    }
    sum
}

fn ln2() -> Decimal {
    // 2 atanh(1/3); 28 significant digits: 0.6931471805599453094172321215
    Decimal::from_i128_with_scale(6_931_471_805_599_453_094_172_321_215, 28)
}

/// Natural logarithm of x > 0 (about 25 significant digits).
pub fn ln(x: Decimal) -> Result<Decimal, BiddingError> {
    let (m, e) = split_pow2(x)?;
    Ok(ln_1_2(m)? + Decimal::from(e) * ln2())
}

/// K = base ^ log2(x), exact (as a fraction) when x is a power of two.
pub fn ratio_factor(base: Decimal, x: Decimal) -> Result<PriceFactor, BiddingError> {
    if base <= Decimal::ZERO {
        return Err(BiddingError::InvalidRules(format!(
            "price-ratio base {base} must be positive"
        )));
    }
    let (m, e) = split_pow2(x)?;
    let mut pow = Decimal::ONE;
    for _ in 0..e.unsigned_abs() {
        pow = pow.checked_mul(base).ok_or(BiddingError::Overflow)?;
    }
    let mut f = if e >= 0 {
        PriceFactor {
            num: pow,
            den: Decimal::ONE,
        }
    } else {
        PriceFactor {
            num: Decimal::ONE,
            den: pow,
        }
    };
    if m != Decimal::ONE {
        // base ^ log2(m) = exp(ln(base) * ln(m) / ln 2), |exponent| < |ln base|
        let y = ln(base)? * ln_1_2(m)? / ln2();
        f.num = f
            .num
            .checked_mul(exp_small(y))
            .ok_or(BiddingError::Overflow)?;
    }
    Ok(f)
}

/// Memo of K = base ^ log2(x) by (base, x). A round has few distinct
/// specification ratios, so its lots share one memo.
#[derive(Debug, Default)]
pub struct FactorMemo {
    map: HashMap<(Decimal, Decimal), PriceFactor>,
}

impl FactorMemo {
    /// [`ratio_factor`], remembered.
    pub fn ratio_factor(&mut self, base: Decimal, x: Decimal) -> Result<PriceFactor, BiddingError> {
        if x == Decimal::ONE {
            return Ok(PriceFactor::ONE);
        }
        if let Some(f) = self.map.get(&(base, x)) {
            return Ok(*f);
        }
        let f = ratio_factor(base, x)?;
        self.map.insert((base, x), f);
        Ok(f)
    }
}

fn form_factor(
    form: DosageForm,
    rep: DosageForm,
    rules: &ComparisonRules,
) -> Result<PriceFactor, BiddingError> {
    if form == rep {
        return Ok(PriceFactor::ONE);
    }
    for r in &rules.form_ratios {
        if r.ratio <= Decimal::ZERO {
            continue;
        }
        if r.form == form && r.representative == rep {
            return Ok(PriceFactor {
                num: r.ratio,
                den: Decimal::ONE,
            });
        }
        if r.form == rep && r.representative == form {
            return Ok(PriceFactor {
                num: Decimal::ONE,
                den: r.ratio,
            });
        }
    }
    Err(BiddingError::NotComparable {
        what: "dosage form",
        detail: format!(
            "no price ratio between {} and {}",
            crate::catalog::dosage_form_name(form),
            crate::catalog::dosage_form_name(rep)
        ),
    })
}

/// The price ratio K of `spec` against the representative `rep`, applied in the
/// order dosage form, strength, fill volume, pack count.
pub fn price_factor(
    spec: &Specification,
    rep: &Specification,
    rules: &ComparisonRules,
) -> Result<PriceFactor, BiddingError> {
    price_factor_memo(spec, rep, rules, &mut FactorMemo::default())
}

/// [`price_factor`] with a shared memo.
pub fn price_factor_memo(
    spec: &Specification,
    rep: &Specification,
    rules: &ComparisonRules,
    memo: &mut FactorMemo,
) -> Result<PriceFactor, BiddingError> {
    let mut k = form_factor(spec.dosage_form, rep.dosage_form, rules)?;
    match (&spec.strength, &rep.strength) {
        (Some(a), Some(b)) => {
            k = k.times(memo.ratio_factor(rules.strength_base, a.ratio_to(b)?)?)?;
        }
        (None, None) => {}
        _ => {
            return Err(BiddingError::NotComparable {
                what: "strength",
                detail: "one specification has a strength, the other none".into(),
            });
        }
    }
    match (&spec.fill_volume, &rep.fill_volume) {
        (Some(a), Some(b)) => {
            k = k.times(memo.ratio_factor(rules.fill_volume_base, a.ratio_to(b)?)?)?;
        }
        (None, None) => {}
        _ => {
            return Err(BiddingError::NotComparable {
                what: "fill volume",
                detail: "one specification has a fill volume, the other none".into(),
            });
        }
    }
    if rules.price_basis == PriceBasis::PerPack && spec.pack_count != rep.pack_count {
        if spec.pack_count == 0 || rep.pack_count == 0 {
            return Err(BiddingError::NotComparable {
                what: "pack count",
                detail: "pack count is zero".into(),
            });
        }
        let x = Decimal::from(spec.pack_count) / Decimal::from(rep.pack_count);
        k = k.times(memo.ratio_factor(rules.pack_count_base, x)?)?;
    }
    Ok(k)
}

/// The unit comparable price of `price` quoted for `spec`, at the
/// representative specification `rep`.
pub fn comparable_price(
    price: UnitPrice,
    spec: &Specification,
    rep: &Specification,
    rules: &ComparisonRules,
) -> Result<UnitPrice, BiddingError> {
    price_factor(spec, rep, rules)?.comparable(price)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::spec::{Quantity, Unit};
    use rust_decimal_macros::dec;

    fn tablet(mg: Decimal) -> Specification {
        Specification {
            dosage_form: DosageForm::Tablet,
            strength: Some(Quantity::new(mg, Unit::Mg).unwrap()),
            fill_volume: None,
            pack_count: 28,
            min_unit: "tablet".into(),
        }
    }

    fn vial(mg: Decimal, ml: Decimal) -> Specification {
        Specification {
            dosage_form: DosageForm::Injection,
            strength: Some(Quantity::new(mg, Unit::Mg).unwrap()),
            fill_volume: Some(Quantity::new(ml, Unit::Ml).unwrap()),
            pack_count: 10,
            min_unit: "vial".into(),
        }
    }

    fn p(d: Decimal) -> UnitPrice {
        UnitPrice::new(d).unwrap()
    }

    /// Agreement to `digits` significant digits.
    fn close(a: Decimal, b: Decimal, digits: u32) -> bool {
        let diff = (a - b).abs();
        diff <= b.abs() * Decimal::new(1, digits)
    }

    #[test]
    fn domain_example_10mg_at_050_is_085_at_20mg() {
        let r = ComparisonRules::default();
        let ucp =
            comparable_price(p(dec!(0.50)), &tablet(dec!(10)), &tablet(dec!(20)), &r).unwrap();
        assert_eq!(ucp.to_string(), "0.8500");
        let k = price_factor(&tablet(dec!(10)), &tablet(dec!(20)), &r).unwrap();
        assert_eq!(
            k,
            PriceFactor {
                num: dec!(1),
                den: dec!(1.7)
            }
        );
    }

    #[test]
    fn powers_of_two_are_exact() {
        let r = ComparisonRules::default();
        let k = |a, b| price_factor(&tablet(a), &tablet(b), &r).unwrap();
        assert_eq!(k(dec!(20), dec!(10)).value().unwrap(), dec!(1.7));
        assert_eq!(k(dec!(40), dec!(10)).value().unwrap(), dec!(2.89));
        assert_eq!(k(dec!(40), dec!(5)).value().unwrap(), dec!(4.913));
        assert_eq!(
            k(dec!(5), dec!(40)),
            PriceFactor {
                num: dec!(1),
                den: dec!(4.913)
            }
        );
        assert_eq!(k(dec!(10), dec!(10)), PriceFactor::ONE);
        // 40 mg bid at 1.2000 against a 10 mg representative: 1.2 / 2.89
        let ucp = comparable_price(p(dec!(1.2)), &tablet(dec!(40)), &tablet(dec!(10)), &r).unwrap();
        assert_eq!(ucp.to_string(), "0.4152"); // 0.41522491...
    }

    #[test]
    fn fill_volume_uses_1_9() {
        let r = ComparisonRules::default();
        let k = price_factor(&vial(dec!(100), dec!(4)), &vial(dec!(100), dec!(2)), &r).unwrap();
        assert_eq!(k.value().unwrap(), dec!(1.9));
        // strength and volume both doubled: 1.7 x 1.9
        let k = price_factor(&vial(dec!(200), dec!(4)), &vial(dec!(100), dec!(2)), &r).unwrap();
        assert_eq!(k.value().unwrap(), dec!(3.23));
    }

    #[test]
    fn pack_count_uses_1_95_only_per_pack() {
        let mut r = ComparisonRules::default();
        let mut a = tablet(dec!(10));
        a.pack_count = 56;
        let b = tablet(dec!(10));
        assert_eq!(price_factor(&a, &b, &r).unwrap(), PriceFactor::ONE);
        r.price_basis = PriceBasis::PerPack;
        assert_eq!(
            price_factor(&a, &b, &r).unwrap().value().unwrap(),
            dec!(1.95)
        );
    }

    #[test]
    fn non_power_of_two_to_twelve_significant_digits() {
        // Reference values computed with Python decimal at 50 digits:
        // exp(ln(base) * ln(x) / ln(2))
        let cases = [
            (dec!(1.7), dec!(1.5), dec!(1.363967358879414284468087)),
            (dec!(1.7), dec!(3), dec!(2.318744510095004283595748)),
            (dec!(1.9), dec!(1.25), dec!(1.229528544523121313944246)),
            (dec!(1.95), dec!(0.75), dec!(0.7579224307048278358053671)),
            (dec!(1.7), dec!(7.5), dec!(4.676164734486590438690627)),
        ];
        for (base, x, want) in cases {
            let got = ratio_factor(base, x).unwrap().value().unwrap();
            assert!(
                close(got, want, 20),
                "{base}^log2({x}) = {got}, want {want}"
            );
        }
    }

    #[test]
    fn ln_is_precise() {
        assert!(close(
            ln(dec!(1.7)).unwrap(),
            dec!(0.5306282510621703962315432),
            24
        ));
        assert!(close(
            ln(dec!(10)).unwrap(),
            dec!(2.302585092994045684017991455),
            25
        ));
        assert!(ln(dec!(0)).is_err());
    }

    #[test]
    fn units_are_converted_before_the_ratio() {
        let r = ComparisonRules::default();
        let mut g = tablet(dec!(0.02));
        g.strength = Some(Quantity::new(dec!(0.02), Unit::G).unwrap());
        let k = price_factor(&g, &tablet(dec!(10)), &r).unwrap();
        assert_eq!(k.value().unwrap(), dec!(1.7));
    }

    #[test]
    fn forms_need_a_ratio() {
        let mut r = ComparisonRules::default();
        let mut cap = tablet(dec!(10));
        cap.dosage_form = DosageForm::Capsule;
        assert!(matches!(
            price_factor(&cap, &tablet(dec!(10)), &r),
            Err(BiddingError::NotComparable {
                what: "dosage form",
                ..
            })
        ));
        r.form_ratios.push(FormRatio {
            form: DosageForm::Capsule,
            representative: DosageForm::Tablet,
            ratio: dec!(1),
        });
        assert_eq!(
            price_factor(&cap, &tablet(dec!(10)), &r)
                .unwrap()
                .value()
                .unwrap(),
            dec!(1)
        );
        // and the reverse direction uses 1 / ratio
        r.form_ratios[0].ratio = dec!(1.25);
        let k = price_factor(&tablet(dec!(10)), &cap, &r).unwrap();
        assert_eq!(
            k,
            PriceFactor {
                num: dec!(1),
                den: dec!(1.25)
            }
        );
    }

    #[test]
    fn own_price_never_exceeds_the_ucp() {
        let r = ComparisonRules::default();
        let k = price_factor(&tablet(dec!(15)), &tablet(dec!(10)), &r).unwrap();
        let ucp = p(dec!(0.3333));
        let own = k.own_price_at_most(ucp).unwrap();
        assert!(k.comparable(own).unwrap() <= ucp);
    }
}
