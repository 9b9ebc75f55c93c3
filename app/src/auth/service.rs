//! Accounts on the database: sign-up, e-mail codes, sign-in, sessions with rotating refresh
//! tokens, sign-out, the audit log. Every function takes `now` from the caller's clock.
//! Messages are chosen so that no answer reveals whether an e-mail address has an account.

use serde::{Deserialize, Serialize};
use surrealdb::types::SurrealValue;

use super::otp::{self, OtpCheck, OtpPurpose, OtpState};
use super::password;
use super::tokens::{self, RefreshDecision, RefreshState, TokenKeys};
use super::Role;
use crate::{
    db::Db,
    mail::{Mailer, Message},
    AppError,
};

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

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Experience {
    Entry,
    Junior,
    Mid,
    Senior,
    Lead,
    Executive,
}

impl Experience {
    pub fn as_str(self) -> &'static str {
        match self {
            Experience::Entry => "entry",
            Experience::Junior => "junior",
            Experience::Mid => "mid",
            Experience::Senior => "senior",
            Experience::Lead => "lead",
            Experience::Executive => "executive",
        }
    }
}

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

#[derive(Debug, Clone, SurrealValue)]
pub(crate) struct UserRow {
    pub id: String,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub email_verified: bool,
    pub disabled: bool,
}

const USER_FIELDS: &str =
    "record::id(id) AS id, email, name, password_hash, role, email_verified, disabled";

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

/// What sign-up asked about someone's work, for their practice profile, and whether their
/// address is confirmed.
#[derive(Debug, Clone, SurrealValue)]
pub struct WorkInfo {
    pub job_role: String,
    pub experience: String,
    pub email_verified: bool,
}

/// The [`WorkInfo`] of an account (`None`: no such account).
pub async fn work_info(db: &Db, uid: &str) -> Result<Option<WorkInfo>, AppError> {
    let mut r = db
        .query("SELECT job_role, experience, email_verified FROM ONLY type::record('user', $uid)")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

/// A new account: what differs between signing up, a sign-in provider and `viva admin
/// create-admin`. Everything else (terms accepted now, enabled) is the same for all three.
pub(crate) struct NewUser {
    pub email: String,
    pub name: String,
    /// `!` for an account without a password (provider sign-in).
    pub password_hash: String,
    pub role: Role,
    pub job_role: String,
    pub experience: String,
    pub email_verified: bool,
    pub referral_code: Option<String>,
}

/// Creates an account: its id, or `None` when the address already has one (the unique index
/// decides, so two sign-ups racing for one address make one account). The one place a `user`
/// row is made.
pub(crate) async fn insert_user(db: &Db, u: NewUser, now: i64) -> Result<Option<String>, AppError> {
    let id = new_id();
    let res = db
        .query(
        "CREATE type::record('user', $id) SET email = $email, name = $name, password_hash = $hash, role = $role,
            job_role = $job_role, experience = $experience, email_verified = $verified, disabled = false,
            terms_version = $terms, terms_accepted_at = $now, age_confirmed_at = $now, referral_code = $referral,
            created_at = $now",
    )
    .bind(("id", id.clone()))
    .bind(("email", u.email))
    .bind(("name", u.name))
    .bind(("hash", u.password_hash))
    .bind(("role", u.role))
    .bind(("job_role", u.job_role))
    .bind(("experience", u.experience))
    .bind(("verified", u.email_verified))
    .bind(("terms", TERMS_VERSION))
    .bind(("now", now))
    .bind(("referral", u.referral_code))
    .await?
    .check();
    match res {
        Ok(_) => Ok(Some(id)),
        Err(e) if crate::db::classify(&e) == crate::db::Fault::Duplicate("user_email") => Ok(None),
        Err(e) => Err(e.into()),
    }
}

pub(crate) async fn hash_password(pw: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || password::hash(&pw))
        .await
        .map_err(|e| AppError::internal("password hashing task", e))?
        .map_err(|e| AppError::internal("password hashing", e))
}

pub(crate) async fn verify_password(pw: String, phc: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || match phc {
        Some(h) => password::verify(&pw, &h),
        None => {
            password::verify_dummy(&pw);
            false
        }
    })
    .await
    .unwrap_or(false)
}

pub(crate) async fn user_by_email(db: &Db, email: &str) -> Result<Option<UserRow>, AppError> {
    let mut r = db
        .query(format!(
            "SELECT {USER_FIELDS} FROM user WHERE email = $email LIMIT 1"
        ))
        .bind(("email", email.to_string()))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

pub(crate) async fn user_by_id(db: &Db, id: &str) -> Result<Option<UserRow>, AppError> {
    let mut r = db
        .query(format!(
            "SELECT {USER_FIELDS} FROM ONLY type::record('user', $id)"
        ))
        .bind(("id", id.to_string()))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

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

/// Creates an account and e-mails a code to verify the address. For an address that already
/// has an account, nothing is created and its owner is told by e-mail instead; the answer is
/// the same either way.
pub async fn sign_up(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    input: SignUpInput,
    now: i64,
) -> Result<(), AppError> {
    let email = normalize_email(&input.email)?;
    let name = check_name(&input.name)?;
    let job_role = input.job_role.trim().to_string();
    if job_role.is_empty()
        || job_role.chars().count() > MAX_JOB_ROLE_CHARS
        || job_role.chars().any(char::is_control)
    {
        return Err(bad(format!(
            "Please say which job you are preparing for (at most {MAX_JOB_ROLE_CHARS} characters)."
        )));
    }
    if !input.age_confirmed {
        return Err(bad(
            "Viva is for people aged 16 or older: please confirm your age.",
        ));
    }
    if !input.accept_terms {
        return Err(bad(
            "Please agree to the terms and the privacy policy to create an account.",
        ));
    }
    let referral = input
        .referral_code
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_string);
    if let Some(r) = &referral {
        if r.chars().count() > MAX_REFERRAL_CHARS
            || !r.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return Err(bad(
                "A referral code has only letters, digits and dashes (at most 32).",
            ));
        }
    }
    password::check_policy(&input.password, &[&email, &name]).map_err(bad)?;

    // Hash before looking the address up, so both paths take the same time.
    let hash = hash_password(input.password.clone()).await?;
    if let Some(existing) = user_by_email(db, &email).await? {
        mailer
            .enqueue(
                db,
                &email,
                &Message::sign_up_attempt(&mailer.product, greeting(&existing)),
                now,
            )
            .await?;
        audit(db, "sign_up_existing_address", Some(&existing.id), "", now).await?;
        return Ok(());
    }
    let created = insert_user(
        db,
        NewUser {
            email: email.clone(),
            name: name.clone(),
            password_hash: hash,
            role: Role::User,
            job_role,
            experience: input.experience.as_str().to_string(),
            email_verified: false,
            referral_code: referral,
        },
        now,
    )
    .await?;
    // Lost a race with a sign-up for the same address (unique index): answer the same.
    let Some(id) = created else { return Ok(()) };
    audit(db, "sign_up", Some(&id), "", now).await?;
    // The address is not confirmed yet: the e-mail carries no text the signer typed.
    issue_code(
        db,
        keys,
        mailer,
        &id,
        &email,
        None,
        OtpPurpose::VerifyEmail,
        Delivery::Send,
        now,
    )
    .await
}

/// The name to greet an account with in e-mail: only once its owner proved the address, so
/// a stranger cannot put words into mail to someone else's address.
pub(crate) fn greeting(user: &UserRow) -> Option<&str> {
    user.email_verified.then_some(user.name.as_str())
}

/// Whether a new code is e-mailed, or only stored (the address belongs to another account, and
/// the answer must not say so).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Delivery {
    Send,
    StoreOnly,
}

/// Makes a new code for a purpose, bound to the address it goes to, and e-mails it. In the
/// same transaction: older codes for the purpose die, and for a change of address the pending
/// address becomes `sent_to` (so the pending address and its one live code always agree).
#[allow(clippy::too_many_arguments)]
pub async fn issue_code(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    user_id: &str,
    sent_to: &str,
    name: Option<&str>,
    purpose: OtpPurpose,
    delivery: Delivery,
    now: i64,
) -> Result<(), AppError> {
    // The cooldown holds only while the last code still works: after it was used, locked by
    // wrong tries, or expired, a new one goes out at once (the send limits still cap them).
    let mut r = db
        .query("SELECT VALUE created_at FROM otp WHERE user = type::record('user', $uid) AND purpose = $purpose
                AND used = false AND attempts < $max AND expires_at > $now ORDER BY created_at DESC LIMIT 1")
        .bind(("uid", user_id.to_string()))
        .bind(("purpose", purpose.as_str()))
        .bind(("max", otp::OTP_MAX_ATTEMPTS as i64))
        .bind(("now", now))
        .await?
        .check()?;
    let last: Option<i64> = r.take(0)?;
    otp::resend_allowed(last, now).map_err(|wait| AppError::RateLimited(wait as u64))?;
    let code = otp::generate_code();
    let hash = otp::code_hash(&keys.otp_key, user_id, purpose, sent_to, &code);
    let state = OtpState::new(hash, now);
    db.query(
        "BEGIN TRANSACTION;
         DELETE otp WHERE user = type::record('user', $uid) AND purpose = $purpose;
         CREATE otp SET user = type::record('user', $uid), purpose = $purpose, hash = $hash, sent_to = $to, created_at = $now,
             expires_at = $expires, attempts = 0, used = false;
         IF $purpose = 'change_email' { UPDATE type::record('user', $uid) SET pending_email = $to };
         COMMIT TRANSACTION;",
    )
    .bind(("uid", user_id.to_string()))
    .bind(("purpose", purpose.as_str()))
    .bind(("hash", state.hash))
    .bind(("to", sent_to.to_string()))
    .bind(("now", now))
    .bind(("expires", state.expires_at))
    .await?
    .check()?;
    if delivery == Delivery::Send {
        mailer
            .enqueue(
                db,
                sent_to,
                &Message::code(&mailer.product, name, purpose.mail_phrase(), &code),
                now,
            )
            .await?;
    }
    Ok(())
}

#[derive(Debug, Clone, SurrealValue)]
struct OtpRow {
    id: String,
    hash: String,
    sent_to: Option<String>,
    created_at: i64,
    expires_at: i64,
    attempts: i64,
    used: bool,
}

/// Checks a code typed by the person. Every try is counted first, atomically and only while
/// the code is live; only a counted try is compared. A code works once. Returns the address
/// the code was sent to.
pub async fn check_code(
    db: &Db,
    keys: &AuthKeys,
    user_id: &str,
    purpose: OtpPurpose,
    input: &str,
    now: i64,
) -> Result<String, AppError> {
    let Some(code) = otp::normalize_input(input) else {
        return Err(bad("Enter the 6-digit code from the e-mail."));
    };
    let mut r = db
        .query("SELECT record::id(id) AS id, hash, sent_to, created_at, expires_at, attempts, used FROM otp WHERE user = type::record('user', $uid) AND purpose = $purpose ORDER BY created_at DESC LIMIT 1")
        .bind(("uid", user_id.to_string()))
        .bind(("purpose", purpose.as_str()))
        .await?
        .check()?;
    let Some(row): Option<OtpRow> = r.take(0)? else {
        return Err(bad(OtpCheck::Expired.message()));
    };
    let state = OtpState {
        hash: row.hash,
        created_at: row.created_at,
        expires_at: row.expires_at,
        attempts: row.attempts as u32,
        used: row.used,
    };
    if let Err(why) = otp::usable(&state, now) {
        return Err(bad(why.message()));
    }
    // Count the try; a try that cannot be counted (the code was used, locked or expired by a
    // parallel request) is not compared at all.
    let counted: Vec<i64> = update_otp(
        db,
        "UPDATE type::record('otp', $id) SET attempts += 1 WHERE used = false AND attempts < $max AND expires_at > $now RETURN VALUE attempts",
        &row.id,
        now,
    )
    .await?;
    let Some(&attempts_after) = counted.first() else {
        return Err(bad(OtpCheck::Locked.message()));
    };
    let Some(sent_to) = row.sent_to else {
        return Err(bad(OtpCheck::Expired.message()));
    };
    let candidate = otp::code_hash(&keys.otp_key, user_id, purpose, &sent_to, &code);
    match otp::after_counted_try(&state.hash, &candidate, attempts_after as u32) {
        OtpCheck::Accepted => {
            let used: Vec<String> = update_otp(db, "UPDATE type::record('otp', $id) SET used = true WHERE used = false RETURN VALUE record::id(id)", &row.id, now).await?;
            if used.is_empty() {
                // Another request used this code at the same moment.
                return Err(bad(OtpCheck::AlreadyUsed.message()));
            }
            Ok(sent_to)
        }
        outcome => {
            audit(db, "otp_failure", Some(user_id), purpose.as_str(), now).await?;
            Err(bad(outcome.message()))
        }
    }
}

/// A conditional update of one code, run again when it met a concurrent one (the loser then
/// sees the winner's count).
async fn update_otp<T: SurrealValue>(
    db: &Db,
    sql: &'static str,
    id: &str,
    now: i64,
) -> Result<Vec<T>, AppError> {
    let answered = crate::db::retry_conflicts(|| async move {
        db.query(sql)
            .bind(("id", id.to_string()))
            .bind(("max", otp::OTP_MAX_ATTEMPTS as i64))
            .bind(("now", now))
            .await
            .and_then(|r| r.check())
    })
    .await?;
    match answered {
        Some(mut r) => Ok(r.take(0)?),
        None => Err(AppError::RateLimited(1)),
    }
}

/// The one answer to every failed code in the flows anyone can reach without signing in
/// (confirming an address, resetting a password): it never tells whether the address has an
/// account, is confirmed, or has a code, nor how many tries are left.
pub const PUBLIC_CODE_FAILED: &str =
    "That code did not work. Check the newest e-mail from us, or ask for a new code.";

/// Verifies the address of a new account with the e-mailed code.
pub async fn verify_email(
    db: &Db,
    keys: &AuthKeys,
    email: &str,
    code: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = normalize_email(email)?;
    if otp::normalize_input(code).is_none() {
        return Err(bad("Enter the 6-digit code from the e-mail."));
    }
    // One path for every address: unknown, confirmed and unconfirmed ones all need a live code
    // sent to this very address, and every failure reads the same.
    let Some(user) = user_by_email(db, &email).await? else {
        return Err(bad(PUBLIC_CODE_FAILED));
    };
    match check_code(db, keys, &user.id, OtpPurpose::VerifyEmail, code, now).await {
        Ok(sent_to) if sent_to == email => {}
        Ok(_) | Err(AppError::BadRequest(_)) => return Err(bad(PUBLIC_CODE_FAILED)),
        Err(e) => return Err(e),
    }
    db.query("UPDATE type::record('user', $id) SET email_verified = true")
        .bind(("id", user.id.clone()))
        .await?
        .check()?;
    audit(db, "email_verified", Some(&user.id), "", now).await
}

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
    db.query(
        "BEGIN TRANSACTION;
         CREATE type::record('session', $sid) SET user = type::record('user', $uid), created_at = $now, last_used_at = $now, revoked = false, user_agent = $ua;
         CREATE refresh_token SET hash = $rh, session = type::record('session', $sid), created_at = $now, rotated = false;
         COMMIT TRANSACTION;",
    )
    .bind(("sid", session_id.clone()))
    .bind(("uid", user.id.clone()))
    .bind(("now", now))
    .bind(("ua", ua))
    .bind(("rh", refresh_hash))
    .await?
    .check()?;
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
struct RefreshRow {
    id: String,
    session: String,
    user: String,
    rotated: bool,
    rotated_at: Option<i64>,
    revoked: bool,
    family_created_at: i64,
    last_used_at: i64,
}

/// Tries of a refresh that met a concurrent one on the same token (the store refuses one of
/// two transactions; the loser reads again and finds the token just rotated).
const REFRESH_RACE_RETRIES: u32 = 8;

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

async fn successor_exists(db: &Db, successor: &str) -> Result<bool, AppError> {
    let mut r = db
        .query("SELECT VALUE record::id(id) FROM refresh_token WHERE hash = $h LIMIT 1")
        .bind(("h", tokens::refresh_token_hash(successor)))
        .await?
        .check()?;
    let ids: Vec<String> = r.take(0)?;
    Ok(!ids.is_empty())
}

#[derive(Debug, SurrealValue)]
struct LiveRow {
    live: bool,
    role: Role,
}

/// Checks an access token and that its session and account are still live. The role is read
/// from the account, so a change of role applies at once, not when the token runs out.
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
    let mut r = db
        .query("SELECT (!revoked AND !user.disabled) AS live, user.role AS role FROM ONLY type::record('session', $sid) WHERE record::id(user) = $uid")
        .bind(("sid", claims.sid.clone()))
        .bind(("uid", claims.sub.clone()))
        .await?
        .check()?;
    let row: Option<LiveRow> = r.take(0)?;
    match row {
        Some(LiveRow { live: true, role }) => Ok(Caller {
            user_id: claims.sub,
            role,
            session_id: claims.sid,
        }),
        _ => Err(AppError::Unauthorized),
    }
}

/// Sends a new verification code when the address has an unverified account. Answers the
/// same in every case, so it reveals nothing about which addresses have accounts.
pub async fn resend_verification(
    db: &Db,
    keys: &AuthKeys,
    mailer: &Mailer,
    email: &str,
    now: i64,
) -> Result<(), AppError> {
    let email = normalize_email(email)?;
    match user_by_email(db, &email).await? {
        Some(u) if !u.email_verified => match issue_code(
            db,
            keys,
            mailer,
            &u.id,
            &email,
            None,
            OtpPurpose::VerifyEmail,
            Delivery::Send,
            now,
        )
        .await
        {
            Ok(()) | Err(AppError::RateLimited(_)) => Ok(()),
            Err(e) => Err(e),
        },
        _ => Ok(()),
    }
}

/// The signed-in person's own account.
pub async fn me(db: &Db, user_id: &str) -> Result<Option<crate::auth::MyAccount>, AppError> {
    Ok(user_by_id(db, user_id)
        .await?
        .map(|u| crate::auth::MyAccount {
            name: u.name,
            email: u.email,
            role: u.role,
            email_verified: u.email_verified,
            admin_offer: false,
        }))
}

pub async fn revoke_session(db: &Db, session_id: &str) -> Result<(), AppError> {
    db.query("UPDATE type::record('session', $sid) SET revoked = true")
        .bind(("sid", session_id.to_string()))
        .await?
        .check()?;
    Ok(())
}

/// Signs out everywhere: every session of the account.
pub async fn revoke_all_sessions(db: &Db, user_id: &str) -> Result<(), AppError> {
    db.query("UPDATE session SET revoked = true WHERE user = type::record('user', $uid)")
        .bind(("uid", user_id.to_string()))
        .await?
        .check()?;
    Ok(())
}

#[cfg(test)]
mod tests;
