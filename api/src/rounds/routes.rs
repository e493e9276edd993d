//! Tender rounds: officers create and run them; everyone reads what their role may see.

use actix_web::{HttpResponse, get, patch, post, put, web};
use bidding_core::{RoundAction, RoundRules};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::platform::page::{Page, Pagination};
use crate::{
    catalog::queries::CatalogItem,
    platform::{
        AppState, audit,
        auth::{AuthUser, Role},
        db::{clock, schema::rounds as r},
        error::{ApiError, FieldError, Problem},
    },
    rounds::{
        queries::{Custodian, DemandRow, LotRow, NewLot, NewRound, Round, is_active_officer},
        service as rounds,
    },
};
use bidding_core::RoundStatus;

/// A round as the API shows it.
#[derive(Serialize, ToSchema)]
pub struct RoundDto {
    pub id: Uuid,
    pub name: String,
    /// `drug` or `consumable`
    pub kind: String,
    /// draft, demand_collection, bidding_open, closed, opened, evaluated, awarded, completed, cancelled
    pub status: String,
    /// pilot, batch7, batch10 or batch11
    pub preset: String,
    /// The rules the round is evaluated by (bidding_core::RoundRules).
    #[schema(value_type = Object)]
    pub rules: serde_json::Value,
    pub bidding_deadline: DateTime<Utc>,
    /// `threshold` (k-of-n custodians) or `master` (quorum 1 under the platform master key)
    pub key_mode: String,
    pub quorum: i16,
    pub custodians: Vec<Uuid>,
    pub terms_version: i32,
    /// The round's X25519 public key (hex), once published.
    pub public_key: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// The day whose catalog ceilings apply.
    pub ceilings_date: Option<NaiveDate>,
    pub closed_at: Option<DateTime<Utc>>,
    pub opened_at: Option<DateTime<Utc>>,
    pub cancel_reason: Option<String>,
    /// First day of the supply cycle, set at evaluation.
    pub cycle_start: Option<NaiveDate>,
    pub evaluated_at: Option<DateTime<Utc>>,
    /// Until when revival candidates may answer (batch 10), once evaluated.
    pub revival_deadline: Option<DateTime<Utc>>,
    pub awarded_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl RoundDto {
    fn new(round: Round, custodians: Vec<Uuid>) -> Self {
        Self {
            public_key: round.public_key.as_deref().map(hex::encode),
            id: round.id,
            name: round.name,
            kind: round.kind,
            status: round.status.to_string(),
            preset: round.preset,
            rules: round.rules,
            bidding_deadline: round.bidding_deadline,
            key_mode: round.key_mode,
            quorum: round.quorum,
            custodians,
            terms_version: round.terms_version,
            published_at: round.published_at,
            ceilings_date: round.ceilings_date,
            closed_at: round.closed_at,
            opened_at: round.opened_at,
            cancel_reason: round.cancel_reason,
            cycle_start: round.cycle_start,
            evaluated_at: round.evaluated_at,
            revival_deadline: round.revival_deadline,
            awarded_at: round.awarded_at,
            created_at: round.created_at,
        }
    }

    async fn load(
        conn: &mut diesel_async::AsyncPgConnection,
        round: Round,
    ) -> Result<Self, ApiError> {
        let custodians = Custodian::of_round(conn, round.id)
            .await?
            .into_iter()
            .map(|c| c.user_id)
            .collect();
        Ok(Self::new(round, custodians))
    }
}

#[derive(Deserialize, ToSchema)]
pub struct CreateRound {
    #[schema(example = "第十二批国家组织药品集中采购", max_length = 200)]
    pub name: String,
    /// `drug` or `consumable`
    pub kind: String,
    /// pilot, batch7, batch10 or batch11: the rules preset
    pub preset: String,
    /// Overrides the preset's rules entirely (bidding_core::RoundRules as JSON).
    #[schema(value_type = Option<Object>)]
    pub rules: Option<serde_json::Value>,
    /// Overrides the preset's minimum number of bidders per lot.
    pub min_bidders: Option<u32>,
    pub bidding_deadline: DateTime<Utc>,
    /// `threshold` (default) or `master`
    pub key_mode: Option<String>,
    /// k: shares needed to open (threshold mode); 1 in master mode
    pub quorum: Option<i16>,
    /// The officers who each hold a share of the opening key (threshold mode).
    #[serde(default)]
    #[schema(max_items = 255)]
    pub custodians: Vec<Uuid>,
}

#[derive(Deserialize, ToSchema)]
pub struct UpdateRound {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub bidding_deadline: Option<DateTime<Utc>>,
    pub min_bidders: Option<u32>,
    #[schema(value_type = Option<Object>)]
    pub rules: Option<serde_json::Value>,
}

#[derive(Deserialize, ToSchema)]
pub struct CancelRound {
    /// Why; published with the round.
    #[schema(max_length = 2000)]
    pub reason: String,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RoundQuery {
    pub status: Option<String>,
}

const OFFICER: &[Role] = &[Role::ProcurementOfficer];

/// The rules presets a round can start from.
const PRESETS: &[&str] = &["pilot", "batch7", "batch10", "batch11"];

/// Shares of an opening key are numbered 1 to 255 (Shamir over GF(2^8)).
const MAX_CUSTODIANS: usize = 255;

/// The most lines a demand report has: one per lot, and no round has this many lots.
const MAX_DEMAND_LINES: usize = 1000;

/// A bidding deadline within the dates the platform plans for.
fn check_deadline(deadline: DateTime<Utc>) -> Result<(), ApiError> {
    crate::platform::input::check_date("bidding_deadline", deadline.date_naive())
}

/// The largest number a round's custom rules may hold (ratios, fractions, thresholds,
/// counts): far above any real rule, far below what the evaluation's exact arithmetic
/// could overflow on.
const MAX_RULE_NUMBER: i64 = 1_000_000;

/// Whether every number in `v` (JSON numbers and decimal strings) is within
/// [`MAX_RULE_NUMBER`] either way.
fn rule_numbers_bounded(v: &serde_json::Value) -> bool {
    use serde_json::Value as V;
    let max = Decimal::from(MAX_RULE_NUMBER);
    match v {
        V::Number(n) => n
            .as_f64()
            .is_some_and(|f| f.abs() <= MAX_RULE_NUMBER as f64),
        V::String(s) => s.parse::<Decimal>().map_or(true, |d| d.abs() <= max),
        V::Array(items) => items.iter().all(rule_numbers_bounded),
        V::Object(map) => map.values().all(rule_numbers_bounded),
        V::Null | V::Bool(_) => true,
    }
}

fn rules_from(
    preset: &str,
    rules: Option<serde_json::Value>,
    min_bidders: Option<u32>,
) -> Result<RoundRules, ApiError> {
    if let Some(v) = &rules
        && !rule_numbers_bounded(v)
    {
        return Err(ApiError::invalid(
            "rules",
            format!("every number must be between -{MAX_RULE_NUMBER} and {MAX_RULE_NUMBER}"),
        ));
    }
    if min_bidders.is_some_and(|m| i64::from(m) > MAX_RULE_NUMBER) {
        return Err(ApiError::invalid(
            "min_bidders",
            format!("must be at most {MAX_RULE_NUMBER}"),
        ));
    }
    let mut rules = match rules {
        Some(v) => serde_json::from_value::<RoundRules>(v)
            .map_err(|e| ApiError::invalid("rules", e.to_string()))?,
        None => match preset {
            "pilot" => RoundRules::pilot(),
            "batch7" => RoundRules::batch7(),
            "batch10" => RoundRules::batch10(),
            "batch11" => RoundRules::batch11(),
            other => {
                return Err(ApiError::invalid(
                    "preset",
                    format!("{other:?} is not one of pilot, batch7, batch10, batch11"),
                ));
            }
        },
    };
    if let Some(m) = min_bidders {
        rules.min_bidders = m;
    }
    rules
        .validate()
        .map_err(|e| ApiError::invalid("rules", e.to_string()))?;
    Ok(rules)
}

pub(crate) async fn visible_round(
    conn: &mut diesel_async::AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<Round, ApiError> {
    let round = Round::find(conn, id).await.map_err(|e| match e {
        diesel::result::Error::NotFound => ApiError::not_found("no such round"),
        e => e.into(),
    })?;
    if round.status == RoundStatus::Draft
        && !matches!(
            user.role,
            Role::ProcurementOfficer | Role::Admin | Role::Auditor
        )
    {
        return Err(ApiError::not_found("no such round"));
    }
    Ok(round)
}

/// Create a round (draft).
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    request_body = CreateRound,
    responses(
        (status = 201, description = "Created as a draft", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds")]
pub async fn create(
    user: AuthUser,
    state: web::Data<AppState>,
    body: crate::platform::input::Json<CreateRound>,
) -> Result<HttpResponse, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let mut errors = Vec::new();
    let name = body.name.trim().to_owned();
    if name.is_empty() || name.chars().count() > 200 {
        errors.push(FieldError::field("name", "must be 1 to 200 characters"));
    }
    if !matches!(body.kind.as_str(), "drug" | "consumable") {
        errors.push(FieldError::field("kind", "must be drug or consumable"));
    }
    if !PRESETS.contains(&body.preset.as_str()) {
        errors.push(FieldError::field(
            "preset",
            format!("must be one of {}", PRESETS.join(", ")),
        ));
    }
    if let Err(ApiError::Validation(mut e)) = check_deadline(body.bidding_deadline) {
        errors.append(&mut e);
    }
    if body.custodians.len() > MAX_CUSTODIANS {
        return Err(ApiError::invalid(
            "custodians",
            format!("at most {MAX_CUSTODIANS} custodians hold shares of a key"),
        ));
    }
    let key_mode = body.key_mode.clone().unwrap_or_else(|| "threshold".into());
    let quorum = body.quorum.unwrap_or(1);
    let mut custodians = body.custodians.clone();
    custodians.sort();
    custodians.dedup();
    match key_mode.as_str() {
        "threshold" => {
            if custodians.is_empty() {
                errors.push(FieldError::field(
                    "custodians",
                    "threshold mode needs at least one custodian officer",
                ));
            } else if quorum < 1 || quorum as usize > custodians.len() {
                errors.push(FieldError::field(
                    "quorum",
                    format!("must be between 1 and the {} custodians", custodians.len()),
                ));
            }
        }
        "master" => {
            if quorum != 1 {
                errors.push(FieldError::field("quorum", "master mode has quorum 1"));
            }
            if !custodians.is_empty() {
                errors.push(FieldError::field(
                    "custodians",
                    "master mode has no custodians",
                ));
            }
        }
        _ => errors.push(FieldError::field("key_mode", "must be threshold or master")),
    }
    let rules = match rules_from(&body.preset, body.rules.clone(), body.min_bidders) {
        Ok(r) => Some(r),
        Err(ApiError::Validation(mut e)) => {
            errors.append(&mut e);
            None
        }
        Err(e) => return Err(e),
    };
    let mut conn = state.pool.get().await?;
    for c in &custodians {
        if !is_active_officer(&mut conn, *c).await? {
            errors.push(FieldError::field(
                "custodians",
                format!("{c} is not an active procurement officer"),
            ));
        }
    }
    if body.bidding_deadline <= clock(&mut conn).await? {
        errors.push(FieldError::field(
            "bidding_deadline",
            "must be in the future",
        ));
    }
    let (Some(rules), true) = (rules, errors.is_empty()) else {
        return Err(ApiError::Validation(errors));
    };
    let rules_json = serde_json::to_value(&rules).map_err(ApiError::internal)?;
    let round = conn
        .transaction(async |conn| {
            let round = Round::insert(
                conn,
                &NewRound {
                    id: Uuid::now_v7(),
                    name: &name,
                    kind: &body.kind,
                    preset: &body.preset,
                    rules: &rules_json,
                    bidding_deadline: body.bidding_deadline,
                    key_mode: &key_mode,
                    quorum,
                    created_by: user.user_id,
                },
            )
            .await?;
            if !custodians.is_empty() {
                Custodian::add(conn, round.id, &custodians).await?;
            }
            audit::record(
                conn,
                &user.actor(),
                "round.create",
                "round",
                &round.id.to_string(),
                json!({ "name": round.name, "kind": round.kind, "preset": round.preset, "deadline": round.bidding_deadline,
                        "key_mode": round.key_mode, "quorum": round.quorum, "custodians": custodians }),
            )
            .await?;
            RoundDto::load(conn, round).await
        })
        .await?;
    Ok(HttpResponse::Created().json(round))
}

/// Rounds: drafts only for officers, admins and auditors.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination, RoundQuery),
    responses(
        (status = 200, description = "A page of rounds", body = Page<RoundDto>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds")]
pub async fn list(
    user: AuthUser,
    state: web::Data<AppState>,
    paging: web::Query<Pagination>,
    query: web::Query<RoundQuery>,
) -> Result<web::Json<Page<RoundDto>>, ApiError> {
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let status = match query.status.as_deref() {
        None => None,
        Some(s) => Some(RoundStatus::parse(s).ok_or_else(|| {
            let all: Vec<&str> = RoundStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::invalid("status", format!("must be one of {}", all.join(", ")))
        })?),
    };
    let with_drafts = matches!(
        user.role,
        Role::ProcurementOfficer | Role::Admin | Role::Auditor
    );
    let mut conn = state.pool.get().await?;
    let (rows, total) = Round::page(&mut conn, with_drafts, status, limit, offset).await?;
    let mut items = Vec::with_capacity(rows.len());
    for round in rows {
        items.push(RoundDto::load(&mut conn, round).await?);
    }
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// One round.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "The round", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round (or a draft the caller may not see)", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}")]
pub async fn get(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<RoundDto>, ApiError> {
    let mut conn = state.pool.get().await?;
    let round = visible_round(&mut conn, &user, *id).await?;
    Ok(web::Json(RoundDto::load(&mut conn, round).await?))
}

/// Change a round's terms. On a published round every bid submitted so far becomes void
/// and its supplier is told to submit again.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = UpdateRound,
    responses(
        (status = 200, description = "Updated", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid input, or the round is past bidding", body = Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/rounds/{id}")]
pub async fn update(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<UpdateRound>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let settings = &state.settings;
    let dto = conn
        .transaction(async |conn| {
            if Round::find(conn, id).await.is_err() {
                return Err(ApiError::not_found("no such round"));
            }
            // a terms change must not race a bid in flight
            Round::lock_for_closing(conn, id).await?;
            let round = Round::lock(conn, id).await?;
            if !matches!(round.status, RoundStatus::Draft | RoundStatus::DemandCollection | RoundStatus::BiddingOpen) {
                return Err(ApiError::rule("round_terms_frozen", format!("the terms of a {} round cannot change", round.status)));
            }
            let now = clock(conn).await?;
            if round.status == RoundStatus::BiddingOpen && now >= round.bidding_deadline {
                return Err(ApiError::rule("bidding_closed", "bidding has closed: the terms cannot change"));
            }
            let name = body.name.as_deref().map(str::trim).unwrap_or(&round.name).to_owned();
            if name.is_empty() || name.chars().count() > 200 {
                return Err(ApiError::invalid("name", "must be 1 to 200 characters"));
            }
            if let Some(d) = body.bidding_deadline {
                check_deadline(d)?;
            }
            let deadline = body.bidding_deadline.unwrap_or(round.bidding_deadline);
            if body.bidding_deadline.is_some() && deadline <= now {
                return Err(ApiError::invalid("bidding_deadline", "must be in the future"));
            }
            let terms_changed = body.bidding_deadline.is_some() || body.min_bidders.is_some() || body.rules.is_some();
            let rules = if body.rules.is_some() || body.min_bidders.is_some() {
                let base = body.rules.clone().or(Some(round.rules.clone()));
                serde_json::to_value(rules_from(&round.preset, base, body.min_bidders)?).map_err(ApiError::internal)?
            } else {
                round.rules.clone()
            };
            let bump = round.status == RoundStatus::BiddingOpen && terms_changed;
            diesel::update(r::table.find(id))
                .set((
                    r::name.eq(&name),
                    r::bidding_deadline.eq(deadline),
                    r::rules.eq(&rules),
                    r::terms_version.eq(round.terms_version + i32::from(bump)),
                    r::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let mut voided = Vec::new();
            if bump {
                voided = crate::rounds::queries::BidRow::invalidate_round(conn, id).await?;
                let updated = Round::find(conn, id).await?;
                rounds::notify_suppliers(conn, &settings.jobs, &settings.mail.public_url, &updated, &voided, "bids_invalidated", &updated.terms_version.to_string()).await?;
                super::jobs::schedule(conn, settings, &updated).await?;
            }
            audit::record(
                conn,
                &user.actor(),
                "round.update",
                "round",
                &id.to_string(),
                json!({ "name": name, "deadline": deadline, "rules_changed": body.rules.is_some() || body.min_bidders.is_some(),
                        "terms_version": round.terms_version + i32::from(bump), "suppliers_with_voided_bids": voided.len() }),
            )
            .await?;
            {
                let round = Round::find(conn, id).await?;
                RoundDto::load(conn, round).await
            }
        })
        .await?;
    Ok(web::Json(dto))
}

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

/// Start collecting provincial demand (draft -> demand collection).
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Collecting demand", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not a draft, or no lots", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/demand-collection")]
pub async fn start_demand(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id)
                .await
                .map_err(|_| ApiError::not_found("no such round"))?;
            let next = rounds::transition(&round, RoundAction::StartDemandCollection, None)?;
            if LotRow::of_round(conn, id).await?.is_empty() {
                return Err(ApiError::rule(
                    "round_has_no_lots",
                    "add at least one lot first",
                ));
            }
            Round::set_status(conn, id, next).await?;
            audit::record(
                conn,
                &user.actor(),
                "round.demand_collection",
                "round",
                &id.to_string(),
                json!({}),
            )
            .await?;
            {
                let round = Round::find(conn, id).await?;
                RoundDto::load(conn, round).await
            }
        })
        .await?;
    Ok(web::Json(dto))
}

/// Publish: open for sealed bids. Freezes demand and ceilings (those valid today), makes
/// the round's key pair and deals the opening-key shares; schedules the closing.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Open for bids", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not collecting demand, no lots, or deadline passed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/publish")]
pub async fn publish(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let id = id.into_inner();
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, id).await.map_err(|_| ApiError::not_found("no such round"))?;
            let next = rounds::transition(&round, RoundAction::OpenBidding, None)?;
            if LotRow::of_round(conn, id).await?.is_empty() {
                return Err(ApiError::rule("round_has_no_lots", "a round without lots cannot be published"));
            }
            let now = clock(conn).await?;
            if round.bidding_deadline <= now {
                return Err(ApiError::rule("deadline_passed", "the bidding deadline has passed: move it first"));
            }
            // ceilings are published by Beijing's calendar: the day in China Standard Time
            let today = crate::platform::db::china_date(now);
            LotRow::freeze_ceilings(conn, id, today).await?;
            let (public, wrapped) = rounds::publish_keys(conn, &round, &settings.master_key).await?;
            diesel::update(r::table.find(id))
                .set((
                    r::status.eq(next),
                    r::public_key.eq(&public),
                    r::wrapped_key.eq(wrapped.as_deref()),
                    r::published_at.eq(diesel::dsl::now),
                    r::ceilings_date.eq(today),
                    r::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let round = Round::find(conn, id).await?;
            super::jobs::schedule(conn, settings, &round).await?;
            let suppliers = rounds::matching_suppliers(conn, &round).await?;
            let notified = rounds::notify_suppliers(conn, &settings.jobs, &settings.mail.public_url, &round, &suppliers, "round_published", "published").await?;
            audit::record(conn, &user.actor(), "round.publish", "round", &id.to_string(),
                json!({ "public_key": hex::encode(&public), "ceilings_date": today, "key_mode": round.key_mode,
                        "quorum": round.quorum, "suppliers_notified": notified })).await?;
            RoundDto::load(conn, round).await
        })
        .await?;
    Ok(web::Json(dto))
}

/// Cancel a round before award, with a reason.
#[utoipa::path(
    tag = "rounds",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = CancelRound,
    responses(
        (status = 200, description = "Cancelled", body = RoundDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "No reason, or already awarded", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/cancel")]
pub async fn cancel(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<CancelRound>,
) -> Result<web::Json<RoundDto>, ApiError> {
    user.require(OFFICER)?;
    let body = body.into_inner()?;
    let id = id.into_inner();
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() {
        return Err(ApiError::invalid("reason", "is required"));
    }
    crate::platform::input::bounded("reason", &reason, crate::platform::input::MAX_TEXT)?;
    let settings = &state.settings;
    let mut conn = state.pool.get().await?;
    let dto = conn
        .transaction(async |conn| {
            if Round::find(conn, id).await.is_err() {
                return Err(ApiError::not_found("no such round"));
            }
            Round::lock_for_closing(conn, id).await?;
            let round = Round::lock(conn, id).await?;
            let next = rounds::transition(&round, RoundAction::Cancel, Some(&reason))?;
            let from = round.status;
            diesel::update(r::table.find(id))
                .set((
                    r::status.eq(next),
                    r::cancel_reason.eq(&reason),
                    r::cancelled_at.eq(diesel::dsl::now),
                    r::updated_at.eq(diesel::dsl::now),
                ))
                .execute(conn)
                .await?;
            let round = Round::find(conn, id).await?;
            if round.published_at.is_some() {
                let suppliers = rounds::matching_suppliers(conn, &round).await?;
                rounds::notify_suppliers(
                    conn,
                    &settings.jobs,
                    &settings.mail.public_url,
                    &round,
                    &suppliers,
                    "round_cancelled",
                    "cancelled",
                )
                .await?;
            }
            audit::record(
                conn,
                &user.actor(),
                "round.cancel",
                "round",
                &id.to_string(),
                json!({ "reason": reason, "from": from }),
            )
            .await?;
            RoundDto::load(conn, round).await
        })
        .await?;
    Ok(web::Json(dto))
}

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
