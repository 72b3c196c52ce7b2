//! The one error type a browser or API client can see.
//!
//! Server functions return `Result<T, AppError>`; the server maps each variant to its HTTP status
//! (see [`AppError::status`]). Details of `Internal` are logged where they happen, never sent.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// Messages for fields the user can fix, keyed by field name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldErrors(pub BTreeMap<String, String>);

impl FieldErrors {
    /// One field's error.
    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut errors = Self::default();
        errors.add(field, message);
        errors
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.insert(field.to_string(), message.into());
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `Ok(())` when nothing was added, else the collected errors as `AppError::Validation`.
    pub fn into_result(self) -> Result<(), AppError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(AppError::Validation(self))
        }
    }
}

impl From<FieldErrors> for AppError {
    fn from(errors: FieldErrors) -> Self {
        AppError::Validation(errors)
    }
}

/// How long a client is asked to wait when the database is unavailable.
pub const UNAVAILABLE_RETRY_SECONDS: u32 = 5;

/// Errors a browser or API client can see.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// 400: the request itself is malformed (arguments that do not decode).
    #[error("bad request: {0}")]
    BadRequest(String),
    /// 401: no valid session or key.
    #[error("please sign in")]
    Unauthorized,
    /// 401: sign-in refused. The one message for every failed sign-in, so it never reveals
    /// whether the email exists.
    #[error("invalid email or password")]
    InvalidCredentials,
    /// 403: signed in, not allowed.
    #[error("you do not have access to this")]
    Forbidden,
    /// 404: no such thing, or not visible to you.
    #[error("not found")]
    NotFound,
    /// 409: conflicts with existing data, e.g. a duplicate email. The message is for people.
    #[error("{0}")]
    Conflict(String),
    /// 422: input the user can fix, per field.
    #[error("please correct the highlighted fields")]
    Validation(FieldErrors),
    /// 429: too many attempts, or the server is busy; the message says when to try again, and the
    /// response carries `Retry-After` with the same number of seconds.
    #[error("{message}")]
    TooManyRequests {
        message: String,
        retry_after_seconds: u32,
    },
    /// 503: the database (or another part the server needs) is unavailable right now; nothing was
    /// changed. Answered with `Retry-After`.
    #[error("the service is briefly unavailable; nothing was changed, please retry in a moment")]
    Unavailable,
    /// 503: the browser could not reach the server (set on the client only).
    #[error("could not reach the server: {0}")]
    Unreachable(String),
    /// 500: something failed on our side; it has been logged.
    #[error("something went wrong on our side; it has been logged")]
    Internal,
}

impl AppError {
    /// The HTTP status this error is answered with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::BadRequest(_) => 400,
            AppError::Unauthorized | AppError::InvalidCredentials => 401,
            AppError::Forbidden => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::Validation(_) => 422,
            AppError::TooManyRequests { .. } => 429,
            AppError::Unreachable(_) | AppError::Unavailable => 503,
            AppError::Internal => 500,
        }
    }

    /// Seconds the client should wait before retrying, sent as `Retry-After`.
    pub fn retry_after_seconds(&self) -> Option<u32> {
        match self {
            AppError::TooManyRequests {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            AppError::Unavailable => Some(UNAVAILABLE_RETRY_SECONDS),
            _ => None,
        }
    }

    /// The message for one field, when this is a validation error that names it.
    pub fn field(&self, name: &str) -> Option<String> {
        match self {
            AppError::Validation(errors) => errors.0.get(name).cloned(),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg) | ServerFnErrorErr::MissingArg(msg) => {
                AppError::BadRequest(msg)
            }
            ServerFnErrorErr::Request(msg) => AppError::Unreachable(msg),
            // Everything else is a fault of ours or of the framework: report it as internal.
            _ => AppError::Internal,
        }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        f.write_str(&parts.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_has_the_status_its_documentation_promises() {
        assert_eq!(AppError::Unauthorized.status(), 401);
        assert_eq!(AppError::Forbidden.status(), 403);
        assert_eq!(AppError::NotFound.status(), 404);
        assert_eq!(AppError::Conflict("x".into()).status(), 409);
        assert_eq!(AppError::Validation(FieldErrors::default()).status(), 422);
        assert_eq!(
            AppError::TooManyRequests {
                message: "x".into(),
                retry_after_seconds: 1
            }
            .status(),
            429
        );
        assert_eq!(AppError::Unavailable.status(), 503);
        assert_eq!(AppError::Internal.status(), 500);
    }

    #[test]
    fn undecodable_arguments_are_a_bad_request_not_an_internal_error() {
        let err = AppError::from_server_fn_error(ServerFnErrorErr::Args("email".into()));
        assert_eq!(err.status(), 400);
    }

    #[test]
    fn an_empty_set_of_field_errors_is_ok() {
        assert_eq!(FieldErrors::default().into_result(), Ok(()));
        let err = FieldErrors::single("email", "is required")
            .into_result()
            .unwrap_err();
        assert_eq!(err.field("email").as_deref(), Some("is required"));
    }
}
