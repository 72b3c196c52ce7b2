//! Benchmarks run as `milepost bench ...`, against a scratch database, with numbers printed.

pub mod ingest;
pub mod release;
pub mod retention;
pub mod sla;

use crate::settings::Settings;
use anyhow::Context;
use sqlx::postgres::PgConnectOptions;
use std::future::Future;

/// Runs `measure` against a new database on the configured server, dropped afterwards whatever
/// the outcome.
pub async fn in_scratch_database<F, Fut>(settings: &Settings, measure: F) -> anyhow::Result<()>
where
    F: FnOnce(PgConnectOptions) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    in_scratch_database_kept(settings, false, measure).await
}

/// `in_scratch_database`, keeping the database afterwards when `keep` is set.
pub async fn in_scratch_database_kept<F, Fut>(
    settings: &Settings,
    keep: bool,
    measure: F,
) -> anyhow::Result<()>
where
    F: FnOnce(PgConnectOptions) -> Fut,
    Fut: Future<Output = anyhow::Result<()>>,
{
    let db = crate::database::Database::connect(settings).await?;
    let name = format!("milepost_bench_{}", std::process::id());
    sqlx::query(&format!("create database {name}"))
        .execute(&db.pools.workers)
        .await
        .context("creating the scratch database")?;
    let options: PgConnectOptions = db
        .pools
        .workers
        .connect_options()
        .as_ref()
        .clone()
        .database(&name);
    let result = measure(options).await;
    if keep {
        println!("the scratch database {name} is kept (drop database {name};)");
    } else {
        sqlx::query(&format!("drop database if exists {name} with (force)"))
            .execute(&db.pools.workers)
            .await?;
    }
    db.close().await;
    result
}
