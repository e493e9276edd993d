//! Evaluation: the opened bids, lots, demand and supplier standing read into a
//! [`bidding_core::RoundInput`] (lots by number, bids and suppliers by a dense index,
//! provinces by code), computed by the core, mapped back to UUIDs and names and stored
//! with its digest. Runs inside the caller's transaction, with its audit entries.

use super::{
    dto::{
        Allocation, AllocationLine, BackupLine, BidEvaluation, Evaluation, LotEvaluation,
        RevivalCandidate, RevivalOffer, RevivalRef, StoredEvaluation,
    },
    reasons::reason_text,
    revival::{RevivalResponse, notify_revival},
    service::province_names,
};
use crate::platform::auth::OrgStatus;
use crate::{
    bids::queries::BidRow,
    catalog::queries::{CatalogItem, Ceiling},
    platform::{
        audit::{self, Actor},
        db::{
            clock, core_date, naive_date,
            schema::{organisations, revival_offers, round_evaluations, rounds, supplier_bars},
        },
        error::ApiError,
        settings::Settings,
    },
    rounds::{
        queries::{DemandRow, LotRow, Round},
        service::{product_of, rules_of},
    },
};
use bidding_core::RoundStatus;
use bidding_core::{
    BidId, EligibilityContext, Exclusion, LotId, LotOutcome, ProvinceCode, ProvinceDemand,
    RoundInput, SupplierId, Timestamp, UnitPrice,
};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use std::collections::HashMap;
use uuid::Uuid;

/// The evaluation stored for a round, if any.
pub async fn stored(
    conn: &mut AsyncPgConnection,
    round: Uuid,
) -> Result<Option<StoredEvaluation>, ApiError> {
    let row: Option<(String, Value)> = round_evaluations::table
        .find(round)
        .select((round_evaluations::digest, round_evaluations::result))
        .first(conn)
        .await
        .optional()?;
    row.map(|(digest, v)| {
        Ok(StoredEvaluation {
            digest,
            evaluation: serde_json::from_value(v).map_err(ApiError::internal)?,
        })
    })
    .transpose()
}

/// Suppliers barred on `day`: org -> last barred day.
async fn bars_on(
    conn: &mut AsyncPgConnection,
    orgs: &[Uuid],
    day: NaiveDate,
) -> Result<HashMap<Uuid, NaiveDate>, ApiError> {
    let rows: Vec<(Uuid, NaiveDate)> = supplier_bars::table
        .filter(supplier_bars::org_id.eq_any(orgs))
        .filter(supplier_bars::barred_from.le(day))
        .filter(supplier_bars::barred_until.ge(day))
        .select((supplier_bars::org_id, supplier_bars::barred_until))
        .load(conn)
        .await?;
    let mut out = HashMap::new();
    for (org, until) in rows {
        let e = out.entry(org).or_insert(until);
        if until > *e {
            *e = until;
        }
    }
    Ok(out)
}

fn province_code(code: &str) -> Result<ProvinceCode, ApiError> {
    code.trim()
        .parse::<u32>()
        .map(ProvinceCode)
        .map_err(|_| ApiError::internal(format!("bad province code {code:?}")))
}

fn province_text(code: ProvinceCode) -> String {
    format!("{:06}", code.0)
}

/// The round read into bidding-core's terms, with the maps back to the database.
struct Input {
    input: RoundInput,
    lots: Vec<LotRow>,
    /// Bids by dense index (BidId - 1), in id order.
    bids: Vec<BidRow>,
    /// Supplier organisations by dense index (SupplierId - 1).
    suppliers: Vec<Uuid>,
    names: HashMap<Uuid, String>,
    province_names: HashMap<String, String>,
}

impl Input {
    fn bid(&self, id: BidId) -> Result<&BidRow, ApiError> {
        usize::try_from(id.0 - 1)
            .ok()
            .and_then(|i| self.bids.get(i))
            .ok_or_else(|| ApiError::internal("unknown bid index"))
    }
    fn supplier(&self, id: SupplierId) -> Result<Uuid, ApiError> {
        usize::try_from(id.0 - 1)
            .ok()
            .and_then(|i| self.suppliers.get(i).copied())
            .ok_or_else(|| ApiError::internal("unknown supplier index"))
    }
    fn supplier_id(&self, org: Uuid) -> Option<SupplierId> {
        self.suppliers
            .binary_search(&org)
            .ok()
            .map(|i| SupplierId(i as i64 + 1))
    }
    fn name(&self, org: Uuid) -> String {
        self.names.get(&org).cloned().unwrap_or_default()
    }
}

async fn read_input(
    conn: &mut AsyncPgConnection,
    round: &Round,
    cycle_start: NaiveDate,
    today: NaiveDate,
    accepted: &[RevivalRef],
) -> Result<Input, ApiError> {
    let rules = rules_of(round)?;
    let lots = LotRow::of_round(conn, round.id).await?;
    let ceilings_date = round
        .ceilings_date
        .ok_or_else(|| ApiError::internal("published round without ceilings date"))?;
    let mut bids: Vec<BidRow> = BidRow::live_of_round(conn, round.id, round.terms_version)
        .await?
        .into_iter()
        .filter(|b| b.opened_at.is_some())
        .collect();
    bids.sort_by_key(|b| b.id);
    let mut suppliers: Vec<Uuid> = bids.iter().map(|b| b.supplier_org_id).collect();
    suppliers.sort();
    suppliers.dedup();

    // every catalog item involved, with its ceiling on the ceilings date
    let mut codes: Vec<String> = lots.iter().map(|l| l.representative_code.clone()).collect();
    codes.extend(bids.iter().filter_map(|b| b.product_code.clone()));
    codes.sort();
    codes.dedup();
    let ceilings: HashMap<String, Decimal> = Ceiling::valid_at(conn, &codes, ceilings_date)
        .await?
        .into_iter()
        .map(|c| (c.item_code, c.price))
        .collect();
    let items: HashMap<String, (CatalogItem, Option<Decimal>)> =
        CatalogItem::by_codes(conn, &codes)
            .await?
            .into_iter()
            .map(|(code, item)| {
                let ceiling = ceilings.get(&code).copied();
                (code, (item, ceiling))
            })
            .collect();

    let mut core_lots = Vec::with_capacity(lots.len());
    for lot in &lots {
        let (rep, _) = items
            .get(&lot.representative_code)
            .ok_or_else(|| ApiError::internal("a lot's representative item is missing"))?;
        core_lots.push(crate::rounds::service::lot_of(lot, rep).map_err(ApiError::internal)?);
    }
    let lot_number: HashMap<Uuid, i32> = lots.iter().map(|l| (l.id, l.number)).collect();

    let mut core_bids = Vec::with_capacity(bids.len());
    for (i, b) in bids.iter().enumerate() {
        let product = match b.product_code.as_deref().and_then(|c| items.get(c)) {
            Some((item, ceiling)) => Some(product_of(item, *ceiling).map_err(ApiError::internal)?),
            None => None,
        };
        let prefs: Vec<String> = b
            .province_preferences
            .clone()
            .map(serde_json::from_value)
            .transpose()
            .map_err(ApiError::internal)?
            .unwrap_or_default();
        let unit_price = b
            .unit_price
            .ok_or_else(|| ApiError::internal("an opened bid without a price"))?;
        core_bids.push(bidding_core::Bid {
            id: BidId(i as i64 + 1),
            lot_id: LotId(i64::from(
                *lot_number
                    .get(&b.lot_id)
                    .ok_or_else(|| ApiError::internal("bid of an unknown lot"))?,
            )),
            supplier_id: SupplierId(
                suppliers
                    .binary_search(&b.supplier_org_id)
                    .map_err(|_| ApiError::internal("unknown supplier"))? as i64
                    + 1,
            ),
            product,
            unit_price: UnitPrice::new(unit_price).map_err(ApiError::internal)?,
            annual_capacity: u64::try_from(b.annual_capacity.unwrap_or(0)).unwrap_or(0),
            submitted_at: Timestamp(b.submitted_at.timestamp_micros()),
            province_preferences: prefs
                .iter()
                .map(|p| province_code(p))
                .collect::<Result<_, _>>()?,
        });
    }

    let demand = DemandRow::of_round(conn, round.id, None)
        .await?
        .into_iter()
        .map(|d| {
            Ok(ProvinceDemand {
                lot_id: LotId(i64::from(
                    *lot_number
                        .get(&d.lot_id)
                        .ok_or_else(|| ApiError::internal("demand of an unknown lot"))?,
                )),
                province: province_code(&d.province)?,
                annual_demand: u64::try_from(d.annual_quantity).map_err(ApiError::internal)?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()?;

    // the suppliers' standing on the evaluation day
    let standing: Vec<(Uuid, String, OrgStatus)> = organisations::table
        .filter(organisations::id.eq_any(&suppliers))
        .select((
            organisations::id,
            organisations::name,
            organisations::status,
        ))
        .load(conn)
        .await?;
    let bars = bars_on(conn, &suppliers, today).await?;
    let mut context = EligibilityContext::default();
    let mut names = HashMap::new();
    for (org, name, status) in standing {
        let Ok(i) = suppliers.binary_search(&org) else {
            continue;
        };
        let id = SupplierId(i as i64 + 1);
        if let Some(until) = bars.get(&org) {
            context.excluded.insert(
                id,
                Exclusion::Barred {
                    until: Some(core_date(*until)?),
                },
            );
        } else if status != OrgStatus::Active {
            context.excluded.insert(id, Exclusion::Inactive);
        }
        names.insert(org, name);
    }
    let province_names = province_names(conn).await?;

    let mut this = Input {
        input: RoundInput {
            rules,
            lots: core_lots,
            bids: core_bids,
            demand,
            context,
            accepted_revivals: Vec::new(),
            cycle_start: core_date(cycle_start)?,
        },
        lots,
        bids,
        suppliers,
        names,
        province_names,
    };
    let mut revivals = Vec::new();
    for a in accepted {
        let number = lot_number
            .get(&a.lot_id)
            .ok_or_else(|| ApiError::internal("revival of an unknown lot"))?;
        let s = this
            .supplier_id(a.supplier_org_id)
            .ok_or_else(|| ApiError::internal("revival of an unknown supplier"))?;
        revivals.push((LotId(i64::from(*number)), s));
    }
    this.input.accepted_revivals = revivals;
    Ok(this)
}

/// Runs bidding-core on the round and maps the result back to the database's ids.
async fn compute(
    conn: &mut AsyncPgConnection,
    round: &Round,
    cycle_start: NaiveDate,
    accepted: &[RevivalRef],
) -> Result<(Evaluation, Value), ApiError> {
    let now = clock(conn).await?;
    let data = read_input(
        conn,
        round,
        cycle_start,
        crate::platform::db::china_date(now),
        accepted,
    )
    .await?;
    let result = bidding_core::run_round(&data.input).map_err(|e| {
        ApiError::rule(
            "evaluation_refused",
            format!("the round cannot be evaluated: {e}"),
        )
    })?;
    let mut lots = Vec::with_capacity(result.lots.len());
    for lr in &result.lots {
        let ev = &lr.evaluation;
        let lot = data
            .lots
            .iter()
            .find(|l| i64::from(l.number) == ev.lot_id.0)
            .ok_or_else(|| ApiError::internal("result of an unknown lot"))?;
        let mut bids = Vec::with_capacity(ev.bids.len());
        for b in &ev.bids {
            let row = data.bid(b.bid_id)?;
            let org = data.supplier(b.supplier_id)?;
            let awarded = ev.winners.iter().find(|w| w.bid_id == b.bid_id);
            bids.push(BidEvaluation {
                bid_id: row.id,
                supplier_org_id: org,
                supplier_name: data.name(org),
                product_code: row.product_code.clone().unwrap_or_default(),
                unit_price: b.unit_price.value(),
                ucp: b.ucp.map(UnitPrice::value),
                rank: b.rank,
                won: b.outcome.is_won(),
                awarded_unit_price: awarded.map(|w| w.unit_price.value()),
                awarded_ucp: awarded.map(|w| w.ucp.value()),
                outcome: serde_json::to_value(&b.outcome).map_err(ApiError::internal)?,
                reason: reason_text(&b.outcome),
            });
        }
        let revival = match &ev.revival {
            Some(offer) if !offer.candidates.is_empty() => {
                let mut candidates = Vec::new();
                for c in &offer.candidates {
                    let org = data.supplier(c.supplier_id)?;
                    candidates.push(RevivalCandidate {
                        bid_id: data.bid(c.bid_id)?.id,
                        supplier_org_id: org,
                        supplier_name: data.name(org),
                        rank: c.rank,
                        ucp: c.ucp.value(),
                        revival_unit_price: c.revival_unit_price.value(),
                        revival_ucp: c.revival_ucp.value(),
                    });
                }
                Some(RevivalOffer {
                    ucp: offer.ucp.value(),
                    places: offer.places,
                    candidates,
                })
            }
            _ => None,
        };
        let allocation = match &lr.allocation {
            None => None,
            Some(a) => {
                let mut lines = Vec::with_capacity(a.lines.len());
                for l in &a.lines {
                    let row = data.bid(l.bid_id)?;
                    let org = data.supplier(l.supplier_id)?;
                    let province = province_text(l.province);
                    let backup = match l.backup {
                        None => None,
                        Some(b) => {
                            let borg = data.supplier(b.supplier_id)?;
                            let rank = ev
                                .winners
                                .iter()
                                .find(|w| w.bid_id == b.bid_id)
                                .map(|w| w.rank)
                                .ok_or_else(|| ApiError::internal("backup is not a winner"))?;
                            Some(BackupLine {
                                supplier_org_id: borg,
                                supplier_name: data.name(borg),
                                bid_id: data.bid(b.bid_id)?.id,
                                rank,
                                unit_price: b.unit_price.value(),
                            })
                        }
                    };
                    lines.push(AllocationLine {
                        province_name: data
                            .province_names
                            .get(&province)
                            .cloned()
                            .unwrap_or_default(),
                        province,
                        supplier_org_id: org,
                        supplier_name: data.name(org),
                        bid_id: row.id,
                        product_code: row.product_code.clone().unwrap_or_default(),
                        rank: l.rank,
                        unit_price: l.unit_price.value(),
                        annual_demand: l.annual_demand,
                        agreed_volume: l.agreed_volume,
                        annual_amount: l.annual_amount.value(),
                        draft_turn: l.draft_turn,
                        pick: serde_json::to_value(l.pick).map_err(ApiError::internal)?,
                        backup,
                    });
                }
                Some(Allocation {
                    winners: a.winners,
                    volume_ratio: a.volume_ratio,
                    cycle_years: a.cycle_years,
                    cycle_start: naive_date(a.cycle_start)?,
                    cycle_end: naive_date(a.cycle_end)?,
                    total_demand: a.total_demand,
                    agreed_volume: a.agreed_volume,
                    annual_amount: a.annual_amount.value(),
                    lines,
                })
            }
        };
        let (status, unsuccessful_reason) = match ev.outcome {
            LotOutcome::Successful => ("successful", None),
            LotOutcome::Unsuccessful { reason } => (
                "unsuccessful",
                Some(serde_json::to_value(reason).map_err(ApiError::internal)?),
            ),
        };
        lots.push(LotEvaluation {
            lot_id: lot.id,
            number: lot.number,
            generic_name: lot.generic_name.clone(),
            dosage_form: lot.dosage_form.clone(),
            representative_code: lot.representative_code.clone(),
            ceiling: lot.ceiling,
            previous_price: lot.previous_price,
            status: status.into(),
            unsuccessful_reason,
            valid_bidders: ev.valid_bidders,
            max_winners: ev.max_winners,
            lowest_ucp: ev.lowest_ucp.map(UnitPrice::value),
            selection_limit: ev.selection_limit,
            highest_winning_ucp: ev.highest_winning_ucp.map(UnitPrice::value),
            bids,
            revival,
            allocation,
        });
    }
    lots.sort_by_key(|l| l.number);
    let input = serde_json::to_value(&data.input).map_err(ApiError::internal)?;
    Ok((
        Evaluation {
            round_id: round.id,
            evaluated_at: now,
            cycle_start,
            revival_deadline: round.revival_deadline,
            accepted_revivals: accepted.to_vec(),
            lots,
        },
        input,
    ))
}

/// Evaluates (or re-evaluates) an opened round and stores the result for review.
/// The first evaluation opens the revival window where a lot has revival candidates.
/// Call with the round locked.
pub async fn evaluate(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    actor: &Actor,
    user: Uuid,
    cycle_start: NaiveDate,
    revival_window: chrono::Duration,
) -> Result<StoredEvaluation, ApiError> {
    let action = if round.status == RoundStatus::Evaluated {
        bidding_core::RoundAction::Reevaluate
    } else {
        bidding_core::RoundAction::Evaluate
    };
    let next = crate::rounds::service::transition(round, action, None)?;
    let accepted: Vec<RevivalRef> = revival_offers::table
        .filter(revival_offers::round_id.eq(round.id))
        .filter(revival_offers::response.eq(RevivalResponse::Accepted))
        .order((revival_offers::lot_id, revival_offers::supplier_org_id))
        .select((revival_offers::lot_id, revival_offers::supplier_org_id))
        .load::<(Uuid, Uuid)>(conn)
        .await?
        .into_iter()
        .map(|(lot_id, supplier_org_id)| RevivalRef {
            lot_id,
            supplier_org_id,
        })
        .collect();
    let (mut evaluation, input) = compute(conn, round, cycle_start, &accepted).await?;

    // the revival window opens once, at the first evaluation that has candidates
    let mut offers_made = 0usize;
    let has_offers: bool = diesel::select(diesel::dsl::exists(
        revival_offers::table.filter(revival_offers::round_id.eq(round.id)),
    ))
    .get_result(conn)
    .await?;
    if !has_offers && evaluation.lots.iter().any(|l| l.revival.is_some()) {
        let deadline = evaluation.evaluated_at + revival_window;
        for lot in &evaluation.lots {
            let Some(offer) = &lot.revival else { continue };
            for c in &offer.candidates {
                diesel::insert_into(revival_offers::table)
                    .values((
                        revival_offers::round_id.eq(round.id),
                        revival_offers::lot_id.eq(lot.lot_id),
                        revival_offers::supplier_org_id.eq(c.supplier_org_id),
                        revival_offers::bid_id.eq(c.bid_id),
                        revival_offers::offer_ucp.eq(offer.ucp),
                        revival_offers::unit_price.eq(c.revival_unit_price),
                    ))
                    .execute(conn)
                    .await?;
                offers_made += 1;
            }
        }
        diesel::update(rounds::table.find(round.id))
            .set(rounds::revival_deadline.eq(deadline))
            .execute(conn)
            .await?;
        evaluation.revival_deadline = Some(deadline);
        notify_revival(conn, settings, round, &evaluation, deadline).await?;
    }

    let bytes = serde_json::to_vec(&evaluation).map_err(ApiError::internal)?;
    let digest = crate::platform::sealing::sha256_hex(&bytes);
    let result: Value = serde_json::from_slice(&bytes).map_err(ApiError::internal)?;
    diesel::insert_into(round_evaluations::table)
        .values((
            round_evaluations::round_id.eq(round.id),
            round_evaluations::digest.eq(&digest),
            round_evaluations::result.eq(&result),
            round_evaluations::input.eq(&input),
            round_evaluations::evaluated_by.eq(user),
            round_evaluations::evaluated_at.eq(evaluation.evaluated_at),
        ))
        .on_conflict(round_evaluations::round_id)
        .do_update()
        .set((
            round_evaluations::digest.eq(&digest),
            round_evaluations::result.eq(&result),
            round_evaluations::input.eq(&input),
            round_evaluations::evaluated_by.eq(user),
            round_evaluations::evaluated_at.eq(evaluation.evaluated_at),
        ))
        .execute(conn)
        .await?;
    diesel::update(rounds::table.find(round.id))
        .set((
            rounds::status.eq(next),
            rounds::cycle_start.eq(cycle_start),
            rounds::evaluated_at.eq(evaluation.evaluated_at),
            rounds::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    let successful = evaluation
        .lots
        .iter()
        .filter(|l| l.status == "successful")
        .count();
    audit::record(
        conn,
        actor,
        if action == bidding_core::RoundAction::Evaluate {
            "round.evaluate"
        } else {
            "round.reevaluate"
        },
        "round",
        &round.id.to_string(),
        json!({
            "digest": digest,
            "lots": evaluation.lots.len(),
            "successful_lots": successful,
            "cycle_start": cycle_start,
            "accepted_revivals": evaluation.accepted_revivals,
            "revival_offers_made": offers_made,
            "revival_deadline": evaluation.revival_deadline,
        }),
    )
    .await?;
    Ok(StoredEvaluation { digest, evaluation })
}
