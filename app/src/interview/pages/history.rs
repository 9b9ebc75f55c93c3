//! /history: every interview and progress over time.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use super::super::api::*;
use super::super::model::*;
use super::super::types::*;
use crate::feedback::DIMENSIONS;
use crate::ui::chart::TrendChart;
use crate::ui::time::format_utc;
use crate::ui::ActionStatus;
use crate::ui::ErrorNotice;

#[component]
pub fn HistoryPage() -> impl IntoView {
    let practise = ServerAction::<StartInterview>::new();
    let remove = ServerAction::<DeleteInterview>::new();
    // Read again after a deletion.
    let history = Resource::new(move || remove.version().get(), |_| get_history());
    view! {
        <Title text="History and progress"/>
        <section class="stack" aria-labelledby="hist-title">
            <h1 id="hist-title">"History and progress"</h1>
            <Suspense fallback=|| view! { <p>"Loading your history…"</p> }>
                {move || Suspend::new(async move {
                    match history.await {
                        Ok(h) => view! { <HistoryView h practise remove/> }.into_any(),
                        Err(e) => view! { <ErrorNotice error=e/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn HistoryView(
    h: History,
    practise: ServerAction<StartInterview>,
    remove: ServerAction<DeleteInterview>,
) -> impl IntoView {
    if h.sessions.is_empty() {
        return view! {
            <div class="card">
                <p>"No interviews yet. Your scores and progress will appear here."</p>
                <A href="/practice" attr:class="button">"Practise your first interview"</A>
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
                <thead><tr><th scope="col">"Date"</th><th scope="col">"Role"</th><th scope="col">"Answered"</th><th scope="col">"Score"</th><th scope="col"><span class="sr-only">"Open"</span></th><th scope="col"><span class="sr-only">"Delete"</span></th></tr></thead>
                <tbody>
                    {h.sessions.iter().map(|s| {
                        let link = if s.finished { format!("/interview/{}/report", s.id) } else { format!("/interview/{}", s.id) };
                        let id = s.id.clone();
                        let delete_label = format!("Delete the interview of {} for good", format_utc(s.created_at));
                        view! {
                            <tr>
                                <td>{format_utc(s.created_at)}</td>
                                <td>{role_label(&s.role)}</td>
                                <td>{format!("{} of {}", s.answered, s.total)}</td>
                                <td>{s.scores.as_ref().map(|x| x.overall.to_string()).unwrap_or_else(|| "—".into())}</td>
                                <td><a href=link>{if s.finished { "Report" } else { "Continue" }}</a></td>
                                <td>
                                    // A confirmation step that works without JavaScript and by keyboard.
                                    <details class="confirm">
                                        <summary>"Delete…"</summary>
                                        <ActionForm action=remove>
                                            <input type="hidden" name="id" value=id/>
                                            <button type="submit" class="button danger" aria-label=delete_label>"Delete for good"</button>
                                        </ActionForm>
                                    </details>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table></div>
        </section>
    }
    .into_any()
}
