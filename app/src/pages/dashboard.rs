//! `dashboard` page.

use super::upcoming::Upcoming;
use crate::components::Guarded;
use crate::domain::Section;
use leptos::prelude::*;

const WILL_SHOW: &[&str] = &[
        "Key figures with the change against the previous period: on-time ship %, on-time delivery %, OTIF, release delay p50 and p90, exception rate.",
        "Trend charts of on-time % and OTIF, and distributions of release delay and cycle time, drawn on the server.",
        "Filters by account, warehouse, carrier, service level and period.",
        "Orders at risk of breaching their SLA, and how fresh the data from each source is.",
        "Live updates as events arrive, without reloading.",];

#[component]
pub fn DashboardPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Dashboard>
            <Upcoming title="Dashboard" intro="How well every promise is being kept, across the accounts you can see." will_show=WILL_SHOW/>
        </Guarded>
    }
}
