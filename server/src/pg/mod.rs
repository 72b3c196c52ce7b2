//! The embedded Postgres default: with no `DATABASE_URL`, Milepost runs a private cluster under
//! its data directory with the PostgreSQL server binaries already on the machine.
//!
//! Layout under `<data dir>/pg/`: `data/` (the cluster), `password` (the generated superuser
//! password, mode 0600), `postgres.log`, and two lock files. `start.lock` serialises init and
//! start between Milepost processes; every process using the cluster holds a shared lock on
//! `users.lock`, and the last one to leave stops the cluster. A second process on the same data
//! directory therefore reuses the running cluster instead of starting another on the same files.

mod binaries;
mod os_user;

pub use binaries::{find_binaries, BinSearch, PgBinaries};

use os_user::ClusterOwner;
use rand::distr::{Alphanumeric, SampleString};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The database Milepost uses inside its cluster.
pub const DATABASE: &str = "milepost";
const SUPERUSER: &str = "milepost";

/// Why the embedded cluster could not be used. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found on PATH, in `pg_config --bindir` \
         or in /usr/lib/postgresql/*/bin. Install the server package (Debian/Ubuntu: `apt-get install \
         postgresql`; Fedora: `dnf install postgresql-server`; macOS: `brew install postgresql@16`), set \
         MILEPOST_PG_BINDIR to their folder, or set DATABASE_URL to use an existing server"
    )]
    BinariesNotFound,
    #[error("MILEPOST_PG_BINDIR={0} does not contain initdb, pg_ctl and postgres")]
    BadBinDir(PathBuf),
    #[error(
        "Milepost runs as root and PostgreSQL refuses to: it needs an unprivileged OS user to own the \
         cluster, and neither `postgres` nor `nobody` exists. Create one (`useradd --system postgres`) or \
         set DATABASE_URL"
    )]
    NoUnprivilegedUser,
    #[error(
        "the data directory {0} is not reachable by the OS user `{1}` that must own the cluster (a parent \
         folder is private). Set MILEPOST_DATA_DIR to a folder outside private homes, e.g. /var/lib/milepost"
    )]
    Unreachable(PathBuf, String),
    #[error("{action} failed: {detail}. See {log}")]
    Command {
        action: &'static str,
        detail: String,
        log: PathBuf,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> PgError {
    let context = context.into();
    move |source| PgError::Io { context, source }
}

/// A running embedded cluster this process is using.
#[derive(Debug)]
pub struct EmbeddedPostgres {
    root: PathBuf,
    bins: PgBinaries,
    owner: ClusterOwner,
    port: u16,
    password: String,
    /// Held (shared) while this process uses the cluster; see the module docs.
    users_lock: Option<File>,
    /// Whether this process started the server (else it reused one already running).
    pub started_here: bool,
    /// Whether this process created the cluster (ran initdb).
    pub initialised_here: bool,
}

/// Options for a cluster; tests and `milepost db start --fast` turn durability off for speed.
#[derive(Clone, Debug, Default)]
pub struct ClusterOptions {
    pub bin_dir: Option<PathBuf>,
    /// `fsync=off` and `synchronous_commit=off`: for throwaway test clusters only, never user data.
    pub unsafe_fast: bool,
}

impl EmbeddedPostgres {
    /// Starts the cluster under `data_dir`, creating it on first use, or reuses it when another
    /// Milepost process already runs it. Blocking work runs off the async threads.
    pub async fn start_or_reuse(data_dir: &Path, options: ClusterOptions) -> Result<Self, PgError> {
        let data_dir = data_dir.to_path_buf();
        tokio::task::spawn_blocking(move || Self::start_or_reuse_blocking(&data_dir, &options))
            .await
            .map_err(|e| PgError::Io {
                context: "embedded Postgres task".into(),
                source: std::io::Error::other(e),
            })?
    }

    fn start_or_reuse_blocking(data_dir: &Path, options: &ClusterOptions) -> Result<Self, PgError> {
        let bins = find_binaries(&BinSearch::from_env(options.bin_dir.clone()))?;
        let owner = ClusterOwner::for_current_process()?;
        fs::create_dir_all(data_dir).map_err(io(format!("creating {}", data_dir.display())))?;
        let root = fs::canonicalize(data_dir)
            .map_err(io(format!("resolving {}", data_dir.display())))?
            .join("pg");
        fs::create_dir_all(&root).map_err(io(format!("creating {}", root.display())))?;
        if owner.is_other_user() {
            // The cluster's owner must be able to walk into the folder that holds it.
            fs::set_permissions(&root, fs::Permissions::from_mode(0o755))
                .map_err(io("opening the cluster folder"))?;
            owner.check_reachable(&root)?;
        }

        let start_lock = lock_file(&root.join("start.lock"))?;
        start_lock.lock().map_err(io(
            "waiting for another Milepost to finish starting Postgres",
        ))?;

        let mut this = Self {
            password: String::new(),
            port: 0,
            users_lock: None,
            started_here: false,
            initialised_here: false,
            root,
            bins,
            owner,
        };
        if !this.data().join("PG_VERSION").exists() {
            this.init(options)?;
            this.initialised_here = true;
        }
        this.password = fs::read_to_string(this.root.join("password"))
            .map_err(io("reading the embedded Postgres password"))?
            .trim()
            .to_string();
        match this.running_port() {
            Some(port) => {
                this.port = port;
                tracing::info!(pg.port = port, pg.data = %this.data().display(), "reusing the embedded Postgres another Milepost process started");
            }
            None => {
                this.port = free_port()?;
                this.start()?;
                this.started_here = true;
                tracing::info!(pg.port = this.port, pg.data = %this.data().display(), "started the embedded Postgres");
            }
        }
        let users_lock = lock_file(&this.root.join("users.lock"))?;
        users_lock
            .lock_shared()
            .map_err(io("registering as a user of the embedded Postgres"))?;
        this.users_lock = Some(users_lock);
        drop(start_lock);
        Ok(this)
    }

    /// The cluster's data folder.
    pub fn data(&self) -> PathBuf {
        self.root.join("data")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// A connection URL for `database` (with the password: do not log it; see [`Self::display_url`]).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// The URL without its password, for logs and messages.
    pub fn display_url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@127.0.0.1:{}/{database} (password in {})",
            self.port,
            self.root.join("password").display()
        )
    }

    fn log_file(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    fn init(&self, options: &ClusterOptions) -> Result<(), PgError> {
        let password = Alphanumeric.sample_string(&mut rand::rng(), 32);
        write_private(&self.root.join("password"), &password)?;
        // initdb reads the password from a file its own user can read; it is removed right after.
        let pwfile = self.root.join("initdb.pw");
        write_private(&pwfile, &password)?;
        self.owner.give(&pwfile)?;
        let log = self.log_file();
        File::create(&log).map_err(io("creating the Postgres log"))?;
        self.owner.give(&log)?;
        let data = self.data();
        fs::create_dir_all(&data).map_err(io("creating the cluster folder"))?;
        fs::set_permissions(&data, fs::Permissions::from_mode(0o700))
            .map_err(io("protecting the cluster folder"))?;
        self.owner.give(&data)?;

        tracing::info!(
            pg.bin = %self.bins.dir.display(), pg.data = %data.display(), pg.os_user = self.owner.name().unwrap_or("(current user)"),
            "creating the embedded Postgres cluster (first run)"
        );
        let output = self.run(
            Command::new(&self.bins.initdb)
                .arg("-D")
                .arg(&data)
                .arg("-U")
                .arg(SUPERUSER)
                .arg("--auth=scram-sha-256")
                .arg(format!("--pwfile={}", pwfile.display()))
                .arg("--encoding=UTF8")
                .arg("--no-locale"),
        );
        let _ = fs::remove_file(&pwfile);
        check("initdb", output?, &log)?;

        let mut conf = String::from(
            "\n# Written by Milepost: loopback only, no Unix socket (its default folder may not be writable).\n\
             listen_addresses = '127.0.0.1'\nunix_socket_directories = ''\nmax_connections = 200\n",
        );
        if options.unsafe_fast {
            conf.push_str("# Throwaway test cluster: durability traded for speed.\nfsync = off\nsynchronous_commit = off\nfull_page_writes = off\n");
        }
        OpenOptions::new()
            .append(true)
            .open(data.join("postgresql.conf"))
            .and_then(|mut f| f.write_all(conf.as_bytes()))
            .map_err(io("configuring the cluster"))?;
        Ok(())
    }

    fn start(&self) -> Result<(), PgError> {
        let mut cmd = Command::new(&self.bins.pg_ctl);
        cmd.arg("start")
            .arg("-D")
            .arg(self.data())
            .arg("-l")
            .arg(self.log_file())
            .arg("-w")
            .arg("-t")
            .arg("60")
            .arg("-o")
            .arg(format!("-p {}", self.port));
        let output = self.run(&mut cmd)?;
        check("pg_ctl start", output, &self.log_file())
    }

    /// The port of the server running on this cluster, if one runs.
    fn running_port(&self) -> Option<u16> {
        let status = self
            .run(
                Command::new(&self.bins.pg_ctl)
                    .arg("status")
                    .arg("-D")
                    .arg(self.data()),
            )
            .ok()?;
        if !status.status.success() {
            return None;
        }
        // postmaster.pid: line 4 is the port.
        let pid_file = fs::read_to_string(self.data().join("postmaster.pid")).ok()?;
        pid_file.lines().nth(3)?.trim().parse().ok()
    }

    /// Whether a server is running on this cluster.
    pub fn is_running(&self) -> bool {
        self.running_port().is_some()
    }

    /// Creates `database` if it does not exist yet.
    pub async fn ensure_database(&self, database: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.url("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(database)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            // Identifiers cannot be bound; `database` is one of our constants, quoted anyway.
            let created = sqlx::query(&format!(
                "create database \"{}\"",
                database.replace('"', "\"\"")
            ))
            .execute(&mut conn)
            .await;
            // Another process may have created it between our check and our create.
            let raced = |e: &sqlx::Error| {
                e.as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|c| c == "42P04" || c == "23505")
            };
            match created {
                Err(e) if !raced(&e) => return Err(e),
                _ => {}
            }
        }
        conn.close().await
    }

    /// Leaves the cluster: stops it when no other Milepost process is using it.
    pub async fn stop(mut self) -> Result<(), PgError> {
        drop(self.users_lock.take());
        tokio::task::spawn_blocking(move || self.stop_if_last())
            .await
            .map_err(|e| PgError::Io {
                context: "embedded Postgres task".into(),
                source: std::io::Error::other(e),
            })?
    }

    fn stop_if_last(&self) -> Result<(), PgError> {
        let users = lock_file(&self.root.join("users.lock"))?;
        match users.try_lock() {
            Ok(()) => {
                let output = self.run(
                    Command::new(&self.bins.pg_ctl)
                        .arg("stop")
                        .arg("-D")
                        .arg(self.data())
                        .arg("-m")
                        .arg("fast")
                        .arg("-w"),
                )?;
                check("pg_ctl stop", output, &self.log_file())?;
                tracing::info!(pg.data = %self.data().display(), "stopped the embedded Postgres");
            }
            Err(_) => {
                tracing::info!(
                    "left the embedded Postgres running: another Milepost process is using it"
                );
            }
        }
        Ok(())
    }

    /// Runs a PostgreSQL tool as the cluster's owner, in its own process group so a Ctrl-C meant
    /// for Milepost does not also hit the server before Milepost has closed its connections.
    fn run(&self, cmd: &mut Command) -> Result<Output, PgError> {
        self.owner.apply(cmd);
        cmd.process_group(0);
        cmd.env_remove("PGDATA").env_remove("PGPORT");
        cmd.output()
            .map_err(io(format!("running {:?}", cmd.get_program())))
    }
}

fn check(action: &'static str, output: Output, log: &Path) -> Result<(), PgError> {
    if output.status.success() {
        return Ok(());
    }
    let mut detail = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if detail.is_empty() {
        detail = String::from_utf8_lossy(&output.stdout).trim().to_string();
    }
    Err(PgError::Command {
        action,
        detail,
        log: log.to_path_buf(),
    })
}

fn lock_file(path: &Path) -> Result<File, PgError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io(format!("opening {}", path.display())))
}

fn write_private(path: &Path, contents: &str) -> Result<(), PgError> {
    let mut file = OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(path)
        .map_err(io(format!("writing {}", path.display())))?;
    file.write_all(contents.as_bytes())
        .map_err(io(format!("writing {}", path.display())))
}

/// A loopback port nobody listens on right now.
fn free_port() -> Result<u16, PgError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(io("finding a free port"))?
        .port())
}
