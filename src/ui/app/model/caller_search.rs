//! The overview's `/` finds callers as well as applications: an IP (`10.2.3.4`), an address
//! prefix (`10.2.`, `2001:db8:`) or a part of a host name. An application whose name does not
//! match stays listed when one of its callers in the window on screen does, with that caller as
//! a hint; Enter then opens the application with that caller selected.
//!
//! Only the callers the window keeps per application (its top callers) can be found: a caller
//! below the top-k of its application is not known by name.

use std::sync::Arc;

use crate::core::AppWindow;

use super::widgets::matches_filter;

/// The callers of one application that matched the filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallerMatch {
    /// The busiest matching caller (callers are kept busiest first).
    pub host: Arc<str>,
    /// How many other callers matched too.
    pub others: usize,
}

/// Whether `needle` (lower case) reads as an address or the start of one: hex digits, dots and
/// colons only, with a dot or a colon. `10.2.` must not find `110.2.3.4`, so such a needle
/// matches from the start of the address; anything else (a host name) matches anywhere.
fn is_address_prefix(needle: &str) -> bool {
    needle.contains(['.', ':'])
        && needle.chars().any(|c| c.is_ascii_digit())
        && needle
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == '.' || c == ':')
}

/// Whether caller `host` matches `needle` (lower case, not empty).
pub fn caller_matches(host: &str, needle: &str) -> bool {
    if is_address_prefix(needle) {
        host.len() >= needle.len()
            && host.as_bytes()[..needle.len()].eq_ignore_ascii_case(needle.as_bytes())
    } else {
        matches_filter(host, needle)
    }
}

/// The callers of `app` matching `needle` (lower case), if any.
pub fn matching_callers(app: &AppWindow, needle: &str) -> Option<CallerMatch> {
    if needle.is_empty() {
        return None;
    }
    let mut found = app
        .top_callers
        .iter()
        .filter(|c| caller_matches(&c.host, needle));
    let first = found.next()?;
    Some(CallerMatch {
        host: first.host.clone(),
        others: found.count(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::app::fixtures;

    #[test]
    fn address_prefixes_match_from_the_start_and_names_anywhere() {
        assert!(caller_matches("10.2.3.4", "10.2."));
        assert!(!caller_matches("110.2.3.4", "10.2."));
        assert!(caller_matches("10.2.3.4", "10.2.3.4"));
        assert!(caller_matches("2001:DB8::1", "2001:db8:"));
        assert!(!caller_matches("fe80::2001:db8:1", "2001:db8:"));
        assert!(caller_matches("db1.internal.example", "internal"));
        assert!(caller_matches("evil.example", "evil"));
        // A short number is a part of a name or address, matched anywhere.
        assert!(caller_matches("10.0.1.12", "12"));
    }

    #[test]
    fn the_busiest_matching_caller_is_named_and_the_others_counted() {
        let app = fixtures::app(
            "checkout",
            vec![
                fixtures::caller("10.0.1.12", 400, 0, 1_000),
                fixtures::caller("10.0.1.13", 300, 0, 1_000),
                fixtures::caller("10.9.1.13", 200, 0, 1_000),
            ],
            1_000,
            &[],
        );
        assert_eq!(
            matching_callers(&app, "10.0.1."),
            Some(CallerMatch {
                host: "10.0.1.12".into(),
                others: 1
            })
        );
        assert_eq!(
            matching_callers(&app, "10.9."),
            Some(CallerMatch {
                host: "10.9.1.13".into(),
                others: 0
            })
        );
        assert_eq!(matching_callers(&app, "10.3."), None);
        assert_eq!(matching_callers(&app, ""), None);
    }
}
