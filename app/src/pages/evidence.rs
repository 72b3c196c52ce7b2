//! `/orders/:order/evidence/:segment`: one clock's evidence pack, printable (the print
//! stylesheet drops the navigation) and as a JSON download whose hashes a third party can check
//! against the raw messages.

use crate::api::disputes::{DecideDispute, OpenDispute};
use crate::api::reports::get_evidence;
use crate::components::{Auth, DisputePanel, ErrorNotice, Guarded};
use crate::domain::reports::EvidencePack;
use crate::domain::Section;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

#[component]
pub fn EvidencePage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| {
        params.with(|p| {
            (
                p.get("order").unwrap_or_default(),
                p.get("segment").unwrap_or_default(),
            )
        })
    });
    let open = ServerAction::<OpenDispute>::new();
    let decide = ServerAction::<DecideDispute>::new();
    let auth = expect_context::<Auth>();
    // Opening or deciding a dispute changes the pack (its disputes, maybe its clock).
    let pack = Resource::new(
        move || (key.get(), open.version().get(), decide.version().get()),
        |((order, segment), ..)| get_evidence(order, segment),
    );
    view! {
        <Guarded section=Section::Orders>
            <section class="page evidence">
                <p class="no-print"><A href=move || format!("/orders/{}", key.get().0)>"← The order"</A></p>
                <Transition fallback=|| view! { <p class="loading">"Gathering the evidence…"</p> }>
                    {move || Suspend::new(async move {
                        let role = auth.user.await.ok().flatten().map(|u| u.role);
                        match pack.await {
                            Ok(p) => view! {
                                <Pack pack=p.clone()/>
                                <DisputePanel order_ref=p.order_ref.clone() segment=p.segment.clone()
                                    breached=p.clock.state == "breached" disputes=p.disputes.clone() role open decide/>
                            }.into_any(),
                            Err(error) => view! { <ErrorNotice error/> }.into_any(),
                        }
                    })}
                </Transition>
            </section>
        </Guarded>
    }
}

/// The pack as a `data:` URL, so the download is exactly what the page shows. Percent-encoded
/// with `form_urlencoded` (a literal `+` is `%2B` there, so its `+` for a space becomes `%20`).
fn json_href(pack: &EvidencePack) -> String {
    let json = serde_json::to_string_pretty(pack).unwrap_or_default();
    let encoded: String = form_urlencoded::byte_serialize(json.as_bytes()).collect();
    format!(
        "data:application/json;charset=utf-8,{}",
        encoded.replace('+', "%20")
    )
}

#[component]
fn Pack(pack: EvidencePack) -> impl IntoView {
    let href = json_href(&pack);
    let file = format!("evidence-{}-{}.json", pack.order_ref, pack.segment);
    let c = pack.clock.clone();
    let dash = |v: Option<String>| v.unwrap_or_else(|| "—".into());
    view! {
        <h1 id="evidence-title">{format!("Evidence: {} clock of order {}", pack.segment_label, pack.order_ref)}</h1>
        <p class="lead">{format!("{} · made {}", pack.account.clone().unwrap_or_else(|| "no account".into()), pack.generated_at)}</p>
        <p class="no-print"><a id="evidence-json" href=href download=file>"Download as JSON"</a>" · print this page for a paper copy."</p>
        <h2>"The clock"</h2>
        <dl class="facts" id="evidence-clock">
            <dt>"State"</dt><dd>{format!("{}{}", c.state, if c.failed { " (ended without delivery)" } else { "" })}</dd>
            <dt>"Started"</dt><dd>{c.started_at.clone()}</dd>
            <dt>"Due"</dt><dd>{dash(c.due_at.clone())}</dd>
            <dt>"Stopped"</dt><dd>{dash(c.ended_at.clone())}</dd>
            <dt>"Target"</dt><dd>{format!("{} min of business time", c.target_seconds / 60)}</dd>
            <dt>"Paused"</dt><dd>{format!("{} min", c.paused_seconds / 60)}</dd>
            <dt>"Policy"</dt><dd>{format!("{} (policy {}, version {})", c.policy_name, c.policy_id, c.policy_version)}</dd>
            <dt>"Calendar"</dt><dd>{c.calendar.clone()}</dd>
        </dl>
        <h2>"Pauses"</h2>
        {if pack.pauses.is_empty() {
            view! { <p class="empty">"None."</p> }.into_any()
        } else {
            view! {
                <table class="grid" id="evidence-pauses">
                    <thead><tr><th>"Why"</th><th>"From"</th><th>"Until"</th></tr></thead>
                    <tbody>{pack.pauses.into_iter().map(|p| view! {
                        <tr><td>{p.reason}</td><td>{p.from}</td><td>{p.until.unwrap_or_else(|| "still paused".into())}</td></tr>
                    }).collect_view()}</tbody>
                </table>
            }.into_any()
        }}
        <h2>"The events it rests on"</h2>
        <table class="grid" id="evidence-events">
            <thead><tr><th>"Did"</th><th>"Event"</th><th>"From"</th><th>"Happened"</th><th>"Recorded"</th>
                <th>"Message"</th><th>"Verdict"</th><th>"SHA-256 of the message"</th></tr></thead>
            <tbody>{pack.events.into_iter().map(|e| view! {
                <tr>
                    <td>{e.role}</td><td>{e.event_type}<br/><small>{e.external_id}</small></td><td>{e.source}</td>
                    <td>{e.occurred_at.unwrap_or_else(|| "no time given".into())}</td><td>{e.recorded_at}</td>
                    <td>{e.message_id}<br/><small>{format!("inbox #{}", e.inbox_message_id)}</small></td>
                    <td>{e.disposition}</td>
                    <td>{match e.message_archive {
                        Some(file) => view! { <span>{format!("archived in {file}")}</span> }.into_any(),
                        None => view! { <code class="hash">{e.message_sha256}</code> }.into_any(),
                    }}</td>
                </tr>
            }).collect_view()}</tbody>
        </table>
        {(!pack.corrections.is_empty()).then(|| view! {
            <h2>"Corrections"</h2>
            <table class="grid" id="evidence-corrections">
                <thead><tr><th>"Dispute"</th><th>"Fact"</th><th>"Corrected to"</th><th>"By"</th><th>"Recorded"</th><th>"Why"</th></tr></thead>
                <tbody>{pack.corrections.iter().map(|c| view! {
                    <tr><td>{c.dispute_id}</td><td>{c.milestone.clone()}</td><td>{c.corrected_to.clone()}</td>
                        <td>{c.recorded_by.clone()}</td><td>{c.recorded_at.clone()}</td><td>{c.note.clone().unwrap_or_default()}</td></tr>
                }).collect_view()}</tbody>
            </table>
        })}
        <p class="verify">{pack.how_to_verify}</p>
    }
}
