//! A status in words, as the order list and the order page show it.

use leptos::prelude::*;

/// A status in words, coloured by what it means.
#[component]
pub fn StatusBadge(word: &'static str) -> impl IntoView {
    let class = match word {
        "delivered" => "badge badge-ok",
        "cancelled" | "rejected" | "returned" => "badge badge-bad",
        "partially_shipped" | "partially_delivered" | "delivery_attempted" => "badge badge-warn",
        _ => "badge",
    };
    view! { <span class=class data-status=word>{word.replace('_', " ")}</span> }
}
