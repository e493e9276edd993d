//! Complaints against a published result (质疑投诉): a supplier that bid on a lot objects
//! within the round's window (`oversight.objection_days` after the award's day, 7 unless
//! set), with its grounds and attachments (kept with their SHA-256, 5 MiB each, 10 at
//! most); an officer takes it up and upholds or dismisses it with an answer; the supplier
//! may withdraw it while it is open. Upholding may suspend the lot's active contracts in
//! every province. Every step is audited; the OCDS record shows the lot under review while
//! a complaint on it is open. The states are `bidding_core::complaint`'s.

use bidding_core::complaint::{self, ComplaintAction, ComplaintError, ComplaintStatus};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use serde_json::json;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::{
    contracts::service::ContractStatus,
    platform::{
        audit,
        auth::{AuthUser, OrgKind, Role},
        db::{
            china_date, clock, core_date, naive_date,
            schema::{
                bids, complaint_attachments as att, complaints, contracts, lots, organisations,
                rounds,
            },
        },
        error::ApiError,
        mail::mail_orgs,
        settings::Settings,
    },
    rounds::{queries::Round, service::rules_of},
};

/// Longest grounds or answer, in characters.
pub const MAX_GROUNDS: usize = 5000;
/// Largest attachment, in bytes.
pub const MAX_ATTACHMENT: usize = 5 * 1024 * 1024;
/// Most attachments per complaint.
pub const MAX_ATTACHMENTS: i64 = 10;

fn status_str(s: ComplaintStatus) -> &'static str {
    match s {
        ComplaintStatus::Submitted => "submitted",
        ComplaintStatus::UnderReview => "under_review",
        ComplaintStatus::Upheld => "upheld",
        ComplaintStatus::Dismissed => "dismissed",
        ComplaintStatus::Withdrawn => "withdrawn",
    }
}

fn status_of(s: &str) -> Result<ComplaintStatus, ApiError> {
    ComplaintStatus::ALL
        .into_iter()
        .find(|x| status_str(*x) == s)
        .ok_or_else(|| ApiError::internal(format!("unknown complaint status {s}")))
}

/// The statuses a list may filter on.
pub fn parse_status(s: &str) -> Result<&'static str, ApiError> {
    ComplaintStatus::ALL
        .into_iter()
        .map(status_str)
        .find(|x| *x == s)
        .ok_or_else(|| {
            ApiError::invalid(
                "status",
                "must be submitted, under_review, upheld, dismissed or withdrawn",
            )
        })
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewComplaint {
    /// A lot of the round the supplier bid on.
    pub lot_id: Uuid,
    /// What is wrong with the result and why (1 to 5,000 characters).
    #[schema(max_length = 5000)]
    pub grounds: String,
}

/// What to do with a complaint.
#[derive(Debug, Clone, Copy, Deserialize, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// An officer takes it up.
    Review,
    /// An officer finds for the supplier (with an answer).
    Uphold,
    /// An officer finds against it (with an answer).
    Dismiss,
    /// The supplier takes it back.
    Withdraw,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ComplaintActionRequest {
    pub action: Action,
    /// The officer's answer: required to uphold or dismiss (1 to 5,000 characters).
    #[schema(max_length = 5000)]
    pub answer: Option<String>,
    /// With `uphold`: suspend the lot's active contracts in every province.
    #[serde(default)]
    pub suspend_contracts: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentDto {
    pub id: Uuid,
    pub file_name: String,
    pub content_type: String,
    pub size: i32,
    /// Hex SHA-256 of the content.
    pub sha256: String,
    pub uploaded_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ComplaintDto {
    pub id: Uuid,
    pub round_id: Uuid,
    pub round_name: String,
    pub lot_id: Uuid,
    pub lot_number: i32,
    pub generic_name: String,
    pub supplier_org_id: Uuid,
    pub supplier_name: String,
    /// `submitted`, `under_review`, `upheld`, `dismissed` or `withdrawn`.
    pub status: String,
    pub grounds: String,
    pub answer: Option<String>,
    /// Contracts of the lot the decision suspended.
    pub suspended_contracts: i32,
    pub submitted_at: DateTime<Utc>,
    pub reviewed_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    /// When the suspension was lifted (its contracts active again), and why.
    pub resumed_at: Option<DateTime<Utc>>,
    pub resume_note: Option<String>,
    pub attachments: Vec<AttachmentDto>,
}

#[derive(Queryable)]
struct Row {
    id: Uuid,
    round_id: Uuid,
    round_name: String,
    lot_id: Uuid,
    lot_number: i32,
    generic_name: String,
    supplier_org_id: Uuid,
    supplier_name: String,
    status: String,
    grounds: String,
    answer: Option<String>,
    suspended_contracts: i32,
    submitted_at: DateTime<Utc>,
    reviewed_at: Option<DateTime<Utc>>,
    closed_at: Option<DateTime<Utc>>,
    resumed_at: Option<DateTime<Utc>>,
    resume_note: Option<String>,
}

macro_rules! complaint_rows {
    () => {
        complaints::table
            .inner_join(rounds::table.on(rounds::id.eq(complaints::round_id)))
            .inner_join(lots::table.on(lots::id.eq(complaints::lot_id)))
            .inner_join(organisations::table.on(organisations::id.eq(complaints::supplier_org_id)))
            .select((
                complaints::id,
                complaints::round_id,
                rounds::name,
                complaints::lot_id,
                lots::number,
                lots::generic_name,
                complaints::supplier_org_id,
                organisations::name,
                complaints::status,
                complaints::grounds,
                complaints::answer,
                complaints::suspended_contracts,
                complaints::submitted_at,
                complaints::reviewed_at,
                complaints::closed_at,
                complaints::resumed_at,
                complaints::resume_note,
            ))
    };
}

async fn dtos(conn: &mut AsyncPgConnection, rows: Vec<Row>) -> Result<Vec<ComplaintDto>, ApiError> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    #[derive(Queryable)]
    struct File {
        complaint_id: Uuid,
        id: Uuid,
        file_name: String,
        content_type: String,
        size: i32,
        sha256: String,
        uploaded_at: DateTime<Utc>,
    }
    let files: Vec<File> = att::table
        .filter(att::complaint_id.eq_any(&ids))
        .order(att::uploaded_at)
        .select((
            att::complaint_id,
            att::id,
            att::file_name,
            att::content_type,
            att::size,
            att::sha256,
            att::uploaded_at,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|r| ComplaintDto {
            attachments: files
                .iter()
                .filter(|f| f.complaint_id == r.id)
                .map(|f| AttachmentDto {
                    id: f.id,
                    file_name: f.file_name.clone(),
                    content_type: f.content_type.clone(),
                    size: f.size,
                    sha256: f.sha256.clone(),
                    uploaded_at: f.uploaded_at,
                })
                .collect(),
            id: r.id,
            round_id: r.round_id,
            round_name: r.round_name,
            lot_id: r.lot_id,
            lot_number: r.lot_number,
            generic_name: r.generic_name,
            supplier_org_id: r.supplier_org_id,
            supplier_name: r.supplier_name,
            status: r.status,
            grounds: r.grounds,
            answer: r.answer,
            suspended_contracts: r.suspended_contracts,
            submitted_at: r.submitted_at,
            reviewed_at: r.reviewed_at,
            closed_at: r.closed_at,
            resumed_at: r.resumed_at,
            resume_note: r.resume_note,
        })
        .collect())
}

/// A complaint the caller may see: a supplier its own (another's is not found), the
/// officers, auditors and admins all.
pub async fn find(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
) -> Result<ComplaintDto, ApiError> {
    let mut q = complaint_rows!().filter(complaints::id.eq(id)).into_boxed();
    if user.role == Role::Supplier {
        q = q.filter(complaints::supplier_org_id.eq(user.org_id));
    }
    let row: Row = q
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such complaint"))?;
    dtos(conn, vec![row])
        .await?
        .pop()
        .ok_or_else(|| ApiError::not_found("no such complaint"))
}

/// Complaints the caller may see, newest first.
pub async fn list(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    round: Option<Uuid>,
    status: Option<&str>,
    limit: i64,
    offset: i64,
) -> Result<(Vec<ComplaintDto>, i64), ApiError> {
    macro_rules! filtered {
        ($q:expr) => {{
            let mut q = $q.into_boxed();
            if user.role == Role::Supplier {
                q = q.filter(complaints::supplier_org_id.eq(user.org_id));
            }
            if let Some(r) = round {
                q = q.filter(complaints::round_id.eq(r));
            }
            if let Some(s) = status {
                q = q.filter(complaints::status.eq(s));
            }
            q
        }};
    }
    let total: i64 = filtered!(complaints::table)
        .count()
        .get_result(conn)
        .await?;
    let rows: Vec<Row> = filtered!(complaint_rows!())
        .order((complaints::submitted_at.desc(), complaints::id))
        .limit(limit)
        .offset(offset)
        .load(conn)
        .await?;
    Ok((dtos(conn, rows).await?, total))
}

fn bounded_text(field: &str, value: &str) -> Result<String, ApiError> {
    let v = value.trim();
    if v.is_empty() || v.chars().count() > MAX_GROUNDS {
        return Err(ApiError::invalid(field, "must be 1 to 5000 characters"));
    }
    Ok(v.to_owned())
}

fn window_error(e: ComplaintError) -> ApiError {
    match e {
        ComplaintError::NotPublished => ApiError::rule(
            "results_not_published",
            "the round's result is not published: there is nothing to object to yet",
        ),
        ComplaintError::WindowClosed { deadline } => ApiError::rule(
            "objection_window_closed",
            format!("the objection window closed on {deadline}"),
        ),
        other => ApiError::rule("complaint_refused", other.to_string()),
    }
}

/// The officers' organisations: told of every new complaint.
async fn offices(conn: &mut AsyncPgConnection) -> Result<Vec<Uuid>, ApiError> {
    Ok(organisations::table
        .filter(organisations::kind.eq(OrgKind::ProcurementOffice))
        .select(organisations::id)
        .load(conn)
        .await?)
}

/// A supplier objects to the published result of one lot it bid on, within the window.
pub async fn submit(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    round_id: Uuid,
    body: &NewComplaint,
) -> Result<ComplaintDto, ApiError> {
    let grounds = bounded_text("grounds", &body.grounds)?;
    let round = Round::find(conn, round_id)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such round"))?;
    let lot_round: Option<Uuid> = lots::table
        .find(body.lot_id)
        .select(lots::round_id)
        .first(conn)
        .await
        .optional()?;
    if lot_round != Some(round.id) {
        return Err(ApiError::rule(
            "lot_not_in_round",
            "the lot is not one of this round's",
        ));
    }
    let now = clock(conn).await?;
    let rules = rules_of(&round)?;
    let published = round
        .awarded_at
        .map(|t| core_date(china_date(t)))
        .transpose()?;
    complaint::may_object(
        published,
        rules.oversight.objection_days,
        core_date(china_date(now))?,
    )
    .map_err(window_error)?;
    let bid: Option<Uuid> = bids::table
        .filter(bids::round_id.eq(round.id))
        .filter(bids::lot_id.eq(body.lot_id))
        .filter(bids::supplier_org_id.eq(user.org_id))
        .select(bids::id)
        .first(conn)
        .await
        .optional()?;
    if bid.is_none() {
        return Err(ApiError::rule(
            "complaint_not_bidder",
            "only a supplier that bid on the lot may object to its result",
        ));
    }
    let open: i64 = complaints::table
        .filter(complaints::lot_id.eq(body.lot_id))
        .filter(complaints::supplier_org_id.eq(user.org_id))
        .filter(complaints::status.eq_any(["submitted", "under_review"]))
        .count()
        .get_result(conn)
        .await?;
    if open > 0 {
        return Err(ApiError::conflict(
            "complaint_open",
            "your complaint on this lot is still open: add to it or withdraw it first",
        ));
    }
    let id = Uuid::now_v7();
    diesel::insert_into(complaints::table)
        .values((
            complaints::id.eq(id),
            complaints::round_id.eq(round.id),
            complaints::lot_id.eq(body.lot_id),
            complaints::supplier_org_id.eq(user.org_id),
            complaints::status.eq(status_str(ComplaintStatus::Submitted)),
            complaints::grounds.eq(&grounds),
            complaints::submitted_by.eq(user.user_id),
            complaints::submitted_at.eq(now),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        "complaint.submit",
        "complaint",
        &id.to_string(),
        json!({ "round_id": round.id, "lot_id": body.lot_id, "grounds": grounds }),
    )
    .await?;
    let dto = find(conn, user, id).await?;
    let to = offices(conn).await?;
    tell(
        conn,
        settings,
        &to,
        &dto,
        "submitted",
        ("新的质疑投诉", "A new complaint"),
    )
    .await?;
    Ok(dto)
}

/// Mails `orgs` about complaint `c`, once per `event` (submitted, a status, suspended,
/// resumed).
async fn tell(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    orgs: &[Uuid],
    c: &ComplaintDto,
    event: &str,
    (zh, en): (&str, &str),
) -> Result<(), ApiError> {
    mail_orgs(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        orgs,
        "oversight_notice",
        &format!("complaint:{}:{event}", c.id),
        json!({
            "headline_zh": zh, "headline_en": en,
            "subject_zh": format!("{} 第{}包 {}", c.round_name, c.lot_number, c.generic_name),
            "subject_en": format!("{}, lot {} {}", c.round_name, c.lot_number, c.generic_name),
            "detail_zh": format!("投诉企业：{}；状态：{}。{}", c.supplier_name, c.status, c.answer.clone().unwrap_or_default()),
            "detail_en": format!("Supplier: {}; status: {}. {}", c.supplier_name, c.status, c.answer.clone().unwrap_or_default()),
            "link": format!("/complaints/{}", c.id),
        }),
    )
    .await?;
    Ok(())
}

/// Mails the suppliers of `contracts`, their provinces' centres and the complainant.
async fn tell_parties(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    contract_ids: &[Uuid],
    c: &ComplaintDto,
    event: &str,
    headline: (&str, &str),
) -> Result<(), ApiError> {
    let parties: Vec<(Uuid, String)> = contracts::table
        .filter(contracts::id.eq_any(contract_ids))
        .select((contracts::supplier_org_id, contracts::province))
        .load(conn)
        .await?;
    let provinces: Vec<&String> = parties.iter().map(|p| &p.1).collect();
    let mut orgs: Vec<Uuid> = organisations::table
        .filter(organisations::kind.eq(OrgKind::Buyer))
        .filter(organisations::province.eq_any(provinces))
        .select(organisations::id)
        .load(conn)
        .await?;
    orgs.extend(parties.iter().map(|p| p.0));
    orgs.push(c.supplier_org_id);
    orgs.sort_unstable();
    orgs.dedup();
    tell(conn, settings, &orgs, c, event, headline).await
}

/// Moves a complaint: the supplier withdraws its own; an officer reviews, upholds or
/// dismisses (with an answer), and may suspend the lot's active contracts when upholding.
pub async fn act(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    id: Uuid,
    body: &ComplaintActionRequest,
) -> Result<ComplaintDto, ApiError> {
    let (action, by_supplier) = match body.action {
        Action::Review => (ComplaintAction::Review, false),
        Action::Uphold => (ComplaintAction::Uphold, false),
        Action::Dismiss => (ComplaintAction::Dismiss, false),
        Action::Withdraw => (ComplaintAction::Withdraw, true),
    };
    if by_supplier != (user.role == Role::Supplier) {
        return Err(ApiError::forbidden(if by_supplier {
            "only the supplier that made a complaint withdraws it"
        } else {
            "only procurement officers review and decide complaints"
        }));
    }
    let answer = body
        .answer
        .as_deref()
        .map(|a| bounded_text("answer", a))
        .transpose()?;
    if answer.is_some() && !matches!(body.action, Action::Uphold | Action::Dismiss) {
        return Err(ApiError::invalid(
            "answer",
            "an answer goes with a decision (uphold or dismiss)",
        ));
    }
    if body.suspend_contracts && body.action != Action::Uphold {
        return Err(ApiError::invalid(
            "suspend_contracts",
            "only an upheld complaint suspends contracts",
        ));
    }
    // lock the row: two officers deciding at once decide once
    // (a supplier's own only: another's is not found)
    let anyones = (user.role != Role::Supplier).into_sql::<diesel::sql_types::Bool>();
    let (status, lot_id): (String, Uuid) = complaints::table
        .filter(complaints::id.eq(id))
        .filter(complaints::supplier_org_id.eq(user.org_id).or(anyones))
        .select((complaints::status, complaints::lot_id))
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such complaint"))?;
    let from = status_of(&status)?;
    let to = complaint::transition(from, action, answer.as_deref()).map_err(|e| match e {
        ComplaintError::AnswerRequired => ApiError::invalid("answer", e.to_string()),
        other => ApiError::conflict("complaint_transition", other.to_string()),
    })?;
    let now = clock(conn).await?;
    let mut suspended: Vec<Uuid> = Vec::new();
    if body.suspend_contracts {
        suspended = diesel::update(
            contracts::table
                .filter(contracts::lot_id.eq(lot_id))
                .filter(contracts::status.eq(ContractStatus::Active)),
        )
        .set(contracts::status.eq(ContractStatus::Suspended))
        .returning(contracts::id)
        .get_results(conn)
        .await?;
    }
    // one statement: the row's checks (answered, closed) hold after it
    let set = (
        complaints::status.eq(status_str(to)),
        complaints::answer.eq(answer.as_deref()),
        complaints::suspended_contracts.eq(i32::try_from(suspended.len()).unwrap_or(i32::MAX)),
    );
    if action == ComplaintAction::Review {
        diesel::update(complaints::table.find(id))
            .set((
                set,
                complaints::reviewed_by.eq(user.user_id),
                complaints::reviewed_at.eq(now),
            ))
            .execute(conn)
            .await?;
    } else {
        diesel::update(complaints::table.find(id))
            .set((
                set,
                complaints::closed_by.eq(user.user_id),
                complaints::closed_at.eq(now),
            ))
            .execute(conn)
            .await?;
    }
    audit::record(
        conn,
        &user.actor(),
        match action {
            ComplaintAction::Review => "complaint.review",
            ComplaintAction::Uphold => "complaint.uphold",
            ComplaintAction::Dismiss => "complaint.dismiss",
            ComplaintAction::Withdraw => "complaint.withdraw",
        },
        "complaint",
        &id.to_string(),
        json!({ "from": status_str(from), "to": status_str(to), "answer": answer,
                "suspended_contracts": suspended }),
    )
    .await?;
    let dto = find(conn, user, id).await?;
    if !suspended.is_empty() {
        for c in &suspended {
            audit::record(
                conn,
                &user.actor(),
                "contract.suspend",
                "contract",
                &c.to_string(),
                json!({ "complaint_id": id, "lot_id": lot_id }),
            )
            .await?;
        }
        tell_parties(
            conn,
            settings,
            &suspended,
            &dto,
            "suspended",
            (
                "中选结果复核：协议暂停执行",
                "Contracts suspended pending review",
            ),
        )
        .await?;
    }
    if by_supplier {
        let to = offices(conn).await?;
        tell(
            conn,
            settings,
            &to,
            &dto,
            "withdrawn",
            ("质疑投诉已撤回", "A complaint was withdrawn"),
        )
        .await?;
    } else {
        let (zh, en) = match to {
            ComplaintStatus::UnderReview => {
                ("您的质疑投诉已受理", "Your complaint is under review")
            }
            ComplaintStatus::Upheld => ("您的质疑投诉成立", "Your complaint was upheld"),
            _ => ("您的质疑投诉不成立", "Your complaint was dismissed"),
        };
        tell(
            conn,
            settings,
            &[dto.supplier_org_id],
            &dto,
            status_str(to),
            (zh, en),
        )
        .await?;
    }
    Ok(dto)
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct ResumeRequest {
    /// What the review found (the result stands, or how it was corrected): 1 to 5,000
    /// characters.
    #[schema(max_length = 5000)]
    pub note: String,
}

/// Lifts the suspension an upheld complaint put on its lot: the contracts it suspended
/// (still suspended) are active again; once per complaint.
pub async fn resume(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    id: Uuid,
    body: &ResumeRequest,
) -> Result<ComplaintDto, ApiError> {
    let note = bounded_text("note", &body.note)?;
    let (status, lot_id, suspended, resumed): (String, Uuid, i32, Option<DateTime<Utc>>) =
        complaints::table
            .filter(complaints::id.eq(id))
            .select((
                complaints::status,
                complaints::lot_id,
                complaints::suspended_contracts,
                complaints::resumed_at,
            ))
            .for_update()
            .first(conn)
            .await
            .optional()?
            .ok_or_else(|| ApiError::not_found("no such complaint"))?;
    if status != status_str(ComplaintStatus::Upheld) || suspended == 0 {
        return Err(ApiError::conflict(
            "nothing_suspended",
            "only an upheld complaint that suspended contracts has a suspension to lift",
        ));
    }
    if resumed.is_some() {
        return Err(ApiError::conflict(
            "suspension_lifted",
            "the suspension was lifted already",
        ));
    }
    let now = clock(conn).await?;
    let back: Vec<Uuid> = diesel::update(
        contracts::table
            .filter(contracts::lot_id.eq(lot_id))
            .filter(contracts::status.eq(ContractStatus::Suspended)),
    )
    .set(contracts::status.eq(ContractStatus::Active))
    .returning(contracts::id)
    .get_results(conn)
    .await?;
    diesel::update(complaints::table.find(id))
        .set((
            complaints::resumed_by.eq(user.user_id),
            complaints::resumed_at.eq(now),
            complaints::resume_note.eq(&note),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        "complaint.resume",
        "complaint",
        &id.to_string(),
        json!({ "lot_id": lot_id, "note": note, "contracts": back }),
    )
    .await?;
    for c in &back {
        audit::record(
            conn,
            &user.actor(),
            "contract.resume",
            "contract",
            &c.to_string(),
            json!({ "complaint_id": id, "lot_id": lot_id }),
        )
        .await?;
    }
    let dto = find(conn, user, id).await?;
    tell_parties(
        conn,
        settings,
        &back,
        &dto,
        "resumed",
        ("协议恢复执行", "Contracts resumed"),
    )
    .await?;
    Ok(dto)
}

/// The lots with an open complaint among `lots`.
pub async fn under_review(
    conn: &mut AsyncPgConnection,
    lot_ids: &[Uuid],
) -> Result<Vec<Uuid>, ApiError> {
    Ok(complaints::table
        .filter(complaints::lot_id.eq_any(lot_ids))
        .filter(complaints::status.eq_any(["submitted", "under_review"]))
        .select(complaints::lot_id)
        .distinct()
        .load(conn)
        .await?)
}

/// The last day to object to a round's result, when it is published.
pub fn deadline(round: &Round) -> Result<Option<NaiveDate>, ApiError> {
    let rules = rules_of(round)?;
    round
        .awarded_at
        .map(|t| {
            let d = core_date(china_date(t))?;
            complaint::objection_deadline(d, rules.oversight.objection_days)
                .map(naive_date)
                .transpose()
                .map(Option::unwrap_or_default)
        })
        .transpose()
}

/// Stores an attachment of an open complaint of the caller's organisation.
pub async fn attach(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    file_name: &str,
    content_type: &str,
    content: &[u8],
) -> Result<AttachmentDto, ApiError> {
    let (status,): (String,) = complaints::table
        .filter(complaints::id.eq(id))
        .filter(complaints::supplier_org_id.eq(user.org_id))
        .select((complaints::status,))
        .for_update()
        .first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such complaint"))?;
    if !status_of(&status)?.is_open() {
        return Err(ApiError::conflict(
            "complaint_closed",
            format!("the complaint is {status}: it takes no more attachments"),
        ));
    }
    let count: i64 = att::table
        .filter(att::complaint_id.eq(id))
        .count()
        .get_result(conn)
        .await?;
    if count >= MAX_ATTACHMENTS {
        return Err(ApiError::rule(
            "too_many_attachments",
            format!("a complaint takes at most {MAX_ATTACHMENTS} attachments"),
        ));
    }
    let sha256 = hex::encode(Sha256::digest(content));
    let size = i32::try_from(content.len())
        .map_err(|_| ApiError::PayloadTooLarge("the attachment is too large".into()))?;
    let dto = AttachmentDto {
        id: Uuid::now_v7(),
        file_name: file_name.to_owned(),
        content_type: content_type.to_owned(),
        size,
        sha256,
        uploaded_at: clock(conn).await?,
    };
    diesel::insert_into(att::table)
        .values((
            att::id.eq(dto.id),
            att::complaint_id.eq(id),
            att::file_name.eq(&dto.file_name),
            att::content_type.eq(&dto.content_type),
            att::size.eq(dto.size),
            att::sha256.eq(&dto.sha256),
            att::content.eq(content),
            att::uploaded_by.eq(user.user_id),
            att::uploaded_at.eq(dto.uploaded_at),
        ))
        .execute(conn)
        .await?;
    audit::record(
        conn,
        &user.actor(),
        "complaint.attach",
        "complaint",
        &id.to_string(),
        json!({ "attachment_id": dto.id, "file_name": dto.file_name, "size": dto.size,
                "sha256": dto.sha256 }),
    )
    .await?;
    Ok(dto)
}

/// An attachment's name, type and content, when the caller may see its complaint.
pub async fn attachment(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    id: Uuid,
    attachment_id: Uuid,
) -> Result<(String, String, String, Vec<u8>), ApiError> {
    let mut q = att::table
        .inner_join(complaints::table)
        .filter(att::id.eq(attachment_id))
        .filter(complaints::id.eq(id))
        .select((att::file_name, att::content_type, att::sha256, att::content))
        .into_boxed();
    if user.role == Role::Supplier {
        q = q.filter(complaints::supplier_org_id.eq(user.org_id));
    }
    q.first(conn)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found("no such attachment"))
}
