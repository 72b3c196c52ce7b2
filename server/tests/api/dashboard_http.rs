//! The dashboard over HTTP: KPI tiles checked against values worked out by hand, the change
//! against the previous period, the at-risk list, filters, and account scoping.

use crate::support;

use app::domain::sla::Targets;
use app::domain::Role;
use app::store::sla::policies::{self, NewPolicyVersion};
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};
use sqlx::PgPool;
use support::TestApp;

fn at(base: DateTime<Utc>, hours: i64) -> String {
    (base + Duration::hours(hours)).to_rfc3339()
}

/// An order of `account` placed at `placed`, released `release_h` hours later, dispatched
/// `ship_h` hours after that, delivered `deliver_h` hours after dispatch (each optional).
pub(crate) fn order(
    name: &str,
    account: &str,
    carrier: &str,
    placed: DateTime<Utc>,
    release_h: f64,
    ship_h: Option<i64>,
    deliver_h: Option<i64>,
) -> Vec<(usize, Value)> {
    let e = |id: &str, kind: &str, subject: String, time: String, data: Value| {
        json!({"specversion": "1.0", "id": format!("{name}-{id}"), "source": "t", "type": kind,
               "subject": subject, "time": time, "data": data})
    };
    let o = format!("order/{name}");
    let tn = format!("{name}-TN");
    let released = placed + Duration::minutes((release_h * 60.0) as i64);
    let mut out = vec![
        (
            0,
            e(
                "created",
                "order.created",
                o.clone(),
                placed.to_rfc3339(),
                json!({
            "order": {"erp_order_id": name}, "customer": {"account_code": account},
            "service": {"carrier": carrier, "service_level": "ground"},
            "lines": [{"line_ref": "1", "sku": "X", "qty_ordered": 1}]}),
            ),
        ),
        (
            0,
            e(
                "confirmed",
                "order.confirmed",
                o.clone(),
                placed.to_rfc3339(),
                json!({"order": {"erp_order_id": name}}),
            ),
        ),
        (
            0,
            e(
                "release",
                "order.release_requested",
                o.clone(),
                released.to_rfc3339(),
                json!({"order": {"erp_order_id": name}, "warehouse": {"code": "W"}}),
            ),
        ),
        // The warehouse takes it at once: the release segment ends when it accepts.
        (
            1,
            e(
                "ack",
                "order.acknowledged",
                o.clone(),
                released.to_rfc3339(),
                json!({"order": {"erp_order_id": name}}),
            ),
        ),
    ];
    if let Some(ship_h) = ship_h {
        out.push((1, e("ship", "shipment.dispatched", o.clone(), at(released, ship_h), json!({
            "order": {"erp_order_id": name}, "shipment": {"tracking_numbers": [tn]}, "is_final": true,
            "lines": [{"line_ref": "1", "qty_shipped": 1, "line_status": "complete"}]}))));
        if let Some(deliver_h) = deliver_h {
            out.push((
                2,
                e(
                    "delivered",
                    "shipment.delivered",
                    format!("shipment/{tn}"),
                    at(released + Duration::hours(ship_h), deliver_h),
                    json!({"tracking_number": tn}),
                ),
            ));
        }
    }
    out
}

/// The one policy every test order is measured by: release 2 h, ship 8 h, deliver 2 days.
pub(crate) async fn policy(app: &TestApp) {
    let mut conn = app.pool.acquire().await.unwrap();
    policies::save_policy(
        &mut conn,
        &NewPolicyVersion {
            policy_id: None,
            name: "All",
            position: 0,
            account_id: None,
            service_level: None,
            priority: None,
            warehouse_code: None,
            targets: &Targets {
                release_minutes: Some(120),
                ship_minutes: Some(480),
                deliver_days: Some(2),
                promise: false,
            },
            at_risk_percent: 25,
            created_by: None,
            effective_from: Some(Utc::now() - Duration::days(400)),
        },
    )
    .await
    .unwrap();
}

/// Accounts ACME and BETA, one policy, and orders O1 to O5 (see the comments).
pub(crate) async fn setup(app: &TestApp) {
    let pool = &app.pool;
    app.account("ACME").await;
    app.account("BETA").await;
    policy(app).await;
    let connectors = support::canonical_connectors(pool).await;
    let day = |back: i64| {
        (Utc::now() - Duration::days(back))
            .date_naive()
            .and_hms_opt(8, 0, 0)
            .unwrap()
            .and_utc()
    };
    let d = day(5);
    let mut all = Vec::new();
    // This period: O1 all on time; O2 released after 3 h, shipped 10 h later, delivered 3 days
    // later (all late); O3 (BETA) released after 30 min and never shipped (ship clock breached).
    all.extend(order("O1", "ACME", "UPS", d, 1.0, Some(4), Some(24)));
    all.extend(order("O2", "ACME", "UPS", d, 3.0, Some(10), Some(72)));
    all.extend(order("O3", "BETA", "FedEx", d, 0.5, None, None));
    // O5 (ACME), released 7 h ago and not shipped: its ship clock (8 h) is in its last 25 %.
    let released = Utc::now() - Duration::hours(7);
    all.extend(order(
        "O5",
        "ACME",
        "UPS",
        released - Duration::minutes(30),
        0.5,
        None,
        None,
    ));
    // The period before: O4 shipped late, delivered on time.
    all.extend(order("O4", "ACME", "UPS", day(40), 1.0, Some(10), Some(20)));
    support::deliver_each(pool, &connectors, &all).await;
}

fn tile<'a>(d: &'a Value, key: &str) -> &'a Value {
    d["tiles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["key"] == key)
        .unwrap()
}

async fn dashboard(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app.call(client, "dashboard", form).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn tiles_charts_and_at_risk_orders_tell_what_the_events_tell(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    let agent = app.signed_in(Role::Agent).await;
    let (status, d) = dashboard(&app, &agent, &[]).await;
    assert_eq!(status, 200, "{d}");
    // By hand: shipped O1 (on time) and O2 (late): 50 %; delivered the same; OTIF 1 of 2 lines.
    assert_eq!(tile(&d, "on_time_ship")["value"], "50.0 %");
    assert_eq!(tile(&d, "on_time_delivery")["value"], "50.0 %");
    assert_eq!(tile(&d, "otif")["value"], "50.0 %");
    // Release delays 1 h, 3 h, 30 min, 30 min: p50 45 min; p90 = 1 h + 0.7 × 2 h = 2 h 24 min.
    assert_eq!(tile(&d, "release_p50")["value"], "45 min");
    assert_eq!(tile(&d, "release_p90")["value"], "2 h 24 min");
    assert_eq!(tile(&d, "first_attempt")["value"], "100.0 %");
    assert_eq!(
        tile(&d, "exception_rate")["value"],
        "0.0 %",
        "4 orders, no exception"
    );
    // Against the 30 days before (O4: shipped late, delivered on time).
    assert_eq!(tile(&d, "on_time_ship")["change"], "+50.0 pts");
    assert_eq!(tile(&d, "on_time_ship")["better"], true);
    assert_eq!(tile(&d, "on_time_delivery")["change"], "−50.0 pts");
    assert_eq!(tile(&d, "on_time_delivery")["better"], false);
    // O3's ship clock is overdue and still open: breached, so no longer in the at-risk list
    // (what can still be saved), but counted.
    let at_risk = d["at_risk"].as_array().unwrap();
    let refs: Vec<&str> = at_risk
        .iter()
        .map(|r| r["order_ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["O5"], "{at_risk:?}");
    assert_eq!(at_risk[0]["state"], "at risk");
    let due_in = at_risk[0]["due_in"].as_str().unwrap();
    assert!(["in 1 h 0 min", "in 59 min"].contains(&due_in), "{due_in}");
    assert_eq!(tile(&d, "at_risk")["value"], "1");
    assert_eq!(tile(&d, "at_risk")["change"], "1 breached, still open");
    for chart in ["trend_svg", "release_delay_svg", "cycle_svg"] {
        assert!(d[chart].as_str().unwrap().starts_with("<svg"), "{chart}");
    }
    assert!(
        d["cycle_svg"].as_str().unwrap().contains("\nW\n</text>"),
        "the warehouse labels its bar"
    );
    let sources: Vec<&str> = d["freshness"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["source"].as_str().unwrap())
        .collect();
    assert_eq!(sources, ["carrier", "erp", "wms"]);

    // The order page shows the clocks: O3 released in 30 min (met), its ship clock overdue.
    let detail: Value = app
        .call(&agent, "orders/detail", &[("order_ref", "O3")])
        .await
        .json()
        .await
        .unwrap();
    let clocks = detail["clocks"].as_array().unwrap();
    let states: Vec<(&str, &str)> = clocks
        .iter()
        .map(|c| (c["segment"].as_str().unwrap(), c["state"].as_str().unwrap()))
        .collect();
    assert_eq!(
        states,
        [("Release to warehouse", "met"), ("Ship", "breached")],
        "{detail}"
    );
    assert!(
        clocks[1]["remaining"].as_str().unwrap().ends_with("over"),
        "{}",
        clocks[1]
    );
    assert_eq!(clocks[1]["policy"], "All v1");

    // Filters: the carrier FedEx has only O3 (nothing shipped).
    let (_, fedex) = dashboard(&app, &agent, &[("filter[carrier]", "FedEx")]).await;
    assert_eq!(tile(&fedex, "on_time_ship")["value"], "—");
    assert_eq!(tile(&fedex, "release_p50")["value"], "30 min");
    // A 7-day period has the same orders; its previous period has none to compare with.
    let (_, week) = dashboard(&app, &agent, &[("filter[days]", "7")]).await;
    assert_eq!(tile(&week, "on_time_ship")["change"], "");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_account_manager_sees_only_their_accounts(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    setup(&app).await;
    let manager = app.signed_in(Role::AccountManager).await; // assigned ACME
    let (status, d) = dashboard(&app, &manager, &[]).await;
    assert_eq!(status, 200, "{d}");
    assert_eq!(
        tile(&d, "release_p50")["value"],
        "1 h 0 min",
        "O1, O2 and O5 only"
    );
    assert_eq!(
        tile(&d, "at_risk")["change"],
        "0 breached, still open",
        "O3 is BETA's"
    );
    assert_eq!(d["at_risk"][0]["order_ref"], "O5");
    let accounts: Vec<&str> = d["choices"]["accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a[0].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["ACME"]);
    let (status, _) = dashboard(&app, &manager, &[("filter[account]", "BETA")]).await;
    assert_eq!(status, 404);
    for role in [Role::Customer, Role::Integrator] {
        let client = app.signed_in(role).await;
        assert_eq!(dashboard(&app, &client, &[]).await.0, 403, "{role}");
    }
    // A customer of ACME sees O1's clocks on its order page, without the internal policy.
    let customer = app.signed_in(Role::Customer).await;
    let detail: Value = app
        .call(&customer, "orders/detail", &[("order_ref", "O1")])
        .await
        .json()
        .await
        .unwrap();
    let clocks = detail["clocks"].as_array().unwrap();
    assert_eq!(clocks.len(), 3, "{detail}");
    assert!(
        clocks
            .iter()
            .all(|c| c["policy"] == "" && c["state"] == "met" && c["state_label"] == "Met"),
        "{detail}"
    );
    // O2 was late at every step: in the customer's words, late; O5's ship clock is at risk.
    let words = |order: &'static str| {
        let (app, customer) = (&app, &customer);
        async move {
            let d: Value = app
                .call(customer, "orders/detail", &[("order_ref", order)])
                .await
                .json()
                .await
                .unwrap();
            d["clocks"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c["state_label"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(words("O2").await, ["Late", "Late", "Late"]);
    assert_eq!(words("O5").await, ["Met", "At risk"]);
    // Staff keep the measure's own words.
    let staff: Value = app
        .call(&manager, "orders/detail", &[("order_ref", "O2")])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(staff["clocks"][0]["state_label"], "Breached");
}
