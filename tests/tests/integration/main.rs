//! Every end-to-end test, in one test binary: the app is linked once, not once per file.
//! Each module is one area of the platform; `tests/src/lib.rs` holds the harness they
//! share (a real server on loopback, a database of each test's own, the SMTP sink).

mod admin;
mod architecture;
mod audit;
mod auth;
mod award;
mod catalog;
mod citus;
mod demo;
mod edge;
mod http;
mod mail;
mod orders;
mod oversight;
mod roles;
mod rounds;
mod settlement;
mod ui;
