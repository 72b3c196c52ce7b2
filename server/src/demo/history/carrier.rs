//! The carrier's side of an order: each parcel's scans, reported as its carrier or tracking
//! aggregator reports them (EasyPost, Shippo, AfterShip, or X12 214 for the LTL carrier), some
//! late and out of order, some twice.

use super::story::Story;
use super::{index, json_message, scans, zone, Message, Plan};
use crate::demo::formats::{self as f, Scan};
use chrono::{DateTime, Duration, Utc};
use rand::Rng;

/// Every report about one parcel (the `k`th of the order), as it arrives.
pub(super) fn parcel_reports(
    plan: &Plan,
    story: &mut Story,
    k: usize,
    tracking: &str,
    left: DateTime<Utc>,
    out: &mut Vec<Message>,
) {
    let scans = scans(&mut story.rng, left);
    let eta = left + Duration::days(3);
    let mut reports: Vec<Message> = Vec::new();
    for upto_scan in 1..=scans.len() {
        let history = &scans[..upto_scan];
        let last = history.last().expect("non-empty").at;
        let arrives = last + Duration::minutes(story.rng.random_range(1..20));
        let body = match story.carrier_connector {
            "easypost" => f::easypost(
                &format!("evt_{tracking}_{upto_scan}"),
                tracking,
                history,
                eta,
            ),
            "shippo" => f::shippo(tracking, history, eta),
            "aftership" => f::aftership(
                &format!("{tracking}-{upto_scan}"),
                tracking,
                &story.name,
                history,
            ),
            _ => {
                let control = (story.n * 40 + k * 20 + upto_scan) as u32;
                reports.push(edi_214(plan, story, tracking, history, control, arrives));
                continue;
            }
        };
        reports.push(json_message(plan, story.carrier_connector, &body, arrives));
    }
    arrive_late_and_twice(story, &mut reports);
    out.extend(reports);
}

/// The LTL carrier's X12 214 for the latest scan.
fn edi_214(
    plan: &Plan,
    story: &Story,
    tracking: &str,
    history: &[Scan],
    control: u32,
    arrives: DateTime<Utc>,
) -> Message {
    let s = history.last().expect("non-empty");
    let (code, reason) = match s.what {
        "picked_up" => ("AF", "NS"),
        "in_transit" => ("X6", "NS"),
        "out_for_delivery" => ("X1", "NS"),
        "attempt" => ("AH", "AG"),
        "delivered" => ("D1", "NS"),
        "damaged" => ("A9", "NS"),
        _ => ("A3", "NS"),
    };
    let zone_c = zone("America/Chicago");
    let set = f::x12_214(
        tracking,
        tracking,
        "NMTF",
        &story.name,
        &[(code, reason, s.at)],
        zone_c,
    );
    let body = f::x12_interchange("NMTF", "QM", control, s.at, zone_c, &[("214", set)]);
    Message {
        connector: index(plan, story.carrier_connector),
        body: body.into_bytes(),
        content_type: "application/edi-x12",
        arrives,
    }
}

/// Some reports arrive after the next one (late, out of order); some arrive twice.
fn arrive_late_and_twice(story: &mut Story, reports: &mut Vec<Message>) {
    let rng = &mut story.rng;
    if reports.len() > 2 && rng.random_bool(0.08) {
        let i = rng.random_range(0..reports.len() - 1);
        let later = reports[i + 1].arrives + Duration::minutes(rng.random_range(5..600));
        reports[i].arrives = later;
    }
    if !reports.is_empty() && rng.random_bool(0.05) {
        let i = rng.random_range(0..reports.len());
        let again = Message {
            connector: reports[i].connector,
            body: reports[i].body.clone(),
            content_type: reports[i].content_type,
            arrives: reports[i].arrives + Duration::minutes(30),
        };
        reports.push(again);
    }
}
