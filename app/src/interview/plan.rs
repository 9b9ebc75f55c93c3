//! Choosing an interview's questions, offline: filter the bank by role and kind, rank by
//! difficulty, by overlap with the job description and targeted competencies, avoid what the
//! candidate saw recently, keep the kinds mixed, and write personalised questions that name
//! skills from the resume, profile or job description. Pure and deterministic (seeded).

use std::collections::HashSet;

use super::bank::Question;
use super::model::Kind;
use crate::feedback::engine::coverage;
use crate::feedback::text::content_stems;

/// What the planner needs to know.
#[derive(Clone, Debug, Default)]
pub struct PlanInput {
    pub role: String,
    /// Empty: a balanced mix.
    pub kinds: Vec<Kind>,
    /// 1–3.
    pub difficulty: u8,
    pub count: usize,
    pub company: Option<String>,
    pub job_description: Option<String>,
    /// Skills from the profile and resume (and the job description), most relevant first.
    pub skills: Vec<String>,
    /// Competencies to train (a targeted interview); empty for none.
    pub focus: Vec<String>,
    /// Bank ids asked in recent interviews.
    pub recent: HashSet<String>,
    pub seed: u64,
}

/// A question as it will be asked.
#[derive(Clone, Debug, PartialEq)]
pub struct Planned {
    /// The bank id; `None` for a personalised question.
    pub bank_id: Option<String>,
    pub text: String,
    pub kind: Kind,
    pub competencies: Vec<String>,
    pub key_points: Vec<String>,
    pub personalised: bool,
}

/// The default mix when no kinds are chosen, by role family.
fn default_kinds(role: &str) -> Vec<Kind> {
    let technical = matches!(
        role,
        "software-engineer"
            | "frontend-engineer"
            | "backend-engineer"
            | "data-analyst"
            | "data-scientist"
            | "financial-analyst"
    );
    if technical {
        vec![
            Kind::Behavioural,
            Kind::Technical,
            Kind::Situational,
            Kind::RoleSpecific,
            Kind::SystemDesign,
            Kind::CultureFit,
        ]
    } else {
        vec![
            Kind::Behavioural,
            Kind::Situational,
            Kind::RoleSpecific,
            Kind::CultureFit,
            Kind::Technical,
        ]
    }
}

/// A stable pseudo-random number from the seed and an id (FNV-1a then a mix).
fn jitter(seed: u64, id: &str) -> f32 {
    let mut h = crate::ids::fnv1a(seed, id.as_bytes());
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51afd7ed558ccd);
    h ^= h >> 33;
    (h % 10_000) as f32 / 10_000.0
}

pub fn plan(bank: &[Question], input: &PlanInput) -> Vec<Planned> {
    let kinds = if input.kinds.is_empty() {
        default_kinds(&input.role)
    } else {
        input.kinds.clone()
    };
    let jd_stems = input
        .job_description
        .as_deref()
        .map(content_stems)
        .unwrap_or_default();
    let count = input.count.max(1);

    // Personalised questions: up to a third of the interview, when there are skills to name.
    let n_personal = if input.skills.is_empty() || !input.focus.is_empty() {
        0
    } else {
        (count / 3).clamp(1, 3)
    };
    let personal = personalised(input, &kinds, n_personal);

    // Rank the bank.
    let mut ranked: Vec<(f32, &Question)> = bank
        .iter()
        .filter(|q| kinds.contains(&q.kind))
        .filter(|q| q.roles.iter().any(|r| *r == input.role || r == "general"))
        .map(|q| {
            let mut score = if q.roles.contains(&input.role) {
                3.0
            } else {
                1.0
            };
            if input.role == "general" {
                score = 3.0;
            }
            score -= 1.5 * (q.difficulty as f32 - input.difficulty as f32).abs();
            if !jd_stems.is_empty() {
                let mut q_stems = content_stems(&q.text);
                for k in &q.key_points {
                    q_stems.extend(content_stems(k));
                }
                score += 6.0 * coverage(&jd_stems, &q_stems);
            }
            if !input.focus.is_empty() && q.competencies.iter().any(|c| input.focus.contains(c)) {
                score += 4.0;
            }
            if input.recent.contains(&q.id) {
                score -= 20.0;
            }
            (score + jitter(input.seed, &q.id), q)
        })
        .collect();
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));

    // Take the best of each kind in turn, so the interview stays mixed.
    let want_bank = count.saturating_sub(personal.len());
    let mut picked: Vec<&Question> = Vec::new();
    let mut cursor = vec![0usize; kinds.len()];
    let mut round = 0;
    while picked.len() < want_bank && round < count * kinds.len() + 1 {
        let slot = round % kinds.len();
        let kind = kinds[slot];
        if let Some((i, (_, q))) = ranked
            .iter()
            .enumerate()
            .skip(cursor[slot])
            .find(|(_, (_, q))| q.kind == kind && !picked.iter().any(|p| p.id == q.id))
        {
            cursor[slot] = i + 1;
            picked.push(q);
        } else {
            cursor[slot] = ranked.len();
        }
        round += 1;
        if cursor.iter().all(|c| *c >= ranked.len()) {
            break;
        }
    }
    let mut out: Vec<Planned> = picked
        .into_iter()
        .map(|q| Planned {
            bank_id: Some(q.id.clone()),
            text: q.text.clone(),
            kind: q.kind,
            competencies: q.competencies.clone(),
            key_points: q.key_points.clone(),
            personalised: false,
        })
        .collect();
    // Personalised questions go second, fourth, …: an easy opener first.
    for (i, p) in personal.into_iter().enumerate() {
        let at = (1 + 2 * i).min(out.len());
        out.insert(at, p);
    }
    out.truncate(count);
    out
}

/// Questions that name the candidate's own skills, company and job description.
fn personalised(input: &PlanInput, kinds: &[Kind], n: usize) -> Vec<Planned> {
    let company = input
        .company
        .as_deref()
        .map(str::trim)
        .filter(|c| !c.is_empty());
    // Templates in order of preference, limited to the kinds asked for. A technical template
    // also serves an interview of only system-design or role-specific questions.
    let technical_label = [Kind::Technical, Kind::RoleSpecific, Kind::SystemDesign]
        .into_iter()
        .find(|k| kinds.contains(k));
    let templates: Vec<(Kind, Kind)> = [
        Kind::Behavioural,
        Kind::Technical,
        Kind::Situational,
        Kind::CultureFit,
    ]
    .into_iter()
    .filter_map(|t| {
        if t == Kind::Technical {
            technical_label.map(|l| (t, l))
        } else {
            kinds.contains(&t).then_some((t, t))
        }
    })
    .collect();
    if templates.is_empty() {
        return Vec::new();
    }
    let mut out = Vec::new();
    for (i, skill) in input.skills.iter().take(n).enumerate() {
        let (template, kind) = templates[i % templates.len()];
        let (text, key_points, competencies) = match template {
            Kind::Technical => (
                format!("You list {skill} among your skills. How would you explain its strengths and limits to a colleague who has never used it, and when would you choose something else?"),
                vec![
                    format!("what {skill} is for and how it works, in plain words"),
                    format!("a concrete example of using {skill} in your own work"),
                    format!("the limits or pitfalls of {skill}"),
                    "when an alternative is the better choice, and why".to_string(),
                ],
                ["technical-depth", "communication"],
            ),
            Kind::Situational => (
                format!(
                    "Imagine you join {} and a project that depends on {skill} is two weeks behind. What would you do in your first week?",
                    company.unwrap_or("a new team")
                ),
                vec![
                    "how you would find out why it is late: people, plan, tools or data".to_string(),
                    format!("where your {skill} experience helps directly"),
                    "how you would re-plan with the team and tell stakeholders".to_string(),
                    "how you would know the plan is working".to_string(),
                ],
                ["problem-solving", "prioritisation"],
            ),
            Kind::CultureFit => (
                match company {
                    Some(c) => format!("Why {c}, and how would your experience with {skill} help you make a difference there in your first six months?"),
                    None => format!("What kind of team brings out your best work, and how has your experience with {skill} shaped that?"),
                },
                vec![
                    "what attracts you, specifically, beyond salary".to_string(),
                    format!("a concrete result you achieved with {skill}"),
                    "how you like to work with others".to_string(),
                    "what you would aim to achieve first".to_string(),
                ],
                ["communication", "ownership"],
            ),
            _ => (
                format!("Tell me about a project where you used {skill}. What was your part, what was hard, and what came of it?"),
                vec![
                    format!("the project and why {skill} was used"),
                    format!("what you personally built or decided with {skill}"),
                    "a difficulty you hit and how you solved it".to_string(),
                    "the measurable result".to_string(),
                    "what you would do differently".to_string(),
                ],
                ["ownership", "problem-solving"],
            ),
        };
        let competencies = competencies.iter().map(|c| c.to_string()).collect();
        out.push(Planned {
            bank_id: None,
            text,
            kind,
            competencies,
            key_points,
            personalised: true,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::interview::bank;

    fn input(role: &str, count: usize) -> PlanInput {
        PlanInput {
            role: role.into(),
            difficulty: 2,
            count,
            seed: 7,
            ..Default::default()
        }
    }

    #[test]
    fn plans_the_asked_number_of_role_questions_without_repeats() {
        let b = bank::load().unwrap();
        for (role, _) in crate::interview::model::ROLES {
            let p = plan(&b, &input(role, 8));
            assert_eq!(p.len(), 8, "{role}");
            let ids: HashSet<_> = p.iter().filter_map(|q| q.bank_id.clone()).collect();
            assert_eq!(ids.len(), 8, "{role}: repeated question");
            for q in &p {
                let bq = b
                    .iter()
                    .find(|x| Some(&x.id) == q.bank_id.as_ref())
                    .unwrap();
                assert!(
                    bq.roles.iter().any(|r| r == role || r == "general"),
                    "{role} got {}",
                    bq.id
                );
            }
        }
    }

    #[test]
    fn respects_the_kind_mix_and_mixes_kinds() {
        let b = bank::load().unwrap();
        let mut i = input("backend-engineer", 6);
        i.kinds = vec![Kind::Technical, Kind::SystemDesign];
        let p = plan(&b, &i);
        assert!(p
            .iter()
            .all(|q| matches!(q.kind, Kind::Technical | Kind::SystemDesign)));
        assert!(
            p.iter().filter(|q| q.kind == Kind::SystemDesign).count() >= 2,
            "kinds were not mixed"
        );
    }

    #[test]
    fn recent_questions_are_not_repeated_while_others_remain() {
        let b = bank::load().unwrap();
        let first = plan(&b, &input("nurse", 5));
        let mut i = input("nurse", 5);
        i.recent = first.iter().filter_map(|q| q.bank_id.clone()).collect();
        let second = plan(&b, &i);
        assert!(
            second
                .iter()
                .all(|q| !i.recent.contains(q.bank_id.as_ref().unwrap())),
            "a recent question came back"
        );
    }

    #[test]
    fn the_job_description_pulls_matching_questions_up() {
        let b = bank::load().unwrap();
        let mut i = input("backend-engineer", 5);
        i.kinds = vec![Kind::Technical];
        i.job_description = Some("You will own our caching layer: cache invalidation, Redis, TTLs, cache stampede protection, and cache hit rates.".into());
        let p = plan(&b, &i);
        assert!(
            p.iter().any(|q| q.text.to_lowercase().contains("cach")),
            "{:?}",
            p.iter().map(|q| &q.text).collect::<Vec<_>>()
        );
    }

    #[test]
    fn personalised_questions_name_the_candidates_skills_and_company() {
        let b = bank::load().unwrap();
        let mut i = input("data-analyst", 6);
        i.skills = vec!["Tableau".into(), "SQL".into()];
        i.company = Some("Acme Health".into());
        let p = plan(&b, &i);
        assert_eq!(p.len(), 6);
        let personal: Vec<_> = p.iter().filter(|q| q.personalised).collect();
        assert_eq!(personal.len(), 2);
        assert!(personal[0].text.contains("Tableau"));
        assert!(personal
            .iter()
            .all(|q| q.key_points.len() >= 3 && q.bank_id.is_none()));
        assert!(!p[0].personalised, "the opener comes from the bank");
    }

    #[test]
    fn a_focus_on_competencies_targets_them() {
        let b = bank::load().unwrap();
        let mut i = input("general", 5);
        i.focus = vec!["conflict-resolution".into()];
        let p = plan(&b, &i);
        let hits = p
            .iter()
            .filter(|q| q.competencies.contains(&"conflict-resolution".to_string()))
            .count();
        assert!(hits >= 3, "{hits} of 5 target the competency");
    }

    #[test]
    fn the_same_seed_gives_the_same_interview_and_another_seed_another() {
        let b = bank::load().unwrap();
        let a = plan(&b, &input("sales", 6));
        assert_eq!(a, plan(&b, &input("sales", 6)));
        let mut other = input("sales", 6);
        other.seed = 99;
        assert_ne!(a, plan(&b, &other));
    }
}
