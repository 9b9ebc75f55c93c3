//! For `bench/sessions.sh`: many interview sessions at once against one `viva` node, over HTTP
//! on loopback, as browsers would run them (issue 20, "Load that holds").
//!
//! `sessions_load VIVA_BIN SESSIONS...` starts its own `viva` (a fresh data dir, the embedded
//! store, no transcriber: people type what they said) with a local SMTP server for the
//! sign-up codes and `--trusted-proxy 127.0.0.1`, so each simulated person comes from an
//! address of their own (X-Forwarded-For) as they would in real life; then, for each count in
//! SESSIONS (e.g. `250 500 1000`), that many people:
//!
//! - set up first, not measured: sign up and confirm the address with the e-mailed code;
//! - then, started evenly over RAMP_SECS (default 60), each: signs in, starts a spoken
//!   interview, uploads SEGMENTS (default 6) speech segments of SEGMENT_SECS (default 4) of
//!   audio each at a speaker's pace (one every SEGMENT_SECS + 1 s), checks they are all
//!   stored, hands the answer in with
//!   what they said typed, asks `voice/status` every 250 ms (as the page does) until the
//!   answer is evaluated, and reads the report page.
//!
//! Every call is timed; a call that does not answer 2xx within 30 s is an error. After each
//! session the driver checks that every segment it uploaded is stored (a lost one is
//! counted). Prints one JSON line per run on stdout: per call p50/p99/max and errors, lost
//! segments, the node's CPU seconds and peak memory.

// The tests' SMTP server: this driver uses only part of it.
#[allow(dead_code)]
#[path = "../tests/integration/support/smtp.rs"]
mod smtp;
#[path = "../tests/integration/support/wire.rs"]
mod wire;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

const PASSWORD: &str = "Load-test-passphrase-1";
const STATUS_POLL: Duration = Duration::from_millis(250);
const CALL_TIMEOUT: Duration = Duration::from_secs(30);
const SAID: &str = "In my last role I led the redesign of our release process. Releases took two days and often failed, \
    so I mapped each step with the team, automated the checks and trained four colleagues. As a result a release took \
    two hours and failed releases fell by half within a quarter.";

fn env_num(name: &str, default: f64) -> f64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// Call timings (ms) and error counts by call name.
#[derive(Default)]
struct Record {
    ms: BTreeMap<&'static str, Vec<f64>>,
    errors: BTreeMap<&'static str, usize>,
    first_error: BTreeMap<&'static str, String>,
    lost_segments: usize,
    sessions_done: usize,
}

type Shared = Arc<Mutex<Record>>;

#[derive(Clone)]
struct Person {
    http: reqwest::Client,
    base: String,
    ip: String,
    email: String,
    cookie: String,
}

impl Person {
    fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .header("origin", &self.base)
            .header("x-forwarded-for", &self.ip)
            .header("cookie", &self.cookie)
            .timeout(CALL_TIMEOUT)
    }

    /// A page, as the browser loads it.
    fn page(&self, path: &str) -> reqwest::RequestBuilder {
        self.http
            .get(format!("{}{path}", self.base))
            .header("x-forwarded-for", &self.ip)
            .header("cookie", &self.cookie)
            .timeout(CALL_TIMEOUT)
    }

    /// Sends a request, times it under `name`; the body on success.
    async fn timed(
        &self,
        rec: &Shared,
        name: &'static str,
        req: reqwest::RequestBuilder,
    ) -> Result<(reqwest::header::HeaderMap, String), ()> {
        let t = Instant::now();
        let res = req.send().await;
        let out = match res {
            Ok(r) => {
                let status = r.status();
                let headers = r.headers().clone();
                match r.text().await {
                    Ok(body) if status.is_success() || status.is_redirection() => {
                        Ok((headers, body))
                    }
                    Ok(body) => Err(format!(
                        "{status} {}",
                        body.chars().take(200).collect::<String>()
                    )),
                    Err(e) => Err(e.to_string()),
                }
            }
            Err(e) => Err(e.to_string()),
        };
        let ms = t.elapsed().as_secs_f64() * 1000.0;
        let mut r = rec.lock().unwrap();
        r.ms.entry(name).or_default().push(ms);
        match out {
            Ok(v) => Ok(v),
            Err(e) => {
                *r.errors.entry(name).or_default() += 1;
                r.first_error.entry(name).or_insert(e);
                Err(())
            }
        }
    }
}

fn cookies_of(headers: &reqwest::header::HeaderMap) -> String {
    headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .map(|c| c.split(';').next().unwrap_or("").to_string())
        .filter(|c| !c.ends_with('='))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Sign up and confirm (not measured).
async fn set_up(p: &Person, sink: &smtp::SmtpSink) -> Result<(), String> {
    let res = p
        .post("/api/auth/sign_up")
        .form(&wire::sign_up_form("Load Tester", &p.email, PASSWORD))
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() && !res.status().is_redirection() {
        return Err(format!("sign-up: {}", res.status()));
    }
    let mut code = None;
    for _ in 0..600 {
        if let Some(m) = sink.first_to(&p.email, 0) {
            code = smtp::code_in(&m.text);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let code = code.ok_or("no code e-mailed within 60 s")?;
    let res = p
        .post("/api/auth/verify_email")
        .form(&[("email", p.email.as_str()), ("code", code.as_str())])
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if !res.status().is_success() && !res.status().is_redirection() {
        return Err(format!("verify: {}", res.status()));
    }
    Ok(())
}

/// One measured session. Stops at the first failed call.
async fn session(mut p: Person, rec: Shared, wav: Arc<Vec<u8>>, segments: usize, seg_secs: f64) {
    let run = async {
        let (h, _) = p
            .timed(
                &rec,
                "auth/sign_in",
                p.post("/api/auth/sign_in")
                    .form(&[("email", p.email.as_str()), ("password", PASSWORD)]),
            )
            .await?;
        p.cookie = cookies_of(&h);
        let (h, body) = p
            .timed(
                &rec,
                "interview/start",
                p.post("/api/interview/start").form(&[
                    ("setup[role]", "nurse"),
                    ("setup[difficulty]", "2"),
                    ("setup[count]", "3"),
                    ("setup[kinds][]", "behavioural"),
                    ("setup[mode]", "voice"),
                ]),
            )
            .await?;
        let id = serde_json::from_str::<String>(&body)
            .ok()
            .or_else(|| {
                h.get("location")
                    .and_then(|l| l.to_str().ok())
                    .and_then(|l| l.rsplit('/').next().map(str::to_string))
            })
            .ok_or(())?;
        // The interview page, as the browser opens it after starting.
        p.timed(
            &rec,
            "page /interview/ID",
            p.page(&format!("/interview/{id}")),
        )
        .await?;
        let pace = Duration::from_secs_f64(seg_secs + 1.0);
        for seq in 0..segments {
            tokio::time::sleep(pace).await;
            let start = seq as f64 * (seg_secs + 1.0);
            let fields = [
                ("interview", id.clone()),
                ("position", "0".to_string()),
                ("seq", seq.to_string()),
                ("start", format!("{start}")),
                ("end", format!("{}", start + seg_secs)),
            ];
            let (ct, body) = wire::multipart(&fields, &wav);
            p.timed(
                &rec,
                "voice/segment",
                p.post("/api/voice/segment")
                    .header("content-type", ct)
                    .body(body),
            )
            .await?;
        }
        // Every segment acknowledged is stored (asked before the hand-in: an answer scored for
        // someone who keeps no recordings lets its audio go).
        let (_, body) = p
            .timed(
                &rec,
                "voice/status",
                p.post("/api/voice/status")
                    .form(&[("id", id.as_str()), ("position", "0")]),
            )
            .await?;
        let st: serde_json::Value = serde_json::from_str(&body).map_err(|_| ())?;
        let stored = st["segments"].as_array().map(Vec::len).unwrap_or(0);
        rec.lock().unwrap().lost_segments += segments.saturating_sub(stored);
        p.timed(
            &rec,
            "voice/hand_in",
            p.post("/api/voice/hand_in").form(&[
                ("id", id.as_str()),
                ("position", "0"),
                ("count", &segments.to_string()),
                ("transcript", SAID),
            ]),
        )
        .await?;
        let mut done = false;
        for _ in 0..240 {
            let (_, body) = p
                .timed(
                    &rec,
                    "voice/status",
                    p.post("/api/voice/status")
                        .form(&[("id", id.as_str()), ("position", "0")]),
                )
                .await?;
            let st: serde_json::Value = serde_json::from_str(&body).map_err(|_| ())?;
            if st["answer"] == "done" || st["part"] == "follow-up" {
                done = true;
                break;
            }
            tokio::time::sleep(STATUS_POLL).await;
        }
        if !done {
            *rec.lock()
                .unwrap()
                .errors
                .entry("evaluated within 60 s")
                .or_default() += 1;
        }
        p.timed(
            &rec,
            "page /interview/ID/report",
            p.page(&format!("/interview/{id}/report")),
        )
        .await?;
        rec.lock().unwrap().sessions_done += 1;
        Ok::<(), ()>(())
    };
    let _ = run.await;
}

fn percentile(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    v[i]
}

/// CPU seconds (user + system) and peak resident memory (MiB) of a process, from /proc.
fn usage(pid: u32) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let tick = 100.0;
    let cpu = f.get(11).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0)
        + f.get(12).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let hwm = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse::<f64>().ok())
        .unwrap_or(0.0);
    (cpu / tick, hwm / 1024.0)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (bin, counts) = args
        .split_first()
        .expect("usage: sessions_load VIVA_BIN SESSIONS...");
    let counts: Vec<usize> = counts.iter().map(|c| c.parse().expect("a count")).collect();
    let ramp = env_num("RAMP_SECS", 60.0);
    let segments = env_num("SEGMENTS", 6.0) as usize;
    let seg_secs = env_num("SEGMENT_SECS", 4.0);
    // A segment of seg_secs of a voice-like signal (a tone with a syllable-rate envelope).
    let n = (seg_secs * 16_000.0) as usize;
    let wav = Arc::new(voice::wav::encode_i16(
        16_000,
        &(0..n)
            .map(|i| {
                let t = i as f64 / 16_000.0;
                let env = 0.55 + 0.45 * (2.0 * std::f64::consts::PI * 4.0 * t).sin();
                (env * 6000.0 * (2.0 * std::f64::consts::PI * 180.0 * t).sin()) as i16
            })
            .collect::<Vec<_>>(),
    ));

    for &count in &counts {
        let sink = smtp::SmtpSink::start().await;
        let data = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut child = tokio::process::Command::new(bin)
            .args(["--addr", &format!("127.0.0.1:{port}")])
            .args(["--data-dir", data.path().to_str().unwrap()])
            .args([
                "--smtp-url",
                &sink.url(),
                "--trusted-proxy",
                "127.0.0.1",
                "--log",
                "warn",
            ])
            .env(
                "VIVA_WHISPER_MODEL",
                "/nonexistent/no-whisper-in-this-bench",
            )
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start viva");
        let pid = child.id().unwrap();
        let base = format!("http://127.0.0.1:{port}");
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .pool_max_idle_per_host(64)
            .build()
            .unwrap();
        for _ in 0..600 {
            if http
                .get(format!("{base}/readyz"))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success())
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let people: Vec<Person> = (0..count)
            .map(|i| Person {
                http: http.clone(),
                base: base.clone(),
                ip: format!("10.{}.{}.{}", i / 65_536, (i / 256) % 256, i % 256 + 1),
                email: format!("load{i}@example.org"),
                cookie: String::new(),
            })
            .collect();

        // Set-up: sign-ups, 8 at a time (each hashes a password).
        let t = Instant::now();
        let setup_failed = Arc::new(Mutex::new(Vec::new()));
        let queue = Arc::new(Mutex::new(people.clone()));
        let workers: Vec<_> = (0..8)
            .map(|_| {
                let (queue, sink, failed) = (queue.clone(), sink.clone(), setup_failed.clone());
                tokio::spawn(async move {
                    loop {
                        let Some(p) = queue.lock().unwrap().pop() else {
                            break;
                        };
                        if let Err(e) = set_up(&p, &sink).await {
                            failed.lock().unwrap().push(format!("{}: {e}", p.email));
                        }
                    }
                })
            })
            .collect();
        for w in workers {
            w.await.unwrap();
        }
        let setup_secs = t.elapsed().as_secs_f64();
        let failed = setup_failed.lock().unwrap().clone();
        if !failed.is_empty() {
            eprintln!(
                "set-up failed for {} people, e.g. {}",
                failed.len(),
                failed[0]
            );
        }
        let (cpu0, _) = usage(pid);

        // The measured sessions, started evenly over the ramp.
        let rec: Shared = Arc::default();
        let t = Instant::now();
        let every = Duration::from_secs_f64(ramp / count.max(1) as f64);
        let mut tasks = Vec::with_capacity(count);
        for (i, p) in people.into_iter().enumerate() {
            let start_at = t + every * i as u32;
            let (rec, wav) = (rec.clone(), wav.clone());
            tasks.push(tokio::spawn(async move {
                tokio::time::sleep_until(start_at.into()).await;
                session(p, rec, wav, segments, seg_secs).await;
            }));
        }
        for task in tasks {
            task.await.unwrap();
        }
        let wall = t.elapsed().as_secs_f64();
        let (cpu1, peak_mib) = usage(pid);
        let _ = child.kill().await;

        let mut r = rec.lock().unwrap();
        let mut calls = serde_json::Map::new();
        let mut worst_p99: f64 = 0.0;
        let names: Vec<&'static str> = r.ms.keys().copied().collect();
        for name in names {
            let mut v = r.ms.get(&name).cloned().unwrap_or_default();
            let (p50, p99) = (percentile(&mut v, 0.5), percentile(&mut v, 0.99));
            worst_p99 = worst_p99.max(p99);
            calls.insert(
                name.to_string(),
                serde_json::json!({
                    "n": v.len(),
                    "errors": r.errors.get(name).copied().unwrap_or(0),
                    "first_error": r.first_error.get(name),
                    "p50_ms": (p50 * 10.0).round() / 10.0,
                    "p99_ms": (p99 * 10.0).round() / 10.0,
                    "max_ms": (v.last().copied().unwrap_or(0.0) * 10.0).round() / 10.0,
                }),
            );
        }
        let errors: usize = r.errors.values().sum();
        let line = serde_json::json!({
            "sessions": count,
            "completed": r.sessions_done,
            "set_up_failed": failed.len(),
            "set_up_secs": (setup_secs * 10.0).round() / 10.0,
            "ramp_secs": ramp,
            "wall_secs": (wall * 10.0).round() / 10.0,
            "errors": errors,
            "lost_segments": r.lost_segments,
            "worst_p99_ms": (worst_p99 * 10.0).round() / 10.0,
            "node_cpu_secs": ((cpu1 - cpu0) * 10.0).round() / 10.0,
            "node_peak_mib": peak_mib.round(),
            "calls": calls,
        });
        r.ms.clear();
        println!("{line}");
    }
}
