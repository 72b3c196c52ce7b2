//! PostgreSQL refuses to run as root. When Milepost runs as root, the cluster is owned and run by
//! an unprivileged OS user instead (`postgres` if present, else `nobody`).

use super::PgError;
use nix::unistd::{chown, Gid, Uid, User};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

#[derive(Clone, Debug)]
pub struct ClusterOwner {
    /// `None` when the cluster runs as the current (unprivileged) user.
    other: Option<(String, Uid, Gid)>,
}

impl ClusterOwner {
    pub fn for_current_process() -> Result<Self, PgError> {
        if !Uid::effective().is_root() {
            return Ok(Self { other: None });
        }
        ["postgres", "nobody"]
            .into_iter()
            .find_map(|name| User::from_name(name).ok().flatten())
            .map(|u| Self {
                other: Some((u.name, u.uid, u.gid)),
            })
            .ok_or(PgError::NoUnprivilegedUser)
    }

    pub fn is_other_user(&self) -> bool {
        self.other.is_some()
    }

    /// The OS user name the cluster runs as, when it is not the current user.
    pub fn name(&self) -> Option<&str> {
        self.other.as_ref().map(|(n, _, _)| n.as_str())
    }

    /// Hands `path` to the cluster's owner.
    pub fn give(&self, path: &Path) -> Result<(), PgError> {
        if let Some((_, uid, gid)) = &self.other {
            chown(path, Some(*uid), Some(*gid)).map_err(|e| PgError::Io {
                context: format!("giving {} to the cluster owner", path.display()),
                source: e.into(),
            })?;
        }
        Ok(())
    }

    /// Makes `cmd` run as the cluster's owner.
    pub fn apply(&self, cmd: &mut Command) {
        if let Some((_, uid, gid)) = &self.other {
            cmd.uid(uid.as_raw()).gid(gid.as_raw());
        }
    }

    /// Fails with a clear message when the owner cannot reach `dir` (a private parent folder).
    pub fn check_reachable(&self, dir: &Path) -> Result<(), PgError> {
        let Some((name, uid, gid)) = &self.other else {
            return Ok(());
        };
        let reachable = Command::new("test")
            .arg("-x")
            .arg(dir)
            .uid(uid.as_raw())
            .gid(gid.as_raw())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        if reachable {
            Ok(())
        } else {
            Err(PgError::Unreachable(dir.to_path_buf(), name.clone()))
        }
    }
}
