//! The ETA scorecards as tables and a chart (the table is the chart's text alternative): on
//! `/reports` and in the dashboard's carrier view.

use crate::domain::scorecards::{ScorecardRow, Scorecards, BUCKETS};
use leptos::prelude::*;

fn share(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1} %")).unwrap_or_else(|| "—".into())
}

fn days(v: Option<f64>) -> String {
    v.map(|d| format!("{d:.2} d")).unwrap_or_else(|| "—".into())
}

#[component]
pub fn EtaScorecards(scorecards: Scorecards) -> impl IntoView {
    view! {
        <section class="scorecards" id="eta-scorecards">
            <h3>"ETA scorecards"</h3>
            <p class="lead">"How well the carriers' estimates predicted the deliveries of the period: every ETA given before delivery counts."</p>
            <figure class="chart" id="chart-eta" role="img"
                aria-label="Share delivered on the first and on the last ETA's day per carrier and service; the table below has the numbers"
                inner_html=scorecards.chart_svg></figure>
            <Table rows=scorecards.by_service first="Carrier · service" id="scorecard-service"/>
            <Table rows=scorecards.by_lane first="Lane (warehouse → country)" id="scorecard-lane"/>
        </section>
    }
}

#[component]
fn Table(rows: Vec<ScorecardRow>, first: &'static str, id: &'static str) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="empty">"No shipment was delivered in this period."</p> }
            .into_any();
    }
    view! {
        <table class="grid" id=id>
            <thead><tr>
                <th>{first}</th><th>"Delivered"</th><th>"On first ETA's day"</th><th>"On last ETA's day"</th>
                {BUCKETS.iter().map(|b| view! { <th>{format!("Error, {b} out")}</th> }).collect_view()}
                <th>"Drift first → last"</th><th>"No ETA"</th>
            </tr></thead>
            <tbody>{rows.into_iter().map(|r| view! {
                <tr data-group=r.group.clone()>
                    <td>{r.group.clone()}</td><td>{r.shipments}</td>
                    <td>{share(r.first_day_hit)}</td><td>{share(r.last_day_hit)}</td>
                    {r.mean_abs_error_days.iter().map(|e| view! { <td>{days(*e)}</td> }).collect_view()}
                    <td>{r.drift_hours.map(|h| format!("{h:+.1} h")).unwrap_or_else(|| "—".into())}</td>
                    <td>{share(r.no_eta)}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
    }.into_any()
}
