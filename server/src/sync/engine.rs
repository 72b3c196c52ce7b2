//! The sync engine's wiring: every connector Milepost calls becomes a queue with its client,
//! each job kind gets its handler, and each Odoo with a poll interval gets its pull schedule.
//! `supervise` runs it and builds it again when a connector changes (the `connector_changed`
//! trigger notifies), so `milepost connector outbound` takes effect without a restart.
//!
//! | kind | payload | does |
//! |---|---|---|
//! | `wms.instruction` | `wms::release::Instruction` | POST the release contract to the WMS, or write an X12 940 into its drop folder |
//! | `odoo.read` | `{model, id}` | read the order (trigger), store it through the ingest pipeline |
//! | `odoo.pull` | `{}` | enqueue reads of orders changed since the cursor, move the cursor |
//! | `odoo.dispatch` | `odoo::writeback::Dispatch` | tracking, quantities, validation |
//! | `odoo.note` | `odoo::notes::Note` | chatter note, activity for exceptions |
//! | `odoo.return` | `odoo::returns::ReturnRequest` | the return picking through Odoo's wizard |
//! | `odoo.inventory` | `odoo::inventory::Snapshot` | compare with `stock.quant`, apply if configured |
//! | `webhook.deliver` | `{subscription_id, event_id}` | the event to a customer's URL, signed |

use super::breaker::BreakerPolicy;
use super::connectors::odoo::calls::Exchanges;
use super::connectors::odoo::client::OdooClient;
use super::connectors::odoo::read::{self, PULL, READ};
use super::connectors::odoo::{inventory, notes, returns, writeback};
use super::connectors::outbound::{self, Endpoint, Target};
use super::connectors::wms::release::{Instruction, WmsClient};
use super::connectors::wms::x12_940::DropFolder;
use super::outbox::{ODOO_DISPATCH, ODOO_INVENTORY, ODOO_NOTE, ODOO_RETURN, WMS_INSTRUCTION};
use super::retry::{JobError, RetryPolicy};
use super::runner::{Done, QueueSpec, Runner, RunnerSettings};
use crate::database::Heard;
use crate::ingest::adapters::{self, RecordRef};
use crate::ingest::connector::Connector;
use crate::ingest::pipeline::{self, Inbound};
use crate::ingest::writer::Writer;
use app::store::jobs::{self, ClaimedJob, NewJob};
use chrono::Utc;
use serde::de::DeserializeOwned;
use serde_json::json;
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

/// The clients of the endpoints, by queue.
#[derive(Default)]
struct Clients {
    odoo: HashMap<String, (Arc<OdooClient>, i64)>,
    wms: HashMap<String, WmsDelivery>,
}

/// How a warehouse takes its instructions.
#[derive(Clone)]
enum WmsDelivery {
    Http(Arc<WmsClient>),
    Folder(Arc<DropFolder>),
}

impl WmsDelivery {
    async fn send(&self, i: &Instruction) -> Result<Done, JobError> {
        match self {
            WmsDelivery::Http(client) => client.send(i).await,
            WmsDelivery::Folder(folder) => folder.write(i).await,
        }
    }
}

impl Clients {
    /// A job on a queue whose endpoint is gone waits (retried) until it is configured again.
    fn missing(queue: &str, system: &str) -> JobError {
        JobError::transient(format!("queue {queue} has no {system} configured"))
    }

    fn odoo(&self, queue: &str) -> Option<(Arc<OdooClient>, i64)> {
        self.odoo.get(queue).cloned()
    }

    fn wms(&self, queue: &str) -> Option<WmsDelivery> {
        self.wms.get(queue).cloned()
    }
}

/// The job's payload as its kind's type; a payload that cannot be read is a dead letter (an
/// operator may edit it and replay).
fn payload<T: DeserializeOwned>(job: &ClaimedJob) -> Result<T, String> {
    serde_json::from_value(job.payload.clone())
        .map_err(|e| format!("the {} job's payload cannot be read: {e}", job.kind))
}

/// The runner for these endpoints: a queue each, and every job kind's handler.
pub fn runner(
    endpoints: &[Endpoint],
    subscriptions: &[i64],
    pool: PgPool,
    writer: Writer,
    settings: EngineSettings,
) -> Runner {
    let mut clients = Clients::default();
    let mut runner = Runner::new(settings.runner);
    for e in endpoints {
        let built = match &e.target {
            Target::Odoo { config, .. } => OdooClient::new(config.clone())
                .map(|c| {
                    clients
                        .odoo
                        .insert(e.queue(), (Arc::new(c), e.connector_id));
                })
                .map_err(|e| e.to_string()),
            Target::Wms(config) => WmsClient::new(config.clone())
                .map(|c| {
                    clients
                        .wms
                        .insert(e.queue(), WmsDelivery::Http(Arc::new(c)));
                })
                .map_err(|e| e.to_string()),
            Target::WmsFolder(folder) => {
                clients
                    .wms
                    .insert(e.queue(), WmsDelivery::Folder(Arc::new(folder.clone())));
                Ok(())
            }
        };
        match built {
            Ok(()) => {
                runner = runner.queue(QueueSpec {
                    retry: settings.retry,
                    breaker: settings.breaker,
                    ..QueueSpec::new(&e.queue(), e.concurrency)
                })
            }
            Err(error) => {
                tracing::error!(connector = %e.connector, %error, "cannot build the client; its queue does not run")
            }
        }
    }
    for id in subscriptions {
        runner = runner.queue(QueueSpec {
            retry: settings.retry,
            breaker: settings.breaker,
            ..QueueSpec::new(&app::store::webhooks::queue_of(*id), 2)
        });
    }
    let clients = Arc::new(clients);
    let (p, http) = (
        pool.clone(),
        reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .expect("a plain HTTP client"),
    );
    runner = runner.handle(app::store::webhooks::DELIVER, move |job: ClaimedJob| {
        let (pool, http) = (p.clone(), http.clone());
        async move { super::connectors::webhooks::deliver::deliver(&pool, &http, &job).await }
    });

    let c = clients.clone();
    runner = runner.handle(WMS_INSTRUCTION, move |job: ClaimedJob| {
        let c = c.clone();
        async move {
            let instruction: Instruction = payload(&job).map_err(JobError::fatal)?;
            c.wms(&job.queue)
                .ok_or_else(|| Clients::missing(&job.queue, "WMS"))?
                .send(&instruction)
                .await
        }
    });
    let c = clients.clone();
    runner = runner.handle(ODOO_DISPATCH, move |job: ClaimedJob| {
        let c = c.clone();
        async move {
            let d: writeback::Dispatch = payload(&job).map_err(JobError::fatal)?;
            writeback::dispatch(
                &c.odoo(&job.queue)
                    .ok_or_else(|| Clients::missing(&job.queue, "Odoo"))?
                    .0,
                &d,
            )
            .await
        }
    });
    let c = clients.clone();
    runner = runner.handle(ODOO_NOTE, move |job: ClaimedJob| {
        let c = c.clone();
        async move {
            let n: notes::Note = payload(&job).map_err(JobError::fatal)?;
            notes::post(
                &c.odoo(&job.queue)
                    .ok_or_else(|| Clients::missing(&job.queue, "Odoo"))?
                    .0,
                &n,
            )
            .await
        }
    });
    let c = clients.clone();
    runner = runner.handle(ODOO_RETURN, move |job: ClaimedJob| {
        let c = c.clone();
        async move {
            let r: returns::ReturnRequest = payload(&job).map_err(JobError::fatal)?;
            let odoo = c
                .odoo(&job.queue)
                .ok_or_else(|| Clients::missing(&job.queue, "Odoo"))?;
            returns::create_return(&odoo.0, &r).await
        }
    });
    let c = clients.clone();
    runner = runner.handle(ODOO_INVENTORY, move |job: ClaimedJob| {
        let c = c.clone();
        async move {
            let s: inventory::Snapshot = payload(&job).map_err(JobError::fatal)?;
            let odoo = c
                .odoo(&job.queue)
                .ok_or_else(|| Clients::missing(&job.queue, "Odoo"))?;
            inventory::reconcile(&odoo.0, &s).await
        }
    });
    let (c, p) = (clients.clone(), pool.clone());
    runner = runner.handle(READ, move |job: ClaimedJob| {
        let (c, pool, writer) = (c.clone(), p.clone(), writer.clone());
        async move {
            let record: RecordRef = payload(&job).map_err(JobError::fatal)?;
            let (odoo, connector_id) = c
                .odoo(&job.queue)
                .ok_or_else(|| Clients::missing(&job.queue, "Odoo"))?;
            read_and_store(&odoo, connector_id, &record, &pool, &writer).await
        }
    });
    let (c, p) = (clients, pool);
    runner.handle(PULL, move |job: ClaimedJob| {
        let (c, pool) = (c.clone(), p.clone());
        async move {
            let (odoo, connector_id) = c
                .odoo(&job.queue)
                .ok_or_else(|| Clients::missing(&job.queue, "Odoo"))?;
            pull(&odoo, connector_id, &job.queue, &pool).await
        }
    })
}

/// An `odoo.read`: the order as Odoo has it now, stored as a message of the Odoo connector.
async fn read_and_store(
    odoo: &OdooClient,
    connector_id: i64,
    record: &RecordRef,
    pool: &PgPool,
    writer: &Writer,
) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let Some(order) = read::read_order(odoo, &mut x, record).await? else {
        let mut done = Done { record: x.record() };
        done.record.error = Some(format!(
            "{} {} is not an order Milepost follows (no sale order)",
            record.model, record.id
        ));
        return Ok(done);
    };
    let stored = app::store::connectors::list(pool)
        .await
        .map_err(|e| JobError::transient(format!("reading the connector: {e}")))?
        .into_iter()
        .find(|c| c.connector_id == connector_id)
        .ok_or_else(|| JobError::fatal(format!("connector {connector_id} no longer exists")))?;
    let connector = Connector::try_from(stored).map_err(|e| JobError::fatal(e.to_string()))?;
    let body = serde_json::to_vec(&order).expect("JSON values serialize");
    let inbound = Inbound {
        connector: &connector,
        body: &body,
        content_type: Some("application/json"),
        headers: json!({"x-milepost-source": "odoo.read"}),
        header_message_id: Some(read::read_message_id(&order)),
        received_at: Utc::now(),
    };
    let parsed = adapters::parse(connector.format, &connector.origin, &body);
    let mut done = Done { record: x.record() };
    match pipeline::ingest(writer, &inbound, parsed).await {
        Ok(receipt) => {
            done.record.response =
                Some(json!({"odoo": done.record.response.take(), "stored": receipt}));
            Ok(done)
        }
        Err(error) if error.status().is_client_error() => Err(JobError {
            record: done.record,
            ..JobError::fatal(format!("the order Odoo returned was refused: {error}"))
        }),
        Err(error) => Err(JobError {
            record: done.record,
            ..JobError::transient(format!("storing the order failed: {error}"))
        }),
    }
}

/// An `odoo.pull`: a deduplicated read per changed order, and the cursor, in one transaction.
async fn pull(
    odoo: &OdooClient,
    connector_id: i64,
    queue: &str,
    pool: &PgPool,
) -> Result<Done, JobError> {
    let db = |e: sqlx::Error| JobError::transient(format!("database: {e}"));
    let cursor = jobs::cursor(pool, connector_id, "sale.order")
        .await
        .map_err(db)?
        .unwrap_or_else(|| {
            Utc::now() - chrono::Duration::from_std(read::FIRST_PULL_LOOKBACK).expect("a day")
        });
    let mut x = Exchanges::default();
    let (ids, newest) = read::changed_orders(odoo, &mut x, cursor).await?;
    let reads: Vec<NewJob> = ids
        .iter()
        .map(|id| NewJob {
            queue: queue.to_string(),
            kind: READ.to_string(),
            payload: json!({"model": "sale.order", "id": id}),
            dedupe_key: Some(format!("read:sale.order:{id}")),
            ..NewJob::default()
        })
        .collect();
    let mut tx = pool.begin().await.map_err(db)?;
    let enqueued = jobs::enqueue_many(&mut tx, &reads).await.map_err(db)?;
    jobs::save_cursor(&mut *tx, connector_id, "sale.order", newest)
        .await
        .map_err(db)?;
    tx.commit().await.map_err(db)?;
    let mut done = Done { record: x.record() };
    done.record.error = None;
    done.record.response = Some(json!({"changed": ids.len(), "reads_enqueued": enqueued,
                                       "cursor": newest.to_rfc3339(), "odoo": done.record.response.take()}));
    Ok(done)
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

/// Defines each Odoo's pull schedule (idempotent: redefining moves nothing twice).
async fn define_schedules(pool: &PgPool, endpoints: &[Endpoint]) {
    for e in endpoints {
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
                PULL,
                json!({}),
                &every(*interval),
            )
            .await
            {
                tracing::warn!(%error, schedule = %name, "could not define the pull schedule");
            }
        }
    }
}

/// Runs the engine until `stop`, built again whenever a connector changes.
pub async fn supervise(
    pool: PgPool,
    writer: Writer,
    settings: EngineSettings,
    stop: CancellationToken,
) {
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
        let endpoints = match app::store::connectors::outbound_all(&pool).await {
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
        let subscriptions: Vec<i64> = match app::store::webhooks::list(&pool).await {
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
        let task = tokio::spawn(
            runner(
                &endpoints,
                &subscriptions,
                pool.clone(),
                writer.clone(),
                settings,
            )
            .run(pool.clone(), round.clone()),
        );
        tokio::select! {
            _ = stop.cancelled() => {}
            _ = changed.notified() => tracing::info!("a connector changed; rebuilding the sync engine"),
        }
        round.cancel();
        let _ = task.await;
    }
    let _ = listener.await;
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
