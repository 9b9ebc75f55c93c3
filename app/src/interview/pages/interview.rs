//! /interview/:id: the interview itself, question by question.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::super::api::*;
use super::super::model::*;
use super::super::types::*;
use crate::ui::ActionStatus;
use crate::ui::ErrorNotice;

#[component]
pub fn InterviewPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let answer = ServerAction::<SubmitAnswer>::new();
    let skip = ServerAction::<SkipQuestion>::new();
    let retry = ServerAction::<RetryQuestion>::new();
    let finish = ServerAction::<FinishInterview>::new();
    let state = Resource::new(
        move || {
            (
                id(),
                answer.version().get(),
                skip.version().get(),
                retry.version().get(),
            )
        },
        |(id, ..)| get_interview(id),
    );
    view! {
        <Title text="Interview"/>
        <Suspense fallback=|| view! { <p>"Loading your interview…"</p> }>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(v) => view! { <Runner v answer skip retry finish/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Runner(
    v: InterviewView,
    answer: ServerAction<SubmitAnswer>,
    skip: ServerAction<SkipQuestion>,
    retry: ServerAction<RetryQuestion>,
    finish: ServerAction<FinishInterview>,
) -> impl IntoView {
    let total = v.items.len();
    let done = v.done_count();
    let id = v.id.clone();
    let heading = match &v.company {
        Some(c) => format!("{} interview · {c}", v.role_label()),
        None => format!("{} interview", v.role_label()),
    };
    let current = v
        .current
        .and_then(|p| v.items.iter().find(|i| i.position == p).cloned());
    let last_score = answer
        .value()
        .get()
        .and_then(|r| r.ok())
        .and_then(|o| match o {
            AnswerOutcome::Evaluated(s) => Some(s),
            _ => None,
        });
    let answered: Vec<Item> = v
        .items
        .iter()
        .filter(|i| i.status.done())
        .cloned()
        .collect();
    let progress_text = match &current {
        Some(c) => format!("Question {} of {total}", c.position + 1),
        None => format!("{done} of {total} done"),
    };
    let main = if v.finished {
        view! {
            <div class="card">
                <h2>"This interview is finished"</h2>
                <p><a class="button" href=format!("/interview/{id}/report")>"Read the report"</a></p>
            </div>
        }
        .into_any()
    } else if let Some(item) = current {
        let voice = v.mode.spoken();
        let camera = (v.mode == AnswerMode::Video).then_some(v.record_video);
        view! { <QuestionCard id=id.clone() item timer=v.timer_secs voice camera answer skip/> }
            .into_any()
    } else {
        let fid = id.clone();
        view! {
            <div class="card">
                <h2>"All questions are done"</h2>
                <p>"Finish the interview to get your scores, feedback and recommendations."</p>
                <ActionForm action=finish>
                    <input type="hidden" name="id" value=fid/>
                    <button type="submit" class="button">"Finish and see the report"</button>
                </ActionForm>
                <ActionStatus value=finish.value()/>
            </div>
        }
        .into_any()
    };
    let list_id = id.clone();
    let count = v.done_count();
    let answered_list = (!answered.is_empty() && !v.finished).then(move || {
        let rows = answered
            .into_iter()
            .map(|it| {
                let id = list_id.clone();
                let status = match &it.evaluation {
                    Some(e) => format!("Score {}/100", e.scores.overall),
                    None => "Skipped".to_string(),
                };
                let n = it.position + 1;
                view! {
                    <li>
                        <p>{it.text.clone()}</p>
                        <p class="muted">{status}</p>
                        <ActionForm action=retry attr:class="inline">
                            <input type="hidden" name="id" value=id/>
                            <input type="hidden" name="position" value=it.position/>
                            <button type="submit" class="button secondary small" aria-label=format!("Try question {n} again")>"Try again"</button>
                        </ActionForm>
                    </li>
                }
            })
            .collect_view();
        view! {
            <details class="card">
                <summary>{format!("Answered so far ({count})")}</summary>
                <ol class="answered-list">{rows}</ol>
                <ActionStatus value=retry.value()/>
            </details>
        }
    });
    let end_early = (!v.finished && v.current.is_some()).then(|| {
        let eid = id.clone();
        view! {
            <ActionForm action=finish attr:class="inline end-early">
                <input type="hidden" name="id" value=eid/>
                <button type="submit" class="button secondary">"End the interview now"</button>
            </ActionForm>
        }
    });
    view! {
        <section class="stack interview" aria-labelledby="iv-title">
            <h1 id="iv-title">{heading}</h1>
            <div class="progress-row">
                <progress max=total value=done aria-label="Interview progress"></progress>
                <span>{progress_text}</span>
            </div>
            {last_score.map(|s| view! { <p class="ok" role="status">{format!("Answer saved — scored {s}/100. Full feedback is in the report.")}</p> })}
            {main}
            {answered_list}
            {end_early}
        </section>
    }
}

#[component]
fn QuestionCard(
    id: String,
    item: Item,
    timer: Option<u32>,
    voice: bool,
    /// On camera: whether answers are recorded on video.
    camera: Option<bool>,
    answer: ServerAction<SubmitAnswer>,
    skip: ServerAction<SkipQuestion>,
) -> impl IntoView {
    let follow_up = item.status == ItemStatus::FollowUp;
    let (chars, set_chars) = signal(0usize);
    let id2 = id.clone();
    view! {
        <article class="card question" aria-labelledby="q-text">
            <p class="eyebrow">{item.kind.label()}{item.personalised.then_some(" · written for you")}</p>
            <h2 id="q-text">{item.text.clone()}</h2>
            {timer.map(|t| view! { <Countdown secs=t/> })}
            {follow_up.then(|| view! {
                <blockquote class="muted">{item.answer.clone().unwrap_or_default()}</blockquote>
                <p class="follow-up" role="note"><strong>"Follow-up: "</strong>{item.follow_up.clone().unwrap_or_default()}</p>
            })}
            {voice.then(|| view! { <crate::voice::VoiceRecorder id=id.clone() position=item.position follow_up camera/> })}
            <ActionForm action=answer attr:class="form">
                <input type="hidden" name="id" value=id2/>
                <input type="hidden" name="position" value=item.position/>
                <label for="answer-text">{match (voice, follow_up) {
                    (true, true) => "Or type your answer to the follow-up",
                    (true, false) => "Or type your answer",
                    (false, true) => "Your answer to the follow-up",
                    (false, false) => "Your answer",
                }}</label>
                <textarea id="answer-text" name="answer" rows="9" required maxlength=MAX_ANSWER_CHARS aria-describedby="answer-hint"
                    on:input=move |ev| set_chars.set(event_target_value(&ev).chars().count())></textarea>
                <p id="answer-hint" class="hint">{move || format!("{} / {MAX_ANSWER_CHARS} characters. Aim for 150–300 words: the situation, what you did, and the result.", chars.get())}</p>
                <button type="submit" class="button" disabled=move || answer.pending().get() || skip.pending().get()>
                    {move || if answer.pending().get() { "Evaluating…" } else { "Submit answer" }}
                </button>
            </ActionForm>
            <ActionStatus value=answer.value()/>
            <ActionForm action=skip attr:class="inline">
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="position" value=item.position/>
                <button type="submit" class="button secondary" disabled=move || skip.pending().get() || answer.pending().get()>{if follow_up { "Skip the follow-up" } else { "Skip this question" }}</button>
            </ActionForm>
            <ActionStatus value=skip.value()/>
        </article>
    }
}

/// A countdown for the question (runs in the browser once hydrated; a guide, not a cut-off).
#[component]
fn Countdown(secs: u32) -> impl IntoView {
    let (left, set_left) = signal(secs);
    Effect::new(move |_| {
        if let Ok(handle) = set_interval_with_handle(
            move || set_left.update(|l| *l = l.saturating_sub(1)),
            std::time::Duration::from_secs(1),
        ) {
            on_cleanup(move || handle.clear());
        }
    });
    view! {
        <p class="countdown" role="timer" aria-live="off" aria-label="Time left for this question">
            {move || { let l = left.get(); if l == 0 { "Time is up — wrap up your answer.".to_string() } else { format!("{}:{:02} left", l / 60, l % 60) } }}
        </p>
    }
}
