use leptos::prelude::*;
use leptos_meta::Title;

use crate::interview::evaluation_engine;

/// The privacy notice of this installation. It describes what this version of Viva actually
/// does; each feature that stores or sends data adds its section here when it lands.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    let engine = Resource::new(|| (), |_| evaluation_engine());
    view! {
        <Title text="Privacy"/>
        <article class="prose" aria-labelledby="privacy-title">
            <h1 id="privacy-title">"Privacy"</h1>
            <p class="lede">"This page describes what this Viva installation does with data. Viva is self-hosted: the operator of this site runs it on a server of their choosing and is responsible for it."</p>
            <h2>"What is stored"</h2>
            <ul>
                <li>"Your account: name, e-mail address, a salted argon2id hash of your password (never the password), the job and experience level you gave, when you accepted these terms, and a security log of sign-ins and account changes."</li>
                <li>"Your practice: your profile (background, target roles, companies, skills), every interview you start — the questions, your typed answers, any follow-up questions and the scores and feedback — so you can resume, read reports and follow your progress."</li>
                <li>"In your browser: your light or dark theme choice, in local storage. It never leaves your device."</li>
                <li>"If you use the contact form: your name, e-mail address and message, so the operator can answer you."</li>
                <li>"On the server: technical logs of each request (time, address path, status, duration and a random request id) to keep the service running. Your IP address is not written to these logs; it is used briefly to limit repeated attempts."</li>
            </ul>
            <h2>"What is sent elsewhere"</h2>
            <Suspense fallback=|| view! { <p>"Checking how answers are evaluated…"</p> }>
                {move || engine.get().map(|r| match r {
                    Ok(e) => match e.hosted_host {
                        Some(host) => view! {
                            <p class="notice">{format!("Your answers are evaluated by {}. On this installation each answer you submit — with its question — is sent to {host} to be scored. If that service cannot answer, Viva's own engine evaluates it on this server instead.", e.name)}</p>
                        }.into_any(),
                        None => view! {
                            <p>"Your answers are evaluated on this server by Viva's own engine; they are not sent to any AI provider."</p>
                        }.into_any(),
                    },
                    Err(_) => view! { <p>"Ask the operator how answers are evaluated on this installation."</p> }.into_any(),
                })}
            </Suspense>
            <p>"E-mails (sign-up codes, password resets) go through the mail server the operator chose. Pages load no third-party scripts, fonts or trackers, and the site's security policy stops the browser from contacting any other site."</p>
            <h2>"Cookies"</h2>
            <p>"Two cookies keep you signed in: a 15-minute access token and a refresh token that renews it. Both are HttpOnly (scripts cannot read them), Secure and SameSite=Strict. There are no advertising or analytics cookies."</p>
            <h2>"Your rights"</h2>
            <p>"You can ask the operator of this installation what they hold about you, and to correct or delete it."</p>
        </article>
    }
}
