//! The privacy notice and the terms of use, written from this installation's settings
//! ([`Installation`]) and from the very constants the features and the retention sweep use,
//! so the published text cannot drift from what the code does. Each change of wording or of
//! configuration makes a new version (`policy::service::version_of`).

use crate::policy::{markdown, Block, Inline, Installation, Section};

/// The built-in terms; the operator's `--terms-file` follows them.
pub const BUILT_IN_TERMS: &str = include_str!("terms.md");

fn t(s: impl Into<String>) -> Inline {
    Inline::Text(s.into())
}
fn b(s: impl Into<String>) -> Inline {
    Inline::Strong(s.into())
}
fn a(text: impl Into<String>, href: impl Into<String>) -> Inline {
    Inline::Link(text.into(), href.into())
}
fn p(s: impl Into<String>) -> Block {
    Block::Para(vec![t(s)])
}
fn cell(s: impl Into<String>) -> Vec<Inline> {
    vec![t(s)]
}
fn list(items: Vec<String>) -> Block {
    Block::List(items.into_iter().map(|s| vec![t(s)]).collect())
}
fn section(id: &str, title: &str, blocks: Vec<Block>) -> Section {
    Section {
        id: id.into(),
        title: title.into(),
        blocks,
    }
}

/// A period for people: "10 minutes", "7 days", "1 year".
pub fn period(secs: i64) -> String {
    let plural = |n: i64, unit: &str| format!("{n} {unit}{}", if n == 1 { "" } else { "s" });
    if secs % (365 * 86_400) == 0 {
        plural(secs / (365 * 86_400), "year")
    } else if secs % 86_400 == 0 {
        plural(secs / 86_400, "day")
    } else if secs % 3600 == 0 {
        plural(secs / 3600, "hour")
    } else if secs % 60 == 0 {
        plural(secs / 60, "minute")
    } else {
        plural(secs, "second")
    }
}

/// Every cookie Viva sets on this installation: (name, purpose, lifetime).
pub fn cookies(i: &Installation) -> Vec<(String, String, String)> {
    use crate::auth::tokens::{
        ACCESS_TOKEN_TTL_SECS, REFRESH_ABSOLUTE_TTL_SECS, REFRESH_IDLE_TTL_SECS,
    };
    let names = crate::auth::cookie_names(!i.insecure_cookies);
    let mut out = vec![
        (
            names.access.to_string(),
            "Proves you are signed in (a signed access token).".to_string(),
            period(ACCESS_TOKEN_TTL_SECS),
        ),
        (
            names.refresh.to_string(),
            "Renews the access token so you stay signed in; it changes at every use.".to_string(),
            format!(
                "{} unused, {} at most",
                period(REFRESH_IDLE_TTL_SECS),
                period(REFRESH_ABSOLUTE_TTL_SECS)
            ),
        ),
    ];
    if !i.sign_in.is_empty() {
        out.push((
            names.oidc_state.to_string(),
            "Ties a sign-in provider's answer to the sign-in you started (only while signing in with a provider).".to_string(),
            period(crate::auth::oidc::LOGIN_TTL_SECS),
        ));
    }
    out
}

/// Every key Viva's scripts keep in the browser: (name, where, purpose, lifetime).
pub fn storage_keys() -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    vec![
        (
            crate::ui::theme::THEME_STORAGE_KEY,
            "local storage",
            "Your light or dark theme choice.",
            "until you clear it",
        ),
        (
            crate::interview::TRIED_ANSWER_KEY,
            "session storage",
            "An answer you tried before signing up, only if you asked to keep it for your new account.",
            "until you save or forget it, or close the tab",
        ),
        (
            crate::voice::QUEUE_DATABASE,
            "IndexedDB",
            "Parts of a spoken answer, and of a video answer you chose to record, not yet delivered (for example while offline), so none is lost.",
            "until the server has them",
        ),
    ]
}

fn who(i: &Installation) -> Section {
    let mut blocks = vec![Block::Para(vec![
        b(capitalise(&i.operator_name())),
        t(format!(
            " runs this installation of {} at {} and decides what happens to the data it holds: in data-protection terms, the controller. {} is open-source software; its authors receive none of your data.",
            i.product_name, i.public_url, i.product_name
        )),
    ])];
    let mut reach = vec![t("To reach them, use the "), a("contact form", "/contact")];
    if let Some(email) = &i.operator.email {
        reach.push(t(" or write to "));
        reach.push(a(email.clone(), format!("mailto:{email}")));
    }
    reach.push(t("."));
    blocks.push(Block::Para(reach));
    if let Some(post) = &i.operator.postal_address {
        blocks.push(p(format!("Postal address: {post}")));
    }
    if i.operator.name.is_none() || i.operator.email.is_none() {
        blocks.push(p("The operator has not yet given their name and e-mail address for this page (settings --operator-name and --operator-email)."));
    }
    section("who", "Who runs this site", blocks)
}

fn data(i: &Installation) -> Section {
    use crate::auth::service::{AUDIT_RETENTION_SECS, UNVERIFIED_RETENTION_SECS};
    use crate::auth::tokens::{REFRESH_ABSOLUTE_TTL_SECS, REFRESH_IDLE_TTL_SECS};
    let contract = "Contract: needed to provide the service you signed up for";
    let legit = "Legitimate interest: keeping the service and accounts safe";
    let mut rows: Vec<[String; 4]> = vec![
        [
            "Account: name, e-mail address, a salted argon2id hash of your password (never the password itself), the job and experience level you gave, a referral code if you entered one, and the consents you gave (with version and time).".into(),
            "To give you an account, sign you in and suggest questions for your level.".into(),
            contract.into(),
            format!("Until you delete the account. Accounts whose address is never confirmed: {}.", period(UNVERIFIED_RETENTION_SECS)),
        ],
        [
            "Profile and resume: background, target roles and companies, skills, and the text read from a resume you upload (the file itself is not kept).".into(),
            "To personalise the questions.".into(),
            contract.into(),
            "Until you change or remove it, or delete the account.".into(),
        ],
        [
            "Interviews: the questions, a job description you paste, your typed answers, follow-up questions, scores and feedback.".into(),
            "To run practice, show reports and track your progress.".into(),
            contract.into(),
            "Until you delete the account.".into(),
        ],
        [
            "Voice recordings: only the parts of an answer where you speak (your browser detects speech and sends nothing else).".into(),
            "To transcribe spoken answers and, if you choose, to let you play them back.".into(),
            "Contract to transcribe; your consent to keep them.".into(),
            format!(
                "Not kept unless you choose: deleted once the answer is scored ({} at most if it never is). Kept recordings: {} days.",
                period(crate::voice::model::UNKEPT_AUDIO_SECS),
                i.recording_retention_days
            ),
        ],
        [
            "Video recordings: only when you answer on camera and choose, for that interview, to record (otherwise the camera is a mirror on your screen and no picture is sent).".into(),
            "To let you watch your answers beside their transcript in your report.".into(),
            "Your consent, given per interview.".into(),
            format!(
                "{} days, or until you delete the answer, the interview or the account.",
                i.recording_retention_days
            ),
        ],
        [
            "Transcripts and speech analytics: the text of spoken answers, their timings, pace, pauses and filler words.".into(),
            "Feedback on how you answer, not only on what you say.".into(),
            contract.into(),
            "Until you delete the account.".into(),
        ],
        [
            "Sessions and devices: when each sign-in started and was last used, and the browser's name.".into(),
            "To keep you signed in and let you sign out other devices.".into(),
            contract.into(),
            format!("Until you sign out, or {} after last use ({} at most).", period(REFRESH_IDLE_TTL_SECS), period(REFRESH_ABSOLUTE_TTL_SECS)),
        ],
        [
            "Security events: sign-ins, failed attempts, changes of address or password.".into(),
            "To protect your account and look into abuse.".into(),
            legit.into(),
            period(AUDIT_RETENTION_SECS),
        ],
        [
            "One-time codes (stored hashed) and the e-mails sent to you.".into(),
            "To confirm your address, reset a password and answer your messages.".into(),
            contract.into(),
            format!(
                "Codes: until used or {} old. Sent e-mails: {}; e-mails that could not be sent: {}.",
                period(crate::auth::otp::OTP_TTL_SECS),
                period(crate::mail::outbox::SENT_RETENTION_SECS),
                period(crate::mail::outbox::FAILED_RETENTION_SECS)
            ),
        ],
        [
            "Support messages: your name, address, messages and the replies.".into(),
            "To answer you.".into(),
            "Legitimate interest: answering the people who write".into(),
            format!("{} after the conversation is closed.", period(crate::contact::service::CLOSED_RETENTION_SECS)),
        ],
        [
            "Rate-limit counters: your IP address, account or e-mail address, counted per time window.".into(),
            "To stop repeated attempts and floods.".into(),
            legit.into(),
            "Until the window ends.".into(),
        ],
        [
            "Server logs: the time, path, status and duration of each request with a random request id; no IP address and nothing you type.".into(),
            "To keep the service running and find faults.".into(),
            legit.into(),
            "As long as the operator keeps logs.".into(),
        ],
        [
            "Trying a question without an account: the question and your answer.".into(),
            "To show you feedback before you sign up.".into(),
            legit.into(),
            "Not stored: the answer is scored in memory and forgotten once the feedback is sent; only the rate-limit counter of your IP address stays until its hour ends.".into(),
        ],
        [
            "Data downloads: the archive you ask for.".into(),
            "To give you a copy of your data.".into(),
            "Legal obligation: your right of access".into(),
            period(crate::privacy::export::EXPORT_TTL_SECS),
        ],
    ];
    if !i.try_enabled {
        rows.retain(|r| !r[0].starts_with("Trying a question"));
    }
    let mut blocks = vec![Block::Table(
        vec![
            "What".into(),
            "Why".into(),
            "Lawful basis".into(),
            "How long".into(),
        ],
        rows.into_iter()
            .map(|r| r.into_iter().map(cell).collect())
            .collect(),
    )];
    if i.log_mail {
        blocks.push(Block::Para(vec![
            b("This installation also writes every e-mail, one-time codes included, to its server log"),
            t(" (a development setting, --log-mail)."),
        ]));
    }
    blocks.push(p("To see how the site is used, the operator looks only at totals computed from this data (people practising per day, sign-ups, interviews started and finished, median scores); nothing else is collected to measure use, and nothing tracks you. To run the site, administrators can see accounts, the security log, the e-mails sent (codes masked) and support conversations."));
    blocks.push(p("Nothing is sold, nothing is used for advertising, and your answers are not used to train AI models."));
    section("data", "What is kept, why, and on what basis", blocks)
}

fn browser(i: &Installation) -> Section {
    let mut rows: Vec<Vec<Vec<Inline>>> = cookies(i)
        .into_iter()
        .map(|(name, purpose, life)| vec![cell(name), cell("cookie"), cell(purpose), cell(life)])
        .collect();
    rows.extend(
        storage_keys()
            .into_iter()
            .map(|(name, place, purpose, life)| {
                vec![cell(name), cell(place), cell(purpose), cell(life)]
            }),
    );
    let mut flags = if i.insecure_cookies {
        "Cookies are HttpOnly (scripts cannot read them) and SameSite=Strict (never sent along by other sites). This installation runs without HTTPS (--allow-insecure-http), so they are sent without the Secure flag: anyone on the network path can read them.".to_string()
    } else {
        "Cookies are HttpOnly (scripts cannot read them), Secure (sent over HTTPS only) and SameSite=Strict (never sent along by other sites).".to_string()
    };
    if !i.sign_in.is_empty() {
        flags.push_str(" The provider sign-in cookie is the exception: SameSite=Lax, so that it comes back with the provider's redirect.");
    }
    section(
        "browser",
        "Cookies and browser storage",
        vec![
            Block::Table(
                vec![
                    "Name".into(),
                    "Kind".into(),
                    "Purpose".into(),
                    "Lifetime".into(),
                ],
                rows,
            ),
            p(flags),
            p("There are no advertising or analytics cookies and nothing that follows you across sites. Each of these is needed for a feature you use, so none asks for consent."),
        ],
    )
}

fn services(i: &Installation) -> Section {
    let mut items: Vec<Vec<Inline>> = Vec::new();
    if let Some(s) = &i.evaluator {
        items.push(vec![
            b(format!("{} ({})", s.name, s.host)),
            t(": each answer you submit, with its question, the points a good answer covers and, for spoken answers, your pace, pauses and filler-word counts, to be scored; only if you allowed it."),
        ]);
    }
    if let Some(s) = &i.transcriber {
        items.push(vec![
            b(format!("{} ({})", s.name, s.host)),
            t(": the audio of your spoken answers, to be transcribed; only if you allowed it."),
        ]);
    }
    if let Some(host) = &i.smtp_host {
        items.push(vec![
            b(format!("Mail relay ({host})")),
            t(": your e-mail address and the e-mails sent to you (codes, replies, notices)."),
        ]);
    }
    for s in &i.sign_in {
        items.push(vec![
            b(format!("{} ({})", s.name, s.host)),
            t(": only if you choose to sign in with it; it tells this site your e-mail address and name."),
        ]);
    }
    for s in &i.payments {
        items.push(vec![
            b(format!("{} ({})", s.name, s.host)),
            t(": only if you buy a plan; it takes the payment on its own page (your card never reaches this site), and receives your e-mail address, your account's id and the plan. It keeps invoices as tax law requires, also after you delete your account."),
        ]);
    }
    let none = items.is_empty();
    let mut blocks = if none {
        vec![p(
            "None. This installation sends your data to no outside service.",
        )]
    } else {
        vec![
            p("This installation sends data to these services, each only what it needs:"),
            Block::List(items),
        ]
    };
    if i.smtp_host.is_none() {
        blocks.push(p(
            "No mail relay is set up: e-mails wait on this server for the operator.",
        ));
    }
    if i.evaluator.is_none() {
        blocks.push(p(
            "Answers are evaluated on this server by Viva's own engine.",
        ));
    }
    if i.transcriber.is_none() {
        blocks.push(p(if i.local_transcriber {
            "Audio stays on this server: speech is transcribed here."
        } else {
            "Audio stays on this server: no transcriber is set up, so you type what you said."
        }));
    }
    if i.payments.is_empty() {
        blocks.push(p(
            "No payment provider is used: this installation has no paid plans.",
        ));
    }
    if !none {
        blocks.push(p(format!(
            "These services may be in another country. {} must make sure each transfer is lawful (for example with standard contractual clauses) and can give you a copy of the safeguards.",
            capitalise(&i.operator_name())
        )));
    }
    blocks.push(p("Pages load no third-party scripts, fonts or trackers, and the site's content security policy stops your browser from contacting any other site."));
    section("services", "Outside services", blocks)
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

fn ai(i: &Installation) -> Section {
    let who = if i.ai_stays_here() {
        "by Viva's own engine on this server".to_string()
    } else {
        format!(
            "by Viva's own engine or by {} (see Outside services)",
            i.ai_hosts().join(" and ")
        )
    };
    let mut blocks = vec![p(format!(
        "Scores and feedback are produced automatically, {who}. No person checks them before you see them; they can be wrong, and they are practice material only: not a hiring decision and not career advice."
    ))];
    if !i.ai_stays_here() {
        blocks.push(Block::Para(vec![
            t("You choose whether your answers may go to the hosted service; your first interview asks, and until you allow it nothing is sent. Choose "),
            b("Keep my answers on this server"),
            t(if i.local_transcriber {
                " and this server's own engines evaluate and transcribe your answers. Change it at any time on your "
            } else {
                " and this server's own engine evaluates your answers (no transcriber runs here, so you type what you said in spoken answers). Change it at any time on your "
            }),
            a("account page", "/account"),
            t("."),
        ]));
    }
    section("ai", "Automated feedback", blocks)
}

fn retention(i: &Installation) -> Section {
    use crate::auth::service::{AUDIT_RETENTION_SECS, UNVERIFIED_RETENTION_SECS};
    use crate::auth::tokens::{REFRESH_ABSOLUTE_TTL_SECS, REFRESH_IDLE_TTL_SECS};
    let items = vec![
        format!(
            "One-time codes: deleted once used or after {}.",
            period(crate::auth::otp::OTP_TTL_SECS)
        ),
        format!(
            "Sign-ins started with a provider but not finished: {}.",
            period(crate::auth::oidc::LOGIN_TTL_SECS)
        ),
        format!(
            "Sent e-mails: {}; e-mails that could not be sent: {}.",
            period(crate::mail::outbox::SENT_RETENTION_SECS),
            period(crate::mail::outbox::FAILED_RETENTION_SECS)
        ),
        format!(
            "Accounts whose address is never confirmed: {}.",
            period(UNVERIFIED_RETENTION_SECS)
        ),
        format!(
            "Sessions: {} after last use, {} at most.",
            period(REFRESH_IDLE_TTL_SECS),
            period(REFRESH_ABSOLUTE_TTL_SECS)
        ),
        format!("Security events: {}.", period(AUDIT_RETENTION_SECS)),
        format!(
            "Support conversations: {} after they are closed; answered ones close after {} without a new message.",
            period(crate::contact::service::CLOSED_RETENTION_SECS),
            period(crate::contact::service::AUTO_CLOSE_SECS)
        ),
        format!(
            "Data downloads: {}.",
            period(crate::privacy::export::EXPORT_TTL_SECS)
        ),
        format!(
            "Recordings you did not choose to keep: once scored ({} at most); kept recordings and video answers: {} days; files of anything deleted: within {} of it.",
            period(crate::voice::model::UNKEPT_AUDIO_SECS),
            i.recording_retention_days,
            period(super::service::SWEEP_EVERY_SECS)
        ),
        "Everything else in your account: until you delete the account, which deletes it at once.".to_string(),
    ];
    section(
        "retention",
        "How long things are kept",
        vec![
            list(items),
            p(format!(
                "A clean-up runs every {} and deletes whatever has passed its time.",
                period(super::service::SWEEP_EVERY_SECS)
            )),
        ],
    )
}

fn rights() -> Section {
    let items: Vec<Vec<Inline>> = vec![
        vec![
            b("See and download your data"),
            t(": "),
            a("Your data", "/account/data"),
            t(" gives you everything in one archive (JSON and your recordings)."),
        ],
        vec![
            b("Correct it"),
            t(": your "),
            a("account", "/account"),
            t(" and "),
            a("profile", "/profile"),
            t("."),
        ],
        vec![
            b("Delete it"),
            t(": "),
            a("Delete your account", "/account/delete"),
            t(" removes everything at once; recordings can be deleted on their own on "),
            a("Your data", "/account/data"),
            t("."),
        ],
        vec![
            b("Withdraw a consent"),
            t(": your "),
            a("account page", "/account"),
            t(" lists each consent; the optional ones can be withdrawn there."),
        ],
        vec![
            b("Object, or ask for a restriction"),
            t(": write through the "),
            a("contact form", "/contact"),
            t("."),
        ],
    ];
    section(
        "rights",
        "Your rights and where to use them",
        vec![
            p("You can use most of your rights yourself, at any time, without asking anyone:"),
            Block::List(items),
            p("Requests made in writing are answered within one month."),
        ],
    )
}

fn security(i: &Installation) -> Section {
    let mut items = vec![
        "Passwords are stored only as salted argon2id hashes.".to_string(),
        format!(
            "Sign-in uses {}-minute access tokens and refresh tokens that change at every use; you can end any session from your account page.",
            crate::auth::tokens::ACCESS_TOKEN_TTL_SECS / 60
        ),
        "Every page is served with a strict content security policy, repeated attempts are rate-limited, and one-time codes are stored hashed.".to_string(),
    ];
    if i.public_url.starts_with("https://") {
        items.push("The site is served over HTTPS only.".into());
    } else {
        items.push("This site is not served over HTTPS: data between your browser and the server is not encrypted.".into());
    }
    section(
        "security",
        "Security",
        vec![
            list(items),
            p(format!(
                "If something happens that puts your data at risk, {} will tell you and, where the law requires, the regulator.",
                i.operator_name()
            )),
        ],
    )
}

/// The privacy notice of this installation.
pub fn privacy_notice(i: &Installation) -> Vec<Section> {
    let regulator = i
        .operator
        .regulator
        .clone()
        .unwrap_or_else(|| "the data-protection authority where you live or work".into());
    vec![
        who(i),
        data(i),
        browser(i),
        services(i),
        ai(i),
        retention(i),
        rights(),
        section(
            "children",
            "Children",
            vec![p("Viva is for people aged 16 or older; sign-up asks you to confirm it. If you think a child under 16 has an account, tell the operator and it will be deleted.")],
        ),
        security(i),
        section(
            "complaints",
            "Complaints",
            vec![p(format!(
                "If you are unhappy with how your data is handled, tell the operator first. You may also complain to {regulator}."
            ))],
        ),
        section(
            "changes",
            "Changes to this notice",
            vec![p("This notice is written from the settings of this installation, so it changes when they do. Each change gets a new version and date (at the top). Signed-in people see which sections changed and are asked to accept the new version before they continue; the operator may also announce it by e-mail.")],
        ),
        section(
            "contact",
            "Contact",
            vec![Block::Para(vec![
                t("Questions and requests go through the "),
                a("contact form", "/contact"),
                t(". When you are signed in, your messages and the replies are listed there; replies also come by e-mail."),
            ])],
        ),
    ]
}

/// The terms of use: who you agree with, the built-in terms, then the operator's own.
pub fn terms(i: &Installation) -> Vec<Section> {
    let mut out = vec![section(
        "agreement",
        "Who you agree with",
        vec![Block::Para(vec![
            t("These terms are between you and "),
            b(i.operator_name()),
            t(format!(
                ", who runs {} at {}. How your data is handled is in the ",
                i.product_name, i.public_url
            )),
            a("privacy notice", "/privacy"),
            t("."),
        ])],
    )];
    out.extend(markdown::sections(BUILT_IN_TERMS, "About"));
    if let Some(extra) = i.extra_terms.as_deref().filter(|s| !s.trim().is_empty()) {
        out.push(section(
            "operator-terms",
            &format!("Additional terms from {}", i.operator_name()),
            markdown::blocks(extra),
        ));
    }
    out
}

/// Builds both documents, publishes their versions (the first node to see a version dates
/// it) and returns them with their dates.
pub async fn publish(
    db: &crate::db::Db,
    i: &Installation,
    now: i64,
) -> Result<crate::policy::Published, crate::AppError> {
    use crate::policy::{service, PolicyKind};
    let mut privacy = service::document(PolicyKind::Privacy, privacy_notice(i));
    let mut terms = service::document(PolicyKind::Terms, terms(i));
    privacy.updated_at = Some(service::publish(db, &privacy, now).await?);
    terms.updated_at = Some(service::publish(db, &terms, now).await?);
    Ok(crate::policy::Published::new(privacy, terms))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{Document, Operator, PolicyKind, Service};

    fn text(sections: &[Section]) -> String {
        Document {
            kind: PolicyKind::Privacy,
            version: String::new(),
            updated_at: None,
            sections: sections.to_vec(),
        }
        .plain_text()
    }

    fn local() -> Installation {
        Installation {
            product_name: "Viva".into(),
            public_url: "https://v.example".into(),
            recording_retention_days: 90,
            ..Default::default()
        }
    }

    #[test]
    fn outside_services_are_named_from_the_settings() {
        let page = text(&privacy_notice(&local()));
        assert!(
            page.contains("sends your data to no outside service"),
            "{page}"
        );
        assert!(page.contains("Audio stays on this server"));
        assert!(page.contains("Kept recordings: 90 days"));
        let hosted = Installation {
            transcriber: Some(Service {
                name: "OpenAI-compatible: whisper-1".into(),
                host: "stt.example.net".into(),
            }),
            smtp_host: Some("smtp.example.net".into()),
            sign_in: vec![Service {
                name: "Google".into(),
                host: "accounts.google.com".into(),
            }],
            ..local()
        };
        let page = text(&privacy_notice(&hosted));
        assert!(
            page.contains("stt.example.net") && page.contains("audio of your spoken answers"),
            "{page}"
        );
        assert!(page.contains("smtp.example.net") && page.contains("accounts.google.com"));
        assert!(!page.contains("Audio stays on this server"));
        assert!(page.contains("Keep my answers on this server"));
        assert_ne!(
            crate::policy::service::version_of(&privacy_notice(&local())),
            crate::policy::service::version_of(&privacy_notice(&hosted)),
            "another configuration is another version"
        );
    }

    #[test]
    fn insecure_cookies_are_said_to_be_insecure() {
        let page = text(&privacy_notice(&Installation {
            insecure_cookies: true,
            public_url: "http://10.0.0.5:3000".into(),
            ..local()
        }));
        assert!(page.contains("without the Secure flag"));
        assert!(page.contains("not served over HTTPS"));
        assert!(page.contains("viva_access") && !page.contains("__Host-viva_access"));
    }

    #[test]
    fn the_operator_terms_follow_the_built_in_ones_as_text() {
        let i = Installation {
            operator: Operator {
                name: Some("Acme Careers".into()),
                ..Default::default()
            },
            extra_terms: Some("## Fair use\nNo more than <b>ten</b> interviews a day.".into()),
            ..local()
        };
        let s = terms(&i);
        assert_eq!(s.first().unwrap().id, "agreement");
        let last = s.last().unwrap();
        assert_eq!(last.title, "Additional terms from Acme Careers");
        assert_eq!(last.blocks[0], Block::Heading("Fair use".into()));
        assert!(text(&s).contains("No more than <b>ten</b> interviews"));
        assert!(s.len() > 8, "the built-in terms are there");
    }

    #[test]
    fn periods_read_naturally() {
        assert_eq!(period(600), "10 minutes");
        assert_eq!(period(7 * 86_400), "7 days");
        assert_eq!(period(365 * 86_400), "1 year");
        assert_eq!(period(3600), "1 hour");
    }
}
