use leptos::prelude::*;
use leptos_meta::Title;

/// The privacy notice of this installation. It describes what this version of Viva actually
/// does; each feature that stores or sends data adds its section here when it lands.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    view! {
        <Title text="Privacy"/>
        <article class="prose" aria-labelledby="privacy-title">
            <h1 id="privacy-title">"Privacy"</h1>
            <p class="lede">"This page describes what this Viva installation does with data. Viva is self-hosted: the operator of this site runs it on a server of their choosing and is responsible for it."</p>
            <h2>"What is stored"</h2>
            <ul>
                <li>"In your browser: your light or dark theme choice, in local storage. It never leaves your device."</li>
                <li>"If you use the contact form: your name, e-mail address and message, in this installation's database, so the operator can answer you."</li>
                <li>"On the server: technical logs of each request (time, address path, status, duration and a random request id) to keep the service running. Your IP address is not written to these logs."</li>
            </ul>
            <h2>"What is sent elsewhere"</h2>
            <p>"Nothing. Pages load no third-party scripts, fonts or trackers, and the site's security policy stops the browser from contacting any other site."</p>
            <h2>"Cookies"</h2>
            <p>"This version sets no cookies."</p>
            <h2>"Your rights"</h2>
            <p>"You can ask the operator of this installation what they hold about you, and to correct or delete it."</p>
        </article>
    }
}
