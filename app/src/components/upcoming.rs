//! A page whose working version is still being built says so plainly, and says what it will show.

use leptos::prelude::*;

#[component]
pub fn Upcoming(
    title: &'static str,
    intro: &'static str,
    will_show: &'static [&'static str],
) -> impl IntoView {
    view! {
        <section class="page">
            <h1>{title}</h1>
            <p class="lead">{intro}</p>
            <div class="upcoming">
                <p><strong>"Not built yet."</strong>" When it is, this page will show:"</p>
                <ul>{will_show.iter().map(|item| view! { <li>{*item}</li> }).collect_view()}</ul>
            </div>
        </section>
    }
}
