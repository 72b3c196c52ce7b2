//! Alerts: each rule fires once for a condition that holds, is told in a digest (a signed
//! Slack-compatible webhook and an email through a local SMTP relay), and resolves with a notice
//! when the condition clears; many firings in one interval make one digest; a refused email is
//! retried; the banner, the page and the rules follow roles, and rule changes are audited.

use crate::support::{self, TestApp};
use app::domain::Role;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use server::alerts::{round, AlertSettings};
use server::connectors::alerts::email::EmailChannel;
use server::connectors::alerts::webhook::{WebhookChannel, WebhookFormat};
use server::connectors::alerts::Channels;
use server::signing;
use server::simulators::mail::SmtpStandIn;
use sqlx::PgPool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const SECRET: &str = "whsec_YWxlcnRzLWFsZXJ0cy1hbGVydHMtYWxlcnRz";

/// (webhook-id, webhook-timestamp, webhook-signature, body)
type Received = Arc<Mutex<Vec<(String, String, String, String)>>>;

async fn receive(State(got): State<Received>, headers: HeaderMap, body: String) -> StatusCode {
    let h = |k: &str| {
        headers
            .get(k)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    got.lock().unwrap().push((
        h("webhook-id"),
        h("webhook-timestamp"),
        h("webhook-signature"),
        body,
    ));
    StatusCode::OK
}

async fn chat_server() -> (String, Received) {
    let got: Received = Arc::default();
    let app = Router::new()
        .route("/services/T1/B2", post(receive))
        .with_state(got.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/services/T1/B2", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, got)
}

fn settings(webhook_url: &str, smtp: &SmtpStandIn, digest_every: Duration) -> AlertSettings {
    AlertSettings {
        digest_every,
        channels: Channels {
            webhook: Some(
                WebhookChannel::new(
                    webhook_url.into(),
                    SECRET.to_string().into(),
                    WebhookFormat::Slack,
                )
                .unwrap(),
            ),
            email: Some(
                EmailChannel::new(
                    &smtp.url(),
                    "Milepost <alerts@milepost.test>".parse().unwrap(),
                    vec!["ops@example.com".parse().unwrap()],
                )
                .unwrap(),
            ),
            alerts_url: "http://milepost.test/integrations/alerts".into(),
        },
    }
}

async fn dead_jobs(pool: &PgPool, queue: &str, n: usize) {
    for _ in 0..n {
        sqlx::query(
            "insert into job (queue, kind, payload, state, finished_at) values ($1, 'wms.release', '{}', 'dead', now())",
        )
        .bind(queue)
        .execute(pool)
        .await
        .unwrap();
    }
}

async fn rule(pool: &PgPool, kind: &str, threshold: f64, window_minutes: i32) {
    sqlx::query("update alert_rule set threshold = $2, window_minutes = $3 where kind = $1")
        .bind(kind)
        .bind(threshold)
        .bind(window_minutes)
        .execute(pool)
        .await
        .unwrap();
}

/// Only `keep` watches; the other rules are off so the test's own setup does not fire them.
async fn only(pool: &PgPool, keep: &[&str]) {
    sqlx::query("update alert_rule set enabled = (kind = any($1))")
        .bind(keep.iter().map(|k| k.to_string()).collect::<Vec<_>>())
        .execute(pool)
        .await
        .unwrap();
}

#[sqlx::test(migrations = false)]
async fn a_rule_fires_once_is_told_by_webhook_and_email_and_resolves(pool: PgPool) {
    server::database::migrate(&pool).await.unwrap();
    only(&pool, &["dead_letters"]).await;
    rule(&pool, "dead_letters", 2.0, 60).await;
    let (url, chat) = chat_server().await;
    let smtp = SmtpStandIn::start().await.unwrap();
    let s = settings(&url, &smtp, Duration::ZERO);

    // Below the threshold: nothing.
    dead_jobs(&pool, "wms:acme", 1).await;
    let r = round(&pool, &s).await.unwrap();
    assert_eq!((r.fired, r.digest), (0, None));

    // At it: one alert, one digest, sent on both channels.
    dead_jobs(&pool, "wms:acme", 1).await;
    let r = round(&pool, &s).await.unwrap();
    assert_eq!(r.fired, 1);
    assert!(r.digest.is_some());
    assert_eq!((r.delivered, r.failed), (2, 0));

    let got = chat.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (id, ts, signature, body) = &got[0];
    assert_eq!(id, &format!("alert-digest-{}", r.digest.unwrap()));
    assert_eq!(
        signature,
        &signing::standard_webhooks(SECRET, id, ts.parse().unwrap(), body.as_bytes()),
        "signed as Standard Webhooks"
    );
    let slack: serde_json::Value = serde_json::from_str(body).unwrap();
    let text = slack["text"]
        .as_str()
        .expect("a Slack body is {\"text\": …}");
    assert!(text.starts_with("Milepost: 1 alert firing"), "{text}");
    assert!(
        text.contains("FIRING Dead letters on a queue: 2 dead jobs on queue wms:acme"),
        "{text}"
    );

    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    assert_eq!(mails[0].from, "alerts@milepost.test");
    assert_eq!(mails[0].to, vec!["ops@example.com"]);
    assert_eq!(
        mails[0].header("Subject").as_deref(),
        Some("Milepost: 1 alert firing")
    );
    assert!(
        mails[0].body().contains("2 dead jobs on queue wms:acme"),
        "{}",
        mails[0].data
    );

    // Still true, and worse: no second firing, no second message; the value is kept.
    dead_jobs(&pool, "wms:acme", 1).await;
    let r = round(&pool, &s).await.unwrap();
    assert_eq!((r.fired, r.digest, r.delivered), (0, None, 0));
    let (count, last): (i64, f64) =
        sqlx::query_as("select count(*), max(last_value) from alert where kind = 'dead_letters'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!((count, last), (1, 3.0));

    // Cleared (the dead letters replayed and delivered): resolved, and told so.
    sqlx::query("update job set state = 'succeeded' where state = 'dead'")
        .execute(&pool)
        .await
        .unwrap();
    let r = round(&pool, &s).await.unwrap();
    assert_eq!((r.resolved, r.delivered), (1, 2));
    let last = chat.lock().unwrap().last().unwrap().3.clone();
    assert!(last.contains("RESOLVED Dead letters on a queue"), "{last}");
    assert!(smtp.mails()[1]
        .header("Subject")
        .unwrap()
        .contains("1 resolved"));

    // And quiet afterwards.
    let r = round(&pool, &s).await.unwrap();
    assert_eq!(r, server::alerts::Round::default());
}

#[sqlx::test(migrations = false)]
async fn every_kind_of_rule_fires_on_its_condition(pool: PgPool) {
    server::database::migrate(&pool).await.unwrap();
    let s = AlertSettings {
        digest_every: Duration::ZERO,
        ..AlertSettings::default()
    };
    // A circuit open 30 minutes.
    sqlx::query("insert into circuit (queue, state, opened_at) values ('odoo:main', 'open', now() - interval '30 minutes')")
        .execute(&pool).await.unwrap();
    // A source made a day ago that has sent nothing, and one that sent only rejected messages.
    let quiet = support::canonical_connector(&pool, "quiet-wms", "wms").await;
    let noisy = support::canonical_connector(&pool, "noisy-carrier", "carrier").await;
    sqlx::query(
        "update connector set created_at = now() - interval '1 day' where connector_id = $1",
    )
    .bind(quiet.id)
    .execute(&pool)
    .await
    .unwrap();
    for i in 0..3 {
        sqlx::query("insert into inbox_message (connector_id, message_id, message_id_derived, received_at, last_received_at, body, outcome)
                     values ($1, $2, false, now(), now(), 'x', 'rejected')")
            .bind(noisy.id).bind(format!("bad-{i}")).execute(&pool).await.unwrap();
    }
    // An event waiting ten minutes to be folded.
    sqlx::query("insert into projection_queue (event_id, recorded_at, order_ref) values (gen_random_uuid(), now() - interval '10 minutes', 'SO-LAG')")
        .execute(&pool).await.unwrap();
    // Five clocks of ACME due in the last hour, three of them breached.
    sqlx::query("insert into account (code, name) values ('ACME', 'Acme')")
        .execute(&pool)
        .await
        .unwrap();
    for i in 0..5 {
        let order_id: i64 = sqlx::query_scalar(
            "insert into \"order\" (order_ref, status, account_id) select $1, 'shipped', account_id from account where code = 'ACME' returning order_id",
        )
        .bind(format!("SO-{i}")).fetch_one(&pool).await.unwrap();
        let ended = if i < 3 {
            "now() - interval '1 minute'"
        } else {
            "now() - interval '50 minutes'"
        };
        sqlx::query(&format!(
            "insert into sla_clock (order_id, segment, policy_id, policy_version, started_at, target_seconds, due_at, ended_at, account_id)
             select $1, 'ship', 1, 1, now() - interval '1 day', 86400, now() - interval '30 minutes', {ended}, account_id
             from account where code = 'ACME'"))
            .bind(order_id).execute(&pool).await.unwrap();
    }
    rule(&pool, "circuit_open", 15.0, 60).await;
    rule(&pool, "source_stale", 120.0, 60).await;
    rule(&pool, "rejected_messages", 3.0, 60).await;
    rule(&pool, "breach_rate", 50.0, 120).await;
    rule(&pool, "projector_lag", 1000.0, 60).await;

    let r = round(&pool, &s).await.unwrap();
    let fired: Vec<(String, String)> = sqlx::query_as(
        "select kind, subject from alert where resolved_at is null order by kind, subject",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        fired,
        vec![
            ("breach_rate".into(), "ACME".into()),
            ("circuit_open".into(), "odoo:main".into()),
            ("rejected_messages".into(), "noisy-carrier".into()),
            ("source_stale".into(), "quiet-wms".into()),
        ],
        "the projector has not waited 1000 s, so it does not fire"
    );
    assert_eq!(r.fired, 4);
    let message: String =
        sqlx::query_scalar("select message from alert where kind = 'breach_rate'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(message, "60.0% of ACME's SLA clocks due in 2 h breached");

    // No channel configured: the digest is made (the page lists it) with no delivery.
    let deliveries: i64 = sqlx::query_scalar("select count(*) from alert_delivery")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!((r.digest.is_some(), deliveries), (true, 0));

    // The projector's lag fires at its threshold; turning a rule off resolves its alerts.
    rule(&pool, "projector_lag", 300.0, 60).await;
    round(&pool, &s).await.unwrap();
    sqlx::query("update alert_rule set enabled = false where kind = 'breach_rate'")
        .execute(&pool)
        .await
        .unwrap();
    let r = round(&pool, &s).await.unwrap();
    assert_eq!(r.resolved, 1);
    let open: Vec<String> =
        sqlx::query_scalar("select kind from alert where resolved_at is null order by kind")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert_eq!(
        open,
        vec![
            "circuit_open",
            "projector_lag",
            "rejected_messages",
            "source_stale"
        ]
    );
}

#[sqlx::test(migrations = false)]
async fn firings_within_the_interval_wait_for_one_digest_and_a_refused_email_is_retried(
    pool: PgPool,
) {
    server::database::migrate(&pool).await.unwrap();
    only(&pool, &["dead_letters"]).await;
    rule(&pool, "dead_letters", 1.0, 60).await;
    let (url, chat) = chat_server().await;
    let smtp = SmtpStandIn::start().await.unwrap();
    let s = settings(&url, &smtp, Duration::from_secs(3600));

    // Three queues at once: one digest of three.
    for q in ["wms:a", "wms:b", "wms:c"] {
        dead_jobs(&pool, q, 1).await;
    }
    smtp.refuse(true);
    let r = round(&pool, &s).await.unwrap();
    assert_eq!((r.fired, r.delivered, r.failed), (3, 1, 1));
    assert_eq!(chat.lock().unwrap().len(), 1);
    assert!(chat.lock().unwrap()[0].3.contains("3 alerts firing"));
    let (state, attempts, error): (String, i32, Option<String>) = sqlx::query_as(
        "select state, attempts, last_error from alert_delivery where channel = 'email'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!((state.as_str(), attempts), ("pending", 1));
    assert!(error.unwrap().contains("451"), "the relay's answer is kept");

    // A fourth within the hour: it waits (no flood), and is marked as not yet told.
    dead_jobs(&pool, "wms:d", 1).await;
    let r = round(&pool, &s).await.unwrap();
    assert_eq!((r.fired, r.digest), (1, None));
    assert_eq!(chat.lock().unwrap().len(), 1);

    // The relay takes mail again; the retry, when due, goes out.
    smtp.refuse(false);
    sqlx::query("update alert_delivery set next_attempt_at = now() where state = 'pending'")
        .execute(&pool)
        .await
        .unwrap();
    let r = round(&pool, &s).await.unwrap();
    assert_eq!(r.delivered, 1);
    assert_eq!(smtp.mails().len(), 1);
    assert_eq!(
        smtp.mails()[0].header("Subject").as_deref(),
        Some("Milepost: 3 alerts firing")
    );

    // Once the interval has passed, the waiting firing goes in the next digest.
    sqlx::query("update alert_digest set created_at = now() - interval '2 hours'")
        .execute(&pool)
        .await
        .unwrap();
    let r = round(&pool, &s).await.unwrap();
    assert!(r.digest.is_some());
    let last = chat.lock().unwrap().last().unwrap().3.clone();
    assert!(
        last.contains("1 alert firing") && last.contains("wms:d"),
        "{last}"
    );
}

#[sqlx::test(migrations = false)]
async fn integrators_see_the_banner_and_page_and_only_admins_change_rules_audited(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    only(&pool, &["dead_letters"]).await;
    dead_jobs(&pool, "wms:acme", 2).await;
    round(&pool, &AlertSettings::default()).await.unwrap();

    let integrator = app.signed_in(Role::Integrator).await;
    let banner: serde_json::Value = app
        .call(&integrator, "alerts/open", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(banner["count"], 1);
    assert_eq!(banner["newest"][0], "2 dead jobs on queue wms:acme");
    let page = app.page(&integrator, "/integrations/alerts").await;
    assert!(
        page.contains("Firing now") && page.contains("2 dead jobs on queue wms:acme"),
        "{page}"
    );
    let dashboard = app.page(&integrator, "/integrations").await;
    assert!(
        dashboard.contains("1 alert firing"),
        "the banner is on every page"
    );

    let agent = app.signed_in(Role::Agent).await;
    assert_eq!(app.call(&agent, "alerts/open", &[]).await.status(), 403);

    let change = [
        ("kind", "dead_letters"),
        ("enabled", "true"),
        ("threshold", "5"),
        ("window_minutes", "60"),
        ("reason", "one dead letter is routine at night"),
    ];
    assert_eq!(
        app.call(&integrator, "alerts/rule", &change).await.status(),
        403
    );
    let admin = app.signed_in(Role::Admin).await;
    assert_eq!(app.call(&admin, "alerts/rule", &change).await.status(), 200);
    let (threshold, detail): (f64, serde_json::Value) = sqlx::query_as(
        "select r.threshold, a.detail from alert_rule r, audit_log a
         where r.kind = 'dead_letters' and a.action = 'alert_rule.update' and a.subject = 'alert_rule:dead_letters'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(threshold, 5.0);
    assert_eq!(detail["before"]["threshold"], 1.0);
    assert_eq!(detail["after"]["threshold"], 5.0);
    assert_eq!(detail["why"], "one dead letter is routine at night");

    // A bad threshold is refused by field, and nothing changes.
    let res = app
        .call(
            &admin,
            "alerts/rule",
            &[
                ("kind", "breach_rate"),
                ("enabled", "true"),
                ("threshold", "150"),
                ("window_minutes", "60"),
                ("reason", "typo"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    let body = res.text().await.unwrap();
    assert!(body.contains("a percentage is at most 100"), "{body}");

    // The change holds from the next round: 2 dead letters no longer fire at 5.
    let r = round(&pool, &AlertSettings::default()).await.unwrap();
    assert_eq!(r.resolved, 1);
    let banner: serde_json::Value = app
        .call(&integrator, "alerts/open", &[])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(banner["count"], 0);
}
