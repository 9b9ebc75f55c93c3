//! Passwords as NIST SP 800-63B asks: at least 8 characters, long passphrases welcome, common
//! or guessable ones refused with the reason; stored only as argon2id hashes (OWASP parameters).

use std::sync::OnceLock;

use argon2::{
    password_hash::{rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString},
    Algorithm, Argon2, Params, Version,
};
use zxcvbn::{zxcvbn, Score};

/// Named limits.
pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 256;
/// zxcvbn score a password must reach (0–4): 3 means "safely unguessable" (~10^10 guesses).
pub const MIN_STRENGTH: Score = Score::Three;
/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
pub const ARGON2_MEMORY_KIB: u32 = 19_456;
pub const ARGON2_ITERATIONS: u32 = 2;
pub const ARGON2_LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(ARGON2_MEMORY_KIB, ARGON2_ITERATIONS, ARGON2_LANES, None)
        .expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Checks a new password. `context` holds words the person's own details give away (e-mail,
/// name), which make a password guessable. The error is a sentence to show them.
pub fn check_policy(password: &str, context: &[&str]) -> Result<(), String> {
    let chars = password.chars().count();
    if chars < MIN_PASSWORD_CHARS {
        return Err(format!("Use at least {MIN_PASSWORD_CHARS} characters — a few words make a strong, memorable password."));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(format!("Use at most {MAX_PASSWORD_CHARS} characters."));
    }
    // zxcvbn's cost grows with length; the first 100 characters decide its estimate.
    let sample: String = password.chars().take(100).collect();
    let mut inputs: Vec<&str> = context.to_vec();
    let email_parts: Vec<&str> = context
        .iter()
        .flat_map(|c| c.split(['@', '.', ' ', '_', '-']))
        .filter(|p| p.len() >= 3)
        .collect();
    // Built from the person's own name or address with a few digits or symbols around it.
    let mut rest = sample.to_lowercase();
    for part in &email_parts {
        rest = rest.replace(&part.to_lowercase(), "");
    }
    if !email_parts.is_empty()
        && rest.chars().filter(|c| c.is_alphanumeric()).count() < MIN_PASSWORD_CHARS
    {
        return Err("This password is too easy to guess: it is mostly your name or e-mail address. Try a longer phrase of unrelated words.".into());
    }
    inputs.extend(email_parts);
    let estimate = zxcvbn(&sample, &inputs);
    if estimate.score() >= MIN_STRENGTH {
        return Ok(());
    }
    let mut msg = String::from("This password is too easy to guess");
    if let Some(fb) = estimate.feedback() {
        if let Some(w) = fb.warning() {
            msg.push_str(&format!(": {}", w.to_string().trim_end_matches('.')));
        }
        msg.push('.');
        for s in fb.suggestions().iter().take(2) {
            msg.push(' ');
            msg.push_str(&s.to_string());
        }
    } else {
        msg.push('.');
    }
    if !msg.contains("Add") && !msg.contains("word") {
        msg.push_str(" Try a longer phrase of unrelated words.");
    }
    Err(msg)
}

/// An argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`).
pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    argon2()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

/// Whether `password` matches the stored hash. A malformed or absent hash (accounts made by
/// OpenID Connect have none) never matches, and takes as long as a real check.
pub fn verify(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            verify_dummy(password);
            false
        }
    }
}

/// Runs a verification against a throwaway hash, so that signing in with an unknown e-mail
/// takes as long as with a known one (no account enumeration by timing).
pub fn verify_dummy(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc =
        DUMMY.get_or_init(|| hash("an unguessable placeholder passphrase").unwrap_or_default());
    if let Ok(parsed) = PasswordHash::new(phc) {
        let _ = argon2().verify_password(password.as_bytes(), &parsed);
    }
}

/// Whether a stored hash uses weaker parameters than today's and should be replaced at the
/// next successful sign-in.
pub fn needs_rehash(phc: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(phc) else {
        return true;
    };
    let p = |name: &str| parsed.params.get_decimal(name);
    parsed.algorithm.as_str() != "argon2id"
        || p("m").unwrap_or(0) < ARGON2_MEMORY_KIB
        || p("t").unwrap_or(0) < ARGON2_ITERATIONS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_and_common_passwords_are_refused_with_a_reason() {
        let e = check_policy("abc123", &[]).unwrap_err();
        assert!(e.contains("at least 8"), "{e}");
        for weak in [
            "password1",
            "qwertyuiop",
            "iloveyou123",
            "11111111",
            "letmein!",
        ] {
            let e = check_policy(weak, &[]).unwrap_err();
            assert!(
                e.starts_with("This password is too easy to guess"),
                "{weak}: {e}"
            );
        }
    }

    #[test]
    fn passwords_made_of_the_persons_own_details_are_refused() {
        assert!(check_policy(
            "ada.lovelace1815",
            &["ada.lovelace@example.org", "Ada Lovelace"]
        )
        .is_err());
    }

    #[test]
    fn long_passphrases_are_welcome() {
        check_policy("correct horse battery staple on a violet moon", &[]).unwrap();
        check_policy("tangerine-Velvet-harbour-42", &[]).unwrap();
        // Long is fine up to the limit, and Unicode counts as characters.
        check_policy(&"ünïcödé wörds ".repeat(18), &[]).unwrap();
        assert!(check_policy(&"x".repeat(MAX_PASSWORD_CHARS + 1), &[])
            .unwrap_err()
            .contains("at most"));
    }

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_salted() {
        let a = hash("tangerine-Velvet-harbour-42").unwrap();
        let b = hash("tangerine-Velvet-harbour-42").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b, "same password, same hash: no salt");
        assert!(verify("tangerine-Velvet-harbour-42", &a));
        assert!(!verify("tangerine-velvet-harbour-42", &a));
        assert!(!verify("anything", "not a hash"));
        assert!(!needs_rehash(&a));
    }

    #[test]
    fn weaker_stored_hashes_are_flagged_for_rehash() {
        let weak = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw", &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        assert!(needs_rehash(&weak));
        assert!(verify("pw", &weak), "old hashes still verify");
    }
}
