//! Razorpay: plans → subscriptions → Standard Checkout with `subscription_id`. A small client
//! of Viva's own on the shared HTTP client (the `razorpay-api` crate is young, and four calls
//! and two HMAC checks do not need it). Webhooks are verified as hex HMAC-SHA256 of the raw
//! body (no timestamp: each event id is processed once); the checkout's return is verified as
//! HMAC-SHA256 of `payment_id|subscription_id` with the key secret.

use serde_json::Value;

use super::stripe::{Handled, Refused};
use super::{Billing, Observed, Paid};
use crate::billing::model::*;
use crate::billing::types::InvoiceView;
use crate::db::Db;
use crate::secret::Secret;
use crate::AppError;

/// Seconds one request to Razorpay may take.
pub const RAZORPAY_TIMEOUT_SECS: u64 = 20;
/// Billing cycles a subscription is created for (Razorpay needs a count; 10 years monthly).
pub const TOTAL_COUNT: u32 = 120;

pub struct RazorpayConf {
    pub key_id: String,
    pub key_secret: Secret,
    pub webhook_secret: Secret,
    /// `https://api.razorpay.com/` or a local server in tests.
    pub base: String,
    /// The Standard Checkout script the payment page loads.
    pub checkout_js: String,
}

// The signatures: their own file (hmac, sha2, subtle only), so the fuzz targets (fuzz/) compile
// the same code.
mod signature;
pub use signature::{sign, signature_matches};

fn unavailable(what: &str, detail: impl std::fmt::Display) -> AppError {
    tracing::warn!(error = %detail, "Razorpay did not {what}");
    AppError::Unavailable(format!("The payment provider could not {what} just now, so nothing was changed. Please try again in a few minutes."))
}

async fn call(
    conf: &RazorpayConf,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
    what: &str,
) -> Result<Value, AppError> {
    let client = crate::outbound::client().map_err(|e| unavailable(what, e))?;
    let url = format!("{}{}", conf.base, path.trim_start_matches('/'));
    let mut req = client
        .request(method, &url)
        .basic_auth(&conf.key_id, Some(conf.key_secret.expose()))
        .timeout(std::time::Duration::from_secs(RAZORPAY_TIMEOUT_SECS));
    if let Some(b) = body {
        req = req
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(b.to_string());
    }
    let res = req.send().await.map_err(|e| unavailable(what, e))?;
    let status = res.status();
    let bytes = res.bytes().await.map_err(|e| unavailable(what, e))?;
    let v: Value = serde_json::from_slice(&bytes).map_err(|e| unavailable(what, e))?;
    if !status.is_success() {
        let d = v
            .pointer("/error/description")
            .and_then(Value::as_str)
            .unwrap_or("no description");
        return Err(unavailable(what, format!("{status}: {d}")));
    }
    Ok(v)
}

/// Creates a subscription to `plan` for `uid`; its id goes to Standard Checkout.
pub async fn create_subscription(
    conf: &RazorpayConf,
    plan: &Plan,
    uid: &str,
) -> Result<String, AppError> {
    let Some(rp) = &plan.razorpay_plan else {
        return Err(AppError::BadRequest(format!(
            "The {} plan is not sold through Razorpay here.",
            plan.name
        )));
    };
    let v = call(
        conf,
        reqwest::Method::POST,
        "v1/subscriptions",
        Some(serde_json::json!({
            "plan_id": rp,
            "total_count": TOTAL_COUNT,
            "quantity": 1,
            "customer_notify": 1,
            "notes": { "user": uid, "plan": plan.id },
        })),
        "start the checkout",
    )
    .await?;
    v.get("id")
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| AppError::internal("razorpay subscription", "an answer without an id"))
}

fn observed(b: &Billing, s: &Value) -> Option<Observed> {
    let id = s.get("id")?.as_str()?.to_string();
    let rp = s.get("plan_id").and_then(Value::as_str);
    let plan = rp.and_then(|rp| {
        b.catalog
            .paid()
            .find(|p| p.razorpay_plan.as_deref() == Some(rp))
            .map(|p| p.id.clone())
    });
    let status = match s.get("status").and_then(Value::as_str).unwrap_or("") {
        "active" => SubStatus::Active,
        "pending" => SubStatus::PastDue,
        "halted" | "cancelled" | "completed" | "expired" => SubStatus::Canceled,
        _ => SubStatus::Incomplete,
    };
    let int = |k: &str| s.get(k).and_then(Value::as_i64);
    let cancelling = s
        .get("cancel_at_cycle_end")
        .and_then(|v| v.as_bool().or(v.as_i64().map(|n| n != 0)))
        .unwrap_or(false)
        || (status == SubStatus::Active
            && s.get("has_scheduled_changes")
                .and_then(Value::as_bool)
                .unwrap_or(false));
    Some(Observed {
        provider: Provider::Razorpay,
        subscription: id,
        customer: s
            .get("customer_id")
            .and_then(Value::as_str)
            .map(str::to_string),
        user: s
            .pointer("/notes/user")
            .and_then(Value::as_str)
            .map(str::to_string),
        plan,
        status,
        period_start: int("current_start"),
        // A halted subscription ends now; a cancelled one at the end of what was paid for.
        period_end: if s.get("status").and_then(Value::as_str) == Some("halted") {
            int("current_start")
        } else {
            int("current_end").or(int("ended_at"))
        },
        cancel_at_period_end: cancelling,
    })
}

/// The subscription as Razorpay holds it now.
pub async fn observe(conf: &RazorpayConf, b: &Billing, sub: &str) -> Result<Observed, AppError> {
    check_ref(sub, "sub_")?;
    let v = call(
        conf,
        reqwest::Method::GET,
        &format!("v1/subscriptions/{sub}"),
        None,
        "read the subscription",
    )
    .await?;
    observed(b, &v)
        .ok_or_else(|| AppError::internal("razorpay subscription", "an answer without an id"))
}

fn check_ref(s: &str, prefix: &str) -> Result<(), AppError> {
    if s.starts_with(prefix)
        && s.len() <= 64
        && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        Ok(())
    } else {
        Err(AppError::BadRequest(format!(
            "That is not a Razorpay {prefix}… id."
        )))
    }
}

/// The return from Standard Checkout: verified with the key secret, then the subscription is
/// read from Razorpay and applied. Returns the account it belongs to.
pub async fn confirm(
    conf: &RazorpayConf,
    b: &Billing,
    db: &Db,
    payment: &str,
    sub: &str,
    signature: &str,
    now: i64,
) -> Result<String, AppError> {
    check_ref(payment, "pay_")?;
    check_ref(sub, "sub_")?;
    if !signature_matches(
        conf.key_secret.expose(),
        format!("{payment}|{sub}").as_bytes(),
        signature,
    ) {
        tracing::warn!(subscription = %sub, "a Razorpay checkout return with a wrong signature refused");
        return Err(AppError::BadRequest("The payment confirmation could not be verified. If you paid, your plan changes as soon as Razorpay tells us.".into()));
    }
    let o = observe(conf, b, sub).await?;
    let Some(uid) = o.user.clone() else {
        return Err(AppError::BadRequest(
            "That subscription was not started on this site.".into(),
        ));
    };
    super::apply(db, b, None, &o, now).await?;
    Ok(uid)
}

/// Cancels at Razorpay: at the end of the paid cycle (a person's choice) or now (deletion).
pub async fn cancel(conf: &RazorpayConf, sub: &str, at_cycle_end: bool) -> Result<(), AppError> {
    check_ref(sub, "sub_")?;
    call(
        conf,
        reqwest::Method::POST,
        &format!("v1/subscriptions/{sub}/cancel"),
        Some(serde_json::json!({ "cancel_at_cycle_end": if at_cycle_end { 1 } else { 0 } })),
        "cancel the subscription",
    )
    .await?;
    Ok(())
}

/// The subscription's invoices, newest first.
pub async fn invoices(conf: &RazorpayConf, sub: &str) -> Result<Vec<InvoiceView>, AppError> {
    check_ref(sub, "sub_")?;
    let v = call(
        conf,
        reqwest::Method::GET,
        &format!("v1/invoices?subscription_id={sub}"),
        None,
        "list the invoices",
    )
    .await?;
    let mut out: Vec<InvoiceView> = v
        .get("items")
        .and_then(Value::as_array)
        .map(|items| {
            items
                .iter()
                .map(|i| InvoiceView {
                    number: i
                        .get("id")
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_string(),
                    at: i
                        .get("date")
                        .or(i.get("created_at"))
                        .and_then(Value::as_i64)
                        .unwrap_or(0),
                    amount: money(
                        i.get("amount_paid")
                            .or(i.get("amount"))
                            .and_then(Value::as_i64)
                            .unwrap_or(0),
                        i.get("currency").and_then(Value::as_str).unwrap_or("inr"),
                    ),
                    status: i
                        .get("status")
                        .and_then(Value::as_str)
                        .unwrap_or("issued")
                        .to_string(),
                    url: i
                        .get("short_url")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })
                .collect()
        })
        .unwrap_or_default();
    out.sort_by_key(|i| std::cmp::Reverse(i.at));
    Ok(out)
}

/// Verifies and processes one webhook delivery. Razorpay signs no time, so a replay is caught
/// by its event id (`X-Razorpay-Event-Id`, else the payload's own id fields).
/// One webhook delivery as it arrived: the raw body and the two headers that matter.
pub struct Delivery<'a> {
    pub body: &'a [u8],
    /// `X-Razorpay-Signature`.
    pub signature: Option<&'a str>,
    /// `X-Razorpay-Event-Id`.
    pub event_id: Option<&'a str>,
}

pub async fn webhook(
    conf: &RazorpayConf,
    b: &Billing,
    db: &Db,
    mailer: Option<&crate::mail::Mailer>,
    d: Delivery<'_>,
    now: i64,
) -> Result<Result<Handled, Refused>, AppError> {
    let Delivery {
        body,
        signature,
        event_id,
    } = d;
    let Some(sig) = signature else {
        return Ok(Err(Refused::NoSignature));
    };
    if !signature_matches(conf.webhook_secret.expose(), body, sig) {
        return Ok(Err(Refused::Forged));
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return Ok(Err(Refused::Malformed));
    };
    let Some(kind) = v.get("event").and_then(Value::as_str).map(str::to_string) else {
        return Ok(Err(Refused::Malformed));
    };
    let id = match event_id.filter(|e| !e.is_empty() && e.len() <= 128) {
        Some(e) => e.to_string(),
        None => {
            // No id header: the body's digest stands for the event.
            format!("body-{}", &sign("viva-razorpay-event", body)[..32])
        }
    };
    if super::seen(db, Provider::Razorpay, &id).await? {
        return Ok(Ok(Handled::Duplicate));
    }
    let ev = Some((id.as_str(), kind.as_str()));
    let sub = v.pointer("/payload/subscription/entity").cloned();
    let done = match kind.as_str() {
        "subscription.activated"
        | "subscription.charged"
        | "subscription.halted"
        | "subscription.cancelled"
        | "subscription.pending"
        | "subscription.completed"
        | "subscription.updated"
        | "subscription.resumed"
        | "subscription.paused" => {
            let Some(sid) = sub
                .as_ref()
                .and_then(|s| s.get("id"))
                .and_then(Value::as_str)
            else {
                return Ok(Err(Refused::Malformed));
            };
            // The state comes from Razorpay, not from the (possibly old) event.
            let o = observe(conf, b, sid).await?;
            let applied = super::apply(db, b, ev, &o, now).await?;
            if applied && kind == "subscription.charged" {
                if let Some(p) = v.pointer("/payload/payment/entity") {
                    let paid = Paid {
                        provider: Provider::Razorpay,
                        invoice: p
                            .get("invoice_id")
                            .and_then(Value::as_str)
                            .or(p.get("id").and_then(Value::as_str))
                            .unwrap_or(&id)
                            .to_string(),
                        subscription: Some(sid.to_string()),
                        customer: o.customer.clone(),
                        amount: p.get("amount").and_then(Value::as_i64).unwrap_or(0),
                        currency: p
                            .get("currency")
                            .and_then(Value::as_str)
                            .unwrap_or("INR")
                            .to_ascii_lowercase(),
                        status: "paid",
                        hosted_url: None,
                        at: p.get("created_at").and_then(Value::as_i64).unwrap_or(now),
                    };
                    // Its own event id, so the payment too is recorded once.
                    let pid = format!("{id}:payment");
                    super::record_payment(db, b, mailer, (&pid, "payment"), &paid, now).await?;
                }
            }
            applied
        }
        "refund.processed" | "refund.created" => {
            let customer = sub
                .as_ref()
                .and_then(|s| s.get("customer_id"))
                .and_then(Value::as_str);
            super::record_refund(db, b, (&id, &kind), Provider::Razorpay, None, customer, now)
                .await?
        }
        _ => {
            tracing::info!(event = %id, kind = %kind, "a Razorpay event Viva does not act on; recorded");
            super::record_only(db, Provider::Razorpay, ev, now).await?
        }
    };
    Ok(Ok(if done {
        Handled::Processed
    } else {
        Handled::Duplicate
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_are_hex_hmac_sha256_compared_whole() {
        // RFC 4231 test case 2.
        assert_eq!(
            sign("Jefe", b"what do ya want for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert!(signature_matches(
            "Jefe",
            b"what do ya want for nothing?",
            "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843"
        ));
        assert!(!signature_matches(
            "Jefe",
            b"what do ya want for nothing!",
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        ));
        assert!(!signature_matches(
            "Jefe",
            b"what do ya want for nothing?",
            "5bdcc146"
        ));
        assert!(check_ref("sub_ABC123", "sub_").is_ok());
        assert!(check_ref("sub_../x", "sub_").is_err());
        assert!(check_ref("pay_x", "sub_").is_err());
    }
}
