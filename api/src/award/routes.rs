//! Evaluation, revival, award, published results, the OCDS record, contracts, supply
//! failures and supplier bars.

use actix_web::{HttpResponse, get, post, web};
use chrono::{Datelike, NaiveDate};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::{
    award::{
        ocds, service as award,
        service::{Evaluation, Results, RevivalOfferDto},
    },
    contracts::{
        service as contracts,
        service::{BarDto, ContractDto, Filter, Scope, SupplyFailure},
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
    platform::page::{Page, Pagination},
    rounds::routes::visible_round,
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
            award::evaluate(
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
    let stored = award::stored(&mut conn, round.id)
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
    let offers = award::offers(&mut conn, round.id, supplier).await?;
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
            award::answer_revival(
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
    params(("id" = Uuid, Path, description = "Round id")),
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
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Results>, ApiError> {
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    let evaluation = award::published(&mut conn, &round).await?;
    Ok(web::Json(award::results(&round, &evaluation)))
}

/// The round's public record: an OCDS 1.1 release package (tender with lots and items,
/// bid statistics and details, awards, contracts; lots and bids extensions).
#[utoipa::path(
    tag = "award",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
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
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    let evaluation = award::published(&mut conn, &round).await?;
    let package = ocds::package(&mut conn, &state.settings, &round, &evaluation).await?;
    Ok(HttpResponse::Ok().json(package))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    pub round_id: Option<Uuid>,
    pub lot_id: Option<Uuid>,
    /// GB/T 2260 province code.
    pub province: Option<String>,
    pub supplier_org_id: Option<Uuid>,
    /// active, failed or completed
    pub status: Option<String>,
}

fn scope_of(user: &AuthUser) -> Scope {
    match user.role {
        Role::Supplier => Scope::Supplier(user.org_id),
        Role::ProvincialBuyer | Role::Insurer => Scope::Province,
        _ => Scope::All,
    }
}

/// Contracts the caller is party to: a supplier its own (and those it backs up), a
/// buyer or insurer its province's, officers, auditors and admins all.
#[utoipa::path(
    tag = "contracts",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("party"))),
    params(Pagination, ContractQuery),
    responses(
        (status = 200, description = "A page of contracts", body = Page<ContractDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/contracts")]
pub async fn list_contracts(
    user: AuthUser,
    state: web::Data<AppState>,
    page: web::Query<Pagination>,
    query: web::Query<ContractQuery>,
) -> Result<web::Json<Page<ContractDto>>, ApiError> {
    let (page, per_page, limit, offset) = page.into_inner().resolve()?;
    let q = query.into_inner();
    let status = q
        .status
        .as_deref()
        .map(str::parse::<contracts::ContractStatus>)
        .transpose()
        .map_err(|_| ApiError::invalid("status", "must be active, failed or completed"))?;
    if let Some(p) = &q.province
        && !(p.len() == 6 && p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::invalid(
            "province",
            "must be a GB/T 2260 province code: 6 digits",
        ));
    }
    let filter = Filter {
        round_id: q.round_id,
        lot_id: q.lot_id,
        province: q.province,
        supplier_org_id: q.supplier_org_id,
        status,
    };
    let mut conn = state.pool.get().await?;
    let (items, total) = contracts::page(
        &mut conn,
        scope_of(&user),
        user.province.as_deref(),
        &filter,
        limit,
        offset,
    )
    .await?;
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// One contract (if the caller is party to it).
#[utoipa::path(
    tag = "contracts",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("party"))),
    params(("id" = Uuid, Path, description = "Contract id")),
    responses(
        (status = 200, description = "The contract", body = ContractDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract (or not yours)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/contracts/{id}")]
pub async fn get_contract(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ContractDto>, ApiError> {
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        contracts::find(&mut conn, *id, scope_of(&user), user.province.as_deref()).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct SupplyFailureRequest {
    /// What happened; sent to the suppliers and buyers concerned.
    #[schema(max_length = 2000)]
    pub reason: String,
    /// Bar the failing supplier from rounds until this day (inclusive).
    pub bar_until: Option<NaiveDate>,
}

/// Record that the winner failed to supply this contract's province: the backup
/// supplier takes over at its own winning price, and the failing supplier may be barred.
#[utoipa::path(
    tag = "contracts",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Contract id")),
    request_body = SupplyFailureRequest,
    responses(
        (status = 201, description = "Recorded; the backup's contract is active", body = SupplyFailure),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not active, no backup, or invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/contracts/{id}/supply-failure")]
pub async fn supply_failure(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<SupplyFailureRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 {
        return Err(ApiError::invalid("reason", "must be 1 to 2000 characters"));
    }
    if let Some(d) = body.bar_until {
        crate::platform::input::check_date("bar_until", d)?;
    }
    let settings = &state.settings;
    let actor = user.actor();
    let mut conn = state.pool.get().await?;
    let failure = conn
        .transaction(async |conn| {
            contracts::record_failure(
                conn,
                settings,
                &actor,
                user.user_id,
                *id,
                &reason,
                body.bar_until,
            )
            .await
        })
        .await?;
    Ok(HttpResponse::Created().json(failure))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BarQuery {
    pub org_id: Option<Uuid>,
    /// Only bars in force on this day.
    pub active_on: Option<NaiveDate>,
}

/// Supplier bars (after supply failures). A supplier sees its own.
#[utoipa::path(
    tag = "contracts",
    security(("bearer" = ["procurement_officer", "admin", "auditor", "supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(BarQuery, Pagination),
    responses(
        (status = 200, description = "Bars, newest first", body = Page<BarDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Officers, admins, auditors and suppliers only", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/supplier-bars")]
pub async fn bars(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<BarQuery>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<BarDto>>, ApiError> {
    user.require(&[
        Role::ProcurementOfficer,
        Role::Admin,
        Role::Auditor,
        Role::Supplier,
    ])?;
    if let Some(d) = query.active_on {
        crate::platform::input::check_date("active_on", d)?;
    }
    let org = if user.role == Role::Supplier {
        Some(user.org_id)
    } else {
        query.org_id
    };
    let mut conn = state.pool.get().await?;
    let bars = contracts::bars(&mut conn, org, query.active_on).await?;
    Ok(web::Json(Page::of_all(bars, paging.into_inner())?))
}
