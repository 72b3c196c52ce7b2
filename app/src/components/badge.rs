//! A status in words, as the order list and the order page show it.

use leptos::prelude::*;

/// A status in words, coloured by what it means.
#[component]
pub fn StatusBadge(status: String) -> impl IntoView {
    let class = match status.as_str() {
        "delivered" => "badge badge-ok",
        "cancelled" | "rejected" | "returned" => "badge badge-bad",
        "partially_shipped" | "partially_delivered" | "delivery_attempted" => "badge badge-warn",
        _ => "badge",
    };
    view! { <span class=class data-status=status.clone()>{status.replace('_', " ")}</span> }
}
