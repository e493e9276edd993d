//! Hospital quotas (任务量): each contract's agreed volume split among its province's
//! hospitals by the largest-remainder rule on their reported demand (bidding-core's
//! `split_quota`), moved between hospitals by the province's centre (the sum stays the
//! contract's), and the distributor a supplier names per contract.

use bidding_core::supply::split_quota;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use super::service::{ContractRow, ContractStatus};
use crate::platform::{
    audit::{self, Actor},
    auth::{AuthUser, OrgKind, Role},
    db::schema::{contract_distributors, contracts, hospital_demands, organisations, quotas},
    error::ApiError,
};

/// Writes the quotas of every contract of a round (at the award): per (lot, province),
/// the split of the contract's agreed volume over the hospitals' demand. Provinces that
/// reported one figure through their centre get no quotas. Returns how many were written.
pub async fn allot_round(conn: &mut AsyncPgConnection, round: Uuid) -> Result<usize, ApiError> {
    let demand: Vec<(Uuid, String, Uuid, i64)> = hospital_demands::table
        .filter(hospital_demands::round_id.eq(round))
        .select((
            hospital_demands::lot_id,
            hospital_demands::province,
            hospital_demands::hospital_org_id,
            hospital_demands::annual_quantity,
        ))
        .load(conn)
        .await?;
    if demand.is_empty() {
        return Ok(0);
    }
    let rows: Vec<ContractRow> = contracts::table
        .filter(contracts::round_id.eq(round))
        .filter(contracts::status.eq(ContractStatus::Active))
        .select(ContractRow::as_select())
        .load(conn)
        .await?;
    let mut written = 0;
    for c in rows {
        let of: Vec<(Uuid, u64)> = demand
            .iter()
            .filter(|(lot, p, _, _)| *lot == c.lot_id && *p == c.province)
            .map(|(_, _, h, q)| (*h, u64::try_from(*q).unwrap_or(0)))
            .collect();
        let total = u64::try_from(c.agreed_volume).unwrap_or(0);
        written += write_split(conn, c.id, &c.province, total, &of).await?;
    }
    Ok(written)
}

async fn write_split(
    conn: &mut AsyncPgConnection,
    contract: Uuid,
    province: &str,
    total: u64,
    demand: &[(Uuid, u64)],
) -> Result<usize, ApiError> {
    if demand.is_empty() {
        return Ok(0);
    }
    let shares = split_quota(total, demand);
    let values: Vec<_> = shares
        .iter()
        .map(|s| {
            (
                quotas::contract_id.eq(contract),
                quotas::province.eq(province),
                quotas::hospital_org_id.eq(s.hospital),
                quotas::demand.eq(s.demand as i64),
                quotas::quantity.eq(s.quota as i64),
            )
        })
        .collect();
    Ok(diesel::insert_into(quotas::table)
        .values(&values)
        .execute(conn)
        .await?)
}

/// The backup's contract inherits the failed contract's quotas as they stand.
pub async fn copy_quotas(
    conn: &mut AsyncPgConnection,
    from: Uuid,
    to: Uuid,
) -> Result<usize, ApiError> {
    Ok(diesel::sql_query(
        "INSERT INTO quotas (contract_id, province, hospital_org_id, demand, quantity)
         SELECT $2, province, hospital_org_id, demand, quantity FROM quotas WHERE contract_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(from)
    .bind::<diesel::sql_types::Uuid, _>(to)
    .execute(conn)
    .await?)
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotaDto {
    pub hospital_org_id: Uuid,
    pub hospital_name: String,
    /// The hospital's reported annual demand for the lot.
    pub demand: i64,
    /// Its share of the contract's agreed volume, in minimum units.
    pub quantity: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QuotasDto {
    pub contract_id: Uuid,
    pub agreed_volume: i64,
    /// Always the agreed volume when the province reported by hospital.
    pub total: i64,
    pub quotas: Vec<QuotaDto>,
}

pub async fn of_contract(
    conn: &mut AsyncPgConnection,
    contract: &ContractRow,
    hospital: Option<Uuid>,
) -> Result<QuotasDto, ApiError> {
    let mut q = quotas::table
        .inner_join(organisations::table.on(organisations::id.eq(quotas::hospital_org_id)))
        .filter(quotas::contract_id.eq(contract.id))
        .into_boxed();
    if let Some(h) = hospital {
        q = q.filter(quotas::hospital_org_id.eq(h));
    }
    let rows: Vec<(Uuid, String, i64, i64)> = q
        .order(organisations::name)
        .select((
            quotas::hospital_org_id,
            organisations::name,
            quotas::demand,
            quotas::quantity,
        ))
        .load(conn)
        .await?;
    let total = quotas::table
        .filter(quotas::contract_id.eq(contract.id))
        .select(diesel::dsl::sum(quotas::quantity))
        .first::<Option<rust_decimal::Decimal>>(conn)
        .await?
        .map(|d| i64::try_from(d).unwrap_or(0))
        .unwrap_or(0);
    Ok(QuotasDto {
        contract_id: contract.id,
        agreed_volume: contract.agreed_volume,
        total,
        quotas: rows
            .into_iter()
            .map(
                |(hospital_org_id, hospital_name, demand, quantity)| QuotaDto {
                    hospital_org_id,
                    hospital_name,
                    demand,
                    quantity,
                },
            )
            .collect(),
    })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct QuotaTransfer {
    pub from_hospital_org_id: Uuid,
    pub to_hospital_org_id: Uuid,
    /// Minimum units moved: 1 to the giving hospital's quota.
    pub quantity: i64,
}

/// The centre of the contract's province moves quota from one of its hospitals to
/// another (which may have had none); the contract's total is unchanged.
pub async fn transfer(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    contract: &ContractRow,
    body: &QuotaTransfer,
) -> Result<QuotasDto, ApiError> {
    if body.quantity < 1 {
        return Err(ApiError::invalid("quantity", "must be at least 1"));
    }
    if body.from_hospital_org_id == body.to_hospital_org_id {
        return Err(ApiError::invalid(
            "to_hospital_org_id",
            "must differ from from_hospital_org_id",
        ));
    }
    let to: Option<(OrgKind, Option<String>)> = organisations::table
        .find(body.to_hospital_org_id)
        .select((organisations::kind, organisations::province))
        .first(conn)
        .await
        .optional()?;
    if to != Some((OrgKind::Hospital, Some(contract.province.clone()))) {
        return Err(ApiError::rule(
            "not_a_hospital",
            "to_hospital_org_id is not a hospital of the contract's province",
        ));
    }
    let given: Option<i64> = quotas::table
        .find((contract.id, body.from_hospital_org_id))
        .select(quotas::quantity)
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let Some(given) = given else {
        return Err(ApiError::rule(
            "quota_not_found",
            "the giving hospital has no quota on this contract",
        ));
    };
    if body.quantity > given {
        return Err(ApiError::rule(
            "quota_exceeded",
            format!(
                "the giving hospital's quota is {given} units; {} cannot move",
                body.quantity
            ),
        ));
    }
    diesel::update(quotas::table.find((contract.id, body.from_hospital_org_id)))
        .filter(quotas::province.eq(&contract.province))
        .set(quotas::quantity.eq(quotas::quantity - body.quantity))
        .execute(conn)
        .await?;
    diesel::insert_into(quotas::table)
        .values((
            quotas::contract_id.eq(contract.id),
            quotas::province.eq(&contract.province),
            quotas::hospital_org_id.eq(body.to_hospital_org_id),
            quotas::demand.eq(0i64),
            quotas::quantity.eq(body.quantity),
        ))
        .on_conflict((
            quotas::contract_id,
            quotas::province,
            quotas::hospital_org_id,
        ))
        .do_update()
        .set(quotas::quantity.eq(quotas::quantity + body.quantity))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        "quota.transfer",
        "contract",
        &contract.id.to_string(),
        json!({
            "from": body.from_hospital_org_id, "to": body.to_hospital_org_id,
            "quantity": body.quantity,
        }),
    )
    .await?;
    of_contract(conn, contract, None).await
}

/// The supplier names (or, with `None`, removes) the one distributor of a contract.
pub async fn name_distributor(
    conn: &mut AsyncPgConnection,
    actor: &Actor,
    user: Uuid,
    contract: &ContractRow,
    distributor: Option<Uuid>,
) -> Result<Option<Uuid>, ApiError> {
    if let Some(d) = distributor {
        let kind: Option<OrgKind> = organisations::table
            .find(d)
            .select(organisations::kind)
            .first(conn)
            .await
            .optional()?;
        if kind != Some(OrgKind::Distributor) {
            return Err(ApiError::rule(
                "not_a_distributor",
                "distributor_org_id names no distributor",
            ));
        }
        diesel::insert_into(contract_distributors::table)
            .values((
                contract_distributors::contract_id.eq(contract.id),
                contract_distributors::distributor_org_id.eq(d),
                contract_distributors::named_by.eq(user),
            ))
            .on_conflict(contract_distributors::contract_id)
            .do_update()
            .set((
                contract_distributors::distributor_org_id.eq(d),
                contract_distributors::named_by.eq(user),
                contract_distributors::named_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
    } else {
        diesel::delete(contract_distributors::table.find(contract.id))
            .execute(conn)
            .await?;
    }
    audit::record(
        conn,
        actor,
        "contract.distributor",
        "contract",
        &contract.id.to_string(),
        json!({ "distributor_org_id": distributor }),
    )
    .await?;
    Ok(distributor)
}

/// The contract row, locked, if the user may act on it as `role` requires: a supplier
/// its own active contract, a centre its province's.
pub async fn contract_for(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<ContractRow, ApiError> {
    let row: ContractRow = contracts::table
        .find(id)
        .select(ContractRow::as_select())
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such contract"))?;
    let mine = match user.role {
        Role::Supplier => row.supplier_org_id == user.org_id,
        Role::ProvincialBuyer | Role::Hospital | Role::Insurer => {
            user.province.as_deref() == Some(row.province.as_str())
        }
        Role::Distributor => false,
        Role::ProcurementOfficer | Role::Auditor | Role::Admin => true,
    };
    if !mine {
        return Err(ApiError::not_found("no such contract"));
    }
    Ok(row)
}
