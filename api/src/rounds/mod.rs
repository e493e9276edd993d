//! Tender rounds: lots, provincial demand, publication, cancellation, the deadline.

pub mod dto;
pub mod jobs;
pub mod queries;
pub mod routes;
pub mod service;
