//! `report_snapshot` as the publisher writes it: the accounts whose month is not published yet,
//! the latest versions with data recorded since they were last checked, the events behind a
//! revision, and the `report.published` deliveries to the account's webhook subscribers.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

/// Accounts with orders placed in the month `[from, to)` and no published version of it:
/// (account id, code).
pub async fn unpublished(
    db: impl PgExecutor<'_>,
    from: NaiveDate,
    to: NaiveDate,
) -> sqlx::Result<Vec<(Uuid, String)>> {
    let rows = sqlx::query!(
        r#"select a.account_id, a.code from account a
           where exists (select 1 from "order" o where o.account_id = a.account_id
                         and o.ordered_at >= $1 and o.ordered_at < $2)
             and not exists (select 1 from report_snapshot s where s.account_id = a.account_id and s.month = $3)
           order by a.code"#,
        midnight(from) as _,
        midnight(to) as _,
        from as _
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.account_id, r.code)).collect())
}

fn midnight(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(0, 0, 0).expect("midnight").and_utc()
}

/// The latest version of a published month.
#[derive(Clone, Debug)]
pub struct Latest {
    pub report_snapshot_id: i64,
    pub account_id: Uuid,
    pub code: String,
    pub month: NaiveDate,
    pub version: i32,
    pub published_at: DateTime<Utc>,
    pub report: Value,
}

/// The latest version of each month from `since` on that was last checked before `checked_before`
/// and whose orders got an event or a correction recorded after that check.
pub async fn latest_with_news(
    db: impl PgExecutor<'_>,
    since: NaiveDate,
    checked_before: DateTime<Utc>,
) -> sqlx::Result<Vec<Latest>> {
    sqlx::query_as!(
        Latest,
        r#"select s.report_snapshot_id, s.account_id, a.code, s.month as "month: NaiveDate", s.version,
                  s.published_at as "published_at: DateTime<Utc>", s.report
           from report_snapshot s join account a using (account_id)
           where s.month >= $1 and s.checked_at < $2
             and not exists (select 1 from report_snapshot n where n.account_id = s.account_id
                             and n.month = s.month and n.version > s.version)
             and (exists (select 1 from "order" o join event e on e.order_ref = o.order_ref
                          where o.account_id = s.account_id and o.ordered_at >= s.month
                            and o.ordered_at < s.month + interval '1 month' and e.recorded_at > s.checked_at)
                  or exists (select 1 from "order" o join sla_correction c using (order_id)
                          where o.account_id = s.account_id and o.ordered_at >= s.month
                            and o.ordered_at < s.month + interval '1 month' and c.recorded_at > s.checked_at))
           order by s.month, a.code"#,
        since as _,
        checked_before as _
    )
    .fetch_all(db)
    .await
}

/// Records that the live figures were compared with this version at `at`.
pub async fn checked(db: impl PgExecutor<'_>, id: i64, at: DateTime<Utc>) -> sqlx::Result<()> {
    sqlx::query!(
        "update report_snapshot set checked_at = $2 where report_snapshot_id = $1",
        id,
        at as _
    )
    .execute(db)
    .await?;
    Ok(())
}

/// The events (and corrections) recorded after `after` about the account's orders of the month
/// starting `month`, oldest first, at most `limit`: why a revision differs.
pub async fn late_events(
    db: impl PgExecutor<'_>,
    account_id: Uuid,
    month: NaiveDate,
    after: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<app::domain::reports::LateEvent>> {
    let rows = sqlx::query!(
        r#"select id as "id!", kind as "kind!", order_ref as "order_ref!",
                  occurred_at as "occurred_at: DateTime<Utc>", recorded_at as "recorded_at!: DateTime<Utc>"
           from (
               select e.event_id::text as id, e.type as kind, o.order_ref, e.occurred_at, e.recorded_at
               from "order" o join event e on e.order_ref = o.order_ref
               where o.account_id = $1 and o.ordered_at >= $2 and o.ordered_at < $2 + interval '1 month'
                 and e.recorded_at > $3
               union all
               select 'dispute:' || c.dispute_id, 'sla.correction', o.order_ref, c.corrected_at, c.recorded_at
               from "order" o join sla_correction c using (order_id)
               where o.account_id = $1 and o.ordered_at >= $2 and o.ordered_at < $2 + interval '1 month'
                 and c.recorded_at > $3
           ) news
           order by recorded_at, id limit $4"#,
        account_id,
        midnight(month) as _,
        after as _,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| app::domain::reports::LateEvent {
            event_id: r.id,
            event_type: r.kind,
            order_ref: r.order_ref,
            occurred_at: r.occurred_at.map(|t| t.to_rfc3339()),
            recorded_at: r.recorded_at.to_rfc3339(),
        })
        .collect())
}

/// A version to publish.
pub struct NewVersion<'a> {
    pub account_id: Uuid,
    pub month: NaiveDate,
    pub version: i32,
    pub report: &'a Value,
    pub changes: &'a Value,
    pub late_events: &'a Value,
}

/// Publishes a version and enqueues a `report.published` delivery to each of the account's
/// subscriptions that wants it, in one transaction. `None` when another worker published this
/// version first.
pub async fn publish(conn: &mut PgConnection, v: NewVersion<'_>) -> sqlx::Result<Option<i64>> {
    let id = sqlx::query_scalar!(
        r#"insert into report_snapshot (account_id, month, version, report, changes, late_events)
           values ($1, $2, $3, $4, $5, $6)
           on conflict (account_id, month, version) do nothing returning report_snapshot_id"#,
        v.account_id,
        v.month as _,
        v.version,
        v.report,
        v.changes,
        v.late_events
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(id) = id else { return Ok(None) };
    sqlx::query!(
        r#"insert into job (queue, kind, payload, correlation_id)
           select 'webhooks:' || s.subscription_id, 'webhook.deliver',
                  jsonb_build_object('subscription_id', s.subscription_id, 'report_snapshot_id', $1::int8),
                  'report:' || $1::int8
           from webhook_subscription s
           where s.account_id = $2
             and (cardinality(s.event_types) = 0 or 'report.published' = any(s.event_types))
           order by s.subscription_id"#,
        id,
        v.account_id
    )
    .execute(&mut *conn)
    .await?;
    Ok(Some(id))
}

/// A published version as a `report.published` delivery carries it.
pub struct Published {
    pub account_id: Uuid,
    pub code: String,
    pub month: NaiveDate,
    pub version: i32,
    pub published_at: DateTime<Utc>,
    pub report: Value,
    pub changes: Value,
}

pub async fn published(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<Published>> {
    sqlx::query_as!(
        Published,
        r#"select s.account_id, a.code, s.month as "month: NaiveDate", s.version,
                  s.published_at as "published_at: DateTime<Utc>", s.report, s.changes
           from report_snapshot s join account a using (account_id) where s.report_snapshot_id = $1"#,
        id
    )
    .fetch_optional(db)
    .await
}
