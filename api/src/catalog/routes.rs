//! The national catalog: everyone signed in searches and reads it; procurement officers
//! and admins import it from CSV; anyone may export it as CSV.

use std::{cell::Cell, io};

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::header::{self, ContentDisposition, DispositionParam, DispositionType},
    post,
    web::{self, Bytes},
};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::platform::{
    db::read::{MinLsn, ReadDb},
    page::{Page, Pagination},
};
use crate::{
    catalog::{
        self, ImportError, ImportReport, export,
        import::ChannelReader,
        queries::{CatalogItem, Ceiling, ItemFilter},
    },
    platform::{
        AppState,
        auth::{AuthUser, Role},
        error::{ApiError, Problem},
    },
};

/// Largest CSV body `POST /catalog/imports` accepts.
pub const IMPORT_LIMIT: usize = 64 << 20;

const IMPORTERS: &[Role] = &[Role::ProcurementOfficer, Role::Admin];

/// Drug or medical consumable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ItemKind {
    Drug,
    Consumable,
}

impl ItemKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Drug => "drug",
            Self::Consumable => "consumable",
        }
    }
}

/// Consistency-evaluation status of a generic drug.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ConsistencyStatus {
    Originator,
    Reference,
    Passed,
    NotPassed,
}

impl ConsistencyStatus {
    fn as_str(self) -> &'static str {
        match self {
            Self::Originator => "originator",
            Self::Reference => "reference",
            Self::Passed => "passed",
            Self::NotPassed => "not_passed",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Originator,
            Self::Reference,
            Self::Passed,
            Self::NotPassed,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A ceiling price: per minimum unit, valid from `valid_from` (inclusive) until
/// `valid_to` (exclusive; absent = until further notice).
#[derive(Debug, Serialize, ToSchema)]
pub struct CeilingDto {
    #[schema(value_type = String, example = "0.8500")]
    pub price: Decimal,
    pub valid_from: NaiveDate,
    pub valid_to: Option<NaiveDate>,
    /// When the ceiling was recorded.
    pub recorded_at: DateTime<Utc>,
}

impl From<Ceiling> for CeilingDto {
    fn from(c: Ceiling) -> Self {
        Self {
            price: c.price,
            valid_from: c.valid_from,
            valid_to: c.valid_to,
            recorded_at: c.created_at,
        }
    }
}

/// A catalog item (one specification of one manufacturer).
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDto {
    /// NHSA drug (23) or consumables (27) code.
    #[schema(example = "XA01ABD075A002010100483")]
    pub code: String,
    pub kind: ItemKind,
    #[schema(example = "阿托伐他汀钙片")]
    pub generic_name: String,
    /// Drugs only: `tablet`, `capsule`, `injection`... (docs/api.md, "Catalog CSV").
    pub dosage_form: Option<String>,
    /// Content per minimum unit, an exact decimal (`"20"`).
    #[schema(value_type = Option<String>, example = "20")]
    pub strength: Option<Decimal>,
    pub strength_unit: Option<String>,
    #[schema(value_type = Option<String>, example = "2")]
    pub fill_volume: Option<Decimal>,
    pub fill_volume_unit: Option<String>,
    /// Minimum units per pack.
    pub pack_count: i32,
    /// What one minimum unit is: `tablet`, `vial`, `piece`...
    pub min_unit: String,
    pub consistency: Option<ConsistencyStatus>,
    pub manufacturer: String,
    /// The supplier organisation of that name, when registered.
    pub manufacturer_org_id: Option<Uuid>,
    /// Consumables: class levels 1-3 of the code (`15.01.11`).
    pub consumable_class: Option<String>,
    /// Consumables: the product system a round groups them by.
    pub product_system: Option<String>,
    /// The ceiling valid today (China Standard Time), if any.
    pub ceiling: Option<CeilingDto>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl ItemDto {
    fn new(i: CatalogItem, ceiling: Option<Ceiling>) -> Result<Self, ApiError> {
        Ok(Self {
            kind: match i.kind.as_str() {
                "drug" => ItemKind::Drug,
                "consumable" => ItemKind::Consumable,
                other => {
                    return Err(ApiError::internal(format!("catalog kind {other:?}")));
                }
            },
            consistency: match i.consistency.as_deref() {
                None => None,
                Some(s) => Some(
                    ConsistencyStatus::parse(s)
                        .ok_or_else(|| ApiError::internal(format!("consistency {s:?}")))?,
                ),
            },
            code: i.code,
            generic_name: i.generic_name,
            dosage_form: i.dosage_form,
            strength: i.strength.map(|d| d.normalize()),
            strength_unit: i.strength_unit,
            fill_volume: i.fill_volume.map(|d| d.normalize()),
            fill_volume_unit: i.fill_volume_unit,
            pack_count: i.pack_count,
            min_unit: i.min_unit,
            manufacturer: i.manufacturer,
            manufacturer_org_id: i.manufacturer_org_id,
            consumable_class: i.consumable_class,
            product_system: i.product_system,
            ceiling: ceiling.map(CeilingDto::from),
            created_at: i.created_at,
            updated_at: i.updated_at,
        })
    }
}

/// An item with every ceiling ever recorded for it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ItemDetailDto {
    #[serde(flatten)]
    pub item: ItemDto,
    /// Ceiling history, oldest first; where periods overlap the later-recorded wins.
    pub ceiling_history: Vec<CeilingDto>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// Part of the generic name, anywhere in it (`他汀`, `阿托伐`); case-insensitive.
    pub q: Option<String>,
    /// Items whose code starts with this (`XC10AA`).
    pub code: Option<String>,
    /// The exact generic name.
    pub generic_name: Option<String>,
    /// Part of the manufacturer's name.
    pub manufacturer: Option<String>,
    pub kind: Option<ItemKind>,
    pub consistency: Option<ConsistencyStatus>,
}

/// Today in China Standard Time, the calendar ceilings are published in.
pub fn today_cst() -> NaiveDate {
    crate::platform::db::china_date(Utc::now())
}

fn text_param(name: &str, value: Option<String>, max: usize) -> Result<Option<String>, ApiError> {
    let Some(v) = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    if v.chars().count() > max {
        return Err(ApiError::invalid(
            name,
            format!("must be at most {max} characters"),
        ));
    }
    Ok(Some(v))
}

/// Search the catalog.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(Pagination, ItemQuery, MinLsn),
    responses(
        (status = 200, description = "A page of items, by code, each with the ceiling valid today", body = Page<ItemDto>),
        (status = 400, description = "Malformed query", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "Bad paging or search terms", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/catalog/items")]
pub async fn search(
    _user: AuthUser,
    db: ReadDb,
    paging: web::Query<Pagination>,
    query: web::Query<ItemQuery>,
) -> Result<web::Json<Page<ItemDto>>, ApiError> {
    let (page, per_page, limit, offset) = paging.into_inner().resolve()?;
    let q = query.into_inner();
    let code_prefix = text_param("code", q.code, 27)?.map(|c| c.to_ascii_uppercase());
    if let Some(c) = &code_prefix
        && !c.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(ApiError::invalid("code", "holds only letters and digits"));
    }
    let filter = ItemFilter {
        q: text_param("q", q.q, 100)?,
        generic_name: text_param("generic_name", q.generic_name, 200)?,
        code_prefix,
        manufacturer: text_param("manufacturer", q.manufacturer, 200)?,
        kind: q.kind.map(|k| k.as_str().to_owned()),
        consistency: q.consistency.map(|c| c.as_str().to_owned()),
    };
    let mut conn = db.conn;
    let (rows, total) = CatalogItem::search(&mut conn, &filter, limit, offset).await?;
    let codes: Vec<String> = rows.iter().map(|r| r.code.clone()).collect();
    let mut ceilings: std::collections::HashMap<String, Ceiling> =
        Ceiling::valid_at(&mut conn, &codes, today_cst())
            .await?
            .into_iter()
            .map(|c| (c.item_code.clone(), c))
            .collect();
    let items = rows
        .into_iter()
        .map(|r| {
            let c = ceilings.remove(&r.code);
            ItemDto::new(r, c)
        })
        .collect::<Result<_, _>>()?;
    Ok(web::Json(Page::new(items, page, per_page, total)))
}

/// One item by its NHSA code, with its ceiling history.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(("code" = String, Path, description = "NHSA code", example = "XA01ABD075A002010100483"), MinLsn),
    responses(
        (status = 200, description = "The item", body = ItemDetailDto),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No item with that code", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/catalog/items/{code}")]
pub async fn get(
    _user: AuthUser,
    db: ReadDb,
    code: web::Path<String>,
) -> Result<web::Json<ItemDetailDto>, ApiError> {
    let code = bidding_core::catalog::normalize_code(&code);
    crate::platform::input::bounded("code", &code, crate::platform::input::MAX_CODE)?;
    let mut conn = db.conn;
    let item = CatalogItem::find(&mut conn, &code)
        .await
        .map_err(|e| match e {
            diesel::result::Error::NotFound => {
                ApiError::not_found(format!("no catalog item has the code {code:?}"))
            }
            other => other.into(),
        })?;
    let now = Ceiling::valid_at(&mut conn, std::slice::from_ref(&code), today_cst())
        .await?
        .pop();
    let history = Ceiling::history(&mut conn, &code).await?;
    Ok(web::Json(ItemDetailDto {
        item: ItemDto::new(item, now)?,
        ceiling_history: history.into_iter().map(CeilingDto::from).collect(),
    }))
}

fn import_error(e: ImportError, too_large: bool) -> ApiError {
    match e {
        _ if too_large => ApiError::PayloadTooLarge(format!(
            "the CSV body is larger than {} MiB; import it with `vbp import-catalog FILE.csv`",
            IMPORT_LIMIT >> 20
        )),
        ImportError::Invalid { .. } => {
            let detail = e.to_string();
            match e {
                ImportError::Invalid { errors, .. } => ApiError::InvalidFile { detail, errors },
                _ => ApiError::internal(detail),
            }
        }
        ImportError::Source(e) => ApiError::BadRequest(format!("cannot read the body: {e}")),
        ImportError::Db(e) => e.into(),
        ImportError::Internal(e) => ApiError::internal(e),
    }
}

/// Import catalog items from CSV (all or nothing).
///
/// Rows are upserted by code; a ceiling is appended to the item's history when its
/// price or validity differ from the latest recorded. The body is streamed (up to
/// 64 MiB); UTF-8, UTF-8 with BOM and GBK are accepted. Any error rejects the whole
/// file with 422, listing the first 100 errors by `line` and `field` (the column).
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = ["procurement_officer", "admin"])),
    extensions(("x-scope" = json!("all"))),
    request_body(content = String, content_type = "text/csv", description = "Catalog CSV (docs/api.md, \"Catalog CSV\")"),
    responses(
        (status = 200, description = "Imported: counts of created, updated and unchanged rows", body = ImportReport),
        (status = 400, description = "The body could not be read", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "Only procurement officers and admins", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body over 64 MiB", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "The body is not text/csv", body = Problem, content_type = "application/problem+json"),
        (status = 422, description = "The file has errors; nothing was imported", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is busy", body = Problem, content_type = "application/problem+json"),
    )
)]
#[post("/catalog/imports")]
pub async fn import(
    user: AuthUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    mut payload: web::Payload,
) -> Result<web::Json<ImportReport>, ApiError> {
    user.require(IMPORTERS)?;
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mime = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if !matches!(mime.as_str(), "text/csv" | "application/csv") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "the body must be CSV, sent with Content-Type: text/csv (got {content_type:?})"
        )));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > IMPORT_LIMIT) {
        return Err(import_error(ImportError::Internal(String::new()), true));
    }
    let mut conn = state.pool.get().await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<io::Result<Bytes>>(8);
    let too_large = Cell::new(false);
    let pump = async {
        let mut total = 0usize;
        while let Some(chunk) = payload.next().await {
            let item = match chunk {
                Ok(bytes) => {
                    total += bytes.len();
                    if total > IMPORT_LIMIT {
                        too_large.set(true);
                        Err(io::Error::other("the body is too large"))
                    } else {
                        Ok(bytes)
                    }
                }
                Err(e) => Err(io::Error::other(e.to_string())),
            };
            let stop = item.is_err();
            if tx.send(item).await.is_err() || stop {
                break;
            }
        }
        drop(tx);
    };
    let actor = user.actor();
    let (_, result) = futures_util::future::join(
        pump,
        catalog::import(&mut conn, ChannelReader::new(rx), &actor, "http", None),
    )
    .await;
    result
        .map(web::Json)
        .map_err(|e| import_error(e, too_large.get()))
}

/// The whole catalog as CSV, in the import format (streamed, by code).
///
/// Each item carries its latest-recorded ceiling, so importing the export again
/// reports every row unchanged.
#[utoipa::path(
    tag = "catalog",
    security(("bearer" = [])),
    extensions(("x-scope" = json!("all"))),
    params(MinLsn),
    responses(
        (status = 200, description = "The catalog (UTF-8, header row first)", body = String, content_type = "text/csv"),
        (status = 401, description = "Not authenticated", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The database is busy", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/catalog/export.csv")]
pub async fn export_csv(_user: AuthUser, db: ReadDb) -> Result<HttpResponse, ApiError> {
    let conn = db.conn;
    // state: (connection, last code sent, header sent?); None once finished
    let stream =
        futures_util::stream::unfold(Some((conn, String::new(), false)), |st| async move {
            let (mut conn, after, started) = st?;
            if !started {
                return Some((
                    Ok::<_, actix_web::Error>(Bytes::from(export::header())),
                    Some((conn, after, true)),
                ));
            }
            match CatalogItem::export_chunk(&mut conn, &after, export::CHUNK).await {
                Ok(rows) => {
                    let last = rows.last()?.item.code.clone();
                    let next = (rows.len() as i64 == export::CHUNK).then_some((conn, last, true));
                    Some((Ok(Bytes::from(export::rows(&rows))), next))
                }
                Err(e) => {
                    tracing::error!(error = %e, "catalog export failed");
                    Some((
                        Err(actix_web::error::ErrorInternalServerError("export failed")),
                        None,
                    ))
                }
            }
        });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header(ContentDisposition {
            disposition: DispositionType::Attachment,
            parameters: vec![DispositionParam::Filename("catalog.csv".into())],
        })
        .streaming(stream))
}
