//! Interview pages: set up (and quick warm-up), the interview itself, the report, history
//! with progress, and the profile. Forms are `ActionForm`s, so they work before hydration.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_params_map};

use super::api::*;
use super::model::*;
use super::types::*;
use crate::feedback::{Evaluation, DIMENSIONS};
use crate::ui::chart::{band, ScoreBars, TrendChart};
use crate::ui::{time::format_utc, ActionStatus, ErrorNotice};

const RESUME_UPLOAD_PATH: &str = "/api/interview/resume";

fn role_options(selected: String) -> impl IntoView {
    ROLES
        .iter()
        .map(move |(slug, label)| view! { <option value=*slug selected=*slug == selected>{*label}</option> })
        .collect_view()
}

#[component]
pub fn PracticePage() -> impl IntoView {
    let profile = Resource::new(|| (), |_| get_profile());
    let start = ServerAction::<StartInterview>::new();
    let warm = ServerAction::<QuickWarmUp>::new();
    view! {
        <Title text="Practise"/>
        <section aria-labelledby="practice-title" class="stack">
            <h1 id="practice-title">"Practise an interview"</h1>
            <Suspense fallback=|| view! { <p>"Loading your profile…"</p> }>
                {move || Suspend::new(async move {
                    let p = match profile.await {
                        Ok(p) => p,
                        Err(e) => return view! { <ErrorNotice error=e/> }.into_any(),
                    };
                    let role = p.target_roles.first().cloned().unwrap_or_else(|| role_from_job_title(&p.job_title).to_string());
                    let company = p.target_companies.first().cloned().unwrap_or_default();
                    view! {
                        <div class="card warmup">
                            <h2>"Quick warm-up"</h2>
                            <p class="muted">{format!("Three easy questions for {}, no setup. About five minutes.", role_label(&role))}</p>
                            <ActionForm action=warm>
                                <button type="submit" class="button">"Start a quick warm-up"</button>
                            </ActionForm>
                            <ActionStatus value=warm.value()/>
                        </div>
                        <div class="card">
                            <h2>"Set up a mock interview"</h2>
                            <ActionForm action=start attr:class="form">
                                <label for="s-role">"Role"</label>
                                <select id="s-role" name="setup[role]">{role_options(role.clone())}</select>
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
                                <input id="s-company" name="setup[company]" maxlength=MAX_COMPANY_CHARS value=company/>
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
                                </fieldset>
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
        let voice = v.mode == AnswerMode::Voice;
        view! { <QuestionCard id=id.clone() item timer=v.timer_secs voice answer skip/> }.into_any()
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
            {voice.then(|| view! { <crate::voice::VoiceRecorder id=id.clone() position=item.position follow_up/> })}
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
                <button type="submit" class="button" disabled=move || answer.pending().get()>
                    {move || if answer.pending().get() { "Evaluating…" } else { "Submit answer" }}
                </button>
            </ActionForm>
            <ActionStatus value=answer.value()/>
            <ActionForm action=skip attr:class="inline">
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="position" value=item.position/>
                <button type="submit" class="button secondary">{if follow_up { "Skip the follow-up" } else { "Skip this question" }}</button>
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

#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let report = Resource::new(id, get_report);
    view! {
        <Title text="Interview report"/>
        <Suspense fallback=|| view! { <p>"Loading the report…"</p> }>
            {move || Suspend::new(async move {
                match report.await {
                    Ok(r) => view! { <ReportView r/> }.into_any(),
                    Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// `data:` URL of the report's Markdown, for a download link that works without JavaScript.
fn markdown_href(r: &Report) -> String {
    let md = report_markdown(
        r,
        &format_utc(r.finished_at.unwrap_or(r.interview.created_at)),
    );
    let mut out = String::from("data:text/markdown;charset=utf-8,");
    for b in md.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[component]
fn ReportView(r: Report) -> impl IntoView {
    let iv = r.interview.clone();
    let bars: Vec<(&'static str, u8)> = DIMENSIONS
        .iter()
        .filter_map(|&d| r.scores.get(d).map(|v| (d.label(), v)))
        .collect();
    let href = markdown_href(&r);
    let file = format!("viva-report-{}.md", iv.id);
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <article class="stack report" aria-labelledby="rep-title">
            <header class="report-head">
                <p class="eyebrow">{format!("{} · {}", iv.role_label(), format_utc(r.finished_at.unwrap_or(iv.created_at)))}</p>
                <h1 id="rep-title">"Interview report"</h1>
                <p class="muted">{format!("Evaluated by {}", r.engines.join(", "))}</p>
                {(!iv.finished).then(|| view! { <p class="notice">"This interview is not finished yet; the report shows the answers so far."</p> })}
            </header>
            <section class="card overall" aria-labelledby="overall-title">
                <h2 id="overall-title">"Overall score"</h2>
                <p class=format!("big-score {}", band(r.scores.overall))><span>{r.scores.overall}</span>" / 100"</p>
                <ScoreBars scores=bars label=format!("Scores by dimension, overall {}", r.scores.overall)/>
            </section>
            <section class="card" aria-labelledby="rec-title">
                <h2 id="rec-title">"Recommendations"</h2>
                <ul>{r.recommendations.iter().map(|x| view! { <li>{x.clone()}</li> }).collect_view()}</ul>
            </section>
            {iv.items.iter().map(|it| view! { <ItemReport it=it.clone() speech=r.speech_for(it.position)/> }).collect_view()}
            <div class="report-actions no-print">
                <a class="button" href=href download=file>"Download as Markdown"</a>
                <button type="button" class="button secondary" on:click=print>"Print"</button>
                <A href="/practice">"Practise again"</A>
                <A href="/history">"History and progress"</A>
            </div>
        </article>
    }
}

#[component]
fn ItemReport(
    it: Item,
    speech: Vec<(crate::voice::model::Part, crate::voice::model::SpeechReport)>,
) -> impl IntoView {
    let heading = format!("Question {}: {}", it.position + 1, it.text);
    let eval: Option<Evaluation> = it.evaluation.clone();
    view! {
        <section class="card item-report">
            <h2>{heading}</h2>
            <p class="eyebrow">{it.kind.label()}</p>
            {match &it.answer {
                Some(a) => view! { <h3>"Your answer"</h3><blockquote>{a.clone()}</blockquote> }.into_any(),
                None => view! { <p class="muted">"Skipped."</p> }.into_any(),
            }}
            {speech.into_iter().map(|(part, s)| view! { <crate::voice::SpeechView s follow_up=part == crate::voice::model::Part::FollowUp/> }).collect_view()}
            {it.follow_up.clone().map(|f| view! {
                <h3>"Follow-up"</h3><p>{f}</p>
                <blockquote>{it.follow_up_answer.clone().unwrap_or_else(|| "(skipped)".into())}</blockquote>
            })}
            {eval.map(|e| {
                let bars: Vec<(&'static str, u8)> = DIMENSIONS.iter().filter_map(|&d| e.scores.get(d).map(|v| (d.label(), v))).collect();
                view! {
                    <p class=format!("score-line {}", band(e.scores.overall))>{format!("Score {}/100", e.scores.overall)}</p>
                    <ScoreBars scores=bars label=format!("Scores for question {}", it.position + 1)/>
                    <div class="two-col">
                        <div><h3>"Strengths"</h3><ul>{e.strengths.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul></div>
                        <div><h3>"To improve"</h3><ul>{e.improvements.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ul></div>
                    </div>
                    <details>
                        <summary>"Outline of a strong answer"</summary>
                        <ol>{e.outline.iter().map(|s| view! { <li>{s.clone()}</li> }).collect_view()}</ol>
                    </details>
                    <p><strong>"Next to practise: "</strong>{e.next_step.clone()}</p>
                    {e.note.clone().map(|n| view! { <p class="hint">{n}</p> })}
                }
            })}
        </section>
    }
}

#[component]
pub fn HistoryPage() -> impl IntoView {
    let history = Resource::new(|| (), |_| get_history());
    let practise = ServerAction::<StartInterview>::new();
    view! {
        <Title text="History and progress"/>
        <section class="stack" aria-labelledby="hist-title">
            <h1 id="hist-title">"History and progress"</h1>
            <Suspense fallback=|| view! { <p>"Loading your history…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(h) => view! { <HistoryView h practise/> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn HistoryView(h: History, practise: ServerAction<StartInterview>) -> impl IntoView {
    if h.sessions.is_empty() {
        return view! {
            <div class="card">
                <p>"No interviews yet. Your scores and progress will appear here."</p>
                <A href="/practice">"Practise your first interview"</A>
            </div>
        }
        .into_any();
    }
    // Trends: finished sessions with scores, oldest first.
    let mut scored: Vec<&SessionSummary> =
        h.sessions.iter().filter(|s| s.scores.is_some()).collect();
    scored.reverse();
    let series: Vec<(&'static str, Vec<u8>)> = DIMENSIONS
        .iter()
        .filter(|&&d| {
            d != crate::feedback::Dimension::Delivery
                || scored
                    .iter()
                    .any(|s| s.scores.as_ref().and_then(|x| x.delivery).is_some())
        })
        .map(|&d| {
            (
                d.label(),
                scored
                    .iter()
                    .filter_map(|s| s.scores.as_ref().and_then(|x| x.get(d)))
                    .collect(),
            )
        })
        .collect();
    let overall: Vec<u8> = scored
        .iter()
        .filter_map(|s| s.scores.as_ref().map(|x| x.overall))
        .collect();
    let last_role = h
        .sessions
        .first()
        .map(|s| s.role.clone())
        .unwrap_or_else(|| "general".into());
    view! {
        <section class="card" aria-labelledby="trend-title">
            <h2 id="trend-title">"Your scores over time"</h2>
            {if scored.len() >= 2 {
                view! {
                    <TrendChart series=vec![("Overall", overall.clone())] label=format!("Overall score over {} interviews, latest {}", overall.len(), overall.last().copied().unwrap_or(0))/>
                    <TrendChart series=series label="Scores by dimension over time".to_string()/>
                }.into_any()
            } else {
                view! { <p class="muted">"Finish two interviews to see your trends."</p> }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="weak-title">
            <h2 id="weak-title">"Weakest competencies"</h2>
            {if h.competencies.is_empty() {
                view! { <p class="muted">"Answer a few questions to see which competencies need work."</p> }.into_any()
            } else {
                view! {
                    <ul class="competencies">
                        {h.competencies.iter().take(5).cloned().map(|c| { let last_role = last_role.clone(); view! {
                            <li>
                                <span>{format!("{} — average {}/100 over {} answer{}", c.label, c.average, c.answers, if c.answers == 1 { "" } else { "s" })}</span>
                                <ActionForm action=practise attr:class="inline">
                                    <input type="hidden" name="setup[role]" value=last_role.clone()/>
                                    <input type="hidden" name="setup[difficulty]" value="2"/>
                                    <input type="hidden" name="setup[count]" value="5"/>
                                    <input type="hidden" name="setup[focus]" value=c.slug.clone()/>
                                    <button type="submit" class="button small" aria-label=format!("Practise {}", c.label)>"Practise this"</button>
                                </ActionForm>
                            </li>
                        }}).collect_view()}
                    </ul>
                    <ActionStatus value=practise.value()/>
                }.into_any()
            }}
        </section>
        <section class="card" aria-labelledby="list-title">
            <h2 id="list-title">"Every interview"</h2>
            <div class="table-wrap"><table class="data">
                <thead><tr><th scope="col">"Date"</th><th scope="col">"Role"</th><th scope="col">"Answered"</th><th scope="col">"Score"</th><th scope="col"><span class="sr-only">"Open"</span></th></tr></thead>
                <tbody>
                    {h.sessions.iter().map(|s| {
                        let link = if s.finished { format!("/interview/{}/report", s.id) } else { format!("/interview/{}", s.id) };
                        view! {
                            <tr>
                                <td>{format_utc(s.created_at)}</td>
                                <td>{role_label(&s.role)}</td>
                                <td>{format!("{} of {}", s.answered, s.total)}</td>
                                <td>{s.scores.as_ref().map(|x| x.overall.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td><a href=link>{if s.finished { "Report" } else { "Continue" }}</a></td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
    }
    .into_any()
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let save = ServerAction::<SaveProfile>::new();
    let remove = ServerAction::<DeleteResume>::new();
    // Uploads go as multipart form data; before hydration the form posts the same request.
    let upload = Action::new_local(|data: &web_form::FormData| {
        upload_resume(web_form::into_multipart(data))
    });
    let profile = Resource::new(
        move || {
            (
                save.version().get(),
                remove.version().get(),
                upload.version().get(),
            )
        },
        |_| get_profile(),
    );
    let on_upload = move |ev: leptos::ev::SubmitEvent| {
        if let Some(data) = web_form::form_data(&ev) {
            ev.prevent_default();
            upload.dispatch_local(data);
        }
    };
    let upload_pending = upload.pending();
    view! {
        <Title text="Your profile"/>
        <section class="stack" aria-labelledby="prof-title">
            <h1 id="prof-title">"Your profile"</h1>
            <p class="lede">"What you tell us here shapes your questions: your target role, companies and skills."</p>
            <section class="card" aria-labelledby="resume-title">
                <h2 id="resume-title">"Resume"</h2>
                <Suspense fallback=|| ()>
                    {move || profile.get().and_then(Result::ok).map(|p| match p.resume {
                        Some(r) => view! {
                            <p>{format!("{} · {} KB · uploaded {} · {} characters of text", r.file_name, r.bytes.div_ceil(1024), format_utc(r.uploaded_at), r.characters)}</p>
                            <p class="muted">{if r.skills.is_empty() { "No skills we know were found in it.".to_string() } else { format!("Skills found (added to your skills below): {}", r.skills.join(", ")) }}</p>
                            <ActionForm action=remove attr:class="inline">
                                <button type="submit" class="button secondary small">"Delete resume"</button>
                            </ActionForm>
                        }.into_any(),
                        None => view! { <p class="muted">"No resume yet. Upload one to get questions about your own skills and projects."</p> }.into_any(),
                    })}
                </Suspense>
                <form class="form" method="post" action=RESUME_UPLOAD_PATH enctype="multipart/form-data" on:submit=on_upload>
                    <label for="p-resume">"Resume (PDF, up to 5 MB)"</label>
                    <input id="p-resume" name="resume" type="file" accept="application/pdf,.pdf" required/>
                    <p class="hint">"We keep the text of your resume, not the file, and use it only to personalise your practice."</p>
                    <button type="submit" class="button" disabled=move || upload_pending.get()>
                        {move || if upload_pending.get() { "Reading your resume…" } else { "Upload resume" }}
                    </button>
                </form>
                <ActionStatus value=upload.value() ok="Your resume was read."/>
                <ActionStatus value=remove.value() ok="Your resume was deleted."/>
            </section>
            <Suspense fallback=|| view! { <p>"Loading your profile…"</p> }>
                {move || Suspend::new(async move {
                    let p = match profile.await {
                        Ok(p) => p,
                        Err(e) => return view! { <ErrorNotice error=e/> }.into_any(),
                    };
                    let role = p.target_roles.first().cloned().unwrap_or_else(|| role_from_job_title(&p.job_title).to_string());
                    view! {
                        <ActionForm action=save attr:class="form card">
                            <label for="p-role">"Target role"</label>
                            <select id="p-role" name="form[target_role]">{role_options(role)}</select>
                            <label for="p-companies">"Target companies (comma-separated)"</label>
                            <input id="p-companies" name="form[target_companies]" value=p.target_companies.join(", ") maxlength="2000"/>
                            <label for="p-skills">"Skills (comma-separated)"</label>
                            <input id="p-skills" name="form[skills]" value=p.skills.join(", ") maxlength="2000"/>
                            <label for="p-bg">"Career background"</label>
                            <textarea id="p-bg" name="form[background]" rows="6" maxlength=MAX_BACKGROUND_CHARS>{p.background.clone()}</textarea>
                            <p class="hint">{format!("Signed up as: {} ({} level)", p.job_title, p.experience)}</p>
                            <button type="submit" class="button">"Save profile"</button>
                        </ActionForm>
                        <ActionStatus value=save.value() ok="Saved."/>
                    }.into_any()
                })}
            </Suspense>
        </section>
    }
}

/// The browser side of form uploads: the form's data as multipart, only once hydrated.
mod web_form {
    pub use inner::*;

    #[cfg(feature = "hydrate")]
    mod inner {
        use wasm_bindgen::JsCast;
        pub type FormData = web_sys::FormData;

        pub fn form_data(ev: &leptos::ev::SubmitEvent) -> Option<FormData> {
            let form = ev.target()?.dyn_into::<web_sys::HtmlFormElement>().ok()?;
            FormData::new_with_form(&form).ok()
        }

        pub fn into_multipart(data: &FormData) -> server_fn::codec::MultipartData {
            data.clone().into()
        }
    }

    #[cfg(not(feature = "hydrate"))]
    mod inner {
        /// On the server nothing is submitted from a page; these only keep the types whole.
        pub type FormData = ();

        pub fn form_data(_ev: &leptos::ev::SubmitEvent) -> Option<FormData> {
            None
        }

        pub fn into_multipart(_data: &FormData) -> server_fn::codec::MultipartData {
            unreachable!("uploads are dispatched only in the browser")
        }
    }
}
