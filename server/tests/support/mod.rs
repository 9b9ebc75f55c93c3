//! Starts the real `viva` binary for a test and stops it afterwards.

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
        cmd.args(["--addr", "127.0.0.1:0", "--data-dir", data_dir, "--log-format", "json"])
            .args(extra)
            .env_remove("LEPTOS_SITE_ROOT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("start viva");
        let stderr = child.stderr.take().unwrap();
        let mut lines = BufReader::new(stderr).lines();
        let base = tokio::time::timeout(Duration::from_secs(60), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Some(i) = line.find("listening on http://") {
                    let rest = &line[i + "listening on ".len()..];
                    return rest.split(|c: char| c == ' ' || c == '"').next().unwrap().to_string();
                }
            }
            panic!("viva exited before listening");
        })
        .await
        .expect("viva did not start within 60 s");
        // Keep draining the log so the server never blocks on a full pipe.
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        Viva { child: Some(child), base, _data: None }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Sends SIGTERM and waits for the exit.
    pub async fn stop(mut self) -> std::process::ExitStatus {
        let mut child = self.child.take().unwrap();
        let pid = child.id().unwrap();
        std::process::Command::new("kill").args(["-TERM", &pid.to_string()]).status().unwrap();
        tokio::time::timeout(Duration::from_secs(30), child.wait()).await.expect("no exit within 30 s after SIGTERM").unwrap()
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
    Exit { status, stdout: out, stderr: err }
}

/// A client that follows no redirects and, built without decompression, shows exactly what
/// the server sent (Content-Encoding included).
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

/// The body as JSON; panics with the body when it is not.
pub async fn json(res: reqwest::Response) -> serde_json::Value {
    let text = res.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}
