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
        ConnectorCommand::Outbound {
            name,
            settings,
            secret_stdin,
        } => set_outbound(pool, &name, &settings, secret_stdin).await?,
        ConnectorCommand::RotateSecret {
            name,
            overlap_hours,
        } => {
            if overlap_hours < 0 {
                anyhow::bail!("--overlap-hours must not be negative");
            }
            let rotated = crate::ingest::setup::rotate_secret(
                pool,
                &name,
                chrono::Duration::hours(overlap_hours),
            )
            .await?;
            if let Some(secret) = rotated.signing_secret {
                println!("New signing secret (shown once; configure it at the sender): {secret}");
            }
            if let Some(token) = rotated.url_token {
                println!("New webhook URL: <public url>/api/v1/webhooks/{name}?token={token}  (shown once)");
            }
            println!("The old one keeps working for {overlap_hours} more hours.");
        }
        ConnectorCommand::Scope { name, accounts, .. } => {
            let before = crate::ingest::setup::set_scope(pool, &name, &accounts).await?;
            let say = |codes: &[String]| {
                if codes.is_empty() {
                    "every account".to_string()
                } else {
                    codes.join(", ")
                }
            };
            println!(
                "Connector {name} now serves {} (before: {}).",
                say(&accounts),
                say(&before)
            );
        }
        ConnectorCommand::List => {
            let scopes = crate::store::connectors::scope_codes(pool).await?;
            for c in crate::store::connectors::list(pool).await? {
                let state = if c.enabled { "enabled" } else { "disabled" };
                let serves = scopes
                    .get(&c.name)
                    .map_or("every account".to_string(), |codes| codes.join(","));
                println!(
                    "{:<20} {:<8} {:<13} {state} ({} types) serves {serves}",
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

async fn set_outbound(
    pool: &PgPool,
    name: &str,
    settings: &str,
    secret_stdin: bool,
) -> anyhow::Result<()> {
    use crate::connectors::outbound::{Endpoint, ODOO_API_KEY, WMS_TOKEN};
    use anyhow::Context;
    let Some(current) = crate::store::connectors::outbound_all(pool)
        .await?
        .into_iter()
        .find(|c| c.name == name)
    else {
        anyhow::bail!("no connector is named {name} (see milepost connector list)");
    };
    let outbound: Option<serde_json::Value> = if settings.trim() == "none" {
        None
    } else {
        Some(serde_json::from_str(settings).context("--settings is not JSON")?)
    };
    let mut secrets = serde_json::json!({});
    if secret_stdin {
        let mut line = String::new();
        std::io::stdin().read_line(&mut line)?;
        let key = match outbound
            .as_ref()
            .and_then(|o| o.get("system"))
            .and_then(|s| s.as_str())
        {
            Some("odoo") => ODOO_API_KEY,
            Some("wms") => WMS_TOKEN,
            _ => {
                anyhow::bail!("--secret-stdin needs settings with \"system\": \"odoo\" or \"wms\"")
            }
        };
        secrets[key] = serde_json::Value::String(line.trim().to_string());
    }
    let mut proposed = current.clone();
    proposed.outbound = outbound.clone();
    if let (Some(all), Some(new)) = (proposed.secrets.as_object_mut(), secrets.as_object()) {
        all.extend(new.clone());
    }
    Endpoint::from_row(&proposed)?;
    let mut tx = pool.begin().await?;
    let sealed = crate::secrets::keyring().seal_values(&secrets);
    let before = crate::store::connectors::set_outbound(&mut *tx, name, outbound.as_ref(), &sealed)
        .await?
        .flatten();
    app::store::audit::record(
        &mut *tx,
        None,
        "connector.outbound",
        &format!("connector:{name}"),
        serde_json::json!({"by": "cli", "before": before, "after": outbound,
                           "secrets_changed": secrets.as_object().map(|s| s.keys().cloned().collect::<Vec<_>>())}),
    )
    .await?;
    let pull_from = outbound
        .as_ref()
        .filter(|o| o.get("system").and_then(|s| s.as_str()) == Some("odoo"))
        .map(|o| o.get("pull_from").cloned());
    if let Some(pull_from) = pull_from {
        let pull_from = pull_from
            .map(serde_json::from_value)
            .transpose()
            .context("pull_from")?;
        let at = crate::jobs::pull_odoo_changes::place_cursor(
            &mut tx,
            current.connector_id,
            pull_from,
            chrono::Utc::now(),
        )
        .await?;
        println!("Odoo is pulled from {} (UTC) on.", at.to_rfc3339());
    }
    tx.commit().await?;
    match outbound {
        Some(_) => {
            println!("Milepost now calls {name}'s system; running workers pick this up at once.");
            super::release::send_held(pool).await?;
        }
        None => println!("Milepost no longer calls {name}'s system."),
    }
    Ok(())
}
