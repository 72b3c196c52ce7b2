//! One correlation id across systems. Every inbound message has one (the sender's
//! `X-Correlation-Id`, else its request id, else one Milepost makes); its events carry it, the
//! jobs they cause carry it, and each job attempt runs in its scope, so every outbound call
//! (Odoo, the WMS, customer webhooks) sends it as `X-Correlation-Id`, the Odoo chatter note
//! names it, and every log line of the attempt shows it.

use std::future::Future;

/// The header it travels in, both ways.
pub const HEADER: &str = "x-correlation-id";

/// The longest correlation id kept; a longer one is cut (it is an identifier, not a payload).
pub const MAX_LEN: usize = 128;

tokio::task_local! {
    static CURRENT: String;
}

/// Runs `work` with `id` as the current correlation id (none: runs it as is).
pub async fn scope<F: Future>(id: Option<String>, work: F) -> F::Output {
    match id {
        Some(id) => CURRENT.scope(id, work).await,
        None => work.await,
    }
}

/// The correlation id of the work under way, if any.
pub fn current() -> Option<String> {
    CURRENT.try_with(|id| id.clone()).ok()
}

/// Adds the current correlation id to an outbound request.
pub fn tag(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    match current() {
        Some(id) => request.header(HEADER, id),
        None => request,
    }
}

/// A correlation id as received: printable ASCII without spaces, at most `MAX_LEN` long; an
/// empty or unusable one is none.
pub fn clean(raw: &str) -> Option<String> {
    let id: String = raw
        .trim()
        .chars()
        .filter(|c| c.is_ascii_graphic())
        .take(MAX_LEN)
        .collect();
    (!id.is_empty()).then_some(id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_scope_sets_the_current_id_and_only_inside() {
        assert_eq!(current(), None);
        let inside = scope(Some("abc-1".into()), async { current() }).await;
        assert_eq!(inside.as_deref(), Some("abc-1"));
        assert_eq!(scope(None, async { current() }).await, None);
    }

    #[test]
    fn ids_are_cleaned_and_bounded() {
        assert_eq!(clean("  req-42 ").as_deref(), Some("req-42"));
        assert_eq!(clean("a b\nc").as_deref(), Some("abc"));
        assert_eq!(clean("   "), None);
        assert_eq!(clean(&"x".repeat(500)).unwrap().len(), MAX_LEN);
    }
}
