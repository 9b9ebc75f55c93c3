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
    let summary = Resource::new(|| (), |_| crate::privacy::installation_summary());
    // A changed notice or terms not accepted yet: the server sends page loads of member pages
    // to /accept; moving between pages in the browser goes there too.
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| {
        let path = location.pathname.get();
        let member = super::page_access(&path) != super::Access::Public;
        if member
            && !super::open_while_policies_pending(&path)
            && matches!(me.get(), Some(Ok(Some(ref m))) if m.policies_pending)
        {
            navigate(
                &format!("/accept?next={}", crate::auth::url_encode(&path)),
                Default::default(),
            );
        }
    });
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
                                    {m.billing.then(|| view! { <li><A href="/account/billing">"Plan"</A></li> })}
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
                <p>"Viva is open source and self-hostable. "
                    <Suspense fallback=|| ()>
                        {move || summary.get().and_then(Result::ok).map(|s| s.data_sentence())}
                    </Suspense>
                </p>
                <nav aria-label="Policies" class="footer-links">
                    <a href="/privacy">"Privacy"</a>
                    <a href="/terms">"Terms"</a>
                    <a href="/contact">"Contact"</a>
                </nav>
                <p class="server-status">"Viva " {crate::VERSION}</p>
            </div>
        </footer>
    }
}
