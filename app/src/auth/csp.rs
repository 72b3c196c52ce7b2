//! The Content-Security-Policy of server-rendered pages.
//!
//! Leptos hydrates through one inline module script, so pages carry a fresh nonce per response and
//! allow scripts only from this origin or with that nonce. WebAssembly compilation needs
//! `'wasm-unsafe-eval'` (not `'unsafe-eval'`). Everything else is `'self'` or nothing. Responses
//! that are not pages get the stricter default set by the server's security-header layer.

use leptos::config::LeptosOptions;
use leptos::nonce::{provide_nonce, use_nonce};
use leptos::prelude::*;

/// The policy for a page whose inline scripts carry `nonce`. `reload_port` allows cargo-leptos's
/// live-reload socket during development only.
pub fn page_policy(nonce: &str, reload_port: Option<u32>) -> String {
    let connect = match reload_port {
        Some(port) => format!("'self' ws://127.0.0.1:{port} ws://localhost:{port}"),
        None => "'self'".to_string(),
    };
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src {connect}; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// Creates this response's nonce and sets the page's CSP header. Called from the shell, before
/// the hydration scripts read the nonce.
pub fn set_page_policy(options: &LeptosOptions) {
    provide_nonce();
    let Some(nonce) = use_nonce() else { return };
    let dev = matches!(options.env, leptos::config::Env::DEV);
    let policy = page_policy(&nonce, dev.then_some(options.reload_port));
    if let (Some(response), Ok(value)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&policy),
    ) {
        response.insert_header(http::header::CONTENT_SECURITY_POLICY, value);
    }
}

#[cfg(test)]
mod tests {
    use super::page_policy;

    #[test]
    fn the_page_policy_allows_only_this_origin_and_the_nonce() {
        let policy = page_policy("abc123", None);
        assert!(policy.contains("script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"));
        assert!(!policy.contains("unsafe-inline"));
        assert!(!policy.contains("'unsafe-eval'"));
        assert!(policy.contains("frame-ancestors 'none'"));
        assert!(!policy.contains("ws://"));
    }

    #[test]
    fn the_live_reload_socket_is_allowed_only_when_asked() {
        assert!(page_policy("n", Some(3001)).contains("ws://127.0.0.1:3001"));
    }
}
