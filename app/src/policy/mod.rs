//! Policies: the privacy notice and terms this installation publishes, as documents with
//! versions, and each person's consents. Owns `policy_version` (which versions were published,
//! and when) and `consent` (who gave or withdrew which consent, when, for which version).
//! What the notice *says* is built by `privacy::notice`, above every feature it describes;
//! here are the document shape, its Markdown reader and (ssr) its view as HTML. Uses: slug, db, ui.

pub mod markdown;
#[cfg(feature = "ssr")]
pub mod service;
// (ssr) The documents' view: the browser shows the server's HTML of it.
#[cfg(feature = "ssr")]
mod view;

use serde::{Deserialize, Serialize};

crate::slug_enum! {
    /// The two documents a person accepts.
    pub enum PolicyKind {
        Privacy = "privacy",
        Terms = "terms",
    }
}

crate::slug_enum! {
    /// What a person agreed to. Terms, privacy notice and age are required to have an
    /// account; recordings and hosted AI are choices that can be withdrawn any time.
    pub enum ConsentKind {
        Terms = "terms",
        Privacy = "privacy",
        Age = "age",
        Recordings = "recordings",
        HostedAi = "hosted_ai",
    }
}

impl ConsentKind {
    /// Can be withdrawn while keeping the account.
    pub fn optional(self) -> bool {
        matches!(self, ConsentKind::Recordings | ConsentKind::HostedAi)
    }

    pub fn label(self) -> &'static str {
        match self {
            ConsentKind::Terms => "Terms of use",
            ConsentKind::Privacy => "Privacy notice",
            ConsentKind::Age => "I am 16 or older",
            ConsentKind::Recordings => "Keep my voice recordings",
            ConsentKind::HostedAi => "Send my answers to the hosted AI service",
        }
    }
}

impl PolicyKind {
    pub fn title(self) -> &'static str {
        match self {
            PolicyKind::Privacy => "Privacy notice",
            PolicyKind::Terms => "Terms of use",
        }
    }

    pub fn path(self) -> &'static str {
        match self {
            PolicyKind::Privacy => "/privacy",
            PolicyKind::Terms => "/terms",
        }
    }
}

/// A policy as published: sections of blocks, its version (a digest of the sections, so any
/// change of wording or of the configuration it describes makes a new one) and the day this
/// installation first published that version.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Document {
    pub kind: PolicyKind,
    pub version: String,
    /// Unix seconds this version was first published here.
    pub updated_at: Option<i64>,
    pub sections: Vec<Section>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// The fragment that links to it (`/privacy#services`).
    pub id: String,
    pub title: String,
    pub blocks: Vec<Block>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Block {
    Para(Vec<Inline>),
    Heading(String),
    List(Vec<Vec<Inline>>),
    /// A table: header cells, then rows of cells.
    Table(Vec<String>, Vec<Vec<Vec<Inline>>>),
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum Inline {
    Text(String),
    Strong(String),
    /// An in-app path, an https:// address or a mailto: link.
    Link(String, String),
}

impl Inline {
    pub fn text(s: impl Into<String>) -> Inline {
        Inline::Text(s.into())
    }
}

/// What a signed-in person has not accepted yet: a newer version of a policy, with the
/// titles of the sections that changed since the version they accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingPolicy {
    pub kind: PolicyKind,
    pub version: String,
    pub accepted_version: Option<String>,
    pub changed: Vec<String>,
}

/// A person's present choice of one kind of consent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentState {
    pub kind: ConsentKind,
    pub granted: bool,
    pub version: Option<String>,
    pub at: i64,
}

impl Document {
    /// Every text of the document, for tests and searching.
    pub fn plain_text(&self) -> String {
        fn inl(out: &mut String, xs: &[Inline]) {
            for x in xs {
                match x {
                    Inline::Text(t) | Inline::Strong(t) => out.push_str(t),
                    Inline::Link(t, h) => {
                        out.push_str(t);
                        out.push_str(" (");
                        out.push_str(h);
                        out.push(')');
                    }
                }
            }
            out.push('\n');
        }
        let mut out = String::new();
        for s in &self.sections {
            out.push_str(&s.title);
            out.push('\n');
            for b in &s.blocks {
                match b {
                    Block::Para(x) => inl(&mut out, x),
                    Block::Heading(h) => {
                        out.push_str(h);
                        out.push('\n');
                    }
                    Block::List(items) => items.iter().for_each(|i| inl(&mut out, i)),
                    Block::Table(head, rows) => {
                        out.push_str(&head.join(" | "));
                        out.push('\n');
                        for r in rows {
                            for c in r {
                                inl(&mut out, c);
                            }
                        }
                    }
                }
            }
        }
        out
    }
}

/// An outside service this installation sends data to, as the notice names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    /// e.g. "OpenAI-compatible: gpt-4o-mini", "Google".
    pub name: String,
    /// The host data goes to, e.g. api.openai.com.
    pub host: String,
}

/// Who runs this installation, from `--operator-*`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Operator {
    pub name: Option<String>,
    pub email: Option<String>,
    pub postal_address: Option<String>,
    /// The data-protection authority people may complain to.
    pub regulator: Option<String>,
}

/// What this installation does, as its settings say: the privacy notice, the terms, the
/// footer and the landing page are written from it, so they cannot drift from the
/// configuration. Built once at start by the server; a Leptos context.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Installation {
    pub product_name: String,
    pub public_url: String,
    pub operator: Operator,
    /// The relay e-mails go through (`--smtp-url`); none: they stay in the outbox.
    pub smtp_host: Option<String>,
    /// A hosted engine that evaluates answers.
    pub evaluator: Option<Service>,
    /// A hosted engine that transcribes speech.
    pub transcriber: Option<Service>,
    /// Whisper runs on this server.
    pub local_transcriber: bool,
    /// Sign-in providers.
    pub sign_in: Vec<Service>,
    /// Days kept recordings are kept.
    pub recording_retention_days: u32,
    /// Cookies are sent without `Secure` (`--allow-insecure-http`).
    pub insecure_cookies: bool,
    /// E-mails, one-time codes included, are written to the log (`--log-mail`).
    pub log_mail: bool,
    /// The operator's own terms (`--terms-file`), Markdown.
    pub extra_terms: Option<String>,
    /// Visitors may try a question without an account (off with `--no-try`).
    pub try_enabled: bool,
    /// Payment providers that take payments for plans (none: no billing).
    pub payments: Vec<Service>,
}

impl Installation {
    /// No answer, speech or resume leaves this server for an AI service.
    pub fn ai_stays_here(&self) -> bool {
        self.evaluator.is_none() && self.transcriber.is_none()
    }

    /// The hosts AI data goes to, for short statements ("answers go to api.openai.com").
    pub fn ai_hosts(&self) -> Vec<String> {
        let mut hosts: Vec<String> = self
            .evaluator
            .iter()
            .chain(self.transcriber.iter())
            .map(|s| s.host.clone())
            .collect();
        hosts.dedup();
        hosts
    }

    /// The operator's name, or a plain description when none was set.
    pub fn operator_name(&self) -> String {
        self.operator
            .name
            .clone()
            .unwrap_or_else(|| "the operator of this site".into())
    }
}

/// The two documents as published at start (with the date each version was first published),
/// and each as the HTML its page shows (made once: they change only with a restart).
#[derive(Clone, Debug)]
pub struct Published {
    pub privacy: Document,
    pub terms: Document,
    pub privacy_html: String,
    pub terms_html: String,
}

#[cfg(feature = "ssr")]
impl Published {
    pub fn new(privacy: Document, terms: Document) -> Published {
        Published {
            privacy_html: view::document_html(&privacy),
            terms_html: view::document_html(&terms),
            privacy,
            terms,
        }
    }
}

/// What the footer and the landing page say of where data goes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    /// The hosts answers or speech may go to; empty: AI stays on this server.
    pub ai_hosts: Vec<String>,
    pub operator: String,
    /// The landing page offers a question to try without an account.
    pub try_enabled: bool,
    /// Speech is transcribed on this server (a tried question may be answered out loud).
    pub transcribes_here: bool,
}

impl Summary {
    pub fn of(i: &Installation) -> Summary {
        Summary {
            ai_hosts: i.ai_hosts(),
            operator: i.operator_name(),
            try_enabled: i.try_enabled,
            transcribes_here: i.local_transcriber,
        }
    }

    /// One sentence of where practice data goes.
    pub fn data_sentence(&self) -> String {
        if self.ai_hosts.is_empty() {
            "Your practice data stays on this server.".into()
        } else {
            format!(
                "Answers are stored on this server and, only if you allow it, evaluated or transcribed by {}.",
                self.ai_hosts.join(" and ")
            )
        }
    }
}
