//! What a question asks for, when nobody wrote it down: key points derived from the question's
//! words (its intent: a weakness, a reason to join, a failure, a plan…) or, failing that, from
//! its kind. Questions from the bank carry their own; personalised questions and questions a
//! person brings get these, and the report shows them the same way.

use super::Kind;

/// An intent recognised in a question's words, with the key points a strong answer covers.
struct Intent {
    /// Any of these (lower case) in the question.
    cues: &'static [&'static str],
    points: &'static [&'static str],
}

const INTENTS: &[Intent] = &[
    Intent {
        cues: &["weakness", "weak point", "area to improve", "areas to improve", "development area", "improve about yourself"],
        points: &[
            "a real weakness, named plainly",
            "a moment when it cost you or your team something",
            "what you do about it now, step by step",
            "evidence that it is improving",
        ],
    },
    Intent {
        cues: &["leaving", "leave your", "why did you leave", "looking to move", "want to move on"],
        points: &[
            "a positive reason for the move, without blaming anyone",
            "what you want next that your current role cannot give",
            "how this role offers it",
            "what you achieved where you are now",
        ],
    },
    Intent {
        cues: &["want to work here", "work for us", "join us", "join our", "this company", "our company", "why us", "why here", "about us", "interest you about", "attracted you", "apply for this", "applying"],
        points: &[
            "something specific about the company: its product, customers, mission or way of working",
            "what you bring that fits this role, with evidence",
            "a link between your own experience and what they do",
            "what you want to learn or achieve there",
        ],
    },
    Intent {
        cues: &["motivat", "drives you", "passionate about", "why this role", "why this job", "why do you want this", "enjoy most about"],
        points: &[
            "what motivates you, named concretely",
            "a moment from your work that shows it",
            "how this role gives you more of it",
        ],
    },
    Intent {
        cues: &["fail", "mistake", "went wrong", "go wrong", "missed a deadline", "regret", "did not go", "didn't go"],
        points: &[
            "what happened and your own part in it",
            "the impact on people or results",
            "what you did to put it right",
            "what you changed afterwards so it would not happen again",
        ],
    },
    Intent {
        cues: &["conflict", "disagree", "disagreement", "difficult colleague", "difficult coworker", "pushed back", "push back", "clash", "difficult customer", "angry customer", "upset customer", "difficult person", "difficult stakeholder"],
        points: &[
            "the disagreement and what was at stake",
            "how you listened and understood the other side",
            "what you did to resolve it",
            "the outcome and the relationship afterwards",
        ],
    },
    Intent {
        cues: &["five years", "5 years", "ten years", "career goal", "see yourself", "long-term goal", "long term goal", "where do you want to be", "next step in your career"],
        points: &[
            "a concrete direction for your career",
            "the skills you are building toward it",
            "how this role fits that path",
            "steps you are already taking",
        ],
    },
    Intent {
        cues: &["90 days", "ninety days", "first three months", "first month", "first 30 days", "first few weeks", "first weeks", "first year"],
        points: &[
            "learning first: the people, the users and how things work",
            "early wins you would aim for",
            "a plan in phases with what comes when",
            "how you would measure progress and check in",
        ],
    },
    Intent {
        cues: &["explain", "to a child", "non-technical", "non technical", "layperson", "lay person", "someone without", "a customer who", "in simple terms", "to your grandmother", "to a patient"],
        points: &[
            "a plain definition without jargon",
            "an everyday analogy or example",
            "why it matters to the listener",
            "a check that the listener understood",
        ],
    },
    Intent {
        cues: &["about yourself", "walk me through your", "your background", "introduce yourself", "describe yourself"],
        points: &[
            "your current role and what you focus on",
            "two or three achievements that matter for this role",
            "the strengths you bring",
            "why this role is your next step",
        ],
    },
    Intent {
        cues: &["feedback", "criticism", "criticised", "criticized"],
        points: &[
            "a specific piece of feedback you received",
            "how you reacted at first",
            "what you changed because of it",
            "the result of the change",
        ],
    },
    Intent {
        cues: &["prioriti", "competing", "conflicting deadlines", "too much work", "several deadlines", "juggle", "multiple projects"],
        points: &[
            "how you judged urgency and impact",
            "who you talked to and what you agreed",
            "what you did first and what waited",
            "the outcome for each piece of work",
        ],
    },
    Intent {
        cues: &["learn something", "learn a new", "learned quickly", "learnt quickly", "learn quickly", "new skill", "master", "get up to speed", "unfamiliar"],
        points: &[
            "what you had to learn and why it was urgent",
            "how you learned it: sources, practice, people",
            "how you applied it",
            "the result, and how you learn now",
        ],
    },
    Intent {
        cues: &["achievement", "proud", "accomplishment", "success"],
        points: &[
            "what the achievement was and why it was hard",
            "your own part in it",
            "the measurable result",
            "why it matters to you",
        ],
    },
    Intent {
        cues: &["without authority", "without formal", "influence", "persuade", "convince"],
        points: &[
            "who you needed to move and why",
            "how you built trust or made the case",
            "what you did when people resisted",
            "the outcome",
        ],
    },
    Intent {
        cues: &["improve a process", "improved a process", "process you improved", "made more efficient", "streamline", "improvement you made"],
        points: &[
            "what was slow, costly or error-prone, with a measure",
            "how you found the cause",
            "the change you made and who you brought along",
            "the measured improvement",
        ],
    },
];

/// Key points of a question from its kind alone.
fn by_kind(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Behavioural => &[
            "the situation and what was at stake",
            "what you did yourself, step by step",
            "the result, with a number if you have one",
            "what you learned or would do differently",
        ],
        Kind::Situational => &[
            "your first step and why",
            "who you would involve and how you would keep them informed",
            "the options and their trade-offs",
            "how you would judge that it worked",
        ],
        Kind::Technical => &[
            "a correct explanation of the core idea",
            "a concrete example",
            "trade-offs or limits",
            "when you would use it and when not",
        ],
        Kind::RoleSpecific => &[
            "your approach, step by step",
            "the tools or methods you use",
            "an example from your own work",
            "how you check the quality of the result",
        ],
        Kind::CultureFit => &[
            "concrete reasons, not general values",
            "evidence from your own experience",
            "how it connects to this team or company",
        ],
        Kind::SystemDesign => &[
            "the requirements and the scale",
            "the main components and how they talk",
            "how data is stored and flows",
            "trade-offs and what happens when parts fail",
        ],
    }
}

/// Whether the question's words show an intent the kind alone would miss.
pub fn has_intent(question: &str) -> bool {
    let q = question.to_lowercase();
    INTENTS.iter().any(|i| i.cues.iter().any(|c| q.contains(c)))
}

/// The key points a strong answer to `question` covers: those of the first intent its words
/// show, otherwise those of its kind.
pub fn derive_key_points(question: &str, kind: Kind) -> Vec<String> {
    let q = question.to_lowercase().replace('’', "'");
    INTENTS
        .iter()
        .find(|i| i.cues.iter().any(|c| q.contains(c)))
        .map(|i| i.points)
        .unwrap_or_else(|| by_kind(kind))
        .iter()
        .map(|p| p.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn questions_get_the_key_points_of_what_they_ask() {
        let w = derive_key_points("What is your greatest weakness?", Kind::CultureFit);
        assert!(w[0].contains("weakness"), "{w:?}");
        let c = derive_key_points("Why do you want to work here?", Kind::CultureFit);
        assert!(c[0].contains("company"), "{c:?}");
        let e = derive_key_points("How would you explain an API to a child?", Kind::Technical);
        assert!(e[1].contains("analogy"), "{e:?}");
        // Nothing recognised: the kind decides.
        let k = derive_key_points("Design a URL shortener.", Kind::SystemDesign);
        assert!(k[0].contains("requirements"), "{k:?}");
        assert!(!has_intent("Design a URL shortener."));
        for kind in [
            Kind::Behavioural,
            Kind::Situational,
            Kind::Technical,
            Kind::RoleSpecific,
            Kind::CultureFit,
            Kind::SystemDesign,
        ] {
            assert!(derive_key_points("Hm?", kind).len() >= 3);
        }
    }
}
