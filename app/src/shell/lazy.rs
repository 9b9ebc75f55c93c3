//! The pages whose code the browser loads only when one of them is visited: every page but the
//! landing page, in three modules: the other public pages (sign-in, sign-up, the notices,
//! contact), a member's pages and the admin pages. `.ci/build` splits the browser bundle at the
//! three split points below (`.ci/bundle`), so the landing page downloads only its own code and
//! Leptos, and a member's first page loads all of the member pages at once (one module: moving
//! between them never waits again). On the server they render like any other page. What only
//! those pages need is in their modules too: the error boundary around each page, and the
//! layout's check of who is signed in after a navigation. The landing page's try-it panel takes
//! the rest of its code from the public pages' module when the visitor comes to it
//! ([`TRY_PANEL`]). Few modules: every split point adds the chunks its code shares with the
//! others, and each module a page waits for costs it blocking time in Lighthouse.

use leptos::prelude::*;
use leptos_router::LazyRoute;

/// `lazy_pages!(loader, preload, Which { Route => Page, .. } [parts { Part => View, .. }])`:
/// an enum `Which` naming the pages (and parts of pages), a function `loader` that renders one
/// (the split point: every view it names goes to one module), and for each page a [`LazyRoute`]
/// `Route`. In the browser, `loader` fetches the module first, and `preload` (made beside it)
/// fetches it alone: the router awaits it before hydrating the page, so that the page's view is
/// ready to take over the server's HTML. A module that cannot be fetched is an error, not a
/// panic (`fallible`; Leptos's `#[lazy]` would abort the whole bundle): see [`unavailable`].
macro_rules! lazy_pages {
    ($loader:ident, $preload:ident, $which:ident { $($route:ident => $($page:ident)::+,)+ }
        $(parts { $($part:ident => $($view:ident)::+,)+ })?) => {
        // The variants are the routes' names (the admin pages' all start with Admin).
        #[allow(clippy::enum_variant_names)]
        #[derive(Clone, Copy, Debug)]
        pub enum $which {
            $($route,)+
            $($($part,)+)?
        }

        #[cfg_attr(feature = "hydrate", leptos::wasm_split::wasm_split(
            $loader, wasm_split_path = ::leptos::wasm_split, fallible, preload($preload)))]
        fn $loader(page: $which) -> Result<AnyView, leptos::wasm_split::SplitLoaderError> {
            super::layout::hand_over_refresh();
            Ok(match page {
                $($which::$route => view! {
                    <ErrorBoundary fallback=|errors| view! { <crate::ui::ErrorView errors/> }>
                        <$($page)::+/>
                    </ErrorBoundary>
                }.into_any(),)+
                $($($which::$part => view! { <$($view)::+/> }.into_any(),)+)?
            })
        }

        $(
            #[derive(Debug)]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    #[cfg(feature = "hydrate")]
                    let page = $loader($which::$route).await;
                    #[cfg(not(feature = "hydrate"))]
                    let page = $loader($which::$route);
                    match page {
                        Ok(page) => page,
                        Err(_) => unavailable().await,
                    }
                }

                async fn preload() {
                    // A failure shows in `view`, which tries once more.
                    #[cfg(feature = "hydrate")]
                    let _ = $preload().await;
                }
            }
        )+
    };
}

/// A page's module could not be fetched: the browser is offline, or this tab was left open
/// across an upgrade of the server and its bundle's modules are gone. The page is then loaded
/// afresh from the server, as a link without the bundle would be (a working network brings it
/// with the new bundle; none, the browser's own offline page) — unless it is the page the
/// browser opened: its server-rendered HTML stays, and its forms post without the bundle.
/// Never resolves.
async fn unavailable() -> AnyView {
    #[cfg(feature = "hydrate")]
    if super::layout::moved() {
        let location = leptos_router::hooks::use_location();
        let search = location.search.get_untracked();
        let _ = window().location().assign(&format!(
            "{}{}{search}{}",
            location.pathname.get_untracked(),
            if search.is_empty() { "" } else { "?" },
            location.hash.get_untracked(),
        ));
    }
    std::future::pending::<()>().await;
    ().into_any()
}

lazy_pages!(member_page, __preload_member_page, MemberPage {
    Dashboard => crate::auth::DashboardPage,
    Account => crate::auth::AccountPage,
    AcceptPolicies => crate::auth::PolicyGate,
    DeleteAccount => crate::privacy::DeleteAccountPage,
    AccountData => crate::privacy::DataPage,
    Billing => crate::billing::pages::BillingPage,
    RazorpayPay => crate::billing::pages::RazorpayPayPage,
    Referrals => crate::billing::pages::ReferralsPage,
    Practice => crate::interview::PracticePage,
    Interview => crate::interview::InterviewPage,
    Report => crate::interview::ReportPage,
    History => crate::interview::HistoryPage,
    Profile => crate::interview::ProfilePage,
});

/// The paths of the public pages' module (the routes in `super::App` of the pages below): a
/// page opened directly fetches its module beside the main one (`super::page_module`).
pub(super) const PUBLIC_PAGE_PATHS: &[&str] = &[
    "/privacy", "/terms", "/contact", "/signup", "/verify", "/signin", "/reset",
];

lazy_pages!(public_page, __preload_public_page, PublicPage {
    Privacy => crate::shell::privacy::PrivacyPage,
    Terms => crate::shell::privacy::TermsPage,
    Contact => crate::contact::ContactPage,
    SignUp => crate::auth::SignUpPage,
    Verify => crate::auth::VerifyPage,
    SignIn => crate::auth::SignInPage,
    Reset => crate::auth::ResetPage,
} parts {
    TryPanel => crate::interview::TryLive,
});

/// The landing page's try-it panel takes the rest of its code from the public pages' module.
pub const TRY_PANEL: crate::interview::TryLoader = crate::interview::TryLoader {
    preload: || {
        Box::pin(async {
            #[cfg(feature = "hydrate")]
            return __preload_public_page().await.is_ok();
            #[cfg(not(feature = "hydrate"))]
            true
        })
    },
    view: || {
        Box::pin(async {
            #[cfg(feature = "hydrate")]
            let panel = public_page(PublicPage::TryPanel).await;
            #[cfg(not(feature = "hydrate"))]
            let panel = public_page(PublicPage::TryPanel);
            // Once `preload` succeeded the module is in: this cannot fail.
            panel.unwrap_or_else(|_| ().into_any())
        })
    },
};

lazy_pages!(admin_page, __preload_admin_page, AdminPage {
    AdminUsers => crate::admin::AdminUsersPage,
    AdminAudit => crate::admin::AdminAuditPage,
    AdminOutbox => crate::admin::AdminOutboxPage,
    AdminSupport => crate::admin::AdminSupportPage,
    AdminInsights => crate::admin::AdminInsightsPage,
    AdminBilling => crate::admin::AdminBillingPage,
});
