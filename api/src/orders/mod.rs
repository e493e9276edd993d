//! After the award: orders of hospitals against their province's contracts, deliveries
//! with traceability codes by suppliers or their distributors, acceptance, and the
//! move of unshipped lines to the backup after a supply failure.

pub mod backup;
pub mod deliveries;
pub mod dto;
pub mod lines;
pub mod progress;
pub mod queries;
pub mod routes;
pub mod service;
