//! Sealed bids: submit (or replace) under an Idempotency-Key with a signed receipt, list
//! one's own, withdraw; the receipt-signing public key.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use bidding_core::UnitPrice;
use chrono::{DateTime, Utc};
use diesel_async::AsyncConnection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::page::{Page, Pagination};
use crate::{
    bids::{
        queries::{BidRow, BidStatus},
        service::{self as bids, SealedContent},
        writer as bid_writer,
    },
    platform::{
        AppState, audit,
        auth::{AuthUser, Claims, Role, VerifiedToken},
        db::clock,
        error::{ApiError, FieldError, Problem},
        sealing::{self, ReceiptKey},
    },
    rounds::{queries::Round, service as rounds},
};
use bidding_core::RoundStatus;

#[derive(Deserialize, ToSchema)]
pub struct SubmitBid {
    pub lot_id: Uuid,
    /// The catalog item offered (the supplier's own product, of the lot's generic and form).
    #[schema(example = "XC10AAA126A001010100483", max_length = 64)]
    pub product_code: String,
    /// Price per minimum unit of the product's own specification, up to 4 decimals.
    #[schema(value_type = String, example = "0.5000")]
    pub unit_price: Decimal,
    /// Declared annual supply capacity, in minimum units (1 to 10^12).
    #[schema(minimum = 1, maximum = 1_000_000_000_000_i64)]
    pub annual_capacity: u64,
    /// Provinces (GB/T 2260 codes) in order of preference, for the supply-region draft.
    #[serde(default)]
    #[schema(max_items = 31)]
    pub province_preferences: Vec<String>,
}

/// What the supplier keeps: proof of what the platform accepted, and when.
#[derive(Serialize, ToSchema)]
pub struct Receipt {
    pub bid_id: Uuid,
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub supplier_org_id: Uuid,
    /// The database's clock when the bid was accepted.
    pub submitted_at: DateTime<Utc>,
    /// SHA-256 (hex) of the stored ciphertext.
    pub commitment: String,
    /// Ed25519 signature (base64) of `message` by the platform's receipt key.
    pub signature: String,
    /// The exact text signed.
    pub message: String,
    /// The platform's receipt public key (hex), also at GET /api/receipt-key.
    pub public_key: String,
    /// live, replaced, withdrawn or invalidated
    pub status: String,
}

fn receipt(bid: &BidRow, keys: &ReceiptKey) -> Receipt {
    let message = bids::receipt_message(
        bid.id,
        bid.round_id,
        bid.lot_id,
        bid.supplier_org_id,
        bid.submitted_at,
        &bid.commitment,
    );
    let public_key = keys.key_for(message.as_bytes(), &bid.receipt_signature);
    Receipt {
        message,
        bid_id: bid.id,
        round_id: bid.round_id,
        lot_id: bid.lot_id,
        supplier_org_id: bid.supplier_org_id,
        submitted_at: bid.submitted_at,
        commitment: bid.commitment.clone(),
        signature: bid.receipt_signature.clone(),
        public_key,
        status: bid.status.to_string(),
    }
}

/// The platform's receipt key.
#[derive(Serialize, ToSchema)]
pub struct ReceiptKeyDto {
    /// `ed25519`
    pub algorithm: &'static str,
    /// The public key that signs new receipts, 32 bytes in hex.
    pub public_key: String,
    /// The public keys of earlier receipt keys, newest first: receipts signed before a
    /// rotation verify with one of them (a receipt names its key in `public_key`).
    pub previous_keys: Vec<String>,
    /// How a receipt message is built.
    pub message_format: &'static str,
}

/// The public key that signs bid receipts; anyone may verify a receipt with it.
#[utoipa::path(
    tag = "bids",
    extensions(("x-scope" = json!("public"))),
    responses(
        (status = 200, description = "The receipt-signing public key", body = ReceiptKeyDto),
        (status = 500, description = "Not configured", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/receipt-key")]
pub async fn get_receipt_key(state: web::Data<AppState>) -> web::Json<ReceiptKeyDto> {
    web::Json(ReceiptKeyDto {
        algorithm: "ed25519",
        public_key: state.settings.receipt_key.public_hex(),
        previous_keys: state.settings.receipt_key.previous().to_vec(),
        message_format: "vbp-bid-receipt-v1\\nbid=<id>\\nround=<id>\\nlot=<id>\\nsupplier=<org id>\\nsubmitted_at=<RFC 3339, microseconds, Z>\\ncommitment=<hex>\\n",
    })
}

/// The checks of a bid's body that need nothing but the body: price, capacity, provinces.
fn validate(
    body: &SubmitBid,
    provinces: &std::collections::HashSet<String>,
) -> Result<UnitPrice, ApiError> {
    let mut errors = Vec::new();
    let price = match UnitPrice::new(body.unit_price) {
        Ok(p) if body.unit_price > Decimal::ZERO => Some(p),
        Ok(_) => {
            errors.push(FieldError::field("unit_price", "must be above zero"));
            None
        }
        Err(e) => {
            errors.push(FieldError::field("unit_price", e.to_string()));
            None
        }
    };
    if body.annual_capacity == 0 || body.annual_capacity > bidding_core::MAX_ANNUAL_UNITS {
        errors.push(FieldError::field(
            "annual_capacity",
            format!(
                "must be from 1 to {} minimum units a year",
                bidding_core::MAX_ANNUAL_UNITS
            ),
        ));
    }
    // NHSA codes have 23 (drugs) or 27 (consumables) characters
    crate::platform::input::check_len(
        &mut errors,
        "product_code",
        &body.product_code,
        crate::platform::input::MAX_CODE,
    );
    if body.province_preferences.len() > provinces.len() {
        errors.push(FieldError::field(
            "province_preferences",
            format!("must list at most {} provinces", provinces.len()),
        ));
        return Err(ApiError::Validation(errors));
    }
    let mut seen = std::collections::HashSet::new();
    for (i, p) in body.province_preferences.iter().enumerate() {
        if !provinces.contains(p) {
            errors.push(FieldError::field(
                format!("province_preferences[{i}]"),
                format!("{p:?} is not a province code"),
            ));
        } else if !seen.insert(p) {
            errors.push(FieldError::field(
                format!("province_preferences[{i}]"),
                format!("{p} appears twice"),
            ));
        }
    }
    match price {
        Some(price) if errors.is_empty() => Ok(price),
        _ => Err(ApiError::Validation(errors)),
    }
}

/// The `Idempotency-Key` header, when sent.
/// The terms of a round open for bids (cached per process and terms version).
async fn open_terms(
    state: &AppState,
    round_id: Uuid,
) -> Result<std::sync::Arc<bids::BiddingTerms>, ApiError> {
    let mut conn = state.pool.get().await?;
    let round = Round::find(&mut conn, round_id)
        .await
        .map_err(|_| ApiError::not_found("no such round"))?;
    match round.status {
        RoundStatus::Draft => Err(ApiError::not_found("no such round")),
        RoundStatus::BiddingOpen => bids::load_terms(&mut conn, round_id).await,
        other => Err(ApiError::rule(
            "round_not_open",
            format!("the round is {other}: it does not accept bids"),
        )),
    }
}

/// Everything about a submission that needs no lock and no per-bid read: the body's
/// checks, the round's terms (`terms` when cached) and the sealing.
async fn prepare(
    state: &AppState,
    claims: &Claims,
    round_id: Uuid,
    body: &SubmitBid,
    key: Option<String>,
    request_hash: &str,
    terms: Option<std::sync::Arc<bids::BiddingTerms>>,
) -> Result<bid_writer::Submission, ApiError> {
    let terms = match terms {
        Some(t) => t,
        None => open_terms(state, round_id).await?,
    };
    let (lot, _) = terms
        .lots
        .get(&body.lot_id)
        .ok_or_else(|| ApiError::not_found("no such lot in this round"))?;
    let price = validate(body, rounds::province_codes(&state.pool).await?)?;
    let product_code = bidding_core::catalog::normalize_code(&body.product_code);
    let content = SealedContent {
        product_code: product_code.clone(),
        unit_price: price,
        annual_capacity: body.annual_capacity,
        province_preferences: body.province_preferences.clone(),
    };
    let plain = zeroize::Zeroizing::new(serde_json::to_vec(&content).map_err(ApiError::internal)?);
    let sealed = sealing::seal(
        &terms.public_key,
        &bids::bid_info(terms.round_id, terms.terms_version, lot.id, claims.org),
        &sealing::pad(&plain),
    )
    .map_err(ApiError::internal)?;
    Ok(bid_writer::Submission {
        claims: claims.clone(),
        lot_id: lot.id,
        product_code,
        unit_price: price,
        commitment: sealing::sha256_hex(&sealed),
        sealed,
        idempotency_key: key,
        request_hash: request_hash.to_owned(),
        terms,
    })
}

/// The answer to a submission refused before it reached the writer: the session is checked
/// first (a dead token gets its 401 and learns nothing else), then a retried
/// Idempotency-Key gets its first receipt (the round may have closed since), then `refusal`.
async fn refused_early(
    state: &AppState,
    claims: Claims,
    key: Option<&str>,
    round_id: Uuid,
    request_hash: &str,
    refusal: ApiError,
) -> Result<HttpResponse, ApiError> {
    let supplier = claims.org;
    AuthUser::check(state, claims).await?;
    if let Some(key) = key {
        let conn = state.pool.get().await?;
        if let Some(first) = BidRow::by_idempotency_key(&conn, supplier, key).await? {
            if first.request_hash.as_deref() != Some(request_hash) || first.round_id != round_id {
                return Err(ApiError::rule(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different bid",
                ));
            }
            return Ok(HttpResponse::Ok().json(receipt(&first, &state.settings.receipt_key)));
        }
    }
    Err(refusal)
}

/// Submit (or replace) a sealed bid on a lot. Eligibility and the ceiling are checked
/// first; the bid is then encrypted to the round's key, and only the ciphertext is kept.
/// Send an `Idempotency-Key` header to make a retried submission return the first receipt.
///
/// The bid is sealed in the request and checked and written by a writer lane with the bids
/// of other requests waiting at that moment, in one transaction (see `bid_writer`): the
/// session, the round's state and clock, the product and its ceiling are read there, once
/// per batch.
#[utoipa::path(
    tag = "bids",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(
        ("id" = Uuid, Path, description = "Round id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Makes a retried submission return the first receipt"),
    ),
    request_body = SubmitBid,
    responses(
        (status = 201, description = "Accepted; keep the receipt", body = Receipt),
        (status = 200, description = "A retry with the same Idempotency-Key: the first receipt", body = Receipt),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such round or lot", body = Problem, content_type = "application/problem+json"),
        (status = 409, description = "The round's terms changed twice while you submitted: submit again", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Invalid, ineligible, above the ceiling (with the UCP and the ceiling), or bidding closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/rounds/{id}/bids")]
#[tracing::instrument(skip_all, fields(round = %id))]
pub async fn submit(
    req: HttpRequest,
    token: VerifiedToken,
    state: web::Data<AppState>,
    writer: web::Data<bid_writer::BidWriter>,
    id: web::Path<Uuid>,
    body: crate::platform::input::Json<SubmitBid>,
) -> Result<HttpResponse, ApiError> {
    let claims = token.0;
    if claims.role != Role::Supplier {
        // the session first, as for every route: a dead token gets a 401, not a 403
        let user = AuthUser::check(&state, claims).await?;
        user.require(&[Role::Supplier])?;
        return Err(ApiError::internal(
            "a supplier token that is not a supplier's",
        ));
    }
    let round_id = id.into_inner();
    let body = match body.into_inner() {
        Ok(body) => body,
        // the session first: a dead token gets its 401, not the body's problem
        Err(e) => {
            AuthUser::check(&state, claims).await?;
            return Err(e);
        }
    };
    // Recognises a retried Idempotency-Key. Keyed under the master key, which the
    // database does not hold: an unkeyed digest of the bid would let whoever holds the
    // database find the price by trying every price below the ceiling.
    let request_hash = state.settings.master_key.mac_hex(
        "bid-request",
        format!(
            "{round_id}|{}|{}|{}|{}|{}",
            body.lot_id,
            body.product_code.trim(),
            body.unit_price.normalize(),
            body.annual_capacity,
            body.province_preferences.join(",")
        )
        .as_bytes(),
    );
    let key = match crate::platform::input::idempotency_key(&req) {
        Ok(key) => key,
        Err(e) => return refused_early(&state, claims, None, round_id, &request_hash, e).await,
    };
    let mut terms = bids::cached_terms(round_id);
    let mut resealed = false;
    loop {
        let prepared = prepare(
            &state,
            &claims,
            round_id,
            &body,
            key.clone(),
            &request_hash,
            terms.take(),
        )
        .await;
        let sub = match prepared {
            Ok(sub) => sub,
            Err(e) => {
                let k = key.as_deref();
                return refused_early(&state, claims, k, round_id, &request_hash, e).await;
            }
        };
        match writer.write(&state.pool, &state.settings, sub).await {
            Ok(written) => {
                let receipt = receipt(&written.bid, &state.settings.receipt_key);
                let mut res = if written.created {
                    HttpResponse::Created().json(receipt)
                } else {
                    HttpResponse::Ok().json(receipt)
                };
                // a sealed bid shows on no replica route before the round closes, and the
                // closing write orders it: no position to hand back (a bid rush would pay a
                // round trip per bid for it, docs/benchmarks.md)
                res.extensions_mut()
                    .insert(crate::platform::db::read::NothingToReadBack);
                return Ok(res);
            }
            Err(bid_writer::Refusal::Refused(e)) => return Err(e),
            // the terms changed after this process cached them: seal again, once
            Err(bid_writer::Refusal::StaleTerms) if !resealed => resealed = true,
            Err(bid_writer::Refusal::StaleTerms) => {
                return Err(ApiError::conflict(
                    "terms_changed",
                    "the round's terms changed while you submitted: submit again",
                ));
            }
        }
    }
}

/// The caller's own bids in a round (receipts; prices stay sealed until the opening).
#[utoipa::path(
    tag = "bids",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Round id"), Pagination),
    responses(
        (status = 200, description = "Your organisation's bids, newest first", body = Page<Receipt>),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/rounds/{id}/bids")]
pub async fn mine(
    user: AuthUser,
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
    paging: web::Query<Pagination>,
) -> Result<web::Json<Page<Receipt>>, ApiError> {
    user.require(&[Role::Supplier])?;
    let mut conn = state.pool.get().await?;
    let rows = BidRow::of_supplier(&mut conn, *id, user.org_id).await?;
    let receipts = rows
        .iter()
        .map(|b| receipt(b, &state.settings.receipt_key))
        .collect();
    Ok(web::Json(Page::of_all(receipts, paging.into_inner())?))
}

/// Withdraw one of your live bids before the deadline.
#[utoipa::path(
    tag = "bids",
    security(("bearer" = ["supplier"])),
    extensions(("x-scope" = json!("own_org"))),
    params(("id" = Uuid, Path, description = "Round id"), ("bid_id" = Uuid, Path, description = "Bid id")),
    responses(
        (status = 200, description = "Withdrawn", body = Receipt),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only suppliers", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such bid of yours", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Not live, or bidding closed", body = Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/rounds/{id}/bids/{bid_id}")]
pub async fn withdraw(
    user: AuthUser,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<web::Json<Receipt>, ApiError> {
    user.require(&[Role::Supplier])?;
    let (round_id, bid_id) = path.into_inner();
    let mut conn = state.pool.get().await?;
    let bid = conn
        .transaction(async |conn| {
            let bid = BidRow::find(conn, bid_id)
                .await
                .ok()
                .filter(|b| b.round_id == round_id && b.supplier_org_id == user.org_id)
                .ok_or_else(|| ApiError::not_found("no such bid of yours"))?;
            Round::lock_for_bidding(conn, round_id).await?;
            let round = Round::find(conn, round_id).await?;
            if round.status != RoundStatus::BiddingOpen
                || clock(conn).await? >= round.bidding_deadline
            {
                return Err(ApiError::rule(
                    "bidding_closed",
                    "bidding has closed: bids can no longer be withdrawn",
                ));
            }
            if bid.status != BidStatus::Live {
                return Err(ApiError::rule(
                    "bid_not_live",
                    format!("the bid is {}, not live", bid.status),
                ));
            }
            BidRow::end_live(conn, bid.lot_id, user.org_id, BidStatus::Withdrawn).await?;
            audit::record(
                conn,
                &user.actor(),
                "bid.withdraw",
                "bid",
                &bid.id.to_string(),
                json!({ "round": round_id, "lot": bid.lot_id }),
            )
            .await?;
            Ok(BidRow::find(conn, bid_id).await?)
        })
        .await?;
    Ok(web::Json(receipt(&bid, &state.settings.receipt_key)))
}
