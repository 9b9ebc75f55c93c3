//! The recorder panel of a spoken answer: an empty `<viva-recorder>` element that
//! `public/voice/recorder.js` fills and brings to life (microphone, the wasm detector in an
//! AudioWorklet, the upload queue, handing the answer in). Its content belongs to the script
//! alone, so hydration and the script never touch the same nodes; without JavaScript the
//! typed answer form below it still works.

use leptos::prelude::*;

use super::model::Part;
use crate::feedback::MAX_ANSWER_CHARS;

/// The recorder for question `position` of interview `id` (`follow_up`: answering its follow-up).
///
/// `camera`: answering on camera (a preview beside the recorder), `Some(true)` when the
/// answers are also recorded on video.
#[component]
pub fn VoiceRecorder(
    id: String,
    position: u32,
    follow_up: bool,
    #[prop(default = None)] camera: Option<bool>,
) -> impl IntoView {
    let part = if follow_up {
        Part::FollowUp
    } else {
        Part::Answer
    }
    .as_str();
    // Before recording, the person reads what happens to the recording.
    let policy = Resource::new(|| (), |_| super::get_recording_policy());
    view! {
        <viva-recorder class="card voice" role="region" aria-labelledby="voice-title"
            data-interview=id data-position=position.to_string() data-part=part data-max-chars=MAX_ANSWER_CHARS.to_string()
            data-camera=camera.map(|_| "on") data-record-video=camera.map(|r| if r { "on" } else { "off" })></viva-recorder>
        <Suspense fallback=|| ()>
            {move || policy.get().and_then(Result::ok).map(|p| {
                // Recording on camera: the video's own period first, then the speech's.
                let text = if camera == Some(true) {
                    format!("Your answers on video in this interview are kept for {} days, then deleted. Speech: {}", p.retention_days, p.describe())
                } else {
                    p.describe()
                };
                view! { <p class="hint recording-policy">{text}" "<a href="/account/data">"Change this"</a></p> }
            })}
        </Suspense>
        <script type="module" src="/voice/recorder.js"></script>
    }
}

/// How a spoken answer sounded: figures, a timeline of speech and pauses (inline SVG), and
/// the transcript with its fillers marked.
#[component]
pub fn SpeechView(s: super::model::SpeechReport, follow_up: bool) -> impl IntoView {
    use voice::analytics::{LONG_PAUSE, PACE_BAND};
    let band = voice::analytics::pace_band_text();
    let pace_text = |wpm: f64| {
        if wpm < PACE_BAND.0 {
            format!("slower than the comfortable {band}")
        } else if wpm > PACE_BAND.1 {
            format!("faster than the comfortable {band}")
        } else {
            format!("in the comfortable {band} range")
        }
    };
    let total = s.segments.last().map(|x| x.1).unwrap_or(0.0).max(1.0);
    let x = move |t: f64| t / total * 600.0;
    let pace = pace_text(s.words_per_minute);
    let label = format!(
        "Timeline of the spoken {}: {:.0} s of speech and {} pause{}, the longest {:.1} s",
        if follow_up { "follow-up" } else { "answer" },
        s.speaking_secs,
        s.pauses.len(),
        if s.pauses.len() == 1 { "" } else { "s" },
        s.longest_pause_secs
    );
    let bars = s.segments.iter().map(|&(a, b)| view! { <rect class="speech" x=x(a) y="8" width=(x(b) - x(a)).max(1.0) height="24"></rect> }).collect_view();
    let gaps = s
        .pauses
        .iter()
        .filter(|p| p.1 - p.0 > LONG_PAUSE)
        .map(|&(a, b)| view! { <rect class="long-pause" x=x(a) y="14" width=(x(b) - x(a)).max(1.0) height="12"><title>{format!("Pause of {:.1} s", b - a)}</title></rect> })
        .collect_view();
    // The transcript in pieces, fillers marked (shown only when there are fillers: otherwise
    // it is the answer already shown above).
    let has_fillers = !s.fillers.is_empty();
    let mut pieces = Vec::new();
    let mut at = 0;
    for (a, b, _) in &s.fillers {
        if *a >= at
            && *b <= s.transcript.len()
            && s.transcript.is_char_boundary(*a)
            && s.transcript.is_char_boundary(*b)
        {
            pieces.push((s.transcript[at..*a].to_string(), false));
            pieces.push((s.transcript[*a..*b].to_string(), true));
            at = *b;
        }
    }
    pieces.push((
        s.transcript[at.min(s.transcript.len())..].to_string(),
        false,
    ));
    let transcript = pieces
        .into_iter()
        .map(|(t, filler)| {
            if filler {
                view! { <mark class="filler">{t}</mark> }.into_any()
            } else {
                t.into_any()
            }
        })
        .collect_view();
    view! {
        <div class="speech-report">
            <h3>{if follow_up { "How the follow-up sounded" } else { "How it sounded" }}</h3>
            <ul class="speech-figures">
                <li>{format!("{:.0} s of speech", s.speaking_secs)}</li>
                <li>{format!("{:.0} words per minute — {pace}", s.words_per_minute)}</li>
                <li>{format!("{} pause{} ({:.1} s in all, longest {:.1} s){}", s.pauses.len(), if s.pauses.len() == 1 { "" } else { "s" }, s.total_pause_secs, s.longest_pause_secs,
                    if s.long_pauses > 0 { format!("; {} longer than {LONG_PAUSE} s", s.long_pauses) } else { String::new() })}</li>
                <li>{format!("{} filler{}", s.fillers.len(), if s.fillers.len() == 1 { "" } else { "s" })}</li>
            </ul>
            <svg class="timeline" viewBox="0 0 600 40" role="img" aria-label=label preserveAspectRatio="none">
                <rect class="track" x="0" y="18" width="600" height="4"></rect>
                {bars}
                {gaps}
            </svg>
            {has_fillers.then(|| view! { <p class="transcript"><span class="sr-only">"Transcript, fillers marked: "</span>{transcript}</p> })}
        </div>
    }
}
