//! `exceptions` page.

use super::upcoming::Upcoming;
use crate::components::Guarded;
use crate::domain::Section;
use leptos::prelude::*;

const WILL_SHOW: &[&str] = &[
        "Carrier exceptions, failed delivery attempts, delays, short picks and backorders, warehouse exceptions, failed syncs and stale data.",
        "Sorted by time to SLA breach, then by order value.",
        "Assign, acknowledge, snooze with a reason, resolve with a reason, comment, and act on many at once.",
        "Live updates, and an audit trail of every decision.",];

#[component]
pub fn ExceptionsPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Exceptions>
            <Upcoming title="Exception queue" intro="The orders that need a person, most urgent first." will_show=WILL_SHOW/>
        </Guarded>
    }
}
