//! For `bench/run.sh`: what account security costs and what it leaves an attacker.
//! Measures argon2id hashing and verification and the password-strength check on this
//! machine, then derives the guessing ceilings that the named rate limits allow.
//! Prints a Markdown section.

use std::time::{Duration, Instant};

use app::{
    auth::{otp, password},
    ratelimit::{CODE_SEND_PER_ACCOUNT, SIGN_IN_PER_ACCOUNT, SIGN_IN_PER_IP},
};

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let t = Instant::now();
                std::hint::black_box(f());
                t.elapsed()
            })
            .collect(),
    )
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1000.0)
}

fn main() {
    let runs = 21;
    let pw = "copper kettle orbits tuesday";
    let stored = password::hash(pw).expect("hash");
    let hash = time(runs, || password::hash(pw).unwrap());
    let verify = time(runs, || password::verify(pw, &stored));
    let dummy = time(runs, || password::verify_dummy(pw));
    let policy = time(runs, || {
        password::check_policy(pw, &["ada@example.org", "Ada Lovelace"])
    });
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let per_sec = cores as f64 / verify.as_secs_f64();

    let per_ip_hour = SIGN_IN_PER_IP.max as f64 * 3600.0 / SIGN_IN_PER_IP.window_secs as f64;
    let per_account_hour =
        SIGN_IN_PER_ACCOUNT.max as f64 * 3600.0 / SIGN_IN_PER_ACCOUNT.window_secs as f64;
    let code_space = 10f64.powi(otp::OTP_DIGITS as i32);
    let otp_tries_hour = (CODE_SEND_PER_ACCOUNT.max as u32 * otp::OTP_MAX_ATTEMPTS) as f64 * 3600.0
        / CODE_SEND_PER_ACCOUNT.window_secs as f64;
    let otp_day = 1.0 - (1.0 - 1.0 / code_space).powf(otp_tries_hour * 24.0);

    println!("## Account security ({cores} cores, median of {runs})\n");
    println!("| what | ms |\n|---|---|");
    println!(
        "| argon2id hash (m={} KiB, t={}, p={}) | {} |",
        password::ARGON2_MEMORY_KIB,
        password::ARGON2_ITERATIONS,
        password::ARGON2_LANES,
        ms(hash)
    );
    println!("| argon2id verify | {} |", ms(verify));
    println!(
        "| sign-in with an unknown address (dummy verify, same cost) | {} |",
        ms(dummy)
    );
    println!(
        "| password strength check (zxcvbn + own-details rule) | {} |",
        ms(policy)
    );
    println!();
    println!("| ceiling | value |\n|---|---|");
    println!("| password checks this machine can do per second (all cores) | {per_sec:.0} |");
    println!("| sign-in attempts per IP address per hour | {per_ip_hour:.0} |");
    println!("| sign-in attempts per account per hour (any number of addresses) | {per_account_hour:.0} |");
    println!(
        "| code guesses per account per hour ({} codes × {} tries) | {otp_tries_hour:.0} |",
        CODE_SEND_PER_ACCOUNT.max,
        otp::OTP_MAX_ATTEMPTS
    );
    println!(
        "| chance to guess a 6-digit code in 24 h of trying | {:.4} % |",
        otp_day * 100.0
    );
}
