use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::AppError;

/// Loads a policy document as HTML (a server function).
type Load =
    fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, AppError>> + Send>>;

/// A policy page: the document this installation published, as HTML made once at start
/// (`policy::Published`); the browser shows it as it is: it neither decodes the document nor
/// hydrates its view.
fn policy_page(
    title: &'static str,
    description: &'static str,
    lede: &'static str,
    load: Load,
) -> impl IntoView {
    let doc = Resource::new_blocking(|| (), move |_| load());
    view! {
        <Title text=title/>
        <Meta name="description" content=description/>
        <article class="prose policy" aria-labelledby="policy-title">
            <h1 id="policy-title">{title}</h1>
            <p class="lede">{lede}</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || doc.get().map(|r| match r {
                    Ok(html) => view! { <div inner_html=html></div> }.into_any(),
                    Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </article>
    }
}

/// The privacy notice, written from this installation's settings.
#[component]
pub fn PrivacyPage() -> impl IntoView {
    policy_page(
        "Privacy notice",
        "What this Viva installation keeps about you, why, for how long, who else receives it, and how to use your rights.",
        "What this Viva installation does with your data. It is written from the installation's own settings, so it says what this site actually does.",
        || Box::pin(crate::privacy::privacy_notice()),
    )
}

/// The terms of use: Viva's, then the operator's own.
#[component]
pub fn TermsPage() -> impl IntoView {
    policy_page(
        "Terms of use",
        "The terms of using this Viva installation: who may use it, acceptable use, your content, automated feedback and how the terms change.",
        "The agreement between you and the people who run this site.",
        || Box::pin(crate::privacy::terms_of_use()),
    )
}
