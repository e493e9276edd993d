//! What the order, delivery and progress routes take and give.

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::queries::{DeliveryStatus, OrderStatus};

/// The unit a quantity is given in.
#[derive(Debug, Clone, Copy, Default, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum QuantityUnit {
    /// Minimum units (tablets, vials, pieces): what contracts and quotas count.
    #[default]
    Unit,
    /// Whole sales packs, converted by the product's pack count.
    Pack,
}

#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
pub struct OrderLineRequest {
    /// An active contract of the hospital's province.
    pub contract_id: Uuid,
    /// How many, in `unit`s: 1 to 10^12 minimum units.
    #[schema(minimum = 1, example = 2800)]
    pub quantity: i64,
    #[serde(default)]
    pub unit: QuantityUnit,
}

#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct OrderRequest {
    /// 1 to 100 lines, one per contract, all of one supplier.
    pub lines: Vec<OrderLineRequest>,
    #[schema(max_length = 2000)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderLineDto {
    pub id: Uuid,
    pub line_no: i32,
    pub contract_id: Uuid,
    pub product_code: String,
    /// Contract price per minimum unit.
    #[schema(value_type = String, example = "0.1230")]
    pub unit_price: Decimal,
    /// Ordered, in minimum units.
    pub quantity: i64,
    /// The packs ordered, when ordered in packs.
    pub packs: Option<i64>,
    pub shipped: i64,
    /// Moved to the backup supplier's contract after a supply failure.
    pub moved: i64,
    pub accepted: i64,
    pub refused: i64,
    /// Still to ship: quantity - shipped - moved.
    pub open: i64,
    /// quantity x unit price, to the cent.
    #[schema(value_type = String, example = "344.40")]
    pub amount: Decimal,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDto {
    pub id: Uuid,
    pub hospital_org_id: Uuid,
    pub hospital_name: String,
    pub province: String,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    pub status: OrderStatus,
    pub refusal_reason: Option<String>,
    pub note: Option<String>,
    /// The order whose unshipped lines this one took over after a supply failure.
    pub moved_from: Option<Uuid>,
    pub created_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Sum of the lines' amounts.
    #[schema(value_type = String, example = "344.40")]
    pub amount: Decimal,
    pub lines: Vec<OrderLineDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct RefuseRequest {
    /// Why (e.g. 无法配送, cannot deliver): a supply problem the officers see.
    #[schema(max_length = 2000)]
    pub reason: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeliveryLineRequest {
    pub order_line_id: Uuid,
    /// Minimum units shipped: 1 to what is still open on the line.
    #[schema(minimum = 1)]
    pub quantity: i64,
    /// Drug traceability codes (20 digits from 8, one per sales pack) or, for
    /// consumables, GS1 UDI-DIs; each delivered once nationwide. At most 1,000.
    #[serde(default)]
    pub trace_codes: Vec<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DeliveryRequest {
    #[schema(max_length = 64, example = "B20261201")]
    pub batch_no: String,
    /// After today.
    pub expiry_date: NaiveDate,
    #[schema(max_length = 64, example = "FP-0001")]
    pub invoice_no: String,
    /// 1 to 100 lines of this order, each at most once.
    pub lines: Vec<DeliveryLineRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryLineDto {
    pub id: Uuid,
    pub order_line_id: Uuid,
    pub contract_id: Uuid,
    #[schema(value_type = String)]
    pub unit_price: Decimal,
    pub quantity: i64,
    /// Set at acceptance.
    pub accepted: Option<i64>,
    pub refusal_reason: Option<String>,
    pub trace_codes: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryDto {
    pub id: Uuid,
    pub order_id: Uuid,
    pub hospital_org_id: Uuid,
    pub supplier_org_id: Uuid,
    /// The supplier itself or its named distributor.
    pub shipped_by_org_id: Uuid,
    pub batch_no: String,
    pub expiry_date: NaiveDate,
    pub invoice_no: String,
    pub status: DeliveryStatus,
    pub shipped_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    /// China's date of the acceptance: the payment clock starts here.
    pub accepted_on: Option<NaiveDate>,
    /// When payment is due (acceptance + the payment days, 30).
    pub due_date: Option<NaiveDate>,
    pub lines: Vec<DeliveryLineDto>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptanceLine {
    pub delivery_line_id: Uuid,
    /// 0 to the shipped quantity; the rest is refused.
    pub accepted: i64,
    /// Required when less than the shipped quantity is accepted (damaged, wrong batch,
    /// near expiry...).
    #[schema(max_length = 2000)]
    pub reason: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct AcceptanceRequest {
    /// Every line of the delivery, once.
    pub lines: Vec<AcceptanceLine>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct DistributorRequest {
    /// The distributor organisation, or null to ship yourself.
    pub distributor_org_id: Option<Uuid>,
}

/// How a list of orders is sorted.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum OrderSort {
    #[serde(rename = "created_at")]
    CreatedAt,
    #[default]
    #[serde(rename = "-created_at")]
    CreatedAtDesc,
    #[serde(rename = "updated_at")]
    UpdatedAt,
    #[serde(rename = "-updated_at")]
    UpdatedAtDesc,
    #[serde(rename = "status")]
    Status,
    #[serde(rename = "-status")]
    StatusDesc,
}

/// How a list of deliveries is sorted.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
pub enum DeliverySort {
    #[serde(rename = "shipped_at")]
    ShippedAt,
    #[default]
    #[serde(rename = "-shipped_at")]
    ShippedAtDesc,
    #[serde(rename = "due_date")]
    DueDate,
    #[serde(rename = "-due_date")]
    DueDateDesc,
    #[serde(rename = "expiry_date")]
    ExpiryDate,
    #[serde(rename = "-expiry_date")]
    ExpiryDateDesc,
}
