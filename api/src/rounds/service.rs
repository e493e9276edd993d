//! Tender rounds: the life of a round, sealed bids, closing and the threshold opening.
//!
//! Handlers in routes/rounds.rs, routes/bids.rs and the job worker call these; each
//! function runs inside the caller's transaction and writes its audit entries there.

use base64::{Engine, engine::general_purpose::STANDARD as B64};
use bidding_core::{
    Consistency, DosageForm, Lot, Product, ProductKind, Quantity, RoundRules, Specification,
    UnitPrice, VolumeClass,
    catalog::{parse_consistency, parse_dosage_form, parse_kind, parse_unit},
};
use chrono::{DateTime, Utc};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use uuid::Uuid;
use zeroize::Zeroizing;

use crate::rounds::queries::BidStatus;
use crate::{
    catalog::queries::CatalogItem,
    platform::{
        audit::{self, Actor},
        db::clock,
        error::{ApiError, FieldError},
        sealing::{self, MasterKey},
        settings::Settings,
    },
    rounds::queries::{BidRow, Custodian, LotRow, OpeningShares, RegisterRow, Round},
};
use bidding_core::RoundStatus;

/// What a sealed bid contains. Only this process sees it in clear, at submission (to run
/// the eligibility and ceiling checks) and at the opening.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct SealedContent {
    pub product_code: String,
    pub unit_price: UnitPrice,
    pub annual_capacity: u64,
    pub province_preferences: Vec<String>,
}

/// The HPKE `info`: binds a ciphertext to its round, terms, lot and supplier.
pub fn bid_info(round: Uuid, terms_version: i32, lot: Uuid, supplier: Uuid) -> Vec<u8> {
    format!("vbp-bid-v1|round={round}|terms={terms_version}|lot={lot}|supplier={supplier}")
        .into_bytes()
}

/// The exact text a receipt signature covers (README shows how to verify it).
pub fn receipt_message(
    bid: Uuid,
    round: Uuid,
    lot: Uuid,
    supplier: Uuid,
    submitted_at: DateTime<Utc>,
    commitment: &str,
) -> String {
    format!(
        "vbp-bid-receipt-v1\nbid={bid}\nround={round}\nlot={lot}\nsupplier={supplier}\nsubmitted_at={}\ncommitment={commitment}\n",
        submitted_at.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
    )
}

/// A catalog item as the rules see it.
pub fn product_of(item: &CatalogItem, ceiling: Option<Decimal>) -> Result<Product, String> {
    let kind = parse_kind(&item.kind).ok_or_else(|| format!("unknown kind {:?}", item.kind))?;
    let dosage_form = match (&item.dosage_form, kind) {
        (Some(f), _) => parse_dosage_form(f).ok_or_else(|| format!("unknown dosage form {f:?}"))?,
        (None, ProductKind::Consumable) => DosageForm::Device,
        (None, ProductKind::Drug) => return Err("a drug without a dosage form".into()),
    };
    let quantity =
        |amount: Option<Decimal>, unit: &Option<String>| -> Result<Option<Quantity>, String> {
            match (amount, unit) {
                (Some(a), Some(u)) => {
                    let (unit, _) = parse_unit(u).ok_or_else(|| format!("unknown unit {u:?}"))?;
                    Quantity::new(a, unit).map(Some).map_err(|e| e.to_string())
                }
                _ => Ok(None),
            }
        };
    Ok(Product {
        code: item.code.clone(),
        kind,
        generic_name: item.generic_name.clone(),
        spec: Specification {
            dosage_form,
            strength: quantity(item.strength, &item.strength_unit)?,
            fill_volume: quantity(item.fill_volume, &item.fill_volume_unit)?,
            pack_count: u32::try_from(item.pack_count).map_err(|_| "pack count out of range")?,
            min_unit: item.min_unit.clone(),
        },
        consistency: item.consistency.as_deref().and_then(parse_consistency),
        ceiling: ceiling
            .map(UnitPrice::round)
            .transpose()
            .map_err(|e| e.to_string())?,
    })
}

/// A lot as the rules see it.
pub fn lot_of(lot: &LotRow, representative: &CatalogItem) -> Result<Lot, String> {
    let rep = product_of(representative, None)?;
    Ok(Lot {
        id: bidding_core::LotId(i64::from(lot.number)),
        generic_name: lot.generic_name.clone(),
        kind: rep.kind,
        representative: rep.spec,
        ceiling_ucp: lot
            .ceiling
            .map(UnitPrice::round)
            .transpose()
            .map_err(|e| e.to_string())?,
        volume_class: if lot.special_antibacterial {
            VolumeClass::SpecialAntibacterial
        } else {
            VolumeClass::Standard
        },
    })
}

/// Why a product may not be bid in a lot, in words for the supplier; `None` when it may.
pub fn ineligibility(
    product: &Product,
    item: &CatalogItem,
    lot: &LotRow,
    supplier: Uuid,
    round_kind: &str,
) -> Option<String> {
    if bidding_core::catalog::kind_name(product.kind) != round_kind {
        return Some(format!(
            "{} is a {} but this is a {round_kind} round",
            item.code, item.kind
        ));
    }
    if item.generic_name != lot.generic_name {
        return Some(format!(
            "{} is {}, but lot {} is {}",
            item.code, item.generic_name, lot.number, lot.generic_name
        ));
    }
    if let (Some(lot_form), Some(form)) = (&lot.dosage_form, &item.dosage_form)
        && parse_dosage_form(lot_form).map(DosageForm::class)
            != parse_dosage_form(form).map(DosageForm::class)
    {
        return Some(format!(
            "{} is a {form}, lot {} takes {lot_form}",
            item.code, lot.number
        ));
    }
    if product.kind == ProductKind::Drug
        && !matches!(
            product.consistency,
            Some(Consistency::Originator | Consistency::Reference | Consistency::Passed)
        )
    {
        return Some(format!(
            "{} has not passed the consistency evaluation (only originator, reference or passed drugs may bid)",
            item.code
        ));
    }
    if item.manufacturer_org_id != Some(supplier) {
        return Some(format!(
            "{} is registered to {}, not to your organisation",
            item.code, item.manufacturer
        ));
    }
    None
}

/// The refusal of a bid above its ceiling: the bid's UCP and the ceiling that applied.
fn ceiling_refusal(check: bidding_core::CeilingCheck, ucp: UnitPrice) -> ApiError {
    let message = match check {
        bidding_core::CeilingCheck::ItemCeiling { price, ceiling } => format!(
            "{price} per minimum unit (unit comparable price {ucp}) is above this item's ceiling of {ceiling}: the bid would be invalid"
        ),
        bidding_core::CeilingCheck::LotCeilingUcp { ucp, ceiling_ucp } => format!(
            "the bid's unit comparable price {ucp} is above the lot's ceiling {ceiling_ucp}: the bid would be invalid"
        ),
    };
    ApiError::Validation(vec![FieldError::field("unit_price", message)])
        .with_code("bid_above_ceiling")
}

/// The checks of an offered product: in the national catalog (`item`, with its ceiling on
/// the round's ceilings date, `None` when the code is not), eligible for the lot and the
/// supplier, and not above the ceiling (a 422 naming the bid's UCP and the ceiling).
pub fn check_offer(
    terms: &BiddingTerms,
    lot_id: Uuid,
    supplier: Uuid,
    code: &str,
    price: UnitPrice,
    item: Option<&(CatalogItem, Option<Decimal>)>,
) -> Result<(), ApiError> {
    let (lot, domain_lot) = terms
        .lots
        .get(&lot_id)
        .ok_or_else(|| ApiError::not_found("no such lot in this round"))?;
    let Some((item, ceiling)) = item else {
        return Err(ApiError::Validation(vec![FieldError::field(
            "product_code",
            format!("{code} is not in the national catalog"),
        )])
        .with_code("product_not_in_catalog"));
    };
    let product = product_of(item, *ceiling).map_err(ApiError::internal)?;
    if let Some(why) = ineligibility(&product, item, lot, supplier, &terms.kind) {
        return Err(ApiError::rule(
            "bid_ineligible",
            format!("ineligible: {why}"),
        ));
    }
    let domain_lot = domain_lot
        .as_ref()
        .map_err(|e| ApiError::internal(e.clone()))?;
    // a product the rules cannot compare with the lot's representative is ineligible too
    let refuse = |e: bidding_core::BiddingError| {
        ApiError::rule("bid_ineligible", format!("ineligible: {e}"))
    };
    if let Some(check) =
        bidding_core::above_ceiling(domain_lot, &product, price, &terms.rules).map_err(refuse)?
    {
        let ucp =
            bidding_core::bid_ucp(domain_lot, &product, price, &terms.rules).map_err(refuse)?;
        return Err(ceiling_refusal(check, ucp));
    }
    Ok(())
}

/// The rules a round stores, parsed.
pub fn rules_of(round: &Round) -> Result<RoundRules, ApiError> {
    serde_json::from_value(round.rules.clone()).map_err(ApiError::internal)
}

/// What the bids of a published round are checked and sealed against, fixed for one terms
/// version: the kind, the rules, the public key, the ceilings date and the lots with their
/// representative specifications. None of it can change while bidding is open without
/// raising `terms_version` (lots and ceilings are frozen at publication; a rules change
/// bumps the version), so it is read once per process and version instead of per bid.
pub struct BiddingTerms {
    pub round_id: Uuid,
    pub terms_version: i32,
    pub kind: String,
    pub rules: RoundRules,
    pub public_key: Vec<u8>,
    pub ceilings_date: chrono::NaiveDate,
    /// Each lot with its domain form (or why it could not be built).
    pub lots: std::collections::HashMap<Uuid, (LotRow, Result<Lot, String>)>,
}

/// Bidding terms by round id (the newest version seen). Bounded: cleared when full.
static BIDDING_TERMS: std::sync::LazyLock<
    std::sync::Mutex<std::collections::HashMap<Uuid, std::sync::Arc<BiddingTerms>>>,
> = std::sync::LazyLock::new(Default::default);
const BIDDING_TERMS_MAX: usize = 512;

/// The cached terms of a round, of whatever version was read last.
pub fn cached_terms(round: Uuid) -> Option<std::sync::Arc<BiddingTerms>> {
    BIDDING_TERMS
        .lock()
        .ok()
        .and_then(|cache| cache.get(&round).cloned())
}

/// Reads the terms of a round that is open for bids and caches them.
pub async fn load_terms(
    conn: &mut AsyncPgConnection,
    round_id: Uuid,
) -> Result<std::sync::Arc<BiddingTerms>, ApiError> {
    let round = Round::find(conn, round_id).await?;
    if round.status != RoundStatus::BiddingOpen {
        return Err(ApiError::rule(
            "round_not_open",
            format!("the round is {}: it does not accept bids", round.status),
        ));
    }
    let public_key = round
        .public_key
        .clone()
        .ok_or_else(|| ApiError::internal("published round without a key"))?;
    let ceilings_date = round
        .ceilings_date
        .ok_or_else(|| ApiError::internal("published round without ceilings date"))?;
    let rules = rules_of(&round)?;
    let lot_rows = LotRow::of_round(conn, round_id).await?;
    let codes: Vec<String> = lot_rows
        .iter()
        .map(|l| l.representative_code.clone())
        .collect();
    let representatives = CatalogItem::by_codes(conn, &codes).await?;
    let mut lots = std::collections::HashMap::with_capacity(lot_rows.len());
    for lot in lot_rows {
        let representative = representatives
            .get(&lot.representative_code)
            .ok_or_else(|| ApiError::internal("a lot's representative item is missing"))?;
        let domain = lot_of(&lot, representative);
        lots.insert(lot.id, (lot, domain));
    }
    let terms = std::sync::Arc::new(BiddingTerms {
        round_id,
        terms_version: round.terms_version,
        kind: round.kind,
        rules,
        public_key,
        ceilings_date,
        lots,
    });
    if let Ok(mut cache) = BIDDING_TERMS.lock() {
        if cache.len() >= BIDDING_TERMS_MAX {
            cache.clear();
        }
        cache.insert(round_id, terms.clone());
    }
    Ok(terms)
}

/// The province codes (GB/T 2260, loaded by migration and never changed by the
/// application), read once per process.
pub async fn province_codes(
    pool: &crate::platform::db::Pool,
) -> Result<&'static std::collections::HashSet<String>, ApiError> {
    static CODES: tokio::sync::OnceCell<std::collections::HashSet<String>> =
        tokio::sync::OnceCell::const_new();
    CODES
        .get_or_try_init(|| async {
            let mut conn = pool.get().await?;
            Ok::<_, ApiError>(
                crate::accounts::queries::Province::all(&mut conn)
                    .await?
                    .into_iter()
                    .map(|p| p.code)
                    .collect(),
            )
        })
        .await
}

/// Moves the round on by `action`, or answers 422 naming the state it is in.
pub fn transition(
    round: &Round,
    action: bidding_core::RoundAction,
    reason: Option<&str>,
) -> Result<RoundStatus, ApiError> {
    bidding_core::transition(round.status, action, reason).map_err(|e| {
        ApiError::rule(
            "round_transition_refused",
            format!("round is {}: {e}", round.status),
        )
    })
}

/// Publication: freezes demand and ceilings, makes the round's key pair and deals its
/// private key: k-of-n shares to the custodians (each wrapped under the master key until
/// fetched), or, for quorum 1 in master mode, the key itself wrapped. The private key
/// exists only in this function's memory and is wiped when it returns.
pub async fn publish_keys(
    conn: &mut AsyncPgConnection,
    round: &Round,
    master: &MasterKey,
) -> Result<(Vec<u8>, Option<Vec<u8>>), ApiError> {
    let keys = sealing::generate_round_keys();
    let wrapped = match round.key_mode.as_str() {
        "master" => Some(
            master
                .wrap(&keys.secret, format!("round:{}:key", round.id).as_bytes())
                .map_err(ApiError::internal)?,
        ),
        _ => {
            let custodians = Custodian::of_round(conn, round.id).await?;
            let n = u8::try_from(custodians.len())
                .map_err(|_| ApiError::rule("custodians_invalid", "at most 255 custodians"))?;
            let k = u8::try_from(round.quorum)
                .map_err(|_| ApiError::internal("quorum out of range"))?;
            if n < k || k == 0 {
                return Err(ApiError::rule(
                    "custodians_invalid",
                    format!("the quorum is {k} but the round has {n} custodians"),
                ));
            }
            for (custodian, (share, commitment)) in
                custodians.iter().zip(sealing::split(&keys.secret, k, n))
            {
                let wrapped = master
                    .wrap(
                        share.as_bytes(),
                        format!("round:{}:share:{}", round.id, custodian.user_id).as_bytes(),
                    )
                    .map_err(ApiError::internal)?;
                Custodian::set_share(conn, round.id, custodian.user_id, &commitment, &wrapped)
                    .await?;
            }
            None
        }
    };
    Ok((keys.public.to_vec(), wrapped))
}

/// Closes bidding when the deadline has passed: waits for every bid transaction in
/// flight, then freezes the register. Returns the register size when it closed now.
pub async fn close_if_due(
    conn: &mut AsyncPgConnection,
    round_id: Uuid,
    actor: &Actor,
) -> Result<Option<usize>, ApiError> {
    Round::lock_for_closing(conn, round_id).await?;
    let round = Round::lock(conn, round_id).await?;
    if round.status != RoundStatus::BiddingOpen || clock(conn).await? < round.bidding_deadline {
        return Ok(None);
    }
    let frozen = RegisterRow::freeze(conn, round.id, round.terms_version).await?;
    Round::set_status(conn, round.id, RoundStatus::Closed).await?;
    audit::record(
        conn,
        actor,
        "round.close",
        "round",
        &round.id.to_string(),
        json!({ "register_size": frozen, "deadline": round.bidding_deadline, "terms_version": round.terms_version }),
    )
    .await?;
    Ok(Some(frozen))
}

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

/// Mails every user of the supplier organisations `orgs` with `template` about `round`.
pub async fn notify_suppliers(
    conn: &mut AsyncPgConnection,
    jobs_settings: &crate::platform::settings::JobSettings,
    public_url: &str,
    round: &Round,
    orgs: &[Uuid],
    template: &str,
    dedupe: &str,
) -> Result<usize, ApiError> {
    crate::platform::mail::mail_orgs(
        conn,
        jobs_settings,
        public_url,
        orgs,
        template,
        &format!("{}:{dedupe}", round.id),
        json!({
            "round_name": round.name,
            "round_id": round.id,
            "deadline": round.bidding_deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        }),
    )
    .await
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

/// Supplier organisations whose catalog products match one of the round's lots, less
/// those barred from today through the round's bidding deadline (they could not bid it,
/// so they are not invited, reminded or told of it).
pub async fn matching_suppliers(
    conn: &mut AsyncPgConnection,
    round: &Round,
) -> Result<Vec<Uuid>, ApiError> {
    use crate::platform::db::schema::{catalog_items, lots, supplier_bars};
    let names = lots::table
        .filter(lots::round_id.eq(round.id))
        .select(lots::generic_name);
    let orgs: Vec<Option<Uuid>> = catalog_items::table
        .filter(catalog_items::generic_name.eq_any(names))
        .filter(catalog_items::manufacturer_org_id.is_not_null())
        .select(catalog_items::manufacturer_org_id)
        .distinct()
        .load(conn)
        .await?;
    let today = crate::platform::db::china_date(clock(conn).await?);
    let barred: std::collections::HashSet<Uuid> = supplier_bars::table
        .filter(supplier_bars::barred_from.le(today))
        .filter(
            supplier_bars::barred_until.ge(crate::platform::db::china_date(round.bidding_deadline)),
        )
        .select(supplier_bars::org_id)
        .load::<Uuid>(conn)
        .await?
        .into_iter()
        .collect();
    Ok(orgs
        .into_iter()
        .flatten()
        .filter(|o| !barred.contains(o))
        .collect())
}

/// Encodes a share for the custodian.
pub fn share_text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap_or_else(|_| B64.encode(bytes))
}
