//! The exception queue's server functions over HTTP: urgency order, filters, every decision
//! (assign, acknowledge, snooze, resolve, reopen, comment) on one case and in bulk, each
//! audited, bad input refused with nothing changed; and who may work the queue.

use crate::support;

use app::domain::Role;
use serde_json::Value;
use sqlx::PgPool;
use support::TestApp;

/// A case on order `order_ref`, due `due_hours` from the start of this minute (none when
/// `None`), of `value`. Orders released together often share a due time to the second.
async fn case(
    pool: &PgPool,
    key: &str,
    order_ref: &str,
    due_hours: Option<i32>,
    value: Option<f64>,
) -> i64 {
    sqlx::query_scalar(
        r#"insert into exception_case (case_key, category, kind, severity, summary, order_ref, order_value, due_at, opened_at)
           values ($1, 'carrier', 'damaged', 'critical', 'Parcel damaged', $2, $3,
                   date_trunc('minute', now()) + make_interval(hours => $4), now())
           returning exception_case_id"#,
    )
    .bind(key)
    .bind(order_ref)
    .bind(value)
    .bind(due_hours)
    .fetch_one(pool)
    .await
    .unwrap()
}

async fn list(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> Value {
    let res = app.call(client, "exceptions/list", form).await;
    assert_eq!(res.status(), 200);
    res.json().await.unwrap()
}

fn refs(page: &Value) -> Vec<String> {
    page["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["order_ref"].as_str().unwrap().to_string())
        .collect()
}

async fn act(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> (u16, Value) {
    let res = app.call(client, "exceptions/act", form).await;
    let status = res.status().as_u16();
    (status, res.json().await.unwrap_or(Value::Null))
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn the_queue_is_sorted_by_time_to_breach_then_value(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    case(&pool, "event:1", "LATER", Some(10), Some(50.0)).await;
    case(&pool, "event:2", "SOON-CHEAP", Some(1), Some(10.0)).await;
    case(&pool, "event:3", "SOON-DEAR", Some(1), Some(900.0)).await;
    case(&pool, "event:4", "OVERDUE", Some(-2), None).await;
    case(&pool, "event:5", "NO-CLOCK", None, Some(5000.0)).await;
    let agent = app.signed_in(Role::Agent).await;
    let page = list(&app, &agent, &[]).await;
    // Equal due times rank by value.
    let got = refs(&page);
    assert_eq!(got[0], "OVERDUE");
    assert_eq!(&got[1..3], ["SOON-DEAR", "SOON-CHEAP"]);
    assert_eq!(&got[3..], ["LATER", "NO-CLOCK"]);
    assert_eq!(page["cases"][0]["overdue"], true);
    assert!(page["cases"][0]["due_in"]
        .as_str()
        .unwrap()
        .ends_with("overdue"));
    let found = list(&app, &agent, &[("filter[order]", "dear")]).await;
    assert_eq!(refs(&found), ["SOON-DEAR"]);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn decisions_change_cases_and_are_audited_and_bad_input_changes_nothing(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let a = case(&pool, "event:a", "A", Some(3), None).await.to_string();
    let b = case(&pool, "event:b", "B", Some(4), None).await.to_string();
    let agent = app.signed_in(Role::Agent).await;
    let both = format!("{a},{b}");

    // Bulk: assign both to me, then acknowledge both.
    let (status, body) = act(
        &app,
        &agent,
        &[("ids", &both), ("action", "assign"), ("assignee", "me")],
    )
    .await;
    assert_eq!((status, body["changed"].as_i64()), (200, Some(2)));
    let mine = list(&app, &agent, &[("filter[assignee]", "me")]).await;
    assert_eq!(refs(&mine), ["A", "B"]);
    act(&app, &agent, &[("ids", &both), ("action", "acknowledge")]).await;
    assert_eq!(
        list(&app, &agent, &[]).await["cases"][0]["status"],
        "acknowledged"
    );

    // Refused, each naming its field, and nothing changes.
    for (form, field) in [
        (
            vec![
                ("ids", a.as_str()),
                ("action", "snooze"),
                ("until", "2099-01-01T10:00"),
            ],
            "reason",
        ),
        (
            vec![
                ("ids", a.as_str()),
                ("action", "snooze"),
                ("until", "2001-01-01T10:00"),
                ("reason", "x"),
            ],
            "until",
        ),
        (
            vec![
                ("ids", a.as_str()),
                ("action", "snooze"),
                ("until", "tomorrow"),
                ("reason", "x"),
            ],
            "until",
        ),
        (
            vec![("ids", a.as_str()), ("action", "resolve"), ("reason", "  ")],
            "reason",
        ),
        (vec![("ids", ""), ("action", "acknowledge")], "ids"),
        (vec![("ids", "1,x"), ("action", "acknowledge")], "ids"),
        (vec![("ids", a.as_str()), ("action", "explode")], "action"),
        (
            vec![
                ("ids", a.as_str()),
                ("action", "assign"),
                ("assignee", "not-a-uuid"),
            ],
            "assignee",
        ),
    ] {
        let (status, body) = act(&app, &agent, &form).await;
        assert_eq!(status, 422, "{form:?}: {body}");
        assert!(
            body.to_string().contains(field),
            "{form:?} should name {field}: {body}"
        );
    }
    let (status, _) = act(
        &app,
        &agent,
        &[("ids", "999999"), ("action", "acknowledge")],
    )
    .await;
    assert_eq!(status, 404);

    // Snooze A: it leaves the open view and shows under snoozed.
    let (status, _) = act(
        &app,
        &agent,
        &[
            ("ids", &a),
            ("action", "snooze"),
            ("until", "2099-01-01T10:00"),
            ("reason", "customer on holiday"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(refs(&list(&app, &agent, &[]).await), ["B"]);
    let snoozed = list(&app, &agent, &[("filter[status]", "snoozed")]).await;
    assert_eq!(snoozed["cases"][0]["snooze_reason"], "customer on holiday");

    // Resolve B with a reason; reopen it.
    act(
        &app,
        &agent,
        &[
            ("ids", &b),
            ("action", "resolve"),
            ("reason", "refund issued"),
        ],
    )
    .await;
    let closed = list(&app, &agent, &[("filter[status]", "closed")]).await;
    assert_eq!(closed["cases"][0]["resolution"], "refund issued");
    act(&app, &agent, &[("ids", &b), ("action", "reopen")]).await;
    assert_eq!(refs(&list(&app, &agent, &[]).await), ["B"]);

    // Comments.
    let res = app
        .call(
            &agent,
            "exceptions/comment",
            &[("case_id", &b), ("body", "called the carrier")],
        )
        .await;
    assert_eq!(res.status(), 200);
    let res = app
        .call(
            &agent,
            "exceptions/comment",
            &[("case_id", &b), ("body", " ")],
        )
        .await;
    assert_eq!(res.status(), 422);
    let comments: Value = app
        .call(&agent, "exceptions/comments", &[("case_id", &b)])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(comments[0]["body"], "called the carrier");

    // Every decision in the audit log, with before and after.
    let actions: Vec<(String, Value)> = sqlx::query_as(
        "select action, detail from audit_log where subject like 'exception:%' order by audit_log_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let names: Vec<&str> = actions.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        names,
        [
            "exception.assign",
            "exception.assign",
            "exception.acknowledge",
            "exception.acknowledge",
            "exception.snooze",
            "exception.resolve",
            "exception.reopen",
            "exception.comment"
        ]
    );
    let (_, resolve) = &actions[5];
    assert_eq!(resolve["before"]["resolution"], Value::Null);
    assert_eq!(resolve["after"]["resolution"], "refund issued");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn only_agents_and_admins_work_the_queue(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let id = case(&pool, "event:x", "X", Some(1), None).await.to_string();
    for role in [Role::Customer, Role::AccountManager, Role::Integrator] {
        let client = app.signed_in(role).await;
        assert_eq!(
            app.call(&client, "exceptions/list", &[]).await.status(),
            403,
            "{role}"
        );
        let (status, _) = act(&app, &client, &[("ids", &id), ("action", "acknowledge")]).await;
        assert_eq!(status, 403, "{role}");
    }
    let anonymous = app.browser();
    assert_eq!(
        app.call(&anonymous, "exceptions/list", &[]).await.status(),
        401
    );
    let admin = app.signed_in(Role::Admin).await;
    assert_eq!(app.call(&admin, "exceptions/list", &[]).await.status(), 200);
    // Cases go to agents and admins only.
    let customer = app.user(Role::Customer, "c@example.com").await.to_string();
    let (status, _) = act(
        &app,
        &admin,
        &[("ids", &id), ("action", "assign"), ("assignee", &customer)],
    )
    .await;
    assert_eq!(status, 422);
}

/// The decisions waiting to be sent: (order, action, reason, sent).
async fn case_actions(pool: &PgPool) -> Vec<(String, String, String, bool)> {
    sqlx::query_as(
        "select order_ref, action, reason, dispatched_at is not null from case_action order by created_at, action",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn resolve_reship_and_cancel_ask_the_systems_around_milepost_once(pool: PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    let a = case(&pool, "event:a", "A", Some(3), None).await.to_string();
    let b = case(&pool, "event:b", "B", Some(4), None).await.to_string();
    let c = case(&pool, "event:c", "C", Some(5), None).await.to_string();
    let agent = app.signed_in(Role::Agent).await;

    // Reship and cancel need a reason, like resolve; refused, nothing is asked of anyone.
    let (status, body) = act(&app, &agent, &[("ids", &a), ("action", "reship")]).await;
    assert_eq!(status, 422);
    assert!(body.to_string().contains("reason"), "{body}");
    assert!(case_actions(&pool).await.is_empty());

    for (id, action, reason) in [
        (&a, "resolve", "customer confirmed"),
        (&b, "reship", "lost in transit"),
        (&c, "cancel_order", "customer withdrew"),
    ] {
        let (status, _) = act(
            &app,
            &agent,
            &[("ids", id), ("action", action), ("reason", reason)],
        )
        .await;
        assert_eq!(status, 200, "{action}");
    }
    let cases = list(&app, &agent, &[("filter[status]", "closed")]).await;
    let resolutions: Vec<&str> = cases["cases"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["resolution"].as_str())
        .collect();
    assert!(
        resolutions.contains(&"reship: lost in transit"),
        "{resolutions:?}"
    );
    assert!(
        resolutions.contains(&"order cancelled: customer withdrew"),
        "{resolutions:?}"
    );
    // Resolving an already resolved case asks nothing again.
    act(
        &app,
        &agent,
        &[("ids", &a), ("action", "resolve"), ("reason", "again")],
    )
    .await;
    assert_eq!(
        case_actions(&pool).await,
        vec![
            (
                "A".into(),
                "resolve".into(),
                "customer confirmed".into(),
                false
            ),
            ("B".into(), "reship".into(), "lost in transit".into(), false),
            (
                "C".into(),
                "cancel".into(),
                "customer withdrew".into(),
                false
            ),
        ]
    );
    let audited: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action in ('exception.reship', 'exception.cancel_order')",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);

    // The projector's loop sends each once; no connector serves these orders, and it says so.
    assert_eq!(
        server::projector::decisions::dispatch(&pool).await.unwrap(),
        3
    );
    assert_eq!(
        server::projector::decisions::dispatch(&pool).await.unwrap(),
        0
    );
    let outcomes: Vec<String> =
        sqlx::query_scalar("select outcome from case_action order by created_at")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        outcomes
            .iter()
            .all(|o| o.starts_with("nothing: no connector")),
        "{outcomes:?}"
    );
}
