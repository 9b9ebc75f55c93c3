//! Plain-text analysis shared by the embedded evaluator and the interview planner: words,
//! sentences, stems and content terms. Pure code, tested natively.

/// Words that carry no topic: dropped before texts are compared.
const STOPWORDS: &[&str] = &[
    "a",
    "about",
    "above",
    "after",
    "again",
    "against",
    "all",
    "also",
    "am",
    "an",
    "and",
    "any",
    "are",
    "as",
    "at",
    "be",
    "because",
    "been",
    "before",
    "being",
    "below",
    "between",
    "both",
    "but",
    "by",
    "can",
    "could",
    "did",
    "do",
    "does",
    "doing",
    "down",
    "during",
    "each",
    "either",
    "else",
    "even",
    "ever",
    "every",
    "few",
    "for",
    "from",
    "further",
    "get",
    "got",
    "had",
    "has",
    "have",
    "having",
    "he",
    "her",
    "here",
    "hers",
    "herself",
    "him",
    "himself",
    "his",
    "how",
    "i",
    "if",
    "in",
    "into",
    "is",
    "it",
    "its",
    "itself",
    "just",
    "let",
    "me",
    "might",
    "more",
    "most",
    "much",
    "must",
    "my",
    "myself",
    "no",
    "nor",
    "not",
    "now",
    "of",
    "off",
    "on",
    "once",
    "one",
    "only",
    "or",
    "other",
    "our",
    "ours",
    "ourselves",
    "out",
    "over",
    "own",
    "quite",
    "rather",
    "really",
    "same",
    "she",
    "should",
    "so",
    "some",
    "such",
    "than",
    "that",
    "the",
    "their",
    "theirs",
    "them",
    "themselves",
    "then",
    "there",
    "these",
    "they",
    "thing",
    "things",
    "this",
    "those",
    "through",
    "to",
    "too",
    "under",
    "until",
    "up",
    "us",
    "very",
    "was",
    "way",
    "we",
    "were",
    "what",
    "when",
    "where",
    "which",
    "while",
    "who",
    "whom",
    "why",
    "will",
    "with",
    "would",
    "you",
    "your",
    "yours",
    "yourself",
    "yourselves",
    "tell",
    "describe",
    "explain",
    "walk",
    "give",
    "example",
    "time",
    "how",
    "would",
    "you",
    "im",
    "ive",
    "id",
    "ill",
    "weve",
    "youre",
    "theyre",
    "dont",
    "didnt",
    "wasnt",
    "isnt",
    "its",
    "lot",
    "lots",
    "well",
    "yes",
    "okay",
    "ok",
    "um",
    "uh",
    "er",
    "like",
    "yeah",
    "kind",
    "sort",
    "basically",
    "actually",
    "maybe",
    "probably",
    "think",
    "guess",
    "mean",
    "know",
    "say",
    "said",
    "make",
    "made",
    "go",
    "going",
    "went",
    "want",
    "wanted",
];

pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// Lower-case words (letters, digits, inner apostrophes and hyphens removed), in order.
pub fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() {
            cur.extend(c.to_lowercase());
        } else if (c == '\'' || c == '’') && !cur.is_empty() {
            // "don't" → "dont": keeps contractions one word.
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Sentences: split at . ! ? (and line breaks), ignoring decimal points and empty pieces.
pub fn sentences(text: &str) -> Vec<String> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut cur = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let end = match c {
            '.' => {
                let digit_after = chars.get(i + 1).is_some_and(|n| n.is_ascii_digit());
                let digit_before = i > 0 && chars[i - 1].is_ascii_digit();
                !(digit_after && digit_before)
            }
            '!' | '?' | '\n' => true,
            _ => false,
        };
        if end {
            if c != '\n' {
                cur.push(c);
            }
            if cur.chars().any(char::is_alphanumeric) {
                out.push(cur.trim().to_string());
            }
            cur.clear();
        } else {
            cur.push(c);
        }
    }
    if cur.chars().any(char::is_alphanumeric) {
        out.push(cur.trim().to_string());
    }
    out
}

/// A light English stemmer: enough that "deployed", "deploying" and "deployment" meet, and
/// "analysis"/"analyse"/"analyze" meet. Deterministic, no dictionary.
pub fn stem(word: &str) -> String {
    let w = word.to_lowercase();
    if w.len() <= 3 || w.chars().any(|c| c.is_ascii_digit()) {
        return w;
    }
    let w = w.replace("yz", "ys").replace("iz", "is");
    const SUFFIXES: &[&str] = &[
        "izations", "isations", "ization", "isation", "fulness", "iveness", "ational", "ements",
        "ement", "ments", "ment", "ations", "ation", "ings", "ing", "ities", "ity", "ness",
        "ables", "able", "ibly", "ible", "ally", "fully", "ful", "ised", "ized", "ises", "izes",
        "ise", "ize", "ists", "ist", "isms", "ism", "ives", "ive", "ers", "er", "ied", "ies", "ed",
        "ly", "es", "s", "e",
    ];
    for suf in SUFFIXES {
        if let Some(base) = w.strip_suffix(suf) {
            if base.chars().count() >= 3 {
                let mut b = base.to_string();
                // "stopped" → "stopp" → "stop"
                let bytes = b.as_bytes();
                if bytes.len() >= 4
                    && bytes[bytes.len() - 1] == bytes[bytes.len() - 2]
                    && !matches!(bytes[bytes.len() - 1], b'l' | b's' | b'z')
                {
                    b.pop();
                }
                return b;
            }
        }
    }
    w
}

/// The stems of the content words of a text, in order (stopwords and 1-letter words dropped).
pub fn content_stems(text: &str) -> Vec<String> {
    words(text)
        .into_iter()
        .filter(|w| w.chars().count() > 1 && !is_stopword(w))
        .map(|w| stem(&w))
        .collect()
}

/// Whether two stems name the same idea: equal, or one a prefix (≥ 5 letters) of the other.
pub fn stems_match(a: &str, b: &str) -> bool {
    if a == b {
        return true;
    }
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    short.len() >= 5 && long.starts_with(short)
}

/// Words per sentence, on average (0 for no sentences).
pub fn mean_sentence_words(text: &str) -> f32 {
    let s = sentences(text);
    if s.is_empty() {
        return 0.0;
    }
    s.iter().map(|x| words(x).len()).sum::<usize>() as f32 / s.len() as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_lower_case_and_keep_contractions_whole() {
        assert_eq!(
            words("I didn't ship it, Bob's API v2!"),
            ["i", "didnt", "ship", "it", "bobs", "api", "v2"]
        );
    }

    #[test]
    fn sentences_split_at_ends_but_not_at_decimals() {
        let s = sentences("Latency fell from 2.5 s to 0.8 s. Users noticed! Did they? yes");
        assert_eq!(
            s,
            [
                "Latency fell from 2.5 s to 0.8 s.",
                "Users noticed!",
                "Did they?",
                "yes"
            ]
        );
    }

    #[test]
    fn stems_meet_across_word_forms() {
        assert_eq!(stem("deployed"), stem("deploying"));
        assert!(stems_match(&stem("deployment"), &stem("deploy")));
        assert!(stems_match(&stem("managed"), &stem("management")));
        assert_eq!(stem("prioritised"), stem("prioritized"));
        assert_eq!(stem("stopped"), "stop");
        assert!(
            stems_match(&stem("analysis"), &stem("analysing"))
                || stem("analysis") == stem("analysing"),
            "{} {}",
            stem("analysis"),
            stem("analysing")
        );
        assert_ne!(stem("cat"), stem("category"));
    }

    #[test]
    fn content_stems_drop_stopwords() {
        assert_eq!(
            content_stems("Tell me about the time you tested it"),
            ["test"]
        );
    }
}
