//! The award: evaluation by the published rules, revival, award, results and the OCDS
//! release package.

pub mod dto;
pub mod evaluation;
pub mod ocds;
pub mod reasons;
pub mod results;
pub mod revival;
pub mod routes;
pub mod service;
