//! Accounts: creating them (the one place a `user` row is made), finding them, confirming
//! the address, what the owner sees.

use surrealdb::types::SurrealValue;

use super::super::otp::{self, OtpPurpose};
use super::super::password;
use super::super::Role;
use super::*;
use crate::{
    db::Db,
    mail::{Mailer, Message},
    AppError,
};

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

pub(super) const USER_FIELDS: &str =
    "record::id(id) AS id, email, name, password_hash, role, email_verified, disabled";

/// What sign-up asked about someone's work, for their practice profile, and whether their
/// address is confirmed.
#[derive(Debug, Clone, SurrealValue)]
pub struct WorkInfo {
    pub job_role: String,
    pub experience: String,
    pub email_verified: bool,
}

/// The referral code someone typed when signing up (billing attributes it), with their
/// address and whether it is confirmed and the account enabled.
#[derive(Debug, Clone, SurrealValue)]
pub struct ReferralFacts {
    pub referral_code: Option<String>,
    pub email: String,
    pub email_verified: bool,
    pub disabled: bool,
}

/// The [`ReferralFacts`] of an account (`None`: no such account).
pub async fn referral_facts(db: &Db, uid: &str) -> Result<Option<ReferralFacts>, AppError> {
    let mut r = db
        .query("SELECT referral_code, email, email_verified, disabled FROM ONLY type::record('user', $uid)")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    Ok(r.take(0)?)
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
        Ok(_) => {
            // The terms, the notice (the versions in force) and the age, agreed on creating.
            crate::policy::service::accept_at_sign_up(db, crate::account_fence!(), &id, now)
                .await?;
            Ok(Some(id))
        }
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
    let job_role = check_job_role(&input.job_role)?;
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
    // Confirmed from any browser (often not the one signed in): their pages read it afresh.
    crate::memo::forget(&user.id);
    audit(db, "email_verified", Some(&user.id), "", now).await
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
/// The job someone prepares for, trimmed and checked (the same rule at sign-up and later).
pub fn check_job_role(job_role: &str) -> Result<String, AppError> {
    let job_role = job_role.trim().to_string();
    if job_role.is_empty()
        || job_role.chars().count() > MAX_JOB_ROLE_CHARS
        || job_role.chars().any(char::is_control)
    {
        return Err(bad(format!(
            "Please say which job you are preparing for (at most {MAX_JOB_ROLE_CHARS} characters)."
        )));
    }
    Ok(job_role)
}

/// Corrects what sign-up asked: the name, the job being prepared for, the experience level.
pub async fn update_details(
    db: &Db,
    user_id: &str,
    name: &str,
    job_role: &str,
    experience: &str,
    now: i64,
) -> Result<(), AppError> {
    let name = check_name(name)?;
    let job_role = check_job_role(job_role)?;
    let Ok(experience) = experience.parse::<Experience>() else {
        return Err(bad("Choose your experience level from the list."));
    };
    let mut r = db
        .query("UPDATE type::record('user', $uid) SET name = $name, job_role = $job, experience = $exp RETURN VALUE record::id(id)")
        .bind(("uid", user_id.to_string()))
        .bind(("name", name))
        .bind(("job", job_role))
        .bind(("exp", experience))
        .await?
        .check()?;
    let done: Vec<String> = r.take(0)?;
    if done.is_empty() {
        return Err(AppError::Unauthorized);
    }
    audit(db, "details_changed", Some(user_id), "", now).await
}

pub async fn me(db: &Db, user_id: &str) -> Result<Option<crate::auth::MyAccount>, AppError> {
    Ok(user_by_id(db, user_id)
        .await?
        .map(|u| crate::auth::MyAccount {
            name: u.name,
            email: u.email,
            role: u.role,
            email_verified: u.email_verified,
            admin_offer: false,
            policies_pending: false,
            billing: false,
        }))
}
