//! SLA storage as the pages read and edit it, one module per table group: `calendars` and
//! `policies` (the rules, edited on the SLA settings page) and `clocks` (an order's clocks for
//! its page). What the projector writes (clocks, KPI shares, rollups, cases) is the server's
//! (`server::store::sla`).

pub mod calendars;
pub mod clocks;
pub mod policies;
