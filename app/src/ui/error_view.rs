use leptos::prelude::*;

use crate::AppError;

/// Shows the errors caught by an error boundary, typed where they are [`AppError`]s, and sets
/// the HTTP status of a server-rendered page to match.
#[component]
pub fn ErrorView(errors: ArcRwSignal<Errors>) -> impl IntoView {
    let list = move || {
        errors
            .get()
            .into_iter()
            .map(|(_, e)| match e.downcast_ref::<AppError>() {
                Some(app) => app.clone(),
                None => AppError::Internal,
            })
            .collect::<Vec<_>>()
    };
    #[cfg(feature = "ssr")]
    {
        let status = list()
            .first()
            .map(|e| e.status_code())
            .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
        if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
            res.set_status(status);
        }
    }
    view! {
        <section class="error-panel" role="alert" aria-labelledby="error-title">
            <h1 id="error-title">"Something needs your attention"</h1>
            <ul>
                {move || list().into_iter().map(|e| view! { <li>{e.to_string()}</li> }).collect_view()}
            </ul>
            <p><a href="/">"Back to the home page"</a></p>
        </section>
    }
}

/// One error in place of a page's content, with the page's HTTP status set to match; "not
/// found" (which is also what someone else's record looks like) shows the 404 page.
#[component]
pub fn ErrorNotice(error: AppError) -> impl IntoView {
    if error == AppError::NotFound {
        return view! { <crate::ui::NotFound/> }.into_any();
    }
    #[cfg(feature = "ssr")]
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.set_status(error.status_code());
    }
    view! {
        <section class="error-panel" role="alert" aria-labelledby="error-title">
            <h1 id="error-title">"Something needs your attention"</h1>
            <p>{error.to_string()}</p>
            <p><a href="/">"Back to the home page"</a></p>
        </section>
    }
    .into_any()
}
