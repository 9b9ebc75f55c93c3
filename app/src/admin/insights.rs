//! First-party analytics for the operator: counts and medians computed from the database,
//! aggregated here so that nothing per person leaves the server (no addresses, no ids, no
//! third-party script). The rows come from each table's owner.

use serde::{Deserialize, Serialize};

/// The periods the page offers, in days.
pub const PERIODS: [u32; 3] = [7, 30, 90];

/// A role with fewer interviews than this is grouped under "other roles" (so a rare role
/// does not point at one person).
pub const MIN_ROLE_COUNT: u32 = 3;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Insights {
    pub days: u32,
    /// The first and last day shown (YYYY-MM-DD).
    pub first_day: String,
    pub last_day: String,
    /// One value per day, oldest first.
    pub practising: Vec<u32>,
    pub sign_ups: Vec<u32>,
    pub started: Vec<u32>,
    pub finished: Vec<u32>,
    pub sign_ups_total: u32,
    pub verified_total: u32,
    /// (mode, started, finished).
    pub by_mode: Vec<(String, u32, u32)>,
    /// (role, started, finished), most started first; rare roles grouped.
    pub by_role: Vec<(String, u32, u32)>,
    pub median_score: Option<u32>,
    pub median_answer_words: Option<u32>,
    pub median_queue_secs: Option<f64>,
    pub p90_queue_secs: Option<f64>,
    /// Of the people who signed up in the period: signed up, confirmed, started an interview,
    /// finished one.
    pub funnel: [u32; 4],
}

/// The rows the owners give (ssr): each person appears only as an opaque key used for
/// counting here.
#[derive(Clone, Debug)]
pub struct SignUp {
    pub uid: String,
    pub at: i64,
    pub verified: bool,
}

#[derive(Clone, Debug)]
pub struct Started {
    pub uid: String,
    pub at: i64,
    pub finished_at: Option<i64>,
    pub mode: String,
    pub role: String,
    pub score: Option<u32>,
}

#[derive(Clone, Debug)]
pub struct Answered {
    pub uid: String,
    pub at: i64,
    pub words: u32,
}

fn median_u32(mut v: Vec<u32>) -> Option<u32> {
    v.sort_unstable();
    v.get(v.len() / 2).copied().filter(|_| !v.is_empty())
}

fn quantile(mut v: Vec<f64>, q: f64) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() - 1) as f64 * q).round() as usize;
    v.get(i).copied()
}

/// Aggregates the rows of the `days` days up to `now` (UTC days).
pub fn aggregate(
    days: u32,
    now: i64,
    sign_ups: &[SignUp],
    started: &[Started],
    answered: &[Answered],
    queue_secs: Vec<f64>,
) -> Insights {
    let today = now.div_euclid(86_400);
    let first = today - days as i64 + 1;
    let slot = |at: i64| {
        let d = at.div_euclid(86_400);
        (d >= first && d <= today).then(|| (d - first) as usize)
    };
    let n = days as usize;
    let mut out = Insights {
        days,
        first_day: crate::ui::time::date(first * 86_400),
        last_day: crate::ui::time::date(today * 86_400),
        practising: vec![0; n],
        sign_ups: vec![0; n],
        started: vec![0; n],
        finished: vec![0; n],
        ..Default::default()
    };
    let mut active: std::collections::HashSet<(usize, &str)> = Default::default();
    for s in sign_ups {
        if let Some(i) = slot(s.at) {
            out.sign_ups[i] += 1;
            out.sign_ups_total += 1;
            out.verified_total += s.verified as u32;
        }
    }
    let mut modes: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    let mut roles: std::collections::BTreeMap<String, (u32, u32)> = Default::default();
    let mut scores = Vec::new();
    for s in started {
        if let Some(i) = slot(s.at) {
            out.started[i] += 1;
            active.insert((i, &s.uid));
            let done = s.finished_at.is_some() as u32;
            let m = modes.entry(s.mode.clone()).or_default();
            m.0 += 1;
            m.1 += done;
            let r = roles.entry(s.role.trim().to_string()).or_default();
            r.0 += 1;
            r.1 += done;
        }
        if let Some(i) = s.finished_at.and_then(slot) {
            out.finished[i] += 1;
            scores.extend(s.score);
        }
    }
    for a in answered {
        if let Some(i) = slot(a.at) {
            active.insert((i, &a.uid));
        }
    }
    for (i, _) in &active {
        out.practising[*i] += 1;
    }
    out.by_mode = modes.into_iter().map(|(k, (a, b))| (k, a, b)).collect();
    let mut by_role: Vec<(String, u32, u32)> = Vec::new();
    let mut other = (0, 0);
    for (k, (a, b)) in roles {
        if a >= MIN_ROLE_COUNT {
            by_role.push((k, a, b));
        } else {
            other.0 += a;
            other.1 += b;
        }
    }
    by_role.sort_by(|x, y| y.1.cmp(&x.1).then(x.0.cmp(&y.0)));
    for (_, a, b) in by_role.split_off(by_role.len().min(10)) {
        other.0 += a;
        other.1 += b;
    }
    if other.0 > 0 {
        by_role.push(("other roles".into(), other.0, other.1));
    }
    out.by_role = by_role;
    out.median_score = median_u32(scores);
    out.median_answer_words = median_u32(
        answered
            .iter()
            .filter(|a| slot(a.at).is_some())
            .map(|a| a.words)
            .collect(),
    );
    out.median_queue_secs = quantile(queue_secs.clone(), 0.5);
    out.p90_queue_secs = quantile(queue_secs, 0.9);
    // The funnel follows the people who signed up in the period.
    let new: Vec<&SignUp> = sign_ups.iter().filter(|s| slot(s.at).is_some()).collect();
    let started_by = |uid: &str| started.iter().any(|s| s.uid == uid);
    let finished_by = |uid: &str| {
        started
            .iter()
            .any(|s| s.uid == uid && s.finished_at.is_some())
    };
    out.funnel = [
        new.len() as u32,
        new.iter().filter(|s| s.verified).count() as u32,
        new.iter().filter(|s| started_by(&s.uid)).count() as u32,
        new.iter().filter(|s| finished_by(&s.uid)).count() as u32,
    ];
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    #[test]
    fn counts_per_day_medians_funnel_and_rare_roles_grouped() {
        let now = 100 * DAY + 3600;
        let su = |uid: &str, day: i64, verified| SignUp {
            uid: uid.into(),
            at: day * DAY + 10,
            verified,
        };
        let st = |uid: &str, day: i64, fin: Option<i64>, mode: &str, role: &str, score| Started {
            uid: uid.into(),
            at: day * DAY + 20,
            finished_at: fin.map(|d| d * DAY + 30),
            mode: mode.into(),
            role: role.into(),
            score,
        };
        let sign_ups = vec![
            su("a", 99, true),
            su("b", 100, false),
            su("c", 90, true),
            su("old", 50, true),
        ];
        let started = vec![
            st("a", 99, Some(99), "voice", "Engineer", Some(70)),
            st("a", 100, None, "text", "Engineer", None),
            st("c", 100, Some(100), "text", "Engineer", Some(90)),
            st("old", 100, Some(100), "text", "Astronaut", Some(50)),
        ];
        let answered = vec![
            Answered {
                uid: "a".into(),
                at: 99 * DAY,
                words: 100,
            },
            Answered {
                uid: "a".into(),
                at: 99 * DAY + 5,
                words: 40,
            },
            Answered {
                uid: "c".into(),
                at: 100 * DAY,
                words: 60,
            },
        ];
        let i = aggregate(7, now, &sign_ups, &started, &answered, vec![2.0, 4.0, 30.0]);
        assert_eq!(i.practising.len(), 7);
        assert_eq!(
            (i.first_day.as_str(), i.last_day.as_str()),
            ("1970-04-05", "1970-04-11")
        );
        assert_eq!(&i.sign_ups[5..], &[1, 1]);
        assert_eq!(&i.started[5..], &[1, 3]);
        assert_eq!(&i.finished[5..], &[1, 2]);
        assert_eq!(
            &i.practising[5..],
            &[1, 3],
            "a on day 99; a, c and old on day 100"
        );
        assert_eq!(
            (i.sign_ups_total, i.verified_total),
            (2, 1),
            "day 90 is outside the week"
        );
        assert_eq!(
            i.by_mode,
            vec![("text".into(), 3, 2), ("voice".into(), 1, 1)]
        );
        assert_eq!(
            i.by_role,
            vec![("Engineer".into(), 3, 2), ("other roles".into(), 1, 1)]
        );
        assert_eq!(i.median_score, Some(70));
        assert_eq!(i.median_answer_words, Some(60));
        assert_eq!(i.median_queue_secs, Some(4.0));
        assert_eq!(i.p90_queue_secs, Some(30.0));
        assert_eq!(
            i.funnel,
            [2, 1, 1, 1],
            "a: signed up, confirmed, started, finished; b: only signed up"
        );
    }
}
