//! The user-agent and referer panels of an application or caller detail: top-k counts, each
//! value made safe to show (a user agent is whatever a client chose to send), and an empty panel
//! that says why it is empty.

use crate::core::{Counted, TopAgents, WindowSummary};
use crate::ui::app::format;

use super::widgets::safe;

/// One counted list panel: `(count, value)` rows, its title, and what it says when empty.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CountedList {
    pub title: String,
    /// `(count, value)`; a count is `≤n` when it is an upper bound.
    pub rows: Vec<(String, String)>,
    pub empty: String,
}

/// The "User agents" and "Referers" panels.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct AgentPanels {
    pub user_agents: CountedList,
    pub referers: CountedList,
}

/// Why the lists of `top` are empty, or what the panels show. `top` is `None` when the
/// application (or caller) had no requests in `window`; `compact` is the note of a window kept
/// without detail.
pub fn agent_panels(
    top: Option<&TopAgents>,
    window: &WindowSummary,
    compact: Option<&str>,
) -> AgentPanels {
    let list = |name: &str, directive: &str, values: Option<&Vec<Counted>>| {
        let empty = match (compact, values) {
            (Some(_), _) => "not kept this far back".to_string(),
            (None, None) => "no requests".to_string(),
            (None, Some(_)) if window.relays.is_some() => {
                "not carried by relays' aggregate records".to_string()
            }
            (None, Some(_)) => format!("none recorded: the log format has no {directive}"),
        };
        let values = values.map(|v| &v[..]).unwrap_or_default();
        let title = match compact {
            Some(note) => format!("{name} · {note}"),
            None if values.iter().any(|v| v.error > 0) => {
                format!("{name} · ≤n: at most n (estimated)")
            }
            None => name.to_string(),
        };
        CountedList {
            title,
            rows: if compact.is_some() {
                Vec::new()
            } else {
                values.iter().map(row).collect()
            },
            empty,
        }
    };
    AgentPanels {
        user_agents: list("User agents", "%{User-Agent}i", top.map(|t| &t.user_agents)),
        referers: list("Referers", "%{Referer}i", top.map(|t| &t.referers)),
    }
}

/// `(count, value)`: `-` (the client sent none) and an empty value are said in words.
fn row(c: &Counted) -> (String, String) {
    let count = if c.error == 0 {
        format::count(c.count)
    } else {
        format!("≤{}", format::count(c.count))
    };
    let value = match &*c.key {
        "-" => "- (none sent)".to_string(),
        "" => "(empty)".to_string(),
        key => safe(key),
    };
    (count, value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn counted(key: &str, count: u64, error: u64) -> Counted {
        Counted {
            key: Arc::from(key),
            count,
            error,
        }
    }

    fn window(relays: bool) -> WindowSummary {
        WindowSummary {
            relays: relays.then_some(crate::core::RelayCoverage {
                relays: 1,
                expected: 1,
            }),
            ..WindowSummary::empty(0, 300, true)
        }
    }

    #[test]
    fn escape_sequences_in_a_user_agent_never_reach_the_terminal() {
        let top = TopAgents {
            user_agents: vec![
                counted("\u{1b}[31mred\u{1b}[0m \u{1b}]0;pwned\u{7}bot", 7, 0),
                counted("-", 3, 0),
                counted("", 1, 0),
            ],
            referers: vec![counted("https://a.example/", 11, 2)],
        };
        let p = agent_panels(Some(&top), &window(false), None);
        assert_eq!(p.user_agents.title, "User agents");
        assert_eq!(p.user_agents.rows.len(), 3);
        let (n, shown) = &p.user_agents.rows[0];
        assert_eq!(n, "7");
        assert!(!shown.chars().any(|c| c.is_control()), "{shown:?}");
        assert!(shown.contains("red") && shown.contains("bot"), "{shown:?}");
        assert_eq!(p.user_agents.rows[1].1, "- (none sent)");
        assert_eq!(p.user_agents.rows[2].1, "(empty)");
        // An upper bound is marked, and the title says what `≤` means.
        assert_eq!(p.referers.rows[0].0, "≤11");
        assert!(p.referers.title.contains("at most"), "{}", p.referers.title);
    }

    #[test]
    fn an_empty_panel_says_why() {
        let none = TopAgents::default();
        let p = agent_panels(Some(&none), &window(false), None);
        assert!(p.user_agents.empty.contains("%{User-Agent}i"));
        assert!(p.referers.empty.contains("%{Referer}i"));
        let merged = agent_panels(Some(&none), &window(true), None);
        assert!(merged.user_agents.empty.contains("relays"));
        assert_eq!(
            agent_panels(None, &window(false), None).user_agents.empty,
            "no requests"
        );
        let old = agent_panels(Some(&none), &window(false), Some("not kept (from x)"));
        assert_eq!(old.user_agents.title, "User agents · not kept (from x)");
        assert_eq!(old.user_agents.empty, "not kept this far back");
    }
}
