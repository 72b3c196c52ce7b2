//! Jobs as the integrations page and the order page both show them: a table whose rows open one
//! job's payload and attempts, with its replay form when it is dead, and `OrderJobs`, the order
//! page's slice (what was sent for this order).

use crate::api::integrations::{get_job, list_jobs, ReplayJob};
use crate::components::{action_outcome as outcome, ErrorNotice};
use crate::domain::integrations::{JobDetail, JobFilter, JobView};
use leptos::form::ActionForm;
use leptos::prelude::*;

/// Jobs as rows; a row's button opens its attempts below the table.
#[component]
pub fn JobTable(jobs: Vec<JobView>, selected: RwSignal<Option<i64>>) -> impl IntoView {
    if jobs.is_empty() {
        return view! { <p class="empty">"No jobs match."</p> }.into_any();
    }
    view! {
        <table class="grid" id="jobs">
            <thead><tr><th>"Job"</th><th>"Queue"</th><th>"Kind"</th><th>"Order"</th><th>"State"</th><th>"Attempts"</th><th>"Last error"</th><th>"Updated"</th><th></th></tr></thead>
            <tbody>
                {jobs.into_iter().map(|j| {
                    let id = j.job_id;
                    view! {
                        <tr data-job=id.to_string() data-state=j.state.as_str()>
                            <td>{id}</td>
                            <td>{j.queue}</td>
                            <td>{j.kind}</td>
                            <td>{j.order_ref.unwrap_or_default()}</td>
                            <td><span class=format!("job-state job-{}", j.state)>{j.state.as_str()}</span></td>
                            <td>{format!("{}/{}", j.attempts, j.max_attempts)}{(j.replays > 0).then(|| format!(" · replayed {}", j.replays))}</td>
                            <td><small>{j.last_error.unwrap_or_default()}</small></td>
                            <td>{j.updated_at}</td>
                            <td><button type="button" class="link-button" on:click=move |_| selected.set(Some(id))>"Details"</button></td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

/// One job's payload and attempts, with its replay form when it is dead.
#[component]
pub fn JobPanel(
    selected: RwSignal<Option<i64>>,
    replay: ServerAction<ReplayJob>,
    replay_allowed: bool,
) -> impl IntoView {
    let detail = Resource::new(
        move || (selected.get(), replay.version().get()),
        |(id, _)| async move {
            match id {
                Some(id) => Some(get_job(id).await),
                None => None,
            }
        },
    );
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match detail.await {
                    None => ().into_any(),
                    Some(Err(error)) => view! { <ErrorNotice error/> }.into_any(),
                    Some(Ok(d)) => view! { <Attempts detail=d replay replay_allowed selected/> }.into_any(),
                }
            })}
        </Transition>
        {outcome(replay.value(), "Replayed: the job is back in its queue.")}
    }
}

#[component]
fn Attempts(
    detail: JobDetail,
    replay: ServerAction<ReplayJob>,
    replay_allowed: bool,
    selected: RwSignal<Option<i64>>,
) -> impl IntoView {
    let j = detail.job;
    let payload = j.payload.clone();
    view! {
        <div class="job-detail" id="job-detail">
            <h3>{format!("Job {} · {} on {} · {}", j.job_id, j.kind, j.queue, j.state)}</h3>
            {j.last_error.clone().map(|e| view! { <p class="notice notice-error">{e}</p> })}
            <ol class="attempts">
                {detail.attempts.into_iter().map(|a| view! {
                    <li>
                        <strong>{format!("Replay {} · attempt {}: {}", a.replay, a.attempt, a.outcome)}</strong>
                        {format!(" · {} · {} ms", a.started_at, a.duration_ms)}
                        {a.error.map(|e| view! { <p><small>{e}</small></p> })}
                        {a.request.map(|r| view! { <details><summary>"Request"</summary><pre>{r}</pre></details> })}
                        {a.response.map(|r| view! { <details><summary>"Response"</summary><pre>{r}</pre></details> })}
                    </li>
                }).collect_view()}
            </ol>
            {(j.replayable && replay_allowed).then(|| view! {
                <ActionForm action=replay attr:class="stack" attr:id="replay-job">
                    <input type="hidden" name="job_id" value=j.job_id.to_string()/>
                    <label>"Payload (edit before replaying if it was wrong)"
                        <textarea name="payload" rows="10">{payload}</textarea></label>
                    <label>"Why"<input type="text" name="reason" required/></label>
                    <button type="submit" class="primary">"Replay"</button>
                </ActionForm>
            })}
            {(!j.replayable).then(|| view! { <details><summary>"Payload"</summary><pre>{j.payload.clone()}</pre></details> })}
            <button type="button" on:click=move |_| selected.set(None)>"Close"</button>
        </div>
    }
}

/// The order page's jobs: what was sent for this order, and replay for those allowed.
#[component]
pub fn OrderJobs(order_ref: String, replay_allowed: bool) -> impl IntoView {
    let replay = ServerAction::<ReplayJob>::new();
    let filter = JobFilter {
        order_ref: Some(order_ref),
        ..JobFilter::default()
    };
    let jobs = Resource::new(
        move || replay.version().get(),
        move |_| list_jobs(filter.clone()),
    );
    let selected = RwSignal::new(None::<i64>);
    view! {
        <Transition fallback=|| view! { <p class="loading">"Loading jobs…"</p> }>
            {move || Suspend::new(async move {
                match jobs.await {
                    Ok(list) => view! { <JobTable jobs=list selected/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
        <JobPanel selected replay replay_allowed/>
    }
}
