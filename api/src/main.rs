use std::process::ExitCode;

use api::cli::{Cli, run};
use clap::Parser;

fn main() -> ExitCode {
    let cli = Cli::parse();
    api::platform::telemetry::init();
    match actix_web::rt::System::new().block_on(run(cli)) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("vbp: {e}");
            ExitCode::from(2)
        }
    }
}
