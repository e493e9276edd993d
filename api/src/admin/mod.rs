//! Administration: the audit log, the job queue, the system probes and the provinces.

pub mod routes;
