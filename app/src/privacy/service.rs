//! (ssr) Deleting an account: one transaction that runs every owner's part, then a last e-mail
//! to the address (erased once sent) and an audit entry that names nobody.

use crate::db::Db;
use crate::mail::{Mailer, Message};
use crate::AppError;

/// Every table owner's part of deleting an account, in order (accounts last: the account row
/// goes when nothing refers to it). A feature that keeps personal data adds its part here.
pub const PARTS: &[&str] = &[
    super::export::ERASE_USER,
    crate::voice::service::ERASE_USER,
    crate::video::service::ERASE_USER,
    crate::interview::service::ERASE_USER,
    crate::mail::outbox::ERASE_USER,
    crate::contact::service::ERASE_USER,
    crate::billing::service::ERASE_USER,
    crate::ratelimit::ERASE_USER,
    crate::policy::service::ERASE_USER,
    crate::auth::service::ERASE_USER,
];

/// Who asked for the deletion (for the audit entry).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeletedBy {
    Owner,
    Operator,
    /// The address was never confirmed within `auth::service::UNVERIFIED_RETENTION_SECS`.
    Retention,
}

/// A stable name for a deleted account in the audit log: not its id, not its address.
pub fn pseudonym(uid: &str) -> String {
    use sha2::Digest;
    let h = sha2::Sha256::digest(format!("viva-erased:{uid}").as_bytes());
    format!(
        "erased-{}",
        h.iter()
            .take(6)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    )
}

/// Deletes the account `uid` and everything that belongs to it or names it, at once. With a
/// mailer, a last e-mail tells the address (its outbox row is erased once sent).
pub async fn delete_account(
    db: &Db,
    mailer: Option<&Mailer>,
    uid: &str,
    by: DeletedBy,
    now: i64,
) -> Result<(), AppError> {
    let user = crate::auth::service::user_by_id(db, uid)
        .await?
        .ok_or(AppError::NotFound)?;
    // A paid plan ends at the provider first (refused while the provider cannot be reached).
    crate::billing::service::forget_at_provider(
        &crate::billing::service::Payments::current(),
        db,
        uid,
    )
    .await?;
    let pseudonym = pseudonym(uid);
    let sql = format!(
        "BEGIN TRANSACTION;\nLET $user = type::record('user', $uid);\n{}\nCOMMIT TRANSACTION;",
        PARTS.join("\n")
    );
    // A provider's webhook about this account may write meanwhile: run it again then.
    let (sql, email, pseudo) = (&sql, &user.email, &pseudonym);
    let done = crate::db::retry_conflicts(|| async move {
        db.query(sql.as_str())
            .bind(("uid", uid.to_string()))
            .bind(("email", email.clone()))
            .bind(("pseudonym", pseudo.clone()))
            .await
            .and_then(crate::db::check_tx)
    })
    .await?;
    if done.is_none() {
        return Err(AppError::RateLimited(1));
    }
    // Its sessions are gone with it: this node stops believing they live (and whether anyone
    // administers the site is counted again).
    crate::auth::people::roles_changed(uid);
    let who = match by {
        DeletedBy::Owner => "by its owner",
        DeletedBy::Operator => "by an operator",
        DeletedBy::Retention => "unconfirmed after 7 days",
    };
    crate::db::erasure_pending(db, now).await?;
    crate::auth::service::audit(
        db,
        "account_deleted",
        None,
        &format!("{pseudonym} {who}"),
        now,
    )
    .await?;
    tracing::info!(account = %pseudonym, "account deleted {who}");
    if let Some(m) = mailer {
        m.enqueue_erased_when_sent(db, &user.email, &Message::account_deleted(&m.product), now)
            .await?;
    }
    Ok(())
}

/// `viva admin delete-user EMAIL`: the same deletion, found by address.
pub async fn delete_by_email(
    db: &Db,
    mailer: Option<&Mailer>,
    email: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = crate::address::normalize_email(email)?;
    let user = crate::auth::service::user_by_email(db, &email)
        .await?
        .ok_or_else(|| AppError::BadRequest(format!("No account has the address {email}.")))?;
    delete_account(db, mailer, &user.id, DeletedBy::Operator, now).await
}

/// How often a node offers to run the retention sweep; one node at a time runs it, under a
/// lease of the same length.
pub const SWEEP_EVERY_SECS: i64 = 600;

/// Retention for everything, if this node (`holder`) holds the sweep's lease: each owner drops
/// what its named period has run out for — recordings and exports, one-time codes, dead
/// sessions, old security events, sent and failed e-mails, contact messages, provider sign-ins
/// left half-way, rate-limit windows — and accounts never confirmed are deleted the way their
/// owner would delete them. Returns whether it ran.
pub async fn sweep(
    db: &Db,
    blobs: &crate::blob::Blobs,
    holder: &str,
    now: i64,
) -> Result<bool, AppError> {
    if !crate::db::take_lease(db, "retention-sweep", holder, now, SWEEP_EVERY_SECS).await? {
        return Ok(false);
    }
    // What the sweep drops or gives back changes what many people's pages read.
    let _forget = ForgetEveryoneAfter;
    let dropped = crate::voice::service::sweep(db, now).await?;
    if dropped > 0 {
        tracing::info!(segments = dropped, "recordings past their time deleted");
    }
    let released = crate::voice::service::release_stuck(db, now).await?;
    if released > 0 {
        tracing::warn!(answers = released, "answers whose evaluation stopped half-way (a node died) were given back to their owners to hand in again");
    }
    let videos = crate::video::service::sweep(db, now).await?;
    if videos > 0 {
        tracing::info!(videos, "video recordings past their time deleted");
    }
    super::export::sweep(db, now).await?;
    crate::auth::service::sweep(db, now).await?;
    crate::mail::outbox::sweep(db, now).await?;
    crate::contact::service::sweep(db, now).await?;
    crate::auth::oidc::sweep(db, now).await?;
    crate::ratelimit::sweep(db, now).await?;
    let unconfirmed = crate::auth::service::unverified_before(
        db,
        now - crate::auth::service::UNVERIFIED_RETENTION_SECS,
    )
    .await?;
    for uid in &unconfirmed {
        delete_account(db, None, uid, DeletedBy::Retention, now).await?;
    }
    // Last: the blobs of everything deleted above (and by anyone since the last sweep).
    let blobs_gone = crate::blob::reap(db, blobs).await?;
    if blobs_gone > 0 {
        tracing::info!(blobs = blobs_gone, "recording files deleted");
    }
    Ok(true)
}

/// Starts this node's export worker: it claims waiting exports (woken by `wake`, or every
/// `export::POLL`) and builds them one at a time.
pub fn spawn_export_worker(
    db: Db,
    blobs: crate::blob::Blobs,
    clock: crate::clock::Clock,
    product: String,
    wake: std::sync::Arc<tokio::sync::Notify>,
    tasks: &mut tokio::task::JoinSet<()>,
) {
    tasks.spawn(async move {
        loop {
            match super::export::run_one(&db, &blobs, &product, clock.now()).await {
                Ok(true) => continue,
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "export worker"),
            }
            let _ = tokio::time::timeout(super::export::POLL, wake.notified()).await;
        }
    });
}

/// Forgets every person's memoised reads when dropped: at the end of the sweep, whichever way
/// it ends (a step that failed half-way may have changed some).
struct ForgetEveryoneAfter;

impl Drop for ForgetEveryoneAfter {
    fn drop(&mut self) {
        crate::memo::forget_everyone();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn ids(db: &Db, table: &str) -> Vec<String> {
        let mut r = db
            .query("SELECT VALUE record::id(id) FROM type::table($t) ORDER BY id")
            .bind(("t", table.to_string()))
            .await
            .unwrap();
        r.take(0).unwrap()
    }

    /// Each kind of data is kept for its named period and no longer; the sweep runs on one
    /// node at a time.
    #[tokio::test]
    async fn the_sweep_keeps_each_kind_for_its_named_period() {
        let (_d, db) = crate::db::temp().await;
        let blobs = crate::blob::for_tests();
        const DAY: i64 = 86_400;
        let now = 400 * DAY;
        let user = |id: &str, verified: bool, created: i64| {
            format!("CREATE user:{id} SET email = '{id}@example.org', name = '{id}', password_hash = '!', role = 'user',
                job_role = 'Nurse', experience = 'mid', email_verified = {verified}, disabled = false, terms_version = '1',
                terms_accepted_at = 0, age_confirmed_at = 0, created_at = {created};")
        };
        let session = |id: &str, created: i64, used: i64, revoked: bool| {
            format!("CREATE session:{id} SET user = user:kept, created_at = {created}, last_used_at = {used}, revoked = {revoked}, user_agent = '';
                CREATE refresh_token:{id} SET hash = '{id}', session = session:{id}, created_at = {created}, rotated = false;")
        };
        let mail = |id: &str, status: &str, created: i64| {
            format!("CREATE outbox:{id} SET to = 'kept@example.org', subject = 's', text = '', html = '', created_at = {created},
                status = '{status}', attempts = 1, next_attempt_at = 0;")
        };
        let sql = [
            user("kept", true, 0),
            user("unconfirmed", false, now - 8 * DAY),
            user("fresh", false, now - 6 * DAY),
            format!("CREATE otp:expired SET user = user:kept, purpose = 'sign-in', hash = 'a', created_at = 0, expires_at = {}, attempts = 0, used = false;", now - 1),
            format!("CREATE otp:used SET user = user:kept, purpose = 'sign-in', hash = 'b', created_at = 0, expires_at = {}, attempts = 0, used = true;", now + 60),
            format!("CREATE otp:live SET user = user:kept, purpose = 'sign-in', hash = 'c', created_at = 0, expires_at = {}, attempts = 0, used = false;", now + 60),
            session("idle", now - 9 * DAY, now - 8 * DAY, false),
            session("ancient", now - 31 * DAY, now - DAY, false),
            session("out", now - DAY, now - DAY, true),
            session("live", now - DAY, now - 3600, false),
            format!("CREATE audit_event:old SET kind = 'sign_in', user = user:kept, detail = '', at = {};", now - 366 * DAY),
            format!("CREATE audit_event:recent SET kind = 'sign_in', user = user:kept, detail = '', at = {};", now - DAY),
            mail("sent_old", "sent", now - 8 * DAY),
            mail("sent_recent", "sent", now - DAY),
            mail("failed_old", "failed", now - 31 * DAY),
            mail("failed_recent", "failed", now - 29 * DAY),
            mail("pending_old", "pending", now - 60 * DAY),
        ]
        .concat();
        db.query(sql).await.unwrap().check().unwrap();

        assert!(sweep(&db, &blobs, "node-a", now).await.unwrap());
        assert!(
            !sweep(&db, &blobs, "node-b", now + 1).await.unwrap(),
            "one node at a time"
        );

        assert_eq!(ids(&db, "user").await, vec!["fresh", "kept"]);
        assert_eq!(ids(&db, "otp").await, vec!["live"]);
        assert_eq!(ids(&db, "session").await, vec!["live"]);
        assert_eq!(ids(&db, "refresh_token").await, vec!["live"]);
        let audit = ids(&db, "audit_event").await;
        assert!(
            audit.contains(&"recent".to_string()) && !audit.contains(&"old".to_string()),
            "{audit:?}"
        );
        assert_eq!(
            ids(&db, "outbox").await,
            vec!["failed_recent", "pending_old", "sent_recent"]
        );
    }

    /// Every write of a person's data that does not read their account first is behind the
    /// account's fence: once the account is gone, each is refused as signed out and stores
    /// nothing (the race itself, a deletion meeting such a write: auth's unit test of the fence).
    #[tokio::test]
    async fn no_write_of_a_persons_data_outlives_their_deleted_account() {
        use crate::auth::service as auth;
        let (_d, db) = crate::db::temp().await;
        let now = 1_000_000;
        db.query("CREATE user:ann SET email = 'ann@example.org', name = 'Ann', password_hash = '!', role = 'user',
                job_role = 'Nurse', experience = 'mid', email_verified = true, disabled = false, terms_version = '1',
                terms_accepted_at = 0, age_confirmed_at = 0, created_at = 0;")
            .await
            .unwrap()
            .check()
            .unwrap();
        let ann = auth::user_by_id(&db, "ann").await.unwrap().unwrap();
        let keys =
            auth::AuthKeys::new(b"a test signing key of 32 bytes!!", "http://127.0.0.1:3000");
        let mailer = crate::mail::Mailer::new("Viva", "Viva <no-reply@example.org>", None).unwrap();
        // Each write of a person's data that does not read their account first, once.
        let writes = || async {
            let ok = |r: Result<(), AppError>| r.err();
            [
                (
                    "session",
                    ok(
                        auth::start_session(&db, &keys, &ann, "test", "password", now)
                            .await
                            .map(drop),
                    ),
                ),
                (
                    "code",
                    ok(auth::issue_code(
                        &db,
                        &keys,
                        &mailer,
                        "ann",
                        "ann@example.org",
                        None,
                        crate::auth::otp::OtpPurpose::ResetPassword,
                        auth::Delivery::StoreOnly,
                        now,
                    )
                    .await),
                ),
                (
                    "consent",
                    ok(crate::policy::service::record(
                        &db,
                        crate::account_fence!(),
                        "ann",
                        crate::policy::ConsentKind::Recordings,
                        None,
                        true,
                        now,
                    )
                    .await),
                ),
                (
                    "voice setting",
                    ok(crate::voice::service::set_keep(&db, "ann", true, now)
                        .await
                        .map(drop)),
                ),
                (
                    "video choice",
                    ok(crate::video::service::choose(
                        &db,
                        "ann",
                        "ivaaaaaaaaaaaaaaaaaa",
                        true,
                        now,
                    )
                    .await),
                ),
                (
                    "billing account",
                    ok(
                        crate::billing::service::ensure_account_plain(&db, "ann", now)
                            .await
                            .map(drop),
                    ),
                ),
            ]
        };
        // While the account lives, each lands (so the refusals below are the fence's).
        for (what, e) in writes().await {
            assert_eq!(e, None, "{what}");
        }
        let tables = [
            "session",
            "refresh_token",
            "otp",
            "consent",
            "voice_setting",
            "video_choice",
            "billing_account",
        ];
        for t in tables {
            assert_eq!(
                ids(&db, t).await.len(),
                1,
                "one {t} while the account lives"
            );
        }
        delete_account(&db, None, "ann", DeletedBy::Owner, now)
            .await
            .unwrap();
        for t in tables {
            assert_eq!(
                ids(&db, t).await,
                Vec::<String>::new(),
                "{t} went with the account"
            );
        }

        for (what, e) in writes().await {
            assert_eq!(e, Some(AppError::Unauthorized), "{what}");
        }
        for t in tables {
            assert_eq!(
                ids(&db, t).await,
                Vec::<String>::new(),
                "no {t} for a deleted account"
            );
        }
    }
}
