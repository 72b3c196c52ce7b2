//! The sync engine's wiring: every connector Milepost calls becomes a queue with its client,
//! every job type in the catalogue (`crate::jobs`) is registered once, and each Odoo with a poll
//! interval gets its pull schedule. `supervise` runs it and builds it again when a connector
//! changes (the `connector_changed` trigger notifies), so `milepost connector outbound` takes
//! effect without a restart.

use super::breaker::BreakerPolicy;
use super::retry::RetryPolicy;
use super::runner::{QueueSpec, Runner, RunnerSettings};
use crate::connectors::odoo::client::OdooClient;
use crate::connectors::outbound::{self, Endpoint, Target};
use crate::connectors::webhooks::deliver::WebhookClients;
use crate::connectors::wms::release::WmsClient;
use crate::database::Heard;
use crate::jobs::context::WmsDelivery;
use crate::jobs::{
    AttachProofOfDeliveryInOdoo, CancelDeliveriesInOdoo, CloseActivityInOdoo,
    ConfirmDispatchInOdoo, CreateReturnInOdoo, DeliverWebhook, Intake, PostNoteInOdoo,
    PullOdooChanges, ReadOdooRecord, ReceiveReturnInOdoo, ReconcileInventoryInOdoo, ReconcileOdoo,
    ReshipInOdoo, SendInstructionToWms, Services, SubstituteInOdoo,
};
use crate::store::jobs::queue::subscription_queue;
use sqlx::PgPool;
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How the engine's queues run; tests shorten the waits.
#[derive(Debug, Clone, Copy, Default)]
pub struct EngineSettings {
    pub runner: RunnerSettings,
    pub retry: RetryPolicy,
    pub breaker: BreakerPolicy,
}

/// The runner for these endpoints: a queue each (and one per customer webhook subscription),
/// and every job type of the catalogue.
pub fn runner(
    endpoints: &[Endpoint],
    subscriptions: &[i64],
    pool: PgPool,
    intake: Arc<dyn Intake>,
    settings: EngineSettings,
) -> Runner {
    let spec = |name: &str, concurrency: usize| QueueSpec {
        retry: settings.retry,
        breaker: settings.breaker,
        ..QueueSpec::new(name, concurrency)
    };
    let mut services = Services {
        pool,
        webhooks: WebhookClients::new(Duration::from_secs(15)).expect("plain HTTP clients"),
        odoo: HashMap::new(),
        wms: HashMap::new(),
        intake,
    };
    let mut runner = Runner::new(settings.runner);
    for e in endpoints {
        match add_client(&mut services, e) {
            Ok(()) => runner = runner.queue(spec(&e.queue(), e.concurrency)),
            Err(error) => {
                tracing::error!(connector = %e.connector, %error, "cannot build the client; its queue does not run")
            }
        }
    }
    for id in subscriptions {
        runner = runner.queue(spec(&subscription_queue(*id), 2));
    }
    let services = Arc::new(services);
    runner
        .register::<SendInstructionToWms>(&services)
        .register::<ConfirmDispatchInOdoo>(&services)
        .register::<PostNoteInOdoo>(&services)
        .register::<CreateReturnInOdoo>(&services)
        .register::<SubstituteInOdoo>(&services)
        .register::<ReceiveReturnInOdoo>(&services)
        .register::<AttachProofOfDeliveryInOdoo>(&services)
        .register::<CloseActivityInOdoo>(&services)
        .register::<ReshipInOdoo>(&services)
        .register::<CancelDeliveriesInOdoo>(&services)
        .register::<ReconcileOdoo>(&services)
        .register::<ReconcileInventoryInOdoo>(&services)
        .register::<ReadOdooRecord>(&services)
        .register::<PullOdooChanges>(&services)
        .register::<DeliverWebhook>(&services)
}

/// The client of one endpoint, under its queue's name.
fn add_client(services: &mut Services, e: &Endpoint) -> Result<(), String> {
    match &e.target {
        Target::Odoo { config, .. } => {
            let client = OdooClient::new(config.clone()).map_err(|e| e.to_string())?;
            services
                .odoo
                .insert(e.queue(), (Arc::new(client), e.connector_id));
        }
        Target::Wms(config) => {
            let client = WmsClient::new(config.clone()).map_err(|e| e.to_string())?;
            services
                .wms
                .insert(e.queue(), WmsDelivery::Http(Arc::new(client)));
        }
        Target::WmsFolder(folder) => {
            services
                .wms
                .insert(e.queue(), WmsDelivery::Folder(Arc::new(folder.clone())));
        }
    }
    Ok(())
}

/// A cron expression (with seconds) that fires about every `every`: the nearest interval that
/// divides a minute or an hour, else hourly.
pub fn every(every: Duration) -> String {
    let secs = every.as_secs().max(1);
    let divides = |n: u64, of: u64| (1..=n).rev().find(|d| of.is_multiple_of(*d)).unwrap_or(1);
    if secs < 60 {
        format!("*/{} * * * * *", divides(secs, 60))
    } else if secs < 3600 {
        format!("0 */{} * * * *", divides(secs / 60, 60))
    } else {
        "0 0 * * * *".to_string()
    }
}

/// Defines each Odoo's pull and reconciliation schedules (idempotent: redefining moves nothing
/// twice); a reconciliation switched off loses its schedule.
async fn define_schedules(pool: &PgPool, endpoints: &[Endpoint]) {
    for e in endpoints {
        if let Target::Odoo {
            reconcile,
            quiet_after,
            apply_inventory,
            ..
        } = &e.target
        {
            let name = format!("odoo-reconcile:{}", e.connector);
            let defined = match reconcile {
                Some(cron) => {
                    let job = ReconcileOdoo {
                        quiet_hours: u32::try_from(quiet_after.as_secs() / 3600).unwrap_or(72),
                        apply_inventory: *apply_inventory,
                    };
                    super::schedules::define(pool, &name, &e.queue(), &job, cron).await
                }
                None => crate::store::jobs::schedules::remove_schedule(pool, &name)
                    .await
                    .map_err(anyhow::Error::from),
            };
            if let Err(error) = defined {
                tracing::warn!(%error, schedule = %name, "could not define the reconciliation schedule");
            }
        }
        if let Target::Odoo {
            poll_every: Some(interval),
            ..
        } = &e.target
        {
            let name = format!("odoo-pull:{}", e.connector);
            if let Err(error) = super::schedules::define(
                pool,
                &name,
                &e.queue(),
                &PullOdooChanges {},
                &every(*interval),
            )
            .await
            {
                tracing::warn!(%error, schedule = %name, "could not define the pull schedule");
            }
        }
    }
}

/// Runs the engine until `stop`, built again whenever a connector changes. Ends with an error
/// when its runner fails (a panic), for the process's supervisor to start it again.
pub async fn supervise(
    pool: PgPool,
    intake: Arc<dyn Intake>,
    settings: EngineSettings,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let changed = Arc::new(tokio::sync::Notify::new());
    let listener = {
        let (pool, changed, stop) = (pool.clone(), changed.clone(), stop.clone());
        tokio::spawn(async move {
            crate::database::follow(
                pool,
                "milepost_ingest_directory",
                stop.cancelled_owned(),
                |heard| {
                    if matches!(&heard, Heard::Notified(table) if table == "connector" || table == "webhook_subscription") {
                        changed.notify_one();
                    }
                },
            )
            .await
        })
    };
    while !stop.is_cancelled() {
        let endpoints = match crate::store::connectors::outbound_all(&pool).await {
            Ok(rows) => {
                let (good, bad) = outbound::endpoints(&rows);
                for error in bad {
                    tracing::warn!(%error, "a connector's outbound settings are unusable");
                }
                good
            }
            Err(error) => {
                tracing::warn!(%error, "could not read the connectors; trying again");
                tokio::select! {
                    _ = stop.cancelled() => break,
                    _ = tokio::time::sleep(Duration::from_secs(5)) => continue,
                }
            }
        };
        let subscriptions: Vec<i64> = match crate::store::webhooks::list(&pool).await {
            Ok(list) => list.iter().map(|s| s.subscription_id).collect(),
            Err(error) => {
                tracing::warn!(%error, "could not read the webhook subscriptions");
                Vec::new()
            }
        };
        define_schedules(&pool, &endpoints).await;
        tracing::info!(
            queues = endpoints.len(),
            webhooks = subscriptions.len(),
            "sync engine running"
        );
        let round = stop.child_token();
        let mut task = tokio::spawn(
            runner(
                &endpoints,
                &subscriptions,
                pool.clone(),
                intake.clone(),
                settings,
            )
            .run(pool.clone(), round.clone()),
        );
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = changed.notified() => tracing::info!("a connector changed; rebuilding the sync engine"),
            ended = &mut task => {
                listener.abort();
                anyhow::bail!("the job runner ended by itself ({})", match ended {
                    Err(e) if e.is_panic() => "it panicked",
                    _ => "without a stop",
                });
            }
        }
        round.cancel();
        let _ = task.await;
    }
    let _ = listener.await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::every;
    use std::time::Duration;

    #[test]
    fn poll_intervals_become_cron_expressions_that_divide_evenly() {
        assert_eq!(every(Duration::from_secs(15)), "*/15 * * * * *");
        assert_eq!(every(Duration::from_secs(7)), "*/6 * * * * *");
        assert_eq!(every(Duration::from_secs(300)), "0 */5 * * * *");
        assert_eq!(every(Duration::from_secs(7 * 60)), "0 */6 * * * *");
        assert_eq!(every(Duration::from_secs(86_400)), "0 0 * * * *");
    }
}
