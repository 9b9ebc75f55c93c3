use leptos::prelude::*;
use leptos_router::components::A;

use crate::ui::{theme::ThemeToggle, ErrorView};

/// Header with navigation, the page, and a footer. Errors raised by a page are caught here
/// and shown in place of the page, with the layout still around them.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    // Who is signed in, asked again on each navigation (sign-in and sign-out move pages).
    let location = leptos_router::hooks::use_location();
    let me = Resource::new(move || location.pathname.get(), |_| crate::auth::me());
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <header class="site-header">
            <div class="container header-row">
                <a class="brand" href="/" aria-label="Viva home">
                    <span class="brand-mark" aria-hidden="true">"V"</span>
                    <span class="brand-name">"Viva"</span>
                </a>
                <nav aria-label="Main">
                    <ul class="nav-list">
                        <li><A href="/">"Home"</A></li>
                        <li><A href="/privacy">"Privacy"</A></li>
                        <li><A href="/contact">"Contact"</A></li>
                        <Suspense fallback=|| view! { <li><A href="/signin">"Sign in"</A></li> }>
                            {move || match me.get() {
                                Some(Ok(Some(m))) => view! {
                                    <li><A href="/dashboard">"Dashboard"</A></li>
                                    <li><A href="/practice">"Practise"</A></li>
                                    <li><A href="/history">"Progress"</A></li>
                                    {(m.role == crate::auth::Role::Admin).then(|| view! { <li><A href="/admin">"Admin"</A></li> })}
                                }.into_any(),
                                _ => view! { <li><A href="/signin">"Sign in"</A></li> }.into_any(),
                            }}
                        </Suspense>
                    </ul>
                </nav>
                <ThemeToggle/>
            </div>
        </header>
        <main id="main" class="container" tabindex="-1">
            <ErrorBoundary fallback=|errors| view! { <ErrorView errors/> }>
                {children()}
            </ErrorBoundary>
        </main>
        <footer class="site-footer">
            <div class="container footer-row">
                <p>"Viva is open source and self-hostable. Your practice data stays on the server you choose."</p>
                <p class="server-status">"Viva " {crate::VERSION}</p>
            </div>
        </footer>
    }
}
