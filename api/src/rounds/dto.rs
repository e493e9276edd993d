//! What the round routes take and give: a round as its readers see it, and the bodies of
//! create, update, cancel and the list's filters.

use crate::{
    platform::error::ApiError,
    rounds::queries::{Custodian, Round},
};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

/// A round as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct RoundDto {
    pub id: Uuid,
    pub name: String,
    /// `drug` or `consumable`
    pub kind: String,
    /// draft, demand_collection, bidding_open, closed, opened, evaluated, awarded, completed, cancelled
    pub status: String,
    /// pilot, batch7, batch10 or batch11
    pub preset: String,
    /// The rules the round is evaluated by (bidding_core::RoundRules).
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
    pub bidding_deadline: DateTime<Utc>,
    /// `threshold` (k-of-n custodians) or `master` (quorum 1 under the platform master key)
    pub key_mode: String,
    pub quorum: i16,
    pub custodians: Vec<Uuid>,
    pub terms_version: i32,
    /// The round's X25519 public key (hex), once published.
    pub public_key: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// The day whose catalog ceilings apply.
    pub ceilings_date: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    /// First day of the supply cycle, set at evaluation.
    pub cycle_start: Option<NaiveDate>,
    pub evaluated_at: Option<DateTime<Utc>>,
    /// Until when revival candidates may answer (batch 10), once evaluated.
    pub revival_deadline: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl RoundDto {
    pub fn new(round: Round, custodians: Vec<Uuid>) -> Self {
        Self {
            public_key: round.public_key.as_deref().map(hex::encode),
            id: round.id,
            name: round.name,
            kind: round.kind,
            status: round.status.to_string(),
            preset: round.preset,
            rules: round.rules,
            bidding_deadline: round.bidding_deadline,
            key_mode: round.key_mode,
            quorum: round.quorum,
            custodians,
            terms_version: round.terms_version,
            published_at: round.published_at,
            ceilings_date: round.ceilings_date,
            closed_at: round.closed_at,
            opened_at: round.opened_at,
            cancel_reason: round.cancel_reason,
            cycle_start: round.cycle_start,
            evaluated_at: round.evaluated_at,
            revival_deadline: round.revival_deadline,
            awarded_at: round.awarded_at,
            created_at: round.created_at,
        }
    }

    pub async fn load(
        conn: &mut diesel_async::AsyncPgConnection,
        round: Round,
    ) -> Result<Self, ApiError> {
        let custodians = Custodian::of_round(conn, round.id)
            .await?
            .into_iter()
            .map(|c| c.user_id)
            .collect();
        Ok(Self::new(round, custodians))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateRound {
    #[schema(example = "第十二批国家组织药品集中采购", max_length = 200)]
    pub name: String,
    /// `drug` or `consumable`
    pub kind: String,
    /// pilot, batch7, batch10 or batch11: the rules preset
    pub preset: String,
    /// Overrides the preset's rules entirely (bidding_core::RoundRules as JSON).
    #[schema(value_type = Option<Object>)]
    pub rules: Option<serde_json::Value>,
    /// Overrides the preset's minimum number of bidders per lot.
    pub min_bidders: Option<u32>,
    pub bidding_deadline: DateTime<Utc>,
    /// `threshold` (default) or `master`
    pub key_mode: Option<String>,
    /// k: shares needed to open (threshold mode); 1 in master mode
    pub quorum: Option<i16>,
    /// The officers who each hold a share of the opening key (threshold mode).
    #[serde(default)]
    #[schema(max_items = 255)]
    pub custodians: Vec<Uuid>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateRound {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub bidding_deadline: Option<DateTime<Utc>>,
    pub min_bidders: Option<u32>,
    #[schema(value_type = Option<Object>)]
    pub rules: Option<serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct CancelRound {
    /// Why; published with the round.
    #[schema(max_length = 2000)]
    pub reason: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    pub status: Option<String>,
    /// The order of the list: a field, ascending, or `-` and the field, descending
    /// (default `-bidding_deadline`); ties by id.
    #[param(inline)]
    pub sort: Option<RoundSort>,
}

/// How a list of rounds is sorted.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum RoundSort {
    #[serde(rename = "bidding_deadline")]
    BiddingDeadline,
    #[default]
    #[serde(rename = "-bidding_deadline")]
    BiddingDeadlineDesc,
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "-name")]
    NameDesc,
}
