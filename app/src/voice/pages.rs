//! The recorder panel of a spoken answer. Its markup is rendered here (so it shows, with
//! its accessible names, before any script runs); `public/voice/recorder.js` brings the
//! `<viva-recorder>` element to life: microphone, the wasm detector in an AudioWorklet, the
//! upload queue and handing the answer in. The markup is opaque to hydration (inner HTML),
//! so the script may change it freely.

use leptos::prelude::*;

use crate::interview::model::MAX_ANSWER_CHARS;

fn markup() -> String {
    format!(
        r#"<h3 id="voice-title">Answer out loud</h3>
<p class="muted">Press Start and answer as you would in the interview, then Stop. Only your speech leaves this device: silence and background noise are dropped by the browser.</p>
<div class="voice-controls">
<button type="button" class="button" data-role="start">Start recording</button>
<button type="button" class="button secondary" data-role="stop" disabled>Stop and hand in</button>
</div>
<div class="voice-live">
<meter data-role="level" aria-label="Input level" min="-60" max="0" low="-45" high="-6" optimum="-20" value="-60"></meter>
<span data-role="speaking" role="status"></span>
</div>
<p data-role="counts" aria-live="polite">No speech captured yet.</p>
<ol data-role="segments" class="segments" aria-label="Captured speech segments"></ol>
<p data-role="net" role="status" hidden></p>
<p data-role="error" role="alert" class="error" hidden></p>
<div data-role="transcript-box" class="form" hidden>
<label for="voice-transcript">What you said</label>
<textarea id="voice-transcript" data-role="transcript" rows="6" maxlength="{MAX_ANSWER_CHARS}"></textarea>
<button type="button" class="button" data-role="hand-in">Hand in this answer</button>
</div>"#
    )
}

/// The recorder for question `position` of interview `id` (`follow_up`: answering its follow-up).
#[component]
pub fn VoiceRecorder(id: String, position: u32, follow_up: bool) -> impl IntoView {
    let part = if follow_up { "follow-up" } else { "answer" };
    view! {
        <viva-recorder class="card voice" role="region" aria-labelledby="voice-title"
            data-interview=id data-position=position.to_string() data-part=part inner_html=markup()></viva-recorder>
        <script type="module" src="/voice/recorder.js"></script>
    }
}
