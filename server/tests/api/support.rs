//! The real application started on port 0 against a fresh database, with typed helpers.

use app::domain::Role;
use app::services::users::{self, NewUser};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, ORIGIN};
use reqwest::{Client, Response};
use secrecy::SecretString;
use server::settings::Settings;
use server::startup::Application;
use sqlx::PgPool;
use std::collections::HashMap;
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
}

impl TestApp {
    /// Starts the app against `pool` (a fresh database from `#[sqlx::test]`), migrated.
    pub async fn spawn(pool: PgPool) -> Self {
        Self::spawn_with(pool, |_| {}).await
    }

    /// Like `spawn`, with the settings adjusted first.
    pub async fn spawn_with(pool: PgPool, adjust: impl FnOnce(&mut Settings)) -> Self {
        Self::spawn_in(pool, server::startup::Runtime::default(), adjust).await
    }

    /// Like `spawn`, sharing `runtime` (the health of background tasks, the stop token) with
    /// whatever else the test runs, as `milepost serve` shares it with its workers.
    pub async fn spawn_in(
        pool: PgPool,
        runtime: server::startup::Runtime,
        adjust: impl FnOnce(&mut Settings),
    ) -> Self {
        let vars: HashMap<&str, &str> = HashMap::from([("MILEPOST_LISTEN_ADDR", "127.0.0.1:0")]);
        let mut settings =
            Settings::from_lookup(|k| vars.get(k).map(|v| v.to_string())).expect("test settings");
        adjust(&mut settings);
        server::database::migrate(&pool).await.expect("migrations");
        let pools = server::database::Pools::single(pool.clone());
        let app = Application::build_with(&settings, &pools, runtime)
            .await
            .expect("app builds");
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.run_until_stopped(std::future::pending()));
        Self { address, pool }
    }

    /// A browser-like client: keeps cookies, follows no redirects, asks for HTML, and sends this
    /// site's Origin on every request as browsers do on POST.
    pub fn browser(&self) -> Client {
        let mut headers = HeaderMap::new();
        headers.insert(ORIGIN, HeaderValue::from_str(&self.address).unwrap());
        // What a browser sends when it navigates to a page.
        headers.insert(
            ACCEPT,
            HeaderValue::from_static("text/html,application/xhtml+xml,*/*;q=0.8"),
        );
        // A request that never answers fails the test (naming it) instead of hanging the suite.
        Client::builder()
            .timeout(Duration::from_secs(120))
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(headers)
            .build()
            .unwrap()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// The HTML of the page at `path` as `client` gets it.
    pub async fn page(&self, client: &Client, path: &str) -> String {
        client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
            .text()
            .await
            .expect("a body")
    }

    /// Adds an account with `code`.
    pub async fn account(&self, code: &str) {
        app::services::accounts::create(&self.pool, code, &format!("{code} Ltd"), None)
            .await
            .expect("account");
    }

    /// Adds a user of `role` with the test password; customers get account `ACME` (created if needed).
    pub async fn user(&self, role: Role, email: &str) -> uuid::Uuid {
        let accounts = if role == Role::Customer || role == Role::AccountManager {
            if app::store::accounts::find_by_code(&self.pool, "ACME")
                .await
                .unwrap()
                .is_none()
            {
                self.account("ACME").await;
            }
            vec!["ACME".to_string()]
        } else {
            vec![]
        };
        let new = NewUser {
            email: email.to_string(),
            display_name: None,
            role,
            account_codes: accounts,
            password: SecretString::from(PASSWORD),
        };
        users::create(&self.pool, new, None).await.expect("user")
    }

    /// Calls a server function (form-encoded, as Leptos does) with `client`.
    pub async fn call(&self, client: &Client, endpoint: &str, form: &[(&str, &str)]) -> Response {
        client
            .post(self.url(&format!("/fn/{endpoint}")))
            .header(ACCEPT, "application/json")
            .form(form)
            .send()
            .await
            .expect("request")
    }

    pub async fn login(&self, client: &Client, email: &str, password: &str) -> Response {
        self.call(
            client,
            "auth/login",
            &[("email", email), ("password", password)],
        )
        .await
    }

    /// A signed-in browser for a new user of `role`.
    pub async fn signed_in(&self, role: Role) -> Client {
        let email = format!("{}-{}@example.com", role.as_str(), uuid::Uuid::new_v4());
        self.user(role, &email).await;
        let client = self.browser();
        let res = self.login(&client, &email, PASSWORD).await;
        assert_eq!(res.status(), 200, "sign-in as {role}");
        client
    }

    /// A browser signed in as an existing user.
    pub async fn signed_in_as(&self, email: &str) -> Client {
        let client = self.browser();
        let res = self.login(&client, email, PASSWORD).await;
        assert_eq!(res.status(), 200, "sign-in as {email}");
        client
    }

    pub async fn whoami(&self, client: &Client) -> serde_json::Value {
        self.call(client, "auth/whoami", &[])
            .await
            .json()
            .await
            .expect("json")
    }
}

/// The value of the session cookie in a `Set-Cookie` header of `res`, if any.
pub fn session_cookie(res: &Response) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{}=", server::startup::SESSION_COOKIE)))
        .map(str::to_string)
}

/// Sends `signal` to a child process, as an operator's Ctrl-C or a supervisor's stop would.
pub fn send_signal(child: &std::process::Child, signal: nix::sys::signal::Signal) {
    nix::sys::signal::kill(nix::unistd::Pid::from_raw(child.id() as i32), signal)
        .expect("signal sent");
}

/// Whether the stored password of `email` is `password`.
pub async fn password_is(pool: &PgPool, email: &str, password: &str) -> bool {
    let creds = app::store::users::find_credentials_by_email(pool, email)
        .await
        .unwrap()
        .expect("user exists");
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(1));
    app::auth::password::verify(
        &slots,
        password.to_string().into(),
        Some(creds.password_hash),
    )
    .await
    .unwrap()
}

/// Waits until `url` answers at all, for up to 30 s.
pub async fn wait_for(url: &str) -> bool {
    for _ in 0..300 {
        if reqwest::get(url).await.is_ok() {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Fails the test with the command's stderr when it did not succeed.
pub fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A connector of any format, all its kind's types, in `zone` (for times without an offset).
pub async fn connector(
    pool: &PgPool,
    name: &str,
    kind: &str,
    format: &str,
    zone: Option<&str>,
) -> server::ingest::setup::CreatedConnector {
    server::ingest::setup::create_connector(
        pool,
        &server::ingest::setup::ConnectorSpec {
            name,
            kind,
            format,
            types: vec![],
            time_zone: zone,
            warehouse_code: None,
        },
    )
    .await
    .unwrap()
}

/// A canonical-format connector named `name` of `kind` (`erp`, `wms`, `carrier`), created and
/// read back as the ingest path uses it.
pub async fn canonical_connector(
    pool: &PgPool,
    name: &str,
    kind: &str,
) -> server::ingest::connector::Connector {
    server::ingest::setup::create_connector(
        pool,
        &server::ingest::setup::ConnectorSpec {
            name,
            kind,
            format: "canonical",
            types: vec![],
            time_zone: None,
            warehouse_code: None,
        },
    )
    .await
    .unwrap();
    existing_connector(pool, name).await
}

/// A connector created earlier, read as the ingest path uses it.
pub async fn existing_connector(pool: &PgPool, name: &str) -> server::ingest::connector::Connector {
    let record = server::store::connectors::find_by_name(pool, name)
        .await
        .unwrap()
        .unwrap();
    server::ingest::connector::Connector::try_from(record).unwrap()
}

/// Sends one canonical event as its own message (`message_id`) through the ingest pipeline, as
/// the HTTP API would after authentication.
pub async fn send_canonical(
    writer: &server::ingest::writer::Writer,
    connector: &server::ingest::connector::Connector,
    message_id: String,
    event: &serde_json::Value,
) -> server::ingest::pipeline::Receipt {
    use server::ingest::adapters::{canonical, Parsed};
    let body = event.to_string().into_bytes();
    let parsed = canonical::parse_single(&body)
        .map(|e| Parsed {
            events: vec![e],
            ..Parsed::default()
        })
        .map_err(Into::into);
    let inbound = server::ingest::pipeline::Inbound {
        connector,
        body: &body,
        content_type: Some("application/cloudevents+json"),
        headers: serde_json::json!({}),
        header_message_id: Some(message_id),
        received_at: chrono::Utc::now(),
    };
    server::ingest::pipeline::ingest(writer, &inbound, parsed)
        .await
        .unwrap()
}

/// One canonical connector per kind, named after it: `[erp, wms, carrier]`.
pub async fn canonical_connectors(pool: &PgPool) -> Vec<server::ingest::connector::Connector> {
    let mut out = Vec::new();
    for kind in ["erp", "wms", "carrier"] {
        out.push(canonical_connector(pool, kind, kind).await);
    }
    out
}

/// Delivers each `(sender index, event)` as its own message and folds it before the next.
pub async fn deliver_each(
    pool: &PgPool,
    connectors: &[server::ingest::connector::Connector],
    messages: &[(usize, serde_json::Value)],
) {
    let writer = server::ingest::writer::Writer::start(pool.clone());
    for (i, (sender, event)) in messages.iter().enumerate() {
        // Each delivery its own message: a duplicate here is the same event resent.
        let message_id = format!("delivery-{}-{i}", event["id"].as_str().unwrap());
        send_canonical(&writer, &connectors[*sender], message_id, event).await;
        server::projector::drain(pool).await.unwrap();
    }
}

/// Waits until `done` holds, up to `secs` seconds.
pub async fn eventually<F, Fut>(secs: u64, what: &str, mut done: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while tokio::time::Instant::now() < deadline {
        if done().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// The sync engine with short waits (a fast poll, short backoffs, a quick breaker), for tests
/// that run the workers against the stand-ins.
pub fn fast_engine() -> server::sync::engine::EngineSettings {
    use server::sync::{breaker::BreakerPolicy, retry::RetryPolicy, runner::RunnerSettings};
    server::sync::engine::EngineSettings {
        runner: RunnerSettings {
            lease: Duration::from_secs(10),
            poll: Duration::from_millis(100),
        },
        retry: RetryPolicy {
            base: Duration::from_millis(50),
            cap: Duration::from_millis(400),
        },
        breaker: BreakerPolicy {
            threshold: 3,
            cooldown: Duration::from_millis(200),
            max_cooldown: Duration::from_millis(800),
        },
    }
}

/// The app, the Odoo/WMS/carrier stand-ins pointed at it and the workers, for flow tests: the
/// story steps 40 ms apart, no catch-up pull; `configure` changes the rest. Stop the workers
/// with `stop` and await `workers` at the end.
pub struct LiveFlow {
    pub app: TestApp,
    pub live: server::simulators::live::Live,
    pub stop: tokio_util::sync::CancellationToken,
    pub workers: tokio::task::JoinHandle<anyhow::Result<()>>,
}

pub async fn live_flow(
    pool: &PgPool,
    configure: impl FnOnce(&mut server::simulators::live::LiveOptions),
) -> LiveFlow {
    let app = TestApp::spawn(pool.clone()).await;
    let mut options = server::simulators::live::LiveOptions::new(&app.address);
    options.step = Duration::from_millis(40);
    options.poll_seconds = None;
    configure(&mut options);
    let live = server::simulators::live::start(pool, &options)
        .await
        .unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let workers = tokio::spawn(server::workers::run_with(
        pool.clone(),
        fast_engine(),
        stop.clone(),
    ));
    LiveFlow {
        app,
        live,
        stop,
        workers,
    }
}
