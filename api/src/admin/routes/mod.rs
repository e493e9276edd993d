//! The administration routes, one file per resource.

pub mod audit;
pub mod jobs;
pub mod provinces;
pub mod system;
