//! Orders: who sees which; placing, editing, withdrawing, confirming and refusing them
//! (../shared/DOMAIN.md, "Hospitals, quotas and orders"). Each function runs inside the
//! caller's transaction, locks what it changes, checks the rules and writes its audit
//! entries and notices there.

use std::collections::HashMap;

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::{Decimal, RoundingStrategy};
use serde_json::json;
use uuid::Uuid;

use super::lines::{checked_lines, request_hash};
use super::{
    dto::{OrderDto, OrderLineDto, OrderRequest},
    queries::{OrderLineRow, OrderRow, OrderStatus},
};
use crate::platform::{
    audit,
    auth::{AuthUser, Role},
    db::{
        clock,
        schema::{contract_distributors, order_lines, orders, organisations},
    },
    error::ApiError,
    mail::mail_orgs,
    settings::Settings,
};

/// The most lines an order or a delivery has.
pub const MAX_LINES: usize = 100;
/// The most traceability codes one delivery line carries.
pub const MAX_TRACE_CODES: usize = 1000;
/// The most traceability codes one delivery carries (one insert's bind parameters).
pub const MAX_DELIVERY_CODES: usize = 10_000;

/// Whose orders and deliveries a caller sees.
#[derive(Debug, Clone)]
pub enum Scope {
    All,
    Hospital(Uuid),
    Province(String),
    Supplier(Uuid),
    Distributor(Uuid),
}

impl Scope {
    pub fn of(user: &AuthUser) -> Self {
        match user.role {
            Role::Hospital => Scope::Hospital(user.org_id),
            Role::ProvincialBuyer | Role::Insurer => {
                Scope::Province(user.province.clone().unwrap_or_default())
            }
            Role::Supplier => Scope::Supplier(user.org_id),
            Role::Distributor => Scope::Distributor(user.org_id),
            Role::ProcurementOfficer | Role::Auditor | Role::Admin => Scope::All,
        }
    }
}

/// The ids of the orders a distributor may see: those with a line on a contract naming it.
macro_rules! distributor_orders {
    ($org:expr) => {
        order_lines::table
            .filter(
                order_lines::contract_id.eq_any(
                    contract_distributors::table
                        .filter(contract_distributors::distributor_org_id.eq($org))
                        .select(contract_distributors::contract_id),
                ),
            )
            .select(order_lines::order_id)
    };
}
pub(crate) use distributor_orders;

pub(crate) async fn visible(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    order: &OrderRow,
) -> Result<bool, ApiError> {
    Ok(match scope {
        Scope::All => true,
        Scope::Hospital(org) => order.hospital_org_id == *org,
        Scope::Province(p) => &order.province == p,
        Scope::Supplier(org) => order.supplier_org_id == *org,
        Scope::Distributor(org) => {
            diesel::select(diesel::dsl::exists(
                order_lines::table
                    .inner_join(
                        contract_distributors::table
                            .on(contract_distributors::contract_id.eq(order_lines::contract_id)),
                    )
                    .filter(order_lines::order_id.eq(order.id))
                    .filter(contract_distributors::distributor_org_id.eq(*org)),
            ))
            .get_result(conn)
            .await?
        }
    })
}

fn no_order() -> ApiError {
    ApiError::not_found("no such order")
}

/// The order, if the caller may see it; locked `FOR UPDATE` when `lock`.
pub async fn find_order(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
    lock: bool,
) -> Result<OrderRow, ApiError> {
    let q = orders::table.find(id).select(OrderRow::as_select());
    let row = if lock {
        q.for_update().first(conn).await.optional()?
    } else {
        q.first(conn).await.optional()?
    }
    .ok_or_else(no_order)?;
    if !visible(conn, scope, &row).await? {
        return Err(no_order());
    }
    Ok(row)
}

fn amount(quantity: i64, price: Decimal) -> Decimal {
    (Decimal::from(quantity) * price)
        .round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

async fn org_names(
    conn: &mut AsyncPgConnection,
    ids: &[Uuid],
) -> Result<HashMap<Uuid, String>, ApiError> {
    Ok(organisations::table
        .filter(organisations::id.eq_any(ids))
        .select((organisations::id, organisations::name))
        .load::<(Uuid, String)>(conn)
        .await?
        .into_iter()
        .collect())
}

/// The DTOs of these orders, lines and names read in two queries.
pub async fn order_dtos(
    conn: &mut AsyncPgConnection,
    rows: Vec<OrderRow>,
) -> Result<Vec<OrderDto>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|o| o.id).collect();
    let mut lines: HashMap<Uuid, Vec<OrderLineRow>> = HashMap::new();
    for l in order_lines::table
        .filter(order_lines::order_id.eq_any(&ids))
        .order((order_lines::order_id, order_lines::line_no))
        .select(OrderLineRow::as_select())
        .load(conn)
        .await?
    {
        lines.entry(l.order_id).or_default().push(l);
    }
    let mut orgs: Vec<Uuid> = rows
        .iter()
        .flat_map(|o| [o.hospital_org_id, o.supplier_org_id])
        .collect();
    orgs.sort();
    orgs.dedup();
    let names = org_names(conn, &orgs).await?;
    Ok(rows
        .into_iter()
        .map(|o| {
            let lines: Vec<OrderLineDto> = lines
                .remove(&o.id)
                .unwrap_or_default()
                .into_iter()
                .map(|l| OrderLineDto {
                    open: l.open(),
                    amount: amount(l.quantity, l.unit_price),
                    id: l.id,
                    line_no: l.line_no,
                    contract_id: l.contract_id,
                    product_code: l.product_code,
                    unit_price: l.unit_price,
                    quantity: l.quantity,
                    packs: l.packs,
                    shipped: l.shipped,
                    moved: l.moved,
                    accepted: l.accepted,
                    refused: l.refused,
                })
                .collect();
            OrderDto {
                amount: lines.iter().map(|l| l.amount).sum(),
                hospital_name: names.get(&o.hospital_org_id).cloned().unwrap_or_default(),
                supplier_name: names.get(&o.supplier_org_id).cloned().unwrap_or_default(),
                id: o.id,
                hospital_org_id: o.hospital_org_id,
                province: o.province,
                supplier_org_id: o.supplier_org_id,
                status: o.status,
                refusal_reason: o.refusal_reason,
                note: o.note,
                moved_from: o.moved_from,
                created_at: o.created_at,
                decided_at: o.decided_at,
                lines,
            }
        })
        .collect())
}

pub async fn order_dto(conn: &mut AsyncPgConnection, row: OrderRow) -> Result<OrderDto, ApiError> {
    order_dtos(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("order vanished"))
}

pub(crate) async fn reload_order(
    conn: &mut AsyncPgConnection,
    id: Uuid,
) -> Result<OrderDto, ApiError> {
    let row = find_order(conn, &Scope::All, id, false).await?;
    order_dto(conn, row).await
}

/// Filters of the order list.
#[derive(Debug, Default)]
pub struct OrderFilter {
    pub status: Option<OrderStatus>,
    pub hospital_org_id: Option<Uuid>,
    pub supplier_org_id: Option<Uuid>,
    pub contract_id: Option<Uuid>,
    pub sort: crate::orders::dto::OrderSort,
}

/// A page of the orders the caller may see, in the filter's order.
pub async fn page(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    filter: &OrderFilter,
    limit: i64,
    offset: i64,
) -> Result<(Vec<OrderDto>, i64), ApiError> {
    let build = || {
        let mut q = orders::table.into_boxed();
        match scope {
            Scope::All => {}
            Scope::Hospital(org) => q = q.filter(orders::hospital_org_id.eq(*org)),
            Scope::Province(p) => q = q.filter(orders::province.eq(p.clone())),
            Scope::Supplier(org) => q = q.filter(orders::supplier_org_id.eq(*org)),
            Scope::Distributor(org) => q = q.filter(orders::id.eq_any(distributor_orders!(*org))),
        }
        if let Some(s) = filter.status {
            q = q.filter(orders::status.eq(s));
        }
        if let Some(h) = filter.hospital_org_id {
            q = q.filter(orders::hospital_org_id.eq(h));
        }
        if let Some(s) = filter.supplier_org_id {
            q = q.filter(orders::supplier_org_id.eq(s));
        }
        if let Some(c) = filter.contract_id {
            q = q.filter(
                orders::id.eq_any(
                    order_lines::table
                        .filter(order_lines::contract_id.eq(c))
                        .select(order_lines::order_id),
                ),
            );
        }
        q
    };
    let total: i64 = build().count().get_result(conn).await?;
    use crate::orders::dto::OrderSort as S;
    let sorted = match filter.sort {
        S::CreatedAt => build().order((orders::created_at.asc(), orders::id.asc())),
        S::CreatedAtDesc => build().order((orders::created_at.desc(), orders::id.desc())),
        S::UpdatedAt => build().order((orders::updated_at.asc(), orders::id.asc())),
        S::UpdatedAtDesc => build().order((orders::updated_at.desc(), orders::id.desc())),
        S::Status => build().order((
            orders::status.asc(),
            orders::created_at.desc(),
            orders::id.desc(),
        )),
        S::StatusDesc => build().order((
            orders::status.desc(),
            orders::created_at.desc(),
            orders::id.desc(),
        )),
    };
    let rows = sorted
        .limit(limit)
        .offset(offset)
        .select(OrderRow::as_select())
        .load(conn)
        .await?;
    Ok((order_dtos(conn, rows).await?, total))
}

/// Creates an order of the user's hospital. With an Idempotency-Key already used for the
/// same request, returns that order (`false`: not created now).
pub async fn create_order(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    key: Option<&str>,
    body: &OrderRequest,
) -> Result<(OrderDto, bool), ApiError> {
    let hash = request_hash(body);
    if let Some(key) = key {
        // two retries at once: the second waits for the first and returns its order
        diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 14))")
            .bind::<diesel::sql_types::Text, _>(format!("order|{}|{key}", user.org_id))
            .execute(conn)
            .await?;
        let first = orders::table
            .filter(orders::hospital_org_id.eq(user.org_id))
            .filter(orders::idempotency_key.eq(key))
            .select(OrderRow::as_select())
            .first(conn)
            .await
            .optional()?;
        if let Some(first) = first {
            if first.request_hash.as_deref() != Some(hash.as_str()) {
                return Err(ApiError::rule(
                    "idempotency_key_reused",
                    "this Idempotency-Key was used for a different order",
                ));
            }
            return Ok((order_dto(conn, first).await?, false));
        }
    }
    let province = user
        .province
        .clone()
        .ok_or_else(|| ApiError::internal("a hospital without a province"))?;
    let id = Uuid::now_v7();
    let (supplier, lines) = checked_lines(conn, &province, id, body).await?;
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    diesel::insert_into(orders::table)
        .values((
            orders::id.eq(id),
            orders::hospital_org_id.eq(user.org_id),
            orders::province.eq(&province),
            orders::supplier_org_id.eq(supplier),
            orders::status.eq(OrderStatus::Submitted),
            orders::note.eq(note),
            orders::idempotency_key.eq(key),
            orders::request_hash.eq(&hash),
            orders::created_by.eq(user.user_id),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(order_lines::table)
        .values(&lines)
        .execute(conn)
        .await?;
    let units: i64 = lines.iter().map(|l| l.quantity).sum();
    audit::record(
        conn,
        &user.actor(),
        "order.create",
        "order",
        &id.to_string(),
        json!({ "supplier_org_id": supplier, "lines": lines.len(), "units": units }),
    )
    .await?;
    let order = find_order(conn, &Scope::All, id, false).await?;
    let dto = order_dto(conn, order).await?;
    notify(conn, settings, &[supplier], "placed", &dto, None).await?;
    Ok((dto, true))
}

/// Replaces the lines (and note) of a submitted order of the user's hospital.
pub async fn edit_order(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    body: &OrderRequest,
) -> Result<OrderDto, ApiError> {
    let order = find_order(conn, &Scope::Hospital(user.org_id), id, true).await?;
    if order.status != OrderStatus::Submitted {
        return Err(ApiError::conflict(
            "order_not_editable",
            format!(
                "the order is {}: only a submitted order can change",
                order.status
            ),
        ));
    }
    let (supplier, lines) = checked_lines(conn, &order.province, id, body).await?;
    if supplier != order.supplier_org_id {
        return Err(ApiError::rule(
            "order_mixed_suppliers",
            "an edited order stays with its supplier: order from another supplier anew",
        ));
    }
    diesel::delete(order_lines::table.filter(order_lines::order_id.eq(id)))
        .execute(conn)
        .await?;
    diesel::insert_into(order_lines::table)
        .values(&lines)
        .execute(conn)
        .await?;
    let note = body
        .note
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty());
    diesel::update(orders::table.find(id))
        .set((
            orders::note.eq(note),
            orders::updated_at.eq(diesel::dsl::now),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        "order.edit",
        "order",
        &id.to_string(),
        json!({ "lines": lines.len(), "units": lines.iter().map(|l| l.quantity).sum::<i64>() }),
    )
    .await?;
    let order = find_order(conn, &Scope::All, id, false).await?;
    order_dto(conn, order).await
}

/// The hospital withdraws a submitted order.
pub async fn withdraw_order(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    id: Uuid,
) -> Result<OrderDto, ApiError> {
    let order = find_order(conn, &Scope::Hospital(user.org_id), id, true).await?;
    if order.status != OrderStatus::Submitted {
        return Err(ApiError::conflict(
            "order_not_editable",
            format!(
                "the order is {}: only a submitted order can be withdrawn",
                order.status
            ),
        ));
    }
    set_status(conn, id, OrderStatus::Withdrawn, None).await?;
    audit::record(
        conn,
        &user.actor(),
        "order.withdraw",
        "order",
        &id.to_string(),
        json!({}),
    )
    .await?;
    let dto = reload_order(conn, id).await?;
    notify(
        conn,
        settings,
        &[order.supplier_org_id],
        "withdrawn",
        &dto,
        None,
    )
    .await?;
    Ok(dto)
}

async fn set_status(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    status: OrderStatus,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    // the database's clock, as every business time
    let decided = matches!(status, OrderStatus::Confirmed | OrderStatus::Refused);
    let now = clock(conn).await?;
    diesel::update(orders::table.find(id))
        .set((
            orders::status.eq(status),
            orders::refusal_reason.eq(reason),
            orders::updated_at.eq(diesel::dsl::now),
            orders::decided_at.eq(decided.then_some(now)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The supplier confirms (`reason` None) or refuses a submitted order of its own.
pub async fn decide_order(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    id: Uuid,
    refusal: Option<&str>,
) -> Result<OrderDto, ApiError> {
    let order = find_order(conn, &Scope::Supplier(user.org_id), id, true).await?;
    if order.status != OrderStatus::Submitted {
        return Err(ApiError::conflict(
            "order_decided",
            format!("the order is {} already", order.status),
        ));
    }
    let (status, action, event) = match refusal {
        None => (OrderStatus::Confirmed, "order.confirm", "confirmed"),
        Some(_) => (OrderStatus::Refused, "order.refuse", "refused"),
    };
    set_status(conn, id, status, refusal).await?;
    audit::record(
        conn,
        &user.actor(),
        action,
        "order",
        &id.to_string(),
        json!({ "reason": refusal }),
    )
    .await?;
    if status == OrderStatus::Refused {
        // a supply problem of each contract of the order (DOMAIN.md, "Shortages")
        let notices = crate::oversight::supply::Notices {
            jobs: &settings.jobs,
            public_url: &settings.mail.public_url,
        };
        crate::oversight::supply::record_refusal(
            conn,
            &notices,
            &user.actor(),
            id,
            &order.province,
        )
        .await?;
    }
    let dto = reload_order(conn, id).await?;
    notify(
        conn,
        settings,
        &[order.hospital_org_id],
        event,
        &dto,
        refusal,
    )
    .await?;
    Ok(dto)
}

/// Mails the users of `orgs` that this order was placed, confirmed, refused, withdrawn,
/// shipped or moved.
pub(crate) async fn notify(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    orgs: &[Uuid],
    event: &str,
    order: &OrderDto,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    notify_once(
        conn,
        settings,
        orgs,
        event,
        &order.id.to_string(),
        order,
        reason,
    )
    .await
}

/// As [`notify`], once per `key` (a delivery's id: every delivery is news).
pub(crate) async fn notify_once(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    orgs: &[Uuid],
    event: &str,
    key: &str,
    order: &OrderDto,
    reason: Option<&str>,
) -> Result<(), ApiError> {
    let (zh, en) = match event {
        "placed" => ("新采购订单待确认", "A new order awaits your confirmation"),
        "confirmed" => ("订单已确认", "Your order was confirmed"),
        "refused" => ("订单被拒绝", "Your order was refused"),
        "withdrawn" => ("订单已撤回", "An order was withdrawn"),
        "shipped" => ("订单已发货", "An order was shipped"),
        "moved" => (
            "订单已转至备供企业",
            "Order lines moved to the backup supplier",
        ),
        _ => ("订单更新", "An order changed"),
    };
    mail_orgs(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        orgs,
        "order_update",
        &format!("{key}:{event}"),
        json!({
            "headline_zh": zh,
            "headline_en": en,
            "order_id": order.id,
            "hospital": order.hospital_name,
            "supplier": order.supplier_name,
            "status": order.status.as_str(),
            "amount": order.amount.to_string(),
            "lines": order.lines.len(),
            "reason": reason.unwrap_or(""),
        }),
    )
    .await?;
    Ok(())
}
