//! 404 page.

use crate::components::status::set_status;
use leptos::prelude::*;

#[component]
pub fn NotFoundPage() -> impl IntoView {
    set_status(404);
    view! {
        <main class="status-page" data-status="404">
            <h1>"404: page not found"</h1>
            <p>"There is no page at this address. It may have moved, or the link may be mistyped."</p>
            <p><a href="/">"Go to your home page"</a></p>
        </main>
    }
}
