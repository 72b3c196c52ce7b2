//! A streaming hot standby of the embedded cluster, for trying and testing scale-out on one
//! machine (`tools` builds only): `pg_basebackup --write-recovery-conf` from the running primary
//! into its own folder, then started on its own port, as the cluster's owner. Production
//! replicas are made by the database's operators; `MILEPOST_REPLICA_URL` points at one.

use super::control::{check, free_port};
use super::{io, EmbeddedPostgres, PgError, APP_ROLE, SUPERUSER};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// A running standby; stopped by `stop` (or left running if dropped).
#[derive(Debug)]
pub struct Standby {
    data: PathBuf,
    log: PathBuf,
    pg_ctl: PathBuf,
    port: u16,
    password: String,
    owner: super::os_user::ClusterOwner,
}

impl EmbeddedPostgres {
    /// Makes and starts a hot standby of this cluster under `root` (which must be empty or
    /// absent, and reachable by the cluster's owner).
    pub fn start_standby(&self, root: &Path) -> Result<Standby, PgError> {
        std::fs::create_dir_all(root).map_err(io("making the standby's folder"))?;
        std::fs::set_permissions(root, std::fs::Permissions::from_mode(0o755))
            .map_err(io("opening the standby's folder to its owner"))?;
        self.owner.give(root)?;
        let data = root.join("data");
        let log = root.join("postgres.log");
        let primary = format!(
            "host=127.0.0.1 port={} user={SUPERUSER} password={}",
            self.port, self.password
        );
        // Beside pg_ctl, else on PATH (a PATH of wrappers may hold only the server programs).
        let beside = self.bins.dir.join("pg_basebackup");
        let program = if beside.exists() {
            beside
        } else {
            PathBuf::from("pg_basebackup")
        };
        let mut backup = Command::new(program);
        backup
            .arg("--pgdata")
            .arg(&data)
            .arg("--write-recovery-conf")
            .arg("--checkpoint=fast")
            .arg("--wal-method=stream")
            .arg("--dbname")
            .arg(&primary);
        self.owner.apply(&mut backup);
        backup.process_group(0);
        let output = backup.output().map_err(io("running pg_basebackup"))?;
        check("pg_basebackup", output, &log)?;
        let port = free_port()?;
        let standby = Standby {
            data,
            log,
            pg_ctl: self.bins.pg_ctl.clone(),
            port,
            password: self.password.clone(),
            owner: self.owner.clone(),
        };
        let mut start = Command::new(&standby.pg_ctl);
        start
            .arg("start")
            .arg("-D")
            .arg(&standby.data)
            .arg("-l")
            .arg(&standby.log)
            .arg("-w")
            .arg("-t")
            .arg("60")
            .arg("-o")
            .arg(format!("-p {port} -c hot_standby=on"));
        standby.owner.apply(&mut start);
        start.process_group(0);
        let output = start.output().map_err(io("starting the standby"))?;
        check("pg_ctl start (standby)", output, &standby.log)?;
        Ok(standby)
    }
}

impl Standby {
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The application role's URL for `database` on the standby (read-only there).
    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{APP_ROLE}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    /// The superuser's URL (to pause and resume replay in tests).
    pub fn admin_url(&self, database: &str) -> String {
        format!(
            "postgres://{SUPERUSER}:{}@127.0.0.1:{}/{database}",
            self.password, self.port
        )
    }

    pub fn stop(self) -> Result<(), PgError> {
        let mut cmd = Command::new(&self.pg_ctl);
        cmd.arg("stop")
            .arg("-D")
            .arg(&self.data)
            .arg("-m")
            .arg("fast")
            .arg("-w");
        self.owner.apply(&mut cmd);
        cmd.process_group(0);
        let output = cmd.output().map_err(io("stopping the standby"))?;
        check("pg_ctl stop (standby)", output, &self.log)
    }
}
