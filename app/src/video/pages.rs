//! A video answer on the report: the recording (its owner's alone; byte ranges, so it seeks)
//! beside the transcript, with speech, long pauses and fillers marked on a timeline whose
//! marks jump the video to their moment.

use leptos::prelude::*;

use super::model::{playback_url, Part, VideoView};
use crate::voice::model::SpeechReport;

/// One mark on the timeline: where (s), what kind, and what it says.
#[derive(Clone, Debug, PartialEq)]
pub struct Mark {
    pub at: f64,
    pub kind: &'static str,
    pub label: String,
}

/// "1:05" for 65.2 s.
pub fn clock(secs: f64) -> String {
    let s = secs.max(0.0).floor() as u64;
    format!("{}:{:02}", s / 60, s % 60)
}

/// Where on the recording a place in the transcript was said: the transcript is spread over
/// the speech segments in proportion to their length (the transcript has no word times).
pub fn time_of(report: &SpeechReport, byte: usize) -> f64 {
    let len = report.transcript.len().max(1) as f64;
    let speaking: f64 = report.segments.iter().map(|(a, b)| b - a).sum();
    let mut left = byte as f64 / len * speaking;
    for &(a, b) in &report.segments {
        if left <= b - a {
            return a + left;
        }
        left -= b - a;
    }
    report.segments.last().map(|s| s.1).unwrap_or(0.0)
}

/// The marks of a spoken answer: each stretch of speech, each long pause, each filler.
pub fn marks(report: &SpeechReport) -> Vec<Mark> {
    use voice::analytics::LONG_PAUSE;
    let mut out: Vec<Mark> = Vec::new();
    for &(a, b) in &report.segments {
        out.push(Mark {
            at: a,
            kind: "speech",
            label: format!("Speech from {} to {}", clock(a), clock(b)),
        });
    }
    for &(a, b) in report.pauses.iter().filter(|p| p.1 - p.0 > LONG_PAUSE) {
        out.push(Mark {
            at: a,
            kind: "pause",
            label: format!("Pause of {:.1} s at {}", b - a, clock(a)),
        });
    }
    for (start, _, word) in &report.fillers {
        let at = time_of(report, *start);
        out.push(Mark {
            at,
            kind: "filler",
            label: format!("Filler \u{201c}{word}\u{201d} at about {}", clock(at)),
        });
    }
    out.sort_by(|a, b| a.at.total_cmp(&b.at));
    out
}

/// The recorded video of one part of question `position`, with its timeline.
#[component]
pub fn VideoReview(
    interview: String,
    position: u32,
    video: VideoView,
    speech: Option<SpeechReport>,
) -> impl IntoView {
    let player = NodeRef::<leptos::html::Video>::new();
    let what = if video.part == Part::FollowUp {
        "follow-up"
    } else {
        "answer"
    };
    let label = format!(
        "Your recorded {what} to question {}, on video",
        position + 1
    );
    let length = video.duration_secs.unwrap_or(0.0);
    let marks = speech.as_ref().map(marks).unwrap_or_default();
    let total = marks.iter().map(|m| m.at).fold(length, f64::max).max(1.0);
    let seek = move |t: f64| {
        #[cfg(feature = "hydrate")]
        if let Some(v) = player.get() {
            v.set_current_time(t);
            let _ = v.play();
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (t, player);
    };
    // The timeline is SVG (positions as attributes: the CSP allows no inline styles); each
    // mark is a focusable button that seeks the video.
    let dots = marks
        .iter()
        .map(|m| {
            let at = m.at;
            let key = move |e: leptos::ev::KeyboardEvent| {
                if e.key() == "Enter" || e.key() == " " {
                    e.prevent_default();
                    seek(at);
                }
            };
            view! {
                <g class=format!("mark {}", m.kind) role="button" tabindex="0" aria-label=format!("{} — play from here", m.label)
                    on:click=move |_| seek(at) on:keydown=key>
                    <title>{m.label.clone()}</title>
                    <circle cx=format!("{:.1}", 8.0 + at / total * 584.0) cy="12" r="7"></circle>
                </g>
            }
        })
        .collect_view();
    let list = marks
        .iter()
        .filter(|m| m.kind != "speech")
        .map(|m| {
            let at = m.at;
            view! { <li><button type="button" class="link" on:click=move |_| seek(at)>{clock(at)}</button>" "{m.label.clone()}</li> }
        })
        .collect_view();
    let transcript = speech.map(|s| s.transcript).filter(|t| !t.is_empty());
    let kept = crate::ui::time::date(video.keep_until);
    view! {
        <figure class="video-review no-print">
            <div class="video-frame">
                <video node_ref=player controls preload="metadata" playsinline aria-label=label
                    src=playback_url(&interview, position, video.part)></video>
            </div>
            <div class="video-side">
                <figcaption>{format!("Your {what} on video")}{video.duration_secs.map(|d| format!(" · {}", clock(d)))}
                    <span class="muted">{format!(" · kept until {kept}")}</span></figcaption>
                {(!marks.is_empty()).then(|| view! {
                    <svg class="video-timeline" viewBox="0 0 600 24" role="group" aria-label="Timeline of the answer: speech, long pauses and fillers">
                        <rect class="track" x="8" y="10" width="584" height="4" rx="2"></rect>
                        {dots}
                    </svg>
                    <ul class="video-legend" aria-hidden="true">
                        <li><span class="mark speech"></span>" speech"</li>
                        <li><span class="mark pause"></span>" long pause"</li>
                        <li><span class="mark filler"></span>" filler"</li>
                    </ul>
                })}
                <ul class="video-moments" aria-label="Moments to review">{list}</ul>
                {transcript.map(|t| view! { <p class="transcript"><span class="sr-only">"Transcript: "</span>{t}</p> })}
            </div>
        </figure>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fillers_are_placed_on_the_speech_they_were_said_in() {
        let r = SpeechReport {
            segments: vec![(1.0, 3.0), (10.0, 12.0)],
            pauses: vec![(3.0, 10.0)],
            transcript: "aaaa um bbbb".into(),
            fillers: vec![(5, 7, "um".into())],
            ..Default::default()
        };
        // Byte 5 of 12 is 5/12 of 4 s of speech = 1.67 s in: inside the first segment.
        assert!((time_of(&r, 5) - (1.0 + 5.0 / 12.0 * 4.0)).abs() < 1e-9);
        // The end of the transcript is the end of the last segment.
        assert!((time_of(&r, 12) - 12.0).abs() < 1e-9);
        let m = marks(&r);
        assert_eq!(
            m.iter().map(|m| m.kind).collect::<Vec<_>>(),
            ["speech", "filler", "pause", "speech"]
        );
        assert!(m[1].label.contains("\u{201c}um\u{201d}"));
        assert_eq!(clock(65.9), "1:05");
    }
}
