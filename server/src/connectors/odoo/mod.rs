//! Odoo, over JSON-RPC (`/jsonrpc`, `execute_kw`, Odoo 14 to 19) or JSON-2 (`/json/2/<model>/
//! <method>`, Odoo 19, bearer API key), chosen by configuration. `client` makes calls and reads
//! Odoo's error shapes as recorded from a real Odoo 19 (`../shared/fixtures/odoo19`); `calls`
//! keeps a job's calls for its attempt log; `read` reads orders (trigger and pull),
//! `writeback` writes a dispatch onto the delivery picking, `notes` posts chatter and activities,
//! `inventory` compares a warehouse snapshot with `stock.quant` (and applies it, if configured),
//! `returns` creates the return picking of an authorized return, `substitutions` adds a
//! warehouse's substitute to the delivery, `pod` attaches a carrier's proof of delivery, `decisions` carries exception-queue decisions
//! (activity done, reship, cancel) into Odoo.

pub mod calls;
pub mod client;
pub mod decisions;
pub mod inventory;
pub mod notes;
pub mod pod;
pub mod read;
pub mod returns;
pub mod substitutions;
pub mod writeback;

/// A record in Odoo, e.g. `sale.order` 28: what an automation-rule webhook points at, and what a
/// read fetches.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RecordRef {
    pub model: String,
    pub id: i64,
}

/// The `_action` Milepost puts on a record it read itself, so intake's Odoo adapter tells it from
/// a webhook.
pub const READ_ACTION: &str = "milepost.read";
