//! The national catalog at the edge: reading catalog CSV files (UTF-8 or GBK,
//! streamed), validating their rows, importing them all-or-nothing, and writing the
//! catalog back out as CSV. Code structure and vocabularies are pure domain
//! (`bidding_core::catalog`); rows and queries live in `queries`.

pub mod decode;
pub mod export;
pub mod import;
pub mod queries;
pub mod routes;
pub mod row;

pub use import::{ImportError, ImportReport, Progress, import};
