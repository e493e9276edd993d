//! The job kinds a worker can run, kind -> handler, filled by the features at start-up
//! (`crate::job_registry`); the job module itself knows none of them.

use std::collections::HashMap;

use futures_util::future::BoxFuture;

use crate::platform::jobs::{Job, JobError, Worker};

/// Runs one job of a kind; an `Err` is retried or made dead as [`JobError`] says.
pub type Handler = for<'a> fn(&'a Worker, &'a Job) -> BoxFuture<'a, Result<(), JobError>>;

/// kind -> handler.
#[derive(Default)]
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
}

impl Registry {
    /// Registers the handler of `kind`. A kind is registered once.
    ///
    /// # Panics
    /// When `kind` is registered already (a programming error, seen at start-up).
    pub fn register(&mut self, kind: &'static str, handler: Handler) -> &mut Self {
        let previous = self.handlers.insert(kind, handler);
        assert!(previous.is_none(), "job kind {kind} registered twice");
        self
    }

    pub fn handler(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).copied()
    }

    /// The registered kinds, sorted.
    pub fn kinds(&self) -> Vec<&'static str> {
        let mut kinds: Vec<_> = self.handlers.keys().copied().collect();
        kinds.sort_unstable();
        kinds
    }
}
