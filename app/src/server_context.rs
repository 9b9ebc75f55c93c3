//! What server functions get from the server: the database handle and settings they need.
//! Provided as Leptos context for every request by the server crate.

use crate::db::Db;
use crate::AppError;

#[derive(Clone)]
pub struct ServerContext {
    pub db: Db,
    /// The address people use to reach this site, e.g. `https://viva.example.org`.
    pub public_url: String,
}

impl ServerContext {
    pub fn get() -> Result<ServerContext, AppError> {
        leptos::prelude::use_context::<ServerContext>()
            .ok_or_else(|| AppError::internal("server context", "ServerContext missing from Leptos context"))
    }
}
