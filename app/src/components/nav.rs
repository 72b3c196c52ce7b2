//! The navigation: only the sections the role may open, the current user, and sign-out.

use crate::components::Auth;
use crate::domain::CurrentUser;
use crate::domain::Section;
use leptos::form::ActionForm;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[component]
pub fn Nav(user: CurrentUser) -> impl IntoView {
    let auth = expect_context::<Auth>();
    let location = use_location();
    let current = move || Section::of_path(&location.pathname.get());
    let links = user
        .role
        .sections()
        .into_iter()
        .map(|section| {
            let active = move || current() == Some(section);
            view! {
                <li>
                    <a href=section.path() class:active=active aria-current=move || active().then_some("page")>
                        {section.label()}
                    </a>
                </li>
            }
        })
        .collect_view();
    view! {
        <header class="topbar">
            <a class="brand" href=user.role.home().path()>"Milepost"</a>
            <nav aria-label="Main">
                <ul class="nav-links">{links}</ul>
            </nav>
            <div class="user-menu">
                <a href="/account" class="user-name" title=user.email.clone()>
                    {user.display_name.clone()}
                    <span class="role-badge">{user.role.label()}</span>
                </a>
                <ActionForm action=auth.logout>
                    <button type="submit" class="link-button">"Sign out"</button>
                </ActionForm>
            </div>
        </header>
    }
}
