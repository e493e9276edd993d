//! Whether a deadline rush is on, as this process sees it: the bid writer counts the bids
//! it writes; the job worker reads their rate and holds receipt mails back while bids pour
//! in close to a deadline (see [`super::Worker::rush`]).

use std::sync::atomic::{AtomicU64, Ordering};

/// Bids written by this process since it started.
static WRITTEN: AtomicU64 = AtomicU64::new(0);

/// Counts `n` bids written (the bid writer does; tests may simulate a rush).
pub fn note_bids_written(n: u64) {
    WRITTEN.fetch_add(n, Ordering::Relaxed);
}

/// Bids written by this process so far.
pub fn bids_written() -> u64 {
    WRITTEN.load(Ordering::Relaxed)
}
