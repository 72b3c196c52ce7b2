//! Prometheus metrics: the catalogue of every series Milepost exports (`docs/OPERATIONS.md`
//! lists them), the recorder, and the scrape.
//!
//! Two kinds of series. **Events** (requests, ingest messages, job attempts, folded events) are
//! counted where they happen, through the `metrics` facade, into one recorder per process.
//! **State** (queue depths, circuits, clocks at risk, freshness, the projector's lag, pools,
//! task health) is read when scraped, from the database and the process, so a scrape is always
//! current and several processes report the same state the same way.

use crate::database::Pools;
use crate::supervisor::Health;
use metrics::{counter, describe_counter, describe_histogram, histogram, Unit};
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sqlx::PgPool;
use std::fmt::Write;
use std::sync::OnceLock;
use std::time::Duration;

pub const HTTP_REQUESTS: &str = "milepost_http_requests_total";
pub const HTTP_DURATION: &str = "milepost_http_request_duration_seconds";
pub const INGEST_MESSAGES: &str = "milepost_ingest_messages_total";
pub const INGEST_DURATION: &str = "milepost_ingest_duration_seconds";
pub const INGEST_REFUSED: &str = "milepost_ingest_unauthenticated_total";
pub const EVENTS_FOLDED: &str = "milepost_projector_events_folded_total";
pub const EVENTS_QUARANTINED: &str = "milepost_projector_events_quarantined_total";
pub const JOB_ATTEMPTS: &str = "milepost_job_attempts_total";
pub const JOB_ATTEMPT_DURATION: &str = "milepost_job_attempt_duration_seconds";

/// Latency buckets (seconds) for requests, ingest and job attempts: 5 ms to 30 s.
const BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// The process's recorder, installed on first use (every application in the process, tests
/// included, shares it: series carry labels that tell them apart).
pub fn recorder() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let recorder = PrometheusBuilder::new()
            .set_buckets(BUCKETS)
            .expect("latency buckets are not empty")
            .build_recorder();
        let handle = recorder.handle();
        // Another recorder already installed (an embedding program's) keeps its place; our
        // handle then renders only the scraped state.
        if metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed; counters are not exported");
        }
        describe();
        handle
    })
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests answered, by route, method and status."
    );
    describe_histogram!(
        HTTP_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request (to its head), by route and method."
    );
    describe_counter!(INGEST_MESSAGES, "Authenticated inbound messages, by connector and outcome (accepted, duplicate, rejected, failed).");
    describe_histogram!(
        INGEST_DURATION,
        Unit::Seconds,
        "Time to store an inbound message and answer it, by connector."
    );
    describe_counter!(
        INGEST_REFUSED,
        "Unauthenticated requests to the ingest API, by reason code."
    );
    describe_counter!(EVENTS_FOLDED, "Events the projector folded (or set aside).");
    describe_counter!(
        EVENTS_QUARANTINED,
        "Events the projector could not fold and set aside."
    );
    describe_counter!(
        JOB_ATTEMPTS,
        "Sync job attempts, by queue, kind and outcome (succeeded, retried, dead)."
    );
    describe_histogram!(
        JOB_ATTEMPT_DURATION,
        Unit::Seconds,
        "Time a sync job attempt took, by queue and kind."
    );
}

/// One answered HTTP request.
pub fn http_request(route: &str, method: &str, status: u16, took: Duration) {
    let (route, method) = (route.to_string(), method.to_string());
    counter!(HTTP_REQUESTS, "route" => route.clone(), "method" => method.clone(), "status" => status.to_string()).increment(1);
    histogram!(HTTP_DURATION, "route" => route, "method" => method).record(took.as_secs_f64());
}

/// One authenticated inbound message and what became of it.
pub fn ingest_message(connector: &str, outcome: &'static str, took: Duration) {
    counter!(INGEST_MESSAGES, "connector" => connector.to_string(), "outcome" => outcome)
        .increment(1);
    histogram!(INGEST_DURATION, "connector" => connector.to_string()).record(took.as_secs_f64());
}

/// One unauthenticated request refused.
pub fn ingest_refused(code: &'static str) {
    counter!(INGEST_REFUSED, "reason" => code).increment(1);
}

/// Events folded by one projector batch.
pub fn events_folded(count: usize) {
    counter!(EVENTS_FOLDED).increment(count as u64);
}

/// An event set aside.
pub fn event_quarantined() {
    counter!(EVENTS_QUARANTINED).increment(1);
}

/// One job attempt and its outcome.
pub fn job_attempt(queue: &str, kind: &str, outcome: &'static str, took: Duration) {
    counter!(JOB_ATTEMPTS, "queue" => queue.to_string(), "kind" => kind.to_string(), "outcome" => outcome).increment(1);
    histogram!(JOB_ATTEMPT_DURATION, "queue" => queue.to_string(), "kind" => kind.to_string())
        .record(took.as_secs_f64());
}

/// The whole exposition: the counted series, then the state read now. A database that does not
/// answer leaves its series out and says so in `milepost_scrape_database_up`.
pub async fn render(pools: &Pools, health: &Health) -> String {
    let mut out = recorder().render();
    let mut g = Gauges::new(&mut out);
    match crate::store::metrics::snapshot(&pools.web).await {
        Ok(s) => {
            g.gauge(
                "milepost_scrape_database_up",
                "1 when the database answered this scrape.",
                &[],
                1.0,
            );
            g.gauge(
                "milepost_projector_queue_events",
                "Events stored and waiting to be folded.",
                &[],
                s.queued_events as f64,
            );
            g.gauge(
                "milepost_projector_lag_seconds",
                "Age of the oldest event waiting to be folded (0 when none waits).",
                &[],
                s.oldest_queued_seconds,
            );
            g.gauge(
                "milepost_projector_quarantined_events",
                "Events set aside and not put back yet.",
                &[],
                s.quarantined as f64,
            );
            g.header("milepost_jobs", "Sync jobs not yet done or dead, by queue and state (dead jobs are the dead letters).");
            for j in &s.jobs {
                g.value(
                    "milepost_jobs",
                    &[("queue", &j.queue), ("state", &j.state)],
                    j.count as f64,
                );
            }
            g.header(
                "milepost_circuit_state",
                "1 for each queue's circuit breaker state (closed, open, half_open).",
            );
            for c in &s.circuits {
                g.value(
                    "milepost_circuit_state",
                    &[("queue", &c.queue), ("state", &c.state)],
                    1.0,
                );
            }
            g.header(
                "milepost_circuit_open_seconds",
                "How long each open circuit has been open.",
            );
            for c in s.circuits.iter().filter(|c| c.state == "open") {
                g.value(
                    "milepost_circuit_open_seconds",
                    &[("queue", &c.queue)],
                    c.open_seconds.unwrap_or(0.0),
                );
            }
            g.header(
                "milepost_sla_clocks_open",
                "Open SLA clocks at risk or breached, by state.",
            );
            g.value(
                "milepost_sla_clocks_open",
                &[("state", "at_risk")],
                s.clocks_at_risk as f64,
            );
            g.value(
                "milepost_sla_clocks_open",
                &[("state", "breached")],
                s.clocks_breached as f64,
            );
            g.header(
                "milepost_source_last_message_age_seconds",
                "Seconds since each enabled connector's last inbound message (absent: none yet).",
            );
            for src in &s.sources {
                if let Some(age) = src.age_seconds {
                    g.value(
                        "milepost_source_last_message_age_seconds",
                        &[("connector", &src.connector)],
                        age,
                    );
                }
            }
        }
        Err(error) => {
            tracing::warn!(%error, "metrics: the database did not answer the scrape");
            g.gauge(
                "milepost_scrape_database_up",
                "1 when the database answered this scrape.",
                &[],
                0.0,
            );
        }
    }
    g.header(
        "milepost_db_pool_connections",
        "Connections of each pool, by state (in_use, idle).",
    );
    for (name, pool) in [
        ("web", &pools.web),
        ("ingest", &pools.ingest),
        ("workers", &pools.workers),
    ] {
        let (size, idle) = (pool.size() as f64, pool.num_idle() as f64);
        g.value(
            "milepost_db_pool_connections",
            &[("pool", name), ("state", "in_use")],
            size - idle,
        );
        g.value(
            "milepost_db_pool_connections",
            &[("pool", name), ("state", "idle")],
            idle,
        );
    }
    g.header(
        "milepost_db_pool_max_connections",
        "The most connections each pool opens.",
    );
    for (name, pool) in [
        ("web", &pools.web),
        ("ingest", &pools.ingest),
        ("workers", &pools.workers),
    ] {
        g.value(
            "milepost_db_pool_max_connections",
            &[("pool", name)],
            pool_max(pool),
        );
    }
    let (primary, replica) = pools.reads.served();
    g.typed(
        "milepost_page_reads_total",
        "Reads of the read-heavy pages (dashboard, reports, portal, order lists), by the database that served them.",
        "counter",
    );
    g.value(
        "milepost_page_reads_total",
        &[("db", "primary")],
        primary as f64,
    );
    g.value(
        "milepost_page_reads_total",
        &[("db", "replica")],
        replica as f64,
    );
    let tasks = health.report();
    g.header(
        "milepost_task_healthy",
        "1 when a background task of this process is healthy.",
    );
    for t in &tasks {
        g.value(
            "milepost_task_healthy",
            &[("task", &t.name)],
            if t.healthy { 1.0 } else { 0.0 },
        );
    }
    g.header(
        "milepost_task_restarts",
        "Times each background task of this process was started again after a failure.",
    );
    for t in &tasks {
        g.value(
            "milepost_task_restarts",
            &[("task", &t.name)],
            t.restarts as f64,
        );
    }
    out
}

fn pool_max(pool: &PgPool) -> f64 {
    pool.options().get_max_connections() as f64
}

/// Writes gauges in the text exposition format.
struct Gauges<'a> {
    out: &'a mut String,
}

impl<'a> Gauges<'a> {
    fn new(out: &'a mut String) -> Self {
        Self { out }
    }

    fn header(&mut self, name: &str, help: &str) {
        self.typed(name, help, "gauge");
    }

    fn typed(&mut self, name: &str, help: &str, kind: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}\n# TYPE {name} {kind}");
    }

    fn value(&mut self, name: &str, labels: &[(&str, &str)], value: f64) {
        let labels: Vec<String> = labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
            .collect();
        if labels.is_empty() {
            let _ = writeln!(self.out, "{name} {value}");
        } else {
            let _ = writeln!(self.out, "{name}{{{}}} {value}", labels.join(","));
        }
    }

    fn gauge(&mut self, name: &str, help: &str, labels: &[(&str, &str)], value: f64) {
        self.header(name, help);
        self.value(name, labels, value);
    }
}

/// A label value as the exposition format wants it: backslash, quote and newline escaped.
fn escape(v: &str) -> String {
    v.replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', r"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_are_written_in_the_text_format_with_escaped_labels() {
        let mut out = String::new();
        let mut g = Gauges::new(&mut out);
        g.gauge("milepost_x", "An example.", &[], 2.0);
        g.header("milepost_y", "Per queue.");
        g.value("milepost_y", &[("queue", "odoo \"main\"\\1")], 0.5);
        assert_eq!(
            out,
            "# HELP milepost_x An example.\n# TYPE milepost_x gauge\nmilepost_x 2\n\
             # HELP milepost_y Per queue.\n# TYPE milepost_y gauge\nmilepost_y{queue=\"odoo \\\"main\\\"\\\\1\"} 0.5\n"
        );
    }
}
