use leptos::prelude::*;
use leptos_meta::{Meta, Title};

use crate::AppError;

/// Loads a policy document as HTML (a server function).
type Load =
    fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<String, AppError>> + Send>>;

/// A policy document as its page holds it: the HTML, or the message of the error that kept it.
/// From the server to the browser it travels as nothing when it is the document: the page's
/// HTML has it already, and hydration leaves an `inner_html` as the server made it — so a page
/// opened directly carries the document once, not twice. (Reached by a link in the browser, the
/// page loads the document itself.)
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shown(Result<String, String>);

impl std::fmt::Display for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.0 {
            Ok(_) => Ok(()),
            Err(message) => f.write_str(message),
        }
    }
}

impl std::str::FromStr for Shown {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Shown(match s {
            "" => Ok(String::new()),
            message => Err(message.to_string()),
        }))
    }
}

/// A policy page: the document this installation published, as HTML made once at start
/// (`policy::Published`); the browser shows it as it is: it neither decodes the document nor
/// hydrates its view.
fn policy_page(
    title: &'static str,
    description: &'static str,
    lede: &'static str,
    load: Load,
) -> impl IntoView {
    let doc = Resource::new_str_blocking(
        || (),
        move |_| async move { Shown(load().await.map_err(|e| e.to_string())) },
    );
    view! {
        <Title text=title/>
        <Meta name="description" content=description/>
        <article class="prose policy" aria-labelledby="policy-title">
            <h1 id="policy-title">{title}</h1>
            <p class="lede">{lede}</p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || doc.get().map(|Shown(r)| match r {
                    Ok(html) => view! { <div inner_html=html></div> }.into_any(),
                    Err(message) => view! { <p class="bad" role="alert">{message}</p> }.into_any(),
                })}
            </Suspense>
        </article>
    }
}

#[cfg(test)]
mod tests {
    use super::Shown;

    #[test]
    fn a_document_travels_as_nothing_and_an_error_as_its_message() {
        let doc = Shown(Ok("<h2>Who we are</h2>".into()));
        assert_eq!(doc.to_string(), "");
        assert_eq!("".parse(), Ok(Shown(Ok(String::new()))));
        let failed = Shown(Err("The server could not answer. Try again.".into()));
        assert_eq!(failed.to_string().parse(), Ok(failed));
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
