use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::AppError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    pub version: String,
    pub database_ok: bool,
}

/// Public: no personal data, the same for everyone.
#[server(endpoint = "status")]
pub async fn get_status() -> Result<Status, AppError> {
    let ctx = crate::server_context::ServerContext::get()?;
    Ok(super::service::status(&ctx).await)
}
