//! Service status shown in the footer: the version and whether the database answers.

mod api;
#[cfg(feature = "ssr")]
pub mod service;

pub use api::{get_status, GetStatus, Status};

use leptos::prelude::*;

/// A short line in the footer with the version and the health of the database.
#[component]
pub fn ServerStatus() -> impl IntoView {
    let status = Resource::new(|| (), |_| get_status());
    view! {
        <p class="server-status">
            <Suspense fallback=|| view! { <span>"Checking service…"</span> }>
                {move || status.get().map(|r| match r {
                    Ok(s) => view! {
                        <span>"Viva " {s.version.clone()} " · "
                            <span class=if s.database_ok { "ok" } else { "bad" }>
                                {if s.database_ok { "database ready" } else { "database not answering" }}
                            </span>
                        </span>
                    }.into_any(),
                    Err(e) => view! { <span class="bad">{e.to_string()}</span> }.into_any(),
                })}
            </Suspense>
        </p>
    }
}
