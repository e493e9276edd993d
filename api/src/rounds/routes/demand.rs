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

/// Locks a round that collects demand (a draft is no round to its reporters; a round
/// past collection has its demand frozen) and checks demand lines against its lots:
/// each a lot of the round, once, 0 to `MAX_ANNUAL_UNITS`.
async fn lock_collecting(
    conn: &mut diesel_async::AsyncPgConnection,
    id: Uuid,
    lines: &[DemandLine],
) -> Result<Round, ApiError> {
    let round = Round::lock(conn, id)
        .await
        .map_err(|_| ApiError::not_found("no such round"))?;
    if round.status == RoundStatus::Draft {
        return Err(ApiError::not_found("no such round"));
    }
    if !round.status.accepts_demand() {
        return Err(ApiError::rule(
            "demand_frozen",
            format!("demand is frozen: the round is {}", round.status),
        ));
    }
    let lots: std::collections::HashSet<Uuid> = LotRow::of_round(conn, id)
        .await?
        .into_iter()
        .map(|l| l.id)
        .collect();
    let mut errors = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, l) in lines.iter().enumerate() {
        if !lots.contains(&l.lot_id) {
            errors.push(FieldError::field(
                format!("lines[{i}].lot_id"),
                "is not a lot of this round",
            ));
        }
        if !seen.insert(l.lot_id) {
            errors.push(FieldError::field(
                format!("lines[{i}].lot_id"),
                "appears twice",
            ));
        }
        if !(0..=bidding_core::MAX_ANNUAL_UNITS as i64).contains(&l.annual_quantity) {
            errors.push(FieldError::field(
                format!("lines[{i}].annual_quantity"),
                format!(
                    "must be from 0 to {} minimum units a year",
                    bidding_core::MAX_ANNUAL_UNITS
                ),
            ));
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    Ok(round)
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
            lock_collecting(conn, id, &lines).await?;
            // a lot whose demand comes from the province's hospitals takes no single figure
            {
                use crate::platform::db::schema::hospital_demands as hd;
                use diesel::prelude::*;
                use diesel_async::RunQueryDsl;
                let by_hospital: i64 = hd::table
                    .filter(hd::round_id.eq(id))
                    .filter(hd::province.eq(&province))
                    .count()
                    .get_result(conn)
                    .await?;
                if by_hospital > 0 {
                    return Err(ApiError::rule("demand_by_hospital",
                        "this province's demand is the sum of its hospitals' reports: correct them with PUT /rounds/{id}/hospital-demand"));
                }
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

#[derive(Deserialize, ToSchema)]
pub struct HospitalDemandRequest {
    /// The hospital reported for: a hospital reports for itself (omit it); a centre names
    /// one of its province's hospitals.
    pub hospital_org_id: Option<Uuid>,
    /// One line per lot, at most 1,000; a lot left out keeps its figure.
    pub lines: Vec<DemandLine>,
}

/// One hospital's demand for one lot.
#[derive(Serialize, ToSchema)]
pub struct HospitalDemandDto {
    pub lot_id: Uuid,
    pub hospital_org_id: Uuid,
    pub hospital_name: String,
    pub province: String,
    pub annual_quantity: i64,
    pub reported_at: DateTime<Utc>,
}

/// The hospital the caller reports for: itself, or (a centre) a hospital of its province.
async fn reporting_hospital(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &AuthUser,
    named: Option<Uuid>,
) -> Result<(Uuid, String), ApiError> {
    use crate::platform::{auth::OrgKind, db::schema::organisations};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let province = user.province.clone().ok_or_else(|| {
        ApiError::forbidden("an organisation without a province reports no demand")
    })?;
    let id = match (user.role, named) {
        (Role::Hospital, None) => return Ok((user.org_id, province)),
        (Role::Hospital, Some(h)) if h == user.org_id => return Ok((h, province)),
        (Role::Hospital, Some(_)) => {
            return Err(ApiError::forbidden(
                "a hospital reports its own demand only",
            ));
        }
        (_, None) => {
            return Err(ApiError::invalid(
                "hospital_org_id",
                "name the hospital you report for",
            ));
        }
        (_, Some(h)) => h,
    };
    let found: Option<(OrgKind, Option<String>)> = organisations::table
        .find(id)
        .select((organisations::kind, organisations::province))
        .first(conn)
        .await
        .optional()?;
    match found {
        Some((OrgKind::Hospital, Some(p))) if p == province => Ok((id, province)),
        Some((OrgKind::Hospital, _)) => {
            Err(ApiError::forbidden("this hospital is of another province"))
        }
        _ => Err(ApiError::rule(
            "not_a_hospital",
            "hospital_org_id names no hospital",
        )),
    }
}

/// Report a hospital's annual demand per lot while the round collects demand: a hospital
/// for itself, a centre for any hospital of its province. The province's demand for each
/// lot becomes the sum of its hospitals'.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["hospital", "provincial_buyer"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = HospitalDemandRequest,
    responses(
        (status = 200, description = "The hospital demand of the caller's province", body = Vec<HospitalDemandDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a hospital or centre, or another province's hospital", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not collecting demand (demand_frozen), unknown lot, or a quantity out of range", body = Problem, content_type = "application/problem+json"),
    )
)]
#[put("/rounds/{id}/hospital-demand")]
pub async fn report_hospital_demand(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<HospitalDemandRequest>,
) -> Result<web::Json<Vec<HospitalDemandDto>>, ApiError> {
    use diesel::sql_types::{Array, Bpchar, Int8, Uuid as U};
    use diesel_async::RunQueryDsl;
    user.require(&[Role::Hospital, Role::ProvincialBuyer])?;
    let body = body.into_inner()?;
    if body.lines.len() > MAX_DEMAND_LINES {
        return Err(ApiError::invalid(
            "lines",
            format!("at most {MAX_DEMAND_LINES} lines (one per lot)"),
        ));
    }
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let rows = conn
        .transaction(async |conn| {
            let (hospital, province) = reporting_hospital(conn, &user, body.hospital_org_id).await?;
            lock_collecting(conn, id, &body.lines).await?;
            let lot_ids: Vec<Uuid> = body.lines.iter().map(|l| l.lot_id).collect();
            let qty: Vec<i64> = body.lines.iter().map(|l| l.annual_quantity).collect();
            diesel::sql_query(
                "INSERT INTO hospital_demands (lot_id, hospital_org_id, round_id, province, annual_quantity, reported_by)
                 SELECT l, $2, $3, $4, q, $5 FROM unnest($1::uuid[], $6::bigint[]) AS t(l, q)
                 ON CONFLICT (lot_id, hospital_org_id) DO UPDATE
                 SET annual_quantity = EXCLUDED.annual_quantity, reported_by = EXCLUDED.reported_by, reported_at = now()",
            )
            .bind::<Array<U>, _>(&lot_ids)
            .bind::<U, _>(hospital)
            .bind::<U, _>(id)
            .bind::<Bpchar, _>(&province)
            .bind::<U, _>(user.user_id)
            .bind::<Array<Int8>, _>(&qty)
            .execute(conn)
            .await?;
            // the province's figure for these lots: the sum of its hospitals'
            diesel::sql_query(
                "INSERT INTO demands (round_id, lot_id, province, annual_quantity, reported_by)
                 SELECT $1, lot_id, $2, sum(annual_quantity)::bigint, $3 FROM hospital_demands
                 WHERE round_id = $1 AND province = $2::bpchar AND lot_id = ANY($4)
                 GROUP BY lot_id
                 ON CONFLICT (lot_id, province) DO UPDATE
                 SET annual_quantity = EXCLUDED.annual_quantity, reported_by = EXCLUDED.reported_by, reported_at = now()",
            )
            .bind::<U, _>(id)
            .bind::<Bpchar, _>(&province)
            .bind::<U, _>(user.user_id)
            .bind::<Array<U>, _>(&lot_ids)
            .execute(conn)
            .await?;
            {
                use crate::platform::db::schema::demands;
                use diesel::{ExpressionMethods, OptionalExtension, QueryDsl};
                let over: Option<i64> = demands::table
                    .filter(demands::round_id.eq(id))
                    .filter(demands::province.eq(&province))
                    .filter(demands::annual_quantity.gt(bidding_core::MAX_ANNUAL_UNITS as i64))
                    .select(demands::annual_quantity)
                    .first(conn)
                    .await
                    .optional()?;
                if let Some(total) = over {
                    return Err(ApiError::rule("demand_too_large", format!(
                        "the province's demand for a lot would be {total} units, above {} a year",
                        bidding_core::MAX_ANNUAL_UNITS)));
                }
            }
            audit::record(conn, &user.actor(), "round.hospital_demand_report", "round", &id.to_string(),
                json!({ "hospital_org_id": hospital, "province": province,
                        "lines": body.lines.iter().map(|l| json!({"lot": l.lot_id, "qty": l.annual_quantity})).collect::<Vec<_>>() })).await?;
            hospital_demand_of(conn, id, Some(&province), (user.role == Role::Hospital).then_some(user.org_id)).await
        })
        .await?;
    Ok(web::Json(rows))
}

async fn hospital_demand_of(
    conn: &mut diesel_async::AsyncPgConnection,
    round: Uuid,
    province: Option<&str>,
    hospital: Option<Uuid>,
) -> Result<Vec<HospitalDemandDto>, ApiError> {
    use crate::platform::db::schema::{hospital_demands as hd, organisations};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut q = hd::table
        .inner_join(organisations::table.on(organisations::id.eq(hd::hospital_org_id)))
        .filter(hd::round_id.eq(round))
        .into_boxed();
    if let Some(p) = province {
        q = q.filter(hd::province.eq(p.to_owned()));
    }
    if let Some(h) = hospital {
        q = q.filter(hd::hospital_org_id.eq(h));
    }
    Ok(q.order((hd::province, hd::lot_id, organisations::name))
        .select((
            hd::lot_id,
            hd::hospital_org_id,
            organisations::name,
            hd::province,
            hd::annual_quantity,
            hd::reported_at,
        ))
        .load::<(Uuid, Uuid, String, String, i64, DateTime<Utc>)>(conn)
        .await?
        .into_iter()
        .map(
            |(lot_id, hospital_org_id, hospital_name, province, annual_quantity, reported_at)| {
                HospitalDemandDto {
                    lot_id,
                    hospital_org_id,
                    hospital_name,
                    province,
                    annual_quantity,
                    reported_at,
                }
            },
        )
        .collect())
}

/// Demand by hospital: a hospital sees its own, a centre its province's, officers,
/// auditors and admins every province's.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["hospital", "provincial_buyer", "procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("own_province"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Hospital demand per lot", body = Vec<HospitalDemandDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Role not admitted", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/hospital-demand")]
pub async fn hospital_demand(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<Vec<HospitalDemandDto>>, ApiError> {
    user.require(&[
        Role::Hospital,
        Role::ProvincialBuyer,
        Role::ProcurementOfficer,
        Role::Auditor,
        Role::Admin,
    ])?;
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    let (province, hospital) = match user.role {
        Role::Hospital => (user.province.clone(), Some(user.org_id)),
        Role::ProvincialBuyer => (user.province.clone(), None),
        _ => (None, None),
    };
    Ok(web::Json(
        hospital_demand_of(&mut conn, round.id, province.as_deref(), hospital).await?,
    ))
}
