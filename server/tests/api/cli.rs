//! The `milepost` binary as an operator uses it.

use crate::support;

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn milepost(args: &[&str], env: &[(&str, &str)], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_milepost"));
    cmd.args(args)
        .env_remove("DATABASE_URL")
        .env_remove("MILEPOST_LOG_FORMAT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

/// The URL of the `#[sqlx::test]` database behind `pool`.
async fn url_of(pool: &sqlx::PgPool) -> String {
    let db: String = sqlx::query_scalar("select current_database()")
        .fetch_one(pool)
        .await
        .unwrap();
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL for tests");
    let mut url = url::Url::parse(&base).unwrap();
    url.set_path(&db);
    url.to_string()
}

#[test]
fn a_bad_setting_stops_start_up_naming_the_variable() {
    let out = milepost(&["migrate"], &[("MILEPOST_LISTEN_ADDR", "nowhere")], None);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MILEPOST_LISTEN_ADDR"));
}

#[sqlx::test(migrations = false)]
async fn migrate_applies_the_schema_and_logs_json_when_asked(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let out = milepost(
        &["migrate"],
        &[("DATABASE_URL", &url), ("MILEPOST_LOG_FORMAT", "json")],
        None,
    );
    support::assert_ok(&out);
    let logs = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON log line"))
        .collect();
    assert!(
        lines.iter().any(|l| l["message"] == "migrations applied"),
        "{logs}"
    );
    assert!(app::store::schema::migrations_applied(&pool).await.unwrap());
}

#[sqlx::test(migrations = false)]
async fn a_failing_migration_stops_start_up_with_the_reason(pool: sqlx::PgPool) {
    // A table in the way of the first migration.
    sqlx::query("create table account (x int)")
        .execute(&pool)
        .await
        .unwrap();
    let url = url_of(&pool).await;
    let out = milepost(
        &["serve"],
        &[
            ("DATABASE_URL", &url),
            ("MILEPOST_LISTEN_ADDR", "127.0.0.1:0"),
        ],
        None,
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("applying database migrations"), "{stderr}");
    assert!(stderr.contains("already exists"), "{stderr}");
}

#[sqlx::test(migrations = false)]
async fn user_add_creates_an_admin_who_can_sign_in(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    assert!(milepost(&["migrate"], &env, None).status.success());

    let out = milepost(
        &[
            "user",
            "add",
            "--email",
            "Boss@Example.com",
            "--role",
            "admin",
            "--password-stdin",
        ],
        &env,
        Some("a long password\n"),
    );

    support::assert_ok(&out);
    assert!(support::password_is(&pool, "boss@example.com", "a long password").await);
}

#[sqlx::test(migrations = false)]
async fn user_add_explains_what_is_wrong(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    assert!(milepost(&["migrate"], &env, None).status.success());

    let no_account = milepost(
        &[
            "user",
            "add",
            "--email",
            "c@example.com",
            "--role",
            "customer",
            "--password-stdin",
        ],
        &env,
        Some("a long password\n"),
    );
    let bad_role = milepost(
        &[
            "user",
            "add",
            "--email",
            "c@example.com",
            "--role",
            "boss",
            "--password-stdin",
        ],
        &env,
        Some("a long password\n"),
    );

    assert!(String::from_utf8_lossy(&no_account.stderr)
        .contains("a customer belongs to exactly one account"));
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role `boss`"));
}

#[sqlx::test(migrations = false)]
async fn account_add_then_a_customer_of_it(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    assert!(milepost(&["migrate"], &env, None).status.success());
    assert!(milepost(
        &["account", "add", "--code", "acme", "--name", "Acme Corp"],
        &env,
        None
    )
    .status
    .success());

    let out = milepost(
        &[
            "user",
            "add",
            "--email",
            "c@acme.example",
            "--role",
            "customer",
            "--account",
            "ACME",
            "--password-stdin",
        ],
        &env,
        Some("a long password\n"),
    );

    support::assert_ok(&out);
    let duplicate = milepost(
        &["account", "add", "--code", "ACME", "--name", "Again"],
        &env,
        None,
    );
    assert!(String::from_utf8_lossy(&duplicate.stderr)
        .contains("an account with this code already exists"));
}

#[sqlx::test(migrations = false)]
async fn demo_creates_users_and_history_and_can_run_twice(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    let small = ["demo", "--orders", "60", "--days", "20"];
    support::assert_ok(&milepost(&small, &env, None));
    let count = |sql: &'static str| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>(sql)
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let (orders, events) = (
        count(r#"select count(*) from "order""#).await,
        count("select count(*) from event").await,
    );
    assert!(
        orders >= 55,
        "nearly every order was created (some are still in the future): {orders}"
    );
    assert!(
        events > orders * 5,
        "each order has a history: {events} events"
    );
    assert!(
        count("select count(distinct connector_id) from inbox_message").await >= 7,
        "every source format is used"
    );
    let again = milepost(&small, &env, None);
    support::assert_ok(&again);
    assert_eq!(
        count("select count(*) from event").await,
        events,
        "a second run stores nothing new"
    );
    let users = app::store::users::list(&pool).await.unwrap();
    assert_eq!(users.len(), 5);
}

/// `milepost serve` on a free port with `env`, its database holding the agent
/// ana@example.com ("a long password"); returns the process and its base URL once it answers.
async fn serving_with_an_agent(
    pool: &sqlx::PgPool,
    env: &[(&str, &str)],
) -> (std::process::Child, String) {
    let url = url_of(pool).await;
    let added = milepost(
        &[
            "user",
            "add",
            "--email",
            "ana@example.com",
            "--role",
            "agent",
            "--password-stdin",
        ],
        &[("DATABASE_URL", url.as_str())],
        Some("a long password\n"),
    );
    support::assert_ok(&added);
    let port = support::free_port();
    let server = Command::new(env!("CARGO_BIN_EXE_milepost"))
        .arg("serve")
        .env("DATABASE_URL", &url)
        .env("MILEPOST_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .envs(env.iter().copied())
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    assert!(
        support::wait_for(&format!("{base}/healthz")).await,
        "server did not start"
    );
    (server, base)
}

#[sqlx::test(migrations = false)]
async fn every_log_line_of_a_request_carries_its_request_id(pool: sqlx::PgPool) {
    let (server, base) = serving_with_an_agent(&pool, &[("MILEPOST_LOG_FORMAT", "json")]).await;
    let client = reqwest::Client::new();

    let res = client
        .post(format!("{base}/fn/auth/login"))
        .form(&[
            ("email", "ana@example.com"),
            ("password", "a long password"),
        ])
        .send()
        .await
        .unwrap();
    let request_id = res.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(res.status(), 200);
    support::send_signal(&server, nix::sys::signal::Signal::SIGTERM);
    let out = server.wait_with_output().unwrap();

    let logs = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<serde_json::Value> = logs
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    // JSON lines list their spans outermost first; the request span carries the id.
    let in_request = |l: &&serde_json::Value| {
        l["spans"]
            .as_array()
            .is_some_and(|spans| spans.iter().any(|s| s["request.id"] == request_id.as_str()))
    };
    let of_request: Vec<&serde_json::Value> = lines.iter().filter(in_request).collect();
    assert!(
        of_request.iter().any(|l| l["message"] == "signed in"),
        "{logs}"
    );
    assert!(
        of_request
            .iter()
            .any(|l| l["message"] == "finished processing request"),
        "{logs}"
    );
    assert!(out.status.success(), "a SIGTERM is a clean stop: {logs}");
}

#[sqlx::test(migrations = false)]
async fn sigterm_ends_open_live_streams_and_the_process_exits_cleanly(pool: sqlx::PgPool) {
    // Far longer than the test waits: the stream must end by itself, not by the deadline.
    let (server, base) =
        serving_with_an_agent(&pool, &[("MILEPOST_SHUTDOWN_SECONDS", "600")]).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let login = client
        .post(format!("{base}/fn/auth/login"))
        .form(&[
            ("email", "ana@example.com"),
            ("password", "a long password"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(login.status(), 200);
    let mut live = client.get(format!("{base}/live")).send().await.unwrap();
    assert_eq!(live.status(), 200);
    assert_eq!(live.headers()["content-type"], "text/event-stream");

    support::send_signal(&server, nix::sys::signal::Signal::SIGTERM);
    // The open stream ends (its body completes) instead of holding the shutdown open.
    let ended = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        while let Ok(Some(_)) = live.chunk().await {}
    })
    .await;
    let pid = nix::unistd::Pid::from_raw(server.id() as i32);
    let exited = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::task::spawn_blocking(move || server.wait_with_output().unwrap()),
    )
    .await;
    let Ok(out) = exited else {
        let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
        panic!("the server did not exit within a minute of SIGTERM");
    };
    let out = out.unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(
        ended.is_ok(),
        "the live stream stayed open after SIGTERM: {logs}"
    );
    assert!(logs.contains("web server stopped"), "{logs}");
    assert!(!logs.contains("shutdown deadline passed"), "{logs}");
    assert!(out.status.success(), "{logs}");
}

#[sqlx::test(migrations = false)]
async fn worker_runs_until_sigterm_and_exits_cleanly(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let worker = Command::new(env!("CARGO_BIN_EXE_milepost"))
        .arg("worker")
        .env("DATABASE_URL", &url)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = false;
    for _ in 0..100 {
        if app::store::schema::migrations_applied(&pool)
            .await
            .unwrap_or(false)
        {
            running = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Give it a moment past migrations to start its loop.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    support::send_signal(&worker, nix::sys::signal::Signal::SIGTERM);
    let out = worker.wait_with_output().unwrap();
    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(running, "{logs}");
    assert!(logs.contains("Milepost workers running"), "{logs}");
    assert!(logs.contains("SIGTERM received"), "{logs}");
    assert!(out.status.success(), "{logs}");
}

#[sqlx::test(migrations = false)]
async fn set_password_and_the_lists_work_from_the_command_line(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    assert!(milepost(
        &["account", "add", "--code", "ACME", "--name", "Acme Corp"],
        &env,
        None
    )
    .status
    .success());
    assert!(milepost(
        &[
            "user",
            "add",
            "--email",
            "ana@example.com",
            "--role",
            "agent",
            "--password-stdin"
        ],
        &env,
        Some("a long password\n")
    )
    .status
    .success());

    let changed = milepost(
        &[
            "user",
            "set-password",
            "--email",
            "ANA@example.com",
            "--password-stdin",
        ],
        &env,
        Some("another long one\n"),
    );
    let users = milepost(&["user", "list"], &env, None);
    let accounts = milepost(&["account", "list"], &env, None);
    let unknown = milepost(
        &[
            "user",
            "set-password",
            "--email",
            "nobody@example.com",
            "--password-stdin",
        ],
        &env,
        Some("another long one\n"),
    );

    support::assert_ok(&changed);
    assert!(support::password_is(&pool, "ana@example.com", "another long one").await);
    assert!(String::from_utf8_lossy(&users.stdout).contains("ana@example.com"));
    assert!(String::from_utf8_lossy(&accounts.stdout).contains("ACME"));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("no user with email nobody@example.com")
    );
}

#[sqlx::test(migrations = false)]
async fn connectors_and_api_keys_are_managed_from_the_command_line(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    let added = milepost(
        &[
            "connector",
            "add",
            "--name",
            "reno-edi",
            "--kind",
            "wms",
            "--format",
            "x12",
            "--time-zone",
            "America/Los_Angeles",
        ],
        &env,
        None,
    );
    support::assert_ok(&added);
    let wrong = milepost(
        &[
            "connector",
            "add",
            "--name",
            "bad",
            "--kind",
            "wms",
            "--format",
            "x12",
            "--type",
            "shipment.delivered",
        ],
        &env,
        None,
    );
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("owned by the carrier system"));

    let created = milepost(
        &[
            "apikey",
            "create",
            "--connector",
            "reno-edi",
            "--name",
            "gateway",
        ],
        &env,
        None,
    );
    support::assert_ok(&created);
    let key = String::from_utf8_lossy(&created.stdout).trim().to_string();
    assert!(key.starts_with("mpk_") && key.len() > 40, "{key}");
    let prefix = &key[..16];
    let stored: Vec<u8> = sqlx::query_scalar("select secret_sha256 from api_key")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32, "only a hash is stored");

    let listed = milepost(&["apikey", "list"], &env, None);
    let listed = String::from_utf8_lossy(&listed.stdout).to_string();
    assert!(
        listed.contains(prefix) && listed.contains("active") && !listed.contains(&key),
        "{listed}"
    );

    let rotated = milepost(
        &["apikey", "rotate", "--prefix", prefix, "--grace-hours", "2"],
        &env,
        None,
    );
    support::assert_ok(&rotated);
    let listed =
        String::from_utf8_lossy(&milepost(&["apikey", "list"], &env, None).stdout).to_string();
    assert!(listed.contains("rotated, works until"), "{listed}");

    support::assert_ok(&milepost(
        &["apikey", "revoke", "--prefix", prefix],
        &env,
        None,
    ));
    let again = milepost(&["apikey", "revoke", "--prefix", prefix], &env, None);
    assert!(String::from_utf8_lossy(&again.stderr).contains("no live key"));
}

#[sqlx::test(migrations = false)]
async fn outbound_settings_are_checked_before_they_are_saved_and_audited(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    support::assert_ok(&milepost(
        &[
            "connector",
            "add",
            "--name",
            "reno",
            "--kind",
            "wms",
            "--format",
            "milepost_wms",
            "--warehouse",
            "RNO",
        ],
        &env,
        None,
    ));
    let outbound = |settings: &str, secret: Option<&str>| {
        let mut args = vec![
            "connector",
            "outbound",
            "--name",
            "reno",
            "--settings",
            settings,
        ];
        if secret.is_some() {
            args.push("--secret-stdin");
        }
        milepost(&args, &env, secret)
    };
    let no_token = outbound(
        r#"{"system": "wms", "url": "https://wms.example.com/in"}"#,
        None,
    );
    assert!(!no_token.status.success());
    assert!(String::from_utf8_lossy(&no_token.stderr).contains("wms_token is missing"));
    let wrong_system = outbound(
        r#"{"system": "odoo", "base_url": "https://erp", "database": "prod"}"#,
        Some("key\n"),
    );
    assert!(String::from_utf8_lossy(&wrong_system.stderr).contains("for erp connectors"));
    let stored: Option<serde_json::Value> =
        sqlx::query_scalar("select outbound from connector where name = 'reno'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(stored, None, "refused settings are not saved");

    support::assert_ok(&outbound(
        r#"{"system": "wms", "url": "https://wms.example.com/in"}"#,
        Some("s3cret-token\n"),
    ));
    let (outbound_now, token): (serde_json::Value, Option<String>) =
        sqlx::query_as("select outbound, secrets->>'wms_token' from connector where name = 'reno'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(outbound_now["url"], "https://wms.example.com/in");
    let token = token.unwrap();
    assert!(token.starts_with("mpenc:v1:"), "sealed at rest: {token}");
    assert_eq!(
        server::secrets::keyring().open(&token).unwrap(),
        "s3cret-token"
    );
    let audit: serde_json::Value =
        sqlx::query_scalar("select detail from audit_log where action = 'connector.outbound'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audit["after"]["url"], "https://wms.example.com/in");
    assert!(
        !audit.to_string().contains("s3cret-token"),
        "no secret in the audit log"
    );
}

#[sqlx::test(migrations = false)]
async fn an_odoo_connection_pulls_from_now_unless_the_integrator_says_where(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    support::assert_ok(&milepost(
        &[
            "connector",
            "add",
            "--name",
            "odoo",
            "--kind",
            "erp",
            "--format",
            "odoo",
        ],
        &env,
        None,
    ));
    let outbound = |settings: &str| {
        milepost(
            &[
                "connector",
                "outbound",
                "--name",
                "odoo",
                "--secret-stdin",
                "--settings",
                settings,
            ],
            &env,
            Some("odoo-api-key\n"),
        )
    };
    let cursor = || async {
        sqlx::query_scalar::<_, chrono::DateTime<chrono::Utc>>(
            "select position from sync_cursor c join connector n using (connector_id) where n.name = 'odoo'",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
    };
    let before = chrono::Utc::now();
    support::assert_ok(&outbound(
        r#"{"system": "odoo", "base_url": "https://erp.example.com", "database": "prod", "poll_seconds": 60}"#,
    ));
    let first = cursor().await;
    assert!(
        first >= before - chrono::Duration::seconds(1),
        "from now, not a day back: {first}"
    );

    // Saving again keeps the place; an explicit pull_from moves it, back too.
    support::assert_ok(&outbound(
        r#"{"system": "odoo", "base_url": "https://erp.example.com", "database": "prod", "poll_seconds": 30}"#,
    ));
    assert_eq!(cursor().await, first);
    let out = outbound(
        r#"{"system": "odoo", "base_url": "https://erp.example.com", "database": "prod", "pull_from": "2026-11-30T00:00:00Z"}"#,
    );
    support::assert_ok(&out);
    assert!(String::from_utf8_lossy(&out.stdout).contains("2026-11-30T00:00:00+00:00"));
    assert_eq!(cursor().await.to_rfc3339(), "2026-11-30T00:00:00+00:00");
    let bad = outbound(
        r#"{"system": "odoo", "base_url": "https://erp.example.com", "database": "prod", "pull_from": "yesterday"}"#,
    );
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("pull_from"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[sqlx::test(migrations = false)]
async fn webhook_subscriptions_refuse_bad_input_and_show_the_secret_once(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    support::assert_ok(&milepost(
        &["account", "add", "--code", "ACME", "--name", "Acme"],
        &env,
        None,
    ));
    let add = |args: &[&str]| {
        let mut all = vec!["webhook", "add"];
        all.extend_from_slice(args);
        milepost(&all, &env, None)
    };
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).to_string();
    let unknown = add(&["--account", "NOPE", "--url", "https://x.example/h"]);
    assert!(stderr(&unknown).contains("no account has the code NOPE"));
    let bad_url = add(&["--account", "ACME", "--url", "ftp://x.example/h"]);
    assert!(stderr(&bad_url).contains("must be an http(s) URL"));
    let metadata = add(&[
        "--account",
        "ACME",
        "--url",
        "http://169.254.169.254/latest",
    ]);
    assert!(
        stderr(&metadata).contains("private, loopback or link-local"),
        "{}",
        stderr(&metadata)
    );
    let bad_type = add(&[
        "--account",
        "ACME",
        "--url",
        "https://x.example/h",
        "--type",
        "order.teleported",
    ]);
    assert!(stderr(&bad_type).contains("--type order.teleported"));
    let count: i64 = sqlx::query_scalar("select count(*) from webhook_subscription")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing saved from bad input");

    let added = add(&[
        "--account",
        "acme",
        "--url",
        "https://x.example/h",
        "--type",
        "shipment.delivered",
        "--type",
        "report.published",
    ]);
    support::assert_ok(&added);
    assert!(String::from_utf8_lossy(&added.stdout).contains("whsec_"));
    let listed =
        String::from_utf8_lossy(&milepost(&["webhook", "list"], &env, None).stdout).to_string();
    assert!(
        listed.contains("ACME")
            && listed.contains("shipment.delivered,report.published")
            && listed.contains("active"),
        "{listed}"
    );
    assert!(!listed.contains("whsec_"), "the secret is shown only once");
    let missing = milepost(&["webhook", "resume", "--id", "999"], &env, None);
    assert!(stderr(&missing).contains("no webhook 999"));
}

#[sqlx::test(migrations = false)]
async fn secrets_are_sealed_at_rest_and_rotate_to_a_new_key(pool: sqlx::PgPool) {
    let url = url_of(&pool).await;
    let old = server::secrets::Keyring::new_key();
    let new = server::secrets::Keyring::new_key();
    let both = format!("{new}\n{old}");
    let with_key = |key: &str| -> Vec<(String, String)> {
        vec![
            ("DATABASE_URL".into(), url.clone()),
            ("MILEPOST_SECRETS_KEY".into(), key.to_string()),
        ]
    };
    let run = |args: &[&str], env: &[(String, String)]| {
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        milepost(args, &env, None)
    };
    let added = run(
        &[
            "connector",
            "add",
            "--name",
            "acme-wms",
            "--kind",
            "wms",
            "--format",
            "milepost_wms",
        ],
        &with_key(&old),
    );
    support::assert_ok(&added);
    let shown = String::from_utf8_lossy(&added.stdout).to_string();
    let secret = shown
        .split_whitespace()
        .find(|w| w.starts_with("whsec_"))
        .expect("the secret is shown once")
        .to_string();
    let stored: String = sqlx::query_scalar(
        "select secrets->>'signing_secret' from connector where name = 'acme-wms'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert!(stored.starts_with("mpenc:v1:"), "sealed at rest: {stored}");
    assert!(
        !stored.contains(secret.trim_start_matches("whsec_")),
        "{stored}"
    );

    let rotated = run(&["secrets", "rotate"], &with_key(&both));
    support::assert_ok(&rotated);
    let after: String = sqlx::query_scalar(
        "select secrets->>'signing_secret' from connector where name = 'acme-wms'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_ne!(after, stored, "sealed again under the new key");
    let only_new = server::secrets::Keyring::parse(&new).unwrap();
    assert_eq!(
        only_new.open(&after).unwrap(),
        secret,
        "the new key alone opens it"
    );
    assert!(
        only_new.open(&stored).is_err(),
        "the old key is no longer needed"
    );
}

#[sqlx::test(migrations = false)]
async fn a_rotated_signing_secret_overlaps_and_every_credential_change_is_audited(
    pool: sqlx::PgPool,
) {
    let app = support::TestApp::spawn(pool.clone()).await;
    let url = url_of(&pool).await;
    let env = [("DATABASE_URL", url.as_str())];
    let secret_in = |o: &Output| {
        String::from_utf8_lossy(&o.stdout)
            .split_whitespace()
            .find(|w| w.starts_with("whsec_"))
            .expect("a secret is printed once")
            .to_string()
    };
    let added = milepost(
        &[
            "connector",
            "add",
            "--name",
            "rno",
            "--kind",
            "wms",
            "--format",
            "milepost_wms",
        ],
        &env,
        None,
    );
    support::assert_ok(&added);
    let first = secret_in(&added);
    let rotated = milepost(
        &[
            "connector",
            "rotate-secret",
            "--name",
            "rno",
            "--overlap-hours",
            "1",
        ],
        &env,
        None,
    );
    support::assert_ok(&rotated);
    let second = secret_in(&rotated);
    assert_ne!(first, second);

    let send = |secret: String, id: &'static str| {
        let app = &app;
        async move {
            let body = format!(
                r#"{{"contract": "milepost.wms.v1", "message_id": "{id}", "events": [
                    {{"id": "{id}", "type": "order.picked", "order_ref": "S1", "occurred_at": "2026-03-02T10:00:00+01:00"}}]}}"#
            );
            let now = chrono::Utc::now().timestamp();
            reqwest::Client::new()
                .post(app.url("/api/v1/webhooks/rno"))
                .header("content-type", "application/json")
                .header("webhook-id", id)
                .header("webhook-timestamp", now.to_string())
                .header(
                    "webhook-signature",
                    server::signing::standard_webhooks(&secret, id, now, body.as_bytes()),
                )
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        send(first.clone(), "m1").await,
        202,
        "the old secret still works in the overlap"
    );
    assert_eq!(
        send(second.clone(), "m2").await,
        202,
        "the new one works at once"
    );

    let again = milepost(
        &[
            "connector",
            "rotate-secret",
            "--name",
            "rno",
            "--overlap-hours",
            "0",
        ],
        &env,
        None,
    );
    support::assert_ok(&again);
    let third = secret_in(&again);
    assert_eq!(
        send(second, "m3").await,
        401,
        "no overlap: the previous secret stops at once"
    );
    assert_eq!(send(first, "m4").await, 401, "older secrets are forgotten");
    assert_eq!(send(third, "m5").await, 202);

    support::assert_ok(&milepost(
        &["apikey", "create", "--connector", "rno", "--name", "edi"],
        &env,
        None,
    ));
    let prefix: String = sqlx::query_scalar("select prefix from api_key")
        .fetch_one(&pool)
        .await
        .unwrap();
    support::assert_ok(&milepost(
        &["apikey", "rotate", "--prefix", &prefix],
        &env,
        None,
    ));
    support::assert_ok(&milepost(
        &["apikey", "revoke", "--prefix", &prefix],
        &env,
        None,
    ));
    let actions: Vec<String> = sqlx::query_scalar(
        "select action from audit_log where action like 'connector.%' or action like 'apikey.%' order by audit_log_id",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        actions,
        [
            "connector.created",
            "connector.secret_rotated",
            "connector.secret_rotated",
            "apikey.created",
            "apikey.rotated",
            "apikey.revoked"
        ]
    );
    let details: String = sqlx::query_scalar("select string_agg(detail::text, ' ') from audit_log")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(
        !details.contains("whsec_"),
        "no secret in the audit log: {details}"
    );
}

#[test]
fn a_partner_checks_samples_against_the_contract_without_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let good = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/wms/shiphero_shipment_update.json");
    let bad = dir.path().join("bad.json");
    std::fs::write(&bad, r#"{"not": "a shiphero webhook"}"#).unwrap();
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{").unwrap();

    let ok = milepost(
        &[
            "contract",
            "check",
            "--format",
            "shiphero",
            good.to_str().unwrap(),
        ],
        &[],
        None,
    );
    support::assert_ok(&ok);
    let out = String::from_utf8_lossy(&ok.stdout);
    assert!(
        out.contains("accepted (202)") && out.contains("shipment.dispatched"),
        "{out}"
    );

    // The API's own refusals: status, code and message, as the ingest endpoint answers them.
    let refused = milepost(
        &[
            "contract",
            "check",
            "--format",
            "shiphero",
            good.to_str().unwrap(),
            bad.to_str().unwrap(),
            broken.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert!(!refused.status.success());
    let out = String::from_utf8_lossy(&refused.stdout);
    let line_of = |name: &str| out.lines().find(|l| l.contains(name)).unwrap().to_string();
    assert!(line_of("bad.json").contains("refused (422)"), "{out}");
    assert!(line_of("bad.json").contains(r#""code":"invalid""#), "{out}");
    assert!(line_of("broken.json").contains("refused (400)"), "{out}");
    assert!(
        line_of("broken.json").contains(r#""code":"malformed""#),
        "{out}"
    );
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("2 of 3 sample(s) would be refused"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // Ownership as the API checks it: a carrier may not send what the warehouse owns.
    let wrong_sender = milepost(
        &[
            "contract",
            "check",
            "--format",
            "shiphero",
            "--kind",
            "carrier",
            good.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert!(!wrong_sender.status.success());
    assert!(String::from_utf8_lossy(&wrong_sender.stdout).contains("refused (403)"));
    let no_kind = milepost(
        &[
            "contract",
            "check",
            "--format",
            "canonical",
            good.to_str().unwrap(),
        ],
        &[],
        None,
    );
    assert!(String::from_utf8_lossy(&no_kind.stderr).contains("--kind erp, wms or carrier"));
}

/// A WMS endpoint for the receiver test: accepts each instruction once and says 409 to a repeat,
/// or answers every instruction with `status`.
async fn receiving_wms(
    status: Option<u16>,
) -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use axum::http::{HeaderMap, StatusCode};
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen.clone();
    let app = axum::Router::new().route(
        "/in",
        axum::routing::post(
            move |headers: HeaderMap, body: axum::Json<serde_json::Value>| {
                let seen = log.clone();
                async move {
                    if let Some(s) = status {
                        return (StatusCode::from_u16(s).unwrap(), "unknown SKU".to_string());
                    }
                    assert_eq!(headers["authorization"], "Bearer wms-secret");
                    assert_eq!(body["contract"], "milepost.release.v1");
                    let key = headers["idempotency-key"].to_str().unwrap().to_string();
                    let mut seen = seen.lock().unwrap();
                    if seen.iter().any(|s| s.ends_with(&format!(":{key}"))) {
                        return (StatusCode::CONFLICT, "seen".to_string());
                    }
                    seen.push(format!("{}:{key}", body["action"].as_str().unwrap()));
                    (StatusCode::ACCEPTED, "{}".to_string())
                }
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/in", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (url, seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wms_tests_its_endpoint_against_the_release_contract() {
    let (url, seen) = receiving_wms(None).await;
    let run = |url: String, private: bool| {
        tokio::task::spawn_blocking(move || {
            let mut args = vec!["contract", "receiver", "--url", url.as_str()];
            if private {
                args.push("--allow-private-network");
            }
            milepost(&args, &[], Some("wms-secret\n"))
        })
    };
    let out = run(url.clone(), true).await.unwrap();
    support::assert_ok(&out);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("release: accepted (202)"), "{text}");
    assert!(
        text.contains("again (must be accepted, 2xx or 409, and done once): accepted (409)"),
        "{text}"
    );
    let actions: Vec<String> = seen
        .lock()
        .unwrap()
        .iter()
        .map(|s| s.split(':').next().unwrap().to_string())
        .collect();
    assert_eq!(actions, ["release", "amend", "cancel"], "each case once");

    // A loopback endpoint needs the flag (the guarded client's rule); a refusal is explained.
    let refused = run(url, false).await.unwrap();
    assert!(!refused.status.success());
    let (bad, _) = receiving_wms(Some(400)).await;
    let out = run(bad, true).await.unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("refused for good (a dead letter)") && text.contains("unknown SKU"),
        "{text}"
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains("4 of 4 contract cases failed"));
}
