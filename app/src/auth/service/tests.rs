//! The accounts service against a real embedded SurrealDB (a temporary directory each).

use surrealdb::types::SurrealValue;

use super::super::otp::{self, OtpPurpose};
use super::super::tokens;
use super::*;
use crate::{db::Db, mail::Mailer};

const KEY: &[u8] = b"a test signing key of 32 bytes!!";
const PW: &str = "tangerine-Velvet-harbour-42";

async fn fresh() -> (tempfile::TempDir, Db, AuthKeys) {
    let (dir, db) = crate::db::temp().await;
    (dir, db, AuthKeys::new(KEY, "http://127.0.0.1:3000"))
}

/// No SMTP server: messages stay in the outbox, where the tests read them.
fn m() -> Mailer {
    Mailer::new("Viva", "Viva <no-reply@example.org>", None).unwrap()
}

fn input(email: &str) -> SignUpInput {
    SignUpInput {
        email: email.into(),
        password: PW.into(),
        name: "Ada Lovelace".into(),
        job_role: "Data analyst".into(),
        experience: Experience::Mid,
        age_confirmed: true,
        accept_terms: true,
        referral_code: Some("FRIEND-2026".into()),
    }
}

#[derive(Debug, SurrealValue)]
struct MailRow {
    subject: String,
    text: String,
    created_at: i64,
}

/// The newest e-mail to an address: (subject, text).
async fn last_mail(db: &Db, to: &str) -> (String, String) {
    let mut r = db.query("SELECT subject, text, created_at FROM outbox WHERE to = $to ORDER BY created_at DESC LIMIT 1").bind(("to", to.to_string())).await.unwrap();
    let row: Option<MailRow> = r.take(0).unwrap();
    let row = row.expect("no e-mail was sent");
    assert!(row.created_at > 0);
    (row.subject, row.text)
}

/// The code of the newest e-mail to an address: the line of six digits in its text.
async fn last_code(db: &Db, to: &str) -> String {
    let text = last_mail(db, to).await.1;
    text.lines()
        .find(|l| l.len() == 6 && l.chars().all(|c| c.is_ascii_digit()))
        .unwrap_or_else(|| panic!("no code in {text}"))
        .to_string()
}

async fn count(db: &Db, table: &str) -> i64 {
    let mut r = db
        .query(format!("RETURN count(SELECT id FROM {table})"))
        .await
        .unwrap();
    r.take::<Option<i64>>(0).unwrap().unwrap()
}

async fn signed_up_and_verified(db: &Db, keys: &AuthKeys, email: &str) {
    sign_up(db, keys, &m(), input(email), 1_000).await.unwrap();
    let code = last_code(db, email).await;
    verify_email(db, keys, email, &code, 1_010).await.unwrap();
}

#[tokio::test]
async fn sign_up_emails_a_code_that_verifies_the_address() {
    let (_d, db, keys) = fresh().await;
    sign_up(&db, &keys, &m(), input(" Ada@Example.org "), 1_000)
        .await
        .unwrap();
    let (subject, text) = last_mail(&db, "ada@example.org").await;
    assert_eq!(subject, "Your Viva code");
    let code = &last_code(&db, "ada@example.org").await;
    assert!(
        text.starts_with("Hello,\n"),
        "an unconfirmed address is not greeted by name: {text}"
    );
    // Stored only as a hash.
    let mut r = db.query("SELECT VALUE hash FROM otp").await.unwrap();
    let hashes: Vec<String> = r.take(0).unwrap();
    assert_eq!(hashes.len(), 1);
    assert!(!hashes[0].contains(code));

    verify_email(&db, &keys, "ada@example.org", code, 1_060)
        .await
        .unwrap();
    let mut r = db
        .query("SELECT VALUE email_verified FROM user WHERE email = 'ada@example.org'")
        .await
        .unwrap();
    assert_eq!(r.take::<Vec<bool>>(0).unwrap(), vec![true]);
    // The code works once.
    let mut r = db.query("SELECT VALUE used FROM otp").await.unwrap();
    assert_eq!(r.take::<Vec<bool>>(0).unwrap(), vec![true]);
}

#[tokio::test]
async fn a_taken_address_answers_like_a_new_one_and_tells_its_owner() {
    let (_d, db, keys) = fresh().await;
    sign_up(&db, &keys, &m(), input("ada@example.org"), 1_000)
        .await
        .unwrap();
    let again = sign_up(
        &db,
        &keys,
        &m(),
        SignUpInput {
            name: "Mallory".into(),
            ..input("ADA@example.org")
        },
        1_100,
    )
    .await;
    assert_eq!(again, Ok(()));
    assert_eq!(count(&db, "user").await, 1);
    let (subject, _) = last_mail(&db, "ada@example.org").await;
    assert!(subject.starts_with("Someone tried"), "{subject}");
}

#[tokio::test]
async fn bad_sign_up_input_is_refused_with_a_reason_and_nothing_is_stored() {
    let (_d, db, keys) = fresh().await;
    let cases: Vec<(SignUpInput, &str)> = vec![
        (input("not-an-email"), "valid e-mail"),
        (
            input(&format!("{}@example.org", "a".repeat(300))),
            "valid e-mail",
        ),
        (
            SignUpInput {
                password: "password1".into(),
                ..input("a@example.org")
            },
            "too easy to guess",
        ),
        (
            SignUpInput {
                password: "short".into(),
                ..input("a@example.org")
            },
            "at least 8",
        ),
        (
            SignUpInput {
                name: "".into(),
                ..input("a@example.org")
            },
            "your name",
        ),
        (
            SignUpInput {
                name: "x".repeat(101),
                ..input("a@example.org")
            },
            "your name",
        ),
        (
            SignUpInput {
                age_confirmed: false,
                ..input("a@example.org")
            },
            "16 or older",
        ),
        (
            SignUpInput {
                accept_terms: false,
                ..input("a@example.org")
            },
            "terms",
        ),
        (
            SignUpInput {
                referral_code: Some("'; DELETE user; --".into()),
                ..input("a@example.org")
            },
            "referral code",
        ),
    ];
    for (i, want) in cases {
        let e = sign_up(&db, &keys, &m(), i, 1_000).await.unwrap_err();
        assert_eq!(e.status_code(), 400);
        assert!(e.to_string().contains(want), "{e} (wanted {want})");
    }
    assert_eq!(count(&db, "user").await, 0);
    assert_eq!(count(&db, "outbox").await, 0);
    // SurrealQL in a name is just text.
    sign_up(
        &db,
        &keys,
        &m(),
        SignUpInput {
            name: "Robert'); DELETE user; --".into(),
            ..input("bobby@example.org")
        },
        1_000,
    )
    .await
    .unwrap();
    assert_eq!(count(&db, "user").await, 1);
}

#[tokio::test]
async fn five_wrong_codes_lock_the_code() {
    let (_d, db, keys) = fresh().await;
    sign_up(&db, &keys, &m(), input("ada@example.org"), 1_000)
        .await
        .unwrap();
    let right = last_code(&db, "ada@example.org").await;
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut messages = vec![];
    for _ in 0..5 {
        messages.push(
            verify_email(&db, &keys, "ada@example.org", wrong, 1_010)
                .await
                .unwrap_err()
                .to_string(),
        );
    }
    assert!(
        messages.iter().all(|m| m == PUBLIC_CODE_FAILED),
        "{messages:?}"
    );
    let e = verify_email(&db, &keys, "ada@example.org", &right, 1_020)
        .await
        .unwrap_err();
    assert_eq!(
        e.to_string(),
        PUBLIC_CODE_FAILED,
        "the right code worked after five wrong ones"
    );
    // The locked code holds no cooldown: a new one goes out at once, and works.
    let (uid,): (String,) = {
        let mut r = db
            .query("SELECT VALUE record::id(id) FROM user")
            .await
            .unwrap();
        (r.take::<Vec<String>>(0).unwrap().remove(0),)
    };
    issue_code(
        &db,
        &keys,
        &m(),
        &uid,
        "ada@example.org",
        None,
        OtpPurpose::VerifyEmail,
        Delivery::Send,
        1_030,
    )
    .await
    .unwrap();
    // While that code still works, another one must wait out the cooldown.
    let e = issue_code(
        &db,
        &keys,
        &m(),
        &uid,
        "ada@example.org",
        None,
        OtpPurpose::VerifyEmail,
        Delivery::Send,
        1_040,
    )
    .await
    .unwrap_err();
    assert_eq!(e, AppError::RateLimited(50));
    let fresh_code = last_code(&db, "ada@example.org").await;
    verify_email(&db, &keys, "ada@example.org", &fresh_code, 1_070)
        .await
        .unwrap();
}

#[tokio::test]
async fn codes_expire_after_ten_minutes() {
    let (_d, db, keys) = fresh().await;
    sign_up(&db, &keys, &m(), input("ada@example.org"), 1_000)
        .await
        .unwrap();
    let code = last_code(&db, "ada@example.org").await;
    let e = verify_email(
        &db,
        &keys,
        "ada@example.org",
        &code,
        1_000 + otp::OTP_TTL_SECS,
    )
    .await
    .unwrap_err();
    assert_eq!(e.to_string(), PUBLIC_CODE_FAILED);
}

#[tokio::test]
async fn sign_in_failures_look_the_same_for_unknown_and_known_addresses() {
    let (_d, db, keys) = fresh().await;
    signed_up_and_verified(&db, &keys, "ada@example.org").await;
    let unknown = sign_in(&db, &keys, "nobody@example.org", PW, "test", 2_000)
        .await
        .unwrap_err();
    let wrong_pw = sign_in(
        &db,
        &keys,
        "ada@example.org",
        "Wrong-password-99",
        "test",
        2_000,
    )
    .await
    .unwrap_err();
    assert_eq!(unknown, wrong_pw);
    assert_eq!(unknown.to_string(), SIGN_IN_FAILED);
    assert_eq!(count(&db, "session").await, 0);
}

#[tokio::test]
async fn sessions_refresh_rotate_and_a_reused_token_revokes_the_family() {
    let (_d, db, keys) = fresh().await;
    signed_up_and_verified(&db, &keys, "ada@example.org").await;
    let t0 = 2_000;
    let s = sign_in(&db, &keys, "ADA@example.org", PW, "Firefox", t0)
        .await
        .unwrap();
    assert_eq!(
        authenticate(&db, &keys, &s.access, t0 + 1).await.unwrap(),
        s.caller
    );

    // After 15 minutes the access token is refused; the refresh token renews it.
    let later = t0 + tokens::ACCESS_TOKEN_TTL_SECS + 5;
    assert_eq!(
        authenticate(&db, &keys, &s.access, later).await,
        Err(AppError::Unauthorized)
    );
    let s2 = refresh(&db, &keys, &s.refresh, later).await.unwrap();
    assert_ne!(s2.refresh, s.refresh);
    assert_eq!(s2.caller.session_id, s.caller.session_id);
    authenticate(&db, &keys, &s2.access, later + 1)
        .await
        .unwrap();

    // A request that raced with the first one (within the grace window) gets the same successor.
    let raced = refresh(&db, &keys, &s.refresh, later + 2).await.unwrap();
    assert_eq!(raced.refresh, s2.refresh);
    // The old refresh token comes back later: someone copied it. The whole family is revoked.
    let replay = later + tokens::REFRESH_GRACE_SECS + 1;
    assert_eq!(
        refresh(&db, &keys, &s.refresh, replay).await.unwrap_err(),
        AppError::Unauthorized
    );
    assert_eq!(
        authenticate(&db, &keys, &s2.access, replay + 1).await,
        Err(AppError::Unauthorized)
    );
    assert_eq!(
        refresh(&db, &keys, &s2.refresh, replay + 2)
            .await
            .unwrap_err(),
        AppError::Unauthorized
    );
    let mut r = db
        .query("SELECT VALUE kind FROM audit_event WHERE kind = 'refresh_token_reuse'")
        .await
        .unwrap();
    assert_eq!(r.take::<Vec<String>>(0).unwrap().len(), 1);
}

#[tokio::test]
async fn sign_out_everywhere_and_disabled_accounts_end_sessions() {
    let (_d, db, keys) = fresh().await;
    signed_up_and_verified(&db, &keys, "ada@example.org").await;
    let a = sign_in(&db, &keys, "ada@example.org", PW, "laptop", 2_000)
        .await
        .unwrap();
    let b = sign_in(&db, &keys, "ada@example.org", PW, "phone", 2_001)
        .await
        .unwrap();
    revoke_session(&db, &a.caller.session_id).await.unwrap();
    assert!(authenticate(&db, &keys, &a.access, 2_002).await.is_err());
    authenticate(&db, &keys, &b.access, 2_002).await.unwrap();
    revoke_all_sessions(&db, &b.caller.user_id).await.unwrap();
    assert!(authenticate(&db, &keys, &b.access, 2_003).await.is_err());
    assert!(refresh(&db, &keys, &b.refresh, 2_003).await.is_err());

    let c = sign_in(&db, &keys, "ada@example.org", PW, "laptop", 2_010)
        .await
        .unwrap();
    db.query("UPDATE user SET disabled = true")
        .await
        .unwrap()
        .check()
        .unwrap();
    assert!(authenticate(&db, &keys, &c.access, 2_011).await.is_err());
    assert!(refresh(&db, &keys, &c.refresh, 2_011).await.is_err());
    assert_eq!(
        sign_in(&db, &keys, "ada@example.org", PW, "laptop", 2_012)
            .await
            .unwrap_err(),
        AppError::Forbidden
    );
}

#[tokio::test]
async fn the_idle_and_absolute_refresh_limits_hold() {
    let (_d, db, keys) = fresh().await;
    signed_up_and_verified(&db, &keys, "ada@example.org").await;
    let s = sign_in(&db, &keys, "ada@example.org", PW, "x", 2_000)
        .await
        .unwrap();
    assert!(refresh(
        &db,
        &keys,
        &s.refresh,
        2_000 + tokens::REFRESH_IDLE_TTL_SECS
    )
    .await
    .is_err());
    let mut s = sign_in(&db, &keys, "ada@example.org", PW, "x", 3_000)
        .await
        .unwrap();
    let mut t = 3_000;
    while t + 6 * 86_400 < 3_000 + tokens::REFRESH_ABSOLUTE_TTL_SECS {
        t += 6 * 86_400;
        s = refresh(&db, &keys, &s.refresh, t).await.unwrap();
    }
    assert!(refresh(
        &db,
        &keys,
        &s.refresh,
        3_000 + tokens::REFRESH_ABSOLUTE_TTL_SECS
    )
    .await
    .is_err());
}

#[test]
fn names_with_web_addresses_are_refused_and_ordinary_names_kept() {
    for bad in [
        "Win at http://evil.example",
        "see www.evil.example",
        "evil.com",
        "Prize at evil.example/claim",
        "me@evil.example",
    ] {
        assert!(
            check_name(bad)
                .unwrap_err()
                .to_string()
                .contains("web address"),
            "{bad}"
        );
    }
    for good in [
        "Ada Lovelace",
        "J. R. R. Tolkien",
        "Dr. Ada King-Noel",
        "Mary-Jane O'Neil",
        "李小龙",
        "Robert'); DELETE user; --",
    ] {
        assert_eq!(check_name(good).unwrap(), good, "{good}");
    }
}

/// Name, job and experience can be corrected after sign-up, with the sign-up rules; a bad
/// value changes nothing.
#[tokio::test]
async fn details_are_corrected_with_the_sign_up_rules() {
    let (_d, db, keys) = fresh().await;
    signed_up_and_verified(&db, &keys, "ada@example.org").await;
    let id = user_by_email(&db, "ada@example.org")
        .await
        .unwrap()
        .unwrap()
        .id;
    update_details(&db, &id, "  Ada King ", "Engineering manager", "lead", 5)
        .await
        .unwrap();
    let user = user_by_id(&db, &id).await.unwrap().unwrap();
    assert_eq!(user.name, "Ada King");
    let work = work_info(&db, &id).await.unwrap().unwrap();
    assert_eq!(
        (work.job_role.as_str(), work.experience.as_str()),
        ("Engineering manager", "lead")
    );
    for (name, job, exp, says) in [
        ("", "Nurse", "mid", "name"),
        ("Ada", "", "mid", "job"),
        ("Ada", "Nurse", "wizard", "experience level"),
    ] {
        let e = update_details(&db, &id, name, job, exp, 6)
            .await
            .unwrap_err();
        assert!(e.to_string().contains(says), "{e}");
    }
    let work = work_info(&db, &id).await.unwrap().unwrap();
    assert_eq!(work.experience, "lead");
    assert_eq!(
        user_by_id(&db, &id).await.unwrap().unwrap().name,
        "Ada King"
    );
}

#[tokio::test]
async fn a_session_ended_on_another_node_stops_working_within_the_recheck_bound() {
    let (_d, db, keys) = fresh().await;
    signed_up_and_verified(&db, &keys, "bo@example.org").await;
    let a = sign_in(&db, &keys, "bo@example.org", PW, "laptop", 3_000)
        .await
        .unwrap();
    authenticate(&db, &keys, &a.access, 3_001).await.unwrap();
    // Another node signs it out: the database changes and this node is not told.
    db.query("UPDATE type::record('session', $sid) SET revoked = true")
        .bind(("sid", a.caller.session_id.clone()))
        .await
        .unwrap()
        .check()
        .unwrap();
    // Within the bound this node still believes what it saw, with no query...
    let last = 3_001 + SESSION_RECHECK_SECS - 1;
    assert_eq!(
        authenticate(&db, &keys, &a.access, last).await.unwrap(),
        a.caller
    );
    // ...and from the bound on it asks again and refuses.
    assert_eq!(
        authenticate(&db, &keys, &a.access, 3_001 + SESSION_RECHECK_SECS)
            .await
            .unwrap_err(),
        AppError::Unauthorized
    );

    // Ended on this node: at once, whether one session, all of them, or a changed role.
    let b = sign_in(&db, &keys, "bo@example.org", PW, "phone", 3_100)
        .await
        .unwrap();
    authenticate(&db, &keys, &b.access, 3_101).await.unwrap();
    revoke_session(&db, &b.caller.session_id).await.unwrap();
    assert!(authenticate(&db, &keys, &b.access, 3_101).await.is_err());
    let c = sign_in(&db, &keys, "bo@example.org", PW, "tablet", 3_200)
        .await
        .unwrap();
    assert_eq!(
        authenticate(&db, &keys, &c.access, 3_201)
            .await
            .unwrap()
            .role,
        Role::User
    );
    crate::auth::people::promote(&db, "bo@example.org", 3_201)
        .await
        .unwrap();
    assert_eq!(
        authenticate(&db, &keys, &c.access, 3_201)
            .await
            .unwrap()
            .role,
        Role::Admin
    );
    revoke_all_sessions(&db, &c.caller.user_id).await.unwrap();
    assert!(authenticate(&db, &keys, &c.access, 3_202).await.is_err());
}

/// A deletion of `uid`'s account (its rows of `note`, then accounts' own part, with the fence)
/// as one interactive transaction, begun (its reads done) but not committed: what it deletes is
/// what it saw when it began.
async fn deletion_begun(
    db: &Db,
    uid: &str,
) -> surrealdb::method::Transaction<surrealdb::engine::any::Any> {
    let tx = (**db).clone().begin().await.unwrap();
    tx.query(format!(
        "DELETE note WHERE user = type::record('user', $uid);
         LET $user = type::record('user', $uid);\n{ERASE_USER}"
    ))
    .bind(("uid", uid.to_string()))
    .bind(("pseudonym", "erased-test"))
    .await
    .unwrap()
    .check()
    .unwrap();
    tx
}

async fn uid_of(db: &Db, email: &str) -> String {
    user_by_email(db, email).await.unwrap().unwrap().id
}

async fn note(
    db: &Db,
    uid: &str,
    sql: &str,
) -> Result<surrealdb::IndexedResults, surrealdb::Error> {
    db.query(sql)
        .bind(("uid", uid.to_string()))
        .await
        .and_then(crate::db::check_tx)
}

#[tokio::test]
async fn a_write_behind_the_fence_and_a_deletion_of_its_account_cannot_both_land() {
    let (_d, db, keys) = fresh().await;
    signed_up_and_verified(&db, &keys, "ann@example.org").await;
    let uid = uid_of(&db, "ann@example.org").await;
    db.query("DEFINE TABLE note SCHEMALESS")
        .await
        .unwrap()
        .check()
        .unwrap();
    let plain = "CREATE note SET user = type::record('user', $uid)";
    let fenced = crate::fenced!("CREATE note SET user = type::record('user', $uid);");

    // Without the fence, a row written while the deletion runs outlives the account.
    let tx = deletion_begun(&db, &uid).await;
    note(&db, &uid, plain).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count(&db, "user").await, 0);
    assert_eq!(count(&db, "note").await, 1, "the race the fence closes");
    db.query("DELETE note").await.unwrap();

    // Behind the fence, the deletion that began before it is refused, and run again it sees
    // the row.
    signed_up_and_verified(&db, &keys, "bea@example.org").await;
    let uid = uid_of(&db, "bea@example.org").await;
    let tx = deletion_begun(&db, &uid).await;
    note(&db, &uid, fenced).await.unwrap();
    let refused = tx
        .commit()
        .await
        .expect_err("the deletion meets the fenced write");
    assert!(crate::db::is_conflict(&refused), "{refused}");
    assert_eq!(count(&db, "note").await, 1);
    deletion_begun(&db, &uid).await.commit().await.unwrap();
    assert_eq!((count(&db, "user").await, count(&db, "note").await), (0, 0));
    assert_eq!(
        count(&db, "account_fence").await,
        0,
        "the fence goes with the account"
    );

    // After the deletion, the fenced write stores nothing and its caller is signed out.
    let gone = note(&db, &uid, fenced)
        .await
        .expect_err("the account is gone");
    assert_eq!(
        crate::db::classify(&gone),
        crate::db::Fault::AccountGone,
        "{gone}"
    );
    assert_eq!(AppError::from(gone), AppError::Unauthorized);
    assert_eq!(count(&db, "note").await, 0);
}
