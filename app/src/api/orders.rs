//! Orders: the list, one order with its timeline, and the raw message behind an event.

use crate::domain::orders::{OrderDetail, OrderFilter, OrderPage, RawMessage};
use crate::error::AppError;
use leptos::prelude::*;

/// Who may open orders: staff, account managers (their accounts) and customers (their own).
#[cfg(feature = "ssr")]
const ORDER_ROLES: &[crate::domain::Role] = {
    use crate::domain::Role::*;
    &[Admin, Agent, AccountManager, Integrator, Customer]
};

#[server(prefix = "/fn", endpoint = "orders/list")]
pub async fn list_orders(filter: OrderFilter) -> Result<OrderPage, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::services::orders;
    let user = require_role(ORDER_ROLES).await?;
    let scope = order_scope(&user).await?;
    orders::list(ctx()?.reads.pool(), &scope, &filter).await
}

#[server(prefix = "/fn", endpoint = "orders/detail")]
pub async fn get_order(order_ref: String) -> Result<OrderDetail, AppError> {
    use crate::auth::scope::order_scope;
    use crate::auth::{ctx, require_role};
    use crate::services::orders;
    let user = require_role(ORDER_ROLES).await?;
    let scope = order_scope(&user).await?;
    orders::detail(&ctx()?.pool, &scope, user.role, order_ref.trim()).await
}

#[server(prefix = "/fn", endpoint = "orders/raw")]
pub async fn get_raw_message(inbox_message_id: i64) -> Result<RawMessage, AppError> {
    use crate::auth::{ctx, require_role};
    use crate::domain::Role;
    use crate::services::orders;
    require_role(&[Role::Admin, Role::Agent, Role::Integrator]).await?;
    orders::raw(&ctx()?.pool, inbox_message_id).await
}
