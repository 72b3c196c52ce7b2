//! `milepost serve` and `milepost worker`.

use crate::database::{migrate, Database};
use crate::settings::Settings;
use crate::startup::Application;
use crate::workers;
use tokio_util::sync::CancellationToken;

/// The web server and, unless told otherwise, the workers, side by side. Whichever ends first
/// (a signal, or a failure) stops the other; each exit is reported.
pub async fn serve(settings: Settings, with_workers: bool) -> anyhow::Result<()> {
    let db = Database::connect(&settings).await?;
    let result = async {
        migrate(&db.pool).await?;
        let app = Application::build(&settings, db.pool.clone()).await?;
        let stop = shutdown_on_signal();
        tracing::info!(
            listen.addr = %settings.listen_addr, listen.port = app.port(), public.url = %settings.public_url,
            workers = with_workers, "Milepost is serving"
        );
        // Both halves are awaited to the end (in-flight requests finish, jobs stop at a safe
        // point); whichever ends first, by a signal or a failure, cancels the other.
        let server = {
            let stop = stop.clone();
            async move {
                let result = app.run_until_stopped(stop.clone().cancelled_owned()).await;
                stop.cancel();
                tracing::info!(ok = result.is_ok(), "web server stopped");
                result.map_err(anyhow::Error::from)
            }
        };
        let pool = db.pool.clone();
        let workers = async move {
            let result = if with_workers {
                workers::run(pool, stop.clone()).await
            } else {
                stop.cancelled().await;
                Ok(())
            };
            stop.cancel();
            tracing::info!(ok = result.is_ok(), "workers stopped");
            result
        };
        let (server, workers) = tokio::join!(server, workers);
        server.and(workers)
    }
    .await;
    db.close().await;
    result
}

/// Workers only, for scale-out.
pub async fn worker(settings: Settings) -> anyhow::Result<()> {
    let db = Database::connect(&settings).await?;
    let result = async {
        migrate(&db.pool).await?;
        tracing::info!("Milepost workers running");
        workers::run(db.pool.clone(), shutdown_on_signal()).await
    }
    .await;
    db.close().await;
    result
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
