//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`), as text or as
//! JSON lines when `VBP_LOG_FORMAT=json`; coloured only when stderr is a terminal.

use std::io::IsTerminal;

use tracing_subscriber::{EnvFilter, fmt};

pub fn init() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("VBP_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    // colours only for a terminal: a log written to a file or a journal stays plain text
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    // a second init (tests) is harmless
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
