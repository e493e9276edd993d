//! Provincial demand: reported by each province's centre during collection, frozen at
//! publication, read by the officers and auditors.

use crate::rounds::service::visible_round;
use crate::{
    platform::{
        AppState, audit,
        auth::{AuthUser, Role},
        error::{ApiError, FieldError, Problem},
    },
    rounds::queries::{DemandRow, LotRow, Round},
};
use actix_web::{get, put, web};
use bidding_core::RoundStatus;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

/// The most lines a demand report has: one per lot, and no round has this many lots.
const MAX_DEMAND_LINES: usize = 1000;

/// One lot's demand from one province.
#[derive(Serialize, Deserialize, ToSchema, Clone)]
pub struct DemandLine {
    pub lot_id: Uuid,
    /// Annual demand in minimum units.
    pub annual_quantity: i64,
}

#[derive(Deserialize, ToSchema)]
pub struct ReportDemand {
    pub lines: Vec<DemandLine>,
}

/// Demand per lot and province.
#[derive(Serialize, ToSchema)]
pub struct DemandView {
    /// One row per lot and province (a buyer sees its own province only).
    pub rows: Vec<DemandRowDto>,
    /// Totals per lot over the provinces shown.
    pub totals: Vec<DemandLine>,
}

#[derive(Serialize, ToSchema)]
pub struct DemandRowDto {
    pub lot_id: Uuid,
    pub province: String,
    pub annual_quantity: i64,
    pub reported_at: DateTime<Utc>,
}

async fn demand_view(
    conn: &mut diesel_async::AsyncPgConnection,
    round: Uuid,
    province: Option<&str>,
) -> Result<DemandView, ApiError> {
    let rows = DemandRow::of_round(conn, round, province).await?;
    let mut totals: std::collections::BTreeMap<Uuid, i64> = std::collections::BTreeMap::new();
    for r in &rows {
        *totals.entry(r.lot_id).or_default() += r.annual_quantity;
    }
    Ok(DemandView {
        totals: totals
            .into_iter()
            .map(|(lot_id, annual_quantity)| DemandLine {
                lot_id,
                annual_quantity,
            })
            .collect(),
        rows: rows
            .into_iter()
            .map(|r| DemandRowDto {
                lot_id: r.lot_id,
                province: r.province,
                annual_quantity: r.annual_quantity,
                reported_at: r.reported_at,
            })
            .collect(),
    })
}

/// Report (replace) the caller's province's annual demand, while the round collects it.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["provincial_buyer"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = ReportDemand,
    responses(
        (status = 200, description = "Recorded; the province's demand as it stands", body = DemandView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only provincial buyers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not collecting demand, unknown lot, or negative quantity", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/rounds/{id}/demand")]
pub async fn report_demand(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<ReportDemand>,
) -> Result<web::Json<DemandView>, ApiError> {
    user.require(&[Role::ProvincialBuyer])?;
    let body = body.into_inner()?;
    let province = user
        .province
        .clone()
        .ok_or_else(|| ApiError::forbidden("a buyer without a province cannot report demand"))?;
    let id = id.into_inner();
    let lines = body.lines;
    if lines.len() > MAX_DEMAND_LINES {
        return Err(ApiError::invalid(
            "lines",
            format!("at most {MAX_DEMAND_LINES} lines (one per lot)"),
        ));
    }
    let mut conn = state.pool.get().await?;
    let view = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id).await.map_err(|_| ApiError::not_found("no such round"))?;
            if round.status == RoundStatus::Draft {
                return Err(ApiError::not_found("no such round"));
            }
            if !round.status.accepts_demand() {
                return Err(ApiError::rule("demand_frozen", format!("demand is frozen: the round is {}", round.status)));
            }
            let lots: std::collections::HashSet<Uuid> = LotRow::of_round(conn, id).await?.into_iter().map(|l| l.id).collect();
            let mut errors = Vec::new();
            let mut seen = std::collections::HashSet::new();
            for (i, l) in lines.iter().enumerate() {
                if !lots.contains(&l.lot_id) {
                    errors.push(FieldError::field(format!("lines[{i}].lot_id"), "is not a lot of this round"));
                }
                if !seen.insert(l.lot_id) {
                    errors.push(FieldError::field(format!("lines[{i}].lot_id"), "appears twice"));
                }
                if !(0..=bidding_core::MAX_ANNUAL_UNITS as i64).contains(&l.annual_quantity) {
                    errors.push(FieldError::field(format!("lines[{i}].annual_quantity"),
                        format!("must be from 0 to {} minimum units a year", bidding_core::MAX_ANNUAL_UNITS)));
                }
            }
            if !errors.is_empty() {
                return Err(ApiError::Validation(errors));
            }
            let rows: Vec<(Uuid, i64)> = lines.iter().map(|l| (l.lot_id, l.annual_quantity)).collect();
            DemandRow::replace(conn, id, &province, user.user_id, &rows).await?;
            audit::record(conn, &user.actor(), "round.demand_report", "round", &id.to_string(),
                json!({ "province": province, "lines": lines.iter().map(|l| json!({"lot": l.lot_id, "qty": l.annual_quantity})).collect::<Vec<_>>() })).await?;
            demand_view(conn, id, Some(&province)).await
        })
        .await?;
    Ok(web::Json(view))
}

/// Demand: a buyer sees its province; officers, auditors and admins see every province
/// and the totals per lot.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["provincial_buyer", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Demand per lot and province", body = DemandView),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Suppliers and insurers do not see demand", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/demand")]
pub async fn demand(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<DemandView>, ApiError> {
    user.require(&[
        Role::ProvincialBuyer,
        Role::ProcurementOfficer,
        Role::Auditor,
        Role::Admin,
    ])?;
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    let province = if user.role == Role::ProvincialBuyer {
        user.province.clone()
    } else {
        None
    };
    Ok(web::Json(
        demand_view(&mut conn, round.id, province.as_deref()).await?,
    ))
}
