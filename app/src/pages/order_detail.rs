//! `/orders/:order` (staff, account managers) and `/portal/orders/:order` (customers): one order
//! with one timeline across Odoo, the warehouse and the carriers. Staff see each event's source,
//! disposition and, when their role allows, the raw message behind it; customers see what
//! happened, in plain words.

use crate::api::orders::{get_order, get_raw_message};
use crate::components::jobs::OrderJobs;
use crate::components::StatusBadge;
use crate::components::{ErrorNotice, Guarded};
use crate::domain::orders::{OrderDetail, TimelineEntry};
use crate::domain::Section;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn OrderDetailPage() -> impl IntoView {
    view! { <Guarded section=Section::Orders><Detail back="/orders" evidence=true/></Guarded> }
}

#[component]
pub fn PortalOrderPage() -> impl IntoView {
    view! {
        <Guarded section=Section::Portal>
            <Detail back="/portal" evidence=false/>
            <PortalDisputes/>
        </Guarded>
    }
}

/// The customer's disputes of this order: a button on each late clock and each dispute's progress.
#[component]
fn PortalDisputes() -> impl IntoView {
    use crate::api::disputes::{order_disputes, DecideDispute, OpenDispute};
    use crate::api::orders::get_order;
    use crate::components::DisputePanel;
    use crate::domain::sla::ClockState;
    let params = use_params_map();
    let order_ref = Memo::new(move |_| params.with(|p| p.get("order").unwrap_or_default()));
    let open = ServerAction::<OpenDispute>::new();
    let decide = ServerAction::<DecideDispute>::new();
    let found = Resource::new(
        move || (order_ref.get(), open.version().get()),
        |(order, _)| async move {
            Ok::<_, crate::error::AppError>((
                get_order(order.clone()).await?,
                order_disputes(order).await?,
            ))
        },
    );
    view! {
        <section class="page" id="portal-disputes">
            <Transition fallback=|| ()>
                {move || Suspend::new(async move {
                    match found.await {
                        Ok((detail, disputes)) => {
                            let panels: Vec<_> = detail.clocks.iter()
                                .filter(|c| c.state == ClockState::Breached || disputes.iter().any(|d| d.segment == c.key))
                                .map(|c| {
                                    let mine: Vec<_> = disputes.iter().filter(|d| d.segment == c.key).cloned().collect();
                                    view! {
                                        <h3>{c.segment.clone()}</h3>
                                        <DisputePanel order_ref=order_ref.get_untracked() segment=c.key.clone()
                                            breached=c.state == ClockState::Breached disputes=mine
                                            role=Some(crate::domain::Role::Customer) open decide/>
                                    }
                                })
                                .collect();
                            view! {
                                <h2>"Disputes"</h2>
                                <p class="lead">"If a delay was not our doing or the times are wrong, tell us: we review every dispute beside the evidence."</p>
                                {if panels.is_empty() {
                                    view! { <p class="empty">"Nothing on this order is late."</p> }.into_any()
                                } else {
                                    panels.collect_view().into_any()
                                }}
                            }.into_any()
                        }
                        // The order section above already says the order is not there.
                        Err(crate::error::AppError::NotFound) => ().into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Detail(back: &'static str, evidence: bool) -> impl IntoView {
    let params = use_params_map();
    let order_ref = Memo::new(move |_| params.with(|p| p.get("order").unwrap_or_default()));
    let detail = Resource::new(move || order_ref.get(), get_order);
    view! {
        <section class="page">
            <p><A href=back>"← All orders"</A></p>
            <Transition fallback=|| view! { <p class="loading">"Loading the order…"</p> }>
                {move || Suspend::new(async move {
                    match detail.await {
                        Ok(d) => view! { <Order detail=d evidence/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn Order(detail: OrderDetail, evidence: bool) -> impl IntoView {
    let h = detail.header.clone();
    let or_dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    let open: Vec<_> = detail
        .exceptions
        .iter()
        .filter(|x| x.open)
        .cloned()
        .collect();
    view! {
        <h1 id="order-title">{format!("Order {}", h.order_ref)} " " <StatusBadge word=h.status.as_str()/></h1>
        <dl class="facts">
            <dt>"Customer"</dt><dd>{or_dash(h.customer.clone())}{h.account.clone().map(|a| format!(" ({a})"))}</dd>
            <dt>"Customer PO"</dt><dd>{or_dash(h.customer_po.clone())}</dd>
            <dt>"Warehouse"</dt><dd>{or_dash(h.warehouse.clone())}</dd>
            <dt>"Carrier · service"</dt><dd>{format!("{} · {}", or_dash(h.carrier.clone()), or_dash(detail.service_level.clone()))}</dd>
            <dt>"Ordered"</dt><dd>{or_dash(h.ordered_at.clone())}</dd>
            <dt>"Ship by · deliver by"</dt><dd>{format!("{} · {}", or_dash(detail.promised_ship_by.clone()), or_dash(h.promised_deliver_by.clone()))}</dd>
            <dt>"Latest ETA"</dt><dd id="latest-eta">{match (detail.latest_eta.clone(), detail.eta_as_of.clone()) {
                (Some(eta), Some(at)) => format!("{eta} (as of {at})"),
                _ => "none given yet".to_string(),
            }}</dd>
        </dl>
        {detail.data_delayed_since.clone().map(|since| view! {
            <p class="notice notice-warn" id="data-delayed" role="status">{format!(
                "Data delayed since {since}: a system that reports on this order has gone quiet or an update to it keeps failing. What is shown may be out of date."
            )}</p>
        })}

        <h2>"SLA"</h2>
        <SlaClocks clocks=detail.clocks.clone() evidence=evidence.then(|| format!("/orders/{}/evidence", h.order_ref))/>

        <h2>"Open exceptions"</h2>
        {if open.is_empty() {
            view! { <p class="empty">"None."</p> }.into_any()
        } else {
            view! {
                <ul class="exceptions" id="open-exceptions">
                    {open.into_iter().map(|x| view! {
                        <li class=format!("severity-{}", x.severity)>
                            <strong>{x.kind.replace('_', " ")}</strong>" ("{x.domain.as_str()}") "{x.summary}
                            <small>{x.opened_at.map(|t| format!(" · since {t}"))}</small>
                        </li>
                    }).collect_view()}
                </ul>
            }.into_any()
        }}

        <h2>"Lines"</h2>
        <table class="grid" id="lines">
            <thead><tr><th>"Line"</th><th>"SKU"</th><th>"Ordered"</th><th>"Shipped"</th><th>"Short"</th><th>"Status"</th></tr></thead>
            <tbody>
                {detail.lines.into_iter().map(|l| view! {
                    <tr data-line=l.line_ref.clone()>
                        <td>{l.line_ref.clone()}{l.substitute_of.map(|o| view! { <small>" substitute for "{o}</small> })}</td>
                        <td>{l.sku.unwrap_or_default()}</td>
                        <td>{format!("{} {}", l.qty_ordered, l.uom.unwrap_or_default())}</td>
                        <td>{l.qty_shipped}</td>
                        <td>{(l.qty_short > 0.0).then_some(l.qty_short)}</td>
                        <td>{l.line_status.label()}{l.reason.map(|r| format!(" ({})", r.replace('_', " ")))}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>

        <h2>"Shipments"</h2>
        {if detail.shipments.is_empty() {
            view! { <p class="empty">"Not shipped yet."</p> }.into_any()
        } else {
            view! {
                <table class="grid" id="shipments">
                    <thead><tr><th>"Tracking"</th><th>"Carrier"</th><th>"Status"</th><th>"Dispatched"</th><th>"Delivered"</th><th>"ETA"</th><th>"Attempts"</th><th>"Packages"</th></tr></thead>
                    <tbody>
                        {detail.shipments.into_iter().map(|s| view! {
                            <tr data-tracking=s.tracking_number.clone()>
                                <td>{s.tracking_number.clone()}</td>
                                <td>{s.carrier.unwrap_or_default()}</td>
                                <td><StatusBadge word=s.status.as_str()/>{s.signed_by.map(|b| format!(" signed by {b}"))}</td>
                                <td>{s.dispatched_at.unwrap_or_default()}</td>
                                <td>{s.delivered_at.unwrap_or_default()}</td>
                                <td>{s.eta.unwrap_or_default()}</td>
                                <td>{s.delivery_attempts}</td>
                                <td>{s.packages.join(", ")}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}

        <h2>"Timeline"</h2>
        <Timeline entries=detail.timeline raw_allowed=detail.raw_allowed/>

        {detail.raw_allowed.then(|| view! {
            <h2>"Sync jobs"</h2>
            <p class="lead">"What Milepost sent to other systems for this order, and how it went."</p>
            <OrderJobs order_ref=h.order_ref.clone() replay_allowed=detail.replay_allowed/>
        })}
    }
}

#[component]
fn Timeline(entries: Vec<TimelineEntry>, raw_allowed: bool) -> impl IntoView {
    let shown = RwSignal::new(None::<i64>);
    let raw = Resource::new(
        move || shown.get(),
        |id| async move {
            match id {
                Some(id) => Some(get_raw_message(id).await),
                None => None,
            }
        },
    );
    view! {
        <table class="grid timeline" id="timeline">
            <thead><tr>
                <th>"Happened"</th><th>"Event"</th><th>"Source"</th><th>"Recorded"</th><th>"Disposition"</th>
                {raw_allowed.then(|| view! { <th>"Raw"</th> })}
            </tr></thead>
            <tbody>
                {entries.into_iter().map(|e| {
                    let happened = match (&e.occurred_at, e.time_provenance.as_str()) {
                        (None, _) => "time unknown".to_string(),
                        (Some(t), "assumed_facility_local") => format!("{t} (facility time, assumed)"),
                        (Some(t), _) => t.clone(),
                    };
                    view! {
                        <tr data-event=e.event_type.clone() data-disposition=e.disposition.clone()>
                            <td>{happened}</td>
                            <td>{e.event_type.clone()}{e.source_status.map(|s| view! { <br/><small class="source-status">{s}</small> })}</td>
                            <td>{e.source.clone()}</td>
                            <td>{e.recorded_at.clone()}</td>
                            <td>
                                <span class=format!("disposition disposition-{}", e.disposition)>{e.disposition.clone()}</span>
                                {e.disposition_reason.map(|r| view! { <br/><small>{r}</small> })}
                            </td>
                            {e.inbox_message_id.map(|id| view! {
                                <td><button type="button" class="link-button raw-button" on:click=move |_| shown.set(Some(id))>"View"</button></td>
                            })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match raw.await {
                    None => ().into_any(),
                    Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                    Some(Ok(m)) => view! {
                        <div class="raw-message" id="raw-message">
                            <h3>{format!("Raw message #{} from {}", m.inbox_message_id, m.connector)}</h3>
                            <p><small>{format!("message id {} · received {} · {} · {} · delivered {} time(s)",
                                m.message_id, m.received_at, m.content_type.unwrap_or_default(), m.outcome, m.delivery_count)}</small></p>
                            <pre class="headers">{m.headers}</pre>
                            <pre class="body">{m.body}</pre>
                            <button type="button" on:click=move |_| shown.set(None)>"Close"</button>
                        </div>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SlaClocks(
    clocks: Vec<crate::domain::sla::views::ClockView>,
    /// Where each clock's evidence pack is (staff pages).
    evidence: Option<String>,
) -> impl IntoView {
    if clocks.is_empty() {
        return view! { <p class="empty">"No SLA policy measures this order yet."</p> }.into_any();
    }
    view! {
        <table class="grid" id="sla-clocks">
            <thead><tr><th>"Segment"</th><th>"State"</th><th>"Started"</th><th>"Due"</th><th>"Ended"</th>
                <th>"Business time"</th><th>"Paused"</th><th>"Target · policy"</th>
                {evidence.is_some().then(|| view! { <th>"Evidence"</th> })}</tr></thead>
            <tbody>
                {clocks.into_iter().map(|c| { let key = c.segment.clone(); let class = format!("clock clock-{}", c.state.as_str()); view! {
                    <tr data-segment=key>
                        <td>{c.segment}</td>
                        <td><span class=class>{c.state_label}</span></td>
                        <td>{c.started_at}</td>
                        <td>{c.due_at.unwrap_or_else(|| "paused".into())}</td>
                        <td>{c.ended_at.unwrap_or_else(|| "—".into())}</td>
                        <td>{c.remaining.unwrap_or_else(|| "—".into())}</td>
                        <td>{if c.paused.is_empty() { "—".to_string() } else { c.paused }}</td>
                        <td>{if c.policy.is_empty() { c.target.clone() } else { format!("{} · {}", c.target, c.policy) }}</td>
                        {evidence.clone().map(|base| view! { <td><a href=format!("{base}/{}", c.key)>"Evidence"</a></td> })}
                    </tr>
                }}).collect_view()}
            </tbody>
        </table>
    }.into_any()
}
