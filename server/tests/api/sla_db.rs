//! The SLA engine through the whole pipeline: events in, clocks, KPI rollups and exception
//! cases out, checked against values worked out by hand; then a late event that changes the
//! past, and the rollups moving with it.

use crate::support;

use app::domain::sla::calendar::DayHours;
use app::domain::sla::Targets;
use app::store::sla::calendars::{self, CalendarRow};
use app::store::sla::policies::{self, NewPolicyVersion};
use chrono::{DateTime, NaiveTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgPool, Row};

fn utc(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

/// Saves warehouse `code`'s calendar: Monday to Friday from 08:00 to `close_hour`, UTC,
/// cut-off 14:00 (replacing any calendar of that warehouse, whatever the code's case).
async fn warehouse_calendar(pool: &PgPool, code: &str, close_hour: u16) {
    let day = Some(DayHours {
        open: 8 * 60,
        close: close_hour * 60,
    });
    calendars::save_calendar(
        pool,
        &CalendarRow {
            business_calendar_id: 0,
            scope: "warehouse".into(),
            code: code.into(),
            time_zone: "UTC".into(),
            week: [day, day, day, day, day, None, None],
            holidays: vec![],
            cutoff: NaiveTime::from_hms_opt(14, 0, 0),
        },
    )
    .await
    .unwrap();
}

/// Warehouse W works Monday to Friday 08:00–17:00 UTC, cut-off 14:00; carrier `ups` has no
/// calendar (always open). One policy: release 2 h, ship 8 h, deliver 2 days, promise, at risk
/// in the last 25 %, in force since January.
async fn rules(pool: &PgPool) {
    warehouse_calendar(pool, "W", 17).await;
    let mut conn = pool.acquire().await.unwrap();
    policies::save_policy(
        &mut conn,
        &NewPolicyVersion {
            policy_id: None,
            name: "Standard",
            position: 10,
            account_id: None,
            service_level: None,
            priority: None,
            warehouse_code: None,
            targets: &Targets {
                release_minutes: Some(120),
                ship_minutes: Some(8 * 60),
                deliver_days: Some(2),
                promise: true,
            },
            at_risk_percent: 25,
            created_by: None,
            effective_from: Some(utc("2026-01-01T00:00:00Z")),
        },
    )
    .await
    .unwrap();
}

fn event(order: &str, id: &str, kind: &str, time: &str, data: Value) -> Value {
    let subject = if kind.starts_with("shipment.") && kind != "shipment.dispatched" {
        format!("shipment/{order}-TN")
    } else {
        format!("order/{order}")
    };
    let mut data = data;
    data["order"] = json!({"erp_order_id": order});
    json!({"specversion": "1.0", "id": format!("{order}-{id}"), "source": "t", "type": kind,
           "subject": subject, "time": time, "data": data})
}

/// An order placed Monday 2 March 2026 09:00 with `lines`, released at `released`, dispatched
/// at `dispatched` as parcel `<order>-TN`, delivered at `delivered`.
fn story(
    order: &str,
    released: &str,
    dispatched: &str,
    delivered: Option<&str>,
    lines: Value,
) -> Vec<(usize, Value)> {
    let tn = format!("{order}-TN");
    let shipped: Vec<Value> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| json!({"line_ref": l["line_ref"], "qty_shipped": l["qty_shipped"], "line_status": "complete"}))
        .collect();
    let mut out = vec![
        (
            0,
            event(
                order,
                "created",
                "order.created",
                "2026-03-02T09:00:00Z",
                json!({"service": {"carrier": "ups"}, "promises": {"deliver_by": "2026-03-06T12:00:00Z"},
                   "amount_total": 100, "lines": lines}),
            ),
        ),
        (
            0,
            event(
                order,
                "confirmed",
                "order.confirmed",
                "2026-03-02T09:00:00Z",
                json!({}),
            ),
        ),
        (
            0,
            event(
                order,
                "release",
                "order.release_requested",
                released,
                json!({"warehouse": {"code": "W"}}),
            ),
        ),
        // The warehouse takes it at once: the release segment ends when it accepts.
        (
            1,
            event(order, "ack", "order.acknowledged", released, json!({})),
        ),
        (
            1,
            event(
                order,
                "ship",
                "shipment.dispatched",
                dispatched,
                json!({"shipment": {"tracking_numbers": [tn]}, "is_final": true, "lines": shipped}),
            ),
        ),
    ];
    if let Some(at) = delivered {
        out.push((
            2,
            event(
                order,
                "delivered",
                "shipment.delivered",
                at,
                json!({"tracking_number": tn}),
            ),
        ));
    }
    out
}

async fn clock(pool: &PgPool, order: &str, segment: &str) -> Value {
    sqlx::query_scalar(
        r#"select jsonb_build_object('due', k.due_at, 'ended', k.ended_at, 'started', k.started_at,
                  'paused', k.paused_seconds, 'met', k.ended_at <= k.due_at, 'version', k.policy_version)
           from sla_clock k join "order" o using (order_id) where o.order_ref = $1 and k.segment = $2"#,
    )
    .bind(order)
    .bind(segment)
    .fetch_optional(pool)
    .await
    .unwrap()
    .unwrap_or(Value::Null)
}

async fn rollup(pool: &PgPool) -> Value {
    sqlx::query_scalar(
        r#"select jsonb_build_object('orders', sum(orders), 'ship_measured', sum(ship_measured),
                  'ship_on_time', sum(ship_on_time), 'deliver_measured', sum(deliver_measured),
                  'deliver_on_time', sum(deliver_on_time), 'lines', sum(lines), 'lines_otif', sum(lines_otif),
                  'release_delay_sum', sum(release_delay_sum), 'first_attempt', sum(first_attempt),
                  'with_exception', sum(with_exception))
           from kpi_daily where day = '2026-03-02'"#,
    )
    .fetch_one(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn clocks_rollups_and_cases_tell_what_the_events_tell(pool: PgPool) {
    rules(&pool).await;
    let connectors = support::canonical_connectors(&pool).await;
    // A: released after 1 h (met); dispatched 16:00 Monday, 6 business hours after release (met);
    //    delivered Thursday 12:00, 20 h after the 2-day due time of Wednesday 16:00 (breached).
    let a = story(
        "A",
        "2026-03-02T10:00:00Z",
        "2026-03-02T16:00:00Z",
        Some("2026-03-05T12:00:00Z"),
        json!([{"line_ref": "1", "sku": "X", "qty_ordered": 2, "qty_shipped": 2},
               {"line_ref": "2", "sku": "Y", "qty_ordered": 1, "qty_shipped": 1}]),
    );
    // B: released after 4 h (breached, due 11:00); released 13:00, before the cut-off, so the
    //    ship clock runs Monday 13–17 and Tuesday 08–12: due Tuesday 12:00, dispatched Wednesday
    //    (breached); one failed attempt, then delivered within 2 days (met).
    let mut b = story(
        "B",
        "2026-03-02T13:00:00Z",
        "2026-03-04T10:00:00Z",
        Some("2026-03-05T09:00:00Z"),
        json!([{"line_ref": "1", "sku": "X", "qty_ordered": 1, "qty_shipped": 1}]),
    );
    b.insert(
        4,
        (
            2,
            event(
                "B",
                "attempt",
                "shipment.delivery_attempted",
                "2026-03-04T18:00:00Z",
                json!({"tracking_number": "B-TN"}),
            ),
        ),
    );
    // C: on hold 10:30–11:30 before its release at 12:00: 3 h less the 1 h pause is the 2 h
    //    target exactly (met). Released before the cut-off, not dispatched: the ship clock runs
    //    Monday 12–17 and Tuesday 08–11, due Tuesday 11:00.
    let mut c = story(
        "C",
        "2026-03-02T12:00:00Z",
        "2026-03-09T10:00:00Z",
        None,
        json!([{"line_ref": "1", "sku": "X", "qty_ordered": 1, "qty_shipped": 1}]),
    );
    c.truncate(4);
    c.push((
        1,
        event(
            "C",
            "hold",
            "order.on_hold",
            "2026-03-02T10:30:00Z",
            json!({"reason": "credit check"}),
        ),
    ));
    c.push((
        1,
        event(
            "C",
            "unhold",
            "order.hold_released",
            "2026-03-02T11:30:00Z",
            json!({}),
        ),
    ));
    for story in [&a, &b, &c] {
        support::deliver_each(&pool, &connectors, story).await;
    }

    assert_eq!(clock(&pool, "A", "release").await["met"], true);
    assert_eq!(clock(&pool, "A", "ship").await["met"], true);
    let deliver = clock(&pool, "A", "deliver").await;
    assert_eq!(deliver["due"], "2026-03-04T16:00:00+00:00", "{deliver}");
    assert_eq!(deliver["met"], false);
    assert_eq!(clock(&pool, "A", "promise").await["met"], true);
    assert_eq!(clock(&pool, "B", "release").await["met"], false);
    let ship = clock(&pool, "B", "ship").await;
    assert_eq!(ship["due"], "2026-03-03T12:00:00+00:00", "{ship}");
    assert_eq!(ship["met"], false);
    assert_eq!(clock(&pool, "B", "deliver").await["met"], true);
    let release = clock(&pool, "C", "release").await;
    assert_eq!(release["paused"], 3600, "{release}");
    assert_eq!(release["due"], "2026-03-02T12:00:00+00:00");
    assert_eq!(release["met"], true);
    let ship = clock(&pool, "C", "ship").await;
    assert_eq!(ship["ended"], Value::Null);
    assert_eq!(ship["due"], "2026-03-03T11:00:00+00:00");

    // By hand, for Monday 2 March: 3 orders; A and B shipped, A on time; A and B delivered, B
    // on time (A's deliver clock decides over its promise); lines of delivered orders: 2 + 1,
    // in full and on time only B's 1; release delays 1 h + 4 h + 3 h; B's first attempt failed.
    let r = rollup(&pool).await;
    assert_eq!(
        r,
        json!({"orders": 3, "ship_measured": 2, "ship_on_time": 1, "deliver_measured": 2, "deliver_on_time": 1,
               "lines": 3, "lines_otif": 1, "release_delay_sum": 3600 + 14400 + 10800, "first_attempt": 1,
               "with_exception": 2})
    );

    // Cases: B's failed attempt was filed and cleared by the delivery; C's hold too.
    let cases: Vec<(String, String, bool)> = sqlx::query(
        "select order_ref, category, cleared_at is not null as cleared from exception_case order by order_ref, category",
    )
    .fetch_all(&pool)
    .await
    .unwrap()
    .iter()
    .map(|r| (r.get(0), r.get(1), r.get(2)))
    .collect();
    assert_eq!(
        cases,
        vec![
            ("B".into(), "failed_attempt".into(), true),
            ("C".into(), "hold".into(), true)
        ]
    );

    // Late: A's parcel was really delivered Wednesday 12:00; the scan arrives now. The deliver
    // clock is met after all, and the rollups move: 2 on time, all 3 lines OTIF.
    let late = vec![(
        2,
        event(
            "A",
            "delivered-early",
            "shipment.delivered",
            "2026-03-04T12:00:00Z",
            json!({"tracking_number": "A-TN"}),
        ),
    )];
    let before_late = Utc::now();
    support::deliver_each(&pool, &connectors, &late).await;
    assert_eq!(clock(&pool, "A", "deliver").await["met"], true);
    let marked: Option<DateTime<Utc>> =
        sqlx::query_scalar("select max(late_changed_at) from kpi_daily where day = '2026-03-02'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(
        marked.is_some_and(|t| t >= before_late),
        "the rollup says it was recomputed"
    );
    let r = rollup(&pool).await;
    assert_eq!(r["deliver_on_time"], 2, "{r}");
    assert_eq!(r["lines_otif"], 3, "{r}");
    assert_eq!(
        r["orders"], 3,
        "a refold moves an order's share, never adds a second one"
    );
    // The rollups are exactly the sum of the per-order shares.
    let drift: i64 = sqlx::query_scalar(
        r#"with shares as (
               select day, coalesce(account_id::text, '') a, coalesce(warehouse_code, '') w, coalesce(carrier, '') c,
                      coalesce(service_level, '') s, count(*)::int as n,
                      (count(*) filter (where deliver_on_time))::int as on_time, sum(lines_otif)::int as otif
               from order_kpi group by 1, 2, 3, 4, 5),
           sums as (
               select day, coalesce(account_id::text, '') a, coalesce(warehouse_code, '') w, coalesce(carrier, '') c,
                      coalesce(service_level, '') s, orders as n, deliver_on_time as on_time, lines_otif as otif
               from kpi_daily where orders <> 0)
           select count(*) from ((table shares except table sums) union all (table sums except table shares)) d"#,
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(drift, 0);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_policy_edit_applies_from_then_on_and_old_clocks_keep_their_version(pool: PgPool) {
    rules(&pool).await;
    let connectors = support::canonical_connectors(&pool).await;
    // Version 2 from 1 April: release within 30 minutes.
    let mut conn = pool.acquire().await.unwrap();
    let saved = policies::save_policy(
        &mut conn,
        &NewPolicyVersion {
            policy_id: Some(policies::policy_versions(&pool).await.unwrap()[0].policy_id),
            name: "Standard",
            position: 10,
            account_id: None,
            service_level: None,
            priority: None,
            warehouse_code: None,
            targets: &Targets {
                release_minutes: Some(30),
                ..Targets::default()
            },
            at_risk_percent: 25,
            created_by: None,
            effective_from: Some(utc("2026-04-01T00:00:00Z")),
        },
    )
    .await
    .unwrap();
    assert_eq!(saved.map(|s| s.1), Some(2));
    let mut march = story(
        "M",
        "2026-03-02T10:00:00Z",
        "2026-03-02T16:00:00Z",
        None,
        json!([]),
    );
    march.truncate(4);
    support::deliver_each(&pool, &connectors, &march).await;
    let clock_m = clock(&pool, "M", "release").await;
    assert_eq!(clock_m["version"], 1);
    assert_eq!(clock_m["met"], true, "1 h against version 1's 2 h");
    // An April order, released after 1 h, against version 2's 30 minutes.
    let april: Vec<(usize, Value)> = march
        .iter()
        .map(|(s, e)| {
            let text = e
                .to_string()
                .replace("\"M", "\"P")
                .replace("/M", "/P")
                .replace("2026-03-02", "2026-04-06");
            (*s, serde_json::from_str(&text).unwrap())
        })
        .collect();
    support::deliver_each(&pool, &connectors, &april).await;
    let clock_p = clock(&pool, "P", "release").await;
    assert_eq!(clock_p["version"], 2, "{clock_p}");
    assert_eq!(clock_p["met"], false);
    assert_eq!(
        clock(&pool, "P", "ship").await,
        Value::Null,
        "version 2 measures release only"
    );
    // A late event for the March order refolds it; it keeps version 1.
    let late = vec![(
        1,
        event(
            "M",
            "alloc",
            "order.allocated",
            "2026-03-02T11:00:00Z",
            json!({}),
        ),
    )];
    support::deliver_each(&pool, &connectors, &late).await;
    assert_eq!(clock(&pool, "M", "release").await["version"], 1);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn the_sweep_files_and_clears_dead_sync_jobs_and_quiet_sources(pool: PgPool) {
    rules(&pool).await;
    let connectors = support::canonical_connectors(&pool).await;
    let mut s = story(
        "D",
        "2026-03-02T10:00:00Z",
        "2026-03-02T16:00:00Z",
        None,
        json!([]),
    );
    s.truncate(4);
    support::deliver_each(&pool, &connectors, &s).await;
    let job: i64 = sqlx::query_scalar(
        r#"insert into job (queue, kind, payload, state, ordering_key, last_error, finished_at)
           values ('wms:w', 'wms.instruction', '{}', 'dead', 'D', 'the WMS answered HTTP 422', now())
           returning job_id"#,
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    // The ERP last spoke five hours ago; the others never did (not stale: never started).
    sqlx::query(
        "update inbox_message set received_at = now() - interval '5 hours' where connector_id = $1",
    )
    .bind(connectors[0].id)
    .execute(&pool)
    .await
    .unwrap();
    let settings = server::sla::sweep::SweepSettings::default();
    server::sla::sweep::once(&pool, &settings).await.unwrap();
    server::sla::sweep::once(&pool, &settings).await.unwrap();
    let open = |pool: PgPool| async move {
        sqlx::query_scalar::<_, String>(
            "select case_key from exception_case where cleared_at is null order by case_key",
        )
        .fetch_all(&pool)
        .await
        .unwrap()
    };
    let keys = open(pool.clone()).await;
    assert!(keys.contains(&format!("job:{job}")), "{keys:?}");
    let sync_case: (Option<String>, String) =
        sqlx::query_as("select order_ref, category from exception_case where case_key = $1")
            .bind(format!("job:{job}"))
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(sync_case, (Some("D".into()), "sync".into()));
    assert_eq!(
        keys.iter().filter(|k| k.starts_with("job:")).count(),
        1,
        "filed once"
    );
    let stale = format!("stale:{}", connectors[0].id);
    assert_eq!(
        keys.iter()
            .filter(|k| k.starts_with("stale:"))
            .collect::<Vec<_>>(),
        vec![&stale]
    );

    // The ERP speaks again: its stale case clears.
    let more = vec![(
        0,
        event(
            "D",
            "updated",
            "order.updated",
            "2026-03-02T10:30:00Z",
            json!({}),
        ),
    )];
    support::deliver_each(&pool, &connectors, &more).await;

    // The job is replayed and succeeds: its case clears.
    sqlx::query("update job set state = 'succeeded' where job_id = $1")
        .bind(job)
        .execute(&pool)
        .await
        .unwrap();
    server::sla::sweep::once(&pool, &settings).await.unwrap();
    let keys = open(pool.clone()).await;
    assert!(!keys.contains(&format!("job:{job}")), "{keys:?}");
    assert!(!keys.contains(&stale), "{keys:?}");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_edited_calendar_moves_the_due_times_of_open_clocks(pool: PgPool) {
    rules(&pool).await;
    let connectors = support::canonical_connectors(&pool).await;
    // Released Monday 12:00, not dispatched: 8 h of 08:00–17:00 make Tuesday 11:00.
    let mut s = story(
        "E",
        "2026-03-02T12:00:00Z",
        "2026-03-09T10:00:00Z",
        None,
        json!([]),
    );
    s.truncate(4);
    support::deliver_each(&pool, &connectors, &s).await;
    let settings = server::sla::sweep::SweepSettings::default();
    server::sla::sweep::once(&pool, &settings).await.unwrap();
    assert_eq!(
        clock(&pool, "E", "ship").await["due"],
        "2026-03-03T11:00:00+00:00"
    );

    // The warehouse now closes at noon: released at closing time, the clock counts from
    // Tuesday 08:00, four hours a day: due Wednesday 12:00.
    warehouse_calendar(&pool, "w", 12).await;
    server::sla::sweep::once(&pool, &settings).await.unwrap();
    assert_eq!(
        clock(&pool, "E", "ship").await["due"],
        "2026-03-04T12:00:00+00:00"
    );
    let pending: i64 = sqlx::query_scalar(
        "select count(*) from business_calendar where applied_at is null or applied_at < updated_at",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(pending, 0, "each change is applied once");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn pages_are_told_of_changes_and_only_of_changes(pool: PgPool) {
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool)
        .await
        .unwrap();
    listener.listen("milepost_live").await.unwrap();
    // Statements that change nothing say nothing.
    sqlx::query("update exception_case set updated_at = now() where false")
        .execute(&pool)
        .await
        .unwrap();
    sqlx::query("delete from sla_clock where false")
        .execute(&pool)
        .await
        .unwrap();
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), listener.recv()).await;
    assert!(
        quiet.is_err(),
        "no notice for a statement that changed nothing"
    );
    sqlx::query(
        "insert into exception_case (case_key, category, kind, severity, summary, opened_at)
         values ('t:1', 'delay', 'delayed', 'warning', 'late', now())",
    )
    .execute(&pool)
    .await
    .unwrap();
    let notice = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv())
        .await
        .expect("a notice")
        .unwrap();
    assert_eq!(notice.payload(), "exceptions");
}
