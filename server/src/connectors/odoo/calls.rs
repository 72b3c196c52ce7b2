//! The calls one job makes to Odoo, kept together for the attempt log.

use super::client::{Failed, OdooClient};
use crate::attempt::JobError;
use crate::store::jobs::queue::AttemptRecord;
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// Every call of one job, for its attempt log: a dead letter shows each request and answer.
#[derive(Default)]
pub struct Exchanges {
    requests: Vec<Value>,
    responses: Vec<Value>,
}

impl Exchanges {
    pub fn keep(&mut self, record: AttemptRecord) {
        self.requests.extend(record.request);
        self.responses.extend(record.response);
    }

    pub fn record(self) -> AttemptRecord {
        AttemptRecord {
            request: Some(Value::Array(self.requests)),
            response: Some(Value::Array(self.responses)),
            error: None,
        }
    }

    pub async fn call(
        &mut self,
        odoo: &OdooClient,
        model: &str,
        method: &str,
        ids: Option<&[i64]>,
        kwargs: Value,
    ) -> Result<Value, JobError> {
        let kwargs: Map<String, Value> = kwargs.as_object().cloned().unwrap_or_default();
        match odoo.call(model, method, ids, kwargs).await {
            Ok((value, record)) => {
                self.keep(record);
                Ok(value)
            }
            Err(Failed { error, record }) => {
                self.keep(record);
                let failed = Failed {
                    error,
                    record: AttemptRecord::default(),
                };
                let mut job_error = JobError::from(failed);
                job_error.record = std::mem::take(self).record();
                Err(job_error)
            }
        }
    }

    /// The sale order named `name` (e.g. `S00025`) with `fields`, if Odoo has one.
    /// The SKU (`default_code`) of each record's `product_id`, by product id: one read of
    /// `product.product` for all of them.
    pub async fn skus_of_products(
        &mut self,
        odoo: &OdooClient,
        records: &[Value],
    ) -> Result<HashMap<i64, String>, JobError> {
        let product_ids: Vec<i64> = records
            .iter()
            .filter_map(|r| id_of(&r["product_id"]))
            .collect();
        let products = self
            .call(
                odoo,
                "product.product",
                "read",
                Some(&product_ids),
                json!({"fields": ["default_code"]}),
            )
            .await?;
        Ok(products
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| Some((p["id"].as_i64()?, p["default_code"].as_str()?.to_string())))
            .collect())
    }

    pub async fn sale_order_named(
        &mut self,
        odoo: &OdooClient,
        name: &str,
        fields: &[&str],
    ) -> Result<Option<Value>, JobError> {
        let found = self
            .call(
                odoo,
                "sale.order",
                "search_read",
                None,
                serde_json::json!({"domain": [["name", "=", name]], "fields": fields, "limit": 1}),
            )
            .await?;
        Ok(found.as_array().and_then(|a| a.first()).cloned())
    }

    /// A fatal error with every call so far attached.
    pub fn fatal(self, message: String) -> JobError {
        JobError {
            record: self.record(),
            ..JobError::fatal(message)
        }
    }
}

/// The id of a many2one field as Odoo returns it (`[id, "display name"]`, or `false`).
pub(crate) fn id_of(many2one: &Value) -> Option<i64> {
    many2one.get(0).and_then(Value::as_i64)
}
