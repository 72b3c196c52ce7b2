//! The alert evaluator's SQL: what each rule measures now, the open alerts, digests, and the
//! deliveries of digests to their channels. Pages read these tables through `app::store::alerts`.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};

/// Clocks an account must have had due in the window before its breach rate can fire, so one
/// late order out of one is not "100% breached".
pub const BREACH_RATE_MIN_CLOCKS: i64 = 5;

/// Takes the evaluator's turn for this transaction: only one process evaluates at a time.
pub async fn take_turn(conn: &mut PgConnection) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"select pg_try_advisory_xact_lock(hashtext('milepost alerts')) as "got!""#
    )
    .fetch_one(conn)
    .await
}

pub struct Rule {
    pub kind: String,
    pub enabled: bool,
    pub threshold: f64,
    pub window_minutes: i32,
}

pub async fn rules(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Rule>> {
    sqlx::query_as!(
        Rule,
        "select kind, enabled, threshold, window_minutes from alert_rule order by kind"
    )
    .fetch_all(db)
    .await
}

/// One subject a rule's condition holds for, with the measured value.
pub struct Measure {
    pub subject: String,
    pub value: f64,
}

/// Queues with at least `threshold` dead jobs.
pub async fn dead_letters(conn: &mut PgConnection, threshold: f64) -> sqlx::Result<Vec<Measure>> {
    sqlx::query_as!(
        Measure,
        r#"select queue as "subject!", count(*)::float8 as "value!" from job where state = 'dead'
           group by queue having count(*) >= $1::float8 order by queue"#,
        threshold
    )
    .fetch_all(conn)
    .await
}

/// Queues whose circuit has been open (or probing) for at least `threshold` minutes.
pub async fn circuits_open(conn: &mut PgConnection, threshold: f64) -> sqlx::Result<Vec<Measure>> {
    sqlx::query_as!(
        Measure,
        r#"select queue as "subject!", (extract(epoch from now() - opened_at) / 60)::float8 as "value!"
           from circuit
           where state in ('open', 'half_open') and opened_at is not null
             and extract(epoch from now() - opened_at) / 60 >= $1::float8
           order by queue"#,
        threshold
    )
    .fetch_all(conn)
    .await
}

/// Enabled sources that have sent nothing for at least `threshold` minutes (since they were
/// made, when they never sent anything).
pub async fn sources_stale(conn: &mut PgConnection, threshold: f64) -> sqlx::Result<Vec<Measure>> {
    sqlx::query_as!(
        Measure,
        r#"select name as "subject!", minutes as "value!" from (
               select c.name, (extract(epoch from now() - coalesce(
                   (select max(m.received_at) from inbox_message m where m.connector_id = c.connector_id),
                   c.created_at)) / 60)::float8 as minutes
               from connector c where c.enabled) s
           where minutes >= $1::float8 order by name"#,
        threshold
    )
    .fetch_all(conn)
    .await
}

/// The projector, when the oldest queued event has waited at least `threshold` seconds.
pub async fn projector_lag(conn: &mut PgConnection, threshold: f64) -> sqlx::Result<Vec<Measure>> {
    sqlx::query_as!(
        Measure,
        r#"select 'projector' as "subject!", extract(epoch from now() - min(recorded_at))::float8 as "value!"
           from projection_queue
           having extract(epoch from now() - min(recorded_at)) >= $1::float8"#,
        threshold
    )
    .fetch_all(conn)
    .await
}

/// Sources with at least `threshold` rejected messages in the last `window_minutes`.
pub async fn rejected_messages(
    conn: &mut PgConnection,
    threshold: f64,
    window_minutes: i32,
) -> sqlx::Result<Vec<Measure>> {
    sqlx::query_as!(
        Measure,
        r#"select c.name as "subject!", count(*)::float8 as "value!"
           from inbox_message m join connector c on c.connector_id = m.connector_id
           where m.outcome = 'rejected' and m.received_at > now() - make_interval(mins => $2)
           group by c.name having count(*) >= $1::float8 order by c.name"#,
        threshold,
        window_minutes
    )
    .fetch_all(conn)
    .await
}

/// Accounts where at least `threshold` percent of the SLA clocks due in the last
/// `window_minutes` breached (ended after their due time, or still running past it), of at
/// least `BREACH_RATE_MIN_CLOCKS` clocks.
pub async fn breach_rates(
    conn: &mut PgConnection,
    threshold: f64,
    window_minutes: i32,
) -> sqlx::Result<Vec<Measure>> {
    sqlx::query_as!(
        Measure,
        r#"select a.code as "subject!",
                  (100.0 * count(*) filter (where coalesce(c.ended_at, now()) > c.due_at) / count(*))::float8 as "value!"
           from sla_clock c join account a on a.account_id = c.account_id
           where c.due_at > now() - make_interval(mins => $2) and c.due_at <= now()
             and (c.paused_since is null or c.ended_at is not null)
           group by a.code
           having count(*) >= $3
              and 100.0 * count(*) filter (where coalesce(c.ended_at, now()) > c.due_at) / count(*) >= $1::float8
           order by a.code"#,
        threshold,
        window_minutes,
        BREACH_RATE_MIN_CLOCKS
    )
    .fetch_all(conn)
    .await
}

pub struct OpenAlert {
    pub alert_id: i64,
    pub kind: String,
    pub subject: String,
}

pub async fn open(conn: &mut PgConnection) -> sqlx::Result<Vec<OpenAlert>> {
    sqlx::query_as!(
        OpenAlert,
        "select alert_id, kind, subject from alert where resolved_at is null order by alert_id"
    )
    .fetch_all(conn)
    .await
}

/// Fires an alert for (`kind`, `subject`), or, when one is open already, only notes the latest
/// value: a condition that stays true fires once. True when it fired now.
pub async fn fire(
    conn: &mut PgConnection,
    kind: &str,
    subject: &str,
    value: f64,
    message: &str,
) -> sqlx::Result<bool> {
    sqlx::query_scalar!(
        r#"insert into alert (kind, subject, fired_value, last_value, message)
           values ($1, $2, $3, $3, $4)
           on conflict (kind, subject) where resolved_at is null
           do update set last_value = excluded.last_value
           returning (xmax = 0) as "fired!""#,
        kind,
        subject,
        value,
        message
    )
    .fetch_one(conn)
    .await
}

pub async fn resolve(conn: &mut PgConnection, alert_id: i64) -> sqlx::Result<()> {
    sqlx::query!(
        "update alert set resolved_at = now() where alert_id = $1 and resolved_at is null",
        alert_id
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// When the latest digest was made.
pub async fn last_digest_at(conn: &mut PgConnection) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(r#"select max(created_at) as "at: DateTime<Utc>" from alert_digest"#)
        .fetch_one(conn)
        .await
}

pub struct Unsent {
    pub alert_id: i64,
    pub kind: String,
    pub subject: String,
    pub message: String,
    pub fired_at: DateTime<Utc>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub fired_value: f64,
    pub last_value: f64,
}

/// Alerts whose firing, or resolution, no digest has told yet.
pub async fn unsent(conn: &mut PgConnection) -> sqlx::Result<Vec<Unsent>> {
    sqlx::query_as!(
        Unsent,
        r#"select alert_id, kind, subject, message, fired_at as "fired_at: DateTime<Utc>",
                  resolved_at as "resolved_at: DateTime<Utc>", fired_value, last_value
           from alert
           where fired_digest_id is null or (resolved_at is not null and resolved_digest_id is null)
           order by alert_id"#
    )
    .fetch_all(conn)
    .await
}

/// Makes a digest of `notices` (the alerts named), marks what it tells as told, and queues one
/// delivery per channel.
pub async fn make_digest(
    conn: &mut PgConnection,
    notices: &serde_json::Value,
    alert_ids: &[i64],
    channels: &[&str],
) -> sqlx::Result<i64> {
    let digest_id = sqlx::query_scalar!(
        "insert into alert_digest (notices) values ($1) returning digest_id",
        notices
    )
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query!(
        "update alert set fired_digest_id = coalesce(fired_digest_id, $1),
                          resolved_digest_id = case when resolved_at is not null then $1 end
         where alert_id = any($2)",
        digest_id,
        alert_ids
    )
    .execute(&mut *conn)
    .await?;
    let channels: Vec<String> = channels.iter().map(|c| c.to_string()).collect();
    sqlx::query!(
        "insert into alert_delivery (digest_id, channel) select $1, unnest($2::text[])",
        digest_id,
        &channels
    )
    .execute(&mut *conn)
    .await?;
    Ok(digest_id)
}

pub struct DueDelivery {
    pub digest_id: i64,
    pub channel: String,
    pub attempts: i32,
    pub notices: serde_json::Value,
}

/// Claims deliveries that are due, leasing each for `lease_seconds` so another process does not
/// send it meanwhile.
pub async fn claim_due(
    db: impl PgExecutor<'_>,
    lease_seconds: f64,
    limit: i64,
) -> sqlx::Result<Vec<DueDelivery>> {
    sqlx::query_as!(
        DueDelivery,
        r#"with due as (
               select digest_id, channel from alert_delivery
               where state = 'pending' and next_attempt_at <= now()
               order by next_attempt_at limit $2 for update skip locked)
           update alert_delivery x
           set next_attempt_at = now() + make_interval(secs => $1), attempts = x.attempts + 1
           from due, alert_digest d
           where x.digest_id = due.digest_id and x.channel = due.channel and d.digest_id = x.digest_id
           returning x.digest_id, x.channel, x.attempts, d.notices"#,
        lease_seconds,
        limit
    )
    .fetch_all(db)
    .await
}

pub async fn delivered(db: impl PgExecutor<'_>, digest_id: i64, channel: &str) -> sqlx::Result<()> {
    sqlx::query!(
        "update alert_delivery set state = 'sent', sent_at = now(), last_error = null
         where digest_id = $1 and channel = $2",
        digest_id,
        channel
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records a failed attempt: tried again after `retry_in_seconds`, or, with `give_up`, left
/// `failed` (shown on the alerts page).
pub async fn delivery_failed(
    db: impl PgExecutor<'_>,
    digest_id: i64,
    channel: &str,
    error: &str,
    retry_in_seconds: f64,
    give_up: bool,
) -> sqlx::Result<()> {
    sqlx::query!(
        "update alert_delivery
         set last_error = $3, next_attempt_at = now() + make_interval(secs => $4),
             state = case when $5 then 'failed' else 'pending' end
         where digest_id = $1 and channel = $2",
        digest_id,
        channel,
        error,
        retry_in_seconds,
        give_up
    )
    .execute(db)
    .await?;
    Ok(())
}
