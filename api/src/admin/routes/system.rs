//! Liveness, readiness and metrics (no authentication; bind the service to a private
//! address or filter these at the proxy if they must not be public).

use actix_web::{HttpResponse, get, web};
use diesel_async::SimpleAsyncConnection;
use serde::Serialize;
use utoipa::ToSchema;

use crate::platform::{AppState, error::ApiError};

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok`
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(
    tag = "system",
    extensions(("x-scope" = json!("public"))),
    responses((status = 200, description = "The process is up", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> web::Json<Health> {
    web::Json(Health { status: "ok" })
}

/// The database answers.
#[utoipa::path(
    tag = "system",
    extensions(("x-scope" = json!("public"))),
responses(
        (status = 200, description = "The database answers", body = Health),
        (status = 503, description = "The database does not answer", body = crate::platform::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<web::Json<Health>, ApiError> {
    let mut conn = state.pool.get().await?;
    conn.batch_execute("SELECT 1")
        .await
        .map_err(|e| ApiError::Unavailable(Box::new(e)))?;
    Ok(web::Json(Health { status: "ok" }))
}

/// Prometheus text exposition.
#[utoipa::path(
    tag = "system",
    extensions(("x-scope" = json!("public"))),
responses(
        (status = 200, description = "Metrics in the Prometheus text format", body = String, content_type = "text/plain; version=0.0.4"),
        (status = 500, description = "Metrics could not be rendered", body = crate::platform::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let text = state
        .metrics
        .render(&state.pool)
        .map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(text))
}
