//! `portal` page.

use super::upcoming::Upcoming;
use crate::components::Guarded;
use crate::domain::Section;
use leptos::prelude::*;

const WILL_SHOW: &[&str] = &[
    "Search by order number, PO or tracking number.",
    "Each order's timeline from the warehouse to delivery, its ETA and SLA status.",
    "Your webhook subscriptions, to receive these events in your own systems.",
];

#[component]
pub fn PortalPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Portal>
            <Upcoming title="My orders" intro="Your orders, where they are, and whether they are on time." will_show=WILL_SHOW/>
        </Guarded>
    }
}
