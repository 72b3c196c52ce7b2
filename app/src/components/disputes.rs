//! A clock's disputes: what was claimed and decided, a form to open one (account managers,
//! customers, admins; breached clocks only, one open at a time) and, for agents and admins, a
//! form to decide each open one. Shown beside the evidence pack and on the portal's order page.

use crate::api::disputes::{DecideDispute, OpenDispute};
use crate::components::action_outcome as outcome;
use crate::domain::disputes::{DisputeReason, DisputeState, DisputeView, ExcuseReason};
use crate::domain::Role;
use leptos::form::ActionForm;
use leptos::prelude::*;

/// The clock's disputes, a form to open one (account managers, customers, admins; breached
/// clocks only, one open at a time) and, for agents and admins, a form to decide each open one.
#[component]
pub fn DisputePanel(
    order_ref: String,
    segment: String,
    /// Whether the clock is breached (only then may a dispute be opened).
    breached: bool,
    disputes: Vec<DisputeView>,
    role: Option<Role>,
    open: ServerAction<OpenDispute>,
    decide: ServerAction<DecideDispute>,
) -> impl IntoView {
    let may_open = matches!(
        role,
        Some(Role::AccountManager | Role::Customer | Role::Admin)
    );
    let may_decide = matches!(role, Some(Role::Agent | Role::Admin));
    let staff = !matches!(role, Some(Role::Customer));
    let any_open = disputes.iter().any(|d| d.state == DisputeState::Open);
    let can_open = may_open && breached && !any_open;
    let segment_key = segment.clone();
    let open_ones: Vec<DisputeView> = disputes
        .iter()
        .filter(|d| d.state == DisputeState::Open)
        .cloned()
        .collect();
    view! {
        <section class="disputes" data-segment=segment_key>
            <h2>"Disputes"</h2>
            {if disputes.is_empty() {
                view! { <p class="empty">"No dispute of this clock."</p> }.into_any()
            } else {
                view! {
                    <table class="grid dispute-list">
                        <thead><tr><th>"#"</th><th>"State"</th><th>"Why"</th><th>"Opened"</th><th>"Age"</th>
                            {staff.then(|| view! { <th>"Owner"</th> })}<th>"Decision"</th></tr></thead>
                        <tbody>{disputes.iter().map(|d| {
                            let decision = match (&d.decided_by, &d.decided_at) {
                                (Some(by), Some(at)) => format!(
                                    "{} by {by} on {at}{}{}: {}",
                                    d.state.label(),
                                    d.excuse_reason.map(|r| format!(" ({})", r.describe())).unwrap_or_default(),
                                    d.corrected_to.as_ref().map(|t| format!(" (stop corrected to {t}{})",
                                        if d.correction_applied { "" } else { ", clocks being recomputed" })).unwrap_or_default(),
                                    d.decision_note.clone().unwrap_or_default(),
                                ),
                                _ => "—".to_string(),
                            };
                            view! {
                                <tr data-dispute=d.dispute_id.to_string() data-state=d.state.as_str()>
                                    <td>{d.dispute_id}</td>
                                    <td>{d.state.describe()}</td>
                                    <td>{d.reason.describe()}<br/><small>{d.comment.clone()}</small></td>
                                    <td>{format!("{} by {}", d.opened_at, d.opened_by)}</td>
                                    <td>{d.age.clone()}</td>
                                    {staff.then(|| view! { <td>{d.owner.clone().unwrap_or_else(|| "unassigned".into())}</td> })}
                                    <td>{decision}</td>
                                </tr>
                            }
                        }).collect_view()}</tbody>
                    </table>
                }.into_any()
            }}
            {can_open.then(|| view! {
                <ActionForm action=open attr:class="open-dispute no-print">
                    <input type="hidden" name="order_ref" value=order_ref.clone()/>
                    <input type="hidden" name="segment" value=segment.clone()/>
                    <label>"Why it should not count "
                        <select name="reason" required>
                            {DisputeReason::ALL.iter().map(|r| view! {
                                <option value=r.as_str()>{r.describe()}</option>
                            }).collect_view()}
                        </select>
                    </label>
                    <label>"What happened " <textarea name="comment" required></textarea></label>
                    <button type="submit">"Open a dispute"</button>
                </ActionForm>
            })}
            {outcome(open.value(), "Dispute opened: an agent will review it beside this evidence.")}
            {may_decide.then(|| open_ones.into_iter().map(|d| view! {
                <ActionForm action=decide attr:class="decide-dispute no-print">
                    <input type="hidden" name="dispute_id" value=d.dispute_id.to_string()/>
                    <fieldset>
                        <legend>{format!("Decide dispute #{}", d.dispute_id)}</legend>
                        <label>"Decision "
                            <select name="decision" required>
                                <option value="upheld">"Upheld: the breach stands"</option>
                                <option value="excused">"Excused: leave it out of attainment"</option>
                                <option value="corrected">"Corrected: the stop really happened at…"</option>
                            </select>
                        </label>
                        <label>"Excused because "
                            <select name="excuse_reason">
                                <option value="">"—"</option>
                                {ExcuseReason::ALL.iter().map(|r| view! {
                                    <option value=r.as_str()>{r.describe()}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <label>"Corrected stop (UTC) " <input type="datetime-local" name="stopped_at"/></label>
                        <label>"Why " <textarea name="note" required></textarea></label>
                        <button type="submit">"Decide"</button>
                    </fieldset>
                </ActionForm>
            }).collect_view())}
            {outcome(decide.value(), "Decided.")}
        </section>
    }
}
