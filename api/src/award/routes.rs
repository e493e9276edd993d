//! Evaluation, revival, award, published results and the OCDS record.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    award::{
        dto::Evaluation,
        evaluation, ocds,
        results::{self as published, Results},
        revival::{self, RevivalOfferDto},
        service as award,
    },
    platform::{
        AppState,
        auth::{AuthUser, Role},
        db::clock,
        error::{ApiError, Problem},
    },
    rounds::queries::Round,
};
use crate::{
    platform::{
        db::read::{MinLsn, ReadDb},
        page::{Page, Pagination},
    },
    rounds::service::visible_round,
};

const OFFICER: &[Role] = &[Role::ProcurementOfficer];

#[derive(Deserialize, ToSchema)]
pub struct EvaluateRequest {
    /// First day of the supply cycle of the contracts. Defaults to the one set by an
    /// earlier evaluation, else the first day of next month.
    pub cycle_start: Option<NaiveDate>,
    /// How long revival candidates (batch 10) have to answer, in minutes, from the first
    /// evaluation (default 2880: two days; 1 to 20160).
    pub revival_window_minutes: Option<u32>,
}

/// The stored evaluation and the digest an award must name.
#[derive(Serialize, ToSchema)]
pub struct EvaluationResponse {
    /// SHA-256 of the evaluation: `POST /award` takes it to approve exactly this result.
    pub digest: String,
    pub evaluation: Evaluation,
}

/// Evaluate an opened round (or re-evaluate, e.g. after the revival window): every bid's
/// UCP, validity, rank and outcome per lot, the revival offers, and the supply regions
/// for review. Nothing is published until the award.
#[utoipa::path(
    tag = "award",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = EvaluateRequest,
    responses(
        (status = 200, description = "Evaluated; review it, then award", body = EvaluationResponse),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not opened (or already awarded), or invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/evaluate")]
pub async fn evaluate(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<EvaluateRequest>,
) -> Result<web::Json<EvaluationResponse>, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let window = body.revival_window_minutes.unwrap_or(2880);
    if !(1..=20160).contains(&window) {
        return Err(ApiError::invalid(
            "revival_window_minutes",
            "must be between 1 and 20160 (two weeks)",
        ));
    }
    if let Some(d) = body.cycle_start {
        crate::platform::input::check_date("cycle_start", d)?;
    }
    let settings = &state.settings;
    let actor = user.actor();
    let mut conn = state.pool.get().await?;
    let stored = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id)
                .await
                .map_err(|_| ApiError::not_found("no such round"))?;
            let today = crate::platform::db::china_date(clock(conn).await?);
            let cycle_start = match (body.cycle_start, round.cycle_start) {
                (Some(d), _) if d < today => {
                    return Err(ApiError::invalid(
                        "cycle_start",
                        format!("must be today ({today}) or later"),
                    ));
                }
                (Some(d), _) => d,
                (None, Some(d)) => d,
                (None, None) => first_of_next_month(today)?,
            };
            evaluation::evaluate(
                conn,
                settings,
                &round,
                &actor,
                user.user_id,
                cycle_start,
                chrono::Duration::minutes(i64::from(window)),
            )
            .await
        })
        .await?;
    Ok(web::Json(EvaluationResponse {
        digest: stored.digest,
        evaluation: stored.evaluation,
    }))
}

fn first_of_next_month(d: NaiveDate) -> Result<NaiveDate, ApiError> {
    d.with_day(1)
        .and_then(|d| d.checked_add_months(chrono::Months::new(1)))
        .ok_or_else(|| ApiError::internal("date out of range"))
}

/// The evaluation under review (officers and auditors; bidders read the results once
/// published).
#[utoipa::path(
    tag = "award",
    security(("bearer" = ["procurement_officer", "auditor"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "The evaluation and its digest", body = EvaluationResponse),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers and auditors", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round, or not evaluated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/evaluation")]
pub async fn get_evaluation(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<EvaluationResponse>, ApiError> {
    user.require(&[Role::ProcurementOfficer, Role::Auditor])?;
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    let stored = evaluation::stored(&mut conn, round.id)
        .await?
        .ok_or_else(|| ApiError::not_found("this round has not been evaluated"))?;
    Ok(web::Json(EvaluationResponse {
        digest: stored.digest,
        evaluation: stored.evaluation,
    }))
}

/// Revival offers of a round: a supplier sees its own, officers and auditors all.
#[utoipa::path(
    tag = "award",
    security(("bearer" = ["supplier", "procurement_officer", "auditor"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Round id"), Pagination),
    responses(
        (status = 200, description = "The offers", body = Page<RevivalOfferDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Suppliers, officers and auditors only", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/revival-offers")]
pub async fn revival_offers(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<RevivalOfferDto>>, ApiError> {
    user.require(&[Role::Supplier, Role::ProcurementOfficer, Role::Auditor])?;
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    let supplier = (user.role == Role::Supplier).then_some(user.org_id);
    let offers = revival::offers(&mut conn, round.id, supplier).await?;
    Ok(web::Json(Page::of_all(offers, paging.into_inner())?))
}

#[derive(Deserialize, ToSchema)]
pub struct RevivalAnswer {
    /// true: accept the revival price and win; false: decline.
    pub accept: bool,
}

/// Accept or decline your revival offer for a lot, before the window closes (database
/// clock). An answer is final.
#[utoipa::path(
    tag = "award",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(
        ("id" = Uuid, Path, description = "Round id"),
        ("lot_id" = Uuid, Path, description = "Lot id"),
    ),
    request_body = RevivalAnswer,
    responses(
        (status = 200, description = "Answered", body = RevivalOfferDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round or no offer for you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Answered already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The window has closed, or the round is not evaluated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/revival-offers/{lot_id}")]
pub async fn answer_revival(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    body: crate::platform::input::Json<RevivalAnswer>,
) -> Result<web::Json<RevivalOfferDto>, ApiError> {
    user.require(&[Role::Supplier])?;
    let body = body.into_inner()?;
    let (id, lot) = path.into_inner();
    let actor = user.actor();
    let mut conn = state.pool.get().await?;
    let offer = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id)
                .await
                .map_err(|_| ApiError::not_found("no such round"))?;
            revival::answer_revival(
                conn,
                &round,
                lot,
                user.org_id,
                &actor,
                user.user_id,
                body.accept,
            )
            .await
        })
        .await?;
    Ok(web::Json(offer))
}

#[derive(Deserialize, ToSchema)]
pub struct AwardRequest {
    /// The digest of the evaluation you reviewed (from `/evaluation`): 64 hex characters.
    #[schema(max_length = 64)]
    pub evaluation_digest: String,
}

#[derive(Serialize, ToSchema)]
pub struct AwardOutcome {
    pub round_id: Uuid,
    pub status: String,
    /// Contracts created, one per (lot, winner, province).
    pub contracts: usize,
    pub awarded_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// Award: publishes the results of the evaluation you reviewed, creates the contracts
/// and sends the award and non-award notices. Refused while revival offers are open, or
/// when the evaluation changed since you read its digest.
#[utoipa::path(
    tag = "award",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = AwardRequest,
    responses(
        (status = 200, description = "Awarded", body = AwardOutcome),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The evaluation changed since it was reviewed", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not evaluated, or the revival window is open", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/award")]
pub async fn award_round(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<AwardRequest>,
) -> Result<web::Json<AwardOutcome>, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    crate::platform::input::bounded("evaluation_digest", body.evaluation_digest.trim(), 64)?;
    let settings = &state.settings;
    let actor = user.actor();
    let mut conn = state.pool.get().await?;
    let contracts = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id)
                .await
                .map_err(|_| ApiError::not_found("no such round"))?;
            award::award(conn, settings, &round, &actor, &body.evaluation_digest).await
        })
        .await?;
    let round = Round::find(&mut conn, id).await?;
    Ok(web::Json(AwardOutcome {
        round_id: id,
        status: round.status.to_string(),
        contracts,
        awarded_at: round.awarded_at,
    }))
}

/// The published results: winners, UCPs, price changes against the ceiling and the
/// previous price, and the supply regions. Everyone may read them once awarded.
#[utoipa::path(
    tag = "award",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id"), MinLsn),
    responses(
        (status = 200, description = "The results", body = Results),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not awarded yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/results")]
pub async fn results(
    user: AuthUser,
    db: ReadDb,
    id: web::Path<Uuid>,
) -> Result<web::Json<Results>, ApiError> {
    let mut conn = db.conn;
    let round = visible_round(&mut conn, &user, *id).await?;
    let evaluation = published::published(&mut conn, &round).await?;
    Ok(web::Json(published::results(&round, &evaluation)))
}

/// The round's public record: an OCDS 1.1 release package (tender with lots and items,
/// bid statistics and details, awards, contracts; lots and bids extensions).
#[utoipa::path(
    tag = "award",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id"), MinLsn),
    responses(
        (status = 200, description = "OCDS 1.1 release package", body = Object),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not awarded yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/ocds")]
pub async fn ocds_package(
    user: AuthUser,
    state: web::Data<AppState>,
    db: ReadDb,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = db.conn;
    let round = visible_round(&mut conn, &user, *id).await?;
    let evaluation = published::published(&mut conn, &round).await?;
    let package = ocds::package(&mut conn, &state.settings, &round, &evaluation).await?;
    Ok(HttpResponse::Ok().json(package))
}
