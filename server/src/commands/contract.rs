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

/// Checks every file; prints one answer per file. Fails when any sample is refused.
pub fn run(cmd: ContractCommand) -> anyhow::Result<()> {
    let ContractCommand::Check {
        format,
        kind,
        time_zone,
        files,
    } = cmd;
    let format = Format::parse(&format).with_context(|| {
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
    for file in &files {
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
