//! The public record of an awarded round as an OCDS 1.1 release package
//! (<https://standard.open-contracting.org/1.1/en/>), with the lots and bids extensions.
//!
//! One `ocid` per round, and releases in time order: the tender as published, the award
//! with its contracts, then one release per supply failure (the failed contract
//! terminated, the backup's contract active). Amounts are JSON numbers in CNY, as the
//! standard requires; the API's own routes keep exact decimal strings.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::{
    award::dto::{Evaluation, LotEvaluation},
    catalog::queries::CatalogItem,
    contracts::service::{ContractRow, ContractStatus},
    platform::{
        db::schema::{bids, contracts, supply_failures},
        error::ApiError,
        settings::Settings,
    },
    rounds::queries::Round,
};

/// The lots and bids extensions of OCDS 1.1.
pub const EXTENSIONS: [&str; 2] = [
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_lots_extension/v1.1.5/extension.json",
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/v1.1.5/extension.json",
];

fn time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// A day's start and end in China Standard Time.
fn day_start(d: NaiveDate) -> String {
    format!("{d}T00:00:00+08:00")
}
fn day_end(d: NaiveDate) -> String {
    format!("{d}T23:59:59+08:00")
}

/// An exact decimal as a JSON number (OCDS amounts are numbers).
fn number(d: Decimal) -> Value {
    d.normalize()
        .to_string()
        .parse::<f64>()
        .ok()
        .and_then(serde_json::Number::from_f64)
        .map_or(Value::Null, Value::Number)
}

fn cny(d: Decimal) -> Value {
    json!({ "amount": number(d), "currency": "CNY" })
}

fn org_id(org: Uuid) -> String {
    format!("vbp-org-{org}")
}

fn province_id(code: &str) -> String {
    format!("CN-GB2260-{code}")
}

const OFFICE_ID: &str = "vbp-office";
const OFFICE_NAME: &str = "国家组织药品联合采购办公室 (Joint Procurement Office)";

fn item_description(item: Option<&CatalogItem>, code: &str) -> String {
    match item {
        Some(i) => {
            let strength = match (&i.strength, &i.strength_unit) {
                (Some(s), Some(u)) => format!(" {} {u}", s.normalize()),
                _ => String::new(),
            };
            format!(
                "{}{strength}, {} x {} ({})",
                i.generic_name, i.pack_count, i.min_unit, i.manufacturer
            )
        }
        None => code.to_owned(),
    }
}

fn item(
    id: &str,
    code: &str,
    items: &HashMap<String, CatalogItem>,
    quantity: Option<u64>,
    unit_price: Option<Decimal>,
    lot: Uuid,
) -> Value {
    let it = items.get(code);
    let mut v = json!({
        "id": id,
        "description": item_description(it, code),
        "classification": {
            "scheme": "CN-NHSA",
            "id": code,
            "description": it.map(|i| i.generic_name.clone()).unwrap_or_default(),
        },
        "relatedLot": lot.to_string(),
    });
    if let Some(q) = quantity {
        v["quantity"] = json!(q);
    }
    let mut unit =
        json!({ "name": it.map(|i| i.min_unit.clone()).unwrap_or_else(|| "unit".into()) });
    if let Some(p) = unit_price {
        unit["value"] = cny(p);
    }
    v["unit"] = unit;
    v
}

fn lot_status(lot: &LotEvaluation) -> &'static str {
    if lot.status == "successful" {
        "complete"
    } else {
        "unsuccessful"
    }
}

fn award_id(lot: Uuid, supplier: Uuid) -> String {
    format!("{lot}-{supplier}")
}

fn contract_json(
    c: &ContractRow,
    status: &str,
    lot: &LotEvaluation,
    items: &HashMap<String, CatalogItem>,
    province_names: &HashMap<String, String>,
    supplier_name: &str,
    signed: DateTime<Utc>,
) -> Value {
    json!({
        "id": c.id.to_string(),
        "awardID": award_id(c.lot_id, c.supplier_org_id),
        "title": format!("Lot {} {} · {} · {}", lot.number, lot.generic_name,
                         province_names.get(&c.province).cloned().unwrap_or_else(|| c.province.clone()), supplier_name),
        "description": format!("Province {} ({}), agreed annual volume {} at {} per unit{}",
                               c.province, province_id(&c.province), c.agreed_volume, c.unit_price,
                               c.replaces.map(|r| format!("; takes over contract {r}")).unwrap_or_default()),
        "status": status,
        "period": { "startDate": day_start(c.cycle_start), "endDate": day_end(c.cycle_end) },
        "value": cny(c.annual_amount),
        "dateSigned": time(signed),
        "items": [item("1", &c.product_code, items, u64::try_from(c.agreed_volume).ok(), Some(c.unit_price), c.lot_id)],
    })
}

/// Builds the release package of an awarded round.
pub async fn package(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    round: &Round,
    evaluation: &Evaluation,
) -> Result<Value, ApiError> {
    let published = round
        .published_at
        .ok_or_else(|| ApiError::internal("awarded round never published"))?;
    let awarded = round
        .awarded_at
        .ok_or_else(|| ApiError::internal("awarded round without award time"))?;
    let ocid = format!("{}-{}", settings.ocid_prefix, round.id);
    let base = settings.mail.public_url.trim_end_matches('/');

    let all_contracts: Vec<ContractRow> = contracts::table
        .filter(contracts::round_id.eq(round.id))
        .order((
            contracts::lot_id,
            contracts::province,
            contracts::created_at,
        ))
        .select(ContractRow::as_select())
        .load(conn)
        .await?;
    let failures: Vec<(Uuid, Uuid, String, DateTime<Utc>)> = supply_failures::table
        .inner_join(contracts::table.on(contracts::id.eq(supply_failures::contract_id)))
        .filter(contracts::round_id.eq(round.id))
        .order(supply_failures::recorded_at)
        .select((
            supply_failures::contract_id,
            supply_failures::takeover_id,
            supply_failures::reason,
            supply_failures::recorded_at,
        ))
        .load(conn)
        .await?;
    // lots with an open complaint (质疑投诉) are under review: the lot stays active and its
    // awards pending until the complaint is decided or withdrawn
    let lot_ids: Vec<Uuid> = evaluation.lots.iter().map(|l| l.lot_id).collect();
    let under_review: std::collections::HashSet<Uuid> =
        crate::oversight::complaints::under_review(conn, &lot_ids)
            .await?
            .into_iter()
            .collect();
    let mut codes: Vec<String> = evaluation
        .lots
        .iter()
        .flat_map(|l| {
            std::iter::once(l.representative_code.clone())
                .chain(l.bids.iter().map(|b| b.product_code.clone()))
        })
        .collect();
    codes.sort();
    codes.dedup();
    let items = CatalogItem::by_codes(conn, &codes).await?;
    let bid_ids: Vec<Uuid> = evaluation
        .lots
        .iter()
        .flat_map(|l| l.bids.iter().map(|b| b.bid_id))
        .collect();
    let bid_times: HashMap<Uuid, DateTime<Utc>> = bids::table
        .filter(bids::id.eq_any(&bid_ids))
        .select((bids::id, bids::submitted_at))
        .load(conn)
        .await?
        .into_iter()
        .collect();
    let province_names = crate::award::service::province_names(conn).await?;

    // parties: the office, every tenderer, every province with a contract
    let mut suppliers: BTreeMap<Uuid, (String, bool)> = BTreeMap::new();
    for lot in &evaluation.lots {
        for b in &lot.bids {
            let e = suppliers
                .entry(b.supplier_org_id)
                .or_insert((b.supplier_name.clone(), false));
            e.1 |= b.won;
        }
    }
    let office = json!({ "id": OFFICE_ID, "name": OFFICE_NAME });
    let mut parties = vec![json!({
        "id": OFFICE_ID, "name": OFFICE_NAME, "roles": ["buyer", "procuringEntity"],
        "details": { "url": base },
    })];
    for (org, (name, won)) in &suppliers {
        let roles = if *won {
            json!(["tenderer", "supplier"])
        } else {
            json!(["tenderer"])
        };
        parties.push(json!({ "id": org_id(*org), "name": name, "roles": roles }));
    }
    let mut contract_provinces: Vec<&str> =
        all_contracts.iter().map(|c| c.province.as_str()).collect();
    contract_provinces.sort_unstable();
    contract_provinces.dedup();
    for p in &contract_provinces {
        parties.push(json!({
            "id": province_id(p),
            "name": province_names.get(*p).cloned().unwrap_or_else(|| (*p).to_owned()),
            "roles": ["payer"],
            "address": { "region": p, "countryName": "China" },
        }));
    }
    let tenderers: Vec<Value> = suppliers
        .iter()
        .map(|(org, (name, _))| json!({ "id": org_id(*org), "name": name }))
        .collect();
    let name_of = |org: Uuid| suppliers.get(&org).map(|s| s.0.clone()).unwrap_or_default();

    let lots_json = |final_state: bool| -> Vec<Value> {
        evaluation
            .lots
            .iter()
            .map(|l| {
                let mut v = json!({
                    "id": l.lot_id.to_string(),
                    "title": format!("Lot {}: {}", l.number, l.generic_name),
                    "description": format!("{} {}, representative specification {}",
                        l.generic_name, l.dosage_form.clone().unwrap_or_default(), l.representative_code),
                    "status": if final_state && !under_review.contains(&l.lot_id) { lot_status(l) } else { "active" },
                });
                if final_state && under_review.contains(&l.lot_id) {
                    v["statusDetails"] = json!("under review: a complaint against the result is open (质疑投诉处理中)");
                }
                if let (Some(c), Some(a)) = (l.ceiling, l.allocation.as_ref()) {
                    // the lot's value: its total demand at the ceiling
                    v["value"] = cny(c * Decimal::from(a.total_demand));
                }
                v
            })
            .collect()
    };
    let tender_items: Vec<Value> = evaluation
        .lots
        .iter()
        .map(|l| {
            item(
                &l.lot_id.to_string(),
                &l.representative_code,
                &items,
                l.allocation.as_ref().map(|a| a.total_demand),
                l.ceiling,
                l.lot_id,
            )
        })
        .collect();
    let tender = |status: &str, final_state: bool| {
        json!({
            "id": round.id.to_string(),
            "title": round.name,
            "status": status,
            "procuringEntity": office,
            "procurementMethod": "open",
            "procurementMethodDetails": format!(
                "National volume-based procurement (带量采购), {} rules: sealed bids, unit comparable price, ceiling per lot",
                round.preset),
            "mainProcurementCategory": "goods",
            "awardCriteria": "priceOnly",
            "awardCriteriaDetails": "Lowest unit comparable price (UCP) at the lot's representative specification",
            "submissionMethod": ["electronicSubmission"],
            "submissionMethodDetails": "Sealed bids encrypted to the round's key (HPKE), opened by a quorum of key custodians after the deadline",
            "tenderPeriod": { "startDate": time(published), "endDate": time(round.bidding_deadline) },
            "items": tender_items,
            "lots": lots_json(final_state),
        })
    };

    // release 1: the tender as published
    let mut releases = vec![json!({
        "ocid": ocid, "id": format!("{ocid}-tender"), "date": time(published),
        "tag": ["tender"], "initiationType": "tender", "language": "zh",
        "parties": [parties[0].clone()], "buyer": office, "tender": tender("active", false),
    })];

    // release 2: award, bids and contracts as awarded
    let mut tender_done = tender("complete", true);
    tender_done["numberOfTenderers"] = json!(tenderers.len());
    tender_done["tenderers"] = json!(tenderers);
    if let Some(opened) = round.opened_at {
        tender_done["awardPeriod"] = json!({ "startDate": time(opened), "endDate": time(awarded) });
    }
    let mut statistics = Vec::new();
    let mut details = Vec::new();
    let mut awards = Vec::new();
    for l in &evaluation.lots {
        let lot = l.lot_id.to_string();
        let valid: Vec<&crate::award::dto::BidEvaluation> =
            l.bids.iter().filter(|b| b.rank.is_some()).collect();
        let mut stat = |measure: &str, value: Value| {
            statistics.push(
                json!({ "id": format!("{lot}-{measure}"), "measure": measure,
                                    "value": value, "relatedLot": lot }),
            );
        };
        stat("bids", json!(l.bids.len()));
        stat("validBids", json!(valid.len()));
        stat("disqualifiedBids", json!(l.bids.len() - valid.len()));
        if let Some(low) = valid.iter().filter_map(|b| b.ucp).min() {
            stat("lowestValidBidValue", number(low));
        }
        if let Some(high) = valid.iter().filter_map(|b| b.ucp).max() {
            stat("highestValidBidValue", number(high));
        }
        for b in &l.bids {
            details.push(json!({
                "id": b.bid_id.to_string(),
                "date": bid_times.get(&b.bid_id).map(|t| time(*t)),
                "status": if b.rank.is_some() { "valid" } else { "disqualified" },
                "tenderers": [{ "id": org_id(b.supplier_org_id), "name": b.supplier_name }],
                "value": cny(b.unit_price),
                "relatedLots": [lot],
            }));
        }
        match &l.allocation {
            None => awards.push(json!({
                "id": format!("{lot}-unsuccessful"),
                "title": format!("Lot {}: {}", l.number, l.generic_name),
                "description": l.unsuccessful_reason.as_ref().map(Value::to_string).unwrap_or_default(),
                "status": "unsuccessful",
                "date": time(awarded),
                "relatedLots": [lot],
            })),
            Some(a) => {
                for b in l.bids.iter().filter(|b| b.won) {
                    let lines: Vec<&crate::award::dto::AllocationLine> =
                        a.lines.iter().filter(|x| x.bid_id == b.bid_id).collect();
                    let volume: u64 = lines.iter().map(|x| x.agreed_volume).sum();
                    let amount: Decimal = lines.iter().map(|x| x.annual_amount).sum();
                    let price = b.awarded_unit_price.unwrap_or(b.unit_price);
                    awards.push(json!({
                        "id": award_id(l.lot_id, b.supplier_org_id),
                        "title": format!("Lot {}: {} · {}", l.number, l.generic_name, b.supplier_name),
                        "description": b.reason,
                        "status": if under_review.contains(&l.lot_id) { "pending" } else { "active" },
                        "date": time(awarded),
                        "value": cny(amount),
                        "suppliers": [{ "id": org_id(b.supplier_org_id), "name": b.supplier_name }],
                        "items": [item("1", &b.product_code, &items, Some(volume), Some(price), l.lot_id)],
                        "contractPeriod": { "startDate": day_start(a.cycle_start), "endDate": day_end(a.cycle_end) },
                        "relatedLots": [lot],
                    }));
                }
            }
        }
    }
    let lot_of = |id: Uuid| evaluation.lots.iter().find(|l| l.lot_id == id);
    let mut awarded_contracts = Vec::new();
    for c in all_contracts.iter().filter(|c| c.replaces.is_none()) {
        if let Some(l) = lot_of(c.lot_id) {
            awarded_contracts.push(contract_json(
                c,
                "active",
                l,
                &items,
                &province_names,
                &name_of(c.supplier_org_id),
                awarded,
            ));
        }
    }
    releases.push(json!({
        "ocid": ocid, "id": format!("{ocid}-award"), "date": time(awarded),
        "tag": ["tenderUpdate", "award", "contract"], "initiationType": "tender", "language": "zh",
        "parties": parties, "buyer": office, "tender": tender_done,
        "bids": { "statistics": statistics, "details": details },
        "awards": awards, "contracts": awarded_contracts,
    }));

    // one release per supply failure
    for (n, (failed, takeover, reason, at)) in failures.iter().enumerate() {
        let (Some(f), Some(t)) = (
            all_contracts.iter().find(|c| c.id == *failed),
            all_contracts.iter().find(|c| c.id == *takeover),
        ) else {
            continue;
        };
        let Some(l) = lot_of(f.lot_id) else { continue };
        let mut terminated = contract_json(
            f,
            "terminated",
            l,
            &items,
            &province_names,
            &name_of(f.supplier_org_id),
            awarded,
        );
        terminated["description"] = json!(format!("Supply failure: {reason}"));
        let replacement = contract_json(
            t,
            "active",
            l,
            &items,
            &province_names,
            &name_of(t.supplier_org_id),
            *at,
        );
        releases.push(json!({
            "ocid": ocid, "id": format!("{ocid}-supply-failure-{}", n + 1), "date": time(*at),
            "tag": ["contractTermination", "contract"], "initiationType": "tender", "language": "zh",
            "parties": parties, "buyer": office,
            "awards": awards.iter().filter(|a| a["id"] == json!(award_id(f.lot_id, f.supplier_org_id))
                                          || a["id"] == json!(award_id(t.lot_id, t.supplier_org_id))).cloned().collect::<Vec<_>>(),
            "contracts": [terminated, replacement],
        }));
    }

    // implementation: each contract's deliveries to date, as one delivery milestone
    if let Some(release) = implementation(
        conn,
        &ocid,
        &parties,
        &office,
        &awards,
        &all_contracts,
        |c| {
            lot_of(c.lot_id).map(|l| {
                contract_json(
                    c,
                    match c.status {
                        ContractStatus::Active => "active",
                        // suspended by an upheld complaint: not in force, not ended
                        ContractStatus::Suspended => "pending",
                        _ => "terminated",
                    },
                    l,
                    &items,
                    &province_names,
                    &name_of(c.supplier_org_id),
                    awarded,
                )
            })
        },
    )
    .await?
    {
        releases.push(release);
    }

    Ok(json!({
        "uri": format!("{base}/api/v1/rounds/{}/ocds", round.id),
        "version": "1.1",
        "extensions": EXTENSIONS,
        "publishedDate": time(Utc::now().max(awarded)),
        "publisher": { "name": OFFICE_NAME, "uri": base },
        "license": "https://creativecommons.org/publicdomain/zero/1.0/",
        "publicationPolicy": format!("{base}/docs/api.md#the-public-record-ocds"),
        "releases": releases,
    }))
}

#[derive(diesel::QueryableByName)]
struct Delivered {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    contract_id: Uuid,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    deliveries: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    shipped: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    accepted: i64,
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    awaiting: i64,
    #[diesel(sql_type = diesel::sql_types::Timestamptz)]
    last: DateTime<Utc>,
}

/// The implementation release: for every contract with deliveries, one `delivery`
/// milestone summing them (OCDS has no per-delivery quantity field, and a contract may
/// see thousands): met when the agreed volume is accepted, partially met while some is,
/// scheduled (due at the cycle's end) before. `None` when nothing was delivered.
async fn implementation(
    conn: &mut AsyncPgConnection,
    ocid: &str,
    parties: &[Value],
    office: &Value,
    awards: &[Value],
    all: &[ContractRow],
    contract: impl Fn(&ContractRow) -> Option<Value>,
) -> Result<Option<Value>, ApiError> {
    use diesel_async::RunQueryDsl as _;
    let ids: Vec<Uuid> = all.iter().map(|c| c.id).collect();
    let rows: Vec<Delivered> = diesel::sql_query(
        "SELECT l.contract_id, count(DISTINCT d.id) AS deliveries,
                sum(l.quantity)::bigint AS shipped, coalesce(sum(l.accepted), 0)::bigint AS accepted,
                count(*) FILTER (WHERE l.accepted IS NULL) AS awaiting,
                max(coalesce(d.accepted_at, d.shipped_at)) AS last
           FROM delivery_lines l JOIN deliveries d ON d.id = l.delivery_id AND d.province = l.province
          WHERE l.contract_id = ANY($1)
          GROUP BY l.contract_id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .load(conn)
    .await?;
    if rows.is_empty() {
        return Ok(None);
    }
    let mut contracts = Vec::new();
    let mut latest = None;
    for r in &rows {
        let Some(c) = all.iter().find(|c| c.id == r.contract_id) else {
            continue;
        };
        let Some(mut json) = contract(c) else {
            continue;
        };
        let status = if r.accepted >= c.agreed_volume && c.agreed_volume > 0 {
            "met"
        } else if r.accepted > 0 {
            "partiallyMet"
        } else {
            "scheduled"
        };
        let mut milestone = json!({
            "id": format!("{}-deliveries", c.id),
            "title": "Deliveries accepted against the agreed volume",
            "type": "delivery",
            "status": status,
            "dueDate": day_end(c.cycle_end),
            "dateModified": time(r.last),
            "description": format!(
                "{} deliveries: {} units shipped, {} accepted ({} lines awaiting acceptance) of the agreed {}",
                r.deliveries, r.shipped, r.accepted, r.awaiting, c.agreed_volume
            ),
        });
        if status == "met" {
            milestone["dateMet"] = json!(time(r.last));
        }
        json["implementation"] = json!({ "milestones": [milestone] });
        contracts.push(json);
        latest = latest.max(Some(r.last));
    }
    let date = latest.unwrap_or_else(Utc::now);
    let referenced: Vec<Value> = awards
        .iter()
        .filter(|a| contracts.iter().any(|c| c["awardID"] == a["id"]))
        .cloned()
        .collect();
    Ok(Some(json!({
        "ocid": ocid, "id": format!("{ocid}-implementation-{}", date.timestamp()), "date": time(date),
        "tag": ["implementation"], "initiationType": "tender", "language": "zh",
        "parties": parties, "buyer": office, "awards": referenced,
        "contracts": contracts,
    })))
}
