use leptos::prelude::*;
use leptos_meta::{Meta, Title};

struct Feature {
    title: &'static str,
    body: &'static str,
}

const FEATURES: &[Feature] = &[
    Feature {
        title: "Answer out loud or in writing",
        body: "Practise the way interviews really happen. Voice detection runs inside your browser, so silence and background noise never leave your device — only the parts where you speak are sent for transcription.",
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
    let summary = Resource::new(|| (), |_| crate::privacy::installation_summary());
    view! {
        <Title text=""/>
        <Show when=deleted>
            <p class="notice ok" role="status">"Your account and everything in it were deleted. A last e-mail confirms it."</p>
        </Show>
        <Meta name="description" content="Viva is an open-source, self-hostable AI mock-interview coach: practise by voice or text and get scored feedback."/>
        <section class="hero" aria-labelledby="hero-title">
            <div class="hero-text">
                <p class="eyebrow">"Open-source interview practice"</p>
                <h1 id="hero-title">"Practise interviews out loud. Get feedback you can use."</h1>
                <p class="lede">
                    "Viva is a mock-interview coach that asks questions for the role you want, listens to your answers, "
                    "and tells you how to make them stronger — on your own server, with your data under your control."
                </p>
            </div>
            <AnswerTimer/>
        </section>
        <Suspense fallback=|| ()>
            {move || summary.get().and_then(Result::ok).map(|s| view! {
                <p class="where-data">{format!("{} ", s.data_sentence())}<a href="/privacy#services">"Where your data goes"</a></p>
            })}
        </Suspense>
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
                <li><strong>"Answer"</strong>" each question by speaking or typing; a follow-up may come when an answer is thin."</li>
                <li><strong>"Review"</strong>" your scores, the feedback on each answer and what to practise next."</li>
            </ol>
        </section>
    }
}

/// A two-minute answer timer: a small tool on the landing page that works once the page is
/// interactive (and says so before then).
#[component]
fn AnswerTimer() -> impl IntoView {
    const ANSWER_SECONDS: u32 = 120;
    let remaining = RwSignal::new(ANSWER_SECONDS);
    let running = RwSignal::new(false);
    let ready = RwSignal::new(false);
    Effect::new(move |_| ready.set(true));

    #[cfg(feature = "hydrate")]
    {
        use leptos::leptos_dom::helpers::set_interval_with_handle;
        use std::time::Duration;
        Effect::new(move |_| {
            if running.get() {
                let handle = set_interval_with_handle(
                    move || {
                        remaining.update(|r| *r = r.saturating_sub(1));
                        if remaining.get_untracked() == 0 {
                            running.set(false);
                        }
                    },
                    Duration::from_secs(1),
                );
                if let Ok(h) = handle {
                    on_cleanup(move || h.clear());
                }
            }
        });
    }

    let label = move || {
        let r = remaining.get();
        format!("{}:{:02}", r / 60, r % 60)
    };
    view! {
        <div class="timer card" role="group" aria-labelledby="timer-title">
            <h2 id="timer-title" class="timer-title">"Try a two-minute answer"</h2>
            <p class="timer-hint">"Pick a question you dread and answer it out loud before the clock runs out."</p>
            <p class="timer-clock" role="timer" aria-live="off" aria-label="Time left">{label}</p>
            <div class="timer-buttons">
                <button type="button" class="button" disabled=move || !ready.get()
                    on:click=move |_| {
                        if remaining.get_untracked() == 0 { remaining.set(ANSWER_SECONDS); }
                        running.update(|r| *r = !*r);
                    }>
                    {move || if running.get() { "Pause" } else { "Start timer" }}
                </button>
                <button type="button" class="button secondary" disabled=move || !ready.get()
                    on:click=move |_| { running.set(false); remaining.set(ANSWER_SECONDS); }>
                    "Reset"
                </button>
            </div>
            <noscript><p class="timer-hint">"The timer needs JavaScript."</p></noscript>
        </div>
    }
}
