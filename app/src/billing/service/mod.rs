//! Billing on the database: each account's plan and what it spent of it, provider events
//! processed once, payments for the books, referral codes. Providers in `stripe.rs` and
//! `razorpay.rs` turn their own wire formats into [`Observed`] subscriptions and [`Paid`]
//! invoices; everything after that is the same for both.

use std::sync::Arc;

use surrealdb::types::SurrealValue;

use super::model::*;
use crate::db::{Db, Fault};
use crate::AppError;

pub mod razorpay;
pub mod referrals;
pub mod stripe;

/// Billing as configured: `None` when no payment provider is set up (then nothing is limited
/// and no billing page exists). A Leptos context and part of the server's state.
#[derive(Clone, Default)]
pub struct Payments(pub Option<Arc<Billing>>);

pub struct Billing {
    pub catalog: Catalog,
    pub stripe: Option<stripe::StripeConf>,
    pub razorpay: Option<razorpay::RazorpayConf>,
}

impl Payments {
    /// The request's billing settings (off when none were provided, as in unit tests).
    pub fn current() -> Payments {
        leptos::prelude::use_context::<Payments>().unwrap_or_default()
    }

    pub fn on(&self) -> Option<&Billing> {
        self.0.as_deref()
    }
}

impl Billing {
    pub fn providers(&self) -> Vec<Provider> {
        let mut v = Vec::new();
        if self.stripe.is_some() {
            v.push(Provider::Stripe);
        }
        if self.razorpay.is_some() {
            v.push(Provider::Razorpay);
        }
        v
    }
}

/// The part of a person's data export that billing owns.
pub const EXPORT_USER: &[(&str, &str)] = &[
    ("plan", "(SELECT plan, source, status, period_start, period_end, cancel_at_period_end, grace_until, bonus_interviews, updated_at
        FROM billing_account WHERE user = $user)"),
    ("usage", "(SELECT meter, period, used FROM usage WHERE user = $user ORDER BY period, meter)"),
    ("payments", "(SELECT provider, invoice, plan, amount, currency, status, hosted_url, at FROM payment WHERE user = $user ORDER BY at)"),
    ("referrals", "{ code: (SELECT VALUE record::id(id) FROM referral_code WHERE user = $user)[0],
        made: (SELECT status, reward, created_at, rewarded_at FROM referral WHERE referrer = $user ORDER BY created_at),
        joined_with: (SELECT code, status, reward, created_at, rewarded_at FROM referral WHERE referred = $user) }"),
];

/// The part of deleting an account that billing owns. Payments stay for the books (tax law)
/// without the person; referrals lose the person on either side.
pub const ERASE_USER: &str = "DELETE billing_account WHERE user = $user; DELETE usage WHERE user = $user;
     UPDATE payment SET user = NONE WHERE user = $user;
     DELETE referral_code WHERE user = $user; DELETE referral WHERE referrer = $user OR referred = $user;";

#[derive(Debug, Clone, SurrealValue)]
struct AccountRow {
    plan: String,
    source: Source,
    status: SubStatus,
    customer: Option<String>,
    subscription: Option<String>,
    period_start: Option<i64>,
    period_end: Option<i64>,
    cancel_at_period_end: bool,
    grace_until: Option<i64>,
    bonus_interviews: i64,
}

/// An account's stored billing state with its provider ids and bonus.
#[derive(Debug, Clone)]
pub struct Account {
    pub state: State,
    pub customer: Option<String>,
    pub subscription: Option<String>,
    pub bonus_interviews: i64,
}

impl From<AccountRow> for Account {
    fn from(r: AccountRow) -> Account {
        Account {
            state: State {
                plan: r.plan,
                source: r.source,
                status: r.status,
                period_start: r.period_start,
                period_end: r.period_end,
                cancel_at_period_end: r.cancel_at_period_end,
                grace_until: r.grace_until,
            },
            customer: r.customer,
            subscription: r.subscription,
            bonus_interviews: r.bonus_interviews,
        }
    }
}

/// `uid`'s billing state (the free plan when billing never met them).
pub async fn account(db: &Db, uid: &str) -> Result<Account, AppError> {
    Ok(stored_account(db, uid).await?.unwrap_or(Account {
        state: State::free(),
        customer: None,
        subscription: None,
        bonus_interviews: 0,
    }))
}

/// `uid`'s billing row, if billing met them before.
async fn stored_account(db: &Db, uid: &str) -> Result<Option<Account>, AppError> {
    let mut r = db
        .query("SELECT plan, source, status, customer, subscription, period_start, period_end, cancel_at_period_end, grace_until, bonus_interviews
            FROM billing_account WHERE user = type::record('user', $uid)")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<AccountRow> = r.take(0)?;
    Ok(rows.into_iter().next().map(Account::from))
}

/// Makes `uid`'s billing row if there is none; true when it was made now.
pub(crate) async fn ensure_account_plain(db: &Db, uid: &str, now: i64) -> Result<bool, AppError> {
    // An upsert that keeps what is there: concurrent first requests conflict (and are retried)
    // instead of one failing on a record that exists. Two racing first requests may both say
    // "made"; what follows (noting the referral) is once-only by its own unique index.
    let made = crate::db::retry_conflicts(|| async move {
        // Behind the account's fence: no billing row outlives an account deleted meanwhile.
        db.query(crate::fenced!(
            "LET $had = record::exists(type::record('billing_account', $uid));
             UPSERT type::record('billing_account', $uid) SET user = type::record('user', $uid), plan = plan ?? 'free',
                 source = source ?? 'free', status = status ?? 'active', updated_at = updated_at ?? $now RETURN NONE;
             RETURN !$had;",
        ))
        .bind(("uid", uid.to_string()))
        .bind(("now", now))
        .await
        .and_then(crate::db::check_tx)
    })
    .await?;
    let Some(mut r) = made else {
        return Err(AppError::RateLimited(1));
    };
    // Results: BEGIN (0), the fence's IF (1) and UPSERT (2), LET (3), UPSERT (4), RETURN (5).
    Ok(r.take::<Option<bool>>(5)?.unwrap_or(false))
}

/// Makes `uid`'s billing row when billing first meets them (their first spend or page), and
/// notes the referral they signed up with.
pub async fn ensure_account(db: &Db, b: &Billing, uid: &str, now: i64) -> Result<(), AppError> {
    if ensure_account_plain(db, uid, now).await? && b.catalog.referrals.enabled {
        referrals::attribute(db, uid, now).await?;
    }
    Ok(())
}

/// Whether a limit was reached; the message names it and how to raise it.
fn quota_error(b: &Billing, meter: Meter, plan: &Plan, limit: i64, resets: i64) -> AppError {
    let day = crate::ui::time::date(resets);
    AppError::QuotaReached(limit_message(
        meter,
        plan,
        limit,
        &day,
        b.catalog.paid().next().is_some() && plan.id == FREE,
    ))
}

/// Spends `amount` of `meter` for `uid` now: refused (402, nothing spent) when it would pass
/// the plan's limit for this period (interviews past it come out of bonus interviews first).
/// Safe under concurrent calls: the count and the check are one transaction, retried on a
/// conflict, so two requests at the limit cannot both pass. Nothing when billing is off.
pub async fn spend(
    p: &Payments,
    db: &Db,
    uid: &str,
    meter: Meter,
    amount: i64,
    now: i64,
) -> Result<(), AppError> {
    let Some(b) = p.on() else { return Ok(()) };
    // One read on the hot path; the row (and the referral it notes) is made on first spend.
    let acct = match stored_account(db, uid).await? {
        Some(a) => a,
        None => {
            ensure_account(db, b, uid, now).await?;
            account(db, uid).await?
        }
    };
    let plan = acct.state.effective_plan(&b.catalog, now);
    let (period, resets) = month_of(now);
    let limit = plan.limit(meter);
    let id = format!("{uid}|{meter}|{period}");
    let bonus = meter == Meter::Interviews;
    let answered = crate::db::retry_conflicts(|| {
        let id = id.clone();
        async move {
            // Behind the account's fence: a deletion running meanwhile sees the count or refuses it.
            db.query(crate::fenced!(
                "LET $used = (UPSERT type::record('usage', $id) SET user = type::record('user', $uid), meter = $meter, period = $period,
                     used += $n RETURN used)[0].used;
                 IF $limit != NONE AND $used > $limit {
                     LET $left = (SELECT VALUE bonus_interviews FROM ONLY type::record('billing_account', $uid)) ?? 0;
                     IF $bonus AND $left >= $n {
                         UPDATE type::record('billing_account', $uid) SET bonus_interviews -= $n;
                     } ELSE {
                         THROW 'quota';
                     };
                 };",
            ))
            .bind(("id", id))
            .bind(("uid", uid.to_string()))
            .bind(("meter", meter))
            .bind(("period", period))
            .bind(("n", amount))
            .bind(("limit", limit))
            .bind(("bonus", bonus))
            .await
            .and_then(crate::db::check_tx)
        }
    })
    .await;
    match answered {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err(AppError::RateLimited(1)),
        Err(e) if matches!(crate::db::classify(&e), Fault::Thrown(ref m) if m.contains("quota")) => {
            Err(quota_error(b, meter, plan, limit.unwrap_or(0), resets))
        }
        Err(e) => Err(e.into()),
    }
}

/// Gives back what [`spend`] took when the work it paid for did not happen.
pub async fn give_back(
    p: &Payments,
    db: &Db,
    uid: &str,
    meter: Meter,
    amount: i64,
    now: i64,
) -> Result<(), AppError> {
    if p.on().is_none() {
        return Ok(());
    }
    let (period, _) = month_of(now);
    let id = format!("{uid}|{meter}|{period}");
    crate::db::retry_conflicts(|| {
        let id = id.clone();
        async move {
            db.query("UPDATE type::record('usage', $id) SET used = math::max([0, used - $n])")
                .bind(("id", id))
                .bind(("n", amount))
                .await
                .and_then(crate::db::check_tx)
        }
    })
    .await?;
    Ok(())
}

/// Whether `uid`'s plan records answers on video, with the reason when not (always, when
/// billing is off).
pub async fn allows_video(p: &Payments, db: &Db, uid: &str, now: i64) -> Result<(), AppError> {
    let Some(b) = p.on() else { return Ok(()) };
    let plan = match stored_account(db, uid).await? {
        Some(a) => a.state.effective_plan(&b.catalog, now),
        None => b.catalog.free(),
    };
    if plan.limits.video {
        return Ok(());
    }
    Err(quota_error(
        b,
        Meter::VideoSeconds,
        plan,
        0,
        month_of(now).1,
    ))
}

/// Whether `uid`'s plan lets the hosted engine evaluate (always, when billing is off).
pub async fn allows_hosted(p: &Payments, db: &Db, uid: &str, now: i64) -> bool {
    let Some(b) = p.on() else { return true };
    match account(db, uid).await {
        Ok(a) => a.state.effective_plan(&b.catalog, now).limits.hosted_ai,
        Err(_) => false,
    }
}

/// What `uid` used of each meter in the period holding `now`.
pub async fn used(db: &Db, uid: &str, now: i64) -> Result<(i64, i64, Vec<(Meter, i64)>), AppError> {
    let (period, resets) = month_of(now);
    #[derive(Debug, SurrealValue)]
    struct Row {
        meter: Meter,
        used: i64,
    }
    let mut r = db
        .query("SELECT meter, used FROM usage WHERE user = type::record('user', $uid) AND period = $period")
        .bind(("uid", uid.to_string()))
        .bind(("period", period))
        .await?
        .check()?;
    let rows: Vec<Row> = r.take(0)?;
    Ok((
        period,
        resets,
        rows.into_iter().map(|r| (r.meter, r.used)).collect(),
    ))
}

/// A subscription as its provider reports it now (the source of truth for an account's plan).
#[derive(Debug, Clone)]
pub struct Observed {
    pub provider: Provider,
    pub subscription: String,
    pub customer: Option<String>,
    /// The account, from the subscription's metadata/notes (set by Viva at checkout).
    pub user: Option<String>,
    /// Viva's plan id for the provider's price/plan.
    pub plan: Option<String>,
    pub status: SubStatus,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// Records the provider event `event_id` (once: a second delivery changes nothing and returns
/// false) and, in the same transaction, applies the subscription state observed. The account
/// comes from the observation, else from its subscription or customer id.
pub async fn apply(
    db: &Db,
    b: &Billing,
    event: Option<(&str, &str)>,
    o: &Observed,
    now: i64,
) -> Result<bool, AppError> {
    let uid = match &o.user {
        Some(u) => Some(u.clone()),
        None => owner_of(db, Some(&o.subscription), o.customer.as_deref()).await?,
    };
    let Some(uid) = uid else {
        tracing::warn!(provider = %o.provider, subscription = %o.subscription, "a subscription for no known account; recorded and ignored");
        return record_only(db, o.provider, event, now).await;
    };
    crate::ids::check_id(&uid).map_err(|_| {
        AppError::BadRequest("The subscription names an account id that is not one of ours.".into())
    })?;
    if crate::auth::service::work_info(db, &uid).await?.is_none() {
        // A deleted account's subscription ending: nothing of theirs is made again.
        tracing::info!(provider = %o.provider, "a subscription event for an account that no longer exists; recorded");
        return record_only(db, o.provider, event, now).await;
    }
    let Some(plan) = o.plan.clone() else {
        tracing::warn!(provider = %o.provider, subscription = %o.subscription, "a subscription to a price no plan names; recorded and ignored");
        return record_only(db, o.provider, event, now).await;
    };
    ensure_account(db, b, &uid, now).await?;
    let live = matches!(o.status, SubStatus::Active | SubStatus::PastDue);
    let grace = now + b.catalog.grace_days * SECS_PER_DAY;
    let (provider, kind, id) = match event {
        Some((id, kind)) => (o.provider.as_str(), kind.to_string(), Some(id.to_string())),
        None => (o.provider.as_str(), String::new(), None),
    };
    let sql = "BEGIN TRANSACTION;
         IF $event != NONE {
             CREATE billing_event SET provider = $provider, event_id = $event, kind = $kind, received_at = $now;
         };
         LET $acct = type::record('billing_account', $uid);
         LET $cur = (SELECT subscription, grace_until, source FROM ONLY $acct);
         IF $cur.subscription = NONE OR $cur.subscription = $sub OR $live {
             UPDATE $acct SET plan = $plan, source = $provider, status = $status, customer = $customer ?? customer, subscription = $sub,
                 period_start = $ps, period_end = $pe, cancel_at_period_end = $cape,
                 grace_until = IF $status = 'past_due' THEN ($cur.grace_until ?? $grace) ELSE NONE END,
                 updated_at = $now;
         };
         COMMIT TRANSACTION;";
    let answered = crate::db::retry_conflicts(|| {
        let (id, kind, plan, uid) = (id.clone(), kind.clone(), plan.clone(), uid.clone());
        async move {
            db.query(sql)
                .bind(("event", id))
                .bind(("provider", provider))
                .bind(("kind", kind))
                .bind(("uid", uid))
                .bind(("sub", o.subscription.clone()))
                .bind(("customer", o.customer.clone()))
                .bind(("live", live))
                .bind(("plan", plan))
                .bind(("status", o.status))
                .bind(("ps", o.period_start))
                .bind(("pe", o.period_end))
                .bind(("cape", o.cancel_at_period_end))
                .bind(("grace", grace))
                .bind(("now", now))
                .await
                .and_then(crate::db::check_tx)
        }
    })
    .await;
    finish_event(answered)
}

fn finish_event<T>(answered: Result<Option<T>, surrealdb::Error>) -> Result<bool, AppError> {
    match answered {
        Ok(Some(_)) => Ok(true),
        Ok(None) => Err(AppError::RateLimited(1)),
        Err(e)
            if matches!(
                crate::db::classify(&e),
                Fault::Duplicate("billing_event_once")
            ) =>
        {
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

/// Records an event that changes nothing (unknown kind, unknown account): still once.
pub async fn record_only(
    db: &Db,
    provider: Provider,
    event: Option<(&str, &str)>,
    now: i64,
) -> Result<bool, AppError> {
    let Some((id, kind)) = event else {
        return Ok(true);
    };
    let r = db
        .query("CREATE billing_event SET provider = $provider, event_id = $event, kind = $kind, received_at = $now")
        .bind(("provider", provider))
        .bind(("event", id.to_string()))
        .bind(("kind", kind.to_string()))
        .bind(("now", now))
        .await
        .and_then(crate::db::check_tx);
    finish_event(r.map(Some))
}

/// Whether the provider event was processed before.
pub async fn seen(db: &Db, provider: Provider, event_id: &str) -> Result<bool, AppError> {
    let mut r = db
        .query(
            "SELECT VALUE id FROM billing_event WHERE provider = $provider AND event_id = $event",
        )
        .bind(("provider", provider))
        .bind(("event", event_id.to_string()))
        .await?
        .check()?;
    let ids: Vec<surrealdb::types::RecordId> = r.take(0)?;
    Ok(!ids.is_empty())
}

/// The account a subscription or customer belongs to.
pub async fn owner_of(
    db: &Db,
    sub: Option<&str>,
    customer: Option<&str>,
) -> Result<Option<String>, AppError> {
    let mut r = db
        .query("SELECT VALUE record::id(user) FROM billing_account WHERE ($sub != NONE AND subscription = $sub) OR ($customer != NONE AND customer = $customer) LIMIT 1")
        .bind(("sub", sub.map(str::to_string)))
        .bind(("customer", customer.map(str::to_string)))
        .await?
        .check()?;
    let ids: Vec<String> = r.take(0)?;
    Ok(ids.into_iter().next())
}

/// A payment (or a failed one) the provider reported.
#[derive(Debug, Clone)]
pub struct Paid {
    pub provider: Provider,
    pub invoice: String,
    pub subscription: Option<String>,
    pub customer: Option<String>,
    pub amount: i64,
    pub currency: String,
    pub status: &'static str,
    pub hosted_url: Option<String>,
    pub at: i64,
}

/// Records a payment once (with the event, in one transaction); tells the person by e-mail
/// (a receipt, or that the payment failed and until when the plan holds). False: seen before.
pub async fn record_payment(
    db: &Db,
    b: &Billing,
    mailer: Option<&crate::mail::Mailer>,
    event: (&str, &str),
    p: &Paid,
    now: i64,
) -> Result<bool, AppError> {
    let uid = owner_of(db, p.subscription.as_deref(), p.customer.as_deref()).await?;
    let acct = match &uid {
        Some(u) => Some(account(db, u).await?),
        None => None,
    };
    let plan = acct.as_ref().map(|a| a.state.plan.clone());
    let grace = now + b.catalog.grace_days * SECS_PER_DAY;
    let failed = p.status == "failed";
    let answered = crate::db::retry_conflicts(|| {
        let (uid, plan) = (uid.clone(), plan.clone());
        async move {
            db.query(
                "BEGIN TRANSACTION;
                 CREATE billing_event SET provider = $provider, event_id = $event, kind = $kind, received_at = $now;
                 LET $who = IF $uid = NONE THEN NONE ELSE type::record('user', $uid) END;
                 LET $had = (SELECT VALUE id FROM payment WHERE provider = $provider AND invoice = $invoice)[0];
                 IF $had = NONE {
                     CREATE payment SET provider = $provider, invoice = $invoice, user = $who, plan = $plan, amount = $amount,
                         currency = $currency, status = $status, hosted_url = $url, at = $at;
                 } ELSE {
                     UPDATE $had SET user = $who, plan = $plan, amount = $amount, currency = $currency, status = $status, hosted_url = $url, at = $at;
                 };
                 IF $failed AND $uid != NONE {
                     UPDATE type::record('billing_account', $uid) SET status = 'past_due', grace_until = grace_until ?? $grace, updated_at = $now;
                 };
                 COMMIT TRANSACTION;",
            )
            .bind(("provider", p.provider))
            .bind(("event", event.0.to_string()))
            .bind(("kind", event.1.to_string()))
            .bind(("invoice", p.invoice.clone()))
            .bind(("uid", uid))
            .bind(("plan", plan))
            .bind(("amount", p.amount))
            .bind(("currency", p.currency.clone()))
            .bind(("status", p.status))
            .bind(("url", p.hosted_url.clone()))
            .bind(("at", p.at))
            .bind(("failed", failed))
            .bind(("grace", grace))
            .bind(("now", now))
            .await
            .and_then(crate::db::check_tx)
        }
    })
    .await;
    if !finish_event(answered)? {
        return Ok(false);
    }
    if let (Some(uid), Some(m)) = (&uid, mailer) {
        if let Some(u) = crate::auth::service::user_by_id(db, uid).await? {
            let amount = money(p.amount, &p.currency);
            let msg = if failed {
                crate::mail::Message::payment_failed(
                    &m.product,
                    &amount,
                    &crate::ui::time::date(grace),
                    &p.hosted_url.clone().unwrap_or_default(),
                )
            } else {
                crate::mail::Message::receipt(
                    &m.product,
                    &amount,
                    &p.hosted_url.clone().unwrap_or_default(),
                )
            };
            m.enqueue(db, &u.email, &msg, now).await?;
        }
    }
    if !failed {
        if let Some(uid) = &uid {
            referrals::on_payment(db, b, uid, now).await?;
        }
    }
    Ok(true)
}

/// A refund the provider reported: the payment is marked refunded, and a referral reward it
/// earned within the refund window is taken back.
pub async fn record_refund(
    db: &Db,
    b: &Billing,
    event: (&str, &str),
    provider: Provider,
    invoice: Option<&str>,
    customer: Option<&str>,
    now: i64,
) -> Result<bool, AppError> {
    let uid = owner_of(db, None, customer).await?;
    let answered = crate::db::retry_conflicts(|| {
        let uid = uid.clone();
        async move {
        db.query(
            "BEGIN TRANSACTION;
             CREATE billing_event SET provider = $provider, event_id = $event, kind = $kind, received_at = $now;
             IF $invoice != NONE {
                 UPDATE payment SET status = 'refunded' WHERE provider = $provider AND invoice = $invoice;
             } ELSE IF $uid != NONE {
                 LET $last = (SELECT id, at FROM payment WHERE provider = $provider AND user = type::record('user', $uid) AND status = 'paid' ORDER BY at DESC LIMIT 1)[0];
                 IF $last != NONE { UPDATE $last.id SET status = 'refunded'; };
             };
             COMMIT TRANSACTION;",
        )
        .bind(("uid", uid))
        .bind(("provider", provider))
        .bind(("event", event.0.to_string()))
        .bind(("kind", event.1.to_string()))
        .bind(("invoice", invoice.map(str::to_string)))
        .bind(("now", now))
        .await
        .and_then(crate::db::check_tx)
        }
    })
    .await;
    if !finish_event(answered)? {
        return Ok(false);
    }
    if let Some(uid) = uid {
        referrals::on_refund(db, b, &uid, now).await?;
    }
    Ok(true)
}

/// Gives `uid` a plan by hand (an operator's comp), or back to the free plan (`plan` = free).
pub async fn comp(
    db: &Db,
    b: &Billing,
    uid: &str,
    plan: &str,
    until: Option<i64>,
    now: i64,
) -> Result<(), AppError> {
    if b.catalog.get(plan).is_none() {
        return Err(AppError::BadRequest(format!(
            "There is no plan {plan:?}. Choose one of: {}.",
            b.catalog
                .plans
                .iter()
                .map(|p| p.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    ensure_account(db, b, uid, now).await?;
    let free = plan == FREE;
    db.query(
        "UPDATE type::record('billing_account', $uid) SET plan = $plan, source = IF $free THEN 'free' ELSE 'comp' END, status = 'active',
             period_start = IF $until = NONE THEN NONE ELSE $now END, period_end = $until, cancel_at_period_end = $until != NONE, grace_until = NONE, updated_at = $now",
    )
    .bind(("uid", uid.to_string()))
    .bind(("plan", plan.to_string()))
    .bind(("free", free))
    .bind(("until", until))
    .bind(("now", now))
    .await?
    .check()?;
    Ok(())
}

/// Adds bonus interviews to `uid` (a referral reward, or taken back with a negative `n`; never
/// below zero).
pub async fn add_bonus(db: &Db, uid: &str, n: i64, now: i64) -> Result<(), AppError> {
    crate::db::retry_conflicts(|| async move {
        db.query("UPDATE type::record('billing_account', $uid) SET bonus_interviews = math::max([0, bonus_interviews + $n]), updated_at = $now")
            .bind(("uid", uid.to_string()))
            .bind(("n", n))
            .bind(("now", now))
            .await
            .and_then(crate::db::check_tx)
    })
    .await?;
    Ok(())
}

/// Rows for the operator's billing page.
#[derive(Debug, Clone, SurrealValue)]
pub struct SubscriberRow {
    pub user: String,
    pub plan: String,
    pub source: Source,
    pub status: SubStatus,
    pub period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub grace_until: Option<i64>,
}

#[derive(Debug, Clone, SurrealValue)]
pub struct PaymentRow {
    pub user: Option<String>,
    pub provider: Provider,
    pub invoice: String,
    pub amount: i64,
    pub currency: String,
    pub status: String,
    pub at: i64,
}

/// Accounts on a paid or given plan, newest change first.
pub async fn subscribers(db: &Db) -> Result<Vec<SubscriberRow>, AppError> {
    let mut r = db
        .query("SELECT record::id(user) AS user, plan, source, status, period_end, cancel_at_period_end, grace_until, updated_at
            FROM billing_account WHERE source != 'free' ORDER BY updated_at DESC LIMIT 500")
        .await?
        .check()?;
    Ok(r.take(0)?)
}

/// Payments since `since`, newest first (failed ones included).
pub async fn payments_since(db: &Db, since: i64) -> Result<Vec<PaymentRow>, AppError> {
    let mut r = db
        .query("SELECT IF user = NONE THEN NONE ELSE record::id(user) END AS user, provider, invoice, amount, currency, status, at
            FROM payment WHERE at >= $since ORDER BY at DESC LIMIT 500")
        .bind(("since", since))
        .await?
        .check()?;
    Ok(r.take(0)?)
}

/// Checkouts one account may start per hour (each asks the provider for a payment page).
pub const CHECKOUTS_PER_ACCOUNT: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "checkout_account",
    max: 10,
    window_secs: 3600,
};

/// Before an account is deleted: its subscription ends now at the provider and (Stripe) the
/// customer is deleted there. Refused (503, nothing deleted) while the provider cannot be
/// reached, so that nobody is left paying for an account that is gone.
pub async fn forget_at_provider(p: &Payments, db: &Db, uid: &str) -> Result<(), AppError> {
    let Some(b) = p.on() else { return Ok(()) };
    let acct = account(db, uid).await?;
    match acct.state.source {
        Source::Stripe => {
            if let Some(conf) = &b.stripe {
                let live = matches!(
                    acct.state.status,
                    SubStatus::Active | SubStatus::PastDue | SubStatus::Incomplete
                );
                stripe::forget(
                    conf,
                    acct.subscription.as_deref().filter(|_| live),
                    acct.customer.as_deref(),
                )
                .await?;
            }
        }
        Source::Razorpay => {
            if let (Some(conf), Some(sub)) = (&b.razorpay, acct.subscription.as_deref()) {
                if matches!(acct.state.status, SubStatus::Active | SubStatus::PastDue) {
                    razorpay::cancel(conf, sub, false).await?;
                }
            }
        }
        _ => {}
    }
    Ok(())
}
