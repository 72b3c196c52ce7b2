//! SLA settings over HTTP: policies (validation, versions, retirement) and calendars, each
//! change audited; only admins may change them.

use crate::support;

use app::domain::Role;
use serde_json::Value;
use sqlx::PgPool;
use support::TestApp;

async fn call(
    app: &TestApp,
    client: &reqwest::Client,
    endpoint: &str,
    form: &[(&str, &str)],
) -> (u16, Value) {
    let res = app.call(client, endpoint, form).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn policies_are_checked_versioned_retired_and_audited(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.account("ACME").await;
    let admin = app.signed_in(Role::Admin).await;
    let (status, body) = call(
        &app,
        &admin,
        "sla/policy",
        &[
            ("draft[name]", ""),
            ("draft[release_hours]", "soon"),
            ("draft[at_risk_percent]", "0"),
            ("draft[account_code]", "ACME"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{body}");
    for field in ["name", "release_hours", "at_risk_percent"] {
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let (status, body) = call(
        &app,
        &admin,
        "sla/policy",
        &[
            ("draft[name]", "Express"),
            ("draft[account_code]", "NOPE"),
            ("draft[ship_hours]", "4"),
            ("draft[at_risk_percent]", "20"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("account_code"), "{body}");
    let versions: i64 = sqlx::query_scalar("select count(*) from sla_policy_version")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(versions, 0, "nothing saved from refused input");

    let (status, saved) = call(
        &app,
        &admin,
        "sla/policy",
        &[
            ("draft[name]", "Express"),
            ("draft[position]", "5"),
            ("draft[account_code]", "acme"),
            ("draft[service_level]", "express"),
            ("draft[ship_hours]", "4.5"),
            ("draft[deliver_days]", "1"),
            ("draft[promise]", "true"),
            ("draft[at_risk_percent]", "20"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["version"], 1);
    assert_eq!(saved["account"], "ACME");
    assert_eq!(saved["ship"], "4.5 h");
    let id = saved["policy_id"].as_i64().unwrap().to_string();
    let (status, v2) = call(
        &app,
        &admin,
        "sla/policy",
        &[
            ("policy_id", &id),
            ("draft[name]", "Express"),
            ("draft[ship_hours]", "3"),
            ("draft[at_risk_percent]", "20"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{v2}");
    assert_eq!(v2["version"], 2);
    let (_, settings) = call(&app, &admin, "sla/settings", &[]).await;
    assert_eq!(settings["policies"].as_array().unwrap().len(), 1);
    assert_eq!(settings["history"][0]["version"], 1);
    assert_eq!(settings["policies"][0]["draft"]["ship_hours"], "3");

    let (status, _) = call(
        &app,
        &admin,
        "sla/policy/retire",
        &[("policy_id", &id), ("reason", "")],
    )
    .await;
    assert_eq!(status, 422);
    let (status, _) = call(
        &app,
        &admin,
        "sla/policy/retire",
        &[("policy_id", &id), ("reason", "replaced")],
    )
    .await;
    assert_eq!(status, 200);
    let (_, settings) = call(&app, &admin, "sla/settings", &[]).await;
    assert!(settings["policies"].as_array().unwrap().is_empty());
    let (status, _) = call(
        &app,
        &admin,
        "sla/policy",
        &[
            ("policy_id", &id),
            ("draft[name]", "Again"),
            ("draft[ship_hours]", "3"),
            ("draft[at_risk_percent]", "20"),
        ],
    )
    .await;
    assert_eq!(status, 404, "a retired policy is not changed");

    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'sla.%' order by audit_log_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        ["sla.policy.add", "sla.policy.change", "sla.policy.retire"]
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn calendars_are_checked_saved_replaced_and_removed(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let admin = app.signed_in(Role::Admin).await;
    let (status, body) = call(
        &app,
        &admin,
        "sla/calendar",
        &[
            ("draft[scope]", "warehouse"),
            ("draft[code]", "RNO"),
            ("draft[time_zone]", "Nowhere/Land"),
            ("draft[mon]", "17:00-08:00"),
            ("draft[holidays]", "someday"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    for field in ["time_zone", "mon", "holidays"] {
        assert!(body.to_string().contains(field), "{field}: {body}");
    }
    let form = |tz: &'static str| {
        vec![
            ("draft[scope]", "warehouse"),
            ("draft[code]", "RNO"),
            ("draft[time_zone]", tz),
            ("draft[mon]", "08:00-17:00"),
            ("draft[tue]", "08:00-17:00"),
            ("draft[cutoff]", "14:00"),
            ("draft[holidays]", "2026-12-25, 2026-11-26"),
        ]
    };
    let (status, saved) = call(&app, &admin, "sla/calendar", &form("America/Los_Angeles")).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(saved["hours"][0], "08:00-17:00");
    assert_eq!(saved["hours"][2], "closed");
    // Saving the same warehouse again replaces it.
    let (_, again) = call(&app, &admin, "sla/calendar", &form("America/Denver")).await;
    let (_, settings) = call(&app, &admin, "sla/settings", &[]).await;
    let calendars = settings["calendars"].as_array().unwrap();
    assert_eq!(calendars.len(), 1);
    assert_eq!(calendars[0]["time_zone"], "America/Denver");
    let id = again["calendar_id"].as_i64().unwrap().to_string();
    let (status, _) = call(&app, &admin, "sla/calendar/delete", &[("calendar_id", &id)]).await;
    assert_eq!(status, 200);
    let (status, _) = call(&app, &admin, "sla/calendar/delete", &[("calendar_id", &id)]).await;
    assert_eq!(status, 404);
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action like 'sla.calendar.%'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 3);

    for role in [
        Role::Agent,
        Role::AccountManager,
        Role::Integrator,
        Role::Customer,
    ] {
        let client = app.signed_in(role).await;
        assert_eq!(
            call(&app, &client, "sla/settings", &[]).await.0,
            403,
            "{role}"
        );
        assert_eq!(
            call(&app, &client, "sla/calendar", &form("UTC")).await.0,
            403,
            "{role}"
        );
    }
}
