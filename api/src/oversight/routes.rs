//! Oversight routes: shortage warnings, price monitoring and the public price index,
//! complaints against published results.

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::header::{self, ContentDisposition, DispositionParam, DispositionType},
    post, web,
};
use diesel_async::AsyncConnection;
use futures_util::StreamExt;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::{
    complaints::{
        self, AttachmentDto, ComplaintActionRequest, ComplaintDto, NewComplaint, ResumeRequest,
    },
    prices::{self, IndexedGeneric, PriceIndex, PriceMonitor},
    supply::{self, Notices, ScanResult, Warnings},
};
use crate::platform::{
    AppState,
    auth::{AuthUser, Role},
    error::{ApiError, Problem},
    input::{self, MAX_NAME},
    page::{Page, Pagination},
};

/// A file's raw bytes (an attachment's body, up or down).
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct RawFile(pub Vec<u8>);

const WATCHERS: &[Role] = &[
    Role::ProvincialBuyer,
    Role::ProcurementOfficer,
    Role::Auditor,
    Role::Admin,
];
const PRICE_READERS: &[Role] = &[
    Role::ProvincialBuyer,
    Role::Insurer,
    Role::ProcurementOfficer,
    Role::Auditor,
    Role::Admin,
];
const COMPLAINT_READERS: &[Role] = &[
    Role::Supplier,
    Role::ProcurementOfficer,
    Role::Auditor,
    Role::Admin,
];

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningQuery {
    /// One province (a centre sees only its own).
    pub province: Option<String>,
}

/// Supply warnings today: per generic and province, the level from the problems in the
/// sliding window (refusals, confirmed orders not shipped within their term, hospitals'
/// shortage reports), with the affected hospitals, the contracts and their backups, and
/// the problems; and the count of warnings by province. A centre sees its province's.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["provincial_buyer", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_province"))),
    params(WarningQuery),
    responses(
        (status = 200, description = "Warnings, highest level first", body = Warnings),
        (status = 403, description = "Role not admitted, or another province", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a province code", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monitoring/warnings")]
pub async fn warnings(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<WarningQuery>,
) -> Result<web::Json<Warnings>, ApiError> {
    user.require(WATCHERS)?;
    let asked = query.into_inner().province;
    if let Some(p) = &asked
        && (p.len() != 6 || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::invalid(
            "province",
            "must be a six-digit province code",
        ));
    }
    let province = if user.role == Role::ProvincialBuyer {
        let own = user.province.clone().unwrap_or_default();
        if asked.as_ref().is_some_and(|p| *p != own) {
            return Err(ApiError::forbidden(format!(
                "a centre sees its own province's warnings ({own})"
            )));
        }
        Some(own)
    } else {
        asked
    };
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        supply::list(&mut conn, province.as_deref()).await?,
    ))
}

/// Run the supply scan now (it also runs daily at 00:10 China time): confirmed orders not
/// wholly shipped within their round's delivery term are recorded as problems (once
/// each), and every warning is recomputed; a rise to warning or alarm is told.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["procurement_officer", "admin"])),
    extensions(("x-scope" = json!("all"))),
    responses(
        (status = 200, description = "What the scan recorded and changed", body = ScanResult),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/monitoring/supply-scan")]
pub async fn supply_scan(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<ScanResult>, ApiError> {
    user.require(&[Role::ProcurementOfficer, Role::Admin])?;
    let settings = &state.settings;
    let notices = Notices {
        jobs: &settings.jobs,
        public_url: &settings.mail.public_url,
    };
    let actor = user.actor();
    let mut conn = state.pool.get().await?;
    let done = conn
        .transaction(async |conn| supply::scan(conn, &notices, &actor).await)
        .await?;
    Ok(web::Json(done))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GenericQuery {
    /// The generic name, exactly as in the catalog (1 to 200 characters; required).
    #[param(max_length = 200)]
    pub generic_name: Option<String>,
}

fn generic_name(s: &str) -> Result<&str, ApiError> {
    let s = s.trim();
    if s.is_empty() {
        return Err(ApiError::invalid("generic_name", "must not be empty"));
    }
    // a %-escape that is not UTF-8 decodes to U+FFFD: no catalog name holds it
    if s.contains(['\u{FFFD}']) || s.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "generic_name",
            "must be text (valid UTF-8, no control characters)",
        ));
    }
    input::bounded("generic_name", s, MAX_NAME)?;
    Ok(s)
}

/// A generic's prices over time: ceilings, winning prices per round and province with
/// their UCPs, the previous price, what hospitals paid per contract and month (accepted
/// deliveries), and the alerts (paid above the contract; a new ceiling more than the
/// allowed share above the last winning price).
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["provincial_buyer", "insurer", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("all"))),
    params(GenericQuery),
    responses(
        (status = 200, description = "The generic's prices", body = PriceMonitor),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No generic name", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monitoring/prices")]
pub async fn monitor_prices(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<GenericQuery>,
) -> Result<web::Json<PriceMonitor>, ApiError> {
    user.require(PRICE_READERS)?;
    let name = query.into_inner().generic_name.unwrap_or_default();
    let generic = generic_name(&name)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(prices::monitor(&mut conn, generic).await?))
}

/// The generics of the public price index: those with a lot in an awarded round.
#[utoipa::path(
    tag = "oversight",
    extensions(("x-scope" = json!("public"))),
    responses(
        (status = 200, description = "Generics by name (`Cache-Control: public, max-age=300`)", body = Vec<IndexedGeneric>),
    )
)]
#[get("/price-index")]
pub async fn price_index_generics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut conn = state.pool.get().await?;
    Ok(HttpResponse::Ok()
        .insert_header(public_cache())
        .json(prices::generics(&mut conn).await?))
}

/// The public index changes only at an award or a supply failure: caches and browsers may
/// keep it five minutes, which spares the database the anonymous rereads.
fn public_cache() -> header::CacheControl {
    header::CacheControl(vec![
        header::CacheDirective::Public,
        header::CacheDirective::MaxAge(300),
    ])
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct IndexQuery {
    /// `json` (default) or `csv`.
    pub format: Option<String>,
}

/// The public price index of one generic: from the published results of every awarded
/// round with a lot of it, the ceiling, the previous price and each province's winning
/// price and UCP. No bid that did not win, no hospital's purchase. JSON or CSV. A name
/// without a published result has no points.
#[utoipa::path(
    tag = "oversight",
    extensions(("x-scope" = json!("public"))),
    params(("generic_name" = String, Path, description = "The generic name, exactly as in the catalog"), IndexQuery),
    responses(
        (status = 200, description = "The index (`format=csv`: the same as CSV, one row per round, lot and province; `Cache-Control: public, max-age=300`)", body = PriceIndex),
        (status = 422, description = "Unknown format, or a name over 200 characters", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/price-index/{generic_name}")]
pub async fn price_index(
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<IndexQuery>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let generic = generic_name(&name)?;
    let csv = match query.into_inner().format.as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => return Err(ApiError::invalid("format", "must be json or csv")),
    };
    let mut conn = state.pool.get().await?;
    let index = prices::index(&mut conn, generic).await?;
    Ok(if csv {
        HttpResponse::Ok()
            .insert_header(public_cache())
            .content_type("text/csv; charset=utf-8")
            .insert_header(ContentDisposition {
                disposition: DispositionType::Attachment,
                parameters: vec![DispositionParam::Filename("price-index.csv".into())],
            })
            .body(prices::index_csv(&index))
    } else {
        HttpResponse::Ok().insert_header(public_cache()).json(index)
    })
}

/// Object to the published result of a lot the supplier bid on, within the round's
/// objection window (`oversight.objection_days` of its rules, 7 unless set, from the
/// award's day). The procurement office is told.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = NewComplaint,
    responses(
        (status = 201, description = "Submitted", body = ComplaintDto),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Your complaint on the lot is still open (complaint_open)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid grounds, not the round's lot, not a bidder on it, not published, or after the window (lot_not_in_round, complaint_not_bidder, results_not_published, objection_window_closed)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/complaints")]
pub async fn submit_complaint(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: input::Json<NewComplaint>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Supplier])?;
    let body = body.into_inner()?;
    let settings = &state.settings;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| complaints::submit(conn, settings, &user, id, &body).await)
        .await?;
    Ok(HttpResponse::Created().json(dto))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ComplaintQuery {
    pub round_id: Option<Uuid>,
    /// `submitted`, `under_review`, `upheld`, `dismissed` or `withdrawn`.
    pub status: Option<String>,
}

/// Complaints, newest first: a supplier its own; officers, auditors and admins all.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["supplier", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_org"))),
    params(ComplaintQuery, Pagination),
    responses(
        (status = 200, description = "A page of complaints", body = Page<ComplaintDto>),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown status or bad paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/complaints")]
pub async fn list_complaints(
    user: AuthUser,
    state: web::Data<AppState>,
    query: web::Query<ComplaintQuery>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<ComplaintDto>>, ApiError> {
    user.require(COMPLAINT_READERS)?;
    let q = query.into_inner();
    let status = q
        .status
        .as_deref()
        .map(complaints::parse_status)
        .transpose()?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let mut conn = state.pool.get().await?;
    let (items, total) =
        complaints::list(&mut conn, &user, q.round_id, status, limit, offset).await?;
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// One complaint with its attachments: a supplier its own.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["supplier", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Complaint id")),
    responses(
        (status = 200, description = "The complaint", body = ComplaintDto),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such complaint (or another supplier's)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/complaints/{id}")]
pub async fn get_complaint(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<ComplaintDto>, ApiError> {
    user.require(COMPLAINT_READERS)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        complaints::find(&mut conn, &user, id.into_inner()).await?,
    ))
}

/// Move a complaint: an officer `review`s, `uphold`s or `dismiss`es it (a decision needs
/// an `answer`; upholding with `suspend_contracts` suspends the lot's active contracts in
/// every province); the supplier `withdraw`s its own while it is open. Told by mail.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["supplier", "procurement_officer"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Complaint id")),
    request_body = ComplaintActionRequest,
    responses(
        (status = 200, description = "The complaint after the step", body = ComplaintDto),
        (status = 403, description = "Not this role's step", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such complaint (or another supplier's)", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not a step from the complaint's status (complaint_transition)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No answer to a decision, or suspension without upholding", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/complaints/{id}/actions")]
pub async fn act_on_complaint(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: input::Json<ComplaintActionRequest>,
) -> Result<web::Json<ComplaintDto>, ApiError> {
    user.require(&[Role::Supplier, Role::ProcurementOfficer])?;
    let body = body.into_inner()?;
    let settings = &state.settings;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| complaints::act(conn, settings, &user, id, &body).await)
        .await?;
    Ok(web::Json(dto))
}

/// Lift the suspension an upheld complaint put on its lot once the review is done (the
/// result stands, or was corrected): the contracts it suspended are active again, with the
/// officer's note; told to their suppliers, their provinces' centres and the complainant.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Complaint id")),
    request_body = ResumeRequest,
    responses(
        (status = 200, description = "The complaint, with `resumed_at`", body = ComplaintDto),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such complaint", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "No suspension to lift, or lifted already (nothing_suspended, suspension_lifted)", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No note", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/complaints/{id}/resume")]
pub async fn resume_contracts(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: input::Json<ResumeRequest>,
) -> Result<web::Json<ComplaintDto>, ApiError> {
    user.require(&[Role::ProcurementOfficer])?;
    let body = body.into_inner()?;
    let settings = &state.settings;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| complaints::resume(conn, settings, &user, id, &body).await)
        .await?;
    Ok(web::Json(dto))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AttachmentQuery {
    /// The file's name (1 to 200 characters; required).
    #[param(max_length = 200)]
    pub file_name: Option<String>,
}

/// Attach evidence to an open complaint of the supplier's (the raw file as the body, its
/// type as Content-Type; up to 5 MiB, 10 per complaint). Stored with its SHA-256, which
/// the answer and the audit log carry.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Complaint id"), AttachmentQuery),
    request_body(content = RawFile, content_type = "application/octet-stream", description = "The file (its type as Content-Type)"),
    responses(
        (status = 201, description = "Stored", body = AttachmentDto),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such complaint of yours", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The complaint is closed (complaint_closed)", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Over 5 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Empty, a bad name or type, or the tenth already stored (too_many_attachments)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/complaints/{id}/attachments")]
pub async fn attach(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<Uuid>,
    query: web::Query<AttachmentQuery>,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Supplier])?;
    let name = query.into_inner().file_name.unwrap_or_default();
    let file_name = name.trim();
    if file_name.is_empty() || file_name.contains(['/', '\\', '\0']) {
        return Err(ApiError::invalid(
            "file_name",
            "must be a file's name, without a path",
        ));
    }
    input::bounded("file_name", file_name, MAX_NAME)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream")
        .trim()
        .to_owned();
    if content_type.parse::<actix_web::mime::Mime>().is_err() || content_type.len() > 100 {
        return Err(ApiError::invalid(
            "Content-Type",
            "must be a media type of at most 100 characters",
        ));
    }
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "an attachment is at most {} bytes",
            complaints::MAX_ATTACHMENT
        ))
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > complaints::MAX_ATTACHMENT) {
        return Err(too_large());
    }
    let mut content = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("cannot read the body: {e}")))?;
        if content.len() + chunk.len() > complaints::MAX_ATTACHMENT {
            return Err(too_large());
        }
        content.extend_from_slice(&chunk);
    }
    if content.is_empty() {
        return Err(ApiError::invalid("body", "the file is empty"));
    }
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            complaints::attach(conn, &user, id, file_name, &content_type, &content).await
        })
        .await?;
    Ok(HttpResponse::Created().json(dto))
}

/// Download an attachment (its SHA-256 in `X-Content-SHA256`): a supplier of its own
/// complaints; officers, auditors and admins all.
#[utoipa::path(
    tag = "oversight",
    security(("bearer" = ["supplier", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_org"))),
    params(
        ("id" = Uuid, Path, description = "Complaint id"),
        ("attachment_id" = Uuid, Path, description = "Attachment id"),
    ),
    responses(
        (status = 200, description = "The file, with its stored Content-Type", body = RawFile, content_type = "application/octet-stream"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such attachment (or another supplier's)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/complaints/{id}/attachments/{attachment_id}")]
pub async fn download(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    user.require(COMPLAINT_READERS)?;
    let (id, attachment_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let (name, content_type, sha256, content) =
        complaints::attachment(&mut conn, &user, id, attachment_id).await?;
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header(("X-Content-SHA256", sha256))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename(name)],
        })
        .body(content))
}
