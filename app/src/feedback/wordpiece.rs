//! BERT's uncased WordPiece tokenizer, from a `vocab.txt`: clean the text, split on
//! whitespace and punctuation (CJK characters alone), lower-case and strip accents, then
//! greedy longest-match word pieces with `##` continuations. Matches the Hugging Face
//! tokenizer of all-MiniLM-L6-v2 (tested against ids it produced).

use std::collections::HashMap;

use unicode_normalization::UnicodeNormalization;

/// Words longer than this (in characters) become `[UNK]`, as in BERT.
const MAX_WORD_CHARS: usize = 100;

#[derive(Debug)]
pub struct WordPiece {
    vocab: HashMap<String, u32>,
    unk: u32,
    pub cls: u32,
    pub sep: u32,
    pub pad: u32,
}

impl WordPiece {
    /// From the text of a `vocab.txt`: one token per line, the id is the line number.
    pub fn from_vocab(text: &str) -> Result<WordPiece, String> {
        let vocab: HashMap<String, u32> = text
            .lines()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let id = |t: &str| {
            vocab
                .get(t)
                .copied()
                .ok_or_else(|| format!("the vocabulary has no {t} token"))
        };
        Ok(WordPiece {
            unk: id("[UNK]")?,
            cls: id("[CLS]")?,
            sep: id("[SEP]")?,
            pad: id("[PAD]")?,
            vocab,
        })
    }

    /// Token ids with `[CLS]` … `[SEP]`, at most `max_len` in all.
    pub fn encode(&self, text: &str, max_len: usize) -> Vec<u32> {
        let mut ids = vec![self.cls];
        'words: for word in basic_tokens(text) {
            for id in self.word_pieces(&word) {
                if ids.len() + 1 >= max_len {
                    break 'words;
                }
                ids.push(id);
            }
        }
        ids.push(self.sep);
        ids
    }

    fn word_pieces(&self, word: &str) -> Vec<u32> {
        let chars: Vec<char> = word.chars().collect();
        if chars.len() > MAX_WORD_CHARS {
            return vec![self.unk];
        }
        let mut out = Vec::new();
        let mut start = 0;
        while start < chars.len() {
            let mut end = chars.len();
            let mut found = None;
            while start < end {
                let piece: String = chars[start..end].iter().collect();
                let key = if start > 0 {
                    format!("##{piece}")
                } else {
                    piece
                };
                if let Some(id) = self.vocab.get(&key) {
                    found = Some(*id);
                    break;
                }
                end -= 1;
            }
            match found {
                Some(id) => out.push(id),
                None => return vec![self.unk],
            }
            start = end;
        }
        out
    }
}

/// ASCII punctuation and symbols (as BERT treats them) and Unicode punctuation (category P)
/// in the blocks where text meets it.
fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c as u32, 0xA1 | 0xA7 | 0xAB | 0xB6 | 0xB7 | 0xBB | 0xBF | 0x2010..=0x2027 | 0x2030..=0x2043 | 0x2045..=0x2051 | 0x2053..=0x205E | 0x3001..=0x3003 | 0x3008..=0x3011 | 0xFF01..=0xFF0F | 0xFF1A..=0xFF20)
}

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x4E00..=0x9FFF | 0x3400..=0x4DBF | 0x20000..=0x2A6DF | 0x2A700..=0x2B73F | 0x2B740..=0x2B81F | 0x2B820..=0x2CEAF | 0xF900..=0xFAFF | 0x2F800..=0x2FA1F)
}

/// BERT's basic tokenizer for uncased models: words and punctuation, lower case, no accents.
fn basic_tokens(text: &str) -> Vec<String> {
    let mut cleaned = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\0' || c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace()) {
            continue;
        }
        if is_cjk(c) {
            cleaned.push(' ');
            cleaned.push(c);
            cleaned.push(' ');
        } else if c.is_whitespace() {
            cleaned.push(' ');
        } else {
            cleaned.push(c);
        }
    }
    let mut out = Vec::new();
    for word in cleaned.split_whitespace() {
        let lowered: String = word
            .to_lowercase()
            .nfd()
            .filter(|c| !is_combining_mark(*c))
            .collect();
        let mut cur = String::new();
        for c in lowered.chars() {
            if is_punctuation(c) {
                if !cur.is_empty() {
                    out.push(std::mem::take(&mut cur));
                }
                out.push(c.to_string());
            } else {
                cur.push(c);
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// Unicode category Mn (the accents NFD splits off), by the blocks that hold them.
fn is_combining_mark(c: char) -> bool {
    matches!(c as u32, 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocab() -> WordPiece {
        let words = [
            "[PAD]",
            "[UNK]",
            "[CLS]",
            "[SEP]",
            "i",
            "led",
            "the",
            "migration",
            "to",
            "post",
            "##gre",
            "##s",
            "##q",
            "##l",
            ",",
            "cafe",
            ".",
            "un",
            "##believ",
            "##able",
        ];
        WordPiece::from_vocab(&words.join("\n")).unwrap()
    }

    #[test]
    fn splits_words_punctuation_and_word_pieces() {
        let v = vocab();
        assert_eq!(
            v.encode("I led the migration to PostgreSQL, café.", 64),
            vec![2, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 3]
        );
        assert_eq!(v.encode("Unbelievable", 64), vec![2, 17, 18, 19, 3]);
        assert_eq!(
            v.encode("zzz", 64),
            vec![2, 1, 3],
            "an unknown word is [UNK]"
        );
    }

    #[test]
    fn truncates_to_the_maximum_length_keeping_sep() {
        let v = vocab();
        let ids = v.encode(&"the ".repeat(50), 8);
        assert_eq!(ids.len(), 8);
        assert_eq!(ids[0], v.cls);
        assert_eq!(*ids.last().unwrap(), v.sep);
    }
}
