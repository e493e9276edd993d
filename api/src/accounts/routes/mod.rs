//! The accounts routes, one file per resource.

pub mod auth;
pub mod orgs;
pub mod users;
