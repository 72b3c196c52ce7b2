//! ANSI X12 interchanges (214 carrier status, 945 warehouse shipping advice, 856 ship notice).
//! The envelope parser guarantees that what it hands on is a complete, correctly counted
//! interchange, or says exactly where it is not; `transactions` maps each set to canonical events
//! with the code tables in `codes`.

pub mod codes;
pub mod envelope;
mod transactions;

pub use envelope::{parse, FunctionalGroup, Interchange, Segment, TransactionSet, X12Error};
pub use transactions::SUPPORTED;

use super::{AdapterError, Origin, Parsed};

impl From<X12Error> for AdapterError {
    fn from(e: X12Error) -> Self {
        match e {
            X12Error::Empty | X12Error::BadIsa(_) => AdapterError::Malformed(e.to_string()),
            X12Error::Truncated { .. } => AdapterError::invalid("interchange", e.to_string()),
            X12Error::Unexpected {
                position, ref id, ..
            }
            | X12Error::MissingElement {
                position, ref id, ..
            } => AdapterError::invalid(format!("segment {position} ({id})"), e.to_string()),
            X12Error::CountMismatch {
                position, trailer, ..
            }
            | X12Error::ControlMismatch {
                position, trailer, ..
            } => AdapterError::invalid(format!("segment {position} ({trailer})"), e.to_string()),
        }
    }
}

/// One interchange, every transaction set in it. Any set that cannot be read refuses the whole
/// interchange, so nothing is half-applied.
pub fn parse_message(origin: &Origin, body: &[u8]) -> Result<Parsed, AdapterError> {
    let text = std::str::from_utf8(body).map_err(|e| {
        AdapterError::Malformed(format!(
            "the interchange is not UTF-8 (byte {})",
            e.valid_up_to()
        ))
    })?;
    let interchange = parse(text)?;
    // Control numbers wrap and reset: the id is the envelope's and the content's, so a new
    // interchange under a reused number is new (its events too), and a resent one is the same.
    let envelope_id = format!("{}:{}", interchange.sender, interchange.control_number);
    let id = format!("{envelope_id}:{}", content_key(text));
    let mut parsed = Parsed {
        message_id: Some(id.clone()),
        envelope_id: Some(envelope_id),
        ..Parsed::default()
    };
    for group in &interchange.groups {
        let ctx = transactions::Context {
            origin,
            interchange: id.clone(),
            written: (group.date.clone(), group.time.clone()),
        };
        for set in &group.transactions {
            transactions::map(&ctx, set, &mut parsed)?;
        }
    }
    Ok(parsed)
}

/// The first 16 hex digits of the SHA-256 of the interchange, its line breaks and surrounding
/// whitespace left out (a resend through another gateway may wrap segments differently).
pub fn content_key(text: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    for line in text.trim().lines() {
        hasher.update(line.trim_end_matches('\r').as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .take(8)
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests;
