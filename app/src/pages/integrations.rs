//! `/integrations` (integrators, admins): each connection's health, its jobs with filters, the
//! dead letters with what was sent and answered, replay of one or many (edited first if need
//! be), pause and resume, the mapping inbox, events set aside, and a message's chain across
//! systems by correlation id. The job table and panel are shared with the
//! order page (`components::jobs`).

use crate::api::integrations::{
    get_integrations, list_jobs, FollowChain, PauseQueue, ReleaseQuarantined, ReplayJob, ReplayJobs,
};
use crate::components::jobs::{JobPanel, JobTable};
use crate::components::{action_outcome as outcome, ErrorNotice, Guarded};
use crate::domain::integrations::{
    Chain, HeldReleaseView, JobFilter, QuarantinedView, QueueHealth, ReconciliationView,
    UnknownCodeView,
};
use crate::domain::status::JobState;
use crate::domain::Section;
use leptos::form::ActionForm;
use leptos::prelude::*;

fn or_dash<T: ToString>(v: Option<T>) -> String {
    v.map(|v| v.to_string()).unwrap_or_else(|| "—".into())
}

fn blank_to_none(s: String) -> Option<String> {
    let s = s.trim().to_string();
    (!s.is_empty()).then_some(s)
}

#[component]
pub fn IntegrationsPage() -> impl IntoView {
    let replay = ServerAction::<ReplayJob>::new();
    let replay_many = ServerAction::<ReplayJobs>::new();
    let pause = ServerAction::<PauseQueue>::new();
    let release = ServerAction::<ReleaseQuarantined>::new();
    let changed = move || {
        (
            replay.version().get(),
            replay_many.version().get(),
            pause.version().get(),
            release.version().get(),
        )
    };
    let overview = Resource::new(changed, |_| get_integrations());
    let filter = RwSignal::new(JobFilter::default());
    let jobs = Resource::new(move || (filter.get(), changed()), |(f, _)| list_jobs(f));
    let selected = RwSignal::new(None::<i64>);

    view! {
        <Guarded section=Section::Integrations>
            <section class="page">
                <h1>"Integrations"</h1>
                <p class="lead">"Every connection to Odoo, the warehouses and the carriers: how healthy it is, what failed, and replay."</p>
                <p><a href="/integrations/alerts">"Alerts: what fires now, their history and rules"</a></p>

                <h2>"Connections"</h2>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Ok(o) => view! {
                                <HealthTable queues=o.queues pause/>
                                <h2>"Events set aside"</h2>
                                <Quarantined events=o.quarantined release/>
                                <h2>"Releases held"</h2>
                                <HeldReleases held=o.held_releases/>
                                <h2>"Reconciliation"</h2>
                                <Reconciliations runs=o.reconciliations/>
                                <h2>"Mapping inbox"</h2>
                                <UnknownCodes codes=o.unknown_codes/>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
                {outcome(pause.value(), "Saved. The workers follow within a second.")}
                {outcome(release.value(), "Back in the queue: the projector folds it within a second.")}

                <h2>"Follow a message"</h2>
                <FollowMessage/>

                <h2>"Jobs"</h2>
                <JobFilters filter/>
                <Transition fallback=|| view! { <p class="loading">"Loading jobs…"</p> }>
                    {move || Suspend::new(async move {
                        match jobs.await {
                            Ok(list) => view! { <JobTable jobs=list selected/> }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
                <BulkReplay filter replay_many/>
                <JobPanel selected replay replay_allowed=true/>
            </section>
        </Guarded>
    }
}

#[component]
fn HealthTable(queues: Vec<QueueHealth>, pause: ServerAction<PauseQueue>) -> impl IntoView {
    if queues.is_empty() {
        return view! { <p class="empty">"No connection has run a job yet. Give a connector outbound settings (milepost connector outbound) to start."</p> }.into_any();
    }
    view! {
        <table class="grid" id="queues">
            <thead><tr>
                <th>"Queue"</th><th>"Circuit"</th><th>"Waiting"</th><th>"Running"</th><th>"Dead"</th>
                <th>"Last success"</th><th>"Errors (1 h)"</th><th>"Done (1 h)"</th><th>"p50 / p95"</th><th>"Pause or resume"</th>
            </tr></thead>
            <tbody>
                {queues.into_iter().map(|q| {
                    let circuit = if q.paused { "paused".to_string() } else { q.circuit.replace('_', " ") };
                    let stale = q.minutes_since_success.map(|m| format!(" ({m} min ago)")).unwrap_or_default();
                    let circuit_class = format!("circuit circuit-{}", circuit.replace(' ', "-"));
                    let queue_name = q.queue.clone();
                    view! {
                        <tr data-queue=q.queue.clone()>
                            <td>{q.queue.clone()}</td>
                            <td><span class=circuit_class>{circuit}</span>
                                {q.paused_reason.clone().map(|r| view! { <br/><small>{r}</small> })}</td>
                            <td>{q.depth}</td>
                            <td>{q.running}</td>
                            <td>{q.dead}</td>
                            <td>{or_dash(q.last_success_at.clone())}{stale}</td>
                            <td>{q.error_rate_pct.map(|p| format!("{p}%")).unwrap_or_else(|| "—".into())}</td>
                            <td>{q.succeeded_last_hour}</td>
                            <td>{format!("{} / {} ms", or_dash(q.p50_ms), or_dash(q.p95_ms))}</td>
                            <td>
                                <ActionForm action=pause attr:class="inline">
                                    <input type="hidden" name="queue" value=queue_name/>
                                    <input type="hidden" name="paused" value=(!q.paused).to_string()/>
                                    <input type="text" name="reason" placeholder="why" aria-label="Reason" required/>
                                    <button type="submit">{if q.paused { "Resume" } else { "Pause" }}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

#[component]
fn UnknownCodes(codes: Vec<UnknownCodeView>) -> impl IntoView {
    if codes.is_empty() {
        return view! { <p class="empty">"Every code received so far is mapped."</p> }.into_any();
    }
    view! {
        <table class="grid" id="unknown-codes">
            <thead><tr><th>"Connector"</th><th>"Field"</th><th>"Code"</th><th>"Seen"</th><th>"Last seen"</th></tr></thead>
            <tbody>
                {codes.into_iter().map(|c| view! {
                    <tr><td>{c.connector}</td><td>{c.field}</td><td><code>{c.code}</code></td><td>{c.occurrences}</td><td>{c.last_seen_at}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// Events the projector could not fold, with the error, and a way to put each back once its
/// cause is mended.
#[component]
fn Quarantined(
    events: Vec<QuarantinedView>,
    release: ServerAction<ReleaseQuarantined>,
) -> impl IntoView {
    if events.is_empty() {
        return view! { <p class="empty">"The projector has folded every event it was given."</p> }
            .into_any();
    }
    view! {
        <table class="grid" id="quarantined">
            <thead><tr><th>"Event"</th><th>"Order"</th><th>"Error"</th><th>"Set aside"</th><th>"Put back"</th></tr></thead>
            <tbody>
                {events.into_iter().map(|q| {
                    let order = q.order_ref.clone().map(|o| {
                        let href = format!("/orders/{o}");
                        view! { <a href=href>{o}</a> }
                    });
                    let event_id = q.event_id.clone();
                    view! {
                        <tr data-event=event_id>
                            <td>{q.event_type}<br/><code>{q.event_id}</code></td>
                            <td>{order}</td>
                            <td>{q.error}</td>
                            <td>{q.quarantined_at}</td>
                            <td>
                                <ActionForm action=release>
                                    <input type="hidden" name="quarantine_id" value=q.quarantine_id/>
                                    <label>"Why"<input name="reason" required/></label>
                                    <button type="submit">"Fold again"</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

#[component]
fn HeldReleases(held: Vec<HeldReleaseView>) -> impl IntoView {
    if held.is_empty() {
        return view! { <p class="empty">"Every order ready to go has gone to its warehouse."</p> }
            .into_any();
    }
    view! {
        <table class="grid" id="held-releases">
            <thead><tr><th>"Order"</th><th>"Why it waits"</th><th>"Held since"</th></tr></thead>
            <tbody>
                {held.into_iter().map(|h| {
                    let href = format!("/orders/{}", h.order_ref);
                    view! {
                        <tr><td><a href=href>{h.order_ref}</a></td><td>{h.why}</td><td>{h.held_at}</td></tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// Each Odoo's latest nightly reconciliation: what it compared, repaired and found quiet.
#[component]
fn Reconciliations(runs: Vec<ReconciliationView>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="empty">"No reconciliation has run yet (nightly, 02:00 UTC by default)."</p> }
            .into_any();
    }
    view! {
        <table class="grid" id="reconciliations">
            <thead><tr>
                <th>"Odoo"</th><th>"Ran"</th><th>"Open deliveries"</th><th>"Out of step (read again)"</th>
                <th>"Stock comparisons"</th><th>"Quiet shipments"</th>
            </tr></thead>
            <tbody>
                {runs.into_iter().map(|r| {
                    let details = r.details.clone();
                    view! {
                        <tr>
                            <td>{r.connector}</td><td>{r.finished_at}</td><td>{r.open_deliveries}</td>
                            <td>{format!("{} ({} reads)", r.out_of_step, r.reads_enqueued)}</td>
                            <td>{r.inventory_comparisons}</td>
                            <td>{format!("{} (no news for {} h)", r.quiet_shipments, r.quiet_after_hours)}</td>
                        </tr>
                        <tr class="details"><td colspan="6">
                            <ul>{details.into_iter().map(|d| view! { <li>{d}</li> }).collect_view()}</ul>
                        </td></tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// Search by correlation id, order or message id: the whole chain across systems, in time order.
#[component]
fn FollowMessage() -> impl IntoView {
    let follow = ServerAction::<FollowChain>::new();
    view! {
        <ActionForm action=follow attr:id="follow-message" attr:class="filters">
            <label>"Correlation id, order or message id"<input type="search" name="q" required/></label>
            <button type="submit">"Follow"</button>
        </ActionForm>
        {move || match follow.value().get() {
            None => ().into_any(),
            Some(Ok(chain)) => view! { <ChainTable chain/> }.into_any(),
            Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
        }}
    }
}

#[component]
fn ChainTable(chain: Chain) -> impl IntoView {
    if chain.links.is_empty() {
        return view! {
            <p class="empty" id="chain-empty">{format!("Nothing has the correlation id, order or message id {}.", chain.query)}</p>
        }
        .into_any();
    }
    let ids = chain.correlation_ids.join(", ");
    view! {
        <p id="chain-ids">"Correlation ids followed: " <code>{ids}</code>
            {chain.truncated.then_some(" (the first 500 links are shown)")}</p>
        <table class="grid" id="chain">
            <thead><tr><th>"When (UTC)"</th><th>"What"</th><th>"Where"</th><th>""</th><th>"Outcome"</th><th>"Detail"</th></tr></thead>
            <tbody>
                {chain.links.into_iter().map(|l| {
                    let detail = l.detail.map(|d| view! { <details><summary>"Show"</summary><pre>{d}</pre></details> });
                    let kind = l.kind.clone();
                    view! {
                        <tr data-kind=kind>
                            <td>{l.at}</td>
                            <td>{l.kind}</td>
                            <td>{l.place}</td>
                            <td>{l.title}<br/><small><code>{l.reference}</code></small></td>
                            <td>{l.status}</td>
                            <td>{detail}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn JobFilters(filter: RwSignal<JobFilter>) -> impl IntoView {
    let field = move |name: &'static str, label: &'static str| {
        view! {
            <label>{label}
                <input type="text" name=name
                    on:change=move |ev| {
                        let value = blank_to_none(event_target_value(&ev));
                        filter.update(|f| match name {
                            "queue" => f.queue = value,
                            "kind" => f.kind = value,
                            _ => f.order_ref = value,
                        });
                    }/>
            </label>
        }
    };
    view! {
        <div class="filters" id="job-filters">
            {field("queue", "Queue")}
            <label>"State"
                <select name="state" on:change=move |ev| {
                    let value = blank_to_none(event_target_value(&ev));
                    filter.update(|f| f.state = value);
                }>
                    <option value="">"any"</option>
                    {JobState::ALL.iter().map(|s| s.as_str())
                        .map(|s| view! { <option value=s>{s}</option> }).collect_view()}
                </select>
            </label>
            {field("kind", "Kind")}
            {field("order_ref", "Order")}
        </div>
    }
}

#[component]
fn BulkReplay(filter: RwSignal<JobFilter>, replay_many: ServerAction<ReplayJobs>) -> impl IntoView {
    let hidden = move |name: &'static str, value: Option<String>| {
        view! { <input type="hidden" name=format!("filter[{name}]") value=value.unwrap_or_default()/> }
    };
    let result = move || {
        replay_many.value().get().map(|r| match r {
            Ok(done) => view! {
                <div class="notice notice-ok" role="status">
                    {format!("{} job(s) replayed.", done.replayed)}
                    {(!done.refused.is_empty()).then(|| view! {
                        <ul>{done.refused.into_iter().map(|why| view! { <li>{why}</li> }).collect_view()}</ul>
                    })}
                </div>
            }.into_any(),
            Err(e) => view! { <p class="notice notice-error" role="alert">{e.to_string()}</p> }.into_any(),
        })
    };
    view! {
        <h3>"Replay every dead job that matches the filters"</h3>
        <ActionForm action=replay_many attr:class="inline" attr:id="replay-many">
            {move || { let f = filter.get(); view! {
                {hidden("queue", f.queue)}{hidden("kind", f.kind)}{hidden("order_ref", f.order_ref)}
            } }}
            <input type="text" name="reason" placeholder="why (kept in the audit log)" aria-label="Reason" required/>
            <button type="submit">"Replay matching dead jobs"</button>
        </ActionForm>
        {result}
    }
}
