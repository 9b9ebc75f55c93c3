//! /practice: set up an interview (or a quick warm-up).

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;

use super::super::api::*;
#[cfg(feature = "ssr")]
use super::super::model::*;
#[cfg(feature = "ssr")]
use super::super::types::PracticeDefaults;
use super::super::types::PracticeSetup;
#[cfg(feature = "ssr")]
use super::role_options;
use crate::ui::ActionStatus;
use crate::ui::ErrorNotice;

#[component]
pub fn PracticePage() -> impl IntoView {
    let setup = Resource::new(|| (), |_| get_practice_setup());
    let start = ServerAction::<StartInterview>::new();
    let warm = ServerAction::<QuickWarmUp>::new();
    view! {
        <Title text="Practise"/>
        <Meta name="description" content="Set up a mock interview: the role, the kinds of questions, how many, and whether to answer by voice, on camera or in writing."/>
        <section aria-labelledby="practice-title" class="stack">
            <h1 id="practice-title">"Practise an interview"</h1>
            <crate::auth::HostedAiQuestion/>
            <super::TriedAnswerOffer/>
            <Suspense fallback=|| view! { <p>"Loading your profile…"</p> }>
                {move || Suspend::new(async move {
                    let PracticeSetup { warmup, fields } = match setup.await {
                        Ok(s) => s,
                        Err(e) => return view! { <ErrorNotice error=e/> }.into_any(),
                    };
                    view! {
                        <div class="card warmup">
                            <h2>"Quick warm-up"</h2>
                            <p class="muted">{warmup}</p>
                            <ActionForm action=warm>
                                <button type="submit" class="button">"Start a quick warm-up"</button>
                            </ActionForm>
                            <ActionStatus value=warm.value()/>
                        </div>
                        <div class="card">
                            <h2>"Set up a mock interview"</h2>
                            <ActionForm action=start attr:class="form">
                                // The server's HTML (`practice_setup`): hydration leaves it as it is.
                                <div class="contents" inner_html=fields></div>
                                <button type="submit" class="button">"Start interview"</button>
                            </ActionForm>
                            <ActionStatus value=start.value()/>
                        </div>
                    }.into_any()
                })}
            </Suspense>
            <p><A href="/profile">"Edit your profile"</A>" · "<A href="/history">"Your history and progress"</A></p>
        </section>
    }
}

/// (ssr) /practice's content for a person with these defaults who keeps recordings (`keep`)
/// for `keep_days` days or not: the warm-up's line and the setup form's fields as HTML.
#[cfg(feature = "ssr")]
pub(crate) fn practice_setup(d: PracticeDefaults, keep: bool, keep_days: u32) -> PracticeSetup {
    let warmup = format!(
        "Three easy questions for {}, no setup. About five minutes.",
        role_label(&d.role)
    );
    let fields = Owner::new().with(|| view! { <SetupFields d keep keep_days/> }.to_html());
    PracticeSetup { warmup, fields }
}

/// The setup form's fields. Nothing in them may need the browser's code (an event handler, a
/// signal): they reach the browser as the server's HTML, which hydration leaves alone.
#[cfg(feature = "ssr")]
#[component]
fn SetupFields(d: PracticeDefaults, keep: bool, keep_days: u32) -> impl IntoView {
    view! {
        <label for="s-role">"Role"</label>
        <select id="s-role" name="setup[role]">{role_options(d.role)}</select>
        <fieldset>
            <legend>"Question types (none ticked: a balanced mix)"</legend>
            {Kind::ALL.iter().map(|k| view! {
                <label class="check"><input type="checkbox" name="setup[kinds][]" value=k.as_str()/>" " {k.label()}</label>
            }).collect_view()}
        </fieldset>
        <fieldset>
            <legend>"Difficulty"</legend>
            <label class="check"><input type="radio" name="setup[difficulty]" value="1"/>" Easy"</label>
            <label class="check"><input type="radio" name="setup[difficulty]" value="2" checked/>" Medium"</label>
            <label class="check"><input type="radio" name="setup[difficulty]" value="3"/>" Hard"</label>
        </fieldset>
        <label for="s-count">{format!("Number of questions ({MIN_QUESTIONS}–{MAX_QUESTIONS})")}</label>
        <input id="s-count" name="setup[count]" type="number" min=MIN_QUESTIONS max=MAX_QUESTIONS value="5" required/>
        <label for="s-company">"Company (optional)"</label>
        <input id="s-company" name="setup[company]" maxlength=MAX_COMPANY_CHARS value=d.company/>
        <label for="s-jd">"Job description (optional: paste it to get questions that match it)"</label>
        <textarea id="s-jd" name="setup[job_description]" rows="5" maxlength=MAX_JOB_DESCRIPTION_CHARS></textarea>
        <label for="s-timer">"Timer per question"</label>
        <select id="s-timer" name="setup[timer]">
            <option value="">"No timer"</option>
            <option value="60">"1 minute"</option>
            <option value="120">"2 minutes"</option>
            <option value="180">"3 minutes"</option>
            <option value="300">"5 minutes"</option>
        </select>
        <fieldset>
            <legend>"Answer by"</legend>
            <label class="check"><input type="radio" name="setup[mode]" value="text" checked/>" Typing"</label>
            <label class="check"><input type="radio" name="setup[mode]" value="voice"/>" Speaking (microphone)"</label>
            <label class="check"><input type="radio" name="setup[mode]" value="video"/>" On camera (camera and microphone)"</label>
            <div class="camera-only">
                <label class="check"><input type="checkbox" name="setup[record_video]" value="on" checked=keep/>
                    {format!(" Record my answers on video for review — kept {keep_days} days")}</label>
                <p class="hint">"Off: the camera is a mirror only and no picture leaves this device. Either way only your speech is sent for the transcript."</p>
            </div>
        </fieldset>
    }
}
