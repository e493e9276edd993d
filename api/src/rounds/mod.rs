//! Tender rounds: lots, provincial demand, publication, cancellation, the deadline.

pub mod queries;
pub mod routes;
pub mod service;
