//! The pages whose code the browser loads only when one of them is visited: every page but the
//! landing page, in three modules: the other public pages (sign-in, sign-up, the notices,
//! contact), a member's pages and the admin pages. `.ci/build` splits the browser bundle at the
//! three `#[lazy]` functions below (`.ci/bundle`), so the landing page downloads only its own
//! code and Leptos, and a member's first page loads all of the member pages at once (one
//! module: moving between them never waits again). On the server they render like any other
//! page. What only those pages need is in their modules too: the error boundary around each
//! page, and the layout's check of who is signed in after a navigation. The landing page's try-it panel takes the rest of its code from the public pages'
//! module when the visitor comes to it ([`TRY_PANEL`]). Few modules: every split point adds
//! the chunks its code shares with the others, and each module a page waits for costs it
//! blocking time in Lighthouse.

use leptos::prelude::*;
use leptos_router::LazyRoute;

/// `lazy_pages!(loader, preload, Which { Route => Page, .. } [parts { Part => View, .. }])`:
/// an enum `Which` naming the pages (and parts of pages), a `#[lazy]` function `loader` that
/// renders one (the split point: every view it names goes to one module), and for each page a
/// [`LazyRoute`] `Route`. `preload` is the function `#[lazy]` makes in the browser to fetch the
/// module: the router awaits it before hydrating the page, so that the page's view is ready to
/// take over the server's HTML.
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

        #[leptos::lazy]
        fn $loader(page: $which) -> AnyView {
            super::layout::hand_over_refresh();
            match page {
                $($which::$route => view! {
                    <ErrorBoundary fallback=|errors| view! { <crate::ui::ErrorView errors/> }>
                        <$($page)::+/>
                    </ErrorBoundary>
                }.into_any(),)+
                $($($which::$part => view! { <$($view)::+/> }.into_any(),)+)?
            }
        }

        $(
            #[derive(Debug)]
            pub struct $route;

            impl LazyRoute for $route {
                fn data() -> Self {
                    $route
                }

                async fn view(_this: Self) -> AnyView {
                    $loader($which::$route).await
                }

                async fn preload() {
                    #[cfg(feature = "hydrate")]
                    $preload().await;
                }
            }
        )+
    };
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
            __preload_public_page().await;
        })
    },
    view: || Box::pin(public_page(PublicPage::TryPanel)),
};

lazy_pages!(admin_page, __preload_admin_page, AdminPage {
    AdminUsers => crate::admin::AdminUsersPage,
    AdminAudit => crate::admin::AdminAuditPage,
    AdminOutbox => crate::admin::AdminOutboxPage,
    AdminSupport => crate::admin::AdminSupportPage,
    AdminInsights => crate::admin::AdminInsightsPage,
    AdminBilling => crate::admin::AdminBillingPage,
});
