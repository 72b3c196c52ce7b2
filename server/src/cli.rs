//! The `milepost` command line: one binary, several roles.

use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(
    name = "milepost",
    version,
    about = "Milepost: the integration layer and SLA visibility app between Odoo, warehouses and carriers"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve the web app and API, and run the workers beside it (the default).
    Serve {
        /// Serve only; run workers in separate `milepost worker` processes.
        #[arg(long)]
        no_workers: bool,
    },
    /// Run background workers only (for scale-out).
    Worker,
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Create demo data: one account and one user per role with documented passwords.
    Demo,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage accounts (the logistics provider's customers).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage the embedded Postgres cluster directly.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Subcommand, Debug)]
pub enum UserCommand {
    /// Add a user. The password is asked for, or read from stdin with --password-stdin.
    Add(UserAdd),
    /// Set a user's password (ends their sessions).
    SetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
}

#[derive(Args, Debug)]
pub struct UserAdd {
    #[arg(long)]
    pub email: String,
    /// admin, integrator, agent, account_manager or customer.
    #[arg(long)]
    pub role: String,
    /// Account code: required for a customer; repeat for an account manager's accounts.
    #[arg(long = "account")]
    pub accounts: Vec<String>,
    /// Display name (default: the part of the email before the @).
    #[arg(long)]
    pub name: Option<String>,
    /// Read the password from the first line of stdin instead of prompting.
    #[arg(long)]
    pub password_stdin: bool,
}

#[derive(Subcommand, Debug)]
pub enum AccountCommand {
    /// Add an account.
    Add {
        /// Short code, e.g. ACME (letters, digits, - and _).
        #[arg(long)]
        code: String,
        #[arg(long)]
        name: String,
    },
    /// List accounts.
    List,
}

#[derive(Subcommand, Debug)]
pub enum DbCommand {
    /// Start (or reuse) the embedded cluster, print its DATABASE_URL, and leave it running.
    Start {
        /// Data directory (default: MILEPOST_DATA_DIR or .milepost).
        #[arg(long)]
        data_dir: Option<PathBuf>,
        /// fsync off: for throwaway test clusters only, never for real data.
        #[arg(long)]
        unsafe_fast: bool,
    },
    /// Stop the embedded cluster.
    Stop {
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}
