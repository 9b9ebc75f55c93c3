//! What billing's server functions exchange with the browser.

use serde::{Deserialize, Serialize};

use super::model::{Provider, RewardWhen, Source, SubStatus};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvoiceView {
    pub number: String,
    pub at: i64,
    pub amount: String,
    pub status: String,
    /// The provider's page for the invoice (to view, pay or download it).
    pub url: Option<String>,
}

/// One limit and what was used of it this period.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MeterView {
    /// "interviews", "spoken minutes".
    pub unit: String,
    pub used: i64,
    /// None: no limit.
    pub limit: Option<i64>,
}

impl MeterView {
    /// "7 of 10 interviews this month", "12 spoken minutes this month (no limit)".
    pub fn sentence(&self) -> String {
        match self.limit {
            Some(l) => format!("{} of {} {} this month", self.used.min(l), l, self.unit),
            None => format!("{} {} this month (no limit)", self.used, self.unit),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlanOffer {
    pub id: String,
    pub name: String,
    pub price: String,
    /// "30 interviews a month", "Hosted AI feedback".
    pub features: Vec<String>,
    pub providers: Vec<Provider>,
    pub current: bool,
}

/// The person's billing page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BillingView {
    pub plan_id: String,
    pub plan_name: String,
    pub source: Source,
    pub status: SubStatus,
    /// The plan held is paid for (or given) until then.
    pub period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// A failed renewal: the plan holds until then.
    pub grace_until: Option<i64>,
    /// When usage starts again.
    pub resets_at: i64,
    pub meters: Vec<MeterView>,
    pub bonus_interviews: i64,
    pub offers: Vec<PlanOffer>,
    pub invoices: Vec<InvoiceView>,
    /// The provider could not list invoices just now.
    pub invoices_error: Option<String>,
    /// Who manages the subscription (Stripe: the Customer Portal; Razorpay: cancel here).
    pub manage: Option<Provider>,
    pub referrals: bool,
}

/// What starting a checkout gives the browser: where to go next.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CheckoutStart {
    pub url: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferredRow {
    pub status: String,
    pub reason: Option<String>,
    pub joined_at: i64,
    pub rewarded_at: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReferralsView {
    pub code: String,
    pub link: String,
    pub reward_interviews: u32,
    pub reward_when: RewardWhen,
    pub max_rewards_per_month: u32,
    /// Bonus interviews earned by referring.
    pub earned: i64,
    pub referred: Vec<ReferredRow>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSubscriber {
    pub email: String,
    pub plan: String,
    pub source: Source,
    pub status: SubStatus,
    pub period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    pub grace_until: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminPayment {
    pub email: Option<String>,
    pub provider: Provider,
    pub invoice: String,
    pub amount: String,
    pub status: String,
    pub at: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminBillingView {
    pub subscribers: Vec<AdminSubscriber>,
    /// Failed payments of the last 30 days.
    pub failed: Vec<AdminPayment>,
    /// Paid minus refunded this calendar month, per currency ("$1,200.00").
    pub revenue: Vec<String>,
    pub payments_this_month: usize,
    pub plans: Vec<(String, String)>,
}
