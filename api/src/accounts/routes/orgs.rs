//! Organisations: admins create and suspend them; auditors read them.

use actix_web::{HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::platform::page::{Page, Pagination};
use crate::{
    accounts::queries::{NewOrganisation, Organisation, Province},
    catalog::queries::CatalogItem,
    platform::{
        AppState, audit,
        auth::{AuthUser, OrgKind, OrgStatus, Role},
        error::{ApiError, FieldError, Problem},
    },
};

#[derive(Serialize, ToSchema)]
pub struct OrgDto {
    pub id: Uuid,
    pub name: String,
    pub kind: OrgKind,
    /// GB/T 2260 province code; required for buyers and insurers.
    pub province: Option<String>,
    pub status: OrgStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl TryFrom<Organisation> for OrgDto {
    type Error = ApiError;
    fn try_from(o: Organisation) -> Result<Self, ApiError> {
        Ok(Self {
            kind: o.kind.parse().map_err(ApiError::internal)?,
            status: o.status,
            id: o.id,
            name: o.name,
            province: o.province,
            created_at: o.created_at,
            updated_at: o.updated_at,
        })
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateOrg {
    #[schema(example = "Zhejiang Example Pharmaceutical Co., Ltd.")]
    pub name: String,
    pub kind: OrgKind,
    #[schema(example = "330000")]
    pub province: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateOrg {
    pub name: Option<String>,
    /// `suspended` ends every session of the organisation's users at once.
    pub status: Option<OrgStatus>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrgQuery {
    /// Only organisations of this kind.
    pub kind: Option<OrgKind>,
}

const READERS: &[Role] = &[Role::Admin, Role::Auditor];

fn check_name(name: &str, errors: &mut Vec<FieldError>) {
    let n = name.trim().chars().count();
    if n == 0 || n > 200 {
        errors.push(FieldError::field("name", "must be 1 to 200 characters"));
    }
}

/// List organisations.
#[utoipa::path(
    tag = "orgs",
    security(("bearer" = ["admin", "auditor"])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination, OrgQuery),
    responses(
        (status = 200, description = "A page of organisations", body = Page<OrgDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins and auditors", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<OrgQuery>,
) -> Result<web::Json<Page<OrgDto>>, ApiError> {
    user.require(READERS)?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let mut conn = state.pool.get().await?;
    let (rows, total) =
        Organisation::page(&mut conn, query.kind.map(OrgKind::as_str), limit, offset).await?;
    let items = rows
        .into_iter()
        .map(OrgDto::try_from)
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// Register an organisation.
#[utoipa::path(
    tag = "orgs",
    security(("bearer" = ["admin"])),
    extensions(("x-scope" = json!("all"))),
    request_body = CreateOrg,
    responses(
        (status = 201, description = "Created", body = OrgDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An organisation of that name exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/orgs")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: crate::platform::input::Json<CreateOrg>,
) -> Result<HttpResponse, ApiError> {
    user.require(&[Role::Admin])?;
    let body = body.into_inner()?;
    let name = body.name.trim().to_owned();
    let mut errors = Vec::new();
    check_name(&name, &mut errors);
    let province = body
        .province
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty());
    let mut conn = state.pool.get().await?;
    match province {
        None if body.kind.needs_province() => errors.push(FieldError::field(
            "province",
            format!("is required for an organisation of kind {}", body.kind),
        )),
        Some(code) if !Province::exists(&mut conn, code).await? => errors.push(FieldError::field(
            "province",
            format!("{code:?} is not a GB/T 2260 province code (see GET /api/v1/provinces)"),
        )),
        _ => {}
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if Organisation::find_by_name(&mut conn, &name)
        .await?
        .is_some()
    {
        return Err(ApiError::conflict(
            "org_name_taken",
            format!("an organisation named {name:?} exists"),
        ));
    }
    let org = conn
        .transaction(async |conn| {
            let org = Organisation::insert(
                conn,
                &NewOrganisation {
                    id: Uuid::now_v7(),
                    name: &name,
                    kind: body.kind.as_str(),
                    province,
                },
            )
            .await?;
            // its products in the catalog become biddable now, not at the next import
            let (linked, _) = if body.kind == OrgKind::Supplier {
                CatalogItem::link_manufacturer(conn, org.id, &org.name).await?
            } else {
                (0, 0)
            };
            audit::record(
                conn,
                &user.actor(),
                "org.create",
                "organisation",
                &org.id.to_string(),
                json!({ "name": org.name, "kind": org.kind, "province": org.province,
                        "catalog_items_linked": linked }),
            )
            .await?;
            Ok::<_, ApiError>(org)
        })
        .await?;
    Ok(HttpResponse::Created().json(OrgDto::try_from(org)?))
}

/// One organisation.
#[utoipa::path(
    tag = "orgs",
    security(("bearer" = ["admin", "auditor"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Organisation id")),
    responses(
        (status = 200, description = "The organisation", body = OrgDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins and auditors", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/orgs/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<OrgDto>, ApiError> {
    user.require(READERS)?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(
        Organisation::find(&mut conn, *id).await?.try_into()?,
    ))
}

/// Rename, suspend or reactivate an organisation.
#[utoipa::path(
    tag = "orgs",
    security(("bearer" = ["admin"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Organisation id")),
    request_body = UpdateOrg,
    responses(
        (status = 200, description = "Updated", body = OrgDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such organisation", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "An organisation of that name exists", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/orgs/{id}")]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<UpdateOrg>,
) -> Result<web::Json<OrgDto>, ApiError> {
    user.require(&[Role::Admin])?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let name = body.name.as_deref().map(str::trim);
    let mut errors = Vec::new();
    if let Some(name) = name {
        check_name(name, &mut errors);
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    if body.status == Some(OrgStatus::Suspended) && id == user.org_id {
        return Err(ApiError::rule(
            "cannot_suspend_own_org",
            "an admin cannot suspend the organisation it acts for",
        ));
    }
    let mut conn = state.pool.get().await?;
    let org = conn
        .transaction(async |conn| {
            let before = Organisation::find(conn, id).await?;
            let after = Organisation::update(conn, id, name, body.status).await?;
            let (linked, unlinked) =
                if after.kind == OrgKind::Supplier.as_str() && after.name != before.name {
                    CatalogItem::link_manufacturer(conn, id, &after.name).await?
                } else {
                    (0, 0)
                };
            audit::record(
                conn,
                &user.actor(),
                "org.update",
                "organisation",
                &id.to_string(),
                json!({
                    "before": { "name": before.name, "status": before.status },
                    "after": { "name": after.name, "status": after.status },
                    "catalog_items_linked": linked, "catalog_items_unlinked": unlinked,
                }),
            )
            .await?;
            Ok::<_, ApiError>(after)
        })
        .await?;
    Ok(web::Json(org.try_into()?))
}
