//! Rate limits, kept in the database so that every app node counts the same attempts (nodes
//! keep no state). Sliding windows: each (action, key) pair has one record holding its accepted
//! attempts in buckets of a tenth of the window, and an attempt is accepted while the buckets
//! that overlap the last `window_secs` hold fewer than `max`. So no stretch of `window_secs`
//! ever holds more than `max` accepted attempts (clock-aligned fixed windows let a client spend
//! a limit at the end of one window and again at the start of the next); the price is that an
//! attempt may count for up to one bucket longer than the window. Refused attempts are not
//! counted, and the answer to one says how many seconds until an attempt would be accepted.

use crate::{db::Db, AppError};

/// One named limit: at most `max` attempts per `window_secs`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub action: &'static str,
    pub max: i64,
    pub window_secs: i64,
}

/// The named limits. Per IP address limits slow down one attacker trying many accounts; per
/// account limits slow down many addresses trying one account.
pub const SIGN_UP_PER_IP: Limit = Limit {
    action: "sign_up_ip",
    max: 10,
    window_secs: 3600,
};
pub const SIGN_IN_PER_IP: Limit = Limit {
    action: "sign_in_ip",
    max: 30,
    window_secs: 300,
};
pub const SIGN_IN_PER_ACCOUNT: Limit = Limit {
    action: "sign_in_account",
    max: 10,
    window_secs: 900,
};
pub const CODE_CHECK_PER_IP: Limit = Limit {
    action: "code_check_ip",
    max: 30,
    window_secs: 900,
};
/// Codes a signed-in account asks for (changing its password or address) per hour.
pub const CODE_SEND_PER_ACCOUNT: Limit = Limit {
    action: "code_send_account",
    max: 5,
    window_secs: 3600,
};
pub const CODE_SEND_PER_IP: Limit = Limit {
    action: "code_send_ip",
    max: 20,
    window_secs: 3600,
};
/// Codes one requester (client address) may have e-mailed to one address per hour, for the
/// forms anyone can use (resend a verification code, reset a password); above it, a 429.
pub const CODE_SEND_PER_REQUESTER: Limit = Limit {
    action: "code_send_requester",
    max: 5,
    window_secs: 3600,
};
/// Codes one address receives per hour from everyone together. Above it the answer still
/// says "sent" (it must not tell a stranger anything) but nothing is sent: strangers cannot
/// spend the owner's own budget, which is per requester. With 5 tries per code this bounds
/// guessing at 100 tries per address per hour.
pub const CODE_SEND_PER_ADDRESS: Limit = Limit {
    action: "code_send_address",
    max: 20,
    window_secs: 3600,
};
/// Contact-form messages: per client address, and from everyone together (a flood of
/// anonymous messages must not fill the database or the operator's inbox).
pub const CONTACT_PER_IP: Limit = Limit {
    action: "contact_ip",
    max: 5,
    window_secs: 3600,
};
pub const CONTACT_ALL: Limit = Limit {
    action: "contact_all",
    max: 100,
    window_secs: 3600,
};
/// Tries of the administrator setup token per client address.
pub const ADMIN_SETUP_PER_IP: Limit = Limit {
    action: "admin_setup_ip",
    max: 10,
    window_secs: 3600,
};

/// Buckets per window: the finer, the closer an attempt's count lasts to the window itself
/// (at most one bucket longer), the more pairs a record holds (at most `BUCKETS + 1`).
pub const BUCKETS: i64 = 10;

impl Limit {
    /// The width of one bucket: a tenth of the window (at least a second).
    pub const fn bucket_secs(&self) -> i64 {
        let g = self.window_secs / BUCKETS;
        if g < 1 {
            1
        } else {
            g
        }
    }

    /// The longest an accepted attempt counts against the budget: the window and one bucket.
    pub const fn counted_for_secs(&self) -> i64 {
        self.window_secs + self.bucket_secs()
    }
}

/// The bucket `now` falls in (its start), and the oldest bucket still counted at `now`: the
/// one that holds `now - window_secs`, so every bucket that overlaps the window up to `now`.
pub fn counted(limit: &Limit, now: i64) -> (i64, i64) {
    let g = limit.bucket_secs();
    let start = |t: i64| t - t.rem_euclid(g);
    (start(now), start(now - limit.window_secs))
}

/// Seconds until an attempt would be accepted, for buckets (`[start, count]`, those still
/// counted at `now`) that hold the whole budget: the oldest buckets stop counting first.
pub fn wait(limit: &Limit, buckets: &[[i64; 2]], now: i64) -> i64 {
    let mut sorted = buckets.to_vec();
    sorted.sort_unstable();
    let mut used: i64 = sorted.iter().map(|b| b[1]).sum();
    for [start, n] in sorted {
        used -= n;
        if used < limit.max {
            // The bucket stops counting once the current bucket is a window past it.
            return (start + limit.counted_for_secs() - now).max(1);
        }
    }
    1
}

/// Counts one attempt, or refuses it with the wait until one is taken while the sliding window's
/// budget is spent. Atomic across nodes: two attempts at once write the same record, so the
/// store refuses one and it is run again ([`crate::db::transact`]) against the other's count.
pub async fn hit(db: &Db, limit: &Limit, key: &str, now: i64) -> Result<(), AppError> {
    let (current, from) = counted(limit, now);
    let id = format!("{}|{}", limit.action, key);
    let expires = current + limit.counted_for_secs();
    let answered = crate::db::transact(|| {
        db.query(
            "BEGIN TRANSACTION;
             LET $kept = ((SELECT VALUE buckets FROM type::record('rate_limit', $id))[0] ?? [])
                 .filter(|$b| $b[0] >= $from);
             IF math::sum($kept.map(|$b| $b[1])) < $max {
                 LET $here = math::sum($kept.filter(|$b| $b[0] = $current).map(|$b| $b[1]));
                 UPSERT type::record('rate_limit', $id) SET
                     buckets = $kept.filter(|$b| $b[0] != $current).append([$current, $here + 1]),
                     expires_at = math::max([expires_at ?? 0, $expires]);
             };
             RETURN $kept;
             COMMIT TRANSACTION;",
        )
        .bind(("id", id.clone()))
        .bind(("from", from))
        .bind(("current", current))
        .bind(("max", limit.max))
        .bind(("expires", expires))
    })
    .await?;
    // Still contended after every retry: this key is being hammered. Refuse, do not fail.
    let Some(mut r) = answered else {
        return Err(AppError::RateLimited(1));
    };
    // Results: BEGIN (0), LET (1), IF (2), RETURN (3), COMMIT (4).
    let kept: Vec<Vec<i64>> = r.take(3)?;
    let kept: Vec<[i64; 2]> = kept
        .iter()
        .filter_map(|b| Some([*b.first()?, *b.get(1)?]))
        .collect();
    if kept.iter().map(|b| b[1]).sum::<i64>() >= limit.max {
        return Err(AppError::RateLimited(wait(limit, &kept, now) as u64));
    }
    Ok(())
}

/// Like [`hit`], but a spent budget is an answer (`false`), not an error.
pub async fn allowed(db: &Db, limit: &Limit, key: &str, now: i64) -> Result<bool, AppError> {
    match hit(db, limit, key, now).await {
        Ok(()) => Ok(true),
        Err(AppError::RateLimited(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Records whose every bucket has stopped counting are no longer needed.
pub async fn sweep(db: &Db, now: i64) -> Result<(), AppError> {
    db.query("DELETE rate_limit WHERE expires_at < $now")
        .bind(("now", now))
        .await?
        .check()?;
    Ok(())
}

/// Answers (typed or spoken) handed in, per account: each one is evaluated.
pub const ANSWERS: Limit = Limit {
    action: "answer_account",
    max: 240,
    window_secs: 3600,
};

/// The part of deleting an account that the rate limiter owns: counters keyed by the
/// account's id or its address.
pub const ERASE_USER: &str =
    "DELETE rate_limit WHERE string::contains(<string> record::id(id), $uid)
     OR string::contains(<string> record::id(id), $email);";

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(action: &'static str, max: i64, window_secs: i64) -> Limit {
        Limit {
            action,
            max,
            window_secs,
        }
    }

    #[test]
    fn buckets_are_a_tenth_of_the_window_and_overlap_the_whole_window() {
        let l = limit("t", 3, 60);
        assert_eq!(l.bucket_secs(), 6);
        assert_eq!(l.counted_for_secs(), 66);
        // At 125 the current bucket is [120, 126); the window (65, 125] starts in [60, 66).
        assert_eq!(counted(&l, 125), (120, 60));
        assert_eq!(counted(&l, 126), (126, 66));
        // A window that is not whole buckets (35 s in 3-s buckets): an attempt at 2 still
        // counts at 36, 34 s later, and stops counting at 2's bucket + 35 + 3 = 38.
        let odd = limit("odd", 1, 35);
        assert_eq!(counted(&odd, 36), (36, 0));
        assert_eq!(counted(&odd, 38).1, 3);
        assert_eq!(odd.counted_for_secs(), 38);
    }

    #[test]
    fn the_wait_is_until_enough_of_the_oldest_buckets_stop_counting() {
        let l = limit("t", 3, 60);
        // 2 attempts in [60, 66), 1 in [90, 96): the first bucket counts until 126.
        assert_eq!(wait(&l, &[[90, 1], [60, 2]], 100), 26);
        // 3 in [90, 96): the empty older bucket going frees nothing, so until 156.
        assert_eq!(wait(&l, &[[60, 0], [90, 3]], 100), 56);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_attempts_are_counted_exactly_and_never_fail() {
        let (_dir, db) = crate::db::temp().await;
        let l = limit("burst", 10, 600);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let db = db.clone();
                tokio::spawn(async move { hit(&db, &l, "one-ip", 1_000).await })
            })
            .collect();
        let (mut ok, mut limited) = (0, 0);
        for t in tasks {
            match t.await.unwrap() {
                Ok(()) => ok += 1,
                Err(AppError::RateLimited(_)) => limited += 1,
                Err(e) => panic!("a rate-limit check failed instead of answering: {e:?}"),
            }
        }
        assert_eq!(ok, 10, "exactly the budget gets through");
        assert_eq!(limited, 30);
    }

    fn refused_after(r: Result<(), AppError>) -> u64 {
        match r {
            Err(AppError::RateLimited(secs)) => secs,
            other => panic!("expected a refusal, got {other:?}"),
        }
    }

    #[tokio::test]
    async fn the_budget_is_spent_then_refused_until_the_oldest_attempts_slide_out() {
        let (_dir, db) = crate::db::temp().await;
        let l = limit("t", 3, 60);
        // Two attempts in the bucket [126, 132), one in [144, 150).
        hit(&db, &l, "1.2.3.4", 130).await.unwrap();
        hit(&db, &l, "1.2.3.4", 131).await.unwrap();
        hit(&db, &l, "1.2.3.4", 145).await.unwrap();
        // The fourth is refused until [126, 132) stops counting, at 192.
        assert_eq!(refused_after(hit(&db, &l, "1.2.3.4", 150).await), 42);
        // Refused attempts are not counted: asking again changes nothing.
        assert_eq!(refused_after(hit(&db, &l, "1.2.3.4", 180).await), 12);
        assert_eq!(refused_after(hit(&db, &l, "1.2.3.4", 191).await), 1);
        // Another key has its own budget.
        hit(&db, &l, "5.6.7.8", 150).await.unwrap();
        // At 192 the two oldest have slid out: two more, then refused until [144, 150) goes.
        hit(&db, &l, "1.2.3.4", 192).await.unwrap();
        hit(&db, &l, "1.2.3.4", 193).await.unwrap();
        assert_eq!(refused_after(hit(&db, &l, "1.2.3.4", 194).await), 210 - 194);
        // Nothing is swept while it still counts; everything once it no longer does.
        sweep(&db, 215).await.unwrap();
        let rows = |db: crate::db::Db| async move {
            let mut r = db
                .query("RETURN count(SELECT id FROM rate_limit)")
                .await
                .unwrap();
            r.take::<Option<i64>>(0).unwrap()
        };
        assert_eq!(rows(db.clone()).await, Some(2));
        sweep(&db, 300).await.unwrap();
        assert_eq!(rows(db.clone()).await, Some(0));
    }

    /// Nodes' clocks differ a little: an attempt counted by a node behind the others must not
    /// shorten the record's life while a later bucket still counts.
    #[tokio::test]
    async fn a_node_behind_the_others_does_not_shorten_what_still_counts() {
        let (_dir, db) = crate::db::temp().await;
        let l = limit("skew", 3, 60);
        hit(&db, &l, "k", 200).await.unwrap(); // bucket 198: counts until 264
        hit(&db, &l, "k", 150).await.unwrap(); // a node 50 s behind: bucket 150, until 216
        sweep(&db, 230).await.unwrap();
        hit(&db, &l, "k", 231).await.unwrap();
        // 198's attempt and 231's still count: one more, then refused until 198's goes.
        hit(&db, &l, "k", 232).await.unwrap();
        assert_eq!(refused_after(hit(&db, &l, "k", 233).await), 264 - 233);
    }

    /// The fault of fixed windows: a budget spent at the end of one window and again at the
    /// start of the next, twice the limit within seconds. Every stretch of a window holds at
    /// most `max` accepted attempts, wherever it starts.
    #[tokio::test]
    async fn no_stretch_of_a_window_holds_more_than_the_budget() {
        let (_dir, db) = crate::db::temp().await;
        let l = limit("edge", 5, 300);
        // One attempt every 7 s for 20 minutes (where a window edge falls does not matter).
        let mut accepted = Vec::new();
        for t in (1_000..2_200).step_by(7) {
            if hit(&db, &l, "one-ip", t).await.is_ok() {
                accepted.push(t);
            }
        }
        for (i, &t) in accepted.iter().enumerate() {
            let within = accepted[i..].iter().filter(|&&u| u < t + 300).count();
            assert!(
                within <= 5,
                "{within} accepted in the 300 s from {t}: {accepted:?}"
            );
        }
        // And the budget is not withheld for much longer than the window: 4 windows' worth,
        // less what the buckets hold back (at most one bucket, 30 s, per window).
        assert!(accepted.len() >= 4 * 5 - 5, "{accepted:?}");
    }
}
