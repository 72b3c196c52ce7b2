//! `/reports` (account managers for their accounts, admins for any): an account's SLA report for
//! a month, narrowed by warehouse, carrier and service level: each clock segment's attainment,
//! the dashboard's figures from the same rollups, and the breaches, each with its evidence, as a
//! table and as CSV.

use crate::api::reports::get_report;
use crate::components::{ErrorNotice, EtaScorecards, Guarded};
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
            version: q.get("version").unwrap_or_default(),
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

/// `/portal/reports/:month`: a published monthly report of the customer's own account, printable
/// and as CSV (`?version=N` for an earlier version; the latest otherwise).
#[component]
pub fn PortalReportPage() -> impl IntoView {
    use crate::api::reports::get_portal_report;
    use leptos_router::hooks::use_params_map;
    let params = use_params_map();
    let query = use_query_map();
    let key = Memo::new(move |_| {
        (
            params.with(|p| p.get("month").unwrap_or_default()),
            query.with(|q| q.get("version").unwrap_or_default()),
        )
    });
    let report = Resource::new(
        move || key.get(),
        |(month, version)| get_portal_report(month, version),
    );
    view! {
        <Guarded section=Section::Portal>
            <section class="page report">
                <p class="no-print"><a href="/portal">"← My orders"</a></p>
                <h1>"Monthly service report"</h1>
                <Transition fallback=|| view! { <p class="loading">"Loading the report…"</p> }>
                    {move || Suspend::new(async move {
                        match report.await {
                            Ok(r) => view! { <ReportBody report=r staff=false/> }.into_any(),
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
    let given = filter.clone();
    view! {
        <form method="get" action="/reports" class="filters no-print">
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
        <ReportBody report staff=true filter=given/>
    }
}

/// A streamed CSV download of this report's `table` with the page's filters.
fn export_link(table: &str, report: &ReportView, f: &ReportFilter) -> String {
    let by_range = !f.from.is_empty() && !f.to.is_empty();
    let pairs = [
        ("account", report.account.as_str()),
        ("month", if by_range { "" } else { &report.month }),
        ("from", if by_range { &f.from } else { "" }),
        ("to", if by_range { &f.to } else { "" }),
        ("warehouse", &f.warehouse),
        ("carrier", &f.carrier),
        ("service_level", &f.service_level),
    ];
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs.iter().filter(|(_, v)| !v.is_empty()))
        .finish();
    format!("/export/{table}.csv?{query}")
}

/// A report's figures, excusals and breaches. Staff follow a breach to its evidence (and a
/// dispute); customers to their order page.
#[component]
pub fn ReportBody(
    report: ReportView,
    staff: bool,
    /// The page's filters (the downloads apply them too).
    #[prop(optional)]
    filter: ReportFilter,
) -> impl IntoView {
    let csv_href = format!(
        "data:text/csv;charset=utf-8,{}",
        form_urlencoded::byte_serialize(report.breaches_csv.as_bytes())
            .collect::<String>()
            .replace('+', "%20")
    );
    let csv_file = format!("breaches-{}-{}.csv", report.account, report.month);
    let more = report.more_breaches;
    let downloads = [
        export_link("breaches", &report, &filter),
        export_link("report", &report, &filter),
        export_link("scorecards", &report, &filter),
    ];
    view! {
        <h2 id="report-title">{format!("{} · {}", report.account_name, report.month)}</h2>
        <Published report=report.clone()/>
        <p class="lead">{format!("{} orders placed, {}", report.orders, report.period)}</p>
        <h3>"Attainment per segment"</h3>
        <Figures figures=report.attainment id="attainment"/>
        <h3>"Service"</h3>
        <Figures figures=report.kpis id="report-kpis"/>
        <h3>"Cycle time split"</h3>
        <table class="grid" id="cycle">
            <thead><tr><th>"Stretch"</th><th>"Median (p50)"</th><th>"p90"</th><th>"Orders measured"</th></tr></thead>
            <tbody>{report.cycle.iter().map(|c| {
                let h = |v: Option<f64>| v.map(|h| format!("{h:.1} h")).unwrap_or_else(|| "—".into());
                view! { <tr data-party=c.party.clone()><td>{c.label.clone()}</td><td>{h(c.p50_hours)}</td><td>{h(c.p90_hours)}</td><td>{c.measured}</td></tr> }
            }).collect_view()}</tbody>
        </table>
        <h3>"Twelve months"</h3>
        <figure class="chart" id="chart-months" role="img"
            aria-label="On-time ship, on-time delivery and OTIF per month; the table below has the numbers"
            inner_html=report.trend_svg.clone()></figure>
        <table class="grid" id="trend">
            <thead><tr><th>"Month"</th><th>"On-time ship"</th><th>"On-time delivery"</th><th>"OTIF"</th></tr></thead>
            <tbody>{report.trend.iter().map(|p| {
                let pc = |v: Option<f64>| v.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into());
                view! { <tr><td>{p.day.format("%Y-%m").to_string()}</td><td>{pc(p.on_time_ship)}</td><td>{pc(p.on_time_delivery)}</td><td>{pc(p.otif)}</td></tr> }
            }).collect_view()}</tbody>
        </table>
        <Excusals excusals=report.excusals staff/>
        <EtaScorecards scorecards=report.scorecards/>
        <h3>"Who used up the time"</h3>
        <table class="grid" id="blame">
            <thead><tr><th>"Party"</th><th>"Breaches blamed"</th><th>"Minutes used in breaches"</th></tr></thead>
            <tbody>{report.blame.iter().map(|t| view! {
                <tr data-party=t.party.clone()><td>{t.label.clone()}</td><td>{t.breaches}</td><td>{t.minutes}</td></tr>
            }).collect_view()}</tbody>
        </table>
        <h3>"Breaches"</h3>
        // A published version downloads exactly what was frozen; the live report streams every
        // breach (not only those listed) with the page's filters.
        {match (report.version, staff) {
            (None, true) => view! {
                <p class="no-print" id="report-downloads">
                    <a id="breaches-csv" rel="external" download="" href=downloads[0].clone()>"Every breach as CSV"</a>" · "
                    <a id="report-csv" rel="external" download="" href=downloads[1].clone()>"The figures as CSV"</a>" · "
                    <a id="scorecards-csv" rel="external" download="" href=downloads[2].clone()>"The ETA scorecards as CSV"</a>
                    " · print this page for a paper copy."
                </p>
            }.into_any(),
            _ => view! {
                <p class="no-print"><a id="breaches-csv" href=csv_href download=csv_file>"Download the breaches as CSV"</a>" · print this page for a paper copy."</p>
            }.into_any(),
        }}
        {if report.breaches.is_empty() {
            view! { <p class="empty">"Every clock of the month was kept."</p> }.into_any()
        } else {
            view! {
                <table class="grid" id="breaches">
                    <thead><tr><th>"Order"</th><th>"Segment"</th><th>"Due"</th><th>"Ended"</th><th>"Over by"</th>
                        <th>"Time used by"</th>{staff.then(|| view! { <th>"Evidence"</th> })}</tr></thead>
                    <tbody>{report.breaches.into_iter().map(|b| view! {
                        <tr>
                            <td><a href=if staff { format!("/orders/{}", b.order_ref) } else { format!("/portal/orders/{}", b.order_ref) }>{b.order_ref.clone()}</a></td>
                            <td>{b.segment_label}</td>
                            <td>{b.due_at.unwrap_or_default()}</td>
                            <td>{match (b.ended_at, b.failed) {
                                (Some(e), true) => format!("{e} (returned to sender)"),
                                (Some(e), false) => e,
                                (None, _) => "still running".into(),
                            }}</td>
                            <td>{format!("{} h {} min", b.minutes_over / 60, b.minutes_over % 60)}</td>
                            <td class="blame" data-party=b.blame.party.clone()>
                                <strong>{b.blame.party_label()}</strong><br/>
                                <small>{format!("ERP {} · warehouse {} · carrier {} · paused {} (min)",
                                    b.blame.erp_minutes, b.blame.warehouse_minutes, b.blame.carrier_minutes, b.blame.paused_minutes)}</small>
                            </td>
                            {staff.then(|| view! { <td><a href=format!("/orders/{}/evidence/{}", b.order_ref, b.segment)>"Evidence · dispute"</a></td> })}
                        </tr>
                    }).collect_view()}</tbody>
                </table>
                {(more > 0).then(|| view! { <p class="more">{format!("… and {more} more (narrow the filters).")}</p> })}
            }.into_any()
        }}
    }
}

/// The month's published versions: which one is shown (or that these are the live figures),
/// and for each revision what changed and the late events behind it.
#[component]
pub fn Published(report: ReportView) -> impl IntoView {
    let link = |v: Option<i32>| {
        format!(
            "?account={}&month={}{}",
            report.account,
            report.month,
            v.map(|v| format!("&version={v}")).unwrap_or_default()
        )
    };
    let latest = report.published.last().map(|p| p.version);
    let showing = match (report.version, latest) {
        (Some(v), Some(l)) if v < l => format!(
            "Published version {v}, frozen. Version {l} revised it: see below."
        ),
        (Some(v), _) => format!("Published version {v}, frozen: the figures as published."),
        (None, Some(l)) => format!(
            "Live figures. This month was published (latest: version {l}); published versions never change."
        ),
        (None, None) => "Live figures; not published yet.".to_string(),
    };
    view! {
        <p class="notice" id="report-version" data-version=report.version.map(|v| v.to_string()).unwrap_or_default()>{showing}</p>
        {(!report.published.is_empty()).then(|| view! {
            <details class="published" open=report.published.len() > 1>
                <summary>{format!("Published versions ({})", report.published.len())}</summary>
                <ul id="published-versions">
                    <li><a href=link(None)>"Live figures"</a></li>
                    {report.published.iter().map(|p| view! {
                        <li data-version=p.version.to_string()>
                            <a href=link(Some(p.version))>{format!("Version {} · published {}", p.version, p.published_at)}</a>
                            {(p.version > 1).then(|| view! { " " <span class="badge badge-revised">"revised"</span> })}
                            {(!p.changes.is_empty()).then(|| view! {
                                <table class="grid revision">
                                    <thead><tr><th>"Changed"</th><th>"Before"</th><th>"After"</th></tr></thead>
                                    <tbody>{p.changes.iter().map(|c| {
                                        let show = |(met, of, pct): (i64, i64, Option<f64>)| match pct {
                                            Some(p) => format!("{p:.1} % ({met} of {of})"),
                                            None if of == 0 => met.to_string(),
                                            None => format!("{met} of {of}"),
                                        };
                                        view! { <tr data-key=c.key.clone()><td>{c.label.clone()}</td><td>{show(c.before)}</td><td>{show(c.after)}</td></tr> }
                                    }).collect_view()}</tbody>
                                </table>
                                <p>{format!("Why: {} event(s) recorded after the version before:", p.late_events.len())}</p>
                                <ul class="late-events">{p.late_events.iter().take(20).map(|e| view! {
                                    <li>{format!("{} {} · happened {} · recorded {}", e.order_ref, e.event_type,
                                        e.occurred_at.clone().unwrap_or_else(|| "—".into()), e.recorded_at)}</li>
                                }).collect_view()}</ul>
                            })}
                        </li>
                    }).collect_view()}
                </ul>
            </details>
        })}
    }
}

/// The breaches excused on disputes, with who decided and why.
#[component]
fn Excusals(excusals: Vec<crate::domain::disputes::ExcusalRow>, staff: bool) -> impl IntoView {
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
                            <td><a href=if staff { format!("/orders/{}/evidence/{}", e.order_ref, e.segment) } else { format!("/portal/orders/{}", e.order_ref) }>{e.order_ref.clone()}</a></td>
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
