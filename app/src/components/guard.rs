//! Page guards. They decide what to render; the protection itself is the role check inside every
//! server function.

use crate::components::alert_banner::AlertBanner;
use crate::components::Auth;
use crate::components::{ErrorNotice, Forbidden, Nav};
use crate::domain::{CurrentUser, Section};
use leptos::prelude::*;
use leptos_router::components::Redirect;

/// Renders `children` inside the app frame when the signed-in user's role may open `section`;
/// a 403 page when it may not; a redirect to sign-in when nobody is signed in.
#[component]
pub fn Guarded(section: Section, children: ChildrenFn) -> impl IntoView {
    let children = StoredValue::new(children);
    view! {
        <SignedIn next=section.path() let:user>
            {if user.role.may_open(section) {
                children.with_value(|c| c()).into_any()
            } else {
                view! { <Forbidden/> }.into_any()
            }}
        </SignedIn>
    }
}

/// Renders `children(user)` inside the app frame for any signed-in user, else redirects to
/// sign-in, coming back to `next` afterwards.
#[component]
pub fn SignedIn<F, V>(next: &'static str, children: F) -> impl IntoView
where
    F: Fn(CurrentUser) -> V + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let auth = expect_context::<Auth>();
    let children = StoredValue::new(children);
    view! {
        <Suspense fallback=|| view! { <p class="loading">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => view! {
                        <div class="frame">
                            <Nav user=user.clone()/>
                            {user.role.may_open(Section::Integrations).then(|| view! { <AlertBanner/> })}
                            <main class="content">{children.with_value(|c| c(user)).into_view()}</main>
                        </div>
                    }
                    .into_any(),
                    // After signing out, start afresh; otherwise come back here after sign-in.
                    Ok(None) if auth.logout.version().get_untracked() > 0 => {
                        view! { <Redirect path="/login"/> }.into_any()
                    }
                    Ok(None) => view! { <Redirect path=format!("/login?next={next}")/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
