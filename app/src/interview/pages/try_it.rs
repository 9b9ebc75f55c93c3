//! "Try one question now": a question for a role, answered by typing without an account,
//! scored by the embedded engine on this server, and forgotten once the feedback is shown.

use std::{future::Future, pin::Pin};

use leptos::prelude::*;

use super::super::{TryAnswer, TryQuestion as AskQuestion};
use crate::feedback::DIMENSIONS;
use crate::ui::chart::{band, ScoreBars};
use crate::ui::ActionStatus;

/// The try-it panel of the landing page (`id="try"`); `spoken`: this server can transcribe,
/// so the answer may be given out loud (`public/voice/try.js`).
///
/// Its code is not in the landing page's bundle: the page shows the first form as plain HTML
/// (it posts like any form before the bundle runs), and `load` fetches the rest (the public
/// pages' module: the shell owns the split) when a pointer or the focus comes near the form.
/// "Give me a question" then swaps in the whole panel, [`TryLive`], which asks at once.
#[component]
pub fn TryPanel(spoken: bool, load: TryLoader) -> impl IntoView {
    // The role asked for, once the visitor pressed "Give me a question"; the panel's module is
    // in when `live` is set.
    let role = RwSignal::new(String::new());
    provide_context(TryStart { spoken, role });
    let live = RwSignal::new(false);
    // Pressed, and waiting for the module: the button says so (on a slow line, a second or two).
    let asked = StoredValue::new(false);
    // The module could not be fetched (offline): said under the form, which can be sent again.
    let failed = RwSignal::new(false);
    // On the way to the form: fetch the module (the loader fetches it once; a failed fetch is
    // tried again the next time).
    let fetch = move || {
        leptos::task::spawn_local(async move {
            let _ = (load.preload)().await;
        })
    };
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if asked.get_value() {
            return;
        }
        asked.set_value(true);
        failed.set(false);
        let button = first_button(&ev);
        waiting(&button, true);
        role.set(select_value("try-role"));
        leptos::task::spawn_local(async move {
            if (load.preload)().await {
                live.set(true);
            } else {
                waiting(&button, false);
                asked.set_value(false);
                failed.set(true);
            }
        });
    };
    // Where the form posts before the bundle runs (what ActionForm makes it post to as well).
    let ask_url = <AskQuestion as leptos::server_fn::ServerFn>::url();
    view! {
        <section id="try" class="card try-panel" aria-labelledby="try-title">
            <h2 id="try-title">"Try one question now"</h2>
            {spoken.then(|| view! { <script type="module" src="/voice/try.js"></script> })}
            <p class="hint">"No account needed. Your answer is scored by Viva's own engine on this server and forgotten as soon as you see the feedback: nothing is stored."</p>
            {move || if live.get() {
                Suspend::new((load.view)()).into_any()
            } else {
                // The form's fields are the server's HTML, left as they are by the browser:
                // their view code is in the public pages' module, with the whole panel.
                view! {
                    <form class="form inline-form" method="post" action=ask_url inner_html=first_form()
                        on:submit=start on:focusin=move |_| fetch() on:pointerenter=move |_| fetch()>
                    </form>
                    {move || failed.get().then(|| view! {
                        <p class="bad" role="alert">"The question could not be fetched: check your connection, then press the button again (or reload the page)."</p>
                    })}
                }.into_any()
            }}
        </section>
    }
}

/// The first form's fields and button, as HTML: the same on the server (the page's HTML) and
/// in the browser, which needs them when it renders the landing page itself (a visit to `/`
/// from another page) and has no view code for them in the landing page's bundle. Plain string
/// building: no view, no formatting machinery.
fn first_form() -> String {
    let mut html =
        String::from(r#"<label for="try-role">Role</label><select id="try-role" name="role">"#);
    for (slug, label) in super::ROLES {
        html.push_str(r#"<option value=""#);
        html.push_str(slug);
        html.push_str(r#"">"#);
        // The labels are constants without markup characters (the test below compares this
        // with the view's HTML, which escapes them).
        html.push_str(label);
        html.push_str("</option>");
    }
    html.push_str(
        r#"</select><button type="submit" class="button secondary">Give me a question</button>"#,
    );
    html
}

/// The first form's button (the browser only: its HTML is the server's, not a view).
#[cfg(feature = "hydrate")]
type FirstButton = Option<leptos::web_sys::Element>;
#[cfg(not(feature = "hydrate"))]
type FirstButton = Option<()>;

fn first_button(ev: &leptos::ev::SubmitEvent) -> FirstButton {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        ev.target()
            .and_then(|t| t.dyn_into::<leptos::web_sys::Element>().ok())
            .and_then(|form| form.query_selector("button").ok().flatten())
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = ev;
        None
    }
}

/// The first form's button says that the question is on its way (`aria-busy`, not disabled, so
/// that the focus stays on it), or asks again.
fn waiting(button: &FirstButton, on: bool) {
    #[cfg(feature = "hydrate")]
    if let Some(button) = button {
        if on {
            button.set_text_content(Some("Getting a question…"));
            let _ = button.set_attribute("aria-busy", "true");
        } else {
            button.set_text_content(Some("Give me a question"));
            let _ = button.remove_attribute("aria-busy");
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (button, on);
}

/// How [`TryPanel`] gets the rest of its code: `preload` fetches the module, `view` renders
/// [`TryLive`] from it (once fetched, at once).
#[derive(Clone, Copy)]
pub struct TryLoader {
    /// True: the module is in.
    pub preload: fn() -> Pin<Box<dyn Future<Output = bool> + Send>>,
    pub view: fn() -> Pin<Box<dyn Future<Output = AnyView> + Send>>,
}

/// What [`TryLive`] starts from: given by [`TryPanel`] around it.
#[derive(Clone, Copy)]
struct TryStart {
    spoken: bool,
    role: RwSignal<String>,
}

/// The value of the `<select>` with this id (the browser only).
fn select_value(id: &str) -> String {
    #[cfg(feature = "hydrate")]
    {
        use leptos::wasm_bindgen::JsCast;
        document()
            .get_element_by_id(id)
            .and_then(|e| e.dyn_into::<leptos::web_sys::HtmlSelectElement>().ok())
            .map(|s| s.value())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = id;
        String::new()
    }
}

#[component]
fn RoleField(chosen: String) -> impl IntoView {
    view! {
        <label for="try-role">"Role"</label>
        <select id="try-role" name="role">{super::role_options(chosen)}</select>
    }
}

/// The whole try-it panel, rendered in the browser from the public pages' module in place of
/// the first form: asks for a question for the role chosen there at once, and keeps the focus
/// on its button.
#[component]
pub fn TryLive() -> impl IntoView {
    let TryStart { spoken, role } = use_context().unwrap_or(TryStart {
        spoken: false,
        role: RwSignal::new(String::new()),
    });
    let role = role.get_untracked();
    let ask = ServerAction::<AskQuestion>::new();
    let answer = ServerAction::<TryAnswer>::new();
    let question = move || ask.value().get().and_then(Result::ok);
    let result = move || answer.value().get().and_then(Result::ok);
    // What was typed (or transcribed into the box), for "keep this answer" after signing up.
    let typed = RwSignal::new(String::new());
    ask.dispatch(AskQuestion { role: role.clone() });
    // The focus was on the first form's button, which this panel replaced: it goes to this
    // one once the question is in (a disabled button cannot take it).
    let again = NodeRef::<leptos::html::Button>::new();
    let focused = StoredValue::new(false);
    Effect::new(move |_| {
        let pending = ask.pending().get();
        if let (Some(button), false) = (again.get(), pending || focused.get_value()) {
            focused.set_value(true);
            let _ = button.focus();
        }
    });
    view! {
        <ActionForm action=ask attr:class="form inline-form">
            <RoleField chosen=role/>
            <button type="submit" class="button secondary" node_ref=again disabled=move || ask.pending().get()>
                {move || if question().is_some() { "Another question" } else { "Give me a question" }}
            </button>
        </ActionForm>
        {move || ask.value().get().and_then(Result::err).map(|e| view! { <p class="bad" role="alert">{e.to_string()}</p> })}
        {move || question().map(|q| view! {
            <div class="try-question">
                <p class="eyebrow">{q.kind.label()}</p>
                <h3 id="try-question-text">{q.text.clone()}</h3>
                <ActionForm action=answer attr:class="form">
                    <input type="hidden" name="id" value=q.id.clone()/>
                    {spoken.then(|| view! {
                        <div class="try-voice" role="group" aria-label="Answer out loud">
                            <button type="button" class="button secondary" data-try="start">"Answer out loud"</button>
                            <button type="button" class="button secondary" data-try="stop" disabled>"Stop"</button>
                            <p class="hint" data-try="status" role="status" aria-live="polite">"Speak, then press Stop: what you said appears below to check before scoring."</p>
                        </div>
                    })}
                    <label for="try-answer">"Your answer"</label>
                    <textarea id="try-answer" data-try="answer" name="answer" rows="6" required maxlength=crate::interview::model::MAX_ANSWER_CHARS
                        on:input=move |ev| typed.set(event_target_value(&ev))></textarea>
                    <button type="submit" class="button" disabled=move || answer.pending().get()>
                        {move || if answer.pending().get() { "Scoring…" } else { "Score my answer" }}
                    </button>
                </ActionForm>
            </div>
        })}
        <ActionStatus value=Signal::derive(move || answer.value().get().filter(|r| r.is_err()))/>
        {move || result().map(|e| {
            let bars: Vec<(&'static str, u8)> = DIMENSIONS.iter().filter_map(|&d| e.scores.get(d).map(|v| (d.label(), v))).collect();
            view! {
                <div class="try-result" role="region" aria-label="Your feedback">
                    <p class=format!("score-line {}", band(e.scores.overall))>{format!("Score {}/100", e.scores.overall)}</p>
                    <ScoreBars scores=bars label=format!("Scores by dimension, overall {}", e.scores.overall)/>
                    <div class="two-col">
                        <div><h4>"Strengths"</h4><ul>{e.strengths.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul></div>
                        <div><h4>"To improve"</h4><ul>{e.improvements.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul></div>
                    </div>
                    <p><strong>"Next to practise: "</strong>{e.next_step.clone()}</p>
                    <crate::feedback::AiNotice/>
                    <p class="muted">"Your answer was not kept."</p>
                    <div class="button-row">
                        <a class="button" href="/signup">"Create an account to keep your progress"</a>
                        <button type="button" class="button secondary" on:click=move |_| {
                            let id = question().map(|q| q.id).unwrap_or_default();
                            keep_for_sign_up(&id, &typed.get_untracked());
                        }>"Keep this answer in my new account"</button>
                    </div>
                </div>
            }
        })}
    }
}

/// The session-storage key of an answer tried before signing up, kept (in this browser only,
/// until the tab closes) because the person asked; the practice page offers to save it.
pub const TRIED_ANSWER_KEY: &str = "viva-try-answer";

/// Remembers the tried answer in this browser and goes to sign-up.
fn keep_for_sign_up(id: &str, answer: &str) {
    #[cfg(feature = "hydrate")]
    {
        let value = serde_json::json!({ "id": id, "answer": answer }).to_string();
        if let Ok(Some(s)) = window().session_storage() {
            let _ = s.set_item(TRIED_ANSWER_KEY, &value);
        }
        let _ = window().location().assign("/signup");
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (id, answer);
}

/// On the practice page: the answer tried before signing up, if the person asked to keep it,
/// with one button to save it as a practice interview and one to forget it.
#[component]
pub fn TriedAnswerOffer() -> impl IntoView {
    let kept = RwSignal::new(None::<(String, String)>);
    let keep = ServerAction::<super::super::KeepTriedAnswer>::new();
    #[cfg(feature = "hydrate")]
    Effect::new(move |_| {
        let found = window()
            .session_storage()
            .ok()
            .flatten()
            .and_then(|s| s.get_item(TRIED_ANSWER_KEY).ok().flatten())
            .and_then(|v| serde_json::from_str::<serde_json::Value>(&v).ok())
            .and_then(|v| {
                Some((
                    v["id"].as_str()?.to_string(),
                    v["answer"].as_str()?.to_string(),
                ))
            });
        kept.set(found);
    });
    let forget = move || {
        #[cfg(feature = "hydrate")]
        if let Ok(Some(s)) = window().session_storage() {
            let _ = s.remove_item(TRIED_ANSWER_KEY);
        }
        kept.set(None);
    };
    Effect::new(move |_| {
        if let Some(Ok(id)) = keep.value().get() {
            forget();
            #[cfg(feature = "hydrate")]
            let _ = window().location().assign(&format!("/interview/{id}"));
            #[cfg(not(feature = "hydrate"))]
            let _ = id;
        }
    });
    view! {
        {move || kept.get().map(|(id, answer)| view! {
            <section class="card notice" aria-labelledby="tried-title">
                <h2 id="tried-title">"The answer you tried before signing up"</h2>
                <blockquote>{answer.clone()}</blockquote>
                <div class="button-row">
                    <button type="button" class="button" disabled=move || keep.pending().get()
                        on:click=move |_| { keep.dispatch(super::super::KeepTriedAnswer { id: id.clone(), answer: answer.clone() }); }>
                        "Save it as a practice interview"
                    </button>
                    <button type="button" class="button secondary" on:click=move |_| forget()>"Forget it"</button>
                </div>
                <ActionStatus value=keep.value()/>
            </section>
        })}
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;

    #[test]
    fn the_first_form_is_what_the_role_field_and_its_button_render() {
        let viewed = Owner::new().with(|| {
            view! {
                <RoleField chosen=String::new()/>
                <button type="submit" class="button secondary">"Give me a question"</button>
            }
            .to_html()
        });
        // The view's HTML marks where its list of options starts and ends (for hydration).
        assert_eq!(first_form(), viewed.replace("<!>", ""));
        assert!(first_form().contains(r#"<option value="nurse">Nurse</option>"#));
    }
}
