//! Mail to organisations: every active user of each, one job each.

use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

use crate::platform::{
    db::schema::{organisations, users},
    error::ApiError,
    jobs,
    settings::JobSettings,
};

/// Mails every active user of the active organisations `orgs` (suppliers, buyers) with
/// `template`, one job each with the dedupe key `{template}:{dedupe}:{email}`. `context`
/// gets each recipient's `name`, `org_name` and `platform_url` added. Returns how many
/// were mailed.
pub async fn mail_orgs(
    conn: &mut AsyncPgConnection,
    jobs_settings: &JobSettings,
    public_url: &str,
    orgs: &[Uuid],
    template: &str,
    dedupe: &str,
    mut context: serde_json::Value,
) -> Result<usize, ApiError> {
    let recipients: Vec<(String, String, String)> = users::table
        .inner_join(organisations::table)
        .filter(users::org_id.eq_any(orgs))
        .filter(users::active.eq(true))
        .filter(organisations::status.eq(crate::platform::auth::OrgStatus::Active))
        .select((users::email, users::display_name, organisations::name))
        .load(conn)
        .await?;
    for (email, name, org) in &recipients {
        context["name"] = json!(if name.is_empty() { email } else { name });
        context["org_name"] = json!(org);
        context["platform_url"] = json!(public_url);
        jobs::enqueue_email(
            conn,
            jobs_settings,
            template,
            email,
            &context,
            Some(&format!("{template}:{dedupe}:{email}")),
        )
        .await?;
    }
    Ok(recipients.len())
}
