//! E-mail address rules, the same for every form that takes an address (sign-up, sign-in,
//! contact) in the server and the browser.

use crate::AppError;

/// The longest address accepted (RFC 5321's path limit).
pub const MAX_EMAIL_CHARS: usize = 254;

/// A practical check: one @, something before it, a dotted domain after it, no spaces or controls.
pub fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && local.len() <= 64
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !domain.contains("..")
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// Lower-cased, trimmed, checked e-mail address.
pub fn normalize_email(s: &str) -> Result<String, AppError> {
    let e = s.trim().to_lowercase();
    if e.chars().count() > MAX_EMAIL_CHARS || !looks_like_email(&e) {
        return Err(AppError::BadRequest(
            "Please enter a valid e-mail address, like name@example.org.".into(),
        ));
    }
    Ok(e)
}
