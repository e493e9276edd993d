//! The rounds routes, one file per resource: the round itself, its lots, its demand.

pub mod demand;
pub mod lots;
pub mod rounds;
