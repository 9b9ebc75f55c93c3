//! Referral codes: each verified account's own code; a new account that signed up with one is
//! attributed once; both get the configured bonus interviews when the new person finishes a
//! first interview (or first pays). Limits: no self-referral, one attribution per account, a
//! monthly cap per referrer, verified and enabled accounts only, a reward for a payment taken
//! back when that payment is refunded within the window.

use rand::Rng;
use surrealdb::types::SurrealValue;

use super::Billing;
use crate::billing::model::*;
use crate::billing::types::{ReferralsView, ReferredRow};
use crate::db::{Db, Fault};
use crate::AppError;

/// Tries of a code a visitor may make per address and hour (codes are not guessable, and this
/// keeps anyone from walking the space).
pub const CODE_TRIES_PER_IP: crate::ratelimit::Limit = crate::ratelimit::Limit {
    action: "referral_try_ip",
    max: 20,
    window_secs: 3600,
};

fn new_code() -> String {
    let mut rng = rand::rng();
    (0..CODE_LEN)
        .map(|_| CODE_ALPHABET[rng.random_range(0..CODE_ALPHABET.len())] as char)
        .collect()
}

/// `uid`'s code, made on first ask; only for a confirmed, enabled account.
pub async fn code_of(db: &Db, uid: &str, now: i64) -> Result<String, AppError> {
    let facts = crate::auth::service::referral_facts(db, uid)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if !facts.email_verified || facts.disabled {
        return Err(AppError::BadRequest(
            "Confirm your e-mail address first: a referral code belongs to a confirmed account."
                .into(),
        ));
    }
    for _ in 0..5 {
        let mut r = db
            .query("SELECT VALUE record::id(id) FROM referral_code WHERE user = type::record('user', $uid)")
            .bind(("uid", uid.to_string()))
            .await?
            .check()?;
        let have: Vec<String> = r.take(0)?;
        if let Some(c) = have.into_iter().next() {
            return Ok(c);
        }
        let code = new_code();
        let made = db
            .query(crate::fenced!(
                "CREATE type::record('referral_code', $code) SET user = type::record('user', $uid), created_at = $now;"
            ))
            .bind(("code", code.clone()))
            .bind(("uid", uid.to_string()))
            .bind(("now", now))
            .await
            .and_then(crate::db::check_tx);
        match made {
            Ok(_) => return Ok(code),
            // A concurrent request made theirs, or (rarely) the code is taken: look again.
            Err(e)
                if matches!(
                    crate::db::classify(&e),
                    Fault::Duplicate(_) | Fault::Conflict | Fault::Other
                ) =>
            {
                tracing::debug!(error = %e, "referral code not made; trying again");
            }
            Err(e) => return Err(e.into()),
        }
    }
    Err(AppError::internal(
        "referral code",
        "no code after five tries",
    ))
}

/// The account a code belongs to.
pub async fn owner(db: &Db, code: &str) -> Result<Option<String>, AppError> {
    let Some(code) = normalize_code(code) else {
        return Ok(None);
    };
    let mut r = db
        .query("SELECT VALUE record::id(user) FROM ONLY type::record('referral_code', $code)")
        .bind(("code", code))
        .await?
        .check()?;
    Ok(r.take::<Option<String>>(0)?)
}

/// Notes who referred `uid` (the code they typed at sign-up), once. A code of their own, or of
/// an account with the same mailbox, is refused and noted as such.
pub async fn attribute(db: &Db, uid: &str, now: i64) -> Result<(), AppError> {
    let Some(facts) = crate::auth::service::referral_facts(db, uid).await? else {
        return Ok(());
    };
    let Some(code) = facts.referral_code.as_deref().and_then(normalize_code) else {
        return Ok(());
    };
    let Some(referrer) = owner(db, &code).await? else {
        return Ok(());
    };
    let mut refused = None;
    if referrer == uid {
        refused = Some("own code");
    } else if let Some(rf) = crate::auth::service::referral_facts(db, &referrer).await? {
        if same_mailbox(&rf.email, &facts.email) {
            refused = Some("same mailbox");
        }
    }
    let made = db
        .query(crate::fenced!(
            "CREATE referral SET referrer = type::record('user', $referrer), referred = type::record('user', $uid), code = $code,
                 status = $status, reason = $reason, created_at = $now;"
        ))
        .bind(("referrer", referrer))
        .bind(("uid", uid.to_string()))
        .bind(("code", code))
        .bind(("status", if refused.is_some() { "refused" } else { "attributed" }))
        .bind(("reason", refused))
        .bind(("now", now))
        .await
        .and_then(crate::db::check_tx);
    match made {
        Ok(_) => Ok(()),
        // One attribution per account: a second changes nothing.
        Err(e) if matches!(crate::db::classify(&e), Fault::Duplicate(_)) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

#[derive(Debug, SurrealValue)]
struct Pending {
    id: surrealdb::types::RecordId,
    referrer: String,
}

/// Rewards `uid`'s referral if it is waiting: both must be confirmed and enabled, and the
/// referrer under the monthly cap (over it, the referral is noted as capped, not rewarded).
async fn reward(db: &Db, b: &Billing, uid: &str, now: i64) -> Result<(), AppError> {
    let r = &b.catalog.referrals;
    if !r.enabled {
        return Ok(());
    }
    let mut q = db
        .query("SELECT id, record::id(referrer) AS referrer FROM referral WHERE referred = type::record('user', $uid) AND status = 'attributed'")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<Pending> = q.take(0)?;
    let Some(p) = rows.into_iter().next() else {
        return Ok(());
    };
    let ok = |f: Option<crate::auth::service::ReferralFacts>| {
        f.is_some_and(|f| f.email_verified && !f.disabled)
    };
    if !ok(crate::auth::service::referral_facts(db, uid).await?)
        || !ok(crate::auth::service::referral_facts(db, &p.referrer).await?)
    {
        return Ok(());
    }
    super::ensure_account_plain(db, &p.referrer, now).await?;
    super::ensure_account_plain(db, uid, now).await?;
    let (month, _) = month_of(now);
    let n = i64::from(r.reward_interviews);
    let answered = crate::db::retry_conflicts(|| {
        let (id, referrer) = (p.id.clone(), p.referrer.clone());
        async move {
            db.query(
                "BEGIN TRANSACTION;
                 LET $given = count(SELECT id FROM referral WHERE referrer = type::record('user', $referrer) AND status = 'rewarded' AND rewarded_at >= $month);
                 IF $given >= $cap {
                     UPDATE $id SET status = 'refused', reason = 'monthly cap' WHERE status = 'attributed';
                 } ELSE {
                     LET $done = UPDATE $id SET status = 'rewarded', reward = $n, rewarded_at = $now WHERE status = 'attributed' RETURN id;
                     IF array::len($done) > 0 {
                         UPDATE type::record('billing_account', $referrer) SET bonus_interviews += $n, updated_at = $now;
                         UPDATE type::record('billing_account', $uid) SET bonus_interviews += $n, updated_at = $now;
                     };
                 };
                 COMMIT TRANSACTION;",
            )
            .bind(("id", id))
            .bind(("referrer", referrer))
            .bind(("uid", uid.to_string()))
            .bind(("month", month))
            .bind(("cap", i64::from(r.max_rewards_per_month)))
            .bind(("n", n))
            .bind(("now", now))
            .await
            .and_then(crate::db::check_tx)
        }
    })
    .await?;
    if answered.is_none() {
        tracing::warn!("a referral reward stayed contended; it is given at the next chance");
    }
    Ok(())
}

/// `uid` finished an interview: a waiting referral is rewarded when the reward is for that.
pub async fn on_interview_finished(
    p: &super::Payments,
    db: &Db,
    uid: &str,
    now: i64,
) -> Result<(), AppError> {
    let Some(b) = p.on() else { return Ok(()) };
    if b.catalog.referrals.reward_when == RewardWhen::FirstInterview {
        reward(db, b, uid, now).await?;
    }
    Ok(())
}

/// `uid` paid: a waiting referral is rewarded when the reward is for paying.
pub async fn on_payment(db: &Db, b: &Billing, uid: &str, now: i64) -> Result<(), AppError> {
    if b.catalog.referrals.reward_when == RewardWhen::FirstPayment {
        reward(db, b, uid, now).await?;
    }
    Ok(())
}

/// `uid`'s payment was refunded: a reward for paying given within the refund window is taken
/// back from both sides.
pub async fn on_refund(db: &Db, b: &Billing, uid: &str, now: i64) -> Result<(), AppError> {
    let r = &b.catalog.referrals;
    if r.reward_when != RewardWhen::FirstPayment {
        return Ok(());
    }
    let since = now - i64::from(r.refund_window_days) * SECS_PER_DAY;
    crate::db::retry_conflicts(|| async move {
        db.query(
            "BEGIN TRANSACTION;
             LET $r = (SELECT id, referrer, reward FROM referral WHERE referred = type::record('user', $uid) AND status = 'rewarded' AND rewarded_at >= $since)[0];
             IF $r != NONE {
                 UPDATE $r.id SET status = 'reversed', reason = 'payment refunded';
                 UPDATE type::record('billing_account', record::id($r.referrer)) SET bonus_interviews = math::max([0, bonus_interviews - $r.reward]), updated_at = $now;
                 UPDATE type::record('billing_account', $uid) SET bonus_interviews = math::max([0, bonus_interviews - $r.reward]), updated_at = $now;
             };
             COMMIT TRANSACTION;",
        )
        .bind(("uid", uid.to_string()))
        .bind(("since", since))
        .bind(("now", now))
        .await
        .and_then(crate::db::check_tx)
    })
    .await?;
    Ok(())
}

/// What `uid`'s referrals page shows.
pub async fn mine(
    db: &Db,
    b: &Billing,
    uid: &str,
    public_url: &str,
    now: i64,
) -> Result<ReferralsView, AppError> {
    let code = code_of(db, uid, now).await?;
    #[derive(Debug, SurrealValue)]
    struct Row {
        status: String,
        reason: Option<String>,
        reward: i64,
        created_at: i64,
        rewarded_at: Option<i64>,
    }
    let mut r = db
        .query("SELECT status, reason, reward, created_at, rewarded_at FROM referral WHERE referrer = type::record('user', $uid) ORDER BY created_at DESC LIMIT 100")
        .bind(("uid", uid.to_string()))
        .await?
        .check()?;
    let rows: Vec<Row> = r.take(0)?;
    let earned = rows
        .iter()
        .filter(|r| r.status == "rewarded")
        .map(|r| r.reward)
        .sum();
    let c = &b.catalog.referrals;
    Ok(ReferralsView {
        link: format!("{public_url}/signup?ref={code}"),
        code,
        reward_interviews: c.reward_interviews,
        reward_when: c.reward_when,
        max_rewards_per_month: c.max_rewards_per_month,
        earned,
        referred: rows
            .into_iter()
            .map(|r| ReferredRow {
                status: r.status,
                reason: r.reason,
                joined_at: r.created_at,
                rewarded_at: r.rewarded_at,
            })
            .collect(),
    })
}
