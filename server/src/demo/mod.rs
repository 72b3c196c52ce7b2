//! `milepost demo`: accounts, one user per role with the passwords the README documents,
//! connectors, and an order history fed through the ingest pipeline (`history`). Running it
//! again the same day changes nothing.

mod formats;
pub mod history;
pub mod sla;

use anyhow::Context;
use app::domain::Role;
use app::services::users::{self, NewUser};
use secrecy::SecretString;
use sqlx::PgPool;

/// The demo account's code.
pub const DEMO_ACCOUNT: &str = "DEMO";
/// Every demo user's password (documented in the README).
pub const DEMO_PASSWORD: &str = "milepost-demo";

/// The demo users: one per role, `<role>@demo.milepost.test`.
pub fn demo_users() -> Vec<(Role, String, &'static str)> {
    vec![
        (Role::Admin, "admin@demo.milepost.test".into(), "Ada Admin"),
        (
            Role::Integrator,
            "integrator@demo.milepost.test".into(),
            "Ivan Integrator",
        ),
        (Role::Agent, "agent@demo.milepost.test".into(), "Alma Agent"),
        (
            Role::AccountManager,
            "account_manager@demo.milepost.test".into(),
            "Mona Manager",
        ),
        (
            Role::Customer,
            "customer@demo.milepost.test".into(),
            "Cody Customer",
        ),
    ]
}

/// How much history to make.
#[derive(Clone, Copy, Debug)]
pub struct DemoSize {
    pub orders: usize,
    pub days: i64,
    /// Leave the history out when orders already exist.
    pub if_empty: bool,
}

pub async fn seed(pool: &PgPool, size: DemoSize) -> anyhow::Result<()> {
    if app::store::accounts::find_by_code(pool, DEMO_ACCOUNT)
        .await?
        .is_none()
    {
        app::services::accounts::create(pool, DEMO_ACCOUNT, "Demo Retail Co", None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .context("creating the demo account")?;
    }
    for (role, email, name) in demo_users() {
        if app::store::users::find_by_email(pool, &email)
            .await?
            .is_some()
        {
            continue;
        }
        let accounts = match role {
            Role::Customer | Role::AccountManager => vec![DEMO_ACCOUNT.to_string()],
            _ => vec![],
        };
        let new = NewUser {
            email: email.clone(),
            display_name: Some(name.to_string()),
            role,
            account_codes: accounts,
            password: SecretString::from(DEMO_PASSWORD),
        };
        users::create(pool, new, None)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))
            .with_context(|| format!("creating {email}"))?;
    }
    sla::ensure(pool, size.days)
        .await
        .context("setting up the demo's SLA policies and calendars")?;
    let started = std::time::Instant::now();
    println!(
        "Feeding {} orders over {} days through the ingest pipeline…",
        size.orders, size.days
    );
    let stats = history::generate(pool, size.orders, size.days, 8).await?;
    // Fold what was stored now, so the pages show it even before a server runs the projector.
    let folded = crate::projector::drain(pool).await?;
    let load = |a: &std::sync::atomic::AtomicUsize| a.load(std::sync::atomic::Ordering::Relaxed);
    println!(
        "{} messages in {:.0} s: {} events stored, {} duplicate events, {} re-delivered messages; {folded} events folded into orders.",
        load(&stats.messages),
        started.elapsed().as_secs_f64(),
        load(&stats.accepted),
        load(&stats.duplicates),
        load(&stats.redeliveries)
    );
    println!("Demo data ready. Sign in at the app with any of these (password: {DEMO_PASSWORD}):");
    for (role, email, _) in demo_users() {
        println!("  {email:<40} {role}");
    }
    Ok(())
}

/// `demo --live`: the Odoo, warehouse and carrier stand-ins wired to the Milepost serving at
/// `milepost_url` through the real connectors; a new order is created and confirmed in Odoo
/// every `every` until Ctrl-C, and moves through release, fulfillment, transport and write-back.
pub async fn live(
    pool: &PgPool,
    milepost_url: &str,
    every: std::time::Duration,
) -> anyhow::Result<()> {
    use crate::simulators::live::{self, LiveOptions};
    let options = LiveOptions::new(milepost_url);
    let stand_ins = live::start(pool, &options)
        .await
        .context("starting the live stand-ins")?;
    println!(
        "Live demo: Odoo stand-in at {} (JSON-2 and JSON-RPC), WMS stand-in at {}.\n\
         A new order is confirmed in Odoo every {} s; watch them on {milepost_url}/orders and {milepost_url}/integrations.\n\
         Ctrl-C stops the stand-ins (Milepost keeps what it received).",
        stand_ins.odoo.url,
        stand_ins.wms.url,
        every.as_secs()
    );
    let products = [(21, 4.0), (26, 2.0), (29, 1.0), (30, 3.0)];
    let mut n: usize = 0;
    loop {
        n += 1;
        let partner = if n.is_multiple_of(2) { 45 } else { 47 };
        let lines: Vec<(i64, f64)> = products
            .iter()
            .copied()
            .take(1 + n % products.len())
            .collect();
        let (id, name) = stand_ins
            .odoo
            .create_order(partner, &lines, &format!("LIVE-{n:04}"))
            .await;
        stand_ins.odoo.confirm(id).await;
        println!("Odoo confirmed {name}");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => return Ok(()),
            _ = tokio::time::sleep(every) => {}
        }
    }
}
