//! Razorpay's webhook signature (`app::billing::service::razorpay::signature_matches`): the
//! hex HMAC-SHA256 of the raw body under the webhook secret, checked before the body is read.
//! Input: the `X-Razorpay-Signature` value, a newline, the body. A signature must pass exactly
//! when it is the body's (in either case, with spaces around it), and the body a webhook then
//! reads must give an event or a clean refusal.
#![no_main]

use libfuzzer_sys::fuzz_target;
use viva_fuzz::razorpay_signature::{sign, signature_matches};

const SECRET: &str = "whsec_viva_fuzz";

fuzz_target!(|data: &[u8]| {
    let nl = data.iter().position(|&b| b == b'\n').unwrap_or(data.len());
    let body = data.get(nl + 1..).unwrap_or_default();
    let want = sign(SECRET, body);
    assert_eq!(want.len(), 64);
    assert!(signature_matches(SECRET, body, &want));
    assert!(signature_matches(
        SECRET,
        body,
        &format!(" {} ", want.to_uppercase())
    ));
    // A header value is a string (the route reads it with `to_str`).
    let Ok(given) = std::str::from_utf8(&data[..nl]) else {
        return;
    };
    let ok = signature_matches(SECRET, body, given);
    assert_eq!(ok, given.trim().eq_ignore_ascii_case(&want), "{given:?}");
    if ok {
        // What the webhook reads next: the event's name, else a refusal as malformed.
        if let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) {
            let _ = v.get("event").and_then(serde_json::Value::as_str);
            let _ = v.pointer("/payload/subscription/entity/id");
        }
        let id = format!("body-{}", &sign("viva-razorpay-event", body)[..32]);
        assert_eq!(id.len(), 37);
    }
});
