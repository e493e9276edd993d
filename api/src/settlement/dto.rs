//! What the settlement routes take and return. Amounts are strings of exact decimals
//! (yuan to the cent; unit prices to 4 decimals).

use chrono::{DateTime, NaiveDate, Utc};
use diesel::{
    QueryableByName,
    sql_types::{BigInt, Bool, Date, Nullable, Numeric, Text, Timestamptz, Uuid as SqlUuid},
};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

/// A hospital's prepayment for a round: what is due under the current settings, and the
/// payment once recorded.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct PrepaymentDue {
    #[diesel(sql_type = SqlUuid)]
    pub hospital_org_id: Uuid,
    #[diesel(sql_type = Text)]
    pub hospital_name: String,
    /// Sum over the hospital's quotas of quota x contract price (exact).
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "120000.0000")]
    pub agreed_amount: Decimal,
    /// ratio x agreed amount, half-up to the cent (the recorded amount once paid).
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "36000.00")]
    pub amount: Decimal,
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "0.3000")]
    pub ratio: Decimal,
    /// The settings version the amount comes from.
    #[diesel(sql_type = BigInt)]
    pub settings_id: i64,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub prepayment_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub bank_reference: Option<String>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub paid_at: Option<DateTime<Utc>>,
}

/// Record a hospital's prepayment for a round as paid.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrepaymentRequest {
    pub round_id: Uuid,
    pub hospital_org_id: Uuid,
    /// The bank's reference of the transfer, 1 to 64 characters.
    #[schema(min_length = 1, max_length = 64)]
    pub bank_reference: String,
}

/// One entry of a hospital's fund ledger.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct FundEntryDto {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    /// prepayment (received), set_off (a payment taken from the prepayment) or deduction
    /// (a payment deducted from the fund payments owed to the hospital).
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "1200.00")]
    pub amount: Decimal,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub prepayment_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub payment_id: Option<Uuid>,
    /// What is left of the prepayments after this entry.
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "34800.00")]
    pub prepayment_left: Decimal,
    #[diesel(sql_type = Timestamptz)]
    pub created_at: DateTime<Utc>,
}

/// A hospital's fund ledger. It balances: prepaid - set_off = prepayment_left >= 0, and
/// set_off + deducted = paid, the sum of its paid settlement lines.
#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerDto {
    pub hospital_org_id: Uuid,
    pub hospital_name: String,
    pub province: String,
    #[schema(value_type = String)]
    pub prepaid: Decimal,
    #[schema(value_type = String)]
    pub set_off: Decimal,
    #[schema(value_type = String)]
    pub deducted: Decimal,
    #[schema(value_type = String)]
    pub prepayment_left: Decimal,
    /// The hospital's settlement lines paid to suppliers.
    #[schema(value_type = String)]
    pub paid: Decimal,
    /// Accepted lines not paid yet (in a batch or not).
    #[schema(value_type = String)]
    pub unpaid: Decimal,
    pub balanced: bool,
    pub entries: Vec<FundEntryDto>,
}

/// Which accepted, unsettled, undisputed lines of the insurer's province to settle: all,
/// those due by a date, or one supplier's (both filters may be given).
#[derive(Debug, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BatchRequest {
    pub due_by: Option<NaiveDate>,
    pub supplier_org_id: Option<Uuid>,
}

/// A payment order: what one supplier is paid for its lines in a batch.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct PaymentOrderDto {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub batch_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub supplier_org_id: Uuid,
    #[diesel(sql_type = Text)]
    pub supplier_name: String,
    #[diesel(sql_type = Text)]
    pub province: String,
    /// The sum of its lines, to the cent.
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "3344.40")]
    pub total: Decimal,
    #[diesel(sql_type = BigInt)]
    pub line_count: i64,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub paid_at: Option<DateTime<Utc>>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub payment_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub bank_reference: Option<String>,
}

/// A settlement batch and its payment orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchDto {
    pub id: Uuid,
    pub province: String,
    pub due_by: Option<NaiveDate>,
    pub supplier_org_id: Option<Uuid>,
    /// The sum of its payment orders, which are the sums of its lines.
    #[schema(value_type = String, example = "10233.07")]
    pub total: Decimal,
    pub line_count: i64,
    /// open (a payment order unpaid), paid, or empty (every line disputed out of it).
    pub status: String,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub payment_orders: Vec<PaymentOrderDto>,
}

/// Pay a payment order in full, with the bank's reference of the transfer.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PaymentRequest {
    #[schema(min_length = 1, max_length = 64)]
    pub bank_reference: String,
    /// The amount transferred: the order's total.
    #[schema(value_type = String, example = "3344.40")]
    pub amount: Decimal,
}

/// A recorded payment.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentDto {
    pub id: Uuid,
    pub payment_order_id: Uuid,
    pub bank_reference: String,
    #[schema(value_type = String, example = "3344.40")]
    pub amount: Decimal,
    pub paid_by: Uuid,
    pub paid_at: DateTime<Utc>,
    /// Of the amount, taken from the hospitals' prepayments.
    #[schema(value_type = String)]
    pub set_off: Decimal,
    /// Of the amount, deducted from the fund payments owed to the hospitals.
    #[schema(value_type = String)]
    pub deducted: Decimal,
}

/// An accepted line of a statement (or of the overdue list).
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct SettlementLineDto {
    #[diesel(sql_type = SqlUuid)]
    pub delivery_line_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub delivery_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub order_id: Uuid,
    #[diesel(sql_type = Text)]
    pub province: String,
    #[diesel(sql_type = SqlUuid)]
    pub hospital_org_id: Uuid,
    #[diesel(sql_type = Text)]
    pub hospital_name: String,
    #[diesel(sql_type = SqlUuid)]
    pub supplier_org_id: Uuid,
    #[diesel(sql_type = Text)]
    pub supplier_name: String,
    #[diesel(sql_type = Text)]
    pub product_code: String,
    #[diesel(sql_type = Text)]
    pub invoice_no: String,
    #[diesel(sql_type = Date)]
    pub accepted_on: NaiveDate,
    #[diesel(sql_type = Date)]
    pub due_date: NaiveDate,
    /// Accepted, in minimum units.
    #[diesel(sql_type = BigInt)]
    pub quantity: i64,
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "0.0033")]
    pub unit_price: Decimal,
    /// quantity x unit price, half-up to the cent.
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String, example = "0.02")]
    pub amount: Decimal,
    /// unsettled, disputed (held out of payment), batched or paid.
    #[diesel(sql_type = Text)]
    pub state: String,
    /// Flagged unpaid after its due date.
    #[diesel(sql_type = Bool)]
    pub overdue: bool,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub batch_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub payment_order_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<Text>)]
    pub bank_reference: Option<String>,
}

/// The result of an overdue scan.
#[derive(Debug, Serialize, ToSchema)]
pub struct ScanDto {
    /// China's date the scan used (a line due before it and unpaid is overdue).
    pub today: NaiveDate,
    /// Lines newly flagged (a line is flagged and told once).
    pub flagged: i64,
}

/// Dispute an accepted line of the supplier's statement.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    pub delivery_line_id: Uuid,
    #[schema(min_length = 1, max_length = 2000)]
    pub reason: String,
}

/// Resolve a dispute: the line becomes payable again.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveRequest {
    #[schema(min_length = 1, max_length = 2000)]
    pub resolution: String,
}

#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct DisputeDto {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub delivery_line_id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    pub supplier_org_id: Uuid,
    #[diesel(sql_type = Text)]
    pub province: String,
    #[diesel(sql_type = Text)]
    pub reason: String,
    #[diesel(sql_type = SqlUuid)]
    pub raised_by: Uuid,
    #[diesel(sql_type = Timestamptz)]
    pub raised_at: DateTime<Utc>,
    #[diesel(sql_type = Nullable<Text>)]
    pub resolution: Option<String>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub resolved_by: Option<Uuid>,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    pub resolved_at: Option<DateTime<Utc>>,
}

/// A supplier's confirmation of its statement for a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConfirmationDto {
    pub supplier_org_id: Uuid,
    /// The month, as its first day.
    pub month: NaiveDate,
    #[schema(value_type = String)]
    pub total: Decimal,
    pub line_count: i64,
    pub confirmed_by: Uuid,
    pub confirmed_at: DateTime<Utc>,
}

/// Retained savings of a hospital for a round at the annual clearing: (its accepted units
/// at the lots' previous prices - what they cost at the contract prices) x the province's
/// retention share, half-up to the cent; never below zero.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct SavingsDto {
    #[diesel(sql_type = SqlUuid)]
    pub hospital_org_id: Uuid,
    #[diesel(sql_type = Text)]
    pub hospital_name: String,
    #[diesel(sql_type = Text)]
    pub province: String,
    /// Accepted lines at the lots' previous (pre-round) prices, each to the cent.
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub baseline: Decimal,
    /// Accepted lines at contract prices (each to the cent).
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub actual: Decimal,
    /// baseline - actual, to the cent.
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub savings: Decimal,
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub retention_share: Decimal,
    /// Credited back to the hospital.
    #[diesel(sql_type = Numeric)]
    #[schema(value_type = String)]
    pub retained: Decimal,
    #[diesel(sql_type = BigInt)]
    pub settings_id: i64,
    /// Lots without a previous price count at their contract price (no saving).
    #[diesel(sql_type = BigInt)]
    pub lines: i64,
}
