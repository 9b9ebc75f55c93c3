//! Rate limits, kept in the database so that every app node counts the same attempts (nodes
//! keep no state). Fixed windows: each (action, scope, key) pair gets a counter per window;
//! the answer to a refused request says how many seconds until the window ends.

use surrealdb::types::SurrealValue;

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

/// Window start and seconds left for a time.
pub fn window(limit: &Limit, now: i64) -> (i64, i64) {
    let start = now - now.rem_euclid(limit.window_secs);
    (start, start + limit.window_secs - now)
}

#[derive(Debug, SurrealValue)]
struct Counter {
    count: i64,
}

/// Counts one attempt; refuses it with "try again in N s" once the window's budget is spent.
pub async fn hit(db: &Db, limit: &Limit, key: &str, now: i64) -> Result<(), AppError> {
    let (start, left) = window(limit, now);
    // The record id carries the whole key, so the upsert is one atomic step per attempt.
    let id = format!("{}|{}|{}", limit.action, key, start);
    let (id, exp) = (&id, start + limit.window_secs);
    let answered = crate::db::retry_conflicts(|| async move {
        db.query(
            "UPSERT type::record('rate_limit', $id) SET count += 1, expires_at = $exp RETURN count",
        )
        .bind(("id", id.clone()))
        .bind(("exp", exp))
        .await
        .and_then(|r| r.check())
    })
    .await?;
    // Still contended after every retry: this key is being hammered. Refuse, do not fail.
    let Some(mut r) = answered else {
        return Err(AppError::RateLimited(1));
    };
    let row: Option<Counter> = r.take(0)?;
    let count = row.map(|c| c.count).unwrap_or(1);
    if count > limit.max {
        return Err(AppError::RateLimited(left.max(1) as u64));
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

/// Counters of windows that have ended are no longer needed.
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

    #[test]
    fn windows_are_aligned_and_say_how_long_is_left() {
        let l = Limit {
            action: "t",
            max: 3,
            window_secs: 60,
        };
        assert_eq!(window(&l, 120), (120, 60));
        assert_eq!(window(&l, 179), (120, 1));
        assert_eq!(window(&l, 180), (180, 60));
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_attempts_are_counted_exactly_and_never_fail() {
        let (_dir, db) = crate::db::temp().await;
        let l = Limit {
            action: "burst",
            max: 10,
            window_secs: 600,
        };
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

    #[tokio::test]
    async fn the_budget_is_spent_then_refused_then_renewed() {
        let (_dir, db) = crate::db::temp().await;
        let l = Limit {
            action: "t",
            max: 3,
            window_secs: 60,
        };
        for _ in 0..3 {
            hit(&db, &l, "1.2.3.4", 130).await.unwrap();
        }
        match hit(&db, &l, "1.2.3.4", 150).await {
            Err(AppError::RateLimited(secs)) => assert_eq!(secs, 30),
            other => panic!("expected a refusal, got {other:?}"),
        }
        // Another key has its own budget; a new window starts afresh.
        hit(&db, &l, "5.6.7.8", 150).await.unwrap();
        hit(&db, &l, "1.2.3.4", 180).await.unwrap();
        sweep(&db, 250).await.unwrap();
        let mut r = db
            .query("RETURN count(SELECT id FROM rate_limit)")
            .await
            .unwrap();
        assert_eq!(r.take::<Option<i64>>(0).unwrap(), Some(0));
    }
}
