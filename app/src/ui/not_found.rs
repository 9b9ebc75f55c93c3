use leptos::prelude::*;
use leptos_meta::Title;

/// The page for any address that has no route. Answers with HTTP 404 when rendered on the server.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <section class="not-found" aria-labelledby="nf-title">
            <p class="eyebrow">"404"</p>
            <h1 id="nf-title">"We could not find that page"</h1>
            <p>"The address may be mistyped, or the page may have moved."</p>
            <p><a class="button" href="/">"Go to the home page"</a></p>
        </section>
    }
}
