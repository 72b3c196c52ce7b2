//! A message's whole chain across systems, by correlation id (`server::correlation`): the
//! inbound messages, their events, the jobs they caused and each attempt with its request and
//! answer (customer webhook deliveries are jobs too), in time order.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;

pub struct Link {
    pub kind: String,
    pub at: DateTime<Utc>,
    /// The connector or queue.
    pub place: String,
    pub title: String,
    pub status: String,
    pub detail: Option<String>,
    pub correlation_id: Option<String>,
    /// The row's id (message, event, job).
    pub reference: String,
}

/// The correlation ids `q` leads to: itself, the ids of messages with that message id, and the
/// ids of that order's events and its parcels' (an order's chain is all of them).
pub async fn correlation_ids(db: impl PgExecutor<'_>, q: &str) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"select $1::text as "id!"
           union
           select headers ->> 'x-correlation-id' from inbox_message
           where message_id = $1 and headers ->> 'x-correlation-id' is not null
           union
           (select correlation_id from event where order_ref = $1 and correlation_id is not null limit 200)
           union
           -- Carriers name the parcel, not the order.
           (select e.correlation_id from shipment s join "order" o using (order_id)
                join event e on e.tracking_number = s.tracking_number
            where o.order_ref = $1 and e.correlation_id is not null limit 200)"#,
        q
    )
    .fetch_all(db)
    .await
}

/// Everything with one of `ids`, and the jobs of order `order` (with their attempts), oldest
/// first, at most `limit` links.
pub async fn links(
    db: impl PgExecutor<'_>,
    ids: &[String],
    order: &str,
    limit: i64,
) -> sqlx::Result<Vec<Link>> {
    sqlx::query_as!(
        Link,
        r#"with jobs as (
               select * from job where correlation_id = any($1) or ordering_key = $2)
           -- Each link sorts at its own time, except an event, which sorts right after the
           -- message it came in (the two clocks, Milepost's and the database's, may differ by
           -- a little); ties go message, event, job, attempt.
           select kind as "kind!", at as "at!: DateTime<Utc>", place as "place!", title as "title!",
                  status as "status!", detail, correlation_id, reference as "reference!"
           from (
               select 'message' as kind, m.received_at as at, c.name as place, m.message_id as title,
                      m.outcome as status, jsonb_pretty(m.error) as detail,
                      m.headers ->> 'x-correlation-id' as correlation_id, m.inbox_message_id::text as reference,
                      m.received_at as sort_at, 0 as rank
               from inbox_message m join connector c using (connector_id)
               where m.headers ->> 'x-correlation-id' = any($1)
               union all
               select 'event', e.recorded_at, c.name, e.type, e.disposition, e.disposition_reason,
                      e.correlation_id, e.event_id::text, coalesce(m.received_at, e.recorded_at), 1
               from event e join connector c using (connector_id)
                    left join inbox_message m on m.inbox_message_id = e.inbox_message_id
               where e.correlation_id = any($1)
               union all
               select 'job', j.created_at, j.queue, j.kind, j.state, j.last_error, j.correlation_id,
                      j.job_id::text, j.created_at, 2
               from jobs j
               union all
               select 'attempt', a.finished_at, j.queue, j.kind || ' attempt ' || a.attempt, a.outcome,
                      jsonb_pretty(jsonb_strip_nulls(jsonb_build_object(
                          'request', a.request, 'response', a.response, 'error', a.error))),
                      j.correlation_id, j.job_id::text, a.finished_at, 3
               from job_attempt a join jobs j using (job_id)
           ) chain
           order by sort_at, rank
           limit $3"#,
        ids,
        order,
        limit
    )
    .fetch_all(db)
    .await
}
