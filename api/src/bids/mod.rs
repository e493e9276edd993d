//! Sealed bids: submission (checked, sealed, written in batches by the bid writer), the
//! register, the opening-key shares and the opening.

pub mod routes;
pub mod writer;
