//! /admin/billing: accounts on a paid or given plan, failed payments, this month's revenue,
//! and giving an account a plan by hand. Over `billing::service`; no tables of its own.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::billing::types::*;
use crate::ui::time::date;
use crate::ui::ActionStatus;
use crate::AppError;

/// Admin. The billing overview; `None` when billing is off.
#[server(endpoint = "admin/billing")]
pub async fn admin_billing() -> Result<Option<AdminBillingView>, AppError> {
    use crate::billing::model::{money, month_of, SECS_PER_DAY};
    use crate::billing::service as s;
    crate::auth::require_admin()?;
    let p: s::Payments = crate::request::expect()?;
    let Some(b) = p.on() else { return Ok(None) };
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    let email_of = |uid: Option<String>| {
        let db = db.clone();
        async move {
            match uid {
                Some(u) => crate::auth::service::user_by_id(&db, &u)
                    .await
                    .ok()
                    .flatten()
                    .map(|u| u.email),
                None => None,
            }
        }
    };
    let mut subscribers = Vec::new();
    for r in s::subscribers(&db).await? {
        subscribers.push(AdminSubscriber {
            email: email_of(Some(r.user.clone()))
                .await
                .unwrap_or_else(|| "(deleted)".into()),
            plan: b
                .catalog
                .get(&r.plan)
                .map(|p| p.name.clone())
                .unwrap_or(r.plan),
            source: r.source,
            status: r.status,
            period_end: r.period_end,
            cancel_at_period_end: r.cancel_at_period_end,
            grace_until: r.grace_until,
        });
    }
    let (month, _) = month_of(now);
    let since = (now - 30 * SECS_PER_DAY).min(month);
    let payments = s::payments_since(&db, since).await?;
    let mut revenue: std::collections::BTreeMap<String, i64> = Default::default();
    let mut this_month = 0;
    let mut failed = Vec::new();
    for p in payments {
        if p.at >= month && p.status == "paid" {
            *revenue.entry(p.currency.clone()).or_default() += p.amount;
            this_month += 1;
        }
        if p.status == "failed" && p.at >= now - 30 * SECS_PER_DAY {
            failed.push(AdminPayment {
                email: email_of(p.user.clone()).await,
                provider: p.provider,
                invoice: p.invoice.clone(),
                amount: money(p.amount, &p.currency),
                status: p.status.clone(),
                at: p.at,
            });
        }
    }
    Ok(Some(AdminBillingView {
        subscribers,
        failed,
        revenue: revenue.into_iter().map(|(c, a)| money(a, &c)).collect(),
        payments_this_month: this_month,
        plans: b
            .catalog
            .plans
            .iter()
            .map(|p| (p.id.clone(), p.name.clone()))
            .collect(),
    }))
}

/// Admin. Gives the account with this address a plan by hand (for `days`, or until taken
/// back; the free plan takes it back). Logged in the audit log.
#[server(endpoint = "admin/comp")]
pub async fn admin_comp(email: String, plan: String, days: Option<u32>) -> Result<(), AppError> {
    use crate::billing::service as s;
    let me = crate::auth::require_admin()?;
    let p: s::Payments = crate::request::expect()?;
    let b = p.on().ok_or(AppError::NotFound)?;
    let db: crate::db::Db = crate::request::expect()?;
    let now = crate::request::expect::<crate::clock::Clock>()?.now();
    let email = crate::address::normalize_email(&email)?;
    let user = crate::auth::service::user_by_email(&db, &email)
        .await?
        .ok_or_else(|| AppError::BadRequest(format!("No account has the address {email}.")))?;
    let days = days.filter(|d| *d > 0);
    if days.is_some_and(|d| d > 3660) {
        return Err(AppError::BadRequest(
            "Give a plan for at most 3660 days, or leave the days empty for no end.".into(),
        ));
    }
    let until = days.map(|d| now + i64::from(d) * crate::billing::model::SECS_PER_DAY);
    s::comp(&db, b, &user.id, &plan, until, now).await?;
    crate::auth::service::audit(
        &db,
        "plan_given",
        Some(&me.user_id),
        &format!(
            "{} given plan {plan}{}",
            user.id,
            days.map(|d| format!(" for {d} days")).unwrap_or_default()
        ),
        now,
    )
    .await?;
    Ok(())
}

/// "Stripe", "Razorpay", "Given by an admin", "Free" for a stored source or provider.
fn provider_name(s: &str) -> &'static str {
    match s {
        "stripe" => "Stripe",
        "razorpay" => "Razorpay",
        "comp" => "Given by an admin",
        _ => "Free",
    }
}

#[component]
pub fn AdminBillingPage() -> impl IntoView {
    let comp = ServerAction::<AdminComp>::new();
    let data = Resource::new(move || comp.version().get(), |_| admin_billing());
    view! {
        <Title text="Billing"/>
        <h1>"Billing"</h1>
        <Suspense fallback=|| view! { <p>"Loading billing…"</p> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(None) => view! { <p>"No payment provider is configured: billing is off and nothing is limited."</p> }.into_any(),
                Ok(Some(v)) => {
                    let revenue = if v.revenue.is_empty() { "nothing yet".to_string() } else { v.revenue.join(" + ") };
                    view! {
                        <section class="card" aria-labelledby="rev-title">
                            <h2 id="rev-title">"This month"</h2>
                            <p>{format!("Revenue: {revenue} from {} payment{}.", v.payments_this_month, if v.payments_this_month == 1 { "" } else { "s" })}</p>
                            <p>{format!(
                                "{} on a paid or given plan; {} in the last 30 days.",
                                match v.subscribers.len() { 1 => "1 account".to_string(), n => format!("{n} accounts") },
                                match v.failed.len() { 1 => "1 failed payment".to_string(), n => format!("{n} failed payments") },
                            )}</p>
                        </section>
                        <section class="card" aria-labelledby="comp-title">
                            <h2 id="comp-title">"Give a plan"</h2>
                            <ActionForm action=comp attr:class="form">
                                <label for="comp-email">"Account e-mail"</label>
                                <input id="comp-email" name="email" type="email" required maxlength="254"/>
                                <label for="comp-plan">"Plan"</label>
                                <select id="comp-plan" name="plan">
                                    {v.plans.iter().map(|(id, name)| view! { <option value=id.clone()>{name.clone()}</option> }).collect_view()}
                                </select>
                                <label for="comp-days">"Days (empty: no end)"</label>
                                <input id="comp-days" name="days" type="number" min="1" max="3660" inputmode="numeric"/>
                                <button type="submit" class="button">"Give plan"</button>
                            </ActionForm>
                            <ActionStatus value=comp.value() ok="The plan is given."/>
                        </section>
                        <section class="card" aria-labelledby="subs-title">
                            <h2 id="subs-title">"Subscriptions"</h2>
                            {if v.subscribers.is_empty() {
                                view! { <p class="muted">"Nobody is on a paid or given plan yet."</p> }.into_any()
                            } else { view! {
                                <table>
                                    <thead><tr><th scope="col">"Account"</th><th scope="col">"Plan"</th><th scope="col">"Through"</th><th scope="col">"State"</th><th scope="col">"Until"</th></tr></thead>
                                    <tbody>
                                    {v.subscribers.into_iter().map(|s| {
                                        let state = match (s.status.as_str(), s.cancel_at_period_end) {
                                            ("active", true) => "ends at period end".to_string(),
                                            ("past_due", _) => format!("payment failed; grace until {}", s.grace_until.map(date).unwrap_or_default()),
                                            (st, _) => st.replace('_', " "),
                                        };
                                        view! { <tr><th scope="row">{s.email}</th><td>{s.plan}</td><td>{provider_name(s.source.as_str())}</td><td>{state}</td><td>{s.period_end.map(date).unwrap_or_else(|| "—".into())}</td></tr> }
                                    }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any() }}
                        </section>
                        <section class="card" aria-labelledby="failed-title">
                            <h2 id="failed-title">"Failed payments (30 days)"</h2>
                            {if v.failed.is_empty() {
                                view! { <p class="muted">"No failed payments."</p> }.into_any()
                            } else { view! {
                                <table>
                                    <thead><tr><th scope="col">"Account"</th><th scope="col">"Amount"</th><th scope="col">"Provider"</th><th scope="col">"Date"</th></tr></thead>
                                    <tbody>
                                    {v.failed.into_iter().map(|p| view! {
                                        <tr><th scope="row">{p.email.unwrap_or_else(|| "(deleted)".into())}</th><td>{p.amount}</td><td>{provider_name(p.provider.as_str())}</td><td>{date(p.at)}</td></tr>
                                    }).collect_view()}
                                    </tbody>
                                </table>
                            }.into_any() }}
                        </section>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
