//! `orders` page.

use super::upcoming::Upcoming;
use crate::components::Guarded;
use crate::domain::Section;
use leptos::prelude::*;

const WILL_SHOW: &[&str] = &[
    "Search by order number, customer PO, tracking number or customer.",
    "Filters by status, warehouse, carrier and period, with pagination.",
    "For each order: its status, SLA state, promised date and last event.",
    "Only the accounts your role may see.",
];

#[component]
pub fn OrdersPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Orders>
            <Upcoming title="Orders" intro="Every order Milepost knows about, from Odoo, the warehouses and the carriers." will_show=WILL_SHOW/>
        </Guarded>
    }
}
