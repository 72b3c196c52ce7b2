//! Database rules that hold whatever code calls them.

use app::auth::password::PasswordHashString;
use app::domain::Role;
use app::error::AppError;
use app::store;

fn hash() -> PasswordHashString {
    PasswordHashString::from_stored(
        "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA".into(),
    )
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn two_users_cannot_share_an_email_in_any_case(pool: sqlx::PgPool) {
    store::users::insert(&pool, "Ana@Example.com", "Ana", Role::Agent, None, &hash())
        .await
        .unwrap();
    let err = store::users::insert(
        &pool,
        "ana@example.COM",
        "Ana 2",
        Role::Agent,
        None,
        &hash(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        AppError::from(err),
        AppError::Conflict("a user with this email already exists".into())
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_customer_without_an_account_is_refused_by_the_database(pool: sqlx::PgPool) {
    let err = store::users::insert(&pool, "c@example.com", "C", Role::Customer, None, &hash())
        .await
        .unwrap_err();
    let constraint = err
        .as_database_error()
        .and_then(|e| e.constraint())
        .map(str::to_string);
    assert_eq!(
        constraint.as_deref(),
        Some("app_user_customer_has_one_account")
    );
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn a_staff_user_cannot_be_tied_to_one_account(pool: sqlx::PgPool) {
    let account = store::accounts::insert(&pool, "ACME", "Acme")
        .await
        .unwrap();
    let err = store::users::insert(
        &pool,
        "a@example.com",
        "A",
        Role::Agent,
        Some(account),
        &hash(),
    )
    .await
    .unwrap_err();
    assert!(err.as_database_error().is_some());
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn the_audit_log_refuses_updates_and_deletes(pool: sqlx::PgPool) {
    store::audit::record(&pool, None, "test.action", "thing:1", serde_json::json!({}))
        .await
        .unwrap();
    let update = sqlx::query("update audit_log set action = 'rewritten'")
        .execute(&pool)
        .await;
    let delete = sqlx::query("delete from audit_log").execute(&pool).await;
    assert!(update.unwrap_err().to_string().contains("append-only"));
    assert!(delete.unwrap_err().to_string().contains("append-only"));
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn changing_a_password_bumps_the_auth_epoch(pool: sqlx::PgPool) {
    let id = store::users::insert(&pool, "a@example.com", "A", Role::Agent, None, &hash())
        .await
        .unwrap();
    let before = store::users::find_by_id(&pool, id)
        .await
        .unwrap()
        .unwrap()
        .auth_epoch;
    let after = store::users::update_password_hash(&pool, id, &hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(after, before + 1);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn recent_failures_are_counted_per_email_and_per_address(pool: sqlx::PgPool) {
    store::login_failures::record(&pool, "ana@example.com", "10.0.0.1")
        .await
        .unwrap();
    store::login_failures::record(&pool, "ANA@example.com", "10.0.0.2")
        .await
        .unwrap();
    store::login_failures::record(&pool, "bob@example.com", "10.0.0.1")
        .await
        .unwrap();
    let since = chrono::Utc::now() - chrono::Duration::minutes(15);
    let counts = store::login_failures::recent(&pool, "ana@example.com", "10.0.0.1", since)
        .await
        .unwrap();
    assert_eq!(counts.by_email, 2);
    assert_eq!(counts.by_client_addr, 2);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn migrations_report_themselves_applied(pool: sqlx::PgPool) {
    assert!(store::schema::migrations_applied(&pool).await.unwrap());
}

#[sqlx::test(migrations = false)]
async fn housekeeping_deletes_expired_sessions_and_old_sign_in_failures(pool: sqlx::PgPool) {
    server::database::migrate(&pool).await.unwrap();
    sqlx::query("insert into tower_sessions.session (id, data, expiry_date) values ('old', '', now() - interval '1 minute'), ('live', '', now() + interval '1 hour')")
        .execute(&pool)
        .await
        .unwrap();
    store::login_failures::record(&pool, "a@example.com", "10.0.0.1")
        .await
        .unwrap();
    sqlx::query("update login_failure set failed_at = now() - interval '2 days'")
        .execute(&pool)
        .await
        .unwrap();
    store::login_failures::record(&pool, "b@example.com", "10.0.0.1")
        .await
        .unwrap();

    server::workers::housekeeping(&pool).await.unwrap();

    let sessions: Vec<String> = sqlx::query_scalar("select id from tower_sessions.session")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(sessions, ["live"]);
    let failures: Vec<String> = sqlx::query_scalar("select email from login_failure")
        .fetch_all(&pool)
        .await
        .unwrap();
    assert_eq!(failures, ["b@example.com"]);
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn an_account_manager_keeps_exactly_the_accounts_last_assigned(pool: sqlx::PgPool) {
    use app::services::{accounts, users};
    for code in ["ACME", "GLOBEX", "INITECH"] {
        accounts::create(&pool, code, code, None).await.unwrap();
    }
    let new = users::NewUser {
        email: "mona@example.com".into(),
        display_name: None,
        role: Role::AccountManager,
        account_codes: vec!["ACME".into(), "GLOBEX".into()],
        password: "a long password".into(),
    };
    let id = users::create(&pool, new, None).await.unwrap();
    assert_eq!(
        store::users::assigned_account_codes(&pool, id)
            .await
            .unwrap(),
        ["ACME", "GLOBEX"]
    );

    users::set_role(
        &pool,
        id,
        Role::AccountManager,
        vec!["INITECH".into()],
        None,
    )
    .await
    .unwrap();
    assert_eq!(
        store::users::assigned_account_codes(&pool, id)
            .await
            .unwrap(),
        ["INITECH"]
    );

    users::set_role(&pool, id, Role::Agent, vec![], None)
        .await
        .unwrap();
    assert!(store::users::assigned_account_codes(&pool, id)
        .await
        .unwrap()
        .is_empty());
}

#[sqlx::test(migrations = false)]
async fn housekeeping_creates_the_coming_months_event_partitions(pool: sqlx::PgPool) {
    server::database::migrate(&pool).await.unwrap();
    let far = "event_".to_string()
        + &(chrono::Utc::now() + chrono::Duration::days(80))
            .format("%Y_%m")
            .to_string();
    sqlx::query(&format!("drop table if exists {far}"))
        .execute(&pool)
        .await
        .unwrap();
    server::workers::housekeeping(&pool).await.unwrap();
    let exists: bool = sqlx::query_scalar("select to_regclass($1) is not null")
        .bind(&far)
        .fetch_one(&pool)
        .await
        .unwrap();
    assert!(exists, "{far} was created");
}

#[sqlx::test(migrator = "app::store::MIGRATOR")]
async fn event_facts_cannot_change_or_disappear(pool: sqlx::PgPool) {
    sqlx::query(
        r#"insert into event (event_id, recorded_at, connector_id, inbox_message_id, source, external_id, type,
                              time_provenance, data, disposition)
           values (gen_random_uuid(), now(), 1, 1, 's', 'e1', 'order.created', 'unknown', '{}', 'pending')"#,
    )
    .execute(&pool)
    .await
    .unwrap();
    let changed = sqlx::query("update event set data = '{\"x\": 1}'")
        .execute(&pool)
        .await;
    assert!(changed.unwrap_err().to_string().contains("immutable"));
    let deleted = sqlx::query("delete from event").execute(&pool).await;
    assert!(deleted.unwrap_err().to_string().contains("append-only"));
    // The projector's verdict may change.
    sqlx::query("update event set disposition = 'applied'")
        .execute(&pool)
        .await
        .unwrap();
}
