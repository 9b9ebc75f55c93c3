//! (ssr) People on this installation as administrators manage them: listing, roles, access,
//! the first administrator (setup token), and the security audit log. Accounts own these
//! tables; the admin pages call in here. Callers are checked in the server functions.

use surrealdb::types::SurrealValue;

use super::api::{AuditEntry, UserSummary};
use super::password;
use super::service::{
    audit, bad, forget_sessions, hash_password, normalize_email, revoke_all_sessions, user_by_email,
};
use super::Role;
use crate::{db::Db, AppError};

/// Named limits.
pub const MAX_SEARCH_CHARS: usize = 100;
pub const PAGE_SIZE: usize = 50;

pub async fn list_users(db: &Db, search: &str) -> Result<Vec<UserSummary>, AppError> {
    let q = search.trim().to_lowercase();
    if q.chars().count() > MAX_SEARCH_CHARS {
        return Err(bad(format!(
            "Search for at most {MAX_SEARCH_CHARS} characters."
        )));
    }
    let mut r = db
        .query(
            "SELECT record::id(id) AS id, email, name, role, email_verified, disabled, created_at FROM user
             WHERE $q = '' OR string::contains(email, $q) OR string::contains(string::lowercase(name), $q)
             ORDER BY created_at DESC LIMIT $limit",
        )
        .bind(("q", q))
        .bind(("limit", PAGE_SIZE as i64))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

/// (address, name) of every confirmed, enabled account: who an announcement goes to.
pub async fn mailing_list(db: &Db) -> Result<Vec<(String, String)>, AppError> {
    let mut r = db
        .query("SELECT VALUE [email, name] FROM user WHERE email_verified = true AND disabled = false ORDER BY created_at")
        .await?
        .check()?;
    Ok(r.take(0)?)
}

async fn admin_count(db: &Db) -> Result<i64, AppError> {
    let mut r = db
        .query("RETURN count(SELECT id FROM user WHERE role = $admin AND disabled = false)")
        .bind(("admin", Role::Admin))
        .await?
        .check()?;
    Ok(r.take::<Option<i64>>(0)?.unwrap_or(0))
}

pub async fn has_admin(db: &Db) -> Result<bool, AppError> {
    Ok(admin_count(db).await? > 0)
}

/// When this node last counted admins, whether there was one, and the [`ROLES_CHANGED`] count
/// the counting began under.
static ADMIN_SEEN: std::sync::Mutex<Option<(i64, bool, u64)>> = std::sync::Mutex::new(None);

/// Moved by every role change and deleted account on this node: a count of admins begun before
/// one is not believed afterwards.
static ROLES_CHANGED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// [`has_admin`] for what `me` shows (the dashboard's offer of the admin role on a fresh
/// install): counted at most once per `SESSION_RECHECK_SECS` on a node, again at once after a
/// role changes or an account is deleted here. Claiming the role checks the database in its
/// own transaction.
pub async fn has_admin_lately(db: &Db, now: i64) -> Result<bool, AppError> {
    use super::service::SESSION_RECHECK_SECS;
    use std::sync::atomic::Ordering;
    let changes = ROLES_CHANGED.load(Ordering::SeqCst);
    if let Some((at, seen, under)) = ADMIN_SEEN.lock().ok().and_then(|g| *g) {
        if under == changes && (at..at + SESSION_RECHECK_SECS).contains(&now) {
            return Ok(seen);
        }
    }
    let seen = has_admin(db).await?;
    if let Ok(mut g) = ADMIN_SEEN.lock() {
        // Not kept when a role changed while counting: the count may predate it.
        if ROLES_CHANGED.load(Ordering::SeqCst) == changes {
            *g = Some((now, seen, changes));
        }
    }
    Ok(seen)
}

/// A role changed or an account was deleted: the person's sessions are believed no longer, and
/// admins are counted again (a count held or under way is not believed: [`ROLES_CHANGED`]).
/// Whether anyone administers the site shows on every member's dashboard (the offer of the
/// role on a fresh install), so everyone's kept reads and pages are forgotten too.
pub fn roles_changed(user_id: &str) {
    forget_sessions(user_id);
    ROLES_CHANGED.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    crate::memo::forget_everyone();
}

/// Changes a role. The last admin cannot step down (someone must be able to administer).
pub async fn set_role(
    db: &Db,
    actor: &str,
    user_id: &str,
    role: &str,
    now: i64,
) -> Result<(), AppError> {
    let Ok(role) = role.parse::<Role>() else {
        return Err(bad("A role is either user or admin."));
    };
    if role == Role::User && actor == user_id && admin_count(db).await? <= 1 {
        return Err(bad(
            "You are the only admin: make someone else admin first.",
        ));
    }
    let mut r = db
        .query("UPDATE type::record('user', $id) SET role = $role RETURN VALUE record::id(id)")
        .bind(("id", user_id.to_string()))
        .bind(("role", role))
        .await?
        .check()?;
    let done: Vec<String> = r.take(0)?;
    if done.is_empty() {
        return Err(AppError::NotFound);
    }
    roles_changed(user_id);
    audit(
        db,
        "role_changed",
        Some(user_id),
        &format!("to {role} by {actor}"),
        now,
    )
    .await
}

/// Disables (and signs out everywhere) or enables an account. Admins cannot disable themselves.
pub async fn set_disabled(
    db: &Db,
    actor: &str,
    user_id: &str,
    disabled: bool,
    now: i64,
) -> Result<(), AppError> {
    if disabled && actor == user_id {
        return Err(bad("You cannot disable your own account."));
    }
    let mut r = db
        .query("UPDATE type::record('user', $id) SET disabled = $d RETURN VALUE record::id(id)")
        .bind(("id", user_id.to_string()))
        .bind(("d", disabled))
        .await?
        .check()?;
    let done: Vec<String> = r.take(0)?;
    if done.is_empty() {
        return Err(AppError::NotFound);
    }
    if disabled {
        revoke_all_sessions(db, user_id).await?;
    }
    audit(
        db,
        if disabled {
            "account_disabled"
        } else {
            "account_enabled"
        },
        Some(user_id),
        &format!("by {actor}"),
        now,
    )
    .await
}

/// The file in the data directory that holds the one-time administrator setup token.
pub const SETUP_TOKEN_FILE: &str = "admin-setup-token";

fn token_hash(token: &str) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(token.trim().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Where the administrator setup stands at start-up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// Someone administers this installation: no token is needed (remove any left over).
    HasAdmin,
    /// This node's token is the live one.
    Ready,
    /// Another node made the live token (several nodes on one database).
    ElsewhereMade,
}

/// At start-up with no admin: registers this node's setup token unless one is registered.
pub async fn register_setup_token(db: &Db, token: &str, now: i64) -> Result<Setup, AppError> {
    if has_admin(db).await? {
        return Ok(Setup::HasAdmin);
    }
    // Nodes starting together each offer their token; the first one stored stays (a conflict
    // between the two writes is run again and then keeps the other's).
    let stored = crate::db::retry_conflicts(|| async move {
        db.query(
            "UPSERT type::record('admin_setup', 'token') SET hash = hash ?? $h, created_at = created_at ?? $now RETURN NONE;
             SELECT VALUE hash FROM type::record('admin_setup', 'token');",
        )
        .bind(("h", token_hash(token)))
        .bind(("now", now))
        .await
        .and_then(|r| r.check())
    })
    .await?;
    let Some(mut r) = stored else {
        return Err(AppError::Unavailable(
            "the setup token could not be recorded: the database stayed busy".into(),
        ));
    };
    let live: Vec<String> = r.take(1)?;
    Ok(if live.first() == Some(&token_hash(token)) {
        Setup::Ready
    } else {
        Setup::ElsewhereMade
    })
}

/// A verified account with the setup token (from the server's data directory) becomes the
/// first admin, while nobody is. Without the token nobody can: a stranger who signs up before
/// the operator gains nothing. The token works once.
pub async fn claim_first_admin(
    db: &Db,
    user_id: &str,
    token: &str,
    now: i64,
) -> Result<(), AppError> {
    if has_admin(db).await? {
        return Err(AppError::Forbidden);
    }
    let user = super::service::user_by_id(db, user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !user.email_verified || user.disabled {
        return Err(bad(
            "Confirm your e-mail address first, then enter the setup token.",
        ));
    }
    let mut r = db
        .query(
            "BEGIN TRANSACTION;
             IF count(SELECT id FROM user WHERE role = $admin) > 0 { THROW 'taken' };
             IF (SELECT VALUE hash FROM type::record('admin_setup', 'token'))[0] != $h { THROW 'wrong token' };
             LET $changed = (UPDATE type::record('user', $id) SET role = $admin WHERE email_verified = true AND disabled = false RETURN VALUE record::id(id));
             IF array::len($changed) = 0 { THROW 'not eligible' };
             DELETE type::record('admin_setup', 'token');
             COMMIT TRANSACTION;",
        )
        .bind(("id", user_id.to_string()))
        .bind(("h", token_hash(token)))
        .bind(("admin", Role::Admin))
        .await?;
    // Only the query's own refusals mean "no"; any other failure is a fault (a 500, logged).
    let refused = match crate::db::cause(r.take_errors()) {
        None => None,
        Some(e) => match crate::db::classify(&e) {
            crate::db::Fault::Thrown(why) => Some(why),
            _ => return Err(e.into()),
        },
    };
    if let Some(why) = refused {
        if why.contains("taken") || has_admin(db).await? {
            return Err(AppError::Forbidden);
        }
        audit(
            db,
            "admin_setup_failure",
            Some(user_id),
            "wrong setup token",
            now,
        )
        .await?;
        return Err(bad(format!("That setup token is not right. It is in the file {SETUP_TOKEN_FILE} in the server's data directory.")));
    }
    roles_changed(user_id);
    audit(
        db,
        "role_changed",
        Some(user_id),
        "to admin: with the setup token",
        now,
    )
    .await
}

#[derive(Debug, SurrealValue)]
struct AuditRow {
    kind: String,
    email: Option<String>,
    detail: String,
    at: i64,
}

/// The newest security events, optionally of one kind.
pub async fn audit_log(db: &Db, kind: &str) -> Result<Vec<AuditEntry>, AppError> {
    let mut r = db
        .query(
            "SELECT kind, user.email AS email, detail, at FROM audit_event
             WHERE $kind = '' OR kind = $kind ORDER BY at DESC LIMIT 200",
        )
        .bind(("kind", kind.trim().to_string()))
        .await?
        .check()?;
    let rows: Vec<AuditRow> = r.take(0)?;
    Ok(rows
        .into_iter()
        .map(|a| AuditEntry {
            kind: a.kind,
            email: a.email,
            detail: a.detail,
            at: a.at,
        })
        .collect())
}

/// `viva admin create`: a verified admin account, made on the command line.
pub async fn create_admin(
    db: &Db,
    email: &str,
    name: &str,
    pw: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = normalize_email(email)?;
    let name = name.trim();
    if name.is_empty() || name.chars().count() > super::service::MAX_NAME_CHARS {
        return Err(bad("Give a name (at most 100 characters)."));
    }
    if user_by_email(db, &email).await?.is_some() {
        return Err(bad(format!(
            "{email} already has an account: use `viva admin promote {email}`."
        )));
    }
    password::check_policy(pw, &[&email, name]).map_err(bad)?;
    let hash = hash_password(pw.to_string()).await?;
    let id = super::service::insert_user(
        db,
        super::service::NewUser {
            email,
            name: name.to_string(),
            password_hash: hash,
            role: Role::Admin,
            job_role: String::new(),
            experience: "mid".into(),
            email_verified: true,
            referral_code: None,
        },
        now,
    )
    .await?
    .ok_or_else(|| bad("That address already has an account: use `viva admin promote`."))?;
    audit(
        db,
        "role_changed",
        Some(&id),
        "created as admin on the command line",
        now,
    )
    .await
}

/// `viva admin promote EMAIL`.
pub async fn promote(db: &Db, email: &str, now: i64) -> Result<(), AppError> {
    let email = normalize_email(email)?;
    let user = user_by_email(db, &email)
        .await?
        .ok_or_else(|| bad(format!("No account has the address {email}.")))?;
    db.query("UPDATE type::record('user', $id) SET role = $admin")
        .bind(("id", user.id.clone()))
        .bind(("admin", Role::Admin))
        .await?
        .check()?;
    roles_changed(&user.id);
    audit(
        db,
        "role_changed",
        Some(&user.id),
        "to admin on the command line",
        now,
    )
    .await
}

/// For the operator's insights: (opaque id, when, confirmed) of each account made since
/// `since`. Counted by the admin feature; never shown per person.
pub async fn sign_ups_since(db: &Db, since: i64) -> Result<Vec<(String, i64, bool)>, AppError> {
    use surrealdb::types::SurrealValue;
    #[derive(SurrealValue)]
    struct Row {
        uid: String,
        at: i64,
        verified: bool,
    }
    let mut r = db
        .query("SELECT record::id(id) AS uid, created_at AS at, email_verified AS verified FROM user WHERE created_at >= $since")
        .bind(("since", since))
        .await?
        .check()?;
    let rows: Vec<Row> = r.take(0)?;
    Ok(rows
        .into_iter()
        .map(|r| (r.uid, r.at, r.verified))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn fresh() -> (tempfile::TempDir, Db) {
        crate::db::temp().await
    }

    #[tokio::test]
    async fn the_last_admin_cannot_step_down_or_be_locked_out() {
        let (_d, db) = fresh().await;
        create_admin(
            &db,
            "root@example.org",
            "Root",
            "orchid-Lantern-mosaic-81",
            1,
        )
        .await
        .unwrap();
        let users = list_users(&db, "").await.unwrap();
        let me = &users[0].id;
        assert_eq!(users[0].role, crate::auth::Role::Admin);
        assert!(set_role(&db, me, me, "user", 2)
            .await
            .unwrap_err()
            .to_string()
            .contains("only admin"));
        assert!(set_disabled(&db, me, me, true, 2).await.is_err());
        assert!(matches!(
            set_role(&db, me, "nobody", "admin", 2).await,
            Err(AppError::NotFound)
        ));
        assert!(set_role(&db, me, me, "superuser", 2).await.is_err());
        // Nobody can claim the first-admin offer any more.
        assert!(matches!(
            claim_first_admin(&db, me, "any", 3).await,
            Err(AppError::Forbidden)
        ));
        assert_eq!(
            register_setup_token(&db, "token", 3).await.unwrap(),
            Setup::HasAdmin
        );
        let log = audit_log(&db, "role_changed").await.unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].email.as_deref(), Some("root@example.org"));
    }

    #[tokio::test]
    async fn search_matches_names_and_addresses_and_keeps_input_as_text() {
        let (_d, db) = fresh().await;
        create_admin(
            &db,
            "grace@example.org",
            "Grace Hopper",
            "orchid-Lantern-mosaic-81",
            1,
        )
        .await
        .unwrap();
        assert_eq!(list_users(&db, "HOPPER").await.unwrap().len(), 1);
        assert_eq!(list_users(&db, "grace@").await.unwrap().len(), 1);
        assert_eq!(list_users(&db, "' OR 1=1 --").await.unwrap().len(), 0);
        assert!(list_users(&db, &"x".repeat(101)).await.is_err());
        assert!(promote(&db, "nobody@example.org", 2)
            .await
            .unwrap_err()
            .to_string()
            .contains("No account"));
        assert!(
            create_admin(&db, "grace@example.org", "G", "orchid-Lantern-mosaic-81", 2)
                .await
                .unwrap_err()
                .to_string()
                .contains("promote")
        );
    }

    /// The claim's own refusals (wrong token, taken) are answers; any other database failure
    /// is a fault (a logged 500), not "your token is wrong".
    #[tokio::test]
    async fn a_database_fault_in_the_claim_is_not_called_a_wrong_token() {
        let (_d, db) = fresh().await;
        let id = super::super::service::insert_user(
            &db,
            super::super::service::NewUser {
                email: "ada@example.org".into(),
                name: "Ada".into(),
                password_hash: "x".into(),
                role: Role::User,
                job_role: String::new(),
                experience: "mid".into(),
                email_verified: true,
                referral_code: None,
            },
            1,
        )
        .await
        .unwrap()
        .unwrap();
        assert_eq!(
            register_setup_token(&db, "tok", 1).await.unwrap(),
            Setup::Ready
        );
        let wrong = claim_first_admin(&db, &id, "nope", 2).await.unwrap_err();
        assert!(
            wrong.to_string().contains("setup token is not right"),
            "{wrong}"
        );
        // The schema now refuses the role: the right token meets a fault, not a "no".
        db.query("DEFINE FIELD OVERWRITE role ON user TYPE string ASSERT $value IN ['user']")
            .await
            .unwrap()
            .check()
            .unwrap();
        assert_eq!(
            claim_first_admin(&db, &id, "tok", 3).await.unwrap_err(),
            AppError::Internal
        );
    }
}
