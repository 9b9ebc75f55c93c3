//! The outcome of a server action under its form: the error, or a short confirmation.

use leptos::prelude::*;

/// Shows the outcome of a server action: its error in an alert, or a message on success.
#[component]
pub fn ActionStatus<O: Clone + Send + Sync + 'static>(
    #[prop(into)] value: Signal<Option<Result<O, crate::AppError>>>,
    #[prop(optional, into)] ok: Option<String>,
) -> impl IntoView {
    view! {
        <div class="form-status" role="status" aria-live="polite">
            {move || match value.get() {
                Some(Err(e)) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                Some(Ok(_)) => view! { <p class="ok">{ok.clone().unwrap_or_default()}</p> }.into_any(),
                None => ().into_any(),
            }}
        </div>
    }
}
