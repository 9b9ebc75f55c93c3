use leptos::prelude::*;

use super::ContactInput;
use crate::AppError;

/// Public: anyone may write, within the contact limits. Validated on the server whatever the
/// browser checked.
#[server(endpoint = "contact")]
pub async fn send_contact_message(input: ContactInput) -> Result<(), AppError> {
    let ctx = crate::server_context::ServerContext::get()?;
    let input = super::validate(input)?;
    super::service::store(
        &ctx.db,
        input,
        &crate::server_context::client_ip(),
        ctx.clock.now(),
    )
    .await
}
