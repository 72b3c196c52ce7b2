//! Writing folded orders: the order row, and only those child parts (lines, shipments, packages,
//! milestones, exceptions) whose content changed, found by comparing a hash of each part with the
//! one stored on the order. Bulk statements read rows from one JSON array (`jsonb_to_recordset`).

use app::domain::projection::{CustomerRef, OrderProjection};
use serde::Serialize;
use serde_json::{json, Value};
use sqlx::PgConnection;
use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use uuid::Uuid;

/// The parts of an order stored in their own tables.
const PARTS: &[&str] = &["lines", "shipments", "packages", "milestones", "exceptions"];

/// A hash of a part's content. It only decides whether to rewrite a part, so a hasher that
/// changes between Rust versions costs one rewrite, never a wrong answer.
fn digest(part: &impl Serialize) -> String {
    let mut hasher = DefaultHasher::new();
    serde_json::to_string(part)
        .unwrap_or_default()
        .hash(&mut hasher);
    format!("{:016x}", hasher.finish())
}

fn hashes(p: &OrderProjection) -> Value {
    json!({
        "lines": digest(&p.lines),
        "shipments": digest(&p.shipments),
        "packages": digest(&p.packages),
        "milestones": digest(&p.milestones),
        "exceptions": digest(&p.exceptions),
    })
}

/// The account each customer reference names (its code, else its id in another system), as
/// `write` resolves it; `None` where none matches.
pub async fn accounts_of(
    conn: &mut PgConnection,
    customers: &[&CustomerRef],
) -> sqlx::Result<Vec<Option<Uuid>>> {
    // Most projector batches release nothing: no round trip for no question.
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let input: Vec<Value> = customers
        .iter()
        .map(|c| json!({"code": c.account_code, "system": c.system, "id": c.external_id}))
        .collect();
    sqlx::query_scalar!(
        r#"select coalesce((select a.account_id from account a where a.code = i.v->>'code'),
                           (select r.account_id from account_external_ref r
                            where r.system = i.v->>'system' and r.external_id = i.v->>'id'))
           from jsonb_array_elements($1) with ordinality as i(v, n)
           order by i.n"#,
        Value::Array(input)
    )
    .fetch_all(conn)
    .await
}

/// Upserts the orders and rewrites the parts that changed. Returns how many orders were written.
pub async fn write(conn: &mut PgConnection, orders: &[OrderProjection]) -> sqlx::Result<usize> {
    if orders.is_empty() {
        return Ok(0);
    }
    let headers: Vec<Value> = orders
        .iter()
        .map(|p| {
            let h = &p.header;
            json!({
                "order_ref": h.order_ref, "account_code": h.customer.account_code, "ref_system": h.customer.system,
                "ref_id": h.customer.external_id, "customer_name": h.customer.name, "customer_po": h.customer_po,
                "status": h.status, "on_hold": h.on_hold, "warehouse_code": h.warehouse_code, "carrier": h.carrier,
                "service_level": h.service_level, "priority": h.priority, "ordered_at": h.ordered_at,
                "promised_ship_by": h.promised_ship_by, "promised_deliver_by": h.promised_deliver_by,
                "tracking_numbers": h.tracking_numbers, "last_event_at": h.last_event_at, "order_value": h.order_value,
                "ship_to_country": h.ship_to_country,
                "open_exceptions": p.exceptions.iter().filter(|x| x.closed_by_event.is_none()).count(),
                "part_hashes": hashes(p),
            })
        })
        .collect();
    // The previous hashes come back with each row, so only changed parts are rewritten.
    let rows = sqlx::query!(
        r#"with input as (
               select * from jsonb_to_recordset($1) as x(
                   order_ref text, account_code text, ref_system text, ref_id text, customer_name text, customer_po text,
                   status text, on_hold boolean, warehouse_code text, carrier text, service_level text, priority text,
                   ordered_at timestamptz, promised_ship_by timestamptz, promised_deliver_by timestamptz,
                   tracking_numbers text[], last_event_at timestamptz, open_exceptions integer, part_hashes jsonb,
                   order_value numeric, ship_to_country text)),
           previous as (
               select o.order_ref, o.part_hashes from "order" o where o.order_ref in (select order_ref from input)),
           upserted as (
               insert into "order" (order_ref, account_id, customer_name, customer_po, status, on_hold, warehouse_code,
                                    carrier, service_level, priority, ordered_at, promised_ship_by, promised_deliver_by,
                                    tracking_numbers, open_exceptions, last_event_at, part_hashes, order_value,
                                    ship_to_country, updated_at)
               select i.order_ref,
                      coalesce((select a.account_id from account a where a.code = i.account_code),
                               (select r.account_id from account_external_ref r
                                where r.system = i.ref_system and r.external_id = i.ref_id)),
                      i.customer_name, i.customer_po, i.status, i.on_hold, i.warehouse_code, i.carrier, i.service_level,
                      i.priority, i.ordered_at, i.promised_ship_by, i.promised_deliver_by, i.tracking_numbers,
                      i.open_exceptions, i.last_event_at, i.part_hashes, i.order_value, i.ship_to_country, now()
               from input i
               on conflict (order_ref) do update set
                   account_id = excluded.account_id, customer_name = excluded.customer_name,
                   customer_po = excluded.customer_po, status = excluded.status, on_hold = excluded.on_hold,
                   warehouse_code = excluded.warehouse_code, carrier = excluded.carrier,
                   service_level = excluded.service_level, priority = excluded.priority,
                   ordered_at = excluded.ordered_at, promised_ship_by = excluded.promised_ship_by,
                   promised_deliver_by = excluded.promised_deliver_by, tracking_numbers = excluded.tracking_numbers,
                   open_exceptions = excluded.open_exceptions, last_event_at = excluded.last_event_at,
                   part_hashes = excluded.part_hashes, order_value = excluded.order_value,
                   ship_to_country = excluded.ship_to_country, updated_at = now()
               returning order_id, order_ref)
           select u.order_id as "order_id!", u.order_ref as "order_ref!",
                  coalesce(p.part_hashes, '{}'::jsonb) as "previous!"
           from upserted u left join previous p using (order_ref)"#,
        Value::Array(headers)
    )
    .fetch_all(&mut *conn)
    .await?;
    let mut ids: HashMap<String, (i64, Value)> = HashMap::new();
    let upserted = rows.len();
    for r in rows {
        ids.insert(r.order_ref, (r.order_id, r.previous));
    }
    let mut changed: HashMap<&str, (Vec<i64>, Vec<Value>)> =
        PARTS.iter().map(|p| (*p, (vec![], vec![]))).collect();
    for p in orders {
        let Some((order_id, previous)) = ids.get(&p.header.order_ref) else {
            continue;
        };
        let now = hashes(p);
        // A part never written before is empty: nothing to rewrite while it still is.
        let empty = Value::String(digest(&Vec::<()>::new()));
        for part in PARTS {
            if previous.get(part).unwrap_or(&empty) == now.get(part).unwrap_or(&empty) {
                continue;
            }
            let (order_ids, rows) = changed.get_mut(part).expect("every part has an entry");
            order_ids.push(*order_id);
            rows.extend(part_rows(part, *order_id, p));
        }
    }
    for part in PARTS {
        let (order_ids, rows) = &changed[part];
        if !order_ids.is_empty() {
            replace_part(conn, part, order_ids, rows).await?;
        }
    }
    Ok(upserted)
}

fn part_rows(part: &str, order_id: i64, p: &OrderProjection) -> Vec<Value> {
    let with_id = |v: Value| {
        let mut v = v;
        v["order_id"] = json!(order_id);
        v
    };
    let all = |items: Vec<Value>| items.into_iter().map(with_id).collect();
    match part {
        "lines" => all(p.lines.iter().map(|l| json!(l)).collect()),
        "shipments" => all(p.shipments.iter().map(|s| json!(s)).collect()),
        "packages" => all(p.packages.iter().map(|k| json!(k)).collect()),
        "milestones" => all(p.milestones.iter().map(|m| json!(m)).collect()),
        _ => all(p.exceptions.iter().map(|x| json!(x)).collect()),
    }
}

async fn replace_part(
    conn: &mut PgConnection,
    part: &str,
    order_ids: &[i64],
    rows: &[Value],
) -> sqlx::Result<()> {
    let rows = Value::Array(rows.to_vec());
    // Delete then insert, as two statements: a deleting CTE the main query does not read runs
    // after it, so the insert would meet the rows it replaces.
    let table = match part {
        "lines" => Some("order_line"),
        "shipments" => Some("shipment"),
        "packages" => Some("package"),
        "milestones" => Some("order_milestone"),
        _ => None,
    };
    if let Some(table) = table {
        sqlx::query(&format!("delete from {table} where order_id = any($1)"))
            .bind(order_ids)
            .execute(&mut *conn)
            .await?;
    }
    let statement = match part {
        "lines" => {
            r#"insert into order_line (order_id, line_ref, sku, uom, qty_ordered, qty_shipped, qty_short, line_status, substitute_of, reason)
               select order_id, line_ref, sku, uom, qty_ordered, qty_shipped, qty_short, line_status, substitute_of, reason
               from jsonb_to_recordset($1) as x(order_id bigint, line_ref text, sku text, uom text, qty_ordered numeric,
                    qty_shipped numeric, qty_short numeric, line_status text, substitute_of text, reason text)"#
        }
        "shipments" => {
            r#"insert into shipment (order_id, tracking_number, carrier, status, dispatched_at, delivered_at, eta, signed_by, delivery_attempts, last_event_at)
               select order_id, tracking_number, carrier, status, dispatched_at, delivered_at, eta, signed_by, delivery_attempts, last_event_at
               from jsonb_to_recordset($1) as x(order_id bigint, tracking_number text, carrier text, status text,
                    dispatched_at timestamptz, delivered_at timestamptz, eta timestamptz, signed_by text,
                    delivery_attempts integer, last_event_at timestamptz)"#
        }
        "packages" => {
            r#"insert into package (order_id, package_ref, tracking_number, weight, weight_unit, contents)
               select order_id, package_ref, tracking_number, weight, weight_unit, coalesce(contents, '[]')
               from jsonb_to_recordset($1) as x(order_id bigint, package_ref text, tracking_number text, weight numeric,
                    weight_unit text, contents jsonb)"#
        }
        "milestones" => {
            r#"insert into order_milestone (order_id, milestone, occurred_at, event_id)
               select order_id, milestone, occurred_at, event_id
               from jsonb_to_recordset($1) as x(order_id bigint, milestone text, occurred_at timestamptz, event_id uuid)"#
        }
        _ => {
            // Exceptions keep their identity (the event that opened them) across refolds, so what
            // people later attach to them survives; ones the events no longer support go away.
            r#"with input as (
                   select * from jsonb_to_recordset($2) as x(order_id bigint, opened_by_event uuid, kind text, domain text,
                        severity text, summary text, opened_at timestamptz, closed_by_event uuid, closed_at timestamptz)),
               gone as (
                   delete from order_exception e where e.order_id = any($1)
                   and not exists (select 1 from input i where i.order_id = e.order_id and i.opened_by_event = e.opened_by_event))
               insert into order_exception (order_id, opened_by_event, kind, domain, severity, summary, opened_at, closed_by_event, closed_at)
               select order_id, opened_by_event, kind, domain, severity, summary, opened_at, closed_by_event, closed_at from input
               on conflict (order_id, opened_by_event) do update set
                   kind = excluded.kind, domain = excluded.domain, severity = excluded.severity, summary = excluded.summary,
                   opened_at = excluded.opened_at, closed_by_event = excluded.closed_by_event, closed_at = excluded.closed_at"#
        }
    };
    if table.is_some() {
        sqlx::query(statement)
            .bind(rows)
            .execute(&mut *conn)
            .await?;
    } else {
        sqlx::query(statement)
            .bind(order_ids)
            .bind(rows)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}
