//! `milepost account ...`

use super::user::explain;
use crate::cli::AccountCommand;
use sqlx::PgPool;

pub async fn run(cmd: AccountCommand, pool: &PgPool) -> anyhow::Result<()> {
    match cmd {
        AccountCommand::Add { code, name } => {
            app::server::accounts::create(pool, &code, &name, None)
                .await
                .map_err(explain)?;
            println!("Added account {} ({name}).", code.trim().to_uppercase());
        }
        AccountCommand::List => {
            for a in app::store::accounts::list(pool).await? {
                println!("{:<12} {}", a.code, a.name);
            }
        }
    }
    Ok(())
}
