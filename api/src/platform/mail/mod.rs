//! Outgoing mail: templates (minijinja, Chinese and English in one message, text and
//! HTML) and the transport (SMTP through lettre, or .eml files for development).
//!
//! Mail is never sent inside a request: handlers enqueue an `email` job in their
//! transaction (see [`crate::platform::jobs`]), and the job worker sends it.

use std::{path::PathBuf, sync::OnceLock, time::Duration};

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, MultiPart},
};
use minijinja::Environment;
use serde::{Deserialize, Serialize};

pub mod notify;

pub use notify::mail_orgs;

use crate::platform::settings::{MailBackend, MailSettings};

/// Every template: (name, subject, text body, HTML body).
macro_rules! templates {
    ($($name:literal),+ $(,)?) => {
        &[$((
            $name,
            include_str!(concat!("templates/", $name, ".subject")),
            include_str!(concat!("templates/", $name, ".txt")),
            include_str!(concat!("templates/", $name, ".html")),
        )),+]
    };
}

const TEMPLATES: &[(&str, &str, &str, &str)] = templates![
    "user_created",
    "round_published",
    "deadline_reminder",
    "bid_receipt",
    "round_opened",
    "bids_invalidated",
    "round_cancelled",
    "revival_offer",
    "award_notice",
    "non_award_notice",
    "contracts_awarded",
    "supply_takeover",
    "supply_failure",
    "order_update",
    "settlement_update",
    "oversight_notice",
];

/// Shared layouts the templates extend.
const LAYOUTS: &[(&str, &str)] = &[
    ("layout.txt", include_str!("templates/layout.txt")),
    ("layout.html", include_str!("templates/layout.html")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
        for (name, source) in LAYOUTS {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = %name, error = %e, "mail layout does not parse");
            }
        }
        for (name, subject, text, html) in TEMPLATES {
            // names ending in .html are auto-escaped; the others are not
            for (suffix, source) in [("subject", subject), ("txt", text), ("html", html)] {
                if let Err(e) = env.add_template_owned(format!("{name}.{suffix}"), *source) {
                    tracing::error!(template = %name, error = %e, "mail template does not parse");
                }
            }
        }
        env
    })
}

/// What an `email` job carries: a template to render for `to` with `context` when the job
/// runs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MailJob {
    pub template: String,
    pub to: String,
    pub context: serde_json::Value,
}

/// The payload of an `email` job: a template with its context (what is enqueued now), or
/// a message rendered at enqueue time (jobs written before mail was rendered when sent).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum EmailJob {
    Deferred(MailJob),
    Rendered(Email),
}

/// Whether a template of that name exists.
pub fn has_template(name: &str) -> bool {
    TEMPLATES.iter().any(|(n, ..)| *n == name)
}

/// A rendered message, ready to send.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Email {
    pub template: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("mail template {0}: {1}")]
    Template(String, String),
    #[error("invalid address {0:?}: {1}")]
    Address(String, String),
    /// Retrying cannot help (the server refused the recipient, the message is malformed).
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// Worth retrying (server down, timeout, 4xx).
    #[error("temporary failure: {0}")]
    Transient(String),
}

impl MailError {
    pub fn is_permanent(&self) -> bool {
        !matches!(self, MailError::Transient(_))
    }
}

/// Renders `template` for `to` with `context`.
pub fn render(template: &str, to: &str, context: &serde_json::Value) -> Result<Email, MailError> {
    let part = |suffix: &str| -> Result<String, MailError> {
        env()
            .get_template(&format!("{template}.{suffix}"))
            .and_then(|t| t.render(context))
            .map_err(|e| MailError::Template(template.into(), e.to_string()))
    };
    let subject = part("subject")?
        .lines()
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ");
    Ok(Email {
        template: template.into(),
        to: to.into(),
        subject: subject.trim().to_owned(),
        text: part("txt")?,
        html: part("html")?,
    })
}

/// `wang.fang@example.cn` -> `w***@example.cn`, for logs.
pub fn mask(address: &str) -> String {
    match address.split_once('@') {
        Some((local, domain)) => {
            let first = local.chars().next().map(String::from).unwrap_or_default();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// Where mail goes.
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(PathBuf),
}

impl Mailer {
    pub fn new(settings: &MailSettings) -> Result<Self, MailError> {
        match &settings.backend {
            MailBackend::Smtp { url } => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailError::Permanent(format!("VBP_SMTP_URL: {e}")))?
                    .timeout(Some(settings.smtp_timeout))
                    .build();
                Ok(Self::Smtp(transport))
            }
            MailBackend::File { dir } => Ok(Self::File(dir.clone())),
        }
    }

    /// Sends `email` with the given Message-ID (stable per job, so a retried send is
    /// recognisable as the same message by every mail system on its way).
    pub async fn send(&self, from: &str, email: &Email, message_id: &str) -> Result<(), MailError> {
        let from: Mailbox = from.parse().map_err(|e: lettre::address::AddressError| {
            MailError::Address(from.into(), e.to_string())
        })?;
        let to: Mailbox = email
            .to
            .parse()
            .map_err(|e: lettre::address::AddressError| {
                MailError::Address(mask(&email.to), e.to_string())
            })?;
        let message = Message::builder()
            .from(from)
            .to(to)
            .subject(email.subject.clone())
            .message_id(Some(message_id.to_owned()))
            .multipart(MultiPart::alternative_plain_html(
                email.text.clone(),
                email.html.clone(),
            ))
            .map_err(|e| MailError::Permanent(e.to_string()))?;
        match self {
            Mailer::Smtp(transport) => transport.send(message).await.map(drop).map_err(|e| {
                if e.is_permanent() {
                    MailError::Permanent(e.to_string())
                } else {
                    MailError::Transient(e.to_string())
                }
            }),
            Mailer::File(dir) => {
                let name = message_id.trim_matches(['<', '>']).replace(['@', '/'], "_");
                let path = dir.join(format!("{name}.eml"));
                let bytes = message.formatted();
                let write = async {
                    tokio::fs::create_dir_all(dir).await?;
                    tokio::fs::write(&path, bytes).await
                };
                tokio::time::timeout(Duration::from_secs(30), write)
                    .await
                    .map_err(|_| MailError::Transient("writing the mail file timed out".into()))?
                    .map_err(|e| MailError::Transient(format!("{}: {e}", path.display())))
            }
        }
    }
}

/// Role names as the mail shows them.
pub fn role_names(role: crate::platform::auth::Role) -> (&'static str, &'static str) {
    use crate::platform::auth::Role::*;
    match role {
        Admin => ("平台管理员", "platform administrator"),
        ProcurementOfficer => ("采购经办人", "procurement officer"),
        Supplier => ("申报企业", "supplier"),
        ProvincialBuyer => ("省级采购机构", "provincial buyer"),
        Insurer => ("医保经办机构", "medical insurance bureau"),
        Auditor => ("监督审计", "auditor"),
        Hospital => ("医疗机构", "hospital"),
        Distributor => ("配送企业", "distributor"),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn masks_addresses() {
        assert_eq!(mask("wang.fang@example.cn"), "w***@example.cn");
        assert_eq!(mask("nonsense"), "***");
    }

    #[test]
    fn renders_both_languages_and_escapes_html() {
        let ctx = serde_json::json!({
            "name": "<script>x</script>", "email": "a@b.cn", "role_zh": "申报企业",
            "role_en": "supplier", "org_name": "Qilu & Co", "platform_url": "http://127.0.0.1:8080/",
        });
        let mail = render("user_created", "a@b.cn", &ctx).unwrap();
        assert!(mail.subject.contains("账户") && mail.subject.contains("account"));
        assert!(mail.text.contains("申报企业") && mail.text.contains("supplier"));
        assert!(mail.text.contains("Qilu & Co"));
        assert!(mail.html.contains("Qilu &amp; Co"));
        assert!(!mail.html.contains("<script>"));
    }

    #[test]
    fn every_template_renders_with_its_variables() {
        let ctx = serde_json::json!({
            "name": "n", "email": "e@x.cn", "role_zh": "r", "role_en": "r", "org_name": "o",
            "platform_url": "u", "round_name": "第十二批", "round_id": "id", "deadline": "2026-12-01T00:00:00Z",
            "lot_number": 3, "generic_name": "阿托伐他汀钙片", "bid_id": "b", "submitted_at": "t",
            "commitment": "c", "signature": "s",
            "offers": [{"lot_number": 1, "generic_name": "g", "revival_ucp": "0.5000", "unit_price": "0.5000", "own_price": "0.6000"}],
            "won": [{"lot_number": 1, "generic_name": "g", "unit_price": "0.3000", "ucp": "0.3000", "rank": 1,
                     "agreed_volume": 70000, "provinces": [{"province": "北京市", "agreed_volume": 70000}]}],
            // a job queued before reasons had a Chinese text, and one after
            "lost": [{"lot_number": 2, "generic_name": "h", "reason": "lost: UCP 0.6 above the selection limit 0.54"},
                     {"lot_number": 3, "generic_name": "i", "reason": "lost: the lot has no valid bid",
                      "reason_zh": "未中选：本组无有效报价"}],
            "contracts": [{"lot_number": 1, "generic_name": "g", "supplier": "s", "unit_price": "0.3000",
                           "agreed_volume": 70000, "backup": "b"}],
            "province": "110000", "failed_supplier": "f", "backup_supplier": "b", "unit_price": "0.5000",
            "agreed_volume": 70000, "reason": "r", "bar_until": "2031-12-31",
            "headline_zh": "订单已确认", "headline_en": "Your order was confirmed", "order_id": "o",
            "hospital": "h", "supplier": "s", "status": "confirmed", "amount": "1.00", "lines": 1,
            "reference": "BANK-1", "detail": "payment order p",
            "subject_zh": "沙格列汀片", "subject_en": "saxagliptin", "detail_zh": "d", "detail_en": "d",
            "link": "/oversight/warnings",
        });
        for (name, ..) in TEMPLATES {
            let mail = render(name, "e@x.cn", &ctx).unwrap();
            assert!(
                !mail.subject.is_empty()
                    && mail.text.contains("Hello n")
                    && mail.html.contains("</html>"),
                "{name}"
            );
        }
        let award = render("award_notice", "e@x.cn", &ctx).unwrap();
        assert!(award.text.contains("北京市（70000）"));
        assert!(award.text.contains("above the selection limit"));
        let takeover = render("supply_failure", "e@x.cn", &ctx).unwrap();
        assert!(takeover.text.contains("2031-12-31"));
    }

    #[test]
    fn missing_variable_is_an_error_not_a_blank() {
        assert!(render("user_created", "a@b.cn", &serde_json::json!({})).is_err());
        assert!(render("no_such_template", "a@b.cn", &serde_json::json!({})).is_err());
    }
}
