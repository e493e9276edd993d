//! An order's lines checked against the contracts they name.

use super::service::MAX_LINES;
use super::{
    dto::{OrderRequest, QuantityUnit},
    queries::OrderLineRow,
};
use crate::{
    contracts::service::{ContractRow, ContractStatus},
    platform::{
        db::{
            china_date, clock,
            schema::{catalog_items, contracts},
        },
        error::{ApiError, FieldError},
        input::MAX_TEXT,
    },
};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::{HashMap, HashSet};
use uuid::Uuid;

/// The lines of an order request, checked against the contracts: each an active
/// contract of the hospital's province, in its cycle, all of one supplier; quantities
/// converted to minimum units. Returns the supplier and the lines to write.
pub(crate) async fn checked_lines(
    conn: &mut AsyncPgConnection,
    province: &str,
    order_id: Uuid,
    body: &OrderRequest,
) -> Result<(Uuid, Vec<OrderLineRow>), ApiError> {
    let mut errors = Vec::new();
    if body.lines.is_empty() || body.lines.len() > MAX_LINES {
        return Err(ApiError::invalid(
            "lines",
            format!("an order has 1 to {MAX_LINES} lines"),
        ));
    }
    let max = i64::try_from(bidding_core::MAX_ANNUAL_UNITS).unwrap_or(i64::MAX);
    let mut seen = HashSet::new();
    for (i, l) in body.lines.iter().enumerate() {
        if l.quantity < 1 || l.quantity > max {
            errors.push(FieldError::field(
                format!("lines[{i}].quantity"),
                format!("must be 1 to {max} (got {})", l.quantity),
            ));
        }
        if !seen.insert(l.contract_id) {
            errors.push(FieldError::field(
                format!("lines[{i}].contract_id"),
                "the same contract twice: give one line per contract",
            ));
        }
    }
    if let Some(note) = &body.note
        && note.chars().count() > MAX_TEXT
    {
        errors.push(FieldError::field(
            "note",
            format!("at most {MAX_TEXT} characters"),
        ));
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let ids: Vec<Uuid> = body.lines.iter().map(|l| l.contract_id).collect();
    let found: HashMap<Uuid, (ContractRow, i32)> = contracts::table
        .inner_join(catalog_items::table)
        .filter(contracts::id.eq_any(&ids))
        .select((ContractRow::as_select(), catalog_items::pack_count))
        // a supply failure recorded meanwhile waits for this order (and then moves its
        // lines), instead of missing it
        .for_share()
        .load::<(ContractRow, i32)>(conn)
        .await?
        .into_iter()
        .map(|(c, p)| (c.id, (c, p)))
        .collect();
    let today = china_date(clock(conn).await?);
    let mut supplier = None;
    let mut out = Vec::new();
    for (i, l) in body.lines.iter().enumerate() {
        let Some((c, pack_count)) = found.get(&l.contract_id) else {
            return Err(ApiError::rule(
                "contract_not_found",
                format!("lines[{i}]: no contract {}", l.contract_id),
            ));
        };
        if c.province != province {
            return Err(ApiError::rule(
                "contract_other_province",
                format!(
                    "lines[{i}]: the contract is for province {}, not yours ({province})",
                    c.province
                ),
            ));
        }
        if c.status != ContractStatus::Active {
            return Err(ApiError::rule(
                "contract_not_active",
                format!("lines[{i}]: the contract is {}, not active", c.status),
            ));
        }
        if today > c.cycle_end {
            return Err(ApiError::rule(
                "contract_ended",
                format!("lines[{i}]: the contract's cycle ended on {}", c.cycle_end),
            ));
        }
        if *supplier.get_or_insert(c.supplier_org_id) != c.supplier_org_id {
            return Err(ApiError::rule(
                "order_mixed_suppliers",
                "an order goes to one supplier: its lines' contracts must all be of one supplier",
            ));
        }
        let (quantity, packs) = match l.unit {
            QuantityUnit::Unit => (l.quantity, None),
            QuantityUnit::Pack => (
                l.quantity
                    .checked_mul(i64::from(*pack_count))
                    .filter(|q| *q <= max)
                    .ok_or_else(|| {
                        ApiError::invalid(
                            format!("lines[{i}].quantity"),
                            format!("{} packs of {pack_count} exceed {max} units", l.quantity),
                        )
                    })?,
                Some(l.quantity),
            ),
        };
        out.push(OrderLineRow {
            id: Uuid::now_v7(),
            order_id,
            province: province.to_owned(),
            line_no: i as i32 + 1,
            contract_id: c.id,
            product_code: c.product_code.clone(),
            unit_price: c.unit_price,
            quantity,
            packs,
            shipped: 0,
            moved: 0,
            accepted: 0,
            refused: 0,
        });
    }
    let supplier = supplier.ok_or_else(|| ApiError::internal("an order without lines"))?;
    Ok((supplier, out))
}

pub(crate) fn request_hash(body: &OrderRequest) -> String {
    let canonical =
        serde_json::to_vec(&json!({"lines": body.lines, "note": body.note})).unwrap_or_default();
    hex::encode(Sha256::digest(canonical))
}
