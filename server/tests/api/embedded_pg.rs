//! The embedded Postgres default: fresh start, reuse, clean stop, and running as root.
//! Each test gets its own data directory; clusters are real (initdb, pg_ctl, postgres).

use crate::support;

use server::pg::{ClusterOptions, EmbeddedPostgres, PgError, DATABASE};
use sqlx::Connection;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;
use std::process::Command;

/// A data directory the cluster's OS user can reach (tempdirs are private by default).
fn data_dir() -> tempfile::TempDir {
    let dir = tempfile::Builder::new()
        .prefix("milepost-pg-")
        .tempdir()
        .unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    dir
}

fn fast() -> ClusterOptions {
    ClusterOptions {
        bin_dir: None,
        unsafe_fast: true,
    }
}

async fn answers(cluster: &EmbeddedPostgres) -> bool {
    match sqlx::PgConnection::connect(&cluster.url(DATABASE)).await {
        Ok(mut conn) => sqlx::query_scalar::<_, i32>("select 1")
            .fetch_one(&mut conn)
            .await
            .is_ok(),
        Err(_) => false,
    }
}

#[tokio::test]
async fn a_fresh_data_directory_gets_a_new_running_cluster_with_the_milepost_database() {
    let dir = data_dir();

    let cluster = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();
    cluster.ensure_database(DATABASE).await.unwrap();

    assert!(cluster.initialised_here && cluster.started_here);
    assert!(answers(&cluster).await);
    assert!(
        !cluster
            .display_url(DATABASE)
            .contains(&password(dir.path())),
        "the display URL hides the password"
    );
    cluster.stop().await.unwrap();
}

#[tokio::test]
async fn a_second_user_of_the_same_directory_reuses_the_running_cluster() {
    let dir = data_dir();
    let first = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();
    first.ensure_database(DATABASE).await.unwrap();

    let second = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();

    assert!(!second.started_here && !second.initialised_here);
    assert_eq!(second.port(), first.port());
    // The first user leaves: the second still has its database.
    first.stop().await.unwrap();
    assert!(answers(&second).await);
    second.stop().await.unwrap();
}

#[tokio::test]
async fn the_last_user_to_leave_stops_the_cluster_cleanly() {
    let dir = data_dir();
    let cluster = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();
    let data = cluster.data();

    cluster.stop().await.unwrap();

    assert!(
        !data.join("postmaster.pid").exists(),
        "postmaster.pid removed by a clean shutdown"
    );
    let log = std::fs::read_to_string(dir.path().join("pg/postgres.log")).unwrap();
    assert!(log.contains("database system is shut down"), "{log}");
}

#[tokio::test]
async fn a_stopped_cluster_starts_again_with_its_data() {
    let dir = data_dir();
    let cluster = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();
    cluster.ensure_database(DATABASE).await.unwrap();
    let mut conn = sqlx::PgConnection::connect(&cluster.url(DATABASE))
        .await
        .unwrap();
    sqlx::query("create table kept (x int)")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    cluster.stop().await.unwrap();

    let again = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();

    assert!(again.started_here && !again.initialised_here);
    let mut conn = sqlx::PgConnection::connect(&again.url(DATABASE))
        .await
        .unwrap();
    sqlx::query("select * from kept")
        .execute(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    again.stop().await.unwrap();
}

#[tokio::test]
async fn as_root_the_cluster_belongs_to_an_unprivileged_user() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: this check is about running as root");
        return;
    }
    let dir = data_dir();
    let cluster = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();
    let owner = std::fs::metadata(cluster.data()).unwrap().uid();
    assert_ne!(
        owner, 0,
        "initdb refuses root, so the cluster must not be root's"
    );
    let password_mode = std::fs::metadata(dir.path().join("pg/password"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(password_mode & 0o077, 0, "the password file is private");
    cluster.stop().await.unwrap();
}

#[tokio::test]
async fn as_root_a_data_directory_the_cluster_owner_cannot_reach_is_a_clear_error() {
    if !nix::unistd::Uid::effective().is_root() {
        eprintln!("skipped: this check is about running as root");
        return;
    }
    let private = tempfile::tempdir().unwrap();
    std::fs::set_permissions(private.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let err = EmbeddedPostgres::start_or_reuse(&private.path().join("data"), fast())
        .await
        .unwrap_err();
    assert!(matches!(err, PgError::Unreachable(..)), "{err}");
    assert!(err.to_string().contains("MILEPOST_DATA_DIR"));
}

#[tokio::test]
async fn a_missing_bin_dir_is_named_in_the_error() {
    let dir = data_dir();
    let options = ClusterOptions {
        bin_dir: Some(dir.path().join("nowhere")),
        unsafe_fast: true,
    };
    let err = EmbeddedPostgres::start_or_reuse(dir.path(), options)
        .await
        .unwrap_err();
    assert!(err.to_string().contains("MILEPOST_PG_BINDIR"), "{err}");
}

#[test]
fn two_milepost_processes_on_one_data_directory_share_one_cluster() {
    let dir = data_dir();
    let start = |d: &Path| {
        Command::new(env!("CARGO_BIN_EXE_milepost"))
            .args(["db", "start", "--unsafe-fast", "--data-dir"])
            .arg(d)
            .env_remove("DATABASE_URL")
            .output()
            .unwrap()
    };
    // Started at the same moment: the start lock lets one initialise and the other reuse.
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| start(dir.path()));
        let b = s.spawn(|| start(dir.path()));
        (a.join().unwrap(), b.join().unwrap())
    });
    support::assert_ok(&a);
    support::assert_ok(&b);
    assert_eq!(
        String::from_utf8_lossy(&a.stdout),
        String::from_utf8_lossy(&b.stdout),
        "same URL, same cluster"
    );

    let stop = Command::new(env!("CARGO_BIN_EXE_milepost"))
        .args(["db", "stop", "--data-dir"])
        .arg(dir.path())
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    support::assert_ok(&stop);
    assert!(!dir.path().join("pg/data/postmaster.pid").exists());
}

fn password(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("pg/password"))
        .unwrap()
        .trim()
        .to_string()
}

#[tokio::test]
async fn serve_without_database_url_runs_its_own_postgres_and_stops_it_on_sigint() {
    let dir = data_dir();
    let port = support::free_port();
    let server = Command::new(env!("CARGO_BIN_EXE_milepost"))
        .arg("serve")
        .env_remove("DATABASE_URL")
        .env("MILEPOST_DATA_DIR", dir.path())
        .env("MILEPOST_LISTEN_ADDR", format!("127.0.0.1:{port}"))
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let ready = support::wait_for(&format!("http://127.0.0.1:{port}/readyz")).await;
    let pid_file = dir.path().join("pg/data/postmaster.pid");
    let was_running = pid_file.exists();

    support::send_signal(&server, nix::sys::signal::Signal::SIGINT);
    let out = server.wait_with_output().unwrap();

    let logs = String::from_utf8_lossy(&out.stderr);
    assert!(ready && was_running, "{logs}");
    assert!(
        logs.contains("no DATABASE_URL set: using the embedded Postgres"),
        "{logs}"
    );
    assert!(
        logs.contains("web server stopped") && logs.contains("workers stopped"),
        "both halves stop: {logs}"
    );
    assert!(logs.contains("stopped the embedded Postgres"), "{logs}");
    assert!(out.status.success(), "{logs}");
    assert!(!pid_file.exists(), "the cluster was shut down cleanly");
}

#[tokio::test]
async fn with_database_url_set_no_local_cluster_is_started() {
    let dir = data_dir();
    let out = Command::new(env!("CARGO_BIN_EXE_milepost"))
        .arg("migrate")
        // Nothing listens here: the command must fail to connect, not fall back to a cluster.
        .env("DATABASE_URL", "postgres://nobody@127.0.0.1:1/none")
        .env("MILEPOST_DATA_DIR", dir.path())
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("connecting to Postgres"));
    assert!(
        !dir.path().join("pg").exists(),
        "the data directory was not touched"
    );
}

#[tokio::test]
async fn the_application_connects_as_its_own_role_not_a_superuser() {
    let dir = data_dir();
    let cluster = EmbeddedPostgres::start_or_reuse(dir.path(), fast())
        .await
        .unwrap();
    // A database made the old way, by the cluster owner, with a table in it.
    let mut admin = sqlx::PgConnection::connect(&cluster.admin_url("postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("create database {DATABASE}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let mut admin = sqlx::PgConnection::connect(&cluster.admin_url(DATABASE))
        .await
        .unwrap();
    sqlx::query("create table old_one (id bigint generated always as identity, x int)")
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();

    cluster.ensure_database(DATABASE).await.unwrap();
    let mut app = sqlx::PgConnection::connect(&cluster.url(DATABASE))
        .await
        .unwrap();
    let (role, superuser): (String, bool) = sqlx::query_as(
        "select current_user::text, rolsuper from pg_roles where rolname = current_user",
    )
    .fetch_one(&mut app)
    .await
    .unwrap();
    assert_eq!((role.as_str(), superuser), (server::pg::APP_ROLE, false));
    // It owns what was there before, so migrations can alter it.
    sqlx::query("alter table old_one add column y int")
        .execute(&mut app)
        .await
        .unwrap();
    sqlx::query("insert into old_one (x) values (1)")
        .execute(&mut app)
        .await
        .unwrap();
    let denied = sqlx::query("select pg_read_file('PG_VERSION')")
        .execute(&mut app)
        .await;
    assert!(denied.is_err(), "no superuser powers");
    app.close().await.unwrap();
    cluster.stop().await.unwrap();
}
