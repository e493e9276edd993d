//! Monthly statements per supplier and per hospital (accepted lines by acceptance date),
//! streamed as JSON or CSV (UTF-8 with BOM, or GBK) in pages of deliveries, so a statement
//! of any length is written in constant memory; a supplier's confirmation; disputes.

use actix_web::web::Bytes;
use chrono::{Datelike, Months, NaiveDate};
use diesel::{
    prelude::*,
    sql_types::{Array, BigInt, Date, Nullable, Numeric, Text, Uuid as SqlUuid},
};
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use futures_util::Stream;
use rust_decimal::Decimal;
use serde_json::json;
use uuid::Uuid;

use super::batches::province_lock;
use super::dto::{ConfirmationDto, DisputeDto, DisputeRequest, ResolveRequest, SettlementLineDto};
use crate::orders::service::Scope;
use crate::platform::{
    audit,
    auth::{AuthUser, OrgKind},
    db::{
        Pool,
        schema::{line_disputes, organisations, statement_confirmations},
    },
    error::ApiError,
    input,
    settings::Settings,
};

/// Deliveries per page of a streamed statement (each has at most 100 lines).
const PAGE: i64 = 200;

/// Whose statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Supplier(Uuid),
    Hospital(Uuid),
}

/// A statement: a party's accepted lines of a month, limited to a province for an insurer.
#[derive(Debug, Clone)]
pub struct Statement {
    pub party: Party,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub province: Option<String>,
    /// The provinces the statement's deliveries lie in (its province, a hospital's own,
    /// or those a supplier delivered to that month): the partitions its pages read.
    pub provinces: Vec<String>,
}

#[derive(QueryableByName)]
struct ProvinceOf {
    #[diesel(sql_type = Text)]
    province: String,
}

/// A month from the path: `YYYY-MM`, 2000 to 2099.
pub fn month(text: &str) -> Result<NaiveDate, ApiError> {
    let bad = || {
        ApiError::invalid(
            "month",
            "must be a month as YYYY-MM, from 2000-01 to 2099-12",
        )
    };
    if text.len() != 7 {
        return Err(bad());
    }
    let first = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").map_err(|_| bad())?;
    if !(2000..2100).contains(&first.year()) {
        return Err(bad());
    }
    Ok(first)
}

/// The statement of `party` for `month` the caller may read: the party itself, an insurer
/// of the party's province (its province's lines), auditors and admins.
pub async fn statement(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    party: Party,
    month: NaiveDate,
) -> Result<Statement, ApiError> {
    let (id, kind) = match party {
        Party::Supplier(id) => (id, OrgKind::Supplier),
        Party::Hospital(id) => (id, OrgKind::Hospital),
    };
    let org: Option<Option<String>> = organisations::table
        .find(id)
        .filter(organisations::kind.eq(kind))
        .select(organisations::province)
        .first(conn)
        .await
        .optional()?;
    let not_found = || ApiError::not_found(format!("statement of {id}"));
    let Some(org_province) = org else {
        return Err(not_found());
    };
    let province = match scope {
        Scope::All => None,
        Scope::Supplier(s) | Scope::Hospital(s) if *s == id => None,
        // an insurer reads a hospital of its province, or a supplier's lines in it
        Scope::Province(p) => match party {
            Party::Hospital(_) if org_province.as_deref() == Some(p.as_str()) => None,
            Party::Supplier(_) => Some(p.clone()),
            Party::Hospital(_) => return Err(not_found()),
        },
        _ => return Err(not_found()),
    };
    let to = month
        .checked_add_months(Months::new(1))
        .ok_or_else(not_found)?;
    let provinces = match (&province, party) {
        (Some(p), _) => vec![p.clone()],
        (None, Party::Hospital(_)) => org_province.into_iter().collect(),
        (None, Party::Supplier(supplier)) => diesel::sql_query(
            "SELECT DISTINCT province::text AS province FROM deliveries
              WHERE supplier_org_id = $1 AND status = 'accepted' AND accepted_on >= $2 AND accepted_on < $3
              ORDER BY 1",
        )
        .bind::<SqlUuid, _>(supplier)
        .bind::<Date, _>(month)
        .bind::<Date, _>(to)
        .load::<ProvinceOf>(conn)
        .await?
        .into_iter()
        .map(|p| p.province)
        .collect(),
    };
    Ok(Statement {
        party,
        from: month,
        to,
        province,
        provinces,
    })
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = Date)]
    accepted_on: NaiveDate,
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    province: String,
}

/// Where a page ended: the last delivery's (acceptance date, id).
type After = (NaiveDate, Uuid);
/// A page's lines and where it ended (none: the statement is over).
type PageOf = (Vec<SettlementLineDto>, Option<After>);

/// The statement's line query over the deliveries `$1`.
pub(crate) const LINES_SQL: &str = "
SELECT dl.id AS delivery_line_id, d.id AS delivery_id, d.order_id, d.province::text AS province,
       d.hospital_org_id, h.name AS hospital_name, d.supplier_org_id, s.name AS supplier_name,
       ol.product_code, d.invoice_no, d.accepted_on, d.due_date, dl.accepted AS quantity,
       dl.unit_price, round(dl.accepted * dl.unit_price, 2) AS amount,
       CASE WHEN po.paid_at IS NOT NULL THEN 'paid'
            WHEN x.id IS NOT NULL THEN 'disputed'
            WHEN sl.delivery_line_id IS NOT NULL THEN 'batched'
            ELSE 'unsettled' END AS state,
       (ov.delivery_line_id IS NOT NULL AND po.paid_at IS NULL) AS overdue,
       sl.batch_id, po.id AS payment_order_id, p.bank_reference
FROM deliveries d
JOIN delivery_lines dl ON dl.delivery_id = d.id AND dl.province = d.province
JOIN order_lines ol ON ol.id = dl.order_line_id AND ol.province = d.province
JOIN organisations h ON h.id = d.hospital_org_id
JOIN organisations s ON s.id = d.supplier_org_id
LEFT JOIN settlement_lines sl ON sl.delivery_line_id = dl.id AND sl.province = d.province
LEFT JOIN payment_orders po ON po.batch_id = sl.batch_id AND po.province = d.province
                           AND po.supplier_org_id = sl.supplier_org_id
LEFT JOIN payments p ON p.payment_order_id = po.id AND p.province = d.province
LEFT JOIN line_disputes x ON x.delivery_line_id = dl.id AND x.province = d.province AND x.resolved_at IS NULL
LEFT JOIN overdue_lines ov ON ov.delivery_line_id = dl.id AND ov.province = d.province";

/// One page: the lines of the next `PAGE` deliveries after `after`, and the last key.
async fn page(
    conn: &mut AsyncPgConnection,
    st: &Statement,
    after: Option<After>,
) -> Result<PageOf, ApiError> {
    let (column, party) = match st.party {
        Party::Supplier(id) => ("supplier_org_id", id),
        Party::Hospital(id) => ("hospital_org_id", id),
    };
    // the first page starts after (the day before the month, the nil id): one keyset
    // condition for every page, a range of the party's index
    let (after_date, after_id) =
        after.unwrap_or((st.from.pred_opt().unwrap_or(st.from), Uuid::nil()));
    // the statement's provinces as a constant list of the column's type: PostgreSQL
    // plans only their partitions (all 33 cost 20 ms of planning a page), and walks the
    // party's index in each (diesel binds text: compared as text, the column's statistics
    // were lost and a page took 120 to 340 ms before the cast)
    let province = "AND d.province = ANY($6::bpchar[])";
    let keys: Vec<Key> = diesel::sql_query(format!(
        "SELECT d.accepted_on, d.id, d.province::text AS province FROM deliveries d
         WHERE d.status = 'accepted' AND d.{column} = $1 AND d.accepted_on >= $2 AND d.accepted_on < $3
           AND (d.accepted_on, d.id) > ($4, $5) {province}
         ORDER BY d.accepted_on, d.id LIMIT {PAGE}"
    ))
    .bind::<SqlUuid, _>(party)
    .bind::<Date, _>(st.from)
    .bind::<Date, _>(st.to)
    .bind::<Date, _>(after_date)
    .bind::<SqlUuid, _>(after_id)
    .bind::<Array<Text>, _>(&st.provinces)
    .load(conn)
    .await?;
    let Some(last) = keys.last().map(|k| (k.accepted_on, k.id)) else {
        return Ok((Vec::new(), None));
    };
    // the page's lines, one query per province (one, unless a supplier's statement spans
    // several): with the province a constant, PostgreSQL reads that province's partition
    // of every table the lines join (deliveries, their lines, settlement lines), where a
    // list of provinces would leave it planning and probing them all
    let mut by_province: Vec<(&str, Vec<Uuid>)> = Vec::new();
    for k in &keys {
        match by_province.iter_mut().find(|(p, _)| *p == k.province) {
            Some((_, ids)) => ids.push(k.id),
            None => by_province.push((&k.province, vec![k.id])),
        }
    }
    let several = by_province.len() > 1;
    let mut lines: Vec<SettlementLineDto> = Vec::new();
    for (province, ids) in by_province {
        let mut part: Vec<SettlementLineDto> = diesel::sql_query(format!(
            "{LINES_SQL} WHERE d.id = ANY($1) AND d.province = $2::bpchar AND dl.accepted > 0
             ORDER BY d.accepted_on, d.id, dl.id"
        ))
        .bind::<Array<SqlUuid>, _>(ids)
        .bind::<Text, _>(province)
        .load(conn)
        .await?;
        lines.append(&mut part);
    }
    if several {
        lines.sort_by_key(|l| (l.accepted_on, l.delivery_id, l.delivery_line_id));
    }
    Ok((lines, Some(last)))
}

/// The whole statement in memory (for confirmations and tests of small ones).
pub async fn lines(
    conn: &mut AsyncPgConnection,
    st: &Statement,
) -> Result<Vec<SettlementLineDto>, ApiError> {
    let mut all = Vec::new();
    let mut after = None;
    loop {
        let (mut lines, last) = page(conn, st, after).await?;
        all.append(&mut lines);
        match last {
            Some(k) => after = Some(k),
            None => return Ok(all),
        }
    }
}

/// How a statement is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Csv { gbk: bool },
}

const CSV_HEADER: [&str; 18] = [
    "delivery_line_id",
    "delivery_id",
    "order_id",
    "province",
    "hospital",
    "supplier",
    "product_code",
    "invoice_no",
    "accepted_on",
    "due_date",
    "quantity",
    "unit_price",
    "amount",
    "state",
    "overdue",
    "batch_id",
    "payment_order_id",
    "bank_reference",
];

fn csv_bytes(rows: &[SettlementLineDto], header: bool, gbk: bool) -> Result<Bytes, ApiError> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(Vec::new());
    if header {
        w.write_record(CSV_HEADER).map_err(ApiError::internal)?;
    }
    let opt = |v: Option<Uuid>| v.map(|u| u.to_string()).unwrap_or_default();
    for l in rows {
        w.write_record([
            l.delivery_line_id.to_string(),
            l.delivery_id.to_string(),
            l.order_id.to_string(),
            l.province.clone(),
            l.hospital_name.clone(),
            l.supplier_name.clone(),
            l.product_code.clone(),
            l.invoice_no.clone(),
            l.accepted_on.to_string(),
            l.due_date.to_string(),
            l.quantity.to_string(),
            l.unit_price.to_string(),
            l.amount.to_string(),
            l.state.clone(),
            l.overdue.to_string(),
            opt(l.batch_id),
            opt(l.payment_order_id),
            l.bank_reference.clone().unwrap_or_default(),
        ])
        .map_err(ApiError::internal)?;
    }
    let text = w
        .into_inner()
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(if gbk {
        let text = String::from_utf8(text).map_err(ApiError::internal)?;
        Bytes::from(encoding_rs::GBK.encode(&text).0.into_owned())
    } else if header {
        let mut out = "\u{feff}".as_bytes().to_vec();
        out.extend_from_slice(&text);
        Bytes::from(out)
    } else {
        Bytes::from(text)
    })
}

struct StreamState {
    pool: Pool,
    /// The first page, read before the response starts (so its errors are problems).
    first: Option<PageOf>,
    st: Statement,
    format: Format,
    after: Option<After>,
    started: bool,
    done: bool,
    count: i64,
    total: Decimal,
}

/// The statement as a stream of bytes, one page of deliveries at a time, each page read
/// with a connection taken from the pool for that page only. The first page is read
/// here, so a failure before any byte is sent is an error response, not a cut body.
pub async fn stream(
    pool: Pool,
    st: Statement,
    format: Format,
) -> Result<impl Stream<Item = Result<Bytes, ApiError>>, ApiError> {
    let first = {
        let mut conn = pool.get().await?;
        page(&mut conn, &st, None).await?
    };
    let state = StreamState {
        pool,
        first: Some(first),
        st,
        format,
        after: None,
        started: false,
        done: false,
        count: 0,
        total: Decimal::ZERO,
    };
    Ok(futures_util::stream::try_unfold(
        state,
        |mut s| async move {
            if s.done {
                return Ok(None);
            }
            let (lines, last) = match s.first.take() {
                Some(first) => first,
                None => {
                    let mut conn = s.pool.get().await?;
                    page(&mut conn, &s.st, s.after).await?
                }
            };
            let first = !s.started;
            s.started = true;
            s.after = last;
            s.count += i64::try_from(lines.len()).unwrap_or(i64::MAX);
            for l in &lines {
                s.total += l.amount;
            }
            let end = last.is_none();
            let bytes = match s.format {
                Format::Csv { gbk } => csv_bytes(&lines, first, gbk)?,
                Format::Json => {
                    let mut out = Vec::new();
                    if first {
                        let (kind, id) = match s.st.party {
                            Party::Supplier(id) => ("supplier", id),
                            Party::Hospital(id) => ("hospital", id),
                        };
                        out.extend_from_slice(
                            format!(
                                "{{\"party\":{},\"month\":\"{}\",\"province\":{},\"lines\":[",
                                json!({ "kind": kind, "org_id": id }),
                                s.st.from.format("%Y-%m"),
                                json!(s.st.province)
                            )
                            .as_bytes(),
                        );
                    }
                    let before = s.count - i64::try_from(lines.len()).unwrap_or(0);
                    for (i, l) in lines.iter().enumerate() {
                        if before > 0 || i > 0 {
                            out.push(b',');
                        }
                        serde_json::to_writer(&mut out, l).map_err(ApiError::internal)?;
                    }
                    if end {
                        out.extend_from_slice(
                            format!(
                                "],\"line_count\":{},\"total\":\"{:.2}\"}}",
                                s.count, s.total
                            )
                            .as_bytes(),
                        );
                    }
                    Bytes::from(out)
                }
            };
            s.done = end;
            Ok(Some((bytes, s)))
        },
    ))
}

/// A supplier confirms its statement of a month (all provinces): what it confirmed is
/// recorded; once per month; refused while a line of it is disputed.
pub async fn confirm(
    conn: &mut AsyncPgConnection,
    user: &AuthUser,
    supplier: Uuid,
    month: NaiveDate,
) -> Result<ConfirmationDto, ApiError> {
    if supplier != user.org_id {
        return Err(ApiError::not_found(format!("statement of {supplier}")));
    }
    let st = statement(
        conn,
        &Scope::Supplier(user.org_id),
        Party::Supplier(supplier),
        month,
    )
    .await?;
    // a dispute of one of its lines and this confirmation come one after the other
    lock_statement(conn, supplier, month).await?;
    let lines = lines(conn, &st).await?;
    if lines.is_empty() {
        return Err(ApiError::rule(
            "statement_empty",
            "no accepted line in this month: nothing to confirm",
        ));
    }
    if lines.iter().any(|l| l.state == "disputed") {
        return Err(ApiError::conflict(
            "statement_disputed",
            "a line of this statement is disputed: confirm it once the insurer has resolved the dispute",
        ));
    }
    let total: Decimal = lines.iter().map(|l| l.amount).sum();
    let count = i64::try_from(lines.len()).unwrap_or(i64::MAX);
    let inserted = diesel::insert_into(statement_confirmations::table)
        .values((
            statement_confirmations::supplier_org_id.eq(supplier),
            statement_confirmations::month.eq(month),
            statement_confirmations::total.eq(total),
            statement_confirmations::line_count.eq(count),
            statement_confirmations::confirmed_by.eq(user.user_id),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .await?;
    if inserted == 0 {
        return Err(ApiError::conflict(
            "statement_confirmed",
            "this statement is confirmed already",
        ));
    }
    audit::record(
        conn,
        &user.actor(),
        "settlement.statement_confirm",
        "organisation",
        &supplier.to_string(),
        json!({ "month": month, "total": total, "line_count": count }),
    )
    .await?;
    let (confirmed_by, confirmed_at) = statement_confirmations::table
        .find((supplier, month))
        .select((
            statement_confirmations::confirmed_by,
            statement_confirmations::confirmed_at,
        ))
        .first(conn)
        .await?;
    Ok(ConfirmationDto {
        supplier_org_id: supplier,
        month,
        total,
        line_count: count,
        confirmed_by,
        confirmed_at,
    })
}

#[derive(QueryableByName)]
struct DisputedLine {
    #[diesel(sql_type = Text)]
    province: String,
    #[diesel(sql_type = Date)]
    accepted_on: NaiveDate,
    #[diesel(sql_type = Numeric)]
    amount: Decimal,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    batch_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<diesel::sql_types::Timestamptz>)]
    paid_at: Option<chrono::DateTime<chrono::Utc>>,
}

/// The first day of `day`'s month.
fn month_of(day: NaiveDate) -> NaiveDate {
    day.with_day(1).unwrap_or(day)
}

/// Serialises a supplier's confirmation of a month with disputes of its lines.
async fn lock_statement(
    conn: &mut AsyncPgConnection,
    supplier: Uuid,
    month: NaiveDate,
) -> QueryResult<()> {
    diesel::sql_query(
        "SELECT pg_advisory_xact_lock(hashtextextended($1::text || ':' || $2::text, 7))",
    )
    .bind::<SqlUuid, _>(supplier)
    .bind::<Date, _>(month)
    .execute(conn)
    .await
    .map(drop)
}

/// A supplier's accepted line, with its batch and payment, if any.
async fn disputed_line(
    conn: &mut AsyncPgConnection,
    line: Uuid,
    supplier: Uuid,
) -> QueryResult<DisputedLine> {
    diesel::sql_query(
        "SELECT d.province::text AS province, d.accepted_on, round(dl.accepted * dl.unit_price, 2) AS amount,
                sl.batch_id, po.paid_at
         FROM delivery_lines dl JOIN deliveries d ON d.id = dl.delivery_id AND d.province = dl.province
         LEFT JOIN settlement_lines sl ON sl.delivery_line_id = dl.id AND sl.province = d.province
         LEFT JOIN payment_orders po ON po.batch_id = sl.batch_id AND po.province = d.province
                                    AND po.supplier_org_id = sl.supplier_org_id
         WHERE dl.id = $1 AND d.supplier_org_id = $2 AND d.status = 'accepted' AND dl.accepted > 0",
    )
    .bind::<SqlUuid, _>(line)
    .bind::<SqlUuid, _>(supplier)
    .get_result(conn)
    .await
}

const DISPUTE_SELECT: &str =
    "SELECT id, delivery_line_id, supplier_org_id, province::text AS province, reason,
       raised_by, raised_at, resolution, resolved_by, resolved_at FROM line_disputes";

/// A supplier disputes one of its accepted lines: the line is held out of payment (taken
/// out of its batch when its payment order is unpaid) until the insurer resolves it.
pub async fn dispute(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    body: &DisputeRequest,
) -> Result<DisputeDto, ApiError> {
    input::bounded("reason", &body.reason, 2000)?;
    if body.reason.trim().is_empty() {
        return Err(ApiError::invalid("reason", "must not be empty"));
    }
    let line = disputed_line(conn, body.delivery_line_id, user.org_id)
        .await
        .optional()?
        .ok_or_else(|| ApiError::not_found(format!("accepted line {}", body.delivery_line_id)))?;
    // no batch may be taking lines of the province while the line leaves or stays out
    // (the province's settlement lock, which batches take too)
    diesel::sql_query("SELECT pg_advisory_xact_lock($1)")
        .bind::<BigInt, _>(province_lock(&line.province))
        .execute(conn)
        .await?;
    // a confirmation of the line's month and this dispute come one after the other
    lock_statement(conn, user.org_id, month_of(line.accepted_on)).await?;
    let line = disputed_line(conn, body.delivery_line_id, user.org_id).await?;
    let confirmed: i64 = statement_confirmations::table
        .find((user.org_id, month_of(line.accepted_on)))
        .count()
        .get_result(conn)
        .await?;
    if confirmed > 0 {
        return Err(ApiError::conflict(
            "statement_confirmed",
            "this line's monthly statement is confirmed: it cannot be disputed",
        ));
    }
    let open: i64 = line_disputes::table
        .filter(line_disputes::delivery_line_id.eq(body.delivery_line_id))
        .filter(line_disputes::resolved_at.is_null())
        .count()
        .get_result(conn)
        .await?;
    if open > 0 {
        return Err(ApiError::conflict(
            "dispute_open",
            "this line is disputed already",
        ));
    }
    if let Some(batch) = line.batch_id {
        // lock the payment order (a payment in progress finishes first), then read the
        // line again: paid meanwhile, it is refused below
        diesel::sql_query(
            "SELECT id FROM payment_orders WHERE batch_id = $1 AND supplier_org_id = $2 FOR UPDATE",
        )
        .bind::<SqlUuid, _>(batch)
        .bind::<SqlUuid, _>(user.org_id)
        .execute(conn)
        .await?;
    }
    let line = disputed_line(conn, body.delivery_line_id, user.org_id).await?;
    if line.paid_at.is_some() {
        return Err(ApiError::conflict(
            "line_paid",
            "this line is paid: a paid line cannot be disputed",
        ));
    }
    if let Some(batch) = line.batch_id {
        diesel::sql_query(
            "WITH gone AS (DELETE FROM settlement_lines WHERE delivery_line_id = $1 AND province = $2::bpchar RETURNING batch_id, supplier_org_id, amount),
                  po AS (UPDATE payment_orders p SET total = p.total - gone.amount, line_count = p.line_count - 1
                         FROM gone WHERE p.batch_id = gone.batch_id AND p.supplier_org_id = gone.supplier_org_id)
             UPDATE settlement_batches b SET total = b.total - gone.amount, line_count = b.line_count - 1
             FROM gone WHERE b.id = gone.batch_id",
        )
        .bind::<SqlUuid, _>(body.delivery_line_id)
        .bind::<Text, _>(&line.province)
        .execute(conn)
        .await?;
        // an order left without lines goes; one left with lines of 0.00 only has nothing
        // to transfer: paid as it stands
        diesel::sql_query("DELETE FROM payment_orders WHERE batch_id = $1 AND supplier_org_id = $2 AND line_count = 0 AND paid_at IS NULL")
            .bind::<SqlUuid, _>(batch)
            .bind::<SqlUuid, _>(user.org_id)
            .execute(conn)
            .await?;
        diesel::sql_query("UPDATE payment_orders SET paid_at = now() WHERE batch_id = $1 AND supplier_org_id = $2 AND total = 0 AND paid_at IS NULL")
            .bind::<SqlUuid, _>(batch)
            .bind::<SqlUuid, _>(user.org_id)
            .execute(conn)
            .await?;
    }
    let id = Uuid::now_v7();
    let dispute: DisputeDto = diesel::sql_query(
        "INSERT INTO line_disputes (id, delivery_line_id, supplier_org_id, province, reason, raised_by)
         VALUES ($1, $2, $3, $4, $5, $6)
         RETURNING id, delivery_line_id, supplier_org_id, province::text AS province, reason, raised_by,
                   raised_at, resolution, resolved_by, resolved_at",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<SqlUuid, _>(body.delivery_line_id)
    .bind::<SqlUuid, _>(user.org_id)
    .bind::<Text, _>(&line.province)
    .bind::<Text, _>(&body.reason)
    .bind::<SqlUuid, _>(user.user_id)
    .get_result(conn)
    .await?;
    audit::record(
        conn,
        &user.actor(),
        "settlement.dispute",
        "delivery_line",
        &body.delivery_line_id.to_string(),
        json!({ "dispute_id": id, "reason": body.reason, "amount": line.amount, "removed_from_batch": line.batch_id }),
    )
    .await?;
    super::tell(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        &line.province,
        &[],
        &format!("dispute:{id}"),
        json!({ "headline_zh": "供货企业对结算明细提出异议", "headline_en": "A supplier disputes an accepted line",
                "province": line.province, "lines": 1, "amount": line.amount.to_string(), "reference": "",
                "reason": body.reason, "detail": format!("line {}", body.delivery_line_id) }),
    )
    .await?;
    Ok(dispute)
}

/// The insurer of the line's province resolves a dispute: the line is payable again.
pub async fn resolve(
    conn: &mut AsyncPgConnection,
    settings: &Settings,
    user: &AuthUser,
    province: &str,
    id: Uuid,
    body: &ResolveRequest,
) -> Result<DisputeDto, ApiError> {
    input::bounded("resolution", &body.resolution, 2000)?;
    if body.resolution.trim().is_empty() {
        return Err(ApiError::invalid("resolution", "must not be empty"));
    }
    let found: Option<DisputeDto> = diesel::sql_query(format!(
        "{DISPUTE_SELECT} WHERE id = $1 AND province = $2::bpchar FOR UPDATE"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(province)
    .get_result(conn)
    .await
    .optional()?;
    let Some(found) = found else {
        return Err(ApiError::not_found(format!("dispute {id}")));
    };
    if found.resolved_at.is_some() {
        return Err(ApiError::conflict(
            "dispute_resolved",
            "this dispute is resolved already",
        ));
    }
    let done: DisputeDto = diesel::sql_query(
        "UPDATE line_disputes SET resolution = $2, resolved_by = $3, resolved_at = now() WHERE id = $1
         RETURNING id, delivery_line_id, supplier_org_id, province::text AS province, reason, raised_by,
                   raised_at, resolution, resolved_by, resolved_at",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(&body.resolution)
    .bind::<SqlUuid, _>(user.user_id)
    .get_result(conn)
    .await?;
    audit::record(
        conn,
        &user.actor(),
        "settlement.dispute_resolve",
        "delivery_line",
        &found.delivery_line_id.to_string(),
        json!({ "dispute_id": id, "resolution": body.resolution }),
    )
    .await?;
    super::tell(
        conn,
        &settings.jobs,
        &settings.mail.public_url,
        province,
        &[found.supplier_org_id],
        &format!("dispute_resolved:{id}"),
        json!({ "headline_zh": "结算异议已处理", "headline_en": "A dispute was resolved", "province": province,
                "lines": 1, "amount": "-", "reference": "", "reason": body.resolution,
                "detail": format!("line {}", found.delivery_line_id) }),
    )
    .await?;
    Ok(done)
}

/// Disputes the caller may see (a supplier its own, an insurer its province's), newest
/// first; only open ones with `open`.
pub async fn disputes(
    conn: &mut AsyncPgConnection,
    scope: &Scope,
    open: Option<bool>,
) -> Result<Vec<DisputeDto>, ApiError> {
    let (province, supplier) = match scope {
        Scope::All => (None, None),
        Scope::Province(p) => (Some(p.clone()), None),
        Scope::Supplier(s) | Scope::Hospital(s) | Scope::Distributor(s) => (None, Some(*s)),
    };
    Ok(diesel::sql_query(format!(
        "{DISPUTE_SELECT} WHERE ($1::text IS NULL OR province = $1::bpchar) AND ($2::uuid IS NULL OR supplier_org_id = $2)
           AND ($3::bool IS NULL OR (resolved_at IS NULL) = $3)
         ORDER BY raised_at DESC, id LIMIT 10000"
    ))
    .bind::<Nullable<Text>, _>(province)
    .bind::<Nullable<SqlUuid>, _>(supplier)
    .bind::<Nullable<diesel::sql_types::Bool>, _>(open)
    .load(conn)
    .await?)
}
