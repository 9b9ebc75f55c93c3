//! A local SMTP server for tests: it speaks enough SMTP for the app's real mail client
//! (lettre), keeps every message it receives, and decodes the plain-text part so tests can
//! read codes the way a person would, from the e-mail, never from the server's log.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use base64::Engine as _;
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpListener,
};

/// One received message.
#[derive(Clone, Debug)]
pub struct Mail {
    pub to: Vec<String>,
    pub subject: String,
    /// The decoded text/plain part (or the whole body when it is not multipart).
    pub text: String,
    /// Everything as it arrived on the wire.
    pub raw: String,
}

#[derive(Clone)]
pub struct SmtpSink {
    pub port: u16,
    mails: Arc<Mutex<Vec<Mail>>>,
}

impl SmtpSink {
    pub async fn start() -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let mails = Arc::new(Mutex::new(Vec::new()));
        let store = mails.clone();
        tokio::spawn(async move {
            while let Ok((sock, _)) = listener.accept().await {
                let store = store.clone();
                tokio::spawn(async move {
                    let _ = session(sock, store).await;
                });
            }
        });
        SmtpSink { port, mails }
    }

    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    pub fn all(&self) -> Vec<Mail> {
        self.mails.lock().unwrap().clone()
    }

    pub fn len(&self) -> usize {
        self.mails.lock().unwrap().len()
    }

    /// Messages to an address.
    pub fn to(&self, email: &str) -> Vec<Mail> {
        self.all()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(email)))
            .collect()
    }

    /// The first message to `email` among those after the first `after` (copies that one only).
    pub fn first_to(&self, email: &str, after: usize) -> Option<Mail> {
        self.mails
            .lock()
            .unwrap()
            .iter()
            .skip(after)
            .find(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(email)))
            .cloned()
    }

    /// Waits up to 10 s for a message to `email` among those after the first `after`.
    pub async fn wait_for(&self, email: &str, after: usize) -> Mail {
        for _ in 0..200 {
            if let Some(m) = self.first_to(email, after) {
                return m;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "no e-mail to {email} within 10 s; got {:?}",
            self.all()
                .iter()
                .map(|m| (&m.to, &m.subject))
                .collect::<Vec<_>>()
        );
    }
}

/// The 6-digit code in a message's text, if there is one.
pub fn code_in(text: &str) -> Option<String> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(5)).find_map(|i| {
        let run = &b[i..i + 6];
        let before = i
            .checked_sub(1)
            .map(|j| b[j].is_ascii_digit())
            .unwrap_or(false);
        let after = b.get(i + 6).is_some_and(|c| c.is_ascii_digit());
        (run.iter().all(u8::is_ascii_digit) && !before && !after)
            .then(|| String::from_utf8_lossy(run).to_string())
    })
}

async fn session(sock: tokio::net::TcpStream, store: Arc<Mutex<Vec<Mail>>>) -> std::io::Result<()> {
    let (r, mut w) = sock.into_split();
    let mut lines = BufReader::new(r);
    w.write_all(b"220 sink.test ESMTP\r\n").await?;
    let mut to = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line).await? == 0 {
            return Ok(());
        }
        let cmd = line.trim_end().to_ascii_uppercase();
        if cmd.starts_with("EHLO") {
            w.write_all(b"250-sink.test\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n")
                .await?;
        } else if cmd.starts_with("HELO") || cmd.starts_with("MAIL FROM") || cmd.starts_with("NOOP")
        {
            w.write_all(b"250 OK\r\n").await?;
        } else if cmd.starts_with("RSET") {
            to.clear();
            w.write_all(b"250 OK\r\n").await?;
        } else if cmd.starts_with("RCPT TO") {
            let l = line.trim_end();
            let addr = l
                .find('<')
                .and_then(|a| {
                    l[a + 1..]
                        .find('>')
                        .map(|b| l[a + 1..a + 1 + b].to_string())
                })
                .unwrap_or_default();
            to.push(addr);
            w.write_all(b"250 OK\r\n").await?;
        } else if cmd == "DATA" {
            w.write_all(b"354 go on\r\n").await?;
            let mut raw = String::new();
            loop {
                line.clear();
                if lines.read_line(&mut line).await? == 0 {
                    return Ok(());
                }
                if line == ".\r\n" || line == ".\n" {
                    break;
                }
                raw.push_str(
                    line.strip_prefix('.')
                        .filter(|_| line.starts_with(".."))
                        .unwrap_or(&line),
                );
            }
            let (subject, text) = parse(&raw);
            store.lock().unwrap().push(Mail {
                to: std::mem::take(&mut to),
                subject,
                text,
                raw,
            });
            w.write_all(b"250 queued\r\n").await?;
        } else if cmd.starts_with("QUIT") {
            w.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            w.write_all(b"502 not here\r\n").await?;
        }
    }
}

/// Headers of a MIME entity (unfolded, names lower-cased) and its body.
fn split_entity(s: &str) -> (Vec<(String, String)>, String) {
    let s = s.replace("\r\n", "\n");
    let (head, body) = s.split_once("\n\n").unwrap_or((s.as_str(), ""));
    let mut headers: Vec<(String, String)> = Vec::new();
    for l in head.lines() {
        if l.starts_with([' ', '\t']) {
            if let Some(last) = headers.last_mut() {
                last.1.push(' ');
                last.1.push_str(l.trim());
            }
        } else if let Some((k, v)) = l.split_once(':') {
            headers.push((k.trim().to_ascii_lowercase(), v.trim().to_string()));
        }
    }
    (headers, body.to_string())
}

fn header<'a>(h: &'a [(String, String)], name: &str) -> &'a str {
    h.iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or("")
}

fn decode(encoding: &str, body: &str) -> String {
    match encoding.to_ascii_lowercase().as_str() {
        "base64" => {
            let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
            String::from_utf8_lossy(
                &base64::engine::general_purpose::STANDARD
                    .decode(compact)
                    .unwrap_or_default(),
            )
            .to_string()
        }
        "quoted-printable" => {
            let joined = body.replace("=\n", "");
            let b = joined.as_bytes();
            let mut out = Vec::new();
            let mut i = 0;
            while i < b.len() {
                if b[i] == b'=' && i + 2 < b.len() + 1 {
                    if let Some(v) = std::str::from_utf8(&b[i + 1..(i + 3).min(b.len())])
                        .ok()
                        .and_then(|h| u8::from_str_radix(h, 16).ok())
                    {
                        out.push(v);
                        i += 3;
                        continue;
                    }
                }
                out.push(b[i]);
                i += 1;
            }
            String::from_utf8_lossy(&out).to_string()
        }
        _ => body.to_string(),
    }
}

/// The subject and the plain-text part of a message.
fn parse(raw: &str) -> (String, String) {
    let (headers, body) = split_entity(raw);
    let subject = header(&headers, "subject").to_string();
    let ct = header(&headers, "content-type");
    if let Some(b) = ct
        .split(';')
        .map(str::trim)
        .find_map(|p| p.strip_prefix("boundary="))
    {
        let boundary = format!("--{}", b.trim_matches('"'));
        for part in body.split(&boundary) {
            let (h, b) = split_entity(part.trim_start_matches('\n'));
            if header(&h, "content-type").starts_with("text/plain") {
                return (subject, decode(header(&h, "content-transfer-encoding"), &b));
            }
        }
    }
    (
        subject,
        decode(header(&headers, "content-transfer-encoding"), &body),
    )
}
