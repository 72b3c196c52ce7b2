//! Every server function checks the caller's role itself: called over HTTP without the UI.

use crate::support;

use app::domain::Role;
use support::TestApp;

/// Admin-only server functions, with arguments that would succeed for an admin.
const ADMIN_ONLY: &[(&str, &[(&str, &str)])] = &[
    ("users/list", &[]),
    (
        "users/create",
        &[
            ("email", "x@example.com"),
            ("display_name", "X"),
            ("role", "agent"),
            ("accounts", ""),
            ("password", "long enough pw"),
        ],
    ),
    (
        "users/set_role",
        &[
            ("user_id", "00000000-0000-0000-0000-000000000000"),
            ("role", "agent"),
            ("accounts", ""),
        ],
    ),
    (
        "users/set_password",
        &[
            ("user_id", "00000000-0000-0000-0000-000000000000"),
            ("password", "long enough pw"),
        ],
    ),
    ("accounts/list", &[]),
    ("accounts/create", &[("code", "NEWCO"), ("name", "New Co")]),
];

#[sqlx::test(migrations = false)]
async fn a_customer_calling_admin_only_server_functions_gets_403(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let customer = app.signed_in(Role::Customer).await;
    for (endpoint, form) in ADMIN_ONLY {
        let res = app.call(&customer, endpoint, form).await;
        assert_eq!(res.status(), 403, "{endpoint}");
        assert!(
            res.text().await.unwrap().contains("Forbidden"),
            "{endpoint}"
        );
    }
    assert!(app_has_no_account(&app, "NEWCO").await);
}

#[sqlx::test(migrations = false)]
async fn every_role_but_admin_is_refused_by_admin_only_server_functions(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    for role in [Role::Integrator, Role::Agent, Role::AccountManager] {
        let client = app.signed_in(role).await;
        for (endpoint, form) in ADMIN_ONLY {
            assert_eq!(
                app.call(&client, endpoint, form).await.status(),
                403,
                "{role} {endpoint}"
            );
        }
    }
}

#[sqlx::test(migrations = false)]
async fn an_anonymous_call_gets_401(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let anonymous = app.browser();
    for (endpoint, form) in ADMIN_ONLY {
        assert_eq!(
            app.call(&anonymous, endpoint, form).await.status(),
            401,
            "{endpoint}"
        );
    }
    let res = app
        .call(
            &anonymous,
            "auth/change_password",
            &[("current_password", "a"), ("new_password", "b")],
        )
        .await;
    assert_eq!(res.status(), 401);
}

#[sqlx::test(migrations = false)]
async fn an_admin_creates_a_user_who_can_then_sign_in(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.signed_in(Role::Admin).await;
    app.account("ACME").await;

    let res = app
        .call(
            &admin,
            "users/create",
            &[
                ("email", "cus@acme.example"),
                ("display_name", "Cus"),
                ("role", "customer"),
                ("accounts", "acme"),
                ("password", "long enough pw"),
            ],
        )
        .await;

    assert_eq!(res.status(), 200);
    let customer = app.browser();
    assert_eq!(
        app.login(&customer, "cus@acme.example", "long enough pw")
            .await
            .status(),
        200
    );
    let me = app.whoami(&customer).await;
    assert_eq!(me["role"], "customer");
    assert!(me["account_id"].is_string());
}

#[sqlx::test(migrations = false)]
async fn bad_user_input_gets_422_naming_each_field_and_creates_nothing(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.signed_in(Role::Admin).await;

    let res = app
        .call(
            &admin,
            "users/create",
            &[
                ("email", "not-an-email"),
                ("display_name", ""),
                ("role", "customer"),
                ("accounts", ""),
                ("password", "short"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: serde_json::Value = res.json().await.unwrap();
    let fields = &body["Validation"];
    assert!(fields["email"].is_string(), "{body}");
    assert!(fields["password"].is_string(), "{body}");
    assert!(fields["account"].is_string(), "{body}");
    assert!(app::store::users::find_by_email(&app.pool, "not-an-email")
        .await
        .unwrap()
        .is_none());
}

#[sqlx::test(migrations = false)]
async fn a_duplicate_email_is_a_409_conflict(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Agent, "ana@example.com").await;
    let admin = app.signed_in(Role::Admin).await;
    let res = app
        .call(
            &admin,
            "users/create",
            &[
                ("email", "ANA@example.com"),
                ("display_name", "Ana"),
                ("role", "agent"),
                ("accounts", ""),
                ("password", "long enough pw"),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("a user with this email already exists"));
}

#[sqlx::test(migrations = false)]
async fn malformed_arguments_are_a_400(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.signed_in(Role::Admin).await;
    let res = app
        .call(
            &admin,
            "users/set_role",
            &[
                ("user_id", "not-a-uuid"),
                ("role", "agent"),
                ("accounts", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
}

async fn app_has_no_account(app: &TestApp, code: &str) -> bool {
    app::store::accounts::find_by_code(&app.pool, code)
        .await
        .unwrap()
        .is_none()
}

#[sqlx::test(migrations = false)]
async fn an_admin_resets_a_password_which_ends_that_users_sessions(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let ana = app.user(Role::Agent, "ana@example.com").await;
    let ana_browser = app.browser();
    app.login(&ana_browser, "ana@example.com", support::PASSWORD)
        .await;
    let admin = app.signed_in(Role::Admin).await;

    let res = app
        .call(
            &admin,
            "users/set_password",
            &[
                ("user_id", &ana.to_string()),
                ("password", "reset by admin"),
            ],
        )
        .await;

    assert_eq!(res.status(), 200);
    assert!(app.whoami(&ana_browser).await.is_null());
    assert_eq!(
        app.login(&app.browser(), "ana@example.com", "reset by admin")
            .await
            .status(),
        200
    );
}

#[sqlx::test(migrations = false)]
async fn changing_the_role_of_a_user_who_does_not_exist_is_a_404(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    let admin = app.signed_in(Role::Admin).await;
    let res = app
        .call(
            &admin,
            "users/set_role",
            &[
                ("user_id", &uuid::Uuid::new_v4().to_string()),
                ("role", "agent"),
                ("accounts", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), 404);
}

#[sqlx::test(migrations = false)]
async fn the_user_list_shows_each_users_accounts(pool: sqlx::PgPool) {
    let app = TestApp::spawn(pool).await;
    app.user(Role::Customer, "cus@example.com").await;
    app.user(Role::AccountManager, "mona@example.com").await;
    let admin = app.signed_in(Role::Admin).await;

    let users: Vec<serde_json::Value> = app
        .call(&admin, "users/list", &[])
        .await
        .json()
        .await
        .unwrap();

    let accounts_of =
        |email: &str| users.iter().find(|u| u["email"] == email).unwrap()["account_codes"].clone();
    assert_eq!(accounts_of("cus@example.com"), serde_json::json!(["ACME"]));
    assert_eq!(accounts_of("mona@example.com"), serde_json::json!(["ACME"]));
}
