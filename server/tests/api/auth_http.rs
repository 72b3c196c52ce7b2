//! Signing in and out over HTTP, against the real app on port 0.

use crate::support;

use app::auth::client_addr::{parse_trusted_proxies, ClientAddrPolicy};
use app::domain::Role;
use support::{session_cookie, TestApp, PASSWORD};

#[sqlx::test(migrations = false)]
async fn signing_in_starts_a_session_that_survives_a_second_request(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    let browser = app.browser();

    let res = app.login(&browser, "ana@example.com", PASSWORD).await;

    assert_eq!(res.status(), 200);
    let me: serde_json::Value = res.json().await.unwrap();
    assert_eq!(me["role"], "agent");
    let again = app.whoami(&browser).await;
    assert_eq!(again["email"], "ana@example.com");
    assert_eq!(app.whoami(&browser).await["email"], "ana@example.com");
}

#[sqlx::test(migrations = false)]
async fn emails_match_whatever_their_case(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "Ana.Lopez@Example.com").await;
    let res = app
        .login(&app.browser(), "ana.lopez@example.COM", PASSWORD)
        .await;
    assert_eq!(res.status(), 200);
}

#[sqlx::test(migrations = false)]
async fn a_wrong_password_and_an_unknown_email_get_the_same_answer(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;

    let wrong = app
        .login(&app.browser(), "ana@example.com", "not the password")
        .await;
    let unknown = app
        .login(&app.browser(), "nobody@example.com", PASSWORD)
        .await;

    assert_eq!(wrong.status(), 401);
    assert_eq!(unknown.status(), 401);
    let wrong_body = wrong.text().await.unwrap();
    assert_eq!(wrong_body, unknown.text().await.unwrap());
    assert!(wrong_body.contains("InvalidCredentials"), "{wrong_body}");
}

#[sqlx::test(migrations = false)]
async fn a_failed_sign_in_leaves_no_session(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    let browser = app.browser();
    app.login(&browser, "ana@example.com", "not the password")
        .await;
    assert!(app.whoami(&browser).await.is_null());
}

#[sqlx::test(migrations = false)]
async fn after_five_failures_for_one_email_even_the_right_password_gets_429(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    for _ in 0..5 {
        assert_eq!(
            app.login(&app.browser(), "ana@example.com", "wrong password")
                .await
                .status(),
            401
        );
    }

    let res = app.login(&app.browser(), "ANA@example.com", PASSWORD).await;

    assert_eq!(res.status(), 429);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("Too many failed attempts. Try again in 15 minutes."),
        "{body}"
    );
}

#[sqlx::test(migrations = false)]
async fn after_five_failures_from_one_address_other_emails_are_throttled_too(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    for i in 0..5 {
        app.login(
            &app.browser(),
            &format!("guess{i}@example.com"),
            "wrong password",
        )
        .await;
    }
    let res = app.login(&app.browser(), "ana@example.com", PASSWORD).await;
    assert_eq!(res.status(), 429);
}

#[sqlx::test(migrations = false)]
async fn failures_older_than_the_window_no_longer_count(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    for _ in 0..5 {
        app.login(&app.browser(), "ana@example.com", "wrong password")
            .await;
    }
    sqlx::query("update login_failure set failed_at = failed_at - interval '16 minutes'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        app.login(&app.browser(), "ana@example.com", PASSWORD)
            .await
            .status(),
        200
    );
}

#[sqlx::test(migrations = false)]
async fn signing_out_ends_the_session(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let browser = app.signed_in(Role::Agent).await;

    let res = app.call(&browser, "auth/logout", &[]).await;

    assert_eq!(res.status(), 200);
    assert!(app.whoami(&browser).await.is_null());
    let res = app.call(&browser, "users/list", &[]).await;
    assert_eq!(res.status(), 401);
}

#[sqlx::test(migrations = false)]
async fn the_session_id_changes_at_sign_in(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    app.user(Role::Admin, "root@example.com").await;
    let browser = app.browser();

    let first =
        session_cookie(&app.login(&browser, "ana@example.com", PASSWORD).await).expect("cookie");
    let second =
        session_cookie(&app.login(&browser, "root@example.com", PASSWORD).await).expect("cookie");

    let id = |c: &str| c.split(';').next().unwrap().to_string();
    assert_ne!(id(&first), id(&second));
}

#[sqlx::test(migrations = false)]
async fn the_session_cookie_is_http_only_and_same_site_lax(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    let cookie =
        session_cookie(&app.login(&app.browser(), "ana@example.com", PASSWORD).await).unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(
        !cookie.contains("Secure"),
        "plain http must not set Secure: {cookie}"
    );
}

#[sqlx::test(migrations = false)]
async fn the_session_cookie_is_secure_when_the_public_url_is_https(pool: sqlx::PgPool) {
    let app = TestApp::spawn_with(pool, |s| {
        s.public_url = "https://milepost.example.com".parse().unwrap()
    })
    .await;
    app.user(Role::Agent, "ana@example.com").await;
    let cookie =
        session_cookie(&app.login(&app.browser(), "ana@example.com", PASSWORD).await).unwrap();
    assert!(cookie.contains("Secure"), "{cookie}");
}

#[sqlx::test(migrations = false)]
async fn a_session_past_its_absolute_lifetime_ends_however_active(pool: sqlx::PgPool) {
    let app = TestApp::spawn_with(pool, |s| {
        s.session_absolute = std::time::Duration::from_secs(1)
    })
    .await;
    let browser = app.signed_in(Role::Agent).await;
    assert!(!app.whoami(&browser).await.is_null());
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(app.whoami(&browser).await.is_null());
}

#[sqlx::test(migrations = false)]
async fn an_idle_session_expires_in_the_store(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let browser = app.signed_in(Role::Agent).await;
    // What the idle timeout does, without waiting two hours: the stored expiry passes.
    sqlx::query("update tower_sessions.session set expiry_date = now() - interval '1 second'")
        .execute(&app.pool)
        .await
        .unwrap();
    assert!(app.whoami(&browser).await.is_null());
}

#[sqlx::test(migrations = false)]
async fn changing_a_password_ends_the_users_other_sessions_but_not_this_one(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    let laptop = app.browser();
    let phone = app.browser();
    app.login(&laptop, "ana@example.com", PASSWORD).await;
    app.login(&phone, "ana@example.com", PASSWORD).await;

    let res = app
        .call(
            &laptop,
            "auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;

    assert_eq!(res.status(), 200);
    assert_eq!(app.whoami(&laptop).await["email"], "ana@example.com");
    assert!(app.whoami(&phone).await.is_null());
    assert_eq!(
        app.login(&app.browser(), "ana@example.com", "a brand new secret")
            .await
            .status(),
        200
    );
}

#[sqlx::test(migrations = false)]
async fn a_password_change_needs_the_current_password(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let browser = app.signed_in(Role::Agent).await;
    let res = app
        .call(
            &browser,
            "auth/change_password",
            &[
                ("current_password", "guess guess"),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("current_password"));
}

#[sqlx::test(migrations = false)]
async fn changing_a_role_ends_that_users_sessions(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let ana = app.user(Role::Agent, "ana@example.com").await;
    let ana_browser = app.browser();
    app.login(&ana_browser, "ana@example.com", PASSWORD).await;
    let admin = app.signed_in(Role::Admin).await;

    let res = app
        .call(
            &admin,
            "users/set_role",
            &[
                ("user_id", &ana.to_string()),
                ("role", "integrator"),
                ("accounts", ""),
            ],
        )
        .await;

    assert_eq!(res.status(), 200);
    assert!(app.whoami(&ana_browser).await.is_null());
    assert_eq!(app.whoami(&admin).await["role"], "admin");
}

#[sqlx::test(migrations = false)]
async fn behind_a_proxy_the_client_is_the_right_most_hop_our_proxies_did_not_write(
    pool: sqlx::PgPool,
) {
    let app = TestApp::spawn_with(pool, |s| {
        s.client_addr = ClientAddrPolicy {
            header: Some("x-forwarded-for".into()),
            trusted_proxies: parse_trusted_proxies("127.0.0.0/8, 10.0.0.0/8").unwrap(),
        }
    })
    .await;
    app.user(Role::Agent, "ana@example.com").await;
    let from = |forwarded: &'static str, email: &'static str| {
        let app = &app;
        async move {
            app.browser()
                .post(app.url("/fn/auth/login"))
                .header("x-forwarded-for", forwarded)
                .header("accept", "application/json")
                .form(&[("email", email), ("password", "wrong password")])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    for i in 0..5 {
        let email = [
            "a@example.com",
            "b@example.com",
            "c@example.com",
            "d@example.com",
            "e@example.com",
        ][i];
        assert_eq!(from("203.0.113.7", email).await, 401);
    }
    assert_eq!(
        from("203.0.113.7", "f@example.com").await,
        429,
        "the same client is throttled"
    );
    // The attacker writes an address of their choice; the proxy appends the real one.
    assert_eq!(
        from("198.51.100.77, 203.0.113.7", "g@example.com").await,
        429,
        "an address the client wrote itself does not rotate past the limit"
    );
    let other = app
        .browser()
        .post(app.url("/fn/auth/login"))
        .header("x-forwarded-for", "198.51.100.9, 10.0.0.1")
        .header("accept", "application/json")
        .form(&[("email", "ana@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        other.status(),
        200,
        "another client behind the same chain of proxies is not"
    );
}

#[sqlx::test(migrations = false)]
async fn parallel_guesses_check_no_more_passwords_than_the_limit(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.user(Role::Agent, "ana@example.com").await;
    let attempts = (0..20).map(|_| {
        let app = &app;
        async move {
            let res = app
                .browser()
                .post(app.url("/fn/auth/login"))
                .header("accept", "application/json")
                .form(&[("email", "ana@example.com"), ("password", "wrong password")])
                .send()
                .await
                .unwrap();
            let retry_after = res.headers().get("retry-after").is_some();
            (res.status().as_u16(), retry_after)
        }
    });
    let answers = futures_util::future::join_all(attempts).await;
    let guessed = answers.iter().filter(|(s, _)| *s == 401).count();
    let refused = answers.iter().filter(|(s, _)| *s == 429).count();
    assert!(
        guessed <= 5,
        "at most the limit is checked, got {guessed}: {answers:?}"
    );
    assert_eq!(guessed + refused, 20, "{answers:?}");
    assert!(
        answers.iter().filter(|(s, _)| *s == 429).all(|(_, r)| *r),
        "429s carry Retry-After"
    );
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'login.failed'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(
        audited as usize, guessed,
        "every checked guess is audited, no more"
    );
}

#[sqlx::test(migrations = false)]
async fn the_current_password_check_when_changing_it_is_throttled(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    let ana = app.signed_in_as("ana@example.com").await;
    for _ in 0..5 {
        let res = app
            .call(
                &ana,
                "auth/change_password",
                &[
                    ("current_password", "not it at all"),
                    ("new_password", "a brand new password"),
                ],
            )
            .await;
        assert_eq!(res.status(), 422);
    }
    let res = app
        .call(
            &ana,
            "auth/change_password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(
        res.status(),
        429,
        "even the right password waits out the lockout"
    );
}

#[sqlx::test(migrations = false)]
async fn a_disabled_user_cannot_sign_in_and_their_session_ends(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool.clone()).await;
    app.user(Role::Admin, "root@example.com").await;
    let ana_id = app.user(Role::Agent, "ana@example.com").await;
    let ana = app.signed_in_as("ana@example.com").await;
    let admin = app.signed_in_as("root@example.com").await;
    let res = app
        .call(
            &admin,
            "users/set_disabled",
            &[("user_id", &ana_id.to_string()), ("disabled", "true")],
        )
        .await;
    assert_eq!(res.status(), 200);
    assert!(app.whoami(&ana).await.is_null(), "the open session ended");
    let again = app
        .browser()
        .post(app.url("/fn/auth/login"))
        .header("accept", "application/json")
        .form(&[("email", "ana@example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        401,
        "the right password does not sign a disabled user in"
    );
    let refused: i64 = sqlx::query_scalar(
        "select count(*) from audit_log where action = 'login.refused_disabled'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(refused, 1, "the refused attempt is audited");
    let audited: i64 =
        sqlx::query_scalar("select count(*) from audit_log where action = 'user.disabled'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(audited, 1);
    let res = app
        .call(
            &admin,
            "users/set_disabled",
            &[("user_id", &ana_id.to_string()), ("disabled", "false")],
        )
        .await;
    assert_eq!(res.status(), 200);
    app.signed_in_as("ana@example.com").await;
}

#[sqlx::test(migrations = false)]
async fn behind_https_responses_ask_browsers_to_keep_using_https(pool: sqlx::PgPool) {
    let app = TestApp::spawn_with(pool, |s| {
        s.public_url = "https://milepost.example.com".parse().unwrap()
    })
    .await;
    let res = app.browser().get(app.url("/healthz")).send().await.unwrap();
    assert!(res.headers()["strict-transport-security"]
        .to_str()
        .unwrap()
        .contains("max-age="));
}
