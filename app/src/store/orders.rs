//! Reading orders for the pages, always within the caller's scope. The scope comes from the
//! session (never from the request) and is a predicate in every query here.

use crate::domain::orders::{OrderFilter, PAGE_SIZE};
use crate::domain::projection::LineView;
use crate::domain::status::{ExceptionDomain, LineStatus, OrderStatus, Severity, ShipmentStatus};
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use serde_json::Value;
use sqlx::{FromRow, PgExecutor, Postgres, QueryBuilder};
use uuid::Uuid;

/// Which orders a caller may see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Staff who see every account (agents, integrators, admins), and orders not yet mapped to one.
    All,
    /// Only these accounts (an account manager's, or a customer's one).
    Accounts(Vec<Uuid>),
}

impl Scope {
    fn push(&self, q: &mut QueryBuilder<'_, Postgres>) {
        self.push_on(q, "o.account_id");
    }

    /// Adds ` and <column> = any(<the accounts>)` when the scope is limited.
    pub fn push_on(&self, q: &mut QueryBuilder<'_, Postgres>, column: &str) {
        if let Scope::Accounts(ids) = self {
            q.push(format!(" and {column} = any("))
                .push_bind(ids.clone())
                .push(")");
        }
    }
}

#[derive(Debug, FromRow)]
pub struct OrderListRow {
    pub order_id: i64,
    pub order_ref: String,
    pub account: Option<String>,
    pub customer_name: Option<String>,
    pub customer_po: Option<String>,
    pub status: OrderStatus,
    pub on_hold: bool,
    pub warehouse_code: Option<String>,
    pub carrier: Option<String>,
    pub service_level: Option<String>,
    pub ordered_at: Option<DateTime<Utc>>,
    pub promised_ship_by: Option<DateTime<Utc>>,
    pub promised_deliver_by: Option<DateTime<Utc>>,
    pub tracking_numbers: Vec<String>,
    pub open_exceptions: i32,
    pub last_event_at: Option<DateTime<Utc>>,
}

// The customer's name as the order gave it, else the account's.
const ORDER_COLUMNS: &str = r#"select o.order_id, o.order_ref, a.code as account, coalesce(o.customer_name, a.name) as customer_name, o.customer_po, o.status,
       o.on_hold, o.warehouse_code, o.carrier, o.service_level, o.ordered_at, o.promised_ship_by,
       o.promised_deliver_by, o.tracking_numbers, o.open_exceptions, o.last_event_at
    from "order" o left join account a using (account_id) where true"#;

fn day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").ok()
}

fn push_filters(q: &mut QueryBuilder<'_, Postgres>, scope: &Scope, f: &OrderFilter) {
    scope.push(q);
    let term = f.q.trim();
    if !term.is_empty() {
        q.push(" and (o.order_ref ilike ")
            .push_bind(format!("{}%", term.replace('%', "")));
        q.push(" or lower(o.customer_po) = lower(")
            .push_bind(term.to_string())
            .push(")");
        q.push(" or exists (select 1 from shipment s where s.order_id = o.order_id and s.tracking_number = ")
            .push_bind(term.to_string())
            .push(")");
        q.push(" or o.customer_name ilike ")
            .push_bind(format!("%{}%", term.replace('%', "")))
            .push(")");
    }
    for (column, value) in [
        ("o.status", &f.status),
        ("o.warehouse_code", &f.warehouse),
        ("o.carrier", &f.carrier),
    ] {
        if !value.trim().is_empty() {
            q.push(format!(" and {column} = "))
                .push_bind(value.trim().to_string());
        }
    }
    if let Some(from) = day(&f.from) {
        q.push(" and o.ordered_at >= ")
            .push_bind(from)
            .push("::date");
    }
    if let Some(to) = day(&f.to) {
        q.push(" and o.ordered_at < ")
            .push_bind(to)
            .push("::date + 1");
    }
}

/// One page of orders, newest first, and the total that match.
pub async fn list(
    db: &sqlx::PgPool,
    scope: &Scope,
    filter: &OrderFilter,
) -> sqlx::Result<(Vec<OrderListRow>, i64)> {
    let mut count = QueryBuilder::new(
        r#"select count(*) from "order" o left join account a using (account_id) where true"#,
    );
    push_filters(&mut count, scope, filter);
    let total: i64 = count.build_query_scalar().fetch_one(db).await?;
    let mut q = QueryBuilder::new(ORDER_COLUMNS);
    push_filters(&mut q, scope, filter);
    let page = filter.page.max(1);
    q.push(" order by o.ordered_at desc nulls last, o.order_id desc limit ")
        .push_bind(PAGE_SIZE)
        .push(" offset ")
        .push_bind((page - 1) * PAGE_SIZE);
    let rows = q.build_query_as::<OrderListRow>().fetch_all(db).await?;
    Ok((rows, total))
}

/// Every order the filter matches (all pages), newest first: the statement an export streams
/// (`q.build_query_as::<OrderListRow>().fetch(db)`), so it never holds them all.
pub fn export_query(scope: &Scope, filter: &OrderFilter) -> QueryBuilder<'static, Postgres> {
    let mut q = QueryBuilder::new(ORDER_COLUMNS);
    push_filters(&mut q, scope, filter);
    q.push(" order by o.ordered_at desc nulls last, o.order_id desc");
    q
}

/// The distinct values of a column within the scope, for the filter choices.
pub async fn choices(db: &sqlx::PgPool, scope: &Scope, column: &str) -> sqlx::Result<Vec<String>> {
    let column = match column {
        "warehouse" => "o.warehouse_code",
        _ => "o.carrier",
    };
    let mut q = QueryBuilder::new(format!(
        r#"select distinct {column} from "order" o where {column} is not null"#
    ));
    scope.push(&mut q);
    q.push(" order by 1");
    q.build_query_scalar().fetch_all(db).await
}

/// One order, if it exists within the scope (outside it, it does not exist for the caller).
pub async fn find(
    db: &sqlx::PgPool,
    scope: &Scope,
    order_ref: &str,
) -> sqlx::Result<Option<OrderListRow>> {
    let mut q = QueryBuilder::new(ORDER_COLUMNS);
    q.push(" and o.order_ref = ")
        .push_bind(order_ref.to_string());
    scope.push(&mut q);
    q.build_query_as::<OrderListRow>().fetch_optional(db).await
}

/// An order's lines, as the fold wrote them.
pub async fn lines(db: impl PgExecutor<'_>, order_id: i64) -> sqlx::Result<Vec<LineView>> {
    sqlx::query_as!(
        LineView,
        r#"select line_ref, sku, uom, qty_ordered::float8 as "qty_ordered!", qty_shipped::float8 as "qty_shipped!",
                  qty_short::float8 as "qty_short!", line_status as "line_status: LineStatus", substitute_of, reason
           from order_line where order_id = $1 order by line_ref"#,
        order_id
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, FromRow)]
pub struct ShipmentRow {
    pub tracking_number: String,
    pub carrier: Option<String>,
    pub status: ShipmentStatus,
    pub dispatched_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub eta: Option<DateTime<Utc>>,
    pub signed_by: Option<String>,
    pub delivery_attempts: i32,
    pub packages: Vec<String>,
}

pub async fn shipments(db: impl PgExecutor<'_>, order_id: i64) -> sqlx::Result<Vec<ShipmentRow>> {
    sqlx::query_as!(
        ShipmentRow,
        r#"select s.tracking_number, s.carrier, s.status as "status: ShipmentStatus",
                  s.dispatched_at as "dispatched_at: DateTime<Utc>", s.delivered_at as "delivered_at: DateTime<Utc>",
                  s.eta as "eta: DateTime<Utc>", s.signed_by, s.delivery_attempts,
                  coalesce(array(select p.package_ref || coalesce(' (' || p.weight::text || ' ' || coalesce(p.weight_unit, '') || ')', '')
                                 from package p where p.order_id = s.order_id and p.tracking_number = s.tracking_number
                                 order by p.package_ref), '{}') as "packages!"
           from shipment s where s.order_id = $1 order by s.dispatched_at nulls last, s.tracking_number"#,
        order_id
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, FromRow)]
pub struct ExceptionRow {
    pub kind: String,
    pub domain: ExceptionDomain,
    pub severity: Severity,
    pub summary: String,
    pub opened_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub open: bool,
}

pub async fn exceptions(db: impl PgExecutor<'_>, order_id: i64) -> sqlx::Result<Vec<ExceptionRow>> {
    sqlx::query_as!(
        ExceptionRow,
        r#"select kind, domain as "domain: ExceptionDomain", severity as "severity: Severity", summary,
                  opened_at as "opened_at: DateTime<Utc>", closed_at as "closed_at: DateTime<Utc>",
                  closed_by_event is null as "open!"
           from order_exception where order_id = $1 order by closed_by_event is not null, opened_at"#,
        order_id
    )
    .fetch_all(db)
    .await
}

#[derive(Debug, FromRow)]
pub struct TimelineRow {
    pub event_type: String,
    pub connector: String,
    pub connector_kind: String,
    pub occurred_at: Option<DateTime<Utc>>,
    pub occurred_offset_seconds: Option<i32>,
    pub time_provenance: String,
    pub recorded_at: DateTime<Utc>,
    pub disposition: String,
    pub disposition_reason: Option<String>,
    pub source_status: Option<Value>,
    pub inbox_message_id: i64,
}

impl TimelineRow {
    /// The time in the offset the source wrote it in.
    pub fn occurred_local(&self) -> Option<DateTime<FixedOffset>> {
        let offset = FixedOffset::east_opt(self.occurred_offset_seconds.unwrap_or(0))?;
        self.occurred_at.map(|t| t.with_timezone(&offset))
    }
}

/// Every event of an order (and the carrier events that name only its parcels), in the order
/// things happened; events of unknown time last, by when they were recorded. A parcel's events
/// belong to the order whose dispatch claimed its number first (`parcel`, the projector's
/// record): a number another order (another account's, even) dispatched under later never
/// brings the first order's carrier events onto its page.
pub async fn timeline(db: impl PgExecutor<'_>, order_ref: &str) -> sqlx::Result<Vec<TimelineRow>> {
    sqlx::query_as!(
        TimelineRow,
        r#"select e.type as "event_type!", c.name as "connector!", c.kind as "connector_kind!",
                  e.occurred_at as "occurred_at: DateTime<Utc>", e.occurred_offset_seconds,
                  e.time_provenance as "time_provenance!", e.recorded_at as "recorded_at!: DateTime<Utc>",
                  e.disposition as "disposition!", e.disposition_reason, e.source_status,
                  e.inbox_message_id as "inbox_message_id!"
           from event e join connector c using (connector_id)
           where e.order_ref = $1
           union all
           select e.type, c.name, c.kind, e.occurred_at, e.occurred_offset_seconds, e.time_provenance, e.recorded_at,
                  e.disposition, e.disposition_reason, e.source_status, e.inbox_message_id
           from event e join connector c using (connector_id)
           where e.order_ref is null
             and e.tracking_number in (select p.tracking_number from parcel p where p.order_ref = $1)
           order by 4 nulls last, 7"#,
        order_ref
    )
    .fetch_all(db)
    .await
}

/// Since when the order's data may be out of date, if it may: the last message from a source
/// that fed this order and has gone quiet (an open `stale:` case), or the first failed attempt
/// of a sync job about the order still failing or dead; the earlier of the two.
pub async fn delayed_since(
    db: &sqlx::PgPool,
    order_ref: &str,
) -> sqlx::Result<Option<DateTime<Utc>>> {
    sqlx::query_scalar!(
        r#"with feeders as (select distinct e.connector_id from event e where e.order_ref = $1),
           stale as (
               select (select max(m.received_at) from inbox_message m where m.connector_id = f.connector_id) as since
               from feeders f join exception_case c on c.case_key = 'stale:' || f.connector_id
               where c.cleared_at is null and c.resolved_at is null),
           failing as (
               select min(a.finished_at) as since
               from job j join job_attempt a on a.job_id = j.job_id and a.replay = j.replays
               where j.ordering_key = $1 and j.state in ('failed', 'dead') and a.outcome <> 'succeeded')
           select least((select min(since) from stale), (select since from failing)) as "since: DateTime<Utc>""#,
        order_ref
    )
    .fetch_one(db)
    .await
}

/// The latest ETA given for any of the order's shipments, and when it was given (ETAs of
/// rejected or duplicate events left out).
pub async fn latest_eta(
    db: &sqlx::PgPool,
    order_id: i64,
) -> sqlx::Result<Option<(DateTime<Utc>, DateTime<Utc>)>> {
    let row = sqlx::query!(
        r#"select g.eta as "eta: DateTime<Utc>", g.given_at as "given_at: DateTime<Utc>"
           from shipment s join shipment_eta g on g.tracking_number = s.tracking_number
           join event e on e.event_id = g.event_id and e.recorded_at = g.recorded_at
           where s.order_id = $1 and e.disposition not in ('rejected', 'duplicate')
           order by g.given_at desc, g.recorded_at desc limit 1"#,
        order_id
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| (r.eta, r.given_at)))
}
