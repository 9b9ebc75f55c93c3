//! Consents as the signed-in person sees them: the list on /account (with the optional ones
//! withdrawable), and the screen that asks to accept a changed privacy notice or terms before
//! going on. The log itself is `policy`'s.

use leptos::prelude::*;

use crate::policy::{ConsentKind, ConsentState, PendingPolicy};
use crate::ui::{time::format_utc, ActionStatus};
use crate::AppError;

/// Signed in. The policies in force that the caller has not accepted yet.
#[server(endpoint = "auth/pending_policies")]
pub async fn pending_policies() -> Result<Vec<PendingPolicy>, AppError> {
    let caller = super::require_caller()?;
    let db: crate::db::Db = crate::request::expect()?;
    crate::policy::service::pending(&db, &caller.user_id).await
}

/// Signed in. Accepts the notice and terms in force; the page then goes on to `next`, loading
/// it afresh (so every part of the page knows the acceptance). `shown`: the versions the page
/// showed ("terms:V,privacy:V"); if one changed meanwhile, nothing is accepted and the answer
/// says to read the newest.
#[server(endpoint = "auth/accept_policies")]
pub async fn accept_policies(
    next: Option<String>,
    shown: Option<String>,
) -> Result<String, AppError> {
    let caller = super::require_caller()?;
    let db: crate::db::Db = crate::request::expect()?;
    let clock: crate::clock::Clock = crate::request::expect()?;
    let now = clock.now();
    if let Some(shown) = shown {
        let pending = crate::policy::service::pending(&db, &caller.user_id).await?;
        let unseen = pending.iter().any(|p| {
            !shown
                .split(',')
                .any(|s| s == format!("{}:{}", p.kind, p.version))
        });
        if unseen {
            return Err(AppError::BadRequest(
                "The privacy notice or terms changed again while this page was open. Reload the page to read the newest version before accepting it.".into(),
            ));
        }
    }
    crate::policy::service::accept_in_force(&db, crate::account_fence!(), &caller.user_id, now)
        .await?;
    super::service::forget_sessions(&caller.user_id);
    super::service::audit(
        &db,
        "policies_accepted",
        Some(&caller.user_id),
        "accepted the privacy notice and terms in force",
        now,
    )
    .await?;
    Ok(super::safe_next(next.as_deref()))
}

/// What /account shows of consents: each one's present state, and whether this installation
/// has a hosted AI service to choose about.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ConsentOverview {
    pub consents: Vec<ConsentState>,
    pub hosted_ai: Option<Vec<String>>,
}

/// Signed in. The caller's consents.
#[server(endpoint = "auth/consents")]
pub async fn my_consents() -> Result<ConsentOverview, AppError> {
    let caller = super::require_caller()?;
    let db: crate::db::Db = crate::request::expect()?;
    let clock: crate::clock::Clock = crate::request::expect()?;
    let inst: std::sync::Arc<crate::policy::Installation> = crate::request::expect()?;
    let consents = crate::memo::read(
        &caller.user_id,
        crate::memo::Read::Consents,
        clock.now(),
        || crate::policy::service::consents(&db, &caller.user_id),
    )
    .await?;
    Ok(ConsentOverview {
        consents,
        hosted_ai: (!inst.ai_stays_here()).then(|| inst.ai_hosts()),
    })
}

/// Signed in. Gives or withdraws the choice to send answers to the hosted AI service (the one
/// optional consent kept here; recordings are chosen on /account/data).
#[server(endpoint = "auth/hosted_ai")]
pub async fn set_hosted_ai(allow: bool) -> Result<(), AppError> {
    let caller = super::require_caller()?;
    let db: crate::db::Db = crate::request::expect()?;
    let clock: crate::clock::Clock = crate::request::expect()?;
    let inst: std::sync::Arc<crate::policy::Installation> = crate::request::expect()?;
    if inst.ai_stays_here() {
        return Err(AppError::BadRequest(
            "This site uses no hosted AI service: your answers already stay on this server.".into(),
        ));
    }
    crate::policy::service::record(
        &db,
        crate::account_fence!(),
        &caller.user_id,
        ConsentKind::HostedAi,
        None,
        allow,
        clock.now(),
    )
    .await
}

/// The versions a page showed, as `accept_policies` checks them: "terms:V,privacy:V".
fn shown_versions(list: &[PendingPolicy]) -> String {
    list.iter()
        .map(|p| format!("{}:{}", p.kind, p.version))
        .collect::<Vec<_>>()
        .join(",")
}

fn state_text(c: &ConsentState) -> String {
    let when = format_utc(c.at);
    let version = c
        .version
        .as_ref()
        .map(|v| format!(", version {v}"))
        .unwrap_or_default();
    if c.granted {
        format!("Given {when}{version}")
    } else {
        format!("Withdrawn {when}")
    }
}

/// The consents card of /account.
#[component]
pub fn ConsentsCard() -> impl IntoView {
    let set = ServerAction::<SetHostedAi>::new();
    let data = Resource::new(move || set.version().get(), |_| my_consents());
    view! {
        <section class="card" aria-labelledby="consents-title">
            <h2 id="consents-title">"Your consents"</h2>
            <Suspense fallback=|| view! { <p>"Loading your consents…"</p> }>
                {move || data.get().map(|r| match r {
                    Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(ConsentOverview { consents, hosted_ai }) => {
                        let hosted = consents.iter().find(|c| c.kind == ConsentKind::HostedAi).cloned();
                        view! {
                            <ul class="consents">
                                {consents.into_iter().filter(|c| c.kind != ConsentKind::HostedAi).map(|c| {
                                    let doc = match c.kind {
                                        ConsentKind::Terms => Some(("/terms", "Read the terms")),
                                        ConsentKind::Privacy => Some(("/privacy", "Read the notice")),
                                        ConsentKind::Recordings => Some(("/account/data", "Change on Your data")),
                                        _ => None,
                                    };
                                    view! {
                                        <li>
                                            <strong>{c.kind.label()}</strong>
                                            <span class="muted">{format!(" — {}", state_text(&c))}</span>
                                            {(!c.kind.optional()).then_some(" (needed for an account)")}
                                            {doc.map(|(href, text)| view! { " " <a href=href>{text}</a> })}
                                        </li>
                                    }
                                }).collect_view()}
                            </ul>
                            {hosted_ai.map(|hosts| {
                                let allowed = hosted.as_ref().map(|c| c.granted);
                                view! {
                                    <h3>"Hosted AI"</h3>
                                    <p>{format!("This site can send answers to {} to be transcribed or evaluated. ", hosts.join(" and "))}
                                        {match &hosted {
                                            Some(c) => state_text(c),
                                            None => "You have not chosen yet; your next interview asks.".into(),
                                        }}
                                    </p>
                                    <ActionForm action=set attr:class="inline">
                                        <input type="hidden" name="allow" value=if allowed == Some(true) { "false" } else { "true" }/>
                                        <button type="submit" class="button secondary">
                                            {if allowed == Some(true) { "Keep my answers on this server" } else { "Allow the hosted AI service" }}
                                        </button>
                                    </ActionForm>
                                }
                            })}
                        }.into_any()
                    }
                })}
            </Suspense>
            <ActionStatus value=set.value() ok="Your choice is saved."/>
        </section>
    }
}

/// /accept: where member pages send a person when the privacy notice or terms changed since
/// they accepted them: what changed, links to read them, and one button to accept and go on.
#[component]
pub fn PolicyGate() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let pending = Resource::new(|| (), |_| pending_policies());
    let accept = ServerAction::<AcceptPolicies>::new();
    let next = move || {
        query
            .read()
            .get("next")
            .unwrap_or_else(|| "/dashboard".into())
    };
    // Accepted: on to the page the person was going to, as a full load.
    Effect::new(move |_| {
        if let Some(Ok(to)) = accept.value().get() {
            #[cfg(feature = "hydrate")]
            if let Some(w) = web_sys::window() {
                let _ = w.location().assign(&to);
            }
            #[cfg(not(feature = "hydrate"))]
            let _ = to;
        }
    });
    view! {
        <leptos_meta::Title text="Accept the changes"/>
        <section class="card policy-gate" aria-labelledby="gate-title">
            <h1 id="gate-title">"Our terms have changed"</h1>
            <Suspense fallback=|| view! { <p>"Loading what changed…"</p> }>
                {move || pending.get().map(|r| match r {
                    Err(e) => view! { <p class="bad" role="alert">{e.to_string()}</p> }.into_any(),
                    Ok(list) if list.is_empty() => view! {
                        <p>"You have accepted the current privacy notice and terms. "<a href=next()>"Go on"</a></p>
                    }.into_any(),
                    Ok(list) => { let shown = shown_versions(&list); view! {
                        <p>"Before you go on, please read what changed and accept it."</p>
                        <input type="hidden" name="shown" form="accept-form" value=shown/>
                        <ul>
                            {list.into_iter().map(|p: PendingPolicy| view! {
                                <li>
                                    <a href=p.kind.path()>{p.kind.title()}</a>
                                    {format!(" (version {})", p.version)}
                                    {(!p.changed.is_empty()).then(|| format!(": changed sections: {}.", p.changed.join(", ")))}
                                </li>
                            }).collect_view()}
                        </ul>
                    }.into_any() },
                })}
            </Suspense>
            <ActionForm action=accept attr:class="form" attr:id="accept-form">
                <input type="hidden" name="next" value=next/>
                <button type="submit" class="button">"I accept the changes"</button>
            </ActionForm>
            <ActionStatus value=accept.value()/>
            <p class="muted">"If you do not accept, you can still "<a href="/account/data">"download your data"</a>" or "<a href="/account/delete">"delete your account"</a>"."</p>
        </section>
    }
}

/// Asked once, before the first interview, when this site has a hosted AI service: may this
/// person's answers go to it? Nothing is shown otherwise, or once they chose.
#[component]
pub fn HostedAiQuestion() -> impl IntoView {
    // No hosted service (what the page was sent with says so): nothing to ask, and no query.
    let hosted = use_context::<Option<crate::policy::Summary>>()
        .flatten()
        .is_some_and(|s| !s.ai_hosts.is_empty());
    hosted.then(HostedAiChoice)
}

#[component]
fn HostedAiChoice() -> impl IntoView {
    let set = ServerAction::<SetHostedAi>::new();
    let data = Resource::new(move || set.version().get(), |_| my_consents());
    view! {
        <Suspense fallback=|| ()>
            {move || data.get().and_then(Result::ok).and_then(|c| {
                let chosen = c.consents.iter().any(|x| x.kind == ConsentKind::HostedAi);
                let hosts = c.hosted_ai.filter(|_| !chosen)?;
                Some(view! {
                    <section class="card notice" aria-labelledby="hosted-title">
                        <h2 id="hosted-title">"Where should your answers be evaluated?"</h2>
                        <p>{format!("This site can send your answers (and the audio of spoken ones) to {} to be evaluated and transcribed. Or they can stay on this server, where Viva's own engines handle them. ", hosts.join(" and "))}
                            <a href="/privacy#services">"What is sent"</a></p>
                        <div class="button-row">
                            <ActionForm action=set attr:class="inline">
                                <input type="hidden" name="allow" value="false"/>
                                <button type="submit" class="button">"Keep my answers on this server"</button>
                            </ActionForm>
                            <ActionForm action=set attr:class="inline">
                                <input type="hidden" name="allow" value="true"/>
                                <button type="submit" class="button secondary">{format!("Allow {}", hosts.join(" and "))}</button>
                            </ActionForm>
                        </div>
                        <p class="muted">"You can change this at any time on your account page."</p>
                    </section>
                })
            })}
        </Suspense>
    }
}
