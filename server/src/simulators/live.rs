//! Wires the stand-ins to a running Milepost through the real connectors: an Odoo connector
//! whose webhooks come from the Odoo stand-in and whose outbound settings point at it, a WMS
//! connector for warehouse `WH` that releases to the WMS stand-in and hears back from it, and a
//! carrier connector with an API key for the carrier stand-in. Used by `milepost demo --live`
//! and by the end-to-end tests; connectors that exist already are reused.

use super::carrier::Carrier;
use super::odoo::OdooStandIn;
use super::wms::{Reporter, WmsStandIn};
use crate::connectors::outbound::{ODOO_API_KEY, WMS_TOKEN};
use crate::ingest::setup::{create_connector, create_key, ConnectorSpec};
use crate::store::connectors;
use anyhow::Context;
use serde_json::{json, Value};
use sqlx::PgPool;
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct LiveOptions {
    /// Where Milepost serves, e.g. `http://127.0.0.1:3000`.
    pub milepost_url: String,
    /// The pause between two steps of an order's warehouse and carrier story.
    pub step: Duration,
    pub short_every: u64,
    pub failed_attempt_every: u64,
    /// Addresses for the stand-ins (`127.0.0.1:0` picks a free port).
    pub odoo_addr: String,
    pub wms_addr: String,
    /// The Odoo catch-up pull, every this many seconds.
    pub poll_seconds: Option<u32>,
    /// SKUs the warehouse ships another product for: (ordered, substitute).
    pub substitutions: Vec<(String, String)>,
}

impl LiveOptions {
    pub fn new(milepost_url: &str) -> Self {
        Self {
            milepost_url: milepost_url.trim_end_matches('/').to_string(),
            step: Duration::from_secs(3),
            short_every: 3,
            failed_attempt_every: 4,
            odoo_addr: "127.0.0.1:0".into(),
            wms_addr: "127.0.0.1:0".into(),
            poll_seconds: Some(60),
            substitutions: Vec::new(),
        }
    }
}

pub const ODOO: &str = "odoo-live";
pub const WMS: &str = "wms-live";
pub const CARRIER: &str = "carrier-live";
pub const WAREHOUSE: &str = "WH";

pub struct Live {
    pub odoo: OdooStandIn,
    pub wms: WmsStandIn,
}

/// A connector's stored secret, creating the connector first when it is missing.
async fn connector_secret(
    pool: &PgPool,
    spec: &ConnectorSpec<'_>,
    key: &str,
) -> anyhow::Result<String> {
    if connectors::find_by_name(pool, spec.name).await?.is_none() {
        create_connector(pool, spec).await?;
    }
    let stored = connectors::find_by_name(pool, spec.name)
        .await?
        .context("the connector was just created")?;
    let sealed = stored
        .secrets
        .get(key)
        .and_then(Value::as_str)
        .with_context(|| format!("connector {} has no {key}", spec.name))?;
    Ok(crate::secrets::keyring().open(sealed)?)
}

/// Starts the stand-ins and points the connectors at them.
pub async fn start(pool: &PgPool, o: &LiveOptions) -> anyhow::Result<Live> {
    let spec = |name, kind, format, warehouse| ConnectorSpec {
        name,
        kind,
        format,
        types: vec![],
        time_zone: None,
        warehouse_code: warehouse,
    };
    let odoo_token = connector_secret(pool, &spec(ODOO, "erp", "odoo", None), "url_token").await?;
    let wms_secret = connector_secret(
        pool,
        &spec(WMS, "wms", "milepost_wms", Some(WAREHOUSE)),
        "signing_secret",
    )
    .await?;
    if connectors::find_by_name(pool, CARRIER).await?.is_none() {
        create_connector(pool, &spec(CARRIER, "carrier", "canonical", None)).await?;
    }
    let carrier_key = create_key(pool, CARRIER, "carrier stand-in").await?.key;
    // The stand-in's customers belong to the demo's first two accounts, mapped as an integrator
    // would: an order of an unmapped customer is held, not released (`projector::held`).
    for (partner, (code, name, _)) in [
        (45, crate::demo::history::ACCOUNTS[0]),
        (47, crate::demo::history::ACCOUNTS[1]),
    ] {
        let account = match app::store::accounts::find_by_code(pool, code).await? {
            Some(a) => a.account_id,
            None => app::store::accounts::insert(pool, code, name).await?,
        };
        app::store::accounts::map_external_ref(pool, "odoo", &partner.to_string(), account).await?;
    }

    let api_key = "odoo-live-api-key";
    let odoo = OdooStandIn::serve(super::odoo::OdooState::seeded(api_key), &o.odoo_addr).await?;
    odoo.with(|s| {
        s.webhook_url = Some(format!(
            "{}/api/v1/webhooks/{ODOO}?token={odoo_token}",
            o.milepost_url
        ))
    });
    let carrier = Carrier {
        events_url: format!("{}/api/v1/events", o.milepost_url),
        api_key: carrier_key,
        step: o.step,
        failed_attempt_every: o.failed_attempt_every,
        http: reqwest::Client::new(),
    };
    let wms_token = "wms-live-token";
    let wms = WmsStandIn::serve(
        wms_token,
        Some(Reporter {
            webhook_url: format!("{}/api/v1/webhooks/{WMS}", o.milepost_url),
            secret: wms_secret,
            warehouse: WAREHOUSE.into(),
            step: o.step,
            short_every: o.short_every,
            substitutions: o.substitutions.clone(),
            carrier: Some(carrier),
        }),
        &o.wms_addr,
    )
    .await?;

    let mut odoo_settings = json!({"system": "odoo", "base_url": odoo.url, "database": "odoo_probe", "allow_private_network": true,
                                   "concurrency": 2, "timeout_seconds": 5});
    if let Some(p) = o.poll_seconds {
        odoo_settings["poll_seconds"] = json!(p);
    }
    connectors::set_outbound(
        pool,
        ODOO,
        Some(&odoo_settings),
        &json!({ ODOO_API_KEY: api_key }),
    )
    .await?;
    connectors::set_outbound(
        pool,
        WMS,
        Some(&json!({"system": "wms", "url": wms.url, "concurrency": 4, "timeout_seconds": 5, "allow_private_network": true})),
        &json!({ WMS_TOKEN: wms_token }),
    )
    .await?;
    Ok(Live { odoo, wms })
}
