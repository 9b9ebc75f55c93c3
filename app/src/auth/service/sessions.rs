//! Sign-in, sessions with rotating refresh tokens, checking a request's access token, sign-out.

use surrealdb::types::SurrealValue;

use super::super::password;
use super::super::tokens::{self, RefreshDecision, RefreshState};
use super::super::Role;
use super::*;
use crate::{db::Db, AppError};

/// The one answer to every failed sign-in, whatever the reason.
pub const SIGN_IN_FAILED: &str = "The e-mail address or password is not right.";

/// Signs in with e-mail and password; starts a new session (refresh-token family).
pub async fn sign_in(
    db: &Db,
    keys: &AuthKeys,
    email: &str,
    pw: &str,
    user_agent: &str,
    now: i64,
) -> Result<SessionTokens, AppError> {
    let email = normalize_email(email).map_err(|_| bad(SIGN_IN_FAILED))?;
    let user = user_by_email(db, &email).await?;
    let ok = verify_password(
        pw.to_string(),
        user.as_ref().map(|u| u.password_hash.clone()),
    )
    .await;
    let user = match (user, ok) {
        (Some(u), true) => u,
        (u, _) => {
            audit(
                db,
                "sign_in_failure",
                u.as_ref().map(|u| u.id.as_str()),
                "",
                now,
            )
            .await?;
            return Err(bad(SIGN_IN_FAILED));
        }
    };
    if user.disabled {
        audit(db, "sign_in_disabled", Some(&user.id), "", now).await?;
        return Err(AppError::Forbidden);
    }
    if password::needs_rehash(&user.password_hash) {
        let h = hash_password(pw.to_string()).await?;
        db.query("UPDATE type::record('user', $id) SET password_hash = $h")
            .bind(("id", user.id.clone()))
            .bind(("h", h))
            .await?
            .check()?;
    }
    start_session(db, keys, &user, user_agent, "password", now).await
}

/// Starts a new session (refresh-token family) for an account that has proved who it is.
pub(crate) async fn start_session(
    db: &Db,
    keys: &AuthKeys,
    user: &UserRow,
    user_agent: &str,
    how: &str,
    now: i64,
) -> Result<SessionTokens, AppError> {
    let session_id = new_id();
    let (refresh, refresh_hash) = tokens::new_refresh_token();
    let ua: String = user_agent.chars().take(200).collect();
    // Behind the account's fence: a session begun while the account is being deleted is
    // refused (answered as signed out), never left behind it.
    crate::db::write(|| db.query(crate::fenced!(
        "CREATE type::record('session', $sid) SET user = type::record('user', $uid), created_at = $now, last_used_at = $now, revoked = false, user_agent = $ua;
         CREATE refresh_token SET hash = $rh, session = type::record('session', $sid), created_at = $now, rotated = false;",
    ))
    .bind(("sid", session_id.clone()))
    .bind(("uid", user.id.clone()))
    .bind(("now", now))
    .bind(("ua", ua.clone()))
    .bind(("rh", refresh_hash.clone())))
    .await?;
    audit(db, "sign_in", Some(&user.id), how, now).await?;
    let caller = Caller {
        user_id: user.id.clone(),
        role: user.role,
        session_id,
    };
    let access = keys
        .tokens
        .issue(&caller.user_id, caller.role, &caller.session_id, now);
    Ok(SessionTokens {
        access,
        refresh,
        caller,
    })
}

#[derive(Debug, Clone, SurrealValue)]
pub(super) struct RefreshRow {
    pub(super) id: String,
    pub(super) session: String,
    pub(super) user: String,
    pub(super) rotated: bool,
    pub(super) rotated_at: Option<i64>,
    pub(super) revoked: bool,
    pub(super) family_created_at: i64,
    pub(super) last_used_at: i64,
}

/// Tries of a refresh that met a concurrent one on the same token (the store refuses one of
/// two transactions; the loser reads again and finds the token just rotated).
pub(super) const REFRESH_RACE_RETRIES: u32 = 8;

/// Exchanges a refresh token for new tokens. The successor is derived from the token itself,
/// so requests that raced with the same token within [`tokens::REFRESH_GRACE_SECS`] all get the
/// same successor (a page that fires several requests at once stays signed in). A token that
/// was exchanged longer ago than that revokes its whole session family (it was copied), and
/// the event is logged.
pub async fn refresh(
    db: &Db,
    keys: &AuthKeys,
    token: &str,
    now: i64,
) -> Result<SessionTokens, AppError> {
    let hash = tokens::refresh_token_hash(token);
    let successor = tokens::successor_token(&keys.refresh_key, token);
    for attempt in 0..REFRESH_RACE_RETRIES {
        let mut r = db
            .query(
                "SELECT record::id(id) AS id, record::id(session) AS session, record::id(session.user) AS user, rotated, rotated_at,
                    session.revoked AS revoked, session.created_at AS family_created_at, session.last_used_at AS last_used_at
                 FROM refresh_token WHERE hash = $hash LIMIT 1",
            )
            .bind(("hash", hash.clone()))
            .await?
            .check()?;
        let Some(row): Option<RefreshRow> = r.take(0)? else {
            return Err(AppError::Unauthorized);
        };
        let state = RefreshState {
            family_created_at: row.family_created_at,
            last_used_at: row.last_used_at,
            rotated: row.rotated,
            rotated_at: row.rotated_at,
            revoked: row.revoked,
        };
        let rotate = match tokens::refresh_decision(&state, now) {
            RefreshDecision::Rotate => true,
            RefreshDecision::JustRotated => false,
            RefreshDecision::ReuseDetected => {
                revoke_session(db, &row.session).await?;
                audit(
                    db,
                    "refresh_token_reuse",
                    Some(&row.user),
                    &format!("session {} revoked", row.session),
                    now,
                )
                .await?;
                return Err(AppError::Unauthorized);
            }
            _ => return Err(AppError::Unauthorized),
        };
        let Some(user) = user_by_id(db, &row.user).await? else {
            return Err(AppError::Unauthorized);
        };
        if user.disabled {
            return Err(AppError::Unauthorized);
        }
        if rotate {
            let res = db
                .query(
                    "BEGIN TRANSACTION;
                     LET $claimed = (UPDATE type::record('refresh_token', $id) SET rotated = true, rotated_at = $now WHERE rotated = false RETURN VALUE record::id(id));
                     IF array::len($claimed) = 0 { THROW 'already rotated' };
                     CREATE refresh_token SET hash = $nh, session = type::record('session', $sid), created_at = $now, rotated = false;
                     UPDATE type::record('session', $sid) SET last_used_at = $now;
                     COMMIT TRANSACTION;",
                )
                .bind(("id", row.id.clone()))
                .bind(("nh", tokens::refresh_token_hash(&successor)))
                .bind(("sid", row.session.clone()))
                .bind(("now", now))
                .await;
            // Only "someone rotated it first" means read again; any other failure is a fault.
            let error = match res {
                Ok(mut r) => crate::db::cause(r.take_errors()),
                Err(e) => Some(e),
            };
            let failed = match error {
                None => false,
                Some(e) => match crate::db::classify(&e) {
                    // The THROW, the store's conflict, or the successor (the same for both
                    // requests) already stored by the other.
                    crate::db::Fault::Thrown(_)
                    | crate::db::Fault::Conflict
                    | crate::db::Fault::Duplicate("refresh_token_hash") => true,
                    _ => return Err(e.into()),
                },
            };
            if failed {
                // Another request rotated this token at the same moment (or the store made one of
                // us step back): read again; within the grace window it is the same successor.
                let wait = (1 + rand::random::<u64>() % 5) * u64::from(attempt + 1);
                tokio::time::sleep(std::time::Duration::from_millis(wait)).await;
                continue;
            }
        } else if !successor_exists(db, &successor).await? {
            // Rotated by a request whose transaction is not visible yet: read again shortly.
            tokio::time::sleep(std::time::Duration::from_millis(5 * u64::from(attempt + 1))).await;
            continue;
        }
        let caller = Caller {
            user_id: user.id,
            role: user.role,
            session_id: row.session,
        };
        let access = keys
            .tokens
            .issue(&caller.user_id, caller.role, &caller.session_id, now);
        return Ok(SessionTokens {
            access,
            refresh: successor,
            caller,
        });
    }
    // Still contended after every retry: refuse this request only, without touching the session.
    Err(AppError::RateLimited(1))
}

pub(super) async fn successor_exists(db: &Db, successor: &str) -> Result<bool, AppError> {
    let mut r = db
        .query("SELECT VALUE record::id(id) FROM refresh_token WHERE hash = $h LIMIT 1")
        .bind(("h", tokens::refresh_token_hash(successor)))
        .await?
        .check()?;
    let ids: Vec<String> = r.take(0)?;
    Ok(!ids.is_empty())
}

#[derive(Debug, SurrealValue)]
pub(super) struct LiveRow {
    pub(super) live: bool,
    pub(super) role: Role,
}

/// Named bound: how long a session found live is believed live without asking the database
/// again. A sign-out, sign-out everywhere, password change, disabled account, changed role or
/// deleted account done on this node applies at once (the node forgets what it saw, see
/// [`forget_sessions`]); done on another node sharing the database, within this many seconds.
pub const SESSION_RECHECK_SECS: i64 = 10;

/// Named limit: how many sessions a node remembers; when full it forgets them all and asks the
/// database again.
pub const SESSION_MEMORY_MAX: usize = 100_000;

/// A session seen live: whose it is, the account's role, and when it was read. `pending`: the
/// account's answer to "does a changed notice or terms wait for acceptance?", once asked.
struct Seen {
    user: String,
    role: Role,
    at: i64,
    pending: Option<bool>,
}

static SEEN: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<String, Seen>>> =
    std::sync::LazyLock::new(Default::default);

fn fresh(seen: &Seen, now: i64) -> bool {
    (seen.at..seen.at + SESSION_RECHECK_SECS).contains(&now)
}

/// Forgets the sessions of an account this node has seen: their next request asks the
/// database. Called by whatever ends an account's sessions or changes what they may do.
pub fn forget_sessions(user_id: &str) {
    if let Ok(mut m) = SEEN.lock() {
        m.retain(|_, s| s.user != user_id);
    }
    crate::memo::forget(user_id);
}

fn forget_session(session_id: &str) {
    if let Ok(mut m) = SEEN.lock() {
        m.remove(session_id);
    }
}

/// Checks an access token and that its session and account are still live. The role is read
/// from the account, so a change of role applies at once, not when the token runs out. What the
/// database said is kept for [`SESSION_RECHECK_SECS`]: a valid token costs no query within it.
pub async fn authenticate(
    db: &Db,
    keys: &AuthKeys,
    access: &str,
    now: i64,
) -> Result<Caller, AppError> {
    let claims = keys
        .tokens
        .verify(access, now)
        .map_err(|_| AppError::Unauthorized)?;
    if let Ok(m) = SEEN.lock() {
        if let Some(seen) = m.get(&claims.sid) {
            if seen.user == claims.sub && fresh(seen, now) {
                return Ok(Caller {
                    user_id: claims.sub,
                    role: seen.role,
                    session_id: claims.sid,
                });
            }
        }
    }
    let mut r = db
        .query("SELECT (!revoked AND !user.disabled) AS live, user.role AS role FROM ONLY type::record('session', $sid) WHERE record::id(user) = $uid")
        .bind(("sid", claims.sid.clone()))
        .bind(("uid", claims.sub.clone()))
        .await?
        .check()?;
    let row: Option<LiveRow> = r.take(0)?;
    let mut m = SEEN
        .lock()
        .map_err(|_| AppError::internal("sessions", "memory poisoned"))?;
    match row {
        Some(LiveRow { live: true, role }) => {
            if m.len() >= SESSION_MEMORY_MAX {
                m.clear();
            }
            m.insert(
                claims.sid.clone(),
                Seen {
                    user: claims.sub.clone(),
                    role,
                    at: now,
                    pending: None,
                },
            );
            Ok(Caller {
                user_id: claims.sub,
                role,
                session_id: claims.sid,
            })
        }
        _ => {
            m.remove(&claims.sid);
            Err(AppError::Unauthorized)
        }
    }
}

/// Whether a changed privacy notice or terms waits for the caller's acceptance, asked of the
/// database at most once per [`SESSION_RECHECK_SECS`] per session (accepting forgets it).
pub async fn policies_pending(db: &Db, caller: &Caller, now: i64) -> Result<bool, AppError> {
    if let Ok(m) = SEEN.lock() {
        if let Some(p) = m
            .get(&caller.session_id)
            .filter(|s| fresh(s, now))
            .and_then(|s| s.pending)
        {
            return Ok(p);
        }
    }
    let pending = crate::policy::service::is_pending(db, &caller.user_id).await?;
    if let Ok(mut m) = SEEN.lock() {
        if let Some(s) = m.get_mut(&caller.session_id).filter(|s| fresh(s, now)) {
            s.pending = Some(pending);
        }
    }
    Ok(pending)
}

pub async fn revoke_session(db: &Db, session_id: &str) -> Result<(), AppError> {
    db.query("UPDATE type::record('session', $sid) SET revoked = true")
        .bind(("sid", session_id.to_string()))
        .await?
        .check()?;
    forget_session(session_id);
    Ok(())
}

/// Signs out everywhere: every session of the account.
pub async fn revoke_all_sessions(db: &Db, user_id: &str) -> Result<(), AppError> {
    db.query("UPDATE session SET revoked = true WHERE user = type::record('user', $uid)")
        .bind(("uid", user_id.to_string()))
        .await?
        .check()?;
    forget_sessions(user_id);
    Ok(())
}
