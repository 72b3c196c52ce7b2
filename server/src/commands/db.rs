//! `milepost db start|stop`: the embedded cluster on its own, e.g. for `make test` or psql.

use crate::cli::DbCommand;
use crate::pg::{self, ClusterOptions, EmbeddedPostgres};
use crate::settings::Settings;

pub async fn run(cmd: DbCommand, settings: &Settings) -> anyhow::Result<()> {
    if settings.database_url.is_some() {
        anyhow::bail!("DATABASE_URL is set, so Milepost uses that server and never touches an embedded cluster; unset it to manage the embedded one");
    }
    match cmd {
        DbCommand::Start {
            data_dir,
            unsafe_fast,
        } => {
            let dir = data_dir.unwrap_or_else(|| settings.data_dir.clone());
            let options = ClusterOptions {
                bin_dir: settings.pg_bin_dir.clone(),
                unsafe_fast,
            };
            let cluster = EmbeddedPostgres::start_or_reuse(&dir, options).await?;
            cluster.ensure_database(pg::DATABASE).await?;
            // Printed on stdout alone so scripts can capture it; it holds the password. The
            // cluster owner's URL: tooling (the test suite) creates databases with it.
            println!("{}", cluster.admin_url(pg::DATABASE));
            // Leaving without `stop`: the cluster keeps running for others to use.
            std::mem::forget(cluster);
        }
        DbCommand::Stop { data_dir } => {
            let dir = data_dir.unwrap_or_else(|| settings.data_dir.clone());
            let options = ClusterOptions {
                bin_dir: settings.pg_bin_dir.clone(),
                unsafe_fast: false,
            };
            EmbeddedPostgres::start_or_reuse(&dir, options)
                .await?
                .stop()
                .await?;
        }
    }
    Ok(())
}
