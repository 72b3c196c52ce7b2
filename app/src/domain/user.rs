//! The signed-in user as the application shows it.

use super::Role;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Who is signed in: what the navigation and pages need, never a secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The customer's account; `None` for every other role.
    pub account_id: Option<Uuid>,
}

/// A user as the admin user list shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub user_id: Uuid,
    pub email: String,
    pub display_name: String,
    pub role: Role,
    /// The customer's account, or the accounts an account manager is assigned to.
    pub account_codes: Vec<String>,
    /// Disabled by an admin: cannot sign in.
    pub disabled: bool,
}

/// An account as lists show it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSummary {
    pub account_id: Uuid,
    pub code: String,
    pub name: String,
}
