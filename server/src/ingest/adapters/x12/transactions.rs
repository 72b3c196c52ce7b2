//! Transaction sets to canonical events: 214 (carrier status), 945 (warehouse shipping advice) and
//! 856 (ship notice). Lines are numbered `<order>-<LX>` as the release contract numbers them.

use super::codes::{self, LineOutcome};
use super::{Segment, TransactionSet};
use crate::ingest::adapters::event::Derived;
use crate::ingest::adapters::{
    AdapterError, CanonicalEvent, Format, Origin, Parsed, SourceStatus, Stamp, UnknownCode,
};
use app::domain::event::{EventType, TimeProvenance};
use chrono::{FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone};
use serde_json::{json, Value};

/// The transaction sets Milepost reads.
pub const SUPPORTED: &[&str] = &["214", "856", "945"];

pub struct Context<'a> {
    pub origin: &'a Origin,
    /// `ISA06:ISA13`, so event ids stay unique per partner.
    pub interchange: String,
    /// GS04/GS05: when the document was written, for sets that give only a date.
    pub written: (Option<String>, Option<String>),
}

pub fn map(ctx: &Context, set: &TransactionSet, parsed: &mut Parsed) -> Result<(), AdapterError> {
    match set.id.as_str() {
        "214" => map_214(ctx, set, parsed),
        "945" => map_945(ctx, set, parsed),
        "856" => map_856(ctx, set, parsed),
        other => Err(AdapterError::invalid(
            format!("transaction set {} (ST01)", set.control_number),
            format!("{other} is not supported; send {}", SUPPORTED.join(", ")),
        )),
    }
}

fn find<'a>(set: &'a TransactionSet, id: &str) -> Option<&'a Segment> {
    set.segments.iter().find(|s| s.id == id)
}

fn required<'a>(
    segment: Option<&'a Segment>,
    id: &str,
    n: usize,
    set: &TransactionSet,
) -> Result<&'a str, AdapterError> {
    segment.and_then(|s| s.element(n)).ok_or_else(|| {
        let at = segment
            .map(|s| format!("segment {} ({id})", s.position))
            .unwrap_or_else(|| format!("transaction set {} ({})", set.control_number, set.id));
        AdapterError::invalid(at, format!("{id}{n:02} is required"))
    })
}

/// A date and time as X12 writes them, placed by its time code: UT is UTC, the US zone codes are
/// fixed offsets, and LT or no code means the facility's local time (assumed, from the connector).
fn stamp(date: Option<&str>, time: Option<&str>, code: Option<&str>, origin: &Origin) -> Stamp {
    let Some(date) = date.and_then(|d| NaiveDate::parse_from_str(d, "%Y%m%d").ok()) else {
        return Stamp::UNKNOWN;
    };
    let time = time
        .and_then(|t| NaiveTime::parse_from_str(t.get(..4).unwrap_or(t), "%H%M").ok())
        .unwrap_or(NaiveTime::MIN);
    let local = NaiveDateTime::new(date, time);
    let fixed_hours = match code {
        Some("UT") | Some("GM") | Some("Z") => Some(0),
        Some("ED") => Some(-4),
        Some("ES") | Some("CD") => Some(-5),
        Some("CS") | Some("MD") => Some(-6),
        Some("MS") | Some("PD") => Some(-7),
        Some("PS") => Some(-8),
        _ => None,
    };
    match fixed_hours.and_then(|h| FixedOffset::east_opt(h * 3600)) {
        Some(offset) => match offset.from_local_datetime(&local).single() {
            Some(at) => Stamp {
                at: Some(at),
                provenance: TimeProvenance::Given,
            },
            None => Stamp::UNKNOWN,
        },
        None => Stamp::facility_local(
            Some(&local.format("%Y-%m-%d %H:%M").to_string()),
            &["%Y-%m-%d %H:%M"],
            origin.time_zone,
        ),
    }
}

fn map_214(ctx: &Context, set: &TransactionSet, parsed: &mut Parsed) -> Result<(), AdapterError> {
    let b10 = find(set, "B10");
    let pro = required(b10, "B10", 1, set)?;
    let bol = b10.and_then(|s| s.element(2));
    let scac = b10.and_then(|s| s.element(3));
    let order_ref = set
        .segments
        .iter()
        .filter(|s| s.id == "L11" && matches!(s.element(2), Some("PO" | "OQ" | "ON" | "CO")))
        .find_map(|s| s.element(1));
    let mut location = Value::Null;
    for (i, segment) in set.segments.iter().enumerate() {
        if segment.id != "AT7" {
            continue;
        }
        let Some(status) = segment.element(1) else {
            continue;
        };
        if let Some(ms1) = set.segments.get(i + 1).filter(|s| s.id == "MS1") {
            location = json!({"city": ms1.element(1), "region": ms1.element(2), "country": ms1.element(3)});
        }
        let reason_code = segment.element(2).filter(|r| *r != "NS");
        let event_type = match codes::at701(status) {
            // The reason decides where the parcel goes: "cancelled, returned to shipper"
            // (AT7*CA*BT) is a parcel on its way back, not an exception beside a live delivery.
            Some(Some(_)) if reason_code.is_some_and(codes::returns_to_shipper) => {
                EventType::ShipmentReturnedToSender
            }
            Some(Some(t)) => t,
            Some(None) => continue,
            None => {
                parsed.unknown_codes.push(UnknownCode {
                    field: "AT701".into(),
                    code: status.into(),
                    mapped_to: None,
                });
                continue;
            }
        };
        let mut data =
            json!({"tracking_number": pro, "carrier": scac, "bol": bol, "location": location});
        if let Some(order) = order_ref {
            data["order"] = json!({"erp_order_id": order});
        }
        match reason_code {
            Some(reason) => match codes::at702(reason) {
                Some((word, owner)) => {
                    data["reason"] =
                        json!({"code": word, "source_code": format!("AT702={reason}")});
                    data["action_owner"] = json!(owner.as_str());
                }
                None => parsed.unknown_codes.push(UnknownCode {
                    field: "AT702".into(),
                    code: reason.into(),
                    mapped_to: Some(event_type),
                }),
            },
            None if event_type == EventType::ShipmentException => {
                let word = match status {
                    "A7" => "refused",
                    "A9" => "damaged",
                    "CA" => "cancelled",
                    _ => "carrier_exception",
                };
                data["reason"] = json!({"code": word, "source_code": format!("AT701={status}")});
            }
            None => {}
        }
        // A status that is the consignee's doing or waits on them (refused, available for
        // pick-up) says so when no reason says otherwise.
        if data.get("action_owner").is_none() && codes::waits_on_consignee(status) {
            data["action_owner"] = json!(codes::ActionOwner::Consignee.as_str());
        }
        let (date, time, code) = (segment.element(5), segment.element(6), segment.element(7));
        parsed.events.push(CanonicalEvent::derived(
            ctx.origin,
            Format::X12,
            Derived {
                id: format!(
                    "x12-214:{}:{pro}:{status}:{}{}",
                    scac.unwrap_or("-"),
                    date.unwrap_or("-"),
                    time.unwrap_or("")
                ),
                event_type,
                subject: format!("shipment/{pro}"),
                stamp: stamp(date, time, code, ctx.origin),
                data,
                status: SourceStatus {
                    system: "x12-214".into(),
                    code: format!("AT701={status}"),
                    text: codes::AT701
                        .iter()
                        .find(|c| c.0 == status)
                        .map(|c| c.1.to_string()),
                    raw_time: Some(format!(
                        "{} {} {}",
                        date.unwrap_or(""),
                        time.unwrap_or(""),
                        code.unwrap_or("")
                    )),
                },
            },
        ));
    }
    Ok(())
}

fn map_945(ctx: &Context, set: &TransactionSet, parsed: &mut Parsed) -> Result<(), AdapterError> {
    let w06 = find(set, "W06");
    let order_ref = required(w06, "W06", 2, set)?;
    let shipment_id = w06.and_then(|s| s.element(4));
    let ship_date = set
        .segments
        .iter()
        .find(|s| s.id == "G62" && s.element(1) == Some("11"))
        .and_then(|s| s.element(2))
        .or(w06.and_then(|s| s.element(3)));
    let tracking = set
        .segments
        .iter()
        .find(|s| s.id == "N9" && matches!(s.element(1), Some("CN" | "2I")))
        .and_then(|s| s.element(2))
        .or(shipment_id)
        .unwrap_or(order_ref);
    let scac = find(set, "W27").and_then(|s| s.element(2));
    let mut lines = Vec::new();
    let mut packages = Vec::new();
    let mut substitutions = Vec::new();
    let mut lx = String::new();
    for segment in &set.segments {
        match segment.id.as_str() {
            "LX" => lx = segment.element(1).unwrap_or_default().to_string(),
            "W12" => {
                let code = required(Some(segment), "W12", 1, set)?;
                let outcome = codes::w1201(code).unwrap_or_else(|| {
                    parsed.unknown_codes.push(UnknownCode {
                        field: "W1201".into(),
                        code: code.into(),
                        mapped_to: None,
                    });
                    LineOutcome::ByQuantity
                });
                let number = |n| segment.element(n).and_then(|q: &str| q.parse::<f64>().ok());
                let (ordered, shipped) = (number(2), number(3).unwrap_or_default());
                let status = match outcome {
                    LineOutcome::ByQuantity if ordered.is_some_and(|o| shipped >= o) => "complete",
                    other => other.line_status(),
                };
                let line_ref = format!("{order_ref}-{lx}");
                // W1207/W1208: the item shipped, by its qualifier (VN vendor's, BP buyer's, SK
                // SKU, UP U.P.C. …). For a substitution (IS) the item ordered is W1217/W1218.
                let sku = segment.element(8);
                if outcome == LineOutcome::Substituted {
                    let substitute_ref = format!("{line_ref}S");
                    substitutions.push(json!({"line_ref": substitute_ref, "sku": sku, "sku_qualifier": segment.element(7),
                                              "qty": shipped, "substitute_of": line_ref,
                                              "original_sku": segment.element(18), "original_sku_qualifier": segment.element(17)}));
                    // What shipped is booked on the substitute's line; the ordered line is
                    // replaced, neither shipped nor short.
                    lines.push(json!({"line_ref": line_ref, "sku": segment.element(18), "qty_ordered": ordered,
                                      "qty_shipped": 0, "qty_short": 0, "uom": segment.element(5), "line_status": "substituted"}));
                    lines.push(json!({"line_ref": substitute_ref, "sku": sku, "qty_ordered": shipped, "qty_shipped": shipped,
                                      "qty_short": 0, "uom": segment.element(5), "line_status": "complete"}));
                    continue;
                }
                let short = ordered
                    .map(|o| (o - shipped).max(0.0))
                    .or(number(4))
                    .unwrap_or_default();
                let mut line = json!({"line_ref": line_ref, "sku": sku, "qty_ordered": ordered, "qty_shipped": shipped,
                                      "qty_short": short, "uom": segment.element(5), "line_status": status});
                if status != "complete" {
                    line["reason"] = json!({"code": short_reason(outcome), "source_code": format!("W1201={code}")});
                }
                lines.push(line);
            }
            "N9" if segment.element(1) == Some("LV") && !lx.is_empty() => {
                if let (Some(sscc), Some(line)) = (segment.element(2), lines.last()) {
                    packages.push(json!({"sscc": sscc, "contents": [{"line_ref": line["line_ref"], "sku": line["sku"], "qty": line["qty_shipped"]}]}));
                }
            }
            _ => {}
        }
    }
    let stamp = stamp(ship_date, ctx.written.1.as_deref(), None, ctx.origin);
    let backordered = lines
        .iter()
        .any(|l| l["line_status"] == "partial_backordered");
    let id = format!(
        "x12-945:{}:{}:{order_ref}",
        ctx.interchange, set.control_number
    );
    let code = format!("W0601={}", w06.and_then(|s| s.element(1)).unwrap_or(""));
    let status = |code: String| SourceStatus {
        system: "x12-945".into(),
        code,
        text: None,
        raw_time: ship_date.map(str::to_string),
    };
    for (i, substitution) in substitutions.into_iter().enumerate() {
        parsed.events.push(CanonicalEvent::derived(
            ctx.origin,
            Format::X12,
            Derived {
                id: format!("{id}:substitution:{i}"),
                event_type: EventType::LineSubstituted,
                subject: format!("order/{order_ref}"),
                stamp,
                data: json!({"order": {"erp_order_id": order_ref}, "lines": [substitution]}),
                status: status("W1201=IS".into()),
            },
        ));
    }
    parsed.events.push(CanonicalEvent::derived(ctx.origin, Format::X12, Derived {
        id,
        event_type: EventType::ShipmentDispatched,
        subject: format!("order/{order_ref}"),
        stamp,
        data: json!({
            "order": {"erp_order_id": order_ref, "customer_po": w06.and_then(|s| s.element(6))},
            "shipment": {"wms_shipment_id": shipment_id, "bol": shipment_id, "carrier_scac": scac, "tracking_numbers": [tracking]},
            "packages": packages,
            "lines": lines,
            "is_final": !backordered,
        }),
        status: status(code),
    }));
    Ok(())
}

/// The reason a line did not ship in full, by what its status code said.
fn short_reason(outcome: LineOutcome) -> &'static str {
    match outcome {
        LineOutcome::OutOfStock | LineOutcome::PartialBackordered => "out_of_stock",
        LineOutcome::Cancelled => "cancelled",
        _ => "short",
    }
}

fn map_856(ctx: &Context, set: &TransactionSet, parsed: &mut Parsed) -> Result<(), AdapterError> {
    let bsn = find(set, "BSN");
    let asn = required(bsn, "BSN", 2, set)?;
    let purpose = required(bsn, "BSN", 1, set)?;
    // A cancelled or deleted notice withdraws goods reported before; Milepost keeps it and lists
    // it rather than guessing which dispatch it undoes. An undocumented purpose is listed too.
    if codes::bsn01(purpose) != Some(true) {
        parsed.unknown_codes.push(UnknownCode {
            field: "BSN01".into(),
            code: purpose.into(),
            mapped_to: None,
        });
        return Ok(());
    }
    let (date, time) = (
        bsn.and_then(|s| s.element(3)),
        bsn.and_then(|s| s.element(4)),
    );
    let scac = find(set, "TD5").and_then(|s| s.element(3));
    let bol = set
        .segments
        .iter()
        .find(|s| s.id == "REF" && s.element(1) == Some("BM"))
        .and_then(|s| s.element(2));
    let tracking = set
        .segments
        .iter()
        .find(|s| s.id == "REF" && matches!(s.element(1), Some("CN" | "2I")))
        .and_then(|s| s.element(2))
        .or(bol)
        .unwrap_or(asn);
    // Orders (HL O) own packs (HL P) own items (HL I); walk them in order.
    let mut orders: Vec<(String, Vec<Value>, Vec<Value>)> = Vec::new();
    let mut sscc: Option<String> = None;
    let mut item_sku: Option<String> = None;
    for segment in &set.segments {
        match (segment.id.as_str(), segment.element(1)) {
            ("PRF", Some(order)) => orders.push((order.to_string(), vec![], vec![])),
            ("MAN", _) => {
                sscc = segment.element(2).map(str::to_string);
                if let (Some(order), Some(sscc)) = (orders.last_mut(), &sscc) {
                    order.2.push(json!({"sscc": sscc, "contents": []}));
                }
            }
            ("LIN", _) => item_sku = segment.element(3).map(str::to_string),
            ("SN1", _) => {
                let Some(order) = orders.last_mut() else {
                    return Err(AdapterError::invalid(
                        format!("segment {} (SN1)", segment.position),
                        "an item must follow an order (HL O with PRF)",
                    ));
                };
                let number = |n| segment.element(n).and_then(|q: &str| q.parse::<f64>().ok());
                // SN102 shipped, SN105 ordered, SN108 what the seller did with the line.
                let (qty, ordered) = (number(2).unwrap_or_default(), number(5));
                let outcome = match segment.element(8) {
                    None => LineOutcome::ByQuantity,
                    Some(code) => codes::sn108(code).unwrap_or_else(|| {
                        parsed.unknown_codes.push(UnknownCode {
                            field: "SN108".into(),
                            code: code.into(),
                            mapped_to: None,
                        });
                        LineOutcome::ByQuantity
                    }),
                };
                let status = match outcome {
                    LineOutcome::ByQuantity if ordered.is_none_or(|o| qty >= o) => "complete",
                    other => other.line_status(),
                };
                let mut line = json!({"sku": item_sku, "qty_shipped": qty, "uom": segment.element(3), "line_status": status});
                if let Some(ordered) = ordered {
                    line["qty_ordered"] = json!(ordered);
                    line["qty_short"] = json!((ordered - qty).max(0.0));
                }
                if let Some(code) = segment.element(8).filter(|_| status != "complete") {
                    line["reason"] = json!({"code": short_reason(outcome), "source_code": format!("SN108={code}")});
                }
                if let Some(package) = order.2.last_mut().filter(|_| sscc.is_some()) {
                    package["contents"]
                        .as_array_mut()
                        .expect("contents is an array")
                        .push(json!({"sku": item_sku, "qty": qty}));
                }
                order.1.push(line);
            }
            _ => {}
        }
    }
    if orders.is_empty() {
        return Err(AdapterError::invalid(
            format!("transaction set {} (856)", set.control_number),
            "no order level (HL O with PRF) was found",
        ));
    }
    for (order_ref, lines, packages) in orders {
        parsed.events.push(CanonicalEvent::derived(ctx.origin, Format::X12, Derived {
            id: format!("x12-856:{}:{asn}:{order_ref}", ctx.interchange),
            event_type: EventType::ShipmentDispatched,
            subject: format!("order/{order_ref}"),
            stamp: stamp(date, time, None, ctx.origin),
            data: json!({
                "order": {"erp_order_id": order_ref},
                "shipment": {"asn": asn, "bol": bol, "carrier_scac": scac, "tracking_numbers": [tracking]},
                "packages": packages,
                "lines": lines,
            }),
            status: SourceStatus { system: "x12-856".into(), code: format!("BSN01={}", bsn.and_then(|s| s.element(1)).unwrap_or("")), text: None, raw_time: date.map(str::to_string) },
        }));
    }
    Ok(())
}
