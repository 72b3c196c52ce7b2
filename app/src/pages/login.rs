//! `/login`: the sign-in form.

use crate::components::Auth;
use crate::domain::Section;
use crate::error::AppError;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

/// Where to go after signing in: `next` when it is a path on this site (and, checked by the
/// caller, one the role may open), else the role's home.
/// Anything else (`//evil.example`, `https://...`) is ignored, so the link cannot send people away.
/// Browsers drop tabs and newlines from URLs before reading them (`/\t/evil.example` is
/// `//evil.example` to them), and read `\` as `/`: a path with either, with any other control
/// character or whitespace, is refused whole rather than cleaned.
pub fn safe_next(next: Option<String>) -> Option<String> {
    next.filter(|n| {
        n.starts_with('/')
            && !n.starts_with("//")
            && !n.contains('\\')
            && !n.chars().any(|c| c.is_control() || c.is_whitespace())
    })
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    let query = use_query_map();
    let show_password = RwSignal::new(false);
    let error = move || match auth.login.value().get() {
        Some(Err(AppError::Validation(fields))) => Some(fields.to_string()),
        Some(Err(e)) => Some(e.to_string()),
        _ => None,
    };
    let form = move || {
        view! {
            <main class="login">
                <h1>"Milepost"</h1>
                <p class="lead">"Sign in to see your orders and their promises."</p>
                <ActionForm action=auth.login attr:class="stack" attr:id="login-form">
                    <label for="email">"Email"</label>
                    <input id="email" type="email" name="email" autocomplete="username" required autofocus/>
                    <label for="password">"Password"</label>
                    <span class="password-row">
                        <input
                            id="password"
                            type=move || if show_password.get() { "text" } else { "password" }
                            name="password"
                            autocomplete="current-password"
                            required
                        />
                        <button
                            type="button"
                            class="link-button"
                            id="toggle-password"
                            aria-controls="password"
                            aria-pressed=move || show_password.get().to_string()
                            on:click=move |_| show_password.update(|s| *s = !*s)
                        >
                            {move || if show_password.get() { "Hide" } else { "Show" }}
                        </button>
                    </span>
                    {move || error().map(|e| view! { <p class="notice notice-error" role="alert">{e}</p> })}
                    <button type="submit" class="primary" disabled=move || auth.login.pending().get()>
                        "Sign in"
                    </button>
                </ActionForm>
            </main>
        }
    };
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => {
                        let next = safe_next(query.with_untracked(|q| q.get("next")))
                            .filter(|path| Section::of_path(path).is_none_or(|s| user.role.may_open(s)))
                            .unwrap_or_else(|| user.role.home().path().to_string());
                        view! { <Redirect path=next/> }.into_any()
                    }
                    _ => form().into_any(),
                }
            })}
        </Suspense>
    }
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_may_only_point_inside_the_site() {
        assert_eq!(
            safe_next(Some("/orders".into())).as_deref(),
            Some("/orders")
        );
        assert_eq!(safe_next(Some("//evil.example".into())), None);
        assert_eq!(safe_next(Some("https://evil.example".into())), None);
        assert_eq!(safe_next(Some("/\\evil.example".into())), None);
        // `/%09/evil.example` as the query decodes it.
        assert_eq!(safe_next(Some("/\t/evil.example".into())), None);
        assert_eq!(safe_next(Some("/\n/evil.example".into())), None);
        assert_eq!(safe_next(Some("/\r\n/evil.example".into())), None);
        assert_eq!(safe_next(Some("/ /evil.example".into())), None);
        assert_eq!(
            safe_next(Some("/orders?status=open".into())).as_deref(),
            Some("/orders?status=open")
        );
        assert_eq!(safe_next(None), None);
    }
}
