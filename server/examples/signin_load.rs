//! For `bench/run.sh`: sign-in under load while the rate limits hold.
//!
//! `signin_load BASE_URL SECONDS CONCURRENCY MODE` posts sign-in forms with wrong passwords
//! for addresses that have no account (by design exactly as costly as a real account: a
//! dummy argon2id verify and the equal-time floor) and prints one Markdown table row.
//! MODE `one-ip`: every request from one address, so the per-IP limit answers 429 after the
//! first few. MODE `many-ips`: each request from its own address (the server must run with
//! `--trusted-proxy 127.0.0.1`; X-Forwarded-For names the address), so each one reaches the password
//! check: the CPU-bound ceiling.

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (base, secs, conc, mode) = match &args[1..] {
        [b, s, c, m] => (
            b.clone(),
            s.parse::<u64>().expect("seconds"),
            c.parse::<usize>().expect("concurrency"),
            m.clone(),
        ),
        _ => {
            eprintln!("usage: signin_load BASE_URL SECONDS CONCURRENCY one-ip|many-ips");
            std::process::exit(2);
        }
    };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let statuses = Arc::new(Mutex::new(BTreeMap::<u16, u64>::new()));
    let latencies = Arc::new(Mutex::new(Vec::<Duration>::new()));
    let end = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let tasks: Vec<_> = (0..conc)
        .map(|worker| {
            let (client, base, mode) = (client.clone(), base.clone(), mode.clone());
            let (statuses, latencies) = (statuses.clone(), latencies.clone());
            tokio::spawn(async move {
                let mut n: u64 = 0;
                while Instant::now() < end {
                    n += 1;
                    let ip = if mode == "many-ips" {
                        format!("10.{}.{}.{}", worker, (n >> 8) & 255, n & 255)
                    } else {
                        "10.255.255.1".into()
                    };
                    let email = format!("nobody-{worker}-{n}@example.org");
                    let t = Instant::now();
                    let res = client
                        .post(format!("{base}/api/auth/sign_in"))
                        .header("accept", "application/json")
                        .header("origin", base.as_str())
                        .header("x-forwarded-for", ip)
                        .form(&[
                            ("email", email.as_str()),
                            ("password", "Wrong-password-1234"),
                        ])
                        .send()
                        .await;
                    let status = res.map(|r| r.status().as_u16()).unwrap_or(0);
                    latencies.lock().unwrap().push(t.elapsed());
                    *statuses.lock().unwrap().entry(status).or_default() += 1;
                }
            })
        })
        .collect();
    for t in tasks {
        t.await.expect("worker");
    }
    let elapsed = started.elapsed().as_secs_f64();
    let statuses = statuses.lock().unwrap().clone();
    let mut lat = latencies.lock().unwrap().clone();
    lat.sort();
    let total: u64 = statuses.values().sum();
    let pct = |p: f64| {
        lat.get(((lat.len() as f64 * p) as usize).min(lat.len().saturating_sub(1)))
            .map(|d| d.as_millis())
            .unwrap_or(0)
    };
    let errors: u64 = statuses
        .iter()
        .filter(|(s, _)| **s == 0 || **s >= 500)
        .map(|(_, n)| n)
        .sum();
    let by_status = statuses
        .iter()
        .map(|(s, n)| format!("{s}: {n}"))
        .collect::<Vec<_>>()
        .join(", ");
    println!(
        "| {mode}, {conc} concurrent, {secs} s | {:.1} | {} | {} | {} | {by_status} |",
        total as f64 / elapsed,
        pct(0.5),
        pct(0.99),
        errors
    );
}
