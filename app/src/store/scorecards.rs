//! What the ETA scorecards read: each delivered shipment of a period's orders with the ETAs given for it
//! (`shipment_eta`, leaving out ETAs of events the projector rejected or found duplicate), its
//! carrier, service, warehouse and destination country.

use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// One (shipment, ETA) pair; a shipment without ETAs comes once with `eta` and `given_at` empty.
pub struct EtaRow {
    pub tracking_number: String,
    pub carrier: Option<String>,
    pub service_level: Option<String>,
    pub warehouse_code: Option<String>,
    pub country: Option<String>,
    pub delivered_at: DateTime<Utc>,
    pub given_at: Option<DateTime<Utc>>,
    pub eta: Option<DateTime<Utc>>,
}

/// The delivered shipments of the orders placed in `[from, to)` (by the order indexes, as the
/// rest of a report counts orders) of the accounts in `accounts` (all when `None`), narrowed by
/// warehouse, carrier and service level (empty: any); the destination country (the order's
/// `ship_to.country`) only when `with_country`.
pub async fn delivered_with_etas(
    db: &PgPool,
    accounts: Option<&[Uuid]>,
    from: NaiveDate,
    to: NaiveDate,
    dims: [&str; 3],
    with_country: bool,
) -> sqlx::Result<Vec<EtaRow>> {
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
    sqlx::query_as!(
        EtaRow,
        r#"select s.tracking_number, coalesce(s.carrier, o.carrier) as carrier, o.service_level,
                  o.warehouse_code, case when $7 then o.ship_to_country end as country,
                  s.delivered_at as "delivered_at!: DateTime<Utc>",
                  x.given_at as "given_at?: DateTime<Utc>", x.eta as "eta?: DateTime<Utc>"
           from "order" o
           join shipment s on s.order_id = o.order_id and s.delivered_at is not null
           left join lateral (
               select g.given_at, g.eta from shipment_eta g
               join event e on e.event_id = g.event_id and e.recorded_at = g.recorded_at
               where g.tracking_number = s.tracking_number and e.disposition not in ('rejected', 'duplicate')
           ) x on true
           where o.ordered_at >= $1 and o.ordered_at < $2
             and ($3::uuid[] is null or o.account_id = any($3))
             and ($4 = '' or o.warehouse_code = $4)
             and ($5 = '' or coalesce(s.carrier, o.carrier) = $5)
             and ($6 = '' or o.service_level = $6)
           order by s.tracking_number, x.given_at"#,
        midnight(from) as _,
        midnight(to) as _,
        accounts as Option<&[Uuid]>,
        dims[0],
        dims[1],
        dims[2],
        with_country
    )
    .fetch_all(db)
    .await
}
