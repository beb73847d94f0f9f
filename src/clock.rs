//! The one wall clock. Code that needs "now" calls [`now_ms`] or [`now_secs`]; code whose tests
//! must control time takes a [`Clock`] instead, [`system`] in production. The pure core never
//! reads it: time is passed in.

use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Wall-clock time as UTC epoch seconds, passed in so tests can control it.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// Now, UTC epoch milliseconds (0 if the system clock is before 1970).
pub fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Now, UTC epoch seconds.
pub fn now_secs() -> i64 {
    now_ms().div_euclid(1000)
}

/// The system's wall clock as a [`Clock`].
pub fn system() -> Clock {
    Arc::new(now_secs)
}
