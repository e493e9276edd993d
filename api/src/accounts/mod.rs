//! Accounts: organisations, users, sessions (login, logout, who am I).

pub mod queries;
pub mod routes;
