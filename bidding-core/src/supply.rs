//! After the award: hospital quotas, traceability codes and the "behind" flag
//! (../shared/DOMAIN.md, "Hospitals, quotas and orders").

use std::cmp::Ordering;

/// One hospital's share of a province's agreed volume on a contract.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuotaShare<K> {
    pub hospital: K,
    pub demand: u64,
    pub quota: u64,
}

/// Splits a province's agreed volume `total` (already rounded half-up) among its
/// hospitals in proportion to their reported demand, by the largest-remainder rule:
/// each gets the floor of its exact share `total x demand / sum of demands`, and the units
/// left go one each to the largest remainders (equal remainders: larger demand first,
/// then the lower key). The quotas sum to `total` exactly. With no demand at all, every
/// quota is 0 (and `total` should be 0 too; the units are then given by the same order).
///
/// Exact in integers: shares are computed in u128, so no demand or total up to `u64::MAX`
/// overflows.
pub fn split_quota<K: Ord + Clone>(total: u64, demands: &[(K, u64)]) -> Vec<QuotaShare<K>> {
    let sum: u128 = demands.iter().map(|(_, d)| u128::from(*d)).sum();
    let mut shares: Vec<(QuotaShare<K>, u128)> = demands
        .iter()
        .map(|(k, d)| {
            let exact = u128::from(total) * u128::from(*d);
            let (quota, rem) = match (exact.checked_div(sum), exact.checked_rem(sum)) {
                (Some(q), Some(r)) => (q as u64, r),
                _ => (0, 0),
            };
            (
                QuotaShare {
                    hospital: k.clone(),
                    demand: *d,
                    quota,
                },
                rem,
            )
        })
        .collect();
    let given: u64 = shares.iter().map(|(s, _)| s.quota).sum();
    let mut left = total.saturating_sub(given);
    if left > 0 && !shares.is_empty() {
        let mut order: Vec<usize> = (0..shares.len()).collect();
        order.sort_by(|&a, &b| {
            let (sa, ra) = &shares[a];
            let (sb, rb) = &shares[b];
            rb.cmp(ra)
                .then(sb.demand.cmp(&sa.demand))
                .then(sa.hospital.cmp(&sb.hospital))
        });
        // fewer units than hospitals by construction (each remainder < 1 unit), unless
        // there was no demand at all: then hand them round in the same order
        let mut i = 0;
        while left > 0 {
            shares[order[i % order.len()]].0.quota += 1;
            left -= 1;
            i += 1;
        }
    }
    shares.into_iter().map(|(s, _)| s).collect()
}

/// Why a traceability code is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceCodeError {
    /// A drug code that is not 20 ASCII digits starting with 8.
    DrugCode,
    /// A UDI-DI that is not a GS1 GTIN (8, 12, 13 or 14 digits).
    UdiLength,
    /// A GTIN whose GS1 check digit is wrong.
    UdiCheckDigit,
}

impl std::fmt::Display for TraceCodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            TraceCodeError::DrugCode => {
                "a drug traceability code is 20 digits and starts with 8 (its 7-digit drug identifier)"
            }
            TraceCodeError::UdiLength => "a UDI-DI is a GS1 GTIN of 8, 12, 13 or 14 digits",
            TraceCodeError::UdiCheckDigit => "the GS1 check digit of this UDI-DI is wrong",
        })
    }
}

/// Checks a drug traceability code (药品追溯码): 20 digits, of which the first 7 are the
/// drug identifier (药品标识码, starting with 8), then the 9-digit serial of the pack and a
/// 4-digit verification segment. The verification segment is computed by the code's
/// issuer with its own key and cannot be recomputed here: it is only checked to be
/// digits (docs/rules.md, "Traceability codes").
pub fn check_drug_code(code: &str) -> Result<(), TraceCodeError> {
    if code.len() == 20 && code.bytes().all(|b| b.is_ascii_digit()) && code.starts_with('8') {
        Ok(())
    } else {
        Err(TraceCodeError::DrugCode)
    }
}

/// The GS1 check digit of the digits before it (mod 10, weights 3 and 1 from the right).
pub fn gs1_check_digit(body: &[u8]) -> u8 {
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| u32::from(*d) * if i % 2 == 0 { 3 } else { 1 })
        .sum();
    ((10 - sum % 10) % 10) as u8
}

/// Checks a UDI-DI of a consumable issued under GS1 (the agency most Chinese UDI-DIs
/// come from): a GTIN of 8, 12, 13 or 14 digits whose last digit is its GS1 check digit.
pub fn check_udi_di(code: &str) -> Result<(), TraceCodeError> {
    if !matches!(code.len(), 8 | 12 | 13 | 14) || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(TraceCodeError::UdiLength);
    }
    let digits: Vec<u8> = code.bytes().map(|b| b - b'0').collect();
    let (body, check) = digits.split_at(digits.len() - 1);
    if gs1_check_digit(body) == check[0] {
        Ok(())
    } else {
        Err(TraceCodeError::UdiCheckDigit)
    }
}

/// Whether a hospital is behind: its accepted volume below the threshold (a province
/// setting, 0.8 unless set; here in basis points, 8000) x quota x the elapsed fraction of
/// the cycle (`elapsed_days / cycle_days`, clamped to 0..=1). Computed exactly in
/// integers: accepted x 10000 x cycle < threshold_bp x quota x elapsed.
pub fn is_behind(
    accepted: u64,
    quota: u64,
    elapsed_days: i64,
    cycle_days: i64,
    threshold_bp: u32,
) -> bool {
    if cycle_days <= 0 || quota == 0 {
        return false;
    }
    let elapsed = elapsed_days.clamp(0, cycle_days) as u128;
    let lhs = u128::from(accepted) * 10_000 * cycle_days as u128;
    let rhs = u128::from(threshold_bp) * u128::from(quota) * elapsed;
    lhs.cmp(&rhs) == Ordering::Less
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn three_hospitals_of_one_unit_at_seventy_percent() {
        // province demand 3 x 70 % = 2.1 -> 2 units; each share 0.667: two get 1
        let q = split_quota(2, &[("a", 1), ("b", 1), ("c", 1)]);
        assert_eq!(
            q.iter().map(|s| s.quota).collect::<Vec<_>>(),
            vec![1, 1, 0],
            "equal remainders and demands: lower keys first"
        );
    }

    #[test]
    fn larger_remainder_then_larger_demand_wins_the_unit() {
        // total 10 over demands 5, 3, 2 -> exact 5, 3, 2
        let q = split_quota(10, &[("a", 5), ("b", 3), ("c", 2)]);
        assert_eq!(q.iter().map(|s| s.quota).sum::<u64>(), 10);
        // total 7 over 1, 1, 1, 1 (1.75 each): three get 2, the last key 1
        let q = split_quota(7, &[("d", 1), ("a", 1), ("c", 1), ("b", 1)]);
        let by: std::collections::BTreeMap<_, _> =
            q.iter().map(|s| (s.hospital, s.quota)).collect();
        assert_eq!(by[&"d"], 1);
        assert_eq!(by.values().sum::<u64>(), 7);
        // total 3 over 2, 1 with equal remainders? 3*2/3 = 2 r0, 3*1/3 = 1 r0: exact
        let q = split_quota(2, &[("x", 2), ("y", 1)]);
        // 1.333 and 0.667: y has the larger remainder
        assert_eq!(q.iter().map(|s| s.quota).collect::<Vec<_>>(), vec![1, 1]);
    }

    #[test]
    fn no_demand_gives_no_quota() {
        let q = split_quota(0, &[("a", 0), ("b", 0)]);
        assert!(q.iter().all(|s| s.quota == 0));
    }

    proptest! {
        #[test]
        fn quotas_sum_to_the_total_and_stay_within_one_unit_of_the_exact_share(
            demands in proptest::collection::vec(0u64..1_000_000_000_000, 1..40),
            ratio_pct in 1u64..=100,
        ) {
            let sum: u64 = demands.iter().sum();
            let total = (u128::from(sum) * u128::from(ratio_pct) / 100) as u64;
            let keyed: Vec<(usize, u64)> = demands.iter().copied().enumerate().collect();
            let q = split_quota(total, &keyed);
            prop_assert_eq!(q.iter().map(|s| s.quota).sum::<u64>(), total);
            if sum > 0 {
                for s in &q {
                    let exact = u128::from(total) * u128::from(s.demand);
                    let floor = exact / u128::from(sum);
                    prop_assert!(u128::from(s.quota) == floor || u128::from(s.quota) == floor + 1);
                }
            }
        }
    }

    #[test]
    fn drug_codes_are_twenty_digits_from_8() {
        assert!(check_drug_code("81234567890123456789").is_ok());
        for bad in [
            "8123456789012345678",
            "812345678901234567890",
            "71234567890123456789",
            "8123456789012345678a",
            "８1234567890123456789",
        ] {
            assert_eq!(check_drug_code(bad), Err(TraceCodeError::DrugCode), "{bad}");
        }
    }

    #[test]
    fn udi_di_checks_the_gs1_digit() {
        // GTIN-13 6901234567892 (check digit 2), GTIN-14 with indicator 0
        assert!(check_udi_di("6901234567892").is_ok());
        assert!(check_udi_di("06901234567892").is_ok());
        assert_eq!(
            check_udi_di("6901234567893"),
            Err(TraceCodeError::UdiCheckDigit)
        );
        assert_eq!(check_udi_di("690123"), Err(TraceCodeError::UdiLength));
        assert_eq!(
            check_udi_di("690123456789X"),
            Err(TraceCodeError::UdiLength)
        );
    }

    #[test]
    fn behind_is_below_eighty_percent_of_the_elapsed_quota() {
        // half the year gone, quota 1000: expected 400 at 80 %
        assert!(is_behind(399, 1000, 182, 364, 8000));
        assert!(!is_behind(400, 1000, 182, 364, 8000));
        // a province's 81.25 %: 406.25 tablets expected by mid-cycle
        assert!(is_behind(406, 1000, 182, 364, 8125));
        assert!(!is_behind(407, 1000, 182, 364, 8125));
        assert!(!is_behind(0, 1000, 0, 364, 8000));
        assert!(!is_behind(0, 0, 100, 364, 8000));
        // past the end: the whole quota counts
        assert!(is_behind(799, 1000, 1000, 364, 8000));
    }
}
