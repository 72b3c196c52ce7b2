//! `milepost webhook ...`: customer webhook subscriptions. Every change is audited.

use crate::cli::WebhookCommand;
use crate::connectors::http::{check_url, Targets};
use crate::connectors::webhooks::deliver::REPORT_PUBLISHED;
use crate::jobs::DeliverWebhook;
use crate::store::jobs::queue::JobPayload;
use crate::store::webhooks;
use anyhow::{bail, Context};
use app::domain::event::EventType;
use app::store::{accounts, audit};
use serde_json::json;
use sqlx::PgPool;

pub async fn run(cmd: WebhookCommand, pool: &PgPool) -> anyhow::Result<()> {
    match cmd {
        WebhookCommand::Add {
            account,
            url,
            types,
            allow_private_network,
        } => {
            let found = accounts::find_by_code(pool, &account.to_uppercase())
                .await?
                .with_context(|| {
                    format!("no account has the code {account} (see milepost account list)")
                })?;
            let targets = Targets::allowing_private(allow_private_network);
            if let Err(why) = check_url(&url, targets) {
                bail!("--url: {why}");
            }
            // Canonical event types, and the published monthly report.
            for t in types.iter().filter(|t| *t != REPORT_PUBLISHED) {
                t.parse::<EventType>()
                    .map_err(|e| anyhow::anyhow!("--type {t}: {e}"))?;
            }
            let secret = crate::ingest::setup::signing_secret();
            let mut tx = pool.begin().await?;
            let id = webhooks::insert(
                &mut *tx,
                found.account_id,
                &url,
                &crate::secrets::keyring().seal(&secret),
                &types,
                allow_private_network,
            )
            .await?;
            audit::record(
                &mut *tx,
                None,
                "webhook.add",
                &format!("webhook:{id}"),
                json!({"by": "cli", "account": found.code, "url": url, "types": types, "allow_private_network": allow_private_network}),
            )
            .await?;
            tx.commit().await?;
            println!("Added webhook {id} for {}: {url}", found.code);
            println!(
                "Signing secret (Standard Webhooks; shown once, give it to the receiver): {secret}"
            );
        }
        WebhookCommand::List => {
            for s in webhooks::list(pool).await? {
                let types = if s.event_types.is_empty() {
                    "all types".to_string()
                } else {
                    s.event_types.join(",")
                };
                let state = match &s.paused_reason {
                    Some(reason) => format!("PAUSED: {reason}"),
                    None => "active".into(),
                };
                println!(
                    "{:<5} {:<10} {} ({types}) {state}",
                    s.subscription_id, s.account_code, s.url
                );
            }
        }
        WebhookCommand::Resume { id } => {
            let mut tx = pool.begin().await?;
            if !webhooks::resume(&mut tx, id).await? {
                bail!("no webhook {id} (see milepost webhook list)");
            }
            audit::record(
                &mut *tx,
                None,
                "webhook.resume",
                &format!("webhook:{id}"),
                json!({"by": "cli"}),
            )
            .await?;
            tx.commit().await?;
            println!("Webhook {id} resumed; its waiting deliveries go out now.");
        }
        WebhookCommand::Replay { id, since } => {
            let mut tx = pool.begin().await?;
            if webhooks::target(&mut *tx, id).await?.is_none() {
                bail!("no webhook {id} (see milepost webhook list)");
            }
            let queued = webhooks::replay_since(&mut tx, DeliverWebhook::KIND, id, since).await?;
            audit::record(
                &mut *tx,
                None,
                "webhook.replay",
                &format!("webhook:{id}"),
                json!({"by": "cli", "since": since, "deliveries": queued}),
            )
            .await?;
            tx.commit().await?;
            println!(
                "{queued} deliveries queued for webhook {id} (events recorded since {since})."
            );
        }
    }
    Ok(())
}
