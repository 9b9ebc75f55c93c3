//! The security audit log.

use crate::{db::Db, AppError};

/// Records a security event for admins to read.
pub async fn audit(
    db: &Db,
    kind: &str,
    user_id: Option<&str>,
    detail: &str,
    now: i64,
) -> Result<(), AppError> {
    db.query("CREATE audit_event SET kind = $kind, user = IF $uid THEN type::record('user', $uid) ELSE NONE END, detail = $detail, at = $now")
        .bind(("kind", kind.to_string()))
        .bind(("uid", user_id.map(str::to_string)))
        .bind(("detail", detail.to_string()))
        .bind(("now", now))
        .await?
        .check()?;
    tracing::info!(kind, user = user_id.unwrap_or("-"), detail, "audit");
    Ok(())
}
