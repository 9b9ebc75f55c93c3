use leptos::prelude::*;
use leptos_meta::{Meta, Title};

struct Feature {
    title: &'static str,
    body: &'static str,
}

const FEATURES: &[Feature] = &[
    Feature {
        title: "Answer out loud, on camera or in writing",
        body: "Practise the way interviews really happen. Voice detection runs inside your browser, so silence and background noise never leave your device — only the parts where you speak are sent for transcription. On camera, record your answers only if you choose, and watch them back beside the transcript.",
    },
    Feature {
        title: "Questions for the job you want",
        body: "Pick a role, a difficulty and a mix of behavioural, technical and situational questions. Add your resume or a job description and the questions follow your skills and projects.",
    },
    Feature {
        title: "Feedback you can act on",
        body: "Every answer is scored for relevance, structure, specificity, clarity and completeness, with what went well, what to improve and an outline of a stronger answer.",
    },
    Feature {
        title: "See yourself improve",
        body: "Your history shows scores over time, your weakest competencies, and a one-click interview that targets them.",
    },
    Feature {
        title: "Your data, your call",
        body: "Download everything or delete your account yourself, at any time. Nothing is used to train models, and the privacy notice is written from this site's own settings.",
    },
    Feature {
        title: "Runs on your own machine",
        body: "One binary, no configuration, no paid service required: the database, transcription and scoring all run locally. Connect a hosted AI provider only if you want to.",
    },
];

/// The landing page: what Viva is and how to start.
#[component]
pub fn HomePage() -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let deleted = move || query.read().get("deleted").as_deref() == Some("1");
    let member = super::layout::use_member();
    let summary = super::layout::use_summary();
    let try_it = summary.as_ref().is_some_and(|s| s.try_enabled);
    let spoken = summary.as_ref().is_some_and(|s| s.transcribes_here);
    view! {
        <Title text=""/>
        <Show when=deleted>
            <p class="notice ok" role="status">"Your account and everything in it were deleted. A last e-mail confirms it."</p>
        </Show>
        <Meta name="description" content="Viva is an open-source, self-hostable AI mock-interview coach: practise by voice, on video or in writing and get scored feedback."/>
        <section class="hero" aria-labelledby="hero-title">
            <div class="hero-text">
                <p class="eyebrow">"Open-source interview practice"</p>
                <h1 id="hero-title">"Practise interviews out loud. Get feedback you can use."</h1>
                <p class="lede">
                    "Viva is a mock-interview coach that asks questions for the role you want, listens to your answers, "
                    "and tells you how to make them stronger — on your own server, with your data under your control."
                </p>
                <div class="button-row hero-actions">
                    {move || match member.get() {
                        Some(_) => view! { <a class="button" href="/dashboard">"Go to your dashboard"</a> }.into_any(),
                        None => view! { <a class="button" href="/signup">"Start practising — free"</a> }.into_any(),
                    }}
                    {try_it.then(|| view! { <a class="button secondary" href="#try">"Try one question now"</a> })}
                </div>
            </div>
        </section>
        {summary.map(|s| view! {
            <p class="where-data">{format!("{} ", s.data_sentence())}<a href="/privacy#services">"Where your data goes"</a></p>
        })}
        {try_it.then(|| view! { <crate::interview::TryPanel spoken load=super::lazy::TRY_PANEL/> })}
        <section aria-labelledby="features-title">
            <h2 id="features-title">"What you get"</h2>
            <ul class="feature-grid">
                {FEATURES.iter().map(|f| view! {
                    <li class="card">
                        <h3>{f.title}</h3>
                        <p>{f.body}</p>
                    </li>
                }).collect_view()}
            </ul>
        </section>
        <section class="how" aria-labelledby="how-title">
            <h2 id="how-title">"How a practice session works"</h2>
            <ol class="steps">
                <li><strong>"Choose"</strong>" a role, the kinds of questions and how many."</li>
                <li><strong>"Answer"</strong>" each question by speaking, on camera or by typing; a follow-up may come when an answer is thin."</li>
                <li><strong>"Review"</strong>" your scores, the feedback on each answer and what to practise next."</li>
            </ol>
        </section>
    }
}
