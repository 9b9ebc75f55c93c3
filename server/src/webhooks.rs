//! Payment providers' calls into Viva: plain axum routes, because an outside protocol decides
//! their shape. Each is authenticated by its signature (not by a session or an `Origin`), reads
//! the raw body, and answers 2xx only after the change is committed: a provider retries
//! anything else.

use app::billing::service::stripe::{Handled, Refused};
use app::AppError;
use axum::{
    body::Bytes,
    extract::State,
    http::{HeaderMap, StatusCode},
    response::{Html, IntoResponse, Response},
    Form, Json,
};

use crate::http::AppState;

/// Named limit: the largest webhook body read (Stripe's events are far smaller).
pub const WEBHOOK_MAX_BYTES: usize = 1024 * 1024;
pub const STRIPE_PATH: &str = "/webhooks/stripe";
pub const RAZORPAY_PATH: &str = "/webhooks/razorpay";
/// Where Razorpay's checkout posts its signed result (from Razorpay's page: no Origin check).
pub const RAZORPAY_RETURN_PATH: &str = "/billing/razorpay/return";

fn refused(provider: &str, why: Refused) -> Response {
    let msg = match why {
        Refused::NoSignature => "missing signature header",
        Refused::Forged => "signature does not match",
        Refused::Stale => "signed timestamp outside the 300 s tolerance",
        Refused::Malformed => "body is not a well-formed event",
    };
    tracing::warn!(provider, reason = msg, "webhook refused");
    (
        StatusCode::BAD_REQUEST,
        Json(serde_json::json!({ "error": msg })),
    )
        .into_response()
}

fn outcome(provider: &str, r: Result<Result<Handled, Refused>, AppError>) -> Response {
    match r {
        Ok(Ok(h)) => {
            Json(serde_json::json!({ "received": true, "duplicate": h == Handled::Duplicate }))
                .into_response()
        }
        Ok(Err(why)) => refused(provider, why),
        Err(AppError::BadRequest(m)) => {
            tracing::warn!(provider, reason = %m, "webhook refused");
            (
                StatusCode::BAD_REQUEST,
                Json(serde_json::json!({ "error": m })),
            )
                .into_response()
        }
        // The provider could not be asked for the state, or the database was busy: the
        // provider delivers again later.
        Err(e) => {
            tracing::warn!(provider, error = %e, "webhook not processed; the provider will retry");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "error": "try again later" })),
            )
                .into_response()
        }
    }
}

pub async fn stripe(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(b) = s.ctx.payments.on() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(conf) = &b.stripe else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sig = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok());
    let now = s.ctx.clock.now();
    let r = app::billing::service::stripe::webhook(
        conf,
        b,
        &s.ctx.db,
        Some(&s.ctx.mailer),
        &body,
        sig,
        now,
    )
    .await;
    outcome("stripe", r)
}

pub async fn razorpay(State(s): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(b) = s.ctx.payments.on() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(conf) = &b.razorpay else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let sig = headers
        .get("x-razorpay-signature")
        .and_then(|v| v.to_str().ok());
    let id = headers
        .get("x-razorpay-event-id")
        .and_then(|v| v.to_str().ok());
    let now = s.ctx.clock.now();
    let r = app::billing::service::razorpay::webhook(
        conf,
        b,
        &s.ctx.db,
        Some(&s.ctx.mailer),
        app::billing::service::razorpay::Delivery {
            body: &body,
            signature: sig,
            event_id: id,
        },
        now,
    )
    .await;
    outcome("razorpay", r)
}

#[derive(serde::Deserialize)]
pub struct RazorpayReturn {
    razorpay_payment_id: String,
    razorpay_subscription_id: String,
    razorpay_signature: String,
}

fn page(status: StatusCode, title: &str, body: &str, refresh: Option<&str>) -> Response {
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let meta = refresh
        .map(|to| {
            format!(
                "<meta http-equiv=\"refresh\" content=\"0;url={}\">",
                esc(to)
            )
        })
        .unwrap_or_default();
    let html = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">{meta}<title>{}</title>\
         <link rel=\"stylesheet\" href=\"/pkg/viva.css\"></head><body><main class=\"card\"><h1>{}</h1><p>{}</p>\
         <p><a href=\"/account/billing\">Go to Plans and billing</a></p></main></body></html>",
        esc(title), esc(title), esc(body)
    );
    (status, Html(html)).into_response()
}

/// Razorpay's checkout posts here after payment. The signature (HMAC of `payment|subscription`
/// with the key secret) proves it; the subscription is then read from Razorpay and applied.
/// The session cookie does not come with this cross-site post, so the answer is a small page
/// that moves on to the billing page (a same-site navigation, signed in again).
pub async fn razorpay_return(
    State(s): State<AppState>,
    form: Result<Form<RazorpayReturn>, axum::extract::rejection::FormRejection>,
) -> Response {
    let Some(b) = s.ctx.payments.on() else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Some(conf) = &b.razorpay else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let Ok(Form(f)) = form else {
        return page(StatusCode::BAD_REQUEST, "Payment not confirmed", "The payment confirmation was incomplete. If you paid, your plan changes as soon as Razorpay tells us.", None);
    };
    let now = s.ctx.clock.now();
    match app::billing::service::razorpay::confirm(
        conf,
        b,
        &s.ctx.db,
        &f.razorpay_payment_id,
        &f.razorpay_subscription_id,
        &f.razorpay_signature,
        now,
    )
    .await
    {
        Ok(_) => page(
            StatusCode::OK,
            "Payment received",
            "Thank you: your plan is active. Taking you to Plans and billing…",
            Some("/account/billing?paid=1"),
        ),
        Err(AppError::BadRequest(m)) => {
            page(StatusCode::BAD_REQUEST, "Payment not confirmed", &m, None)
        }
        Err(e) => page(
            e.status_code(),
            "Payment not confirmed yet",
            &e.to_string(),
            None,
        ),
    }
}
