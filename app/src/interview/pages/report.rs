//! /interview/:id/report: scores, feedback and recommendations, with a Markdown download.

use leptos::prelude::*;
use leptos_meta::{Meta, Title};
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

use super::super::api::*;
use super::super::types::*;
use crate::feedback::Evaluation;
use crate::feedback::DIMENSIONS;
use crate::ui::chart::band;
use crate::ui::chart::ScoreBars;
use crate::ui::time::format_utc;
use crate::ui::ErrorNotice;

#[component]
pub fn ReportPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let report = Resource::new(
        id,
        |id| async move { get_report_page(id).await.map(OnPage) },
    );
    view! {
        <Title text="Interview report"/>
        <Meta name="description" content="Scores and feedback for each answer of a finished mock interview, with what to practise next."/>
        <Suspense fallback=|| view! { <p>"Loading the report…"</p> }>
            {move || Suspend::new(async move {
                let (body, actions) = match report.await {
                    // The server's HTML: hydration leaves it as it is.
                    Ok(OnPage(ReportContent::Made { html, actions })) => {
                        (view! { <div class="stack" inner_html=html></div> }.into_any(), actions)
                    }
                    Ok(OnPage(ReportContent::Live(r))) => {
                        let actions = report_actions(&r);
                        (view! { <div class="stack"><ReportBody r/></div> }.into_any(), actions)
                    }
                    Err(e) => return view! { <ErrorNotice error=e/> }.into_any(),
                };
                view! {
                    <article class="stack report" aria-labelledby="rep-title">
                        {body}
                        <Actions actions/>
                    </article>
                }
                .into_any()
            })}
        </Suspense>
    }
}

/// The report page's content as its resource holds it. From the server to the browser a made
/// report travels without its HTML and its Markdown: the page's HTML has both already (the
/// `inner_html` and the download link's `href`), and hydration leaves them as the server made
/// them, so a report opened directly carries them once, not twice. (Reached by a link in the
/// browser, the page asks the server function, whose answer has both.)
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(transparent)]
struct OnPage(ReportContent);

impl serde::Serialize for OnPage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            ReportContent::Made { actions, .. } => ReportContent::Made {
                html: String::new(),
                actions: ReportActions {
                    markdown: String::new(),
                    file: actions.file.clone(),
                },
            }
            .serialize(s),
            live => live.serialize(s),
        }
    }
}

/// (ssr) The report page's content for `report`: made into HTML unless it has video answers.
#[cfg(feature = "ssr")]
pub(crate) fn report_content(r: Report) -> ReportContent {
    if !r.videos.is_empty() {
        return ReportContent::Live(r);
    }
    let actions = report_actions(&r);
    let html = Owner::new().with(|| view! { <ReportBody r/> }.to_html());
    ReportContent::Made { html, actions }
}

fn report_actions(r: &Report) -> ReportActions {
    ReportActions {
        markdown: markdown_href(r),
        file: format!("viva-report-{}.md", r.interview.id),
    }
}

/// `data:` URL of the report's Markdown, for a download link that works without JavaScript.
fn markdown_href(r: &Report) -> String {
    let md = report_markdown(
        r,
        &format_utc(r.finished_at.unwrap_or(r.interview.created_at)),
    );
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = String::with_capacity(40 + md.len() * 3);
    out.push_str("data:text/markdown;charset=utf-8,");
    // One push per byte, no formatting (in the browser, it runs while a report hydrates).
    for b in md.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            _ => {
                out.push('%');
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
        }
    }
    out
}

/// The report: its heading, scores, recommendations and each answer's feedback. Nothing in it
/// may need the browser's code (an event handler, a signal): unless the report has video answers
/// it reaches the browser as the server's HTML (`report_content`), which hydration leaves alone.
#[component]
fn ReportBody(r: Report) -> impl IntoView {
    let iv = r.interview.clone();
    let bars: Vec<(&'static str, u8)> = DIMENSIONS
        .iter()
        .filter_map(|&d| r.scores.get(d).map(|v| (d.label(), v)))
        .collect();
    view! {
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
            <crate::feedback::AiNotice/>
        </section>
        <section class="card" aria-labelledby="rec-title">
            <h2 id="rec-title">"Recommendations"</h2>
            <ul>{r.recommendations.iter().map(|x| view! { <li>{x.clone()}</li> }).collect_view()}</ul>
        </section>
        {iv.items.iter().map(|it| view! { <ItemReport it=it.clone() speech=r.speech_for(it.position)
            recordings=r.recordings.iter().filter(|(p, _)| *p == it.position).map(|(_, part)| *part).collect()
            videos=r.videos.iter().filter(|v| v.position == it.position).cloned().collect() interview=iv.id.clone()/> }).collect_view()}
    }
}

/// The report's buttons: download, print, and where to go next.
#[component]
fn Actions(actions: ReportActions) -> impl IntoView {
    let print = move |_| {
        #[cfg(feature = "hydrate")]
        if let Some(w) = web_sys::window() {
            let _ = w.print();
        }
    };
    view! {
        <div class="report-actions no-print">
            <a class="button" href=actions.markdown download=actions.file>"Download as Markdown"</a>
            <button type="button" class="button secondary" on:click=print>"Print"</button>
            <A href="/practice">"Practise again"</A>
            <A href="/history">"History and progress"</A>
        </div>
    }
}

#[component]
fn ItemReport(
    it: Item,
    speech: Vec<(crate::voice::model::Part, crate::voice::model::SpeechReport)>,
    recordings: Vec<crate::voice::model::Part>,
    videos: Vec<crate::video::model::VideoView>,
    interview: String,
) -> impl IntoView {
    use crate::voice::model::{Part, RecordingPolicy};
    let position = it.position;
    let players = recordings
        .into_iter()
        .filter(|part| !videos.iter().any(|v| v.part == *part))
        .map(|part| {
            let what = if part == Part::FollowUp { "follow-up" } else { "answer" };
            let label = format!("Your recorded {what} to question {}", position + 1);
            view! {
                <figure class="recording no-print">
                    <figcaption>{format!("Your recorded {what}")}</figcaption>
                    <audio controls preload="none" aria-label=label src=RecordingPolicy::playback_url(&interview, position, part)></audio>
                </figure>
            }
        })
        .collect_view();
    // A part on video plays there, beside its timeline (its sound needs no second player).
    let reviews = videos
        .into_iter()
        .map(|video| {
            let s = speech
                .iter()
                .find(|(p, _)| *p == video.part)
                .map(|(_, s)| s.clone());
            view! { <crate::video::VideoReview interview=interview.clone() position video speech=s/> }
        })
        .collect_view();
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
            {reviews}
            {players}
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_report_travels_without_its_html_and_markdown() {
        let made = ReportContent::Made {
            html: "<h1 id=\"rep-title\">Interview report</h1>".into(),
            actions: ReportActions {
                markdown: "data:text/markdown;charset=utf-8,%23%20Report".into(),
                file: "viva-report-abc.md".into(),
            },
        };
        let sent = serde_json::to_string(&OnPage(made.clone())).unwrap();
        assert!(
            !sent.contains("rep-title") && !sent.contains("data:"),
            "{sent}"
        );
        let OnPage(back) = serde_json::from_str(&sent).unwrap();
        assert_eq!(
            back,
            ReportContent::Made {
                html: String::new(),
                actions: ReportActions {
                    markdown: String::new(),
                    file: "viva-report-abc.md".into()
                },
            }
        );
        // The server function's own answer keeps both.
        let whole: ReportContent =
            serde_json::from_str(&serde_json::to_string(&made).unwrap()).unwrap();
        assert_eq!(whole, made);
    }
}
