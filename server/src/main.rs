//! `milepost`: one binary, several roles (see `cli.rs`). Kept thin: parse, configure, dispatch.

use clap::Parser;
use server::cli::{Cli, Command};
use server::settings::Settings;
use server::{commands, telemetry};
use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match Settings::from_env() {
        Ok(settings) => settings,
        Err(e) => {
            eprintln!("milepost: {e}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(settings.log_format, &settings.log_filter);
    match server::secrets::load(&settings.data_dir) {
        Ok(keyring) => server::secrets::install(keyring),
        Err(e) => {
            eprintln!("milepost: {e}");
            return ExitCode::from(2);
        }
    }
    // With no subcommand, serve: that is what `cargo leptos serve|watch` runs.
    let command = cli.command.unwrap_or(Command::Serve { no_workers: false });
    match commands::run(command, settings).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("milepost: {e:#}");
            ExitCode::FAILURE
        }
    }
}
