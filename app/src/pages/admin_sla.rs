//! `/admin/sla` (admins): SLA policies (ordered, first match wins; a change starts a new
//! version from now, earlier orders keep theirs) and the business calendars of warehouses and
//! carriers. Every change is checked field by field and audited.

use crate::api::sla::{
    get_sla_settings, DeleteSlaCalendar, RetireSlaPolicy, SaveSlaCalendar, SaveSlaPolicy,
};
use crate::components::{action_outcome as outcome, ErrorNotice, Guarded};
use crate::domain::sla::calendar::CalendarDraft;
use crate::domain::sla::views::{CalendarView, PolicyView};
use crate::domain::sla::PolicyDraft;
use crate::domain::Section;
use leptos::form::ActionForm;
use leptos::prelude::*;

#[component]
pub fn AdminSlaPage() -> impl IntoView {
    let save_policy = ServerAction::<SaveSlaPolicy>::new();
    let retire = ServerAction::<RetireSlaPolicy>::new();
    let save_calendar = ServerAction::<SaveSlaCalendar>::new();
    let delete_calendar = ServerAction::<DeleteSlaCalendar>::new();
    let settings = Resource::new(
        move || {
            (
                save_policy.version().get(),
                retire.version().get(),
                save_calendar.version().get(),
                delete_calendar.version().get(),
            )
        },
        |_| get_sla_settings(),
    );
    // The policy and calendar being edited (`None` id: a new one).
    let editing = RwSignal::new((
        None::<i64>,
        PolicyDraft {
            at_risk_percent: 25,
            ..PolicyDraft::default()
        },
    ));
    let calendar = RwSignal::new(CalendarDraft {
        scope: "warehouse".into(),
        ..CalendarDraft::default()
    });

    view! {
        <Guarded section=Section::Admin>
            <section class="page">
                <p><a href="/admin">"← Administration"</a></p>
                <h1>"SLA policies and calendars"</h1>
                <p class="lead">"Policies are tried in order; the first whose conditions all hold measures the order. A change applies to orders whose clock starts from now on; earlier orders keep the version they started with."</p>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match settings.await {
                            Ok(s) => view! {
                                <h2>"Policies"</h2>
                                <PolicyTable policies=s.policies editing retire/>
                                <h3>"Earlier versions"</h3>
                                <History versions=s.history/>
                                <h2>"Calendars"</h2>
                                <CalendarTable calendars=s.calendars calendar delete_calendar/>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
                {outcome(retire.value(), "Policy retired from now on.")}
                {outcome(delete_calendar.value(), "Calendar removed.")}
                <PolicyForm editing save_policy/>
                <CalendarForm calendar save_calendar/>
            </section>
        </Guarded>
    }
}

#[component]
fn PolicyTable(
    policies: Vec<PolicyView>,
    editing: RwSignal<(Option<i64>, PolicyDraft)>,
    retire: ServerAction<RetireSlaPolicy>,
) -> impl IntoView {
    if policies.is_empty() {
        return view! { <p class="empty">"No policy yet: no order is measured. Add one below."</p> }.into_any();
    }
    view! {
        <table class="grid" id="policies">
            <thead><tr><th>"#"</th><th>"Name"</th><th>"Account"</th><th>"Service level"</th><th>"Priority"</th>
                <th>"Warehouse"</th><th>"Release"</th><th>"Ship"</th><th>"Deliver"</th><th>"Promise"</th>
                <th>"At risk"</th><th>"Version · since"</th><th></th></tr></thead>
            <tbody>
                {policies.into_iter().map(|p| {
                    let id = p.policy_id;
                    let draft = p.draft.clone();
                    view! {
                        <tr data-policy=p.name.clone()>
                            <td>{p.position}</td><td>{p.name.clone()}</td><td>{p.account}</td><td>{p.service_level}</td>
                            <td>{p.priority}</td><td>{p.warehouse}</td><td>{p.release}</td><td>{p.ship}</td>
                            <td>{p.deliver}</td><td>{if p.promise { "yes" } else { "no" }}</td>
                            <td>{format!("last {} %", p.at_risk_percent)}</td>
                            <td>{format!("v{} · {}", p.version, p.effective_from)}</td>
                            <td>
                                <button type="button" on:click=move |_| editing.set((Some(id), draft.clone()))>"Edit"</button>
                                <ActionForm action=retire attr:class="inline">
                                    <input type="hidden" name="policy_id" value=id.to_string()/>
                                    <input type="text" name="reason" placeholder="why" aria-label="Reason to retire" required/>
                                    <button type="submit">"Retire"</button>
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
fn History(versions: Vec<PolicyView>) -> impl IntoView {
    if versions.is_empty() {
        return view! { <p class="empty">"None yet."</p> }.into_any();
    }
    view! {
        <table class="grid" id="policy-history">
            <thead><tr><th>"Name"</th><th>"Version"</th><th>"In force"</th><th>"Release"</th><th>"Ship"</th><th>"Deliver"</th></tr></thead>
            <tbody>
                {versions.into_iter().map(|p| view! {
                    <tr><td>{p.name}</td><td>{format!("v{}", p.version)}</td>
                        <td>{format!("{} → {}", p.effective_from, p.effective_to)}</td>
                        <td>{p.release}</td><td>{p.ship}</td><td>{p.deliver}</td></tr>
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

#[component]
fn PolicyForm(
    editing: RwSignal<(Option<i64>, PolicyDraft)>,
    save_policy: ServerAction<SaveSlaPolicy>,
) -> impl IntoView {
    let d = move || editing.get().1;
    let title = move || match editing.get().0 {
        Some(_) => format!("Change “{}” (a new version from now)", editing.get().1.name),
        None => "Add a policy".to_string(),
    };
    view! {
        <h2>{title}</h2>
        <ActionForm action=save_policy attr:class="stack narrow" attr:id="policy-form">
            <input type="hidden" name="policy_id" prop:value=move || editing.get().0.map(|i| i.to_string()).unwrap_or_default()/>
            <label>"Name"<input type="text" name="draft[name]" prop:value=move || d().name required/></label>
            <label>"Position (lower is tried first)"<input type="number" name="draft[position]" prop:value=move || d().position.to_string()/></label>
            <fieldset><legend>"Applies to (empty: any)"</legend>
                <label>"Account code"<input type="text" name="draft[account_code]" prop:value=move || d().account_code/></label>
                <label>"Service level"<input type="text" name="draft[service_level]" prop:value=move || d().service_level/></label>
                <label>"Priority"<input type="text" name="draft[priority]" prop:value=move || d().priority/></label>
                <label>"Warehouse"<input type="text" name="draft[warehouse_code]" prop:value=move || d().warehouse_code/></label>
            </fieldset>
            <fieldset><legend>"Targets (empty: not measured)"</legend>
                <label>"Release: confirmed to accepted by the warehouse, warehouse business hours"<input type="text" name="draft[release_hours]" prop:value=move || d().release_hours/></label>
                <label>"Ship: released to dispatched, warehouse business hours (after the cut-off: from the next opening)"<input type="text" name="draft[ship_hours]" prop:value=move || d().ship_hours/></label>
                <label>"Deliver: dispatched to delivered, carrier business days"<input type="text" name="draft[deliver_days]" prop:value=move || d().deliver_days/></label>
                <label class="check"><input type="checkbox" name="draft[promise]" value="true" prop:checked=move || d().promise/>"Delivered by the promised date"</label>
            </fieldset>
            <label>"At risk in the last … % of the target"<input type="number" name="draft[at_risk_percent]" prop:value=move || d().at_risk_percent.to_string()/></label>
            {outcome(save_policy.value(), "Saved. It applies to orders whose clock starts from now on.")}
            <button type="submit" class="primary">"Save policy"</button>
            <button type="button" on:click=move |_| editing.set((None, PolicyDraft { at_risk_percent: 25, ..PolicyDraft::default() }))>"New policy instead"</button>
        </ActionForm>
    }
}

#[component]
fn CalendarTable(
    calendars: Vec<CalendarView>,
    calendar: RwSignal<CalendarDraft>,
    delete_calendar: ServerAction<DeleteSlaCalendar>,
) -> impl IntoView {
    if calendars.is_empty() {
        return view! { <p class="empty">"No calendar yet: every segment counts all day, every day, in UTC."</p> }.into_any();
    }
    view! {
        <table class="grid" id="calendars">
            <thead><tr><th>"For"</th><th>"Time zone"</th><th>"Mon"</th><th>"Tue"</th><th>"Wed"</th><th>"Thu"</th>
                <th>"Fri"</th><th>"Sat"</th><th>"Sun"</th><th>"Cut-off"</th><th>"Holidays"</th><th></th></tr></thead>
            <tbody>
                {calendars.into_iter().map(|c| {
                    let draft = c.draft.clone();
                    view! {
                        <tr data-calendar=c.code.clone()>
                            <td>{format!("{} {}", c.scope, c.code)}</td><td>{c.time_zone.clone()}</td>
                            {c.hours.iter().map(|h| view! { <td>{h.clone()}</td> }).collect_view()}
                            <td>{c.cutoff.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{c.holidays.len().to_string()}</td>
                            <td>
                                <button type="button" on:click=move |_| calendar.set(draft.clone())>"Edit"</button>
                                <ActionForm action=delete_calendar attr:class="inline">
                                    <input type="hidden" name="calendar_id" value=c.calendar_id.to_string()/>
                                    <button type="submit">"Remove"</button>
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
fn CalendarForm(
    calendar: RwSignal<CalendarDraft>,
    save_calendar: ServerAction<SaveSlaCalendar>,
) -> impl IntoView {
    let c = move || calendar.get();
    let day = move |name: &'static str, label: &'static str| {
        let value = move || match name {
            "mon" => c().mon,
            "tue" => c().tue,
            "wed" => c().wed,
            "thu" => c().thu,
            "fri" => c().fri,
            "sat" => c().sat,
            _ => c().sun,
        };
        view! { <label>{label}<input type="text" name=format!("draft[{name}]") placeholder="08:00-17:00" prop:value=value/></label> }
    };
    view! {
        <h2>"Add or replace a calendar"</h2>
        <ActionForm action=save_calendar attr:class="stack narrow" attr:id="calendar-form">
            <label>"For"<select name="draft[scope]" prop:value=move || c().scope>
                <option value="warehouse">"a warehouse"</option>
                <option value="carrier">"a carrier"</option>
            </select></label>
            <label>"Warehouse code or carrier name"<input type="text" name="draft[code]" prop:value=move || c().code required/></label>
            <label>"Time zone (IANA)"<input type="text" name="draft[time_zone]" placeholder="America/Chicago" prop:value=move || c().time_zone required/></label>
            <fieldset><legend>"Opening hours (empty: closed; 24:00 for midnight)"</legend>
                {day("mon", "Monday")}{day("tue", "Tuesday")}{day("wed", "Wednesday")}{day("thu", "Thursday")}
                {day("fri", "Friday")}{day("sat", "Saturday")}{day("sun", "Sunday")}
            </fieldset>
            <label>"Cut-off (warehouses: released later counts from the next opening)"<input type="text" name="draft[cutoff]" placeholder="15:00" prop:value=move || c().cutoff/></label>
            <label>"Holidays (YYYY-MM-DD, separated by commas or lines)"<textarea name="draft[holidays]" prop:value=move || c().holidays></textarea></label>
            {outcome(save_calendar.value(), "Calendar saved. Open clocks that count in it are recomputed within a minute.")}
            <button type="submit" class="primary">"Save calendar"</button>
        </ActionForm>
    }
}
