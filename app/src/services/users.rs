//! User administration, shared by the server functions and the `milepost user` command so both
//! apply the same rules. Signing in is `auth::sign_in`.

use crate::auth::password::{self, MIN_PASSWORD_CHARS};
use crate::domain::Role;
use crate::error::{AppError, FieldErrors};
use crate::store;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// A user to create.
#[derive(Debug)]
pub struct NewUser {
    pub email: String,
    /// Defaults to the part of the email before the `@`.
    pub display_name: Option<String>,
    pub role: Role,
    /// A customer needs exactly one; an account manager may have any number; others none.
    pub account_codes: Vec<String>,
    pub password: SecretString,
}

/// Checks an email address the way the database does, with a message for people.
pub fn validate_email(email: &str, errors: &mut FieldErrors) {
    let email = email.trim();
    let parts: Vec<&str> = email.split('@').collect();
    if email.is_empty() {
        errors.add("email", "is required");
    } else if parts.len() != 2
        || parts[0].is_empty()
        || !parts[1].contains('.')
        || email.contains(char::is_whitespace)
    {
        errors.add("email", "must be an address like name@example.com");
    } else if email.len() > 254 {
        errors.add("email", "must be at most 254 characters");
    }
}

pub fn validate_password(password: &SecretString, errors: &mut FieldErrors) {
    if password.expose_secret().chars().count() < MIN_PASSWORD_CHARS {
        errors.add(
            "password",
            format!("must be at least {MIN_PASSWORD_CHARS} characters"),
        );
    }
}

/// Which accounts a role takes, checked before anything is written.
fn validate_accounts(role: Role, codes: &[String], errors: &mut FieldErrors) {
    match (role, codes.len()) {
        (Role::Customer, 1) | (Role::AccountManager, _) => {}
        (Role::Customer, _) => errors.add("account", "a customer belongs to exactly one account"),
        (_, 0) => {}
        (_, _) => errors.add(
            "account",
            format!("a user with role {role} is not tied to accounts"),
        ),
    }
}

/// The accounts an account manager is assigned to; nobody else has assignments.
fn assignments(role: Role, accounts: &[Uuid]) -> &[Uuid] {
    if role == Role::AccountManager {
        accounts
    } else {
        &[]
    }
}

/// A role name from a form, or a validation error naming the field.
pub fn parse_role(name: &str) -> Result<Role, AppError> {
    name.parse().map_err(|e: crate::domain::role::UnknownRole| {
        AppError::Validation(FieldErrors::single("role", e.to_string()))
    })
}

/// Resolves account codes to ids, naming the first unknown one.
async fn account_ids(pool: &PgPool, codes: &[String]) -> Result<Vec<Uuid>, AppError> {
    let mut ids = Vec::with_capacity(codes.len());
    for code in codes {
        let code = code.trim().to_uppercase();
        match store::accounts::find_by_code(pool, &code).await? {
            Some(account) => ids.push(account.account_id),
            None => {
                return Err(AppError::Validation(FieldErrors::single(
                    "account",
                    format!("no account with code {code}"),
                )))
            }
        }
    }
    Ok(ids)
}

/// Creates a user after validating every field; `actor` is recorded in the audit log.
pub async fn create(pool: &PgPool, new: NewUser, actor: Option<Uuid>) -> Result<Uuid, AppError> {
    let mut errors = FieldErrors::default();
    validate_email(&new.email, &mut errors);
    validate_password(&new.password, &mut errors);
    validate_accounts(new.role, &new.account_codes, &mut errors);
    let email = new.email.trim().to_string();
    let display_name = new
        .display_name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| email.split('@').next().unwrap_or_default().to_string());
    if display_name.chars().count() > 100 {
        errors.add("display_name", "must be at most 100 characters");
    }
    errors.into_result()?;
    let accounts = account_ids(pool, &new.account_codes).await?;
    let hash = password::hash(new.password).await?;

    let mut tx = pool.begin().await?;
    let customer_account = (new.role == Role::Customer).then(|| accounts[0]);
    let user_id = store::users::insert(
        &mut *tx,
        &email,
        &display_name,
        new.role,
        customer_account,
        &hash,
    )
    .await?;
    store::users::set_assignments(&mut tx, user_id, assignments(new.role, &accounts)).await?;
    store::audit::record(
        &mut *tx,
        actor,
        "user.created",
        &format!("user:{user_id}"),
        json!({ "email": email, "role": new.role }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, user.role = %new.role, "user created");
    Ok(user_id)
}

/// Changes a user's role (and, for customers, their account). Their sessions end.
pub async fn set_role(
    pool: &PgPool,
    user_id: Uuid,
    role: Role,
    account_codes: Vec<String>,
    actor: Option<Uuid>,
) -> Result<(), AppError> {
    let mut errors = FieldErrors::default();
    validate_accounts(role, &account_codes, &mut errors);
    errors.into_result()?;
    let accounts = account_ids(pool, &account_codes).await?;
    let mut tx = pool.begin().await?;
    let before = store::users::find_by_id(&mut *tx, user_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let customer_account = (role == Role::Customer).then(|| accounts[0]);
    store::users::update_role(&mut *tx, user_id, role, customer_account).await?;
    store::users::set_assignments(&mut tx, user_id, assignments(role, &accounts)).await?;
    store::audit::record(
        &mut *tx,
        actor,
        "user.role_changed",
        &format!("user:{user_id}"),
        json!({ "before": before.role, "after": role }),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a new password and ends the user's sessions; returns the new auth epoch so the session
/// that made the change can stay signed in.
pub async fn set_password(
    pool: &PgPool,
    user_id: Uuid,
    password: SecretString,
    actor: Option<Uuid>,
) -> Result<i32, AppError> {
    let mut errors = FieldErrors::default();
    validate_password(&password, &mut errors);
    errors.into_result()?;
    let hash = password::hash(password).await?;
    let mut tx = pool.begin().await?;
    let epoch = store::users::update_password_hash(&mut *tx, user_id, &hash)
        .await?
        .ok_or(AppError::NotFound)?;
    store::audit::record(
        &mut *tx,
        actor,
        "user.password_changed",
        &format!("user:{user_id}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(epoch)
}

/// Disables (or enables again) a user. A disabled user cannot sign in and their sessions end at
/// their next request; nothing they did is removed. An admin cannot disable themselves (there
/// would be no one left to undo it in the worst case).
pub async fn set_disabled(
    pool: &PgPool,
    user_id: Uuid,
    disabled: bool,
    actor: Option<Uuid>,
) -> Result<(), AppError> {
    if disabled && actor == Some(user_id) {
        return Err(AppError::Conflict(
            "you cannot disable yourself; ask another admin".into(),
        ));
    }
    let mut tx = pool.begin().await?;
    if !store::users::set_disabled(&mut *tx, user_id, disabled).await? {
        return Err(AppError::NotFound);
    }
    store::audit::record(
        &mut *tx,
        actor,
        if disabled {
            "user.disabled"
        } else {
            "user.enabled"
        },
        &format!("user:{user_id}"),
        json!({}),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(user.id = %user_id, disabled, "user access changed");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_customer_must_have_exactly_one_account() {
        let mut errors = FieldErrors::default();
        validate_accounts(Role::Customer, &[], &mut errors);
        assert!(errors.0.contains_key("account"));
        let mut errors = FieldErrors::default();
        validate_accounts(Role::Customer, &["A".into(), "B".into()], &mut errors);
        assert!(errors.0.contains_key("account"));
    }

    #[test]
    fn an_agent_may_not_be_tied_to_accounts_but_an_account_manager_may() {
        let mut errors = FieldErrors::default();
        validate_accounts(Role::Agent, &["A".into()], &mut errors);
        assert!(errors.0.contains_key("account"));
        let mut errors = FieldErrors::default();
        validate_accounts(Role::AccountManager, &["A".into(), "B".into()], &mut errors);
        assert!(errors.is_empty());
    }

    #[test]
    fn malformed_emails_are_named_in_the_errors() {
        for bad in [
            "",
            "no-at-sign",
            "two@@example.com",
            "a@nodot",
            "sp ace@example.com",
        ] {
            let mut errors = FieldErrors::default();
            validate_email(bad, &mut errors);
            assert!(errors.0.contains_key("email"), "{bad:?} accepted");
        }
        let mut errors = FieldErrors::default();
        validate_email("Ana.Lopez@Example.com", &mut errors);
        assert!(errors.is_empty());
    }

    #[test]
    fn short_passwords_are_refused() {
        let mut errors = FieldErrors::default();
        validate_password(&SecretString::from("short"), &mut errors);
        assert!(errors.0["password"].contains("10"));
    }
}
