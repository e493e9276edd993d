//! The job queue, for admins: what is pending, what failed, and retrying dead jobs.

use actix_web::{get, post, web};
use diesel_async::AsyncConnection;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;

use crate::platform::page::{Page, Pagination};
use crate::platform::{
    AppState, audit,
    auth::{AuthUser, Role},
    error::{ApiError, Problem},
    jobs::{self, JobDto},
};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobQuery {
    /// pending, running, done or dead
    pub status: Option<String>,
}

/// Jobs, newest first, with their attempts and last error.
#[utoipa::path(
    tag = "jobs",
    security(("bearer" = ["admin"])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination, JobQuery),
    responses(
        (status = 200, description = "A page of jobs", body = Page<JobDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging or status", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/admin/jobs")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<JobQuery>,
) -> Result<web::Json<Page<JobDto>>, ApiError> {
    user.require(&[Role::Admin])?;
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let status = query
        .status
        .as_deref()
        .map(str::parse::<jobs::JobStatus>)
        .transpose()
        .map_err(|_| ApiError::invalid("status", "must be pending, running, done or dead"))?;
    let mut conn = state.pool.get().await?;
    let (rows, total) = jobs::page(&mut conn, status, limit, offset).await?;
    Ok(web::Json(Page::new(
        rows.into_iter().map(JobDto::from).collect(),
        page,
        per_page,
        total,
    )))
}

/// Put a dead job back in the queue with a fresh set of attempts.
#[utoipa::path(
    tag = "jobs",
    security(("bearer" = ["admin"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = i64, Path, description = "Job id")),
    responses(
        (status = 200, description = "Queued again", body = JobDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only admins", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such job", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The job is not dead", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/admin/jobs/{id}/retry")]
pub async fn retry(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<i64>,
) -> Result<web::Json<JobDto>, ApiError> {
    user.require(&[Role::Admin])?;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let job = conn
        .transaction(async |conn| {
            let current = jobs::find(conn, id).await?;
            let Some(job) = jobs::retry(conn, id).await? else {
                return Err(ApiError::rule("job_not_dead", format!(
                    "job {id} is {}, only dead jobs can be retried",
                    current.status
                )));
            };
            audit::record(
                conn,
                &user.actor(),
                "job.retry",
                "job",
                &id.to_string(),
                json!({ "kind": job.kind, "last_error": current.last_error, "attempts_before": current.attempts }),
            )
            .await?;
            Ok(job)
        })
        .await?;
    Ok(web::Json(job.into()))
}
