//! A province's settlement settings (prepayment ratio, payment days, the "behind"
//! threshold, the retention share of savings), kept by version: a change is a new row,
//! and every figure they produce stores the version it used.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::platform::{
    audit,
    auth::AuthUser,
    db::schema::{provinces, settlement_settings},
    error::{ApiError, FieldError},
};

/// One version of a province's settings.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = settlement_settings)]
pub struct ProvinceSettings {
    /// The version: figures computed under these settings store it.
    pub id: i64,
    pub province: String,
    /// Share of the annual agreed amount prepaid to each hospital (0.3 to 1).
    #[schema(value_type = String, example = "0.3000")]
    pub prepayment_ratio: Decimal,
    /// Days from acceptance to payment (1 to 365).
    pub payment_days: i32,
    /// A hospital is behind when its share of the expected volume is below this (0 to 1).
    #[schema(value_type = String, example = "0.8000")]
    pub behind_threshold: Decimal,
    /// Share of the savings at the annual clearing credited back to the hospital (0 to 1).
    #[schema(value_type = String, example = "0.5000")]
    pub retention_share: Decimal,
    pub set_by: Option<Uuid>,
    pub set_at: DateTime<Utc>,
}

/// New settings for a province (all four, replacing the current version).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsRequest {
    #[schema(value_type = String, example = "0.5")]
    pub prepayment_ratio: Decimal,
    #[schema(minimum = 1, maximum = 365)]
    pub payment_days: i32,
    #[schema(value_type = String, example = "0.8")]
    pub behind_threshold: Decimal,
    #[schema(value_type = String, example = "0.5")]
    pub retention_share: Decimal,
}

/// The current settings of `province` (the migration seeds one version per province).
pub async fn current(
    conn: &mut AsyncPgConnection,
    province: &str,
) -> Result<ProvinceSettings, ApiError> {
    settlement_settings::table
        .filter(settlement_settings::province.eq(province))
        .order(settlement_settings::id.desc())
        .select(ProvinceSettings::as_select())
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("province {province}")))
}

/// Every version of `province`'s settings, newest first.
pub async fn history(
    conn: &mut AsyncPgConnection,
    province: &str,
) -> Result<Vec<ProvinceSettings>, ApiError> {
    Ok(settlement_settings::table
        .filter(settlement_settings::province.eq(province))
        .order(settlement_settings::id.desc())
        .select(ProvinceSettings::as_select())
        .load(conn)
        .await?)
}

fn check(body: &SettingsRequest) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    let ratio = |v: Decimal, lo: Decimal| v >= lo && v <= Decimal::ONE && v.scale() <= 4;
    if !ratio(body.prepayment_ratio, Decimal::new(3, 1)) {
        errors.push(FieldError::field(
            "prepayment_ratio",
            "must be from 0.3 to 1, with at most 4 decimals (at least 30 % is prepaid)",
        ));
    }
    if !(1..=365).contains(&body.payment_days) {
        errors.push(FieldError::field("payment_days", "must be from 1 to 365"));
    }
    if !ratio(body.behind_threshold, Decimal::ZERO) {
        errors.push(FieldError::field(
            "behind_threshold",
            "must be from 0 to 1, with at most 4 decimals",
        ));
    }
    if !ratio(body.retention_share, Decimal::ZERO) {
        errors.push(FieldError::field(
            "retention_share",
            "must be from 0 to 1, with at most 4 decimals",
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Records a new version of `province`'s settings (admin), audited with before and after.
pub async fn update(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    province: &str,
    body: &SettingsRequest,
) -> Result<ProvinceSettings, ApiError> {
    check(body)?;
    let known: i64 = provinces::table
        .filter(provinces::code.eq(province))
        .count()
        .get_result(conn)
        .await?;
    if known == 0 {
        return Err(ApiError::not_found(format!("province {province}")));
    }
    let before = current(conn, province).await?;
    let after: ProvinceSettings = diesel::insert_into(settlement_settings::table)
        .values((
            settlement_settings::province.eq(province),
            settlement_settings::prepayment_ratio.eq(body.prepayment_ratio),
            settlement_settings::payment_days.eq(body.payment_days),
            settlement_settings::behind_threshold.eq(body.behind_threshold),
            settlement_settings::retention_share.eq(body.retention_share),
            settlement_settings::set_by.eq(user.user_id),
        ))
        .returning(ProvinceSettings::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        "settlement.settings",
        "province",
        province,
        json!({ "before": before, "after": after }),
    )
    .await?;
    Ok(after)
}

/// Every province's current "behind" threshold.
pub async fn behind_thresholds(
    conn: &mut AsyncPgConnection,
) -> Result<std::collections::HashMap<String, Decimal>, ApiError> {
    let rows: Vec<(String, Decimal)> = settlement_settings::table
        .distinct_on(settlement_settings::province)
        .order((
            settlement_settings::province,
            settlement_settings::id.desc(),
        ))
        .select((
            settlement_settings::province,
            settlement_settings::behind_threshold,
        ))
        .load(conn)
        .await?;
    Ok(rows.into_iter().collect())
}
