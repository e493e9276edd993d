//! Prepayments and the hospitals' fund ledger: the insurer prepays each hospital a share
//! of its agreed amount; each payment to a supplier is set against the hospital's
//! remaining prepayment first, the rest deducted from its fund payments.

use diesel::{
    prelude::*,
    sql_types::{Nullable, Numeric, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::dto::{FundEntryDto, LedgerDto, PrepaymentDue, PrepaymentRequest};
use super::settings;
use crate::orders::service::Scope;
use crate::platform::{
    audit,
    auth::{AuthUser, OrgKind},
    db::schema::{fund_entries, hospital_funds, organisations, prepayments, rounds},
    error::ApiError,
    input,
    settings::Settings,
};
use bidding_core::money::round_half_up;

/// Prepayments of `province`'s hospitals for a round (one hospital, or all with quotas):
/// the amount due under the current settings, or the recorded payment.
pub async fn due(
    conn: &mut AsyncPgConnection,
    province: &str,
    round_id: Uuid,
    hospital: Option<Uuid>,
) -> Result<Vec<PrepaymentDue>, ApiError> {
    let current = settings::current(conn, province).await?;
    let rows: Vec<PrepaymentDue> = diesel::sql_query(
        "SELECT q.hospital_org_id, o.name AS hospital_name,
                coalesce(p.agreed_amount, sum(q.quantity::numeric * c.unit_price)) AS agreed_amount,
                0::numeric AS amount, 0::numeric AS ratio, 0::bigint AS settings_id,
                p.id AS prepayment_id, p.bank_reference, p.paid_at,
                p.amount AS paid_amount, p.ratio AS paid_ratio, p.settings_id AS paid_settings
         FROM quotas q
         JOIN contracts c ON c.id = q.contract_id
         JOIN organisations o ON o.id = q.hospital_org_id
         LEFT JOIN prepayments p ON p.round_id = c.round_id AND p.hospital_org_id = q.hospital_org_id
                                 AND p.province = q.province
         WHERE c.round_id = $1 AND c.province = $2::bpchar AND q.province = $2::bpchar
           AND c.status <> 'failed' AND ($3::uuid IS NULL OR q.hospital_org_id = $3)
         GROUP BY q.hospital_org_id, o.name, p.id, p.province
         HAVING sum(q.quantity::numeric * c.unit_price) > 0 OR p.id IS NOT NULL
         ORDER BY o.name, q.hospital_org_id",
    )
    .bind::<SqlUuid, _>(round_id)
    .bind::<Text, _>(province)
    .bind::<Nullable<SqlUuid>, _>(hospital)
    .load::<PrepaymentDueRow>(conn)
    .await?
    .into_iter()
    .map(|r| r.into_due(&current))
    .collect::<Result<_, _>>()?;
    Ok(rows)
}

#[derive(QueryableByName)]
struct PrepaymentDueRow {
    #[diesel(embed)]
    due: PrepaymentDue,
    #[diesel(sql_type = Nullable<Numeric>)]
    paid_amount: Option<Decimal>,
    #[diesel(sql_type = Nullable<Numeric>)]
    paid_ratio: Option<Decimal>,
    #[diesel(sql_type = Nullable<diesel::sql_types::BigInt>)]
    paid_settings: Option<i64>,
}

impl PrepaymentDueRow {
    fn into_due(self, current: &settings::ProvinceSettings) -> Result<PrepaymentDue, ApiError> {
        let mut due = self.due;
        match (self.paid_amount, self.paid_ratio, self.paid_settings) {
            (Some(amount), Some(ratio), Some(id)) => {
                due.amount = amount;
                due.ratio = ratio;
                due.settings_id = id;
            }
            _ => {
                let exact = due
                    .agreed_amount
                    .checked_mul(current.prepayment_ratio)
                    .ok_or_else(|| {
                        ApiError::rule("amount_too_large", "the prepayment does not fit an amount")
                    })?;
                due.amount = round_half_up(exact, 2);
                due.ratio = current.prepayment_ratio;
                due.settings_id = current.id;
            }
        }
        Ok(due)
    }
}

/// A bank reference: 1 to 64 printable characters, no surrounding spaces.
pub(crate) fn bank_reference(value: &str) -> Result<(), ApiError> {
    input::bounded("bank_reference", value, 64)?;
    if value.is_empty() || value.trim() != value || value.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "bank_reference",
            "must be 1 to 64 characters without control characters or surrounding spaces",
        ));
    }
    Ok(())
}

/// Locks (creating it when missing) the fund rows of `hospitals`, in id order.
pub(crate) async fn lock_funds(
    conn: &mut AsyncPgConnection,
    hospitals: &[(Uuid, String)],
) -> Result<(), ApiError> {
    let mut sorted = hospitals.to_vec();
    sorted.sort();
    // one statement, rows in id order (so concurrent payers wait instead of deadlocking)
    let rows: Vec<_> = sorted
        .iter()
        .map(|(h, province)| {
            (
                hospital_funds::hospital_org_id.eq(*h),
                hospital_funds::province.eq(province.as_str()),
            )
        })
        .collect();
    diesel::insert_into(hospital_funds::table)
        .values(&rows)
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    let ids: Vec<Uuid> = sorted.iter().map(|(h, _)| *h).collect();
    hospital_funds::table
        .filter(hospital_funds::hospital_org_id.eq_any(&ids))
        .order(hospital_funds::hospital_org_id)
        .select(hospital_funds::hospital_org_id)
        .for_update()
        .load::<Uuid>(conn)
        .await?;
    Ok(())
}

/// Records a hospital's prepayment for a round as paid (the insurer of its province). The
/// same request again returns the recorded prepayment (false: not new); another reference
/// for a paid prepayment, or a reference used already, is refused.
pub async fn record_prepayment(
    conn: &mut AsyncPgConnection,
    settings_: &Settings,
    user: &AuthUser,
    province: &str,
    body: &PrepaymentRequest,
) -> Result<(PrepaymentDue, bool), ApiError> {
    bank_reference(&body.bank_reference)?;
    let hospital: Option<(String, Option<String>)> = organisations::table
        .filter(organisations::id.eq(body.hospital_org_id))
        .filter(organisations::kind.eq(OrgKind::Hospital))
        .select((organisations::name, organisations::province))
        .first(conn)
        .await
        .optional()?;
    match hospital {
        Some((_, Some(p))) if p == province => {}
        _ => {
            return Err(ApiError::not_found(format!(
                "hospital {}",
                body.hospital_org_id
            )));
        }
    }
    let round: i64 = rounds::table
        .filter(rounds::id.eq(body.round_id))
        .count()
        .get_result(conn)
        .await?;
    if round == 0 {
        return Err(ApiError::not_found(format!("round {}", body.round_id)));
    }
    lock_funds(conn, &[(body.hospital_org_id, province.to_owned())]).await?;
    let existing: Option<(Uuid, String)> = prepayments::table
        .filter(prepayments::round_id.eq(body.round_id))
        .filter(prepayments::hospital_org_id.eq(body.hospital_org_id))
        .select((prepayments::id, prepayments::bank_reference))
        .first(conn)
        .await
        .optional()?;
    if let Some((_, reference)) = existing {
        if reference == body.bank_reference {
            let mut due = due(conn, province, body.round_id, Some(body.hospital_org_id)).await?;
            return due
                .pop()
                .map(|d| (d, false))
                .ok_or_else(|| ApiError::not_found("prepayment"));
        }
        return Err(ApiError::conflict(
            "prepayment_paid",
            format!("this prepayment was recorded under the reference {reference}"),
        ));
    }
    // a bank reference is one transfer: another prepayment's or a payment's is refused
    // (claimed here, before the other checks; a refusal below rolls the claim back)
    super::batches::claim_reference(conn, &body.bank_reference, "prepayment").await?;
    let Some(d) = due(conn, province, body.round_id, Some(body.hospital_org_id))
        .await?
        .pop()
    else {
        return Err(ApiError::rule(
            "no_quota",
            "the hospital has no quota on the round's contracts in its province: nothing to prepay",
        ));
    };
    if d.amount <= Decimal::ZERO {
        return Err(ApiError::rule(
            "no_quota",
            format!(
                "the prepayment comes to 0.00 ({} x {}): nothing to prepay",
                d.ratio, d.agreed_amount
            ),
        ));
    }
    let id = Uuid::now_v7();
    let paid_at: chrono::DateTime<chrono::Utc> = diesel::insert_into(prepayments::table)
        .values((
            prepayments::id.eq(id),
            prepayments::round_id.eq(body.round_id),
            prepayments::hospital_org_id.eq(body.hospital_org_id),
            prepayments::province.eq(province),
            prepayments::agreed_amount.eq(d.agreed_amount),
            prepayments::ratio.eq(d.ratio),
            prepayments::amount.eq(d.amount),
            prepayments::settings_id.eq(d.settings_id),
            prepayments::bank_reference.eq(&body.bank_reference),
            prepayments::paid_by.eq(user.user_id),
        ))
        .returning(prepayments::paid_at)
        .get_result(conn)
        .await?;
    diesel::update(hospital_funds::table.find(body.hospital_org_id))
        .filter(hospital_funds::province.eq(province))
        .set(hospital_funds::prepaid.eq(hospital_funds::prepaid + d.amount))
        .execute(conn)
        .await?;
    diesel::insert_into(fund_entries::table)
        .values((
            fund_entries::hospital_org_id.eq(body.hospital_org_id),
            fund_entries::province.eq(province),
            fund_entries::kind.eq("prepayment"),
            fund_entries::amount.eq(d.amount),
            fund_entries::prepayment_id.eq(id),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        "settlement.prepayment",
        "prepayment",
        &id.to_string(),
        json!({ "round_id": body.round_id, "hospital_org_id": body.hospital_org_id, "amount": d.amount,
                "agreed_amount": d.agreed_amount, "ratio": d.ratio, "settings_id": d.settings_id,
                "bank_reference": body.bank_reference }),
    )
    .await?;
    super::tell(
        conn,
        &settings_.jobs,
        &settings_.mail.public_url,
        province,
        &[body.hospital_org_id],
        &format!("prepayment:{id}"),
        json!({ "headline_zh": "预付款已支付", "headline_en": "A prepayment was paid", "province": province,
                "lines": 0, "amount": d.amount.to_string(), "reference": body.bank_reference, "reason": "", "detail": "" }),
    )
    .await?;
    Ok((
        PrepaymentDue {
            prepayment_id: Some(id),
            bank_reference: Some(body.bank_reference.clone()),
            paid_at: Some(paid_at),
            ..d
        },
        true,
    ))
}

/// A hospital's ledger, if the caller may see it.
pub async fn ledger(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    hospital: Uuid,
) -> Result<LedgerDto, ApiError> {
    let org: Option<(String, Option<String>, OrgKind)> = organisations::table
        .find(hospital)
        .select((
            organisations::name,
            organisations::province,
            organisations::kind,
        ))
        .first(conn)
        .await
        .optional()?;
    let (name, province) = match org {
        Some((name, Some(province), OrgKind::Hospital)) => (name, province),
        _ => return Err(ApiError::not_found(format!("hospital {hospital}"))),
    };
    let visible = match scope {
        Scope::All => true,
        Scope::Hospital(h) => *h == hospital,
        Scope::Province(p) => *p == province,
        Scope::Supplier(_) | Scope::Distributor(_) => false,
    };
    if !visible {
        return Err(ApiError::not_found(format!("hospital {hospital}")));
    }
    let funds: Option<(Decimal, Decimal, Decimal)> = hospital_funds::table
        .find(hospital)
        .select((
            hospital_funds::prepaid,
            hospital_funds::set_off,
            hospital_funds::deducted,
        ))
        .first(conn)
        .await
        .optional()?;
    let (prepaid, set_off, deducted) = funds.unwrap_or_default();
    let entries: Vec<FundEntryDto> = diesel::sql_query(
        "SELECT id, kind, amount, prepayment_id, payment_id, created_at,
                sum(CASE kind WHEN 'prepayment' THEN amount WHEN 'set_off' THEN -amount ELSE 0 END)
                    OVER (ORDER BY id) AS prepayment_left
         FROM fund_entries WHERE hospital_org_id = $1 ORDER BY id",
    )
    .bind::<SqlUuid, _>(hospital)
    .load(conn)
    .await?;
    #[derive(QueryableByName)]
    struct Sums {
        #[diesel(sql_type = Numeric)]
        paid: Decimal,
        #[diesel(sql_type = Numeric)]
        unpaid: Decimal,
    }
    let sums: Sums = diesel::sql_query(
        "SELECT coalesce(sum(x.amount) FILTER (WHERE x.paid), 0) AS paid,
                coalesce(sum(x.amount) FILTER (WHERE NOT x.paid), 0) AS unpaid
         FROM (SELECT round(dl.accepted * dl.unit_price, 2) AS amount, po.paid_at IS NOT NULL AS paid
               FROM deliveries d
               JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.province = d.province
               LEFT JOIN settlement_lines sl ON sl.delivery_line_id = dl.id AND sl.province = d.province
               LEFT JOIN payment_orders po ON po.batch_id = sl.batch_id AND po.province = d.province
                                          AND po.supplier_org_id = sl.supplier_org_id
               WHERE d.hospital_org_id = $1 AND d.status = 'accepted' AND dl.accepted > 0) x",
    )
    .bind::<SqlUuid, _>(hospital)
    .get_result(conn)
    .await?;
    let entry_sum = |kind: &str| -> Decimal {
        entries
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.amount)
            .sum()
    };
    let balanced = entry_sum("prepayment") == prepaid
        && entry_sum("set_off") == set_off
        && entry_sum("deduction") == deducted
        && set_off <= prepaid
        && set_off + deducted == sums.paid;
    Ok(LedgerDto {
        hospital_org_id: hospital,
        hospital_name: name,
        province,
        prepaid,
        set_off,
        deducted,
        prepayment_left: prepaid - set_off,
        paid: sums.paid,
        unpaid: sums.unpaid,
        balanced,
        entries,
    })
}
