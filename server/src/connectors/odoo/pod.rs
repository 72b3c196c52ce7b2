//! Proof of delivery into Odoo: each image the carrier gives a URL for (a signature, a photo at
//! the door) is fetched, at most `MAX_POD_BYTES` and only an image or a PDF, and attached to the
//! delivery picking (`ir.attachment`); the sale order gets a note with the signer, the time and
//! a link to each attachment, and says which files could not be fetched and why.
//!
//! A job may run twice: an attachment already on the picking under its name is not fetched
//! again, and the note carries the event's marker. A carrier that does not answer (timeout,
//! 5xx) is retried; a file that will not come (4xx, too large, not an image) is named in the
//! note and the rest goes on.

use super::calls::Exchanges;
use super::client::OdooClient;
use super::notes::{self, Note};
use crate::attempt::{Done, JobError};
use crate::connectors::http::{bounded_bytes, check_url};
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// The largest file Milepost fetches and attaches (5 MiB): a photo or a signature, not a video.
pub const MAX_POD_BYTES: usize = 5 * 1024 * 1024;

/// An `odoo.pod` job's payload.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProofOfDelivery {
    pub order_ref: String,
    /// The causing event, written into the note so a second run finds it.
    pub marker: String,
    pub tracking_number: String,
    pub signed_by: Option<String>,
    /// When the carrier delivered, as the carrier said it.
    pub delivered_at: Option<String>,
    /// The files' URLs (signature, photos), in the carrier's order.
    pub files: Vec<String>,
}

/// What happened to one file.
enum Fetched {
    Attached { id: i64, name: String },
    Failed { url: String, why: String },
}

pub async fn attach(odoo: &OdooClient, p: &ProofOfDelivery) -> Result<Done, JobError> {
    let mut x = Exchanges::default();
    let Some((picking_id, picking_name)) = delivery(odoo, &mut x, p).await? else {
        return Err(x.fatal(format!(
            "Odoo has no done delivery of {} (tracking {}) to attach the proof of delivery to",
            p.order_ref, p.tracking_number
        )));
    };
    let http = odoo
        .file_client()
        .map_err(|e| JobError::transient(format!("no HTTP client: {e}")))?;
    let mut fetched = Vec::new();
    for (i, url) in p.files.iter().enumerate() {
        let stem = format!("Proof of delivery {} {}", p.tracking_number, i + 1);
        let existing = x
            .call(
                odoo,
                "ir.attachment",
                "search_read",
                None,
                json!({"domain": [["res_model", "=", "stock.picking"], ["res_id", "=", picking_id],
                                  ["name", "=like", format!("{stem}.%")]],
                       "fields": ["id", "name"], "limit": 1}),
            )
            .await?;
        if let Some(a) = existing.as_array().and_then(|a| a.first()) {
            fetched.push(Fetched::Attached {
                id: a["id"].as_i64().unwrap_or_default(),
                name: a["name"].as_str().unwrap_or(&stem).to_string(),
            });
            continue;
        }
        let file = match fetch(&http, odoo, url).await {
            Ok(file) => file,
            Err(FetchError::Later(why)) => {
                let attached = fetched
                    .iter()
                    .filter(|f| matches!(f, Fetched::Attached { .. }))
                    .count();
                return Err(JobError::transient(format!(
                    "the proof of delivery at {url} could not be fetched: {why} (done in Odoo: {attached} of {} files attached; not done: the rest and the note)",
                    p.files.len()
                ))
                .with_record(std::mem::take(&mut x).record()));
            }
            Err(FetchError::Never(why)) => {
                fetched.push(Fetched::Failed {
                    url: url.clone(),
                    why,
                });
                continue;
            }
        };
        let name = format!("{stem}.{}", file.extension);
        let created = x
            .call(
                odoo,
                "ir.attachment",
                "create",
                None,
                json!({"vals_list": [{"name": name, "res_model": "stock.picking", "res_id": picking_id,
                                      "mimetype": file.mimetype,
                                      "datas": base64::engine::general_purpose::STANDARD.encode(&file.bytes)}]}),
            )
            .await?;
        let id = created
            .as_array()
            .and_then(|a| a.first())
            .or(Some(&created))
            .and_then(Value::as_i64)
            .unwrap_or_default();
        fetched.push(Fetched::Attached { id, name });
    }
    let note = Note {
        order_ref: p.order_ref.clone(),
        marker: p.marker.clone(),
        body: note_body(p, &picking_name, &fetched, odoo.base_url()),
        activity_summary: None,
    };
    let noted = notes::post(odoo, &note).await?;
    x.keep(noted.record);
    Ok(Done { record: x.record() })
}

/// The note: who signed and when, a link to each attachment, and what could not be attached.
/// Plain text (a note posted over the API is text; Odoo escapes markup), with each link whole so
/// it can be followed from the chatter.
fn note_body(p: &ProofOfDelivery, picking: &str, fetched: &[Fetched], odoo_url: &str) -> String {
    let mut body = format!("Proof of delivery for tracking {}", p.tracking_number);
    if let Some(signer) = &p.signed_by {
        body.push_str(&format!(", signed by {signer}"));
    }
    if let Some(at) = &p.delivered_at {
        body.push_str(&format!(" at {at}"));
    }
    body.push('.');
    let links: Vec<String> = fetched
        .iter()
        .filter_map(|f| match f {
            Fetched::Attached { id, name } => Some(format!(
                "{name} ({odoo_url}/web/content/{id}?download=true)"
            )),
            Fetched::Failed { .. } => None,
        })
        .collect();
    if !links.is_empty() {
        body.push_str(&format!(" Attached to {picking}: {}.", links.join(", ")));
    }
    for f in fetched {
        if let Fetched::Failed { url, why } = f {
            body.push_str(&format!(" Not attached: {url} ({why})."));
        }
    }
    body
}

/// The delivery the parcel left on: the done outgoing picking with its tracking number, else
/// the order's newest done delivery.
async fn delivery(
    odoo: &OdooClient,
    x: &mut Exchanges,
    p: &ProofOfDelivery,
) -> Result<Option<(i64, String)>, JobError> {
    let found = x
        .call(
            odoo,
            "stock.picking",
            "search_read",
            None,
            json!({"domain": [["origin", "=", p.order_ref], ["picking_type_code", "=", "outgoing"], ["state", "=", "done"]],
                   "fields": ["id", "name", "carrier_tracking_ref"], "order": "id desc"}),
        )
        .await?;
    let all = found.as_array().cloned().unwrap_or_default();
    let chosen = all
        .iter()
        .find(|d| d["carrier_tracking_ref"] == p.tracking_number.as_str())
        .or(all.first());
    Ok(chosen.map(|d| {
        (
            d["id"].as_i64().unwrap_or_default(),
            d["name"].as_str().unwrap_or("the delivery").to_string(),
        )
    }))
}

struct File {
    bytes: Vec<u8>,
    mimetype: String,
    extension: &'static str,
}

enum FetchError {
    /// Worth trying again later (no answer, 5xx, 429).
    Later(String),
    /// Will not come (4xx, too large, not an image, a refused address).
    Never(String),
}

/// The kinds of file a proof of delivery is, with the extension each is saved under.
const KINDS: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
    ("image/tiff", "tiff"),
    ("image/svg+xml", "svg"),
    ("application/pdf", "pdf"),
];

async fn fetch(http: &reqwest::Client, odoo: &OdooClient, url: &str) -> Result<File, FetchError> {
    check_url(url, odoo.targets()).map_err(FetchError::Never)?;
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|e| FetchError::Later(format!("no answer: {e}")))?;
    let status = response.status();
    if status.is_server_error() || status.as_u16() == 429 {
        return Err(FetchError::Later(format!("HTTP {status}")));
    }
    if !status.is_success() {
        return Err(FetchError::Never(format!("HTTP {status}")));
    }
    let mimetype = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let Some(&(_, extension)) = KINDS.iter().find(|(kind, _)| *kind == mimetype) else {
        return Err(FetchError::Never(format!(
            "not an image or a PDF ({})",
            if mimetype.is_empty() {
                "no content type"
            } else {
                &mimetype
            }
        )));
    };
    let bytes = bounded_bytes(response, MAX_POD_BYTES)
        .await
        .map_err(|e| FetchError::Later(format!("the download broke off: {e}")))?
        .ok_or_else(|| {
            FetchError::Never(format!("larger than {} MiB", MAX_POD_BYTES / (1024 * 1024)))
        })?;
    Ok(File {
        bytes,
        mimetype,
        extension,
    })
}
