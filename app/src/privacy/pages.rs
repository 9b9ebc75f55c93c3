//! /account/delete: what deleting the account removes, a code by e-mail, then the deletion.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::*;
use crate::ui::ActionStatus;

#[component]
pub fn DeleteAccountPage() -> impl IntoView {
    let send = ServerAction::<StartAccountDeletion>::new();
    let delete = ServerAction::<DeleteMyAccount>::new();
    view! {
        <Title text="Delete my account"/>
        <article class="prose" aria-labelledby="delete-title">
            <h1 id="delete-title">"Delete my account"</h1>
            <p class="lede">"Deleting your account removes, at once and for good:"</p>
            <ul>
                <li>"your account: name, e-mail address, password, job title and sign-in links"</li>
                <li>"your profile and the text of your resume"</li>
                <li>"every interview with its questions, answers, transcripts, scores, feedback and recordings"</li>
                <li>"your sessions on every device, and e-mails and messages you sent to this site"</li>
            </ul>
            <p>"The security log keeps that an account was deleted, without your name or address. A last e-mail confirms the deletion."</p>
            <div class="card">
                <h2>"1. Get a code"</h2>
                <ActionForm action=send attr:class="form">
                    <button type="submit" class="button secondary">"E-mail me a code"</button>
                </ActionForm>
                <ActionStatus value=send.value() ok="We sent a 6-digit code to your address. It works for 10 minutes."/>
            </div>
            <div class="card">
                <h2>"2. Delete"</h2>
                <ActionForm action=delete attr:class="form">
                    <label for="delete-code">"6-digit code"</label>
                    <input id="delete-code" name="code" inputmode="numeric" autocomplete="one-time-code" required maxlength="12"/>
                    <label for="delete-password">"Current password (if your account has one)"</label>
                    <input id="delete-password" name="password" type="password" autocomplete="current-password"/>
                    <button type="submit" class="button danger">"Delete my account"</button>
                </ActionForm>
                <ActionStatus value=delete.value() ok="Your account was deleted."/>
            </div>
        </article>
    }
}
