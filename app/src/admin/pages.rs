//! Admin pages: people (search, role, disable, delete), the audit log, the outbox, support.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

use super::api::*;
use crate::ui::{time::format_utc, ActionStatus};

#[component]
fn AdminNav() -> impl IntoView {
    view! {
        <nav aria-label="Administration" class="sub-nav">
            <A href="/admin" exact=true>"People"</A>
            <A href="/admin/audit">"Audit log"</A>
            <A href="/admin/outbox">"Outbox"</A>
            <A href="/admin/support">"Support"</A>
            <A href="/admin/insights">"Insights"</A>
        </nav>
    }
}

#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.read().get("q").unwrap_or_default();
    let set_role = ServerAction::<AdminSetRole>::new();
    let set_disabled = ServerAction::<AdminSetDisabled>::new();
    let delete = ServerAction::<AdminDeleteUser>::new();
    let users = Resource::new(
        move || {
            (
                search(),
                set_role.version().get(),
                set_disabled.version().get(),
                delete.version().get(),
            )
        },
        |(q, _, _, _)| admin_users(q),
    );
    view! {
        <Title text="Administration"/>
        <h1>"Administration"</h1>
        <AdminNav/>
        <form method="get" action="/admin" class="form inline" role="search">
            <label for="admin-q">"Search people"</label>
            <input id="admin-q" name="q" type="search" maxlength="100" prop:value=search placeholder="Name or e-mail"/>
            <button type="submit" class="button secondary">"Search"</button>
        </form>
        <ActionStatus value=set_role.value() ok="Role changed."/>
        <ActionStatus value=set_disabled.value() ok="Access changed."/>
        <ActionStatus value=delete.value() ok="The account and everything in it were deleted."/>
        <Suspense fallback=|| view! { <p>"Loading people…"</p> }>
            {move || users.get().map(|r| match r {
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p>"Nobody matches."</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap">
                    <table class="data">
                        <caption class="sr-only">"People on this installation"</caption>
                        <thead><tr><th scope="col">"Name"</th><th scope="col">"E-mail"</th><th scope="col">"Role"</th>
                            <th scope="col">"Status"</th><th scope="col">"Joined"</th><th scope="col">"Actions"</th></tr></thead>
                        <tbody>
                        {list.into_iter().map(|u| {
                            let is_admin = u.role == crate::auth::Role::Admin;
                            let other_role = if is_admin { crate::auth::Role::User } else { crate::auth::Role::Admin }.as_str();
                            let role_label = if is_admin { format!("Make {} a user", u.name) } else { format!("Make {} an admin", u.name) };
                            let disable_label = if u.disabled { format!("Enable {}", u.name) } else { format!("Disable {}", u.name) };
                            let (role_id, access_id, delete_id) = (u.id.clone(), u.id.clone(), u.id.clone());
                            let confirm_id = format!("del-{}", u.id);
                            let confirm_label = format!("Type {} to delete this account", u.email);
                            let delete_label = format!("Delete {}'s account", u.name);
                            view! {
                                <tr>
                                    <td>{u.name.clone()}</td>
                                    <td>{u.email.clone()}</td>
                                    <td>{u.role.as_str()}</td>
                                    <td>{if u.disabled { "disabled" } else if u.email_verified { "active" } else { "unconfirmed" }}</td>
                                    <td>{format_utc(u.created_at)}</td>
                                    <td class="actions">
                                        <ActionForm action=set_role attr:class="inline">
                                            <input type="hidden" name="user_id" value=role_id/>
                                            <input type="hidden" name="role" value=other_role/>
                                            <button type="submit" class="button small secondary" aria-label=role_label>
                                                {if is_admin { "Make user" } else { "Make admin" }}
                                            </button>
                                        </ActionForm>
                                        <ActionForm action=set_disabled attr:class="inline">
                                            <input type="hidden" name="user_id" value=access_id/>
                                            <input type="hidden" name="disabled" value=(!u.disabled).to_string()/>
                                            <button type="submit" class="button small secondary" aria-label=disable_label>
                                                {if u.disabled { "Enable" } else { "Disable" }}
                                            </button>
                                        </ActionForm>
                                        <details class="confirm">
                                            <summary aria-label=delete_label.clone()>"Delete…"</summary>
                                            <ActionForm action=delete attr:class="form">
                                                <input type="hidden" name="user_id" value=delete_id/>
                                                <label for=confirm_id.clone()>{confirm_label}</label>
                                                <input id=confirm_id name="confirm" autocomplete="off" required/>
                                                <button type="submit" class="button small danger">{delete_label}</button>
                                            </ActionForm>
                                        </details>
                                    </td>
                                </tr>
                            }
                        }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminAuditPage() -> impl IntoView {
    let query = use_query_map();
    let kind = move || query.read().get("kind").unwrap_or_default();
    let events = Resource::new(kind, admin_audit);
    view! {
        <Title text="Audit log"/>
        <h1>"Audit log"</h1>
        <AdminNav/>
        <form method="get" action="/admin/audit" class="form inline">
            <label for="audit-kind">"Event"</label>
            <select id="audit-kind" name="kind">
                {["", "sign_in", "sign_in_failure", "sign_in_disabled", "otp_failure", "password_confirm_failure", "refresh_token_reuse", "password_reset", "password_changed", "email_changed", "email_verified", "role_changed", "account_disabled", "account_enabled", "session_revoked", "sign_out", "sign_out_everywhere", "sign_up", "sign_up_existing_address", "oidc_linked"]
                    .into_iter()
                    .map(|k| view! { <option value=k selected=move || kind() == k>{if k.is_empty() { "All events" } else { k }}</option> })
                    .collect_view()}
            </select>
            <button type="submit" class="button secondary">"Show"</button>
        </form>
        <Suspense fallback=|| view! { <p>"Loading events…"</p> }>
            {move || events.get().map(|r| match r {
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p>"No events."</p> }.into_any(),
                Ok(list) => view! {
                    <div class="table-wrap">
                    <table class="data">
                        <caption class="sr-only">"Security events, newest first"</caption>
                        <thead><tr><th scope="col">"When"</th><th scope="col">"Event"</th><th scope="col">"Account"</th><th scope="col">"Detail"</th></tr></thead>
                        <tbody>
                        {list.into_iter().map(|a| view! {
                            <tr><td>{format_utc(a.at)}</td><td>{a.kind}</td><td>{a.email.unwrap_or_else(|| "—".into())}</td><td>{a.detail}</td></tr>
                        }).collect_view()}
                        </tbody>
                    </table>
                    </div>
                }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn AdminOutboxPage() -> impl IntoView {
    let mails = Resource::new(|| (), |_| admin_outbox());
    view! {
        <Title text="Outbox"/>
        <h1>"Outbox"</h1>
        <AdminNav/>
        <p class="muted">"Every e-mail this site sent or is keeping. One-time codes are masked, and what was sent is not kept. Without an SMTP server (--smtp-url) e-mails stay here as stored and reach nobody."</p>
        <Suspense fallback=|| view! { <p>"Loading e-mails…"</p> }>
            {move || mails.get().map(|r| match r {
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p>"No e-mails yet."</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="outbox">
                    {list.into_iter().map(|m| view! {
                        <li class="card">
                            <details>
                                <summary>
                                    <strong>{m.subject.clone()}</strong>" to "{m.to.clone()}
                                    <span class=format!("badge {}", m.status)>{m.status.as_str()}</span>
                                    <span class="muted">{format_utc(m.created_at)}</span>
                                </summary>
                                <p class="muted">{format!("Written {}; {} attempt(s)", format_utc(m.created_at), m.attempts)}
                                    {m.last_error.clone().map(|e| format!("; last error: {e}")).unwrap_or_default()}</p>
                                {if m.text.is_empty() {
                                    view! { <p class="muted">"Sent: its text is not kept."</p> }.into_any()
                                } else {
                                    view! { <pre class="mail-text">{m.text.clone()}</pre> }.into_any()
                                }}
                            </details>
                        </li>
                    }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
    }
}

/// The support desk: conversations by state, each with its thread, a reply form (the reply is
/// e-mailed) and close / reopen.
#[component]
pub fn AdminSupportPage() -> impl IntoView {
    let query = use_query_map();
    let status = move || query.read().get("status").unwrap_or_else(|| "open".into());
    let reply = ServerAction::<AdminReply>::new();
    let set = ServerAction::<AdminTicketStatus>::new();
    let tickets = Resource::new(
        move || (status(), reply.version().get(), set.version().get()),
        |(s, _, _)| admin_tickets(s),
    );
    let filters = [
        ("open", "Open"),
        ("answered", "Answered"),
        ("closed", "Closed"),
        ("all", "All"),
    ];
    view! {
        <Title text="Support"/>
        <h1>"Support"</h1>
        <AdminNav/>
        <nav aria-label="Conversations by state" class="sub-nav">
            {filters.into_iter().map(|(s, label)| view! {
                <a href=format!("/admin/support?status={s}") aria-current=move || (status() == s).then_some("page")>{label}</a>
            }).collect_view()}
        </nav>
        <ActionStatus value=reply.value() ok="Reply sent: it is in the thread and on its way by e-mail."/>
        <ActionStatus value=set.value() ok="Updated."/>
        <Suspense fallback=|| view! { <p>"Loading conversations…"</p> }>
            {move || tickets.get().map(|r| match r {
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(list) if list.is_empty() => view! { <p>"No conversations here."</p> }.into_any(),
                Ok(list) => view! {
                    <ul class="tickets">
                    {list.into_iter().map(|t| {
                        let field = format!("reply-{}", t.id);
                        let next = if t.status == TicketStatus::Closed { ("open", "Reopen") } else { ("closed", "Close") };
                        let close_label = format!("{} the conversation with {}", next.1, t.name);
                        let (reply_id, status_id) = (t.id.clone(), t.id.clone());
                        view! {
                            <li class="card ticket">
                                <details>
                                    <summary>
                                        <strong>{t.name.clone()}</strong>" <"{t.email.clone()}">"
                                        <span class=format!("badge {}", t.status)>{t.status.label()}</span>
                                        <span class="muted">{format!(" {}{}", format_utc(t.received_at), if t.from_account { " · account" } else { "" })}</span>
                                    </summary>
                                    <p class="ticket-body">{t.message.clone()}</p>
                                    <crate::contact::TicketReplies replies=t.replies.clone()/>
                                    <ActionForm action=reply attr:class="form">
                                        <input type="hidden" name="id" value=reply_id/>
                                        <label for=field.clone()>{format!("Reply to {}", t.name)}</label>
                                        <textarea id=field name="body" rows="4" required maxlength=crate::contact::MAX_MESSAGE_CHARS></textarea>
                                        <button type="submit" class="button">"Send reply"</button>
                                    </ActionForm>
                                    <ActionForm action=set attr:class="inline">
                                        <input type="hidden" name="id" value=status_id/>
                                        <input type="hidden" name="status" value=next.0/>
                                        <button type="submit" class="button secondary small" aria-label=close_label>{next.1}</button>
                                    </ActionForm>
                                </details>
                            </li>
                        }
                    }).collect_view()}
                    </ul>
                }.into_any(),
            })}
        </Suspense>
    }
}

fn secs(v: Option<f64>) -> String {
    v.map(|s| format!("{s:.0} s")).unwrap_or_else(|| "—".into())
}

fn whole(v: Option<u32>) -> String {
    v.map(|x| x.to_string()).unwrap_or_else(|| "—".into())
}

fn percent(part: u32, of: u32) -> String {
    if of == 0 {
        "—".into()
    } else {
        format!("{:.0} %", part as f64 * 100.0 / of as f64)
    }
}

/// First-party analytics: aggregate figures over 7, 30 or 90 days, as SVG charts with the
/// numbers beside them. Nothing per person.
#[component]
pub fn AdminInsightsPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query
            .read()
            .get("days")
            .and_then(|d| d.parse::<u32>().ok())
            .unwrap_or(30)
    };
    let data = Resource::new(days, admin_insights);
    view! {
        <Title text="Insights"/>
        <h1>"Insights"</h1>
        <AdminNav/>
        <nav aria-label="Period" class="sub-nav">
            {super::insights::PERIODS.into_iter().map(|d| view! {
                <a href=format!("/admin/insights?days={d}") aria-current=move || (days() == d).then_some("page")>{format!("{d} days")}</a>
            }).collect_view()}
        </nav>
        <p class="muted">"Counted from this site's own database: no third-party script, no IP addresses, nothing about any one person. Days are UTC."</p>
        <Suspense fallback=|| view! { <p>"Counting…"</p> }>
            {move || data.get().map(|r| match r {
                Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Ok(i) => {
                    let charts = [
                        ("People practising each day", i.practising.clone()),
                        ("Sign-ups each day", i.sign_ups.clone()),
                        ("Interviews started each day", i.started.clone()),
                        ("Interviews finished each day", i.finished.clone()),
                    ];
                    let [signed, confirmed, started, finished] = i.funnel;
                    view! {
                        <div class="insight-grid">
                            {charts.into_iter().map(|(title, values)| {
                                let total: u32 = values.iter().sum();
                                view! {
                                    <section class="card" aria-label=title>
                                        <h2>{title}</h2>
                                        <p class="big-number">{total}<span class="muted">{format!(" in {} days", i.days)}</span></p>
                                        <crate::ui::chart::DailyBars values=values first=i.first_day.clone() last=i.last_day.clone() label=format!("{title}, {} to {}: {total} in all", i.first_day, i.last_day)/>
                                    </section>
                                }
                            }).collect_view()}
                        </div>
                        <section class="card" aria-labelledby="funnel-title">
                            <h2 id="funnel-title">"From sign-up to a finished interview"</h2>
                            <p class="muted">"People who signed up in these days."</p>
                            <table class="data">
                                <thead><tr><th scope="col">"Step"</th><th scope="col">"People"</th><th scope="col">"Of sign-ups"</th></tr></thead>
                                <tbody>
                                    <tr><th scope="row">"Signed up"</th><td>{signed}</td><td>{percent(signed, signed)}</td></tr>
                                    <tr><th scope="row">"Confirmed their address"</th><td>{confirmed}</td><td>{percent(confirmed, signed)}</td></tr>
                                    <tr><th scope="row">"Started an interview"</th><td>{started}</td><td>{percent(started, signed)}</td></tr>
                                    <tr><th scope="row">"Finished an interview"</th><td>{finished}</td><td>{percent(finished, signed)}</td></tr>
                                </tbody>
                            </table>
                        </section>
                        <section class="card" aria-labelledby="quality-title">
                            <h2 id="quality-title">"Answers"</h2>
                            <dl class="facts">
                                <dt>"Median score of finished interviews"</dt><dd>{whole(i.median_score)}</dd>
                                <dt>"Median answer length"</dt><dd>{i.median_answer_words.map(|w| format!("{w} words")).unwrap_or_else(|| "—".into())}</dd>
                                <dt>"Speech waiting for its transcript (median / 90th percentile)"</dt><dd>{format!("{} / {}", secs(i.median_queue_secs), secs(i.p90_queue_secs))}</dd>
                                <dt>"Sign-ups that confirmed their address"</dt><dd>{percent(i.verified_total, i.sign_ups_total)}</dd>
                            </dl>
                        </section>
                        <section class="card" aria-labelledby="mode-title">
                            <h2 id="mode-title">"By answer mode and by role"</h2>
                            <table class="data">
                                <thead><tr><th scope="col">"Mode"</th><th scope="col">"Started"</th><th scope="col">"Finished"</th></tr></thead>
                                <tbody>{i.by_mode.into_iter().map(|(m, a, b)| view! { <tr><th scope="row">{m}</th><td>{a}</td><td>{b}</td></tr> }).collect_view()}</tbody>
                            </table>
                            <table class="data">
                                <thead><tr><th scope="col">"Role"</th><th scope="col">"Started"</th><th scope="col">"Finished"</th></tr></thead>
                                <tbody>{i.by_role.into_iter().map(|(m, a, b)| view! { <tr><th scope="row">{m}</th><td>{a}</td><td>{b}</td></tr> }).collect_view()}</tbody>
                            </table>
                        </section>
                    }.into_any()
                }
            })}
        </Suspense>
    }
}
