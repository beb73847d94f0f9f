//! The key bindings, written once: [`BINDINGS`] (normal mode) and [`FILTER_BINDINGS`] (the filter
//! prompt). [`action`] and [`filter_key`] look keys up in them, the help view lists them, and the
//! hints of each view take their key labels from them, so all three always say what the keys do.
//! The key bindings of issue 3 are a contract: add, never rename or drop.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

/// What a key asks the UI to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Quit,
    /// Ctrl-Z: suspend to the shell, as any terminal program.
    Suspend,
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
    PrevPanel,
    Filter,
    SortNext,
    SortReverse,
    Pause,
    CycleWidth,
    Earlier,
    Later,
    Live,
    /// The oldest window kept.
    Oldest,
    /// The newest window (live, or the last of an ended input).
    Newest,
    Malformed,
    Sources,
    Alarms,
    Acknowledge,
    Latency,
    /// The recent raw requests of the selected application or caller.
    Recent,
    /// Write the rows of the view to a CSV file.
    Export,
}

/// A key as bound: a key code (modifiers other than Ctrl do not matter: `G` is `G` with or
/// without Shift reported), or a character typed with Ctrl.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
    Code(KeyCode),
    Ctrl(char),
    /// A non-character key with Shift (`Shift-←`).
    Shift(KeyCode),
}

/// The groups of the help view, separated by a blank line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// Quitting, help, moving and drilling down.
    Move,
    /// What is shown: filter, sort, pause, width, time.
    Show,
    /// The other views.
    Views,
}

/// One row of the key table: the keys it binds and how the help and the hints name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    /// Each key with the action it triggers (one row may bind several actions: ↑ and ↓).
    pub keys: &'static [(Key, Action)],
    /// The keys as the help lists them: `↑ ↓  j k`.
    pub label: &'static str,
    /// The keys as a hint shows them: `↑↓`.
    pub hint: &'static str,
    /// What the keys do, for the help.
    pub help: &'static str,
    pub group: Group,
}

use Action as A;
use Key::{Code, Ctrl, Shift};
use KeyCode as K;

/// Every key of normal mode, in the order the help lists them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[(Ctrl('c'), A::Quit), (Code(K::Char('q')), A::Quit)],
        label: "q  Ctrl-C",
        hint: "q",
        help: "quit",
        group: Group::Move,
    },
    Binding {
        keys: &[(Ctrl('z'), A::Suspend)],
        label: "Ctrl-Z",
        hint: "Ctrl-Z",
        help: "suspend to the shell (fg comes back)",
        group: Group::Move,
    },
    Binding {
        keys: &[(Code(K::Char('?')), A::Help), (Code(K::F(1)), A::Help)],
        label: "?  F1",
        hint: "?",
        help: "this help (Esc closes it)",
        group: Group::Move,
    },
    Binding {
        keys: &[
            (Code(K::Up), A::Up),
            (Code(K::Char('k')), A::Up),
            (Code(K::Down), A::Down),
            (Code(K::Char('j')), A::Down),
        ],
        label: "↑ ↓  j k",
        hint: "↑↓",
        help: "move the selection",
        group: Group::Move,
    },
    Binding {
        keys: &[
            (Code(K::PageUp), A::PageUp),
            (Code(K::PageDown), A::PageDown),
            (Code(K::Home), A::Top),
            (Code(K::Char('g')), A::Top),
            (Code(K::Char('G')), A::Bottom),
        ],
        label: "PgUp PgDn  g G",
        hint: "PgUp/PgDn",
        help: "move by a page, to the top, to the bottom",
        group: Group::Move,
    },
    Binding {
        keys: &[(Code(K::Enter), A::Enter)],
        label: "Enter",
        hint: "Enter",
        help: "drill down: application → caller",
        group: Group::Move,
    },
    Binding {
        keys: &[(Code(K::Esc), A::Back), (Code(K::Backspace), A::Back)],
        label: "Esc",
        hint: "Esc",
        help: "back one level (clears an active filter first)",
        group: Group::Move,
    },
    Binding {
        keys: &[
            (Code(K::Tab), A::NextPanel),
            (Code(K::BackTab), A::PrevPanel),
        ],
        label: "Tab  Shift-Tab",
        hint: "Tab",
        help: "next / previous panel; ↑ ↓ scroll it, Enter shows it full screen",
        group: Group::Move,
    },
    Binding {
        keys: &[(Code(K::Char('/')), A::Filter)],
        label: "/",
        hint: "/",
        help: "filter names or callers (10.2.); Enter keeps, Esc clears",
        group: Group::Show,
    },
    Binding {
        keys: &[
            (Code(K::Char('s')), A::SortNext),
            (Code(K::Char('S')), A::SortReverse),
        ],
        label: "s  S",
        hint: "s/S",
        help: "cycle the sort column, reverse the order",
        group: Group::Show,
    },
    Binding {
        keys: &[
            (Code(K::Char('p')), A::Pause),
            (Code(K::Char(' ')), A::Pause),
        ],
        label: "p  Space",
        hint: "p",
        help: "pause / resume the display (data keeps being collected)",
        group: Group::Show,
    },
    Binding {
        keys: &[(Code(K::Char('w')), A::CycleWidth)],
        label: "w",
        hint: "w",
        help: "cycle the window width (10s 1m 5m 15m 1h)",
        group: Group::Show,
    },
    Binding {
        keys: &[
            (Code(K::Left), A::Earlier),
            (Code(K::Char('h')), A::Earlier),
            (Code(K::Right), A::Later),
        ],
        label: "← →  h",
        hint: "←→",
        help: "time travel: earlier / later window",
        group: Group::Show,
    },
    Binding {
        keys: &[
            (Code(K::Char('<')), A::Oldest),
            (Shift(K::Left), A::Oldest),
            (Code(K::Char('>')), A::Newest),
            (Shift(K::Right), A::Newest),
        ],
        label: "<  >  Shift-← →",
        hint: "<>",
        help: "time travel: the oldest / newest window kept",
        group: Group::Show,
    },
    Binding {
        keys: &[(Code(K::End), A::Live), (Code(K::Char('l')), A::Live)],
        label: "End  l",
        hint: "End",
        help: "back to the live window",
        group: Group::Show,
    },
    Binding {
        keys: &[(Code(K::Char('m')), A::Malformed)],
        label: "m",
        hint: "m",
        help: "malformed lines: counts and recent samples",
        group: Group::Views,
    },
    Binding {
        keys: &[(Code(K::Char('i')), A::Sources)],
        label: "i",
        hint: "i",
        help: "inputs: every shard or file with its lag and problem",
        group: Group::Views,
    },
    Binding {
        keys: &[(Code(K::Char('a')), A::Alarms)],
        label: "a",
        hint: "a",
        help: "alarm view: every rule × application, last datapoints",
        group: Group::Views,
    },
    Binding {
        keys: &[(Code(K::Char('A')), A::Acknowledge)],
        label: "A",
        hint: "A",
        help: "acknowledge the selected alarm (stays dimmed until it clears)",
        group: Group::Views,
    },
    Binding {
        keys: &[(Code(K::Char('L')), A::Latency)],
        label: "L",
        hint: "L",
        help: "latency histogram of the selected application or caller",
        group: Group::Views,
    },
    Binding {
        keys: &[(Code(K::Char('r')), A::Recent)],
        label: "r",
        hint: "r",
        help: "recent raw requests of the application or caller, live",
        group: Group::Views,
    },
    Binding {
        keys: &[(Code(K::Char('e')), A::Export)],
        label: "e",
        hint: "e",
        help: "export the rows on screen to CSV (status bar says where)",
        group: Group::Views,
    },
];

/// Help rows that are not keys.
pub const MOUSE_HELP: (&str, &str) = ("mouse", "click selects a row, the wheel scrolls");

/// Every key for the help view: `(keys, what they do)`, the groups separated by a `("", "")` row,
/// the mouse last.
pub fn help_rows() -> Vec<(&'static str, &'static str)> {
    let mut rows = Vec::with_capacity(BINDINGS.len() + 3);
    for (i, b) in BINDINGS.iter().enumerate() {
        if i > 0 && BINDINGS[i - 1].group != b.group {
            rows.push(("", ""));
        }
        rows.push((b.label, b.help));
    }
    rows.push(MOUSE_HELP);
    rows
}

/// Lines the help's first line (how far back history reaches, and the widths given up at
/// scale) takes in a terminal `columns` wide: it wraps, at most three lines.
pub fn help_head_lines(history: &str, columns: u16) -> u16 {
    let width = columns.min(HELP_WIDTH).saturating_sub(2).max(1);
    history
        .chars()
        .count()
        .div_ceil(usize::from(width))
        .clamp(1, 3) as u16
}

/// The help panel's widest.
pub const HELP_WIDTH: u16 = 86;

/// The help for a body `height` rows tall: its rows (the blank separators go when short of
/// room) and how many show at once (border, history line and footer take 4 rows); ↑ ↓ scroll
/// the rest into view.
pub fn help_layout(height: u16) -> (Vec<(&'static str, &'static str)>, usize) {
    let all = help_rows();
    let room = height.saturating_sub(4).max(1) as usize;
    let rows: Vec<_> = if all.len() <= room {
        all
    } else {
        all.into_iter()
            .filter(|(keys, _)| !keys.is_empty())
            .collect()
    };
    let shown = room.min(rows.len());
    (rows, shown)
}

/// The binding that triggers `action`. Every action has one (a unit test checks).
pub fn binding(action: Action) -> &'static Binding {
    BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|&(_, a)| a == action))
        .unwrap_or(&BINDINGS[0])
}

/// The key label a hint shows for `action`.
pub fn hint(action: Action) -> &'static str {
    binding(action).hint
}

fn lookup<T: Copy>(table: impl Iterator<Item = (Key, T)>, key: Key) -> Option<T> {
    table.into_iter().find(|&(k, _)| k == key).map(|(_, t)| t)
}

/// The command a key stands for in normal mode. Key releases (Windows, kitty protocol) are ignored.
pub fn action(key: KeyEvent) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let all = || BINDINGS.iter().flat_map(|b| b.keys.iter().copied());
    if key.modifiers.contains(KeyModifiers::CONTROL) {
        if let KeyCode::Char(c) = key.code {
            if let Some(action) = lookup(all(), Ctrl(c)) {
                return Some(action);
            }
        }
    }
    if key.modifiers.contains(KeyModifiers::SHIFT) && !matches!(key.code, KeyCode::Char(_)) {
        if let Some(action) = lookup(all(), Shift(key.code)) {
            return Some(action);
        }
    }
    lookup(all(), Code(key.code))
}

/// Whether keys go to the filter prompt (typed text) or are commands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputMode {
    Normal,
    Filter,
}

/// What a key does while the filter prompt is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
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

/// One row of the filter prompt's key table; typed characters go into the filter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FilterBinding {
    pub keys: &'static [(Key, FilterKey)],
    pub hint: &'static str,
}

/// Every key of the filter prompt besides the typed text.
pub const FILTER_BINDINGS: &[FilterBinding] = &[
    FilterBinding {
        keys: &[(Ctrl('c'), FilterKey::Quit)],
        hint: "Ctrl-C",
    },
    FilterBinding {
        keys: &[(Code(K::Enter), FilterKey::Accept)],
        hint: "Enter",
    },
    FilterBinding {
        keys: &[
            (Code(K::Esc), FilterKey::Cancel),
            (Ctrl('u'), FilterKey::Cancel),
        ],
        hint: "Esc",
    },
    FilterBinding {
        keys: &[
            (Code(K::Up), FilterKey::Move(A::Up)),
            (Code(K::Down), FilterKey::Move(A::Down)),
        ],
        hint: "↑↓",
    },
    FilterBinding {
        keys: &[(Code(K::Backspace), FilterKey::Backspace)],
        hint: "Backspace",
    },
];

/// The key label a hint of the filter prompt shows for `key`.
pub fn filter_hint(key: FilterKey) -> &'static str {
    FILTER_BINDINGS
        .iter()
        .find(|b| b.keys.iter().any(|&(_, k)| k == key))
        .map_or("", |b| b.hint)
}

/// What a key does in the filter prompt: text goes into the filter, arrows still move.
pub fn filter_key(key: KeyEvent) -> Option<FilterKey> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let all = || FILTER_BINDINGS.iter().flat_map(|b| b.keys.iter().copied());
    match key.code {
        KeyCode::Char(c) if key.modifiers.contains(KeyModifiers::CONTROL) => lookup(all(), Ctrl(c)),
        KeyCode::Char(c) => Some(FilterKey::Char(c)),
        code => lookup(all(), Code(code)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Action; 30] = [
        A::Quit,
        A::Suspend,
        A::Help,
        A::Up,
        A::Down,
        A::PageUp,
        A::PageDown,
        A::Top,
        A::Bottom,
        A::Enter,
        A::Back,
        A::NextPanel,
        A::PrevPanel,
        A::Filter,
        A::SortNext,
        A::SortReverse,
        A::Pause,
        A::CycleWidth,
        A::Earlier,
        A::Later,
        A::Live,
        A::Oldest,
        A::Newest,
        A::Malformed,
        A::Sources,
        A::Alarms,
        A::Acknowledge,
        A::Latency,
        A::Recent,
        A::Export,
    ];

    fn press(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn every_action_has_a_key_and_every_key_one_action() {
        for action in ALL {
            let b = binding(action);
            assert!(b.keys.iter().any(|&(_, a)| a == action), "{action:?}");
        }
        let keys: Vec<Key> = BINDINGS
            .iter()
            .flat_map(|b| b.keys.iter().map(|&(k, _)| k))
            .collect();
        for (i, k) in keys.iter().enumerate() {
            assert!(!keys[i + 1..].contains(k), "{k:?} is bound twice");
        }
    }

    #[test]
    fn the_table_decides_what_a_key_does() {
        for b in BINDINGS {
            for &(key, bound) in b.keys {
                let event = match key {
                    Code(code) => press(code, KeyModifiers::NONE),
                    Ctrl(c) => press(KeyCode::Char(c), KeyModifiers::CONTROL),
                    Shift(code) => press(code, KeyModifiers::SHIFT),
                };
                assert_eq!(action(event), Some(bound), "{key:?}");
            }
        }
        // Shift as reported with capitals does not matter; other Ctrl keys are the plain key.
        assert_eq!(
            action(press(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(A::Bottom)
        );
        assert_eq!(
            action(press(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(A::Quit)
        );
        assert_eq!(action(press(KeyCode::Char('x'), KeyModifiers::NONE)), None);
        let mut release = press(KeyCode::Char('q'), KeyModifiers::NONE);
        release.kind = KeyEventKind::Release;
        assert_eq!(action(release), None);
    }

    #[test]
    fn the_filter_prompt_takes_text_and_its_own_keys() {
        let typed = |c| filter_key(press(KeyCode::Char(c), KeyModifiers::NONE));
        assert_eq!(typed('q'), Some(FilterKey::Char('q')));
        let ctrl = |c| filter_key(press(KeyCode::Char(c), KeyModifiers::CONTROL));
        assert_eq!(ctrl('c'), Some(FilterKey::Quit));
        assert_eq!(ctrl('u'), Some(FilterKey::Cancel));
        assert_eq!(ctrl('x'), None);
        assert_eq!(
            filter_key(press(KeyCode::Down, KeyModifiers::NONE)),
            Some(FilterKey::Move(A::Down))
        );
        assert_eq!(filter_key(press(KeyCode::Left, KeyModifiers::NONE)), None);
        assert_eq!(filter_hint(FilterKey::Accept), "Enter");
        assert_eq!(filter_hint(FilterKey::Move(A::Up)), "↑↓");
    }
}
