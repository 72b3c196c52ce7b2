//! Disputes over HTTP: opened from a breach by an account manager or a customer (their own
//! accounts), worked in the agents' queue, decided beside the evidence (upheld, excused,
//! corrected), audited; reports and the portal show attainment as measured and after excusals.

use crate::dashboard_http::setup;
use crate::reports_http::{evidence, of_account, report};
use crate::support::TestApp;
use app::domain::Role;
use serde_json::Value;
use sqlx::PgPool;

async fn open(
    app: &TestApp,
    client: &reqwest::Client,
    order: &str,
    segment: &str,
    reason: &str,
    comment: &str,
) -> (u16, Value) {
    let res = app
        .call(
            client,
            "disputes/open",
            &[
                ("order_ref", order),
                ("segment", segment),
                ("reason", reason),
                ("comment", comment),
            ],
        )
        .await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

async fn decide(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app.call(client, "disputes/decide", form).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

/// The last seven days, which hold the fixture's O1, O2, O3 and O5.
fn this_week() -> [(&'static str, String); 2] {
    let today = chrono::Utc::now().date_naive();
    [
        (
            "filter[from]",
            (today - chrono::Duration::days(6)).to_string(),
        ),
        ("filter[to]", today.to_string()),
    ]
}

async fn week_report(app: &TestApp, client: &reqwest::Client) -> Value {
    let [(k1, v1), (k2, v2)] = this_week();
    let (status, r) = report(app, client, &[(k1, &v1), (k2, &v2)]).await;
    assert_eq!(status, 200, "{r}");
    r
}

fn row<'a>(r: &'a Value, table: &str, key: &str) -> &'a Value {
    r[table]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["key"] == key)
        .unwrap()
}

async fn audited(pool: &PgPool, action: &str, subject: &str) -> i64 {
    sqlx::query_scalar("select count(*) from audit_log where action = $1 and subject = $2")
        .bind(action)
        .bind(subject)
        .fetch_one(pool)
        .await
        .unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_excused_breach_leaves_attainment_after_excusals_and_stays_in_as_measured(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    let manager = app.signed_in(Role::AccountManager).await; // ACME's

    // O2's delivery took 72 h against 2 days: breached. The manager disputes it.
    let (status, d) = open(
        &app,
        &manager,
        "O2",
        "deliver",
        "customer_caused",
        "The consignee asked us to hold it over the weekend.",
    )
    .await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(d["state"], "open");
    let id = d["dispute_id"].as_i64().unwrap().to_string();
    assert_eq!(
        audited(&pool, "dispute.open", &format!("dispute:{id}")).await,
        1
    );

    // One open dispute per clock; only breaches; every field checked, nothing half-written.
    let (status, again) = open(&app, &manager, "O2", "deliver", "other", "again").await;
    assert_eq!(status, 409, "{again}");
    let (status, kept) = open(&app, &manager, "O1", "release", "other", "x").await;
    assert_eq!(status, 422, "O1 was released on time: {kept}");
    assert!(kept.to_string().contains("segment"), "{kept}");
    let (status, bad) = open(&app, &manager, "O2", "ship", "the weather", "x").await;
    assert_eq!(status, 422);
    assert!(bad.to_string().contains("reason"), "{bad}");
    let (status, bad) = open(&app, &manager, "O2", "ship", "other", "   ").await;
    assert_eq!(status, 422);
    assert!(bad.to_string().contains("comment"), "{bad}");
    let disputes: i64 = sqlx::query_scalar("select count(*) from dispute")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(disputes, 1, "refused disputes leave nothing behind");

    // The agent finds it in the queue, as a dispute case with its own owner and age.
    let agent = app.signed_in(Role::Agent).await;
    let res = app
        .call(
            &agent,
            "exceptions/list",
            &[("filter[category]", "dispute")],
        )
        .await;
    let queue: Value = res.json().await.unwrap();
    let cases = queue["cases"].as_array().unwrap();
    assert_eq!(cases.len(), 1, "{queue}");
    assert_eq!(cases[0]["order_ref"], "O2");
    assert_eq!(cases[0]["kind"], "deliver");
    let case_id = cases[0]["case_id"].as_i64().unwrap().to_string();
    // It is decided as a dispute, not resolved from the queue; assigning works as for any case.
    let res = app
        .call(
            &agent,
            "exceptions/act",
            &[("ids", &case_id), ("action", "resolve"), ("reason", "done")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let res = app
        .call(
            &agent,
            "exceptions/act",
            &[("ids", &case_id), ("action", "assign"), ("assignee", "me")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let (_, pack) = evidence(&app, &agent, "O2", "deliver").await;
    assert_eq!(pack["disputes"][0]["dispute_id"].to_string(), id);
    assert!(
        pack["disputes"][0]["owner"].as_str().is_some(),
        "the assignee owns it: {pack}"
    );

    // Only agents and admins decide; an excusal needs its reason.
    let (status, _) = decide(
        &app,
        &manager,
        &[
            ("dispute_id", &id),
            ("decision", "excused"),
            ("excuse_reason", "customer_caused"),
            ("note", "x"),
        ],
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = decide(
        &app,
        &agent,
        &[
            ("dispute_id", &id),
            ("decision", "excused"),
            ("note", "weekend hold"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("excuse_reason"), "{body}");

    let before = week_report(&app, &manager).await;
    let (status, decided) = decide(
        &app,
        &agent,
        &[
            ("dispute_id", &id),
            ("decision", "excused"),
            ("excuse_reason", "customer_caused"),
            ("note", "The consignee's hold request is on file."),
        ],
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "excused");
    assert_eq!(decided["excuse_reason"], "customer_caused");
    assert!(decided["decided_by"].as_str().is_some());
    assert_eq!(
        audited(&pool, "dispute.excused", &format!("dispute:{id}")).await,
        1
    );
    // Decided once: a second decision finds no open dispute.
    let (status, _) = decide(
        &app,
        &agent,
        &[("dispute_id", &id), ("decision", "upheld"), ("note", "x")],
    )
    .await;
    assert_eq!(status, 404);
    let resolution: Option<String> = sqlx::query_scalar(
        "select resolution from exception_case where case_key = 'dispute:' || $1",
    )
    .bind(&id)
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(
        resolution.is_some_and(|r| r.starts_with("dispute excused")),
        "the case is resolved with the decision"
    );

    // By hand: delivered O1 on time, O2 late: 1 of 2 (50 %) as measured; O2 excused leaves
    // 1 of 1 (100 %) after excusals. Release and ship are not touched.
    let after = week_report(&app, &manager).await;
    let deliver = row(&after, "attainment", "deliver");
    assert_eq!(
        (deliver["met"].as_i64(), deliver["of"].as_i64()),
        (Some(1), Some(2))
    );
    assert_eq!(deliver["percent"], 50.0);
    assert_eq!(deliver["excused"], 1);
    assert_eq!(deliver["percent_after"], 100.0);
    assert_eq!(row(&before, "attainment", "deliver")["percent_after"], 50.0);
    let ship = row(&after, "attainment", "ship");
    assert_eq!(
        (ship["excused"].as_i64(), ship["percent_after"].as_f64()),
        (Some(0), Some(50.0))
    );
    let on_time = row(&after, "kpis", "deliver_on_time");
    assert_eq!(
        (
            on_time["percent"].as_f64(),
            on_time["percent_after"].as_f64()
        ),
        (Some(50.0), Some(100.0))
    );
    let excusals = after["excusals"].as_array().unwrap();
    assert_eq!(excusals.len(), 1);
    assert_eq!(excusals[0]["order_ref"], "O2");
    assert_eq!(excusals[0]["reason"], "customer_caused");
    // The breach itself is still listed: excused is not erased.
    assert!(after["breaches"]
        .as_array()
        .unwrap()
        .iter()
        .any(|b| b["order_ref"] == "O2" && b["segment"] == "deliver"));

    // The customer's portal shows the same figure and the dispute's progress in their words.
    let customer = app.signed_in(Role::Customer).await; // ACME's
    let portal: Value = app
        .call(&customer, "portal/summary", &[])
        .await
        .json()
        .await
        .unwrap();
    let month = chrono::Utc::now().format("%Y-%m").to_string();
    let (_, this_month) = report(&app, &manager, &[("filter[month]", &month)]).await;
    let on_time = row(&this_month, "kpis", "deliver_on_time");
    assert_eq!(
        portal["on_time_delivery"]["excused"], on_time["excused"],
        "{portal}"
    );
    assert_eq!(
        portal["on_time_delivery"]["percent_after"],
        on_time["percent_after"]
    );
    // O2 was placed five days ago: in this month's figures unless the month just began.
    if (chrono::Utc::now() - chrono::Duration::days(5))
        .format("%Y-%m")
        .to_string()
        == month
    {
        assert_eq!(portal["on_time_delivery"]["excused"], 1, "{portal}");
    }
    assert_eq!(portal["disputes"][0]["state"], "excused", "{portal}");

    // The report page lists the excusal.
    let [(_, from), (_, to)] = this_week();
    let page = app
        .page(&manager, &format!("/reports?from={from}&to={to}"))
        .await;
    assert!(page.contains("id=\"excusals\""), "the excusal table");
    assert!(page.contains("After excusals"));
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_corrected_stop_recomputes_the_clock_and_the_pack_shows_the_correction(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    let manager = app.signed_in(Role::AccountManager).await;
    let agent = app.signed_in(Role::Agent).await;
    // O2 shipped 10 h after release against 8 h.
    let (_, pack) = evidence(&app, &agent, "O2", "ship").await;
    assert_eq!(pack["clock"]["state"], "breached");
    let started: chrono::DateTime<chrono::Utc> = pack["clock"]["started_at"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    let (status, d) = open(
        &app,
        &manager,
        "O2",
        "ship",
        "carrier_data_wrong",
        "The carrier collected at 14:00; the scan is from the depot.",
    )
    .await;
    assert_eq!(status, 200, "{d}");
    let id = d["dispute_id"].as_i64().unwrap().to_string();

    // A correction must be a real past time after the clock started; a refusal changes nothing.
    let future = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
    let (status, body) = decide(
        &app,
        &agent,
        &[
            ("dispute_id", &id),
            ("decision", "corrected"),
            ("stopped_at", &future),
            ("note", "x"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("stopped_at"), "{body}");
    let state: String = sqlx::query_scalar("select state from dispute where dispute_id = $1::int8")
        .bind(&id)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(state, "open");

    let shipped = (started + chrono::Duration::hours(5)).to_rfc3339();
    let (status, decided) = decide(
        &app,
        &agent,
        &[
            ("dispute_id", &id),
            ("decision", "corrected"),
            ("stopped_at", &shipped),
            (
                "note",
                "Driver's collection receipt shows 5 h after release.",
            ),
        ],
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "corrected");
    assert_eq!(decided["correction_applied"], false);
    assert_eq!(
        audited(&pool, "dispute.corrected", &format!("dispute:{id}")).await,
        1
    );

    // The SLA sweep recomputes the order with the correction.
    server::sla::sweep::once(&pool, &server::sla::sweep::SweepSettings::default())
        .await
        .unwrap();
    let (_, pack) = evidence(&app, &agent, "O2", "ship").await;
    assert_eq!(pack["clock"]["state"], "met", "{pack}");
    let ended: chrono::DateTime<chrono::Utc> =
        pack["clock"]["ended_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(ended, started + chrono::Duration::hours(5));
    assert_eq!(pack["corrections"][0]["milestone"], "dispatched_at");
    assert_eq!(pack["corrections"][0]["dispute_id"].to_string(), id);
    assert_eq!(pack["disputes"][0]["correction_applied"], true);
    // Ship attainment by hand: O1 and O2 now both shipped in time.
    let r = week_report(&app, &manager).await;
    let ship = row(&r, "attainment", "ship");
    assert_eq!(
        (ship["met"].as_i64(), ship["of"].as_i64()),
        (Some(2), Some(2))
    );

    // The corrections are append-only.
    let edit = sqlx::query("update sla_correction set corrected_at = now()")
        .execute(&pool)
        .await;
    assert!(edit.is_err(), "a correction cannot be rewritten");
    // A later fold of the order keeps the correction (the projector applies it too).
    server::sla::engine::recompute_orders(&pool, &["O2".to_string()])
        .await
        .unwrap();
    let (_, pack) = evidence(&app, &agent, "O2", "ship").await;
    assert_eq!(pack["clock"]["state"], "met");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn disputes_stay_within_the_callers_accounts_and_an_upheld_breach_stands(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    // O2 is ACME's.
    for role in [Role::AccountManager, Role::Customer] {
        let beta = of_account(&app, role, "BETA").await;
        let (status, _) = open(&app, &beta, "O2", "release", "other", "not mine").await;
        assert_eq!(status, 404, "{role}");
        let res = app
            .call(&beta, "disputes/of_order", &[("order_ref", "O2")])
            .await;
        assert_eq!(res.status(), 404, "{role}");
    }
    for role in [Role::Agent, Role::Integrator] {
        let client = app.signed_in(role).await;
        let (status, _) = open(&app, &client, "O2", "release", "other", "x").await;
        assert_eq!(status, 403, "{role}");
    }
    // A customer disputes from the portal.
    let customer = app.signed_in(Role::Customer).await; // ACME's
    let (status, d) = open(
        &app,
        &customer,
        "O2",
        "release",
        "wrong_promise",
        "We agreed a 4 h release for this order.",
    )
    .await;
    assert_eq!(status, 200, "{d}");
    let id = d["dispute_id"].as_i64().unwrap().to_string();
    let page = app.page(&customer, "/portal/orders/O2").await;
    assert!(
        page.contains("id=\"portal-disputes\""),
        "the order's disputes"
    );
    assert!(page.contains("under review"), "in the customer's words");

    let manager = app.signed_in(Role::AccountManager).await;
    let before = week_report(&app, &manager).await;
    let agent = app.signed_in(Role::Agent).await;
    let (status, decided) = decide(
        &app,
        &agent,
        &[
            ("dispute_id", &id),
            ("decision", "upheld"),
            ("note", "The contract says 2 h."),
        ],
    )
    .await;
    assert_eq!(status, 200, "{decided}");
    assert_eq!(decided["state"], "upheld");
    let after = week_report(&app, &manager).await;
    assert_eq!(
        row(&after, "attainment", "release"),
        row(&before, "attainment", "release"),
        "an upheld breach stands"
    );
    let mine: Value = app
        .call(&customer, "disputes/of_order", &[("order_ref", "O2")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine[0]["state"], "upheld");
    assert_eq!(
        audited(&pool, "dispute.upheld", &format!("dispute:{id}")).await,
        1
    );
}
