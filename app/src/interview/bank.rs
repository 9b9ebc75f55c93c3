//! The question bank: TOML files in `app/data/questions/`, embedded in the binary, checked
//! when parsed, and loaded into the database at start-up whenever their content changed.

use serde::{Deserialize, Serialize};

use super::model::{Kind, COMPETENCIES, ROLES};

/// The bank's files, embedded. Adding a file here is all it takes to ship it.
pub const FILES: &[(&str, &str)] = &[
    (
        "general.toml",
        include_str!("../../data/questions/general.toml"),
    ),
    ("hr.toml", include_str!("../../data/questions/hr.toml")),
    (
        "software.toml",
        include_str!("../../data/questions/software.toml"),
    ),
    (
        "data-finance.toml",
        include_str!("../../data/questions/data-finance.toml"),
    ),
    (
        "product-design.toml",
        include_str!("../../data/questions/product-design.toml"),
    ),
    (
        "people-facing.toml",
        include_str!("../../data/questions/people-facing.toml"),
    ),
];

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Question {
    pub id: String,
    pub text: String,
    pub roles: Vec<String>,
    pub kind: Kind,
    pub difficulty: u8,
    pub competencies: Vec<String>,
    pub key_points: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    question: Vec<Question>,
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum BankError {
    #[error("{file}: {message}")]
    Parse { file: String, message: String },
    #[error("{file}: question {id}: {message}")]
    Invalid {
        file: String,
        id: String,
        message: String,
    },
}

/// Parses and checks every embedded file.
pub fn load() -> Result<Vec<Question>, BankError> {
    parse_files(FILES)
}

/// Parses and checks files: ids unique and well-formed, known roles and competencies,
/// difficulty 1–3, 3–6 key points.
pub fn parse_files(files: &[(&str, &str)]) -> Result<Vec<Question>, BankError> {
    let mut out: Vec<Question> = Vec::new();
    let mut ids = std::collections::HashSet::new();
    for (name, text) in files {
        let f: File = toml_parse(text).map_err(|message| BankError::Parse {
            file: name.to_string(),
            message,
        })?;
        for q in f.question {
            let bad = |message: String| BankError::Invalid {
                file: name.to_string(),
                id: q.id.clone(),
                message,
            };
            if q.id.is_empty()
                || q.id.len() > 40
                || !q
                    .id
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
            {
                return Err(bad(
                    "the id must be 1–40 characters of a–z, 0–9 and -".into()
                ));
            }
            if !ids.insert(q.id.clone()) {
                return Err(bad("this id is used twice".into()));
            }
            if q.text.trim().len() < 10 {
                return Err(bad("the text is missing".into()));
            }
            if q.roles.is_empty() || q.roles.iter().any(|r| !ROLES.iter().any(|(s, _)| s == r)) {
                return Err(bad(format!("unknown role in {:?}", q.roles)));
            }
            if !(1..=3).contains(&q.difficulty) {
                return Err(bad("difficulty must be 1, 2 or 3".into()));
            }
            if q.competencies.is_empty()
                || q.competencies
                    .iter()
                    .any(|c| !COMPETENCIES.contains(&c.as_str()))
            {
                return Err(bad(format!("unknown competency in {:?}", q.competencies)));
            }
            if !(3..=6).contains(&q.key_points.len()) {
                return Err(bad(format!(
                    "needs 3–6 key points, has {}",
                    q.key_points.len()
                )));
            }
            out.push(q);
        }
    }
    Ok(out)
}

fn toml_parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, String> {
    toml::from_str(text).map_err(|e| e.to_string())
}

/// A fingerprint of the bank's content: when it changes, start-up reloads the bank.
pub fn fingerprint() -> String {
    let mut h: u64 = 0xcbf29ce484222325;
    for (name, text) in FILES {
        for b in name.bytes().chain(text.bytes()) {
            h ^= b as u64;
            h = h.wrapping_mul(0x100000001b3);
        }
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bank_loads_and_is_big_enough() {
        let bank = load().expect("the bank parses");
        assert!(
            bank.len() >= 500,
            "the bank has {} questions; at least 500 are needed",
            bank.len()
        );
        for (role, _) in ROLES {
            let n = bank
                .iter()
                .filter(|q| q.roles.iter().any(|r| r == role))
                .count();
            assert!(n >= 25, "role {role} has only {n} questions");
        }
        for k in Kind::ALL {
            assert!(
                bank.iter().filter(|q| q.kind == *k).count() >= 20,
                "kind {k:?} is thin"
            );
        }
    }

    #[test]
    fn bad_files_are_refused_with_the_reason() {
        let one = |body: &str| parse_files(&[("t.toml", body)]);
        let ok = r#"[[question]]
id = "t-1"
text = "Tell me about a hard problem."
roles = ["general"]
kind = "behavioural"
difficulty = 2
competencies = ["problem-solving"]
key_points = ["a", "b", "c"]
"#;
        assert_eq!(one(ok).unwrap().len(), 1);
        let dup = format!("{ok}\n{ok}");
        assert!(one(&dup).unwrap_err().to_string().contains("used twice"));
        assert!(one(&ok.replace("general", "wizard"))
            .unwrap_err()
            .to_string()
            .contains("unknown role"));
        assert!(one(&ok.replace("difficulty = 2", "difficulty = 7"))
            .unwrap_err()
            .to_string()
            .contains("difficulty"));
        assert!(one(&ok.replace("\"c\"]", "]"))
            .unwrap_err()
            .to_string()
            .contains("3–6 key points"));
        assert!(one(&ok.replace("behavioural", "gossip")).is_err());
        assert!(one(&ok.replace("t-1", "T 1"))
            .unwrap_err()
            .to_string()
            .contains("id"));
    }
}
