//! Health, readiness and the CSRF defence.

use crate::support;

use app::domain::Role;
use sqlx::Connection;
use support::{TestApp, PASSWORD};

#[sqlx::test(migrations = false)]
async fn healthz_and_readyz_answer_when_all_is_well(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let health = app.browser().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    let ready = app.browser().get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["status"],
        "ready"
    );
}

#[sqlx::test(migrations = false)]
async fn readyz_is_not_ready_when_the_database_is_down(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    // Take the database away under the running app: refuse new connections, drop existing ones.
    let db: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&pool)
        .await
        .unwrap();
    let mut admin = sqlx::PgConnection::connect(&std::env::var("DATABASE_URL").unwrap())
        .await
        .unwrap();
    sqlx::query(&format!(
        "alter database \"{db}\" with allow_connections false"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    sqlx::query("select pg_terminate_backend(pid) from pg_stat_activity where datname = $1")
        .bind(&db)
        .execute(&mut admin)
        .await
        .unwrap();

    let ready = app.browser().get(app.url("/readyz")).send().await.unwrap();

    assert_eq!(ready.status(), 503);
    assert_eq!(
        ready.json::<serde_json::Value>().await.unwrap()["status"],
        "not_ready"
    );
    let health = app.browser().get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200, "the process itself is still alive");
}

#[sqlx::test(migrations = false)]
async fn a_cross_site_post_is_refused_and_changes_nothing(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.signed_in(Role::Admin).await;

    let res = admin
        .post(app.url("/fn/accounts/create"))
        .header("origin", "https://evil.example")
        .form(&[("code", "EVIL"), ("name", "Evil Co")])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 403);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "cross_site_request");
    assert!(app::store::accounts::find_by_code(&app.pool, "EVIL")
        .await
        .unwrap()
        .is_none());
}

#[sqlx::test(migrations = false)]
async fn a_cross_site_sign_in_is_refused(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    let res = reqwest::Client::new()
        .post(app.url("/fn/auth/login"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("email", "ana@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

#[sqlx::test(migrations = false)]
async fn sign_ins_are_written_to_the_audit_log(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    app.login(&app.browser(), "ana@example.com", "wrong password")
        .await;
    app.login(&app.browser(), "ana@example.com", PASSWORD).await;
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'login.%' order by audit_log_id",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(actions, ["login.failed", "login.succeeded"]);
}

async fn boom() -> &'static str {
    panic!("a handler fell over")
}

/// The outer layers around routes of the test's own: one that panics, one that never answers.
async fn layered(adjust: impl FnOnce(&mut server::settings::Settings)) -> String {
    use axum::routing::get;
    let mut settings = server::settings::Settings::from_lookup(|_| None).expect("settings");
    adjust(&mut settings);
    let routes = axum::Router::new()
        .route("/boom", get(boom))
        .route(
            "/hang",
            get(|| async {
                tokio::time::sleep(std::time::Duration::from_secs(30)).await;
                "too late"
            }),
        )
        .route("/text", get(|| async { "milepost ".repeat(500) }));
    let app = server::startup::around(routes, &settings);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

#[tokio::test]
async fn a_panicking_handler_answers_500_with_the_request_id_and_the_server_goes_on() {
    let base = layered(|_| {}).await;
    let client = reqwest::Client::new();
    let res = client.get(format!("{base}/boom")).send().await.unwrap();
    assert_eq!(res.status(), 500);
    assert!(res.headers().contains_key("x-request-id"));
    assert!(res.text().await.unwrap().contains("quote the x-request-id"));
    let next = client.get(format!("{base}/text")).send().await.unwrap();
    assert_eq!(next.status(), 200, "the connection and the server survive");
}

#[tokio::test]
async fn a_request_not_answered_in_time_gets_408() {
    let base = layered(|s| s.request_timeout = std::time::Duration::from_secs(1)).await;
    let res = reqwest::Client::new()
        .get(format!("{base}/hang"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 408);
}

#[tokio::test]
async fn answers_are_compressed_for_clients_that_accept_gzip() {
    let base = layered(|_| {}).await;
    let client = reqwest::Client::new();
    let gzip = client
        .get(format!("{base}/text"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(gzip.headers()["content-encoding"], "gzip");
    let plain = client.get(format!("{base}/text")).send().await.unwrap();
    assert!(!plain.headers().contains_key("content-encoding"));
    assert_eq!(plain.text().await.unwrap(), "milepost ".repeat(500));
}
