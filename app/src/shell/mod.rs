//! The application shell: the document, the routes and layout, and the pages that belong to
//! no feature (landing, privacy notice). It sits above every feature and is the one module
//! of the app that knows them all.

mod home;
mod layout;
mod lazy;
mod privacy;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, Lazy, SsrMode,
};

/// Where a page finds the style sheet and the browser bundle. A server with the site built in
/// versions each URL by the file's content (`?v=HASH`), so browsers keep them for a year and
/// fetch them again only when they change; without versions they are checked on each visit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AssetUrls {
    pub css: String,
    pub js: String,
    pub wasm: String,
    /// The files of each lazy module, by its split point's name (`public_page`, …).
    pub modules: std::collections::BTreeMap<String, Vec<String>>,
}

impl Default for AssetUrls {
    fn default() -> Self {
        AssetUrls {
            css: "/pkg/viva.css".into(),
            js: "/pkg/viva.js".into(),
            wasm: "/pkg/viva.wasm".into(),
            modules: Default::default(),
        }
    }
}

/// The path of the request's URL, which leptos_axum gives whole (`http://leptos.dev/signin?x`).
fn request_path(url: &str) -> &str {
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => url,
    };
    path.split(['?', '#']).next().unwrap_or(path)
}

/// The lazy module a page waits for before it hydrates (its split point's name), for a page
/// opened directly; None: the landing page, or no such page.
pub fn page_module(path: &str) -> Option<&'static str> {
    match page_access(path) {
        Access::Admin => Some("admin_page"),
        Access::Member => Some("member_page"),
        Access::Public => lazy::PUBLIC_PAGE_PATHS
            .contains(&path)
            .then_some("public_page"),
    }
}

/// The style sheet, and the bundle that makes the page interactive. The page paints first:
/// the glue and the wasm are fetched only after the first frame (or after half a second in a
/// tab that paints none) — no preload in the head —, so on a slow connection the page's text
/// never shares the line with half a megabyte of wasm.
#[component]
fn PageAssets(options: LeptosOptions) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    let urls = use_context::<AssetUrls>().unwrap_or_default();
    // The module this page waits for is fetched beside the main module, not after it has
    // hydrated the layout (at low priority: the main module is needed first).
    let url = use_context::<leptos_router::location::RequestUrl>().unwrap_or_default();
    let modules = page_module(request_path(url.as_ref()))
        .and_then(|m| urls.modules.get(m))
        .map(|files| format!("{files:?}"))
        .unwrap_or_else(|| "[]".into());
    // A page module that cannot be fetched (offline, or a tab left open across an upgrade) is
    // handled by the bundle itself (`lazy::unavailable`).
    let start = format!(
        "let started = false; const start = () => {{ if (started) return; started = true; \
         for (const href of {modules}) {{ const l = document.createElement('link'); \
           Object.assign(l, {{ rel: 'preload', as: 'fetch', href, crossOrigin: 'anonymous', fetchPriority: 'low' }}); \
           document.head.append(l); }} \
         import({js:?}).then(async (glue) => {{ await glue.default({{ module_or_path: {wasm:?} }}); glue.hydrate(); }}); }}; \
         requestAnimationFrame(() => setTimeout(start, 0)); setTimeout(start, 500);",
        js = urls.js,
        wasm = urls.wasm,
    );
    view! {
        <link rel="stylesheet" href=urls.css/>
        <AutoReload options/>
        <script type="module" nonce=nonce>{start}</script>
    }
}

/// The HTML document rendered on the server around [`App`].
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let nonce = leptos::nonce::use_nonce();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                // Runs before first paint so the page never flashes the wrong theme.
                <script nonce=nonce>{crate::ui::theme::EARLY_THEME_SCRIPT}</script>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <PageAssets options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        // The page hydrates in parts, each in a task of its own (see `Yielding`), from the first
        // on: the task the bundle arrives in has its own work (compiling and starting it).
        {crate::ui::Yielding::new(|| view! {
            <Title formatter=|page: String| if page.is_empty() { "Viva".to_string() } else { format!("{page} · Viva") }/>
        })}
        {crate::ui::Yielding::new(|| view! {
        <Router>
            <layout::Layout>
                <Routes fallback=crate::ui::NotFound>
                    <Route path=path!("/") view=home::HomePage/>
                    <Route path=path!("/privacy") view={Lazy::<lazy::Privacy>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/terms") view={Lazy::<lazy::Terms>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/contact") view={Lazy::<lazy::Contact>::new()}/>
                    <Route path=path!("/signup") view={Lazy::<lazy::SignUp>::new()}/>
                    <Route path=path!("/verify") view={Lazy::<lazy::Verify>::new()}/>
                    <Route path=path!("/signin") view={Lazy::<lazy::SignIn>::new()}/>
                    <Route path=path!("/dashboard") view={Lazy::<lazy::Dashboard>::new()}/>
                    <Route path=path!("/reset") view={Lazy::<lazy::Reset>::new()}/>
                    <Route path=path!("/account") view={Lazy::<lazy::Account>::new()}/>
                    <Route path=path!("/account/delete") view={Lazy::<lazy::DeleteAccount>::new()}/>
                    <Route path=path!("/account/data") view={Lazy::<lazy::AccountData>::new()}/>
                    <Route path=path!("/account/billing") view={Lazy::<lazy::Billing>::new()}/>
                    <Route path=path!("/account/billing/razorpay") view={Lazy::<lazy::RazorpayPay>::new()}/>
                    <Route path=path!("/account/referrals") view={Lazy::<lazy::Referrals>::new()}/>
                    <Route path=path!("/accept") view={Lazy::<lazy::AcceptPolicies>::new()}/>
                    <Route path=path!("/practice") view={Lazy::<lazy::Practice>::new()}/>
                    <Route path=path!("/interview/:id") view={Lazy::<lazy::Interview>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/interview/:id/report") view={Lazy::<lazy::Report>::new()} ssr=SsrMode::Async/>
                    <Route path=path!("/history") view={Lazy::<lazy::History>::new()}/>
                    <Route path=path!("/profile") view={Lazy::<lazy::Profile>::new()}/>
                    <Route path=path!("/admin") view={Lazy::<lazy::AdminUsers>::new()}/>
                    <Route path=path!("/admin/audit") view={Lazy::<lazy::AdminAudit>::new()}/>
                    <Route path=path!("/admin/outbox") view={Lazy::<lazy::AdminOutbox>::new()}/>
                    <Route path=path!("/admin/support") view={Lazy::<lazy::AdminSupport>::new()}/>
                    <Route path=path!("/admin/insights") view={Lazy::<lazy::AdminInsights>::new()}/>
                    <Route path=path!("/admin/billing") view={Lazy::<lazy::AdminBilling>::new()}/>
                </Routes>
            </layout::Layout>
        </Router>
        })}
    }
}

/// Who may open a page: the server answers others with 303 to /signin (not signed in) or 403
/// (not an admin) before the page renders; the page's server functions check again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Public,
    Member,
    Admin,
}

/// The access of each route of [`App`], kept next to the routes it guards.
pub fn page_access(path: &str) -> Access {
    if path == "/admin" || path.starts_with("/admin/") {
        Access::Admin
    } else if matches!(
        path,
        "/dashboard"
            | "/account"
            | "/account/delete"
            | "/account/data"
            | "/account/billing"
            | "/account/billing/razorpay"
            | "/account/referrals"
            | "/accept"
            | "/practice"
            | "/history"
            | "/profile"
    ) || path.starts_with("/interview/")
    {
        Access::Member
    } else {
        Access::Public
    }
}

/// Member pages open while a changed notice or terms waits for acceptance: the question
/// itself, and taking one's data or deleting the account instead.
pub fn open_while_policies_pending(path: &str) -> bool {
    matches!(path, "/accept" | "/account/data" | "/account/delete")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_opened_directly_names_the_module_it_waits_for() {
        for (url, module) in [
            (
                "http://leptos.dev/signin?next=%2Fpractice",
                Some("public_page"),
            ),
            ("http://leptos.dev/privacy#services", Some("public_page")),
            ("/reset", Some("public_page")),
            ("http://leptos.dev/", None),
            ("http://leptos.dev", None),
            ("http://leptos.dev/no/such/page", None),
            ("http://leptos.dev/practice", Some("member_page")),
            (
                "http://leptos.dev/interview/abc/report",
                Some("member_page"),
            ),
            ("http://leptos.dev/admin/audit", Some("admin_page")),
        ] {
            assert_eq!(page_module(request_path(url)), module, "{url}");
        }
    }
}
