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
    let mut parsed = Parsed {
        message_id: Some(format!(
            "{}:{}",
            interchange.sender, interchange.control_number
        )),
        ..Parsed::default()
    };
    for group in &interchange.groups {
        let ctx = transactions::Context {
            origin,
            interchange: format!("{}:{}", interchange.sender, interchange.control_number),
            written: (group.date.clone(), group.time.clone()),
        };
        for set in &group.transactions {
            transactions::map(&ctx, set, &mut parsed)?;
        }
    }
    Ok(parsed)
}

#[cfg(test)]
mod tests;
