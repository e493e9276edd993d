//! A bid's terms and checks: what a sealed bid holds, the bytes bound to its seal and
//! receipt, the round's bidding terms (cached per terms version), and the checks of an
//! offer against the catalog, eligibility and the ceiling. Called by the bid writer.

use crate::{
    catalog::queries::CatalogItem,
    platform::error::{ApiError, FieldError},
    rounds::{
        queries::{LotRow, Round},
        service::{lot_of, product_of, rules_of},
    },
};
use bidding_core::RoundStatus;
use bidding_core::{
    Consistency, DosageForm, Lot, Product, ProductKind, RoundRules, UnitPrice,
    catalog::parse_dosage_form,
};
use chrono::{DateTime, Utc};
use diesel_async::AsyncPgConnection;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

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
