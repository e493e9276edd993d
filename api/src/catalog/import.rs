//! Importing a catalog file: all or nothing, upsert by code, a report of what changed.
//!
//! ```text
//! source (file, HTTP body) -> Transcoder (UTF-8/GBK) -> csv -> validate each row
//!    [a blocking thread]                  | batches of 1000 valid rows (bounded channel)
//!                                         v
//!    [the connection's task]  one transaction: lock, stage batches (unnest), and at
//!                             the end, when no row failed: set-based merge + audit
//! ```
//!
//! Memory stays flat: the parser holds one record and one batch, the channel at most
//! [`QUEUE`] batches, and the duplicate check one entry per code. Once a row fails,
//! nothing more is staged (the transaction will be rolled back) but parsing goes on so
//! that the report lists every error of the file (the first [`MAX_ERRORS`], with the
//! total).

use std::{
    collections::HashMap,
    io::{self, BufReader, Read},
};

use actix_web::web::Bytes;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Serialize;
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::catalog::{
    decode::{Detected, Transcoder},
    row::{Header, validate},
};
use crate::{
    catalog::queries::{StagedItem, Staging, lock_catalog},
    platform::{
        audit::{self, Actor},
        error::FieldError,
    },
};

/// Rows staged per statement.
pub const BATCH: usize = 1000;
/// Batches waiting between the parser and the database.
pub const QUEUE: usize = 4;
/// Errors listed in a report; the total is always given.
pub const MAX_ERRORS: usize = 100;

/// What an import did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ImportReport {
    /// Id of the import (the `entity_id` of its `catalog.import` audit entry).
    pub import_id: Uuid,
    /// Data rows in the file.
    pub rows: u64,
    /// Items that were not in the catalog.
    pub created: u64,
    /// Items whose fields or ceiling changed.
    pub updated: u64,
    /// Items exactly as stored.
    pub unchanged: u64,
    /// Ceilings appended to the history.
    pub ceilings_added: u64,
    /// Encoding the file was read in: `utf-8`, `utf-8-bom`, `gbk` or `ascii`.
    #[schema(example = "utf-8")]
    pub encoding: &'static str,
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file has errors; `errors` lists the first [`MAX_ERRORS`].
    #[error("{}", invalid_detail(*.total, .errors.len()))]
    Invalid { total: u64, errors: Vec<FieldError> },
    /// The source could not be read (too large, connection lost, file unreadable).
    #[error("cannot read the file: {0}")]
    Source(#[source] io::Error),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("the import stopped unexpectedly: {0}")]
    Internal(String),
}

fn invalid_detail(total: u64, listed: usize) -> String {
    let listed = if (listed as u64) < total {
        format!(" (the first {listed} are listed)")
    } else {
        String::new()
    };
    format!(
        "the file has {total} error{}{listed}; nothing was imported",
        if total == 1 { "" } else { "s" }
    )
}

/// Progress of the parser: data rows read and bytes of the source consumed.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub rows: u64,
    pub bytes: u64,
    pub done: bool,
}

pub type ProgressFn = Box<dyn FnMut(Progress) + Send>;

struct Errors {
    listed: Vec<FieldError>,
    total: u64,
}

impl Errors {
    fn push(&mut self, line: u64, field: Option<&str>, message: String) {
        self.total += 1;
        if self.listed.len() < MAX_ERRORS {
            self.listed.push(FieldError {
                field: field.map(str::to_owned),
                line: Some(line),
                message,
            });
        }
    }
}

/// What the parser found, once at the end.
struct Parsed {
    rows: u64,
    errors: Errors,
    fatal: Option<io::Error>,
    encoding: &'static str,
}

enum Msg {
    Batch(Vec<StagedItem>),
    Done(Parsed),
}

fn encoding_name(d: Detected) -> &'static str {
    match d {
        Detected::Ascii => "ascii",
        Detected::Utf8 => "utf-8",
        Detected::Utf8Bom => "utf-8-bom",
        Detected::Gbk => "gbk",
    }
}

/// A code as a fixed-size key for the duplicate check (codes are 23 or 27 ASCII bytes).
fn code_key(code: &str) -> Option<[u8; 27]> {
    if code.is_empty() || code.len() > 27 || !code.is_ascii() {
        return None;
    }
    let mut key = [0u8; 27];
    key[..code.len()].copy_from_slice(code.as_bytes());
    Some(key)
}

/// Reads, decodes and validates the whole source; hands full batches of valid rows to
/// `send` while the file is error-free (stops early when `send` returns false).
fn parse(
    source: impl Read,
    mut send: impl FnMut(Vec<StagedItem>) -> bool,
    mut progress: impl FnMut(Progress),
) -> Parsed {
    let transcoder = Transcoder::new(BufReader::with_capacity(64 * 1024, source));
    let mut csv = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(transcoder);
    let mut errors = Errors {
        listed: Vec::new(),
        total: 0,
    };
    let mut record = csv::StringRecord::new();
    let header = match csv.read_record(&mut record) {
        Ok(true) => Header::parse(&record),
        Ok(false) => {
            errors.push(
                1,
                None,
                "the file is empty; a header row is required".into(),
            );
            return finish(errors, 0, None, &csv);
        }
        Err(e) => return read_failed(e, errors, 0, &csv),
    };
    for issue in csv.get_mut().take_issues() {
        errors.push(issue.line, None, issue.message);
    }
    let header = match header {
        Ok(h) => h,
        Err(cells) => {
            for c in cells {
                errors.push(1, c.column, c.message);
            }
            return finish(errors, 0, None, &csv);
        }
    };

    // 31 bytes per code seen: the only state that grows with the file
    let mut seen: HashMap<[u8; 27], u32> = HashMap::new();
    let mut batch = Vec::with_capacity(BATCH);
    let mut rows = 0u64;
    let mut sending = true;
    loop {
        match csv.read_record(&mut record) {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => return read_failed(e, errors, rows, &csv),
        }
        rows += 1;
        let line = record.position().map_or(0, csv::Position::line);
        for issue in csv.get_mut().take_issues() {
            let name = header.name_of(issue.column);
            let message = match name {
                Some(_) => issue.message,
                None => format!("column {}: {}", issue.column, issue.message),
            };
            errors.push(issue.line, name, message);
        }
        if record.len() != header.len() {
            errors.push(
                line,
                None,
                format!(
                    "the row has {} fields; the header has {}",
                    record.len(),
                    header.len()
                ),
            );
        } else {
            let code = header.code_of(&record);
            let duplicate = match code_key(&code) {
                Some(key) => match seen.get(&key) {
                    Some(first) => {
                        errors.push(
                            line,
                            Some("code"),
                            format!("{code} appears again (first on line {first}); codes are unique in a file"),
                        );
                        true
                    }
                    None => {
                        seen.insert(key, u32::try_from(line).unwrap_or(u32::MAX));
                        false
                    }
                },
                // not a code at all: validation reports it
                None => false,
            };
            match validate(&header, &record) {
                Ok(item) => {
                    if errors.total == 0 && sending && !duplicate {
                        batch.push(item);
                    }
                }
                Err(cells) => {
                    for c in cells {
                        errors.push(line, c.column, c.message);
                    }
                }
            }
        }
        if errors.total > 0 {
            batch.clear();
        } else if batch.len() >= BATCH {
            sending = send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            if !sending {
                // the receiving side has given up (a database error); stop reading
                return finish(errors, rows, None, &csv);
            }
        }
        if rows.is_multiple_of(1000) {
            progress(Progress {
                rows,
                bytes: csv.get_ref().bytes_read(),
                done: false,
            });
        }
    }
    if errors.total == 0 && !batch.is_empty() {
        send(batch);
    }
    progress(Progress {
        rows,
        bytes: csv.get_ref().bytes_read(),
        done: true,
    });
    finish(errors, rows, None, &csv)
}

fn finish<R: Read>(
    errors: Errors,
    rows: u64,
    fatal: Option<io::Error>,
    csv: &csv::Reader<Transcoder<BufReader<R>>>,
) -> Parsed {
    Parsed {
        rows,
        errors,
        fatal,
        encoding: encoding_name(csv.get_ref().detected()),
    }
}

fn read_failed<R: Read>(
    e: csv::Error,
    mut errors: Errors,
    rows: u64,
    csv: &csv::Reader<Transcoder<BufReader<R>>>,
) -> Parsed {
    let line = e.position().map_or(0, csv::Position::line);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => finish(errors, rows, Some(io), csv),
        other => {
            errors.push(line, None, format!("unreadable CSV: {other:?}"));
            finish(errors, rows, None, csv)
        }
    }
}

/// Imports a catalog file read from `source`, in one transaction on `conn`. `origin`
/// (`http`, `cli`, `demo`) is recorded in the audit entry.
pub async fn import<R: Read + Send + 'static>(
    conn: &mut AsyncPgConnection,
    source: R,
    actor: &Actor,
    origin: &str,
    progress: Option<ProgressFn>,
) -> Result<ImportReport, ImportError> {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<Msg>(QUEUE);
    let parser = tokio::task::spawn_blocking(move || {
        let mut progress = progress;
        let parsed = parse(
            source,
            |batch| tx.blocking_send(Msg::Batch(batch)).is_ok(),
            |p| {
                if let Some(f) = progress.as_mut() {
                    f(p);
                }
            },
        );
        let _ = tx.blocking_send(Msg::Done(parsed));
    });
    let result = conn
        .transaction(async |conn| {
            lock_catalog(conn).await?;
            Staging::create(conn).await?;
            let parsed = loop {
                match rx.recv().await {
                    Some(Msg::Batch(batch)) => {
                        Staging::insert(conn, &batch).await?;
                    }
                    Some(Msg::Done(parsed)) => break parsed,
                    None => return Err(ImportError::Internal("the parser ended early".into())),
                }
            };
            if let Some(e) = parsed.fatal {
                return Err(ImportError::Source(e));
            }
            if parsed.errors.total > 0 {
                return Err(ImportError::Invalid {
                    total: parsed.errors.total,
                    errors: parsed.errors.listed,
                });
            }
            let counts = Staging::merge(conn).await?;
            let created = u64::try_from(counts.created).unwrap_or_default();
            let updated = u64::try_from(counts.updated).unwrap_or_default();
            let report = ImportReport {
                import_id: Uuid::now_v7(),
                rows: parsed.rows,
                created,
                updated,
                unchanged: parsed.rows.saturating_sub(created + updated),
                ceilings_added: u64::try_from(counts.ceilings_added).unwrap_or_default(),
                encoding: parsed.encoding,
            };
            audit::record(
                conn,
                actor,
                "catalog.import",
                "catalog_import",
                &report.import_id.to_string(),
                json!({
                    "origin": origin,
                    "rows": report.rows,
                    "created": report.created,
                    "updated": report.updated,
                    "unchanged": report.unchanged,
                    "ceilings_added": report.ceilings_added,
                    "encoding": report.encoding,
                }),
            )
            .await?;
            Ok(report)
        })
        .await;
    // Lets a parser still blocked on the channel see the end, then waits for it.
    drop(rx);
    if let Err(e) = parser.await {
        return Err(ImportError::Internal(format!("the parser failed: {e}")));
    }
    result
}

/// A [`Read`] over chunks sent from an async task (an HTTP body), for the parser's
/// blocking thread.
pub struct ChannelReader {
    rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>,
    chunk: Bytes,
}

impl ChannelReader {
    pub fn new(rx: tokio::sync::mpsc::Receiver<io::Result<Bytes>>) -> Self {
        Self {
            rx,
            chunk: Bytes::new(),
        }
    }
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.chunk.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => self.chunk = chunk,
                Some(Err(e)) => return Err(e),
                None => return Ok(0),
            }
        }
        let n = buf.len().min(self.chunk.len());
        buf[..n].copy_from_slice(&self.chunk.split_to(n));
        Ok(n)
    }
}
