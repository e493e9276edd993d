//! Settlement batches: the insurer settles its province's accepted, unsettled and
//! undisputed lines in one set-based statement, one payment order per supplier; payments
//! by bank reference set the lines paid and the amounts against the hospitals' funds.

use diesel::{
    prelude::*,
    sql_types::{BigInt, Date, Nullable, Numeric, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::dto::{BatchDto, BatchRequest, PaymentDto, PaymentOrderDto, PaymentRequest};
use super::ledger::{bank_reference, lock_funds};
use crate::orders::service::Scope;
use crate::platform::{
    audit,
    auth::AuthUser,
    db::schema::{payment_orders, payments, settlement_batches},
    error::ApiError,
    settings::Settings,
};

/// The advisory lock key of a province's settlement. Making a batch and disputing a line
/// take it exclusively: one writer of a province's settlement lines at a time, so a line
/// being disputed is never being settled, and two batches never race for the same lines
/// (the second takes what the first left; the primary key of `settlement_lines` stays the
/// guarantee that a line is settled once). Payments do not take it.
pub(crate) fn province_lock(province: &str) -> i64 {
    let digits: i64 = province.parse().unwrap_or(0);
    0x5e77_1e00_0000_0000 | digits
}

/// The SQL that settles the lines: `$1` batch, `$2` province, `$3` due by, `$4` supplier.
/// Lines already settled are skipped by the anti-join; under the province's lock no other
/// batch is writing its lines, and a line settled twice anyway would break the primary
/// key and roll the batch back whole. Lines go in id order (UUID v7: the primary key's
/// right edge, the cheapest insert). A payment order whose lines all round to 0.00 has
/// nothing to transfer: it is paid as it is made.
pub const SETTLE_SQL: &str = "
WITH picked AS (
    INSERT INTO settlement_lines (delivery_line_id, batch_id, supplier_org_id, hospital_org_id,
                                  province, quantity, unit_price, amount, due_date)
    SELECT dl.id, $1, d.supplier_org_id, d.hospital_org_id, d.province, dl.accepted,
           dl.unit_price, round(dl.accepted * dl.unit_price, 2), d.due_date
    FROM deliveries d
    JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.province = d.province
    WHERE d.status = 'accepted' AND dl.accepted > 0 AND d.province = $2::bpchar
      AND ($3::date IS NULL OR d.due_date <= $3)
      AND ($4::uuid IS NULL OR d.supplier_org_id = $4)
      AND NOT EXISTS (SELECT 1 FROM settlement_lines s
                      WHERE s.delivery_line_id = dl.id AND s.province = d.province)
      AND NOT EXISTS (SELECT 1 FROM line_disputes x
                      WHERE x.delivery_line_id = dl.id AND x.province = d.province
                        AND x.resolved_at IS NULL)
    ORDER BY dl.id
    RETURNING supplier_org_id, amount
), orders_ AS (
    INSERT INTO payment_orders (id, batch_id, supplier_org_id, province, total, line_count, paid_at)
    SELECT gen_random_uuid(), $1, supplier_org_id, $2, sum(amount), count(*),
           CASE WHEN sum(amount) = 0 THEN now() END
    FROM picked GROUP BY supplier_org_id
    RETURNING total, line_count
)
UPDATE settlement_batches
SET total = (SELECT coalesce(sum(total), 0) FROM orders_),
    line_count = (SELECT coalesce(sum(line_count), 0) FROM orders_)
WHERE id = $1
RETURNING line_count";

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    line_count: i64,
}

/// Creates a batch of the insurer's province. Refused (nothing written) when no line
/// qualifies.
pub async fn create(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    province: &str,
    body: &BatchRequest,
) -> Result<BatchDto, ApiError> {
    if let Some(d) = body.due_by {
        crate::platform::input::check_date("due_by", d)?;
    }
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(province_lock(province))
        .execute(conn)
        .await?;
    let id = Uuid::now_v7();
    diesel::insert_into(settlement_batches::table)
        .values((
            settlement_batches::id.eq(id),
            settlement_batches::province.eq(province),
            settlement_batches::due_by.eq(body.due_by),
            settlement_batches::supplier_org_id.eq(body.supplier_org_id),
            settlement_batches::total.eq(Decimal::ZERO),
            settlement_batches::line_count.eq(0_i64),
            settlement_batches::created_by.eq(user.user_id),
        ))
        .execute(conn)
        .await?;
    let settled: Count = diesel::sql_query(SETTLE_SQL)
        .bind::<SqlUuid, _>(id)
        .bind::<Text, _>(province)
        .bind::<Nullable<Date>, _>(body.due_by)
        .bind::<Nullable<SqlUuid>, _>(body.supplier_org_id)
        .get_result(conn)
        .await?;
    if settled.line_count == 0 {
        return Err(ApiError::rule(
            "batch_empty",
            "no accepted, unsettled and undisputed line of the province matches: nothing to settle",
        ));
    }
    let batch = get(conn, &Scope::All, id).await?;
    audit::record(
        conn,
        &user.actor(),
        "settlement.batch",
        "settlement_batch",
        &id.to_string(),
        json!({ "province": province, "due_by": body.due_by, "supplier_org_id": body.supplier_org_id,
                "total": batch.total, "line_count": batch.line_count,
                "payment_orders": batch.payment_orders.iter().map(|o| json!({"id": o.id, "supplier_org_id": o.supplier_org_id, "total": o.total, "line_count": o.line_count})).collect::<Vec<_>>() }),
    )
    .await?;
    for o in &batch.payment_orders {
        super::tell(
            conn,
            &settings.jobs,
            &settings.mail.public_url,
            province,
            &[o.supplier_org_id],
            &format!("payment_order:{}", o.id),
            json!({ "headline_zh": "结算批次已生成，待支付", "headline_en": "A payment order was made for you",
                    "province": province, "lines": o.line_count, "amount": o.total.to_string(),
                    "reference": "", "reason": "", "detail": format!("payment order {}", o.id) }),
        )
        .await?;
    }
    Ok(batch)
}

const ORDER_SELECT: &str = "
SELECT po.id, po.batch_id, po.supplier_org_id, s.name AS supplier_name, po.province::text AS province,
       po.total, po.line_count, po.paid_at, p.id AS payment_id, p.bank_reference
FROM payment_orders po
JOIN organisations s ON s.id = po.supplier_org_id
LEFT JOIN payments p ON p.payment_order_id = po.id";

/// (province, supplier) a caller's payment orders are limited to; a hospital or a
/// distributor is never a payee, so its own id matches none.
fn scope_filter(scope: &Scope) -> (Option<String>, Option<Uuid>) {
    match scope {
        Scope::All => (None, None),
        Scope::Province(p) => (Some(p.clone()), None),
        Scope::Supplier(s) | Scope::Hospital(s) | Scope::Distributor(s) => (None, Some(*s)),
    }
}

const SCOPE_SQL: &str = "($2::text IS NULL OR po.province = $2::bpchar) AND ($3::uuid IS NULL OR po.supplier_org_id = $3)";

/// Payment orders the caller may see (a supplier its own, an insurer its province's),
/// of one batch or all, newest first.
pub async fn orders(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    batch: Option<Uuid>,
    paid: Option<bool>,
) -> Result<Vec<PaymentOrderDto>, ApiError> {
    let (province, supplier) = scope_filter(scope);
    Ok(diesel::sql_query(format!(
        "{ORDER_SELECT} WHERE ($1::uuid IS NULL OR po.batch_id = $1) AND {SCOPE_SQL}
           AND ($4::bool IS NULL OR (po.paid_at IS NOT NULL) = $4)
         ORDER BY po.batch_id DESC, s.name, po.id LIMIT 10000"
    ))
    .bind::<Nullable<SqlUuid>, _>(batch)
    .bind::<Nullable<Text>, _>(province)
    .bind::<Nullable<SqlUuid>, _>(supplier)
    .bind::<Nullable<diesel::sql_types::Bool>, _>(paid)
    .load(conn)
    .await?)
}

/// One payment order, if the caller may see it.
pub async fn order(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<PaymentOrderDto, ApiError> {
    let (province, supplier) = scope_filter(scope);
    diesel::sql_query(format!("{ORDER_SELECT} WHERE po.id = $1 AND {SCOPE_SQL}"))
        .bind::<SqlUuid, _>(id)
        .bind::<Nullable<Text>, _>(province)
        .bind::<Nullable<SqlUuid>, _>(supplier)
        .get_result(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("payment order {id}")))
}

type BatchRow = (
    Uuid,
    String,
    Option<chrono::NaiveDate>,
    Option<Uuid>,
    Decimal,
    i64,
    Uuid,
    chrono::DateTime<chrono::Utc>,
);

fn batch_dto(row: BatchRow, payment_orders: Vec<PaymentOrderDto>) -> BatchDto {
    let (id, province, due_by, supplier_org_id, total, line_count, created_by, created_at) = row;
    let status = if payment_orders.is_empty() {
        // every line was disputed out of it
        "empty"
    } else if payment_orders.iter().all(|o| o.paid_at.is_some()) {
        "paid"
    } else {
        "open"
    };
    BatchDto {
        id,
        province,
        due_by,
        supplier_org_id,
        total,
        line_count,
        status: status.into(),
        created_by,
        created_at,
        payment_orders,
    }
}

const BATCH_COLUMNS: (
    settlement_batches::id,
    settlement_batches::province,
    settlement_batches::due_by,
    settlement_batches::supplier_org_id,
    settlement_batches::total,
    settlement_batches::line_count,
    settlement_batches::created_by,
    settlement_batches::created_at,
) = (
    settlement_batches::id,
    settlement_batches::province,
    settlement_batches::due_by,
    settlement_batches::supplier_org_id,
    settlement_batches::total,
    settlement_batches::line_count,
    settlement_batches::created_by,
    settlement_batches::created_at,
);

/// One batch with its payment orders (an insurer its province's; auditors and admins all).
pub async fn get(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    id: Uuid,
) -> Result<BatchDto, ApiError> {
    let row: Option<BatchRow> = settlement_batches::table
        .find(id)
        .select(BATCH_COLUMNS)
        .first(conn)
        .await
        .optional()?;
    let row = match (row, scope) {
        (Some(r), Scope::All) => r,
        (Some(r), Scope::Province(p)) if r.1 == *p => r,
        _ => return Err(ApiError::not_found(format!("settlement batch {id}"))),
    };
    let orders = orders(conn, &Scope::All, Some(id), None).await?;
    Ok(batch_dto(row, orders))
}

/// Batches of the insurer's province (or all), newest first, with their payment orders.
pub async fn list(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    limit: i64,
    offset: i64,
) -> Result<(Vec<BatchDto>, i64), ApiError> {
    let mut q = settlement_batches::table.into_boxed();
    let mut c = settlement_batches::table.into_boxed();
    if let Scope::Province(p) = scope {
        q = q.filter(settlement_batches::province.eq(p.clone()));
        c = c.filter(settlement_batches::province.eq(p.clone()));
    }
    let total: i64 = c.count().get_result(conn).await?;
    let rows: Vec<BatchRow> = q
        .order((
            settlement_batches::created_at.desc(),
            settlement_batches::id.desc(),
        ))
        .limit(limit)
        .offset(offset)
        .select(BATCH_COLUMNS)
        .load(conn)
        .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let orders = orders(conn, &Scope::All, Some(row.0), None).await?;
        out.push(batch_dto(row, orders));
    }
    Ok((out, total))
}

#[derive(QueryableByName)]
struct Split {
    #[diesel(sql_type = Numeric)]
    set_off: Decimal,
    #[diesel(sql_type = Numeric)]
    deducted: Decimal,
}

/// Records the payment of a payment order (the insurer of its province), in full, under
/// the bank's reference. The same reference for the same order and amount is the same
/// payment (returned, false: not new).
pub async fn pay(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    province: &str,
    order_id: Uuid,
    body: &PaymentRequest,
) -> Result<(PaymentDto, bool), ApiError> {
    bank_reference(&body.bank_reference)?;
    if body.amount <= Decimal::ZERO || body.amount.scale() > 2 {
        return Err(ApiError::invalid(
            "amount",
            "must be a positive amount in yuan with at most 2 decimals",
        ));
    }
    let locked: Option<(Uuid, Uuid, String, Decimal, i64)> = payment_orders::table
        .find(order_id)
        .select((
            payment_orders::batch_id,
            payment_orders::supplier_org_id,
            payment_orders::province,
            payment_orders::total,
            payment_orders::line_count,
        ))
        .for_update()
        .first(conn)
        .await
        .optional()?;
    let (batch_id, supplier, order_province, total, line_count) = match locked {
        Some(o) if o.2 == province => o,
        _ => return Err(ApiError::not_found(format!("payment order {order_id}"))),
    };
    let by_reference: Option<(Uuid, Uuid, Decimal)> = payments::table
        .filter(payments::bank_reference.eq(&body.bank_reference))
        .select((payments::id, payments::payment_order_id, payments::amount))
        .first(conn)
        .await
        .optional()?;
    if let Some((id, paid_order, amount)) = by_reference {
        if paid_order == order_id && amount == body.amount {
            return Ok((payment(conn, id).await?, false));
        }
        return Err(ApiError::conflict(
            "reference_reused",
            "this bank reference records another payment (another order or amount)",
        ));
    }
    // a bank reference is one transfer: not a prepayment's either (claimed here, before
    // the other checks; a refusal below rolls the claim back)
    claim_reference(conn, &body.bank_reference, "payment").await?;
    let paid: i64 = payments::table
        .filter(payments::payment_order_id.eq(order_id))
        .count()
        .get_result(conn)
        .await?;
    if paid > 0 {
        return Err(ApiError::conflict(
            "payment_order_paid",
            "this payment order is paid already",
        ));
    }
    if body.amount > total {
        return Err(ApiError::rule(
            "payment_above_order",
            format!(
                "the payment {} is above the order's total {total}",
                body.amount
            ),
        ));
    }
    if body.amount < total {
        return Err(ApiError::rule(
            "payment_below_order",
            format!(
                "a payment order is paid in full: {total}, not {}",
                body.amount
            ),
        ));
    }
    // the hospitals whose lines these are, their fund rows locked in id order
    let hospitals: Vec<(Uuid, String)> = diesel::sql_query(
        "SELECT DISTINCT hospital_org_id, province::text AS province FROM settlement_lines
         WHERE batch_id = $1 AND supplier_org_id = $2 AND province = $3::bpchar",
    )
    .bind::<SqlUuid, _>(batch_id)
    .bind::<SqlUuid, _>(supplier)
    .bind::<Text, _>(province)
    .load::<HospitalRow>(conn)
    .await?
    .into_iter()
    .map(|h| (h.hospital_org_id, h.province))
    .collect();
    lock_funds(conn, &hospitals).await?;
    let id = Uuid::now_v7();
    diesel::insert_into(payments::table)
        .values((
            payments::id.eq(id),
            payments::payment_order_id.eq(order_id),
            payments::province.eq(province),
            payments::bank_reference.eq(&body.bank_reference),
            payments::amount.eq(body.amount),
            payments::paid_by.eq(user.user_id),
        ))
        .execute(conn)
        .await?;
    diesel::update(payment_orders::table.find(order_id))
        .set(payment_orders::paid_at.eq(diesel::dsl::now))
        .execute(conn)
        .await?;
    // each hospital's share: first from what is left of its prepayment, then deducted
    let split: Split = diesel::sql_query(
        "WITH per AS (
             SELECT hospital_org_id, sum(amount) AS amount FROM settlement_lines
             WHERE batch_id = $1 AND supplier_org_id = $2 AND province = $4::bpchar
             GROUP BY hospital_org_id
         ), parts AS (
             SELECT f.hospital_org_id, least(per.amount, f.prepaid - f.set_off) AS set_off,
                    per.amount - least(per.amount, f.prepaid - f.set_off) AS deducted
             FROM hospital_funds f JOIN per USING (hospital_org_id)
             WHERE f.province = $4::bpchar
         ), upd AS (
             UPDATE hospital_funds f SET set_off = f.set_off + parts.set_off,
                                         deducted = f.deducted + parts.deducted
             FROM parts WHERE f.hospital_org_id = parts.hospital_org_id AND f.province = $4::bpchar
         ), entries AS (
             INSERT INTO fund_entries (hospital_org_id, province, kind, amount, payment_id)
             SELECT hospital_org_id, $4::bpchar, 'set_off', set_off, $3 FROM parts WHERE set_off > 0
             UNION ALL
             SELECT hospital_org_id, $4::bpchar, 'deduction', deducted, $3 FROM parts WHERE deducted > 0
         )
         SELECT coalesce(sum(set_off), 0) AS set_off, coalesce(sum(deducted), 0) AS deducted FROM parts",
    )
    .bind::<SqlUuid, _>(batch_id)
    .bind::<SqlUuid, _>(supplier)
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(province)
    .get_result(conn)
    .await?;
    if split.set_off + split.deducted != body.amount {
        return Err(ApiError::internal(format!(
            "payment {id} does not reconcile: {} set off + {} deducted != {}",
            split.set_off, split.deducted, body.amount
        )));
    }
    audit::record(
        conn,
        &user.actor(),
        "settlement.payment",
        "payment_order",
        &order_id.to_string(),
        json!({ "payment_id": id, "bank_reference": body.bank_reference, "amount": body.amount,
                "set_off": split.set_off, "deducted": split.deducted, "lines": line_count }),
    )
    .await?;
    let mut parties = vec![supplier];
    parties.extend(hospitals.iter().map(|(h, _)| *h));
    super::tell(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        &order_province,
        &parties,
        &format!("payment:{id}"),
        json!({ "headline_zh": "结算款已支付", "headline_en": "A settlement was paid", "province": order_province,
                "lines": line_count, "amount": body.amount.to_string(), "reference": body.bank_reference,
                "reason": "", "detail": format!("payment order {order_id}") }),
    )
    .await?;
    Ok((payment(conn, id).await?, true))
}

/// Records a bank reference as used (by a prepayment or a payment): the database keeps
/// one transfer per reference, whatever runs at the same moment.
pub(crate) async fn claim_reference(
    conn: &mut AsyncPgConnection,
    reference: &str,
    kind: &str,
) -> Result<(), ApiError> {
    use crate::platform::db::schema::bank_references;
    let claimed = diesel::insert_into(bank_references::table)
        .values((
            bank_references::reference.eq(reference),
            bank_references::kind.eq(kind),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if claimed == 0 {
        return Err(ApiError::conflict(
            "reference_reused",
            "this bank reference records another prepayment or payment",
        ));
    }
    Ok(())
}

#[derive(QueryableByName)]
struct HospitalRow {
    #[diesel(sql_type = SqlUuid)]
    hospital_org_id: Uuid,
    #[diesel(sql_type = Text)]
    province: String,
}

async fn payment(conn: &mut AsyncPgConnection, id: Uuid) -> Result<PaymentDto, ApiError> {
    let (id, payment_order_id, bank_reference, amount, paid_by, paid_at): (
        Uuid,
        Uuid,
        String,
        Decimal,
        Uuid,
        chrono::DateTime<chrono::Utc>,
    ) = payments::table
        .find(id)
        .select((
            payments::id,
            payments::payment_order_id,
            payments::bank_reference,
            payments::amount,
            payments::paid_by,
            payments::paid_at,
        ))
        .first(conn)
        .await?;
    let split: Split = diesel::sql_query(
        "SELECT coalesce(sum(amount) FILTER (WHERE kind = 'set_off'), 0) AS set_off,
                coalesce(sum(amount) FILTER (WHERE kind = 'deduction'), 0) AS deducted
         FROM fund_entries WHERE payment_id = $1",
    )
    .bind::<SqlUuid, _>(id)
    .get_result(conn)
    .await?;
    Ok(PaymentDto {
        id,
        payment_order_id,
        bank_reference,
        amount,
        paid_by,
        paid_at,
        set_off: split.set_off,
        deducted: split.deducted,
    })
}
