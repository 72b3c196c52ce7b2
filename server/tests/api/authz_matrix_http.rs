//! The authorization matrix: every server function and every page × every role (and anonymous)
//! × the caller's own account and another's, each asserting allowed or the exact refusal.
//!
//! The server-function table below must name every function the app registers: adding one
//! without deciding here who may call it fails `the_matrix_names_every_server_function`. Pages
//! are checked against the section table the navigation is built from (`Section::of_path` and
//! `allowed_roles`), for every route the router generates.

use crate::support::TestApp;
use app::domain::{Role, Section};
use reqwest::{Client, StatusCode};

/// Who may call a server function.
#[derive(Clone, Copy, Debug)]
enum May {
    /// Anyone, signed in or not (it is how one gets or ends a session).
    Anyone,
    /// Any signed-in user, about themselves.
    SignedIn,
    /// These roles; others get 403, anonymous callers 401.
    Roles(&'static [Role]),
}

use Role::*;

/// A server function, who may call it, and arguments that decode.
type Rule = (&'static str, May, &'static [(&'static str, &'static str)]);

/// Every server function.
const MATRIX: &[Rule] = &[
    (
        "auth/login",
        May::Anyone,
        &[
            ("email", "nobody@example.com"),
            ("password", "not a password"),
        ],
    ),
    ("auth/logout", May::Anyone, &[]),
    ("auth/whoami", May::Anyone, &[]),
    (
        "auth/change_password",
        May::SignedIn,
        &[
            ("current_password", "wrong one!"),
            ("new_password", "a new password"),
        ],
    ),
    ("accounts/list", May::Roles(&[Admin]), &[]),
    (
        "accounts/create",
        May::Roles(&[Admin]),
        &[("code", "MATRIX"), ("name", "Matrix Ltd")],
    ),
    ("users/list", May::Roles(&[Admin]), &[]),
    (
        "users/create",
        May::Roles(&[Admin]),
        &[
            ("email", "m@example.com"),
            ("display_name", "M"),
            ("role", "agent"),
            ("accounts", ""),
            ("password", "long enough pw"),
        ],
    ),
    (
        "users/set_role",
        May::Roles(&[Admin]),
        &[
            ("user_id", "00000000-0000-0000-0000-000000000000"),
            ("role", "agent"),
            ("accounts", ""),
        ],
    ),
    (
        "users/set_password",
        May::Roles(&[Admin]),
        &[
            ("user_id", "00000000-0000-0000-0000-000000000000"),
            ("password", "long enough pw"),
        ],
    ),
    (
        "users/set_disabled",
        May::Roles(&[Admin]),
        &[
            ("user_id", "00000000-0000-0000-0000-000000000000"),
            ("disabled", "true"),
        ],
    ),
    ("sla/settings", May::Roles(&[Admin]), &[]),
    ("sla/policy", May::Roles(&[Admin]), &[]),
    (
        "sla/policy/retire",
        May::Roles(&[Admin]),
        &[("policy_id", "999999")],
    ),
    ("sla/calendar", May::Roles(&[Admin]), &[]),
    (
        "sla/calendar/delete",
        May::Roles(&[Admin]),
        &[("calendar_id", "999999")],
    ),
    (
        "dashboard",
        May::Roles(&[Admin, Agent, AccountManager]),
        &[],
    ),
    ("exceptions/list", May::Roles(&[Admin, Agent]), &[]),
    (
        "exceptions/comments",
        May::Roles(&[Admin, Agent]),
        &[("case_id", "999999")],
    ),
    (
        "exceptions/act",
        May::Roles(&[Admin, Agent]),
        &[("ids", "999999"), ("action", "acknowledge")],
    ),
    (
        "exceptions/comment",
        May::Roles(&[Admin, Agent]),
        &[("case_id", "999999"), ("body", "hello")],
    ),
    (
        "integrations/overview",
        May::Roles(&[Admin, Integrator]),
        &[],
    ),
    (
        "integrations/jobs",
        May::Roles(&[Admin, Integrator, Agent]),
        &[],
    ),
    (
        "integrations/job",
        May::Roles(&[Admin, Integrator, Agent]),
        &[("job_id", "999999")],
    ),
    (
        "integrations/replay",
        May::Roles(&[Admin, Integrator]),
        &[("job_id", "999999"), ("reason", "matrix")],
    ),
    (
        "integrations/replay-many",
        May::Roles(&[Admin, Integrator]),
        &[("reason", "matrix")],
    ),
    (
        "integrations/chain",
        May::Roles(&[Admin, Integrator]),
        &[("q", "no-such-correlation-id")],
    ),
    ("alerts/open", May::Roles(&[Admin, Integrator]), &[]),
    ("alerts/overview", May::Roles(&[Admin, Integrator]), &[]),
    (
        "alerts/rule",
        May::Roles(&[Admin]),
        &[
            ("kind", "dead_letters"),
            ("enabled", "true"),
            ("threshold", "3"),
            ("window_minutes", "60"),
            ("reason", "matrix"),
        ],
    ),
    (
        "integrations/release-quarantined",
        May::Roles(&[Admin, Integrator]),
        &[("quarantine_id", "999999"), ("reason", "matrix")],
    ),
    (
        "integrations/pause",
        May::Roles(&[Admin, Integrator]),
        &[
            ("queue", "wms:none"),
            ("paused", "false"),
            ("reason", "matrix"),
        ],
    ),
    (
        "orders/list",
        May::Roles(&[Admin, Agent, AccountManager, Integrator, Customer]),
        &[("filter[page]", "1")],
    ),
    (
        "orders/detail",
        May::Roles(&[Admin, Agent, AccountManager, Integrator, Customer]),
        &[("order_ref", "S1")],
    ),
    (
        "orders/raw",
        May::Roles(&[Admin, Agent, Integrator]),
        &[("inbox_message_id", "999999")],
    ),
    ("reports/month", May::Roles(&[Admin, AccountManager]), &[]),
    ("portal/summary", May::Roles(&[Customer]), &[]),
    (
        "dashboard/carriers",
        May::Roles(&[Admin, Agent, AccountManager]),
        &[],
    ),
    (
        "portal/report",
        May::Roles(&[Customer]),
        &[("month", "2020-01")],
    ),
    (
        "reports/evidence",
        May::Roles(&[Admin, Agent, AccountManager, Customer]),
        &[("order_ref", "NOPE"), ("segment", "release")],
    ),
    (
        "disputes/open",
        May::Roles(&[Admin, AccountManager, Customer]),
        &[
            ("order_ref", "NOPE"),
            ("segment", "release"),
            ("reason", "other"),
            ("comment", "matrix"),
        ],
    ),
    (
        "disputes/decide",
        May::Roles(&[Admin, Agent]),
        &[
            ("dispute_id", "999999"),
            ("decision", "upheld"),
            ("note", "matrix"),
        ],
    ),
    (
        "disputes/of_order",
        May::Roles(&[Admin, Agent, AccountManager, Customer]),
        &[("order_ref", "NOPE")],
    ),
];

/// What a caller gets.
fn expected(may: May, caller: Option<Role>) -> Result<(), StatusCode> {
    match (may, caller) {
        (May::Anyone, _) => Ok(()),
        (_, None) => Err(StatusCode::UNAUTHORIZED),
        (May::SignedIn, Some(_)) => Ok(()),
        (May::Roles(roles), Some(role)) if roles.contains(&role) => Ok(()),
        (May::Roles(_), Some(_)) => Err(StatusCode::FORBIDDEN),
    }
}

#[test]
fn the_matrix_names_every_server_function() {
    let registered: std::collections::BTreeSet<String> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path.trim_start_matches("/fn/").to_string())
        .collect();
    let in_matrix: std::collections::BTreeSet<String> =
        MATRIX.iter().map(|(e, _, _)| e.to_string()).collect();
    let missing: Vec<_> = registered.difference(&in_matrix).collect();
    let stale: Vec<_> = in_matrix.difference(&registered).collect();
    assert!(
        missing.is_empty() && stale.is_empty(),
        "decide who may call these, in MATRIX: {missing:?}; no longer registered: {stale:?}"
    );
}

async fn callers(app: &TestApp) -> Vec<(Option<Role>, Client)> {
    let mut all = vec![(None, app.browser())];
    for role in Role::ALL {
        all.push((Some(role), app.signed_in(role).await));
    }
    all
}

#[sqlx::test(migrations = false)]
async fn every_server_function_by_every_role_is_allowed_or_refused_exactly(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    crate::orders_http::orders(&app).await;
    let mut checked = 0;
    for (role, client) in callers(&app).await {
        for (endpoint, may, form) in MATRIX {
            // Signing out would end the session the rest of this caller's calls need.
            if *endpoint == "auth/logout" && role.is_some() {
                continue;
            }
            let res = app.call(&client, endpoint, form).await;
            let status = res.status();
            match expected(*may, role) {
                Err(refusal) => assert_eq!(status, refusal, "{role:?} {endpoint}"),
                // Open to anyone: any answer of its own (a failed sign-in is 401), never a
                // role refusal or a fault.
                Ok(()) if matches!(may, May::Anyone) => assert!(
                    status != StatusCode::FORBIDDEN && !status.is_server_error(),
                    "{role:?} {endpoint}: {status}"
                ),
                Ok(()) => assert!(
                    status != StatusCode::UNAUTHORIZED
                        && status != StatusCode::FORBIDDEN
                        && !status.is_server_error(),
                    "{role:?} {endpoint}: {status} {}",
                    res.text().await.unwrap_or_default()
                ),
            }
            checked += 1;
        }
    }
    // 6 callers × every function, less logout for the five signed-in callers.
    assert_eq!(checked, 6 * MATRIX.len() - 5);
}

#[sqlx::test(migrations = false)]
async fn account_scoped_callers_reach_their_own_account_and_never_another(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    crate::orders_http::orders(&app).await;
    // Customers and account managers belong to ACME (S1, S2); S3 is OTHER's.
    for role in [Customer, AccountManager] {
        let client = app.signed_in(role).await;
        let own = app
            .call(&client, "orders/detail", &[("order_ref", "S2")])
            .await;
        assert_eq!(own.status(), StatusCode::OK, "{role} own");
        let other = app
            .call(&client, "orders/detail", &[("order_ref", "S3")])
            .await;
        assert_eq!(
            other.status(),
            StatusCode::NOT_FOUND,
            "{role} other: as if it did not exist"
        );
        let list: serde_json::Value = app
            .call(
                &client,
                "orders/list",
                &[("filter[page]", "1"), ("filter[q]", "S3")],
            )
            .await
            .json()
            .await
            .unwrap();
        assert!(
            !list.to_string().contains("\"S3\""),
            "{role} searching another account's order finds nothing: {list}"
        );
    }
    // Staff see every account.
    for role in [Admin, Agent, Integrator] {
        let client = app.signed_in(role).await;
        let other = app
            .call(&client, "orders/detail", &[("order_ref", "S3")])
            .await;
        assert_eq!(other.status(), StatusCode::OK, "{role}");
    }
}

#[sqlx::test(migrations = false)]
async fn every_page_by_every_role_is_shown_or_refused_exactly(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    // A policy first, so S2 has clocks and its evidence pages exist.
    crate::dashboard_http::policy(&app).await;
    crate::orders_http::orders(&app).await;
    // ACME's March 2026 (S2's month) published, so its portal report page exists.
    let april = chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 4, 1, 6, 0, 0).unwrap();
    server::sla::publish::publish_due(&app.pool, april, chrono::Duration::zero())
        .await
        .unwrap();
    // The routes as the server generated them (generating them again while other tests serve
    // pages would stall those pages: `startup::routes`).
    let routes = server::startup::routes();
    let paths: Vec<String> = routes
        .iter()
        .map(|r| {
            r.path()
                .replace("{order}", "S2")
                .replace(":order", "S2")
                .replace("{segment}", "deliver")
                .replace(":segment", "deliver")
                .replace("{month}", "2026-03")
                .replace(":month", "2026-03")
        })
        .collect();
    assert!(paths.len() >= 13, "{paths:?}");
    let mut checked = 0;
    for (role, client) in callers(&app).await {
        for path in &paths {
            let res = client.get(app.url(path)).send().await.unwrap();
            let status = res.status();
            let section = Section::of_path(path);
            match (section, role) {
                // Open pages: the landing page redirects by role; sign-in and account render.
                (None, _) => assert!(
                    status == StatusCode::OK || status.is_redirection(),
                    "{role:?} {path}: {status}"
                ),
                (Some(_), None) => {
                    assert!(status.is_redirection(), "{path}: {status}");
                    let to = res.headers()["location"].to_str().unwrap().to_string();
                    assert!(to.starts_with("/login?next=/"), "{path} -> {to}");
                }
                (Some(s), Some(r)) if s.allowed_roles().contains(&r) => {
                    assert_eq!(status, StatusCode::OK, "{r} {path}")
                }
                (Some(_), Some(r)) => assert_eq!(status, StatusCode::FORBIDDEN, "{r} {path}"),
            }
            checked += 1;
        }
    }
    assert_eq!(checked, 6 * paths.len());
}

/// The doors outside Leptos, and what an anonymous caller gets at each.
#[sqlx::test(migrations = false)]
async fn the_other_doors_refuse_anonymous_callers(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let anonymous = app.browser();
    let json = Client::new();
    for (path, post, expected) in [
        ("/healthz", false, StatusCode::OK),
        ("/readyz", false, StatusCode::OK),
        // Served only behind MILEPOST_METRICS_TOKEN (metrics_http), which this app has not.
        ("/metrics", false, StatusCode::NOT_FOUND),
        ("/api/v1/openapi.json", false, StatusCode::OK),
        ("/live", false, StatusCode::UNAUTHORIZED),
        ("/export/orders.csv", false, StatusCode::UNAUTHORIZED),
        ("/export/breaches.csv", false, StatusCode::UNAUTHORIZED),
        ("/api/v1/events", true, StatusCode::UNAUTHORIZED),
        ("/api/v1/webhooks/anything", true, StatusCode::UNAUTHORIZED),
        ("/api/v1/edi/anything", true, StatusCode::UNAUTHORIZED),
    ] {
        let res = if post {
            json.post(app.url(path))
                .header("content-type", "application/json")
                .body("{}")
                .send()
                .await
                .unwrap()
        } else {
            anonymous.get(app.url(path)).send().await.unwrap()
        };
        assert_eq!(res.status(), expected, "{path}");
    }
}
