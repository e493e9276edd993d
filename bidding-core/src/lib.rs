//! Pure domain of national volume-based procurement (VBP).
//!
//! No I/O lives here: no database, no HTTP, no async runtime. Everything is
//! exact decimal arithmetic on [`rust_decimal::Decimal`].
