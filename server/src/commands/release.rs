//! `milepost release held|retry`: the releases Milepost kept instead of sending.

use crate::cli::ReleaseCommand;
use sqlx::PgPool;

pub async fn run(cmd: ReleaseCommand, pool: &PgPool) -> anyhow::Result<()> {
    match cmd {
        ReleaseCommand::Held => {
            let held = crate::store::held_releases::open(pool, None).await?;
            if held.is_empty() {
                println!("No release is held.");
            }
            for h in held {
                println!(
                    "{:<12} {:<22} warehouse {:<8} {} (held since {})",
                    h.order_ref,
                    h.reason,
                    h.warehouse_code.as_deref().unwrap_or("-"),
                    h.customer.as_deref().unwrap_or("-"),
                    h.held_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
        }
        ReleaseCommand::Retry => send_held(pool).await?,
    }
    Ok(())
}

/// Sends the kept releases whose cause is fixed, and says what happened.
pub async fn send_held(pool: &PgPool) -> anyhow::Result<()> {
    let done = crate::projector::held::retry(pool).await?;
    if !done.sent.is_empty() {
        println!("Released to the warehouse now: {}.", done.sent.join(", "));
    }
    if !done.still_held.is_empty() {
        println!(
            "Still held: {} (milepost release held).",
            done.still_held
                .iter()
                .map(|(order, why)| format!("{order} ({why})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    Ok(())
}
