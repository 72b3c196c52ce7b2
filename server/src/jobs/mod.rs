//! The job catalogue: every kind of work Milepost does for another system, one type per job and
//! one file each (crates.io's `BackgroundJob` pattern). A job's type is its payload; its kind is
//! a constant (`JobPayload::KIND`, stored in `job.kind`); its `run` does the work through its
//! connector. `NewJob::new(queue, &job)` is the only way to enqueue one, so a payload that does
//! not match its kind does not compile. The sync engine registers each type once
//! (`runner.register::<ConfirmDispatchInOdoo>(&services)`).
//!
//! | kind | job | does |
//! |---|---|---|
//! | `wms.instruction` | `SendInstructionToWms` | POST the release contract to the WMS, or write an X12 940 into its drop folder |
//! | `odoo.read` | `ReadOdooRecord` | read the order (trigger) and store it through intake |
//! | `odoo.pull` | `PullOdooChanges` | enqueue reads of orders changed since the cursor, move the cursor |
//! | `odoo.dispatch` | `ConfirmDispatchInOdoo` | tracking, quantities, validation of the delivery picking |
//! | `odoo.pod` | `AttachProofOfDeliveryInOdoo` | signature and photos attached to the delivery, signer and time noted |
//! | `odoo.note` | `PostNoteInOdoo` | chatter note, activity for exceptions |
//! | `odoo.return` | `CreateReturnInOdoo` | the return picking through Odoo's wizard |
//! | `odoo.return_receipt` | `ReceiveReturnInOdoo` | the return picking validated with what was received, its condition noted |
//! | `odoo.substitution` | `SubstituteInOdoo` | the substitute as a new move on the delivery, the original reduced, a note |
//! | `odoo.activity_done` | `CloseActivityInOdoo` | a case resolved in Milepost: its Odoo activity marked done |
//! | `odoo.reship` | `ReshipInOdoo` | a reship decision: the replacement delivery in Odoo |
//! | `odoo.cancel_delivery` | `CancelDeliveriesInOdoo` | a cancellation decision: the open deliveries cancelled |
//! | `odoo.reconcile` | `ReconcileOdoo` | nightly: open deliveries vs orders (reads to repair), stock again, quiet shipments; a report |
//! | `odoo.inventory` | `ReconcileInventoryInOdoo` | compare with `stock.quant`, apply if configured |
//! | `webhook.deliver` | `DeliverWebhook` | the event to a customer's URL, signed |
//!
//! Who enqueues them: the projector's outbox (`projector::outbox`), decisions on the exception
//! queue (`projector::decisions`), intake (a webhook that only
//! points at an Odoo record asks for a `ReadOdooRecord`), a pull, and the schedules. Each job is
//! idempotent: a lease that runs out runs it again, so each checks before it acts.
//!
//! This module sits below intake, the projector and sync: it imports connectors and the store,
//! never those three. A job that must store what it read goes through the `Intake` port
//! (`context`), which intake implements.

pub mod context;

mod attach_proof_of_delivery_in_odoo;
mod cancel_deliveries_in_odoo;
mod close_activity_in_odoo;
mod confirm_dispatch_in_odoo;
mod create_return_in_odoo;
mod deliver_webhook;
mod post_note_in_odoo;
pub mod pull_odoo_changes;
mod read_odoo_record;
mod receive_return_in_odoo;
mod reconcile_inventory_in_odoo;
mod reconcile_odoo;
mod reship_in_odoo;
mod send_instruction_to_wms;
mod substitute_in_odoo;

pub use attach_proof_of_delivery_in_odoo::AttachProofOfDeliveryInOdoo;
pub use cancel_deliveries_in_odoo::CancelDeliveriesInOdoo;
pub use close_activity_in_odoo::CloseActivityInOdoo;
pub use confirm_dispatch_in_odoo::ConfirmDispatchInOdoo;
pub use context::{Intake, IntakeError, JobContext, Services};
pub use create_return_in_odoo::CreateReturnInOdoo;
pub use deliver_webhook::DeliverWebhook;
pub use post_note_in_odoo::PostNoteInOdoo;
pub use pull_odoo_changes::PullOdooChanges;
pub use read_odoo_record::ReadOdooRecord;
pub use receive_return_in_odoo::ReceiveReturnInOdoo;
pub use reconcile_inventory_in_odoo::ReconcileInventoryInOdoo;
pub use reconcile_odoo::ReconcileOdoo;
pub use reship_in_odoo::ReshipInOdoo;
pub use send_instruction_to_wms::SendInstructionToWms;
pub use substitute_in_odoo::SubstituteInOdoo;

use crate::attempt::{Done, JobError};
use crate::store::jobs::queue::JobPayload;
use serde::de::DeserializeOwned;
use std::future::Future;

/// A kind of job the sync engine runs. Called again for the same job after a crash or a retry:
/// `run` must check whether its effect already happened before causing it.
pub trait BackgroundJob: JobPayload + DeserializeOwned + Send + Sync + 'static {
    fn run(&self, ctx: &JobContext<'_>) -> impl Future<Output = Result<Done, JobError>> + Send;
}
