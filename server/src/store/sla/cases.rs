//! `exception_case` as the projector files and clears it.

use super::clocks::OrderSla;
use serde_json::{json, Value};
use sqlx::PgConnection;

/// Files the cases the orders' events call for, closes (as cleared) those no longer called for,
/// and moves every open case of these orders to its order's next due time.
pub async fn file_cases(
    conn: &mut PgConnection,
    ids: &[i64],
    orders: &[OrderSla],
) -> sqlx::Result<()> {
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
    sqlx::query!(
        r#"with input as (
               select * from jsonb_to_recordset($2) as x(case_key text, category text, kind text, severity text,
                    summary text, order_id bigint, order_ref text, account_id uuid, order_value numeric,
                    due_at timestamptz, opened_at timestamptz, cleared_at timestamptz)),
           gone as (
               update exception_case c set cleared_at = now(), updated_at = now()
               where c.order_id = any($1) and c.cleared_at is null and c.case_key not like 'job:%'
                 and c.case_key not like 'dispute:%'
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
        ids,
        Value::Array(rows)
    )
    .execute(&mut *conn)
    .await?;
    // Sync failures about these orders follow their order's due time too.
    let dues: Vec<Value> = orders
        .iter()
        .map(
            |o| json!({"order_id": o.order_id, "due_at": o.next_due, "order_value": o.order_value}),
        )
        .collect();
    sqlx::query!(
        r#"update exception_case c set due_at = x.due_at, order_value = x.order_value, updated_at = now()
           from jsonb_to_recordset($1) as x(order_id bigint, due_at timestamptz, order_value numeric)
           where c.order_id = x.order_id and c.case_key like 'job:%'
             and (c.due_at, c.order_value) is distinct from (x.due_at, x.order_value)"#,
        Value::Array(dues)
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}
