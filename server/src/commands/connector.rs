//! `milepost connector ...`

use crate::cli::ConnectorCommand;
use crate::ingest::setup::{create_connector, ConnectorSpec};
use sqlx::PgPool;

pub async fn run(cmd: ConnectorCommand, pool: &PgPool) -> anyhow::Result<()> {
    match cmd {
        ConnectorCommand::Add {
            name,
            kind,
            format,
            types,
            time_zone,
            warehouse,
        } => {
            let created = create_connector(
                pool,
                &ConnectorSpec {
                    name: &name,
                    kind: &kind,
                    format: &format,
                    types,
                    time_zone: time_zone.as_deref(),
                    warehouse_code: warehouse.as_deref(),
                },
            )
            .await?;
            println!("Added connector {name} ({kind}, {format}).");
            if let Some(secret) = created.signing_secret {
                println!("Signing secret (shown once; configure it at the sender): {secret}");
            }
            if let Some(token) = created.url_token {
                println!(
                    "Webhook URL: <public url>/api/v1/webhooks/{name}?token={token}  (shown once)"
                );
            }
            if format == "canonical" || format == "x12" {
                println!("Create an API key with: milepost apikey create --connector {name} --name <who uses it>");
            }
        }
        ConnectorCommand::List => {
            for c in app::store::connectors::list(pool).await? {
                let state = if c.enabled { "enabled" } else { "disabled" };
                println!(
                    "{:<20} {:<8} {:<13} {state} ({} types)",
                    c.name,
                    c.kind,
                    c.format,
                    c.allowed_types.len()
                );
            }
        }
    }
    Ok(())
}
