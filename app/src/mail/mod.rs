//! E-mail. Every message goes through an outbox in the database: with an SMTP server set up
//! (`--smtp-url`) a worker delivers it, retrying with backoff; without one it stays there
//! (status `stored`) for admins to see at /admin/outbox. One-time codes never reach a log line
//! or an admin's eyes: subjects carry none, sent bodies are blanked, the admin view masks them;
//! only the explicit development mode (`--print-mail`) prints whole e-mails to the log.

#[cfg(feature = "ssr")]
pub mod outbox;
#[cfg(feature = "ssr")]
mod templates;

#[cfg(feature = "ssr")]
pub use outbox::{Mailer, MailerError};
#[cfg(feature = "ssr")]
pub use templates::{mask_codes, Message};

use serde::{Deserialize, Serialize};
#[cfg(feature = "ssr")]
use surrealdb::types::SurrealValue;

crate::slug_enum! {
    /// Where one e-mail of the outbox stands.
    pub enum OutboxStatus {
        /// Kept: no SMTP server is set up.
        Stored = "stored",
        /// Waiting for (another) delivery attempt.
        Pending = "pending",
        /// A worker holds it (under a lease).
        Sending = "sending",
        Sent = "sent",
        /// Every attempt failed, or the server refused it for good.
        Failed = "failed",
    }
}

/// One e-mail of the outbox as admins see it (one-time codes masked).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(SurrealValue))]
pub struct OutboxItem {
    pub id: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub created_at: i64,
    pub status: OutboxStatus,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_error: Option<String>,
}
