//! The retention policy's SQL (`crate::retention` decides and archives): what is old enough to
//! go, what must stay (open disputes, legal holds), and the deletes. The event partitions are
//! named by data (`event_YYYY_MM`), so their statements are built at run time from names read
//! from the catalogue and quoted; everything else is checked by the macros.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::{PgConnection, PgExecutor, PgPool};

/// Takes the retention turn for the life of `conn` (a session lock: released when the work is
/// done or the connection closes), so one process at a time archives and deletes.
pub async fn take_turn(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar!(r#"select pg_try_advisory_lock(hashtext('milepost retention')) as "got!""#)
        .fetch_one(conn)
        .await
}

pub async fn end_turn(conn: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query_scalar!(
        r#"select pg_advisory_unlock(hashtext('milepost retention')) as "released!""#
    )
    .fetch_one(conn)
    .await?;
    Ok(())
}

/// One monthly event partition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Partition {
    pub name: String,
    pub month: NaiveDate,
}

/// The monthly partitions of `event`, oldest first (the default partition is not one).
pub async fn event_partitions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Partition>> {
    let names = sqlx::query_scalar!(
        r#"select c.relname::text as "name!" from pg_inherits i
           join pg_class c on c.oid = i.inhrelid join pg_class p on p.oid = i.inhparent
           where p.relname = 'event' and c.relname ~ '^event_[0-9]{4}_[0-9]{2}$'
           order by c.relname"#
    )
    .fetch_all(db)
    .await?;
    Ok(names
        .into_iter()
        .filter_map(|name| {
            let month =
                NaiveDate::parse_from_str(&format!("{}_01", &name[6..]), "%Y_%m_%d").ok()?;
            Some(Partition { name, month })
        })
        .collect())
}

/// Which events must stay whatever their age: those of orders with an open dispute (the
/// evidence its decision is made from) and of accounts on legal hold. A SQL condition on `e`.
const KEPT_EVENT: &str = "(e.order_ref in (select d.order_ref from dispute d where d.state = 'open')
     or e.order_ref in (select o.order_ref from \"order\" o join legal_hold h on h.account_id = o.account_id))";

fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Rows archived per round trip.
pub const PAGE: i64 = 5_000;

/// A page of a partition's rows as JSON lines, in recorded order, after `after` (the
/// `(recorded_at, event_id)` of the last row of the page before).
pub async fn partition_page(
    conn: &mut PgConnection,
    partition: &Partition,
    after: Option<(DateTime<Utc>, uuid::Uuid)>,
) -> sqlx::Result<Vec<(String, DateTime<Utc>, uuid::Uuid)>> {
    let sql = format!(
        "select row_to_json(e)::text, e.recorded_at, e.event_id from {} e
         where $1::timestamptz is null or (e.recorded_at, e.event_id) > ($1, $2)
         order by e.recorded_at, e.event_id limit $3",
        quoted(&partition.name)
    );
    sqlx::query_as(&sql)
        .persistent(false)
        .bind(after.map(|a| a.0))
        .bind(after.map(|a| a.1))
        .bind(PAGE)
        .fetch_all(conn)
        .await
}

/// What dropping a partition did.
pub struct Dropped {
    pub kept: i64,
    pub inbox_deleted: i64,
}

/// Detaches `partition`, moves the events that must stay into the parent (they land in the
/// default partition), deletes the raw messages `mark_messages_gone` noted (unless named by an
/// interchange conflict), and drops it: one transaction, so a failure changes nothing. The
/// caller has archived the partition and the messages first.
pub async fn drop_partition(
    conn: &mut PgConnection,
    partition: &Partition,
) -> sqlx::Result<Dropped> {
    use sqlx::Connection;
    let table = quoted(&partition.name);
    let mut tx = conn.begin().await?;
    sqlx::query(&format!("alter table event detach partition {table}"))
        .execute(&mut *tx)
        .await?;
    let kept = sqlx::query(&format!(
        "insert into event select e.* from {table} e where {KEPT_EVENT}"
    ))
    .execute(&mut *tx)
    .await?
    .rows_affected() as i64;
    let inbox_deleted = sqlx::query(
        "delete from inbox_message m using retention_gone g
         where m.inbox_message_id = g.inbox_message_id
           and not exists (select 1 from interchange_conflict c
                           where m.inbox_message_id in (c.inbox_message_id, c.earlier_inbox_message_id))",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected() as i64;
    sqlx::query(&format!("drop table {table}"))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Dropped {
        kept,
        inbox_deleted,
    })
}

/// Notes, for this connection's session, the raw messages whose events are all in `partition`
/// and none kept: they go with it (`retention_gone`, a temporary table). Returns how many.
pub async fn mark_messages_gone(
    conn: &mut PgConnection,
    partition: &Partition,
) -> sqlx::Result<u64> {
    let table = quoted(&partition.name);
    sqlx::query("drop table if exists retention_gone")
        .execute(&mut *conn)
        .await?;
    Ok(sqlx::query(&format!(
        "create temporary table retention_gone as
             select distinct e.inbox_message_id from {table} e
             except select e.inbox_message_id from {table} e where {KEPT_EVENT}"
    ))
    .execute(&mut *conn)
    .await?
    .rows_affected())
}

/// A page of the messages `mark_messages_gone` noted, as JSON lines (the body, if not archived
/// before, as `\x` hex), by id after `after`.
pub async fn gone_messages_page(
    conn: &mut PgConnection,
    after: i64,
) -> sqlx::Result<Vec<(String, i64)>> {
    sqlx::query_as(
        "select row_to_json(m)::text, m.inbox_message_id from inbox_message m
         join retention_gone g on g.inbox_message_id = m.inbox_message_id
         where m.inbox_message_id > $1 order by m.inbox_message_id limit $2",
    )
    .bind(after)
    .bind(PAGE)
    .fetch_all(conn)
    .await
}

/// Rejected messages (they carry no events) received before `before`: deleted with the month.
pub async fn delete_rejected(db: impl PgExecutor<'_>, before: DateTime<Utc>) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "delete from inbox_message m where m.outcome = 'rejected' and m.received_at < $1
           and not exists (select 1 from interchange_conflict c
                           where m.inbox_message_id in (c.inbox_message_id, c.earlier_inbox_message_id))",
        before as _
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// A raw message whose body is due to be archived and cleared.
pub struct DueBody {
    pub inbox_message_id: i64,
    /// The whole row as JSON (the body as `\x` hex).
    pub row: String,
}

/// Up to `limit` messages (accepted or rejected) received before `before` whose bodies are still here and
/// whose orders are not kept, oldest first.
pub async fn due_bodies(
    db: impl PgExecutor<'_>,
    before: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<DueBody>> {
    sqlx::query_as!(
        DueBody,
        r#"select m.inbox_message_id, row_to_json(m)::text as "row!" from inbox_message m
           where m.received_at < $1 and m.body_archive is null and octet_length(m.body) > 0
             and not exists (
                 select 1 from event e
                 where e.inbox_message_id = m.inbox_message_id and e.recorded_at = m.received_at
                   and (e.order_ref in (select d.order_ref from dispute d where d.state = 'open')
                        or e.order_ref in (select o.order_ref from "order" o
                                           join legal_hold h on h.account_id = o.account_id)))
           order by m.received_at, m.inbox_message_id
           limit $2"#,
        before as _,
        limit
    )
    .fetch_all(db)
    .await
}

/// Clears the bodies of `ids`, naming the archive they are in.
pub async fn clear_bodies(
    db: impl PgExecutor<'_>,
    ids: &[i64],
    archive: &str,
) -> sqlx::Result<u64> {
    Ok(sqlx::query!(
        "update inbox_message set body = ''::bytea, body_archive = $2 where inbox_message_id = any($1)",
        ids,
        archive
    )
    .execute(db)
    .await?
    .rows_affected())
}

/// Messages on hold (open disputes, legal holds) that are past their age: reported as kept.
pub async fn kept_bodies(db: impl PgExecutor<'_>, before: DateTime<Utc>) -> sqlx::Result<i64> {
    sqlx::query_scalar!(
        r#"select count(distinct m.inbox_message_id) as "n!" from inbox_message m
           join event e on e.inbox_message_id = m.inbox_message_id and e.recorded_at = m.received_at
           where m.received_at < $1 and m.body_archive is null and octet_length(m.body) > 0
             and (e.order_ref in (select d.order_ref from dispute d where d.state = 'open')
                  or e.order_ref in (select o.order_ref from "order" o
                                     join legal_hold h on h.account_id = o.account_id))"#,
        before as _
    )
    .fetch_one(db)
    .await
}

/// Deletes up to `limit` finished jobs (succeeded or cancelled; dead ones wait for a decision)
/// of the kinds chosen, finished before `before`, with their attempts. `deliveries` picks the
/// customer webhook deliveries (`webhook.deliver`), else every other kind.
pub async fn delete_jobs(
    pool: &PgPool,
    before: DateTime<Utc>,
    deliveries: bool,
    limit: i64,
) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    let ids = sqlx::query_scalar!(
        "select job_id from job
         where state in ('succeeded', 'cancelled') and finished_at < $1
           and (kind = 'webhook.deliver') = $2
         order by finished_at limit $3 for update skip locked",
        before as _,
        deliveries,
        limit
    )
    .fetch_all(&mut *tx)
    .await?;
    sqlx::query!("delete from job_attempt where job_id = any($1)", &ids)
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query!("delete from job where job_id = any($1)", &ids)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// Audit entries older than `before`, as JSON lines, oldest first (at most `limit`), with the
/// id of the newest returned.
pub async fn old_audit(
    db: impl PgExecutor<'_>,
    before: DateTime<Utc>,
    limit: i64,
) -> sqlx::Result<Vec<(i64, String)>> {
    let rows = sqlx::query!(
        r#"select audit_log_id, row_to_json(a)::text as "row!" from audit_log a
           where occurred_at < $1 order by audit_log_id limit $2"#,
        before as _,
        limit
    )
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|r| (r.audit_log_id, r.row)).collect())
}

/// Deletes audit entries up to and including `last_id` older than `before`; the one delete the
/// append-only trigger allows, in a transaction that says it is retention.
pub async fn delete_audit(pool: &PgPool, before: DateTime<Utc>, last_id: i64) -> sqlx::Result<u64> {
    let mut tx = pool.begin().await?;
    sqlx::query!("set local milepost.retention = 'on'")
        .execute(&mut *tx)
        .await?;
    let n = sqlx::query!(
        "delete from audit_log where audit_log_id <= $1 and occurred_at < $2",
        last_id,
        before as _
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    tx.commit().await?;
    Ok(n)
}

/// One line of the retention record.
pub struct Run<'a> {
    pub policy: &'a str,
    pub archive: Option<&'a str>,
    pub sha256: Option<&'a str>,
    pub archived_rows: i64,
    pub deleted_rows: i64,
    pub kept_rows: i64,
    pub detail: serde_json::Value,
}

pub async fn record(db: impl PgExecutor<'_>, run: &Run<'_>) -> sqlx::Result<()> {
    sqlx::query!(
        "insert into retention_run (policy, archive, sha256, archived_rows, deleted_rows, kept_rows, detail)
         values ($1, $2, $3, $4, $5, $6, $7)",
        run.policy,
        run.archive,
        run.sha256,
        run.archived_rows,
        run.deleted_rows,
        run.kept_rows,
        run.detail
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Places or lifts a legal hold on the account with `code`; false when there is no such account.
pub async fn set_legal_hold(
    conn: &mut PgConnection,
    code: &str,
    reason: Option<&str>,
) -> sqlx::Result<bool> {
    let Some(account_id) =
        sqlx::query_scalar!("select account_id from account where code = $1", code)
            .fetch_optional(&mut *conn)
            .await?
    else {
        return Ok(false);
    };
    match reason {
        Some(reason) => {
            sqlx::query!(
                "insert into legal_hold (account_id, reason) values ($1, $2)
                 on conflict (account_id) do update set reason = excluded.reason",
                account_id,
                reason
            )
            .execute(&mut *conn)
            .await?;
        }
        None => {
            sqlx::query!("delete from legal_hold where account_id = $1", account_id)
                .execute(&mut *conn)
                .await?;
        }
    }
    Ok(true)
}
