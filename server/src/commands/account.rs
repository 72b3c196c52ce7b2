//! `milepost account ...`

use super::user::explain;
use crate::cli::AccountCommand;
use sqlx::PgPool;

pub async fn run(cmd: AccountCommand, pool: &PgPool) -> anyhow::Result<()> {
    match cmd {
        AccountCommand::Add { code, name } => {
            app::services::accounts::create(pool, &code, &name, None)
                .await
                .map_err(explain)?;
            println!("Added account {} ({name}).", code.trim().to_uppercase());
        }
        AccountCommand::Map {
            account,
            system,
            external_id,
        } => {
            let found = app::store::accounts::find_by_code(pool, &account.trim().to_uppercase())
                .await?
                .ok_or_else(|| anyhow::anyhow!("no account {account}"))?;
            app::store::accounts::map_external_ref(pool, &system, &external_id, found.account_id)
                .await?;
            println!("{system} customer {external_id} is account {}.", found.code);
            super::release::send_held(pool).await?;
        }
        AccountCommand::List => {
            for a in app::store::accounts::list(pool).await? {
                println!("{:<12} {}", a.code, a.name);
            }
        }
    }
    Ok(())
}
