//! Customer webhooks: canonical events delivered to the URLs accounts subscribed, signed with
//! Standard Webhooks (`deliver`).

pub mod deliver;
