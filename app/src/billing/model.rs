//! Plans, limits and what holds when: pure rules, the same on both sides.

use serde::{Deserialize, Serialize};

crate::slug_enum! {
    /// What a plan limits, counted per billing period.
    pub enum Meter {
        Interviews = "interviews",
        SpokenSeconds = "spoken_seconds",
        HostedEvaluations = "hosted_evaluations",
        /// Seconds of answers recorded on video (plans with `video`; as many minutes as speech).
        VideoSeconds = "video_seconds",
    }
}

crate::slug_enum! {
    /// Who takes the money.
    pub enum Provider {
        Stripe = "stripe",
        Razorpay = "razorpay",
    }
}

crate::slug_enum! {
    /// Where an account's plan comes from.
    pub enum Source {
        Free = "free",
        Stripe = "stripe",
        Razorpay = "razorpay",
        Comp = "comp",
    }
}

crate::slug_enum! {
    /// The state of a paid or given plan.
    pub enum SubStatus {
        Active = "active",
        PastDue = "past_due",
        Canceled = "canceled",
        Incomplete = "incomplete",
    }
}

crate::slug_enum! {
    /// When a referral earns its reward.
    pub enum RewardWhen {
        FirstInterview = "first_interview",
        FirstPayment = "first_payment",
    }
}

/// The id of the plan every account has when it pays for none.
pub const FREE: &str = "free";
/// Days a plan whose renewal failed keeps working while the provider retries [default].
pub const GRACE_DAYS: i64 = 7;
/// A free plan's period: a calendar month (UTC).
pub const SECS_PER_DAY: i64 = 86_400;

/// What a plan allows in one billing period. `None`: no limit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    pub interviews_per_month: Option<u32>,
    pub spoken_minutes_per_month: Option<u32>,
    /// Answers may be evaluated by the hosted engine (when the person allowed it).
    pub hosted_ai: bool,
    /// Video answers (when that feature exists).
    pub video: bool,
}

/// A plan as the operator configured it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub id: String,
    pub name: String,
    /// In the currency's minor unit (cents, paise); 0 for the free plan.
    pub price: u64,
    /// ISO 4217, lower case ("usd", "inr").
    pub currency: String,
    /// "month" or "year".
    pub period: String,
    pub stripe_price: Option<String>,
    pub razorpay_plan: Option<String>,
    pub limits: Limits,
}

impl Plan {
    pub fn limit(&self, m: Meter) -> Option<i64> {
        match m {
            Meter::Interviews => self.limits.interviews_per_month.map(i64::from),
            Meter::SpokenSeconds => self
                .limits
                .spoken_minutes_per_month
                .map(|m| i64::from(m) * 60),
            Meter::HostedEvaluations => None,
            Meter::VideoSeconds if !self.limits.video => Some(0),
            Meter::VideoSeconds => self
                .limits
                .spoken_minutes_per_month
                .map(|m| i64::from(m) * 60),
        }
    }

    /// "$12.00 a month", "₹999.00 a month", "No charge".
    pub fn price_text(&self) -> String {
        if self.price == 0 {
            return "No charge".into();
        }
        format!(
            "{} a {}",
            money(self.price as i64, &self.currency),
            self.period
        )
    }

    pub fn providers(&self) -> Vec<Provider> {
        let mut v = Vec::new();
        if self.stripe_price.is_some() {
            v.push(Provider::Stripe);
        }
        if self.razorpay_plan.is_some() {
            v.push(Provider::Razorpay);
        }
        v
    }
}

/// An amount in minor units with its currency sign ("$12.00"; unknown currencies by code).
pub fn money(minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let v = minor.unsigned_abs();
    let (whole, cents) = (v / 100, v % 100);
    match currency.to_ascii_lowercase().as_str() {
        "usd" => format!("{sign}${whole}.{cents:02}"),
        "eur" => format!("{sign}€{whole}.{cents:02}"),
        "gbp" => format!("{sign}£{whole}.{cents:02}"),
        "inr" => format!("{sign}₹{whole}.{cents:02}"),
        other => format!("{sign}{whole}.{cents:02} {}", other.to_uppercase()),
    }
}

/// Referral rewards as the operator configured them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Referrals {
    pub enabled: bool,
    /// Bonus interviews each side gets.
    pub reward_interviews: u32,
    pub reward_when: RewardWhen,
    /// Rewarded referrals one referrer can earn in a calendar month.
    pub max_rewards_per_month: u32,
    /// A reward for a payment is taken back when that payment is refunded within these days.
    pub refund_window_days: u32,
}

impl Default for Referrals {
    fn default() -> Self {
        Referrals {
            enabled: true,
            reward_interviews: 3,
            reward_when: RewardWhen::FirstInterview,
            max_rewards_per_month: REFERRAL_REWARDS_PER_MONTH,
            refund_window_days: REFUND_WINDOW_DAYS,
        }
    }
}

/// Rewarded referrals per referrer and calendar month [default].
pub const REFERRAL_REWARDS_PER_MONTH: u32 = 5;
/// Days after a payment within which its refund takes the referral reward back [default].
pub const REFUND_WINDOW_DAYS: u32 = 14;

/// Every plan of the installation: the free one first.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub plans: Vec<Plan>,
    pub grace_days: i64,
    pub referrals: Referrals,
}

impl Catalog {
    pub fn free(&self) -> &Plan {
        &self.plans[0]
    }
    pub fn get(&self, id: &str) -> Option<&Plan> {
        self.plans.iter().find(|p| p.id == id)
    }
    pub fn paid(&self) -> impl Iterator<Item = &Plan> {
        self.plans.iter().filter(|p| p.id != FREE)
    }
}

/// The plans file (`--plans FILE`, TOML), as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlansFile {
    #[serde(default)]
    pub grace_days: Option<i64>,
    #[serde(default)]
    pub free: Option<FreeSection>,
    #[serde(default)]
    pub plans: Vec<PlanSection>,
    #[serde(default)]
    pub referrals: Option<ReferralSection>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FreeSection {
    pub name: Option<String>,
    pub interviews_per_month: Option<u32>,
    pub spoken_minutes_per_month: Option<u32>,
    #[serde(default)]
    pub hosted_ai: bool,
    #[serde(default)]
    pub video: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanSection {
    pub id: String,
    pub name: String,
    pub price: u64,
    pub currency: String,
    #[serde(default = "month")]
    pub period: String,
    pub stripe_price: Option<String>,
    pub razorpay_plan: Option<String>,
    pub interviews_per_month: Option<u32>,
    pub spoken_minutes_per_month: Option<u32>,
    #[serde(default)]
    pub hosted_ai: bool,
    #[serde(default)]
    pub video: bool,
}

fn month() -> String {
    "month".into()
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReferralSection {
    #[serde(default = "yes")]
    pub enabled: bool,
    pub reward_interviews: Option<u32>,
    pub reward_when: Option<String>,
    pub max_rewards_per_month: Option<u32>,
    pub refund_window_days: Option<u32>,
}

fn yes() -> bool {
    true
}

/// The free plan when the file does not describe one: a taste of everything.
pub const FREE_INTERVIEWS: u32 = 3;
pub const FREE_SPOKEN_MINUTES: u32 = 15;

impl PlansFile {
    /// Checks the file against the providers configured (`stripe`, `razorpay`); every mistake
    /// names the plan and the key to fix.
    pub fn into_catalog(self, stripe: bool, razorpay: bool) -> Result<Catalog, String> {
        let free = self.free.unwrap_or(FreeSection {
            name: None,
            interviews_per_month: Some(FREE_INTERVIEWS),
            spoken_minutes_per_month: Some(FREE_SPOKEN_MINUTES),
            hosted_ai: false,
            video: false,
        });
        let mut plans = vec![Plan {
            id: FREE.into(),
            name: free.name.unwrap_or_else(|| "Free".into()),
            price: 0,
            currency: String::new(),
            period: "month".into(),
            stripe_price: None,
            razorpay_plan: None,
            limits: Limits {
                interviews_per_month: free.interviews_per_month,
                spoken_minutes_per_month: free.spoken_minutes_per_month,
                hosted_ai: free.hosted_ai,
                video: free.video,
            },
        }];
        for p in self.plans {
            let id = p.id.trim().to_string();
            if id.is_empty()
                || id == FREE
                || !id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(format!("plan id {:?}: use letters, digits, '-' or '_' (and not \"free\", which is the [free] section)", p.id));
            }
            if plans.iter().any(|q| q.id == id) {
                return Err(format!("plan id {id:?} appears twice"));
            }
            if p.price == 0 {
                return Err(format!("plan {id:?}: price must be above 0 (in the currency's smallest unit, e.g. 1200 for $12.00)"));
            }
            let currency = p.currency.trim().to_ascii_lowercase();
            if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_alphabetic()) {
                return Err(format!(
                    "plan {id:?}: currency {:?} is not a three-letter code like usd or inr",
                    p.currency
                ));
            }
            if p.period != "month" && p.period != "year" {
                return Err(format!(
                    "plan {id:?}: period {:?} must be \"month\" or \"year\"",
                    p.period
                ));
            }
            let stripe_price = p.stripe_price.filter(|s| !s.trim().is_empty());
            let razorpay_plan = p.razorpay_plan.filter(|s| !s.trim().is_empty());
            if stripe_price.is_some() && !stripe {
                return Err(format!("plan {id:?} has stripe_price but Stripe is not configured (--stripe-secret-key and --stripe-webhook-secret)"));
            }
            if razorpay_plan.is_some() && !razorpay {
                return Err(format!("plan {id:?} has razorpay_plan but Razorpay is not configured (--razorpay-key-id, --razorpay-key-secret and --razorpay-webhook-secret)"));
            }
            if stripe_price.is_none() && razorpay_plan.is_none() {
                return Err(format!("plan {id:?} names no price at a provider: give stripe_price (a Stripe price id) or razorpay_plan (a Razorpay plan id)"));
            }
            plans.push(Plan {
                id,
                name: p.name,
                price: p.price,
                currency,
                period: p.period,
                stripe_price,
                razorpay_plan,
                limits: Limits {
                    interviews_per_month: p.interviews_per_month,
                    spoken_minutes_per_month: p.spoken_minutes_per_month,
                    hosted_ai: p.hosted_ai,
                    video: p.video,
                },
            });
        }
        if plans.len() < 2 {
            return Err("the plans file names no paid plan: add a [[plans]] section".into());
        }
        let grace_days = self.grace_days.unwrap_or(GRACE_DAYS);
        if !(0..=60).contains(&grace_days) {
            return Err(format!("grace_days {grace_days} must be between 0 and 60"));
        }
        let d = Referrals::default();
        let referrals = match self.referrals {
            None => d,
            Some(r) => Referrals {
                enabled: r.enabled,
                reward_interviews: r.reward_interviews.unwrap_or(d.reward_interviews),
                reward_when: match r.reward_when.as_deref() {
                    None => d.reward_when,
                    Some(w) => w.parse().map_err(|_| {
                        format!("referrals.reward_when {w:?} must be \"first_interview\" or \"first_payment\"")
                    })?,
                },
                max_rewards_per_month: r.max_rewards_per_month.unwrap_or(d.max_rewards_per_month),
                refund_window_days: r.refund_window_days.unwrap_or(d.refund_window_days),
            },
        };
        Ok(Catalog {
            plans,
            grace_days,
            referrals,
        })
    }
}

/// An account's billing state as stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct State {
    pub plan: String,
    pub source: Source,
    pub status: SubStatus,
    pub period_start: Option<i64>,
    pub period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub grace_until: Option<i64>,
}

impl State {
    pub fn free() -> State {
        State {
            plan: FREE.into(),
            source: Source::Free,
            status: SubStatus::Active,
            period_start: None,
            period_end: None,
            cancel_at_period_end: false,
            grace_until: None,
        }
    }

    /// The plan that holds at `now`: a paid plan while active (a plan set to end holds until its
    /// period ends), or past due within its grace period; otherwise (cancelled, incomplete) the
    /// free plan.
    pub fn effective_plan<'a>(&self, catalog: &'a Catalog, now: i64) -> &'a Plan {
        let holds = match self.status {
            SubStatus::Active => {
                // A plan set to end whose period ran out (its end event not seen yet).
                !(self.cancel_at_period_end && self.period_end.is_some_and(|e| now >= e))
            }
            SubStatus::PastDue => self.grace_until.is_some_and(|g| now < g),
            SubStatus::Canceled | SubStatus::Incomplete => false,
        };
        if self.source == Source::Free || !holds {
            return catalog.free();
        }
        catalog.get(&self.plan).unwrap_or_else(|| catalog.free())
    }
}

/// The calendar month (UTC) holding `now`: (first second, first second of the next month).
/// Usage counts per calendar month whatever the plan, so that moving between plans (or
/// cancelling and buying again) neither resets nor loses what was used this month.
pub fn month_of(now: i64) -> (i64, i64) {
    let days = now.div_euclid(SECS_PER_DAY);
    let (y, m, _) = civil_from_days(days);
    let start = days_from_civil(y, m, 1) * SECS_PER_DAY;
    let (ny, nm) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
    (start, days_from_civil(ny, nm, 1) * SECS_PER_DAY)
}

/// Howard Hinnant's days-from-civil algorithm (proleptic Gregorian, UTC).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = m as i64;
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// The message when a limit is reached: names the limit, the plan and how to raise it.
pub fn limit_message(
    meter: Meter,
    plan: &Plan,
    limit: i64,
    resets: &str,
    can_upgrade: bool,
) -> String {
    let what = match meter {
        Meter::Interviews => format!("all {limit} interviews"),
        Meter::SpokenSeconds => format!("all {} spoken minutes", limit / 60),
        Meter::HostedEvaluations => "the hosted evaluations".into(),
        Meter::VideoSeconds if limit == 0 => {
            return format!(
                "The {} plan does not include video recording. {}",
                plan.name,
                if can_upgrade {
                    "Upgrade on Plans and billing (/account/billing) to record on video, or answer by voice."
                } else {
                    "Answer by voice or by typing instead."
                }
            )
        }
        Meter::VideoSeconds => format!("all {} minutes of video", limit / 60),
    };
    let raise = if can_upgrade {
        "Upgrade on Plans and billing (/account/billing) for more, or wait"
    } else {
        "Wait"
    };
    format!(
        "You have used {what} of the {} plan this period. {raise} until {resets}, when it starts again.",
        plan.name
    )
}

/// Referral codes: 10 characters of an alphabet without look-alikes (about 50 bits).
pub const CODE_ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
pub const CODE_LEN: usize = 10;

/// A code as typed: trimmed, upper case, only the code alphabet; `None` if it cannot be one.
pub fn normalize_code(s: &str) -> Option<String> {
    let c: String = s
        .trim()
        .chars()
        .filter(|c| *c != '-' && *c != ' ')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_LEN && c.bytes().all(|b| CODE_ALPHABET.contains(&b))).then_some(c)
}

/// Two addresses that reach the same mailbox (case, `+tags`, and dots at Gmail), for the
/// self-referral check.
pub fn same_mailbox(a: &str, b: &str) -> bool {
    fn canon(s: &str) -> String {
        let s = s.trim().to_ascii_lowercase();
        let Some((local, domain)) = s.rsplit_once('@') else {
            return s;
        };
        let local = local.split('+').next().unwrap_or(local);
        let domain = if domain == "googlemail.com" {
            "gmail.com"
        } else {
            domain
        };
        let local = if domain == "gmail.com" {
            local.replace('.', "")
        } else {
            local.to_string()
        };
        format!("{local}@{domain}")
    }
    canon(a) == canon(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn catalog() -> Catalog {
        let f: PlansFile = toml::from_str(
            r#"
            [free]
            interviews_per_month = 2
            [[plans]]
            id = "pro"
            name = "Pro"
            price = 1200
            currency = "USD"
            stripe_price = "price_pro"
            interviews_per_month = 30
            hosted_ai = true
            "#,
        )
        .unwrap();
        f.into_catalog(true, false).unwrap()
    }

    #[test]
    fn the_plans_file_is_checked_against_the_providers() {
        let c = catalog();
        assert_eq!(c.free().limit(Meter::Interviews), Some(2));
        assert_eq!(c.free().limit(Meter::SpokenSeconds), None);
        assert_eq!(c.get("pro").unwrap().currency, "usd");
        assert_eq!(c.get("pro").unwrap().price_text(), "$12.00 a month");
        let bad = |s: &str, stripe: bool| {
            toml::from_str::<PlansFile>(s)
                .map_err(|e| e.to_string())
                .and_then(|f| f.into_catalog(stripe, false))
                .unwrap_err()
        };
        assert!(bad(
            "[[plans]]\nid='pro'\nname='P'\nprice=5\ncurrency='usd'\nstripe_price='p'",
            false
        )
        .contains("Stripe is not configured"));
        assert!(bad(
            "[[plans]]\nid='pro'\nname='P'\nprice=5\ncurrency='usd'",
            true
        )
        .contains("names no price"));
        assert!(bad(
            "[[plans]]\nid='free'\nname='P'\nprice=5\ncurrency='usd'\nstripe_price='p'",
            true
        )
        .contains("plan id"));
        assert!(bad(
            "[[plans]]\nid='pro'\nname='P'\nprice=0\ncurrency='usd'\nstripe_price='p'",
            true
        )
        .contains("price must be above 0"));
        assert!(bad(
            "[[plans]]\nid='pro'\nname='P'\nprice=5\ncurrency='dollars'\nstripe_price='p'",
            true
        )
        .contains("three-letter"));
        assert!(bad("", true).contains("no paid plan"));
        assert!(bad("[referrals]\nreward_when='never'\n[[plans]]\nid='pro'\nname='P'\nprice=5\ncurrency='usd'\nstripe_price='p'", true).contains("reward_when"));
        assert!(bad("colour = 'blue'", true).contains("colour"));
    }

    #[test]
    fn a_paid_plan_holds_while_active_in_grace_or_paid_up_and_then_the_free_plan() {
        let c = catalog();
        let mut s = State {
            plan: "pro".into(),
            source: Source::Stripe,
            status: SubStatus::Active,
            period_start: Some(1_000),
            period_end: Some(2_000),
            cancel_at_period_end: false,
            grace_until: None,
        };
        assert_eq!(s.effective_plan(&c, 1_500).id, "pro");
        s.cancel_at_period_end = true;
        assert_eq!(s.effective_plan(&c, 1_999).id, "pro");
        assert_eq!(s.effective_plan(&c, 2_000).id, FREE);
        s.status = SubStatus::PastDue;
        s.grace_until = Some(3_000);
        assert_eq!(s.effective_plan(&c, 2_999).id, "pro");
        assert_eq!(s.effective_plan(&c, 3_000).id, FREE);
        s.status = SubStatus::Canceled;
        assert_eq!(
            s.effective_plan(&c, 1_500).id,
            FREE,
            "the provider ended it"
        );
        s.status = SubStatus::Incomplete;
        assert_eq!(s.effective_plan(&c, 1_500).id, FREE);
        s.status = SubStatus::Active;
        s.plan = "gone".into();
        s.cancel_at_period_end = false;
        assert_eq!(s.effective_plan(&c, 1_500).id, FREE);
    }

    #[test]
    fn free_periods_are_calendar_months() {
        // 2026-12-02T03:00:00Z
        let now = 1_796_180_400;
        let (s, e) = month_of(now);
        assert_eq!(s, 1_796_083_200); // 2026-12-01
        assert_eq!(e, 1_798_761_600); // 2027-01-01
        assert_eq!(month_of(s), (s, e));
        assert_eq!(month_of(e - 1), (s, e));
        assert_eq!(month_of(0), (0, 31 * SECS_PER_DAY));
        // February of a leap year.
        let feb = days_from_civil(2028, 2, 10) * SECS_PER_DAY;
        let (s, e) = month_of(feb);
        assert_eq!((e - s) / SECS_PER_DAY, 29);
    }

    #[test]
    fn codes_and_mailboxes() {
        assert_eq!(normalize_code(" abcd-efgh-jk "), Some("ABCDEFGHJK".into()));
        assert_eq!(normalize_code("ABCDEFGHJ"), None);
        assert_eq!(
            normalize_code("ABCDEFGHI0"),
            None,
            "I and 0 are not in the alphabet"
        );
        assert!(same_mailbox("Ann.Lee+x@gmail.com", "annlee@googlemail.com"));
        assert!(same_mailbox("ann+a@example.org", "ANN@example.org"));
        assert!(!same_mailbox("ann.lee@example.org", "annlee@example.org"));
        assert_eq!(money(1200, "usd"), "$12.00");
        assert_eq!(money(99_900, "inr"), "₹999.00");
        assert_eq!(money(-5, "chf"), "-0.05 CHF");
    }
}
