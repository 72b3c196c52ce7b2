//! `reports` page.

use crate::components::Guarded;
use crate::components::Upcoming;
use crate::domain::Section;
use leptos::prelude::*;

const WILL_SHOW: &[&str] = &[
    "Attainment per segment: release, ship, deliver and promised date.",
    "The trend over the past months.",
    "Each breach with the events that prove it, ready for a dispute.",
    "CSV export.",
];

#[component]
pub fn ReportsPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Reports>
            <Upcoming title="SLA reports" intro="SLA attainment per account and month, with the evidence." will_show=WILL_SHOW/>
        </Guarded>
    }
}
