//! Contact form: anyone can send the operator a message; it is stored in the database
//! (`contact_message`, owned here).

mod api;
#[cfg(feature = "ssr")]
pub mod service;
mod validate;

pub use api::{send_contact_message, SendContactMessage};
pub use validate::{
    validate, ContactInput, MAX_EMAIL_CHARS, MAX_MESSAGE_CHARS, MAX_NAME_CHARS, MIN_MESSAGE_CHARS,
};

use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn ContactPage() -> impl IntoView {
    let send = ServerAction::<SendContactMessage>::new();
    let pending = send.pending();
    let result = send.value();
    view! {
        <Title text="Contact"/>
        <article class="prose" aria-labelledby="contact-title">
            <h1 id="contact-title">"Contact the team"</h1>
            <p class="lede">"Questions, feedback or a problem with your data? Write to the people who run this Viva installation."</p>
            <ActionForm action=send attr:class="form" attr:aria-describedby="contact-status">
                <label for="contact-name">"Your name"</label>
                <input id="contact-name" name="input[name]" autocomplete="name" required maxlength=MAX_NAME_CHARS/>
                <label for="contact-email">"E-mail address"</label>
                <input id="contact-email" name="input[email]" type="email" autocomplete="email" required maxlength=MAX_EMAIL_CHARS/>
                <label for="contact-message">"Message"</label>
                <textarea id="contact-message" name="input[message]" rows="6" required minlength=MIN_MESSAGE_CHARS maxlength=MAX_MESSAGE_CHARS></textarea>
                <button type="submit" class="button" disabled=move || pending.get()>
                    {move || if pending.get() { "Sending…" } else { "Send message" }}
                </button>
            </ActionForm>
            <p id="contact-status" role="status" aria-live="polite">
                {move || match result.get() {
                    Some(Ok(())) => view! { <span class="ok">"Thank you — your message was sent."</span> }.into_any(),
                    Some(Err(e)) => view! { <span class="bad">{e.to_string()}</span> }.into_any(),
                    None => ().into_any(),
                }}
            </p>
        </article>
    }
}
