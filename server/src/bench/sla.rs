//! `milepost bench sla`: a million orders with about ten events each, then, in one run, the
//! dashboard's and the exception queue's server render times (whole pages over HTTP, as a
//! signed-in agent sees them) and an account manager's month on `/reports`, each against the
//! bare SQL behind it; and a streamed CSV export of about 100,000 orders with the memory it
//! takes.
//!
//! The orders are made by a synthetic generator (a year of history over 20 accounts, three
//! warehouses, four carriers, late and short and failed deliveries, holds, carrier
//! exceptions, and the last days still open) and written by the real code: `projections::write`
//! for the orders and `sla::engine::recompute` for their clocks, KPI shares and cases, as the
//! projector does. The events go into the event table by SQL, ten per order, so the database
//! is the size it would be.

use crate::cli::BenchSla;
use crate::settings::Settings;
use crate::startup::Application;
use app::domain::dashboard::DashboardFilter;
use app::domain::exceptions::QueueFilter;
use app::domain::projection::*;
use app::domain::sla::Pause;
use app::domain::status::{
    ExceptionDomain, LineStatus, OrderStatus, PauseReason, Severity, ShipmentStatus,
};
use app::store::kpis::{self, Filters};
use app::store::orders::Scope;
use chrono::{DateTime, Duration, Utc};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use std::time::Instant;
use uuid::Uuid;

const ACCOUNTS: usize = 20;
const WAREHOUSES: &[&str] = &["RNO", "CHI", "NJ"];
const CARRIERS: &[&str] = &["UPS", "USPS", "FedEx", "NMTF"];
/// Orders written per transaction.
const BATCH: usize = 5_000;

pub async fn run(args: BenchSla, settings: Settings) -> anyhow::Result<()> {
    super::in_scratch_database_kept(&settings, args.keep, |options| {
        measure(args, settings.clone(), options)
    })
    .await
}

fn at(rng: &mut StdRng, from: DateTime<Utc>, min_minutes: i64, max_minutes: i64) -> DateTime<Utc> {
    from + Duration::minutes(rng.random_range(min_minutes..=max_minutes))
}

/// Order `n` of the history: placed `age` ago, moved as far as the time since allows.
pub fn synthetic_order(
    n: usize,
    rng: &mut StdRng,
    now: DateTime<Utc>,
    days: i64,
) -> OrderProjection {
    let placed = now - Duration::minutes(rng.random_range(0..days * 24 * 60));
    let name = format!("SO{n:07}");
    let warehouse = WAREHOUSES[rng.random_range(0..WAREHOUSES.len())];
    let carrier = if warehouse == "CHI" && rng.random_bool(0.3) {
        "NMTF"
    } else {
        CARRIERS[rng.random_range(0..3)]
    };
    let confirmed = at(rng, placed, 0, 20);
    let slow_release = if rng.random_bool(0.1) { 300 } else { 40 };
    let released = at(rng, confirmed, 1, slow_release);
    let slow_ship = if rng.random_bool(0.15) { 3000 } else { 900 };
    let dispatched = at(rng, released, 120, slow_ship);
    let picked_up = at(rng, dispatched, 30, 600);
    let failed = rng.random_bool(0.06);
    let slow_transit = if rng.random_bool(0.1) { 9000 } else { 4000 };
    let delivered =
        at(rng, picked_up, 600, slow_transit) + Duration::hours(if failed { 24 } else { 0 });
    let short = rng.random_bool(0.04);
    let mut milestones = vec![("created", placed), ("confirmed", confirmed)];
    let mut status = OrderStatus::Confirmed;
    let mut shipments = Vec::new();
    let mut exceptions = Vec::new();
    let mut pauses = Vec::new();
    let tn = format!("1Z{n:09}");
    let ev = |k: u128| Uuid::from_u128(((n as u128) << 8) | k);
    if released <= now {
        milestones.push(("released", released));
        status = OrderStatus::Released;
        if rng.random_bool(0.02) {
            let from = at(rng, released, 5, 60);
            let until = at(rng, from, 30, 600);
            pauses.push(Pause {
                reason: PauseReason::OnHold,
                from,
                until: (until <= now).then_some(until),
            });
        }
    }
    if dispatched <= now {
        milestones.push(("dispatched", dispatched));
        status = OrderStatus::Shipped;
        let mut s = ShipmentView {
            tracking_number: tn.clone(),
            carrier: Some(carrier.into()),
            status: ShipmentStatus::Dispatched,
            dispatched_at: Some(dispatched),
            ..ShipmentView::default()
        };
        if picked_up <= now {
            milestones.push(("picked_up", picked_up));
            s.status = ShipmentStatus::InTransit;
            status = OrderStatus::InTransit;
        }
        if failed && picked_up + Duration::hours(20) <= now {
            let attempt = picked_up + Duration::hours(20);
            milestones.push(("first_attempt", attempt));
            s.delivery_attempts = 1;
            exceptions.push(ExceptionView {
                opened_by_event: ev(1),
                kind: "failed_attempt".into(),
                domain: ExceptionDomain::Transport,
                severity: Severity::Warning,
                summary: "No one home".into(),
                opened_at: Some(attempt),
                closed_by_event: (delivered <= now).then(|| ev(2)),
                closed_at: (delivered <= now).then_some(delivered),
            });
        }
        if rng.random_bool(0.03) {
            let opened = at(rng, dispatched, 60, 2000);
            if opened <= now {
                exceptions.push(ExceptionView {
                    opened_by_event: ev(3),
                    kind: "damaged".into(),
                    domain: ExceptionDomain::Transport,
                    severity: Severity::Critical,
                    summary: "Parcel damaged in transit".into(),
                    opened_at: Some(opened),
                    closed_by_event: (delivered <= now).then(|| ev(2)),
                    closed_at: (delivered <= now).then_some(delivered),
                });
            }
        }
        if delivered <= now {
            milestones.push(("delivered", delivered));
            s.status = ShipmentStatus::Delivered;
            s.delivered_at = Some(delivered);
            status = OrderStatus::Delivered;
        }
        shipments.push(s);
    }
    let lines = (1..=rng.random_range(1..=3))
        .map(|i| {
            let ordered = rng.random_range(1..=5) as f64;
            let shipped = if dispatched > now {
                0.0
            } else if short && i == 1 {
                ordered - 1.0
            } else {
                ordered
            };
            LineView {
                line_ref: format!("{name}-{i}"),
                sku: Some(format!("SKU-{}", rng.random_range(1..200))),
                uom: Some("EA".into()),
                qty_ordered: ordered,
                qty_shipped: shipped,
                qty_short: ordered
                    - shipped.max(0.0).min(ordered) * f64::from(u8::from(dispatched <= now)),
                line_status: if dispatched > now {
                    LineStatus::Open
                } else if shipped < ordered {
                    LineStatus::Short
                } else {
                    LineStatus::Complete
                },
                ..LineView::default()
            }
        })
        .collect();
    OrderProjection {
        header: OrderHeader {
            order_ref: name,
            customer: CustomerRef {
                account_code: Some(format!("ACC{:02}", n % ACCOUNTS)),
                ..CustomerRef::default()
            },
            status,
            warehouse_code: Some(warehouse.into()),
            carrier: Some(carrier.into()),
            service_level: Some(if carrier == "NMTF" { "ltl" } else { "ground" }.into()),
            ordered_at: Some(placed),
            promised_deliver_by: Some(placed + Duration::days(5)),
            tracking_numbers: if shipments.is_empty() {
                vec![]
            } else {
                vec![tn]
            },
            last_event_at: milestones.last().map(|m| m.1),
            order_value: Some(f64::from(rng.random_range(20..2000))),
            ship_to_country: Some(if n.is_multiple_of(7) { "CA" } else { "US" }.into()),
            ..OrderHeader::default()
        },
        lines,
        shipments,
        milestones: milestones
            .into_iter()
            .enumerate()
            .map(|(i, (m, t))| MilestoneView {
                milestone: m.into(),
                occurred_at: Some(t),
                event_id: ev(16 + i as u128),
            })
            .collect(),
        exceptions,
        pauses,
        ..OrderProjection::default()
    }
}

async fn generate(pool: &PgPool, args: &BenchSla) -> anyhow::Result<()> {
    let started = Instant::now();
    for a in 0..ACCOUNTS {
        sqlx::query("insert into account (code, name) values ($1, $2)")
            .bind(format!("ACC{a:02}"))
            .bind(format!("Customer {a:02}"))
            .execute(pool)
            .await?;
    }
    crate::demo::sla::ensure(pool, args.days).await?;
    let now = Utc::now();
    let mut rng = StdRng::seed_from_u64(7);
    let mut n = 0;
    while n < args.orders {
        let count = BATCH.min(args.orders - n);
        let batch: Vec<OrderProjection> = (n..n + count)
            .map(|i| synthetic_order(i, &mut rng, now, args.days))
            .collect();
        let mut tx = pool.begin().await?;
        crate::store::projections::write(&mut tx, &batch).await?;
        crate::sla::engine::recompute(&mut tx, &batch, &[], now).await?;
        tx.commit().await?;
        n += count;
        if n % 100_000 == 0 || n == args.orders {
            println!(
                "  {n} orders written ({:.0} s)",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let connector: i64 = sqlx::query_scalar(
        "insert into connector (name, kind, format, allowed_types) values ('bench-erp', 'erp', 'canonical', '{}') returning connector_id",
    )
    .fetch_one(pool)
    .await?;
    for kind in ["wms", "carrier"] {
        sqlx::query("insert into connector (name, kind, format, allowed_types) values ($1, $2, 'canonical', '{}')")
            .bind(format!("bench-{kind}"))
            .bind(kind)
            .execute(pool)
            .await?;
    }
    sqlx::query(
        "insert into inbox_message (connector_id, message_id, message_id_derived, received_at, last_received_at, body, outcome)
         values ($1, 'bench', false, now(), now(), '\\x', 'accepted')",
    )
    .bind(connector)
    .execute(pool)
    .await?;
    let step = 100_000;
    let mut from = 1;
    let total: i64 = sqlx::query_scalar(r#"select coalesce(max(order_id), 0) from "order""#)
        .fetch_one(pool)
        .await?;
    while from <= total {
        sqlx::query(
            r#"insert into event (event_id, recorded_at, connector_id, inbox_message_id, source, external_id, type, subject,
                   order_ref, occurred_at, time_provenance, data, disposition)
               select gen_random_uuid(), o.ordered_at + k * interval '3 hours', $1, 1, 'bench', o.order_ref || '-' || k,
                      (array['order.created','order.confirmed','order.release_requested','order.allocated','order.picked',
                             'order.packed','shipment.dispatched','shipment.in_transit','shipment.out_for_delivery',
                             'shipment.delivered'])[1 + (k - 1) % 10],
                      'order/' || o.order_ref, o.order_ref, o.ordered_at + k * interval '3 hours', 'given',
                      jsonb_build_object('order', jsonb_build_object('erp_order_id', o.order_ref)), 'applied'
               from "order" o cross join generate_series(1, $2) k
               where o.order_id between $3 and $4"#,
        )
        .bind(connector)
        .bind(args.events_per_order as i32)
        .bind(from)
        .bind(from + step - 1)
        .execute(pool)
        .await?;
        from += step;
    }
    println!(
        "  events written ({:.0} s); analysing",
        started.elapsed().as_secs_f64()
    );
    sqlx::query("vacuum analyze").execute(pool).await?;
    Ok(())
}

fn percentile(samples: &mut [f64], p: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    let i = ((samples.len() as f64 - 1.0) * p).round() as usize;
    samples[i]
}

/// Runs `work` `n` times after two warm-ups; returns (p50, p95) in milliseconds.
async fn timed<F, Fut>(n: usize, mut work: F) -> anyhow::Result<(f64, f64)>
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    for i in 0..2 {
        work(i).await?;
    }
    let mut samples = Vec::with_capacity(n);
    for i in 0..n {
        let started = Instant::now();
        work(i).await?;
        samples.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    Ok((
        percentile(&mut samples, 0.5),
        percentile(&mut samples, 0.95),
    ))
}

/// The dashboard's queries alone, as `server::dashboard::view` runs them for an agent; adds
/// each query's time to `spent` (by name), so the run can say where the time goes.
async fn dashboard_sql(pool: &PgPool, laps: &mut Laps) -> anyhow::Result<()> {
    let scope = Scope::All;
    let filter = DashboardFilter::default();
    let f = Filters {
        scope: &scope,
        account_id: None,
        f: &filter,
    };
    let now = Utc::now();
    let to = now.date_naive() + Duration::days(1);
    let from = to - Duration::days(30);
    let previous = from - Duration::days(30);
    laps.start();
    kpis::sums(pool, &f, from, to).await?;
    kpis::sums(pool, &f, previous, from).await?;
    laps.lap("rollup sums, two periods");
    kpis::release_delays(pool, &f, from, to, true).await?;
    kpis::release_delays(pool, &f, previous, from, false).await?;
    laps.lap("release delay p50/p90 and distribution, two periods");
    kpis::risk_counts(pool, &f, now).await?;
    laps.lap("at-risk and breached counts");
    kpis::daily(pool, &f, from, to).await?;
    laps.lap("trend per day");
    kpis::cycle_by(pool, &f, from, to, "warehouse_code").await?;
    laps.lap("cycle time split");
    kpis::at_risk(pool, &f, now, app::services::dashboard::AT_RISK_LIMIT).await?;
    laps.lap("at-risk orders");
    kpis::freshness(pool).await?;
    laps.lap("freshness");
    app::store::accounts::list(pool).await?;
    kpis::dimension_values(pool, &scope).await?;
    laps.lap("filter choices");
    Ok(())
}

async fn measure(
    args: BenchSla,
    settings: Settings,
    options: PgConnectOptions,
) -> anyhow::Result<()> {
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await?;
    crate::database::migrate(&pool).await?;
    println!(
        "generating {} orders over {} days, {} events each",
        args.orders, args.days, args.events_per_order
    );
    generate(&pool, &args).await?;
    let sizes: (i64, i64, i64, i64) = sqlx::query_as(
        r#"select (select count(*) from "order"), (select count(*) from event), (select count(*) from sla_clock),
                  (select count(*) from exception_case where cleared_at is null and resolved_at is null)"#,
    )
    .fetch_one(&pool)
    .await?;
    println!(
        "  {} orders, {} events, {} SLA clocks, {} open cases",
        sizes.0, sizes.1, sizes.2, sizes.3
    );

    let mut settings = settings;
    settings.listen_addr = "127.0.0.1:0".parse()?;
    // From here on, the pages and the bare SQL they are compared with use connections set up
    // as the web pool's are in production (`database::session`: statement timeout, no JIT).
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(crate::database::session(
            (*pool.connect_options()).clone(),
            crate::database::PoolKind::Web,
            &settings.db,
        ))
        .await?;
    let app = Application::build(&settings, pool.clone()).await?;
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    let email = "bench-agent@example.com";
    app::services::users::create(
        &pool,
        app::services::users::NewUser {
            email: email.into(),
            display_name: None,
            role: app::domain::Role::Agent,
            account_codes: vec![],
            password: secrecy::SecretString::from("bench-password-123"),
        },
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let client = reqwest::Client::new();
    let cookie = sign_in(&client, &base, email).await?;
    let page = |path: String, cookie: String| {
        let (client, base) = (client.clone(), base.clone());
        move |_| {
            let (client, base, cookie, path) =
                (client.clone(), base.clone(), cookie.clone(), path.clone());
            async move {
                let res = client
                    .get(format!("{base}{path}"))
                    .header("cookie", cookie)
                    .send()
                    .await?;
                anyhow::ensure!(res.status().is_success(), "{path}: {}", res.status());
                let body = res.text().await?;
                anyhow::ensure!(body.contains("</html>"), "{path}: not a whole page");
                Ok(())
            }
        }
    };
    let n = args.samples;
    println!("measuring, {n} samples each (p50 / p95):");
    let dash_page = timed(n, page("/dashboard".into(), cookie.clone())).await?;
    let mut spent = Laps::default();
    let mut dash_samples = Vec::with_capacity(n);
    for i in 0..n + 2 {
        let started = Instant::now();
        dashboard_sql(&pool, &mut spent).await?;
        if i >= 2 {
            dash_samples.push(started.elapsed().as_secs_f64() * 1000.0);
        }
    }
    let dash_sql = (
        percentile(&mut dash_samples, 0.5),
        percentile(&mut dash_samples, 0.95),
    );
    let queue_page = timed(n, page("/exceptions".into(), cookie.clone())).await?;
    let agent: Uuid = sqlx::query_scalar("select user_id from app_user where email = $1")
        .bind(email)
        .fetch_one(&pool)
        .await?;
    let queue_sql = timed(n, |_| {
        let pool = pool.clone();
        async move {
            app::store::exceptions::list(&pool, &QueueFilter::default(), agent, Utc::now()).await?;
            app::store::users::list(&pool).await?;
            Ok(())
        }
    })
    .await?;
    let report = |name: &str, page: (f64, f64), sql: (f64, f64), target: f64| {
        let ratio = page.1 / sql.1;
        println!(
            "  {name}: page {:.1} / {:.1} ms; bare SQL {:.1} / {:.1} ms; p95 ratio {ratio:.2}x; target p95 < {target} ms and within 2x: {}",
            page.0, page.1, sql.0, sql.1,
            if page.1 < target && ratio <= 2.0 { "met" } else { "not met" }
        );
    };
    report("dashboard", dash_page, dash_sql, 150.0);
    spent.print("where the dashboard's SQL time goes", n + 2);
    report("exception queue", queue_page, queue_sql, 100.0);

    // An account manager's month: the whole /reports page against the queries behind it.
    let manager = "bench-manager@example.com";
    app::services::users::create(
        &pool,
        app::services::users::NewUser {
            email: manager.into(),
            display_name: None,
            role: app::domain::Role::AccountManager,
            account_codes: vec!["ACC03".into()],
            password: secrecy::SecretString::from("bench-password-123"),
        },
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let manager_cookie = sign_in(&client, &base, manager).await?;
    let today = Utc::now().date_naive();
    let first = chrono::NaiveDate::from_ymd_opt(
        chrono::Datelike::year(&today),
        chrono::Datelike::month(&today),
        1,
    )
    .expect("a month")
    .checked_sub_months(chrono::Months::new(1))
    .expect("a month");
    let month = first.format("%Y-%m").to_string();
    let account: Uuid = sqlx::query_scalar("select account_id from account where code = 'ACC03'")
        .fetch_one(&pool)
        .await?;
    let month_orders: i64 = sqlx::query_scalar(
        r#"select count(*) from "order" where account_id = $1 and ordered_at >= $2 and ordered_at < $3"#,
    )
    .bind(account)
    .bind(first.and_hms_opt(0, 0, 0).expect("midnight").and_utc())
    .bind(
        first
            .checked_add_months(chrono::Months::new(1))
            .expect("a month")
            .and_hms_opt(0, 0, 0)
            .expect("midnight")
            .and_utc(),
    )
    .fetch_one(&pool)
    .await?;
    let report_page = timed(
        n,
        page(
            format!("/reports?account=ACC03&month={month}"),
            manager_cookie.clone(),
        ),
    )
    .await?;
    let report_sql = timed(n, |_| {
        let pool = pool.clone();
        async move { report_queries(&pool, account, first, &mut Laps::default()).await }
    })
    .await?;
    println!("  (one account-month: ACC03, {month}, {month_orders} orders)");
    report("account-month report", report_page, report_sql, 200.0);
    let mut report_laps = Laps::default();
    for _ in 0..n {
        report_queries(&pool, account, first, &mut report_laps).await?;
    }
    report_laps.print("where the report's SQL time goes", n);

    // A CSV of about 100,000 orders (the latest, as the order list filters them by date),
    // streamed; the process's resident memory is sampled while it downloads.
    let admin = "bench-admin@example.com";
    app::services::users::create(
        &pool,
        app::services::users::NewUser {
            email: admin.into(),
            display_name: None,
            role: app::domain::Role::Admin,
            account_codes: vec![],
            password: secrecy::SecretString::from("bench-password-123"),
        },
        None,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let admin_cookie = sign_in(&client, &base, admin).await?;
    let per_day = args.orders as i64 / args.days.max(1);
    let days = (100_000 / per_day.max(1)).max(1);
    let from = (today - Duration::days(days - 1)).to_string();
    csv_export(&client, &base, &admin_cookie, &from).await?;
    Ok(())
}

/// Signs `email` in (bench password) and returns the session cookie.
async fn sign_in(client: &reqwest::Client, base: &str, email: &str) -> anyhow::Result<String> {
    let login = client
        .post(format!("{base}/fn/auth/login"))
        .header("origin", base)
        .header("accept", "application/json")
        .form(&[("email", email), ("password", "bench-password-123")])
        .send()
        .await?;
    anyhow::ensure!(
        login.status().is_success(),
        "bench sign-in failed: {}",
        login.status()
    );
    Ok(login
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; "))
}

/// The queries `services::reports::month` runs for one account's month, called directly.
async fn report_queries(
    pool: &PgPool,
    account: Uuid,
    first: chrono::NaiveDate,
    laps: &mut Laps,
) -> anyhow::Result<()> {
    let next = first
        .checked_add_months(chrono::Months::new(1))
        .expect("a month");
    let scope = Scope::All;
    let dims = DashboardFilter {
        account: "ACC03".into(),
        ..DashboardFilter::default()
    };
    let f = Filters {
        scope: &scope,
        account_id: Some(account),
        f: &dims,
    };
    let now = Utc::now();
    laps.start();
    app::store::accounts::list(pool).await?;
    app::store::reports::snapshots(pool, account, first).await?;
    laps.lap("accounts and published versions");
    kpis::sums(pool, &f, first, next).await?;
    laps.lap("rollup sums");
    app::store::disputes::excused_counts(pool, account, first, next, ["", "", ""]).await?;
    app::store::reports::attainment(pool, account, first, next, &dims).await?;
    laps.lap("attainment, measured and after excusals");
    app::store::reports::early(pool, account, first, next, &dims).await?;
    laps.lap("early deliveries");
    let (rows, _) =
        app::store::reports::breaches(pool, account, first, next, &dims, now, 500).await?;
    laps.lap("breach list");
    let ids: Vec<i64> = rows.iter().map(|r| r.5).collect();
    app::store::reports::spans(pool, &ids).await?;
    laps.lap("blame spans");
    app::store::disputes::excusals(pool, account, first, next, ["", "", ""]).await?;
    laps.lap("excusals");
    app::store::reports::cycle_percentiles(pool, account, first, next, &dims).await?;
    laps.lap("cycle p50/p90");
    let start = first
        .checked_sub_months(chrono::Months::new(11))
        .expect("a month");
    kpis::daily(pool, &f, start, next).await?;
    laps.lap("twelve-month trend");
    app::store::scorecards::delivered_with_etas(
        pool,
        Some(&[account]),
        first,
        next,
        ["", "", ""],
        true,
    )
    .await?;
    laps.lap("ETA scorecards with lanes");
    Ok(())
}

/// Time spent per named step of a render, summed over renders.
#[derive(Default)]
struct Laps {
    clock: Option<Instant>,
    spent: Vec<(&'static str, f64)>,
}

impl Laps {
    fn start(&mut self) {
        self.clock = Some(Instant::now());
    }

    /// The time since the last lap (or the start) goes to `name`.
    fn lap(&mut self, name: &'static str) {
        let now = Instant::now();
        let ms = self
            .clock
            .map_or(0.0, |c| now.duration_since(c).as_secs_f64() * 1000.0);
        self.clock = Some(now);
        match self.spent.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 += ms,
            None => self.spent.push((name, ms)),
        }
    }

    /// Each step's mean over `renders`.
    fn print(&self, title: &str, renders: usize) {
        println!("  {title} (mean per render):");
        for (name, total) in &self.spent {
            println!("    {name}: {:.1} ms", total / renders as f64);
        }
    }
}

/// The resident set of this process, in bytes (Linux; `None` elsewhere).
fn resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Downloads the order list from `from` on as CSV, counting rows and bytes as they stream in,
/// while a sampler records the process's peak resident memory.
async fn csv_export(
    client: &reqwest::Client,
    base: &str,
    cookie: &str,
    from: &str,
) -> anyhow::Result<()> {
    let before = resident_bytes().unwrap_or(0);
    let peak = std::sync::Arc::new(std::sync::atomic::AtomicU64::new(before));
    let sampling = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let sampler = {
        let (peak, sampling) = (peak.clone(), sampling.clone());
        tokio::spawn(async move {
            while sampling.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(rss) = resident_bytes() {
                    peak.fetch_max(rss, std::sync::atomic::Ordering::Relaxed);
                }
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
        })
    };
    let started = Instant::now();
    let mut res = client
        .get(format!("{base}/export/orders.csv?from={from}"))
        .header("cookie", cookie)
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "CSV export: {}", res.status());
    let first_byte = started.elapsed().as_secs_f64() * 1000.0;
    let (mut bytes, mut lines) = (0usize, 0usize);
    while let Some(chunk) = res.chunk().await? {
        bytes += chunk.len();
        lines += chunk.iter().filter(|b| **b == b'\n').count();
    }
    let took = started.elapsed().as_secs_f64();
    sampling.store(false, std::sync::atomic::Ordering::Relaxed);
    sampler.await?;
    let growth = peak
        .load(std::sync::atomic::Ordering::Relaxed)
        .saturating_sub(before);
    let rows = lines.saturating_sub(1);
    println!(
        "  CSV export: {rows} orders, {:.1} MB in {took:.1} s (first byte after {first_byte:.0} ms, {:.0} rows/s); \
         peak resident memory growth {:.1} MB (server and client in this process); target under 50 MB: {}",
        bytes as f64 / 1e6,
        rows as f64 / took,
        growth as f64 / 1e6,
        if growth < 50_000_000 { "met" } else { "not met" }
    );
    Ok(())
}
