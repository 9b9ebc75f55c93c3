//! The pages whose code the browser loads only when one of them is visited: everything behind
//! the sign-in. Each is a [`LazyRoute`]: `.ci/build` splits the browser bundle at these points
//! (`.ci/wasm-split`), so a visitor's first page downloads only the public pages' code. On the
//! server they render like any other page.

use leptos::prelude::*;
use leptos_router::{lazy_route, LazyRoute};

/// One lazy route per page: `lazy_page!(Route => Page)` makes `Route`, whose view is `<Page/>`.
macro_rules! lazy_page {
    ($($route:ident => $($page:ident)::+;)+) => {$(
        #[derive(Debug)]
        pub struct $route;

        #[lazy_route]
        impl LazyRoute for $route {
            fn data() -> Self {
                $route
            }

            fn view(this: Self) -> AnyView {
                let _ = this;
                view! { <$($page)::+/> }.into_any()
            }
        }
    )+};
}

lazy_page! {
    Dashboard => crate::auth::DashboardPage;
    Account => crate::auth::AccountPage;
    AcceptPolicies => crate::auth::PolicyGate;
    DeleteAccount => crate::privacy::DeleteAccountPage;
    AccountData => crate::privacy::DataPage;
    Billing => crate::billing::pages::BillingPage;
    RazorpayPay => crate::billing::pages::RazorpayPayPage;
    Referrals => crate::billing::pages::ReferralsPage;
    Practice => crate::interview::PracticePage;
    Interview => crate::interview::InterviewPage;
    Report => crate::interview::ReportPage;
    History => crate::interview::HistoryPage;
    Profile => crate::interview::ProfilePage;
    AdminUsers => crate::admin::AdminUsersPage;
    AdminAudit => crate::admin::AdminAuditPage;
    AdminOutbox => crate::admin::AdminOutboxPage;
    AdminSupport => crate::admin::AdminSupportPage;
    AdminInsights => crate::admin::AdminInsightsPage;
    AdminBilling => crate::admin::AdminBillingPage;
}
