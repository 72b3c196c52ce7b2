//! CSRF defence for every state-changing request: the browser's `Origin` (or, failing that,
//! `Sec-Fetch-Site`) must say the request comes from this site. Session cookies are also
//! `SameSite=Lax`, so a cross-site POST carries no session in the first place; this check is the
//! second wall. Requests with neither header come from non-browser clients, which cannot be made
//! to carry a victim's cookies, and are let through.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::{header, Method, StatusCode};
use serde_json::json;
use std::sync::Arc;
use url::Url;

/// The origins a state-changing request may come from besides the request's own host.
#[derive(Clone, Debug)]
pub struct AllowedOrigins {
    public_origin: String,
}

impl AllowedOrigins {
    pub fn new(public_url: &Url) -> Arc<Self> {
        Arc::new(Self {
            public_origin: public_url.origin().ascii_serialization(),
        })
    }
}

/// Whether a request with these headers may change state.
pub fn is_allowed(
    method: &Method,
    origin: Option<&str>,
    fetch_site: Option<&str>,
    host: Option<&str>,
    allowed: &AllowedOrigins,
) -> bool {
    if matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    ) {
        return true;
    }
    match origin {
        // Some privacy modes send `Origin: null`; it cannot be trusted.
        Some("null") => false,
        Some(origin) => {
            if origin == allowed.public_origin {
                return true;
            }
            // Same origin as the request itself (e.g. http://localhost:3000 during development).
            match (Url::parse(origin), host) {
                (Ok(url), Some(host)) => {
                    let origin_host = match url.port() {
                        Some(port) => format!("{}:{port}", url.host_str().unwrap_or_default()),
                        None => url.host_str().unwrap_or_default().to_string(),
                    };
                    origin_host.eq_ignore_ascii_case(host)
                }
                _ => false,
            }
        }
        None => !matches!(fetch_site, Some("cross-site") | Some("same-site")),
    }
}

pub async fn check(
    State(allowed): State<Arc<AllowedOrigins>>,
    req: Request,
    next: Next,
) -> Response {
    let headers = req.headers();
    let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if is_allowed(
        req.method(),
        get(header::ORIGIN.as_str()),
        get("sec-fetch-site"),
        get(header::HOST.as_str()),
        &allowed,
    ) {
        return next.run(req).await;
    }
    tracing::warn!(http.path = %req.uri().path(), origin = ?get("origin"), "cross-site request refused");
    let body = json!({ "error": {
        "code": "cross_site_request",
        "message": "This request did not come from a Milepost page, so it was refused. Reload the page and try again.",
        "details": {}
    }});
    (StatusCode::FORBIDDEN, Json(body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> Arc<AllowedOrigins> {
        AllowedOrigins::new(&Url::parse("https://milepost.example.com").unwrap())
    }

    #[test]
    fn reads_are_never_blocked() {
        assert!(is_allowed(
            &Method::GET,
            Some("https://evil.example"),
            Some("cross-site"),
            None,
            &allowed()
        ));
    }

    #[test]
    fn a_post_from_the_public_origin_or_the_requested_host_passes() {
        assert!(is_allowed(
            &Method::POST,
            Some("https://milepost.example.com"),
            None,
            None,
            &allowed()
        ));
        assert!(is_allowed(
            &Method::POST,
            Some("http://localhost:3000"),
            None,
            Some("localhost:3000"),
            &allowed()
        ));
    }

    #[test]
    fn a_post_from_another_origin_is_refused() {
        assert!(!is_allowed(
            &Method::POST,
            Some("https://evil.example"),
            None,
            Some("milepost.example.com"),
            &allowed()
        ));
        assert!(!is_allowed(
            &Method::POST,
            Some("http://localhost:3001"),
            None,
            Some("localhost:3000"),
            &allowed()
        ));
        assert!(!is_allowed(
            &Method::POST,
            Some("null"),
            None,
            Some("localhost:3000"),
            &allowed()
        ));
    }

    #[test]
    fn without_origin_a_cross_site_fetch_is_refused_but_a_plain_client_passes() {
        assert!(!is_allowed(
            &Method::POST,
            None,
            Some("cross-site"),
            None,
            &allowed()
        ));
        assert!(is_allowed(
            &Method::POST,
            None,
            Some("same-origin"),
            None,
            &allowed()
        ));
        assert!(is_allowed(&Method::DELETE, None, None, None, &allowed()));
    }
}
