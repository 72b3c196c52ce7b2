//! Milepost's integration tests in one binary: each module links the same server once, instead of
//! one binary per file each linking the whole server (zero2prod's layout). `support` starts the
//! real application on port 0 against a fresh database, with typed helpers.
//!
//! Names end in what they exercise: `_http` through the HTTP API of the running app, `_db` against
//! the store and workers directly, `cli` the `milepost` binary, `embedded_pg` the embedded Postgres.

mod support;

mod access_http;
mod account_scope_db;
mod alerts_http;
mod arrival_order_db;
mod attacks_http;
mod auth_http;
mod authz_matrix_http;
mod cli;
mod correlation_http;
mod customer_webhooks_db;
mod dashboard_http;
mod disputes_http;
mod embedded_pg;
mod exceptions_http;
mod exports_http;
mod fuzz_http;
mod held_release_db;
mod ingest_http;
mod ingest_writer_db;
mod integrations_http;
mod metrics_http;
mod odoo_client_http;
mod odoo_decisions_http;
mod odoo_inventory_returns_http;
mod odoo_pod_http;
mod odoo_reads_http;
mod odoo_return_receipt_http;
mod odoo_substitution_http;
mod odoo_versions_http;
mod odoo_writeback_http;
mod operations_http;
mod orders_http;
mod pages_http;
mod published_reports_http;
mod reconciliation_http;
mod reports_http;
mod retention_db;
mod scale_out;
mod sla_admin_http;
mod sla_db;
mod store_db;
mod substitution_return_flow_http;
mod supervision_http;
mod sync_flow_http;
mod sync_jobs_db;
mod wms_release_http;
mod x12_940_roundtrip;
