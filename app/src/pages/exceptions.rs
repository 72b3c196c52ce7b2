//! `/exceptions` (agents, admins): the cases that need a person, most urgent first (soonest SLA
//! breach, then highest order value); assign, acknowledge, snooze, resolve and comment, on one
//! case or on every selected one. Refreshes live when cases change.

use crate::api::exceptions::{case_comments, list_cases, ActOnCases, CommentCase};
use crate::components::live::live_version;
use crate::components::{action_outcome as outcome, ErrorNotice, Guarded};
use crate::domain::exceptions::{Assignee, CaseView, QueueFilter};
use crate::domain::sla::cases::CATEGORIES;
use crate::domain::status::CaseStatus;
use crate::domain::Section;
use leptos::form::ActionForm;
use leptos::prelude::*;
use std::collections::BTreeSet;

#[component]
pub fn ExceptionsPage() -> impl IntoView {
    let act = ServerAction::<ActOnCases>::new();
    let comment = ServerAction::<CommentCase>::new();
    let live = live_version("exceptions");
    let filter = RwSignal::new(QueueFilter::default());
    let selected = RwSignal::new(BTreeSet::<i64>::new());
    let opened = RwSignal::new(None::<i64>);
    let draft = BulkDraft::new();
    let cases = Resource::new(
        move || {
            (
                filter.get(),
                act.version().get(),
                comment.version().get(),
                live.get(),
            )
        },
        |(f, ..)| list_cases(f),
    );
    Effect::new(move |_| {
        if let Some(Ok(_)) = act.value().get() {
            selected.set(BTreeSet::new());
            draft.reason.set(String::new());
        }
    });

    view! {
        <Guarded section=Section::Exceptions>
            <section class="page">
                <h1>"Exception queue"</h1>
                <p class="lead">"The orders that need a person, most urgent first: soonest SLA breach, then highest order value."</p>
                <Filters filter/>
                <Transition fallback=|| view! { <p class="loading">"Loading…"</p> }>
                    {move || Suspend::new(async move {
                        match cases.await {
                            Ok(page) => {
                                let assignees = page.assignees.clone();
                                view! {
                                    <p class="count" id="case-count">{format!("{} cases", page.total)}</p>
                                    <CaseTable cases=page.cases selected opened/>
                                    <Pager page=page.page pages=page.pages filter/>
                                    <BulkActions act selected assignees draft/>
                                }.into_any()
                            }
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
                {outcome(act.value(), "Done. Recorded in the audit log.")}
                <CasePanel opened comment/>
            </section>
        </Guarded>
    }
}

#[component]
fn Filters(filter: RwSignal<QueueFilter>) -> impl IntoView {
    let set = move |field: &'static str, value: String| {
        filter.update(|f| {
            match field {
                "status" => f.status = value,
                "category" => f.category = value,
                "assignee" => f.assignee = value,
                _ => f.order = value,
            }
            f.page = 1;
        })
    };
    view! {
        <form class="filters" on:submit=|e| e.prevent_default()>
            <label>"Status "
                <select name="status" on:change=move |e| set("status", event_target_value(&e))>
                    <option value="">"Open"</option>
                    <option value="snoozed">"Snoozed"</option>
                    <option value="closed">"Closed"</option>
                    <option value="all">"All"</option>
                </select>
            </label>
            <label>"Kind "
                <select name="category" on:change=move |e| set("category", event_target_value(&e))>
                    <option value="">"Any"</option>
                    {CATEGORIES.iter().map(|(c, l)| view! { <option value=*c>{*l}</option> }).collect_view()}
                </select>
            </label>
            <label>"Assigned "
                <select name="assignee" on:change=move |e| set("assignee", event_target_value(&e))>
                    <option value="">"Anyone"</option>
                    <option value="me">"Me"</option>
                    <option value="unassigned">"Nobody"</option>
                </select>
            </label>
            <label>"Order "
                <input type="search" name="order" placeholder="S00042" on:change=move |e| set("order", event_target_value(&e))/>
            </label>
        </form>
    }
}

#[component]
fn CaseTable(
    cases: Vec<CaseView>,
    selected: RwSignal<BTreeSet<i64>>,
    opened: RwSignal<Option<i64>>,
) -> impl IntoView {
    if cases.is_empty() {
        return view! { <p class="empty">"Nothing here. Every case in this view is handled."</p> }
            .into_any();
    }
    view! {
        <table class="grid" id="cases">
            <thead><tr>
                <th><span class="visually-hidden">"Select"</span></th>
                <th>"Breach"</th><th>"Order"</th><th>"Account"</th><th>"Value"</th><th>"Kind"</th>
                <th>"What happened"</th><th>"Status"</th><th>"Assigned"</th><th>"Opened"</th><th></th>
            </tr></thead>
            <tbody>
                {cases.into_iter().map(|c| {
                    let id = c.case_id;
                    let due_class = if c.overdue { "due overdue" } else { "due" };
                    let status = match (&c.snoozed_until, &c.resolution) {
                        (Some(until), _) => format!("snoozed until {until}"),
                        (_, Some(r)) if c.status == CaseStatus::Resolved => format!("resolved: {r}"),
                        _ => c.status.to_string(),
                    };
                    view! {
                        <tr data-case=id.to_string() class=format!("severity-{}", c.severity)>
                            <td><input type="checkbox" aria-label=format!("Select case {id}")
                                prop:checked=move || selected.with(|s| s.contains(&id))
                                on:change=move |e| {
                                    let on = event_target_checked(&e);
                                    selected.update(|s| { if on { s.insert(id); } else { s.remove(&id); } });
                                }/></td>
                            <td class=due_class title=c.due_at.clone().unwrap_or_default()>{c.due_in.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{match c.order_ref.clone() {
                                Some(r) => view! { <a href=format!("/orders/{r}")>{r.clone()}</a> }.into_any(),
                                None => view! { "—" }.into_any(),
                            }}</td>
                            <td>{c.account.clone().unwrap_or_else(|| "—".into())}</td>
                            <td class="num">{c.order_value.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{c.category_label.clone()}</td>
                            // A dispute is decided beside its clock's evidence.
                            <td>{match (c.category.as_str(), c.order_ref.clone()) {
                                ("dispute", Some(r)) => view! {
                                    <a class="dispute-link" href=format!("/orders/{r}/evidence/{}", c.kind)>{c.summary.clone()}</a>
                                }.into_any(),
                                _ => view! { {c.summary.clone()} }.into_any(),
                            }}</td>
                            <td class="case-status">{status}</td>
                            <td>{c.assignee.clone().unwrap_or_else(|| "—".into())}</td>
                            <td>{c.opened_at.clone()}</td>
                            <td><button type="button" on:click=move |_| opened.set(Some(id))>
                                {format!("Comments ({})", c.comments)}</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

#[component]
fn Pager(page: i64, pages: i64, filter: RwSignal<QueueFilter>) -> impl IntoView {
    (pages > 1).then(|| view! {
        <nav class="pager">
            <button type="button" disabled=page <= 1 on:click=move |_| filter.update(|f| f.page = page - 1)>"Previous"</button>
            <span>{format!("Page {page} of {pages}")}</span>
            <button type="button" disabled=page >= pages on:click=move |_| filter.update(|f| f.page = page + 1)>"Next"</button>
        </nav>
    })
}

/// What the bulk form holds. It lives on the page, not in the form: the form is drawn again
/// each time the list refreshes (live), and must not lose what the agent is typing.
#[derive(Clone, Copy)]
struct BulkDraft {
    action: RwSignal<String>,
    assignee: RwSignal<String>,
    until: RwSignal<String>,
    reason: RwSignal<String>,
}

impl BulkDraft {
    fn new() -> Self {
        Self {
            action: RwSignal::new("assign".into()),
            assignee: RwSignal::new("me".into()),
            until: RwSignal::new(String::new()),
            reason: RwSignal::new(String::new()),
        }
    }
}

#[component]
fn BulkActions(
    act: ServerAction<ActOnCases>,
    selected: RwSignal<BTreeSet<i64>>,
    assignees: Vec<Assignee>,
    draft: BulkDraft,
) -> impl IntoView {
    let ids = move || selected.with(|s| s.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
    let BulkDraft {
        action,
        assignee,
        until,
        reason,
    } = draft;
    view! {
        <ActionForm action=act attr:class="bulk" attr:id="case-actions">
            <input type="hidden" name="ids" prop:value=ids/>
            <p>{move || format!("{} selected", selected.with(BTreeSet::len))}</p>
            <label>"Action "
                <select name="action" prop:value=move || action.get() on:change=move |e| action.set(event_target_value(&e))>
                    <option value="assign">"Assign"</option>
                    <option value="acknowledge">"Acknowledge"</option>
                    <option value="snooze">"Snooze"</option>
                    <option value="resolve">"Resolve (marks the Odoo activity done)"</option>
                    <option value="reship">"Resolve: reship (a replacement delivery in Odoo)"</option>
                    <option value="cancel_order">"Resolve: cancel the order (warehouse and Odoo delivery)"</option>
                    <option value="reopen">"Reopen"</option>
                </select>
            </label>
            <label class:hidden=move || action.get() != "assign">"To "
                <select name="assignee" prop:value=move || assignee.get() on:change=move |e| assignee.set(event_target_value(&e))>
                    <option value="me">"Me"</option>
                    <option value="">"Nobody"</option>
                    {assignees.into_iter().map(|a| view! { <option value=a.user_id>{a.name}</option> }).collect_view()}
                </select>
            </label>
            <label class:hidden=move || action.get() != "snooze">"Until (UTC) "
                <input type="datetime-local" name="until" prop:value=move || until.get() on:input=move |e| until.set(event_target_value(&e))/>
            </label>
            <label>"Reason "
                <input type="text" name="reason" placeholder="needed to snooze, resolve, reship or cancel"
                    prop:value=move || reason.get() on:input=move |e| reason.set(event_target_value(&e))/>
            </label>
            <button type="submit">"Apply"</button>
        </ActionForm>
    }
}

#[component]
fn CasePanel(opened: RwSignal<Option<i64>>, comment: ServerAction<CommentCase>) -> impl IntoView {
    let comments = Resource::new(
        move || (opened.get(), comment.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => case_comments(id).await.map(Some),
                None => Ok(None),
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match (opened.get(), comments.await) {
                    (Some(id), Ok(Some(list))) => view! {
                        <aside class="panel" id="case-panel">
                            <h2>{format!("Case {id}: comments")}</h2>
                            {if list.is_empty() {
                                view! { <p class="empty">"No comments yet."</p> }.into_any()
                            } else {
                                view! { <ul class="comments">{list.into_iter().map(|c| view! {
                                    <li><strong>{c.author}</strong>" · "<small>{c.at}</small><p>{c.body}</p></li>
                                }).collect_view()}</ul> }.into_any()
                            }}
                            <ActionForm action=comment>
                                <input type="hidden" name="case_id" value=id.to_string()/>
                                <textarea name="body" aria-label="Comment" required></textarea>
                                <button type="submit">"Comment"</button>
                            </ActionForm>
                            {outcome(comment.value(), "Comment added.")}
                            <button type="button" on:click=move |_| opened.set(None)>"Close"</button>
                        </aside>
                    }.into_any(),
                    (_, Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Transition>
    }
}
