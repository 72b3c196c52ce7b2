//! Finding the PostgreSQL server binaries on this machine.

use super::PgError;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The three programs the embedded cluster needs, all from one folder.
#[derive(Clone, Debug)]
pub struct PgBinaries {
    pub dir: PathBuf,
    pub initdb: PathBuf,
    pub pg_ctl: PathBuf,
    pub postgres: PathBuf,
}

/// Where to look, in order: an explicit folder, `PATH`, `pg_config --bindir`, then the Debian
/// layout `/usr/lib/postgresql/<version>/bin` (newest version first).
#[derive(Clone, Debug, Default)]
pub struct BinSearch {
    pub explicit: Option<PathBuf>,
    pub path: Vec<PathBuf>,
    pub pg_config_bindir: Option<PathBuf>,
    pub versioned_root: PathBuf,
}

impl BinSearch {
    pub fn from_env(explicit: Option<PathBuf>) -> Self {
        let path = std::env::var_os("PATH")
            .map(|p| std::env::split_paths(&p).collect())
            .unwrap_or_default();
        let pg_config_bindir = Command::new("pg_config")
            .arg("--bindir")
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
        Self {
            explicit,
            path,
            pg_config_bindir,
            versioned_root: PathBuf::from("/usr/lib/postgresql"),
        }
    }
}

fn complete(dir: &Path) -> Option<PgBinaries> {
    let at = |name: &str| Some(dir.join(name)).filter(|p| p.is_file());
    Some(PgBinaries {
        dir: dir.to_path_buf(),
        initdb: at("initdb")?,
        pg_ctl: at("pg_ctl")?,
        postgres: at("postgres")?,
    })
}

/// Finds a folder holding `initdb`, `pg_ctl` and `postgres`.
pub fn find_binaries(search: &BinSearch) -> Result<PgBinaries, PgError> {
    if let Some(dir) = &search.explicit {
        return complete(dir).ok_or_else(|| PgError::BadBinDir(dir.clone()));
    }
    let mut versioned: Vec<(u32, PathBuf)> = std::fs::read_dir(&search.versioned_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_string_lossy().parse::<u32>().ok()?;
            Some((version, e.path().join("bin")))
        })
        .collect();
    versioned.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    search
        .path
        .iter()
        .chain(search.pg_config_bindir.iter())
        .chain(versioned.iter().map(|(_, p)| p))
        .find_map(|dir| complete(dir))
        .ok_or(PgError::BinariesNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn fake_bin_dir(root: &Path, names: &[&str]) -> PathBuf {
        fs::create_dir_all(root).unwrap();
        for name in names {
            fs::write(root.join(name), "").unwrap();
        }
        root.to_path_buf()
    }

    #[test]
    fn the_newest_debian_versioned_folder_is_chosen() {
        let tmp = tempfile::tempdir().unwrap();
        fake_bin_dir(
            &tmp.path().join("13/bin"),
            &["initdb", "pg_ctl", "postgres"],
        );
        fake_bin_dir(
            &tmp.path().join("16/bin"),
            &["initdb", "pg_ctl", "postgres"],
        );
        let search = BinSearch {
            versioned_root: tmp.path().to_path_buf(),
            ..Default::default()
        };
        assert_eq!(
            find_binaries(&search).unwrap().dir,
            tmp.path().join("16/bin")
        );
    }

    #[test]
    fn a_folder_missing_one_program_is_skipped() {
        let tmp = tempfile::tempdir().unwrap();
        let partial = fake_bin_dir(&tmp.path().join("client"), &["pg_ctl"]);
        let full = fake_bin_dir(
            &tmp.path().join("server"),
            &["initdb", "pg_ctl", "postgres"],
        );
        let search = BinSearch {
            path: vec![partial, full.clone()],
            versioned_root: tmp.path().join("none"),
            ..Default::default()
        };
        assert_eq!(find_binaries(&search).unwrap().dir, full);
    }

    #[test]
    fn no_binaries_anywhere_names_the_package_to_install() {
        let tmp = tempfile::tempdir().unwrap();
        let search = BinSearch {
            versioned_root: tmp.path().to_path_buf(),
            ..Default::default()
        };
        let err = find_binaries(&search).unwrap_err();
        assert!(matches!(err, PgError::BinariesNotFound));
        assert!(err.to_string().contains("apt-get install postgresql"));
    }

    #[test]
    fn an_explicit_folder_without_the_programs_is_an_error_naming_the_variable() {
        let tmp = tempfile::tempdir().unwrap();
        let search = BinSearch {
            explicit: Some(tmp.path().to_path_buf()),
            ..Default::default()
        };
        assert!(find_binaries(&search)
            .unwrap_err()
            .to_string()
            .contains("MILEPOST_PG_BINDIR"));
    }
}
