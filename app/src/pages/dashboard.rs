//! `/dashboard` (agents, account managers for their accounts, admins): KPI tiles against the
//! previous period, trend and distribution charts drawn on the server, filters, the orders at
//! risk of breaching, and how fresh each source is. Refreshes live as events arrive.

use crate::api::dashboard::get_dashboard;
use crate::components::live::live_version;
use crate::components::{ErrorNotice, EtaScorecards, Guarded};
use crate::domain::dashboard::{AtRiskRow, Choices, DashboardFilter, FreshnessRow, Tile, PERIODS};
use crate::domain::Section;
use leptos::prelude::*;

#[component]
pub fn DashboardPage() -> impl IntoView {
    let filter = RwSignal::new(DashboardFilter::default());
    let live = live_version("dashboard");
    let data = Resource::new(
        move || (filter.get(), live.get()),
        |(f, _)| get_dashboard(f),
    );
    view! {
        <Guarded section=Section::Dashboard>
            <section class="page dashboard">
                <h1>"Dashboard"</h1>
                <p class="lead">"How well every promise is being kept, across the accounts you can see."</p>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match data.await {
                            Ok(d) => view! {
                                <Filters filter choices=d.choices/>
                                <p class="period" id="period">{d.period}</p>
                                {d.recomputed_note.map(|n| view! { <p class="notice" id="recomputed">{n}</p> })}
                                <Tiles tiles=d.tiles/>
                                <div class="charts">
                                    <figure class="chart" id="chart-trend" inner_html=d.trend_svg></figure>
                                    <figure class="chart" id="chart-release-delay" inner_html=d.release_delay_svg></figure>
                                    <figure class="chart" id="chart-cycle" inner_html=d.cycle_svg></figure>
                                </div>
                                <h2>"At risk of breaching"</h2>
                                <AtRiskTable rows=d.at_risk/>
                                <h2>"Freshness per source"</h2>
                                <FreshnessTable rows=d.freshness/>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
                <h2>"Carriers"</h2>
                <Carriers filter/>
            </section>
        </Guarded>
    }
}

/// The carrier view (ETA scorecards), fetched by the browser once the page is there: it reads
/// every delivered shipment of the period, so the page does not wait for it.
#[component]
fn Carriers(filter: RwSignal<DashboardFilter>) -> impl IntoView {
    use crate::api::dashboard::get_carriers;
    use crate::domain::scorecards::Scorecards;
    let carriers = RwSignal::new(None::<Result<Scorecards, crate::error::AppError>>);
    // Effects run in the browser only: the server renders the waiting line.
    Effect::new(move |_| {
        let f = filter.get();
        leptos::task::spawn_local(async move {
            carriers.set(Some(get_carriers(f).await));
        });
    });
    move || {
        match carriers.get() {
        None => view! { <p class="loading" id="carriers-loading">"Loading the carriers' ETA scorecards…"</p> }.into_any(),
        Some(Ok(s)) => view! { <EtaScorecards scorecards=s/> }.into_any(),
        Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
    }
    }
}

#[component]
fn Filters(filter: RwSignal<DashboardFilter>, choices: Choices) -> impl IntoView {
    let current = filter.get_untracked();
    let set = move |field: &'static str, value: String| {
        filter.update(|f| match field {
            "account" => f.account = value,
            "warehouse" => f.warehouse = value,
            "carrier" => f.carrier = value,
            "service_level" => f.service_level = value,
            _ => f.days = value.parse().unwrap_or(0),
        })
    };
    let options = |values: Vec<String>, chosen: String| {
        values
            .into_iter()
            .map(|v| {
                let selected = v == chosen;
                view! { <option value=v.clone() selected=selected>{v.clone()}</option> }
            })
            .collect_view()
    };
    view! {
        <form class="filters" id="dashboard-filters" on:submit=|e| e.prevent_default()>
            <label>"Account "
                <select name="account" on:change=move |e| set("account", event_target_value(&e))>
                    <option value="">"All"</option>
                    {choices.accounts.into_iter().map(|(code, name)| {
                        let selected = code == current.account;
                        view! { <option value=code.clone() selected=selected>{format!("{name} ({code})")}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Warehouse "
                <select name="warehouse" on:change=move |e| set("warehouse", event_target_value(&e))>
                    <option value="">"All"</option>{options(choices.warehouses, current.warehouse.clone())}
                </select>
            </label>
            <label>"Carrier "
                <select name="carrier" on:change=move |e| set("carrier", event_target_value(&e))>
                    <option value="">"All"</option>{options(choices.carriers, current.carrier.clone())}
                </select>
            </label>
            <label>"Service level "
                <select name="service_level" on:change=move |e| set("service_level", event_target_value(&e))>
                    <option value="">"All"</option>{options(choices.service_levels, current.service_level.clone())}
                </select>
            </label>
            <label>"Period "
                <select name="days" on:change=move |e| set("days", event_target_value(&e))>
                    {PERIODS.iter().map(|d| {
                        let selected = *d == current.period_days();
                        view! { <option value=d.to_string() selected=selected>{format!("Last {d} days")}</option> }
                    }).collect_view()}
                </select>
            </label>
        </form>
    }
}

#[component]
fn Tiles(tiles: Vec<Tile>) -> impl IntoView {
    view! {
        <div class="tiles" id="kpi-tiles">
            {tiles.into_iter().map(|t| {
                let trend = match t.better {
                    Some(true) => "change better",
                    Some(false) => "change worse",
                    None => "change",
                };
                view! {
                    <div class="tile" data-kpi=t.key>
                        <span class="tile-label">{t.label}</span>
                        <strong class="tile-value">{t.value}</strong>
                        <span class=trend>{t.change}</span>
                        <small class="tile-basis">{t.basis}</small>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}

#[component]
fn AtRiskTable(rows: Vec<AtRiskRow>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty" id="at-risk-empty">"No open order is at risk right now."</p> }.into_any();
    }
    view! {
        <table class="grid" id="at-risk">
            <thead><tr><th>"Order"</th><th>"Account"</th><th>"Segment"</th><th>"State"</th><th>"Due"</th>
                <th>"Warehouse"</th><th>"Carrier"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| { let class = format!("risk {}", r.state.replace(' ', "-")); view! {
                    <tr class=class>
                        <td><a href=format!("/orders/{}", r.order_ref)>{r.order_ref.clone()}</a></td>
                        <td>{r.account.unwrap_or_else(|| "—".into())}</td>
                        <td>{r.segment}</td>
                        <td>{r.state}{r.predicted_late.then_some(" (predicted late)")}</td>
                        <td title=r.due_at>{r.due_in}</td>
                        <td>{r.warehouse.unwrap_or_else(|| "—".into())}</td>
                        <td>{r.carrier.unwrap_or_else(|| "—".into())}</td>
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

#[component]
fn FreshnessTable(rows: Vec<FreshnessRow>) -> impl IntoView {
    view! {
        <table class="grid" id="freshness">
            <thead><tr><th>"Source"</th><th>"Kind"</th><th>"Last message"</th><th>"Age"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr class:stale=r.stale>
                        <td>{r.source}</td><td>{r.kind}</td>
                        <td>{r.last_message_at.unwrap_or_else(|| "—".into())}</td>
                        <td>{r.age}{r.stale.then_some(" (stale)")}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}
