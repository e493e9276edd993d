//! Contracts (one per lot, winner and province), supply failures with the backup's
//! takeover, and supplier bars.

use bidding_core::{Money, UnitPrice};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::{
    audit::{self, Actor},
    db::{
        clock,
        schema::{
            contract_distributors, contracts, lots, organisations, rounds, supplier_bars,
            supply_failures,
        },
    },
    error::ApiError,
    mail::mail_orgs,
    settings::Settings,
};

crate::platform::db::text_enum! {
    /// Where a contract is: active, ended by a supply failure, completed, or suspended
    /// by an upheld complaint on its lot (not orderable, not ended).
    ContractStatus {
        Active => "active",
        Failed => "failed",
        Completed => "completed",
        Suspended => "suspended",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = contracts, check_for_backend(diesel::pg::Pg))]
pub struct ContractRow {
    pub id: Uuid,
    pub round_id: Uuid,
    pub lot_id: Uuid,
    pub province: String,
    pub supplier_org_id: Uuid,
    pub bid_id: Uuid,
    pub product_code: String,
    pub rank: i32,
    pub unit_price: Decimal,
    pub annual_demand: i64,
    pub agreed_volume: i64,
    pub annual_amount: Decimal,
    pub cycle_start: NaiveDate,
    pub cycle_end: NaiveDate,
    pub backup_supplier_org_id: Option<Uuid>,
    pub backup_bid_id: Option<Uuid>,
    pub backup_unit_price: Option<Decimal>,
    pub backup_rank: Option<i32>,
    pub status: ContractStatus,
    pub replaces: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A contract as the API shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContractDto {
    pub id: Uuid,
    pub round_id: Uuid,
    pub round_name: String,
    pub lot_id: Uuid,
    pub lot_number: i32,
    pub generic_name: String,
    /// GB/T 2260 province code.
    pub province: String,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub product_code: String,
    /// The winner's rank in the lot.
    pub rank: i32,
    /// Price per minimum unit of the product's own specification.
    #[schema(value_type = String, example = "0.5000")]
    pub unit_price: Decimal,
    /// The province's reported annual demand, minimum units.
    pub annual_demand: i64,
    /// Demand x the lot's volume ratio, whole minimum units.
    pub agreed_volume: i64,
    /// Agreed volume x unit price, yuan.
    #[schema(value_type = String, example = "425000.00")]
    pub annual_amount: Decimal,
    pub cycle_start: NaiveDate,
    /// Last day of the cycle.
    pub cycle_end: NaiveDate,
    pub backup: Option<BackupDto>,
    /// `active`, `failed` (the supplier could not supply; see `replaced_by`) or `completed`
    pub status: String,
    /// The failed contract this one took over.
    pub replaces: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct BackupDto {
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub bid_id: Uuid,
    pub rank: i32,
    /// The backup's own winning price.
    #[schema(value_type = String)]
    pub unit_price: Decimal,
}

/// Who may see which contracts.
#[derive(Debug, Clone, Copy)]
pub enum Scope {
    All,
    /// A supplier: its contracts and those it backs up.
    Supplier(Uuid),
    /// A provincial buyer, insurer or hospital: its province.
    Province,
    /// A distributor: the contracts whose supplier named it.
    Distributor(Uuid),
}

#[derive(Debug, Default)]
pub struct Filter {
    pub round_id: Option<Uuid>,
    pub lot_id: Option<Uuid>,
    pub province: Option<String>,
    pub supplier_org_id: Option<Uuid>,
    pub status: Option<ContractStatus>,
}

async fn to_dtos(
    conn: &mut AsyncPgConnection,
    rows: Vec<ContractRow>,
) -> Result<Vec<ContractDto>, ApiError> {
    let mut orgs: Vec<Uuid> = rows
        .iter()
        .flat_map(|c| [Some(c.supplier_org_id), c.backup_supplier_org_id])
        .flatten()
        .collect();
    orgs.sort();
    orgs.dedup();
    let names: std::collections::HashMap<Uuid, String> = organisations::table
        .filter(organisations::id.eq_any(&orgs))
        .select((organisations::id, organisations::name))
        .load::<(Uuid, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let mut lot_ids: Vec<Uuid> = rows.iter().map(|c| c.lot_id).collect();
    lot_ids.sort();
    lot_ids.dedup();
    let lot_info: std::collections::HashMap<Uuid, (i32, String, String)> = lots::table
        .inner_join(rounds::table)
        .filter(lots::id.eq_any(&lot_ids))
        .select((lots::id, lots::number, lots::generic_name, rounds::name))
        .load::<(Uuid, i32, String, String)>(conn)
        .await?
        .into_iter()
        .map(|(id, n, g, r)| (id, (n, g, r)))
        .collect();
    Ok(rows
        .into_iter()
        .map(|c| {
            let (lot_number, generic_name, round_name) =
                lot_info.get(&c.lot_id).cloned().unwrap_or_default();
            let name = |o: Uuid| names.get(&o).cloned().unwrap_or_default();
            ContractDto {
                backup: match (
                    c.backup_supplier_org_id,
                    c.backup_bid_id,
                    c.backup_unit_price,
                    c.backup_rank,
                ) {
                    (Some(org), Some(bid), Some(price), Some(rank)) => Some(BackupDto {
                        supplier_org_id: org,
                        supplier_name: name(org),
                        bid_id: bid,
                        rank,
                        unit_price: price,
                    }),
                    _ => None,
                },
                supplier_name: name(c.supplier_org_id),
                id: c.id,
                round_id: c.round_id,
                round_name,
                lot_id: c.lot_id,
                lot_number,
                generic_name,
                province: c.province,
                supplier_org_id: c.supplier_org_id,
                product_code: c.product_code,
                rank: c.rank,
                unit_price: c.unit_price,
                annual_demand: c.annual_demand,
                agreed_volume: c.agreed_volume,
                annual_amount: c.annual_amount,
                cycle_start: c.cycle_start,
                cycle_end: c.cycle_end,
                status: c.status.to_string(),
                replaces: c.replaces,
                created_at: c.created_at,
                ended_at: c.ended_at,
            }
        })
        .collect())
}

/// A page of the contracts the caller may see.
pub async fn page(
    conn: &mut AsyncPgConnection,
    scope: Scope,
    own_province: Option<&str>,
    filter: &Filter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ContractDto>, i64), ApiError> {
    let build = || {
        let mut q = contracts::table.into_boxed();
        match scope {
            Scope::All => {}
            Scope::Supplier(org) => {
                q = q.filter(
                    contracts::supplier_org_id
                        .eq(org)
                        .or(contracts::backup_supplier_org_id.eq(org)),
                );
            }
            Scope::Province => {
                q = q.filter(contracts::province.eq(own_province.unwrap_or("").to_owned()));
            }
            Scope::Distributor(org) => {
                q = q.filter(
                    contracts::id.eq_any(
                        contract_distributors::table
                            .filter(contract_distributors::distributor_org_id.eq(org))
                            .select(contract_distributors::contract_id),
                    ),
                );
            }
        }
        if let Some(r) = filter.round_id {
            q = q.filter(contracts::round_id.eq(r));
        }
        if let Some(l) = filter.lot_id {
            q = q.filter(contracts::lot_id.eq(l));
        }
        if let Some(p) = &filter.province {
            q = q.filter(contracts::province.eq(p.clone()));
        }
        if let Some(s) = filter.supplier_org_id {
            q = q.filter(contracts::supplier_org_id.eq(s));
        }
        if let Some(s) = &filter.status {
            q = q.filter(contracts::status.eq(*s));
        }
        q
    };
    let total: i64 = build().count().get_result(conn).await?;
    let rows = build()
        .order((
            contracts::round_id,
            contracts::lot_id,
            contracts::province,
            contracts::created_at,
        ))
        .limit(limit)
        .offset(offset)
        .select(ContractRow::as_select())
        .load(conn)
        .await?;
    Ok((to_dtos(conn, rows).await?, total))
}

/// One contract, if the scope allows it.
pub async fn find(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    scope: Scope,
    own_province: Option<&str>,
) -> Result<ContractDto, ApiError> {
    let row = contracts::table
        .find(id)
        .select(ContractRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such contract"))?;
    let visible = match scope {
        Scope::All => true,
        Scope::Supplier(org) => {
            row.supplier_org_id == org || row.backup_supplier_org_id == Some(org)
        }
        Scope::Province => Some(row.province.as_str()) == own_province,
        Scope::Distributor(org) => {
            contract_distributors::table
                .find(row.id)
                .select(contract_distributors::distributor_org_id)
                .first::<Uuid>(conn)
                .await
                .optional()?
                == Some(org)
        }
    };
    if !visible {
        return Err(ApiError::not_found("no such contract"));
    }
    to_dtos(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("contract vanished"))
}

/// What recording a supply failure did.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyFailure {
    pub id: Uuid,
    pub reason: String,
    pub failed: ContractDto,
    /// The backup supplier's contract, at its own winning price.
    pub takeover: ContractDto,
    /// The bar recorded against the failing supplier, if any.
    pub bar: Option<BarDto>,
}

/// A supplier barred from rounds for a period.
#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct BarDto {
    pub id: Uuid,
    pub org_id: Uuid,
    pub barred_from: NaiveDate,
    /// Last barred day.
    pub barred_until: NaiveDate,
    pub reason: String,
    pub failure_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Records that the winner of `contract` failed to supply its province: the contract
/// ends as `failed`, the backup supplier takes the province over at its own winning
/// price (same agreed volume and cycle), and with `bar_until` the failing supplier is
/// barred from rounds until that day.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    actor: &Actor,
    user: Uuid,
    contract: Uuid,
    reason: &str,
    bar_until: Option<NaiveDate>,
) -> Result<SupplyFailure, ApiError> {
    let row = contracts::table
        .find(contract)
        .for_update()
        .select(ContractRow::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such contract"))?;
    if row.status != ContractStatus::Active {
        return Err(ApiError::rule(
            "contract_not_active",
            format!("the contract is {}, not active", row.status),
        ));
    }
    let (Some(b_org), Some(b_bid), Some(b_price), Some(b_rank)) = (
        row.backup_supplier_org_id,
        row.backup_bid_id,
        row.backup_unit_price,
        row.backup_rank,
    ) else {
        return Err(ApiError::rule(
            "no_backup_supplier",
            "this contract has no backup supplier (a lot with one winner has none); \
             the province must be procured again",
        ));
    };
    let today = crate::platform::db::china_date(clock(conn).await?);
    if let Some(until) = bar_until
        && until < today
    {
        return Err(ApiError::invalid(
            "bar_until",
            format!("must be today ({today}) or later"),
        ));
    }
    // the backup supplies the same agreed volume at its own winning price
    let takeover_price = UnitPrice::new(b_price).map_err(ApiError::internal)?;
    let agreed = u64::try_from(row.agreed_volume).map_err(ApiError::internal)?;
    let takeover_amount = Money::line_amount(agreed, takeover_price);
    let product: String = crate::platform::db::schema::bids::table
        .find(b_bid)
        .select(crate::platform::db::schema::bids::product_code.assume_not_null())
        .first(conn)
        .await?;
    diesel::update(contracts::table.find(row.id))
        .set((
            contracts::status.eq(ContractStatus::Failed),
            contracts::ended_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    let takeover_id = Uuid::now_v7();
    diesel::insert_into(contracts::table)
        .values((
            contracts::id.eq(takeover_id),
            contracts::round_id.eq(row.round_id),
            contracts::lot_id.eq(row.lot_id),
            contracts::province.eq(&row.province),
            contracts::supplier_org_id.eq(b_org),
            contracts::bid_id.eq(b_bid),
            contracts::product_code.eq(&product),
            contracts::rank.eq(b_rank),
            contracts::unit_price.eq(takeover_price.value()),
            contracts::annual_demand.eq(row.annual_demand),
            contracts::agreed_volume.eq(row.agreed_volume),
            contracts::annual_amount.eq(takeover_amount.value()),
            contracts::cycle_start.eq(row.cycle_start.max(today).min(row.cycle_end)),
            contracts::cycle_end.eq(row.cycle_end),
            contracts::replaces.eq(row.id),
        ))
        .execute(conn)
        .await?;
    let failure_id = Uuid::now_v7();
    diesel::insert_into(supply_failures::table)
        .values((
            supply_failures::id.eq(failure_id),
            supply_failures::contract_id.eq(row.id),
            supply_failures::takeover_id.eq(takeover_id),
            supply_failures::reason.eq(reason),
            supply_failures::recorded_by.eq(user),
        ))
        .execute(conn)
        .await?;
    // the hospitals' quotas go with the province; open order lines move to the backup
    super::quotas::copy_quotas(conn, row.id, takeover_id).await?;
    let takeover_row: ContractRow = contracts::table
        .find(takeover_id)
        .select(ContractRow::as_select())
        .first(conn)
        .await?;
    crate::orders::backup::move_to_backup(conn, settings, actor, &row, &takeover_row).await?;
    let bar = match bar_until {
        None => None,
        Some(until) => {
            let id = Uuid::now_v7();
            Some(
                diesel::insert_into(supplier_bars::table)
                    .values((
                        supplier_bars::id.eq(id),
                        supplier_bars::org_id.eq(row.supplier_org_id),
                        supplier_bars::barred_from.eq(today),
                        supplier_bars::barred_until.eq(until),
                        supplier_bars::reason.eq(reason),
                        supplier_bars::failure_id.eq(failure_id),
                        supplier_bars::created_by.eq(user),
                    ))
                    .returning((
                        supplier_bars::id,
                        supplier_bars::org_id,
                        supplier_bars::barred_from,
                        supplier_bars::barred_until,
                        supplier_bars::reason,
                        supplier_bars::failure_id,
                        supplier_bars::created_at,
                    ))
                    .get_result::<BarDto>(conn)
                    .await?,
            )
        }
    };
    audit::record(
        conn,
        actor,
        "contract.supply_failure",
        "contract",
        &row.id.to_string(),
        json!({ "failure": failure_id, "reason": reason, "province": row.province,
                "supplier": row.supplier_org_id, "takeover": takeover_id, "backup": b_org,
                "backup_unit_price": b_price.to_string(), "bar_until": bar_until }),
    )
    .await?;
    if let Some(bar) = &bar {
        audit::record(
            conn,
            actor,
            "supplier.bar",
            "organisation",
            &row.supplier_org_id.to_string(),
            json!({ "bar": bar.id, "from": bar.barred_from, "until": bar.barred_until, "reason": reason, "failure": failure_id }),
        )
        .await?;
    }
    let failed = find(conn, row.id, Scope::All, None).await?;
    let takeover = find(conn, takeover_id, Scope::All, None).await?;
    let context = json!({
        "round_name": failed.round_name, "lot_number": failed.lot_number,
        "generic_name": failed.generic_name, "province": failed.province,
        "failed_supplier": failed.supplier_name, "backup_supplier": takeover.supplier_name,
        "unit_price": takeover.unit_price.to_string(), "agreed_volume": takeover.agreed_volume,
        "reason": reason, "bar_until": bar_until.map(|d| d.to_string()),
    });
    let dedupe = format!("failure:{failure_id}");
    mail_orgs(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        &[b_org],
        "supply_takeover",
        &dedupe,
        context.clone(),
    )
    .await?;
    mail_orgs(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        &[row.supplier_org_id],
        "supply_failure",
        &dedupe,
        context.clone(),
    )
    .await?;
    for org in crate::award::service::buyer_orgs(conn, &row.province).await? {
        mail_orgs(
            conn,
            &settings.jobs,
            &settings.mail.public_url,
            &[org],
            "supply_takeover",
            &dedupe,
            context.clone(),
        )
        .await?;
    }
    Ok(SupplyFailure {
        id: failure_id,
        reason: reason.to_owned(),
        failed,
        takeover,
        bar,
    })
}

/// The suppliers of `orgs` barred from bidding today (in China Standard Time), each with the last day of its bar
/// (the latest, when it has several), for a batch of bids (a `db::prepared` statement, run
/// by the bid writer under custom plans).
pub async fn barred_today_many(
    conn: &AsyncPgConnection,
    orgs: &[Uuid],
) -> QueryResult<Vec<(Uuid, NaiveDate)>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        org_id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Date)]
        until: NaiveDate,
    }
    let mut conn = conn;
    let rows: Vec<Row> = crate::platform::db::prepared::prepared(
        "SELECT org_id, max(barred_until) AS until FROM supplier_bars
          WHERE org_id = ANY({}) AND barred_from <= china_today()
            AND barred_until >= china_today()
          GROUP BY org_id",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(orgs)
    .load(&mut conn)
    .await?;
    Ok(rows.into_iter().map(|r| (r.org_id, r.until)).collect())
}

/// Bars, newest first; `org` narrows to one supplier, `active_on` to bars in force that day.
pub async fn bars(
    conn: &mut AsyncPgConnection,
    org: Option<Uuid>,
    active_on: Option<NaiveDate>,
) -> Result<Vec<BarDto>, ApiError> {
    let mut q = supplier_bars::table.into_boxed();
    if let Some(o) = org {
        q = q.filter(supplier_bars::org_id.eq(o));
    }
    if let Some(d) = active_on {
        q = q
            .filter(supplier_bars::barred_from.le(d))
            .filter(supplier_bars::barred_until.ge(d));
    }
    Ok(q.order(supplier_bars::created_at.desc())
        .select((
            supplier_bars::id,
            supplier_bars::org_id,
            supplier_bars::barred_from,
            supplier_bars::barred_until,
            supplier_bars::reason,
            supplier_bars::failure_id,
            supplier_bars::created_at,
        ))
        .load(conn)
        .await?)
}
