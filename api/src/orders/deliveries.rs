//! Deliveries against confirmed orders (by the supplier or its named distributor, with
//! traceability codes), and their acceptance by the hospital.

use super::service::{MAX_DELIVERY_CODES, MAX_LINES, MAX_TRACE_CODES, distributor_orders};
use super::service::{Scope, find_order, notify_once, reload_order, visible};
use super::{
    dto::{AcceptanceRequest, DeliveryDto, DeliveryLineDto, DeliveryRequest},
    queries::{DeliveryLineRow, DeliveryRow, DeliveryStatus, OrderLineRow, OrderRow, OrderStatus},
};
use crate::platform::{
    audit,
    auth::{AuthUser, Role},
    db::{
        china_date, clock,
        schema::{
            catalog_items, contract_distributors, deliveries, delivery_lines, order_lines, orders,
            trace_code_claims, trace_codes,
        },
    },
    error::{ApiError, FieldError},
    input::MAX_TEXT,
    settings::Settings,
};
use bidding_core::supply::{check_drug_code, check_udi_di};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The delivery as the API shows it, read again from its province's partition.
async fn reload_delivery(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    province: &str,
) -> Result<DeliveryDto, ApiError> {
    let row = find_delivery(conn, &Scope::All, id, Some(province), false).await?;
    delivery_dto(conn, row).await
}

/// Whether `org` may ship this order: its supplier, or the distributor named on the
/// contract of every line shipped.
async fn may_ship(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    order: &OrderRow,
    contracts_shipped: &[Uuid],
) -> Result<bool, ApiError> {
    Ok(match user.role {
        Role::Supplier => order.supplier_org_id == user.org_id,
        Role::Distributor => {
            let named: i64 = contract_distributors::table
                .filter(contract_distributors::contract_id.eq_any(contracts_shipped))
                .filter(contract_distributors::distributor_org_id.eq(user.org_id))
                .count()
                .get_result(conn)
                .await?;
            named as usize == contracts_shipped.len()
        }
        _ => false,
    })
}

/// Records a delivery against a confirmed order, by its supplier or named distributor.
pub async fn ship(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    order_id: Uuid,
    body: &DeliveryRequest,
) -> Result<DeliveryDto, ApiError> {
    let scope = Scope::of(user);
    let order = find_order(conn, &scope, order_id, true).await?;
    let lines: HashMap<Uuid, OrderLineRow> = order_lines::table
        .filter(order_lines::order_id.eq(order_id))
        .select(OrderLineRow::as_select())
        .load(conn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut shipped_contracts: Vec<Uuid> = body
        .lines
        .iter()
        .filter_map(|l| lines.get(&l.order_line_id).map(|o| o.contract_id))
        .collect();
    shipped_contracts.sort();
    shipped_contracts.dedup();
    if !may_ship(conn, user, &order, &shipped_contracts).await? {
        return Err(ApiError::forbidden(
            "only the order's supplier, or the distributor it named for these contracts, ships it",
        ));
    }
    if order.status != OrderStatus::Confirmed {
        return Err(ApiError::rule(
            "order_not_confirmed",
            format!(
                "the order is {}: only a confirmed order ships",
                order.status
            ),
        ));
    }
    let today = china_date(clock(conn).await?);
    if body.expiry_date <= today {
        return Err(ApiError::invalid(
            "expiry_date",
            format!(
                "the batch expires on {}, not after today ({today})",
                body.expiry_date
            ),
        )
        .with_code("expiry_in_past"));
    }
    crate::platform::input::check_date("expiry_date", body.expiry_date)?;
    // kinds of the products, for the traceability codes' rule
    let codes: Vec<String> = lines.values().map(|l| l.product_code.clone()).collect();
    let kinds: HashMap<String, String> = catalog_items::table
        .filter(catalog_items::code.eq_any(&codes))
        .select((catalog_items::code, catalog_items::kind))
        .load::<(String, String)>(conn)
        .await?
        .into_iter()
        .collect();
    let delivery_id = Uuid::now_v7();
    let mut rows = Vec::new();
    let mut all_codes: Vec<(String, &'static str, Uuid)> = Vec::new();
    let mut seen_lines = HashSet::new();
    let mut seen_codes = HashSet::new();
    for (i, l) in body.lines.iter().enumerate() {
        let Some(line) = lines.get(&l.order_line_id) else {
            return Err(ApiError::invalid(
                format!("lines[{i}].order_line_id"),
                "not a line of this order",
            ));
        };
        if !seen_lines.insert(l.order_line_id) {
            return Err(ApiError::invalid(
                format!("lines[{i}].order_line_id"),
                "the same line twice",
            ));
        }
        if l.quantity < 1 {
            return Err(ApiError::invalid(
                format!("lines[{i}].quantity"),
                format!("must be at least 1 (got {})", l.quantity),
            ));
        }
        if l.quantity > line.open() {
            return Err(ApiError::rule(
                "quantity_above_open",
                format!(
                    "lines[{i}]: {} units, but only {} are still open on this line ({} ordered, {} shipped, {} moved)",
                    l.quantity,
                    line.open(),
                    line.quantity,
                    line.shipped,
                    line.moved
                ),
            ));
        }
        if l.trace_codes.len() > MAX_TRACE_CODES || l.trace_codes.len() as i64 > l.quantity {
            return Err(ApiError::invalid(
                format!("lines[{i}].trace_codes"),
                format!("at most one per unit shipped and at most {MAX_TRACE_CODES}"),
            ));
        }
        let drug = kinds.get(&line.product_code).map(String::as_str) != Some("consumable");
        let row_id = Uuid::now_v7();
        for (j, code) in l.trace_codes.iter().enumerate() {
            let code = code.trim();
            let check = if drug {
                check_drug_code(code)
            } else {
                check_udi_di(code)
            };
            if let Err(e) = check {
                return Err(ApiError::invalid(
                    format!("lines[{i}].trace_codes[{j}]"),
                    format!("{code:?}: {e}"),
                )
                .with_code("trace_code_malformed"));
            }
            if !seen_codes.insert(code.to_owned()) {
                return Err(ApiError::invalid(
                    format!("lines[{i}].trace_codes[{j}]"),
                    format!("{code} is given twice"),
                )
                .with_code("trace_code_duplicate"));
            }
            all_codes.push((code.to_owned(), if drug { "drug" } else { "udi" }, row_id));
        }
        rows.push(DeliveryLineRow {
            id: row_id,
            delivery_id,
            order_line_id: line.id,
            province: order.province.clone(),
            contract_id: line.contract_id,
            unit_price: line.unit_price,
            quantity: l.quantity,
            accepted: None,
            refusal_reason: None,
        });
    }
    if all_codes.len() > MAX_DELIVERY_CODES {
        return Err(ApiError::invalid(
            "lines",
            format!(
                "at most {MAX_DELIVERY_CODES} traceability codes in one delivery (got {}): split it",
                all_codes.len()
            ),
        ));
    }
    if rows.is_empty() || rows.len() > MAX_LINES {
        return Err(ApiError::invalid(
            "lines",
            format!("a delivery has 1 to {MAX_LINES} lines"),
        ));
    }
    for (field, value) in [
        ("batch_no", &body.batch_no),
        ("invoice_no", &body.invoice_no),
    ] {
        let v = value.trim();
        if v.is_empty() || v.chars().count() > 64 {
            return Err(ApiError::invalid(field, "must be 1 to 64 characters"));
        }
    }
    // a code already delivered anywhere: refused before anything is written (the claims
    // are nationwide, keyed by the code alone; the line's codes are kept by province)
    let code_texts: Vec<&str> = all_codes.iter().map(|(c, _, _)| c.as_str()).collect();
    if let Some(taken) = trace_code_claims::table
        .filter(trace_code_claims::code.eq_any(&code_texts))
        .select(trace_code_claims::code)
        .first::<String>(conn)
        .await
        .optional()?
    {
        return Err(ApiError::conflict(
            "trace_code_delivered",
            format!("traceability code {taken} was delivered already"),
        ));
    }
    diesel::insert_into(deliveries::table)
        .values((
            deliveries::id.eq(delivery_id),
            deliveries::order_id.eq(order_id),
            deliveries::province.eq(&order.province),
            deliveries::hospital_org_id.eq(order.hospital_org_id),
            deliveries::supplier_org_id.eq(order.supplier_org_id),
            deliveries::shipped_by_org_id.eq(user.org_id),
            deliveries::shipped_by.eq(user.user_id),
            deliveries::batch_no.eq(body.batch_no.trim()),
            deliveries::expiry_date.eq(body.expiry_date),
            deliveries::invoice_no.eq(body.invoice_no.trim()),
            deliveries::status.eq(DeliveryStatus::Shipped),
        ))
        .execute(conn)
        .await?;
    diesel::insert_into(delivery_lines::table)
        .values(&rows)
        .execute(conn)
        .await?;
    let mut by_line: Vec<&DeliveryLineRow> = rows.iter().collect();
    by_line.sort_by_key(|r| r.order_line_id);
    for r in by_line {
        diesel::update(order_lines::table.find(r.order_line_id))
            .set(order_lines::shipped.eq(order_lines::shipped + r.quantity))
            .execute(conn)
            .await?;
    }
    if !all_codes.is_empty() {
        // the claims' primary key is the last word on "once nationwide": a code delivered
        // by a concurrent transaction makes this insert fail, and the whole delivery with it
        let inserted = diesel::insert_into(trace_code_claims::table)
            .values(
                all_codes
                    .iter()
                    .map(|(c, _, _)| {
                        (
                            trace_code_claims::code.eq(c.as_str()),
                            trace_code_claims::province.eq(&order.province),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .execute(conn)
            .await;
        if let Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) = inserted
        {
            return Err(ApiError::conflict(
                "trace_code_delivered",
                "a traceability code of this delivery was delivered meanwhile",
            ));
        }
        inserted?;
        diesel::insert_into(trace_codes::table)
            .values(
                all_codes
                    .iter()
                    .map(|(c, k, l)| {
                        (
                            trace_codes::code.eq(c.as_str()),
                            trace_codes::kind.eq(*k),
                            trace_codes::delivery_line_id.eq(*l),
                            trace_codes::province.eq(&order.province),
                        )
                    })
                    .collect::<Vec<_>>(),
            )
            .execute(conn)
            .await?;
    }
    audit::record(
        conn,
        &user.actor(),
        "delivery.ship",
        "delivery",
        &delivery_id.to_string(),
        json!({
            "order_id": order_id,
            "lines": rows.len(),
            "units": rows.iter().map(|r| r.quantity).sum::<i64>(),
            "trace_codes": all_codes.len(),
            "batch_no": body.batch_no.trim(),
        }),
    )
    .await?;
    let dto = reload_order(conn, order_id).await?;
    notify_once(
        conn,
        settings,
        &[order.hospital_org_id],
        "shipped",
        &delivery_id.to_string(),
        &dto,
        None,
    )
    .await?;
    reload_delivery(conn, delivery_id, &order.province).await
}

/// The columns of [`DeliveryRow`], for the statements written out.
const DELIVERY_COLUMNS: &str = "id, order_id, province, hospital_org_id, supplier_org_id, shipped_by_org_id, \
     shipped_by, batch_no, expiry_date, invoice_no, status, shipped_at, accepted_at, accepted_by, accepted_on, \
     due_date";

fn no_delivery() -> ApiError {
    ApiError::not_found("no such delivery")
}

/// The delivery `id` if `scope` may see it; `province`, when the caller knows it, reads
/// the province's partition only.
pub async fn find_delivery(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
    province: Option<&str>,
    lock: bool,
) -> Result<DeliveryRow, ApiError> {
    // An unnamed statement, planned with its values: with the province a constant,
    // PostgreSQL plans and locks that province's partition alone. (A statement diesel
    // prepares once and PostgreSQL then runs with a generic plan locks every partition
    // and its indexes on each run, in PostgreSQL 15: a third of the orders benchmark.)
    let row = diesel::sql_query(format!(
        "SELECT {DELIVERY_COLUMNS} FROM deliveries
          WHERE id = $1 AND ($2::bpchar IS NULL OR province = $2::bpchar) {}",
        if lock { "FOR UPDATE" } else { "" }
    ))
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Bpchar>, _>(province)
    .get_result::<DeliveryRow>(conn)
    .await
    .optional()?
    .ok_or_else(no_delivery)?;
    let order = orders::table
        .find(row.order_id)
        .filter(orders::province.eq(&row.province))
        .select(OrderRow::as_select())
        .first(conn)
        .await?;
    let ok = match scope {
        Scope::Distributor(org) => {
            row.shipped_by_org_id == *org || visible(conn, scope, &order).await?
        }
        _ => visible(conn, scope, &order).await?,
    };
    if !ok {
        return Err(no_delivery());
    }
    Ok(row)
}

pub async fn delivery_dtos(
    conn: &mut AsyncPgConnection,
    rows: Vec<DeliveryRow>,
) -> Result<Vec<DeliveryDto>, ApiError> {
    // the lines of each province's deliveries from its partition: one query per province
    // (a page is mostly one), the province a constant PostgreSQL prunes by
    let mut by_province: Vec<(&str, Vec<Uuid>)> = Vec::new();
    for d in &rows {
        match by_province.iter_mut().find(|(p, _)| *p == d.province) {
            Some((_, ids)) => ids.push(d.id),
            None => by_province.push((&d.province, vec![d.id])),
        }
    }
    let mut lines: Vec<DeliveryLineRow> = Vec::new();
    for (province, ids) in &by_province {
        // boxed: not prepared, so planned with the province (see find_delivery)
        lines.extend(
            delivery_lines::table
                .filter(delivery_lines::province.eq(*province))
                .filter(delivery_lines::delivery_id.eq_any(ids))
                .select(DeliveryLineRow::as_select())
                .into_boxed()
                .load::<DeliveryLineRow>(conn)
                .await?,
        );
    }
    let line_ids: Vec<Uuid> = lines.iter().map(|l| l.id).collect();
    let mut codes: HashMap<Uuid, Vec<String>> = HashMap::new();
    for (code, line) in trace_codes::table
        .filter(trace_codes::delivery_line_id.eq_any(&line_ids))
        .order(trace_codes::code)
        .select((trace_codes::code, trace_codes::delivery_line_id))
        .load::<(String, Uuid)>(conn)
        .await?
    {
        codes.entry(line).or_default().push(code);
    }
    let mut by: HashMap<Uuid, Vec<DeliveryLineDto>> = HashMap::new();
    for l in lines {
        by.entry(l.delivery_id).or_default().push(DeliveryLineDto {
            trace_codes: codes.remove(&l.id).unwrap_or_default(),
            id: l.id,
            order_line_id: l.order_line_id,
            contract_id: l.contract_id,
            unit_price: l.unit_price,
            quantity: l.quantity,
            accepted: l.accepted,
            refusal_reason: l.refusal_reason,
        });
    }
    Ok(rows
        .into_iter()
        .map(|d| DeliveryDto {
            lines: by.remove(&d.id).unwrap_or_default(),
            id: d.id,
            order_id: d.order_id,
            hospital_org_id: d.hospital_org_id,
            supplier_org_id: d.supplier_org_id,
            shipped_by_org_id: d.shipped_by_org_id,
            batch_no: d.batch_no,
            expiry_date: d.expiry_date,
            invoice_no: d.invoice_no,
            status: d.status,
            shipped_at: d.shipped_at,
            accepted_at: d.accepted_at,
            accepted_on: d.accepted_on,
            due_date: d.due_date,
        })
        .collect())
}

pub async fn delivery_dto(
    conn: &mut AsyncPgConnection,
    row: DeliveryRow,
) -> Result<DeliveryDto, ApiError> {
    delivery_dtos(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::internal("delivery vanished"))
}

/// A page of the deliveries the caller may see, in the order asked (newest first by default).
pub async fn delivery_page(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    order_id: Option<Uuid>,
    status: Option<DeliveryStatus>,
    sort: crate::orders::dto::DeliverySort,
    limit: i64,
    offset: i64,
) -> Result<(Vec<DeliveryDto>, i64), ApiError> {
    let build = || {
        let mut q = deliveries::table.into_boxed();
        match scope {
            Scope::All => {}
            Scope::Hospital(org) => q = q.filter(deliveries::hospital_org_id.eq(*org)),
            Scope::Province(p) => q = q.filter(deliveries::province.eq(p.clone())),
            Scope::Supplier(org) => q = q.filter(deliveries::supplier_org_id.eq(*org)),
            Scope::Distributor(org) => {
                q = q.filter(
                    deliveries::shipped_by_org_id
                        .eq(*org)
                        .or(deliveries::order_id.eq_any(distributor_orders!(*org))),
                )
            }
        }
        if let Some(o) = order_id {
            q = q.filter(deliveries::order_id.eq(o));
        }
        if let Some(s) = status {
            q = q.filter(deliveries::status.eq(s));
        }
        q
    };
    let total: i64 = build().count().get_result(conn).await?;
    use crate::orders::dto::DeliverySort as S;
    let sorted = match sort {
        S::ShippedAt => build().order((deliveries::shipped_at.asc(), deliveries::id.asc())),
        S::ShippedAtDesc => build().order((deliveries::shipped_at.desc(), deliveries::id.desc())),
        S::DueDate => build().order((
            deliveries::due_date.asc().nulls_last(),
            deliveries::id.asc(),
        )),
        S::DueDateDesc => build().order((
            deliveries::due_date.desc().nulls_last(),
            deliveries::id.desc(),
        )),
        S::ExpiryDate => build().order((deliveries::expiry_date.asc(), deliveries::id.asc())),
        S::ExpiryDateDesc => build().order((deliveries::expiry_date.desc(), deliveries::id.desc())),
    };
    let rows = sorted
        .limit(limit)
        .offset(offset)
        .select(DeliveryRow::as_select())
        .load(conn)
        .await?;
    Ok((delivery_dtos(conn, rows).await?, total))
}

/// The hospital accepts a delivery, wholly or in part with reasons; final. Locks the
/// delivery first, so a second acceptance (however concurrent) finds it accepted.
pub async fn accept(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    body: &AcceptanceRequest,
) -> Result<DeliveryDto, ApiError> {
    // locks in the order every writer of an order's lines takes them: the order, then
    // the delivery (shipping locks the order too), so they queue instead of deadlocking
    let hospital = Scope::Hospital(user.org_id);
    let seen = find_delivery(conn, &hospital, id, user.province.as_deref(), false).await?;
    let order = find_order(conn, &Scope::All, seen.order_id, true).await?;
    let delivery = find_delivery(conn, &hospital, id, Some(&seen.province), true).await?;
    if delivery.status != DeliveryStatus::Shipped {
        return Err(ApiError::conflict(
            "delivery_accepted",
            "this delivery was accepted already; an acceptance is final",
        ));
    }
    let lines: HashMap<Uuid, DeliveryLineRow> = delivery_lines::table
        .filter(delivery_lines::delivery_id.eq(id))
        .filter(delivery_lines::province.eq(&delivery.province))
        .select(DeliveryLineRow::as_select())
        .into_boxed() // planned with the province (see find_delivery)
        .load(conn)
        .await?
        .into_iter()
        .map(|l| (l.id, l))
        .collect();
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut decided = Vec::new();
    for (i, a) in body.lines.iter().enumerate() {
        let Some(line) = lines.get(&a.delivery_line_id) else {
            errors.push(FieldError::field(
                format!("lines[{i}].delivery_line_id"),
                "not a line of this delivery",
            ));
            continue;
        };
        if !seen.insert(a.delivery_line_id) {
            errors.push(FieldError::field(
                format!("lines[{i}].delivery_line_id"),
                "the same line twice",
            ));
            continue;
        }
        if a.accepted < 0 || a.accepted > line.quantity {
            errors.push(FieldError::field(
                format!("lines[{i}].accepted"),
                format!(
                    "must be 0 to the {} units shipped (got {})",
                    line.quantity, a.accepted
                ),
            ));
            continue;
        }
        let reason = a.reason.as_deref().map(str::trim).filter(|r| !r.is_empty());
        if a.accepted < line.quantity && reason.is_none() {
            errors.push(FieldError::field(
                format!("lines[{i}].reason"),
                "give the reason for the units not accepted",
            ));
            continue;
        }
        if reason.is_some_and(|r| r.chars().count() > MAX_TEXT) {
            errors.push(FieldError::field(
                format!("lines[{i}].reason"),
                format!("at most {MAX_TEXT} characters"),
            ));
            continue;
        }
        decided.push((
            line,
            a.accepted,
            reason.filter(|_| a.accepted < line.quantity),
        ));
    }
    if errors.is_empty() && seen.len() != lines.len() {
        errors.push(FieldError::field(
            "lines",
            format!("give every line of the delivery ({} lines)", lines.len()),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors).with_code("acceptance_invalid"));
    }
    let now = clock(conn).await?;
    let today = china_date(now);
    // the payment clock of the order's province, kept with the date it produced
    let terms = crate::settlement::settings::current(conn, &order.province).await?;
    let due: NaiveDate = today + chrono::Duration::days(i64::from(terms.payment_days));
    decided.sort_by_key(|(line, _, _)| line.order_line_id);
    for (line, accepted, reason) in &decided {
        // written out, so planned with the province (see find_delivery)
        diesel::sql_query(
            "UPDATE delivery_lines SET accepted = $1, refusal_reason = $2
              WHERE id = $3 AND province = $4::bpchar",
        )
        .bind::<diesel::sql_types::BigInt, _>(*accepted)
        .bind::<diesel::sql_types::Nullable<diesel::sql_types::Text>, _>(*reason)
        .bind::<diesel::sql_types::Uuid, _>(line.id)
        .bind::<diesel::sql_types::Text, _>(&delivery.province)
        .execute(conn)
        .await?;
        diesel::update(order_lines::table.find(line.order_line_id))
            .set((
                order_lines::accepted.eq(order_lines::accepted + *accepted),
                order_lines::refused.eq(order_lines::refused + (line.quantity - *accepted)),
            ))
            .execute(conn)
            .await?;
    }
    diesel::sql_query(
        "UPDATE deliveries SET status = $1, accepted_at = $2, accepted_by = $3, accepted_on = $4,
                               due_date = $5, settings_id = $6
          WHERE id = $7 AND province = $8::bpchar",
    )
    .bind::<diesel::sql_types::Text, _>(DeliveryStatus::Accepted.as_str())
    .bind::<diesel::sql_types::Timestamptz, _>(now)
    .bind::<diesel::sql_types::Uuid, _>(user.user_id)
    .bind::<diesel::sql_types::Date, _>(today)
    .bind::<diesel::sql_types::Date, _>(due)
    .bind::<diesel::sql_types::BigInt, _>(terms.id)
    .bind::<diesel::sql_types::Uuid, _>(id)
    .bind::<diesel::sql_types::Text, _>(&delivery.province)
    .execute(conn)
    .await?;
    let accepted: i64 = decided.iter().map(|(_, a, _)| *a).sum();
    let shipped: i64 = decided.iter().map(|(l, _, _)| l.quantity).sum();
    audit::record(
        conn,
        &user.actor(),
        "delivery.accept",
        "delivery",
        &id.to_string(),
        json!({ "accepted": accepted, "refused": shipped - accepted, "due_date": due, "settings_id": terms.id }),
    )
    .await?;
    reload_delivery(conn, id, &delivery.province).await
}
