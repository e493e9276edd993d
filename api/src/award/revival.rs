//! Revival: losing bidders offered the winning price during the revival window, and
//! their answers.

use super::dto::Evaluation;
use crate::{
    platform::{
        audit::{self, Actor},
        db::{clock, schema::revival_offers},
        error::ApiError,
        mail::mail_orgs,
        settings::Settings,
    },
    rounds::queries::Round,
};
use bidding_core::RoundStatus;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use utoipa::ToSchema;
use uuid::Uuid;

pub(crate) async fn notify_revival(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    evaluation: &Evaluation,
    deadline: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut by_org: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
    for lot in &evaluation.lots {
        let Some(offer) = &lot.revival else { continue };
        for c in &offer.candidates {
            by_org.entry(c.supplier_org_id).or_default().push(json!({
                "lot_number": lot.number,
                "generic_name": lot.generic_name,
                "revival_ucp": offer.ucp.to_string(),
                "unit_price": c.revival_unit_price.to_string(),
                "own_price": lot.bids.iter().find(|b| b.bid_id == c.bid_id).map(|b| b.unit_price.to_string()),
            }));
        }
    }
    for (org, offers) in by_org {
        mail_orgs(
            conn,
            &settings.jobs,
            &settings.mail.public_url,
            &[org],
            "revival_offer",
            &format!("revival:{}", round.id),
            json!({
                "round_name": round.name,
                "round_id": round.id,
                "offers": offers,
                "deadline": deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
        )
        .await?;
    }
    Ok(())
}

crate::platform::db::text_enum! {
    /// A supplier's answer to a revival offer.
    RevivalResponse {
        Pending => "pending",
        Accepted => "accepted",
        Declined => "declined",
    }
}

/// A revival offer as its supplier (or an officer) sees it.
#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct RevivalOfferDto {
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub supplier_org_id: Uuid,
    pub bid_id: Uuid,
    /// The revival UCP.
    #[schema(value_type = String)]
    pub offer_ucp: Decimal,
    /// What the supplier would be paid per unit of its own specification.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    /// `pending`, `accepted` or `declined`
    pub response: String,
    pub responded_at: Option<DateTime<Utc>>,
}

pub async fn offers(
    conn: &mut AsyncPgConnection,
    round: Uuid,
    supplier: Option<Uuid>,
) -> Result<Vec<RevivalOfferDto>, ApiError> {
    let mut q = revival_offers::table
        .filter(revival_offers::round_id.eq(round))
        .into_boxed();
    if let Some(s) = supplier {
        q = q.filter(revival_offers::supplier_org_id.eq(s));
    }
    Ok(
        q.order((revival_offers::lot_id, revival_offers::supplier_org_id))
            .select((
                revival_offers::round_id,
                revival_offers::lot_id,
                revival_offers::supplier_org_id,
                revival_offers::bid_id,
                revival_offers::offer_ucp,
                revival_offers::unit_price,
                revival_offers::response,
                revival_offers::responded_at,
            ))
            .load(conn)
            .await?,
    )
}

/// A supplier accepts or declines its revival offer, within the window (database clock).
pub async fn answer_revival(
    conn: &mut AsyncPgConnection,
    round: &Round,
    lot: Uuid,
    supplier: Uuid,
    actor: &Actor,
    user: Uuid,
    accept: bool,
) -> Result<RevivalOfferDto, ApiError> {
    if round.status != RoundStatus::Evaluated {
        return Err(ApiError::rule(
            "round_not_evaluated",
            format!(
                "revival offers are answered while the round is evaluated; it is {}",
                round.status
            ),
        ));
    }
    let now = clock(conn).await?;
    let deadline = round
        .revival_deadline
        .ok_or_else(|| ApiError::not_found("this round has no revival offers"))?;
    if now >= deadline {
        return Err(ApiError::rule(
            "revival_window_closed",
            format!("the revival window closed at {}", deadline.to_rfc3339()),
        ));
    }
    let current: Option<RevivalResponse> = revival_offers::table
        .find((lot, supplier))
        .filter(revival_offers::round_id.eq(round.id))
        .select(revival_offers::response)
        .for_update()
        .first(conn)
        .await
        .optional()?;
    match current {
        None => {
            return Err(ApiError::not_found(
                "you have no revival offer for this lot",
            ));
        }
        Some(RevivalResponse::Pending) => {}
        Some(r) => {
            return Err(ApiError::conflict(
                "revival_answered",
                format!("you have answered this offer already ({r})"),
            ));
        }
    }
    let response = if accept {
        RevivalResponse::Accepted
    } else {
        RevivalResponse::Declined
    };
    diesel::update(revival_offers::table.find((lot, supplier)))
        .set((
            revival_offers::response.eq(response),
            revival_offers::responded_by.eq(user),
            revival_offers::responded_at.eq(now),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        actor,
        "round.revival_answer",
        "round",
        &round.id.to_string(),
        json!({ "lot": lot, "supplier": supplier, "response": response }),
    )
    .await?;
    offers(conn, round.id, Some(supplier))
        .await?
        .into_iter()
        .find(|o| o.lot_id == lot)
        .ok_or_else(|| ApiError::internal("offer vanished"))
}
