//! Odoo, over JSON-RPC (`/jsonrpc`, `execute_kw`, Odoo 14 to 19) or JSON-2 (`/json/2/<model>/
//! <method>`, Odoo 19, bearer API key), chosen by configuration. `client` makes calls and reads
//! Odoo's error shapes as recorded from a real Odoo 19 (`../shared/fixtures/odoo19`).

pub mod client;
pub mod writeback;
