//! `milepost contract check`: a partner's sample messages read exactly as the ingest API reads
//! them (the same adapter, the same ownership and storability checks, `ingest::pipeline::check`),
//! with the answer the API would give, so a 3PL or carrier can test before go-live. Nothing is
//! stored and no database is needed.

use crate::cli::ContractCommand;
use crate::ingest::adapters::{self, Format, Origin};
use crate::ingest::connector::Connector;
use crate::ingest::pipeline;
use anyhow::{bail, Context};
use app::domain::event::{EventType, SourceKind};

/// The usual sender of each format; canonical and X12 senders must say.
fn usual_kind(format: Format) -> Option<SourceKind> {
    match format {
        Format::Odoo => Some(SourceKind::Erp),
        Format::MilepostWms | Format::ShipHero | Format::ShipBob => Some(SourceKind::Wms),
        Format::EasyPost | Format::Shippo | Format::AfterShip => Some(SourceKind::Carrier),
        Format::Canonical | Format::X12 => None,
    }
}

pub async fn run(cmd: ContractCommand) -> anyhow::Result<()> {
    match cmd {
        ContractCommand::Check {
            format,
            kind,
            time_zone,
            files,
        } => check(&format, kind, time_zone, &files),
        ContractCommand::Receiver {
            url,
            allow_private_network,
        } => receiver(url, allow_private_network).await,
    }
}

/// Checks every file; prints one answer per file. Fails when any sample is refused.
fn check(
    format: &str,
    kind: Option<String>,
    time_zone: Option<String>,
    files: &[std::path::PathBuf],
) -> anyhow::Result<()> {
    let format = Format::parse(format).with_context(|| {
        format!(
            "unknown format {format:?}; expected one of: {}",
            Format::ALL
                .iter()
                .map(|f| f.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    })?;
    let kind = match kind {
        Some(k) => k.parse::<SourceKind>().map_err(anyhow::Error::msg)?,
        None => usual_kind(format).with_context(|| {
            format!(
                "say which system sends these {} messages: --kind erp, wms or carrier",
                format.as_str()
            )
        })?,
    };
    let time_zone = time_zone
        .map(|z| {
            z.parse()
                .map_err(|_| anyhow::anyhow!("unknown time zone {z:?}"))
        })
        .transpose()?;
    let origin = Origin {
        connector: "contract-check".into(),
        time_zone,
        warehouse_code: None,
    };
    let connector = Connector {
        id: 0,
        name: "contract-check".into(),
        kind,
        format,
        origin: origin.clone(),
        allowed: EventType::ALL
            .iter()
            .copied()
            .filter(|t| t.owner() == kind)
            .collect(),
        enabled: true,
        signing_secret: None,
        url_token: None,
        previous_signing_secret: None,
        previous_url_token: None,
    };
    let mut refused = 0;
    for file in files {
        let body = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        let parsed = adapters::parse(format, &origin, &body);
        match pipeline::check(&connector, &body, parsed) {
            Ok(parsed) => {
                let types: Vec<&str> = parsed
                    .events
                    .iter()
                    .map(|e| e.event_type.as_str())
                    .collect();
                println!(
                    "{}: accepted (202), {} event(s): {}",
                    file.display(),
                    types.len(),
                    if types.is_empty() {
                        "none (a trigger only)".into()
                    } else {
                        types.join(", ")
                    }
                );
                for code in &parsed.unknown_codes {
                    println!(
                        "  unknown code {}={} (kept and listed for mapping{})",
                        code.field,
                        code.code,
                        code.mapped_to
                            .map(|t| format!("; read as {t}"))
                            .unwrap_or_default()
                    );
                }
            }
            Err(error) => {
                refused += 1;
                println!(
                    "{}: refused ({}) {}",
                    file.display(),
                    error.status().as_u16(),
                    error.body()
                );
            }
        }
    }
    if refused > 0 {
        bail!("{refused} of {} sample(s) would be refused", files.len());
    }
    Ok(())
}

/// A sample order as the release contract carries it.
fn sample_order() -> serde_json::Value {
    serde_json::json!({
        "customer_po": "PO-CONTRACT-1",
        "service": {"carrier": "UPS", "service_level": "ground"},
        "ship_to": {"name": "Contract Test Inc", "street": "5 Dock Road", "street2": "Gate 3", "city": "Peoria",
                    "postal_code": "61602", "country": "US", "phone": "+1 309 555 0199"},
        "lines": [{"line_ref": "CONTRACT-TEST-1", "sku": "SKU-1", "qty": 2, "uom": "EA"}]
    })
}

/// Sends the contract's four cases to a WMS endpoint and reports each answer.
async fn receiver(url: String, allow_private_network: bool) -> anyhow::Result<()> {
    use crate::connectors::http::Targets;
    use crate::connectors::wms::release::{Action, Instruction, WmsClient, WmsConfig};
    let targets = Targets::allowing_private(allow_private_network);
    crate::connectors::http::check_url(&url, targets).map_err(anyhow::Error::msg)?;
    let mut token = String::new();
    std::io::stdin().read_line(&mut token)?;
    let client = WmsClient::new(WmsConfig {
        url: url.clone(),
        token: secrecy::SecretString::from(token.trim().to_string()),
        timeout: std::time::Duration::from_secs(30),
        targets,
    })?;
    let run = uuid::Uuid::new_v4().simple().to_string();
    let order_ref = format!("CONTRACT-TEST-{}", &run[..8]);
    let instruction = |action: Action, id: &str| Instruction {
        instruction_id: format!("contract-test-{id}-{run}"),
        action,
        order_ref: order_ref.clone(),
        order: if action == Action::Cancel {
            serde_json::json!({})
        } else {
            sample_order()
        },
    };
    let release = instruction(Action::Release, "rel");
    let cases = [
        ("release", release.clone()),
        (
            "the same release again (must be accepted, 2xx or 409, and done once)",
            release,
        ),
        ("amend", instruction(Action::Amend, "amd")),
        ("cancel", instruction(Action::Cancel, "cnl")),
    ];
    let mut failed = 0;
    for (what, i) in cases {
        match client.send(&i).await {
            Ok(done) => {
                let status = done
                    .record
                    .response
                    .as_ref()
                    .and_then(|r| r["status"].as_u64())
                    .unwrap_or_default();
                println!("{what}: accepted ({status})");
            }
            Err(e) => {
                failed += 1;
                let answer = e
                    .record
                    .response
                    .as_ref()
                    .map(|r| r.to_string())
                    .unwrap_or_default();
                let kind = match e.failure {
                    crate::attempt::Failure::Transient => "would be retried",
                    crate::attempt::Failure::Fatal => "refused for good (a dead letter)",
                };
                println!("{what}: {kind}: {} {answer}", e.message);
            }
        }
    }
    if failed > 0 {
        bail!("{failed} of 4 contract cases failed at {url}");
    }
    println!("The endpoint answers as the release contract (docs/wms-release.md) expects.");
    Ok(())
}
