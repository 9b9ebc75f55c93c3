//! Stripe through async-stripe: Checkout in subscription mode, the Customer Portal, invoices,
//! and webhooks verified over the raw body. A subscription event is never trusted for its
//! state: the subscription is fetched from Stripe (the source of truth), so events arriving
//! out of order end in the same state.

use std::collections::HashMap;

use stripe::Client;
use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_billing::invoice::ListInvoice;
use stripe_billing::subscription::{CancelSubscription, RetrieveSubscription};
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
    RetrieveCheckoutSession,
};
use stripe_core::customer::DeleteCustomer;
use stripe_webhook::{EventObject, Webhook};

use super::{Billing, Observed, Paid};
use crate::billing::model::*;
use crate::billing::types::InvoiceView;
use crate::db::Db;
use crate::secret::Secret;
use crate::AppError;

/// Seconds one request to Stripe may take.
pub const STRIPE_TIMEOUT_SECS: u64 = 20;
/// Stripe's tolerance for a webhook's signed time (also what async-stripe checks).
pub const WEBHOOK_TOLERANCE_SECS: i64 = 300;
/// Invoices listed on the billing page.
pub const INVOICES_SHOWN: u64 = 24;

pub struct StripeConf {
    pub client: Client,
    pub webhook_secret: Secret,
    /// The API base (`https://api.stripe.com/` or a local server in tests); named in the notice.
    pub base: String,
}

impl StripeConf {
    pub fn new(key: &Secret, webhook_secret: Secret, base: &str) -> Result<StripeConf, String> {
        let base = if base.ends_with('/') {
            base.to_string()
        } else {
            format!("{base}/")
        };
        let client = stripe::ClientBuilder::new(key.expose())
            .url(base.clone())
            .timeout(std::time::Duration::from_secs(STRIPE_TIMEOUT_SECS))
            .build()
            .map_err(|e| format!("the Stripe client could not be made: {e}"))?;
        Ok(StripeConf {
            client,
            webhook_secret,
            base,
        })
    }
}

fn unavailable(what: &str, e: stripe::StripeError) -> AppError {
    match &e {
        stripe::StripeError::Stripe(err, status) if *status < 500 => {
            tracing::warn!(status, error = ?err.message, "Stripe refused {what}");
        }
        _ => tracing::warn!(error = %e, "Stripe did not answer {what}"),
    }
    AppError::Unavailable(format!("The payment provider could not {what} just now, so nothing was changed. Please try again in a few minutes."))
}

fn status_of(s: &stripe_shared::SubscriptionStatus) -> SubStatus {
    use stripe_shared::SubscriptionStatus as S;
    match s {
        S::Active | S::Trialing => SubStatus::Active,
        S::PastDue | S::Unpaid => SubStatus::PastDue,
        S::Canceled | S::IncompleteExpired | S::Paused => SubStatus::Canceled,
        _ => SubStatus::Incomplete,
    }
}

/// The subscription as Stripe holds it now.
pub async fn observe(conf: &StripeConf, b: &Billing, sub: &str) -> Result<Observed, AppError> {
    let s = RetrieveSubscription::new(sub.to_string())
        .send(&conf.client)
        .await
        .map_err(|e| unavailable("read the subscription", e))?;
    let item = s.items.data.first();
    let price = item.map(|i| i.price.id.as_str().to_string());
    let plan = price.as_deref().and_then(|p| {
        b.catalog
            .paid()
            .find(|pl| pl.stripe_price.as_deref() == Some(p))
            .map(|pl| pl.id.clone())
    });
    Ok(Observed {
        provider: Provider::Stripe,
        subscription: s.id.as_str().to_string(),
        customer: Some(s.customer.id().as_str().to_string()),
        user: s.metadata.get("user").cloned(),
        plan,
        status: status_of(&s.status),
        period_start: item.map(|i| i.current_period_start),
        period_end: item.map(|i| i.current_period_end),
        cancel_at_period_end: s.cancel_at_period_end,
    })
}

/// Starts Checkout for `plan`: the URL of Stripe's payment page. The session names the account
/// (client_reference_id, and the subscription's metadata), so either the webhook or the return
/// to the billing page can apply it.
pub async fn checkout(
    conf: &StripeConf,
    plan: &Plan,
    uid: &str,
    email: &str,
    customer: Option<&str>,
    public_url: &str,
) -> Result<String, AppError> {
    let Some(price) = plan.stripe_price.clone() else {
        return Err(AppError::BadRequest(format!(
            "The {} plan is not sold through Stripe here.",
            plan.name
        )));
    };
    let meta: HashMap<String, String> = [
        ("user".to_string(), uid.to_string()),
        ("plan".to_string(), plan.id.clone()),
    ]
    .into();
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(price);
    item.quantity = Some(1);
    let mut sub = CreateCheckoutSessionSubscriptionData::new();
    sub.metadata = Some(meta.clone());
    let mut req = CreateCheckoutSession::new()
        .mode(stripe_shared::CheckoutSessionMode::Subscription)
        .line_items(vec![item])
        .client_reference_id(uid.to_string())
        .metadata(meta)
        .subscription_data(sub)
        .success_url(format!(
            "{public_url}/account/billing?checkout={{CHECKOUT_SESSION_ID}}"
        ))
        .cancel_url(format!("{public_url}/account/billing?canceled=1"));
    req = match customer {
        Some(c) => req.customer(c.to_string()),
        None => req.customer_email(email.to_string()),
    };
    let s = req
        .send(&conf.client)
        .await
        .map_err(|e| unavailable("start the checkout", e))?;
    s.url
        .ok_or_else(|| AppError::internal("stripe checkout", "a session without a url"))
}

/// After Checkout sends the person back: applies the session's subscription (the webhook may
/// not have arrived yet; both paths converge on Stripe's state). Only the account the session
/// was made for may confirm it.
pub async fn confirm(
    conf: &StripeConf,
    b: &Billing,
    db: &Db,
    uid: &str,
    session: &str,
    now: i64,
) -> Result<bool, AppError> {
    if session.len() > 255 || !session.starts_with("cs_") {
        return Err(AppError::BadRequest(
            "That is not a checkout session id.".into(),
        ));
    }
    let s = RetrieveCheckoutSession::new(session.to_string())
        .send(&conf.client)
        .await
        .map_err(|e| unavailable("read the checkout", e))?;
    if s.client_reference_id.as_deref() != Some(uid) {
        return Err(AppError::NotFound);
    }
    let Some(sub) = s.subscription.as_ref().map(|x| x.id().as_str().to_string()) else {
        return Ok(false);
    };
    let mut o = observe(conf, b, &sub).await?;
    o.user = Some(uid.to_string());
    super::apply(db, b, None, &o, now).await?;
    Ok(true)
}

/// The Customer Portal for `customer`: manage, cancel, change the card, see invoices.
pub async fn portal(
    conf: &StripeConf,
    customer: &str,
    public_url: &str,
) -> Result<String, AppError> {
    let s = CreateBillingPortalSession::new()
        .customer(customer.to_string())
        .return_url(format!("{public_url}/account/billing"))
        .send(&conf.client)
        .await
        .map_err(|e| unavailable("open the subscription settings", e))?;
    Ok(s.url)
}

/// The customer's invoices, newest first, with Stripe's pages for them.
pub async fn invoices(conf: &StripeConf, customer: &str) -> Result<Vec<InvoiceView>, AppError> {
    let list = ListInvoice::new()
        .customer(customer.to_string())
        .limit(INVOICES_SHOWN as i64)
        .send(&conf.client)
        .await
        .map_err(|e| unavailable("list the invoices", e))?;
    Ok(list
        .data
        .into_iter()
        .map(|i| InvoiceView {
            number: i
                .number
                .clone()
                .or_else(|| i.id.as_ref().map(|x| x.as_str().to_string()))
                .unwrap_or_default(),
            at: i.created,
            amount: money(
                if i.amount_paid > 0 {
                    i.amount_paid
                } else {
                    i.amount_due
                },
                &i.currency.to_string(),
            ),
            status: i
                .status
                .as_ref()
                .map(|s| s.as_str().to_string())
                .unwrap_or_else(|| "draft".into()),
            url: i.hosted_invoice_url.clone(),
        })
        .collect())
}

/// Account deletion: the subscription ends now and the customer (card, address) is deleted at
/// Stripe. Invoices stay at Stripe as tax law requires.
pub async fn forget(
    conf: &StripeConf,
    subscription: Option<&str>,
    customer: Option<&str>,
) -> Result<(), AppError> {
    if let Some(s) = subscription {
        match CancelSubscription::new(s.to_string())
            .send(&conf.client)
            .await
        {
            Ok(_) => {}
            // Already ended or gone: nothing left to stop.
            Err(stripe::StripeError::Stripe(_, 404)) => {}
            Err(e) => return Err(unavailable("end the subscription", e)),
        }
    }
    if let Some(c) = customer {
        match DeleteCustomer::new(c.to_string()).send(&conf.client).await {
            Ok(_) | Err(stripe::StripeError::Stripe(_, 404)) => {}
            Err(e) => return Err(unavailable("delete the customer record", e)),
        }
    }
    Ok(())
}

/// The event types Viva acts on (configure these on the webhook endpoint).
pub const ACTED_ON: &[&str] = &[
    "checkout.session.completed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "invoice.paid",
    "invoice.payment_failed",
    "charge.refunded",
];

/// Why a webhook was refused (400; logged, not sent back in detail).
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    NoSignature,
    Forged,
    Stale,
    Malformed,
}

/// What a webhook did: processed now, or seen before (a duplicate changes nothing).
#[derive(Debug, PartialEq, Eq)]
pub enum Handled {
    Processed,
    Duplicate,
}

/// Verifies and processes one webhook delivery (`body`: the raw bytes as received). `Ok` only
/// once the change is committed; the route answers 2xx then and only then.
pub async fn webhook(
    conf: &StripeConf,
    b: &Billing,
    db: &Db,
    mailer: Option<&crate::mail::Mailer>,
    body: &[u8],
    signature: Option<&str>,
    now: i64,
) -> Result<Result<Handled, Refused>, AppError> {
    let Some(sig) = signature else {
        return Ok(Err(Refused::NoSignature));
    };
    let Ok(text) = std::str::from_utf8(body) else {
        return Ok(Err(Refused::Malformed));
    };
    let event = match Webhook::construct_event_with_timestamp(
        text,
        sig,
        conf.webhook_secret.expose(),
        now,
    ) {
        Ok(e) => e,
        Err(stripe_webhook::WebhookError::BadSignature | stripe_webhook::WebhookError::BadKey) => {
            return Ok(Err(Refused::Forged))
        }
        Err(stripe_webhook::WebhookError::BadTimestamp(_)) => return Ok(Err(Refused::Stale)),
        Err(stripe_webhook::WebhookError::BadHeader(_)) => return Ok(Err(Refused::Forged)),
        Err(stripe_webhook::WebhookError::BadParse(_)) => {
            // Signed and in time, but not readable as the event its type names: an event Viva
            // acts on is refused; any other is recorded and acknowledged (Stripe would
            // otherwise send it again for days).
            let envelope: Option<(String, String)> =
                serde_json::from_str::<serde_json::Value>(text)
                    .ok()
                    .and_then(|v| {
                        Some((
                            v.get("id")?.as_str()?.to_string(),
                            v.get("type")?.as_str()?.to_string(),
                        ))
                    });
            return match envelope {
                Some((id, kind))
                    if !ACTED_ON.contains(&kind.as_str())
                        && id.starts_with("evt_")
                        && id.len() <= 255 =>
                {
                    tracing::info!(event = %id, kind = %kind, "a Stripe event Viva does not act on; recorded");
                    let done =
                        super::record_only(db, Provider::Stripe, Some((&id, &kind)), now).await?;
                    Ok(Ok(if done {
                        Handled::Processed
                    } else {
                        Handled::Duplicate
                    }))
                }
                _ => Ok(Err(Refused::Malformed)),
            };
        }
    };
    let id = event.id.as_str().to_string();
    let kind = event.type_.as_str().to_string();
    if super::seen(db, Provider::Stripe, &id).await? {
        return Ok(Ok(Handled::Duplicate));
    }
    let ev = Some((id.as_str(), kind.as_str()));
    let done = match event.data.object {
        EventObject::CheckoutSessionCompleted(s) => match s.subscription.as_ref() {
            Some(sub) => {
                let mut o = observe(conf, b, sub.id().as_str()).await?;
                if o.user.is_none() {
                    o.user = s.client_reference_id.clone();
                }
                super::apply(db, b, ev, &o, now).await?
            }
            None => super::record_only(db, Provider::Stripe, ev, now).await?,
        },
        EventObject::CustomerSubscriptionCreated(s)
        | EventObject::CustomerSubscriptionUpdated(s)
        | EventObject::CustomerSubscriptionDeleted(s)
        | EventObject::CustomerSubscriptionPaused(s)
        | EventObject::CustomerSubscriptionResumed(s) => {
            let o = observe(conf, b, s.id.as_str()).await?;
            super::apply(db, b, ev, &o, now).await?
        }
        EventObject::InvoicePaid(i) | EventObject::InvoicePaymentFailed(i) => {
            let failed = matches!(kind.as_str(), "invoice.payment_failed");
            let p = Paid {
                provider: Provider::Stripe,
                invoice: i
                    .id
                    .as_ref()
                    .map(|x| x.as_str().to_string())
                    .unwrap_or_else(|| id.clone()),
                subscription: i
                    .parent
                    .as_ref()
                    .and_then(|p| p.subscription_details.as_ref())
                    .map(|d| d.subscription.id().as_str().to_string()),
                customer: i.customer.as_ref().map(|c| c.id().as_str().to_string()),
                amount: if failed { i.amount_due } else { i.amount_paid },
                currency: i.currency.to_string(),
                status: if failed { "failed" } else { "paid" },
                hosted_url: i.hosted_invoice_url.clone(),
                at: i.created,
            };
            super::record_payment(db, b, mailer, (&id, &kind), &p, now).await?
        }
        EventObject::ChargeRefunded(c) => {
            let customer = c.customer.as_ref().map(|x| x.id().as_str().to_string());
            super::record_refund(
                db,
                b,
                (&id, &kind),
                Provider::Stripe,
                None,
                customer.as_deref(),
                now,
            )
            .await?
        }
        _ => {
            tracing::info!(event = %id, kind = %kind, "a Stripe event Viva does not act on; recorded");
            super::record_only(db, Provider::Stripe, ev, now).await?
        }
    };
    Ok(Ok(if done {
        Handled::Processed
    } else {
        Handled::Duplicate
    }))
}
