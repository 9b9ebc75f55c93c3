//! Checks of what people send: the setup form, answers, the profile. Each error says what to
//! change and names the limit. Shared by browser and server (the server always re-checks).

use super::model::*;
use super::skills::clean_list;
use super::types::*;
use crate::AppError;

fn bad<T>(m: impl Into<String>) -> Result<T, AppError> {
    Err(AppError::BadRequest(m.into()))
}

fn optional_text(v: Option<String>, max: usize, what: &str) -> Result<Option<String>, AppError> {
    let Some(t) = v.map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let n = t.chars().count();
    if n > max {
        return bad(format!(
            "The {what} is {n} characters; the limit is {max}. Shorten it and try again."
        ));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return bad(format!(
            "The {what} contains characters that are not allowed."
        ));
    }
    Ok(Some(t))
}

pub fn validate_setup(f: SetupForm) -> Result<Setup, AppError> {
    let role = check_role(f.role.trim())?.to_string();
    let mut kinds = Vec::new();
    for k in f
        .kinds
        .iter()
        .flat_map(|k| k.split(','))
        .map(str::trim)
        .filter(|k| !k.is_empty())
    {
        let Ok(kind) = k.parse::<Kind>() else {
            return bad(format!(
                "Unknown question type \"{}\".",
                k.chars().take(30).collect::<String>()
            ));
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    let difficulty: u8 = match f.difficulty.trim().parse() {
        Ok(d @ 1..=3) => d,
        _ => return bad("Choose a difficulty: easy, medium or hard."),
    };
    let count: u8 = match f.count.trim().parse() {
        Ok(n) if (MIN_QUESTIONS..=MAX_QUESTIONS).contains(&n) => n,
        _ => {
            return bad(format!(
                "Choose between {MIN_QUESTIONS} and {MAX_QUESTIONS} questions."
            ))
        }
    };
    let company = optional_text(f.company, MAX_COMPANY_CHARS, "company name")?;
    let job_description = optional_text(
        f.job_description,
        MAX_JOB_DESCRIPTION_CHARS,
        "job description",
    )?;
    let mode = match f.mode.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        None => AnswerMode::Text,
        Some(m) => m.parse::<AnswerMode>().map_err(|_| {
            AppError::BadRequest(
                "Choose how you will answer: typing, speaking or on camera.".into(),
            )
        })?,
    };
    let timer_secs = match f.timer.as_deref().map(str::trim).filter(|t| !t.is_empty() && *t != "0") {
        None => None,
        Some(t) => match t.parse::<u32>() {
            Ok(s) if (MIN_TIMER_SECS..=MAX_TIMER_SECS).contains(&s) => Some(s),
            _ => return bad(format!("A timer must be between {MIN_TIMER_SECS} and {MAX_TIMER_SECS} seconds per question.")),
        },
    };
    let mut focus = Vec::new();
    for c in f
        .focus
        .as_deref()
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|c| !c.is_empty())
    {
        if !COMPETENCIES.contains(&c) {
            return bad(format!(
                "Unknown competency \"{}\".",
                c.chars().take(40).collect::<String>()
            ));
        }
        focus.push(c.to_string());
    }
    Ok(Setup {
        role,
        kinds,
        difficulty,
        count,
        company,
        job_description,
        record_video: mode == AnswerMode::Video
            && f.record_video
                .as_deref()
                .is_some_and(|v| !v.is_empty() && v != "off"),
        mode,
        timer_secs,
        focus,
    })
}

/// An answer: trimmed, not empty, within [`MAX_ANSWER_CHARS`].
pub fn validate_answer(text: &str) -> Result<String, AppError> {
    let t = text.trim();
    if t.is_empty() {
        return bad("Your answer is empty. Write your answer, or choose Skip to move on.");
    }
    let n = t.chars().count();
    if n > MAX_ANSWER_CHARS {
        return bad(format!("Your answer is {n} characters; the limit is {MAX_ANSWER_CHARS} (about 25 minutes of speech). Shorten it and submit again."));
    }
    if t.chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return bad("Your answer contains characters that are not allowed.");
    }
    Ok(t.to_string())
}

/// A checked profile: background, target roles, target companies, skills.
pub type CheckedProfile = (String, Vec<String>, Vec<String>, Vec<String>);

pub fn validate_profile(f: ProfileForm) -> Result<CheckedProfile, AppError> {
    let background = optional_text(
        Some(f.background),
        MAX_BACKGROUND_CHARS,
        "career background",
    )?
    .unwrap_or_default();
    let mut roles = Vec::new();
    if !f.target_role.trim().is_empty() {
        roles.push(check_role(f.target_role.trim())?.to_string());
    }
    let companies = clean_list(&[f.target_companies], MAX_LIST_ITEMS);
    let skills = clean_list(&[f.skills], MAX_LIST_ITEMS);
    Ok((background, roles, companies, skills))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> SetupForm {
        SetupForm {
            role: "nurse".into(),
            kinds: vec!["behavioural".into()],
            difficulty: "2".into(),
            count: "5".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_normal_setup_is_accepted() {
        let s = validate_setup(form()).unwrap();
        assert_eq!(
            (s.role.as_str(), s.count, s.difficulty, s.mode),
            ("nurse", 5, 2, AnswerMode::Text)
        );
        assert_eq!(s.kinds, vec![Kind::Behavioural]);
    }

    #[test]
    fn each_bad_field_is_named_with_its_limit() {
        let cases: Vec<(SetupForm, &str)> = vec![
            (
                SetupForm {
                    role: "wizard".into(),
                    ..form()
                },
                "Unknown role",
            ),
            (
                SetupForm {
                    count: "2".into(),
                    ..form()
                },
                "between 3 and 15",
            ),
            (
                SetupForm {
                    count: "16".into(),
                    ..form()
                },
                "between 3 and 15",
            ),
            (
                SetupForm {
                    count: "lots".into(),
                    ..form()
                },
                "between 3 and 15",
            ),
            (
                SetupForm {
                    difficulty: "9".into(),
                    ..form()
                },
                "difficulty",
            ),
            (
                SetupForm {
                    kinds: vec!["gossip".into()],
                    ..form()
                },
                "question type",
            ),
            (
                SetupForm {
                    job_description: Some("x".repeat(MAX_JOB_DESCRIPTION_CHARS + 1)),
                    ..form()
                },
                "limit is 20000",
            ),
            (
                SetupForm {
                    company: Some("c".repeat(101)),
                    ..form()
                },
                "limit is 100",
            ),
            (
                SetupForm {
                    timer: Some("5".into()),
                    ..form()
                },
                "between 30 and 600",
            ),
            (
                SetupForm {
                    mode: Some("telepathy".into()),
                    ..form()
                },
                "typing, speaking or on camera",
            ),
            (
                SetupForm {
                    focus: Some("juggling".into()),
                    ..form()
                },
                "competency",
            ),
        ];
        for (f, want) in cases {
            let e = validate_setup(f).unwrap_err();
            assert_eq!(e.status_code(), 400);
            assert!(e.to_string().contains(want), "{e} should mention {want}");
        }
    }

    #[test]
    fn answers_must_be_present_and_within_the_limit() {
        assert!(validate_answer("   ")
            .unwrap_err()
            .to_string()
            .contains("empty"));
        let long = "a".repeat(MAX_ANSWER_CHARS + 1);
        assert!(validate_answer(&long)
            .unwrap_err()
            .to_string()
            .contains("limit is 8000"));
        assert_eq!(validate_answer("  I did it. ").unwrap(), "I did it.");
        assert!(
            validate_answer(&"é".repeat(MAX_ANSWER_CHARS)).is_ok(),
            "the limit counts characters, not bytes"
        );
    }
}
