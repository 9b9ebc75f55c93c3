//! Accounts on the database, one file per concern: `users` (sign-up, lookups, the address),
//! `codes` (e-mail codes), `sessions` (sign-in, rotating refresh tokens, sign-out), `audit`.
//! Every function takes `now` from the caller's clock.
//! Messages are chosen so that no answer reveals whether an e-mail address has an account.

use serde::{Deserialize, Serialize};

use super::tokens::TokenKeys;
use super::Role;
use crate::AppError;

/// The part of a person's data export that accounts own: (key in `data.json`, a SurrealQL
/// expression with `$user` bound). Never a password hash, a token or a code.
pub const EXPORT_USER: &[(&str, &str)] = &[
    ("account", "(SELECT record::id(id) AS id, email, name, role, job_role, experience, email_verified, disabled,
        pending_email, referral_code, created_at FROM ONLY $user)"),
    ("sessions", "(SELECT record::id(id) AS id, user_agent, created_at, last_used_at, revoked FROM session
        WHERE user = $user ORDER BY created_at)"),
    ("sign_in_links", "(SELECT provider, subject, created_at FROM oidc_identity WHERE user = $user ORDER BY created_at)"),
    ("security_events", "(SELECT kind, detail, at FROM audit_event WHERE user = $user ORDER BY at)"),
];

mod audit;
mod codes;
mod sessions;
mod users;

pub use audit::*;
pub use codes::*;
pub use sessions::*;
pub use users::*;

/// The part of deleting an account that accounts own, last: every slot of the account's
/// fence written (so a write behind it running meanwhile is refused or seen:
/// [`account_fence!`]) and deleted, refresh tokens, sessions, codes, provider links, then the
/// account itself. Security events stay, without the person: their
/// link is cut and their id in any detail becomes `$pseudonym`.
pub const ERASE_USER: &str = "FOR $slot IN 0..32 {
         UPSERT type::record('account_fence', [$uid, $slot]) SET n = (n ?? 0) + 1 RETURN NONE;
         DELETE type::record('account_fence', [$uid, $slot]);
     };
     DELETE refresh_token WHERE session.user = $user; DELETE session WHERE user = $user;
     DELETE otp WHERE user = $user; DELETE oidc_identity WHERE user = $user;
     UPDATE audit_event SET user = NONE, detail = string::concat($pseudonym, ': ', detail) WHERE user = $user;
     UPDATE audit_event SET detail = string::replace(detail, $uid, $pseudonym) WHERE string::contains(detail, $uid);
     DELETE $user;";

/// The first statements after `BEGIN TRANSACTION` in a transaction that writes a person's data
/// (`$uid` bound), for `concat!`: they stop the transaction when the account is gone (`THROW`,
/// answered as signed out: [`crate::db::ACCOUNT_GONE`]), and bump one of the account's 32
/// `account_fence` counters (0 to 31, at random). A deletion writes all 32 ([`ERASE_USER`]), so
/// a write and a deletion running at the same moment both write one record: the store refuses
/// one of the two, and the one run again ([`crate::db::transact`]) sees the other. Nothing
/// written during a deletion outlives the account, and one person's concurrent writes (a burst
/// of speech segments) rarely meet on a slot.
#[macro_export]
macro_rules! account_fence {
    () => {
        "IF !record::exists(type::record('user', $uid)) { THROW 'account gone'; };
         UPSERT type::record('account_fence', [$uid, rand::int(0, 31)]) SET n = (n ?? 0) + 1 RETURN NONE;\n"
    };
}

/// `fenced!("…", …)`: one transaction of a person's writes behind their account's fence
/// ([`account_fence!`]): `BEGIN`, the fence, the parts (string literals or macros that expand to
/// them, joined as `concat!` joins them), `COMMIT`. The statements bind `$uid`.
#[macro_export]
macro_rules! fenced {
    ($($part:expr),+ $(,)?) => {
        concat!("BEGIN TRANSACTION;\n", $crate::account_fence!(), $($part,)+ "\nCOMMIT TRANSACTION;")
    };
}

/// The version of the terms and privacy policy a person agrees to at sign-up.
pub const TERMS_VERSION: &str = "2026-11-24";

/// Named limits of the sign-up form, in characters.
pub const MAX_NAME_CHARS: usize = 100;

pub const MAX_JOB_ROLE_CHARS: usize = 100;

pub const MAX_REFERRAL_CHARS: usize = 32;

/// The keys of one installation: access-token signing, one-time-code hashing, and the key
/// that derives a refresh token's successor.
#[derive(Clone)]
pub struct AuthKeys {
    pub tokens: TokenKeys,
    pub otp_key: Vec<u8>,
    pub refresh_key: Vec<u8>,
}

impl AuthKeys {
    /// Both derived from the installation's signing key, each for its own use.
    pub fn new(signing_key: &[u8], issuer: &str) -> Self {
        use hmac::{Hmac, Mac};
        let derive = |label: &[u8]| {
            let mut m =
                <Hmac<sha2::Sha256> as Mac>::new_from_slice(signing_key).expect("any key length");
            m.update(label);
            m.finalize().into_bytes().to_vec()
        };
        AuthKeys {
            tokens: TokenKeys::new(&derive(b"viva access token v1"), issuer),
            otp_key: derive(b"viva one-time code v1"),
            refresh_key: derive(b"viva refresh successor v1"),
        }
    }
}

pub use super::Experience;

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SignUpInput {
    pub email: String,
    pub password: String,
    pub name: String,
    pub job_role: String,
    pub experience: Experience,
    pub age_confirmed: bool,
    pub accept_terms: bool,
    pub referral_code: Option<String>,
}

/// What a signed-in request carries after its access token and session were checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Caller {
    pub user_id: String,
    pub role: Role,
    pub session_id: String,
}

/// Tokens to put in the cookies after sign-in or refresh.
#[derive(Clone, Debug)]
pub struct SessionTokens {
    pub access: String,
    pub refresh: String,
    pub caller: Caller,
}

pub(crate) fn bad(msg: impl Into<String>) -> AppError {
    AppError::BadRequest(msg.into())
}

pub(crate) use crate::ids::new_id;

/// A person's name as typed at sign-up or in the profile: not empty, not too long, no control
/// characters, and no web addresses (names are shown to others and greet people in e-mail).
pub fn check_name(name: &str) -> Result<String, AppError> {
    let name = name.trim().to_string();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(bad(format!(
            "Please enter your name (at most {MAX_NAME_CHARS} characters)."
        )));
    }
    if looks_like_link(&name) {
        return Err(bad("A name cannot contain a web address or an e-mail address. Please enter just your name."));
    }
    Ok(name)
}

/// True when text holds something a mail program would turn into a link: a scheme, `www.`,
/// an `@`, or a word like `example.com` (letters after the last dot).
pub fn looks_like_link(text: &str) -> bool {
    let lower = text.to_lowercase();
    if lower.contains("://") || lower.contains("www.") || lower.contains('@') {
        return true;
    }
    let domain_like = |word: &str| {
        let word = word.trim_end_matches(['.', '/']);
        if word.contains('/') && word.contains('.') {
            return true;
        }
        let Some((host, tld)) = word.rsplit_once('.') else {
            return false;
        };
        let host_ends_in_name = host.chars().last().is_some_and(char::is_alphanumeric);
        host_ends_in_name && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
    };
    lower
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '(' | ')'))
        .any(domain_like)
}

pub use crate::address::normalize_email;

#[cfg(test)]
mod tests;

/// Unconfirmed accounts (the address never confirmed) are deleted this long after sign-up.
pub const UNVERIFIED_RETENTION_SECS: i64 = 7 * 24 * 3600;
/// Security events are kept this long.
pub const AUDIT_RETENTION_SECS: i64 = 365 * 24 * 3600;

/// Accounts' retention: used or expired one-time codes, sessions that can no longer be
/// refreshed (idle past `REFRESH_IDLE_TTL_SECS`, older than `REFRESH_ABSOLUTE_TTL_SECS`, or
/// signed out) with their refresh tokens, and security events past `AUDIT_RETENTION_SECS`.
pub async fn sweep(db: &crate::db::Db, now: i64) -> Result<(), AppError> {
    use crate::auth::tokens::{REFRESH_ABSOLUTE_TTL_SECS, REFRESH_IDLE_TTL_SECS};
    db.query(
        "DELETE otp WHERE expires_at <= $now OR used = true;
         LET $dead = SELECT VALUE id FROM session WHERE revoked = true OR last_used_at <= $idle OR created_at <= $absolute;
         DELETE refresh_token WHERE session IN $dead;
         DELETE session WHERE id IN $dead;
         DELETE audit_event WHERE at <= $audit;",
    )
    .bind(("now", now))
    .bind(("idle", now - REFRESH_IDLE_TTL_SECS))
    .bind(("absolute", now - REFRESH_ABSOLUTE_TTL_SECS))
    .bind(("audit", now - AUDIT_RETENTION_SECS))
    .await?
    .check()?;
    Ok(())
}

/// Accounts whose address was never confirmed, signed up before `before` (their ids).
pub async fn unverified_before(db: &crate::db::Db, before: i64) -> Result<Vec<String>, AppError> {
    let mut r = db
        .query("SELECT VALUE record::id(id) FROM user WHERE email_verified = false AND created_at <= $before")
        .bind(("before", before))
        .await?
        .check()?;
    Ok(r.take(0)?)
}
