//! Rows of orders, their lines, deliveries, delivery lines and traceability codes.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use crate::platform::db::schema::{deliveries, delivery_lines, order_lines, orders};

crate::platform::db::text_enum! {
    /// Where an order is: submitted (the hospital may still edit or withdraw it), then
    /// confirmed or refused by the supplier, or withdrawn by the hospital.
    OrderStatus {
        Submitted => "submitted",
        Confirmed => "confirmed",
        Refused => "refused",
        Withdrawn => "withdrawn",
    }
}

crate::platform::db::text_enum! {
    /// Where a delivery is: shipped, then accepted (wholly or in part) by the hospital.
    DeliveryStatus {
        Shipped => "shipped",
        Accepted => "accepted",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = orders, check_for_backend(diesel::pg::Pg))]
pub struct OrderRow {
    pub id: Uuid,
    pub hospital_org_id: Uuid,
    pub province: String,
    pub supplier_org_id: Uuid,
    pub status: OrderStatus,
    pub refusal_reason: Option<String>,
    pub note: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub moved_from: Option<Uuid>,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_lines, check_for_backend(diesel::pg::Pg))]
pub struct OrderLineRow {
    pub id: Uuid,
    pub order_id: Uuid,
    /// The order's province (part of the line's key, as for every table after the award).
    pub province: String,
    pub line_no: i32,
    pub contract_id: Uuid,
    pub product_code: String,
    pub unit_price: Decimal,
    pub quantity: i64,
    pub packs: Option<i64>,
    pub shipped: i64,
    pub moved: i64,
    pub accepted: i64,
    pub refused: i64,
}

impl OrderLineRow {
    /// What may still be shipped.
    pub fn open(&self) -> i64 {
        self.quantity - self.shipped - self.moved
    }
}

#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = deliveries, check_for_backend(diesel::pg::Pg))]
pub struct DeliveryRow {
    pub id: Uuid,
    pub order_id: Uuid,
    pub province: String,
    pub hospital_org_id: Uuid,
    pub supplier_org_id: Uuid,
    pub shipped_by_org_id: Uuid,
    pub shipped_by: Uuid,
    pub batch_no: String,
    pub expiry_date: NaiveDate,
    pub invoice_no: String,
    pub status: DeliveryStatus,
    pub shipped_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub accepted_by: Option<Uuid>,
    pub accepted_on: Option<NaiveDate>,
    pub due_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = delivery_lines, check_for_backend(diesel::pg::Pg))]
pub struct DeliveryLineRow {
    pub id: Uuid,
    pub delivery_id: Uuid,
    pub order_line_id: Uuid,
    /// The order's province: part of the line's key (the tables after the award are
    /// partitioned and, in a cluster, distributed by it).
    pub province: String,
    pub contract_id: Uuid,
    pub unit_price: Decimal,
    pub quantity: i64,
    pub accepted: Option<i64>,
    pub refusal_reason: Option<String>,
}
