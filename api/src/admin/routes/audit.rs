//! The audit log, for auditors: entries with their seal, and verification of the chain.

use actix_web::{get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::platform::page::{Page, Pagination};
use crate::platform::{
    AppState,
    audit::{self, Entry, EntryFilter, VerifyReport},
    auth::{AuthUser, Role},
    error::{ApiError, Problem},
};

#[derive(Serialize, ToSchema)]
pub struct AuditEntryDto {
    #[serde(flatten)]
    pub entry: Entry,
    /// Position in the hash chain; absent until the sealer has chained the entry.
    pub seq: Option<i64>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `user`, `organisation`
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// e.g. `auth.login`, `user.create`
    pub action: Option<String>,
    pub actor_user_id: Option<Uuid>,
}

/// Audit entries, newest first.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = ["auditor"])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination, AuditQuery),
    responses(
        (status = 200, description = "A page of audit entries", body = Page<AuditEntryDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only auditors", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<AuditQuery>,
) -> Result<web::Json<Page<AuditEntryDto>>, ApiError> {
    user.require(&[Role::Auditor])?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let q = query.into_inner();
    let mut errors = Vec::new();
    for (field, value, max) in [
        (
            "entity_type",
            &q.entity_type,
            crate::platform::input::MAX_CODE,
        ),
        ("entity_id", &q.entity_id, crate::platform::input::MAX_NAME),
        ("action", &q.action, crate::platform::input::MAX_CODE),
    ] {
        if let Some(v) = value {
            crate::platform::input::check_len(&mut errors, field, v, max);
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let filter = EntryFilter {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        action: q.action,
        actor_user_id: q.actor_user_id,
    };
    let mut conn = state.pool.get().await?;
    let (rows, total) = audit::page(&mut conn, &filter, limit, offset).await?;
    let items = rows
        .into_iter()
        .map(|(entry, seq)| AuditEntryDto { entry, seq })
        .collect();
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// Recompute the whole hash chain and report the first entry that does not match.
#[utoipa::path(
    tag = "audit",
    security(("bearer" = ["auditor"])),
    extensions(("x-scope" = json!("all"))),
    responses(
        (status = 200, description = "The verification report (`intact` false names the first bad entry)", body = VerifyReport),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only auditors", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/audit/verify")]
pub async fn verify(
    user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<VerifyReport>, ApiError> {
    user.require(&[Role::Auditor])?;
    let mut conn = state.pool.get().await?;
    Ok(web::Json(audit::verify(&mut conn).await?))
}
