//! HTTP layers around every route: request ids and tracing, security headers, the CSRF check,
//! and the status codes of server-function errors; plus the health endpoints.

pub mod csrf;
pub mod health;
pub mod live;
pub mod security_headers;
pub mod server_fn_status;
pub mod trace;
