//! `DeliverWebhook` (`webhook.deliver`).

use super::{BackgroundJob, JobContext};
use crate::attempt::{Done, JobError};
use crate::connectors::webhooks::deliver::{self, AttemptNumber, Delivery};
use crate::store::jobs::queue::JobPayload;
use serde::{Deserialize, Serialize};

/// An applied event delivered to one customer webhook subscription, signed (Standard Webhooks);
/// the subscription is paused with a notice when a delivery gives up. Enqueued in bulk by the
/// projector (`store::webhooks::enqueue_deliveries` builds this payload in SQL).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DeliverWebhook(pub Delivery);

impl JobPayload for DeliverWebhook {
    const KIND: &'static str = "webhook.deliver";
}

impl BackgroundJob for DeliverWebhook {
    async fn run(&self, ctx: &JobContext<'_>) -> Result<Done, JobError> {
        let n = AttemptNumber {
            attempt: ctx.attempt,
            of: ctx.max_attempts,
        };
        deliver::deliver(ctx.pool(), &ctx.services.webhooks, &self.0, n).await
    }
}
