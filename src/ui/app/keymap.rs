//! Keys → actions (the key bindings of issue 3 are a contract: add, never rename or drop), plus the
//! help text and the key hints of each view, so both always say what the keymap does.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks the UI to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    Help,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Enter,
    Back,
    NextPanel,
    Filter,
    SortNext,
    SortReverse,
    Pause,
    CycleWidth,
    Earlier,
    Later,
    Live,
    Malformed,
    Sources,
    Alarms,
    Acknowledge,
    Latency,
}

/// Whether keys go to the filter prompt (typed text) or are commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    Normal,
    Filter,
}

/// What a key does while the filter prompt is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterKey {
    Char(char),
    Backspace,
    /// Keep the filter, back to the list.
    Accept,
    /// Clear the filter, back to the list.
    Cancel,
    /// Move the selection without leaving the prompt.
    Move(Action),
    Quit,
}

/// The command a key stands for in normal mode. Key releases (Windows, kitty protocol) are ignored.
pub fn action(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => Action::Quit,
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') | KeyCode::F(1) => Action::Help,
        KeyCode::Up | KeyCode::Char('k') => Action::Up,
        KeyCode::Down | KeyCode::Char('j') => Action::Down,
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::Char('G') => Action::Bottom,
        KeyCode::Enter => Action::Enter,
        KeyCode::Esc | KeyCode::Backspace => Action::Back,
        KeyCode::Tab | KeyCode::BackTab => Action::NextPanel,
        KeyCode::Char('/') => Action::Filter,
        KeyCode::Char('s') => Action::SortNext,
        KeyCode::Char('S') => Action::SortReverse,
        KeyCode::Char('p') | KeyCode::Char(' ') => Action::Pause,
        KeyCode::Char('w') => Action::CycleWidth,
        KeyCode::Left | KeyCode::Char('h') => Action::Earlier,
        KeyCode::Right => Action::Later,
        KeyCode::End | KeyCode::Char('l') => Action::Live,
        KeyCode::Char('m') => Action::Malformed,
        KeyCode::Char('i') => Action::Sources,
        KeyCode::Char('a') => Action::Alarms,
        KeyCode::Char('A') => Action::Acknowledge,
        KeyCode::Char('L') => Action::Latency,
        _ => return None,
    })
}

/// What a key does in the filter prompt: text goes into the filter, arrows still move.
pub fn filter_key(key: KeyEvent) -> Option<FilterKey> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
    Some(match key.code {
        KeyCode::Char('c') if ctrl => FilterKey::Quit,
        KeyCode::Char('u') if ctrl => FilterKey::Cancel,
        KeyCode::Char(c) if !ctrl => FilterKey::Char(c),
        KeyCode::Backspace => FilterKey::Backspace,
        KeyCode::Enter => FilterKey::Accept,
        KeyCode::Esc => FilterKey::Cancel,
        KeyCode::Up => FilterKey::Move(Action::Up),
        KeyCode::Down => FilterKey::Move(Action::Down),
        _ => return None,
    })
}

/// Every key, for the help view: `(keys, what they do)`, grouped by a `""` separator row.
pub const HELP: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit"),
    ("?  F1", "this help (Esc closes it)"),
    ("↑ ↓  j k", "move the selection"),
    (
        "PgUp PgDn  g G",
        "move by a page, to the top, to the bottom",
    ),
    ("Enter", "drill down: application → caller"),
    ("Esc", "back one level (clears an active filter first)"),
    ("Tab", "next panel (overview: the alarm panel)"),
    ("", ""),
    (
        "/",
        "filter rows as you type; Enter keeps it, Esc clears it",
    ),
    ("s  S", "cycle the sort column, reverse the order"),
    (
        "p  Space",
        "pause / resume the display (data keeps being collected)",
    ),
    ("w", "cycle the window width (10s 1m 5m 15m 1h)"),
    ("← →  h", "time travel: earlier / later window"),
    ("End  l", "back to the live window"),
    ("", ""),
    ("m", "malformed lines: counts and recent samples"),
    ("i", "inputs: every shard or file with its lag and problem"),
    ("a", "alarm view: every rule × application, last datapoints"),
    (
        "A",
        "acknowledge the selected alarm (stays dimmed until it clears)",
    ),
    (
        "L",
        "latency histogram of the selected application or caller",
    ),
    ("mouse", "click selects a row, the wheel scrolls"),
];
