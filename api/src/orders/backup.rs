//! After a supply failure: the failed contract's open order lines move to the backup.

use super::queries::{OrderLineRow, OrderRow, OrderStatus};
use super::service::{notify, reload_order};
use crate::{
    contracts::service::ContractRow,
    platform::{
        audit::{self, Actor},
        db::schema::{order_lines, orders},
        error::ApiError,
        settings::Settings,
    },
};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

/// After a supply failure: the open (unshipped) quantity of every submitted or
/// confirmed order line on the failed contract moves to a new order on the backup's
/// contract, at the backup's price, submitted for the backup to confirm; both suppliers
/// and the hospital are told. Returns how many orders moved.
pub async fn move_to_backup(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    actor: &Actor,
    failed: &ContractRow,
    takeover: &ContractRow,
) -> Result<usize, ApiError> {
    // the orders first, in id order, as every writer of their lines locks them
    let ids: Vec<Uuid> = orders::table
        .filter(
            orders::id.eq_any(
                order_lines::table
                    .filter(order_lines::contract_id.eq(failed.id))
                    .select(order_lines::order_id),
            ),
        )
        .filter(orders::status.eq_any([OrderStatus::Submitted, OrderStatus::Confirmed]))
        .order(orders::id)
        .select(orders::id)
        .for_update()
        .load(conn)
        .await?;
    let open: Vec<(OrderLineRow, OrderRow)> = order_lines::table
        .inner_join(orders::table)
        .filter(order_lines::contract_id.eq(failed.id))
        .filter(orders::id.eq_any(&ids))
        .filter((order_lines::quantity - order_lines::shipped - order_lines::moved).gt(0))
        .select((OrderLineRow::as_select(), OrderRow::as_select()))
        .load(conn)
        .await?;
    let mut moved = 0;
    for (line, order) in open {
        let qty = line.open();
        let new_id = Uuid::now_v7();
        diesel::insert_into(orders::table)
            .values((
                orders::id.eq(new_id),
                orders::hospital_org_id.eq(order.hospital_org_id),
                orders::province.eq(&order.province),
                orders::supplier_org_id.eq(takeover.supplier_org_id),
                orders::status.eq(OrderStatus::Submitted),
                orders::note.eq(order.note.as_deref()),
                orders::moved_from.eq(Some(order.id)),
                orders::created_by.eq(order.created_by),
            ))
            .execute(conn)
            .await?;
        diesel::insert_into(order_lines::table)
            .values(OrderLineRow {
                id: Uuid::now_v7(),
                order_id: new_id,
                province: order.province.clone(),
                line_no: 1,
                contract_id: takeover.id,
                product_code: takeover.product_code.clone(),
                unit_price: takeover.unit_price,
                quantity: qty,
                packs: None,
                shipped: 0,
                moved: 0,
                accepted: 0,
                refused: 0,
            })
            .execute(conn)
            .await?;
        diesel::update(order_lines::table.find(line.id))
            .set(order_lines::moved.eq(order_lines::moved + qty))
            .execute(conn)
            .await?;
        audit::record(
            conn,
            actor,
            "order.move_to_backup",
            "order",
            &order.id.to_string(),
            json!({
                "order_line_id": line.id, "units": qty, "to_order": new_id,
                "from_contract": failed.id, "to_contract": takeover.id,
            }),
        )
        .await?;
        let dto = reload_order(conn, new_id).await?;
        notify(
            conn,
            settings,
            &[
                order.hospital_org_id,
                order.supplier_org_id,
                takeover.supplier_org_id,
            ],
            "moved",
            &dto,
            None,
        )
        .await?;
        moved += 1;
    }
    Ok(moved)
}
