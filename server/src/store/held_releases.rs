//! Releases Milepost kept instead of sending (`held_release`): the order's customer is mapped
//! to no account, or no WMS serves its warehouse. See `projector::held` and `sync::held`.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Why a release was kept.
pub const CUSTOMER_NOT_MAPPED: &str = "customer_not_mapped";
pub const NO_WMS_FOR_WAREHOUSE: &str = "no_wms_for_warehouse";

#[derive(Clone, Debug, PartialEq)]
pub struct HeldRelease {
    pub order_ref: String,
    pub event_id: Uuid,
    pub event_recorded_at: DateTime<Utc>,
    pub reason: String,
    pub warehouse_code: Option<String>,
    pub customer: Option<String>,
    /// The order's `CustomerRef`, to see whether it maps to an account now.
    pub customer_ref: Value,
    /// The `SendInstructionToWms` payload as it would have gone.
    pub instruction: Value,
    pub held_at: DateTime<Utc>,
}

/// Keeps releases (a later release of the same order replaces an earlier one).
pub async fn hold(conn: &mut PgConnection, held: &[HeldRelease]) -> sqlx::Result<()> {
    if held.is_empty() {
        return Ok(());
    }
    let rows: Vec<Value> = held
        .iter()
        .map(|h| {
            json!({"order_ref": h.order_ref, "event_id": h.event_id, "event_recorded_at": h.event_recorded_at,
                   "reason": h.reason, "warehouse_code": h.warehouse_code, "customer": h.customer,
                   "customer_ref": h.customer_ref, "instruction": h.instruction})
        })
        .collect();
    sqlx::query!(
        r#"insert into held_release (order_ref, event_id, event_recorded_at, reason, warehouse_code, customer,
                                    customer_ref, instruction)
           select * from jsonb_to_recordset($1) as x(order_ref text, event_id uuid, event_recorded_at timestamptz,
                reason text, warehouse_code text, customer text, customer_ref jsonb, instruction jsonb)
           on conflict (order_ref) do update set
               event_id = excluded.event_id, event_recorded_at = excluded.event_recorded_at,
               reason = excluded.reason, warehouse_code = excluded.warehouse_code,
               customer = excluded.customer, customer_ref = excluded.customer_ref,
               instruction = excluded.instruction,
               held_at = now(), released_at = null
           where held_release.event_id <> excluded.event_id"#,
        Value::Array(rows)
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The releases still kept, of these orders, or of every order when `order_refs` is `None`.
pub async fn open(
    db: impl PgExecutor<'_>,
    order_refs: Option<&[String]>,
) -> sqlx::Result<Vec<HeldRelease>> {
    sqlx::query_as!(
        HeldRelease,
        r#"select order_ref, event_id, event_recorded_at as "event_recorded_at: DateTime<Utc>", reason,
                  warehouse_code, customer, customer_ref, instruction, held_at as "held_at: DateTime<Utc>"
           from held_release
           where released_at is null and ($1::text[] is null or order_ref = any($1))
           order by held_at"#,
        order_refs as _
    )
    .fetch_all(db)
    .await
}

/// Marks a kept release sent, and queues its event so the order is folded again (its
/// `release_held` exception closes). Returns false when it was sent already.
pub async fn release(conn: &mut PgConnection, held: &HeldRelease) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"update held_release set released_at = now() where order_ref = $1 and event_id = $2 and released_at is null"#,
        held.order_ref,
        held.event_id
    )
    .execute(&mut *conn)
    .await?;
    if done.rows_affected() == 0 {
        return Ok(false);
    }
    sqlx::query!(
        r#"insert into projection_queue (event_id, recorded_at, order_ref) values ($1, $2, $3)"#,
        held.event_id,
        held.event_recorded_at as _,
        held.order_ref
    )
    .execute(conn)
    .await?;
    Ok(true)
}
