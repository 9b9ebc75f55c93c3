//! The server's clock, in unix seconds. Builds with the `test-clock` feature (tests only) can
//! move it forward, so expiry (tokens, codes, sessions) is tested without waiting.

use std::sync::{
    atomic::{AtomicI64, Ordering},
    Arc,
};

#[derive(Clone, Default, Debug)]
pub struct Clock {
    offset: Arc<AtomicI64>,
}

impl Clock {
    pub fn now(&self) -> i64 {
        let system = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        system + self.offset.load(Ordering::Relaxed)
    }

    /// Moves the clock forward (test builds only).
    #[cfg(feature = "test-clock")]
    pub fn advance(&self, secs: i64) {
        self.offset.fetch_add(secs, Ordering::Relaxed);
    }
}
