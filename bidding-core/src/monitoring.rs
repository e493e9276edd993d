//! Monitoring and early warning (docs/rules.md and ../shared/DOMAIN.md, "Monitoring and
//! early warning"): the warning level of one generic in one province from its supply
//! problems over a sliding window, the day that level falls back, and the two price
//! alerts.
//!
//! A supply problem is a refused order, a confirmed order not shipped within its term,
//! or a shortage a hospital reported; the platform records each with the day it arose
//! (China's calendar day). Here they are only dates: what counts is how many lie in the
//! window that ends today.

use crate::{Date, UnitPrice, money::round_half_up};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A generic's supply warning in a province, from calm to the most urgent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WarningLevel {
    /// Fewer problems in the window than the first threshold.
    None,
    /// Worth watching: a problem or two.
    Watch,
    /// Officers should act: look at the backups and the affected hospitals.
    Warning,
    /// Supply is failing: record a supply failure and move the orders to the backup.
    Alarm,
}

/// How problems become a level: the window, and the count at which each level starts
/// (each at least the one before it, the first at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningRules {
    /// The window's length in days, today included (30: today and the 29 days before).
    pub window_days: u32,
    pub watch_at: u32,
    pub warning_at: u32,
    pub alarm_at: u32,
}

impl Default for WarningRules {
    /// 30 days; watch at 1 problem, warning at 3, alarm at 5.
    fn default() -> Self {
        Self {
            window_days: 30,
            watch_at: 1,
            warning_at: 3,
            alarm_at: 5,
        }
    }
}

impl WarningRules {
    /// Whether the rules make sense: a window of 1 to 366 days and thresholds rising
    /// from at least 1.
    #[must_use]
    pub fn is_valid(&self) -> bool {
        (1..=366).contains(&self.window_days)
            && self.watch_at >= 1
            && self.watch_at <= self.warning_at
            && self.warning_at <= self.alarm_at
    }

    /// The level `count` problems in the window give.
    #[must_use]
    pub fn level_of(&self, count: u32) -> WarningLevel {
        if count >= self.alarm_at {
            WarningLevel::Alarm
        } else if count >= self.warning_at {
            WarningLevel::Warning
        } else if count >= self.watch_at {
            WarningLevel::Watch
        } else {
            WarningLevel::None
        }
    }

    /// The count at which `level` starts (0 for [`WarningLevel::None`]).
    #[must_use]
    pub fn threshold(&self, level: WarningLevel) -> u32 {
        match level {
            WarningLevel::None => 0,
            WarningLevel::Watch => self.watch_at,
            WarningLevel::Warning => self.warning_at,
            WarningLevel::Alarm => self.alarm_at,
        }
    }

    /// Whether a problem of day `day` is in the window that ends on `today`: from
    /// `today - (window_days - 1)` to `today`; a later day is not (yet).
    #[must_use]
    pub fn in_window(&self, day: Date, today: Date) -> bool {
        let age = day.days_until(today);
        age >= 0 && age < self.window_days as i32
    }
}

/// A generic's warning in a province on one day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    pub level: WarningLevel,
    /// Problems in the window.
    pub count: u32,
    /// The first day on which, with no new problem, the level is lower (the oldest
    /// problems it stands on have left the window); `None` when there is no level.
    pub falls_back_on: Option<Date>,
}

/// The warning on `today` from the days of the problems (in any order; days after
/// `today` are ignored).
#[must_use]
pub fn warning(problem_days: &[Date], today: Date, rules: &WarningRules) -> Warning {
    let mut days: Vec<Date> = problem_days
        .iter()
        .copied()
        .filter(|d| rules.in_window(*d, today))
        .collect();
    days.sort_unstable();
    let count = u32::try_from(days.len()).unwrap_or(u32::MAX);
    let level = rules.level_of(count);
    // the level falls when the count drops below its threshold: after the
    // (count - threshold + 1) oldest problems have left, the last of them on its day +
    // window_days
    let falls_back_on = match level {
        WarningLevel::None => None,
        _ => {
            let leaving = (count - rules.threshold(level)) as usize;
            days.get(leaving)
                .and_then(|d| d.add_days(rules.window_days as i32).ok())
        }
    };
    Warning {
        level,
        count,
        falls_back_on,
    }
}

/// A price worth an officer's attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PriceAlert {
    /// A hospital paid more than the contract's price for an accepted line.
    PaidAboveContract {
        paid: UnitPrice,
        contract: UnitPrice,
    },
    /// A new ceiling rises above the last winning price by more than the allowed share
    /// (`rise` a fraction to 4 places: 0.2500 is 25 %).
    CeilingAboveLastWin {
        ceiling: UnitPrice,
        last_winning: UnitPrice,
        rise: Decimal,
    },
}

/// The alert for a price paid on a contract, if it is above the contract's price.
#[must_use]
pub fn paid_above_contract(paid: UnitPrice, contract: UnitPrice) -> Option<PriceAlert> {
    (paid > contract).then_some(PriceAlert::PaidAboveContract { paid, contract })
}

/// The alert for a new ceiling against the last winning price of the same generic and
/// specification (both comparable, e.g. as unit comparable prices), if it rises by more
/// than `max_rise` (a fraction: 0.2 allows 20 %). A last winning price of zero is no
/// reference.
#[must_use]
pub fn ceiling_above_last_win(
    ceiling: UnitPrice,
    last_winning: UnitPrice,
    max_rise: Decimal,
) -> Option<PriceAlert> {
    if last_winning.is_zero() {
        return None;
    }
    let rise = round_half_up(
        (ceiling.value() - last_winning.value()) / last_winning.value(),
        4,
    );
    (rise > max_rise).then_some(PriceAlert::CeilingAboveLastWin {
        ceiling,
        last_winning,
        rise,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: i32) -> Date {
        Date::from_ymd(2026, 11, 1)
            .and_then(|d| d.add_days(n))
            .expect("a date")
    }

    fn price(s: &str) -> UnitPrice {
        UnitPrice::new(s.parse().expect("a decimal")).expect("a price")
    }

    #[test]
    fn the_level_crosses_each_threshold_at_its_count() {
        let rules = WarningRules::default();
        let today = day(20);
        let mut problems = Vec::new();
        let expected = [
            WarningLevel::None,
            WarningLevel::Watch,
            WarningLevel::Watch,
            WarningLevel::Warning,
            WarningLevel::Warning,
            WarningLevel::Alarm,
            WarningLevel::Alarm,
        ];
        for (n, level) in expected.iter().enumerate() {
            let w = warning(&problems, today, &rules);
            assert_eq!((w.level, w.count), (*level, n as u32), "{n} problems");
            problems.push(day(10 + n as i32));
        }
    }

    #[test]
    fn the_level_falls_back_when_the_oldest_problems_leave_the_window() {
        let rules = WarningRules::default();
        // three problems on days 0, 5 and 9: a warning from day 9
        let problems = [day(0), day(5), day(9)];
        let w = warning(&problems, day(9), &rules);
        assert_eq!(w.level, WarningLevel::Warning);
        // the first leaves the 30-day window on day 30: the warning falls to watch then
        assert_eq!(w.falls_back_on, Some(day(30)));
        assert_eq!(
            warning(&problems, day(29), &rules).level,
            WarningLevel::Warning
        );
        let on_30 = warning(&problems, day(30), &rules);
        assert_eq!((on_30.level, on_30.count), (WarningLevel::Watch, 2));
        // watch stands on the last one (2 - 1 + 1 = 2 must leave): day 9 + 30
        assert_eq!(on_30.falls_back_on, Some(day(39)));
        assert_eq!(
            warning(&problems, day(38), &rules).level,
            WarningLevel::Watch
        );
        let calm = warning(&problems, day(39), &rules);
        assert_eq!(
            (calm.level, calm.count, calm.falls_back_on),
            (WarningLevel::None, 0, None)
        );
    }

    #[test]
    fn problems_after_today_do_not_count_yet() {
        let rules = WarningRules::default();
        let w = warning(&[day(3), day(4)], day(3), &rules);
        assert_eq!((w.level, w.count), (WarningLevel::Watch, 1));
    }

    #[test]
    fn rules_must_rise_from_one() {
        assert!(WarningRules::default().is_valid());
        let bad = |f: fn(&mut WarningRules)| {
            let mut r = WarningRules::default();
            f(&mut r);
            r.is_valid()
        };
        assert!(!bad(|r| r.window_days = 0));
        assert!(!bad(|r| r.window_days = 367));
        assert!(!bad(|r| r.watch_at = 0));
        assert!(!bad(|r| r.warning_at = 0));
        assert!(!bad(|r| r.alarm_at = 2));
    }

    #[test]
    fn a_price_paid_above_the_contract_is_an_alert_and_at_it_is_not() {
        assert_eq!(paid_above_contract(price("0.5000"), price("0.5000")), None);
        assert_eq!(paid_above_contract(price("0.4999"), price("0.5000")), None);
        assert_eq!(
            paid_above_contract(price("0.5001"), price("0.5000")),
            Some(PriceAlert::PaidAboveContract {
                paid: price("0.5001"),
                contract: price("0.5000")
            })
        );
    }

    #[test]
    fn a_ceiling_more_than_the_allowed_share_above_the_last_win_is_an_alert() {
        let allowed: Decimal = "0.2".parse().expect("a share");
        // 0.60 is exactly 20 % above 0.50: allowed
        assert_eq!(
            ceiling_above_last_win(price("0.6000"), price("0.5000"), allowed),
            None
        );
        let alert = ceiling_above_last_win(price("0.6001"), price("0.5000"), allowed);
        assert_eq!(
            alert,
            Some(PriceAlert::CeilingAboveLastWin {
                ceiling: price("0.6001"),
                last_winning: price("0.5000"),
                rise: "0.2002".parse().expect("a share"),
            })
        );
        assert_eq!(
            ceiling_above_last_win(price("1.0000"), price("0.0000"), allowed),
            None
        );
    }

    proptest! {
        /// More problems never lower the level, and the level is the rules' for the count
        /// of problems in the window.
        #[test]
        fn the_level_follows_the_count_in_the_window(
            offsets in proptest::collection::vec(-60i32..10, 0..40),
            extra in -60i32..10,
        ) {
            let rules = WarningRules::default();
            let today = day(0);
            let days: Vec<Date> = offsets.iter().map(|o| day(*o)).collect();
            let w = warning(&days, today, &rules);
            let in_window = offsets.iter().filter(|o| (-29..=0).contains(*o)).count() as u32;
            prop_assert_eq!(w.count, in_window);
            prop_assert_eq!(w.level, rules.level_of(in_window));
            let mut more = days.clone();
            more.push(day(extra));
            prop_assert!(warning(&more, today, &rules).level >= w.level);
        }

        /// On the day it names, the level is lower, and the day before it is not.
        #[test]
        fn the_level_falls_on_the_day_it_names(
            offsets in proptest::collection::vec(-29i32..=0, 1..12),
        ) {
            let rules = WarningRules::default();
            let today = day(0);
            let days: Vec<Date> = offsets.iter().map(|o| day(*o)).collect();
            let w = warning(&days, today, &rules);
            let falls = w.falls_back_on.expect("a level");
            prop_assert!(falls > today);
            let before = falls.add_days(-1).expect("a date");
            prop_assert_eq!(warning(&days, before, &rules).level, w.level);
            prop_assert!(warning(&days, falls, &rules).level < w.level);
        }
    }
}
