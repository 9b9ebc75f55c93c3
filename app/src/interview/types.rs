//! What interview server functions take and return (shared by browser and server), and the
//! report's Markdown rendering.

use serde::{Deserialize, Serialize};

use super::model::{role_label, AnswerMode, Kind};
use crate::feedback::{Evaluation, Scores, DIMENSIONS};
use crate::voice::model::Part;

/// Named limits of the profile.
pub const MAX_BACKGROUND_CHARS: usize = 4_000;
pub const MAX_LIST_ITEMS: usize = 30;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Profile {
    pub background: String,
    /// Role slugs.
    pub target_roles: Vec<String>,
    pub target_companies: Vec<String>,
    pub skills: Vec<String>,
    /// The job the person gave at sign-up (read-only here).
    pub job_title: String,
    pub experience: String,
    pub resume: Option<ResumeInfo>,
}

/// What /practice starts its form with: the role (the profile's first target role, else a
/// guess from the job given at sign-up) and the first target company. Only these: the page
/// carries no profile text or resume.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct PracticeDefaults {
    /// A role slug.
    pub role: String,
    pub company: String,
}

/// What /practice shows, made on the server from the person's [`PracticeDefaults`] and
/// recordings setting. Nothing in the form's fields runs in the browser, so they come as HTML
/// that hydration leaves alone: the page's code neither carries their view nor builds it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PracticeSetup {
    /// The quick warm-up's line (it names the role).
    pub warmup: String,
    /// The setup form's fields (its `ActionForm` and button are the page's own).
    pub fields: String,
}

/// The uploaded resume, as its owner sees it (the file itself is not kept: only its text).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeInfo {
    pub file_name: String,
    pub bytes: u64,
    pub uploaded_at: i64,
    pub characters: u64,
    /// Skills found in it (also added to the profile's skills, where they can be edited).
    pub skills: Vec<String>,
    /// The text kept from it (all that is kept: the file itself is not).
    pub text: String,
}

/// The profile form as the browser sends it (lists as comma-separated text).
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct ProfileForm {
    pub background: String,
    pub target_role: String,
    pub target_companies: String,
    pub skills: String,
}

/// The setup form as the browser sends it. Kinds arrive as `kinds[]` checkboxes.
#[derive(Clone, Debug, Serialize, Deserialize, Default)]
pub struct SetupForm {
    pub role: String,
    #[serde(default)]
    pub kinds: Vec<String>,
    pub difficulty: String,
    pub count: String,
    #[serde(default)]
    pub company: Option<String>,
    #[serde(default)]
    pub job_description: Option<String>,
    #[serde(default)]
    pub mode: Option<String>,
    #[serde(default)]
    pub timer: Option<String>,
    /// "on" when answers on camera are recorded on video.
    #[serde(default)]
    pub record_video: Option<String>,
    /// Competency slugs to target (from the history page's one-click practice).
    #[serde(default)]
    pub focus: Option<String>,
}

/// A validated setup.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Setup {
    pub role: String,
    pub kinds: Vec<Kind>,
    pub difficulty: u8,
    pub count: u8,
    pub company: Option<String>,
    pub job_description: Option<String>,
    pub mode: AnswerMode,
    pub timer_secs: Option<u32>,
    pub focus: Vec<String>,
    /// On camera: the answers are recorded on video (the person's choice).
    #[serde(default)]
    pub record_video: bool,
}

crate::slug_enum! {
    /// Whether an interview can still be answered.
    pub enum InterviewStatus {
        Active = "active",
        Finished = "finished",
    }
}

crate::slug_enum! {
    /// Where one question of an interview stands.
    pub enum ItemStatus {
        Pending = "pending",
        FollowUp = "follow-up",
        Answered = "answered",
        Skipped = "skipped",
    }
}

impl ItemStatus {
    pub fn done(self) -> bool {
        matches!(self, ItemStatus::Answered | ItemStatus::Skipped)
    }
}

/// One question of an interview, as its owner sees it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub position: u32,
    pub text: String,
    pub kind: Kind,
    pub competencies: Vec<String>,
    pub personalised: bool,
    pub status: ItemStatus,
    pub answer: Option<String>,
    pub follow_up: Option<String>,
    pub follow_up_answer: Option<String>,
    pub attempts: u32,
    pub evaluation: Option<Evaluation>,
}

/// An interview and where it stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct InterviewView {
    pub id: String,
    pub role: String,
    pub company: Option<String>,
    pub mode: AnswerMode,
    pub timer_secs: Option<u32>,
    pub finished: bool,
    pub created_at: i64,
    pub items: Vec<Item>,
    /// Position of the question to answer now (`None` when every question is done).
    pub current: Option<u32>,
    /// On camera, and its answers are recorded on video.
    #[serde(default)]
    pub record_video: bool,
}

impl InterviewView {
    pub fn role_label(&self) -> &'static str {
        role_label(&self.role)
    }
    pub fn done_count(&self) -> usize {
        self.items.iter().filter(|i| i.status.done()).count()
    }
}

/// What happened to a submitted answer.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum AnswerOutcome {
    /// The answer was thin: the interviewer asks one follow-up.
    FollowUp(String),
    /// Evaluated; the overall score of this answer.
    Evaluated(u8),
}

/// The report of a finished interview.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub interview: InterviewView,
    pub scores: Scores,
    pub recommendations: Vec<String>,
    pub engines: Vec<String>,
    pub finished_at: Option<i64>,
    /// Speech analytics of spoken answers: (question position, part, report).
    #[serde(default)]
    pub speech: Vec<(u32, Part, crate::voice::model::SpeechReport)>,
    /// The parts of questions whose recording is kept (their owner keeps recordings).
    #[serde(default)]
    pub recordings: Vec<(u32, Part)>,
    /// Answers recorded on video and ready to play.
    #[serde(default)]
    pub videos: Vec<crate::video::model::VideoView>,
}

/// What the report page shows (`get_report_page`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum ReportContent {
    /// The report made into HTML on the server, and what its buttons need. Nothing in it runs in
    /// the browser, so the page's code neither decodes the report nor hydrates it (the page's
    /// blocking time in Lighthouse).
    Made {
        html: String,
        actions: ReportActions,
    },
    /// The report itself: its video answers' timelines run in the browser.
    Live(Report),
}

/// The report's buttons: its Markdown as a `data:` URL and the file name to save it as.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReportActions {
    pub markdown: String,
    pub file: String,
}

impl Report {
    /// The speech reports of one question, answer first.
    pub fn speech_for(&self, position: u32) -> Vec<(Part, crate::voice::model::SpeechReport)> {
        let mut v: Vec<_> = self
            .speech
            .iter()
            .filter(|(p, _, _)| *p == position)
            .map(|(_, part, r)| (*part, r.clone()))
            .collect();
        v.sort_by_key(|(part, _)| *part != Part::Answer);
        v
    }
}

/// One past interview in the history list.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SessionSummary {
    pub id: String,
    pub role: String,
    pub created_at: i64,
    pub finished: bool,
    pub answered: u32,
    pub total: u32,
    pub scores: Option<Scores>,
}

/// A competency and the average score of the answers that trained it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CompetencyScore {
    pub slug: String,
    pub label: String,
    pub average: u8,
    pub answers: u32,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, Default)]
pub struct History {
    /// Newest first.
    pub sessions: Vec<SessionSummary>,
    /// Weakest first (only competencies with at least one scored answer).
    pub competencies: Vec<CompetencyScore>,
}

/// The evaluation engine of this installation, as the privacy page describes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineInfo {
    pub name: String,
    /// Where answers are sent, when a hosted engine evaluates them.
    pub hosted_host: Option<String>,
}

/// The report as a Markdown document (downloaded from the report page).
pub fn report_markdown(r: &Report, date: &str) -> String {
    let iv = &r.interview;
    let mut md = format!("# Mock interview report — {}\n\n", iv.role_label());
    md.push_str(&format!("- Date: {date}\n"));
    if let Some(c) = &iv.company {
        md.push_str(&format!("- Company: {c}\n"));
    }
    md.push_str(&format!(
        "- Questions answered: {} of {}\n",
        iv.items
            .iter()
            .filter(|i| i.status == ItemStatus::Answered)
            .count(),
        iv.items.len()
    ));
    md.push_str(&format!("- Evaluated by: {}\n\n", r.engines.join(", ")));
    md.push_str(&format!(
        "## Overall score: {}/100\n\n| Dimension | Score |\n|---|---|\n",
        r.scores.overall
    ));
    for &d in DIMENSIONS {
        if let Some(v) = r.scores.get(d) {
            md.push_str(&format!("| {} | {v} |\n", d.label()));
        }
    }
    if !r.recommendations.is_empty() {
        md.push_str("\n## Recommendations\n\n");
        for rec in &r.recommendations {
            md.push_str(&format!("- {rec}\n"));
        }
    }
    for item in &iv.items {
        md.push_str(&format!(
            "\n## Question {}: {}\n\n*{}*\n\n",
            item.position + 1,
            item.text,
            item.kind.label()
        ));
        match (&item.status, &item.answer) {
            (ItemStatus::Skipped, None) => md.push_str("Skipped.\n"),
            (_, Some(a)) => md.push_str(&format!("**Your answer:**\n\n{}\n", quote(a))),
            _ => md.push_str("Not answered.\n"),
        }
        if let (Some(f), Some(fa)) = (&item.follow_up, &item.follow_up_answer) {
            md.push_str(&format!("\n**Follow-up:** {f}\n\n{}\n", quote(fa)));
        }
        for (part, s) in r.speech_for(item.position) {
            md.push_str(&format!(
                "\n*Spoken{}: {:.0} s of speech, {:.0} words per minute (comfortable: {}), {} pause(s), longest {:.1} s, {} filler(s).*\n",
                if part == Part::FollowUp { " follow-up" } else { "" },
                s.speaking_secs,
                s.words_per_minute,
                voice::analytics::pace_band_text(),
                s.pauses.len(),
                s.longest_pause_secs,
                s.fillers.len()
            ));
        }
        if let Some(e) = &item.evaluation {
            md.push_str(&format!("\n**Score: {}/100**\n", e.scores.overall));
            for (title, list) in [
                ("Strengths", &e.strengths),
                ("To improve", &e.improvements),
                ("A strong answer would", &e.outline),
            ] {
                if !list.is_empty() {
                    md.push_str(&format!("\n{title}:\n\n"));
                    for l in list {
                        md.push_str(&format!("- {l}\n"));
                    }
                }
            }
            md.push_str(&format!("\nNext to practise: {}\n", e.next_step));
        }
    }
    md
}

fn quote(text: &str) -> String {
    text.lines()
        .map(|l| format!("> {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_report_has_scores_answers_and_feedback() {
        let eval = Evaluation {
            scores: Scores {
                overall: 72,
                ..Default::default()
            },
            strengths: vec!["Clear.".into()],
            next_step: "Practise STAR.".into(),
            ..Default::default()
        };
        let item = Item {
            position: 0,
            text: "Why this job?".into(),
            kind: Kind::CultureFit,
            competencies: vec![],
            personalised: false,
            status: ItemStatus::Answered,
            answer: Some("Because I love it.\nReally.".into()),
            follow_up: None,
            follow_up_answer: None,
            attempts: 1,
            evaluation: Some(eval),
        };
        let iv = InterviewView {
            id: "x".into(),
            role: "nurse".into(),
            company: Some("St Mary's".into()),
            mode: AnswerMode::Text,
            timer_secs: None,
            finished: true,
            created_at: 0,
            items: vec![item],
            current: None,
            record_video: false,
        };
        let r = Report {
            interview: iv,
            scores: Scores {
                overall: 72,
                relevance: 80,
                ..Default::default()
            },
            recommendations: vec!["Add numbers.".into()],
            engines: vec!["Viva embedded engine".into()],
            finished_at: Some(0),
            speech: vec![],
            recordings: vec![],
            videos: vec![],
        };
        let md = report_markdown(&r, "2026-11-25");
        assert!(md.starts_with("# Mock interview report — Nurse"), "{md}");
        assert!(md.contains("| Relevance | 80 |"));
        assert!(md.contains("> Because I love it.\n> Really."));
        assert!(
            md.contains("**Score: 72/100**")
                && md.contains("- Clear.")
                && md.contains("Next to practise: Practise STAR.")
        );
        assert!(md.contains("- Add numbers."));
    }
}

/// A question to try without an account (`id` is its bank id, sent back with the answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuestionToTry {
    pub id: String,
    pub text: String,
    pub kind: crate::feedback::Kind,
}
