//! Direct settlement routes (`/api/v1/settlements/...`): an insurer acts on its own
//! province; a supplier reads its own payment orders and statements, confirms and
//! disputes; a hospital reads its own ledger and statement; auditors and admins read all.

use actix_web::{HttpResponse, get, post, put, web};
use chrono::NaiveDate;
use diesel_async::AsyncConnection;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    batches,
    dto::{
        BatchDto, BatchRequest, ConfirmationDto, DisputeDto, DisputeRequest, LedgerDto, PaymentDto,
        PaymentOrderDto, PaymentRequest, PrepaymentDue, PrepaymentRequest, ResolveRequest,
        SavingsDto, ScanDto, SettlementLineDto,
    },
    insurer_province, ledger, overdue, province_code, savings,
    settings::{self, ProvinceSettings, SettingsRequest},
    statements::{self, Format, Party},
};
use crate::orders::service::Scope;
use crate::platform::{
    AppState,
    auth::{AuthUser, Role},
    db::{
        Pool,
        read::{MinLsn, ReadDb},
    },
    error::{ApiError, Problem},
    input,
    page::{Page, Pagination},
};

const INSURER: &[Role] = &[Role::Insurer];
const ADMIN: &[Role] = &[Role::Admin];
const SUPPLIER: &[Role] = &[Role::Supplier];
const SCANNERS: &[Role] = &[Role::Insurer, Role::Admin];
const PROVINCE_READERS: &[Role] = &[Role::Insurer, Role::Auditor, Role::Admin];
const PAYEE_READERS: &[Role] = &[Role::Insurer, Role::Supplier, Role::Auditor, Role::Admin];
const FUND_READERS: &[Role] = &[Role::Insurer, Role::Hospital, Role::Auditor, Role::Admin];
const READERS: &[Role] = &[
    Role::Insurer,
    Role::Hospital,
    Role::Supplier,
    Role::Auditor,
    Role::Admin,
];

/// A province's current settlement settings and their earlier versions (newest first).
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("province" = String, Path, description = "Province code, six digits")),
    responses(
        (status = 200, description = "Versions, the current first", body = Vec<ProvinceSettings>),
        (status = 404, description = "No such province", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/settings/{province}")]
pub async fn get_settings(
    _user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<web::Json<Vec<ProvinceSettings>>, ApiError> {
    let province = province_code(&path)?;
    let mut conn = state.pool.get().await?;
    let all = settings::history(&mut conn, province).await?;
    if all.is_empty() {
        return Err(ApiError::not_found(format!("province {province}")));
    }
    Ok(web::Json(all))
}

/// Set a province's settlement settings (a new version; figures already computed keep
/// theirs).
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["admin"])),
    extensions(("x-scope" = json!("all"))),
    params(("province" = String, Path, description = "Province code, six digits")),
    request_body = SettingsRequest,
    responses(
        (status = 200, description = "The new current version", body = ProvinceSettings),
        (status = 403, description = "Only admins", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such province", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A value out of range (prepayment ratio 0.3 to 1, payment days 1 to 365, shares 0 to 1)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/settlements/settings/{province}")]
pub async fn put_settings(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<String>,
    body: input::Json<SettingsRequest>,
) -> Result<web::Json<ProvinceSettings>, ApiError> {
    user.require(ADMIN)?;
    let body = body.into_inner()?;
    let province = province_code(&path)?.to_owned();
    let mut conn = state.pool.get().await?;
    let done = conn
        .transaction(async |conn| settings::update(conn, &user, &province, &body).await)
        .await?;
    Ok(web::Json(done))
}

/// The `round_id` a query must give (checked after the role, so a refused role gets 403).
fn required_round(round: Option<Uuid>) -> Result<Uuid, ApiError> {
    round.ok_or_else(|| ApiError::invalid("round_id", "is required"))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PrepaymentQuery {
    /// Required.
    pub round_id: Option<Uuid>,
    /// One hospital only.
    pub hospital_org_id: Option<Uuid>,
    /// The province (auditors and admins; an insurer or a hospital reads its own).
    pub province: Option<String>,
}

/// Prepayments of a round: per hospital of the province with quotas, the amount due
/// (ratio x agreed amount, to the cent) and the payment once recorded.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "hospital", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(PrepaymentQuery),
    responses(
        (status = 200, description = "Per hospital", body = Vec<PrepaymentDue>),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such province", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No round_id, or no province or a malformed one (auditors and admins), or an agreed amount too large to prepay (amount_too_large)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/prepayments")]
pub async fn list_prepayments(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<PrepaymentQuery>,
) -> Result<web::Json<Vec<PrepaymentDue>>, ApiError> {
    user.require(FUND_READERS)?;
    let q = query.into_inner();
    let round = required_round(q.round_id)?;
    let (province, hospital) = match Scope::of(&user) {
        Scope::Province(p) => (p, q.hospital_org_id),
        Scope::Hospital(h) => (user.province.clone().unwrap_or_default(), Some(h)),
        _ => match q.province.as_deref() {
            Some(p) => (
                province_code(p)
                    .map_err(|_| {
                        ApiError::invalid("province", "must be a province code: 6 digits")
                    })?
                    .to_owned(),
                q.hospital_org_id,
            ),
            None => {
                return Err(ApiError::invalid(
                    "province",
                    "is required for auditors and admins",
                ));
            }
        },
    };
    if hospital.is_some_and(|h| q.hospital_org_id.is_some_and(|asked| asked != h)) {
        return Ok(web::Json(Vec::new()));
    }
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        ledger::due(&mut conn, &province, round, hospital).await?,
    ))
}

/// Record a hospital's prepayment for a round as paid, under the bank's reference. The
/// same request again returns it (200).
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer"])),
    extensions(("x-scope" = json!("own_province"))),
    request_body = PrepaymentRequest,
    responses(
        (status = 201, description = "Recorded; the hospital's ledger holds it", body = PrepaymentDue),
        (status = 200, description = "Recorded already under this reference", body = PrepaymentDue),
        (status = 403, description = "Only insurers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round, or no hospital of the insurer's province", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Paid under another reference (prepayment_paid), or the reference records another prepayment (reference_reused)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid reference, no quota to prepay or a prepayment of 0.00 (no_quota), or an amount too large (amount_too_large)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/settlements/prepayments")]
pub async fn record_prepayment(
    user: AuthUser,
    state: web::Data<AppState>,
    body: input::Json<PrepaymentRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(INSURER)?;
    let body = body.into_inner()?;
    let province = insurer_province(&user)?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let (due, created) = conn
        .transaction(async |conn| {
            ledger::record_prepayment(conn, settings, &user, &province, &body).await
        })
        .await?;
    Ok(if created {
        HttpResponse::Created().json(due)
    } else {
        HttpResponse::Ok().json(due)
    })
}

/// A hospital's fund ledger: prepayments, set-offs and deductions, and whether it balances.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "hospital", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(("hospital_org_id" = Uuid, Path, description = "The hospital")),
    responses(
        (status = 200, description = "The ledger", body = LedgerDto),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hospital the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/ledgers/{hospital_org_id}")]
pub async fn get_ledger(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<LedgerDto>, ApiError> {
    user.require(FUND_READERS)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        ledger::ledger(&mut conn, &Scope::of(&user), path.into_inner()).await?,
    ))
}

/// Settle the province's accepted, unsettled, undisputed lines (all, due by a date, or one
/// supplier's) into a batch with one payment order per supplier.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer"])),
    extensions(("x-scope" = json!("own_province"))),
    request_body = BatchRequest,
    responses(
        (status = 201, description = "The batch; each supplier is told of its payment order", body = BatchDto),
        (status = 403, description = "Only insurers", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No line to settle (batch_empty), or an invalid date", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/settlements/batches")]
pub async fn create_batch(
    user: AuthUser,
    state: web::Data<AppState>,
    body: input::Json<BatchRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(INSURER)?;
    let body = body.into_inner()?;
    let province = insurer_province(&user)?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let batch = conn
        .transaction(async |conn| batches::create(conn, settings, &user, &province, &body).await)
        .await?;
    Ok(HttpResponse::Created().json(batch))
}

/// Settlement batches: an insurer its province's, auditors and admins all; newest first.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_province"))),
    params(Pagination),
    responses(
        (status = 200, description = "A page of batches", body = Page<BatchDto>),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/batches")]
pub async fn list_batches(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<BatchDto>>, ApiError> {
    user.require(PROVINCE_READERS)?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let mut conn = state.pool.get().await?;
    let (items, total) = batches::list(&mut conn, &Scope::of(&user), limit, offset).await?;
    Ok(web::Json(Page {
        items,
        page,
        per_page,
        total,
    }))
}

/// One settlement batch with its payment orders.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Batch id")),
    responses(
        (status = 200, description = "The batch", body = BatchDto),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such batch the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/batches/{id}")]
pub async fn get_batch(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<BatchDto>, ApiError> {
    user.require(PROVINCE_READERS)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        batches::get(&mut conn, &Scope::of(&user), path.into_inner()).await?,
    ))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PaymentOrderQuery {
    pub batch_id: Option<Uuid>,
    /// Only paid (true) or unpaid (false) orders.
    pub paid: Option<bool>,
}

/// Payment orders: a supplier its own, an insurer its province's, auditors and admins all.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "supplier", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(PaymentOrderQuery),
    responses(
        (status = 200, description = "Payment orders, newest batch first (at most 10,000)", body = Vec<PaymentOrderDto>),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/payment-orders")]
pub async fn list_payment_orders(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<PaymentOrderQuery>,
) -> Result<web::Json<Vec<PaymentOrderDto>>, ApiError> {
    user.require(PAYEE_READERS)?;
    let q = query.into_inner();
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        batches::orders(&mut conn, &Scope::of(&user), q.batch_id, q.paid).await?,
    ))
}

/// One payment order.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "supplier", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(("id" = Uuid, Path, description = "Payment order id")),
    responses(
        (status = 200, description = "The payment order", body = PaymentOrderDto),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such payment order the caller may see", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/payment-orders/{id}")]
pub async fn get_payment_order(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> Result<web::Json<PaymentOrderDto>, ApiError> {
    user.require(PAYEE_READERS)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        batches::order(&mut conn, &Scope::of(&user), path.into_inner()).await?,
    ))
}

/// Record the payment of a payment order, in full, under the bank's reference. The same
/// reference, order and amount again is the same payment (200).
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Payment order id")),
    request_body = PaymentRequest,
    responses(
        (status = 201, description = "Paid: the lines are paid, the amounts set against the hospitals' prepayments, then deducted", body = PaymentDto),
        (status = 200, description = "This payment was recorded already", body = PaymentDto),
        (status = 403, description = "Only insurers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such payment order of the insurer's province", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The reference records another payment (reference_reused), or the order is paid (payment_order_paid)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "An amount above (payment_above_order) or below (payment_below_order) the order's total, or an invalid reference", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/settlements/payment-orders/{id}/payments")]
pub async fn pay(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: input::Json<PaymentRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(INSURER)?;
    let body = body.into_inner()?;
    let province = insurer_province(&user)?;
    let id = path.into_inner();
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let (payment, created) = conn
        .transaction(async |conn| batches::pay(conn, settings, &user, &province, id, &body).await)
        .await?;
    Ok(if created {
        HttpResponse::Created().json(payment)
    } else {
        HttpResponse::Ok().json(payment)
    })
}

/// Overdue lines still unpaid: an insurer its province's, a hospital or a supplier its own,
/// auditors and admins all; by due date.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "hospital", "supplier", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(Pagination),
    responses(
        (status = 200, description = "A page of overdue lines", body = Page<SettlementLineDto>),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/overdue")]
pub async fn list_overdue(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<SettlementLineDto>>, ApiError> {
    user.require(READERS)?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let mut conn = state.pool.get().await?;
    let (items, total) = overdue::list(&mut conn, &Scope::of(&user), limit, offset).await?;
    Ok(web::Json(Page {
        items,
        page,
        per_page,
        total,
    }))
}

/// Run the overdue scan now (it also runs daily): an insurer for its province, an admin
/// for all. Lines due before China's today and unpaid are flagged and told once.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "admin"])),
    extensions(("x-scope" = json!("own_province"))),
    responses(
        (status = 200, description = "How many lines were newly flagged", body = ScanDto),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/settlements/overdue/scan")]
pub async fn scan_overdue(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<ScanDto>, ApiError> {
    user.require(SCANNERS)?;
    let province = match user.role {
        Role::Admin => None,
        _ => Some(insurer_province(&user)?),
    };
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let done = conn
        .transaction(async |conn| {
            overdue::scan(
                conn,
                &settings.jobs,
                &settings.mail.public_url,
                &user.actor(),
                province.as_deref(),
            )
            .await
        })
        .await?;
    Ok(web::Json(done))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// json (default) or csv.
    pub format: Option<String>,
    /// For CSV: utf-8 (default, with a byte-order mark, as Excel needs) or gbk.
    pub encoding: Option<String>,
}

fn format_of(q: &StatementQuery) -> Result<Format, ApiError> {
    let gbk = match q.encoding.as_deref() {
        None | Some("utf-8" | "utf8") => false,
        Some("gbk") => true,
        Some(_) => return Err(ApiError::invalid("encoding", "must be utf-8 or gbk")),
    };
    match q.format.as_deref() {
        None | Some("json") if !gbk => Ok(Format::Json),
        None | Some("json") => Err(ApiError::invalid(
            "encoding",
            "gbk applies to CSV only (format=csv)",
        )),
        Some("csv") => Ok(Format::Csv { gbk }),
        Some(_) => Err(ApiError::invalid("format", "must be json or csv")),
    }
}

async fn stream_response(
    pool: Pool,
    st: statements::Statement,
    format: Format,
    name: &str,
) -> Result<HttpResponse, ApiError> {
    let body = statements::stream(pool, st, format).await?;
    Ok(match format {
        Format::Json => HttpResponse::Ok()
            .content_type("application/json")
            .streaming(body),
        Format::Csv { gbk } => HttpResponse::Ok()
            .content_type(if gbk {
                "text/csv; charset=gbk"
            } else {
                "text/csv; charset=utf-8"
            })
            .insert_header((
                "Content-Disposition",
                format!("attachment; filename=\"{name}.csv\""),
            ))
            .streaming(body),
    })
}

async fn statement_of(
    db: ReadDb,
    user: &AuthUser,
    party: Party,
    month: &str,
    q: &StatementQuery,
) -> Result<HttpResponse, ApiError> {
    let format = format_of(q)?;
    let month: NaiveDate = statements::month(month)?;
    let ReadDb { mut conn, pool } = db;
    let st = statements::statement(&mut conn, &Scope::of(user), party, month).await?;
    drop(conn);
    let name = match party {
        Party::Supplier(id) => format!("statement-supplier-{id}-{}", month.format("%Y-%m")),
        Party::Hospital(id) => format!("statement-hospital-{id}-{}", month.format("%Y-%m")),
    };
    stream_response(pool, st, format, &name).await
}

/// A supplier's monthly statement (its accepted lines of the month, with their state),
/// streamed as JSON or CSV: the supplier its own, an insurer its province's lines, auditors
/// and admins all.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "supplier", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(
        ("org_id" = Uuid, Path, description = "The supplier"),
        ("month" = String, Path, description = "YYYY-MM"),
        StatementQuery,
        MinLsn,
    ),
    responses(
        (status = 200, description = "The statement: JSON {party, month, province, lines, line_count, total}, or (format=csv) CSV with a header row, UTF-8 with a BOM or GBK",
         content((serde_json::Value = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such supplier the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad month, format or encoding", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/statements/suppliers/{org_id}/{month}")]
pub async fn supplier_statement(
    user: AuthUser,
    db: ReadDb,
    path: web::Path<(Uuid, String)>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(PAYEE_READERS)?;
    let (org, month) = path.into_inner();
    statement_of(db, &user, Party::Supplier(org), &month, &query).await
}

/// A hospital's monthly statement (its accepted lines of the month, with their state),
/// streamed as JSON or CSV: the hospital its own, the insurer of its province, auditors and
/// admins.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "hospital", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(
        ("org_id" = Uuid, Path, description = "The hospital"),
        ("month" = String, Path, description = "YYYY-MM"),
        StatementQuery,
        MinLsn,
    ),
    responses(
        (status = 200, description = "The statement: JSON {party, month, province, lines, line_count, total}, or (format=csv) CSV with a header row, UTF-8 with a BOM or GBK",
         content((serde_json::Value = "application/json"), (String = "text/csv"))),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such hospital the caller may see", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad month, format or encoding", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/statements/hospitals/{org_id}/{month}")]
pub async fn hospital_statement(
    user: AuthUser,
    db: ReadDb,
    path: web::Path<(Uuid, String)>,
    query: web::Query<StatementQuery>,
) -> Result<HttpResponse, ApiError> {
    user.require(FUND_READERS)?;
    let (org, month) = path.into_inner();
    statement_of(db, &user, Party::Hospital(org), &month, &query).await
}

/// The supplier confirms its statement of a month, as it stands (total and line count
/// recorded); once; not while a line of it is disputed.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(
        ("org_id" = Uuid, Path, description = "The supplier: the caller's own"),
        ("month" = String, Path, description = "YYYY-MM"),
    ),
    responses(
        (status = 201, description = "Confirmed", body = ConfirmationDto),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not the caller's statement", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Confirmed already (statement_confirmed), or a line is disputed (statement_disputed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "A bad month, or no line in it (statement_empty)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/settlements/statements/suppliers/{org_id}/{month}/confirm")]
pub async fn confirm_statement(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, String)>,
) -> Result<HttpResponse, ApiError> {
    user.require(SUPPLIER)?;
    let (org, month) = path.into_inner();
    let month = statements::month(&month)?;
    let mut conn = state.pool.get().await?;
    let done = conn
        .transaction(async |conn| statements::confirm(conn, &user, org, month).await)
        .await?;
    Ok(HttpResponse::Created().json(done))
}

/// The supplier disputes one of its accepted lines, with a reason: the line is held out of
/// payment (out of its batch, when unpaid) until the insurer resolves the dispute.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    request_body = DisputeRequest,
    responses(
        (status = 201, description = "Disputed; the insurer is told", body = DisputeDto),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No accepted line of the caller's", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The line is paid (line_paid), disputed already (dispute_open), or its month's statement is confirmed (statement_confirmed)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or one over 2,000 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/settlements/disputes")]
pub async fn raise_dispute(
    user: AuthUser,
    state: web::Data<AppState>,
    body: input::Json<DisputeRequest>,
) -> Result<HttpResponse, ApiError> {
    user.require(SUPPLIER)?;
    let body = body.into_inner()?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let done = conn
        .transaction(async |conn| statements::dispute(conn, settings, &user, &body).await)
        .await?;
    Ok(HttpResponse::Created().json(done))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DisputeQuery {
    /// Only open (true) or resolved (false) disputes.
    pub open: Option<bool>,
}

/// Disputes: a supplier its own, an insurer its province's, auditors and admins all.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "supplier", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(DisputeQuery),
    responses(
        (status = 200, description = "Disputes, newest first (at most 10,000)", body = Vec<DisputeDto>),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/disputes")]
pub async fn list_disputes(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<DisputeQuery>,
) -> Result<web::Json<Vec<DisputeDto>>, ApiError> {
    user.require(PAYEE_READERS)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        statements::disputes(&mut conn, &Scope::of(&user), query.open).await?,
    ))
}

/// The insurer resolves a dispute of its province: the line is payable again (the next
/// batch takes it).
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Dispute id")),
    request_body = ResolveRequest,
    responses(
        (status = 200, description = "Resolved; the supplier is told", body = DisputeDto),
        (status = 403, description = "Only insurers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such dispute of the insurer's province", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Resolved already (dispute_resolved)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No resolution, or one over 2,000 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/settlements/disputes/{id}/resolve")]
pub async fn resolve_dispute(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: input::Json<ResolveRequest>,
) -> Result<web::Json<DisputeDto>, ApiError> {
    user.require(INSURER)?;
    let body = body.into_inner()?;
    let province = insurer_province(&user)?;
    let id = path.into_inner();
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let done = conn
        .transaction(async |conn| {
            statements::resolve(conn, settings, &user, &province, id, &body).await
        })
        .await?;
    Ok(web::Json(done))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SavingsQuery {
    /// Required.
    pub round_id: Option<Uuid>,
}

/// Retained savings of a round at the annual clearing, per hospital: an insurer its
/// province's hospitals, a hospital its own, auditors and admins all.
#[utoipa::path(
    tag = "settlement",
    security(("bearer" = ["insurer", "hospital", "auditor", "admin"])),
    extensions(("x-scope" = json!("party"))),
    params(SavingsQuery),
    responses(
        (status = 200, description = "Per hospital", body = Vec<SavingsDto>),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No round_id", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/settlements/retained-savings")]
pub async fn retained_savings(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<SavingsQuery>,
) -> Result<web::Json<Vec<SavingsDto>>, ApiError> {
    user.require(FUND_READERS)?;
    let round = required_round(query.round_id)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        savings::retained(&mut conn, &Scope::of(&user), round).await?,
    ))
}
