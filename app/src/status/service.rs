use super::Status;
use crate::server_context::ServerContext;

pub async fn status(ctx: &ServerContext) -> Status {
    Status {
        version: env!("CARGO_PKG_VERSION").to_string(),
        database_ok: crate::db::ping(&ctx.db).await.is_ok(),
    }
}
