//! /account/billing (plan, usage, upgrade, manage, invoices), /account/referrals, and the
//! Razorpay payment page. Every page says plainly when billing is not used here.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::api::*;
use super::model::{Provider, RewardWhen, Source, SubStatus};
use super::types::*;
use crate::ui::time::date;
use crate::ui::ActionStatus;

/// Sends the browser to a payment page on another site, once the action gave its address.
fn go_to(
    value: impl Fn() -> Option<Result<CheckoutStart, crate::AppError>> + Send + Sync + 'static,
) {
    Effect::new(move |_| {
        if let Some(Ok(s)) = value() {
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign(&s.url);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = s;
        }
    });
}

fn not_here() -> AnyView {
    view! {
        <section class="card">
            <p>"This site has no paid plans: everything is included, with no limits."</p>
            <p><A href="/account">"Back to your account"</A></p>
        </section>
    }
    .into_any()
}

#[component]
pub fn BillingPage() -> impl IntoView {
    let query = use_query_map();
    let checkout = ServerAction::<StartCheckout>::new();
    let portal = ServerAction::<OpenPortal>::new();
    let cancel = ServerAction::<CancelRenewal>::new();
    go_to(move || checkout.value().get());
    go_to(move || portal.value().get());
    // Back from Stripe Checkout: apply the subscription now (the webhook may come later).
    let confirmed = Resource::new(
        move || query.read().get("checkout"),
        |session| async move {
            match session {
                Some(s) => confirm_checkout(s).await.map(Some),
                None => Ok(None),
            }
        },
    );
    let view_data = Resource::new(
        move || (confirmed.get().map(|c| c.is_ok()), cancel.version().get()),
        |_| my_billing(),
    );
    let canceled = move || query.read().get("canceled").is_some();
    let paid = move || {
        query.read().get("paid").is_some() || matches!(confirmed.get(), Some(Ok(Some(true))))
    };
    view! {
        <Title text="Plans and billing"/>
        <h1>"Plans and billing"</h1>
        <Suspense fallback=|| view! { <p>"Loading your plan…"</p> }>
            {move || {
                let note = if paid() {
                    Some(view! { <p class="ok" role="status">"Thank you: your payment went through and your plan is active."</p> }.into_any())
                } else if canceled() {
                    Some(view! { <p class="muted" role="status">"Checkout was cancelled; nothing was charged."</p> }.into_any())
                } else {
                    match confirmed.get() {
                        Some(Err(e)) => Some(view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any()),
                        _ => None,
                    }
                };
                view_data.get().map(|r| match r {
                    Err(crate::AppError::Unauthorized) => view! { <p><A href="/signin?next=/account/billing">"Sign in"</A>" to see your plan."</p> }.into_any(),
                    Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(None) => not_here(),
                    Ok(Some(v)) => view! { {note} <BillingView v=v checkout=checkout portal=portal cancel=cancel/> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn BillingView(
    v: BillingView,
    checkout: ServerAction<StartCheckout>,
    portal: ServerAction<OpenPortal>,
    cancel: ServerAction<CancelRenewal>,
) -> impl IntoView {
    let status = match (v.source, v.status) {
        (Source::Free, _) => "You are on the free plan.".to_string(),
        (Source::Comp, _) => match v.period_end {
            Some(e) => format!("The {} plan was given to you until {}.", v.plan_name, date(e)),
            None => format!("The {} plan was given to you.", v.plan_name),
        },
        (_, SubStatus::PastDue) => format!(
            "Your last payment did not go through. The {} plan keeps working until {}; update your card to keep it.",
            v.plan_name,
            v.grace_until.map(date).unwrap_or_default()
        ),
        (_, _) if v.cancel_at_period_end => format!(
            "Your {} plan ends on {}; after that you are on the free plan. You can renew it until then.",
            v.plan_name,
            v.period_end.map(date).unwrap_or_default()
        ),
        (_, _) => format!(
            "You are on the {} plan. It renews on {}.",
            v.plan_name,
            v.period_end.map(date).unwrap_or_default()
        ),
    };
    let bonus = (v.bonus_interviews > 0).then(|| {
        let s = if v.bonus_interviews == 1 { "" } else { "s" };
        view! { <p>{format!("You also have {} bonus interview{s}, used once the plan's interviews run out.", v.bonus_interviews)}</p> }
    });
    let manage = match v.manage {
        Some(Provider::Stripe) => Some(view! {
            <ActionForm action=portal attr:class="inline">
                <button type="submit" class="button secondary">"Manage subscription"</button>
            </ActionForm>
            <p class="muted">"Cancel, change your card or see your invoices on Stripe's secure page."</p>
            <ActionStatus value=portal.value() ok="Opening the subscription settings…"/>
        }.into_any()),
        Some(Provider::Razorpay) if !v.cancel_at_period_end && v.status == SubStatus::Active => Some(view! {
            <ActionForm action=cancel attr:class="inline">
                <button type="submit" class="button secondary">"Cancel at the end of the period"</button>
            </ActionForm>
            <ActionStatus value=cancel.value() ok="Your plan will end at the end of the period paid for."/>
        }.into_any()),
        _ => None,
    };
    let resets = date(v.resets_at);
    let offers = v.offers.clone();
    let both = offers.iter().any(|o| o.providers.len() > 1);
    let invoices = v.invoices.clone();
    let invoices_error = v.invoices_error.clone();
    view! {
        <section class="card" aria-labelledby="plan-title">
            <h2 id="plan-title">"Your plan: " {v.plan_name.clone()}</h2>
            <p>{status}</p>
            <ul class="usage" aria-label="Usage this period">
                {v.meters.iter().map(|m| {
                    let pct = m.limit.filter(|l| *l > 0).map(|l| (m.used.min(l) * 100 / l).to_string());
                    view! {
                        <li>
                            <span>{m.sentence()}</span>
                            {pct.map(|p| view! { <progress max="100" value=p.clone() aria-label=format!("{} used: {p}%", m.unit)></progress> })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            <p class="muted">{format!("Usage starts again on {resets}.")}</p>
            {bonus}
            {manage}
        </section>
        <section class="card" aria-labelledby="plans-title">
            <h2 id="plans-title">"Plans"</h2>
            <div class="plans">
            {offers.into_iter().map(|o| {
                let several = o.providers.len() > 1;
                let buttons = (!o.current && o.id != "free").then(|| o.providers.clone().into_iter().map(|p| {
                    let label = if both && several {
                        format!("Upgrade to {} with {}", o.name, if p == Provider::Stripe { "Stripe" } else { "Razorpay" })
                    } else {
                        format!("Upgrade to {}", o.name)
                    };
                    let id = o.id.clone();
                    view! {
                        <ActionForm action=checkout attr:class="inline">
                            <input type="hidden" name="plan" value=id/>
                            <input type="hidden" name="provider" value=p.as_str()/>
                            <button type="submit" class="button" disabled=move || checkout.pending().get()>{label}</button>
                        </ActionForm>
                    }
                }).collect_view());
                view! {
                    <article class="plan" class:current=o.current aria-labelledby=format!("plan-{}", o.id)>
                        <h3 id=format!("plan-{}", o.id)>{o.name.clone()}</h3>
                        <p class="price">{o.price.clone()}</p>
                        <ul>{o.features.iter().map(|f| view! { <li>{f.clone()}</li> }).collect_view()}</ul>
                        {o.current.then(|| view! { <p class="muted">"Your plan"</p> })}
                        {buttons}
                    </article>
                }
            }).collect_view()}
            </div>
            <ActionStatus value=checkout.value() ok="Opening the payment page…"/>
        </section>
        <section class="card" aria-labelledby="inv-title">
            <h2 id="inv-title">"Invoices"</h2>
            {invoices_error.map(|e| view! { <p class="bad" role="alert">{e}</p> })}
            {if invoices.is_empty() {
                view! { <p class="muted">"No invoices yet. They appear here after your first payment."</p> }.into_any()
            } else {
                view! {
                    <table>
                        <caption class="sr-only">"Your invoices"</caption>
                        <thead><tr><th scope="col">"Date"</th><th scope="col">"Invoice"</th><th scope="col">"Amount"</th><th scope="col">"Status"</th></tr></thead>
                        <tbody>
                        {invoices.into_iter().map(|i| view! {
                            <tr>
                                <td>{date(i.at)}</td>
                                <td>{match i.url {
                                    Some(u) => view! { <a href=u rel="noopener" aria-label=format!("View invoice {}", i.number)>{i.number.clone()}</a> }.into_any(),
                                    None => view! { <span>{i.number.clone()}</span> }.into_any(),
                                }}</td>
                                <td>{i.amount}</td>
                                <td>{i.status}</td>
                            </tr>
                        }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
        {v.referrals.then(|| view! {
            <section class="card">
                <h2>"Invite a friend"</h2>
                <p><A href="/account/referrals">"Your referral link"</A>" earns you both bonus interviews."</p>
            </section>
        })}
    }
}

#[component]
pub fn ReferralsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| my_referrals());
    view! {
        <Title text="Invite a friend"/>
        <h1>"Invite a friend"</h1>
        <Suspense fallback=|| view! { <p>"Loading your referral link…"</p> }>
            {move || data.get().map(|r| match r {
                Err(crate::AppError::Unauthorized) => view! { <p><A href="/signin?next=/account/referrals">"Sign in"</A>" to see your referral link."</p> }.into_any(),
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(None) => not_here(),
                Ok(Some(v)) => {
                    let when = match v.reward_when {
                        RewardWhen::FirstInterview => "finishes their first interview",
                        RewardWhen::FirstPayment => "first pays for a plan",
                    };
                    let rewarded = v.referred.iter().filter(|r| r.status == "rewarded").count();
                    view! {
                        <section class="card" aria-labelledby="ref-title">
                            <h2 id="ref-title">"Share your link"</h2>
                            <p>{format!("When someone signs up with your link, confirms their address and {when}, you both get {} bonus interviews (up to {} rewarded referrals a month).", v.reward_interviews, v.max_rewards_per_month)}</p>
                            <div class="form">
                                <label for="ref-link">"Your referral link"</label>
                                <input id="ref-link" readonly value=v.link.clone() class="copyable"/>
                            </div>
                            <p>"Your code: " <strong><code>{v.code.clone()}</code></strong></p>
                            <p>{match v.referred.len() {
                                0 => "Nobody has joined with your link yet.".to_string(),
                                1 => format!("1 person joined with your link; {rewarded} earned you a reward ({} bonus interviews).", v.earned),
                                n => format!("{n} people joined with your link; {rewarded} earned you a reward ({} bonus interviews).", v.earned),
                            }}</p>
                        </section>
                        {(!v.referred.is_empty()).then(|| view! {
                            <section class="card">
                                <h2>"People you invited"</h2>
                                <table>
                                    <caption class="sr-only">"People who joined with your link"</caption>
                                    <thead><tr><th scope="col">"Joined"</th><th scope="col">"Reward"</th></tr></thead>
                                    <tbody>
                                    {v.referred.iter().map(|r| {
                                        let s = match (r.status.as_str(), r.reason.as_deref()) {
                                            ("rewarded", _) => format!("Rewarded {}", r.rewarded_at.map(date).unwrap_or_default()),
                                            ("attributed", _) => "Waiting for their first interview".to_string(),
                                            ("reversed", _) => "Taken back: their payment was refunded".to_string(),
                                            (_, Some("monthly cap")) => "Not rewarded: this month's limit was reached".to_string(),
                                            _ => "Not rewarded".to_string(),
                                        };
                                        view! { <tr><td>{date(r.joined_at)}</td><td>{s}</td></tr> }
                                    }).collect_view()}
                                    </tbody>
                                </table>
                            </section>
                        })}
                    }.into_any()
                }
            })}
        </Suspense>
    }
}

/// Razorpay's Standard Checkout for a subscription just made: its script opens the payment
/// window; Razorpay then posts the signed result to Viva's return address.
#[component]
pub fn RazorpayPayPage() -> impl IntoView {
    let query = use_query_map();
    let data = Resource::new(
        move || (query.read().get("subscription"), query.read().get("plan")),
        |(s, p)| async move { razorpay_pay(s.unwrap_or_default(), p.unwrap_or_default()).await },
    );
    let nonce = use_context::<leptos::nonce::Nonce>().map(|n| n.to_string());
    view! {
        <Title text="Pay with Razorpay"/>
        <h1>"Pay with Razorpay"</h1>
        <Suspense fallback=|| view! { <p>"Preparing the payment…"</p> }>
            {move || {
                let nonce = nonce.clone();
                data.get().map(|r| match r {
                    Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(p) => view! {
                        <section class="card">
                            <p>{format!("{}: {}", p.plan_name, p.price)}</p>
                            <button type="button" class="button" id="rzp-pay"
                                data-key=p.key_id.clone() data-subscription=p.subscription.clone() data-name=p.product.clone()
                                data-description=p.plan_name.clone() data-email=p.email.clone()
                                data-callback="/billing/razorpay/return">"Pay with Razorpay"</button>
                            <p class="muted">"Razorpay's payment window opens on this page; you come back here when it is done."</p>
                            <p><A href="/account/billing">"Back to Plans and billing"</A></p>
                            <script src=p.checkout_js.clone() nonce=nonce.clone() defer></script>
                            <script src="/billing/razorpay.js" nonce=nonce defer></script>
                        </section>
                    }.into_any(),
                })
            }}
        </Suspense>
    }
}
