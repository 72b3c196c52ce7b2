//! `/integrations/alerts` (integrators, admins): the alerts firing now, their history with when
//! each fired and resolved, the digests sent and how each channel took them, and the rules
//! (admins change thresholds, windows and on/off, with a reason for the audit log).

use crate::api::alerts::{get_alerts, UpdateAlertRule};
use crate::components::live::live_version;
use crate::components::{action_outcome as outcome, ErrorNotice, Guarded};
use crate::domain::alerts::{AlertRuleView, AlertView, DigestView};
use crate::domain::Section;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn AlertsPage() -> impl IntoView {
    let update = ServerAction::<UpdateAlertRule>::new();
    let live = live_version("alerts");
    let overview = Resource::new(
        move || (update.version().get(), live.get()),
        |_| get_alerts(),
    );
    view! {
        <Guarded section=Section::Integrations>
            <section class="page">
                <h1>"Alerts"</h1>
                <p class="lead">"What Milepost watches in itself and its partners. Each condition fires once, is told in a digest by webhook and email, and is told again when it clears."</p>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match overview.await {
                            Ok(o) => view! {
                                <h2>"Firing now"</h2>
                                <AlertTable alerts=o.open id="alerts-open" empty="Nothing is firing."/>
                                <h2>"Rules"</h2>
                                {outcome(update.value(), "Rule saved; it holds from the next check.")}
                                <Rules rules=o.rules can_edit=o.can_edit update/>
                                <h2>"History"</h2>
                                <AlertTable alerts=o.history id="alerts-history" empty="No alert has resolved yet."/>
                                <h2>"Digests sent"</h2>
                                <Digests digests=o.digests/>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </Guarded>
    }
}

#[component]
fn AlertTable(alerts: Vec<AlertView>, id: &'static str, empty: &'static str) -> impl IntoView {
    if alerts.is_empty() {
        return view! { <p class="empty" id=id>{empty}</p> }.into_any();
    }
    view! {
        <table class="grid" id=id>
            <thead><tr><th>"Rule"</th><th>"About"</th><th>"What"</th><th>"Fired"</th><th>"Resolved"</th><th>"Told"</th></tr></thead>
            <tbody>
                {alerts.into_iter().map(|a| {
                    let told = match (a.fired_digest, a.resolved_digest) {
                        (_, Some(d)) => format!("resolved in digest {d}"),
                        (Some(d), None) => format!("in digest {d}"),
                        (None, None) => "waiting for the next digest".to_string(),
                    };
                    view! {
                        <tr data-kind=a.kind.as_str()>
                            <td>{a.kind.label()}</td>
                            <td>{a.subject}</td>
                            <td>{a.message}</td>
                            <td>{a.fired_at}</td>
                            <td>{a.resolved_at.unwrap_or_else(|| "—".into())}</td>
                            <td>{told}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Rules(
    rules: Vec<AlertRuleView>,
    can_edit: bool,
    update: ServerAction<UpdateAlertRule>,
) -> impl IntoView {
    view! {
        <table class="grid" id="alert-rules">
            <thead><tr><th>"Rule"</th><th>"Fires"</th><th>"Changed"</th>{can_edit.then(|| view! { <th>"Change"</th> })}</tr></thead>
            <tbody>
                {rules.into_iter().map(|r| {
                    let words = if r.enabled {
                        r.kind.rule_words(r.threshold, r.window_minutes)
                    } else {
                        "off".to_string()
                    };
                    let changed = match r.updated_by.clone() {
                        Some(who) => format!("{} by {who}", r.updated_at),
                        None => r.updated_at.clone(),
                    };
                    let form = can_edit.then(|| view! {
                        <td>
                            <ActionForm action=update>
                                <input type="hidden" name="kind" value=r.kind.as_str()/>
                                <label class="check"><input type="checkbox" name="enabled" value="true" checked=r.enabled/>"On"</label>
                                <label>{format!("Threshold ({})", r.kind.unit())}
                                    <input name="threshold" type="number" step="any" min="0" required value=r.threshold/>
                                </label>
                                {if r.kind.uses_window() {
                                    view! { <label>"Window (minutes)"<input name="window_minutes" type="number" min="1" max="10080" required value=r.window_minutes/></label> }.into_any()
                                } else {
                                    view! { <input type="hidden" name="window_minutes" value=r.window_minutes/> }.into_any()
                                }}
                                <label>"Why"<input name="reason" required/></label>
                                <button type="submit">"Save"</button>
                            </ActionForm>
                        </td>
                    });
                    view! {
                        <tr data-kind=r.kind.as_str()>
                            <td>{r.kind.label()}</td>
                            <td class="rule-words">{words}</td>
                            <td>{changed}</td>
                            {form}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn Digests(digests: Vec<DigestView>) -> impl IntoView {
    if digests.is_empty() {
        return view! { <p class="empty">"No digest has been sent yet."</p> }.into_any();
    }
    view! {
        <table class="grid" id="alert-digests">
            <thead><tr><th>"Digest"</th><th>"Made"</th><th>"Fired"</th><th>"Resolved"</th><th>"Channels"</th></tr></thead>
            <tbody>
                {digests.into_iter().map(|d| {
                    let channels = if d.deliveries.is_empty() {
                        "no channel configured (shown here and in the banner only)".to_string()
                    } else {
                        d.deliveries.iter().map(|x| {
                            let mut s = format!("{}: {} after {} attempt(s)", x.channel, x.state, x.attempts);
                            if let (Some(e), false) = (&x.last_error, x.state == "sent") {
                                s.push_str(&format!(" ({e})"));
                            }
                            s
                        }).collect::<Vec<_>>().join("; ")
                    };
                    view! {
                        <tr><td>{d.digest_id}</td><td>{d.created_at}</td><td>{d.fired}</td><td>{d.resolved}</td><td>{channels}</td></tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
