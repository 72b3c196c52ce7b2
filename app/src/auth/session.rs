//! The typed session: what Milepost keeps in a browser session, behind named methods instead of
//! raw string keys.

use crate::error::AppError;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use tower_sessions::Session;
use uuid::Uuid;

/// How often an active session's idle expiry is pushed forward. Touching on every request would
/// write the session row on every request; once a minute keeps the idle timeout accurate enough.
const TOUCH_EVERY_SECS: i64 = 60;

/// Who is signed in on this session, and since when.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SessionAuth {
    pub user_id: Uuid,
    /// The user's `auth_epoch` at sign-in; a password or role change bumps it and ends the session.
    pub auth_epoch: i32,
    pub signed_in_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
}

/// The session of the current request.
#[derive(Clone)]
pub struct UserSession(Session);

impl UserSession {
    const AUTH_KEY: &'static str = "milepost.auth";

    /// The session of the request being served by a server function or page.
    pub async fn from_request() -> Result<Self, AppError> {
        let session = leptos_axum::extract::<Session>().await.map_err(|e| {
            tracing::error!(error = ?e, "session layer missing on this route");
            AppError::Internal
        })?;
        Ok(Self(session))
    }

    /// The session of a plain axum handler (outside Leptos), from its `Session` extractor.
    pub fn new(session: Session) -> Self {
        Self(session)
    }

    /// Signs `user_id` in. The session id is cycled first so an id planted before sign-in
    /// (session fixation) is worthless afterwards.
    pub async fn login(&self, user_id: Uuid, auth_epoch: i32) -> Result<(), AppError> {
        self.0.cycle_id().await?;
        let now = Utc::now();
        let auth = SessionAuth {
            user_id,
            auth_epoch,
            signed_in_at: now,
            last_seen_at: now,
        };
        self.0.insert(Self::AUTH_KEY, auth).await?;
        Ok(())
    }

    pub async fn auth(&self) -> Result<Option<SessionAuth>, AppError> {
        Ok(self.0.get::<SessionAuth>(Self::AUTH_KEY).await?)
    }

    /// Records activity, at most once a minute, which also extends the idle expiry.
    pub async fn touch(&self, auth: &SessionAuth) -> Result<(), AppError> {
        let now = Utc::now();
        if (now - auth.last_seen_at).num_seconds() >= TOUCH_EVERY_SECS {
            let mut updated = auth.clone();
            updated.last_seen_at = now;
            self.0.insert(Self::AUTH_KEY, updated).await?;
        }
        Ok(())
    }

    /// Keeps this session signed in after its own user changed their password.
    pub async fn set_auth_epoch(&self, auth_epoch: i32) -> Result<(), AppError> {
        if let Some(mut auth) = self.auth().await? {
            auth.auth_epoch = auth_epoch;
            self.0.insert(Self::AUTH_KEY, auth).await?;
        }
        Ok(())
    }

    /// Ends the session: its data is deleted from the store and the cookie expires.
    pub async fn logout(&self) -> Result<(), AppError> {
        self.0.flush().await?;
        Ok(())
    }
}
