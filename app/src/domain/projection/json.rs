//! Reading canonical `data` leniently: a missing or oddly typed field is absent, never a panic.

use chrono::{DateTime, Utc};
use serde_json::Value;

pub fn at<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(value, |v, key| v.get(key))
        .filter(|v| !v.is_null())
}

/// A string, or a number written as one (WMS ids are often numbers).
pub fn text(value: &Value, path: &[&str]) -> Option<String> {
    match at(value, path)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

pub fn number(value: &Value, path: &[&str]) -> Option<f64> {
    match at(value, path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// An RFC 3339 time with its offset; anything else is absent.
pub fn time(value: &Value, path: &[&str]) -> Option<DateTime<Utc>> {
    match at(value, path)? {
        Value::String(s) => DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc)),
        _ => None,
    }
}

pub fn items<'a>(value: &'a Value, path: &[&str]) -> &'a [Value] {
    match at(value, path) {
        Some(Value::Array(items)) => items,
        _ => &[],
    }
}

/// The tracking numbers an event names: a list on a dispatch, one on a carrier event.
pub fn tracking_numbers(data: &Value) -> Vec<String> {
    let mut numbers: Vec<String> = items(data, &["shipment", "tracking_numbers"])
        .iter()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for path in [&["tracking_number"][..], &["shipment", "tracking_number"]] {
        if let Some(number) = text(data, path) {
            if !numbers.contains(&number) {
                numbers.push(number);
            }
        }
    }
    numbers
}
