//! For `bench/speech.sh`: spoken answers at a speaker's pace against a running `viva`, over
//! HTTP as the browser sends them.
//!
//! `speech_load BASE COOKIES MODE N`
//! - COOKIES: a file with one signed-in account's Cookie header per line (bench/account.sh).
//! - MODE `latency`, N answers: the first account answers N questions one after another.
//! - MODE `capacity`, N seconds: every account is a speaker answering question after question
//!   for N seconds (each waits for its feedback, then answers the next). The speakers start
//!   spread over one answer's length (STAGGER=0: all at once).
//!
//! Each answer is ANSWER_SECS (default 60) seconds of the labelled clips in CLIPS (default
//! ../shared/audio/dev), cut into speech segments by the same pipeline the browser runs
//! (`voice::Pipeline`): each segment is uploaded when the browser would have it (when the
//! pipeline returns it while the audio is fed in real time); at the end the person presses
//! stop: the last segment goes up and the answer is handed in. Then the driver asks
//! `voice/status` every 50 ms until the answer is done (evaluated, or a follow-up question
//! opened). Reported per answer: stop → evaluated on the server, and stop → feedback on the
//! page (the recorder asks every STATUS_POLL_MS, then reloads the interview page, which is
//! fetched here too). Prints a JSON line per answer on stderr and a summary JSON line on stdout.

// Shared with the tests and sessions_load: this driver sends segments only.
#[allow(dead_code)]
#[path = "../tests/integration/support/wire.rs"]
mod wire;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

/// public/voice/recorder.js: how often the page asks how the handed-in answer stands
/// (STATUS_POLL_MS in the environment measures another choice).
const STATUS_POLL_MS: u64 = 250;
/// How often this driver asks (finer than the page, to see when the server finished).
const FINE_POLL_MS: u64 = 50;
/// The browser feeds the worklet 128-sample frames; 20 ms of audio at a time is close enough.
const FEED_SECS: f64 = 0.02;

struct Segment {
    /// When the pipeline hands it over, from the start of the answer (s).
    ready_at: f64,
    start: f64,
    end: f64,
    wav: Vec<u8>,
}

/// The answer's audio cut as the browser cuts it.
fn answer_segments(clips: &str, secs: f64) -> (Vec<Segment>, f64) {
    let mut samples: Vec<f32> = Vec::new();
    let mut rate = 0;
    let mut names: Vec<_> = std::fs::read_dir(clips)
        .unwrap_or_else(|e| panic!("{clips}: {e}"))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "wav"))
        .collect();
    names.sort();
    for p in names {
        let a = voice::wav::decode(&std::fs::read(&p).unwrap()).unwrap();
        rate = a.rate;
        samples.extend(a.samples);
        if samples.len() as f64 >= secs * rate as f64 {
            break;
        }
    }
    samples.truncate((secs * rate as f64) as usize);
    let total = samples.len() as f64 / rate as f64;
    let mut p = voice::Pipeline::new(rate, voice::Config::default());
    let step = (FEED_SECS * rate as f64) as usize;
    let mut out = Vec::new();
    let mut fed = 0usize;
    let take = |c: voice::Captured, at: f64, out: &mut Vec<Segment>| {
        out.push(Segment {
            ready_at: at,
            start: c.segment.start_s(),
            end: c.segment.end_s(),
            wav: voice::wav::encode_i16(16_000, &c.samples),
        })
    };
    for chunk in samples.chunks(step) {
        fed += chunk.len();
        for c in p.push(chunk) {
            take(c, fed as f64 / rate as f64, &mut out);
        }
    }
    for c in p.finish() {
        take(c, total, &mut out);
    }
    (out, total)
}

#[derive(Clone)]
struct Client {
    http: reqwest::Client,
    base: String,
    cookie: String,
}

impl Client {
    async fn call(&self, path: &str, form: &[(&str, String)]) -> Result<serde_json::Value, String> {
        let res = self
            .http
            .post(format!("{}{path}", self.base))
            .header("accept", "application/json")
            .header("origin", &self.base)
            .header("cookie", &self.cookie)
            .form(form)
            .send()
            .await
            .map_err(|e| format!("{path}: {e}"))?;
        let status = res.status();
        let body = res.text().await.map_err(|e| format!("{path}: {e}"))?;
        if !status.is_success() {
            return Err(format!("{path}: {status} {body}"));
        }
        serde_json::from_str(&body).map_err(|e| format!("{path}: {e}: {body}"))
    }

    async fn upload(&self, id: &str, position: u64, seq: usize, s: &Segment) -> Result<(), String> {
        let fields = [
            ("interview", id.to_string()),
            ("position", position.to_string()),
            ("seq", seq.to_string()),
            ("start", format!("{}", s.start)),
            ("end", format!("{}", s.end)),
        ];
        let (ct, body) = wire::multipart(&fields, &s.wav);
        let res = self
            .http
            .post(format!("{}/api/voice/segment", self.base))
            .header("accept", "application/json")
            .header("origin", &self.base)
            .header("cookie", &self.cookie)
            .header("content-type", ct)
            .body(body)
            .send()
            .await
            .map_err(|e| format!("segment: {e}"))?;
        if !res.status().is_success() {
            return Err(format!(
                "segment: {} {}",
                res.status(),
                res.text().await.unwrap_or_default()
            ));
        }
        Ok(())
    }

    /// A spoken interview of `count` questions; its id.
    async fn start(&self, count: usize) -> Result<String, String> {
        let setup = [
            ("setup[role]", "backend-engineer".to_string()),
            ("setup[difficulty]", "2".into()),
            ("setup[count]", count.to_string()),
            ("setup[kinds][]", "behavioural".into()),
            ("setup[mode]", "voice".into()),
        ];
        match self.call("/api/interview/start", &setup).await? {
            serde_json::Value::String(id) => Ok(id),
            v => Err(format!("interview/start: no id in {v}")),
        }
    }

    /// The question to answer now, if any.
    async fn current(&self, id: &str) -> Result<Option<u64>, String> {
        let iv = self
            .call("/api/interview/get", &[("id", id.to_string())])
            .await?;
        Ok(iv["current"].as_u64())
    }
}

#[derive(Default)]
struct Tally {
    /// Stop → evaluated on the server (ms), stop → feedback on the page (ms).
    server_ms: Vec<f64>,
    page_ms: Vec<f64>,
    /// Segments not yet transcribed when the answer was handed in.
    left_at_hand_in: Vec<usize>,
    segments: usize,
    upload_ms: Vec<f64>,
    errors: Vec<String>,
}

/// One spoken answer to question `position`, at the speaker's pace.
async fn answer(
    c: &Client,
    id: &str,
    position: u64,
    segs: &[Segment],
    total: f64,
    tally: &Mutex<Tally>,
) -> Result<(), String> {
    let t0 = Instant::now();
    let at = |secs: f64| t0 + Duration::from_secs_f64(secs);
    for (seq, s) in segs.iter().enumerate() {
        tokio::time::sleep_until(at(s.ready_at).into()).await;
        let u = Instant::now();
        c.upload(id, position, seq, s).await?;
        let mut t = tally.lock().unwrap();
        t.upload_ms.push(u.elapsed().as_secs_f64() * 1e3);
        t.segments += 1;
    }
    // Stop: at the end of the audio (the last segment went up just now).
    tokio::time::sleep_until(at(total).into()).await;
    let stop = Instant::now().max(at(total));
    let st = c
        .call(
            "/api/voice/hand_in",
            &[
                ("id", id.to_string()),
                ("position", position.to_string()),
                ("count", segs.len().to_string()),
            ],
        )
        .await?;
    let handed = Instant::now();
    let part = st["part"].clone();
    let left = st["segments"]
        .as_array()
        .map(|a| a.iter().filter(|s| s["status"] != "done").count())
        .unwrap_or(0);
    let done = |st: &serde_json::Value| st["answer"] == "done" || st["part"] != part;
    let mut now = st;
    while !done(&now) {
        if now["answer"] == "failed" || now["answer"] == "needs-transcript" {
            return Err(format!("answer not transcribed: {now}"));
        }
        if stop.elapsed() > Duration::from_secs(600) {
            return Err("no feedback within 10 minutes".into());
        }
        tokio::time::sleep(Duration::from_millis(FINE_POLL_MS)).await;
        now = c
            .call(
                "/api/voice/status",
                &[("id", id.to_string()), ("position", position.to_string())],
            )
            .await?;
    }
    let server = stop.elapsed();
    // The page: its next look after the server finished, then the reload.
    let poll = Duration::from_millis(
        std::env::var("STATUS_POLL_MS")
            .map_or(STATUS_POLL_MS, |s| s.parse().expect("STATUS_POLL_MS")),
    );
    let since_hand_in = handed.elapsed();
    let ticks = since_hand_in.as_nanos().div_ceil(poll.as_nanos()) as u32;
    let seen = (handed - stop) + poll * ticks;
    let p = Instant::now();
    let res = c
        .http
        .get(format!("{}/interview/{id}", c.base))
        .header("cookie", &c.cookie)
        .send()
        .await
        .map_err(|e| format!("page: {e}"))?;
    if !res.status().is_success() {
        return Err(format!("interview page: {}", res.status()));
    }
    res.bytes().await.map_err(|e| format!("page: {e}"))?;
    let page = seen + p.elapsed();
    eprintln!(
        "{}",
        serde_json::json!({"position": position, "segments": segs.len(), "left_at_hand_in": left,
            "stop_to_evaluated_ms": (server.as_secs_f64() * 1e3).round(),
            "stop_to_page_ms": (page.as_secs_f64() * 1e3).round()})
    );
    let mut t = tally.lock().unwrap();
    t.server_ms.push(server.as_secs_f64() * 1e3);
    t.page_ms.push(page.as_secs_f64() * 1e3);
    t.left_at_hand_in.push(left);
    Ok(())
}

/// One speaker: answers until `answers` are done or `until` has passed.
async fn speaker(
    c: Client,
    segs: Arc<Vec<Segment>>,
    total: f64,
    answers: usize,
    until: Instant,
    tally: Arc<Mutex<Tally>>,
) {
    let mut done = 0;
    let mut id = String::new();
    while done < answers && Instant::now() + Duration::from_secs_f64(total) < until {
        let step = async {
            let position = match if id.is_empty() {
                None
            } else {
                c.current(&id).await?
            } {
                Some(p) => p,
                None => {
                    id = c.start(answers.min(15)).await?;
                    c.current(&id)
                        .await?
                        .ok_or("a new interview has no question")?
                }
            };
            answer(&c, &id, position, &segs, total, &tally).await
        };
        if let Err(e) = step.await {
            eprintln!("error: {e}");
            tally.lock().unwrap().errors.push(e);
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        done += 1;
    }
}

fn pct(v: &[f64], p: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[((p / 100.0 * s.len() as f64).ceil() as usize).clamp(1, s.len()) - 1].round()
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, base, cookies, mode, n] = &args[..] else {
        eprintln!("usage: speech_load BASE COOKIES_FILE latency ANSWERS | capacity SECONDS");
        std::process::exit(2);
    };
    let n: u64 = n.parse().expect("N");
    let clips = std::env::var("CLIPS").unwrap_or_else(|_| "../shared/audio/dev".into());
    let secs: f64 = std::env::var("ANSWER_SECS").map_or(60.0, |s| s.parse().expect("ANSWER_SECS"));
    let (segs, total) = answer_segments(&clips, secs);
    let segs = Arc::new(segs);
    let cookies: Vec<String> = std::fs::read_to_string(cookies)
        .expect("cookies file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(str::to_string)
        .collect();
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let (speakers, answers, until) = match mode.as_str() {
        "latency" => (
            1,
            n as usize,
            Instant::now() + Duration::from_secs(24 * 3600),
        ),
        "capacity" => (
            cookies.len(),
            usize::MAX,
            Instant::now() + Duration::from_secs(n),
        ),
        _ => panic!("MODE is latency or capacity"),
    };
    let tally = Arc::new(Mutex::new(Tally::default()));
    let started = Instant::now();
    // Speakers start spread over one answer's length, as people who did not all press
    // "record" at the same moment (STAGGER=0: all at once, the worst case).
    let stagger = std::env::var("STAGGER").map_or(true, |s| s != "0");
    let tasks: Vec<_> = cookies
        .iter()
        .take(speakers)
        .enumerate()
        .map(|(i, cookie)| {
            let c = Client {
                http: http.clone(),
                base: base.clone(),
                cookie: cookie.clone(),
            };
            let delay = if stagger {
                total * i as f64 / speakers as f64
            } else {
                0.0
            };
            let (segs, tally) = (segs.clone(), tally.clone());
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs_f64(delay)).await;
                speaker(c, segs, total, answers, until, tally).await
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("speaker");
    }
    let t = tally.lock().unwrap();
    let speech: f64 = segs.iter().map(|s| s.end - s.start).sum();
    println!(
        "{}",
        serde_json::json!({
            "mode": mode, "speakers": speakers, "answer_secs": total, "speech_secs_per_answer": (speech * 10.0).round() / 10.0,
            "segments_per_answer": segs.len(), "answers": t.server_ms.len(), "segments": t.segments,
            "errors": t.errors.len(), "wall_secs": started.elapsed().as_secs(),
            "stop_to_evaluated_ms": {"p50": pct(&t.server_ms, 50.0), "p90": pct(&t.server_ms, 90.0), "max": pct(&t.server_ms, 100.0)},
            "stop_to_page_ms": {"p50": pct(&t.page_ms, 50.0), "p90": pct(&t.page_ms, 90.0), "max": pct(&t.page_ms, 100.0)},
            "left_at_hand_in_max": t.left_at_hand_in.iter().max(),
            "upload_ms": {"p50": pct(&t.upload_ms, 50.0), "p99": pct(&t.upload_ms, 99.0)},
        })
    );
}
