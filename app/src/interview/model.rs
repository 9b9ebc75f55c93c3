//! The vocabulary of interviews, shared by browser and server: roles, question kinds,
//! answer modes, and the named limits of setting one up.

use crate::AppError;

/// Named limits of an interview's setup and answers.
pub const MIN_QUESTIONS: u8 = 3;
pub const MAX_QUESTIONS: u8 = 15;
pub use crate::feedback::MAX_ANSWER_CHARS;
/// A pasted job description longer than this is refused.
pub const MAX_JOB_DESCRIPTION_CHARS: usize = 20_000;
pub const MAX_COMPANY_CHARS: usize = 100;
/// Per-question timer, when one is set: between 30 s and 10 minutes.
pub const MIN_TIMER_SECS: u32 = 30;
pub const MAX_TIMER_SECS: u32 = 600;
/// Questions answered in this many recent days are not asked again while others remain.
pub const RECENT_DAYS: i64 = 30;
/// How many questions a quick warm-up asks.
pub const WARMUP_QUESTIONS: u8 = 3;

/// The roles the bank is written for: (slug, label). `general` questions suit every role.
pub const ROLES: &[(&str, &str)] = &[
    ("general", "Any role (general questions)"),
    ("software-engineer", "Software engineer"),
    ("frontend-engineer", "Frontend engineer"),
    ("backend-engineer", "Backend engineer"),
    ("data-analyst", "Data analyst"),
    ("data-scientist", "Data scientist"),
    ("product-manager", "Product manager"),
    ("ux-designer", "UX designer"),
    ("project-manager", "Project manager"),
    ("marketing", "Marketing"),
    ("sales", "Sales"),
    ("customer-support", "Customer support"),
    ("nurse", "Nurse"),
    ("teacher", "Teacher"),
    ("financial-analyst", "Financial analyst"),
    ("hr", "Human resources"),
];

pub fn role_label(slug: &str) -> &'static str {
    ROLES
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(_, l)| *l)
        .unwrap_or("Unknown role")
}

pub fn check_role(slug: &str) -> Result<&'static str, AppError> {
    ROLES
        .iter()
        .find(|(s, _)| *s == slug)
        .map(|(s, _)| *s)
        .ok_or_else(|| {
            AppError::BadRequest(format!(
                "Unknown role \"{}\": choose one of the roles in the list.",
                slug.chars().take(40).collect::<String>()
            ))
        })
}

/// Guesses the bank role from what someone typed as their job ("Senior backend developer").
pub fn role_from_job_title(title: &str) -> &'static str {
    let t = title.to_lowercase();
    const HINTS: &[(&str, &str)] = &[
        ("front", "frontend-engineer"),
        ("ui engineer", "frontend-engineer"),
        ("back", "backend-engineer"),
        ("data scien", "data-scientist"),
        ("machine learning", "data-scientist"),
        ("ml ", "data-scientist"),
        ("data analy", "data-analyst"),
        ("business intelligence", "data-analyst"),
        ("financ", "financial-analyst"),
        ("accountant", "financial-analyst"),
        ("product manager", "product-manager"),
        ("product owner", "product-manager"),
        ("ux", "ux-designer"),
        ("designer", "ux-designer"),
        ("project", "project-manager"),
        ("programme", "project-manager"),
        ("scrum", "project-manager"),
        ("market", "marketing"),
        ("sales", "sales"),
        ("account executive", "sales"),
        ("support", "customer-support"),
        ("customer service", "customer-support"),
        ("nurs", "nurse"),
        ("teach", "teacher"),
        ("tutor", "teacher"),
        ("human resources", "hr"),
        ("hr", "hr"),
        ("recruit", "hr"),
        ("people partner", "hr"),
        ("engineer", "software-engineer"),
        ("developer", "software-engineer"),
        ("programmer", "software-engineer"),
    ];
    HINTS
        .iter()
        .find(|(k, _)| t.contains(k))
        .map(|(_, r)| *r)
        .unwrap_or("general")
}

/// Competencies a question can train (the slugs the data files use).
pub const COMPETENCIES: &[&str] = &[
    "communication",
    "collaboration",
    "leadership",
    "problem-solving",
    "conflict-resolution",
    "adaptability",
    "ownership",
    "prioritisation",
    "stakeholder-management",
    "customer-focus",
    "analytical-thinking",
    "technical-depth",
    "system-design",
    "coding",
    "debugging",
    "quality",
    "data-analysis",
    "statistics",
    "machine-learning",
    "product-sense",
    "user-research",
    "design-craft",
    "planning",
    "risk-management",
    "negotiation",
    "persuasion",
    "empathy",
    "patient-care",
    "teaching",
    "financial-analysis",
    "ethics-compliance",
    "learning-agility",
    "time-management",
    "decision-making",
    "mentoring",
    "resilience",
    "creativity",
    "attention-to-detail",
    "business-acumen",
];

/// "problem-solving" → "Problem solving".
pub fn competency_label(slug: &str) -> String {
    let s = slug.replace('-', " ");
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().collect::<String>() + c.as_str())
        .unwrap_or_default()
}

pub use crate::feedback::Kind;

impl AnswerMode {
    /// Whether answers are spoken (and go through the voice recorder).
    pub fn spoken(self) -> bool {
        matches!(self, AnswerMode::Voice | AnswerMode::Video)
    }
}

crate::slug_enum! {
    /// How the candidate answers.
    #[derive(Default)]
    pub enum AnswerMode {
        #[default]
        Text = "text",
        Voice = "voice",
        /// On camera: spoken, with a camera preview, recorded on video if chosen.
        Video = "video",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_through_their_slugs() {
        for &k in Kind::ALL {
            assert_eq!(k.as_str().parse::<Kind>().ok(), Some(k));
            assert_eq!(
                serde_json::to_string(&k).unwrap(),
                format!("\"{}\"", k.as_str())
            );
        }
        assert_eq!("gossip".parse::<Kind>().ok(), None);
    }

    #[test]
    fn job_titles_map_to_bank_roles() {
        assert_eq!(
            role_from_job_title("Senior Backend Developer"),
            "backend-engineer"
        );
        assert_eq!(role_from_job_title("Registered Nurse (ICU)"), "nurse");
        assert_eq!(
            role_from_job_title("Software Engineer II"),
            "software-engineer"
        );
        assert_eq!(role_from_job_title("HR business partner"), "hr");
        assert_eq!(role_from_job_title("Astronaut"), "general");
    }

    #[test]
    fn competency_labels_read_as_words() {
        assert_eq!(competency_label("problem-solving"), "Problem solving");
    }

    #[test]
    fn unknown_roles_are_refused_with_a_message() {
        assert!(check_role("nurse").is_ok());
        let e = check_role("wizard").unwrap_err();
        assert_eq!(e.status_code(), 400);
        assert!(e.to_string().contains("wizard"));
    }
}
