//! SLA storage: calendars and policy versions (the rules), the clocks and KPI shares the
//! projector writes for each order it folds, the daily rollups kept as sums of those shares, and
//! the observed stage durations.

use crate::domain::sla::calendar::{BusinessCalendar, DayHours};
use crate::domain::sla::cases::CaseFact;
use crate::domain::sla::{Clock, OrderKpi, PolicyVersion, Segment, Targets};
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgExecutor, Row};
use std::collections::{BTreeSet, HashMap};
use uuid::Uuid;

/// Everything clocks are computed with, read once per projector batch.
#[derive(Clone, Debug, Default)]
pub struct Rules {
    pub policies: Vec<PolicyVersion>,
    /// By lower-case warehouse code.
    pub warehouses: HashMap<String, BusinessCalendar>,
    /// By lower-case carrier name.
    pub carriers: HashMap<String, BusinessCalendar>,
    /// p80 business seconds by (scope, lower-case code, segment).
    pub observed: HashMap<(String, String, String), i64>,
}

/// A stored calendar, as the admin page shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct CalendarRow {
    pub business_calendar_id: i64,
    pub scope: String,
    pub code: String,
    pub time_zone: String,
    pub week: [Option<DayHours>; 7],
    pub holidays: Vec<NaiveDate>,
    pub cutoff: Option<NaiveTime>,
}

impl CalendarRow {
    /// The calendar for arithmetic; `None` when the stored zone is unknown to this build.
    pub fn calendar(&self) -> Option<BusinessCalendar> {
        Some(BusinessCalendar {
            zone: self.time_zone.parse::<Tz>().ok()?,
            week: self.week,
            holidays: self.holidays.iter().copied().collect::<BTreeSet<_>>(),
            cutoff: self.cutoff,
        })
    }
}

fn week_from(value: &Value) -> [Option<DayHours>; 7] {
    let mut week = [None; 7];
    if let Some(days) = value.as_array() {
        for (slot, day) in week.iter_mut().zip(days) {
            *slot = serde_json::from_value(day.clone()).ok();
        }
    }
    week
}

pub fn week_json(week: &[Option<DayHours>; 7]) -> Value {
    json!(week)
}

pub async fn calendars(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CalendarRow>> {
    let rows = sqlx::query(
        r#"select business_calendar_id, scope, code, time_zone, week, holidays, cutoff
           from business_calendar order by scope desc, lower(code)"#,
    )
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(CalendarRow {
                business_calendar_id: r.try_get("business_calendar_id")?,
                scope: r.try_get("scope")?,
                code: r.try_get("code")?,
                time_zone: r.try_get("time_zone")?,
                week: week_from(&r.try_get::<Value, _>("week")?),
                holidays: r.try_get("holidays")?,
                cutoff: r.try_get("cutoff")?,
            })
        })
        .collect()
}

/// Adds or replaces the calendar of a warehouse or carrier; returns its id.
pub async fn save_calendar(db: impl PgExecutor<'_>, c: &CalendarRow) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        r#"insert into business_calendar (scope, code, time_zone, week, holidays, cutoff)
           values ($1, $2, $3, $4, $5, $6)
           on conflict (scope, lower(code)) do update set
               code = excluded.code, time_zone = excluded.time_zone, week = excluded.week,
               holidays = excluded.holidays, cutoff = excluded.cutoff, updated_at = now()
           returning business_calendar_id"#,
    )
    .bind(&c.scope)
    .bind(&c.code)
    .bind(&c.time_zone)
    .bind(week_json(&c.week))
    .bind(&c.holidays)
    .bind(c.cutoff)
    .fetch_one(db)
    .await
}

pub async fn delete_calendar(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("delete from business_calendar where business_calendar_id = $1")
            .bind(id)
            .execute(db)
            .await?
            .rows_affected(),
    )
}

const POLICY_COLUMNS: &str = r#"select policy_id, version, name, position, account_id, service_level, priority,
    warehouse_code, release_minutes, ship_minutes, deliver_days, promise, at_risk_percent, effective_from,
    effective_to from sla_policy_version"#;

fn policy_from(r: &sqlx::postgres::PgRow) -> sqlx::Result<PolicyVersion> {
    Ok(PolicyVersion {
        policy_id: r.try_get("policy_id")?,
        version: r.try_get("version")?,
        name: r.try_get("name")?,
        position: r.try_get("position")?,
        account_id: r.try_get("account_id")?,
        service_level: r.try_get("service_level")?,
        priority: r.try_get("priority")?,
        warehouse_code: r.try_get("warehouse_code")?,
        targets: Targets {
            release_minutes: r.try_get("release_minutes")?,
            ship_minutes: r.try_get("ship_minutes")?,
            deliver_days: r.try_get("deliver_days")?,
            promise: r.try_get("promise")?,
        },
        at_risk_percent: r.try_get("at_risk_percent")?,
        effective_from: r.try_get("effective_from")?,
        effective_to: r.try_get("effective_to")?,
    })
}

/// Every version of every policy, oldest first.
pub async fn policy_versions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<PolicyVersion>> {
    let rows = sqlx::query(&format!(
        "{POLICY_COLUMNS} order by position, policy_id, version"
    ))
    .fetch_all(db)
    .await?;
    rows.iter().map(policy_from).collect()
}

/// A policy's new version, as the admin page saves it.
pub struct NewPolicyVersion<'a> {
    /// `None` for a new policy.
    pub policy_id: Option<i64>,
    pub name: &'a str,
    pub position: i32,
    pub account_id: Option<Uuid>,
    pub service_level: Option<&'a str>,
    pub priority: Option<&'a str>,
    pub warehouse_code: Option<&'a str>,
    pub targets: &'a Targets,
    pub at_risk_percent: i32,
    pub created_by: Option<Uuid>,
    /// When it takes over; `None` is now (what the admin page does). The demo and tests date
    /// policies back so history is measured.
    pub effective_from: Option<DateTime<Utc>>,
}

/// Closes the policy's current version (if any) and opens the next one from now; returns
/// `(policy_id, version)`. `None` when the policy does not exist or was retired.
pub async fn save_policy(
    conn: &mut PgConnection,
    p: &NewPolicyVersion<'_>,
) -> sqlx::Result<Option<(i64, i32)>> {
    let (policy_id, version) = match p.policy_id {
        Some(id) => {
            let closed: Option<i32> = sqlx::query_scalar(
                r#"update sla_policy_version set effective_to = greatest(effective_from, coalesce($2, now()))
                   where policy_id = $1 and effective_to is null returning version"#,
            )
            .bind(id)
            .bind(p.effective_from)
            .fetch_optional(&mut *conn)
            .await?;
            match closed {
                Some(v) => (id, v + 1),
                None => return Ok(None),
            }
        }
        None => (
            sqlx::query_scalar("select nextval('sla_policy_id_seq')")
                .fetch_one(&mut *conn)
                .await?,
            1,
        ),
    };
    sqlx::query(
        r#"insert into sla_policy_version (policy_id, version, name, position, account_id, service_level, priority,
               warehouse_code, release_minutes, ship_minutes, deliver_days, promise, at_risk_percent, effective_from,
               created_by)
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, coalesce($15, now()), $14)"#,
    )
    .bind(policy_id)
    .bind(version)
    .bind(p.name)
    .bind(p.position)
    .bind(p.account_id)
    .bind(p.service_level)
    .bind(p.priority)
    .bind(p.warehouse_code)
    .bind(p.targets.release_minutes)
    .bind(p.targets.ship_minutes)
    .bind(p.targets.deliver_days)
    .bind(p.targets.promise)
    .bind(p.at_risk_percent)
    .bind(p.created_by)
    .bind(p.effective_from)
    .execute(&mut *conn)
    .await?;
    Ok(Some((policy_id, version)))
}

/// Retires a policy from now on; clocks that started under it keep it.
pub async fn retire_policy(db: impl PgExecutor<'_>, policy_id: i64) -> sqlx::Result<bool> {
    Ok(sqlx::query(
        "update sla_policy_version set effective_to = now() where policy_id = $1 and effective_to is null",
    )
    .bind(policy_id)
    .execute(db)
    .await?
    .rows_affected()
        > 0)
}

/// Reads the rules the projector computes clocks with.
pub async fn rules(conn: &mut PgConnection) -> sqlx::Result<Rules> {
    let mut rules = Rules {
        policies: policy_versions(&mut *conn).await?,
        ..Rules::default()
    };
    for row in calendars(&mut *conn).await? {
        let Some(calendar) = row.calendar() else {
            tracing::warn!(code = %row.code, zone = %row.time_zone, "calendar with an unknown time zone ignored");
            continue;
        };
        let by = if row.scope == "warehouse" {
            &mut rules.warehouses
        } else {
            &mut rules.carriers
        };
        by.insert(row.code.to_lowercase(), calendar);
    }
    for r in sqlx::query("select scope, code, segment, p80_seconds from sla_observed")
        .fetch_all(&mut *conn)
        .await?
    {
        rules.observed.insert(
            (
                r.try_get("scope")?,
                r.try_get::<String, _>("code")?.to_lowercase(),
                r.try_get("segment")?,
            ),
            r.try_get("p80_seconds")?,
        );
    }
    Ok(rules)
}

/// An order's ids as the SLA write needs them.
pub struct OrderIds {
    pub order_id: i64,
    pub account_id: Option<Uuid>,
}

pub async fn order_ids(
    conn: &mut PgConnection,
    order_refs: &[String],
) -> sqlx::Result<HashMap<String, OrderIds>> {
    let rows = sqlx::query(
        r#"select order_ref, order_id, account_id from "order" where order_ref = any($1)"#,
    )
    .bind(order_refs)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.insert(
            r.try_get("order_ref")?,
            OrderIds {
                order_id: r.try_get("order_id")?,
                account_id: r.try_get("account_id")?,
            },
        );
    }
    Ok(out)
}

/// What the projector computed for one order.
pub struct OrderSla {
    pub order_id: i64,
    pub order_ref: String,
    pub account_id: Option<Uuid>,
    pub warehouse_code: Option<String>,
    pub carrier: Option<String>,
    pub service_level: Option<String>,
    pub order_value: Option<f64>,
    pub clocks: Vec<Clock>,
    pub kpi: Option<OrderKpi>,
    pub cases: Vec<CaseFact>,
    pub next_due: Option<DateTime<Utc>>,
}

/// Replaces the orders' clocks, moves their KPI shares in the rollups, and files their cases.
pub async fn write(conn: &mut PgConnection, orders: &[OrderSla]) -> sqlx::Result<()> {
    if orders.is_empty() {
        return Ok(());
    }
    let ids: Vec<i64> = orders.iter().map(|o| o.order_id).collect();
    write_clocks(conn, &ids, orders).await?;
    move_kpis(conn, &ids, orders).await?;
    file_cases(conn, &ids, orders).await
}

async fn write_clocks(
    conn: &mut PgConnection,
    ids: &[i64],
    orders: &[OrderSla],
) -> sqlx::Result<()> {
    let rows: Vec<Value> = orders
        .iter()
        .flat_map(|o| {
            o.clocks.iter().map(move |c| {
                json!({
                    "order_id": o.order_id, "segment": c.segment.as_str(), "policy_id": c.policy_id,
                    "policy_version": c.policy_version, "started_at": c.started_at, "target_seconds": c.target_seconds,
                    "due_at": c.due_at, "at_risk_at": c.at_risk_at, "ended_at": c.ended_at,
                    "paused_seconds": c.paused_seconds, "paused_since": c.paused_since,
                    "predicted_late": c.predicted_late, "elapsed_seconds": c.elapsed_seconds,
                    "account_id": o.account_id, "warehouse_code": o.warehouse_code, "carrier": o.carrier,
                    "service_level": o.service_level,
                })
            })
        })
        .collect();
    sqlx::query("delete from sla_clock where order_id = any($1)")
        .bind(ids)
        .execute(&mut *conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        r#"insert into sla_clock (order_id, segment, policy_id, policy_version, started_at, target_seconds, due_at,
               at_risk_at, ended_at, paused_seconds, paused_since, predicted_late, elapsed_seconds, account_id,
               warehouse_code, carrier, service_level)
           select order_id, segment, policy_id, policy_version, started_at, target_seconds, due_at, at_risk_at,
                  ended_at, paused_seconds, paused_since, predicted_late, elapsed_seconds, account_id, warehouse_code,
                  carrier, service_level
           from jsonb_to_recordset($1) as x(order_id bigint, segment text, policy_id bigint, policy_version integer,
                started_at timestamptz, target_seconds bigint, due_at timestamptz, at_risk_at timestamptz,
                ended_at timestamptz, paused_seconds bigint, paused_since timestamptz, predicted_late boolean,
                elapsed_seconds bigint, account_id uuid, warehouse_code text, carrier text, service_level text)"#,
    )
    .bind(Value::Array(rows))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The rollup sums of a set of `order_kpi` rows (`src`), times `sign`, added to `kpi_daily`.
fn add_to_rollup(src: &str, sign: i32) -> String {
    let s = sign;
    format!(
        r#"insert into kpi_daily as k (day, account_id, warehouse_code, carrier, service_level, orders, ship_measured,
               ship_on_time, deliver_measured, deliver_on_time, lines, lines_otif, delivered, first_attempt,
               with_exception, release_delay_count, release_delay_sum, processing_count, processing_sum,
               pickup_count, pickup_sum, transit_count, transit_sum, updated_at)
           select day, account_id, warehouse_code, carrier, service_level,
                  {s} * count(*), {s} * count(*) filter (where ship_measured), {s} * count(*) filter (where ship_on_time),
                  {s} * count(*) filter (where deliver_measured), {s} * count(*) filter (where deliver_on_time),
                  {s} * sum(lines), {s} * sum(lines_otif), {s} * count(*) filter (where delivered),
                  {s} * count(*) filter (where first_attempt), {s} * count(*) filter (where with_exception),
                  {s} * count(release_delay_seconds), {s} * coalesce(sum(release_delay_seconds), 0),
                  {s} * count(processing_seconds), {s} * coalesce(sum(processing_seconds), 0),
                  {s} * count(pickup_seconds), {s} * coalesce(sum(pickup_seconds), 0),
                  {s} * count(transit_seconds), {s} * coalesce(sum(transit_seconds), 0), now()
           from {src}
           group by day, account_id, warehouse_code, carrier, service_level
           order by day, account_id, warehouse_code, carrier, service_level
           on conflict on constraint kpi_daily_key do update set
               orders = k.orders + excluded.orders, ship_measured = k.ship_measured + excluded.ship_measured,
               ship_on_time = k.ship_on_time + excluded.ship_on_time,
               deliver_measured = k.deliver_measured + excluded.deliver_measured,
               deliver_on_time = k.deliver_on_time + excluded.deliver_on_time, lines = k.lines + excluded.lines,
               lines_otif = k.lines_otif + excluded.lines_otif, delivered = k.delivered + excluded.delivered,
               first_attempt = k.first_attempt + excluded.first_attempt,
               with_exception = k.with_exception + excluded.with_exception,
               release_delay_count = k.release_delay_count + excluded.release_delay_count,
               release_delay_sum = k.release_delay_sum + excluded.release_delay_sum,
               processing_count = k.processing_count + excluded.processing_count,
               processing_sum = k.processing_sum + excluded.processing_sum,
               pickup_count = k.pickup_count + excluded.pickup_count, pickup_sum = k.pickup_sum + excluded.pickup_sum,
               transit_count = k.transit_count + excluded.transit_count,
               transit_sum = k.transit_sum + excluded.transit_sum, updated_at = now()"#
    )
}

/// Takes the orders' previous KPI shares out of the rollups and puts the new ones in, so the
/// rollups stay the sum of every order's current share however late its events arrive.
async fn move_kpis(conn: &mut PgConnection, ids: &[i64], orders: &[OrderSla]) -> sqlx::Result<()> {
    let old = format!(
        "with old as (delete from order_kpi where order_id = any($1) returning *) {}",
        add_to_rollup("old", -1)
    );
    sqlx::query(&old).bind(ids).execute(&mut *conn).await?;
    let rows: Vec<Value> = orders
        .iter()
        .filter_map(|o| {
            let mut v = serde_json::to_value(o.kpi.as_ref()?).ok()?;
            v["order_id"] = json!(o.order_id);
            Some(v)
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    let rows = Value::Array(rows);
    let new = format!(
        r#"with new as (
               insert into order_kpi select * from jsonb_populate_recordset(null::order_kpi, $1)
               returning *) {}"#,
        add_to_rollup("new", 1)
    );
    sqlx::query(&new).bind(&rows).execute(&mut *conn).await?;
    sqlx::query(
        r#"insert into kpi_dimension (account_id, dimension, value)
           select distinct account_id, d.dimension, d.value
           from jsonb_populate_recordset(null::order_kpi, $1) k,
                lateral (values ('warehouse', k.warehouse_code), ('carrier', k.carrier),
                                ('service_level', k.service_level)) as d(dimension, value)
           where d.value is not null
           on conflict on constraint kpi_dimension_key do nothing"#,
    )
    .bind(&rows)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Files the cases the orders' events call for, closes (as cleared) those no longer called for,
/// and moves every open case of these orders to its order's next due time.
async fn file_cases(conn: &mut PgConnection, ids: &[i64], orders: &[OrderSla]) -> sqlx::Result<()> {
    let rows: Vec<Value> = orders
        .iter()
        .flat_map(|o| {
            o.cases.iter().map(move |c| {
                json!({
                    "case_key": c.case_key, "category": c.category, "kind": c.kind, "severity": c.severity,
                    "summary": c.summary, "order_id": o.order_id, "order_ref": o.order_ref,
                    "account_id": o.account_id, "order_value": o.order_value, "due_at": o.next_due,
                    "opened_at": c.opened_at, "cleared_at": c.cleared_at,
                })
            })
        })
        .collect();
    sqlx::query(
        r#"with input as (
               select * from jsonb_to_recordset($2) as x(case_key text, category text, kind text, severity text,
                    summary text, order_id bigint, order_ref text, account_id uuid, order_value numeric,
                    due_at timestamptz, opened_at timestamptz, cleared_at timestamptz)),
           gone as (
               update exception_case c set cleared_at = now(), updated_at = now()
               where c.order_id = any($1) and c.cleared_at is null and c.case_key not like 'job:%'
                 and not exists (select 1 from input i where i.case_key = c.case_key))
           insert into exception_case as c (case_key, category, kind, severity, summary, order_id, order_ref, account_id,
                order_value, due_at, opened_at, cleared_at)
           select case_key, category, kind, severity, summary, order_id, order_ref, account_id, order_value, due_at,
                  coalesce(opened_at, now()), cleared_at
           from input
           on conflict (case_key) do update set
               category = excluded.category, kind = excluded.kind, severity = excluded.severity,
               summary = excluded.summary, account_id = excluded.account_id, order_value = excluded.order_value,
               due_at = excluded.due_at, cleared_at = excluded.cleared_at, updated_at = now()
           where (c.category, c.kind, c.severity, c.summary, c.account_id, c.order_value, c.due_at, c.cleared_at)
                 is distinct from (excluded.category, excluded.kind, excluded.severity, excluded.summary,
                 excluded.account_id, excluded.order_value, excluded.due_at, excluded.cleared_at)"#,
    )
    .bind(ids)
    .bind(Value::Array(rows))
    .execute(&mut *conn)
    .await?;
    // Sync failures about these orders follow their order's due time too.
    let dues: Vec<Value> = orders
        .iter()
        .map(
            |o| json!({"order_id": o.order_id, "due_at": o.next_due, "order_value": o.order_value}),
        )
        .collect();
    sqlx::query(
        r#"update exception_case c set due_at = x.due_at, order_value = x.order_value, updated_at = now()
           from jsonb_to_recordset($1) as x(order_id bigint, due_at timestamptz, order_value numeric)
           where c.order_id = x.order_id and c.case_key like 'job:%'
             and (c.due_at, c.order_value) is distinct from (x.due_at, x.order_value)"#,
    )
    .bind(Value::Array(dues))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the rollup rows of these orders as changed by late data, now.
pub async fn mark_recomputed(conn: &mut PgConnection, order_ids: &[i64]) -> sqlx::Result<()> {
    if order_ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        r#"update kpi_daily k set late_changed_at = now()
           from (select distinct day, account_id, warehouse_code, carrier, service_level
                 from order_kpi where order_id = any($1)) o
           where k.day = o.day and k.account_id is not distinct from o.account_id
             and k.warehouse_code is not distinct from o.warehouse_code
             and k.carrier is not distinct from o.carrier and k.service_level is not distinct from o.service_level"#,
    )
    .bind(order_ids)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Recomputes the observed p80 stage durations from clocks ended in the last `days` days; only
/// warehouses and carriers with at least `min_samples` ended clocks get a value.
pub async fn refresh_observed(
    db: impl PgExecutor<'_>,
    days: i32,
    min_samples: i64,
) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        r#"with recent as (
               select case when segment = 'deliver' then 'carrier' else 'warehouse' end as scope,
                      lower(case when segment = 'deliver' then carrier else warehouse_code end) as code,
                      segment, elapsed_seconds
               from sla_clock
               where ended_at > now() - make_interval(days => $1) and ended_at is not null
                 and segment in ('release', 'ship', 'deliver') and elapsed_seconds is not null),
           observed as (
               select scope, code, segment,
                      percentile_disc(0.8) within group (order by elapsed_seconds) as p80, count(*) as samples
               from recent where code is not null group by scope, code, segment having count(*) >= $2),
           cleared as (delete from sla_observed where (scope, code, segment) not in (select scope, code, segment from observed))
           insert into sla_observed (scope, code, segment, p80_seconds, samples, computed_at)
           select scope, code, segment, p80, samples, now() from observed
           on conflict (scope, code, segment) do update set
               p80_seconds = excluded.p80_seconds, samples = excluded.samples, computed_at = excluded.computed_at"#,
    )
    .bind(days)
    .bind(min_samples)
    .execute(db)
    .await?
    .rows_affected())
}

/// A calendar changed since open clocks were last recomputed for it: (id, scope, code, changed at).
pub async fn calendars_to_apply(
    db: impl PgExecutor<'_>,
) -> sqlx::Result<Vec<(i64, String, String, DateTime<Utc>)>> {
    sqlx::query_as(
        r#"select business_calendar_id, scope, code, updated_at from business_calendar
           where applied_at is null or applied_at < updated_at order by business_calendar_id"#,
    )
    .fetch_all(db)
    .await
}

/// Orders with an open clock that counts in the calendar of this warehouse or carrier.
pub async fn open_orders_for(
    db: impl PgExecutor<'_>,
    scope: &str,
    code: &str,
) -> sqlx::Result<Vec<String>> {
    let (column, segments) = if scope == "carrier" {
        ("k.carrier", "{deliver}")
    } else {
        ("k.warehouse_code", "{release,ship}")
    };
    sqlx::query_scalar(&format!(
        r#"select distinct o.order_ref from sla_clock k join "order" o using (order_id)
           where k.ended_at is null and lower({column}) = lower($1) and k.segment = any($2::text[])"#
    ))
    .bind(code)
    .bind(segments)
    .fetch_all(db)
    .await
}

/// Records that open clocks were recomputed for the calendar as it stood at `changed_at`.
pub async fn mark_calendar_applied(
    db: impl PgExecutor<'_>,
    id: i64,
    changed_at: DateTime<Utc>,
) -> sqlx::Result<()> {
    sqlx::query("update business_calendar set applied_at = $2 where business_calendar_id = $1")
        .bind(id)
        .bind(changed_at)
        .execute(db)
        .await?;
    Ok(())
}

/// The segment's observed p80 for a warehouse or carrier, from the rules.
pub fn observed_for(rules: &Rules, segment: Segment, code: Option<&str>) -> Option<i64> {
    let scope = if segment == Segment::Deliver {
        "carrier"
    } else {
        "warehouse"
    };
    let key = (
        scope.to_string(),
        code?.to_lowercase(),
        segment.as_str().to_string(),
    );
    rules.observed.get(&key).copied()
}

/// An order's clocks with their policy's name and the order's warehouse and carrier.
pub async fn clocks_of(
    db: impl PgExecutor<'_>,
    order_id: i64,
) -> sqlx::Result<Vec<(Clock, String, Option<String>, Option<String>)>> {
    let rows = sqlx::query(
        r#"select k.*, coalesce(p.name, 'policy ' || k.policy_id) as policy_name
           from sla_clock k
           left join sla_policy_version p on p.policy_id = k.policy_id and p.version = k.policy_version
           where k.order_id = $1
           order by array_position(array['release', 'ship', 'deliver', 'promise'], k.segment)"#,
    )
    .bind(order_id)
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|r| {
            let segment: String = r.try_get("segment")?;
            Ok((
                Clock {
                    segment: Segment::parse(&segment).unwrap_or(Segment::Release),
                    policy_id: r.try_get("policy_id")?,
                    policy_version: r.try_get("policy_version")?,
                    started_at: r.try_get("started_at")?,
                    target_seconds: r.try_get("target_seconds")?,
                    due_at: r.try_get("due_at")?,
                    at_risk_at: r.try_get("at_risk_at")?,
                    ended_at: r.try_get("ended_at")?,
                    paused_seconds: r.try_get("paused_seconds")?,
                    paused_since: r.try_get("paused_since")?,
                    predicted_late: r.try_get("predicted_late")?,
                    elapsed_seconds: r.try_get("elapsed_seconds")?,
                },
                r.try_get("policy_name")?,
                r.try_get("warehouse_code")?,
                r.try_get("carrier")?,
            ))
        })
        .collect()
}
