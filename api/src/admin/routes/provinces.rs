//! Reference data: the 31 provinces (GB/T 2260 codes).

use actix_web::{get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::{
    accounts::queries::Province,
    platform::{
        AppState,
        auth::AuthUser,
        error::{ApiError, Problem},
    },
};

#[derive(Serialize, ToSchema)]
pub struct ProvinceDto {
    /// GB/T 2260 code, e.g. `110000`.
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
}

/// The 31 provinces, by code.
#[utoipa::path(
    tag = "reference",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    responses(
        (status = 200, description = "All provinces", body = Vec<ProvinceDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/provinces")]
pub async fn list(
    _user: AuthUser,
    state: web::Data<AppState>,
) -> Result<web::Json<Vec<ProvinceDto>>, ApiError> {
    let mut conn = state.pool.get().await?;
    let rows = Province::all(&mut conn).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|p| ProvinceDto {
                code: p.code,
                name_zh: p.name_zh,
                name_en: p.name_en,
            })
            .collect(),
    ))
}
