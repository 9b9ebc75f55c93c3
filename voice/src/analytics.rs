//! Speech analytics of one spoken answer, from its segments (when the person spoke) and its
//! transcript: speaking time, pauses, pace and fillers (with where they are, to highlight).

/// A pause longer than this (s) is called out to the person.
pub const LONG_PAUSE: f64 = 2.5;
/// Gaps shorter than this (s) between segments are breaths, not pauses.
pub const MIN_PAUSE: f64 = 0.3;
/// The comfortable pace for an interview answer, words per minute: the one band the
/// analytics, the evaluator, the pages and the report all use.
pub const PACE_BAND: (f64, f64) = (120.0, 160.0);

/// The band as people read it: "120–160".
pub fn pace_band_text() -> String {
    format!("{:.0}–{:.0}", PACE_BAND.0, PACE_BAND.1)
}

/// Fillers, multi-word ones first so "you know" is found before "know" could matter.
pub const FILLERS: &[&str] = &[
    "you know",
    "i mean",
    "kind of",
    "sort of",
    "um",
    "uh",
    "er",
    "erm",
    "like",
    "basically",
    "actually",
];

#[derive(Debug, Clone, PartialEq)]
pub struct Pause {
    pub start: f64,
    pub end: f64,
}

impl Pause {
    pub fn secs(&self) -> f64 {
        self.end - self.start
    }
}

/// A filler in the transcript: its text and byte range, for highlighting.
#[derive(Debug, Clone, PartialEq)]
pub struct Filler {
    pub text: String,
    pub start: usize,
    pub end: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Analytics {
    pub speaking_secs: f64,
    pub pauses: Vec<Pause>,
    pub words: usize,
    pub words_per_minute: f64,
    pub fillers: Vec<Filler>,
}

impl Analytics {
    pub fn total_pause_secs(&self) -> f64 {
        self.pauses.iter().map(Pause::secs).sum()
    }
    pub fn longest_pause_secs(&self) -> f64 {
        self.pauses.iter().map(Pause::secs).fold(0.0, f64::max)
    }
    pub fn long_pauses(&self) -> usize {
        self.pauses.iter().filter(|p| p.secs() > LONG_PAUSE).count()
    }
    /// Where the pace sits against `PACE_BAND`.
    pub fn pace(&self) -> Pace {
        if self.words_per_minute < PACE_BAND.0 {
            Pace::Slow
        } else if self.words_per_minute > PACE_BAND.1 {
            Pace::Fast
        } else {
            Pace::Comfortable
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    Slow,
    Comfortable,
    Fast,
}

/// Words of a transcript with their byte ranges (letters, digits and apostrophes).
fn words(text: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices() {
        let part = c.is_alphanumeric() || c == '\'' || c == '’';
        match (part, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                out.push((s, i));
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// Fillers in a transcript. "like" counts only where it is not a verb or a comparison
/// ("I'd like to", "looks like", "something like that"), and "kind of"/"sort of" only where
/// they are not naming a kind ("what kind of", "a sort of").
pub fn fillers(text: &str) -> Vec<Filler> {
    let ws = words(text);
    let lower: Vec<String> = ws
        .iter()
        .map(|(a, b)| text[*a..*b].to_lowercase().replace('’', "'"))
        .collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < lower.len() {
        let prev = if i > 0 { lower[i - 1].as_str() } else { "" };
        let next = lower.get(i + 1).map(String::as_str).unwrap_or("");
        let mut matched = 0;
        for f in FILLERS {
            let parts: Vec<&str> = f.split(' ').collect();
            if i + parts.len() > lower.len()
                || parts.iter().enumerate().any(|(k, p)| lower[i + k] != *p)
            {
                continue;
            }
            let keep = match *f {
                "like" => {
                    !matches!(
                        prev,
                        "i" | "you"
                            | "we"
                            | "they"
                            | "would"
                            | "i'd"
                            | "we'd"
                            | "you'd"
                            | "they'd"
                            | "to"
                            | "don't"
                            | "didn't"
                            | "really"
                            | "feel"
                            | "felt"
                            | "feels"
                            | "look"
                            | "looks"
                            | "looked"
                            | "sound"
                            | "sounds"
                            | "seem"
                            | "seems"
                            | "something"
                            | "anything"
                            | "nothing"
                            | "just"
                            | "more"
                            | "much"
                            | "things"
                            | "people"
                    ) && !matches!(
                        next,
                        "to" | "this" | "that" | "it" | "them" | "me" | "him" | "her" | "us"
                    )
                }
                "kind of" | "sort of" => !matches!(
                    prev,
                    "what"
                        | "which"
                        | "this"
                        | "that"
                        | "the"
                        | "a"
                        | "any"
                        | "some"
                        | "every"
                        | "one"
                        | "same"
                        | "different"
                ),
                _ => true,
            };
            if keep {
                matched = parts.len();
                let (start, end) = (ws[i].0, ws[i + parts.len() - 1].1);
                out.push(Filler {
                    text: text[start..end].to_string(),
                    start,
                    end,
                });
            }
            break;
        }
        i += matched.max(1);
        let _ = next;
    }
    out
}

/// Analytics of an answer: `segments` are (start, end) seconds of speech in order, over the
/// answer's recording; `transcript` is what was said.
pub fn analyse(segments: &[(f64, f64)], transcript: &str) -> Analytics {
    let speaking_secs: f64 = segments.iter().map(|(a, b)| (b - a).max(0.0)).sum();
    let pauses = segments
        .windows(2)
        .filter(|w| w[1].0 - w[0].1 >= MIN_PAUSE)
        .map(|w| Pause {
            start: w[0].1,
            end: w[1].0,
        })
        .collect();
    let words = words(transcript).len();
    let words_per_minute = if speaking_secs > 0.0 {
        words as f64 * 60.0 / speaking_secs
    } else {
        0.0
    };
    Analytics {
        speaking_secs,
        pauses,
        words,
        words_per_minute,
        fillers: fillers(transcript),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(t: &str) -> Vec<String> {
        fillers(t)
            .into_iter()
            .map(|f| f.text.to_lowercase())
            .collect()
    }

    #[test]
    fn single_and_multi_word_fillers_are_found_with_their_place() {
        let t =
            "Um, so I was, you know, basically the lead. I mean it was, like, kind of hard. Uh.";
        assert_eq!(
            texts(t),
            [
                "um",
                "you know",
                "basically",
                "i mean",
                "like",
                "kind of",
                "uh"
            ]
        );
        let f = &fillers(t)[1];
        assert_eq!(&t[f.start..f.end], "you know");
    }

    #[test]
    fn like_kind_of_and_sort_of_are_fillers_only_when_used_as_fillers() {
        assert!(texts(
            "I would like to lead that. It looks like rain. Something like that. I like it."
        )
        .is_empty());
        assert!(texts("What kind of team? A sort of plan.").is_empty());
        assert_eq!(texts("It was like really big"), ["like"]);
        assert_eq!(texts("I'd like to, er, actually try"), ["er", "actually"]);
        // Words that merely contain a filler are not fillers.
        assert!(texts("Erik umpired the number summary; likely unlike").is_empty());
    }

    #[test]
    fn pauses_pace_and_speaking_time_come_from_the_segments() {
        // 3 segments: 0–10 s, 10.2–20 s (a breath, not a pause), 23–33 s (a 3 s pause).
        let segs = [(0.0, 10.0), (10.2, 20.0), (23.0, 33.0)];
        let transcript = "word ".repeat(70);
        let a = analyse(&segs, &transcript);
        assert!((a.speaking_secs - 29.8).abs() < 1e-9);
        assert_eq!(a.pauses.len(), 1);
        assert!((a.longest_pause_secs() - 3.0).abs() < 1e-9);
        assert_eq!(a.long_pauses(), 1);
        assert_eq!(a.words, 70);
        assert!((a.words_per_minute - 70.0 * 60.0 / 29.8).abs() < 1e-9);
        assert_eq!(a.pace(), Pace::Comfortable);
        assert_eq!(
            analyse(&[(0.0, 60.0)], &"w ".repeat(200)).pace(),
            Pace::Fast
        );
        assert_eq!(analyse(&[(0.0, 60.0)], &"w ".repeat(90)).pace(), Pace::Slow);
        assert_eq!(analyse(&[], "").words_per_minute, 0.0);
    }
}
