//! What every feature stands on: settings, errors, input screening, telemetry, metrics,
//! the OpenAPI document, sealing, the database pool and schema, authentication, the audit
//! log, the job queue and mail. Nothing here imports a feature module (a test in
//! `tests/tests/integration/architecture.rs` checks it), so features may import all of it.

pub mod audit;
pub mod auth;
pub mod db;
pub mod error;
pub mod input;
pub mod jobs;
pub mod mail;
pub mod metrics;
pub mod openapi;
pub mod page;
pub mod sealing;
pub mod settings;
pub mod state;
pub mod telemetry;

pub use state::AppState;
