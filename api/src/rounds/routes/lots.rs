//! A round's lots: added from the catalog while the terms may change, listed by anyone
//! who may see the round.

use super::rounds::OFFICER;
use crate::platform::page::{Page, Pagination};
use crate::rounds::service::visible_round;
use crate::{
    catalog::queries::CatalogItem,
    platform::{
        AppState, audit,
        auth::AuthUser,
        error::{ApiError, FieldError, Problem},
    },
    rounds::queries::{LotRow, NewLot, Round},
};
use actix_web::{HttpResponse, get, post, web};
use bidding_core::RoundStatus;
use diesel_async::AsyncConnection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

/// A lot as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct LotDto {
    pub id: Uuid,
    pub number: i32,
    pub generic_name: String,
    pub dosage_form: Option<String>,
    /// The representative specification (a catalog code).
    pub representative_code: String,
    pub special_antibacterial: bool,
    /// Ceiling per minimum unit of the representative specification, set at publication.
    #[schema(value_type = Option<String>, example = "0.8500")]
    pub ceiling: Option<Decimal>,
    /// The price before this round (per minimum unit of the representative
    /// specification), for the price drop in the results.
    #[schema(value_type = Option<String>, example = "1.2000")]
    pub previous_price: Option<Decimal>,
}

impl From<LotRow> for LotDto {
    fn from(l: LotRow) -> Self {
        Self {
            id: l.id,
            number: l.number,
            generic_name: l.generic_name,
            dosage_form: l.dosage_form,
            representative_code: l.representative_code,
            special_antibacterial: l.special_antibacterial,
            ceiling: l.ceiling,
            previous_price: l.previous_price,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateLot {
    /// The representative specification: a catalog item of the round's kind.
    #[schema(max_length = 64)]
    pub representative_code: String,
    /// Defaults to the representative item's generic name.
    #[schema(max_length = 200)]
    pub generic_name: Option<String>,
    /// Defaults to the representative item's dosage form.
    #[schema(max_length = 64)]
    pub dosage_form: Option<String>,
    #[serde(default)]
    pub special_antibacterial: bool,
    /// The price before this round, per minimum unit of the representative
    /// specification (last winning or listing price), if known: `"1.2000"`.
    #[schema(value_type = Option<String>, example = "1.2000")]
    pub previous_price: Option<Decimal>,
}

/// Add a lot (draft or demand collection).
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = CreateLot,
    responses(
        (status = 201, description = "Added", body = LotDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown item, wrong kind, or the round is published", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/lots")]
pub async fn add_lot(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<CreateLot>,
) -> Result<HttpResponse, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let mut errors = Vec::new();
    crate::platform::input::check_len(
        &mut errors,
        "representative_code",
        &body.representative_code,
        crate::platform::input::MAX_CODE,
    );
    if let Some(g) = &body.generic_name {
        crate::platform::input::check_len(
            &mut errors,
            "generic_name",
            g,
            crate::platform::input::MAX_NAME,
        );
    }
    // stored in the catalog's spelling, whatever alias was sent
    let dosage_form = match body.dosage_form.as_deref() {
        None => None,
        Some(f) => match bidding_core::catalog::parse_dosage_form(f) {
            Some(form) => Some(bidding_core::catalog::dosage_form_name(form)),
            None => {
                errors.push(FieldError::field(
                    "dosage_form",
                    "is not a dosage form of the catalog (see docs/api.md, \"Catalog CSV\")",
                ));
                None
            }
        },
    };
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let previous_price = body
        .previous_price
        .map(|p| match bidding_core::UnitPrice::new(p) {
            Ok(u) if !u.is_zero() => Ok(u.value()),
            _ => Err(ApiError::invalid(
                "previous_price",
                "must be a price above zero with at most 4 decimal places",
            )),
        })
        .transpose()?;
    let mut conn = state.pool.get().await?;
    let lot = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id).await.map_err(|_| ApiError::not_found("no such round"))?;
            if !matches!(round.status, RoundStatus::Draft | RoundStatus::DemandCollection) {
                return Err(ApiError::rule("round_terms_frozen", format!("lots cannot be added to a {} round", round.status)));
            }
            let code = bidding_core::catalog::normalize_code(&body.representative_code);
            let item = CatalogItem::find(conn, &code)
                .await
                .map_err(|_| ApiError::invalid("representative_code", format!("{code} is not in the catalog")))?;
            if item.kind != round.kind {
                return Err(ApiError::invalid("representative_code", format!("{code} is a {}, the round buys {}", item.kind, round.kind)));
            }
            let generic = body.generic_name.as_deref().map(str::trim).filter(|s| !s.is_empty()).unwrap_or(&item.generic_name).to_owned();
            if generic != item.generic_name {
                return Err(ApiError::invalid("generic_name", format!("the representative {code} is {}", item.generic_name)));
            }
            let form = dosage_form.map(str::to_owned).or(item.dosage_form.clone());
            let number = LotRow::next_number(conn, id).await?;
            let lot = LotRow::insert(
                conn,
                &NewLot {
                    id: Uuid::now_v7(),
                    round_id: id,
                    number,
                    generic_name: &generic,
                    dosage_form: form.as_deref(),
                    representative_code: &code,
                    special_antibacterial: body.special_antibacterial,
                    previous_price,
                },
            )
            .await?;
            audit::record(conn, &user.actor(), "round.lot_add", "round", &id.to_string(),
                json!({ "lot": lot.id, "number": number, "generic_name": generic, "representative_code": code })).await?;
            Ok(lot)
        })
        .await?;
    Ok(HttpResponse::Created().json(LotDto::from(lot)))
}

/// The lots of a round.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id"), Pagination),
    responses(
        (status = 200, description = "The lots, by number", body = Page<LotDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/lots")]
pub async fn list_lots(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<LotDto>>, ApiError> {
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    let lots = LotRow::of_round(&mut conn, round.id)
        .await?
        .into_iter()
        .map(LotDto::from)
        .collect();
    Ok(web::Json(Page::of_all(lots, paging.into_inner())?))
}
