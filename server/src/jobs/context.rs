//! What a job runs with: the services its sync engine built (the database, the clients of each
//! queue's endpoint, an HTTP client for customer webhooks, and the way back into intake), and
//! which attempt of which queue this is.

use crate::attempt::{Done, JobError};
use crate::connectors::odoo::client::OdooClient;
use crate::connectors::wms::release::{Instruction, WmsClient};
use crate::connectors::wms::x12_940::DropFolder;
use serde_json::Value;
use sqlx::PgPool;
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

/// Where a job hands a message it read from a partner, to be stored exactly as if the partner
/// had sent it (intake's pipeline implements it). A port, so jobs never import intake.
pub trait Intake: Send + Sync {
    /// Stores `body` as a message of connector `connector_id`, with its message id; returns
    /// intake's receipt.
    fn store<'a>(
        &'a self,
        connector_id: i64,
        body: Vec<u8>,
        message_id: String,
    ) -> Pin<Box<dyn Future<Output = Result<Value, IntakeError>> + Send + 'a>>;
}

/// Why intake did not store a message a job read.
#[derive(Debug, Clone, thiserror::Error)]
pub enum IntakeError {
    /// The message itself was refused (intake answered 4xx): retrying cannot help.
    #[error("the message was refused: {0}")]
    Refused(String),
    /// Storing failed (the database): worth retrying.
    #[error("storing the message failed: {0}")]
    Failed(String),
}

/// How a warehouse takes its instructions.
#[derive(Clone)]
pub enum WmsDelivery {
    Http(Arc<WmsClient>),
    Folder(Arc<DropFolder>),
}

impl WmsDelivery {
    pub async fn send(&self, i: &Instruction) -> Result<Done, JobError> {
        match self {
            WmsDelivery::Http(client) => client.send(i).await,
            WmsDelivery::Folder(folder) => folder.write(i).await,
        }
    }
}

/// Shared by every job one sync engine runs; built again when a connector changes.
pub struct Services {
    pub pool: PgPool,
    /// For customer webhooks: public targets, and private ones for the subscriptions an admin
    /// allowed (each Odoo and WMS client has its own settings).
    pub webhooks: crate::connectors::webhooks::deliver::WebhookClients,
    /// Each Odoo queue's client and its connector's id.
    pub odoo: HashMap<String, (Arc<OdooClient>, i64)>,
    /// Each WMS queue's way of taking instructions.
    pub wms: HashMap<String, WmsDelivery>,
    pub intake: Arc<dyn Intake>,
}

/// One attempt of one job.
pub struct JobContext<'a> {
    pub services: &'a Services,
    pub queue: &'a str,
    /// This attempt's number, from 1.
    pub attempt: i32,
    /// Attempts before the job is dead.
    pub max_attempts: i32,
}

// `JobError` carries the attempt's record by value, as every connector returns it; these two
// lookups return the same error so `?` works in a job's `run`.
#[allow(clippy::result_large_err)]
impl JobContext<'_> {
    pub fn pool(&self) -> &PgPool {
        &self.services.pool
    }

    /// The Odoo this job's queue calls, and its connector's id. A queue whose endpoint is gone
    /// waits (retried) until it is configured again.
    pub fn odoo(&self) -> Result<(&OdooClient, i64), JobError> {
        self.services
            .odoo
            .get(self.queue)
            .map(|(client, id)| (client.as_ref(), *id))
            .ok_or_else(|| self.missing("Odoo"))
    }

    /// The WMS this job's queue sends to (retried while it is not configured).
    pub fn wms(&self) -> Result<&WmsDelivery, JobError> {
        self.services
            .wms
            .get(self.queue)
            .ok_or_else(|| self.missing("WMS"))
    }

    fn missing(&self, system: &str) -> JobError {
        JobError::transient(format!("queue {} has no {system} configured", self.queue))
    }
}
