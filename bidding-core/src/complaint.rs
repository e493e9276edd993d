//! Complaints against a published result (质疑投诉), as a pure state machine with the
//! objection window (groundwork for issue #18).
//!
//! ```text
//! submitted -> under_review -> upheld | dismissed      (an officer, with an answer)
//!     \______________\-------> upheld | dismissed
//!     \______________\-------> withdrawn                (the supplier)
//! ```
//!
//! A supplier may object from the day the result is published through `window_days`
//! days after it (a round setting, e.g. 7). While a complaint is submitted or under
//! review its lot is under review (the OCDS record says so); an upheld complaint may
//! suspend the lot's contracts and lead to a re-evaluation.

use serde::{Deserialize, Serialize};

use crate::Date;

/// Where a complaint is.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintStatus {
    Submitted,
    UnderReview,
    Upheld,
    Dismissed,
    Withdrawn,
}

impl ComplaintStatus {
    /// All statuses, in life order.
    pub const ALL: [ComplaintStatus; 5] = [
        ComplaintStatus::Submitted,
        ComplaintStatus::UnderReview,
        ComplaintStatus::Upheld,
        ComplaintStatus::Dismissed,
        ComplaintStatus::Withdrawn,
    ];

    /// Whether the complaint still holds its lot under review.
    #[must_use]
    pub fn is_open(self) -> bool {
        matches!(self, Self::Submitted | Self::UnderReview)
    }
}

/// What is done to a complaint.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ComplaintAction {
    /// An officer takes it up.
    Review,
    /// An officer finds for the supplier (with an answer).
    Uphold,
    /// An officer finds against it (with an answer).
    Dismiss,
    /// The supplier takes it back.
    Withdraw,
}

impl ComplaintAction {
    pub const ALL: [ComplaintAction; 4] = [
        ComplaintAction::Review,
        ComplaintAction::Uphold,
        ComplaintAction::Dismiss,
        ComplaintAction::Withdraw,
    ];
}

/// Why a complaint cannot be made or moved.
#[derive(Clone, Copy, PartialEq, Eq, Debug, thiserror::Error)]
pub enum ComplaintError {
    #[error("the result is not published yet: there is nothing to object to")]
    NotPublished,
    #[error("the objection window closed on {deadline}")]
    WindowClosed { deadline: Date },
    #[error("a complaint that is {from:?} cannot be {action:?}")]
    InvalidTransition {
        from: ComplaintStatus,
        action: ComplaintAction,
    },
    #[error("an officer's decision needs an answer")]
    AnswerRequired,
}

/// The last day a supplier may object: `window_days` days after the publication day.
#[must_use]
pub fn objection_deadline(published_on: Date, window_days: u32) -> Option<Date> {
    i32::try_from(window_days)
        .ok()
        .and_then(|n| published_on.add_days(n).ok())
}

/// Whether a supplier may object `today` to a result published on `published_on`
/// (`None`: not published).
pub fn may_object(
    published_on: Option<Date>,
    window_days: u32,
    today: Date,
) -> Result<(), ComplaintError> {
    let published_on = published_on.ok_or(ComplaintError::NotPublished)?;
    if today < published_on {
        return Err(ComplaintError::NotPublished);
    }
    match objection_deadline(published_on, window_days) {
        Some(deadline) if today > deadline => Err(ComplaintError::WindowClosed { deadline }),
        _ => Ok(()),
    }
}

/// The status after `action`; an officer's decision needs a non-blank `answer`.
pub fn transition(
    from: ComplaintStatus,
    action: ComplaintAction,
    answer: Option<&str>,
) -> Result<ComplaintStatus, ComplaintError> {
    use ComplaintAction as A;
    use ComplaintStatus as S;
    let to = match (from, action) {
        (S::Submitted, A::Review) => S::UnderReview,
        (S::Submitted | S::UnderReview, A::Uphold) => S::Upheld,
        (S::Submitted | S::UnderReview, A::Dismiss) => S::Dismissed,
        (S::Submitted | S::UnderReview, A::Withdraw) => S::Withdrawn,
        _ => return Err(ComplaintError::InvalidTransition { from, action }),
    };
    if matches!(action, A::Uphold | A::Dismiss) && answer.is_none_or(|a| a.trim().is_empty()) {
        return Err(ComplaintError::AnswerRequired);
    }
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ComplaintAction as A;
    use ComplaintStatus as S;

    fn day(n: i32) -> Date {
        Date::from_ymd(2026, 12, 1)
            .and_then(|d| d.add_days(n))
            .expect("a date")
    }

    #[test]
    fn a_supplier_objects_from_publication_through_the_window() {
        let published = Some(day(0));
        assert_eq!(
            may_object(None, 7, day(0)),
            Err(ComplaintError::NotPublished)
        );
        assert_eq!(
            may_object(published, 7, day(-1)),
            Err(ComplaintError::NotPublished)
        );
        assert_eq!(may_object(published, 7, day(0)), Ok(()));
        assert_eq!(may_object(published, 7, day(7)), Ok(()));
        assert_eq!(
            may_object(published, 7, day(8)),
            Err(ComplaintError::WindowClosed { deadline: day(7) })
        );
        // a window of 0 days: the publication day only
        assert_eq!(may_object(published, 0, day(0)), Ok(()));
        assert!(may_object(published, 0, day(1)).is_err());
    }

    #[test]
    fn every_transition_is_the_table_or_refused() {
        let allowed = [
            (S::Submitted, A::Review, S::UnderReview),
            (S::Submitted, A::Uphold, S::Upheld),
            (S::Submitted, A::Dismiss, S::Dismissed),
            (S::Submitted, A::Withdraw, S::Withdrawn),
            (S::UnderReview, A::Uphold, S::Upheld),
            (S::UnderReview, A::Dismiss, S::Dismissed),
            (S::UnderReview, A::Withdraw, S::Withdrawn),
        ];
        for from in S::ALL {
            for action in A::ALL {
                let expected = allowed
                    .iter()
                    .find(|(f, a, _)| *f == from && *a == action)
                    .map(|(_, _, to)| *to);
                let got = transition(from, action, Some("answer"));
                match expected {
                    Some(to) => assert_eq!(got, Ok(to), "{from:?} {action:?}"),
                    None => assert_eq!(
                        got,
                        Err(ComplaintError::InvalidTransition { from, action }),
                        "{from:?} {action:?}"
                    ),
                }
            }
        }
    }

    #[test]
    fn decisions_need_an_answer_and_only_open_complaints_hold_the_lot() {
        for action in [A::Uphold, A::Dismiss] {
            assert_eq!(
                transition(S::UnderReview, action, None),
                Err(ComplaintError::AnswerRequired)
            );
            assert_eq!(
                transition(S::UnderReview, action, Some("  ")),
                Err(ComplaintError::AnswerRequired)
            );
        }
        assert_eq!(
            transition(S::Submitted, A::Withdraw, None),
            Ok(S::Withdrawn)
        );
        let open: Vec<S> = S::ALL.into_iter().filter(|s| s.is_open()).collect();
        assert_eq!(open, [S::Submitted, S::UnderReview]);
    }
}
