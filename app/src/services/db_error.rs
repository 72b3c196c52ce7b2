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
        tracing::error!(error = %err, "database error");
        AppError::Internal
    }
}

impl From<tower_sessions::session::Error> for AppError {
    fn from(err: tower_sessions::session::Error) -> Self {
        tracing::error!(error = %err, "session store error");
        AppError::Internal
    }
}
