//! Running the PostgreSQL programs for the embedded cluster: `initdb`, and `pg_ctl` start,
//! status and stop, always as the cluster's owner.

use super::{io, ClusterOptions, EmbeddedPostgres, PgError, SUPERUSER};
use rand::distr::{Alphanumeric, SampleString};
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

impl EmbeddedPostgres {
    pub(super) fn init(&self, options: &ClusterOptions) -> Result<(), PgError> {
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

    pub(super) fn start(&self) -> Result<(), PgError> {
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
    pub(super) fn running_port(&self) -> Option<u16> {
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

    pub(super) fn stop_if_last(&self) -> Result<(), PgError> {
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

pub(super) fn check(action: &'static str, output: Output, log: &Path) -> Result<(), PgError> {
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

pub(super) fn lock_file(path: &Path) -> Result<File, PgError> {
    OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(io(format!("opening {}", path.display())))
}

pub(super) fn write_private(path: &Path, contents: &str) -> Result<(), PgError> {
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
pub(super) fn free_port() -> Result<u16, PgError> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").map_err(io("finding a free port"))?;
    Ok(listener
        .local_addr()
        .map_err(io("finding a free port"))?
        .port())
}
