//! The round state machine, as a pure transition function.
//!
//! ```text
//! draft -> demand_collection -> bidding_open -> closed -> opened -> evaluated -> awarded -> completed
//!   \______________\_________________\______________\__________\____________\--> cancelled (with a reason)
//! ```

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::BiddingError;

/// Where a round is in its life.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Debug, Serialize, Deserialize)]
#[cfg_attr(
    feature = "diesel",
    derive(diesel::expression::AsExpression, diesel::deserialize::FromSqlRow),
    diesel(sql_type = diesel::sql_types::Text)
)]
#[serde(rename_all = "snake_case")]
pub enum RoundStatus {
    Draft,
    DemandCollection,
    BiddingOpen,
    Closed,
    Opened,
    Evaluated,
    Awarded,
    Completed,
    Cancelled,
}

impl RoundStatus {
    /// All statuses in life order.
    pub const ALL: [RoundStatus; 9] = [
        RoundStatus::Draft,
        RoundStatus::DemandCollection,
        RoundStatus::BiddingOpen,
        RoundStatus::Closed,
        RoundStatus::Opened,
        RoundStatus::Evaluated,
        RoundStatus::Awarded,
        RoundStatus::Completed,
        RoundStatus::Cancelled,
    ];

    /// The snake_case name used in the API and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RoundStatus::Draft => "draft",
            RoundStatus::DemandCollection => "demand_collection",
            RoundStatus::BiddingOpen => "bidding_open",
            RoundStatus::Closed => "closed",
            RoundStatus::Opened => "opened",
            RoundStatus::Evaluated => "evaluated",
            RoundStatus::Awarded => "awarded",
            RoundStatus::Completed => "completed",
            RoundStatus::Cancelled => "cancelled",
        }
    }

    /// Parses the snake_case name.
    #[must_use]
    pub fn parse(s: &str) -> Option<RoundStatus> {
        RoundStatus::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Provincial buyers may report demand.
    #[must_use]
    pub fn accepts_demand(self) -> bool {
        self == RoundStatus::DemandCollection
    }

    /// Suppliers may submit, replace or withdraw sealed bids (before the
    /// deadline, which the caller checks against the server clock).
    #[must_use]
    pub fn accepts_bids(self) -> bool {
        self == RoundStatus::BiddingOpen
    }

    /// Editing the terms in this status invalidates bids already submitted
    /// (they must be resubmitted).
    #[must_use]
    pub fn terms_edit_invalidates_bids(self) -> bool {
        self == RoundStatus::BiddingOpen
    }

    /// The terms (lots, rules) may still be edited.
    #[must_use]
    pub fn terms_editable(self) -> bool {
        matches!(
            self,
            RoundStatus::Draft | RoundStatus::DemandCollection | RoundStatus::BiddingOpen
        )
    }

    /// Bid prices may be shown (never before opening).
    #[must_use]
    pub fn prices_visible(self) -> bool {
        matches!(
            self,
            RoundStatus::Opened
                | RoundStatus::Evaluated
                | RoundStatus::Awarded
                | RoundStatus::Completed
        )
    }

    /// Results are published.
    #[must_use]
    pub fn results_published(self) -> bool {
        matches!(self, RoundStatus::Awarded | RoundStatus::Completed)
    }

    /// No further transition is possible.
    #[must_use]
    pub fn is_final(self) -> bool {
        matches!(self, RoundStatus::Completed | RoundStatus::Cancelled)
    }
}

/// The status as stored: its snake_case name in a text column (feature `diesel`).
#[cfg(feature = "diesel")]
impl diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg> for RoundStatus {
    fn to_sql<'b>(
        &'b self,
        out: &mut diesel::serialize::Output<'b, '_, diesel::pg::Pg>,
    ) -> diesel::serialize::Result {
        <str as diesel::serialize::ToSql<diesel::sql_types::Text, diesel::pg::Pg>>::to_sql(
            self.as_str(),
            out,
        )
    }
}

#[cfg(feature = "diesel")]
impl diesel::deserialize::FromSql<diesel::sql_types::Text, diesel::pg::Pg> for RoundStatus {
    fn from_sql(value: diesel::pg::PgValue<'_>) -> diesel::deserialize::Result<Self> {
        let text = std::str::from_utf8(value.as_bytes())?;
        RoundStatus::parse(text).ok_or_else(|| format!("{text:?} is no round status").into())
    }
}

impl fmt::Display for RoundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an officer (or the clock) does to a round.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundAction {
    StartDemandCollection,
    /// Publish: open for sealed bids.
    OpenBidding,
    /// Deadline passed: freeze the bid register.
    Close,
    /// Quorum of key shares reached: bids decrypted.
    Open,
    Evaluate,
    /// Re-run the evaluation (e.g. after revival acceptances) before award.
    Reevaluate,
    Award,
    Complete,
    Cancel,
}

impl RoundAction {
    /// The snake_case name.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            RoundAction::StartDemandCollection => "start_demand_collection",
            RoundAction::OpenBidding => "open_bidding",
            RoundAction::Close => "close",
            RoundAction::Open => "open",
            RoundAction::Evaluate => "evaluate",
            RoundAction::Reevaluate => "reevaluate",
            RoundAction::Award => "award",
            RoundAction::Complete => "complete",
            RoundAction::Cancel => "cancel",
        }
    }
}

impl fmt::Display for RoundAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The status after `action`, or why it is not allowed. Cancelling needs a
/// non-blank reason and is possible only before award.
pub fn transition(
    from: RoundStatus,
    action: RoundAction,
    cancel_reason: Option<&str>,
) -> Result<RoundStatus, BiddingError> {
    use RoundAction as A;
    use RoundStatus as S;
    let to = match (from, action) {
        (S::Draft, A::StartDemandCollection) => S::DemandCollection,
        (S::DemandCollection, A::OpenBidding) => S::BiddingOpen,
        (S::BiddingOpen, A::Close) => S::Closed,
        (S::Closed, A::Open) => S::Opened,
        (S::Opened, A::Evaluate) => S::Evaluated,
        (S::Evaluated, A::Reevaluate) => S::Evaluated,
        (S::Evaluated, A::Award) => S::Awarded,
        (S::Awarded, A::Complete) => S::Completed,
        (
            S::Draft | S::DemandCollection | S::BiddingOpen | S::Closed | S::Opened | S::Evaluated,
            A::Cancel,
        ) => {
            if cancel_reason.is_none_or(|r| r.trim().is_empty()) {
                return Err(BiddingError::CancelReasonRequired);
            }
            S::Cancelled
        }
        _ => return Err(BiddingError::InvalidTransition { from, action }),
    };
    Ok(to)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use RoundAction as A;
    use RoundStatus as S;

    #[test]
    fn happy_path() {
        let mut s = S::Draft;
        for a in [
            A::StartDemandCollection,
            A::OpenBidding,
            A::Close,
            A::Open,
            A::Evaluate,
            A::Reevaluate,
            A::Award,
            A::Complete,
        ] {
            s = transition(s, a, None).unwrap();
        }
        assert_eq!(s, S::Completed);
        assert!(s.is_final());
    }

    #[test]
    fn cancel_before_award_only_and_with_reason() {
        for s in [
            S::Draft,
            S::DemandCollection,
            S::BiddingOpen,
            S::Closed,
            S::Opened,
            S::Evaluated,
        ] {
            assert_eq!(
                transition(s, A::Cancel, Some("supply shortage")).unwrap(),
                S::Cancelled
            );
            assert_eq!(
                transition(s, A::Cancel, Some("  ")),
                Err(BiddingError::CancelReasonRequired)
            );
            assert_eq!(
                transition(s, A::Cancel, None),
                Err(BiddingError::CancelReasonRequired)
            );
        }
        for s in [S::Awarded, S::Completed, S::Cancelled] {
            assert_eq!(
                transition(s, A::Cancel, Some("x")),
                Err(BiddingError::InvalidTransition {
                    from: s,
                    action: A::Cancel
                })
            );
        }
    }

    #[test]
    fn no_skipping_steps() {
        assert!(transition(S::Draft, A::OpenBidding, None).is_err());
        assert!(transition(S::BiddingOpen, A::Open, None).is_err());
        assert!(transition(S::Closed, A::Evaluate, None).is_err());
        assert!(transition(S::Opened, A::Award, None).is_err());
        let e = transition(S::Completed, A::Close, None).unwrap_err();
        assert_eq!(e.to_string(), "cannot close a round that is completed");
        // exactly 8 forward edges + 6 cancel edges are allowed
        let actions = [
            A::StartDemandCollection,
            A::OpenBidding,
            A::Close,
            A::Open,
            A::Evaluate,
            A::Reevaluate,
            A::Award,
            A::Complete,
            A::Cancel,
        ];
        let ok = S::ALL
            .iter()
            .flat_map(|s| actions.iter().map(move |a| (*s, *a)))
            .filter(|(s, a)| transition(*s, *a, Some("r")).is_ok())
            .count();
        assert_eq!(ok, 14);
    }

    #[test]
    fn status_flags_and_names() {
        for s in S::ALL {
            assert_eq!(S::parse(s.as_str()), Some(s));
            assert_eq!(
                serde_json::to_string(&s).unwrap(),
                format!("\"{}\"", s.as_str())
            );
        }
        assert!(S::BiddingOpen.accepts_bids());
        assert!(!S::Closed.accepts_bids());
        assert!(S::DemandCollection.accepts_demand());
        assert!(!S::Closed.prices_visible());
        assert!(S::Opened.prices_visible());
        assert!(S::BiddingOpen.terms_edit_invalidates_bids());
        assert!(!S::Closed.terms_editable());
        assert!(S::Awarded.results_published());
    }
}
