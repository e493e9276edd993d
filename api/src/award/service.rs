//! The award: the officers approve an evaluation by its digest and its allocation lines
//! become contracts; winners, backups and buyers are told. Runs inside the caller's
//! transaction, with its audit entries.

use std::collections::{BTreeMap, HashMap};

use bidding_core::BidOutcome;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{
    dto::Evaluation, evaluation::stored, reasons::reason_text_zh, revival::RevivalResponse,
};
use crate::{
    platform::{
        audit::{self, Actor},
        db::{
            clock,
            schema::{contracts, organisations, provinces, revival_offers, rounds},
        },
        error::ApiError,
        mail::mail_orgs,
        settings::Settings,
    },
    rounds::queries::Round,
};

/// Province names (Chinese) by GB/T 2260 code.
pub async fn province_names(
    conn: &mut AsyncPgConnection,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(provinces::table
        .select((provinces::code, provinces::name_zh))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect())
}

/// The active buyer organisations of a province.
pub async fn buyer_orgs(
    conn: &mut AsyncPgConnection,
    province: &str,
) -> Result<Vec<Uuid>, ApiError> {
    Ok(organisations::table
        .filter(organisations::province.eq(province))
        .filter(organisations::kind.eq("buyer"))
        .filter(organisations::status.eq(crate::platform::auth::OrgStatus::Active))
        .select(organisations::id)
        .load(conn)
        .await?)
}

/// Awards an evaluated round: checks the officer approved the current evaluation and
/// that the revival window is settled, creates a contract per allocation line, sends the
/// award and non-award notices. Call with the round locked. Returns the contracts made.
pub async fn award(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    actor: &Actor,
    digest: &str,
) -> Result<usize, ApiError> {
    let next = crate::rounds::service::transition(round, bidding_core::RoundAction::Award, None)?;
    let stored = stored(conn, round.id)
        .await?
        .ok_or_else(|| ApiError::internal("evaluated round without its evaluation"))?;
    if stored.digest != digest.trim() {
        return Err(ApiError::conflict(
            "evaluation_digest_stale",
            format!(
                "the evaluation you reviewed is not the current one (it was recomputed, or the digest is mistyped): \
             fetch GET /api/v1/rounds/{}/evaluation, review it, and award with the digest it shows",
                round.id
            ),
        ));
    }
    let now = clock(conn).await?;
    if let Some(deadline) = round.revival_deadline {
        let answers: Vec<(RevivalResponse, Option<DateTime<Utc>>)> = revival_offers::table
            .filter(revival_offers::round_id.eq(round.id))
            .select((revival_offers::response, revival_offers::responded_at))
            .load(conn)
            .await?;
        let pending = answers
            .iter()
            .filter(|(r, _)| *r == RevivalResponse::Pending)
            .count();
        if pending > 0 && now < deadline {
            return Err(ApiError::rule(
                "revival_pending",
                format!(
                    "{pending} revival offers are unanswered and the window is open until {}",
                    deadline.to_rfc3339()
                ),
            ));
        }
        if answers
            .iter()
            .any(|(_, at)| at.is_some_and(|at| at > stored.evaluation.evaluated_at))
        {
            return Err(ApiError::conflict(
                "revival_answers_after_evaluation",
                "revival answers arrived after this evaluation: evaluate again to count them",
            ));
        }
        // unanswered offers lapse at the deadline
        diesel::update(
            revival_offers::table
                .filter(revival_offers::round_id.eq(round.id))
                .filter(revival_offers::response.eq(RevivalResponse::Pending)),
        )
        .set((
            revival_offers::response.eq(RevivalResponse::Declined),
            revival_offers::responded_at.eq(deadline),
        ))
        .execute(conn)
        .await?;
    }
    let mut made = 0usize;
    for lot in &stored.evaluation.lots {
        let Some(a) = &lot.allocation else { continue };
        for l in &a.lines {
            diesel::insert_into(contracts::table)
                .values((
                    contracts::id.eq(Uuid::now_v7()),
                    contracts::round_id.eq(round.id),
                    contracts::lot_id.eq(lot.lot_id),
                    contracts::province.eq(&l.province),
                    contracts::supplier_org_id.eq(l.supplier_org_id),
                    contracts::bid_id.eq(l.bid_id),
                    contracts::product_code.eq(&l.product_code),
                    contracts::rank.eq(i32::try_from(l.rank).map_err(ApiError::internal)?),
                    contracts::unit_price.eq(l.unit_price),
                    contracts::annual_demand
                        .eq(i64::try_from(l.annual_demand).map_err(ApiError::internal)?),
                    contracts::agreed_volume
                        .eq(i64::try_from(l.agreed_volume).map_err(ApiError::internal)?),
                    contracts::annual_amount.eq(l.annual_amount),
                    contracts::cycle_start.eq(a.cycle_start),
                    contracts::cycle_end.eq(a.cycle_end),
                    contracts::backup_supplier_org_id
                        .eq(l.backup.as_ref().map(|b| b.supplier_org_id)),
                    contracts::backup_bid_id.eq(l.backup.as_ref().map(|b| b.bid_id)),
                    contracts::backup_unit_price.eq(l.backup.as_ref().map(|b| b.unit_price)),
                    contracts::backup_rank.eq(l
                        .backup
                        .as_ref()
                        .map(|b| i32::try_from(b.rank).unwrap_or(i32::MAX))),
                ))
                .execute(conn)
                .await?;
            made += 1;
        }
    }
    // each contract's agreed volume split among the hospitals that reported demand
    crate::contracts::quotas::allot_round(conn, round.id).await?;
    diesel::update(rounds::table.find(round.id))
        .set((
            rounds::status.eq(next),
            rounds::awarded_at.eq(now),
            rounds::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    let amount: Decimal = stored
        .evaluation
        .lots
        .iter()
        .filter_map(|l| l.allocation.as_ref().map(|a| a.annual_amount))
        .sum();
    audit::record(
        conn,
        actor,
        "round.award",
        "round",
        &round.id.to_string(),
        json!({ "digest": stored.digest, "contracts": made, "annual_amount": amount.to_string(),
                "successful_lots": stored.evaluation.lots.iter().filter(|l| l.allocation.is_some()).count() }),
    )
    .await?;
    notify_award(conn, settings, round, &stored.evaluation).await?;
    Ok(made)
}

/// Award notices to winners (what they won, where, how much), non-award notices to the
/// other bidders (each lot and why), and to each province's buyers its contracts.
async fn notify_award(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    evaluation: &Evaluation,
) -> Result<(), ApiError> {
    let mut won: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
    let mut lost: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
    let mut by_province: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for lot in &evaluation.lots {
        for b in &lot.bids {
            if b.won {
                let provinces: Vec<Value> = lot
                    .allocation
                    .iter()
                    .flat_map(|a| a.lines.iter())
                    .filter(|l| l.bid_id == b.bid_id)
                    .map(|l| json!({"province": l.province_name, "agreed_volume": l.agreed_volume}))
                    .collect();
                let volume: u64 = lot
                    .allocation
                    .iter()
                    .flat_map(|a| a.lines.iter())
                    .filter(|l| l.bid_id == b.bid_id)
                    .map(|l| l.agreed_volume)
                    .sum();
                won.entry(b.supplier_org_id).or_default().push(json!({
                    "lot_number": lot.number, "generic_name": lot.generic_name,
                    "unit_price": b.awarded_unit_price.unwrap_or(b.unit_price).to_string(),
                    "ucp": b.ucp.map(|u| u.to_string()), "rank": b.rank,
                    "provinces": provinces, "agreed_volume": volume,
                }));
            } else {
                let reason_zh = serde_json::from_value::<BidOutcome>(b.outcome.clone())
                    .ok()
                    .and_then(|o| reason_text_zh(&o))
                    .unwrap_or_else(|| b.reason.clone());
                lost.entry(b.supplier_org_id).or_default().push(json!({
                    "lot_number": lot.number, "generic_name": lot.generic_name,
                    "reason": b.reason, "reason_zh": reason_zh,
                }));
            }
        }
        for l in lot.allocation.iter().flat_map(|a| a.lines.iter()) {
            by_province
                .entry(l.province.clone())
                .or_default()
                .push(json!({
                    "lot_number": lot.number, "generic_name": lot.generic_name,
                    "supplier": l.supplier_name, "unit_price": l.unit_price.to_string(),
                    "agreed_volume": l.agreed_volume,
                    "backup": l.backup.as_ref().map(|b| b.supplier_name.clone()),
                }));
        }
    }
    let orgs: std::collections::BTreeSet<Uuid> = won.keys().chain(lost.keys()).copied().collect();
    for org in orgs {
        let won_lines = won.remove(&org).unwrap_or_default();
        let lost_lines = lost.remove(&org).unwrap_or_default();
        let template = if won_lines.is_empty() {
            "non_award_notice"
        } else {
            "award_notice"
        };
        mail_orgs(conn, &settings.jobs, &settings.mail.public_url, &[org],
            template,
            &format!("award:{}", round.id),
            json!({ "round_name": round.name, "round_id": round.id, "won": won_lines, "lost": lost_lines }),
        )
        .await?;
    }
    for (province, lines) in by_province {
        for org in buyer_orgs(conn, &province).await? {
            mail_orgs(
                conn,
                &settings.jobs,
                &settings.mail.public_url,
                &[org],
                "contracts_awarded",
                &format!("award:{}", round.id),
                json!({ "round_name": round.name, "round_id": round.id, "contracts": lines }),
            )
            .await?;
        }
    }
    Ok(())
}
