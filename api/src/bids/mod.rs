//! Sealed bids: submission (checked, sealed, written in batches by the bid writer), the
//! register, the opening-key shares and the opening.

pub mod opening;
pub mod queries;
pub mod routes;
pub mod service;
pub mod writer;
