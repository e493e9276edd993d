//! The threshold opening: custodians present their shares; at the quorum the round key
//! is rebuilt, every counted bid decrypted and checked against its register commitment,
//! and suppliers told. Runs inside the caller's transaction, with its audit entries.

use crate::{
    bids::{
        queries::{BidRow, BidStatus, OpeningShares, RegisterRow},
        service::{SealedContent, bid_info},
    },
    platform::{
        audit::{self, Actor},
        error::ApiError,
        sealing,
        settings::Settings,
    },
    rounds::{
        queries::{Custodian, Round},
        service::notify_suppliers,
    },
};
use base64::{Engine, engine::general_purpose::STANDARD as B64};
use bidding_core::RoundStatus;
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

/// What presenting a share did.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpeningState {
    /// `waiting` (more shares needed) or `opened`.
    pub status: &'static str,
    pub presented: usize,
    pub quorum: i16,
    /// Bids revealed, once opened.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bids_revealed: Option<usize>,
    /// Whether this call performed the opening (false when another already had).
    pub opened_by_this_call: bool,
}

/// Decrypts every counted bid with the reconstructed key, checks each against its
/// register commitment, and stores the revealed fields.
async fn reveal_all(
    conn: &mut AsyncPgConnection,
    round: &Round,
    secret: &Zeroizing<Vec<u8>>,
) -> Result<usize, ApiError> {
    let register: std::collections::HashMap<Uuid, String> = RegisterRow::of_round(conn, round.id)
        .await?
        .into_iter()
        .map(|r| (r.bid_id, r.commitment))
        .collect();
    let bids = BidRow::live_of_round(conn, round.id, round.terms_version).await?;
    if bids.len() != register.len() {
        return Err(ApiError::internal(format!(
            "{} live bids but {} in the register",
            bids.len(),
            register.len()
        )));
    }
    let mut revealed = 0;
    for bid in &bids {
        let commitment = sealing::sha256_hex(&bid.sealed);
        if register.get(&bid.id) != Some(&commitment) || commitment != bid.commitment {
            return Err(ApiError::internal(format!(
                "bid {} does not match its registered commitment",
                bid.id
            )));
        }
        let plain = sealing::open(
            secret,
            &bid_info(round.id, bid.terms_version, bid.lot_id, bid.supplier_org_id),
            &bid.sealed,
        )
        .map_err(|e| ApiError::internal(format!("bid {}: {e}", bid.id)))?;
        // Submission refuses what its columns cannot hold; a bid sealed before a bound
        // existed (or otherwise unreadable) must not stop the opening of the whole round:
        // it is set aside as invalid, with the reason in the audit log.
        match readable(&plain) {
            Ok((content, capacity)) => {
                revealed += 1;
                BidRow::reveal(
                    conn,
                    bid.id,
                    &content.product_code,
                    content.unit_price.value(),
                    capacity,
                    &json!(content.province_preferences),
                )
                .await?;
            }
            Err(reason) => {
                BidRow::invalidate_at_opening(conn, bid.id).await?;
                audit::record(
                    conn,
                    &Actor::system(),
                    "bid.invalid_at_opening",
                    "bid",
                    &bid.id.to_string(),
                    json!({ "round": round.id, "lot": bid.lot_id, "supplier": bid.supplier_org_id, "reason": reason }),
                )
                .await?;
            }
        }
    }
    Ok(revealed)
}

/// A decrypted bid's content and its capacity as its column holds it, or why it cannot
/// be revealed (words that name no value from inside the bid).
fn readable(plain: &[u8]) -> Result<(SealedContent, i64), &'static str> {
    let content: SealedContent = serde_json::from_slice(plain)
        .map_err(|_| "the sealed content is not a readable bid (a price out of range?)")?;
    let capacity = Some(content.annual_capacity)
        .filter(|c| (1..=bidding_core::MAX_ANNUAL_UNITS).contains(c))
        .and_then(|c| i64::try_from(c).ok())
        .ok_or("the declared annual capacity is out of range")?;
    // looser than the submission's own bounds (a code of 64 characters, 31 provinces)
    if content.product_code.chars().count() > crate::platform::input::MAX_CODE
        || content.province_preferences.len() > 64
    {
        return Err("the product code or the province preferences are out of range");
    }
    Ok((content, capacity))
}

/// Opens a closed round: with a custodian's share (threshold mode, once the quorum is
/// reached) or with the master key (master mode). Call with the round locked.
pub async fn present_share(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    user: Uuid,
    actor: &Actor,
    share: Option<&str>,
) -> Result<OpeningState, ApiError> {
    if round.status == RoundStatus::Opened || round.opened_at.is_some() {
        return Ok(OpeningState {
            status: RoundStatus::Opened.as_str(),
            presented: 0,
            quorum: round.quorum,
            bids_revealed: None,
            opened_by_this_call: false,
        });
    }
    if round.status != RoundStatus::Closed {
        return Err(ApiError::rule(
            "round_not_closed",
            format!("a {} round cannot be opened", round.status),
        ));
    }
    let public = round
        .public_key
        .clone()
        .ok_or_else(|| ApiError::internal("published round without a key"))?;
    let secret: Zeroizing<Vec<u8>> = if round.key_mode == "master" {
        let wrapped = round
            .wrapped_key
            .as_deref()
            .ok_or_else(|| ApiError::internal("master-mode round without its key"))?;
        settings
            .master_key
            .unwrap(wrapped, format!("round:{}:key", round.id).as_bytes())
            .map_err(|_| {
                ApiError::internal("the round key does not unwrap with this VBP_MASTER_KEY")
            })?
    } else {
        let share = share
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .ok_or_else(|| {
                ApiError::invalid("share", "is required: the opening-key share you fetched")
            })?;
        let custodians = Custodian::of_round(conn, round.id).await?;
        let me = custodians
            .iter()
            .find(|c| c.user_id == user)
            .ok_or_else(|| {
                ApiError::forbidden("you are not a custodian of this round's opening key")
            })?;
        let commitment = me
            .share_commitment
            .clone()
            .ok_or_else(|| ApiError::internal("custodian without a commitment"))?;
        if sealing::sha256_hex(share.as_bytes()) != commitment {
            audit::record(
                conn,
                actor,
                "round.share_refused",
                "round",
                &round.id.to_string(),
                json!({ "custodian": user }),
            )
            .await?;
            return Err(ApiError::rule(
                "share_not_yours",
                "this share is not the one dealt to you (forged or mistyped); nothing was recorded",
            ));
        }
        let wrapped = settings
            .master_key
            .wrap(
                share.as_bytes(),
                format!("round:{}:presented:{user}", round.id).as_bytes(),
            )
            .map_err(ApiError::internal)?;
        if !OpeningShares::add(conn, round.id, user, &wrapped).await? {
            return Err(ApiError::conflict(
                "share_presented",
                "you have presented your share already",
            ));
        }
        audit::record(
            conn,
            actor,
            "round.share_presented",
            "round",
            &round.id.to_string(),
            json!({ "custodian": user }),
        )
        .await?;
        let presented = OpeningShares::of_round(conn, round.id).await?;
        if presented.len() < round.quorum as usize {
            return Ok(OpeningState {
                status: "waiting",
                presented: presented.len(),
                quorum: round.quorum,
                bids_revealed: None,
                opened_by_this_call: false,
            });
        }
        let mut pairs = Vec::with_capacity(presented.len());
        for (uid, wrapped) in &presented {
            let text = settings
                .master_key
                .unwrap(
                    wrapped,
                    format!("round:{}:presented:{uid}", round.id).as_bytes(),
                )
                .map_err(ApiError::internal)?;
            let commitment = custodians
                .iter()
                .find(|c| c.user_id == *uid)
                .and_then(|c| c.share_commitment.clone())
                .ok_or_else(|| ApiError::internal("presented share of a non-custodian"))?;
            pairs.push((String::from_utf8_lossy(&text).into_owned(), commitment));
        }
        let k = u8::try_from(round.quorum).map_err(ApiError::internal)?;
        sealing::combine(&pairs, k, &public).map_err(|e| {
            ApiError::rule(
                "shares_do_not_open",
                format!("the shares do not open this round: {e}"),
            )
        })?
    };
    let revealed = reveal_all(conn, round, &secret).await?;
    OpeningShares::clear(conn, round.id).await?;
    Round::set_status(conn, round.id, RoundStatus::Opened).await?;
    audit::record(
        conn,
        actor,
        "round.open",
        "round",
        &round.id.to_string(),
        json!({ "bids_revealed": revealed, "key_mode": round.key_mode }),
    )
    .await?;
    notify_round_opened(conn, settings, round).await?;
    Ok(OpeningState {
        status: RoundStatus::Opened.as_str(),
        presented: round.quorum as usize,
        quorum: round.quorum,
        bids_revealed: Some(revealed),
        opened_by_this_call: true,
    })
}

async fn notify_round_opened(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
) -> Result<(), ApiError> {
    use crate::platform::db::schema::bids;
    let orgs: Vec<Uuid> = bids::table
        .filter(bids::round_id.eq(round.id))
        .filter(bids::status.eq(BidStatus::Live))
        .select(bids::supplier_org_id)
        .distinct()
        .load(conn)
        .await?;
    notify_suppliers(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        round,
        &orgs,
        "round_opened",
        "opened",
    )
    .await?;
    Ok(())
}

/// Encodes a share for the custodian.
pub fn share_text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| B64.encode(bytes))
}
