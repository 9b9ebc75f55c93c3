//! E-mail one-time codes: 6 digits from the OS CSPRNG, stored only as an HMAC bound to one
//! account, one purpose and the address the code was sent to, valid 10 minutes, single use,
//! locked after 5 tries, with a cooldown between sends.

use hmac::{Hmac, Mac};
use rand::Rng;

use sha2::Sha256;
use subtle::ConstantTimeEq;

/// Named limits.
pub const OTP_DIGITS: usize = 6;
pub const OTP_TTL_SECS: i64 = 10 * 60;
pub const OTP_MAX_ATTEMPTS: u32 = 5;
pub const OTP_RESEND_COOLDOWN_SECS: i64 = 60;

crate::slug_enum! {
    /// What a one-time code is for; a code works only for the purpose it was sent for.
    pub enum OtpPurpose {
        VerifyEmail = "verify_email",
        ResetPassword = "reset_password",
        ChangeEmail = "change_email",
        ChangePassword = "change_password",
        DeleteAccount = "delete_account",
    }
}

impl OtpPurpose {
    /// What the code lets the person do, as the e-mail says it: "Your code to …".
    pub fn mail_phrase(self) -> &'static str {
        match self {
            OtpPurpose::VerifyEmail => "confirm your e-mail address",
            OtpPurpose::ResetPassword => "choose a new password",
            OtpPurpose::ChangeEmail => "change your e-mail address",
            OtpPurpose::ChangePassword => "change your password",
            OtpPurpose::DeleteAccount => "delete your account",
        }
    }
}

/// A new code, e.g. "042917".
pub fn generate_code() -> String {
    let n: u32 = rand::rng().random_range(0..10u32.pow(OTP_DIGITS as u32));
    format!("{n:0width$}", width = OTP_DIGITS)
}

/// What is stored instead of the code: HMAC-SHA256 under the server key over account,
/// purpose, the address the code was e-mailed to, and the code. A database leak alone does not
/// reveal codes, and a code proves control of exactly the address it went to.
pub fn code_hash(
    key: &[u8],
    account_id: &str,
    purpose: OtpPurpose,
    sent_to: &str,
    code: &str,
) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("HMAC takes any key length");
    for part in [account_id, purpose.as_str(), sent_to, code] {
        mac.update(&(part.len() as u32).to_be_bytes());
        mac.update(part.as_bytes());
    }
    mac.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Accepts what people type ("123 456", "123-456"); None unless it is exactly 6 digits.
pub fn normalize_input(input: &str) -> Option<String> {
    let digits: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    (digits.len() == OTP_DIGITS && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// A stored code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtpState {
    pub hash: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub attempts: u32,
    pub used: bool,
}

impl OtpState {
    pub fn new(hash: String, now: i64) -> Self {
        OtpState {
            hash,
            created_at: now,
            expires_at: now + OTP_TTL_SECS,
            attempts: 0,
            used: false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OtpCheck {
    /// Right code: mark it used.
    Accepted,
    /// Wrong code: count the attempt; this many tries are left.
    Wrong {
        remaining: u32,
    },
    /// Too many wrong tries: ask for a new code.
    Locked,
    Expired,
    AlreadyUsed,
}

impl OtpCheck {
    /// The sentence shown to the person.
    pub fn message(self) -> String {
        match self {
            OtpCheck::Accepted => "Code accepted.".into(),
            OtpCheck::Wrong { remaining } => format!(
                "That code is not right. {remaining} {} left.",
                if remaining == 1 { "try" } else { "tries" }
            ),
            OtpCheck::Locked => "Too many wrong codes. Ask for a new code.".into(),
            OtpCheck::Expired => "This code has expired. Ask for a new code.".into(),
            OtpCheck::AlreadyUsed => "This code was already used. Ask for a new code.".into(),
        }
    }
}

/// Whether a stored code may still be tried at all (before its try is counted).
pub fn usable(state: &OtpState, now: i64) -> Result<(), OtpCheck> {
    if state.used {
        return Err(OtpCheck::AlreadyUsed);
    }
    if now >= state.expires_at {
        return Err(OtpCheck::Expired);
    }
    if state.attempts >= OTP_MAX_ATTEMPTS {
        return Err(OtpCheck::Locked);
    }
    Ok(())
}

/// The outcome of a try that was counted first (`attempts_after` includes it): only a counted
/// try is compared, so parallel guesses never get more than [`OTP_MAX_ATTEMPTS`] comparisons.
pub fn after_counted_try(stored_hash: &str, candidate_hash: &str, attempts_after: u32) -> OtpCheck {
    if bool::from(stored_hash.as_bytes().ct_eq(candidate_hash.as_bytes())) {
        return OtpCheck::Accepted;
    }
    match OTP_MAX_ATTEMPTS.saturating_sub(attempts_after) {
        0 => OtpCheck::Locked,
        remaining => OtpCheck::Wrong { remaining },
    }
}

/// Ok when a new code may be sent; otherwise the seconds to wait.
pub fn resend_allowed(last_created_at: Option<i64>, now: i64) -> Result<(), i64> {
    match last_created_at {
        Some(t) if now - t < OTP_RESEND_COOLDOWN_SECS => Err(OTP_RESEND_COOLDOWN_SECS - (now - t)),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &[u8] = b"0123456789abcdef0123456789abcdef";

    #[test]
    fn codes_are_six_digits_and_vary() {
        let codes: std::collections::HashSet<String> = (0..200).map(|_| generate_code()).collect();
        assert!(codes
            .iter()
            .all(|c| c.len() == 6 && c.chars().all(|d| d.is_ascii_digit())));
        assert!(codes.len() > 190, "codes repeat too often: {}", codes.len());
    }

    #[test]
    fn a_code_is_bound_to_its_account_purpose_and_address() {
        let h = code_hash(KEY, "user:1", OtpPurpose::VerifyEmail, "a@x.org", "123456");
        assert_eq!(
            h,
            code_hash(KEY, "user:1", OtpPurpose::VerifyEmail, "a@x.org", "123456")
        );
        assert_ne!(
            h,
            code_hash(KEY, "user:2", OtpPurpose::VerifyEmail, "a@x.org", "123456")
        );
        assert_ne!(
            h,
            code_hash(
                KEY,
                "user:1",
                OtpPurpose::ResetPassword,
                "a@x.org",
                "123456"
            )
        );
        assert_ne!(
            h,
            code_hash(
                KEY,
                "user:1",
                OtpPurpose::VerifyEmail,
                "victim@x.org",
                "123456"
            )
        );
        assert_ne!(
            h,
            code_hash(
                b"another key of thirty-two bytes!",
                "user:1",
                OtpPurpose::VerifyEmail,
                "a@x.org",
                "123456"
            )
        );
        assert!(!h.contains("123456"));
    }

    #[test]
    fn five_counted_tries_lock_the_code_even_for_the_right_one() {
        let right = code_hash(KEY, "u", OtpPurpose::VerifyEmail, "u@x.org", "111111");
        let wrong = code_hash(KEY, "u", OtpPurpose::VerifyEmail, "u@x.org", "222222");
        let mut s = OtpState::new(right.clone(), 1000);
        for expected_left in [4, 3, 2, 1] {
            assert_eq!(usable(&s, 1001), Ok(()));
            s.attempts += 1;
            assert_eq!(
                after_counted_try(&s.hash, &wrong, s.attempts),
                OtpCheck::Wrong {
                    remaining: expected_left
                }
            );
        }
        s.attempts += 1;
        assert_eq!(
            after_counted_try(&s.hash, &wrong, s.attempts),
            OtpCheck::Locked
        );
        assert_eq!(
            usable(&s, 1001),
            Err(OtpCheck::Locked),
            "no sixth try, not even with the right code"
        );
        // The right code on the fifth counted try still works.
        assert_eq!(
            after_counted_try(&s.hash, &right, OTP_MAX_ATTEMPTS),
            OtpCheck::Accepted
        );
    }

    #[test]
    fn codes_expire_after_ten_minutes_and_work_once() {
        let right = code_hash(KEY, "u", OtpPurpose::VerifyEmail, "u@x.org", "111111");
        let mut s = OtpState::new(right, 1000);
        assert_eq!(usable(&s, 1000 + OTP_TTL_SECS - 1), Ok(()));
        assert_eq!(usable(&s, 1000 + OTP_TTL_SECS), Err(OtpCheck::Expired));
        s.used = true;
        assert_eq!(usable(&s, 1001), Err(OtpCheck::AlreadyUsed));
    }

    #[test]
    fn input_is_forgiving_about_spaces_but_not_content() {
        assert_eq!(normalize_input(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(normalize_input("123-456").as_deref(), Some("123456"));
        for bad in ["12345", "1234567", "12a456", "１２３４５６", ""] {
            assert_eq!(normalize_input(bad), None, "{bad}");
        }
    }

    #[test]
    fn resending_waits_for_the_cooldown() {
        assert_eq!(resend_allowed(None, 100), Ok(()));
        assert_eq!(resend_allowed(Some(100), 130), Err(30));
        assert_eq!(
            resend_allowed(Some(100), 100 + OTP_RESEND_COOLDOWN_SECS),
            Ok(())
        );
    }

    #[test]
    fn messages_say_what_to_do() {
        assert_eq!(
            OtpCheck::Wrong { remaining: 1 }.message(),
            "That code is not right. 1 try left."
        );
        assert!(OtpCheck::Locked.message().contains("new code"));
    }
}
