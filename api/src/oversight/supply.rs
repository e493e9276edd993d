//! Shortage early warning (DOMAIN.md, "Monitoring and early warning"; docs/rules.md 11a).
//!
//! A supply problem is recorded once, in the transaction of what caused it: a supplier's
//! refusal (one per contract of the order), a hospital's shortage report, or, by the daily
//! scan with the database's clock, a confirmed order's contract not wholly shipped within
//! its round's delivery term. Each recording recomputes the warning of its generic in its
//! province (`bidding_core::monitoring::warning` over the sliding window); a rise to
//! warning or alarm is audited and told to the province's centre and the procurement
//! office through the outbox; the daily scan lets levels fall back when their problems
//! leave the window.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use bidding_core::{
    OversightRules, WarningLevel, WarningRules,
    monitoring::{self, Warning},
};
use chrono::NaiveDate;
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Bpchar, Date, Integer, Nullable, Text, Uuid as U},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::{
    audit::{self, Actor},
    auth::OrgKind,
    db::{
        core_date, naive_date,
        schema::{organisations, supply_warnings},
    },
    error::ApiError,
    mail::mail_orgs,
    settings::JobSettings,
};

/// The platform's warning rules: a 30-day window; watch from 1 problem, warning from 3,
/// alarm from 5 (docs/rules.md 11a).
pub fn rules() -> WarningRules {
    WarningRules::default()
}

pub fn level_str(level: WarningLevel) -> &'static str {
    match level {
        WarningLevel::None => "none",
        WarningLevel::Watch => "watch",
        WarningLevel::Warning => "warning",
        WarningLevel::Alarm => "alarm",
    }
}

fn level_of(s: &str) -> WarningLevel {
    match s {
        "watch" => WarningLevel::Watch,
        "warning" => WarningLevel::Warning,
        "alarm" => WarningLevel::Alarm,
        _ => WarningLevel::None,
    }
}

/// A generic in a province whose warning may have changed.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Pair {
    #[diesel(sql_type = Bpchar)]
    pub province: String,
    #[diesel(sql_type = Text)]
    pub generic_name: String,
}

const COLUMNS: &str = "id, province, kind, generic_name, lot_id, contract_id, supplier_org_id, \
                       hospital_org_id, order_id, report_id, open_units, note, day";

/// Records the refusal of an order (one problem per contract of its lines) and updates
/// the warnings it touches; a second call for the same order records nothing.
pub async fn record_refusal(
    conn: &mut AsyncPgConnection,
    notices: &Notices<'_>,
    actor: &Actor,
    order_id: Uuid,
    province: &str,
) -> Result<(), ApiError> {
    let pairs: Vec<Pair> = diesel::sql_query(format!(
        "INSERT INTO supply_problems ({COLUMNS})
         SELECT gen_random_uuid(), o.province, 'refused', lt.generic_name, c.lot_id, c.id,
                c.supplier_org_id, o.hospital_org_id, o.id, NULL,
                sum(l.quantity - l.moved)::bigint, o.refusal_reason, china_today()
           FROM orders o
           JOIN order_lines l ON l.order_id = o.id AND l.province = o.province
           JOIN contracts c ON c.id = l.contract_id
           JOIN lots lt ON lt.id = c.lot_id
          WHERE o.id = $1 AND o.province = $2 AND o.status = 'refused'
          GROUP BY o.id, o.province, c.id, c.lot_id, lt.generic_name
         ON CONFLICT DO NOTHING
         RETURNING province, generic_name"
    ))
    .bind::<U, _>(order_id)
    .bind::<Bpchar, _>(province)
    .load(conn)
    .await?;
    refresh(conn, notices, actor, pairs).await?;
    Ok(())
}

/// Records a hospital's shortage report as a problem and updates its warning.
pub async fn record_report(
    conn: &mut AsyncPgConnection,
    notices: &Notices<'_>,
    actor: &Actor,
    report_id: Uuid,
    province: &str,
) -> Result<(), ApiError> {
    let pairs: Vec<Pair> = diesel::sql_query(format!(
        "INSERT INTO supply_problems ({COLUMNS})
         SELECT gen_random_uuid(), r.province, 'reported_shortage', lt.generic_name, c.lot_id,
                c.id, r.supplier_org_id, r.hospital_org_id, NULL, r.id, 0, r.note, china_today()
           FROM shortage_reports r
           JOIN contracts c ON c.id = r.contract_id
           JOIN lots lt ON lt.id = c.lot_id
          WHERE r.id = $1 AND r.province = $2
         ON CONFLICT DO NOTHING
         RETURNING province, generic_name"
    ))
    .bind::<U, _>(report_id)
    .bind::<Bpchar, _>(province)
    .load(conn)
    .await?;
    refresh(conn, notices, actor, pairs).await?;
    Ok(())
}

/// What the scan did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanResult {
    /// China's day of the scan.
    pub today: NaiveDate,
    /// Confirmed orders' contracts found not wholly shipped within their term, recorded
    /// now (each is recorded once).
    pub recorded: usize,
    /// Warnings whose level changed (rose or fell back).
    pub changed: usize,
}

/// The daily scan: records each confirmed order's contract not wholly shipped within its
/// round's delivery term (`oversight.delivery_days`, 7 unless set), then recomputes every
/// warning above none and every one a new problem touched, so levels fall back when their
/// problems leave the window.
pub async fn scan(
    conn: &mut AsyncPgConnection,
    notices: &Notices<'_>,
    actor: &Actor,
) -> Result<ScanResult, ApiError> {
    let term = i32::try_from(OversightRules::default().delivery_days).unwrap_or(7);
    let recorded: Vec<Pair> = diesel::sql_query(format!(
        "INSERT INTO supply_problems ({COLUMNS})
         SELECT gen_random_uuid(), o.province, 'not_shipped', lt.generic_name, c.lot_id, c.id,
                c.supplier_org_id, o.hospital_org_id, o.id, NULL,
                sum(l.quantity - l.shipped - l.moved)::bigint, NULL,
                ((o.decided_at + make_interval(days => t.days)) AT TIME ZONE 'UTC' + interval '8 hours')::date
           FROM orders o
           JOIN order_lines l ON l.order_id = o.id AND l.province = o.province
           JOIN contracts c ON c.id = l.contract_id
           JOIN rounds r ON r.id = c.round_id
           JOIN lots lt ON lt.id = c.lot_id
           CROSS JOIN LATERAL (
               SELECT COALESCE((r.rules #>> '{{oversight,delivery_days}}')::int, $1) AS days) t
          WHERE o.status = 'confirmed'
            AND o.decided_at + make_interval(days => t.days) <= clock_timestamp()
            -- an order already found late is not summed again (each is recorded once)
            AND NOT EXISTS (
                SELECT 1 FROM supply_problems sp
                 WHERE sp.order_id = o.id AND sp.province = o.province
                   AND sp.contract_id = c.id AND sp.kind = 'not_shipped')
          GROUP BY o.id, o.province, c.id, c.lot_id, lt.generic_name, t.days
         HAVING sum(l.quantity - l.shipped - l.moved) > 0
         ON CONFLICT DO NOTHING
         RETURNING province, generic_name"
    ))
    .bind::<Integer, _>(term)
    .load(conn)
    .await?;
    let standing: Vec<Pair> = diesel::sql_query(
        "SELECT province, generic_name FROM supply_warnings WHERE level <> 'none'",
    )
    .load(conn)
    .await?;
    let n = recorded.len();
    if n > 0 {
        // what the scan found, per generic and province (each problem is its own row)
        let mut found: BTreeMap<&Pair, usize> = BTreeMap::new();
        for p in &recorded {
            *found.entry(p).or_default() += 1;
        }
        audit::record(
            conn,
            actor,
            "supply.scan",
            "province",
            "all",
            json!({ "not_shipped": n, "pairs": found.iter().map(|(p, k)| json!({
                "province": p.province, "generic_name": p.generic_name, "problems": k,
            })).collect::<Vec<_>>() }),
        )
        .await?;
    }
    let mut pairs = recorded;
    pairs.extend(standing);
    let (today, changed) = refresh(conn, notices, actor, pairs).await?;
    Ok(ScanResult {
        today,
        recorded: n,
        changed,
    })
}

/// Where notices go: the outbox settings and the platform's address.
pub struct Notices<'a> {
    pub jobs: &'a JobSettings,
    pub public_url: &'a str,
}

/// China's day by the database's clock.
pub async fn today(conn: &mut AsyncPgConnection) -> Result<NaiveDate, ApiError> {
    Ok(diesel::select(diesel::dsl::sql::<Date>("china_today()"))
        .get_result(conn)
        .await?)
}

#[derive(QueryableByName)]
struct DayRow {
    #[diesel(sql_type = Bpchar)]
    province: String,
    #[diesel(sql_type = Text)]
    generic_name: String,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
}

/// The warning of each pair today, from its problems in the window.
async fn warnings_of(
    conn: &mut AsyncPgConnection,
    pairs: &BTreeSet<Pair>,
    today: NaiveDate,
    rules: &WarningRules,
) -> Result<BTreeMap<Pair, Warning>, ApiError> {
    let (provinces, generics): (Vec<&str>, Vec<&str>) = pairs
        .iter()
        .map(|p| (p.province.as_str(), p.generic_name.as_str()))
        .unzip();
    let rows: Vec<DayRow> = diesel::sql_query(
        "SELECT sp.province, sp.generic_name, sp.day
           FROM supply_problems sp
           JOIN unnest($1::bpchar[], $2::text[]) AS p(province, generic_name)
             ON sp.province = p.province AND sp.generic_name = p.generic_name
          WHERE sp.day > $3::date - $4 AND sp.day <= $3::date",
    )
    .bind::<Array<Bpchar>, _>(provinces)
    .bind::<Array<Text>, _>(generics)
    .bind::<Date, _>(today)
    .bind::<Integer, _>(i32::try_from(rules.window_days).unwrap_or(30))
    .load(conn)
    .await?;
    let mut days: BTreeMap<Pair, Vec<bidding_core::Date>> = BTreeMap::new();
    for r in rows {
        days.entry(Pair {
            province: r.province,
            generic_name: r.generic_name,
        })
        .or_default()
        .push(core_date(r.day)?);
    }
    let core_today = core_date(today)?;
    Ok(pairs
        .iter()
        .map(|p| {
            let d = days.get(p).map(Vec::as_slice).unwrap_or_default();
            (p.clone(), monitoring::warning(d, core_today, rules))
        })
        .collect())
}

/// Recomputes the warnings of `pairs`; records each change (audited) and tells a rise to
/// warning or alarm. Returns today and how many changed.
async fn refresh(
    conn: &mut AsyncPgConnection,
    notices: &Notices<'_>,
    actor: &Actor,
    pairs: Vec<Pair>,
) -> Result<(NaiveDate, usize), ApiError> {
    let today = today(conn).await?;
    let pairs: BTreeSet<Pair> = pairs.into_iter().collect();
    if pairs.is_empty() {
        return Ok((today, 0));
    }
    // one writer of a pair's warning at a time, and it counts after the one before has
    // committed (each statement of READ COMMITTED sees what committed before it): two
    // refusals at once both count. Locks are taken in one order, so two scans cannot
    // deadlock.
    let keys: Vec<String> = pairs
        .iter()
        .map(|p| format!("supply_warning:{}:{}", p.province, p.generic_name))
        .collect();
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(h) FROM (
             SELECT hashtextextended(k, 0) AS h FROM unnest($1::text[]) AS k ORDER BY 1) s",
    )
    .bind::<Array<Text>, _>(keys)
    .execute(conn)
    .await?;
    let rules = rules();
    let now = warnings_of(conn, &pairs, today, &rules).await?;
    let mut changed = 0;
    for (pair, w) in now {
        let before: Option<String> = supply_warnings::table
            .find((&pair.generic_name, &pair.province))
            .select(supply_warnings::level)
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let before = before.as_deref().map_or(WarningLevel::None, level_of);
        if before == w.level {
            continue;
        }
        changed += 1;
        let level = level_str(w.level);
        diesel::insert_into(supply_warnings::table)
            .values((
                supply_warnings::province.eq(&pair.province),
                supply_warnings::generic_name.eq(&pair.generic_name),
                supply_warnings::level.eq(level),
                supply_warnings::problems.eq(i32::try_from(w.count).unwrap_or(i32::MAX)),
                supply_warnings::changed_on.eq(today),
                supply_warnings::changed_at.eq(diesel::dsl::now),
            ))
            .on_conflict((supply_warnings::generic_name, supply_warnings::province))
            .do_update()
            .set((
                supply_warnings::level.eq(level),
                supply_warnings::problems.eq(i32::try_from(w.count).unwrap_or(i32::MAX)),
                supply_warnings::changed_on.eq(today),
                supply_warnings::changed_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            actor,
            if w.level > before {
                "supply_warning.rise"
            } else {
                "supply_warning.fall"
            },
            "supply_warning",
            &format!("{}:{}", pair.province, pair.generic_name),
            json!({ "from": level_str(before), "to": level, "problems": w.count,
                    "window_days": rules.window_days, "day": today }),
        )
        .await?;
        if w.level > before && w.level >= WarningLevel::Warning {
            tell_rise(conn, notices, &pair, &w, today).await?;
        }
    }
    Ok((today, changed))
}

/// Tells the province's centre and the procurement office of a rise to warning or alarm.
async fn tell_rise(
    conn: &mut AsyncPgConnection,
    notices: &Notices<'_>,
    pair: &Pair,
    w: &Warning,
    today: NaiveDate,
) -> Result<(), ApiError> {
    let orgs: Vec<Uuid> = organisations::table
        .filter(
            organisations::kind
                .eq(OrgKind::Buyer)
                .and(organisations::province.eq(&pair.province))
                .or(organisations::kind.eq(OrgKind::ProcurementOffice)),
        )
        .select(organisations::id)
        .load(conn)
        .await?;
    let (zh, en) = if w.level == WarningLevel::Alarm {
        ("短缺预警：红色（报警）", "Shortage alarm")
    } else {
        ("短缺预警：黄色（预警）", "Shortage warning")
    };
    let level = level_str(w.level);
    mail_orgs(
        conn,
        notices.jobs,
        notices.public_url,
        &orgs,
        "oversight_notice",
        &format!(
            "warning:{}:{}:{level}:{today}",
            pair.province, pair.generic_name
        ),
        json!({
            "headline_zh": zh, "headline_en": en,
            "subject_zh": pair.generic_name, "subject_en": pair.generic_name,
            "detail_zh": format!("{} 省份 {}：近 {} 天 {} 次供应问题。", pair.generic_name, pair.province, rules().window_days, w.count),
            "detail_en": format!("{} in province {}: {} supply problem(s) in the last {} days.", pair.generic_name, pair.province, w.count, rules().window_days),
            "link": "/oversight/warnings",
        }),
    )
    .await?;
    Ok(())
}

/// The rules as the list shows them.
#[derive(Debug, Serialize, ToSchema)]
pub struct RulesDto {
    pub window_days: u32,
    pub watch_at: u32,
    pub warning_at: u32,
    pub alarm_at: u32,
}

/// A hospital a warning affects.
#[derive(Debug, Serialize, ToSchema)]
pub struct AffectedHospital {
    pub org_id: Uuid,
    pub name: String,
    /// Its problems in the window.
    pub problems: u32,
}

/// A contract of the generic in the province, with its backup.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyOption {
    pub contract_id: Uuid,
    pub round_id: Uuid,
    pub lot_id: Uuid,
    /// `active`, `suspended`, `failed` or `completed`.
    pub status: String,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    pub backup_supplier_org_id: Option<Uuid>,
    pub backup_supplier_name: Option<String>,
    #[schema(value_type = Option<String>)]
    pub backup_unit_price: Option<Decimal>,
}

/// A problem in the window.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemDto {
    /// `refused`, `not_shipped` or `reported_shortage`.
    pub kind: String,
    pub day: NaiveDate,
    pub hospital_org_id: Uuid,
    pub supplier_org_id: Uuid,
    pub contract_id: Uuid,
    pub order_id: Option<Uuid>,
    pub open_units: i64,
    pub note: Option<String>,
}

/// A generic's warning in a province.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningDto {
    pub province: String,
    pub province_name: String,
    pub generic_name: String,
    /// `watch`, `warning` or `alarm`.
    pub level: String,
    /// Problems in the window.
    pub problems: u32,
    pub refused: u32,
    pub not_shipped: u32,
    pub reported_shortage: u32,
    /// With no new problem, the level is lower from this day.
    pub falls_back_on: Option<NaiveDate>,
    pub hospitals: Vec<AffectedHospital>,
    /// The contracts of the generic in the province not completed, active first (the
    /// backup is who takes over when a supply failure is recorded on the contract).
    pub contracts: Vec<SupplyOption>,
    /// The problems in the window, newest first (at most 50).
    pub recent: Vec<ProblemDto>,
}

/// Warnings by province, for the chart.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProvinceWarnings {
    pub province: String,
    pub name: String,
    pub watch: u32,
    pub warning: u32,
    pub alarm: u32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Warnings {
    pub today: NaiveDate,
    pub rules: RulesDto,
    pub by_province: Vec<ProvinceWarnings>,
    /// Highest level first, then most problems.
    pub warnings: Vec<WarningDto>,
}

#[derive(QueryableByName)]
struct ProblemRow {
    #[diesel(sql_type = Bpchar)]
    province: String,
    #[diesel(sql_type = Text)]
    generic_name: String,
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Date)]
    day: NaiveDate,
    #[diesel(sql_type = U)]
    hospital_org_id: Uuid,
    #[diesel(sql_type = U)]
    supplier_org_id: Uuid,
    #[diesel(sql_type = U)]
    contract_id: Uuid,
    #[diesel(sql_type = Nullable<U>)]
    order_id: Option<Uuid>,
    #[diesel(sql_type = BigInt)]
    open_units: i64,
    #[diesel(sql_type = Nullable<Text>)]
    note: Option<String>,
}

#[derive(QueryableByName)]
struct OptionRow {
    #[diesel(sql_type = Bpchar)]
    province: String,
    #[diesel(sql_type = Text)]
    generic_name: String,
    #[diesel(sql_type = U)]
    id: Uuid,
    #[diesel(sql_type = U)]
    round_id: Uuid,
    #[diesel(sql_type = U)]
    lot_id: Uuid,
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = U)]
    supplier_org_id: Uuid,
    #[diesel(sql_type = Text)]
    supplier_name: String,
    #[diesel(sql_type = diesel::sql_types::Numeric)]
    unit_price: Decimal,
    #[diesel(sql_type = Nullable<U>)]
    backup_supplier_org_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    backup_supplier_name: Option<String>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Numeric>)]
    backup_unit_price: Option<Decimal>,
}

/// The warnings above none today (one province's, or all), with what an officer needs to
/// act: the affected hospitals, the contracts and their backups, the problems.
pub async fn list(
    conn: &mut AsyncPgConnection,
    province: Option<&str>,
) -> Result<Warnings, ApiError> {
    let rules = rules();
    let today = today(conn).await?;
    let rows: Vec<ProblemRow> = diesel::sql_query(
        "SELECT province, generic_name, kind, day, hospital_org_id, supplier_org_id, contract_id,
                order_id, open_units, note
           FROM supply_problems
          WHERE day > $1::date - $2 AND day <= $1::date
            AND ($3::bpchar IS NULL OR province = $3::bpchar)
          ORDER BY day DESC, recorded_at DESC",
    )
    .bind::<Date, _>(today)
    .bind::<Integer, _>(i32::try_from(rules.window_days).unwrap_or(30))
    .bind::<Nullable<Bpchar>, _>(province)
    .load(conn)
    .await?;
    let mut by_pair: BTreeMap<Pair, Vec<ProblemRow>> = BTreeMap::new();
    for r in rows {
        by_pair
            .entry(Pair {
                province: r.province.clone(),
                generic_name: r.generic_name.clone(),
            })
            .or_default()
            .push(r);
    }
    let core_today = core_date(today)?;
    let names: HashMap<String, String> = crate::accounts::queries::Province::all(conn)
        .await?
        .into_iter()
        .map(|p| (p.code, p.name_zh))
        .collect();
    let hospital_ids: Vec<Uuid> = by_pair
        .values()
        .flatten()
        .map(|r| r.hospital_org_id)
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let org_names: HashMap<Uuid, String> = organisations::table
        .filter(organisations::id.eq_any(&hospital_ids))
        .select((organisations::id, organisations::name))
        .load::<(Uuid, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let (provinces, generics): (Vec<&str>, Vec<&str>) = by_pair
        .keys()
        .map(|p| (p.province.as_str(), p.generic_name.as_str()))
        .unzip();
    let options: Vec<OptionRow> = diesel::sql_query(
        "SELECT c.province, lt.generic_name, c.id, c.round_id, c.lot_id, c.status,
                c.supplier_org_id, s.name AS supplier_name, c.unit_price,
                c.backup_supplier_org_id, b.name AS backup_supplier_name, c.backup_unit_price
           FROM contracts c
           JOIN lots lt ON lt.id = c.lot_id
           JOIN unnest($1::bpchar[], $2::text[]) AS p(province, generic_name)
             ON c.province = p.province AND lt.generic_name = p.generic_name
           JOIN organisations s ON s.id = c.supplier_org_id
           LEFT JOIN organisations b ON b.id = c.backup_supplier_org_id
          WHERE c.status <> 'completed'
          ORDER BY c.province, lt.generic_name, (c.status = 'active') DESC, c.created_at DESC",
    )
    .bind::<Array<Bpchar>, _>(provinces)
    .bind::<Array<Text>, _>(generics)
    .load(conn)
    .await?;
    let mut options_of: BTreeMap<Pair, Vec<SupplyOption>> = BTreeMap::new();
    for o in options {
        options_of
            .entry(Pair {
                province: o.province,
                generic_name: o.generic_name,
            })
            .or_default()
            .push(SupplyOption {
                contract_id: o.id,
                round_id: o.round_id,
                lot_id: o.lot_id,
                status: o.status,
                supplier_org_id: o.supplier_org_id,
                supplier_name: o.supplier_name,
                unit_price: o.unit_price,
                backup_supplier_org_id: o.backup_supplier_org_id,
                backup_supplier_name: o.backup_supplier_name,
                backup_unit_price: o.backup_unit_price,
            });
    }
    let mut warnings = Vec::new();
    let mut chart: BTreeMap<String, ProvinceWarnings> = BTreeMap::new();
    for (pair, problems) in by_pair {
        let days = problems
            .iter()
            .map(|p| core_date(p.day))
            .collect::<Result<Vec<_>, _>>()?;
        let w = monitoring::warning(&days, core_today, &rules);
        if w.level == WarningLevel::None {
            continue;
        }
        let bar = chart
            .entry(pair.province.clone())
            .or_insert_with(|| ProvinceWarnings {
                province: pair.province.clone(),
                name: names.get(&pair.province).cloned().unwrap_or_default(),
                watch: 0,
                warning: 0,
                alarm: 0,
            });
        match w.level {
            WarningLevel::Watch => bar.watch += 1,
            WarningLevel::Warning => bar.warning += 1,
            _ => bar.alarm += 1,
        }
        let count = |k: &str| u32::try_from(problems.iter().filter(|p| p.kind == k).count());
        let mut per_hospital: BTreeMap<Uuid, u32> = BTreeMap::new();
        for p in &problems {
            *per_hospital.entry(p.hospital_org_id).or_default() += 1;
        }
        let mut hospitals: Vec<AffectedHospital> = per_hospital
            .into_iter()
            .map(|(org_id, n)| AffectedHospital {
                org_id,
                name: org_names.get(&org_id).cloned().unwrap_or_default(),
                problems: n,
            })
            .collect();
        hospitals.sort_by(|a, b| b.problems.cmp(&a.problems).then(a.name.cmp(&b.name)));
        warnings.push(WarningDto {
            province_name: names.get(&pair.province).cloned().unwrap_or_default(),
            level: level_str(w.level).to_owned(),
            problems: w.count,
            refused: count("refused").unwrap_or(0),
            not_shipped: count("not_shipped").unwrap_or(0),
            reported_shortage: count("reported_shortage").unwrap_or(0),
            falls_back_on: w.falls_back_on.map(naive_date).transpose()?,
            hospitals,
            contracts: options_of.remove(&pair).unwrap_or_default(),
            recent: problems
                .into_iter()
                .take(50)
                .map(|p| ProblemDto {
                    kind: p.kind,
                    day: p.day,
                    hospital_org_id: p.hospital_org_id,
                    supplier_org_id: p.supplier_org_id,
                    contract_id: p.contract_id,
                    order_id: p.order_id,
                    open_units: p.open_units,
                    note: p.note,
                })
                .collect(),
            province: pair.province,
            generic_name: pair.generic_name,
        });
    }
    warnings.sort_by(|a, b| {
        level_of(&b.level)
            .cmp(&level_of(&a.level))
            .then(b.problems.cmp(&a.problems))
            .then(a.province.cmp(&b.province))
            .then(a.generic_name.cmp(&b.generic_name))
    });
    Ok(Warnings {
        today,
        rules: RulesDto {
            window_days: rules.window_days,
            watch_at: rules.watch_at,
            warning_at: rules.warning_at,
            alarm_at: rules.alarm_at,
        },
        by_province: chart.into_values().collect(),
        warnings,
    })
}
