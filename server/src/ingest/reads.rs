//! Messages Milepost reads itself (a job's read of an Odoo order), stored through the same
//! pipeline as a message the partner sent: this is intake's side of the `jobs::Intake` port, so
//! the jobs that read never import intake.

use super::adapters;
use super::connector::Connector;
use super::pipeline::{self, Inbound};
use super::writer::Writer;
use crate::jobs::{Intake, IntakeError};
use crate::store::connectors;
use chrono::Utc;
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;

/// Intake for what jobs read: a message of the connector it was read from.
#[derive(Clone)]
pub struct ReadIntake {
    writer: Writer,
}

impl ReadIntake {
    pub fn new(writer: Writer) -> Self {
        Self { writer }
    }

    async fn store_read(
        &self,
        connector_id: i64,
        body: Vec<u8>,
        message_id: String,
    ) -> Result<Value, IntakeError> {
        let stored = connectors::list(self.writer.pool())
            .await
            .map_err(|e| IntakeError::Failed(format!("reading the connector: {e}")))?
            .into_iter()
            .find(|c| c.connector_id == connector_id)
            .ok_or_else(|| {
                IntakeError::Refused(format!("connector {connector_id} no longer exists"))
            })?;
        let connector =
            Connector::try_from(stored).map_err(|e| IntakeError::Refused(e.to_string()))?;
        let inbound = Inbound {
            connector: &connector,
            body: &body,
            content_type: Some("application/json"),
            // The read joins the chain of the job that made it (a new one outside a job).
            headers: json!({"x-milepost-source": "odoo.read",
                            "x-correlation-id": crate::correlation::current()
                                .unwrap_or_else(|| uuid::Uuid::new_v4().to_string())}),
            header_message_id: Some(message_id),
            received_at: Utc::now(),
        };
        let parsed = adapters::parse(connector.format, &connector.origin, &body);
        match pipeline::ingest(&self.writer, &inbound, parsed).await {
            Ok(receipt) => Ok(serde_json::to_value(receipt).expect("a receipt serializes")),
            Err(error) if error.status().is_client_error() => {
                Err(IntakeError::Refused(error.to_string()))
            }
            Err(error) => Err(IntakeError::Failed(error.to_string())),
        }
    }
}

impl Intake for ReadIntake {
    fn store<'a>(
        &'a self,
        connector_id: i64,
        body: Vec<u8>,
        message_id: String,
    ) -> Pin<Box<dyn Future<Output = Result<Value, IntakeError>> + Send + 'a>> {
        Box::pin(self.store_read(connector_id, body, message_id))
    }
}
