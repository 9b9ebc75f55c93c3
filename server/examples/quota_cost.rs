//! For `bench/webhooks.sh`: what the quota check costs one request. Spends interviews on an
//! embedded SurrealKV database (migrated, in a temporary directory) through
//! `billing::service::spend`, as the interview-start server function does: the account row,
//! the plan, and the count-and-check transaction. Sequential (one request's latency) and with
//! 16 at once on different accounts, and at the limit (the refused path). Prints Markdown.

use std::time::{Duration, Instant};

use app::billing::{
    model::PlansFile,
    service::{spend, Billing, Payments},
    Meter,
};

fn pct(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("surrealkv://{}", dir.path().join("db").display());
    let db = app::db::connect(&url, &Default::default()).await.unwrap();
    let plans: PlansFile = toml::from_str(
        "[free]\ninterviews_per_month = 1000000\n[[plans]]\nid = 'pro'\nname = 'Pro'\nprice = 1200\ncurrency = 'usd'\nstripe_price = 'price_pro'\n",
    )
    .unwrap();
    let catalog = plans.into_catalog(true, false).unwrap();
    let p = Payments(Some(std::sync::Arc::new(Billing {
        catalog,
        stripe: None,
        razorpay: None,
    })));
    let now = 1_796_180_400;
    let n = 2_000;
    // Sequential: one account, within its limit.
    spend(&p, &db, "benchaccount00000000", Meter::Interviews, 1, now)
        .await
        .unwrap();
    let mut seq = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        spend(&p, &db, "benchaccount00000000", Meter::Interviews, 1, now)
            .await
            .unwrap();
        seq.push(t.elapsed());
    }
    // 16 accounts at once.
    let t0 = Instant::now();
    let mut tasks = Vec::new();
    for a in 0..16 {
        let (p, db) = (p.clone(), db.clone());
        tasks.push(tokio::spawn(async move {
            let uid = format!("benchaccount{a:08}");
            let mut v = Vec::new();
            for _ in 0..n / 16 {
                let t = Instant::now();
                spend(&p, &db, &uid, Meter::Interviews, 1, now)
                    .await
                    .unwrap();
                v.push(t.elapsed());
            }
            v
        }));
    }
    let mut par = Vec::new();
    for t in tasks {
        par.extend(t.await.unwrap());
    }
    let wall = t0.elapsed();
    // Without billing (the default): nothing is read or written.
    let off = Payments::default();
    let t = Instant::now();
    for _ in 0..n {
        spend(&off, &db, "benchaccount00000000", Meter::Interviews, 1, now)
            .await
            .unwrap();
    }
    let off_each = t.elapsed() / n as u32;
    println!("## Quota check (billing::service::spend, embedded SurrealKV, {n} spends)\n");
    println!("| what | p50 | p99 |");
    println!("|---|---|---|");
    println!(
        "| one request at a time | {} | {} |",
        ms(pct(seq.clone(), 0.5)),
        ms(pct(seq, 0.99))
    );
    println!(
        "| 16 accounts at once ({:.0} spends/s) | {} | {} |",
        par.len() as f64 / wall.as_secs_f64(),
        ms(pct(par.clone(), 0.5)),
        ms(pct(par, 0.99))
    );
    println!(
        "| billing off (no provider) | {:.4} ms | |",
        off_each.as_secs_f64() * 1000.0
    );
}
