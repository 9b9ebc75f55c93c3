use leptos::prelude::*;
use leptos_router::components::A;

use crate::ui::theme::ThemeToggle;
use crate::ui::Yielding;

/// Who is signed in, as far as the menu cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Member {
    pub role: crate::auth::Role,
    /// The installation sells plans: the menu links to them.
    pub billing: bool,
}

/// What the server already knows when it renders a page: the caller its session step resolved
/// and what the installation offers. Sent with the page (a `SharedValue`), so the menu, the
/// footer and the landing page render at once — no server function, no database query and no
/// async rendering on the server, and nothing to wait for in the browser. Sent as a string of
/// its own (`Display`, `FromStr`), not JSON: the landing page's bundle has no JSON parser.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PageStart {
    pub member: Option<Member>,
    pub summary: Option<crate::policy::Summary>,
}

/// Each field is `LENGTH:TEXT` (the length in bytes), so any text goes through unescaped:
/// the role ("" for a visitor), billing, then "1" and the summary's fields, or "0".
impl std::fmt::Display for PageStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let field =
            |f: &mut std::fmt::Formatter<'_>, text: &str| write!(f, "{}:{text}", text.len());
        let flag = |on: bool| if on { "1" } else { "0" };
        field(f, self.member.map_or("", |m| m.role.as_str()))?;
        field(f, flag(self.member.is_some_and(|m| m.billing)))?;
        field(f, flag(self.summary.is_some()))?;
        if let Some(s) = &self.summary {
            field(f, &s.operator)?;
            field(f, flag(s.try_enabled))?;
            field(f, flag(s.transcribes_here))?;
            field(f, &s.ai_hosts.len().to_string())?;
            for host in &s.ai_hosts {
                field(f, host)?;
            }
        }
        Ok(())
    }
}

/// A page start that is not what [`PageStart`]'s `Display` writes.
#[derive(Debug, PartialEq, Eq)]
pub struct BadPageStart;

impl std::str::FromStr for PageStart {
    type Err = BadPageStart;

    fn from_str(mut rest: &str) -> Result<Self, BadPageStart> {
        let mut field = || -> Result<&str, BadPageStart> {
            let (len, after) = rest.split_once(':').ok_or(BadPageStart)?;
            let len: usize = len.parse().map_err(|_| BadPageStart)?;
            let text = after.get(..len).ok_or(BadPageStart)?;
            rest = &after[len..];
            Ok(text)
        };
        let flag = |text: &str| match text {
            "1" => Ok(true),
            "0" => Ok(false),
            _ => Err(BadPageStart),
        };
        let role = field()?;
        let billing = flag(field()?)?;
        let member = match role {
            "" => None,
            role => Some(Member {
                role: role.parse().map_err(|_| BadPageStart)?,
                billing,
            }),
        };
        let summary = if flag(field()?)? {
            let operator = field()?.to_string();
            let try_enabled = flag(field()?)?;
            let transcribes_here = flag(field()?)?;
            let hosts: usize = field()?.parse().map_err(|_| BadPageStart)?;
            let ai_hosts = (0..hosts)
                .map(|_| field().map(str::to_string))
                .collect::<Result<_, _>>()?;
            Some(crate::policy::Summary {
                ai_hosts,
                operator,
                try_enabled,
                transcribes_here,
            })
        } else {
            None
        };
        if !rest.is_empty() {
            return Err(BadPageStart);
        }
        Ok(PageStart { member, summary })
    }
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

/// Set once the browser has moved away from the page it opened.
#[cfg(feature = "hydrate")]
#[derive(Clone, Copy)]
struct Moved(StoredValue<bool>);

/// The browser has moved away from the page it opened (a link, back or forward).
#[cfg(feature = "hydrate")]
pub(super) fn moved() -> bool {
    use_context::<Moved>().is_some_and(|Moved(m)| m.get_value())
}

/// How the layout asks who is signed in after a navigation (see [`Layout`]).
#[derive(Clone, Copy)]
struct Refresh(fn(RwSignal<Option<Member>>, String));

/// Gives the layout [`refresh_member`]; called by the page modules' loaders (`super::lazy`), so
/// that its code (a server function's client) is in their modules, not the landing page's.
pub(super) fn hand_over_refresh() {
    if let Some(refresh) = use_context::<RwSignal<Option<Refresh>>>() {
        if refresh.get_untracked().is_none() {
            refresh.set(Some(Refresh(refresh_member)));
        }
    }
}

/// Asks the server who is signed in, for the menu; a member with a changed notice or terms not
/// accepted yet is sent to /accept from any page that needs them (the server does the same for
/// page loads).
fn refresh_member(member: RwSignal<Option<Member>>, path: String) {
    let navigate = leptos_router::hooks::use_navigate();
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

/// Header with navigation, the page, and a footer. Errors raised by the pages in modules are
/// caught around each of them (`super::lazy`) and shown in place of the page, with the layout
/// still around them.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let start = leptos::server::SharedValue::new_str(page_start).into_inner();
    let member = RwSignal::new(start.member);
    provide_context(member);
    provide_context(start.summary.clone());
    // Sign-in and sign-out move between pages: after a navigation in the browser, ask who is
    // signed in again ([`refresh_member`]). Its code is not in the landing page's bundle: the
    // first page module to load hands it over ([`hand_over_refresh`]), and every path but the
    // landing page's is in a page module, so no navigation can change the path before one is in.
    let location = leptos_router::hooks::use_location();
    // Whether the browser has moved away from the page it opened (see `super::lazy`).
    #[cfg(feature = "hydrate")]
    {
        let opened = location.pathname.get_untracked();
        let moved = StoredValue::new(false);
        provide_context(Moved(moved));
        Effect::new(move |_| {
            if location.pathname.get() != opened {
                moved.set_value(true);
            }
        });
    }
    let refresh = RwSignal::new(None::<Refresh>);
    provide_context(refresh);
    Effect::new(move |asked_for: Option<String>| {
        let path = location.pathname.get();
        // The page the server rendered needs no asking.
        let asked_for = asked_for.unwrap_or_else(|| path.clone());
        match refresh.get() {
            Some(Refresh(refresh)) if path != asked_for => {
                refresh(member, path.clone());
                path
            }
            _ => asked_for,
        }
    });
    let summary = start.summary;
    view! {
        // The header, the page and the footer hydrate in tasks of their own (`Yielding`): the
        // browser is never held for the whole page at once.
        <a class="skip-link" href="#main">"Skip to content"</a>
        {Yielding::new(move || view! {
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
        })}
        <main id="main" class="container" tabindex="-1">
            {Yielding::new(children)}
        </main>
        {Yielding::new(move || view! {
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
        })}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(operator: &str, hosts: &[&str]) -> crate::policy::Summary {
        crate::policy::Summary {
            ai_hosts: hosts.iter().map(|h| h.to_string()).collect(),
            operator: operator.into(),
            try_enabled: true,
            transcribes_here: false,
        }
    }

    #[test]
    fn a_page_start_reads_back_as_it_was_written() {
        let starts = [
            PageStart::default(),
            PageStart {
                member: Some(Member {
                    role: crate::auth::Role::Admin,
                    billing: true,
                }),
                summary: Some(summary(
                    "Ada's \"Viva\": 12:34",
                    &["api.openai.com", "é:1:"],
                )),
            },
            PageStart {
                member: Some(Member {
                    role: crate::auth::Role::User,
                    billing: false,
                }),
                summary: Some(summary("", &[])),
            },
        ];
        for start in starts {
            let text = start.to_string();
            assert_eq!(text.parse::<PageStart>(), Ok(start), "{text}");
        }
    }

    #[test]
    fn a_damaged_page_start_is_refused() {
        let text = PageStart {
            member: None,
            summary: Some(summary("Viva", &["api.openai.com"])),
        }
        .to_string();
        for bad in [
            &text[..text.len() - 1],
            &format!("{text}0:"),
            "0:",
            "x:",
            "9:1",
            "5:guest1:01:0",
            "0:1:21:0",
        ] {
            assert_eq!(bad.parse::<PageStart>(), Err(BadPageStart), "{bad}");
        }
    }
}
