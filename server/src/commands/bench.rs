//! `milepost bench ...`

use crate::cli::BenchCommand;
use crate::settings::Settings;

pub async fn run(cmd: BenchCommand, settings: Settings) -> anyhow::Result<()> {
    match cmd {
        BenchCommand::Ingest(args) => crate::bench::ingest::run(args, settings).await,
        BenchCommand::Release(args) => crate::bench::release::run(args, settings).await,
        BenchCommand::Sla(args) => crate::bench::sla::run(args, settings).await,
        BenchCommand::Retention(args) => crate::bench::retention::run(args, settings).await,
    }
}
