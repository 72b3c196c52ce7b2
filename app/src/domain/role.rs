//! Roles and what each may open. The server enforces access in every server function; this table
//! also drives the navigation, so what a role sees and what it may call cannot drift apart.

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// The one role a user has.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Everything: users, accounts, policies, connectors, keys.
    Admin,
    /// Integration operations: monitor, jobs, raw messages, replay, mappings.
    Integrator,
    /// Customer service: all accounts' orders, timelines, the exception queue.
    Agent,
    /// Only the accounts assigned to them: SLA reports, order views.
    AccountManager,
    /// Portal login: only their own account's orders.
    Customer,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Integrator,
        Role::Agent,
        Role::AccountManager,
        Role::Customer,
    ];

    /// The name stored in the database and accepted on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Integrator => "integrator",
            Role::Agent => "agent",
            Role::AccountManager => "account_manager",
            Role::Customer => "customer",
        }
    }

    /// How the role is shown to people.
    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Administrator",
            Role::Integrator => "Integrator",
            Role::Agent => "Customer service agent",
            Role::AccountManager => "Account manager",
            Role::Customer => "Customer",
        }
    }

    /// Where a user of this role lands after signing in: the page their work starts from.
    pub fn home(self) -> Section {
        match self {
            Role::Admin => Section::Dashboard,
            Role::Integrator => Section::Integrations,
            Role::Agent => Section::Exceptions,
            Role::AccountManager => Section::Reports,
            Role::Customer => Section::Portal,
        }
    }

    /// The sections this role may open, in navigation order.
    pub fn sections(self) -> Vec<Section> {
        Section::ALL
            .into_iter()
            .filter(|s| s.allowed_roles().contains(&self))
            .collect()
    }

    /// Whether this role may open `section`.
    pub fn may_open(self, section: Section) -> bool {
        section.allowed_roles().contains(&self)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A role name that is not one of the five roles.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown role `{0}`: expected one of admin, integrator, agent, account_manager, customer")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL
            .into_iter()
            .find(|r| r.as_str() == s)
            .ok_or_else(|| UnknownRole(s.to_string()))
    }
}

/// A top-level area of the application, with its path and the roles that may open it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Section {
    Dashboard,
    Orders,
    Exceptions,
    Integrations,
    Reports,
    Portal,
    Admin,
}

impl Section {
    /// The section a path belongs to (its own path or one below it), for the navigation and
    /// for where a sign-in may go next.
    pub fn of_path(path: &str) -> Option<Section> {
        Section::ALL
            .into_iter()
            .find(|s| path == s.path() || path.starts_with(&format!("{}/", s.path())))
    }

    pub const ALL: [Section; 7] = [
        Section::Dashboard,
        Section::Orders,
        Section::Exceptions,
        Section::Integrations,
        Section::Reports,
        Section::Portal,
        Section::Admin,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Section::Dashboard => "/dashboard",
            Section::Orders => "/orders",
            Section::Exceptions => "/exceptions",
            Section::Integrations => "/integrations",
            Section::Reports => "/reports",
            Section::Portal => "/portal",
            Section::Admin => "/admin",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Section::Dashboard => "Dashboard",
            Section::Orders => "Orders",
            Section::Exceptions => "Exceptions",
            Section::Integrations => "Integrations",
            Section::Reports => "Reports",
            Section::Portal => "My orders",
            Section::Admin => "Admin",
        }
    }

    /// Who sees what. Admins see everything except the customer portal, which is a
    /// customer's own view of one account.
    pub fn allowed_roles(self) -> &'static [Role] {
        use Role::*;
        match self {
            Section::Dashboard => &[Admin, Agent, AccountManager],
            Section::Orders => &[Admin, Agent, AccountManager],
            Section::Exceptions => &[Admin, Agent],
            Section::Integrations => &[Admin, Integrator],
            Section::Reports => &[Admin, AccountManager],
            Section::Portal => &[Customer],
            Section::Admin => &[Admin],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_role_may_open_its_own_home() {
        for role in Role::ALL {
            assert!(role.may_open(role.home()), "{role} cannot open its home");
        }
    }

    #[test]
    fn role_names_round_trip_through_their_database_form() {
        for role in Role::ALL {
            assert_eq!(role.as_str().parse::<Role>(), Ok(role));
        }
    }

    #[test]
    fn an_unknown_role_name_is_rejected_with_the_valid_names() {
        let err = "superuser".parse::<Role>().unwrap_err();
        assert!(err.to_string().contains("account_manager"));
    }

    #[test]
    fn a_customer_sees_only_the_portal() {
        assert_eq!(Role::Customer.sections(), vec![Section::Portal]);
    }

    #[test]
    fn only_admins_open_the_admin_section() {
        let admins: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| r.may_open(Section::Admin))
            .collect();
        assert_eq!(admins, vec![Role::Admin]);
    }

    #[test]
    fn an_integrator_sees_integrations_but_no_customer_orders() {
        assert_eq!(Role::Integrator.sections(), vec![Section::Integrations]);
    }
}
