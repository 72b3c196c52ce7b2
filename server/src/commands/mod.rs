//! One function per subcommand.

pub mod account;
mod apikey;
#[cfg(feature = "tools")]
mod bench;
mod connector;
mod contract;
mod db;
mod release;
mod serve;
mod user;
mod webhook;

use crate::cli::{Command, SecretsCommand};
use crate::database::{migrate, Database};
use crate::settings::Settings;
use sqlx::PgPool;

pub async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { no_workers } => serve::serve(settings, !no_workers).await,
        Command::Worker => serve::worker(settings).await,
        Command::Migrate => with_database(&settings, |_| async { Ok(()) }).await,
        #[cfg(feature = "tools")]
        Command::Demo {
            orders,
            days,
            if_empty,
            live,
            milepost_url,
            every,
        } => {
            let size = crate::demo::DemoSize {
                orders,
                days,
                if_empty,
            };
            with_database(&settings, |pool| async move {
                crate::demo::seed(&pool, size).await?;
                if live {
                    crate::demo::live(
                        &pool,
                        &milepost_url,
                        std::time::Duration::from_secs(every.max(1)),
                    )
                    .await?;
                }
                Ok(())
            })
            .await
        }
        // No database: a partner runs it on their own samples.
        Command::Contract(cmd) => contract::run(cmd).await,
        Command::Release(cmd) => {
            with_database(
                &settings,
                |pool| async move { release::run(cmd, &pool).await },
            )
            .await
        }
        Command::User(cmd) => {
            with_database(&settings, |pool| async move { user::run(cmd, &pool).await }).await
        }
        Command::Archive(crate::cli::ArchiveCommand::Verify { dir }) => {
            let dir = dir.unwrap_or_else(|| settings.retention.archive_dir.clone());
            verify_archives(&dir).await
        }
        Command::Account(cmd) => {
            with_database(
                &settings,
                |pool| async move { account::run(cmd, &pool).await },
            )
            .await
        }
        Command::Connector(cmd) => {
            with_database(
                &settings,
                |pool| async move { connector::run(cmd, &pool).await },
            )
            .await
        }
        Command::Webhook(cmd) => {
            with_database(
                &settings,
                |pool| async move { webhook::run(cmd, &pool).await },
            )
            .await
        }
        Command::Apikey(cmd) => {
            with_database(
                &settings,
                |pool| async move { apikey::run(cmd, &pool).await },
            )
            .await
        }
        #[cfg(feature = "tools")]
        Command::Bench(cmd) => bench::run(cmd, settings).await,
        Command::Db(cmd) => db::run(cmd, &settings).await,
        Command::Secrets(SecretsCommand::NewKey) => {
            println!("{}", crate::secrets::Keyring::new_key());
            Ok(())
        }
        Command::Secrets(SecretsCommand::Rotate) => {
            with_database(&settings, |pool| async move {
                let sealed = crate::secrets::seal_stored(&pool, true).await?;
                println!(
                    "Sealed {sealed} secret(s) under key {}. Once every process runs with the new key first, remove the old one.",
                    crate::secrets::keyring().current_id()
                );
                Ok(())
            })
            .await
        }
    }
}

/// Connects (starting the embedded Postgres if needed), applies pending migrations (so an
/// operator's first command on a fresh database just works), runs `f`, and always leaves the
/// database cleanly, whether `f` succeeded or not.
async fn with_database<F, Fut>(settings: &Settings, f: F) -> anyhow::Result<()>
where
    F: FnOnce(PgPool) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let db = Database::connect(settings).await?;
    let result = match migrate(&db.pools.workers).await {
        Ok(()) => {
            tracing::info!("migrations applied");
            f(db.pools.workers.clone()).await
        }
        Err(e) => Err(e),
    };
    db.close().await;
    result
}

/// `milepost archive verify`: every manifest in `dir`, each line its result.
async fn verify_archives(dir: &std::path::Path) -> anyhow::Result<()> {
    let mut manifests: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("reading {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".manifest.json"))
        .collect();
    manifests.sort();
    for path in &manifests {
        let m = crate::retention::archive::verify(path).await?;
        println!(
            "ok {} ({} rows of {}, sha256 {})",
            m.file, m.rows, m.source, m.sha256
        );
    }
    println!("{} archives verified in {}", manifests.len(), dir.display());
    Ok(())
}
