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
    #[cfg(feature = "tools")]
    /// Create demo data: accounts, one user per role (documented passwords), connectors, and an
    /// order history fed through the ingest pipeline.
    Demo {
        /// Orders to create.
        #[arg(long, default_value_t = 20_000)]
        orders: usize,
        /// Over how many days up to today.
        #[arg(long, default_value_t = 90)]
        days: i64,
        /// Skip the order history when the database already has orders.
        #[arg(long)]
        if_empty: bool,
        /// Then keep running the Odoo, warehouse and carrier stand-ins against the Milepost
        /// serving at --milepost-url: a new order is confirmed in Odoo every --every seconds
        /// and moves live through the real connectors (start `milepost serve` first).
        #[arg(long)]
        live: bool,
        #[arg(long, default_value = "http://127.0.0.1:3000")]
        milepost_url: String,
        #[arg(long, default_value_t = 20)]
        every: u64,
    },
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage accounts (the logistics provider's customers).
    #[command(subcommand)]
    Account(AccountCommand),
    /// Manage connectors: the systems that send messages.
    #[command(subcommand)]
    Connector(ConnectorCommand),
    /// Manage API keys for /api/v1.
    #[command(subcommand)]
    Apikey(ApikeyCommand),
    /// The key that seals stored secrets (docs/SECURITY.md).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Manage customer webhooks: accounts' subscriptions to canonical events.
    #[command(subcommand)]
    Webhook(WebhookCommand),
    /// Releases Milepost kept instead of sending (a customer mapped to no account, a warehouse
    /// no WMS serves).
    #[command(subcommand)]
    Release(ReleaseCommand),
    /// Check a partner's sample messages against Milepost's contracts before go-live.
    #[command(subcommand)]
    Contract(ContractCommand),
    /// Measure throughput.
    #[cfg(feature = "tools")]
    #[command(subcommand)]
    Bench(BenchCommand),
    /// Manage the embedded Postgres cluster directly.
    #[command(subcommand)]
    Db(DbCommand),
    /// Retention archives (docs/OPERATIONS.md, "Retention").
    #[command(subcommand)]
    Archive(ArchiveCommand),
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
    /// Disable a user: no sign-in, their sessions end (audited).
    Disable {
        #[arg(long)]
        email: String,
    },
    /// Enable a disabled user again.
    Enable {
        #[arg(long)]
        email: String,
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
    /// Map how another system names a customer to an account (e.g. an Odoo partner id).
    Map {
        #[arg(long)]
        account: String,
        /// The other system: odoo, or a WMS connector's name.
        #[arg(long)]
        system: String,
        #[arg(long)]
        external_id: String,
    },
    /// Place a legal hold: the account's events and raw messages are kept whatever their age
    /// (audited).
    Hold {
        #[arg(long)]
        account: String,
        #[arg(long)]
        reason: String,
    },
    /// Lift a legal hold; retention applies again from its next run (audited).
    Unhold {
        #[arg(long)]
        account: String,
        #[arg(long)]
        reason: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum ArchiveCommand {
    /// Check every archive in a directory against its manifest (file and content checksums,
    /// row count); exits non-zero naming the first that does not verify.
    Verify {
        /// The archive directory (default: MILEPOST_ARCHIVE_DIR).
        dir: Option<std::path::PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
pub enum ConnectorCommand {
    /// Add a connector; prints its signing secret or URL token once.
    Add {
        /// Lowercase name used in URLs, e.g. shiphero-reno.
        #[arg(long)]
        name: String,
        /// erp, wms or carrier.
        #[arg(long)]
        kind: String,
        /// canonical, odoo, milepost_wms, shiphero, shipbob, easypost, shippo, aftership or x12.
        #[arg(long)]
        format: String,
        /// Event types it may emit (default: all its kind owns). Repeat or separate by commas.
        #[arg(long = "type", value_delimiter = ',')]
        types: Vec<String>,
        /// IANA zone for times sent without an offset, e.g. America/Los_Angeles.
        #[arg(long)]
        time_zone: Option<String>,
        /// The warehouse a WMS connector speaks for.
        #[arg(long)]
        warehouse: Option<String>,
    },
    /// List connectors.
    List,
    /// Limit the accounts whose orders a connector may change (a 3PL's warehouse serving some of
    /// them). Its events for any other account's order are kept and rejected with the reason.
    Scope {
        #[arg(long)]
        name: String,
        /// Account codes. Repeat or separate by commas.
        #[arg(
            long = "account",
            value_delimiter = ',',
            required_unless_present = "all_accounts"
        )]
        accounts: Vec<String>,
        /// Serve every account again (the default for a new connector).
        #[arg(long, conflicts_with = "accounts")]
        all_accounts: bool,
    },
    /// Replace a connector's signing secret (or URL token); the old one keeps verifying for the
    /// overlap, so the sender can switch without losing messages. Prints the new one once.
    RotateSecret {
        #[arg(long)]
        name: String,
        #[arg(long, default_value_t = 24)]
        overlap_hours: i64,
    },
    /// Set how Milepost calls the connector's system (the README's connector section;
    /// docs/wms-release.md for a warehouse), checked before it is saved; the credential (Odoo
    /// API key or WMS token) is read from standard input.
    Outbound {
        #[arg(long)]
        name: String,
        /// JSON, e.g. '{"system":"wms","url":"https://wms.example.com/milepost"}', or `none`
        /// to stop calling it.
        #[arg(long)]
        settings: String,
        /// Read the credential from standard input (one line).
        #[arg(long)]
        secret_stdin: bool,
    },
}

#[derive(Subcommand, Debug)]
pub enum WebhookCommand {
    /// Subscribe an account's URL; prints the signing secret once.
    Add {
        /// The account's code.
        #[arg(long)]
        account: String,
        /// Where events are POSTed (http or https).
        #[arg(long)]
        url: String,
        /// Canonical types to deliver, and `report.published` for the monthly reports (default:
        /// all). Repeat or separate by commas.
        #[arg(long = "type", value_delimiter = ',')]
        types: Vec<String>,
        /// Allow a loopback or private address (a receiver inside your own network). Off by
        /// default: Milepost calls public addresses only.
        #[arg(long)]
        allow_private_network: bool,
    },
    /// List subscriptions, with any pause notice.
    List,
    /// Resume a paused subscription (its waiting deliveries go out).
    Resume {
        #[arg(long)]
        id: i64,
    },
    /// Deliver again every event recorded since a time (RFC 3339).
    Replay {
        #[arg(long)]
        id: i64,
        #[arg(long)]
        since: chrono::DateTime<chrono::Utc>,
    },
}

#[derive(Subcommand, Debug)]
pub enum SecretsCommand {
    /// Print a new random key (base64), to put first in the key file when rotating.
    NewKey,
    /// Seal every stored secret again under the first key of the key ring.
    Rotate,
}

#[derive(Subcommand, Debug)]
pub enum ApikeyCommand {
    /// Create a key for a connector; prints it once.
    Create {
        #[arg(long)]
        connector: String,
        /// What uses the key, e.g. "reno 3PL EDI gateway".
        #[arg(long)]
        name: String,
    },
    /// List keys (prefixes only).
    List,
    /// Revoke a key at once.
    Revoke {
        #[arg(long)]
        prefix: String,
    },
    /// Replace a key; the old one keeps working for the grace period.
    Rotate {
        #[arg(long)]
        prefix: String,
        #[arg(long, default_value_t = 24)]
        grace_hours: i64,
    },
}

#[derive(Subcommand, Debug)]
pub enum BenchCommand {
    /// Ingest throughput: single webhooks, batches, and the raw insert rate of the same rows.
    Ingest(BenchIngest),
    /// Release instructions to a stand-in WMS: throughput, and the drain after an outage.
    Release(BenchRelease),
    /// A million orders, then the dashboard's and exception queue's render times against
    /// their bare SQL.
    Sla(BenchSla),
    /// A soak of the retention policy: months of traffic, the policy after each, table sizes.
    Retention(BenchRetention),
}

#[derive(Args, Debug, Clone)]
pub struct BenchRetention {
    /// Simulated months of traffic.
    #[arg(long, default_value_t = 30)]
    pub months: u32,
    /// Raw messages (each with one event) and finished jobs per month.
    #[arg(long, default_value_t = 20_000)]
    pub messages_per_month: i64,
    /// The policy the soak runs (shorter than the defaults so it levels off within the soak).
    #[arg(long, default_value_t = 90)]
    pub body_days: u32,
    #[arg(long, default_value_t = 12)]
    pub event_months: u32,
    #[arg(long, default_value_t = 90)]
    pub job_days: u32,
    #[arg(long, default_value_t = 365)]
    pub audit_days: u32,
}

#[derive(Args, Debug, Clone)]
pub struct BenchSla {
    /// Orders to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub orders: usize,
    /// Days of history they are spread over.
    #[arg(long, default_value_t = 365)]
    pub days: i64,
    /// Events stored per order.
    #[arg(long, default_value_t = 10)]
    pub events_per_order: usize,
    /// Timed requests per measurement.
    #[arg(long, default_value_t = 40)]
    pub samples: usize,
    /// Keep the scratch database afterwards (its name is printed), to look at plans with
    /// `EXPLAIN ANALYZE`; drop it yourself when done.
    #[arg(long)]
    pub keep: bool,
}

#[derive(Args, Debug)]
pub struct BenchRelease {
    /// Jobs per phase (throughput, then the backlog of the outage).
    #[arg(long, default_value_t = 10_000)]
    pub jobs: usize,
    /// Instructions in flight to the WMS at once (the connector's concurrency).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// How long the WMS stays down while the backlog builds.
    #[arg(long, default_value_t = 5)]
    pub outage_seconds: u64,
}

#[derive(Args, Debug)]
pub struct BenchIngest {
    /// Single events to send.
    #[arg(long, default_value_t = 20_000)]
    pub singles: usize,
    /// Concurrent keep-alive HTTP clients for single events (and connections for the raw
    /// per-row insert it is compared with).
    #[arg(long, default_value_t = 32)]
    pub clients: usize,
    /// Batches of 1,000 events to send.
    #[arg(long, default_value_t = 40)]
    pub batches: usize,
    /// Rows for the raw insert measurements.
    #[arg(long, default_value_t = 20_000)]
    pub raw_rows: usize,
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

#[derive(Debug, Subcommand)]
pub enum ContractCommand {
    /// Read sample messages as the ingest API would, without storing anything, and answer each
    /// with what the API would say: accepted with its events, or the same refusal (status, code,
    /// message, details). Exits non-zero when any sample is refused.
    Check {
        /// canonical, odoo, milepost_wms, shiphero, shipbob, easypost, shippo, aftership or x12.
        #[arg(long)]
        format: String,
        /// The sending system's kind (erp, wms or carrier); each format has a usual one, and
        /// canonical and x12 senders say which they are.
        #[arg(long)]
        kind: Option<String>,
        /// The facility's time zone, for formats whose times carry no offset (X12, ShipHero).
        #[arg(long)]
        time_zone: Option<String>,
        /// The sample files.
        #[arg(required = true)]
        files: Vec<std::path::PathBuf>,
    },
    /// Test a WMS's endpoint as a receiver of Milepost's release contract (docs/wms-release.md):
    /// sends a sample release, the same release again, an amend and a cancel, and says whether
    /// each answer means what the contract says. The bearer token is read from standard input.
    Receiver {
        /// The endpoint, e.g. https://wms.example.com/milepost/instructions.
        #[arg(long)]
        url: String,
        /// Allow a loopback or private address (a WMS on the same network).
        #[arg(long)]
        allow_private_network: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReleaseCommand {
    /// List the releases kept, with why.
    Held,
    /// Send every kept release whose cause is fixed (also done after `account map` and
    /// `connector outbound`).
    Retry,
}
