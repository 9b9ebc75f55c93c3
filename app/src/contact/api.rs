use leptos::prelude::*;

use super::ContactInput;
use crate::AppError;

/// Public: anyone may write, within the contact limits. Validated on the server whatever the
/// browser checked.
#[server(endpoint = "contact")]
pub async fn send_contact_message(input: ContactInput) -> Result<(), AppError> {
    let db: crate::db::Db = crate::request::expect()?;
    let clock: crate::clock::Clock = crate::request::expect()?;
    let input = super::validate(input)?;
    super::service::store(&db, input, &crate::request::client_ip(), clock.now()).await
}
