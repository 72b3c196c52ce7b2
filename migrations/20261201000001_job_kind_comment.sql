-- Migration 5 describes `job.kind` with example names that never shipped (`odoo.read_order`,
-- `wms.release`). Migrations are never edited once applied (sqlx checks their checksums), so the
-- description is corrected where a reader of the schema sees it.
comment on column job.kind is
    'The job''s type, one per payload shape: the catalogue is server/src/jobs/mod.rs (wms.instruction, odoo.read, odoo.pull, odoo.dispatch, odoo.note, odoo.return, odoo.inventory, webhook.deliver).';
