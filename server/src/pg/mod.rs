//! The embedded Postgres default: with no `DATABASE_URL`, Milepost runs a private cluster under
//! its data directory with the PostgreSQL server binaries already on the machine.
//!
//! Layout under `<data dir>/pg/`: `data/` (the cluster), `password` (the generated superuser
//! password, mode 0600), `postgres.log`, and two lock files. `start.lock` serialises init and
//! start between Milepost processes; every process using the cluster holds a shared lock on
//! `users.lock`, and the last one to leave stops the cluster. A second process on the same data
//! directory therefore reuses the running cluster instead of starting another on the same files.

mod binaries;
mod control;
mod os_user;
#[cfg(feature = "tools")]
mod standby;

pub use binaries::{find_binaries, BinSearch, PgBinaries};
#[cfg(feature = "tools")]
pub use standby::Standby;

use control::{free_port, lock_file};
use os_user::ClusterOwner;
use std::fs::{self, File};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// The database Milepost uses inside its cluster.
pub const DATABASE: &str = "milepost";
const SUPERUSER: &str = "milepost";
/// The role the application connects as: it owns the `milepost` database and its objects, and
/// nothing else. Not a superuser: a flaw in the app cannot read files, run programs or touch
/// other databases through Postgres.
pub const APP_ROLE: &str = "milepost_app";

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

    /// The application's connection URL for `database`, as `APP_ROLE` (with the password: do not
    /// log it; see [`Self::display_url`]).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{APP_ROLE}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// The cluster owner's URL (a superuser): for setting the cluster up and for tooling that
    /// creates databases (the test suite), never for the application.
    pub fn admin_url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// The application's URL without its password, for logs and messages.
    pub fn display_url(&self, database: &str) -> String {
        format!(
            "postgres://{APP_ROLE}@127.0.0.1:{}/{database} (password in {})",
            self.port,
            self.root.join("password").display()
        )
    }

    fn log_file(&self) -> PathBuf {
        self.root.join("postgres.log")
    }

    /// Creates `database` if it does not exist yet, owned by `APP_ROLE`; a database made before
    /// that role existed is handed over to it, with everything in it.
    pub async fn ensure_database(&self, database: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.admin_url("postgres")).await?;
        self.ensure_app_role(&mut conn).await?;
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                .bind(database)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            // Identifiers cannot be bound; `database` is one of our constants, quoted anyway.
            let created = sqlx::query(&format!(
                "create database \"{}\" owner {APP_ROLE}",
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
        conn.close().await?;
        self.hand_over(database).await
    }

    /// Makes `APP_ROLE` (login, no superuser, no role or database creation) with the cluster's
    /// password, or sets its password again.
    async fn ensure_app_role(&self, conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
        // A password cannot be bound; it is our own generated one, quoted anyway.
        let password = self.password.replace('\'', "''");
        let exists: bool =
            sqlx::query_scalar("select exists (select 1 from pg_roles where rolname = $1)")
                .bind(APP_ROLE)
                .fetch_one(&mut *conn)
                .await?;
        let verb = if exists { "alter" } else { "create" };
        let made = sqlx::query(&format!(
            "{verb} role {APP_ROLE} login nosuperuser nocreatedb nocreaterole password '{password}'"
        ))
        .execute(&mut *conn)
        .await;
        match made {
            // Another process created it at the same moment.
            Err(e)
                if e.as_database_error()
                    .and_then(|d| d.code())
                    .is_some_and(|c| c == "42710" || c == "23505") =>
            {
                Ok(())
            }
            other => other.map(|_| ()),
        }
    }

    /// Gives `database` and every table, sequence, view, function and schema in it to
    /// `APP_ROLE`, when something is still owned by the cluster owner (a database made before
    /// the application had its own role). Identity sequences follow their tables.
    async fn hand_over(&self, database: &str) -> Result<(), sqlx::Error> {
        use sqlx::Connection;
        let mut conn = sqlx::PgConnection::connect(&self.admin_url(database)).await?;
        sqlx::query(&format!(
            r#"do $$
            declare r record;
            begin
              execute format('alter database %I owner to {APP_ROLE}', current_database());
              for r in select n.nspname from pg_namespace n
                       where n.nspname not like 'pg\_%' and n.nspname <> 'information_schema'
                         and pg_get_userbyid(n.nspowner) = '{SUPERUSER}' and n.nspname <> 'public'
              loop execute format('alter schema %I owner to {APP_ROLE}', r.nspname); end loop;
              for r in select c.relkind, n.nspname, c.relname from pg_class c
                       join pg_namespace n on n.oid = c.relnamespace
                       where n.nspname not like 'pg\_%' and n.nspname <> 'information_schema'
                         and c.relkind in ('r', 'p', 'v', 'm', 'S')
                         and pg_get_userbyid(c.relowner) = '{SUPERUSER}'
                         and not (c.relkind = 'S' and exists (
                             select 1 from pg_depend d where d.objid = c.oid and d.deptype in ('a', 'i')))
              loop
                execute format('alter %s %I.%I owner to {APP_ROLE}',
                  case r.relkind when 'S' then 'sequence' when 'v' then 'view'
                                 when 'm' then 'materialized view' else 'table' end,
                  r.nspname, r.relname);
              end loop;
              for r in select p.oid::regprocedure as f from pg_proc p
                       join pg_namespace n on n.oid = p.pronamespace
                       where n.nspname not like 'pg\_%' and n.nspname <> 'information_schema'
                         and pg_get_userbyid(p.proowner) = '{SUPERUSER}'
              loop execute format('alter function %s owner to {APP_ROLE}', r.f); end loop;
            end $$"#
        ))
        .execute(&mut conn)
        .await?;
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
}
