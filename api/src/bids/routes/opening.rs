//! After the deadline: the frozen bid register, each custodian's opening-key share, and
//! the opening by a quorum of shares.

use crate::{
    bids::{
        opening::{self, OpeningState},
        queries::RegisterRow,
    },
    platform::{
        AppState, audit,
        auth::{AuthUser, Role},
        db::{
            clock,
            read::{MinLsn, ReadDb},
        },
        error::{ApiError, Problem},
    },
    rounds::{
        queries::{Custodian, Round},
        service as rounds,
    },
};
use actix_web::{get, post, web};
use bidding_core::RoundStatus;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

/// One entry of the frozen bid register.
#[derive(Serialize, ToSchema)]
pub struct RegisterEntry {
    pub bid_id: Uuid,
    pub lot_id: Uuid,
    pub commitment: String,
    pub submitted_at: DateTime<Utc>,
}

#[derive(Serialize, ToSchema)]
pub struct Register {
    pub round_id: Uuid,
    pub frozen_at: Option<DateTime<Utc>>,
    pub bids: Vec<RegisterEntry>,
}

/// The frozen register of a closed round: every bid that counts, by id and commitment,
/// no prices. Each supplier can find its receipts in it.
#[utoipa::path(
    tag = "bids",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id"), MinLsn),
    responses(
        (status = 200, description = "The register", body = Register),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bidding has not closed yet", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/register")]
pub async fn register(
    user: AuthUser,
    state: web::Data<AppState>,
    db: ReadDb,
    id: web::Path<Uuid>,
) -> Result<web::Json<Register>, ApiError> {
    let round_id = id.into_inner();
    let mut conn = db.conn;
    let round = Round::find(&mut conn, round_id)
        .await
        .map_err(|_| ApiError::not_found("no such round"))?;
    if round.status == RoundStatus::Draft
        && !matches!(
            user.role,
            Role::ProcurementOfficer | Role::Admin | Role::Auditor
        )
    {
        return Err(ApiError::not_found("no such round"));
    }
    if round.status == RoundStatus::BiddingOpen {
        // closing writes: on the primary, which the rest of this request then reads
        conn = state.pool.get().await?;
        let actor = user.actor();
        conn.transaction(async |conn| rounds::close_if_due(conn, round_id, &actor).await)
            .await?;
    }
    let round = Round::find(&mut conn, round_id).await?;
    if round.closed_at.is_none() {
        return Err(ApiError::rule(
            "register_not_frozen",
            format!(
                "the register is frozen when bidding closes ({})",
                round.bidding_deadline.to_rfc3339()
            ),
        ));
    }
    let rows = RegisterRow::of_round(&mut conn, round_id).await?;
    Ok(web::Json(Register {
        round_id,
        frozen_at: rows.first().map(|r| r.frozen_at).or(round.closed_at),
        bids: rows
            .into_iter()
            .map(|r| RegisterEntry {
                bid_id: r.bid_id,
                lot_id: r.lot_id,
                commitment: r.commitment,
                submitted_at: r.submitted_at,
            })
            .collect(),
    }))
}

/// The live bids of one lot: how many, never what they offer.
#[derive(Serialize, ToSchema, diesel::QueryableByName)]
pub struct LotBidCount {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    pub lot_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    pub lot_no: i32,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub generic_name: String,
    /// Live bids (a replaced or withdrawn bid no longer counts).
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    pub bids: i64,
}

/// How many bids each lot holds, by the database's clock.
#[derive(Serialize, ToSchema)]
pub struct BidCounts {
    pub round_id: Uuid,
    /// The database's clock when counted: a screen's countdown runs on it, not on the
    /// viewer's machine.
    pub as_of: DateTime<Utc>,
    pub bidding_deadline: DateTime<Utc>,
    pub status: String,
    pub total: i64,
    pub lots: Vec<LotBidCount>,
}

/// The number of live bids per lot of a published round (never a price, a supplier or a
/// product): what the officers watch during bidding.
#[utoipa::path(
    tag = "bids",
    security(("bearer" = ["procurement_officer", "auditor", "admin"])),
    extensions(("x-scope" = json!("all"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Bids per lot", body = BidCounts),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an officer, auditor or admin", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/bid-counts")]
pub async fn bid_counts(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<BidCounts>, ApiError> {
    use diesel_async::RunQueryDsl;
    user.require(&[Role::ProcurementOfficer, Role::Auditor, Role::Admin])?;
    let round_id = id.into_inner();
    let mut conn = state.pool.get().await?;
    let round = Round::find(&mut conn, round_id)
        .await
        .map_err(|_| ApiError::not_found("no such round"))?;
    let lots: Vec<LotBidCount> = diesel::sql_query(
        "SELECT l.id AS lot_id, l.number AS lot_no, l.generic_name, count(b.id) AS bids \
         FROM lots l LEFT JOIN bids b ON b.lot_id = l.id AND b.status = 'live' \
         WHERE l.round_id = $1 GROUP BY l.id ORDER BY l.number",
    )
    .bind::<diesel::sql_types::Uuid, _>(round_id)
    .load(&mut conn)
    .await?;
    Ok(web::Json(BidCounts {
        round_id,
        as_of: clock(&mut conn).await?,
        bidding_deadline: round.bidding_deadline,
        status: round.status.to_string(),
        total: lots.iter().map(|l| l.bids).sum(),
        lots,
    }))
}

/// A custodian's opening-key share.
#[derive(Serialize, ToSchema)]
pub struct KeyShare {
    pub round_id: Uuid,
    /// Keep it secret and safe: it is erased from the server now, and you present it at the opening.
    pub share: String,
    pub quorum: i16,
    pub custodians: usize,
}

/// Fetch your opening-key share, once; the server erases it as it hands it over.
#[utoipa::path(
    tag = "bids",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("self"))),
    params(("id" = Uuid, Path, description = "Round id")),
    responses(
        (status = 200, description = "Your share (shown once)", body = KeyShare),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a custodian of this round", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Fetched already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The round is not published or has no shares", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/key-shares/mine")]
pub async fn my_share(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<web::Json<KeyShare>, ApiError> {
    user.require(&[Role::ProcurementOfficer])?;
    let round_id = id.into_inner();
    let master = state.settings.master_key.clone();
    let mut conn = state.pool.get().await?;
    let share = conn
        .transaction(async |conn| {
            let round = Round::find(conn, round_id)
                .await
                .map_err(|_| ApiError::not_found("no such round"))?;
            if round.key_mode != "threshold" || round.published_at.is_none() {
                return Err(ApiError::rule(
                    "no_key_shares",
                    "this round has no key shares (not published, or master-key mode)",
                ));
            }
            let custodians = Custodian::of_round(conn, round_id).await?;
            let me = custodians
                .iter()
                .find(|c| c.user_id == user.user_id)
                .ok_or_else(|| ApiError::forbidden("you are not a custodian of this round"))?;
            if me.fetched_at.is_some() {
                return Err(ApiError::conflict(
                    "share_fetched",
                    "you fetched your share already; the server no longer has it",
                ));
            }
            let wrapped = Custodian::take_share(conn, round_id, user.user_id)
                .await?
                .ok_or_else(|| {
                    ApiError::conflict("share_fetched", "the share was fetched already")
                })?;
            let text = master
                .unwrap(
                    &wrapped,
                    format!("round:{round_id}:share:{}", user.user_id).as_bytes(),
                )
                .map_err(ApiError::internal)?;
            audit::record(
                conn,
                &user.actor(),
                "round.share_fetch",
                "round",
                &round_id.to_string(),
                json!({ "custodian": user.user_id }),
            )
            .await?;
            Ok(KeyShare {
                round_id,
                share: opening::share_text(&text),
                quorum: round.quorum,
                custodians: custodians.len(),
            })
        })
        .await?;
    Ok(web::Json(share))
}

#[derive(Deserialize, ToSchema)]
pub struct OpenRequest {
    /// Your opening-key share (threshold mode); omitted in master-key mode.
    #[schema(max_length = 1024)]
    pub share: Option<String>,
}

/// Present your share for the opening, after the deadline. When the quorum is reached
/// the bids are decrypted, checked against the register and revealed.
#[utoipa::path(
    tag = "bids",
    security(("bearer" = ["procurement_officer"])),
    extensions(("x-scope" = json!("self"))),
    params(("id" = Uuid, Path, description = "Round id")),
    request_body = OpenRequest,
    responses(
        (status = 200, description = "Share recorded (waiting) or round opened", body = OpeningState),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a procurement officer, or not a custodian", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "Share presented already", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Before the deadline, or a forged share", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/open")]
pub async fn open(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<OpenRequest>,
) -> Result<web::Json<OpeningState>, ApiError> {
    user.require(&[Role::ProcurementOfficer])?;
    let body = body.into_inner()?;
    if let Some(share) = &body.share {
        crate::platform::input::bounded("share", share, 1024)?;
    }
    let round_id = id.into_inner();
    let settings = &state.settings;
    let actor = user.actor();
    let mut conn = state.pool.get().await?;
    let round = Round::find(&mut conn, round_id)
        .await
        .map_err(|_| ApiError::not_found("no such round"))?;
    if round.status == RoundStatus::BiddingOpen {
        if clock(&mut conn).await? < round.bidding_deadline {
            return Err(ApiError::rule(
                "deadline_not_passed",
                format!(
                    "bids can be opened only after the deadline ({})",
                    round.bidding_deadline.to_rfc3339()
                ),
            ));
        }
        conn.transaction(async |conn| rounds::close_if_due(conn, round_id, &actor).await)
            .await?;
    }
    let state = conn
        .transaction(async |conn| {
            let round = Round::lock(conn, round_id).await?;
            opening::present_share(
                conn,
                settings,
                &round,
                user.user_id,
                &actor,
                body.share.as_deref(),
            )
            .await
        })
        .await?;
    Ok(web::Json(state))
}
