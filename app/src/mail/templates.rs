//! The e-mails Viva sends, each as plain text and HTML, with the product name from settings.

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

/// "Hello Ada," for an account whose owner proved the address; "Hello," otherwise.
fn hello(name: Option<&str>) -> String {
    match name {
        Some(n) => format!("Hello {n},"),
        None => "Hello,".into(),
    }
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

    /// A one-time code for one purpose (`what`: "confirm your e-mail address"). The code is in
    /// the body only (subjects are shown in notifications and lists, and logged by mail
    /// servers), on a line of its own.
    pub fn code(product: &str, name: Option<&str>, what: &str, code: &str) -> Message {
        Message::new(
            product,
            format!("Your {product} code"),
            &[
                hello(name),
                format!("Your code to {what}:"),
                code.to_string(),
                "It works once, for 10 minutes.".into(),
                "If you did not ask for it, you can ignore this e-mail: nothing changes without the code.".into(),
            ],
        )
    }

    /// Sent to the owner of an address when someone tries to sign up with it again.
    pub fn sign_up_attempt(product: &str, name: Option<&str>) -> Message {
        Message::new(
            product,
            format!("Someone tried to create a {product} account with your address"),
            &[
                hello(name),
                "Someone just tried to create an account with this e-mail address, which already has one. No new account was created.".into(),
                "If it was you, sign in instead, or reset your password if you have forgotten it.".into(),
            ],
        )
    }

    /// Sent after a password reset or change, so an owner notices one they did not make.
    pub fn password_changed(product: &str, name: Option<&str>) -> Message {
        Message::new(
            product,
            format!("Your {product} password was changed"),
            &[
                hello(name),
                "The password of your account was just changed, and every device was signed out."
                    .into(),
                "If this was not you, reset your password now and tell the site's administrator."
                    .into(),
            ],
        )
    }

    /// Sent to the OLD address when the account's address changes.
    /// The operator's reply to a support message (`link`: where the conversation is listed).
    pub fn support_reply(product: &str, name: &str, reply: &str, link: &str) -> Message {
        Message::new(
            product,
            format!("A reply to your message to {product}"),
            &[
                hello(Some(name)),
                "You have a reply to the message you sent us:".into(),
                reply.to_string(),
                format!("The whole conversation: {link}"),
            ],
        )
    }

    /// A receipt for a payment (`link`: the provider's page of the invoice).
    pub fn receipt(product: &str, amount: &str, link: &str) -> Message {
        let mut p = vec![
            hello(None),
            format!("Thank you: we received your payment of {amount} for your {product} plan."),
        ];
        if !link.is_empty() {
            p.push(format!("Your invoice: {link}"));
        }
        p.push("Your plan and invoices are on the Plans and billing page of your account.".into());
        Message::new(product, format!("Your {product} receipt"), &p)
    }

    /// A renewal payment failed; the plan holds until `until` while the provider retries.
    pub fn payment_failed(product: &str, amount: &str, until: &str, link: &str) -> Message {
        let mut p = vec![
            hello(None),
            format!("We could not take the payment of {amount} for your {product} plan."),
            format!("Your plan keeps working until {until}. Update your card on the Plans and billing page of your account (\"Manage subscription\"); after that date, your account moves to the free plan."),
        ];
        if !link.is_empty() {
            p.push(format!("The invoice: {link}"));
        }
        Message::new(
            product,
            format!("Your {product} payment did not go through"),
            &p,
        )
    }

    /// Tells the operator a support message arrived (`link`: the admin's support desk).
    pub fn support_new(product: &str, from: &str, message: &str, link: &str) -> Message {
        Message::new(
            product,
            format!("New support message on {product}"),
            &[
                format!("{from} wrote:"),
                message.to_string(),
                format!("Answer it at {link}"),
            ],
        )
    }

    /// Announces a new version of the privacy notice or the terms (`what`: "the privacy
    /// notice and the terms of use"; `links`: where to read them).
    pub fn policy_changed(product: &str, name: &str, what: &str, links: &str) -> Message {
        Message::new(
            product,
            format!("We have updated {what} of {product}"),
            &[
                hello(Some(name)),
                format!("We have updated {what}. You can read them here: {links}"),
                "The next time you sign in, you will see what changed and be asked to accept it. You can also download your data or delete your account at any time from your account page.".into(),
            ],
        )
    }

    /// The last e-mail to a deleted account's address (its outbox row is erased once sent).
    pub fn account_deleted(product: &str) -> Message {
        Message::new(
            product,
            format!("Your {product} account was deleted"),
            &[
                "Hello,".into(),
                format!("Your {product} account and everything in it were deleted, as you asked: your profile and resume, every interview with its answers, transcripts, scores and recordings, your sessions and sign-in links."),
                "This is the last e-mail you will receive from us. If you did not ask for this, reply to the site's administrator.".into(),
            ],
        )
    }

    pub fn new_notice(product: &str, name: Option<&str>, new_email: &str) -> Message {
        Message::new(
            product,
            format!("Your {product} e-mail address was changed"),
            &[
                hello(name),
                format!("The e-mail address of your account was changed to {new_email}. E-mails will go there from now on, and every other device was signed out."),
                "If this was not you, reply to the site's administrator at once.".into(),
            ],
        )
    }
}

/// A message's text with every one-time code (a run of exactly six digits) replaced by dots,
/// for people who may read the outbox but must not use others' codes.
pub fn mask_codes(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_ascii_digit() && (i == 0 || !chars[i - 1].is_ascii_digit()) {
            let run = chars[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if run == 6 {
                out.push_str("••••••");
                i += run;
                continue;
            }
            out.extend(&chars[i..i + run]);
            i += run;
            continue;
        }
        out.push(chars[i]);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_mail_has_the_code_in_the_body_only_and_greets_only_proved_names() {
        let m = Message::code(
            "Viva",
            Some("<Ada>"),
            "confirm your e-mail address",
            "042917",
        );
        assert!(!m.subject.contains("042917"), "{}", m.subject);
        assert!(m.text.lines().any(|l| l == "042917") && m.text.contains("10 minutes"));
        assert!(m.html.contains("&lt;Ada&gt;") && !m.html.contains("<Ada>"));
        let anonymous = Message::code("Viva", None, "confirm your e-mail address", "042917");
        assert!(anonymous.text.starts_with("Hello,\n"), "{}", anonymous.text);
    }

    #[test]
    fn codes_are_masked_and_other_numbers_kept() {
        assert_eq!(
            mask_codes("Your code:\n\n042917\n\nIt works for 10 minutes."),
            "Your code:\n\n••••••\n\nIt works for 10 minutes."
        );
        assert_eq!(mask_codes("call 1234567 or 12345"), "call 1234567 or 12345");
    }

    #[test]
    fn the_product_name_comes_from_settings() {
        let m = Message::sign_up_attempt("Acme Interviews", Some("Ada"));
        assert!(m.subject.contains("Acme Interviews") && m.text.ends_with("— Acme Interviews\n"));
        assert!(!m.text.contains("Viva"));
    }
}
