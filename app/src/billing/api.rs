use leptos::prelude::*;

use super::model::Provider;
use super::types::*;
use crate::AppError;

#[cfg(feature = "ssr")]
fn billing() -> Result<std::sync::Arc<super::service::Billing>, AppError> {
    let p: super::service::Payments = crate::request::expect()?;
    p.0.clone().ok_or(AppError::NotFound)
}

#[cfg(feature = "ssr")]
fn public_url() -> Result<String, AppError> {
    let site: crate::request::Site = crate::request::expect()?;
    Ok(site.public_url.trim_end_matches('/').to_string())
}

/// Whether this installation sells plans (the account pages show billing only then).
#[server(endpoint = "billing/on")]
pub async fn billing_on() -> Result<bool, AppError> {
    let p: super::service::Payments = crate::request::expect()?;
    Ok(p.on().is_some())
}

/// Signed in. The caller's plan, usage this period, the plans they can move to and their
/// invoices; `None` when billing is off.
#[server(endpoint = "billing/mine")]
pub async fn my_billing() -> Result<Option<BillingView>, AppError> {
    use super::model::*;
    use super::service as s;
    let caller = crate::auth::require_caller()?;
    let p: s::Payments = crate::request::expect()?;
    let Some(b) = p.on() else { return Ok(None) };
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    let uid = &caller.user_id;
    s::ensure_account(&db, b, uid, now).await?;
    let acct = s::account(&db, uid).await?;
    let plan = acct.state.effective_plan(&b.catalog, now);
    let (_, resets, used) = s::used(&db, uid, now).await?;
    let used_of = |m: Meter| {
        used.iter()
            .find(|(k, _)| *k == m)
            .map(|(_, n)| *n)
            .unwrap_or(0)
    };
    let meters = vec![
        MeterView {
            unit: "interviews".into(),
            used: used_of(Meter::Interviews),
            limit: plan.limit(Meter::Interviews),
        },
        MeterView {
            unit: "spoken minutes".into(),
            used: (used_of(Meter::SpokenSeconds) + 59) / 60,
            limit: plan.limit(Meter::SpokenSeconds).map(|s| s / 60),
        },
    ];
    let providers = b.providers();
    let offers = b
        .catalog
        .plans
        .iter()
        .map(|pl| {
            let mut features = Vec::new();
            features.push(match pl.limits.interviews_per_month {
                Some(1) => format!("1 interview a {}", pl.period),
                Some(n) => format!("{n} interviews a {}", pl.period),
                None => "Unlimited interviews".into(),
            });
            features.push(match pl.limits.spoken_minutes_per_month {
                Some(n) => format!("{n} spoken minutes a {}", pl.period),
                None => "Unlimited spoken answers".into(),
            });
            if pl.limits.hosted_ai {
                features.push("Feedback from the hosted AI engine (if you allow it)".into());
            }
            PlanOffer {
                id: pl.id.clone(),
                name: pl.name.clone(),
                price: pl.price_text(),
                features,
                providers: pl
                    .providers()
                    .into_iter()
                    .filter(|p| providers.contains(p))
                    .collect(),
                current: pl.id == plan.id,
            }
        })
        .collect();
    let paid_source = match acct.state.source {
        Source::Stripe => Some(Provider::Stripe),
        Source::Razorpay => Some(Provider::Razorpay),
        _ => None,
    };
    let (invoices, invoices_error) = match (paid_source, &b.stripe, &b.razorpay) {
        (Some(Provider::Stripe), Some(conf), _) if acct.customer.is_some() => {
            match s::stripe::invoices(conf, acct.customer.as_deref().unwrap_or_default()).await {
                Ok(v) => (v, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            }
        }
        (Some(Provider::Razorpay), _, Some(conf)) if acct.subscription.is_some() => {
            match s::razorpay::invoices(conf, acct.subscription.as_deref().unwrap_or_default())
                .await
            {
                Ok(v) => (v, None),
                Err(e) => (Vec::new(), Some(e.to_string())),
            }
        }
        _ => (Vec::new(), None),
    };
    let live =
        plan.id != FREE && matches!(acct.state.status, SubStatus::Active | SubStatus::PastDue);
    Ok(Some(BillingView {
        plan_id: plan.id.clone(),
        plan_name: plan.name.clone(),
        source: if plan.id == FREE {
            Source::Free
        } else {
            acct.state.source
        },
        status: acct.state.status,
        period_end: acct.state.period_end.filter(|_| plan.id != FREE),
        cancel_at_period_end: acct.state.cancel_at_period_end,
        grace_until: acct
            .state
            .grace_until
            .filter(|_| acct.state.status == SubStatus::PastDue),
        resets_at: resets,
        meters,
        bonus_interviews: acct.bonus_interviews,
        offers,
        invoices,
        invoices_error,
        manage: paid_source.filter(|_| live || acct.customer.is_some()),
        referrals: b.catalog.referrals.enabled,
    }))
}

/// Signed in. Starts paying for `plan` through `provider`: where the browser goes next (the
/// provider's payment page). Nothing is stored until the provider confirms.
#[server(endpoint = "billing/checkout")]
pub async fn start_checkout(plan: String, provider: Provider) -> Result<CheckoutStart, AppError> {
    use super::service as s;
    let caller = crate::auth::require_caller()?;
    let b = billing()?;
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    crate::ratelimit::hit(&db, &s::CHECKOUTS_PER_ACCOUNT, &caller.user_id, now).await?;
    let pl = b
        .catalog
        .get(&plan)
        .filter(|p| p.id != super::model::FREE)
        .ok_or_else(|| AppError::BadRequest(format!("There is no paid plan {plan:?} here.")))?;
    let user = crate::auth::service::user_by_id(&db, &caller.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !user.email_verified {
        return Err(AppError::BadRequest(
            "Confirm your e-mail address before choosing a plan.".into(),
        ));
    }
    let acct = s::account(&db, &caller.user_id).await?;
    if acct.state.effective_plan(&b.catalog, now).id == pl.id
        && acct.state.source != super::model::Source::Comp
    {
        return Err(AppError::BadRequest(format!(
            "You are on the {} plan already. Use \"Manage subscription\" to change it.",
            pl.name
        )));
    }
    let url = match provider {
        Provider::Stripe => {
            let conf = b
                .stripe
                .as_ref()
                .ok_or_else(|| AppError::BadRequest("Stripe is not used here.".into()))?;
            let customer = acct
                .customer
                .as_deref()
                .filter(|_| acct.state.source == super::model::Source::Stripe);
            s::stripe::checkout(
                conf,
                pl,
                &caller.user_id,
                &user.email,
                customer,
                &public_url()?,
            )
            .await?
        }
        Provider::Razorpay => {
            let conf = b
                .razorpay
                .as_ref()
                .ok_or_else(|| AppError::BadRequest("Razorpay is not used here.".into()))?;
            let sub = s::razorpay::create_subscription(conf, pl, &caller.user_id).await?;
            format!(
                "{}/account/billing/razorpay?subscription={sub}&plan={}",
                public_url()?,
                pl.id
            )
        }
    };
    Ok(CheckoutStart { url })
}

/// Signed in. Back from Stripe Checkout: applies the paid subscription at once (the webhook
/// may come later; both give the same state).
#[server(endpoint = "billing/confirm")]
pub async fn confirm_checkout(session: String) -> Result<bool, AppError> {
    let caller = crate::auth::require_caller()?;
    let b = billing()?;
    let conf = b.stripe.as_ref().ok_or(AppError::NotFound)?;
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    super::service::stripe::confirm(conf, &b, &db, &caller.user_id, &session, now).await
}

/// Signed in. Where the caller manages a Stripe subscription (the Customer Portal).
#[server(endpoint = "billing/portal")]
pub async fn open_portal() -> Result<CheckoutStart, AppError> {
    let caller = crate::auth::require_caller()?;
    let b = billing()?;
    let conf = b.stripe.as_ref().ok_or(AppError::NotFound)?;
    let db: crate::db::Db = crate::request::expect()?;
    let acct = super::service::account(&db, &caller.user_id).await?;
    let customer = acct
        .customer
        .filter(|_| acct.state.source == super::model::Source::Stripe)
        .ok_or_else(|| AppError::BadRequest("You have no Stripe subscription to manage.".into()))?;
    Ok(CheckoutStart {
        url: super::service::stripe::portal(conf, &customer, &public_url()?).await?,
    })
}

/// Signed in. Ends a Razorpay subscription at the end of the period paid for.
#[server(endpoint = "billing/cancel")]
pub async fn cancel_renewal() -> Result<(), AppError> {
    use super::service as s;
    let caller = crate::auth::require_caller()?;
    let b = billing()?;
    let conf = b.razorpay.as_ref().ok_or(AppError::NotFound)?;
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    let acct = s::account(&db, &caller.user_id).await?;
    let sub = acct
        .subscription
        .filter(|_| acct.state.source == super::model::Source::Razorpay)
        .ok_or_else(|| {
            AppError::BadRequest("You have no Razorpay subscription to cancel.".into())
        })?;
    s::razorpay::cancel(conf, &sub, true).await?;
    let o = s::razorpay::observe(conf, &b, &sub).await?;
    s::apply(&db, &b, None, &o, now).await?;
    Ok(())
}

/// What the Razorpay payment page needs: the key id, the script and the subscription.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RazorpayPayInfo {
    pub key_id: String,
    pub checkout_js: String,
    pub subscription: String,
    pub plan_name: String,
    pub price: String,
    pub email: String,
    pub product: String,
}

/// Signed in. The Razorpay payment page's data for one of the caller's new subscriptions.
#[server(endpoint = "billing/razorpay_pay")]
pub async fn razorpay_pay(subscription: String, plan: String) -> Result<RazorpayPayInfo, AppError> {
    let caller = crate::auth::require_caller()?;
    let b = billing()?;
    let conf = b.razorpay.as_ref().ok_or(AppError::NotFound)?;
    let db: crate::db::Db = crate::request::expect()?;
    let o = super::service::razorpay::observe(conf, &b, &subscription).await?;
    if o.user.as_deref() != Some(caller.user_id.as_str()) {
        return Err(AppError::NotFound);
    }
    let pl = b.catalog.get(&plan).ok_or(AppError::NotFound)?;
    let user = crate::auth::service::user_by_id(&db, &caller.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    let inst: std::sync::Arc<crate::policy::Installation> = crate::request::expect()?;
    Ok(RazorpayPayInfo {
        key_id: conf.key_id.clone(),
        checkout_js: conf.checkout_js.clone(),
        subscription,
        plan_name: pl.name.clone(),
        price: pl.price_text(),
        email: user.email,
        product: inst.product_name.clone(),
    })
}

/// Signed in. The caller's referral code, link and the people who joined with it; `None` when
/// billing or referrals are off.
#[server(endpoint = "billing/referrals")]
pub async fn my_referrals() -> Result<Option<ReferralsView>, AppError> {
    let caller = crate::auth::require_caller()?;
    let p: super::service::Payments = crate::request::expect()?;
    let Some(b) = p.on().filter(|b| b.catalog.referrals.enabled) else {
        return Ok(None);
    };
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    Ok(Some(
        super::service::referrals::mine(&db, b, &caller.user_id, &public_url()?, now).await?,
    ))
}

/// Public. Whether a referral code is one (the sign-up page says "invited by a friend");
/// limited per address, so codes cannot be walked.
#[server(endpoint = "billing/referral_check")]
pub async fn check_referral(code: String) -> Result<bool, AppError> {
    let p: super::service::Payments = crate::request::expect()?;
    if !p.on().is_some_and(|b| b.catalog.referrals.enabled) {
        return Ok(false);
    }
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    crate::ratelimit::hit(
        &db,
        &super::service::referrals::CODE_TRIES_PER_IP,
        &crate::request::client_ip(),
        now,
    )
    .await?;
    Ok(super::service::referrals::owner(&db, &code)
        .await?
        .is_some())
}
