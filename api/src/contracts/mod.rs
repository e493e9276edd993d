//! Contracts per lot, winner and province; supply failure, the backup's takeover and bars.

pub mod quotas;
pub mod routes;
pub mod service;
