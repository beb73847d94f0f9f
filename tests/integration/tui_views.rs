//! Snapshot tests of every view: the real `App` driven by key sequences over a deterministic
//! fixture snapshot, drawn on ratatui's `TestBackend` at 120×36 and 80×24.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use insta::assert_snapshot;
use kinetop::output::actions::ActionStats;
use kinetop::pipeline::snapshot::{PartStatus, Snapshot, SourceStatus};
use kinetop::ui::app::{fixtures, App};
use kinetop::ui::mouse::on_mouse;
use kinetop::ui::view::{self, Theme};
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;

const WIDTHS: [i64; 5] = [10, 60, 300, 900, 3600];

struct Screen {
    app: App,
    terminal: Terminal<TestBackend>,
    theme: Theme,
}

impl Screen {
    fn new(columns: u16, rows: u16, snapshot: Snapshot) -> Screen {
        let mut app = App::new(WIDTHS.to_vec(), (columns, rows), fixtures::NOW_MS);
        app.on_snapshot(Arc::new(snapshot));
        Screen {
            app,
            terminal: Terminal::new(TestBackend::new(columns, rows)).unwrap(),
            theme: Theme::colour(),
        }
    }

    fn keys(&mut self, keys: &str) -> &mut Self {
        for c in keys.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    fn key(&mut self, code: KeyCode) -> &mut Self {
        let outcome = self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
        assert!(!outcome.quit, "{code:?} quit");
        self
    }

    fn render(&mut self) -> String {
        let (app, theme) = (&self.app, &self.theme);
        self.terminal.draw(|f| view::draw(f, app, theme)).unwrap();
        self.terminal.backend().to_string()
    }

    fn text(&mut self) -> String {
        self.render();
        let buffer = self.terminal.backend().buffer();
        let mut out = String::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                out.push_str(buffer[(x, y)].symbol());
            }
            out.push('\n');
        }
        out
    }
}

fn big() -> Screen {
    Screen::new(120, 36, fixtures::snapshot())
}

fn small() -> Screen {
    Screen::new(80, 24, fixtures::snapshot())
}

#[test]
fn overview_large_and_small() {
    assert_snapshot!("overview_120x36", big().render());
    assert_snapshot!("overview_80x24", small().render());
}

#[test]
fn drill_down_app_caller_and_back() {
    let mut s = big();
    // Select checkout (second row by requests) and open it.
    s.key(KeyCode::Down).key(KeyCode::Enter);
    assert_snapshot!("app_detail_120x36", s.render());
    s.key(KeyCode::Enter);
    assert_snapshot!("host_detail_120x36", s.render());
    s.key(KeyCode::Esc);
    let text = s.text();
    assert!(text.contains("Callers · top 3 of 3"), "{text}");
    s.key(KeyCode::Esc);
    let back = s.render();
    assert_eq!(
        back,
        big().key(KeyCode::Down).render(),
        "Esc Esc is the overview again"
    );

    let mut s = small();
    s.key(KeyCode::Down).key(KeyCode::Enter);
    assert_snapshot!("app_detail_80x24", s.render());
    s.key(KeyCode::Enter);
    assert_snapshot!("host_detail_80x24", s.render());
}

#[test]
fn unknown_application_lists_raw_caller_addresses() {
    let mut s = big();
    s.keys("/unk").key(KeyCode::Enter).key(KeyCode::Enter);
    let screen = s.render();
    assert_snapshot!("unknown_detail_120x36", screen);
    let text = s.text();
    assert!(
        text.contains("203.0.113.77") && text.contains("2001:db8::bad:cafe"),
        "{text}"
    );
    // The hostile host name is escaped, never emitted raw.
    assert!(text.contains("evil\\x1b]0;pwned\\x07"), "{text}");
    assert!(!text.contains('\x1b'));
}

#[test]
fn unknown_row_is_highlighted() {
    let mut s = big();
    s.render();
    let buffer = s.terminal.backend().buffer().clone();
    let row = (0..buffer.area.height)
        .find(|&y| {
            (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol())
                .collect::<String>()
                .contains("unknown   ")
        })
        .expect("an unknown row");
    let x = (0..buffer.area.width)
        .find(|&x| buffer[(x, row)].symbol() == "u")
        .unwrap();
    assert_eq!(buffer[(x, row)].fg, Color::Yellow);
}

#[test]
fn latency_histogram_view() {
    let mut s = big();
    s.keys("L");
    assert_snapshot!("latency_120x36", s.render());
    let mut s = small();
    s.key(KeyCode::Down).key(KeyCode::Enter).keys("L");
    assert_snapshot!("latency_checkout_80x24", s.render());
}

#[test]
fn help_view() {
    let mut s = big();
    s.keys("?");
    assert_snapshot!("help_120x36", s.render());
    s.key(KeyCode::Esc);
    assert!(s.text().contains("Applications"));
    let mut s = small();
    assert_snapshot!("help_80x24", s.keys("?").render());
}

#[test]
fn malformed_view() {
    let mut s = big();
    s.keys("m");
    assert_snapshot!("malformed_120x36", s.render());
    let mut s = small();
    assert_snapshot!("malformed_80x24", s.keys("m").render());
}

/// A 4-shard stream with one shard throttled and one behind: `i` lists every shard, trouble
/// first; control characters in a problem are escaped.
#[test]
fn inputs_view_lists_every_shard_trouble_first() {
    let part = |name: &str, state: &str, lag: Option<u64>, records: u64, problem: Option<&str>| {
        PartStatus {
            name: name.into(),
            state: state.into(),
            lag_ms: lag,
            records,
            problem: problem.map(str::to_string),
        }
    };
    let mut snapshot = fixtures::snapshot();
    snapshot.source = SourceStatus {
        name: "kinesis:web-logs".into(),
        parts: 4,
        lag_ms: Some(95_000),
        records_per_sec: 1_840.0,
        problem: Some(
            "throttled on shardId-000000000002; backing off 1.6s (+1 more shards with problems)"
                .into(),
        ),
        details: vec![
            part("shardId-000000000000", "caught up", Some(0), 120_400, None),
            part("shardId-000000000001", "finished", None, 88_000, None),
            part(
                "shardId-000000000002",
                "backing off",
                Some(4_000),
                97_310,
                Some("throttled on shardId-000000000002; backing off 1.6s"),
            ),
            part(
                "shardId-000000000003",
                "polling",
                Some(95_000),
                40_022,
                None,
            ),
            part(
                "shardId-000000000004",
                "polling",
                Some(2_000),
                10,
                Some("GetRecords: cannot reach Kinesis (\x1b]0;pwned\x07)"),
            ),
        ],
    };
    let mut s = Screen::new(120, 36, snapshot.clone());
    let screen = s.keys("i").render();
    assert!(!screen.contains('\x1b'), "raw escape on screen");
    assert_snapshot!("inputs_120x36", screen);
    let mut s = Screen::new(80, 24, snapshot);
    assert_snapshot!("inputs_80x24", s.keys("i").render());
    // `i` again (or Esc) goes back.
    let back = s.keys("i").render();
    assert!(back.contains("Applications"), "{back}");
}

/// Traffic stopped: time moved past the last window with requests. The overview shows the
/// empty window of now, every application at 0 with its sparkline falling, and the chart of
/// the last windows that had traffic.
#[test]
fn a_silent_source_shows_an_empty_window_for_now() {
    let mut snapshot = fixtures::snapshot();
    let last = snapshot.windows.last().unwrap().clone();
    let width = last.end - last.start;
    let now = kinetop::core::WindowSummary::empty(last.end + width, width, false);
    snapshot.windows.push(Arc::new(now));
    snapshot.watermark = Some(last.end + width + 40);
    snapshot.events_per_sec = 0.0;
    let mut s = Screen::new(120, 36, snapshot);
    let screen = s.text();
    assert!(
        screen.contains("checkout"),
        "applications stay listed:\n{screen}"
    );
    assert_snapshot!("silent_source_120x36", s.render());
}

#[test]
fn filter_prompt_and_kept_filter() {
    let mut s = big();
    s.keys("/se");
    assert_snapshot!("filter_typing_120x36", s.render());
    s.key(KeyCode::Enter);
    assert_snapshot!("filter_kept_120x36", s.render());
    s.key(KeyCode::Esc);
    assert!(!s.text().contains("filter “se”"));
}

#[test]
fn sort_by_5xx_reversed() {
    let mut s = big();
    s.keys("sssss");
    assert_snapshot!("sort_p50_120x36", s.render());
    s.keys("S");
    let text = s.text();
    assert!(text.contains("p50▲"), "{text}");
}

#[test]
fn time_travel() {
    let mut s = big();
    for _ in 0..4 {
        s.key(KeyCode::Left);
    }
    assert_snapshot!("time_travel_120x36", s.render());
    s.key(KeyCode::End);
    assert!(s.text().contains("● LIVE"));
    let mut s = small();
    s.key(KeyCode::Left);
    assert_snapshot!("time_travel_80x24", s.render());
}

#[test]
fn paused() {
    let mut s = small();
    let text = s.keys("p").text();
    assert!(
        text.contains("⏸ PAUSED") && text.contains("p resume"),
        "{text}"
    );
}

#[test]
fn alarm_panel_and_alarm_view() {
    let mut s = big();
    s.key(KeyCode::Tab).key(KeyCode::Down).keys("A");
    assert_snapshot!("alarm_panel_acknowledged_120x36", s.render());
    s.key(KeyCode::Tab).keys("a");
    assert_snapshot!("alarm_view_120x36", s.render());
    let mut s = small();
    assert_snapshot!("alarm_view_80x24", s.keys("a").render());
}

/// With actions configured, the alarm view ends with what became of them: dropped ones stand
/// out, and the rows above stay clickable.
#[test]
fn alarm_view_says_what_became_of_the_actions() {
    let mut snapshot = fixtures::snapshot();
    snapshot.actions = Some(ActionStats {
        queued: 1_250,
        dropped: 3,
        succeeded: 1_240,
        failed: 2,
        timed_out: 5,
    });
    let mut s = Screen::new(120, 36, snapshot.clone());
    let text = s.keys("a").text();
    assert!(
        text.contains("actions: 1,240 done · 2 failed · 5 timed out · 3 dropped"),
        "{text}"
    );
    assert_snapshot!("alarm_view_actions_120x36", s.render());
    let mut s = Screen::new(80, 24, snapshot);
    assert_snapshot!("alarm_view_actions_80x24", s.keys("a").render());
}

#[test]
fn no_alarm_rules_empty_state() {
    let mut s = Screen::new(120, 36, fixtures::snapshot_without_alarms());
    let text = s.text();
    assert!(text.contains("No alarm rules."), "{text}");
    assert_snapshot!("alarm_view_empty_120x36", s.keys("a").render());
}

#[test]
fn too_small_terminal_says_so() {
    let mut s = Screen::new(50, 12, fixtures::snapshot());
    assert_snapshot!("too_small_50x12", s.render());
}

#[test]
fn resize_relayouts() {
    let mut s = Screen::new(80, 24, fixtures::snapshot());
    s.app.on_resize(120, 36);
    s.terminal.backend_mut().resize(120, 36);
    assert_eq!(s.render(), big().render());
}

#[test]
fn no_color_has_no_colours() {
    let mut s = big();
    s.theme = Theme::mono();
    s.render();
    let buffer = s.terminal.backend().buffer();
    for cell in buffer.content() {
        assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
    }
    let mut coloured = big();
    coloured.render();
    assert!(coloured
        .terminal
        .backend()
        .buffer()
        .content()
        .iter()
        .any(|c| c.fg != Color::Reset));
}

#[test]
fn mouse_click_selects_and_wheel_scrolls() {
    let mut s = big();
    let text = s.text();
    let y = text
        .lines()
        .position(|l| l.contains(" inventory "))
        .unwrap() as u16;
    let click = |kind, row| MouseEvent {
        kind,
        column: 10,
        row,
        modifiers: KeyModifiers::NONE,
    };
    on_mouse(
        &mut s.app,
        click(MouseEventKind::Down(MouseButton::Left), y),
    );
    s.key(KeyCode::Enter);
    assert!(
        s.text().contains("inventory@example.com"),
        "click selected inventory"
    );
    s.key(KeyCode::Esc);
    let before = s.app.ui.top().selected;
    on_mouse(&mut s.app, click(MouseEventKind::ScrollDown, 5));
    assert_eq!(s.app.ui.top().selected, before + 1);
    on_mouse(&mut s.app, click(MouseEventKind::ScrollUp, 5));
    assert_eq!(s.app.ui.top().selected, before);
}

#[test]
fn contacts_and_attributes_in_the_detail() {
    let mut s = big();
    s.keys("/checkout").key(KeyCode::Enter).key(KeyCode::Enter);
    let text = s.text();
    assert!(
        text.contains("checkout-oncall@example.com · Jane Roe <jane@example.com>"),
        "{text}"
    );
    assert!(text.contains("team: payments · env: prod"), "{text}");
}

#[test]
fn hostile_paths_are_escaped() {
    let mut s = big();
    s.keys("/search").key(KeyCode::Enter).key(KeyCode::Enter);
    let text = s.text();
    assert!(text.contains("/search?q=%1b[31mred"), "{text}");
    let mut s = big();
    let text = s.keys("m").text();
    assert!(text.contains("\\x1b[2J"), "{text}");
}

#[test]
fn a_hundred_thousand_unknown_callers_scroll() {
    let mut s = Screen::new(120, 36, fixtures::large(50, 100_000));
    s.keys("/unknown").key(KeyCode::Enter).key(KeyCode::Enter);
    let text = s.text();
    assert!(
        text.contains("top 100000 of 100,000") || text.contains("of 100,000"),
        "{text}"
    );
    assert!(text.contains("/100,000"), "a position hint: {text}");
    s.key(KeyCode::Char('G'));
    let text = s.text();
    assert!(text.contains("100,000/100,000"), "{text}");
}
