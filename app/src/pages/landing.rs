//! `/`: sends each user to their role's home, or to sign-in.

use crate::components::Auth;
use crate::components::ErrorNotice;
use leptos::prelude::*;
use leptos_router::components::Redirect;

#[component]
pub fn LandingPage() -> impl IntoView {
    let auth = expect_context::<Auth>();
    view! {
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match auth.user.await {
                    Ok(Some(user)) => view! { <Redirect path=user.role.home().path()/> }.into_any(),
                    Ok(None) => view! { <Redirect path="/login"/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Suspense>
    }
}
