//! Starts the real `viva` binary for a test and stops it afterwards; account helpers.
#![allow(dead_code)]

pub mod smtp;
pub mod stt;
pub mod wire;
pub use wire::multipart;

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    process::{Child, Command},
};

/// A data directory as the binary under test leaves it after a first start of its own, made
/// once per test process: migrations applied, question bank loaded, keys and setup token
/// written, stopped cleanly. Every server started on an empty directory (on its embedded
/// store) starts from a copy of it, as it would after a restart, instead of doing that first
/// start again: about 1.5 s and 1.3 CPU-seconds each in the tests' unoptimised build, for
/// some 100 servers, on two cores. It stopped cleanly, so its store's log is empty and a copy
/// opens without recovering it. The first start itself is this one, checked here; set
/// `VIVA_TEST_FIRST_STARTS=1` to give every server its own first start instead.
static FIRST_START: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();

fn seed_from_first_start(data_dir: &std::path::Path) {
    let empty = std::fs::read_dir(data_dir).is_ok_and(|mut d| d.next().is_none());
    if !empty || std::env::var_os("VIVA_TEST_FIRST_STARTS").is_some() {
        return;
    }
    let template = FIRST_START.get_or_init(first_start);
    copy_tree(template.path(), data_dir);
}

/// Starts the binary on an empty directory, waits until it listens, stops it (SIGTERM) and
/// checks that it stopped cleanly (blocking: once per process, before the first server).
fn first_start() -> tempfile::TempDir {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let mut child = viva_command(dir.path().to_str().unwrap(), &[], &[])
        .spawn()
        .expect("start viva");
    let mut log = Vec::new();
    for line in std::io::BufReader::new(child.stderr.take().unwrap()).lines() {
        let line = line.unwrap();
        let listening = line.contains(LISTENING);
        log.push(line);
        if listening {
            std::process::Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
        }
    }
    let status = child.wait().unwrap();
    assert!(
        status.success()
            && log.iter().any(|l| l.contains(LISTENING))
            && log.iter().any(|l| l.contains(STOPPED_CLEANLY)),
        "the first start on an empty directory failed ({status:?}): {}",
        log.join("\n")
    );
    dir
}

/// Copies a directory tree (file modes kept: the setup token stays 0600).
fn copy_tree(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_tree(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

/// What a server logs once it accepts connections, followed by its address.
const LISTENING: &str = "listening on http://";
/// What a server logs last when it stopped and closed its store.
pub const STOPPED_CLEANLY: &str = "stopped cleanly";

/// The command of every test server: the binary under test on `data_dir`, on any free port
/// unless `extra` names one, logging JSON lines to stderr (read by the test), with the
/// variables of `env`.
fn viva_command(data_dir: &str, extra: &[&str], env: &[(&str, &str)]) -> std::process::Command {
    let mut cmd = std::process::Command::new(bin());
    cmd.env_remove("LEPTOS_SITE_ROOT")
        // Speech recognition only where a test asks for it (--whisper-model): loading the
        // model in every test server would cost each a second and 150 MB.
        .env("VIVA_WHISPER_MODEL", "/nonexistent/viva-test-no-whisper")
        // The sentence-embedding model too (--models-dir): half a second and 0.45 CPU-s of
        // each start in the tests' build, and no test here reads what it changes (the unit
        // tests and the browser tests' server use it).
        .env_remove("VIVA_MODELS_DIR")
        .envs(env.iter().copied());
    if !extra.contains(&"--addr") {
        cmd.args(["--addr", "127.0.0.1:0"]);
    }
    cmd.args(["--data-dir", data_dir, "--log-format", "json"])
        .args(extra)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    cmd
}

/// The binary under test: this build's, or another one named by `VIVA_TEST_BIN` (to show that
/// a test fails on an earlier version).
fn bin() -> String {
    std::env::var("VIVA_TEST_BIN").unwrap_or_else(|_| env!("CARGO_BIN_EXE_viva").to_string())
}

pub struct Viva {
    child: Option<Child>,
    base: String,
    _data: Option<tempfile::TempDir>,
    data_dir: String,
    /// The public URL the server was given, if any: browsers send it as their `Origin`.
    public_url: Option<String>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    /// The local SMTP server this server delivers to (unless a test set up its own mail).
    pub mail: smtp::SmtpSink,
}

impl Viva {
    /// A server with a fresh temporary data directory, delivering e-mail to a local SMTP sink.
    pub async fn start(extra: &[&str]) -> Viva {
        let data = tempfile::tempdir().unwrap();
        let mut v = Viva::start_in(data.path().to_str().unwrap(), extra).await;
        v._data = Some(data);
        v
    }

    /// A server with no SMTP server at all (e-mails stay in the outbox).
    pub async fn start_without_mail(extra: &[&str]) -> Viva {
        let data = tempfile::tempdir().unwrap();
        let mut v = Viva::launch(data.path().to_str().unwrap(), extra, None, &[]).await;
        v._data = Some(data);
        v
    }

    /// A server on a given data directory (to test restarts).
    pub async fn start_in(data_dir: &str, extra: &[&str]) -> Viva {
        let sink = smtp::SmtpSink::start().await;
        Viva::launch(data_dir, extra, Some(sink), &[]).await
    }

    /// A fresh server with extra environment variables (credentials a store reads from there).
    pub async fn start_with_env(extra: &[&str], env: &[(&str, &str)]) -> Viva {
        let data = tempfile::tempdir().unwrap();
        let sink = smtp::SmtpSink::start().await;
        let mut v = Viva::launch(data.path().to_str().unwrap(), extra, Some(sink), env).await;
        v._data = Some(data);
        v
    }

    /// A server delivering to an SMTP server the test shares between several nodes.
    pub async fn start_with_mail(data_dir: &str, extra: &[&str], mail: smtp::SmtpSink) -> Viva {
        Viva::launch(data_dir, extra, Some(mail), &[]).await
    }

    /// Kills the process with SIGKILL (a crash: nothing is flushed or closed).
    pub fn kill_9(&self) {
        std::process::Command::new("kill")
            .args(["-9", &self.pid().to_string()])
            .status()
            .unwrap();
    }

    /// Waits for the process to be gone (after [`Viva::kill_9`]), as a supervisor does before
    /// it starts the next one.
    pub async fn exited(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("no exit within 30 s (after SIGTERM or SIGKILL)")
            .unwrap()
    }

    async fn launch(
        data_dir: &str,
        extra: &[&str],
        mail: Option<smtp::SmtpSink>,
        env: &[(&str, &str)],
    ) -> Viva {
        if !extra.contains(&"--db") {
            seed_from_first_start(std::path::Path::new(data_dir));
        }
        let mut cmd = Command::from(viva_command(data_dir, extra, env));
        if let Some(s) = &mail {
            if !extra.contains(&"--smtp-url") {
                cmd.args(["--smtp-url", &s.url()]);
            }
        }
        cmd.kill_on_drop(true);
        let mut child = cmd.spawn().expect("start viva");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        // Every line is kept for the tests, start-up warnings included.
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                log.lock().unwrap().push(line.clone());
                if let Some(i) = line.find(LISTENING) {
                    let rest = &line[i + "listening on ".len()..];
                    return Some(rest.split([' ', '"']).next().unwrap().to_string());
                }
            }
            None
        })
        .await
        .expect("viva did not start within 60 s");
        let Some(base) = base else {
            let status = child.wait().await;
            panic!(
                "viva exited before listening ({status:?}): {}",
                log.lock().unwrap().join("\n")
            );
        };
        // Keep reading the log (so the server never blocks on a full pipe).
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        // Without SMTP the sink is still there (empty), so tests can assert nothing was sent.
        let mail = match mail {
            Some(s) => s,
            None => smtp::SmtpSink::start().await,
        };
        let public_url = extra
            .iter()
            .position(|a| *a == "--public-url")
            .and_then(|i| extra.get(i + 1))
            .map(|u| u.trim_end_matches('/').to_string());
        Viva {
            child: Some(child),
            base,
            _data: None,
            data_dir: data_dir.to_string(),
            public_url,
            log,
            mail,
        }
    }

    /// The server's data directory.
    pub fn data_dir(&self) -> std::path::PathBuf {
        std::path::PathBuf::from(&self.data_dir)
    }

    /// The server process's id (to read its memory and CPU time from /proc).
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(|c| c.id())
            .expect("server running")
    }

    /// Every log line so far.
    pub fn log_lines(&self) -> Vec<String> {
        self.log.lock().unwrap().clone()
    }

    /// Waits up to 10 s for a log line that matches, and returns it.
    pub async fn wait_log(&self, matches: impl Fn(&str) -> bool) -> String {
        for _ in 0..200 {
            if let Some(l) = self.log.lock().unwrap().iter().rev().find(|l| matches(l)) {
                return l.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no such log line within 10 s");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The site's origin, as a browser sends it in `Origin`: the public URL's when one was
    /// given, else the address the server listens on.
    pub fn origin(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| self.base.trim_end_matches('/').to_string())
    }

    /// The address the server listens on (host:port).
    pub fn listen_addr(&self) -> String {
        self.base
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string()
    }

    /// Sends SIGTERM and waits for the exit.
    pub async fn stop(self) -> std::process::ExitStatus {
        std::process::Command::new("kill")
            .args(["-TERM", &self.pid().to_string()])
            .status()
            .unwrap();
        self.exited().await
    }
}

pub struct Exit {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `viva` with arguments that should make it exit by itself.
pub async fn run_to_exit(args: &[&str]) -> Exit {
    let mut child = Command::new(bin())
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (mut out, mut err) = (String::new(), String::new());
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let status = tokio::time::timeout(Duration::from_secs(60), async {
        let _ = tokio::join!(so.read_to_string(&mut out), se.read_to_string(&mut err));
        child.wait().await.unwrap()
    })
    .await
    .expect("viva did not exit within 60 s");
    Exit {
        status,
        stdout: out,
        stderr: err,
    }
}

/// One public address for every start of a node on the same data, as a site has across its
/// restarts: the access tokens name it as their issuer, and the privacy notice names it (a new
/// address is a new notice to accept). Without it each start's new port is the address, and a
/// client that keeps its old cookies, as these tests do, is refused after a restart once its
/// refresh token's 30-s grace has passed.
pub const SITE: &[&str] = &["--public-url", "http://viva.lan", "--allow-insecure-http"];

/// A client that follows no redirects and, built without decompression, shows exactly what
/// the server sent (Content-Encoding included). Tests talk to local servers over plain HTTP,
/// so it reads no root certificates: reading the system's (some 150 PEM files) for each
/// request's client was about a fifth of the CPU time of the crash test's 4,000 uploads. A new
/// client per request, not one shared: each test runs its own runtime, and a pooled connection
/// would outlive the runtime that opened it.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .tls_built_in_native_certs(false)
        .build()
        .unwrap()
}

/// A 2xx or 3xx answer (server functions redirect after success).
pub fn ok(res: &reqwest::Response) -> bool {
    res.status().is_success() || res.status().is_redirection()
}

/// A GET as the browser sends it, with the cookie jar (none when empty).
pub async fn get(v: &Viva, path: &str, jar: &str) -> reqwest::Response {
    let b = client().get(v.url(path));
    let b = if jar.is_empty() {
        b
    } else {
        b.header("cookie", jar)
    };
    b.send().await.unwrap()
}

/// `auth/me` for a cookie jar: the account as JSON, or null when signed out.
pub async fn me(v: &Viva, jar: &str) -> serde_json::Value {
    json(post(v, "/api/auth/me", jar).send().await.unwrap()).await
}

/// The body as JSON; panics with the body when it is not.
pub async fn json(res: reqwest::Response) -> serde_json::Value {
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub const PW: &str = "tangerine-Velvet-harbour-42";

/// A form POST to a server function, as a browser without JavaScript sends it from the site's
/// own page (with its `Origin`), asking for JSON.
pub fn post(v: &Viva, path: &str, jar: &str) -> reqwest::RequestBuilder {
    let b = client()
        .post(v.url(path))
        .header("accept", "application/json")
        .header("origin", v.origin());
    if jar.is_empty() {
        b
    } else {
        b.header("cookie", jar)
    }
}

pub fn set_cookies(res: &reqwest::Response) -> Vec<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect()
}

/// A `Cookie` header from `Set-Cookie` values (ignoring deletions).
pub fn cookie_header(set: &[String]) -> String {
    set.iter()
        .map(|c| c.split(';').next().unwrap().to_string())
        .filter(|c| !c.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

impl Viva {
    /// Moves the server's clock (test builds have `POST /__test/clock/advance`).
    pub async fn advance(&self, secs: i64) {
        let res = client()
            .post(self.url(&format!("/__test/clock/advance?secs={secs}")))
            .send()
            .await
            .unwrap();
        assert_eq!(
            res.status(),
            200,
            "the server was not built with the test-clock feature"
        );
    }

    /// How many e-mails the local SMTP server has received (a mark for `code_for`).
    pub fn mail_mark(&self) -> usize {
        self.mail.len()
    }

    /// The code in the first e-mail to an address received after `after` (a `mail_mark`).
    pub async fn code_for(&self, email: &str, after: usize) -> String {
        let m = self.mail.wait_for(email, after).await;
        smtp::code_in(&m.text)
            .unwrap_or_else(|| panic!("no code in the e-mail to {email}: {}", m.text))
    }

    pub fn log_len(&self) -> usize {
        self.log.lock().unwrap().len()
    }

    /// Like `wait_log`, only among lines after the first `after`.
    pub async fn wait_log_after(&self, after: usize, matches: impl Fn(&str) -> bool) -> String {
        for _ in 0..200 {
            if let Some(l) = self
                .log
                .lock()
                .unwrap()
                .iter()
                .skip(after)
                .rev()
                .find(|l| matches(l))
            {
                return l.clone();
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("no such log line within 10 s");
    }

    pub async fn sign_up(&self, email: &str, name: &str) -> reqwest::Response {
        post(self, "/api/auth/sign_up", "")
            .form(&wire::sign_up_form(name, email, PW))
            .send()
            .await
            .unwrap()
    }

    pub async fn sign_in(&self, email: &str) -> String {
        let res = post(self, "/api/auth/sign_in", "")
            .form(&[("email", email), ("password", PW)])
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "sign-in failed: {}",
            res.status()
        );
        cookie_header(&set_cookies(&res))
    }

    /// The administrator setup token the server left in its data directory.
    pub fn setup_token(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("admin-setup-token"))
            .expect("a setup token in the data directory")
            .trim()
            .to_string()
    }

    /// Makes a signed-in, confirmed account the first admin, with the setup token.
    pub async fn make_admin(&self, jar: &str) {
        let res = post(self, "/api/admin/claim", jar)
            .form(&[("token", self.setup_token())])
            .send()
            .await
            .unwrap();
        let status = res.status();
        assert!(
            status.is_success() || status.is_redirection(),
            "claim failed: {status}: {}",
            res.text().await.unwrap()
        );
    }

    /// The operations token (for /metrics and the details of /readyz).
    pub fn ops_token(&self) -> String {
        std::fs::read_to_string(self.data_dir().join("metrics-token"))
            .expect("a metrics token in the data directory")
            .trim()
            .to_string()
    }

    /// `/metrics` as the operator sees it (with the operations token).
    pub async fn metrics(&self) -> String {
        client()
            .get(self.url("/metrics"))
            .bearer_auth(self.ops_token())
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    }

    /// A counter of `/metrics` by its whole name and labels.
    pub async fn counter(&self, name: &str) -> u64 {
        let text = self.metrics().await;
        text.lines()
            .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
            .unwrap_or_else(|| panic!("no {name} in {text}"))
            .parse()
            .unwrap()
    }

    /// Signs up, verifies with the e-mailed code, signs in; returns the cookie header.
    pub async fn account(&self, email: &str, name: &str) -> String {
        let mark = self.mail_mark();
        let res = self.sign_up(email, name).await;
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "sign-up failed: {}",
            res.status()
        );
        let code = self.code_for(email, mark).await;
        let res = post(self, "/api/auth/verify_email", "")
            .form(&[("email", email), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert!(
            res.status().is_success() || res.status().is_redirection(),
            "verify failed: {}",
            res.status()
        );
        self.sign_in(email).await
    }
}

/// The id of an interview a server function started: its JSON answer, or the redirect target.
pub async fn interview_id(res: reqwest::Response) -> String {
    let location = res
        .headers()
        .get("location")
        .and_then(|l| l.to_str().ok())
        .map(str::to_string);
    let status = res.status();
    let body = res.text().await.unwrap();
    serde_json::from_str::<String>(&body)
        .ok()
        .or_else(|| location.and_then(|l| l.rsplit('/').next().map(str::to_string)))
        .unwrap_or_else(|| panic!("no interview id in {status}: {body}"))
}

/// Uploads one speech segment to question 0 of interview `id`, as the recorder does.
pub async fn upload(
    v: &Viva,
    jar: &str,
    id: &str,
    seq: u32,
    start: f64,
    end: f64,
    audio: &[u8],
) -> reqwest::Response {
    let fields = [
        ("interview", id.to_string()),
        ("position", "0".into()),
        ("seq", seq.to_string()),
        ("start", format!("{start}")),
        ("end", format!("{end}")),
    ];
    let (ct, body) = multipart(&fields, audio);
    post(v, "/api/voice/segment", jar)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// How question 0 of spoken interview `id` stands (`voice/status`): its segments, the answer's
/// state, the part asked.
pub async fn voice_status(v: &Viva, jar: &str, id: &str) -> serde_json::Value {
    json(
        post(v, "/api/voice/status", jar)
            .form(&[("id", id), ("position", "0")])
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Starts a three-question spoken interview (nurse, behavioural); returns its id.
pub async fn voice_interview(v: &Viva, jar: &str) -> String {
    let setup = [
        ("setup[role]", "nurse"),
        ("setup[difficulty]", "2"),
        ("setup[count]", "3"),
        ("setup[kinds][]", "behavioural"),
        ("setup[mode]", "voice"),
    ];
    interview_id(
        post(v, "/api/interview/start", jar)
            .form(&setup)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Keeps the caller's recordings, answers question 0 of a new spoken interview with one
/// one-second segment and hands it in with `transcript` typed (no transcriber in tests).
/// Returns the interview's id and the segment's WAV, as its recording should play back.
pub async fn kept_spoken_answer(v: &Viva, jar: &str, transcript: &str) -> (String, Vec<u8>) {
    let res = post(v, "/api/voice/keep_recordings", jar)
        .form(&[("keep", "true")])
        .send()
        .await
        .unwrap();
    assert_eq!(json(res).await["keep"], true);
    let id = voice_interview(v, jar).await;
    let wav = voice::wav::encode_i16(
        16_000,
        &(0..16_000)
            .map(|i| (i % 2000) as i16 - 1000)
            .collect::<Vec<_>>(),
    );
    assert_eq!(upload(v, jar, &id, 0, 0.5, 1.5, &wav).await.status(), 200);
    let res = post(v, "/api/voice/hand_in", jar)
        .form(&[
            ("id", id.as_str()),
            ("position", "0"),
            ("count", "1"),
            ("transcript", transcript),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    (id, wav)
}

/// Records the person's choice about the hosted AI service ("Keep my answers on this server"
/// is `false`); until they allow it, nothing of theirs goes to it.
pub async fn allow_hosted_ai(v: &Viva, jar: &str, allow: bool) {
    let res = post(v, "/api/auth/hosted_ai", jar)
        .form(&[("allow", if allow { "true" } else { "false" })])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "hosted_ai: {}", res.status());
}

/// Everything the database holds, as text: every record of every table.
pub async fn dump(data_dir: &std::path::Path) -> String {
    let url = format!("surrealkv://{}", data_dir.join("db").display());
    let db = app::db::connect(&url, &Default::default()).await.unwrap();
    let mut r = db.query("INFO FOR DB").await.unwrap();
    let info: Option<serde_json::Value> = r.take(0).unwrap();
    let tables: Vec<String> = info.unwrap()["tables"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    assert!(tables.len() > 15, "{tables:?}");
    let mut out = String::new();
    for t in tables {
        let mut r = db
            .query("SELECT * FROM type::table($t)")
            .bind(("t", t.clone()))
            .await
            .unwrap();
        let rows: Vec<serde_json::Value> = r.take(0).unwrap();
        out.push_str(&format!("{t}: {}\n", serde_json::Value::Array(rows)));
    }
    out
}
