//! HTTP layers around every route: request ids and tracing, security headers, the CSRF check,
//! and the status codes of server-function errors; plus the health endpoints, live updates and
//! the CSV downloads.

pub mod csrf;
pub mod export;
pub mod health;
pub mod live;
pub mod metrics;
pub mod security_headers;
pub mod server_fn_status;
pub mod trace;
