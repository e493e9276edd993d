//! Contracts: the lists by scope, one contract, a supply failure and the bars it brings.

use crate::platform::page::{Page, Pagination};
use crate::{
    contracts::{
        quotas, service as contracts,
        service::{BarDto, ContractDto, Filter, Scope, SupplyFailure},
    },
    platform::{
        AppState,
        auth::{AuthUser, Role},
        error::{ApiError, Problem},
    },
};
use actix_web::{HttpResponse, get, post, put, web};
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

pub(crate) fn scope_of(user: &AuthUser) -> Scope {
    match user.role {
        Role::Supplier => Scope::Supplier(user.org_id),
        Role::ProvincialBuyer | Role::Insurer | Role::Hospital => Scope::Province,
        Role::Distributor => Scope::Distributor(user.org_id),
        Role::ProcurementOfficer | Role::Auditor | Role::Admin => Scope::All,
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

/// The hospitals' quotas on a contract: a hospital sees its own, the province's centre
/// and insurer all of the province's, the supplier those of its contract; officers,
/// auditors and admins all.
#[utoipa::path(
    tag = "contracts",
    security(("bearer" = ["hospital", "provincial_buyer", "insurer", "supplier", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(("id" = Uuid, Path, description = "Contract id")),
    responses(
        (status = 200, description = "Quotas by hospital", body = quotas::QuotasDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract of yours", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/contracts/{id}/quotas")]
pub async fn get_quotas(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<quotas::QuotasDto>, ApiError> {
    user.require(&[
        Role::Hospital,
        Role::ProvincialBuyer,
        Role::Insurer,
        Role::Supplier,
        Role::ProcurementOfficer,
        Role::Auditor,
        Role::Admin,
    ])?;
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            let row = quotas::contract_for(conn, &user, *id).await?;
            let hospital = (user.role == Role::Hospital).then_some(user.org_id);
            quotas::of_contract(conn, &row, hospital).await
        })
        .await?;
    Ok(web::Json(dto))
}

/// Move quota between two hospitals of the caller's province on one contract; the
/// contract's total is unchanged.
#[utoipa::path(
    tag = "contracts",
    security(("bearer" = ["provincial_buyer"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Contract id")),
    request_body = quotas::QuotaTransfer,
    responses(
        (status = 200, description = "The quotas after the move", body = quotas::QuotasDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only provincial centres", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract of your province", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Quantity out of range (quota_exceeded), no quota to give (quota_not_found), not a hospital of the province (not_a_hospital)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/contracts/{id}/quotas/transfer")]
pub async fn transfer_quota(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<quotas::QuotaTransfer>,
) -> Result<web::Json<quotas::QuotasDto>, ApiError> {
    user.require(&[Role::ProvincialBuyer])?;
    let body = body.into_inner()?;
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            let row = quotas::contract_for(conn, &user, *id).await?;
            quotas::transfer(conn, &user, &row, &body).await
        })
        .await?;
    Ok(web::Json(dto))
}

/// Name the one distributor (two-invoice rule) that ships this contract's orders for the
/// supplier, or none (`null`) to ship yourself.
#[utoipa::path(
    tag = "contracts",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Contract id")),
    request_body = crate::orders::dto::DistributorRequest,
    responses(
        (status = 200, description = "The distributor now named", body = crate::orders::dto::DistributorRequest),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such contract of yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a distributor (not_a_distributor), or the contract is not active", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/contracts/{id}/distributor")]
pub async fn name_distributor(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<crate::orders::dto::DistributorRequest>,
) -> Result<web::Json<serde_json::Value>, ApiError> {
    user.require(&[Role::Supplier])?;
    let body = body.into_inner()?;
    let mut conn = state.pool.get().await?;
    let named = conn
        .transaction(async |conn| {
            let row = quotas::contract_for(conn, &user, *id).await?;
            if row.status != crate::contracts::service::ContractStatus::Active {
                return Err(ApiError::rule(
                    "contract_not_active",
                    format!("the contract is {}, not active", row.status),
                ));
            }
            quotas::name_distributor(
                conn,
                &user.actor(),
                user.user_id,
                &row,
                body.distributor_org_id,
            )
            .await
        })
        .await?;
    Ok(web::Json(
        serde_json::json!({ "distributor_org_id": named }),
    ))
}
