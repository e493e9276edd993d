//! Tender rounds: officers create and run them; everyone reads what their role may see.

use actix_web::{HttpResponse, get, patch, post, web};
use bidding_core::{RoundAction, RoundRules};
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::platform::page::{Page, Pagination};
use crate::rounds::dto::{CancelRound, CreateRound, RoundDto, RoundQuery, UpdateRound};
use crate::rounds::service::visible_round;
use crate::{
    platform::{
        AppState, audit,
        auth::{AuthUser, Role},
        db::{clock, schema::rounds as r},
        error::{ApiError, FieldError, Problem},
    },
    rounds::{
        queries::{Custodian, LotRow, NewRound, Round, is_active_officer},
        service as rounds,
    },
};
use bidding_core::RoundStatus;

pub(super) const OFFICER: &[Role] = &[Role::ProcurementOfficer];

/// The rules presets a round can start from.
const PRESETS: &[&str] = &["pilot", "batch7", "batch10", "batch11"];

/// Shares of an opening key are numbered 1 to 255 (Shamir over GF(2^8)).
const MAX_CUSTODIANS: usize = 255;

/// A bidding deadline within the dates the platform plans for.
fn check_deadline(deadline: DateTime<Utc>) -> Result<(), ApiError> {
    crate::platform::input::check_date("bidding_deadline", deadline.date_naive())
}

/// The largest number a round's custom rules may hold (ratios, fractions, thresholds,
/// counts): far above any real rule, far below what the evaluation's exact arithmetic
/// could overflow on.
const MAX_RULE_NUMBER: i64 = 1_000_000;

/// Whether every number in `v` (JSON numbers and decimal strings) is within
/// [`MAX_RULE_NUMBER`] either way.
fn rule_numbers_bounded(v: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    let max = Decimal::from(MAX_RULE_NUMBER);
    match v {
        V::Number(n) => n
            .as_f64()
            .is_some_and(|f| f.abs() <= MAX_RULE_NUMBER as f64),
        V::String(s) => s.parse::<Decimal>().map_or(true, |d| d.abs() <= max),
        V::Array(items) => items.iter().all(rule_numbers_bounded),
        V::Object(map) => map.values().all(rule_numbers_bounded),
        V::Null | V::Bool(_) => true,
    }
}

fn rules_from(
    preset: &str,
    rules: Option<serde_json::Value>,
    min_bidders: Option<u32>,
) -> Result<RoundRules, ApiError> {
    if let Some(v) = &rules
        && !rule_numbers_bounded(v)
    {
        return Err(ApiError::invalid(
            "rules",
            format!("every number must be between -{MAX_RULE_NUMBER} and {MAX_RULE_NUMBER}"),
        ));
    }
    if min_bidders.is_some_and(|m| i64::from(m) > MAX_RULE_NUMBER) {
        return Err(ApiError::invalid(
            "min_bidders",
            format!("must be at most {MAX_RULE_NUMBER}"),
        ));
    }
    let mut rules = match rules {
        Some(v) => serde_json::from_value::<RoundRules>(v)
            .map_err(|e| ApiError::invalid("rules", e.to_string()))?,
        None => match preset {
            "pilot" => RoundRules::pilot(),
            "batch7" => RoundRules::batch7(),
            "batch10" => RoundRules::batch10(),
            "batch11" => RoundRules::batch11(),
            other => {
                return Err(ApiError::invalid(
                    "preset",
                    format!("{other:?} is not one of pilot, batch7, batch10, batch11"),
                ));
            }
        },
    };
    if let Some(m) = min_bidders {
        rules.min_bidders = m;
    }
    rules
        .validate()
        .map_err(|e| ApiError::invalid("rules", e.to_string()))?;
    Ok(rules)
}

/// Create a round (draft).
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    request_body = CreateRound,
    responses(
        (status = 201, description = "Created as a draft", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: crate::platform::input::Json<CreateRound>,
) -> Result<HttpResponse, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let mut errors = Vec::new();
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::field("name", "must be 1 to 200 characters"));
    }
    if !matches!(body.kind.as_str(), "drug" | "consumable") {
        errors.push(FieldError::field("kind", "must be drug or consumable"));
    }
    if !PRESETS.contains(&body.preset.as_str()) {
        errors.push(FieldError::field(
            "preset",
            format!("must be one of {}", PRESETS.join(", ")),
        ));
    }
    if let Err(ApiError::Validation(mut e)) = check_deadline(body.bidding_deadline) {
        errors.append(&mut e);
    }
    if body.custodians.len() > MAX_CUSTODIANS {
        return Err(ApiError::invalid(
            "custodians",
            format!("at most {MAX_CUSTODIANS} custodians hold shares of a key"),
        ));
    }
    let key_mode = body.key_mode.clone().unwrap_or_else(|| "threshold".into());
    let quorum = body.quorum.unwrap_or(1);
    let mut custodians = body.custodians.clone();
    custodians.sort();
    custodians.dedup();
    match key_mode.as_str() {
        "threshold" => {
            if custodians.is_empty() {
                errors.push(FieldError::field(
                    "custodians",
                    "threshold mode needs at least one custodian officer",
                ));
            } else if quorum < 1 || quorum as usize > custodians.len() {
                errors.push(FieldError::field(
                    "quorum",
                    format!("must be between 1 and the {} custodians", custodians.len()),
                ));
            }
        }
        "master" => {
            if quorum != 1 {
                errors.push(FieldError::field("quorum", "master mode has quorum 1"));
            }
            if !custodians.is_empty() {
                errors.push(FieldError::field(
                    "custodians",
                    "master mode has no custodians",
                ));
            }
        }
        _ => errors.push(FieldError::field("key_mode", "must be threshold or master")),
    }
    let rules = match rules_from(&body.preset, body.rules.clone(), body.min_bidders) {
        Ok(r) => Some(r),
        Err(ApiError::Validation(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    let mut conn = state.pool.get().await?;
    for c in &custodians {
        if !is_active_officer(&mut conn, *c).await? {
            errors.push(FieldError::field(
                "custodians",
                format!("{c} is not an active procurement officer"),
            ));
        }
    }
    if body.bidding_deadline <= clock(&mut conn).await? {
        errors.push(FieldError::field(
            "bidding_deadline",
            "must be in the future",
        ));
    }
    let (Some(rules), true) = (rules, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let rules_json = serde_json::to_value(&rules).map_err(ApiError::internal)?;
    let round = conn
        .transaction(async |conn| {
            let round = Round::insert(
                conn,
                &NewRound {
                    id: Uuid::now_v7(),
                    name: &name,
                    kind: &body.kind,
                    preset: &body.preset,
                    rules: &rules_json,
                    bidding_deadline: body.bidding_deadline,
                    key_mode: &key_mode,
                    quorum,
                    created_by: user.user_id,
                },
            )
            .await?;
            if !custodians.is_empty() {
                Custodian::add(conn, round.id, &custodians).await?;
            }
            audit::record(
                conn,
                &user.actor(),
                "round.create",
                "round",
                &round.id.to_string(),
                json!({ "name": round.name, "kind": round.kind, "preset": round.preset, "deadline": round.bidding_deadline,
                        "key_mode": round.key_mode, "quorum": round.quorum, "custodians": custodians }),
            )
            .await?;
            RoundDto::load(conn, round).await
        })
        .await?;
    Ok(HttpResponse::Created().json(round))
}

/// Rounds: drafts only for officers, admins and auditors.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination, RoundQuery),
    responses(
        (status = 200, description = "A page of rounds", body = Page<RoundDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<RoundQuery>,
) -> Result<web::Json<Page<RoundDto>>, ApiError> {
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let status = match query.status.as_deref() {
        None => None,
        Some(s) => Some(RoundStatus::parse(s).ok_or_else(|| {
            let all: Vec<&str> = RoundStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::invalid("status", format!("must be one of {}", all.join(", ")))
        })?),
    };
    let with_drafts = matches!(
        user.role,
        Role::ProcurementOfficer | Role::Admin | Role::Auditor
    );
    let mut conn = state.pool.get().await?;
    let sort = query.sort.unwrap_or_default();
    let (rows, total) = Round::page(&mut conn, with_drafts, status, sort, limit, offset).await?;
    let mut items = Vec::with_capacity(rows.len());
    for round in rows {
        items.push(RoundDto::load(&mut conn, round).await?);
    }
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// One round.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "The round", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round (or a draft the caller may not see)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<RoundDto>, ApiError> {
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    Ok(web::Json(RoundDto::load(&mut conn, round).await?))
}

/// Change a round's terms. On a published round every bid submitted so far becomes void
/// and its supplier is told to submit again.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = UpdateRound,
    responses(
        (status = 200, description = "Updated", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, or the round is past bidding", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/rounds/{id}")]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<UpdateRound>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let settings = &state.settings;
    let dto = conn
        .transaction(async |conn| {
            if Round::find(conn, id).await.is_err() {
                return Err(ApiError::not_found("no such round"));
            }
            // a terms change must not race a bid in flight
            Round::lock_for_closing(conn, id).await?;
            let round = Round::lock(conn, id).await?;
            if !matches!(round.status, RoundStatus::Draft | RoundStatus::DemandCollection | RoundStatus::BiddingOpen) {
                return Err(ApiError::rule("round_terms_frozen", format!("the terms of a {} round cannot change", round.status)));
            }
            let now = clock(conn).await?;
            if round.status == RoundStatus::BiddingOpen && now >= round.bidding_deadline {
                return Err(ApiError::rule("bidding_closed", "bidding has closed: the terms cannot change"));
            }
            let name = body.name.as_deref().map(str::trim).unwrap_or(&round.name).to_owned();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(ApiError::invalid("name", "must be 1 to 200 characters"));
            }
            if let Some(d) = body.bidding_deadline {
                check_deadline(d)?;
            }
            let deadline = body.bidding_deadline.unwrap_or(round.bidding_deadline);
            if body.bidding_deadline.is_some() && deadline <= now {
                return Err(ApiError::invalid("bidding_deadline", "must be in the future"));
            }
            let terms_changed = body.bidding_deadline.is_some() || body.min_bidders.is_some() || body.rules.is_some();
            let rules = if body.rules.is_some() || body.min_bidders.is_some() {
                let base = body.rules.clone().or(Some(round.rules.clone()));
                serde_json::to_value(rules_from(&round.preset, base, body.min_bidders)?).map_err(ApiError::internal)?
            } else {
                round.rules.clone()
            };
            let bump = round.status == RoundStatus::BiddingOpen && terms_changed;
            diesel::update(r::table.find(id))
                .set((
                    r::name.eq(&name),
                    r::bidding_deadline.eq(deadline),
                    r::rules.eq(&rules),
                    r::terms_version.eq(round.terms_version + i32::from(bump)),
                    r::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let mut voided = Vec::new();
            if bump {
                voided = crate::bids::queries::BidRow::invalidate_round(conn, id).await?;
                let updated = Round::find(conn, id).await?;
                rounds::notify_suppliers(conn, &settings.jobs, &settings.mail.public_url, &updated, &voided, "bids_invalidated", &updated.terms_version.to_string()).await?;
                crate::rounds::jobs::schedule(conn, settings, &updated).await?;
            }
            audit::record(
                conn,
                &user.actor(),
                "round.update",
                "round",
                &id.to_string(),
                json!({ "name": name, "deadline": deadline, "rules_changed": body.rules.is_some() || body.min_bidders.is_some(),
                        "terms_version": round.terms_version + i32::from(bump), "suppliers_with_voided_bids": voided.len() }),
            )
            .await?;
            {
                let round = Round::find(conn, id).await?;
                RoundDto::load(conn, round).await
            }
        })
        .await?;
    Ok(web::Json(dto))
}

/// Start collecting provincial demand (draft -> demand collection).
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Collecting demand", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a draft, or no lots", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/demand-collection")]
pub async fn start_demand(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id)
                .await
                .map_err(|_| ApiError::not_found("no such round"))?;
            let next = rounds::transition(&round, RoundAction::StartDemandCollection, None)?;
            if LotRow::of_round(conn, id).await?.is_empty() {
                return Err(ApiError::rule(
                    "round_has_no_lots",
                    "add at least one lot first",
                ));
            }
            Round::set_status(conn, id, next).await?;
            audit::record(
                conn,
                &user.actor(),
                "round.demand_collection",
                "round",
                &id.to_string(),
                json!({}),
            )
            .await?;
            {
                let round = Round::find(conn, id).await?;
                RoundDto::load(conn, round).await
            }
        })
        .await?;
    Ok(web::Json(dto))
}

/// Publish: open for sealed bids. Freezes demand and ceilings (those valid today), makes
/// the round's key pair and deals the opening-key shares; schedules the closing.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Open for bids", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not collecting demand, no lots, or deadline passed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/publish")]
pub async fn publish(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let id = id.into_inner();
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id).await.map_err(|_| ApiError::not_found("no such round"))?;
            let next = rounds::transition(&round, RoundAction::OpenBidding, None)?;
            if LotRow::of_round(conn, id).await?.is_empty() {
                return Err(ApiError::rule("round_has_no_lots", "a round without lots cannot be published"));
            }
            let now = clock(conn).await?;
            if round.bidding_deadline <= now {
                return Err(ApiError::rule("deadline_passed", "the bidding deadline has passed: move it first"));
            }
            // ceilings are published by Beijing's calendar: the day in China Standard Time
            let today = crate::platform::db::china_date(now);
            LotRow::freeze_ceilings(conn, id, today).await?;
            let (public, wrapped) = rounds::publish_keys(conn, &round, &settings.master_key).await?;
            diesel::update(r::table.find(id))
                .set((
                    r::status.eq(next),
                    r::public_key.eq(&public),
                    r::wrapped_key.eq(wrapped.as_deref()),
                    r::published_at.eq(diesel::dsl::now),
                    r::ceilings_date.eq(today),
                    r::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let round = Round::find(conn, id).await?;
            crate::rounds::jobs::schedule(conn, settings, &round).await?;
            let suppliers = rounds::matching_suppliers(conn, &round).await?;
            let notified = rounds::notify_suppliers(conn, &settings.jobs, &settings.mail.public_url, &round, &suppliers, "round_published", "published").await?;
            audit::record(conn, &user.actor(), "round.publish", "round", &id.to_string(),
                json!({ "public_key": hex::encode(&public), "ceilings_date": today, "key_mode": round.key_mode,
                        "quorum": round.quorum, "suppliers_notified": notified })).await?;
            RoundDto::load(conn, round).await
        })
        .await?;
    Ok(web::Json(dto))
}

/// Cancel a round before award, with a reason.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = CancelRound,
    responses(
        (status = 200, description = "Cancelled", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or already awarded", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/cancel")]
pub async fn cancel(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<CancelRound>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "is required"));
    }
    crate::platform::input::bounded("reason", &reason, crate::platform::input::MAX_TEXT)?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            if Round::find(conn, id).await.is_err() {
                return Err(ApiError::not_found("no such round"));
            }
            Round::lock_for_closing(conn, id).await?;
            let round = Round::lock(conn, id).await?;
            let next = rounds::transition(&round, RoundAction::Cancel, Some(&reason))?;
            let from = round.status;
            diesel::update(r::table.find(id))
                .set((
                    r::status.eq(next),
                    r::cancel_reason.eq(&reason),
                    r::cancelled_at.eq(diesel::dsl::now),
                    r::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let round = Round::find(conn, id).await?;
            if round.published_at.is_some() {
                let suppliers = rounds::matching_suppliers(conn, &round).await?;
                rounds::notify_suppliers(
                    conn,
                    &settings.jobs,
                    &settings.mail.public_url,
                    &round,
                    &suppliers,
                    "round_cancelled",
                    "cancelled",
                )
                .await?;
            }
            audit::record(
                conn,
                &user.actor(),
                "round.cancel",
                "round",
                &id.to_string(),
                json!({ "reason": reason, "from": from }),
            )
            .await?;
            RoundDto::load(conn, round).await
        })
        .await?;
    Ok(web::Json(dto))
}
