//! E-mail. Every message goes through an outbox in the database: with an SMTP server set up
//! (`--smtp-url`) a worker delivers it, retrying with backoff; without one it stays there
//! (status `stored`) for admins to see at /admin/outbox. One-time codes never reach a log line
//! or an admin's eyes: subjects carry none, sent bodies are blanked, the admin view masks them;
//! only the explicit development mode (`--print-mail`) prints whole e-mails to the log.

pub mod outbox;
mod templates;

pub use outbox::{Mailer, MailerError};
pub use templates::{mask_codes, Message};
