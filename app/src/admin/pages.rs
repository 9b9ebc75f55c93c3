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
    let filters = [("open", "Open"), ("answered", "Answered"), ("closed", "Closed"), ("all", "All")];
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
