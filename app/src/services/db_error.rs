//! How database errors become errors a client may see.

use crate::error::AppError;

/// Unique constraints whose violation is the user's to fix, with the message they see.
const CONFLICTS: &[(&str, &str)] = &[
    (
        "app_user_email_key",
        "a user with this email already exists",
    ),
    (
        "account_code_key",
        "an account with this code already exists",
    ),
    (
        "dispute_one_open",
        "this clock already has an open dispute: its progress is shown below",
    ),
];

impl From<sqlx::Error> for AppError {
    fn from(err: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = err {
            return AppError::NotFound;
        }
        if let Some(db) = err.as_database_error() {
            if let Some(constraint) = db.constraint() {
                if let Some((_, message)) = CONFLICTS.iter().find(|(name, _)| *name == constraint) {
                    return AppError::Conflict((*message).to_string());
                }
            }
        }
        if is_unavailable(&err) {
            tracing::warn!(error = %err, "database unavailable");
            return AppError::Unavailable;
        }
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

/// Whether the error means the database could not be reached or is refusing work for now (no
/// connection, pool exhausted, shutting down, too many clients): a retry may succeed, so the
/// caller is told 503 with `Retry-After`, not 500.
pub fn is_unavailable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db.code().is_some_and(|code| {
            // Class 08: connection exception; 57P01-57P03: shutting down or starting up;
            // 53300: too many connections.
            code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")
        }),
        _ => false,
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        // The session store is the database: a store failure is almost always the database
        // being unreachable, which the caller may retry.
        if let tower_sessions::session::Error::Store(_) = err {
            tracing::warn!(error = %err, "session store unavailable");
            return AppError::Unavailable;
        }
        tracing::error!(error = %err, "session error");
        AppError::Internal
    }
}
