//! Plans and payments against local servers that speak Stripe's and Razorpay's wire protocols
//! (`end2end/servers/stripe-server.mjs`, `razorpay-server.mjs`): the real async-stripe client
//! and Viva's Razorpay client over HTTP, webhooks signed with each provider's real scheme.

use crate::support;

use std::process::Stdio;
use std::time::Duration;

use support::{interview_id, json, post, Viva};
use tokio::process::{Child, Command};

/// A port that is free now and that the system is unlikely to hand out before it is used: the
/// servers here learn each other's ports before they start, so a port is chosen, let go, and
/// bound by another process seconds later. One from the system's ephemeral range (bind to 0,
/// Linux: 32768-60999) was once taken meanwhile, by another test's server or a connection's
/// source port ("Address already in use"); ports below that range are handed out only when
/// asked for by number.
fn free_port() -> u16 {
    loop {
        let port = rand::random_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A local provider server (node), stopped when dropped.
struct Provider {
    _child: Child,
    base: String,
}

impl Provider {
    async fn start(script: &str, env: &[(&str, String)]) -> Provider {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../end2end/servers/");
        let mut cmd = Command::new("node");
        cmd.arg(format!("{dir}{script}"))
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true);
        for (k, v) in env {
            cmd.env(k, v);
        }
        let port = env
            .iter()
            .find(|(k, _)| k.ends_with("_PORT"))
            .map(|(_, v)| v.clone())
            .unwrap();
        let mut child = cmd.spawn().expect("node (for the local payment provider)");
        let base = format!("http://127.0.0.1:{port}");
        for _ in 0..200 {
            // Gone: it could not listen (another test's server took the port in the meantime);
            // whatever answers there is not this provider.
            if let Ok(Some(status)) = child.try_wait() {
                panic!("{script} exited ({status}) before it answered on port {port}");
            }
            if let Ok(r) = reqwest::get(format!("{base}/healthz")).await {
                if r.status().is_success() {
                    return Provider {
                        _child: child,
                        base,
                    };
                }
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("{script} did not start");
    }

    async fn control(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let r = support::client()
            .post(format!("{}/__control/{path}", self.base))
            .header("content-type", "application/json")
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        let text = r.text().await.unwrap();
        serde_json::from_str(&text).unwrap_or(serde_json::Value::String(text))
    }

    async fn get(&self, path: &str) -> serde_json::Value {
        json(
            reqwest::get(format!("{}/__control/{path}", self.base))
                .await
                .unwrap(),
        )
        .await
    }
}

const PLANS: &str = r#"
grace_days = 3
[free]
interviews_per_month = 2
spoken_minutes_per_month = 1
[[plans]]
id = "pro"
name = "Pro"
price = 1200
currency = "usd"
stripe_price = "price_pro"
razorpay_plan = "plan_pro"
interviews_per_month = 30
hosted_ai = true
[referrals]
reward_interviews = 2
max_rewards_per_month = 1
"#;

struct Site {
    v: Viva,
    stripe: Provider,
    razorpay: Provider,
    _plans: tempfile::TempDir,
}

async fn site(plans: &str) -> Site {
    let port = free_port();
    let stripe_port = free_port();
    let rzp_port = free_port();
    let stripe = Provider::start(
        "stripe-server.mjs",
        &[
            ("STRIPE_PORT", stripe_port.to_string()),
            (
                "STRIPE_WEBHOOK_URL",
                format!("http://127.0.0.1:{port}/webhooks/stripe"),
            ),
        ],
    )
    .await;
    let razorpay = Provider::start(
        "razorpay-server.mjs",
        &[
            ("RAZORPAY_PORT", rzp_port.to_string()),
            (
                "RAZORPAY_WEBHOOK_URL",
                format!("http://127.0.0.1:{port}/webhooks/razorpay"),
            ),
        ],
    )
    .await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plans.toml");
    std::fs::write(&file, plans).unwrap();
    let addr = format!("127.0.0.1:{port}");
    let stripe_base = format!("{}/", stripe.base);
    let rzp_base = format!("{}/", razorpay.base);
    let rzp_js = format!("{}/v1/checkout.js", razorpay.base);
    let data = dir.path().join("data");
    let v = Viva::start_in(
        data.to_str().unwrap(),
        &[
            "--addr",
            &addr,
            "--plans",
            file.to_str().unwrap(),
            "--stripe-secret-key",
            "sk_test_viva",
            "--stripe-webhook-secret",
            "whsec_viva_test",
            "--stripe-api-base",
            &stripe_base,
            "--razorpay-key-id",
            "rzp_test_viva",
            "--razorpay-key-secret",
            "rzp_secret_viva",
            "--razorpay-webhook-secret",
            "rzp_whsec_viva",
            "--razorpay-api-base",
            &rzp_base,
            "--razorpay-checkout-js",
            &rzp_js,
        ],
    )
    .await;
    Site {
        v,
        stripe,
        razorpay,
        _plans: dir,
    }
}

/// The newest e-mail to `to` whose subject contains `needle` (waits up to 10 s).
async fn mail_about(v: &Viva, to: &str, needle: &str) -> support::smtp::Mail {
    for _ in 0..200 {
        if let Some(m) = v
            .mail
            .to(to)
            .into_iter()
            .rev()
            .find(|m| m.subject.contains(needle))
        {
            return m;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("no e-mail to {to} about {needle:?}");
}

async fn mine(v: &Viva, jar: &str) -> serde_json::Value {
    json(post(v, "/api/billing/mine", jar).send().await.unwrap()).await
}

async fn start(v: &Viva, jar: &str) -> reqwest::Response {
    post(v, "/api/interview/start", jar)
        .form(&[
            ("setup[role]", "nurse"),
            ("setup[difficulty]", "2"),
            ("setup[count]", "3"),
            ("setup[kinds][]", "behavioural"),
        ])
        .send()
        .await
        .unwrap()
}

/// Starts Stripe Checkout for Pro and pays on the local checkout page, as a browser would;
/// returns the checkout session id.
async fn pay_with_stripe(s: &Site, jar: &str) -> String {
    let r = json(
        post(&s.v, "/api/billing/checkout", jar)
            .form(&[("plan", "pro"), ("provider", "stripe")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let url = r["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_string();
    assert!(
        url.starts_with(&format!("{}/pay/cs_", s.stripe.base)),
        "{url}"
    );
    let cs = url.rsplit('/').next().unwrap().to_string();
    let res = support::client()
        .post(&url)
        .form(&[("email", "x@example.org")])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    let to = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.contains(&format!("/account/billing?checkout={cs}")),
        "{to}"
    );
    cs
}

#[tokio::test]
async fn with_no_provider_billing_is_off_and_nothing_is_limited() {
    let v = Viva::start(&[]).await;
    let jar = v.account("free@example.org", "Free").await;
    assert_eq!(
        json(post(&v, "/api/billing/on", "").send().await.unwrap()).await,
        false
    );
    assert!(mine(&v, &jar).await.is_null());
    for _ in 0..4 {
        let r = start(&v, &jar).await;
        assert!(
            r.status().is_success() || r.status().is_redirection(),
            "{}",
            r.status()
        );
    }
    let page = support::client()
        .get(v.url("/account/billing"))
        .header("cookie", &jar)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("no paid plans"), "{page}");
    let privacy = support::client()
        .get(v.url("/privacy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(privacy.contains("No payment provider is used"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_free_limit_holds_exactly_under_concurrent_starts() {
    let s = site(PLANS).await;
    let jar = s.v.account("ann@example.org", "Ann").await;
    let tries = (0..8).map(|_| start(&s.v, &jar));
    let answers = futures_util::future::join_all(tries).await;
    let mut ok = 0;
    for r in answers {
        match r.status().as_u16() {
            200..=399 => ok += 1,
            402 => {
                let e = json(r).await;
                assert_eq!(e["kind"], "quota_reached", "{e}");
                let m = e["message"].as_str().unwrap();
                assert!(
                    m.contains("all 2 interviews")
                        && m.contains("Free")
                        && m.contains("/account/billing"),
                    "{m}"
                );
            }
            other => panic!(
                "unexpected {other}: {}\n{}",
                r.text().await.unwrap(),
                errors(&s.v)
            ),
        }
    }
    assert_eq!(ok, 2, "exactly the plan's 2 interviews start");
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["plan_id"], "free");
    assert_eq!(b["meters"][0]["used"], 2, "{b}");
    assert_eq!(b["meters"][0]["limit"], 2);
    // The notice names the payment providers.
    let privacy = support::client()
        .get(s.v.url("/privacy"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        privacy.contains("Stripe (127.0.0.1)") && privacy.contains("Razorpay (127.0.0.1)"),
        "the notice names the providers"
    );
}

#[tokio::test]
async fn stripe_checkout_raises_the_limit_and_a_portal_cancel_ends_it_at_period_end() {
    let s = site(PLANS).await;
    let jar = s.v.account("bo@example.org", "Bo").await;
    let mark = s.v.mail_mark();
    let cs = pay_with_stripe(&s, &jar).await;
    // The webhooks arrived before the redirect: the plan is Pro at once.
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["plan_id"], "pro", "{b}");
    assert_eq!(b["source"], "stripe");
    assert_eq!(b["meters"][0]["limit"], 30);
    assert_eq!(b["manage"], "stripe");
    let inv = &b["invoices"][0];
    assert_eq!(inv["amount"], "$12.00", "{b}");
    assert!(inv["url"].as_str().unwrap().starts_with(&s.stripe.base));
    // Returning to the billing page confirms the same session again: no change.
    let again = json(
        post(&s.v, "/api/billing/confirm", &jar)
            .form(&[("session", cs.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(again, true);
    // Someone else cannot confirm it.
    let eve = s.v.account("eve@example.org", "Eve").await;
    let r = post(&s.v, "/api/billing/confirm", &eve)
        .form(&[("session", cs.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    // A receipt went out through the outbox.
    let _ = mark;
    let receipt = mail_about(&s.v, "bo@example.org", "receipt").await;
    assert!(receipt.text.contains("$12.00"), "{}", receipt.text);
    for _ in 0..3 {
        assert!(start(&s.v, &jar).await.status().is_success());
    }

    // The Customer Portal: cancel at period end.
    let portal = json(
        post(&s.v, "/api/billing/portal", &jar)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let url = portal["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{portal}"))
        .to_string();
    assert!(url.starts_with(&format!("{}/portal/", s.stripe.base)));
    let page = reqwest::get(&url).await.unwrap().text().await.unwrap();
    assert!(page.contains("Cancel plan"), "{page}");
    let subs = s.stripe.get("subscriptions").await;
    let sub = subs.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let r = support::client()
        .post(&url)
        .form(&[("subscription", sub.as_str()), ("action", "cancel")])
        .send()
        .await
        .unwrap();
    assert!(
        r.status().is_success() || r.status().is_redirection(),
        "{}",
        r.status()
    );
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["plan_id"], "pro");
    assert_eq!(b["cancel_at_period_end"], true, "{b}");
    // The period ends: back to the free plan.
    s.stripe
        .control("advance", serde_json::json!({ "subscription": sub }))
        .await;
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["plan_id"], "free", "{b}");
    assert_eq!(
        start(&s.v, &jar).await.status(),
        402,
        "4 used of the free 2"
    );
}

#[tokio::test]
async fn forged_stale_unsigned_malformed_replayed_and_unknown_webhooks() {
    let s = site(PLANS).await;
    let jar = s.v.account("cy@example.org", "Cy").await;
    pay_with_stripe(&s, &jar).await;
    let subs = s.stripe.get("subscriptions").await;
    let sub = subs.as_array().unwrap()[0].clone();
    let send = |body: serde_json::Value| s.stripe.control("send", body);
    let forged = send(
        serde_json::json!({"type": "customer.subscription.deleted", "object": sub, "sign": "bad"}),
    )
    .await;
    assert_eq!(forged["status"], 400, "{forged}");
    let stale = send(serde_json::json!({"type": "customer.subscription.deleted", "object": sub, "t_offset": -400})).await;
    assert_eq!(stale["status"], 400, "{stale}");
    let unsigned = send(
        serde_json::json!({"type": "customer.subscription.deleted", "object": sub, "sign": "none"}),
    )
    .await;
    assert_eq!(unsigned["status"], 400, "{unsigned}");
    assert_eq!(
        mine(&s.v, &jar).await["plan_id"],
        "pro",
        "no refused event changed anything"
    );
    // Malformed: validly signed, not an event.
    let body = "{\"not\":\"an event\"}";
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let sig = hmac_hex("whsec_viva_test", format!("{t}.{body}").as_bytes());
    let r = support::client()
        .post(s.v.url("/webhooks/stripe"))
        .header("stripe-signature", format!("t={t},v1={sig}"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // Kinds Viva does not act on: recorded, 200, nothing changes (also when the object is not
    // one async-stripe can read).
    let unknown = send(serde_json::json!({"type": "product.created", "object": {"id": "prod_x", "object": "product"}})).await;
    assert_eq!(unknown["status"], 200, "{unknown}");
    let unknown = send(serde_json::json!({"type": "viva.not_a_stripe_event", "object": {"id": "x_1", "object": "thing"}})).await;
    assert_eq!(unknown["status"], 200, "{unknown}");
    assert_eq!(mine(&s.v, &jar).await["plan_id"], "pro");
    // A duplicate: 200 and nothing changes (the replay of the checkout completion).
    let deliveries = s.stripe.get("deliveries").await;
    let first = deliveries
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["type"] == "checkout.session.completed")
        .unwrap()["event"]
        .as_str()
        .unwrap()
        .to_string();
    let replay = s
        .stripe
        .control("replay", serde_json::json!({ "id": first }))
        .await;
    assert_eq!(replay["status"], 200, "{replay}");
    assert!(
        replay["body"]
            .as_str()
            .unwrap_or_default()
            .contains("\"duplicate\":true"),
        "{replay}"
    );
}

#[tokio::test]
async fn events_out_of_order_end_in_stripes_state() {
    let s = site(PLANS).await;
    let jar = s.v.account("di@example.org", "Di").await;
    s.stripe
        .control("hold", serde_json::json!({ "on": true }))
        .await;
    pay_with_stripe(&s, &jar).await;
    // Nothing arrived yet; deliver the held events newest first.
    s.stripe
        .control("hold", serde_json::json!({ "on": false }))
        .await;
    let flushed = s
        .stripe
        .control("flush", serde_json::json!({ "order": "reverse" }))
        .await;
    assert!(flushed.to_string().contains("200"), "{flushed}");
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["plan_id"], "pro", "{b}");
    assert_eq!(b["status"], "active");
}

#[tokio::test]
async fn a_provider_that_is_down_gets_a_clear_503_and_nothing_is_stored() {
    let s = site(PLANS).await;
    let jar = s.v.account("ed@example.org", "Ed").await;
    s.stripe
        .control("down", serde_json::json!({ "on": true }))
        .await;
    let r = post(&s.v, "/api/billing/checkout", &jar)
        .form(&[("plan", "pro"), ("provider", "stripe")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 503);
    let e = json(r).await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("nothing was changed"),
        "{e}"
    );
    assert_eq!(mine(&s.v, &jar).await["plan_id"], "free");
    // An unknown plan is the person's mistake: 400.
    s.stripe
        .control("down", serde_json::json!({ "on": false }))
        .await;
    let r = post(&s.v, "/api/billing/checkout", &jar)
        .form(&[("plan", "gold"), ("provider", "stripe")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
}

#[tokio::test]
async fn a_failed_renewal_keeps_the_plan_through_the_grace_period_then_the_free_plan() {
    let s = site(PLANS).await;
    let jar = s.v.account("fay@example.org", "Fay").await;
    pay_with_stripe(&s, &jar).await;
    let mark = s.v.mail_mark();
    let subs = s.stripe.get("subscriptions").await;
    let sub = subs.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.stripe
        .control("fail", serde_json::json!({ "subscription": sub }))
        .await;
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["plan_id"], "pro", "{b}");
    assert_eq!(b["status"], "past_due");
    assert!(b["grace_until"].as_i64().is_some());
    let _ = mark;
    let mail = mail_about(&s.v, "fay@example.org", "did not go through").await;
    assert!(mail.text.contains("keeps working until"), "{}", mail.text);
    // Grace is 3 days: after it, the free plan.
    s.v.advance(4 * 86_400).await;
    assert_eq!(mine(&s.v, &jar).await["plan_id"], "free");
}

#[tokio::test]
async fn referrals_reward_both_once_within_the_monthly_cap_and_never_oneself() {
    let s = site(PLANS).await;
    let ann = s.v.account("ann@example.org", "Ann").await;
    let r = json(
        post(&s.v, "/api/billing/referrals", &ann)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let code = r["code"].as_str().unwrap().to_string();
    assert_eq!(code.len(), 10);
    assert!(r["link"]
        .as_str()
        .unwrap()
        .ends_with(&format!("/signup?ref={code}")));
    // The public check answers, within its limit.
    let ok = json(
        post(&s.v, "/api/billing/referral_check", "")
            .form(&[("code", code.as_str())])
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(ok, true);

    // Bea joins with Ann's code and finishes an interview: both get 2 bonus interviews.
    let bea = joined(&s.v, "bea@example.org", &code).await;
    finish_one(&s.v, &bea).await;
    assert_eq!(mine(&s.v, &bea).await["bonus_interviews"], 2);
    assert_eq!(mine(&s.v, &ann).await["bonus_interviews"], 2);
    // Finishing another changes nothing (one reward per referred account).
    finish_one(&s.v, &bea).await;
    assert_eq!(mine(&s.v, &ann).await["bonus_interviews"], 2);
    // Bonus interviews are spent once the plan's run out: Bea has 2 + 2.
    let r = start(&s.v, &bea).await;
    assert!(
        r.status().is_success(),
        "the 3rd interview uses a bonus one: {}",
        r.status()
    );
    // Cal joins too, but the cap (1 a month) is reached: noted, not rewarded.
    let cal = joined(&s.v, "cal@example.org", &code).await;
    finish_one(&s.v, &cal).await;
    assert_eq!(mine(&s.v, &cal).await["bonus_interviews"], 0);
    let r = json(
        post(&s.v, "/api/billing/referrals", &ann)
            .send()
            .await
            .unwrap(),
    )
    .await;
    let rows = r["referred"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().any(|x| x["reason"] == "monthly cap"), "{r}");
    // Dan uses his own code (made after sign-up, typed again): a second account of the same
    // Gmail mailbox is refused as self-referral.
    let dan = s.v.account("dan.lee@gmail.com", "Dan").await;
    let dcode = json(
        post(&s.v, "/api/billing/referrals", &dan)
            .send()
            .await
            .unwrap(),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let dan2 = joined(&s.v, "danlee+2@gmail.com", &dcode).await;
    finish_one(&s.v, &dan2).await;
    assert_eq!(mine(&s.v, &dan).await["bonus_interviews"], 0);
    let r = json(
        post(&s.v, "/api/billing/referrals", &dan)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["referred"][0]["reason"], "same mailbox", "{r}");
}

async fn joined(v: &Viva, email: &str, code: &str) -> String {
    let mark = v.mail_mark();
    let res = post(v, "/api/auth/sign_up", "")
        .form(&[
            ("form[name]", "Friend"),
            ("form[email]", email),
            ("form[password]", support::PW),
            ("form[job_role]", "Nurse"),
            ("form[experience]", "mid"),
            ("form[age_confirmed]", "on"),
            ("form[accept_terms]", "on"),
            ("form[referral_code]", code),
        ])
        .send()
        .await
        .unwrap();
    assert!(support::ok(&res), "{}", res.status());
    let c = v.code_for(email, mark).await;
    let res = post(v, "/api/auth/verify_email", "")
        .form(&[("email", email), ("code", c.as_str())])
        .send()
        .await
        .unwrap();
    assert!(support::ok(&res));
    v.sign_in(email).await
}

const ANSWER: &str = "At my last job our clinic's discharge letters took four days to reach GPs, which led to repeat admissions. \
    I was responsible for the discharge process, so my goal was to get letters out within 24 hours. I mapped every step with the ward team, \
    found that 60% of the delay was waiting for a consultant signature, and I set up a template that registrars could sign. \
    As a result letters went out in under a day for 95% of patients within two months, and readmissions fell by 12%. I learned to measure first.";

async fn finish_one(v: &Viva, jar: &str) {
    let id = interview_id(start(v, jar).await).await;
    let r = post(v, "/api/interview/answer", jar)
        .form(&[("id", id.as_str()), ("position", "0"), ("answer", ANSWER)])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    let r = post(v, "/api/interview/finish", jar)
        .form(&[("id", id.as_str())])
        .send()
        .await
        .unwrap();
    assert!(support::ok(&r), "{}", r.status());
}

#[tokio::test]
async fn deleting_the_account_ends_the_subscription_and_keeps_the_books_without_the_person() {
    let s = site(PLANS).await;
    let jar = s.v.account("gil@example.org", "Gil").await;
    pay_with_stripe(&s, &jar).await;
    mail_about(&s.v, "gil@example.org", "receipt").await;
    let mark = s.v.mail_mark();
    let r = post(&s.v, "/api/privacy/start_deletion", &jar)
        .send()
        .await
        .unwrap();
    assert!(support::ok(&r), "{}", r.status());
    let code = s.v.code_for("gil@example.org", mark).await;
    let r = post(&s.v, "/api/privacy/delete_account", &jar)
        .form(&[("code", code.as_str()), ("password", support::PW)])
        .send()
        .await
        .unwrap();
    assert!(
        support::ok(&r),
        "{}: {}\n{}",
        r.status(),
        r.text().await.unwrap(),
        errors(&s.v)
    );
    let calls = s.stripe.get("requests").await.to_string();
    assert!(
        calls.contains("DELETE") && calls.contains("/v1/subscriptions/sub_"),
        "{calls}"
    );
    assert!(calls.contains("/v1/customers/cus_"), "{calls}");
    // The provider's late webhook about the ended subscription makes nothing again.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let Site { v, _plans: dir, .. } = s;
    v.stop().await;
    let dump = support::dump(&dir.path().join("data")).await;
    assert!(!dump.contains("gil@example.org"), "{dump}");
    assert!(
        dump.contains("billing_account: []") && dump.contains("referral_code: []"),
        "{dump}"
    );
    assert!(
        dump.contains("\"amount\":1200") || dump.contains("amount: 1200"),
        "the payment stays for the books"
    );
}

#[tokio::test]
async fn razorpay_checkout_return_and_webhooks_drive_the_plan() {
    let s = site(PLANS).await;
    let jar = s.v.account("hal@example.org", "Hal").await;
    let r = json(
        post(&s.v, "/api/billing/checkout", &jar)
            .form(&[("plan", "pro"), ("provider", "razorpay")])
            .send()
            .await
            .unwrap(),
    )
    .await;
    let url = r["url"]
        .as_str()
        .unwrap_or_else(|| panic!("{r}"))
        .to_string();
    assert!(
        url.contains("/account/billing/razorpay?subscription=sub_"),
        "{url}"
    );
    let sub = url
        .split("subscription=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap()
        .to_string();
    // The payment page loads Razorpay's script, allowed by its CSP.
    let res = support::client()
        .get(&url)
        .header("cookie", &jar)
        .send()
        .await
        .unwrap();
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(csp.contains(&s.razorpay.base), "{csp}");
    // A forged return is refused.
    let bad = support::client()
        .post(s.v.url("/billing/razorpay/return"))
        .header("origin", &s.razorpay.base)
        .form(&[
            ("razorpay_payment_id", "pay_x"),
            ("razorpay_subscription_id", sub.as_str()),
            ("razorpay_signature", "00"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 400);
    // Pay on the local checkout: webhooks, then the signed return.
    let pay = support::client()
        .post(format!("{}/pay", s.razorpay.base))
        .form(&[
            ("subscription_id", sub.as_str()),
            ("callback_url", s.v.url("/billing/razorpay/return").as_str()),
            ("email", "hal@example.org"),
            ("action", "pay"),
        ])
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let field = |name: &str| {
        let i = pay
            .find(&format!("name=\"{name}\""))
            .unwrap_or_else(|| panic!("{name} in {pay}"));
        let v = &pay[i..];
        let j = v.find("value=\"").unwrap() + 7;
        v[j..j + v[j..].find('"').unwrap()].to_string()
    };
    let (pid, sig) = (field("razorpay_payment_id"), field("razorpay_signature"));
    let ret = support::client()
        .post(s.v.url("/billing/razorpay/return"))
        .header("origin", &s.razorpay.base)
        .form(&[
            ("razorpay_payment_id", pid.as_str()),
            ("razorpay_subscription_id", sub.as_str()),
            ("razorpay_signature", sig.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(ret.status(), 200);
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["plan_id"], "pro", "{b}");
    assert_eq!(b["source"], "razorpay");
    assert_eq!(b["manage"], "razorpay");
    // A forged webhook is refused; a replay of a real one changes nothing.
    let forged = s.razorpay.control("send", serde_json::json!({"event": "subscription.halted", "subscription_id": sub, "sign": "bad"})).await;
    assert_eq!(forged["status"], 400, "{forged}");
    let d = s.razorpay.get("deliveries").await;
    let first = d.as_array().unwrap()[0]["event_id"]
        .as_str()
        .unwrap()
        .to_string();
    let replay = s
        .razorpay
        .control("replay", serde_json::json!({ "id": first }))
        .await;
    assert_eq!(replay["status"], 200, "{replay}");
    // Halted (retries exhausted): the free plan.
    s.razorpay
        .control("halt", serde_json::json!({ "subscription_id": sub }))
        .await;
    assert_eq!(mine(&s.v, &jar).await["plan_id"], "free");
}

fn errors(v: &Viva) -> String {
    v.log_lines()
        .into_iter()
        .filter(|l| l.contains("ERROR") || l.contains("WARN"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn hmac_hex(key: &str, msg: &[u8]) -> String {
    use hmac::{Hmac, Mac};
    let mut m = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    m.update(msg);
    m.finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[tokio::test]
async fn spoken_minutes_are_counted_and_a_segment_past_the_limit_is_refused_and_not_stored() {
    let s = site(PLANS).await;
    let jar = s.v.account("ivy@example.org", "Ivy").await;
    let id = support::voice_interview(&s.v, &jar).await;
    // The free plan has 1 spoken minute: 40 s fit, 30 s more do not.
    let first = voice::wav::encode_i16(16_000, &vec![0i16; 16_000 * 40]);
    let r = support::upload(&s.v, &jar, &id, 0, 0.0, 40.0, &first).await;
    assert!(r.status().is_success(), "{}", r.status());
    let second = voice::wav::encode_i16(16_000, &vec![0i16; 16_000 * 30]);
    let r = support::upload(&s.v, &jar, &id, 1, 41.0, 71.0, &second).await;
    assert_eq!(r.status(), 402);
    let e = json(r).await;
    assert!(
        e["message"]
            .as_str()
            .unwrap()
            .contains("all 1 spoken minutes"),
        "{e}"
    );
    let b = mine(&s.v, &jar).await;
    assert_eq!(b["meters"][1]["used"], 1, "40 s shown as 1 minute: {b}");
    // The refused segment was not stored: the same upload after an upgrade is new, not a duplicate.
    pay_with_stripe(&s, &jar).await;
    let r = support::upload(&s.v, &jar, &id, 1, 41.0, 71.0, &second).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(json(r).await["duplicate"], false);
}

#[tokio::test]
async fn a_reward_for_paying_is_taken_back_when_the_payment_is_refunded() {
    let plans = PLANS.replace(
        "max_rewards_per_month = 1",
        "max_rewards_per_month = 1\nreward_when = \"first_payment\"",
    );
    let s = site(&plans).await;
    let ann = s.v.account("ann@example.org", "Ann").await;
    let code = json(
        post(&s.v, "/api/billing/referrals", &ann)
            .send()
            .await
            .unwrap(),
    )
    .await["code"]
        .as_str()
        .unwrap()
        .to_string();
    let bea = joined(&s.v, "bea@example.org", &code).await;
    // A finished interview earns nothing when the reward is for paying.
    finish_one(&s.v, &bea).await;
    assert_eq!(mine(&s.v, &ann).await["bonus_interviews"], 0);
    pay_with_stripe(&s, &bea).await;
    assert_eq!(mine(&s.v, &ann).await["bonus_interviews"], 2);
    assert_eq!(mine(&s.v, &bea).await["bonus_interviews"], 2);
    let subs = s.stripe.get("subscriptions").await;
    let sub = subs.as_array().unwrap()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    s.stripe
        .control("refund", serde_json::json!({ "subscription": sub }))
        .await;
    assert_eq!(mine(&s.v, &ann).await["bonus_interviews"], 0);
    assert_eq!(mine(&s.v, &bea).await["bonus_interviews"], 0);
    let r = json(
        post(&s.v, "/api/billing/referrals", &ann)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r["referred"][0]["status"], "reversed", "{r}");
}
