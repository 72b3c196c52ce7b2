//! Milepost's Leptos application: pages, components and server functions, shared by the server
//! (feature `ssr`) and the browser (feature `hydrate`).
//!
//! `domain` compiles for both targets; `auth` (state, session, role checks, sign-in), `services`
//! (one per feature, what server functions call) and `store` (the pages' SQL) exist only on the
//! server, so the wasm bundle never sees sqlx.
#![recursion_limit = "256"]

pub mod api;
pub mod app;
/// Charts are drawn on the server only: plotters stays out of the wasm bundle.
#[cfg(feature = "ssr")]
pub mod charts;
pub mod components;
pub mod domain;
pub mod error;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod auth;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "ssr")]
pub mod store;

pub use app::{shell, App};

/// Browser entry point: attaches the Leptos runtime to the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
    // Browser tests wait for this marker: a click before hydration would be lost.
    if let Some(body) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.body())
    {
        let _ = body.set_attribute("data-hydrated", "true");
    }
}
