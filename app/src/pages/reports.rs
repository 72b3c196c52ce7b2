//! `/reports` (account managers for their accounts, admins for any): an account's SLA report for
//! a month, narrowed by warehouse, carrier and service level: each clock segment's attainment,
//! the dashboard's figures from the same rollups, and the breaches, each with its evidence, as a
//! table and as CSV.

use crate::api::reports::get_report;
use crate::components::{ErrorNotice, Guarded};
use crate::domain::reports::{Figure, ReportFilter, ReportView};
use crate::domain::Section;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn ReportsPage() -> impl IntoView {
    let query = use_query_map();
    let filter = Memo::new(move |_| {
        query.with(|q| ReportFilter {
            account: q.get("account").unwrap_or_default(),
            month: q.get("month").unwrap_or_default(),
            from: q.get("from").unwrap_or_default(),
            to: q.get("to").unwrap_or_default(),
            warehouse: q.get("warehouse").unwrap_or_default(),
            carrier: q.get("carrier").unwrap_or_default(),
            service_level: q.get("service_level").unwrap_or_default(),
        })
    });
    let report = Resource::new(move || filter.get(), get_report);
    view! {
        <Guarded section=Section::Reports>
            <section class="page">
                <h1>"SLA reports"</h1>
                <Transition fallback=|| view! { <p class="loading">"Working out the month…"</p> }>
                    {move || Suspend::new(async move {
                        match report.await {
                            Ok(r) => view! { <Report report=r filter=filter.get_untracked()/> }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </Guarded>
    }
}

#[component]
fn Report(report: ReportView, filter: ReportFilter) -> impl IntoView {
    let csv_href = format!(
        "data:text/csv;charset=utf-8,{}",
        form_urlencoded::byte_serialize(report.breaches_csv.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    );
    let csv_file = format!("breaches-{}-{}.csv", report.account, report.month);
    let more = report.more_breaches;
    view! {
        <form method="get" action="/reports" class="filters">
            <label>"Account "
                <select name="account">
                    {report.accounts.iter().map(|(code, name)| {
                        let selected = *code == report.account;
                        view! { <option value=code.clone() selected=selected>{format!("{code} · {name}")}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Month " <input type="month" name="month" value=report.month.clone()/></label>
            <label>"or from " <input type="date" name="from" value=filter.from/></label>
            <label>"to " <input type="date" name="to" value=filter.to/></label>
            <label>"Warehouse " <input type="text" name="warehouse" value=filter.warehouse/></label>
            <label>"Carrier " <input type="text" name="carrier" value=filter.carrier/></label>
            <label>"Service " <input type="text" name="service_level" value=filter.service_level/></label>
            <button type="submit">"Show"</button>
        </form>
        <h2 id="report-title">{format!("{} · {}", report.account_name, report.month)}</h2>
        <p class="lead">{format!("{} orders placed, {}", report.orders, report.period)}</p>
        <h3>"Attainment per segment"</h3>
        <Figures figures=report.attainment id="attainment"/>
        <h3>"Service"</h3>
        <Figures figures=report.kpis id="report-kpis"/>
        <Excusals excusals=report.excusals/>
        <h3>"Breaches"</h3>
        <p><a id="breaches-csv" href=csv_href download=csv_file>"Download as CSV"</a></p>
        {if report.breaches.is_empty() {
            view! { <p class="empty">"Every clock of the month was kept."</p> }.into_any()
        } else {
            view! {
                <table class="grid" id="breaches">
                    <thead><tr><th>"Order"</th><th>"Segment"</th><th>"Due"</th><th>"Ended"</th><th>"Over by"</th><th>"Evidence"</th></tr></thead>
                    <tbody>{report.breaches.into_iter().map(|b| view! {
                        <tr>
                            <td><a href=format!("/orders/{}", b.order_ref)>{b.order_ref.clone()}</a></td>
                            <td>{b.segment_label}</td>
                            <td>{b.due_at.unwrap_or_default()}</td>
                            <td>{match (b.ended_at, b.failed) {
                                (Some(e), true) => format!("{e} (returned to sender)"),
                                (Some(e), false) => e,
                                (None, _) => "still running".into(),
                            }}</td>
                            <td>{format!("{} h {} min", b.minutes_over / 60, b.minutes_over % 60)}</td>
                            <td><a href=format!("/orders/{}/evidence/{}", b.order_ref, b.segment)>"Evidence · dispute"</a></td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
                {(more > 0).then(|| view! { <p class="more">{format!("… and {more} more (narrow the filters).")}</p> })}
            }.into_any()
        }}
    }
}

/// The breaches excused on disputes, with who decided and why.
#[component]
fn Excusals(excusals: Vec<crate::domain::disputes::ExcusalRow>) -> impl IntoView {
    view! {
        <h3>"Excusals"</h3>
        {if excusals.is_empty() {
            view! { <p class="empty">"No breach of this period was excused."</p> }.into_any()
        } else {
            view! {
                <table class="grid" id="excusals">
                    <thead><tr><th>"Order"</th><th>"Segment"</th><th>"Why"</th><th>"Decided by"</th><th>"On"</th><th>"Note"</th></tr></thead>
                    <tbody>{excusals.into_iter().map(|e| view! {
                        <tr data-dispute=e.dispute_id.to_string()>
                            <td><a href=format!("/orders/{}/evidence/{}", e.order_ref, e.segment)>{e.order_ref.clone()}</a></td>
                            <td>{e.segment}</td><td>{e.reason.describe()}</td><td>{e.decided_by}</td>
                            <td>{e.decided_at}</td><td>{e.note}</td>
                        </tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
    }
}

#[component]
fn Figures(figures: Vec<Figure>, id: &'static str) -> impl IntoView {
    view! {
        <table class="grid" id=id>
            <thead><tr><th>"Measure"</th><th>"Kept"</th><th>"Of"</th><th>"As measured"</th>
                <th>"Excused"</th><th>"After excusals"</th></tr></thead>
            <tbody>{figures.into_iter().map(|f| {
                let share = |p: Option<f64>| p.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into());
                view! {
                    <tr data-key=f.key>
                        <td>{f.label}</td><td>{f.met}</td><td>{f.of}</td>
                        <td class="measured">{share(f.percent)}</td>
                        <td class="excused">{f.excused}</td>
                        <td class="after">{share(f.percent_after)}</td>
                    </tr>
                }
            }).collect_view()}</tbody>
        </table>
    }
}
