//! Users, their credentials and their account assignments.

use crate::domain::{CurrentUser, Role};
use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use std::fmt;
use uuid::Uuid;

/// A stored password hash (PHC string). Not `Serialize`, and its `Debug` is redacted, so it cannot
/// leak into a response or a log by accident.
#[derive(Clone)]
pub struct PasswordHashString(String);

impl PasswordHashString {
    pub fn from_stored(phc: String) -> Self {
        Self(phc)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHashString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHashString(<redacted>)")
    }
}

/// A user as stored, without the password hash.
#[derive(Clone, Debug)]
pub struct UserRecord {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    pub account_id: Option<Uuid>,
    pub auth_epoch: i32,
    pub created_at: DateTime<Utc>,
    /// Set when an admin disabled the user: no sign-in, no session.
    pub disabled_at: Option<DateTime<Utc>>,
}

impl UserRecord {
    pub fn into_current(self) -> CurrentUser {
        CurrentUser {
            user_id: self.user_id,
            email: self.email,
            display_name: self.display_name,
            role: self.role,
            account_id: self.account_id,
        }
    }
}

/// What a sign-in needs: the id and the stored hash.
#[derive(Debug)]
pub struct Credentials {
    pub user_id: Uuid,
    pub password_hash: PasswordHashString,
}

/// The row as sqlx reads it; `role` is text in the database (with a check constraint).
struct UserRow {
    user_id: Uuid,
    email: String,
    display_name: String,
    role: String,
    account_id: Option<Uuid>,
    auth_epoch: i32,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = sqlx::Error;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let role = row
            .role
            .parse::<Role>()
            .map_err(|e| sqlx::Error::Decode(Box::new(e)))?;
        Ok(UserRecord {
            user_id: row.user_id,
            email: row.email,
            display_name: row.display_name,
            role,
            account_id: row.account_id,
            auth_epoch: row.auth_epoch,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
        })
    }
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    email: &str,
    display_name: &str,
    role: Role,
    account_id: Option<Uuid>,
    password_hash: &PasswordHashString,
) -> sqlx::Result<Uuid> {
    sqlx::query_scalar!(
        r#"
        insert into app_user (email, display_name, role, account_id, password_hash)
        values ($1, $2, $3, $4, $5)
        returning user_id
        "#,
        email,
        display_name,
        role.as_str(),
        account_id,
        password_hash.as_str()
    )
    .fetch_one(db)
    .await
}

pub async fn find_by_id(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as!(
        UserRow,
        r#"
        select user_id, email, display_name, role, account_id, auth_epoch, created_at as "created_at: DateTime<Utc>",
               disabled_at as "disabled_at: DateTime<Utc>"
        from app_user where user_id = $1
        "#,
        user_id
    )
    .fetch_optional(db)
    .await?
    .map(UserRecord::try_from)
    .transpose()
}

pub async fn find_by_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<UserRecord>> {
    sqlx::query_as!(
        UserRow,
        r#"
        select user_id, email, display_name, role, account_id, auth_epoch, created_at as "created_at: DateTime<Utc>",
               disabled_at as "disabled_at: DateTime<Utc>"
        from app_user where lower(email) = lower($1)
        "#,
        email
    )
    .fetch_optional(db)
    .await?
    .map(UserRecord::try_from)
    .transpose()
}

pub async fn find_credentials_by_email(
    db: impl PgExecutor<'_>,
    email: &str,
) -> sqlx::Result<Option<Credentials>> {
    let row = sqlx::query!(
        r#"select user_id, password_hash from app_user where lower(email) = lower($1)"#,
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| Credentials {
        user_id: r.user_id,
        password_hash: PasswordHashString::from_stored(r.password_hash),
    }))
}

pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<UserRecord>> {
    sqlx::query_as!(
        UserRow,
        r#"
        select user_id, email, display_name, role, account_id, auth_epoch, created_at as "created_at: DateTime<Utc>",
               disabled_at as "disabled_at: DateTime<Utc>"
        from app_user order by lower(email)
        "#
    )
    .fetch_all(db)
    .await?
    .into_iter()
    .map(UserRecord::try_from)
    .collect()
}

/// Changes the role and bumps the auth epoch, which ends the user's sessions.
pub async fn update_role(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    role: Role,
    account_id: Option<Uuid>,
) -> sqlx::Result<()> {
    let done = sqlx::query!(
        r#"
        update app_user
        set role = $2, account_id = $3, auth_epoch = auth_epoch + 1, updated_at = now()
        where user_id = $1
        "#,
        user_id,
        role.as_str(),
        account_id
    )
    .execute(db)
    .await?;
    if done.rows_affected() == 0 {
        return Err(sqlx::Error::RowNotFound);
    }
    Ok(())
}

/// Replaces the password hash and bumps the auth epoch; returns the new epoch, or `None` when
/// there is no such user.
pub async fn update_password_hash(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    password_hash: &PasswordHashString,
) -> sqlx::Result<Option<i32>> {
    sqlx::query_scalar!(
        r#"
        update app_user
        set password_hash = $2, auth_epoch = auth_epoch + 1, updated_at = now()
        where user_id = $1
        returning auth_epoch
        "#,
        user_id,
        password_hash.as_str()
    )
    .fetch_optional(db)
    .await
}

/// Replaces a user's account assignments with `account_ids` (none clears them).
pub async fn set_assignments(
    conn: &mut sqlx::PgConnection,
    user_id: Uuid,
    account_ids: &[Uuid],
) -> sqlx::Result<()> {
    sqlx::query!(
        r#"delete from account_manager_assignment where user_id = $1"#,
        user_id
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query!(
        r#"
        insert into account_manager_assignment (user_id, account_id)
        select $1, account_id from unnest($2::uuid[]) as t(account_id)
        "#,
        user_id,
        account_ids
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The account codes each account manager is assigned to.
pub async fn assigned_account_codes(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar!(
        r#"
        select a.code from account_manager_assignment m
        join account a using (account_id)
        where m.user_id = $1 order by a.code
        "#,
        user_id
    )
    .fetch_all(db)
    .await
}

/// The accounts an account manager is assigned to.
pub async fn assigned_account_ids(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
) -> sqlx::Result<Vec<Uuid>> {
    sqlx::query_scalar!(
        r#"select account_id from account_manager_assignment where user_id = $1"#,
        user_id
    )
    .fetch_all(db)
    .await
}

/// Disables or enables a user; either way the auth epoch moves, so a disabled user's sessions end
/// at their next request. Returns whether the user exists.
pub async fn set_disabled(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    disabled: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query!(
        r#"
        update app_user
        set disabled_at = case when $2 then coalesce(disabled_at, now()) end,
            auth_epoch = auth_epoch + 1, updated_at = now()
        where user_id = $1
        "#,
        user_id,
        disabled
    )
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
