//! Razorpay's signatures: hex HMAC-SHA256, of a webhook's raw body with the webhook secret and
//! of `payment_id|subscription_id` with the key secret.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Hex HMAC-SHA256 of `msg` with `key`.
pub fn sign(key: &str, msg: &[u8]) -> String {
    let mut mac =
        HmacSha256::new_from_slice(key.as_bytes()).expect("HMAC takes keys of any length");
    mac.update(msg);
    hex(&mac.finalize().into_bytes())
}

/// Compares a hex signature with the expected one in constant time.
pub fn signature_matches(key: &str, msg: &[u8], given: &str) -> bool {
    use subtle::ConstantTimeEq;
    let want = sign(key, msg);
    let given = given.trim().to_ascii_lowercase();
    want.len() == given.len() && bool::from(want.as_bytes().ct_eq(given.as_bytes()))
}
