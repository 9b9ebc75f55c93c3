//! Validation of the contact form, shared by browser and server.

use serde::{Deserialize, Serialize};

use crate::AppError;

/// Named limits of the contact form, in characters.
pub const MAX_NAME_CHARS: usize = 100;
pub use crate::address::MAX_EMAIL_CHARS;
pub const MIN_MESSAGE_CHARS: usize = 10;
pub const MAX_MESSAGE_CHARS: usize = 5000;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactInput {
    pub name: String,
    pub email: String,
    pub message: String,
}

/// Trims the fields and checks them; the error says which field and what to change.
pub fn validate(input: ContactInput) -> Result<ContactInput, AppError> {
    let bad = |m: String| Err(AppError::BadRequest(m));
    let name = input.name.trim().to_string();
    let email = input.email.trim().to_string();
    let message = input.message.trim().to_string();
    if name.is_empty() {
        return bad("Please enter your name.".into());
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return bad(format!(
            "Your name can be at most {MAX_NAME_CHARS} characters."
        ));
    }
    if name.chars().any(|c| c.is_control()) {
        return bad("Your name contains characters that are not allowed.".into());
    }
    if email.chars().count() > MAX_EMAIL_CHARS || !crate::address::looks_like_email(&email) {
        return bad("Please enter a valid e-mail address, like name@example.org.".into());
    }
    let len = message.chars().count();
    if len < MIN_MESSAGE_CHARS {
        return bad(format!(
            "Your message is too short: write at least {MIN_MESSAGE_CHARS} characters."
        ));
    }
    if len > MAX_MESSAGE_CHARS {
        return bad(format!(
            "Your message is {len} characters; the limit is {MAX_MESSAGE_CHARS}."
        ));
    }
    Ok(ContactInput {
        name,
        email,
        message,
    })
}

/// Checks a reply in a support conversation (from the person or the operator).
pub fn validate_reply(body: &str) -> Result<String, AppError> {
    let body = body.trim();
    let len = body.chars().count();
    if len == 0 {
        return Err(AppError::BadRequest(
            "Write a reply before sending it.".into(),
        ));
    }
    if len > MAX_MESSAGE_CHARS {
        return Err(AppError::BadRequest(format!(
            "Your reply is {len} characters; the limit is {MAX_MESSAGE_CHARS}."
        )));
    }
    Ok(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(name: &str, email: &str, message: &str) -> ContactInput {
        ContactInput {
            name: name.into(),
            email: email.into(),
            message: message.into(),
        }
    }

    #[test]
    fn accepts_and_trims_a_normal_message() {
        let ok = validate(input(
            "  Ada ",
            " ada@example.org ",
            "  Hello there, a question.  ",
        ))
        .unwrap();
        assert_eq!(
            ok,
            input("Ada", "ada@example.org", "Hello there, a question.")
        );
    }

    #[test]
    fn names_the_field_that_is_wrong() {
        let cases = [
            (input("", "a@b.co", "long enough message"), "name"),
            (
                input(&"x".repeat(101), "a@b.co", "long enough message"),
                "at most 100",
            ),
            (input("A", "not-an-email", "long enough message"), "e-mail"),
            (input("A", "a@b", "long enough message"), "e-mail"),
            (input("A", "a b@c.org", "long enough message"), "e-mail"),
            (input("A", "a@b.co", "short"), "at least 10"),
            (input("A", "a@b.co", &"y".repeat(5001)), "limit is 5000"),
            (
                input("A\u{0007}", "a@b.co", "long enough message"),
                "not allowed",
            ),
        ];
        for (i, want) in cases {
            let err = validate(i.clone()).unwrap_err();
            assert_eq!(err.status_code(), 400);
            assert!(err.to_string().contains(want), "{i:?}: {err}");
        }
    }

    #[test]
    fn unicode_is_counted_in_characters_not_bytes() {
        let msg = "é".repeat(MAX_MESSAGE_CHARS);
        assert!(validate(input("Zoë", "zoe@example.org", &msg)).is_ok());
    }
}
