//! The `vbp` command line.

use std::process::ExitCode;

use actix_web::{HttpServer, web};
use clap::{Parser, Subcommand};
use diesel_async::{AsyncConnection, AsyncPgConnection};

use crate::{
    bids::writer::BidWriter,
    build_app, catalog, demo,
    platform::{
        AppState, audit, db,
        settings::{DatabaseSettings, Settings, redact_url},
    },
};

type BoxError = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, Parser)]
#[command(
    name = "vbp",
    version,
    about = "National volume-based procurement platform"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database, start the audit sealer and the job worker, serve HTTP on VBP_BIND.
    Serve,
    /// Run pending database migrations and exit.
    Migrate,
    /// Print the public half of the receipt key (`VBP_RECEIPT_KEY` or `VBP_RECEIPT_KEY_FILE`):
    /// what goes into `VBP_RECEIPT_PREVIOUS_KEYS` when the key is rotated. Never the seed.
    ReceiptKey,
    /// Print the OpenAPI document (what `/api/openapi.json` serves; the UI's client is generated from it).
    Openapi,
    /// Load the demo organisations and users (idempotent).
    Demo {
        /// Password for every demo user; a random one is generated and printed when omitted.
        #[arg(long)]
        password: Option<String>,
    },
    /// Import or update the national catalog from a CSV file (all or nothing).
    ImportCatalog {
        /// The catalog CSV (UTF-8 with or without BOM, or GBK); see docs/api.md.
        file: std::path::PathBuf,
    },
    /// The audit log's hash chain.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the hash chain: exit 0 when intact, 1 naming the first bad entry.
    Verify,
    /// Chain the entries written since the last seal (`vbp serve` does this continuously).
    Seal,
    /// Check every stored sealed bid against its commitment, and every frozen register
    /// against the bids: exit 0 when all match, 1 naming the first mismatches (run on a
    /// restored copy before trusting it).
    Bids,
}

/// Creates the database when missing and runs pending migrations.
async fn prepare_database(db: &DatabaseSettings) -> Result<(), BoxError> {
    db::ensure_database(&db.url).await?;
    let applied = db::run_migrations(&db.url).await?;
    for version in &applied {
        tracing::info!(%version, "migration applied");
    }
    Ok(())
}

pub async fn run(cli: Cli) -> Result<ExitCode, BoxError> {
    match cli.command {
        Command::Serve => serve().await,
        Command::ReceiptKey => {
            let seed = crate::platform::settings::hex_secret("VBP_RECEIPT_KEY")?;
            let key = crate::platform::sealing::ReceiptKey::from_hex(&seed)
                .map_err(|e| format!("VBP_RECEIPT_KEY: {e}"))?;
            println!("{}", key.public_hex());
            Ok(ExitCode::SUCCESS)
        }
        Command::Openapi => {
            println!(
                "{}",
                serde_json::to_string_pretty(&crate::openapi_document())?
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate => {
            let db = DatabaseSettings::from_env()?;
            prepare_database(&db).await?;
            println!("database {} is migrated", redact_url(&db.url));
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { password } => {
            let db = DatabaseSettings::from_env()?;
            prepare_database(&db).await?;
            let mut conn = AsyncPgConnection::establish(&db.url).await?;
            let report = demo::load(&mut conn, password).await?;
            print!("{report}");
            // rounds need the keys `serve` uses; without them the demo stops at accounts and catalog
            match Settings::from_env() {
                Ok(settings) => print!("{}", crate::demo::rounds::load(settings).await?),
                Err(e) => println!("\ndemo rounds skipped: {e}"),
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::ImportCatalog { file } => import_catalog(&file).await,
        Command::Audit { command } => {
            let db = DatabaseSettings::from_env()?;
            let mut conn = AsyncPgConnection::establish(&db.url).await?;
            match command {
                AuditCommand::Seal => {
                    let n = audit::seal_pending(&mut conn).await?;
                    println!("sealed {n} audit entries");
                    Ok(ExitCode::SUCCESS)
                }
                AuditCommand::Bids => {
                    let c = crate::bids::queries::CommitmentCheck::run(&mut conn).await?;
                    if c.ok() {
                        println!(
                            "bids intact: {} sealed bids match their commitments, {} register entries match their bids",
                            c.bids, c.registered
                        );
                        Ok(ExitCode::SUCCESS)
                    } else {
                        eprintln!(
                            "bids DO NOT match: {} altered, {} register entries mismatched, {} live bids of frozen rounds unregistered; first: {:?}",
                            c.altered, c.register_mismatch, c.unregistered, c.examples
                        );
                        Ok(ExitCode::from(1))
                    }
                }
                AuditCommand::Verify => {
                    let report = audit::verify(&mut conn).await?;
                    match &report.first_break {
                        None => {
                            println!(
                                "audit chain intact: {} entries verified, {} not sealed yet{}",
                                report.checked,
                                report.unsealed,
                                report
                                    .head_hash
                                    .as_ref()
                                    .map(|h| format!(", head {h}"))
                                    .unwrap_or_default()
                            );
                            Ok(ExitCode::SUCCESS)
                        }
                        Some(b) => {
                            eprintln!(
                                "audit chain BROKEN at seal {}{}: {} ({} entries before it verified)",
                                b.seq,
                                b.entry_id
                                    .map(|id| format!(", audit entry {id}"))
                                    .unwrap_or_default(),
                                b.reason,
                                report.checked
                            );
                            Ok(ExitCode::from(1))
                        }
                    }
                }
            }
        }
    }
}

/// `vbp import-catalog FILE.csv`: progress on stderr, the report on stdout; exit 1
/// listing every error (line, column, reason) when the file is refused.
async fn import_catalog(path: &std::path::Path) -> Result<ExitCode, BoxError> {
    use std::io::{IsTerminal, Write};

    let db = DatabaseSettings::from_env()?;
    let file =
        std::fs::File::open(path).map_err(|e| format!("cannot open {}: {e}", path.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    prepare_database(&db).await?;
    let mut conn = AsyncPgConnection::establish(&db.url).await?;
    let tty = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let progress = Box::new(move |p: catalog::Progress| {
        let pct = (p.bytes * 100).checked_div(size).unwrap_or(100);
        let mut err = std::io::stderr().lock();
        if p.done {
            let _ = writeln!(
                err,
                "{}read {} rows ({} bytes) in {:.1} s",
                if tty { "\r" } else { "" },
                p.rows,
                p.bytes,
                started.elapsed().as_secs_f64()
            );
        } else if tty {
            let _ = write!(err, "\r{pct:>3}% {} rows", p.rows);
        } else if p.rows.is_multiple_of(20_000) {
            let _ = writeln!(err, "{pct:>3}% {} rows", p.rows);
        }
    });
    match catalog::import(
        &mut conn,
        file,
        &audit::Actor::system(),
        "cli",
        Some(progress),
    )
    .await
    {
        Ok(r) => {
            println!(
                "imported {}: {} rows, {} created, {} updated, {} unchanged, {} ceilings added ({}, {:.1} s, import {})",
                path.display(),
                r.rows,
                r.created,
                r.updated,
                r.unchanged,
                r.ceilings_added,
                r.encoding,
                started.elapsed().as_secs_f64(),
                r.import_id
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(catalog::ImportError::Invalid { total, errors }) => {
            for e in &errors {
                eprintln!(
                    "{}:{}: {}{}",
                    path.display(),
                    e.line.unwrap_or(0),
                    e.field
                        .as_deref()
                        .map(|f| format!("column {f}: "))
                        .unwrap_or_default(),
                    e.message
                );
            }
            eprintln!("{}", catalog::ImportError::Invalid { total, errors });
            Ok(ExitCode::from(1))
        }
        Err(e) => Err(e.into()),
    }
}

async fn serve() -> Result<ExitCode, BoxError> {
    let settings = Settings::from_env()?;
    prepare_database(&settings.database).await?;
    let bind = settings.bind.clone();
    let workers = settings.workers;
    let seal_every = settings.audit_seal_interval;
    let state = web::Data::new(AppState::new(settings)?);
    let bids = web::Data::new(BidWriter::for_state(&state));
    actix_web::rt::spawn(audit::run_sealer(state.pool.clone(), seal_every));
    let worker = crate::platform::jobs::Worker::new(
        state.pool.clone(),
        state.settings.mail.clone(),
        state.settings.jobs.clone(),
        crate::job_registry(),
    )?;
    actix_web::rt::spawn(worker.run());
    if let Err(e) = crate::settlement::jobs::OVERDUE_SCAN
        .schedule(&state.pool, &state.settings.jobs)
        .await
    {
        tracing::warn!(error = %e, "could not schedule today's overdue scan; it runs when the next server starts");
    }
    if let Err(e) = crate::oversight::jobs::SUPPLY_SCAN
        .schedule(&state.pool, &state.settings.jobs)
        .await
    {
        tracing::warn!(error = %e, "could not schedule today's supply scan; it runs when the next server starts");
    }
    let server = HttpServer::new({
        let state = state.clone();
        move || build_app(state.clone(), bids.clone())
    })
    .workers(workers)
    .bind(&bind)
    .map_err(|e| format!("cannot listen on {bind}: {e}"))?;
    tracing::info!(%bind, workers, "vbp is serving; API docs at http://{bind}/api/docs/");
    server.run().await?;
    Ok(ExitCode::SUCCESS)
}
