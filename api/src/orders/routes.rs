//! Orders of hospitals against their province's contracts, deliveries by suppliers or
//! their distributors, acceptance by the hospitals.

use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    deliveries,
    dto::{
        AcceptanceRequest, DeliveryDto, DeliveryRequest, DeliverySort, OrderDto, OrderRequest,
        OrderSort, RefuseRequest,
    },
    queries::{DeliveryStatus, OrderStatus},
    service::{self as orders, OrderFilter, Scope},
};
use crate::platform::{
    AppState,
    auth::{AuthUser, Role},
    error::{ApiError, Problem},
    input::{self, MAX_TEXT},
    page::{Page, Pagination},
};

const HOSPITAL: &[Role] = &[Role::Hospital];
const SUPPLIER: &[Role] = &[Role::Supplier];
const SHIPPERS: &[Role] = &[Role::Supplier, Role::Distributor];
const READERS: &[Role] = &[
    Role::Hospital,
    Role::ProvincialBuyer,
    Role::Insurer,
    Role::Supplier,
    Role::Distributor,
    Role::ProcurementOfficer,
    Role::Auditor,
    Role::Admin,
];

/// Place an order against active contracts of the hospital's province, all of one
/// supplier. With an `Idempotency-Key` already used for the same request, the first
/// order is returned (200).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("Idempotency-Key" = Option<String>, Header, description = "1 to 200 characters; a retry returns the first order")),
    request_body = OrderRequest,
    responses(
        (status = 201, description = "Placed; the supplier is told", body = OrderDto),
        (status = 200, description = "A retry: the order placed under this key", body = OrderDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only hospitals", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid lines, or a contract not orderable (codes contract_not_found, contract_other_province, contract_not_active, contract_ended, order_mixed_suppliers, idempotency_key_reused)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    body: input::Json<OrderRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(HOSPITAL)?;
    let body = body.into_inner()?;
    let key = input::idempotency_key(&req)?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let (order, created) = conn
        .transaction(async |conn| {
            orders::create_order(conn, settings, &user, key.as_deref(), &body).await
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().json(order)
    } else {
        HttpResponse::Ok().json(order)
    })
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrderQuery {
    /// submitted, confirmed, refused or withdrawn
    pub status: Option<String>,
    pub hospital_org_id: Option<Uuid>,
    pub supplier_org_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    /// The order of the list: a field, ascending, or `-` and the field, descending
    /// (default `-created_at`, newest first); ties by id.
    #[param(inline)]
    pub sort: Option<OrderSort>,
}

/// Orders the caller may see: a hospital its own, a centre or insurer its province's, a
/// supplier those to it, a distributor those on contracts naming it; officers, auditors
/// and admins all. Newest first.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital", "provincial_buyer", "insurer", "supplier", "distributor", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(Pagination, OrderQuery),
    responses(
        (status = 200, description = "A page of orders", body = Page<OrderDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orders")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<OrderQuery>,
) -> Result<web::Json<Page<OrderDto>>, ApiError> {
    user.require(READERS)?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let q = query.into_inner();
    let status = q
        .status
        .as_deref()
        .map(|s| {
            s.parse::<OrderStatus>().map_err(|_| {
                ApiError::invalid(
                    "status",
                    "must be submitted, confirmed, refused or withdrawn",
                )
            })
        })
        .transpose()?;
    let filter = OrderFilter {
        status,
        hospital_org_id: q.hospital_org_id,
        supplier_org_id: q.supplier_org_id,
        contract_id: q.contract_id,
        sort: q.sort.unwrap_or_default(),
    };
    let mut conn = state.pool.get().await?;
    let (items, total) = orders::page(&mut conn, &Scope::of(&user), &filter, limit, offset).await?;
    Ok(web::Json(Page {
        items,
        page,
        per_page,
        total,
    }))
}

/// One order, if the caller may see it (else 404).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital", "provincial_buyer", "insurer", "supplier", "distributor", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "The order", body = OrderDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orders/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<OrderDto>, ApiError> {
    user.require(READERS)?;
    let mut conn = state.pool.get().await?;
    let row = orders::find_order(&mut conn, &Scope::of(&user), *id, false).await?;
    Ok(web::Json(orders::order_dto(&mut conn, row).await?))
}

/// Replace the lines of a submitted order (the hospital's own).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = OrderRequest,
    responses(
        (status = 200, description = "The edited order", body = OrderDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only hospitals", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Confirmed, refused or withdrawn already (order_not_editable)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid lines, or a contract not orderable", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/orders/{id}")]
pub async fn edit(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: input::Json<OrderRequest>,
) -> Result<web::Json<OrderDto>, ApiError> {
    user.require(HOSPITAL)?;
    let body = body.into_inner()?;
    let mut conn = state.pool.get().await?;
    let order = conn
        .transaction(async |conn| orders::edit_order(conn, &user, *id, &body).await)
        .await?;
    Ok(web::Json(order))
}

/// Withdraw a submitted order (the hospital's own).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Withdrawn; the supplier is told", body = OrderDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only hospitals", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Confirmed, refused or withdrawn already (order_not_editable)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/withdraw")]
pub async fn withdraw(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<OrderDto>, ApiError> {
    user.require(HOSPITAL)?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let order = conn
        .transaction(async |conn| orders::withdraw_order(conn, settings, &user, *id).await)
        .await?;
    Ok(web::Json(order))
}

/// Confirm an order to the caller's organisation.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Order id")),
    responses(
        (status = 200, description = "Confirmed; the hospital is told", body = OrderDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided or withdrawn already (order_decided)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/confirm")]
pub async fn confirm(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<OrderDto>, ApiError> {
    user.require(SUPPLIER)?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let order = conn
        .transaction(async |conn| orders::decide_order(conn, settings, &user, *id, None).await)
        .await?;
    Ok(web::Json(order))
}

/// Refuse an order with a reason: a supply problem the officers and the centre see.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = RefuseRequest,
    responses(
        (status = 200, description = "Refused; the hospital is told", body = OrderDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Decided or withdrawn already (order_decided)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason given", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/refuse")]
pub async fn refuse(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: input::Json<RefuseRequest>,
) -> Result<web::Json<OrderDto>, ApiError> {
    user.require(SUPPLIER)?;
    let body = body.into_inner()?;
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_TEXT {
        return Err(ApiError::invalid(
            "reason",
            format!("must be 1 to {MAX_TEXT} characters"),
        ));
    }
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let order = conn
        .transaction(async |conn| {
            orders::decide_order(conn, settings, &user, *id, Some(&reason)).await
        })
        .await?;
    Ok(web::Json(order))
}

/// Ship (part of) a confirmed order: by its supplier, or the distributor the supplier
/// named for the contracts of every line shipped. Never more than is still open.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["supplier", "distributor"])),
    extensions(("x-scope" = json!("party"))),
    params(("id" = Uuid, Path, description = "Order id")),
    request_body = DeliveryRequest,
    responses(
        (status = 201, description = "Shipped; the hospital is told", body = DeliveryDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not the order's supplier or named distributor", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such order you can see", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "A traceability code was delivered already (trace_code_delivered)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not confirmed, above the open quantity, expiry not after today, malformed or repeated traceability codes", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orders/{id}/deliveries")]
pub async fn ship(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: input::Json<DeliveryRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(SHIPPERS)?;
    let body = body.into_inner()?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let delivery = conn
        .transaction(async |conn| deliveries::ship(conn, settings, &user, *id, &body).await)
        .await?;
    Ok(HttpResponse::Created().json(delivery))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    pub order_id: Option<Uuid>,
    /// shipped or accepted
    pub status: Option<String>,
    /// The order of the list: a field, ascending, or `-` and the field, descending
    /// (default `-shipped_at`, newest first); ties by id. Deliveries not accepted yet have
    /// no `due_date` and come last either way.
    #[param(inline)]
    pub sort: Option<DeliverySort>,
}

/// Deliveries the caller may see (the same parties as their orders; a distributor also
/// those it shipped). Newest first.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital", "provincial_buyer", "insurer", "supplier", "distributor", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(Pagination, DeliveryQuery),
    responses(
        (status = 200, description = "A page of deliveries", body = Page<DeliveryDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/deliveries")]
pub async fn list_deliveries(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<DeliveryQuery>,
) -> Result<web::Json<Page<DeliveryDto>>, ApiError> {
    user.require(READERS)?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let q = query.into_inner();
    let status = q
        .status
        .as_deref()
        .map(|s| {
            s.parse::<DeliveryStatus>()
                .map_err(|_| ApiError::invalid("status", "must be shipped or accepted"))
        })
        .transpose()?;
    let mut conn = state.pool.get().await?;
    let (items, total) = deliveries::delivery_page(
        &mut conn,
        &Scope::of(&user),
        q.order_id,
        status,
        q.sort.unwrap_or_default(),
        limit,
        offset,
    )
    .await?;
    Ok(web::Json(Page {
        items,
        page,
        per_page,
        total,
    }))
}

/// One delivery, if the caller may see it (else 404).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital", "provincial_buyer", "insurer", "supplier", "distributor", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(("id" = Uuid, Path, description = "Delivery id")),
    responses(
        (status = 200, description = "The delivery", body = DeliveryDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/deliveries/{id}")]
pub async fn get_delivery(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<DeliveryDto>, ApiError> {
    user.require(READERS)?;
    let mut conn = state.pool.get().await?;
    let province = match user.role {
        Role::Hospital | Role::ProvincialBuyer | Role::Insurer => user.province.as_deref(),
        _ => None,
    };
    let row = deliveries::find_delivery(&mut conn, &Scope::of(&user), *id, province, false).await?;
    Ok(web::Json(deliveries::delivery_dto(&mut conn, row).await?))
}

/// Accept a delivery to the caller's hospital, every line wholly or in part (with the
/// reason for the rest). Final; starts the payment clock (due date stored).
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Delivery id")),
    request_body = AcceptanceRequest,
    responses(
        (status = 200, description = "Accepted", body = DeliveryDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only hospitals", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such delivery to you", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Accepted already (delivery_accepted)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Lines missing, repeated, above the shipped quantity or without a reason (acceptance_invalid)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/deliveries/{id}/acceptance")]
pub async fn accept(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: input::Json<AcceptanceRequest>,
) -> Result<web::Json<DeliveryDto>, ApiError> {
    user.require(HOSPITAL)?;
    let body = body.into_inner()?;
    let mut conn = state.pool.get().await?;
    let delivery = conn
        .transaction(async |conn| deliveries::accept(conn, &user, *id, &body).await)
        .await?;
    Ok(web::Json(delivery))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgressQuery {
    /// hospital (default), contract, province or lot
    pub group_by: Option<super::progress::GroupBy>,
    pub round_id: Option<Uuid>,
}

/// Ordered, shipped and accepted against quota, with the "behind" flag: a hospital sees
/// its own, a centre or insurer its province, a supplier its contracts; officers,
/// auditors and admins all.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital", "provincial_buyer", "insurer", "supplier", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(ProgressQuery),
    responses(
        (status = 200, description = "Progress by group", body = super::progress::Progress),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/progress")]
pub async fn progress(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<ProgressQuery>,
) -> Result<web::Json<super::progress::Progress>, ApiError> {
    user.require(&[
        Role::Hospital,
        Role::ProvincialBuyer,
        Role::Insurer,
        Role::Supplier,
        Role::ProcurementOfficer,
        Role::Auditor,
        Role::Admin,
    ])?;
    let q = query.into_inner();
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        super::progress::progress(&mut conn, &user, q.group_by.unwrap_or_default(), q.round_id)
            .await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProblemQuery {
    /// The delivery term in days after confirmation (default 7, ordinary orders); 0 to 365.
    pub term_days: Option<i32>,
    /// At most this many, newest first (default 200, at most 1,000).
    pub limit: Option<i64>,
}

/// Supply problems: orders refused by their supplier, and confirmed orders not wholly
/// shipped within the delivery term. A centre sees its province's; officers, auditors
/// and admins all.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["provincial_buyer", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_province"))),
    params(ProblemQuery),
    responses(
        (status = 200, description = "Supply problems, newest first", body = Vec<super::progress::SupplyProblem>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid query", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/supply-problems")]
pub async fn supply_problems(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<ProblemQuery>,
) -> Result<web::Json<Vec<super::progress::SupplyProblem>>, ApiError> {
    user.require(&[
        Role::ProvincialBuyer,
        Role::ProcurementOfficer,
        Role::Auditor,
        Role::Admin,
    ])?;
    let q = query.into_inner();
    let term = q.term_days.unwrap_or(7);
    if !(0..=365).contains(&term) {
        return Err(ApiError::invalid("term_days", "must be 0 to 365"));
    }
    let limit = q.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "must be 1 to 1000"));
    }
    let province =
        (user.role == Role::ProvincialBuyer).then(|| user.province.clone().unwrap_or_default());
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        super::progress::supply_problems(&mut conn, province.as_deref(), term, limit).await?,
    ))
}

/// Report a shortage on a contract of the hospital's province: a supply problem the
/// centre and the officers see; the supplier and the centre are told.
#[utoipa::path(
    tag = "orders",
    security(("bearer" = ["hospital"])),
    extensions(("x-scope" = json!("own_org"))),
    request_body = super::progress::ShortageReport,
    responses(
        (status = 201, description = "Recorded", body = super::progress::ShortageDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only hospitals", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No note, or not a contract of your province (contract_not_found, contract_other_province)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/shortages")]
pub async fn report_shortage(
    user: AuthUser,
    state: web::Data<AppState>,
    body: input::Json<super::progress::ShortageReport>,
) -> Result<HttpResponse, ApiError> {
    user.require(HOSPITAL)?;
    let body = body.into_inner()?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let report = conn
        .transaction(async |conn| {
            super::progress::report_shortage(conn, settings, &user, &body).await
        })
        .await?;
    Ok(HttpResponse::Created().json(report))
}
