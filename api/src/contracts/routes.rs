//! Contracts: the lists by scope, one contract, a supply failure and the bars it brings.

use crate::platform::page::{Page, Pagination};
use crate::{
    contracts::{
        service as contracts,
        service::{BarDto, ContractDto, Filter, Scope, SupplyFailure},
    },
    platform::{
        AppState,
        auth::{AuthUser, Role},
        error::{ApiError, Problem},
    },
};
use actix_web::{HttpResponse, get, post, web};
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

const OFFICER: &[Role] = &[Role::ProcurementOfficer];

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
