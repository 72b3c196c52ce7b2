-- What an account's month report reads, straight from indexes: the clocks and the KPI shares by
-- account and the day the order was placed (covering what the report counts, so no table page
-- is read for them), the delivered parcels and delivery times of those orders, and the order's destination
-- country for the ETA scorecards' lanes (read before from each order's `order.created` event,
-- one probe per order). Measured by `bench sla` (README, "Benchmarks").
alter table sla_clock add column ordered_at timestamptz;
update sla_clock k set ordered_at = o.ordered_at from "order" o where o.order_id = k.order_id;
create index sla_clock_account_ordered_idx on sla_clock (account_id, ordered_at)
    include (segment, due_at, ended_at, failed, warehouse_code, carrier, service_level, order_id);
create index order_kpi_account_day_idx on order_kpi (account_id, day)
    include (release_delay_seconds, processing_seconds, pickup_seconds, transit_seconds,
             warehouse_code, carrier, service_level);
create index shipment_delivered_idx on shipment (order_id)
    include (tracking_number, carrier, delivered_at) where delivered_at is not null;
create index order_milestone_delivered_idx on order_milestone (order_id)
    include (occurred_at) where milestone = 'delivered';

alter table "order" add column ship_to_country text;
-- Backfill from the order's latest accepted commercial event that names one (the fold keeps the
-- last one set, as it does for every header field).
update "order" o set ship_to_country = c.country
from (select distinct on (order_ref) order_ref, data #>> '{ship_to,country}' as country
      from event
      where type in ('order.created', 'order.updated', 'order.confirmed')
        and data #>> '{ship_to,country}' is not null
        and disposition not in ('rejected', 'duplicate')
      order by order_ref, occurred_at desc nulls last, recorded_at desc) c
where c.order_ref = o.order_ref;
