//! Account administration, shared by the server functions and `milepost account add`.

use crate::error::{AppError, FieldErrors};
use crate::store;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

/// Creates an account with an upper-case code (letters, digits, `-`, `_`; up to 32) and a name.
pub async fn create(
    pool: &PgPool,
    code: &str,
    name: &str,
    actor: Option<Uuid>,
) -> Result<Uuid, AppError> {
    let code = code.trim().to_uppercase();
    let name = name.trim();
    let mut errors = FieldErrors::default();
    let code_ok = !code.is_empty()
        && code.len() <= 32
        && code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        && code
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric());
    if !code_ok {
        errors.add(
            "code",
            "must be 1 to 32 letters, digits, '-' or '_', starting with a letter or digit",
        );
    }
    if name.is_empty() {
        errors.add("name", "is required");
    }
    errors.into_result()?;
    let mut tx = pool.begin().await?;
    let account_id = store::accounts::insert(&mut *tx, &code, name).await?;
    store::audit::record(
        &mut *tx,
        actor,
        "account.created",
        &format!("account:{account_id}"),
        json!({ "code": code, "name": name }),
    )
    .await?;
    tx.commit().await?;
    Ok(account_id)
}
