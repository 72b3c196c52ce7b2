//! The route table and the HTML shell.

use crate::api::auth::{whoami, Login, Logout};
use crate::components::Auth;
use crate::pages;
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document every page is rendered into.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::auth::csp::set_page_policy(&options);
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <AutoReload options=options.clone()/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let login = ServerAction::<Login>::new();
    let logout = ServerAction::<Logout>::new();
    // Refetched whenever someone signs in or out, so the navigation follows at once.
    let user = Resource::new(
        move || (login.version().get(), logout.version().get()),
        |_| whoami(),
    );
    provide_context(Auth {
        user,
        login,
        logout,
    });

    // Every route renders in `Async` mode: the page waits for the session check, so a 403 or a
    // redirect to sign-in is decided before the first byte and carries the right HTTP status.
    view! {
        <Stylesheet id="leptos" href="/pkg/milepost.css"/>
        <Title text="Milepost"/>
        <Router>
            <Routes fallback=pages::not_found::NotFoundPage>
                <Route path=path!("/") view=pages::landing::LandingPage ssr=SsrMode::Async/>
                <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                <Route path=path!("/dashboard") view=pages::dashboard::DashboardPage ssr=SsrMode::Async/>
                <Route path=path!("/orders") view=pages::orders::OrdersPage ssr=SsrMode::Async/>
                <Route path=path!("/orders/:order") view=pages::order_detail::OrderDetailPage ssr=SsrMode::Async/>
                <Route path=path!("/orders/:order/evidence/:segment") view=pages::evidence::EvidencePage ssr=SsrMode::Async/>
                <Route path=path!("/exceptions") view=pages::exceptions::ExceptionsPage ssr=SsrMode::Async/>
                <Route path=path!("/integrations") view=pages::integrations::IntegrationsPage ssr=SsrMode::Async/>
                <Route path=path!("/integrations/alerts") view=pages::alerts::AlertsPage ssr=SsrMode::Async/>
                <Route path=path!("/reports") view=pages::reports::ReportsPage ssr=SsrMode::Async/>
                <Route path=path!("/portal") view=pages::orders::PortalPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/orders/:order") view=pages::order_detail::PortalOrderPage ssr=SsrMode::Async/>
                <Route path=path!("/portal/reports/:month") view=pages::reports::PortalReportPage ssr=SsrMode::Async/>
                <Route path=path!("/admin") view=pages::admin::AdminPage ssr=SsrMode::Async/>
                <Route path=path!("/admin/sla") view=pages::admin_sla::AdminSlaPage ssr=SsrMode::Async/>
                <Route path=path!("/account") view=pages::account::AccountPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
