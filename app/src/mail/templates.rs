//! The e-mails Viva sends, each as plain text and HTML, with the product name from settings.

use crate::auth::otp::OtpPurpose;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    pub subject: String,
    pub text: String,
    pub html: String,
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Message {
    fn new(product: &str, subject: String, paragraphs: &[String]) -> Message {
        let text = paragraphs.join("\n\n") + &format!("\n\n— {product}\n");
        let html = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title></head>\
             <body style=\"font-family:system-ui,sans-serif;line-height:1.5;max-width:36rem\">{}<p>— {}</p></body></html>",
            escape(&subject),
            paragraphs.iter().map(|p| format!("<p>{}</p>", escape(p))).collect::<String>(),
            escape(product)
        );
        Message {
            subject,
            text,
            html,
        }
    }

    /// A one-time code for one purpose.
    pub fn code(product: &str, name: &str, purpose: OtpPurpose, code: &str) -> Message {
        let what = match purpose {
            OtpPurpose::VerifyEmail => "confirm your e-mail address",
            OtpPurpose::ResetPassword => "choose a new password",
            OtpPurpose::ChangeEmail => "change your e-mail address",
            OtpPurpose::ChangePassword => "change your password",
            OtpPurpose::DeleteAccount => "delete your account",
        };
        Message::new(
            product,
            format!("{code} is your {product} code"),
            &[
                format!("Hello {name},"),
                format!("Your code to {what} is {code}. It works once, for 10 minutes."),
                "If you did not ask for it, you can ignore this e-mail: nothing changes without the code.".into(),
            ],
        )
    }

    /// Sent to the owner of an address when someone tries to sign up with it again.
    pub fn sign_up_attempt(product: &str, name: &str) -> Message {
        Message::new(
            product,
            format!("Someone tried to create a {product} account with your address"),
            &[
                format!("Hello {name},"),
                "Someone just tried to create an account with this e-mail address, which already has one. No new account was created.".into(),
                "If it was you, sign in instead, or reset your password if you have forgotten it.".into(),
            ],
        )
    }

    /// Sent after a password reset or change, so an owner notices one they did not make.
    pub fn password_changed(product: &str, name: &str) -> Message {
        Message::new(
            product,
            format!("Your {product} password was changed"),
            &[
                format!("Hello {name},"),
                "The password of your account was just changed, and every device was signed out."
                    .into(),
                "If this was not you, reset your password now and tell the site's administrator."
                    .into(),
            ],
        )
    }

    /// Sent to the OLD address when the account's address changes.
    pub fn new_notice(product: &str, name: &str, new_email: &str) -> Message {
        Message::new(
            product,
            format!("Your {product} e-mail address was changed"),
            &[
                format!("Hello {name},"),
                format!("The e-mail address of your account was changed to {new_email}. E-mails will go there from now on."),
                "If this was not you, reply to the site's administrator at once.".into(),
            ],
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_mail_has_the_code_in_subject_and_body_and_escapes_names() {
        let m = Message::code("Viva", "<Ada>", OtpPurpose::VerifyEmail, "042917");
        assert!(m.subject.starts_with("042917"));
        assert!(m.text.contains("042917") && m.text.contains("10 minutes"));
        assert!(m.html.contains("&lt;Ada&gt;") && !m.html.contains("<Ada>"));
    }

    #[test]
    fn the_product_name_comes_from_settings() {
        let m = Message::sign_up_attempt("Acme Interviews", "Ada");
        assert!(m.subject.contains("Acme Interviews") && m.text.ends_with("— Acme Interviews\n"));
        assert!(!m.text.contains("Viva"));
    }
}
