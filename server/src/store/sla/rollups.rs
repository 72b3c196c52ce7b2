//! `kpi_daily`: the daily rollups, kept as the sum of every order's current KPI share, and
//! `sla_observed`: p80 stage durations.

use super::clocks::OrderSla;
use serde_json::{json, Value};
use sqlx::{PgConnection, PgExecutor};

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
pub async fn move_kpis(
    conn: &mut PgConnection,
    ids: &[i64],
    orders: &[OrderSla],
) -> sqlx::Result<()> {
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
    sqlx::query!(
        r#"insert into kpi_dimension (account_id, dimension, value)
           select distinct account_id, d.dimension, d.value
           from jsonb_populate_recordset(null::order_kpi, $1) k,
                lateral (values ('warehouse', k.warehouse_code), ('carrier', k.carrier),
                                ('service_level', k.service_level)) as d(dimension, value)
           where d.value is not null
           on conflict on constraint kpi_dimension_key do nothing"#,
        &rows
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Marks the rollup rows of these orders as changed by late data, now.
pub async fn mark_recomputed(conn: &mut PgConnection, order_ids: &[i64]) -> sqlx::Result<()> {
    if order_ids.is_empty() {
        return Ok(());
    }
    sqlx::query!(
        r#"update kpi_daily k set late_changed_at = now()
           from (select distinct day, account_id, warehouse_code, carrier, service_level
                 from order_kpi where order_id = any($1)) o
           where k.day = o.day and k.account_id is not distinct from o.account_id
             and k.warehouse_code is not distinct from o.warehouse_code
             and k.carrier is not distinct from o.carrier and k.service_level is not distinct from o.service_level"#,
        order_ids
    )
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
    Ok(sqlx::query!(
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
        days,
        min_samples
    )
    .execute(db)
    .await?
    .rows_affected())
}
