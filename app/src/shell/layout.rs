use leptos::prelude::*;
use leptos_router::components::A;

use crate::ui::{theme::ThemeToggle, ErrorView};

/// Header with navigation, the page, and a footer. Errors raised by a page are caught here
/// and shown in place of the page, with the layout still around them.
/// Who is signed in, as far as the menu cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Member {
    pub role: crate::auth::Role,
    /// The installation sells plans: the menu links to them.
    pub billing: bool,
}

/// What the server already knows when it renders a page: the caller its session step resolved
/// and what the installation offers. Sent with the page (a `SharedValue`), so the menu, the
/// footer and the landing page render at once — no server function, no database query and no
/// async rendering on the server, and nothing to wait for in the browser.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PageStart {
    pub member: Option<Member>,
    pub summary: Option<crate::policy::Summary>,
}

#[cfg(feature = "ssr")]
fn page_start() -> PageStart {
    let installation = use_context::<std::sync::Arc<crate::policy::Installation>>();
    PageStart {
        member: crate::auth::caller().map(|c| Member {
            role: c.role,
            billing: installation
                .as_ref()
                .is_some_and(|i| !i.payments.is_empty()),
        }),
        summary: installation.map(|i| crate::policy::Summary::of(&i)),
    }
}

#[cfg(not(feature = "ssr"))]
fn page_start() -> PageStart {
    // Only reached outside hydration (never: the layout is made once, while hydrating).
    PageStart::default()
}

/// The signed-in person (None: a visitor), kept current across navigations in the browser.
pub fn use_member() -> RwSignal<Option<Member>> {
    expect_context()
}

/// What the installation offers (where data goes, the try-it question).
pub fn use_summary() -> Option<crate::policy::Summary> {
    use_context::<Option<crate::policy::Summary>>().flatten()
}

/// Header with navigation, the page, and a footer. Errors raised by a page are caught here
/// and shown in place of the page, with the layout still around them.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let start = leptos::server::SharedValue::new(page_start).into_inner();
    let member = RwSignal::new(start.member);
    provide_context(member);
    provide_context(start.summary.clone());
    // Sign-in and sign-out move between pages: after a navigation in the browser, ask who is
    // signed in again. A changed notice or terms not accepted yet: the server sends page loads
    // of member pages to /accept; moving between pages in the browser goes there too.
    let location = leptos_router::hooks::use_location();
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |previous: Option<String>| {
        let path = location.pathname.get();
        if previous.is_some_and(|p| p != path) {
            let navigate = navigate.clone();
            let path = path.clone();
            leptos::task::spawn_local(async move {
                let Ok(me) = crate::auth::me().await else {
                    return;
                };
                member.set(me.as_ref().map(|m| Member {
                    role: m.role,
                    billing: m.billing,
                }));
                let gated = super::page_access(&path) != super::Access::Public
                    && !super::open_while_policies_pending(&path);
                if gated && me.is_some_and(|m| m.policies_pending) {
                    navigate(
                        &format!("/accept?next={}", crate::auth::url_encode(&path)),
                        Default::default(),
                    );
                }
            });
        }
        path
    });
    let summary = start.summary;
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
                        {move || match member.get() {
                            Some(m) => view! {
                                <li><A href="/dashboard">"Dashboard"</A></li>
                                <li><A href="/practice">"Practise"</A></li>
                                <li><A href="/history">"Progress"</A></li>
                                {m.billing.then(|| view! { <li><A href="/account/billing">"Plan"</A></li> })}
                                {(m.role == crate::auth::Role::Admin).then(|| view! { <li><A href="/admin">"Admin"</A></li> })}
                            }.into_any(),
                            None => view! { <li><A href="/signin">"Sign in"</A></li> }.into_any(),
                        }}
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
                    {summary.map(|s| s.data_sentence())}
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
