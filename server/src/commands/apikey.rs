//! `milepost apikey ...`

use crate::cli::ApikeyCommand;
use crate::ingest::setup::{create_key, rotate_key};
use chrono::Duration;
use sqlx::PgPool;

pub async fn run(cmd: ApikeyCommand, pool: &PgPool) -> anyhow::Result<()> {
    match cmd {
        ApikeyCommand::Create { connector, name } => {
            let issued = create_key(pool, &connector, &name).await?;
            println!("{}", issued.key);
            eprintln!(
                "API key {} for {connector}: shown once, store it now.",
                issued.prefix
            );
        }
        ApikeyCommand::List => {
            for k in crate::store::api_keys::list(pool).await? {
                let state = match (k.revoked_at, k.expires_at) {
                    (Some(at), _) => format!("revoked {}", at.format("%Y-%m-%d %H:%M")),
                    (None, Some(at)) => {
                        format!("rotated, works until {}", at.format("%Y-%m-%d %H:%M"))
                    }
                    (None, None) => "active".into(),
                };
                let used = k
                    .last_used_at
                    .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                    .unwrap_or_else(|| "never".into());
                println!(
                    "{:<17} {:<16} {:<24} {state}; last used {used}",
                    k.prefix, k.connector, k.name
                );
            }
        }
        ApikeyCommand::Revoke { prefix } => {
            if !crate::ingest::setup::revoke_key(pool, &prefix).await? {
                anyhow::bail!("no live key with prefix {prefix}");
            }
            println!("Revoked {prefix}.");
        }
        ApikeyCommand::Rotate {
            prefix,
            grace_hours,
        } => {
            if grace_hours < 0 {
                anyhow::bail!("--grace-hours must not be negative");
            }
            let issued = rotate_key(pool, &prefix, Duration::hours(grace_hours)).await?;
            println!("{}", issued.key);
            eprintln!(
                "New key {} replaces {prefix}, which works for {grace_hours} more hours.",
                issued.prefix
            );
        }
    }
    Ok(())
}
