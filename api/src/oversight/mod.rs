//! Oversight (issue #18; DOMAIN.md, "Monitoring and early warning"): shortage early
//! warning from recorded supply problems, price monitoring with the public price index,
//! and complaints against published results.

pub mod complaints;
pub mod jobs;
pub mod prices;
pub mod routes;
pub mod supply;
