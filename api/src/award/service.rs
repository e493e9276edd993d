//! Evaluation, revival, award and contracts: the database side of bidding-core's
//! `run_round`.
//!
//! The opened bids, lots, demand and supplier standing are read into a
//! [`bidding_core::RoundInput`] (the core knows lots by number, bids and suppliers by a
//! dense index, provinces by code), the core computes every lot, and the result is mapped
//! back to UUIDs and names and stored as one JSON document with its SHA-256 digest. The
//! officers review that document; the award names the digest it approves and turns its
//! allocation lines into contracts. Each function runs inside the caller's transaction
//! and writes its audit entries there.

use std::collections::{BTreeMap, HashMap};

use bidding_core::{
    BidId, BidOutcome, Date, EligibilityContext, Exclusion, LossReason, LotId, LotOutcome,
    ProvinceCode, ProvinceDemand, RoundInput, SupplierId, Timestamp, UnitPrice, price_change,
};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::auth::OrgStatus;
use crate::{
    catalog::queries::{CatalogItem, Ceiling},
    platform::{
        audit::{self, Actor},
        db::{
            clock,
            schema::{
                contracts, organisations, provinces, revival_offers, round_evaluations, rounds,
                supplier_bars,
            },
        },
        error::ApiError,
        mail::mail_orgs,
        settings::Settings,
    },
    rounds::{
        queries::{BidRow, DemandRow, LotRow, Round},
        service::{product_of, rules_of},
    },
};
use bidding_core::RoundStatus;

/// The evaluation of a round, as the officers review it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Evaluation {
    pub round_id: Uuid,
    pub evaluated_at: DateTime<Utc>,
    /// First day of the supply cycle.
    pub cycle_start: NaiveDate,
    /// Until when revival candidates may answer (batch 10), if any lot has an offer.
    pub revival_deadline: Option<DateTime<Utc>>,
    /// Revivals counted in this evaluation: (lot, supplier) pairs that accepted.
    pub accepted_revivals: Vec<RevivalRef>,
    pub lots: Vec<LotEvaluation>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RevivalRef {
    pub lot_id: Uuid,
    pub supplier_org_id: Uuid,
}

/// One lot's evaluation.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LotEvaluation {
    pub lot_id: Uuid,
    pub number: i32,
    pub generic_name: String,
    pub dosage_form: Option<String>,
    pub representative_code: String,
    /// The lot's ceiling UCP (per minimum unit of the representative specification).
    #[schema(value_type = Option<String>, example = "0.8500")]
    pub ceiling: Option<Decimal>,
    /// The price before this round, per unit of the representative specification.
    #[schema(value_type = Option<String>)]
    pub previous_price: Option<Decimal>,
    /// `successful` or `unsuccessful`
    pub status: String,
    /// Why the lot has no winner (`no_valid_bid`, `too_few_bidders`), with its numbers.
    #[schema(value_type = Option<Object>)]
    pub unsuccessful_reason: Option<Value>,
    pub valid_bidders: u32,
    pub max_winners: u32,
    #[schema(value_type = Option<String>)]
    pub lowest_ucp: Option<Decimal>,
    /// The loosest limit of the preset's selection rule (UCP).
    #[schema(value_type = Option<String>)]
    pub selection_limit: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub highest_winning_ucp: Option<Decimal>,
    /// Every bid: valid ones in rank order, then invalid ones.
    pub bids: Vec<BidEvaluation>,
    pub revival: Option<RevivalOffer>,
    /// The supply regions and contract lines (successful lots).
    pub allocation: Option<Allocation>,
}

/// One bid's line: its UCP, rank and why it won or lost.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BidEvaluation {
    pub bid_id: Uuid,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub product_code: String,
    /// Price bid per minimum unit of the product's own specification.
    #[schema(value_type = String, example = "0.5000")]
    pub unit_price: Decimal,
    /// Unit comparable price at the representative specification.
    #[schema(value_type = Option<String>, example = "0.8500")]
    pub ucp: Option<Decimal>,
    /// Rank among the valid bids (1 = lowest UCP).
    pub rank: Option<u32>,
    pub won: bool,
    /// The price it is paid (its bid, or the revival price), for winners.
    #[schema(value_type = Option<String>)]
    pub awarded_unit_price: Option<Decimal>,
    /// The UCP of the price it is paid, for winners.
    #[schema(value_type = Option<String>)]
    pub awarded_ucp: Option<Decimal>,
    /// bidding-core's outcome: `{"result":"won","rank":..,"admitted_by":{..}}` or
    /// `{"result":"lost","reason":{"code":..}}`.
    #[schema(value_type = Object)]
    pub outcome: Value,
    /// The outcome in words.
    pub reason: String,
}

/// A lot's revival offer (batch 10).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevivalOffer {
    /// The revival UCP.
    #[schema(value_type = String)]
    pub ucp: Decimal,
    /// How many candidates may still be admitted.
    pub places: u32,
    pub candidates: Vec<RevivalCandidate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RevivalCandidate {
    pub bid_id: Uuid,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub rank: u32,
    #[schema(value_type = String)]
    pub ucp: Decimal,
    /// What it would be paid per unit of its own specification.
    #[schema(value_type = String)]
    pub revival_unit_price: Decimal,
    #[schema(value_type = String)]
    pub revival_ucp: Decimal,
}

/// Agreed volume, cycle and supply regions of a successful lot.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Allocation {
    pub winners: u32,
    #[schema(value_type = String, example = "0.80")]
    pub volume_ratio: Decimal,
    pub cycle_years: u32,
    pub cycle_start: NaiveDate,
    /// Last day of the cycle.
    pub cycle_end: NaiveDate,
    pub total_demand: u64,
    pub agreed_volume: u64,
    #[schema(value_type = String)]
    pub annual_amount: Decimal,
    /// One line per province with demand, by province code.
    pub lines: Vec<AllocationLine>,
}

/// One (lot, winner, province): a contract once awarded.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AllocationLine {
    pub province: String,
    pub province_name: String,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub bid_id: Uuid,
    pub product_code: String,
    pub rank: u32,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    pub annual_demand: u64,
    pub agreed_volume: u64,
    #[schema(value_type = String)]
    pub annual_amount: Decimal,
    /// 1-based turn of the draft in which the province was taken.
    pub draft_turn: u32,
    /// How it was picked: `{"by":"preference","position":n}` or `{"by":"largest_demand"}`.
    #[schema(value_type = Object)]
    pub pick: Value,
    pub backup: Option<BackupLine>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BackupLine {
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub bid_id: Uuid,
    pub rank: u32,
    /// The backup's own winning price per unit of its own specification.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
}

/// The stored evaluation of a round with its digest.
pub struct StoredEvaluation {
    pub digest: String,
    pub evaluation: Evaluation,
}

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

fn core_date(d: NaiveDate) -> Result<Date, ApiError> {
    use chrono::Datelike;
    Date::from_ymd(d.year(), d.month(), d.day()).map_err(ApiError::internal)
}

fn naive(d: Date) -> Result<NaiveDate, ApiError> {
    let (y, m, day) = d.ymd();
    NaiveDate::from_ymd_opt(y, m, day).ok_or_else(|| ApiError::internal("date out of range"))
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

/// The outcome of a bid in words (for the evaluation and the notices).
pub fn reason_text(outcome: &BidOutcome) -> String {
    use bidding_core::{Admission as A, CeilingCheck, Ineligibility as I, UnsuccessfulReason as U};
    match outcome {
        BidOutcome::Won { rank, admitted_by } => {
            let why = match admitted_by {
                A::Lowest => "the lowest UCP".to_owned(),
                A::WithinRatioOfLowest { limit } => {
                    format!("UCP within the limit {limit} (ratio of the lowest)")
                }
                A::AbsoluteThreshold { limit } => {
                    format!("UCP at or below the absolute threshold {limit}")
                }
                A::ShareOfCeiling { limit } => {
                    format!("UCP at or below {limit} (share of the ceiling)")
                }
                A::WithinRatioOfAnchor { anchor, limit } => {
                    format!("UCP within {limit} (ratio of the anchor {anchor})")
                }
                A::OralSolidExemption { limit } => {
                    format!("oral solid at or below {limit}")
                }
                A::Revival { revival_ucp } => {
                    format!("accepted the revival price (UCP {revival_ucp})")
                }
            };
            format!("won, rank {rank}: {why}")
        }
        BidOutcome::Lost { reason } => match reason {
            LossReason::Ineligible { reason } => {
                let why = match reason {
                    I::NotInCatalog => "the product is not in the catalog".to_owned(),
                    I::WrongGeneric { expected, found } => {
                        format!("the product is {found}, the lot is {expected}")
                    }
                    I::WrongKind { expected, found } => format!(
                        "the product is a {}, the lot takes a {}",
                        bidding_core::catalog::kind_name(*found),
                        bidding_core::catalog::kind_name(*expected)
                    ),
                    I::ConsistencyNotPassed { .. } => {
                        "the product has not passed the consistency evaluation".to_owned()
                    }
                    I::SupplierInactive => "the supplier is not active".to_owned(),
                    I::SupplierBarred { until } => match until {
                        Some(d) => format!("the supplier is barred until {d}"),
                        None => "the supplier is barred".to_owned(),
                    },
                    I::ZeroPrice => "the price is zero".to_owned(),
                    I::NotComparable { detail } => {
                        format!("the specification is not comparable: {detail}")
                    }
                    I::DuplicateSupplierBid { .. } => {
                        "the supplier has a better bid in this lot".to_owned()
                    }
                };
                format!("lost, ineligible: {why}")
            }
            LossReason::AboveCeiling { check } => match check {
                CeilingCheck::ItemCeiling { price, ceiling } => {
                    format!("lost, invalid: price {price} above the item's ceiling {ceiling}")
                }
                CeilingCheck::LotCeilingUcp { ucp, ceiling_ucp } => {
                    format!("lost, invalid: UCP {ucp} above the lot's ceiling {ceiling_ucp}")
                }
            },
            LossReason::AboveSelectionLimit { ucp, limit } => {
                format!("lost: UCP {ucp} above the selection limit {limit}")
            }
            LossReason::MaxWinnersReached {
                rank,
                max_winners,
                valid_bidders,
            } => format!(
                "lost: rank {rank}, but {valid_bidders} valid bidders allow at most {max_winners} winners"
            ),
            LossReason::LotUnsuccessful { reason } => match reason {
                U::NoValidBid => "lost: the lot has no valid bid".to_owned(),
                U::TooFewBidders {
                    valid_bidders,
                    min_bidders,
                } => format!(
                    "lost: the lot is unsuccessful ({valid_bidders} valid bidders, at least {min_bidders} needed)"
                ),
            },
        },
    }
}

/// Why a bid lost, in Chinese (the first half of the bilingual notices); `None` for a
/// winner. The same cases as [`reason_text`].
pub fn reason_text_zh(outcome: &BidOutcome) -> Option<String> {
    use bidding_core::{CeilingCheck, Ineligibility as I, UnsuccessfulReason as U};
    let kind_zh = |k: bidding_core::ProductKind| match k {
        bidding_core::ProductKind::Drug => "药品",
        bidding_core::ProductKind::Consumable => "医用耗材",
    };
    let BidOutcome::Lost { reason } = outcome else {
        return None;
    };
    Some(match reason {
        LossReason::Ineligible { reason } => {
            let why = match reason {
                I::NotInCatalog => "产品不在国家目录中".to_owned(),
                I::WrongGeneric { expected, found } => {
                    format!("产品为{found}，本组采购{expected}")
                }
                I::WrongKind { expected, found } => {
                    format!("产品为{}，本组采购{}", kind_zh(*found), kind_zh(*expected))
                }
                I::ConsistencyNotPassed { .. } => "产品未通过质量和疗效一致性评价".to_owned(),
                I::SupplierInactive => "企业处于停用状态".to_owned(),
                I::SupplierBarred { until } => match until {
                    Some(d) => format!("企业被限制参加集中采购至 {d}"),
                    None => "企业被限制参加集中采购".to_owned(),
                },
                I::ZeroPrice => "报价为零".to_owned(),
                I::NotComparable { .. } => "规格与代表品无法比较（无相应的差比价关系）".to_owned(),
                I::DuplicateSupplierBid { .. } => "企业在本组已有更优报价".to_owned(),
            };
            format!("未中选，不具备申报资格：{why}")
        }
        LossReason::AboveCeiling { check } => match check {
            CeilingCheck::ItemCeiling { price, ceiling } => {
                format!("未中选，无效报价：报价 {price} 高于该产品最高有效申报价 {ceiling}")
            }
            CeilingCheck::LotCeilingUcp { ucp, ceiling_ucp } => {
                format!("未中选，无效报价：单位可比价 {ucp} 高于本组最高有效申报价 {ceiling_ucp}")
            }
        },
        LossReason::AboveSelectionLimit { ucp, limit } => {
            format!("未中选：单位可比价 {ucp} 高于入围限价 {limit}")
        }
        LossReason::MaxWinnersReached {
            rank,
            max_winners,
            valid_bidders,
        } => format!(
            "未中选：排名第 {rank}，{valid_bidders} 家有效申报企业至多 {max_winners} 家中选"
        ),
        LossReason::LotUnsuccessful { reason } => match reason {
            U::NoValidBid => "未中选：本组无有效报价".to_owned(),
            U::TooFewBidders {
                valid_bidders,
                min_bidders,
            } => format!(
                "未中选：本组流标（有效申报企业 {valid_bidders} 家，至少需要 {min_bidders} 家）"
            ),
        },
    })
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
                    cycle_start: naive(a.cycle_start)?,
                    cycle_end: naive(a.cycle_end)?,
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

async fn notify_revival(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    evaluation: &Evaluation,
    deadline: DateTime<Utc>,
) -> Result<(), ApiError> {
    let mut by_org: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
    for lot in &evaluation.lots {
        let Some(offer) = &lot.revival else { continue };
        for c in &offer.candidates {
            by_org.entry(c.supplier_org_id).or_default().push(json!({
                "lot_number": lot.number,
                "generic_name": lot.generic_name,
                "revival_ucp": offer.ucp.to_string(),
                "unit_price": c.revival_unit_price.to_string(),
                "own_price": lot.bids.iter().find(|b| b.bid_id == c.bid_id).map(|b| b.unit_price.to_string()),
            }));
        }
    }
    for (org, offers) in by_org {
        mail_orgs(
            conn,
            &settings.jobs,
            &settings.mail.public_url,
            &[org],
            "revival_offer",
            &format!("revival:{}", round.id),
            json!({
                "round_name": round.name,
                "round_id": round.id,
                "offers": offers,
                "deadline": deadline.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            }),
        )
        .await?;
    }
    Ok(())
}

/// Province names (Chinese) by GB/T 2260 code.
pub async fn province_names(
    conn: &mut AsyncPgConnection,
) -> Result<HashMap<String, String>, ApiError> {
    Ok(provinces::table
        .select((provinces::code, provinces::name_zh))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect())
}

/// The active buyer organisations of a province.
pub async fn buyer_orgs(
    conn: &mut AsyncPgConnection,
    province: &str,
) -> Result<Vec<Uuid>, ApiError> {
    Ok(organisations::table
        .filter(organisations::province.eq(province))
        .filter(organisations::kind.eq("buyer"))
        .filter(organisations::status.eq(crate::platform::auth::OrgStatus::Active))
        .select(organisations::id)
        .load(conn)
        .await?)
}

crate::platform::db::text_enum! {
    /// A supplier's answer to a revival offer.
    RevivalResponse {
        Pending => "pending",
        Accepted => "accepted",
        Declined => "declined",
    }
}

/// A revival offer as its supplier (or an officer) sees it.
#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct RevivalOfferDto {
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub supplier_org_id: Uuid,
    pub bid_id: Uuid,
    /// The revival UCP.
    #[schema(value_type = String)]
    pub offer_ucp: Decimal,
    /// What the supplier would be paid per unit of its own specification.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    /// `pending`, `accepted` or `declined`
    pub response: String,
    pub responded_at: Option<DateTime<Utc>>,
}

pub async fn offers(
    conn: &mut AsyncPgConnection,
    round: Uuid,
    supplier: Option<Uuid>,
) -> Result<Vec<RevivalOfferDto>, ApiError> {
    let mut q = revival_offers::table
        .filter(revival_offers::round_id.eq(round))
        .into_boxed();
    if let Some(s) = supplier {
        q = q.filter(revival_offers::supplier_org_id.eq(s));
    }
    Ok(
        q.order((revival_offers::lot_id, revival_offers::supplier_org_id))
            .select((
                revival_offers::round_id,
                revival_offers::lot_id,
                revival_offers::supplier_org_id,
                revival_offers::bid_id,
                revival_offers::offer_ucp,
                revival_offers::unit_price,
                revival_offers::response,
                revival_offers::responded_at,
            ))
            .load(conn)
            .await?,
    )
}

/// A supplier accepts or declines its revival offer, within the window (database clock).
pub async fn answer_revival(
    conn: &mut AsyncPgConnection,
    round: &Round,
    lot: Uuid,
    supplier: Uuid,
    actor: &Actor,
    user: Uuid,
    accept: bool,
) -> Result<RevivalOfferDto, ApiError> {
    if round.status != RoundStatus::Evaluated {
        return Err(ApiError::rule(
            "round_not_evaluated",
            format!(
                "revival offers are answered while the round is evaluated; it is {}",
                round.status
            ),
        ));
    }
    let now = clock(conn).await?;
    let deadline = round
        .revival_deadline
        .ok_or_else(|| ApiError::not_found("this round has no revival offers"))?;
    if now >= deadline {
        return Err(ApiError::rule(
            "revival_window_closed",
            format!("the revival window closed at {}", deadline.to_rfc3339()),
        ));
    }
    let current: Option<RevivalResponse> = revival_offers::table
        .find((lot, supplier))
        .filter(revival_offers::round_id.eq(round.id))
        .select(revival_offers::response)
        .for_update()
        .first(conn)
        .await
        .optional()?;
    match current {
        None => {
            return Err(ApiError::not_found(
                "you have no revival offer for this lot",
            ));
        }
        Some(RevivalResponse::Pending) => {}
        Some(r) => {
            return Err(ApiError::conflict(
                "revival_answered",
                format!("you have answered this offer already ({r})"),
            ));
        }
    }
    let response = if accept {
        RevivalResponse::Accepted
    } else {
        RevivalResponse::Declined
    };
    diesel::update(revival_offers::table.find((lot, supplier)))
        .set((
            revival_offers::response.eq(response),
            revival_offers::responded_by.eq(user),
            revival_offers::responded_at.eq(now),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        actor,
        "round.revival_answer",
        "round",
        &round.id.to_string(),
        json!({ "lot": lot, "supplier": supplier, "response": response }),
    )
    .await?;
    offers(conn, round.id, Some(supplier))
        .await?
        .into_iter()
        .find(|o| o.lot_id == lot)
        .ok_or_else(|| ApiError::internal("offer vanished"))
}

/// Awards an evaluated round: checks the officer approved the current evaluation and
/// that the revival window is settled, creates a contract per allocation line, sends the
/// award and non-award notices. Call with the round locked. Returns the contracts made.
pub async fn award(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    actor: &Actor,
    digest: &str,
) -> Result<usize, ApiError> {
    let next = crate::rounds::service::transition(round, bidding_core::RoundAction::Award, None)?;
    let stored = stored(conn, round.id)
        .await?
        .ok_or_else(|| ApiError::internal("evaluated round without its evaluation"))?;
    if stored.digest != digest.trim() {
        return Err(ApiError::conflict(
            "evaluation_digest_stale",
            format!(
                "the evaluation you reviewed is not the current one (it was recomputed, or the digest is mistyped): \
             fetch GET /api/v1/rounds/{}/evaluation, review it, and award with the digest it shows",
                round.id
            ),
        ));
    }
    let now = clock(conn).await?;
    if let Some(deadline) = round.revival_deadline {
        let answers: Vec<(RevivalResponse, Option<DateTime<Utc>>)> = revival_offers::table
            .filter(revival_offers::round_id.eq(round.id))
            .select((revival_offers::response, revival_offers::responded_at))
            .load(conn)
            .await?;
        let pending = answers
            .iter()
            .filter(|(r, _)| *r == RevivalResponse::Pending)
            .count();
        if pending > 0 && now < deadline {
            return Err(ApiError::rule(
                "revival_pending",
                format!(
                    "{pending} revival offers are unanswered and the window is open until {}",
                    deadline.to_rfc3339()
                ),
            ));
        }
        if answers
            .iter()
            .any(|(_, at)| at.is_some_and(|at| at > stored.evaluation.evaluated_at))
        {
            return Err(ApiError::conflict(
                "revival_answers_after_evaluation",
                "revival answers arrived after this evaluation: evaluate again to count them",
            ));
        }
        // unanswered offers lapse at the deadline
        diesel::update(
            revival_offers::table
                .filter(revival_offers::round_id.eq(round.id))
                .filter(revival_offers::response.eq(RevivalResponse::Pending)),
        )
        .set((
            revival_offers::response.eq(RevivalResponse::Declined),
            revival_offers::responded_at.eq(deadline),
        ))
        .execute(conn)
        .await?;
    }
    let mut made = 0usize;
    for lot in &stored.evaluation.lots {
        let Some(a) = &lot.allocation else { continue };
        for l in &a.lines {
            diesel::insert_into(contracts::table)
                .values((
                    contracts::id.eq(Uuid::now_v7()),
                    contracts::round_id.eq(round.id),
                    contracts::lot_id.eq(lot.lot_id),
                    contracts::province.eq(&l.province),
                    contracts::supplier_org_id.eq(l.supplier_org_id),
                    contracts::bid_id.eq(l.bid_id),
                    contracts::product_code.eq(&l.product_code),
                    contracts::rank.eq(i32::try_from(l.rank).map_err(ApiError::internal)?),
                    contracts::unit_price.eq(l.unit_price),
                    contracts::annual_demand
                        .eq(i64::try_from(l.annual_demand).map_err(ApiError::internal)?),
                    contracts::agreed_volume
                        .eq(i64::try_from(l.agreed_volume).map_err(ApiError::internal)?),
                    contracts::annual_amount.eq(l.annual_amount),
                    contracts::cycle_start.eq(a.cycle_start),
                    contracts::cycle_end.eq(a.cycle_end),
                    contracts::backup_supplier_org_id
                        .eq(l.backup.as_ref().map(|b| b.supplier_org_id)),
                    contracts::backup_bid_id.eq(l.backup.as_ref().map(|b| b.bid_id)),
                    contracts::backup_unit_price.eq(l.backup.as_ref().map(|b| b.unit_price)),
                    contracts::backup_rank.eq(l
                        .backup
                        .as_ref()
                        .map(|b| i32::try_from(b.rank).unwrap_or(i32::MAX))),
                ))
                .execute(conn)
                .await?;
            made += 1;
        }
    }
    diesel::update(rounds::table.find(round.id))
        .set((
            rounds::status.eq(next),
            rounds::awarded_at.eq(now),
            rounds::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    let amount: Decimal = stored
        .evaluation
        .lots
        .iter()
        .filter_map(|l| l.allocation.as_ref().map(|a| a.annual_amount))
        .sum();
    audit::record(
        conn,
        actor,
        "round.award",
        "round",
        &round.id.to_string(),
        json!({ "digest": stored.digest, "contracts": made, "annual_amount": amount.to_string(),
                "successful_lots": stored.evaluation.lots.iter().filter(|l| l.allocation.is_some()).count() }),
    )
    .await?;
    notify_award(conn, settings, round, &stored.evaluation).await?;
    Ok(made)
}

/// Award notices to winners (what they won, where, how much), non-award notices to the
/// other bidders (each lot and why), and to each province's buyers its contracts.
async fn notify_award(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    evaluation: &Evaluation,
) -> Result<(), ApiError> {
    let mut won: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
    let mut lost: BTreeMap<Uuid, Vec<Value>> = BTreeMap::new();
    let mut by_province: BTreeMap<String, Vec<Value>> = BTreeMap::new();
    for lot in &evaluation.lots {
        for b in &lot.bids {
            if b.won {
                let provinces: Vec<Value> = lot
                    .allocation
                    .iter()
                    .flat_map(|a| a.lines.iter())
                    .filter(|l| l.bid_id == b.bid_id)
                    .map(|l| json!({"province": l.province_name, "agreed_volume": l.agreed_volume}))
                    .collect();
                let volume: u64 = lot
                    .allocation
                    .iter()
                    .flat_map(|a| a.lines.iter())
                    .filter(|l| l.bid_id == b.bid_id)
                    .map(|l| l.agreed_volume)
                    .sum();
                won.entry(b.supplier_org_id).or_default().push(json!({
                    "lot_number": lot.number, "generic_name": lot.generic_name,
                    "unit_price": b.awarded_unit_price.unwrap_or(b.unit_price).to_string(),
                    "ucp": b.ucp.map(|u| u.to_string()), "rank": b.rank,
                    "provinces": provinces, "agreed_volume": volume,
                }));
            } else {
                let reason_zh = serde_json::from_value::<BidOutcome>(b.outcome.clone())
                    .ok()
                    .and_then(|o| reason_text_zh(&o))
                    .unwrap_or_else(|| b.reason.clone());
                lost.entry(b.supplier_org_id).or_default().push(json!({
                    "lot_number": lot.number, "generic_name": lot.generic_name,
                    "reason": b.reason, "reason_zh": reason_zh,
                }));
            }
        }
        for l in lot.allocation.iter().flat_map(|a| a.lines.iter()) {
            by_province
                .entry(l.province.clone())
                .or_default()
                .push(json!({
                    "lot_number": lot.number, "generic_name": lot.generic_name,
                    "supplier": l.supplier_name, "unit_price": l.unit_price.to_string(),
                    "agreed_volume": l.agreed_volume,
                    "backup": l.backup.as_ref().map(|b| b.supplier_name.clone()),
                }));
        }
    }
    let orgs: std::collections::BTreeSet<Uuid> = won.keys().chain(lost.keys()).copied().collect();
    for org in orgs {
        let won_lines = won.remove(&org).unwrap_or_default();
        let lost_lines = lost.remove(&org).unwrap_or_default();
        let template = if won_lines.is_empty() {
            "non_award_notice"
        } else {
            "award_notice"
        };
        mail_orgs(conn, &settings.jobs, &settings.mail.public_url, &[org],
            template,
            &format!("award:{}", round.id),
            json!({ "round_name": round.name, "round_id": round.id, "won": won_lines, "lost": lost_lines }),
        )
        .await?;
    }
    for (province, lines) in by_province {
        for org in buyer_orgs(conn, &province).await? {
            mail_orgs(
                conn,
                &settings.jobs,
                &settings.mail.public_url,
                &[org],
                "contracts_awarded",
                &format!("award:{}", round.id),
                json!({ "round_name": round.name, "round_id": round.id, "contracts": lines }),
            )
            .await?;
        }
    }
    Ok(())
}

/// The published results of an awarded round.
#[derive(Debug, Serialize, ToSchema)]
pub struct Results {
    pub round_id: Uuid,
    pub name: String,
    pub kind: String,
    pub preset: String,
    pub awarded_at: Option<DateTime<Utc>>,
    pub cycle_start: Option<NaiveDate>,
    pub summary: ResultsSummary,
    pub lots: Vec<LotResult>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ResultsSummary {
    pub lots: usize,
    pub successful_lots: usize,
    /// Winning bids over all lots.
    pub winning_bids: usize,
    /// Agreed annual amount over all contracts, yuan.
    #[schema(value_type = String)]
    pub annual_amount: Decimal,
    /// Mean over the winning bids of (UCP - ceiling) / ceiling: -0.48 is a 48 % drop.
    #[schema(value_type = Option<String>)]
    pub average_change_vs_ceiling: Option<Decimal>,
    /// The same against the previous price, over the lots that have one.
    #[schema(value_type = Option<String>)]
    pub average_change_vs_previous: Option<Decimal>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LotResult {
    pub lot_id: Uuid,
    pub number: i32,
    pub generic_name: String,
    pub dosage_form: Option<String>,
    pub representative_code: String,
    #[schema(value_type = Option<String>)]
    pub ceiling: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub previous_price: Option<Decimal>,
    /// `successful` or `unsuccessful`
    pub status: String,
    #[schema(value_type = Option<Object>)]
    pub unsuccessful_reason: Option<Value>,
    pub valid_bidders: u32,
    pub winners: Vec<WinnerResult>,
    #[schema(value_type = Option<String>)]
    pub average_change_vs_ceiling: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub average_change_vs_previous: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub volume_ratio: Option<Decimal>,
    pub cycle_start: Option<NaiveDate>,
    pub cycle_end: Option<NaiveDate>,
    pub total_demand: Option<u64>,
    pub agreed_volume: Option<u64>,
    #[schema(value_type = Option<String>)]
    pub annual_amount: Option<Decimal>,
    /// Supply regions: one line per province, with its backup supplier.
    pub allocations: Vec<AllocationLine>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WinnerResult {
    pub rank: u32,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub product_code: String,
    /// Price paid per minimum unit of the product's own specification.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    #[schema(value_type = Option<String>)]
    pub ucp: Option<Decimal>,
    /// (UCP - ceiling) / ceiling, to 4 places.
    #[schema(value_type = Option<String>)]
    pub change_vs_ceiling: Option<Decimal>,
    #[schema(value_type = Option<String>)]
    pub change_vs_previous: Option<Decimal>,
    pub reason: String,
}

fn change(reference: Option<Decimal>, price: Option<Decimal>) -> Option<Decimal> {
    let r = UnitPrice::round(reference?).ok()?;
    let p = UnitPrice::round(price?).ok()?;
    price_change(r, p).map(four_places)
}

/// A fraction shown to 4 places ("-0.7500").
fn four_places(mut d: Decimal) -> Decimal {
    d.rescale(4);
    d
}

fn mean(values: &[Decimal]) -> Option<Decimal> {
    if values.is_empty() {
        return None;
    }
    let sum: Decimal = values.iter().sum();
    Some(four_places(bidding_core::money::round_half_up(
        sum / Decimal::from(values.len()),
        4,
    )))
}

/// The public results, from the evaluation the award approved.
pub fn results(round: &Round, evaluation: &Evaluation) -> Results {
    let mut lots = Vec::with_capacity(evaluation.lots.len());
    let mut all_ceiling = Vec::new();
    let mut all_previous = Vec::new();
    let mut amount = Decimal::ZERO;
    for lot in &evaluation.lots {
        let mut winners = Vec::new();
        for b in lot.bids.iter().filter(|b| b.won) {
            // a revived winner is paid the revival price, at its revival UCP
            let ucp = b.awarded_ucp.or(b.ucp);
            winners.push(WinnerResult {
                rank: b.rank.unwrap_or(0),
                supplier_org_id: b.supplier_org_id,
                supplier_name: b.supplier_name.clone(),
                product_code: b.product_code.clone(),
                unit_price: b.awarded_unit_price.unwrap_or(b.unit_price),
                ucp,
                change_vs_ceiling: change(lot.ceiling, ucp),
                change_vs_previous: change(lot.previous_price, ucp),
                reason: b.reason.clone(),
            });
        }
        winners.sort_by_key(|w| w.rank);
        let vs_ceiling: Vec<Decimal> = winners.iter().filter_map(|w| w.change_vs_ceiling).collect();
        let vs_previous: Vec<Decimal> = winners
            .iter()
            .filter_map(|w| w.change_vs_previous)
            .collect();
        all_ceiling.extend(&vs_ceiling);
        all_previous.extend(&vs_previous);
        let a = lot.allocation.as_ref();
        amount += a.map_or(Decimal::ZERO, |a| a.annual_amount);
        lots.push(LotResult {
            lot_id: lot.lot_id,
            number: lot.number,
            generic_name: lot.generic_name.clone(),
            dosage_form: lot.dosage_form.clone(),
            representative_code: lot.representative_code.clone(),
            ceiling: lot.ceiling,
            previous_price: lot.previous_price,
            status: lot.status.clone(),
            unsuccessful_reason: lot.unsuccessful_reason.clone(),
            valid_bidders: lot.valid_bidders,
            average_change_vs_ceiling: mean(&vs_ceiling),
            average_change_vs_previous: mean(&vs_previous),
            winners,
            volume_ratio: a.map(|a| a.volume_ratio),
            cycle_start: a.map(|a| a.cycle_start),
            cycle_end: a.map(|a| a.cycle_end),
            total_demand: a.map(|a| a.total_demand),
            agreed_volume: a.map(|a| a.agreed_volume),
            annual_amount: a.map(|a| a.annual_amount),
            allocations: a.map(|a| a.lines.clone()).unwrap_or_default(),
        });
    }
    Results {
        round_id: round.id,
        name: round.name.clone(),
        kind: round.kind.clone(),
        preset: round.preset.clone(),
        awarded_at: round.awarded_at,
        cycle_start: round.cycle_start,
        summary: ResultsSummary {
            lots: lots.len(),
            successful_lots: lots.iter().filter(|l| l.status == "successful").count(),
            winning_bids: lots.iter().map(|l| l.winners.len()).sum(),
            annual_amount: amount,
            average_change_vs_ceiling: mean(&all_ceiling),
            average_change_vs_previous: mean(&all_previous),
        },
        lots,
    }
}

/// Reads an awarded round's evaluation for publication; 422 before the award.
pub async fn published(
    conn: &mut AsyncPgConnection,
    round: &Round,
) -> Result<Evaluation, ApiError> {
    if !round.status.results_published() {
        return Err(ApiError::rule(
            "results_not_published",
            format!(
                "results are published at the award; the round is {}",
                round.status
            ),
        ));
    }
    Ok(stored(conn, round.id)
        .await?
        .ok_or_else(|| ApiError::internal("awarded round without its evaluation"))?
        .evaluation)
}
