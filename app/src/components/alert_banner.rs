//! The banner integrators and admins see on every page while an alert fires: how many, the
//! newest few, and a link to the alerts page. It follows the `alerts` live topic.

use crate::api::alerts::open_alerts;
use crate::components::live::live_version;
use leptos::prelude::*;

#[component]
pub fn AlertBanner() -> impl IntoView {
    let live = live_version("alerts");
    let open = Resource::new(move || live.get(), |_| open_alerts());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                // A failed read hides the banner; the alerts page says why.
                open.await.ok().filter(|o| o.count > 0).map(|o| {
                    let heading = if o.count == 1 {
                        "1 alert firing".to_string()
                    } else {
                        format!("{} alerts firing", o.count)
                    };
                    view! {
                        <div class="alert-banner" role="status" aria-live="polite">
                            <strong>{heading}</strong>
                            <span>{o.newest.join(" · ")}</span>
                            <a href="/integrations/alerts">"See alerts"</a>
                        </div>
                    }
                })
            })}
        </Transition>
    }
}
