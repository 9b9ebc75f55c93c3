//! The outbox and its delivery worker. Messages are stored first and sent after, so a failed
//! or slow SMTP server never fails or slows the request that wrote the message. Several app
//! nodes may run workers on one database: each message is claimed with a lease before sending.

use std::{sync::Arc, time::Duration};

use lettre::{
    message::{Mailbox, MultiPart},
    AsyncSmtpTransport, AsyncTransport, Tokio1Executor,
};
use surrealdb::types::SurrealValue;
use tokio::sync::Notify;

use super::Message;
use super::{OutboxItem, OutboxStatus};
use crate::{clock::Clock, db::Db, AppError};

/// Named limits of delivery.
pub const MAX_SEND_ATTEMPTS: i64 = 6;
/// First retry after this long; each later one waits four times longer, up to the cap.
pub const RETRY_BASE_SECS: i64 = 30;
pub const RETRY_CAP_SECS: i64 = 3600;
/// A claimed message not sent within this time is taken up again (its node died).
pub const SEND_LEASE_SECS: i64 = 120;
/// The worker looks for due messages at least this often (and at once when one is queued).
pub const WORKER_POLL_SECS: u64 = 5;
pub const SMTP_TIMEOUT_SECS: u64 = 30;

#[derive(Debug, thiserror::Error)]
pub enum MailerError {
    #[error("the SMTP URL is not valid ({0}); use smtp://user:pass@host:587?tls=required (STARTTLS), smtps://user:pass@host:465 (TLS) or smtp://localhost:25 (no TLS)")]
    BadUrl(String),
    #[error("the sender address {0:?} is not valid; use e.g. \"Viva <no-reply@example.org>\"")]
    BadFrom(String),
}

/// Sends e-mail, or keeps it in the outbox when no SMTP server is set up.
#[derive(Clone)]
pub struct Mailer {
    pub product: String,
    from: Mailbox,
    smtp: Option<AsyncSmtpTransport<Tokio1Executor>>,
    wake: Arc<Notify>,
    /// Development mode (`--print-mail`): whole e-mails, codes included, go to the log.
    print: bool,
}

/// How long to wait before the next try after `attempts` failed ones; None: give up.
pub fn retry_delay(attempts: i64) -> Option<i64> {
    if attempts >= MAX_SEND_ATTEMPTS {
        return None;
    }
    let exp = (attempts - 1).clamp(0, 10) as u32;
    Some((RETRY_BASE_SECS * 4i64.pow(exp)).min(RETRY_CAP_SECS))
}

#[derive(Debug, SurrealValue)]
struct DueRow {
    id: String,
    to: String,
    subject: String,
    text: String,
    html: String,
    attempts: i64,
    erase_when_sent: Option<bool>,
}

/// Sent e-mails (their bodies already blanked) are kept this long, for the admin outbox.
pub const SENT_RETENTION_SECS: i64 = 7 * 24 * 3600;
/// E-mails that could not be delivered are kept this long, for the operator to look into.
pub const FAILED_RETENTION_SECS: i64 = 30 * 24 * 3600;

/// The outbox's retention: sent rows after `SENT_RETENTION_SECS`, failed ones after
/// `FAILED_RETENTION_SECS` (counted from when they were queued).
pub async fn sweep(db: &Db, now: i64) -> Result<(), AppError> {
    db.query(
        "DELETE outbox WHERE (status = $sent AND created_at <= $sent_before)
             OR (status = $failed AND created_at <= $failed_before);",
    )
    .bind(("sent", OutboxStatus::Sent))
    .bind(("failed", OutboxStatus::Failed))
    .bind(("sent_before", now - SENT_RETENTION_SECS))
    .bind(("failed_before", now - FAILED_RETENTION_SECS))
    .await?
    .check()?;
    Ok(())
}

/// The part of deleting an account that the outbox owns: every message to the address.
pub const ERASE_USER: &str = "DELETE outbox WHERE to = $email;";

impl Mailer {
    /// `smtp_url`: None keeps every message in the outbox.
    pub fn new(product: &str, from: &str, smtp_url: Option<&str>) -> Result<Mailer, MailerError> {
        let from: Mailbox = from
            .parse()
            .map_err(|_| MailerError::BadFrom(from.to_string()))?;
        let smtp = match smtp_url {
            None => None,
            Some(url) => Some(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| MailerError::BadUrl(e.to_string()))?
                    .timeout(Some(Duration::from_secs(SMTP_TIMEOUT_SECS)))
                    .build(),
            ),
        };
        Ok(Mailer {
            product: product.to_string(),
            from,
            smtp,
            wake: Arc::new(Notify::new()),
            print: false,
        })
    }

    /// Development mode: print every e-mail, one-time codes included, to the log. Never for
    /// a site other people use: anyone who reads the log could use their codes.
    pub fn printing(mut self, print: bool) -> Mailer {
        self.print = print;
        self
    }

    pub fn delivers(&self) -> bool {
        self.smtp.is_some()
    }

    /// Stores a message for delivery (or, without SMTP, for admins to see) and logs its id,
    /// never its content (unless in development mode).
    pub async fn enqueue(
        &self,
        db: &Db,
        to: &str,
        msg: &Message,
        now: i64,
    ) -> Result<(), AppError> {
        self.store(db, to, msg, false, now, now).await
    }

    /// Like [`Mailer::enqueue`], first sent at `due` (announcements are spread over time).
    pub async fn enqueue_at(
        &self,
        db: &Db,
        to: &str,
        msg: &Message,
        now: i64,
        due: i64,
    ) -> Result<(), AppError> {
        self.store(db, to, msg, false, now, due).await
    }

    /// A message whose row is deleted once it is sent (the last word to an account that no
    /// longer exists). Without an SMTP server it is not stored at all: nobody would read it.
    pub async fn enqueue_erased_when_sent(
        &self,
        db: &Db,
        to: &str,
        msg: &Message,
        now: i64,
    ) -> Result<(), AppError> {
        if !self.delivers() {
            tracing::info!("no SMTP server is set up: the confirmation e-mail is not kept");
            return Ok(());
        }
        self.store(db, to, msg, true, now, now).await
    }

    async fn store(
        &self,
        db: &Db,
        to: &str,
        msg: &Message,
        erase_when_sent: bool,
        now: i64,
        due: i64,
    ) -> Result<(), AppError> {
        let status = if self.delivers() {
            OutboxStatus::Pending
        } else {
            OutboxStatus::Stored
        };
        let mut r = db
            .query(
                "CREATE outbox SET to = $to, subject = $subject, text = $text, html = $html, created_at = $now,
                    status = $status, attempts = 0, next_attempt_at = $due, lease_until = NONE, last_error = NONE,
                    erase_when_sent = $erase
                 RETURN VALUE record::id(id)",
            )
        .bind(("to", to.to_string()))
        .bind(("subject", msg.subject.clone()))
        .bind(("text", msg.text.clone()))
        .bind(("html", msg.html.clone()))
        .bind(("now", now))
            .bind(("status", status))
            .bind(("erase", erase_when_sent))
            .bind(("due", due))
            .await?
            .check()?;
        let ids: Vec<String> = r.take(0)?;
        let id = ids.first().cloned().unwrap_or_default();
        if self.print {
            tracing::warn!(message = %id, "development mode (--print-mail): e-mail to {to}, \"{}\":\n{}", msg.subject, msg.text);
        }
        if self.delivers() {
            tracing::info!(message = %id, "e-mail queued");
            self.wake.notify_one();
        } else {
            tracing::info!(message = %id, "e-mail kept in the outbox: no SMTP server is set up (--smtp-url)");
        }
        Ok(())
    }

    /// Sends every due message once; returns how many were sent.
    pub async fn deliver_due(&self, db: &Db, now: i64) -> Result<usize, AppError> {
        let Some(smtp) = &self.smtp else { return Ok(0) };
        let mut r = db
            .query(
                "SELECT record::id(id) AS id, to, subject, text, html, attempts, erase_when_sent FROM outbox
                 WHERE (status = $pending AND next_attempt_at <= $now) OR (status = $sending AND lease_until <= $now)
                 ORDER BY next_attempt_at LIMIT 50",
            )
            .bind(("pending", OutboxStatus::Pending))
            .bind(("sending", OutboxStatus::Sending))
            .bind(("now", now))
            .await?
            .check()?;
        let due: Vec<DueRow> = r.take(0)?;
        let mut sent = 0;
        for row in due {
            // Claim it: only one worker (of possibly several nodes) sends each message. Two
            // claiming at once: the store refuses one of them, which leaves the message alone.
            let claim = db
                .query(
                    "UPDATE type::record('outbox', $id) SET status = $sending, lease_until = $lease
                     WHERE (status = $pending AND next_attempt_at <= $now) OR (status = $sending AND lease_until <= $now)
                     RETURN VALUE record::id(id)",
                )
                .bind(("pending", OutboxStatus::Pending))
                .bind(("sending", OutboxStatus::Sending))
                .bind(("id", row.id.clone()))
                .bind(("now", now))
                .bind(("lease", now + SEND_LEASE_SECS))
                .await
                .and_then(|r| r.check());
            let claimed: Vec<String> = match claim {
                Ok(mut r) => r.take(0)?,
                Err(e) if crate::db::is_conflict(&e) => continue,
                Err(e) => return Err(e.into()),
            };
            if claimed.is_empty() {
                continue;
            }
            let attempts = row.attempts + 1;
            match self.send(smtp, &row).await {
                Ok(()) if row.erase_when_sent == Some(true) => {
                    db.query("DELETE type::record('outbox', $id)")
                        .bind(("id", row.id.clone()))
                        .await?
                        .check()?;
                    crate::db::erasure_pending(db, now).await?;
                    tracing::info!(message = %row.id, attempts, "e-mail sent and erased");
                    sent += 1;
                }
                Ok(()) => {
                    // What was sent is not kept: codes and personal text leave the database.
                    db.query("UPDATE type::record('outbox', $id) SET status = $sent, attempts = $a, lease_until = NONE, last_error = NONE, text = '', html = ''")
                        .bind(("sent", OutboxStatus::Sent))
                        .bind(("id", row.id.clone()))
                        .bind(("a", attempts))
                        .await?
                        .check()?;
                    tracing::info!(message = %row.id, attempts, "e-mail sent");
                    sent += 1;
                }
                Err((error, permanent)) => {
                    let next = if permanent {
                        None
                    } else {
                        retry_delay(attempts)
                    };
                    let (status, at) = match next {
                        Some(d) => (OutboxStatus::Pending, now + d),
                        None => (OutboxStatus::Failed, now),
                    };
                    db.query(
                        "UPDATE type::record('outbox', $id) SET status = $status, attempts = $a, next_attempt_at = $at,
                            lease_until = NONE, last_error = $err",
                    )
                    .bind(("id", row.id.clone()))
                    .bind(("status", status))
                    .bind(("a", attempts))
                    .bind(("at", at))
                    .bind(("err", error.clone()))
                    .await?
                    .check()?;
                    tracing::warn!(message = %row.id, attempts, status = %status, error, "e-mail not sent");
                }
            }
        }
        Ok(sent)
    }

    async fn send(
        &self,
        smtp: &AsyncSmtpTransport<Tokio1Executor>,
        row: &DueRow,
    ) -> Result<(), (String, bool)> {
        let to: Mailbox = row
            .to
            .parse()
            .map_err(|e| (format!("bad recipient: {e}"), true))?;
        let email = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(row.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                row.text.clone(),
                row.html.clone(),
            ))
            .map_err(|e| (format!("could not build the message: {e}"), true))?;
        smtp.send(email)
            .await
            .map(|_| ())
            .map_err(|e| (e.to_string(), e.is_permanent()))
    }

    /// Delivers in the background until `tasks` is shut down.
    pub fn spawn_worker(&self, db: Db, clock: Clock, tasks: &mut tokio::task::JoinSet<()>) {
        if !self.delivers() {
            return;
        }
        let me = self.clone();
        tasks.spawn(async move {
            loop {
                if let Err(e) = me.deliver_due(&db, clock.now()).await {
                    tracing::warn!(error = %e, "e-mail worker");
                }
                let _ =
                    tokio::time::timeout(Duration::from_secs(WORKER_POLL_SECS), me.wake.notified())
                        .await;
            }
        });
    }
}

/// The newest messages, for admins: one-time codes masked (an admin must not be able to use
/// someone else's code), bodies of sent messages already blank.
pub async fn list(db: &Db, limit: usize) -> Result<Vec<OutboxItem>, AppError> {
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, to, subject, text, created_at, status, attempts, next_attempt_at, last_error
             FROM outbox ORDER BY created_at DESC LIMIT $limit",
        )
        .bind(("limit", limit as i64))
        .await?
        .check()?;
    let mut items: Vec<OutboxItem> = r.take(0)?;
    for m in &mut items {
        m.text = super::mask_codes(&m.text);
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_and_stop() {
        assert_eq!(retry_delay(1), Some(30));
        assert_eq!(retry_delay(2), Some(120));
        assert_eq!(retry_delay(3), Some(480));
        assert_eq!(retry_delay(4), Some(1920));
        assert_eq!(retry_delay(5), Some(RETRY_CAP_SECS));
        assert_eq!(retry_delay(MAX_SEND_ATTEMPTS), None);
    }

    #[tokio::test]
    async fn settings_are_checked_with_a_fix_in_the_message() {
        assert!(Mailer::new("Viva", "Viva <no-reply@example.org>", None).is_ok());
        let e = Mailer::new("Viva", "not an address", None).err().unwrap();
        assert!(e.to_string().contains("Viva <no-reply@example.org>"));
        let e = Mailer::new("Viva", "a@b.org", Some("http://mail.example.org"))
            .err()
            .unwrap();
        assert!(e.to_string().contains("smtps://"), "{e}");
        assert!(
            Mailer::new("Viva", "a@b.org", Some("smtp://u:p@127.0.0.1:2525"))
                .unwrap()
                .delivers()
        );
    }
}
