//! One function per subcommand.

mod account;
mod db;
mod serve;
mod user;

use crate::cli::Command;
use crate::database::{migrate, Database};
use crate::settings::Settings;

pub async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Serve { no_workers } => serve::serve(settings, !no_workers).await,
        Command::Worker => serve::worker(settings).await,
        Command::Migrate => {
            with_database(&settings, |db| async move {
                migrate(&db.pool).await?;
                tracing::info!("migrations applied");
                Ok(())
            })
            .await
        }
        Command::Demo => {
            with_database(&settings, |db| async move {
                migrate(&db.pool).await?;
                crate::demo::seed(&db.pool).await
            })
            .await
        }
        Command::User(cmd) => {
            with_database(
                &settings,
                |db| async move { user::run(cmd, &db.pool).await },
            )
            .await
        }
        Command::Account(cmd) => {
            with_database(
                &settings,
                |db| async move { account::run(cmd, &db.pool).await },
            )
            .await
        }
        Command::Db(cmd) => db::run(cmd, &settings).await,
    }
}

/// Connects (starting the embedded Postgres if needed), runs `f`, and always leaves the database
/// cleanly, whether `f` succeeded or not.
async fn with_database<F, Fut>(settings: &Settings, f: F) -> anyhow::Result<()>
where
    F: FnOnce(DbHandle) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let db = Database::connect(settings).await?;
    let handle = DbHandle {
        pool: db.pool.clone(),
    };
    let result = f(handle).await;
    db.close().await;
    result
}

/// What a short command needs from the database.
struct DbHandle {
    pool: sqlx::PgPool,
}
