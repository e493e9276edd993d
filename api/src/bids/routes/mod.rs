//! The bids routes: submission and receipts; the register, key shares and opening.

pub mod bids;
pub mod opening;
