//! Tender rounds: their life (transitions, publication with its key shares, closing at
//! the deadline), the mapping of lots and catalog items to the rules' types, and the
//! suppliers a round concerns. Each function runs inside the caller's transaction and
//! writes its audit entries there; bids and the opening are in `bids`.

use bidding_core::{
    DosageForm, Lot, Product, ProductKind, Quantity, RoundRules, Specification, UnitPrice,
    VolumeClass,
    catalog::{parse_consistency, parse_dosage_form, parse_kind, parse_unit},
};
use diesel::{ExpressionMethods, QueryDsl};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use crate::platform::auth::{AuthUser, Role};
use crate::{
    bids::queries::RegisterRow,
    catalog::queries::CatalogItem,
    platform::{
        audit::{self, Actor},
        db::clock,
        error::ApiError,
        sealing::{self, MasterKey},
    },
    rounds::queries::{Custodian, LotRow, Round},
};
use bidding_core::RoundStatus;

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

/// The rules a round stores, parsed.
pub fn rules_of(round: &Round) -> Result<RoundRules, ApiError> {
    serde_json::from_value(round.rules.clone()).map_err(ApiError::internal)
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

/// The round, if this user may see it: drafts are the officers', admins' and auditors'
/// only (anyone else gets the same 404 as for no round).
pub async fn visible_round(
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
