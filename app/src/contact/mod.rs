//! Support desk: anyone can write to the operator through the contact form; a signed-in
//! person's messages are linked to their account and listed for them with the replies, and
//! they can answer back. Admins answer at /admin/support (the admin feature calls in here);
//! replies go out by e-mail. Owns `contact_message` and `contact_reply`. Uses: auth (the
//! caller), mail, policy (the operator's address), ratelimit, db, ui.

mod api;
mod model;
#[cfg(feature = "ssr")]
pub mod service;
mod validate;

pub use api::{follow_up, my_messages, send_contact_message, FollowUp, SendContactMessage};
pub use model::{Reply, Ticket, TicketStatus};
pub use validate::{
    validate, validate_reply, ContactInput, MAX_EMAIL_CHARS, MAX_MESSAGE_CHARS, MAX_NAME_CHARS,
    MIN_MESSAGE_CHARS,
};

use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::ui::{time::format_utc, ActionStatus};

#[component]
pub fn ContactPage() -> impl IntoView {
    let send = ServerAction::<SendContactMessage>::new();
    let follow = ServerAction::<FollowUp>::new();
    let pending = send.pending();
    let result = send.value();
    let me = Resource::new(|| (), |_| crate::auth::me());
    let mine = Resource::new(
        move || (send.version().get(), follow.version().get()),
        |_| my_messages(),
    );
    view! {
        <Title text="Contact"/>
        <Meta name="description" content="Write to the people who run this Viva installation: questions, feedback, or a request about your data."/>
        <article class="prose" aria-labelledby="contact-title">
            <h1 id="contact-title">"Contact the team"</h1>
            <p class="lede">"Questions, feedback or a problem with your data? Write to the people who run this Viva installation. Replies come by e-mail"
                <Suspense fallback=|| ".">
                    {move || me.get().and_then(Result::ok).map(|m| if m.is_some() { " and are listed below." } else { ". Sign in before writing to see the conversation here too." })}
                </Suspense>
            </p>
            <Suspense fallback=|| view! { <p>"Loading the form…"</p> }>
                {move || {
                    let (name, email, signed_in) = match me.get().and_then(Result::ok).flatten() {
                        Some(m) => (m.name, m.email, true),
                        None => (String::new(), String::new(), false),
                    };
                    // The form hydrates in a task of its own, after the page.
                    crate::ui::Later::new(move || view! {
                        <ActionForm action=send attr:class="form" attr:aria-describedby="contact-status">
                            <label for="contact-name">"Your name"</label>
                            <input id="contact-name" name="input[name]" autocomplete="name" required maxlength=MAX_NAME_CHARS value=name/>
                            <label for="contact-email">"E-mail address"</label>
                            <input id="contact-email" name="input[email]" type="email" autocomplete="email" required maxlength=MAX_EMAIL_CHARS value=email readonly=signed_in aria-describedby=signed_in.then_some("contact-email-hint")/>
                            {signed_in.then(|| view! { <p id="contact-email-hint" class="hint">"Replies go to your account's address; change it on your account page."</p> })}
                            <label for="contact-message">"Message"</label>
                            <textarea id="contact-message" name="input[message]" rows="6" required minlength=MIN_MESSAGE_CHARS maxlength=MAX_MESSAGE_CHARS></textarea>
                            <button type="submit" class="button" disabled=move || pending.get()>
                                {move || if pending.get() { "Sending…" } else { "Send message" }}
                            </button>
                        </ActionForm>
                    })
                }}
            </Suspense>
            <p id="contact-status" role="status" aria-live="polite">
                {move || match result.get() {
                    Some(Ok(())) => view! { <span class="ok">"Thank you — your message was sent."</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="bad">{e.to_string()}</span> }.into_any(),
                    None => ().into_any(),
                }}
            </p>
            <Suspense fallback=|| ()>
                {move || mine.get().and_then(Result::ok).flatten().map(|list| view! {
                    <section aria-labelledby="mine-title">
                        <h2 id="mine-title">"Your messages"</h2>
                        <ActionStatus value=follow.value() ok="Your reply was sent."/>
                        {if list.is_empty() {
                            view! { <p class="muted">"You have not written to us yet."</p> }.into_any()
                        } else {
                            view! {
                                <ul class="tickets">
                                    {list.into_iter().map(|t| view! { <li><Thread ticket=t follow/></li> }).collect_view()}
                                </ul>
                            }.into_any()
                        }}
                    </section>
                })}
            </Suspense>
        </article>
    }
}

/// One conversation as its writer sees it, with a form to answer back.
#[component]
fn Thread(ticket: Ticket, follow: ServerAction<FollowUp>) -> impl IntoView {
    let label = format!(
        "Reply to your message of {}",
        format_utc(ticket.received_at)
    );
    let field = format!("follow-{}", ticket.id);
    view! {
        <article class="card ticket">
            <p class="muted">{format!("Sent {} · {}", format_utc(ticket.received_at), ticket.status.label())}</p>
            <p class="ticket-body">{ticket.message}</p>
            <TicketReplies replies=ticket.replies/>
            <ActionForm action=follow attr:class="form">
                <input type="hidden" name="id" value=ticket.id/>
                <label for=field.clone()>{label}</label>
                <textarea id=field name="body" rows="3" required maxlength=MAX_MESSAGE_CHARS></textarea>
                <button type="submit" class="button secondary">"Send reply"</button>
            </ActionForm>
        </article>
    }
}

/// The replies of a conversation, oldest first.
#[component]
pub fn TicketReplies(replies: Vec<Reply>) -> impl IntoView {
    view! {
        <ol class="replies">
            {replies.into_iter().map(|r| view! {
                <li class=if r.from_operator { "reply operator" } else { "reply" }>
                    <p class="muted">{format!("{}{} · {}", r.author, if r.from_operator { " (support)" } else { "" }, format_utc(r.at))}</p>
                    <p class="ticket-body">{r.body}</p>
                </li>
            }).collect_view()}
        </ol>
    }
}
