//! `milepost serve` and `milepost worker`.

use crate::database::{migrate, Database, Pools};
use crate::settings::Settings;
use crate::startup::{Application, Runtime};
use crate::supervisor::{Health, Supervisor};
use crate::workers;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The web server and, unless told otherwise, the workers, side by side. Whichever ends first
/// (a signal, or a failure) stops the other; each exit is reported. After a stop, in-flight
/// requests, live streams and job attempts get `MILEPOST_SHUTDOWN_SECONDS` to finish.
pub async fn serve(settings: Settings, with_workers: bool) -> anyhow::Result<()> {
    let db = Database::connect(&settings).await?;
    let result = async {
        migrate(&db.pools.workers).await?;
        let stop = shutdown_on_signal();
        let runtime = Runtime {
            health: Health::default(),
            stop: stop.clone(),
        };
        let app = Application::build_with(&settings, &db.pools, runtime.clone()).await?;
        metrics_address(&settings, &db.pools, &runtime);
        tracing::info!(
            listen.addr = %settings.listen_addr, listen.port = app.port(), public.url = %settings.public_url,
            workers = with_workers, "Milepost is serving"
        );
        let server = {
            let stop = stop.clone();
            async move {
                let result = app.run_until_stopped(stop.clone().cancelled_owned()).await;
                stop.cancel();
                tracing::info!(ok = result.is_ok(), "web server stopped");
                result.map_err(anyhow::Error::from)
            }
        };
        let pool = db.pools.workers.clone();
        let worker_settings = worker_settings(&settings);
        let workers = {
            let stop = stop.clone();
            async move {
                if with_workers {
                    let supervisor = Supervisor::new(runtime.health, stop.clone());
                    workers::supervised(pool, worker_settings, supervisor).await;
                } else {
                    stop.cancelled().await;
                }
                stop.cancel();
                tracing::info!("workers stopped");
                Ok(())
            }
        };
        within_deadline(
            async {
                let (server, workers) = tokio::join!(server, workers);
                server.and(workers)
            },
            &stop,
            settings.shutdown_deadline,
        )
        .await
    }
    .await;
    db.close().await;
    result
}

/// Workers only, for scale-out.
pub async fn worker(settings: Settings) -> anyhow::Result<()> {
    let db = Database::connect(&settings).await?;
    let result = async {
        migrate(&db.pools.workers).await?;
        tracing::info!("Milepost workers running");
        let stop = shutdown_on_signal();
        let runtime = Runtime {
            health: Health::default(),
            stop: stop.clone(),
        };
        metrics_address(&settings, &db.pools, &runtime);
        let supervisor = Supervisor::new(runtime.health, stop.clone());
        let pool = db.pools.workers.clone();
        within_deadline(
            async {
                workers::supervised(pool, worker_settings(&settings), supervisor).await;
                Ok(())
            },
            &stop,
            settings.shutdown_deadline,
        )
        .await
    }
    .await;
    db.close().await;
    result
}

fn worker_settings(settings: &Settings) -> workers::WorkerSettings {
    let mut engine = crate::sync::engine::EngineSettings::default();
    engine.runner.lease = settings.job_lease;
    workers::WorkerSettings {
        engine,
        alerts: settings.alerts.clone(),
        retention: settings.retention.clone(),
    }
}

/// Serves `/metrics`, `/healthz` and `/readyz` on `MILEPOST_METRICS_ADDR` when it is set; a
/// failure there (the address taken) stops the process rather than leaving it unwatched.
fn metrics_address(settings: &Settings, pools: &Pools, runtime: &Runtime) {
    let Some(addr) = settings.metrics_addr else {
        return;
    };
    let (pools, health, stop) = (pools.clone(), runtime.health.clone(), runtime.stop.clone());
    tokio::spawn(async move {
        if let Err(error) =
            crate::http::metrics::serve_internal(addr, pools, health, stop.clone()).await
        {
            tracing::error!(error = %format!("{error:#}"), "the metrics address failed; stopping");
            stop.cancel();
        }
    });
}

/// Runs `work` to its end, or until `deadline` after `stop` was cancelled, whichever is first:
/// a request or job attempt that will not finish does not keep the process from exiting (an
/// attempt cut off is retaken by another worker when its lease runs out).
async fn within_deadline(
    work: impl std::future::Future<Output = anyhow::Result<()>>,
    stop: &CancellationToken,
    deadline: Duration,
) -> anyhow::Result<()> {
    tokio::select! {
        result = work => result,
        _ = async { stop.cancelled().await; tokio::time::sleep(deadline).await } => {
            tracing::warn!(deadline_s = deadline.as_secs(), "shutdown deadline passed; exiting with work still in flight");
            Ok(())
        }
    }
}

/// A token cancelled on SIGINT (Ctrl-C) or SIGTERM.
fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let cancel = token.clone();
    tokio::spawn(async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        let term = async {
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending::<()>().await,
            }
        };
        #[cfg(not(unix))]
        let term = std::future::pending::<()>();
        tokio::select! {
            _ = ctrl_c => tracing::info!("SIGINT received: shutting down"),
            _ = term => tracing::info!("SIGTERM received: shutting down"),
        }
        cancel.cancel();
    });
    token
}
