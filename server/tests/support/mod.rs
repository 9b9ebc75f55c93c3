//! Starts the real `viva` binary for a test and stops it afterwards; account helpers.
#![allow(dead_code)]

use std::{process::Stdio, time::Duration};

use tokio::{
    io::{AsyncBufReadExt, AsyncReadExt, BufReader},
    process::{Child, Command},
};

const BIN: &str = env!("CARGO_BIN_EXE_viva");

pub struct Viva {
    child: Option<Child>,
    base: String,
    _data: Option<tempfile::TempDir>,
    log: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

impl Viva {
    /// A server with a fresh temporary data directory.
    pub async fn start(extra: &[&str]) -> Viva {
        let data = tempfile::tempdir().unwrap();
        let mut v = Viva::start_in(data.path().to_str().unwrap(), extra).await;
        v._data = Some(data);
        v
    }

    /// A server on a given data directory (to test restarts).
    pub async fn start_in(data_dir: &str, extra: &[&str]) -> Viva {
        let mut cmd = Command::new(BIN);
        cmd.args([
            "--addr",
            "127.0.0.1:0",
            "--data-dir",
            data_dir,
            "--log-format",
            "json",
        ])
        .args(extra)
        .env_remove("LEPTOS_SITE_ROOT")
        // Speech recognition only where a test asks for it (--whisper-model): loading the
        // model in every test server would cost each a second and 150 MB.
        .env("VIVA_WHISPER_MODEL", "/nonexistent/viva-test-no-whisper")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start viva");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        // Every line is kept for the tests, start-up warnings included.
        let log = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                log.lock().unwrap().push(line.clone());
                if let Some(i) = line.find("listening on http://") {
                    let rest = &line[i + "listening on ".len()..];
                    return rest
                        .split(|c: char| c == ' ' || c == '"')
                        .next()
                        .unwrap()
                        .to_string();
                }
            }
            panic!("viva exited before listening");
        })
        .await
        .expect("viva did not start within 60 s");
        // Keep reading the log (so the server never blocks on a full pipe).
        let sink = log.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = lines.next_line().await {
                sink.lock().unwrap().push(line);
            }
        });
        Viva {
            child: Some(child),
            base,
            _data: None,
            log,
        }
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

    /// The server's process id (to read its memory and CPU time in /proc).
    pub fn pid(&self) -> u32 {
        self.child
            .as_ref()
            .and_then(|c| c.id())
            .expect("viva is running")
    }

    /// Sends SIGTERM and waits for the exit.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let pid = child.id().unwrap();
        std::process::Command::new("kill")
            .args(["-TERM", &pid.to_string()])
            .status()
            .unwrap();
        tokio::time::timeout(Duration::from_secs(30), child.wait())
            .await
            .expect("no exit within 30 s after SIGTERM")
            .unwrap()
    }
}

pub struct Exit {
    pub status: std::process::ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `viva` with arguments that should make it exit by itself.
pub async fn run_to_exit(args: &[&str]) -> Exit {
    let mut child = Command::new(BIN)
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

/// A client that follows no redirects and, built without decompression, shows exactly what
/// the server sent (Content-Encoding included).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The body as JSON; panics with the body when it is not.
pub async fn json(res: reqwest::Response) -> serde_json::Value {
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

pub const PW: &str = "tangerine-Velvet-harbour-42";

/// A form POST to a server function, as a browser without JavaScript sends it, asking for JSON.
pub fn post(v: &Viva, path: &str, jar: &str) -> reqwest::RequestBuilder {
    let b = client()
        .post(v.url(path))
        .header("accept", "application/json");
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

    /// The newest code e-mailed to an address, read from the outbox lines in the log.
    pub async fn code_for(&self, email: &str, after: usize) -> String {
        let line = self
            .wait_log_after(after, |l| {
                l.contains(email) && l.contains("is your Viva code")
            })
            .await;
        let i = line.find(" is your Viva code").unwrap();
        line[i - 6..i].to_string()
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
            .form(&[
                ("form[name]", name),
                ("form[email]", email),
                ("form[password]", PW),
                ("form[job_role]", "Backend engineer"),
                ("form[experience]", "senior"),
                ("form[age_confirmed]", "on"),
                ("form[accept_terms]", "on"),
            ])
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

    /// Signs up, verifies with the e-mailed code, signs in; returns the cookie header.
    pub async fn account(&self, email: &str, name: &str) -> String {
        let mark = self.log_len();
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
