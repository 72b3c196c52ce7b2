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
        AccountCommand::Hold { account, reason } => hold(pool, &account, &reason, true).await?,
        AccountCommand::Unhold { account, reason } => hold(pool, &account, &reason, false).await?,
        AccountCommand::List => {
            for a in app::store::accounts::list(pool).await? {
                println!("{:<12} {}", a.code, a.name);
            }
        }
    }
    Ok(())
}

/// Places (`place`) or lifts a legal hold, audited in the same transaction.
async fn hold(pool: &PgPool, account: &str, reason: &str, place: bool) -> anyhow::Result<()> {
    let code = account.trim().to_uppercase();
    let reason = reason.trim();
    anyhow::ensure!(
        !reason.is_empty(),
        "say why (--reason): it is kept in the audit log"
    );
    let mut tx = pool.begin().await?;
    let found =
        crate::store::retention::set_legal_hold(&mut tx, &code, place.then_some(reason)).await?;
    anyhow::ensure!(found, "no account {code}");
    app::store::audit::record(
        &mut *tx,
        None,
        if place {
            "account.legal_hold"
        } else {
            "account.legal_hold_lifted"
        },
        &format!("account:{code}"),
        serde_json::json!({"why": reason, "by": "command line"}),
    )
    .await?;
    tx.commit().await?;
    if place {
        println!(
            "{code} is on legal hold: its events and raw messages are kept whatever their age."
        );
    } else {
        println!("{code}'s legal hold is lifted: retention applies from its next run.");
    }
    Ok(())
}
