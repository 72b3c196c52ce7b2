//! A carrier stand-in: it takes a dispatched parcel to the door and reports each scan to
//! Milepost as a canonical event (`POST /api/v1/events`, CloudEvents, the carrier connector's
//! API key): picked up, in transit, out for delivery, on some parcels a failed attempt first,
//! delivered with a signature.

use chrono::Utc;
use serde_json::{json, Value};
use std::time::Duration;

#[derive(Clone)]
pub struct Carrier {
    /// Milepost's `…/api/v1/events`.
    pub events_url: String,
    pub api_key: String,
    pub step: Duration,
    /// Every n-th parcel is not delivered at the first attempt (0: never).
    pub failed_attempt_every: u64,
    pub http: reqwest::Client,
}

impl Carrier {
    /// Reports the parcel's scans, one message each, a step apart.
    pub async fn carry(&self, tracking: &str, n: u64) {
        let mut scans: Vec<(&str, Value)> = vec![
            ("shipment.picked_up", json!({})),
            (
                "shipment.in_transit",
                json!({"location": {"city": "Louisville", "country": "US"}}),
            ),
            ("shipment.out_for_delivery", json!({})),
        ];
        if self.failed_attempt_every > 0 && n.is_multiple_of(self.failed_attempt_every) {
            scans.push((
                "shipment.delivery_attempted",
                json!({"reason": {"code": "consignee_absent", "text": "nobody at the address"}}),
            ));
            scans.push(("shipment.out_for_delivery", json!({})));
        }
        scans.push((
            "shipment.delivered",
            json!({"proof_of_delivery": {"signed_by": "J. DOE"}, "pod": {"signed_by": "J. DOE"}}),
        ));
        for (i, (kind, mut data)) in scans.into_iter().enumerate() {
            tokio::time::sleep(self.step).await;
            data["tracking_number"] = json!(tracking);
            let event = json!({"specversion": "1.0", "id": format!("{tracking}-{i}"), "source": "carrier-sim",
                               "type": kind, "subject": format!("shipment/{tracking}"),
                               "time": Utc::now().to_rfc3339(), "data": data});
            let sent = self
                .http
                .post(&self.events_url)
                .bearer_auth(&self.api_key)
                .header("content-type", "application/cloudevents+json")
                .body(event.to_string())
                .send()
                .await;
            if !sent.is_ok_and(|r| r.status().is_success()) {
                tracing::warn!(tracking, kind, "Milepost did not take the carrier's scan");
                return;
            }
        }
    }
}
