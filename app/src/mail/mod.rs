//! E-mail. Every message goes through an outbox in the database: with an SMTP server set up
//! (`--smtp-url`) a worker delivers it, retrying with backoff; without one it stays there
//! (status `stored`), readable by admins at /admin/outbox and printed to the server log, so a
//! lone self-hoster can still finish sign-up.

pub mod outbox;
mod templates;

pub use outbox::{Mailer, MailerError};
pub use templates::Message;
