//! `/orders` (staff and account managers) and `/portal` (customers): the order list with search,
//! filters and pages. The filters live in the URL, so a view can be bookmarked and shared; the
//! server scopes the list to what the signed-in user may see.

use crate::api::orders::list_orders;
use crate::components::{ErrorNotice, Guarded, StatusBadge};
use crate::domain::orders::{OrderFilter, OrderPage, OrderRow};
use crate::domain::projection::ORDER_STATUSES;
use crate::domain::Section;
use leptos::prelude::*;
use leptos_router::components::{Form, A};
use leptos_router::hooks::use_query_map;

#[component]
pub fn OrdersPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Orders>
            <OrderList title="Orders" detail_base="/orders"
                intro="Every order Milepost knows about, from Odoo, the warehouses and the carriers."/>
        </Guarded>
    }
}

#[component]
pub fn PortalPage() -> impl IntoView {
    let summary = Resource::new(|| (), |_| crate::api::reports::get_portal_summary());
    view! {
        <Guarded section=Section::Portal>
            <section class="page portal-summary">
                <Transition fallback=|| view! { <p class="loading">"Working out your month…"</p> }>
                    {move || Suspend::new(async move {
                        match summary.await {
                            Ok(s) => view! { <PortalSummaryView summary=s/> }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
            <OrderList title="My orders" detail_base="/portal/orders"
                intro="Your orders, where they are, and what happened to them."/>
        </Guarded>
    }
}

/// This month for the customer: the two figures they judge us by, and what is late.
#[component]
fn PortalSummaryView(summary: crate::domain::reports::PortalSummary) -> impl IntoView {
    let share = |f: &crate::domain::reports::Figure| {
        f.percent
            .map(|p| format!("{p:.1} %"))
            .unwrap_or_else(|| "not measured yet".into())
    };
    view! {
        <h2 id="portal-month">{format!("This month ({}): {} orders", summary.month, summary.orders)}</h2>
        <dl class="facts" id="portal-figures">
            <dt>{summary.on_time_delivery.label.clone()}</dt>
            <dd id="portal-on-time">{format!("{} ({} of {})", share(&summary.on_time_delivery), summary.on_time_delivery.met, summary.on_time_delivery.of)}
                {(summary.on_time_delivery.excused > 0).then(|| format!(
                    "; {} with {} excused delay(s) left out",
                    summary.on_time_delivery.percent_after.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into()),
                    summary.on_time_delivery.excused))}</dd>
            <dt>{summary.otif.label.clone()}</dt>
            <dd>{format!("{} ({} of {})", share(&summary.otif), summary.otif.met, summary.otif.of)}</dd>
        </dl>
        {if summary.late.is_empty() {
            view! { <p class="empty">"Nothing of this month is late."</p> }.into_any()
        } else {
            view! {
                <h3>"Late"</h3>
                <ul id="portal-late">
                    {summary.late.into_iter().map(|(order, what, _)| view! {
                        <li><a href=format!("/portal/orders/{order}")>{order.clone()}</a>{format!(": {what}")}
                            " · " <a class="dispute-link" href=format!("/portal/orders/{order}#portal-disputes")>"Dispute this"</a></li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}
        <h3>"Monthly reports"</h3>
        {if summary.reports.is_empty() {
            view! { <p class="empty">"No monthly report has been published yet: the first comes on the first business day of next month."</p> }.into_any()
        } else {
            view! {
                <ul id="portal-reports">{summary.reports.iter().map(|(month, version, at)| view! {
                    <li><a href=format!("/portal/reports/{month}")>{month.clone()}</a>
                        {format!(" · published {at}{}", if *version > 1 { format!(", revised (version {version})") } else { String::new() })}</li>
                }).collect_view()}</ul>
            }.into_any()
        }}
        {(!summary.disputes.is_empty()).then(|| view! {
            <h3>"Your disputes"</h3>
            <table class="grid" id="portal-dispute-list">
                <thead><tr><th>"Order"</th><th>"About"</th><th>"Opened"</th><th>"Where it stands"</th></tr></thead>
                <tbody>{summary.disputes.iter().map(|d| view! {
                    <tr data-state=d.state.as_str()>
                        <td><a href=format!("/portal/orders/{}", d.order_ref)>{d.order_ref.clone()}</a></td>
                        <td>{d.segment_label.clone()}</td>
                        <td>{format!("{} (open {})", d.opened_at, d.age)}</td>
                        <td>{d.state.describe()}</td>
                    </tr>
                }).collect_view()}</tbody>
            </table>
        })}
    }
}

/// The filter as the URL has it.
fn filter_from_query() -> Memo<OrderFilter> {
    let query = use_query_map();
    Memo::new(move |_| {
        query.with(|q| {
            let text = |k: &str| q.get(k).unwrap_or_default();
            OrderFilter {
                q: text("q"),
                status: text("status"),
                warehouse: text("warehouse"),
                carrier: text("carrier"),
                from: text("from"),
                to: text("to"),
                page: text("page").parse().unwrap_or(1),
            }
        })
    })
}

/// The same filter on another page, as a link.
fn page_link(base: &str, f: &OrderFilter, page: i64) -> String {
    let pairs = [
        ("q", f.q.as_str()),
        ("status", &f.status),
        ("warehouse", &f.warehouse),
        ("carrier", &f.carrier),
        ("from", &f.from),
        ("to", &f.to),
    ];
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .append_pair("page", &page.to_string())
        .finish();
    format!("{base}?{query}")
}

/// The CSV download of every order the filter matches (all pages, streamed).
fn export_link(f: &OrderFilter) -> String {
    let link = page_link("/export/orders.csv", f, 1);
    // The export has no pages.
    link.trim_end_matches("page=1")
        .trim_end_matches(['&', '?'])
        .to_string()
}

#[component]
fn OrderList(title: &'static str, intro: &'static str, detail_base: &'static str) -> impl IntoView {
    let filter = filter_from_query();
    let page = Resource::new(move || filter.get(), list_orders);
    view! {
        <section class="page">
            <h1>{title}</h1>
            <p class="lead">{intro}</p>
            <Form method="GET" action="" attr:class="filters" attr:id="order-filters">
                <label>"Search"<input type="search" name="q" placeholder="Order, PO, tracking no., customer"
                    prop:value=move || filter.get().q/></label>
                <label>"Status"<select name="status">
                    <option value="">"Any"</option>
                    {move || {
                        let chosen = filter.get().status;
                        ORDER_STATUSES.iter().map(|s| view! {
                            <option value=*s selected=chosen == *s>{s.replace('_', " ")}</option>
                        }).collect_view()
                    }}
                </select></label>
                <Transition fallback=|| ()>
                    {move || Suspend::new(async move {
                        let choices = page.await.ok();
                        let f = filter.get_untracked();
                        let (warehouses, carriers) = choices.map(|p| (p.warehouses, p.carriers)).unwrap_or_default();
                        view! {
                            <label>"Warehouse"<select name="warehouse">
                                <option value="">"Any"</option>
                                {warehouses.into_iter().map(|w| { let sel = f.warehouse == w; let label = w.clone(); view! { <option value=w selected=sel>{label}</option> } }).collect_view()}
                            </select></label>
                            <label>"Carrier"<select name="carrier">
                                <option value="">"Any"</option>
                                {carriers.into_iter().map(|c| { let sel = f.carrier == c; let label = c.clone(); view! { <option value=c selected=sel>{label}</option> } }).collect_view()}
                            </select></label>
                        }
                    })}
                </Transition>
                <label>"Ordered from"<input type="date" name="from" prop:value=move || filter.get().from/></label>
                <label>"to"<input type="date" name="to" prop:value=move || filter.get().to/></label>
                <button type="submit" class="primary">"Search"</button>
            </Form>
            <p class="no-print">
                <a id="orders-csv" rel="external" download=""
                    href=move || export_link(&filter.get())>"Download these orders as CSV"</a>
            </p>
            <Transition fallback=|| view! { <p class="loading">"Loading orders…"</p> }>
                {move || Suspend::new(async move {
                    match page.await {
                        Ok(p) => view! { <OrderTable page=p filter=filter.get_untracked() detail_base/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn OrderTable(page: OrderPage, filter: OrderFilter, detail_base: &'static str) -> impl IntoView {
    if page.rows.is_empty() {
        return view! { <p class="empty" id="no-orders">"No orders match."</p> }.into_any();
    }
    let base = if detail_base == "/orders" {
        "/orders"
    } else {
        "/portal"
    };
    let previous = (page.page > 1).then(|| page_link(base, &filter, page.page - 1));
    let next = (page.page < page.pages).then(|| page_link(base, &filter, page.page + 1));
    view! {
        <p class="count" id="order-count">{format!("{} orders · page {} of {}", page.total, page.page, page.pages)}</p>
        <table class="grid" id="orders">
            <thead><tr>
                <th>"Order"</th><th>"Customer"</th><th>"PO"</th><th>"Status"</th><th>"Warehouse"</th>
                <th>"Carrier · tracking"</th><th>"Ordered"</th><th>"Promised by"</th><th>"Exceptions"</th>
            </tr></thead>
            <tbody>
                {page.rows.into_iter().map(|r| view! { <Row row=r detail_base/> }).collect_view()}
            </tbody>
        </table>
        <nav class="pager">
            {previous.map(|href| view! { <A href=href attr:rel="prev">"← Previous"</A> })}
            {next.map(|href| view! { <A href=href attr:rel="next">"Next →"</A> })}
        </nav>
    }
    .into_any()
}

#[component]
fn Row(row: OrderRow, detail_base: &'static str) -> impl IntoView {
    let href = format!("{detail_base}/{}", row.order_ref);
    let customer = match (&row.customer, &row.account) {
        (Some(c), Some(a)) => format!("{c} ({a})"),
        (Some(c), None) => c.clone(),
        (None, Some(a)) => a.clone(),
        (None, None) => "—".into(),
    };
    let tracking = row.tracking_numbers.join(", ");
    let carrier = row.carrier.clone().unwrap_or_default();
    let order_ref = row.order_ref.clone();
    view! {
        <tr data-order=row.order_ref.clone()>
            <td><A href=href>{order_ref}</A></td>
            <td>{customer}</td>
            <td>{row.customer_po.clone().unwrap_or_default()}</td>
            <td><StatusBadge word=row.status.as_str()/>{row.on_hold.then(|| view! { <span class="badge badge-warn">"on hold"</span> })}</td>
            <td>{row.warehouse.clone().unwrap_or_default()}</td>
            <td>{carrier}<br/><small>{tracking}</small></td>
            <td>{row.ordered_at.clone().unwrap_or_default()}</td>
            <td>{row.promised_deliver_by.clone().unwrap_or_default()}</td>
            <td>{(row.open_exceptions > 0).then(|| view! { <span class="badge badge-bad">{row.open_exceptions}</span> })}</td>
        </tr>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csv_link_keeps_the_filters_without_a_page() {
        let f = OrderFilter {
            carrier: "UPS".into(),
            ..OrderFilter::default()
        };
        assert_eq!(export_link(&f), "/export/orders.csv?carrier=UPS");
        assert_eq!(export_link(&OrderFilter::default()), "/export/orders.csv");
    }

    #[test]
    fn page_links_keep_the_filters_and_encode_them() {
        let f = OrderFilter {
            q: "PO 7781&x".into(),
            status: "delivered".into(),
            ..OrderFilter::default()
        };
        assert_eq!(
            page_link("/orders", &f, 3),
            "/orders?q=PO+7781%26x&status=delivered&page=3"
        );
    }
}
