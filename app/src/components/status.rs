//! Pages and notices for errors, with the right HTTP status when rendered on the server.

use crate::error::AppError;
use leptos::prelude::*;

/// Sets the HTTP status of a server-rendered page; a no-op in the browser.
pub fn set_status(code: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(options), Ok(status)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(code),
    ) {
        options.set_status(status);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = code;
}

/// 403: signed in, but this page is not for your role.
#[component]
pub fn Forbidden() -> impl IntoView {
    set_status(403);
    view! {
        <section class="status-page" data-status="403">
            <h1>"403: not for your role"</h1>
            <p>"You are signed in, but your role does not give access to this page."</p>
            <p>"Use the navigation to go to the pages you can open, or ask an administrator for access."</p>
        </section>
    }
}

/// An error from the server, in words.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    set_status(error.status());
    view! { <p class="notice notice-error" role="alert">{error.to_string()}</p> }
}

/// A form's outcome in words: nothing yet, `done` on success, or what to fix.
pub fn action_outcome<T, S>(value: S, done: &'static str) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    move || match value.get() {
        None => None,
        Some(Ok(_)) => {
            Some(view! { <p class="notice notice-ok" role="status">{done}</p> }.into_any())
        }
        Some(Err(AppError::Validation(fields))) => Some(
            view! { <p class="notice notice-error" role="alert">{fields.to_string()}</p> }
                .into_any(),
        ),
        Some(Err(e)) => Some(
            view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
        ),
    }
}
