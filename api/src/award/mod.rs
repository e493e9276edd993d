//! The award: evaluation by the published rules, revival, award, results and the OCDS
//! release package.

pub mod ocds;
pub mod routes;
pub mod service;
