//! `integrations` page.

use super::upcoming::Upcoming;
use crate::components::Guarded;
use crate::domain::Section;
use leptos::prelude::*;

const WILL_SHOW: &[&str] = &[
        "Per connector: last success, freshness, error rate, circuit state, queue depth, throughput and latency.",
        "Jobs with filters, and dead letters with their request, response and error.",
        "Replay of one job or many, edit-then-replay, pause and resume, all audited.",
        "The mapping inbox of codes a source sent that Milepost does not know yet.",];

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Integrations>
            <Upcoming title="Integrations" intro="The health of every connection to Odoo, the warehouses and the carriers." will_show=WILL_SHOW/>
        </Guarded>
    }
}
