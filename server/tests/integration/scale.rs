//! Several `viva` nodes on one SurrealDB server (issue 20): what "the app nodes keep no state"
//! promises, checked with real nodes (the release binary), a real SurrealDB server (the
//! `surreal` tool .ci/surreal builds from crates.io), real HTTP and a real SMTP server.
//!
//! The tool takes ~18 minutes to build once, so these tests are ignored in the normal run:
//! `bash .ci/scale` builds the tool (cached outside the clone) and runs them with
//! `VIVA_SURREAL_BIN` set.

use crate::support;

use std::{
    process::Stdio,
    sync::atomic::Ordering,
    time::{Duration, Instant},
};

use support::{json, me, post, smtp::SmtpSink, Viva};

const NEEDS: &str = "needs a SurrealDB server: bash .ci/scale";

/// A SurrealDB server (`surreal start`) on loopback, its data in a directory of the test.
struct Surreal {
    child: Option<tokio::process::Child>,
    port: u16,
    dir: std::path::PathBuf,
}

impl Surreal {
    async fn start(dir: &std::path::Path) -> Surreal {
        // A free port, then the server on it (and on the same one after a restart).
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut s = Surreal {
            child: None,
            port,
            dir: dir.to_path_buf(),
        };
        s.run().await;
        s
    }

    async fn run(&mut self) {
        let bin = std::env::var("VIVA_SURREAL_BIN")
            .unwrap_or_else(|_| panic!("VIVA_SURREAL_BIN is not set: {NEEDS}"));
        let child = tokio::process::Command::new(bin)
            .args([
                "start",
                "--no-banner",
                "--log",
                "warn",
                "--user",
                "root",
                "--pass",
                "root",
            ])
            .args(["--bind", &format!("127.0.0.1:{}", self.port)])
            .arg(format!("surrealkv://{}", self.dir.join("db").display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("start surreal");
        self.child = Some(child);
        let health = format!("http://127.0.0.1:{}/health", self.port);
        for _ in 0..300 {
            if let Ok(r) = reqwest::get(&health).await {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the SurrealDB server did not answer /health within 30 s");
    }

    /// Stops the server (SIGKILL: the database going away without a word).
    async fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            c.kill().await.unwrap();
        }
    }

    fn url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }
}

/// One database server, one blob store and one SMTP server shared by every node.
struct Cluster {
    db: Surreal,
    blobs: tempfile::TempDir,
    mail: SmtpSink,
    _dirs: tempfile::TempDir,
    dirs: std::path::PathBuf,
}

impl Cluster {
    async fn start() -> Cluster {
        let dirs = tempfile::tempdir().unwrap();
        let db = Surreal::start(dirs.path()).await;
        Cluster {
            db,
            blobs: tempfile::tempdir().unwrap(),
            mail: SmtpSink::start().await,
            dirs: dirs.path().to_path_buf(),
            _dirs: dirs,
        }
    }

    /// A node with a data directory of its own (`name`), on the shared database, blobs and
    /// mail. Every node has the same public URL, as behind one load balancer.
    async fn node(&self, name: &str, extra: &[&str]) -> Viva {
        let data = self.dirs.join(name);
        let url = self.db.url();
        let blobs = self.blobs.path().to_str().unwrap().to_string();
        let mut args = vec![
            "--db",
            &url,
            "--db-user",
            "root",
            "--db-pass",
            "root",
            "--blob-store",
            &blobs,
            "--public-url",
            "http://viva.lan",
            "--allow-insecure-http",
        ];
        args.extend_from_slice(extra);
        Viva::start_with_mail(data.to_str().unwrap(), &args, self.mail.clone()).await
    }
}

async fn ready(v: &Viva) -> serde_json::Value {
    json(
        support::client()
            .get(v.url("/readyz"))
            .bearer_auth(v.ops_token())
            .send()
            .await
            .unwrap(),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a SurrealDB server: bash .ci/scale"]
async fn two_nodes_share_migrations_sessions_limits_and_the_outbox() {
    let c = Cluster::start().await;
    // Both start at once on an empty database: each migration is applied once, by one of them.
    let (a, b) = tokio::join!(c.node("a", &[]), c.node("b", &[]));
    let (ra, rb) = (ready(&a).await, ready(&b).await);
    let want: Vec<i64> = app::db::MIGRATIONS.iter().map(|m| m.version).collect();
    let got: Vec<i64> = ra["migrations"]
        .as_array()
        .unwrap_or_else(|| panic!("{ra}"))
        .iter()
        .map(|v| v.as_i64().unwrap())
        .collect();
    assert_eq!(got, want, "every migration recorded exactly once");
    assert_eq!(ra["instance"], rb["instance"], "one installation");
    let applied = |v: &Viva| {
        v.log_lines()
            .iter()
            .filter(|l| l.contains("\"applied migration\""))
            .count()
    };
    assert_eq!(
        applied(&a) + applied(&b),
        want.len(),
        "each applied by one node"
    );

    // Accounts made on alternate nodes (the code checked on the other one): each sign-up's
    // e-mail reaches the SMTP server once, though both nodes run an outbox worker.
    let mut jars = Vec::new();
    for i in 0..6 {
        let (first, other) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
        let email = format!("p{i}@example.org");
        let mark = c.mail.len();
        assert!(support::ok(&first.sign_up(&email, "Pat").await));
        let code = first.code_for(&email, mark).await;
        let res = post(other, "/api/auth/verify_email", "")
            .form(&[("email", email.as_str()), ("code", code.as_str())])
            .send()
            .await
            .unwrap();
        assert!(support::ok(&res), "verified on the other node");
        jars.push(first.sign_in(&email).await);
    }
    // Time for a second sending, had anything been claimed twice.
    tokio::time::sleep(Duration::from_secs(3)).await;
    for i in 0..6 {
        let email = format!("p{i}@example.org");
        assert_eq!(c.mail.to(&email).len(), 1, "one e-mail to {email}");
    }

    // A session started on A works on B; signed out on A, it ends on A at once and on B
    // within SESSION_RECHECK_SECS (what B last heard from the database).
    let jar = &jars[0];
    assert_eq!(me(&b, jar).await["email"], "p0@example.org");
    assert!(support::ok(
        &post(&a, "/api/auth/sign_out", jar).send().await.unwrap()
    ));
    assert_eq!(me(&a, jar).await, serde_json::Value::Null);
    b.advance(app::auth::service::SESSION_RECHECK_SECS + 1)
        .await;
    assert_eq!(
        me(&b, jar).await,
        serde_json::Value::Null,
        "the session signed out on A ended on B"
    );

    // One account's wrong passwords, alternately on A and B: the limit counts them all.
    let limit = app::ratelimit::SIGN_IN_PER_ACCOUNT.max as usize;
    let mut statuses = Vec::new();
    for i in 0..=limit {
        let node = if i % 2 == 0 { &a } else { &b };
        let res = post(node, "/api/auth/sign_in", "")
            .form(&[("email", "p1@example.org"), ("password", "Wrong-guess-9")])
            .send()
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    // p1's own sign-in above counted too.
    let allowed = limit - 1;
    assert!(
        statuses[..allowed].iter().all(|s| *s != 429),
        "{statuses:?}"
    );
    assert_eq!(statuses[allowed], 429, "{statuses:?}");
}

/// Uploads segment `seq` of question 0: a one-second tone, `seq` tenths of a second longer
/// each, so no two are the same.
async fn upload(v: &Viva, jar: &str, id: &str, seq: u32) -> reqwest::Response {
    let n = 16_000 + seq as usize * 1_600;
    let wav = voice::wav::encode_i16(
        16_000,
        &(0..n).map(|i| (i % 2000) as i16 - 1000).collect::<Vec<_>>(),
    );
    let start = seq as f64 * 2.0;
    support::upload(v, jar, id, seq, start, start + n as f64 / 16_000.0, &wav).await
}

async fn hand_in(v: &Viva, jar: &str, id: &str, count: u32) {
    let res = post(v, "/api/voice/hand_in", jar)
        .form(&[("id", id), ("position", "0"), ("count", &count.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

/// The answer to question 0 once it is evaluated (panics after 30 s).
async fn evaluated_answer(v: &Viva, jar: &str, id: &str) -> String {
    let mut last = serde_json::Value::Null;
    for _ in 0..150 {
        let st = support::voice_status(v, jar, id).await;
        // Evaluated: done, or a follow-up question opened on it.
        if st["answer"] == "done" || st["part"] == "follow-up" {
            let iv = json(
                post(v, "/api/interview/get", jar)
                    .form(&[("id", id)])
                    .send()
                    .await
                    .unwrap(),
            )
            .await;
            return iv["items"][0]["answer"].as_str().unwrap().to_string();
        }
        assert_ne!(st["answer"], "needs-transcript", "{st}");
        last = st;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("the answer was not evaluated within 30 s: {last}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a SurrealDB server: bash .ci/scale"]
async fn a_segment_is_transcribed_once_and_a_killed_nodes_work_is_finished_by_another() {
    let parts = vec![
        "In my last role I led the ward handover redesign.",
        "I mapped each step with the nurses and trained twelve colleagues.",
        "Handovers then took twenty minutes instead of forty.",
    ];
    let hold = support::stt::Hold::default();
    let (stt, seen) = support::stt::transcription_server(parts.clone(), false, hold.clone()).await;
    let c = Cluster::start().await;
    let stt_args = [
        "--stt-provider",
        "openai",
        "--stt-url",
        &stt,
        "--stt-model",
        "whisper-1",
    ];
    let (a, b) = tokio::join!(c.node("a", &stt_args), c.node("b", &stt_args));
    let jar = a.account("ann@example.org", "Ann").await;
    support::allow_hosted_ai(&a, &jar, true).await;

    // Segments uploaded to A, handed in on B: both nodes run workers; each segment goes to the
    // transcription service once, and the answer holds each once, in order.
    let id = support::voice_interview(&a, &jar).await;
    for seq in 0..3 {
        assert_eq!(upload(&a, &jar, &id, seq).await.status(), 200);
    }
    hand_in(&b, &jar, &id, 3).await;
    assert_eq!(evaluated_answer(&a, &jar, &id).await, parts.join(" "));
    assert_eq!(seen.lock().unwrap().len(), 3, "one request per segment");

    // A alone (B stopped) takes the next answer and is killed while the service is still
    // working on it. B, started again, takes the segments up once A's lease has run out.
    b.stop().await;
    hold.on.store(true, Ordering::SeqCst);
    let id = support::voice_interview(&a, &jar).await;
    for seq in 0..3 {
        assert_eq!(upload(&a, &jar, &id, seq).await.status(), 200);
    }
    hand_in(&a, &jar, &id, 3).await;
    let t = Instant::now();
    while hold.arrived.load(Ordering::SeqCst) == 0 {
        assert!(
            t.elapsed() < Duration::from_secs(30),
            "A never asked the service"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    a.kill_9();
    drop(a);
    hold.on.store(false, Ordering::SeqCst);
    let b = c.node("b", &stt_args).await;
    // Before the lease runs out nobody takes A's segments over.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        seen.lock().unwrap().len(),
        3,
        "A's segments wait out A's lease"
    );
    b.advance(app::voice::transcribe::LEASE_SECS + 1).await;
    assert_eq!(
        evaluated_answer(&b, &jar, &id).await,
        parts.join(" "),
        "each segment once, in order"
    );
    assert_eq!(
        seen.lock().unwrap().len(),
        6,
        "B sent each of the three segments once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a SurrealDB server: bash .ci/scale"]
async fn while_the_database_is_away_pages_say_so_and_everything_resumes_when_it_is_back() {
    let mut c = Cluster::start().await;
    let a = c.node("a", &[]).await;
    let jar = a.account("ann@example.org", "Ann").await;
    let id = support::voice_interview(&a, &jar).await;
    assert_eq!(upload(&a, &jar, &id, 0).await.status(), 200);
    // A visitor's page, rendered once (and kept) while the database answers.
    assert_eq!(support::get(&a, "/", "").await.status(), 200);

    c.db.stop().await;
    // The watcher notices within PING_EVERY + PING_TIMEOUT; until then requests wait.
    let t = Instant::now();
    loop {
        let r = support::client()
            .get(a.url("/readyz"))
            .send()
            .await
            .unwrap();
        if r.status() == 503 {
            assert_eq!(json(r).await["status"], "database not answering");
            break;
        }
        assert!(t.elapsed() < Duration::from_secs(20), "/readyz never said");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let why = ready(&a).await;
    assert!(
        why["why"]
            .as_str()
            .unwrap()
            .contains("no answer from the database"),
        "{why}"
    );
    // Each answer comes at once (a bound of seconds, not a wait on the database).
    let quick = Duration::from_secs(5);
    let page = tokio::time::timeout(quick, support::get(&a, "/practice", &jar))
        .await
        .expect("the page answered at once");
    assert_eq!(page.status(), 503);
    assert!(page.headers().contains_key("retry-after"));
    let html = page.text().await.unwrap();
    assert!(html.contains("cannot reach its database"), "{html}");
    let call = tokio::time::timeout(quick, post(&a, "/api/auth/me", &jar).send())
        .await
        .expect("the server function answered at once")
        .unwrap();
    assert_eq!(call.status(), 503);
    assert_eq!(json(call).await["kind"], "unavailable");
    let up = tokio::time::timeout(quick, upload(&a, &jar, &id, 1))
        .await
        .expect("the upload answered at once");
    assert_eq!(up.status(), 503, "the browser keeps the segment queued");
    // What needs no database still works.
    assert_eq!(support::get(&a, "/", "").await.status(), 200);
    assert_eq!(support::get(&a, "/healthz", "").await.status(), 200);

    // Back: the same node, session and interview carry on; the queued segment goes in.
    c.db.run().await;
    let t = Instant::now();
    while support::get(&a, "/readyz", "").await.status() != 200 {
        assert!(t.elapsed() < Duration::from_secs(30), "not ready again");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(a
        .log_lines()
        .iter()
        .any(|l| l.contains("the database answers again")));
    assert_eq!(me(&a, &jar).await["email"], "ann@example.org");
    assert_eq!(upload(&a, &jar, &id, 1).await.status(), 200);
    let st = support::voice_status(&a, &jar, &id).await;
    assert_eq!(st["segments"].as_array().unwrap().len(), 2, "{st}");
    assert_eq!(support::get(&a, "/practice", &jar).await.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a SurrealDB server: bash .ci/scale"]
async fn a_lease_asked_for_by_two_nodes_at_once_goes_to_one() {
    // What keeps the retention sweep (and other periodic work) on one node at a time, on the
    // server's storage engine rather than the embedded one: two connections race 50 times.
    let c = Cluster::start().await;
    let auth = app::db::DbAuth {
        user: Some("root".into()),
        pass: Some("root".into()),
    };
    let url = c.db.url();
    let (x, y) = tokio::join!(app::db::connect(&url, &auth), app::db::connect(&url, &auth));
    let (x, y) = (x.unwrap(), y.unwrap());
    for round in 0..50 {
        let name = format!("race-{round}");
        let (a, b) = tokio::join!(
            app::db::take_lease(&x, &name, "node-a", 1_000, 600),
            app::db::take_lease(&y, &name, "node-b", 1_000, 600)
        );
        let (a, b) = (a.unwrap(), b.unwrap());
        assert!(a ^ b, "round {round}: exactly one holder (a {a}, b {b})");
        // The holder keeps it while it lasts; the other gets it once it ran out.
        let other = if a { "node-b" } else { "node-a" };
        assert!(!app::db::take_lease(&y, &name, other, 1_599, 600)
            .await
            .unwrap());
        assert!(app::db::take_lease(&x, &name, other, 1_600, 600)
            .await
            .unwrap());
    }
}
