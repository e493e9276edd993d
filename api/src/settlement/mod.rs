//! Direct settlement by the insurance bureaus (../shared/DOMAIN.md, "Direct settlement";
//! docs/rules.md, "10"): province settings, prepayments and the hospitals' fund ledger,
//! settlement batches with one payment order per supplier, payments by bank reference,
//! the 30-day clock, monthly statements with disputes, and retained savings.
//!
//! Money is computed in SQL as `round(quantity * unit_price, 2)` per accepted line and
//! summed exactly; every accepted line is settled at most once because the settlement
//! line's primary key is the delivery line.

pub mod batches;
pub mod dto;
pub mod jobs;
pub mod ledger;
pub mod overdue;
pub mod routes;
pub mod savings;
pub mod settings;
pub mod statements;

use uuid::Uuid;

use crate::orders::service::Scope;
use crate::platform::{auth::AuthUser, error::ApiError, mail::mail_orgs, settings::JobSettings};

/// The organisations to tell about a settlement event: the province's insurers and the
/// given parties.
pub(crate) async fn tell(
    conn: &mut diesel_async::AsyncPgConnection,
    jobs: &JobSettings,
    public_url: &str,
    province: &str,
    parties: &[Uuid],
    dedupe: &str,
    context: serde_json::Value,
) -> Result<(), ApiError> {
    use crate::platform::{auth::OrgKind, db::schema::organisations};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut orgs: Vec<Uuid> = organisations::table
        .filter(organisations::kind.eq(OrgKind::Insurer))
        .filter(organisations::province.eq(province))
        .select(organisations::id)
        .load(conn)
        .await?;
    orgs.extend_from_slice(parties);
    mail_orgs(
        conn,
        jobs,
        public_url,
        &orgs,
        "settlement_update",
        dedupe,
        context,
    )
    .await?;
    Ok(())
}

/// The province an insurer acts for; others act on none.
pub(crate) fn insurer_province(user: &AuthUser) -> Result<String, ApiError> {
    match Scope::of(user) {
        Scope::Province(p) if !p.is_empty() => Ok(p),
        _ => Err(ApiError::forbidden(
            "only a province's insurer settles its lines",
        )),
    }
}

/// A province code from a path: six digits, or not found.
pub(crate) fn province_code(code: &str) -> Result<&str, ApiError> {
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code)
    } else {
        Err(ApiError::not_found(format!("province {code}")))
    }
}
