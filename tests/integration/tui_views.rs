//! Snapshot tests of every view: the real `App` driven by key sequences over a deterministic
//! fixture snapshot, drawn on ratatui's `TestBackend` at 120×36 and 80×24.

use kinetop::source::status::PartState;
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

pub(crate) struct Screen {
    pub(crate) app: App,
    terminal: Terminal<TestBackend>,
    theme: Theme,
}

impl Screen {
    pub(crate) fn new(columns: u16, rows: u16, snapshot: Snapshot) -> Screen {
        let mut app = App::new(WIDTHS.to_vec(), (columns, rows), fixtures::NOW_MS);
        app.on_snapshot(Arc::new(snapshot));
        Screen {
            app,
            terminal: Terminal::new(TestBackend::new(columns, rows)).unwrap(),
            theme: Theme::colour(),
        }
    }

    pub(crate) fn keys(&mut self, keys: &str) -> &mut Self {
        for c in keys.chars() {
            self.key(KeyCode::Char(c));
        }
        self
    }

    pub(crate) fn key(&mut self, code: KeyCode) -> &mut Self {
        let outcome = self.app.on_key(KeyEvent::new(code, KeyModifiers::NONE));
        assert!(!outcome.quit, "{code:?} quit");
        self
    }

    pub(crate) fn render(&mut self) -> String {
        let (app, theme) = (&self.app, &self.theme);
        self.terminal.draw(|f| view::draw(f, app, theme)).unwrap();
        self.terminal.backend().to_string()
    }

    pub(crate) fn text(&mut self) -> String {
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

pub(crate) fn big() -> Screen {
    Screen::new(120, 36, fixtures::snapshot())
}

pub(crate) fn small() -> Screen {
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
    let part =
        |name: &str, state: PartState, lag: Option<u64>, records: u64, problem: Option<&str>| {
            PartStatus {
                name: name.into(),
                state,
                lag_ms: lag,
                records,
                problem: problem.map(str::to_string),
                ..PartStatus::default()
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
            part(
                "shardId-000000000000",
                PartState::CaughtUp,
                Some(0),
                120_400,
                None,
            ),
            part(
                "shardId-000000000001",
                PartState::Finished,
                None,
                88_000,
                None,
            ),
            part(
                "shardId-000000000002",
                PartState::BackingOff,
                Some(4_000),
                97_310,
                Some("throttled on shardId-000000000002; backing off 1.6s"),
            ),
            part(
                "shardId-000000000003",
                PartState::Polling,
                Some(95_000),
                40_022,
                None,
            ),
            part(
                "shardId-000000000004",
                PartState::Polling,
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

// ---- Issue 9: the screen never lies. Each at 80×24 and 160×48. ----

const SIZES: [(u16, u16); 2] = [(80, 24), (160, 48)];

/// A copy of `alarms` with a p99 rule in ALARM, a 5xx rule whose values round alike, and an
/// alarm flipping OK ⇄ INSUFFICIENT_DATA on sparse data.
fn alarms_with_units_and_flapping(
    base: &kinetop::core::alarms::AlarmsView,
) -> kinetop::core::alarms::AlarmsView {
    use kinetop::core::alarms::{AlarmState, AlarmStatus, AlarmTransition, RuleSummary};
    let at = |i: i64| fixtures::START + i * fixtures::WIDTH;
    let mut view = base.clone();
    view.statuses.insert(
        0,
        AlarmStatus {
            rule: std::sync::Arc::new(RuleSummary {
                name: "search-slow-p99".into(),
                metric: "p99-latency-us".into(),
                comparison: ">",
                threshold: 1_000_000.0,
                band: None,
                evaluation_periods: 1,
            }),
            application: "search".into(),
            state: AlarmState::Alarm,
            since: Some(at(11)),
            value: Some(1_741_823.0),
            // Slower and slower: the chart draws the three, over the threshold from the second.
            history: [(9, 820_000.0), (10, 1_310_000.0), (11, 1_741_823.0)]
                .into_iter()
                .map(|(i, v)| kinetop::core::alarms::Datapoint {
                    start: at(i),
                    value: Some(v),
                    band: None,
                    breaching: Some(v > 1_000_000.0),
                })
                .collect(),
        },
    );
    view.statuses.push(AlarmStatus {
        rule: std::sync::Arc::new(RuleSummary {
            name: "sparse-batch".into(),
            metric: "requests".into(),
            comparison: "<",
            threshold: 1.0,
            band: None,
            evaluation_periods: 3,
        }),
        application: "reporting".into(),
        state: AlarmState::InsufficientData,
        since: Some(at(9)),
        value: None,
        history: Default::default(),
    });
    let flips: Vec<AlarmTransition> = (2..10)
        .rev()
        .map(|i| AlarmTransition {
            alarm: "sparse-batch".into(),
            application: "reporting".into(),
            state: if i % 2 == 1 {
                AlarmState::InsufficientData
            } else {
                AlarmState::Ok
            },
            previous: if i % 2 == 1 {
                AlarmState::Ok
            } else {
                AlarmState::InsufficientData
            },
            window_start: at(i),
            value: None,
            threshold: 1.0,
            band: None,
        })
        .collect();
    let mut recent = vec![AlarmTransition {
        alarm: "search-slow-p99".into(),
        application: "search".into(),
        state: AlarmState::Alarm,
        previous: AlarmState::Ok,
        window_start: at(11),
        value: Some(1_741_823.0),
        threshold: 1_000_000.0,
        band: None,
    }];
    recent.extend(view.recent.iter().cloned());
    recent.extend(flips);
    view.recent = recent;
    view
}

#[test]
fn alarm_values_keep_their_units_and_states_are_said_plainly() {
    let mut snapshot = fixtures::snapshot();
    snapshot.alarms = Arc::new(alarms_with_units_and_flapping(&snapshot.alarms));
    for (columns, rows) in SIZES {
        let mut s = Screen::new(columns, rows, snapshot.clone());
        let overview = s.text();
        assert!(overview.contains("1.74s > 1.00s"), "{overview}");
        assert!(overview.contains("12% > 5.0%"), "{overview}");
        assert!(
            overview.contains("OK⇄INSUF ×8"),
            "folded flip-flops:\n{overview}"
        );
        assert!(overview.contains("OK→ALARM 1.74s"), "{overview}");
        assert!(!overview.contains("1,741,823"), "{overview}");
        assert_snapshot!(format!("alarm_units_{columns}x{rows}"), s.render());
        s.keys("a");
        let view = s.text();
        assert!(view.contains("INSUFFICIENT_DATA"), "{view}");
        assert!(view.contains("p99-latency-us > 1.00s"), "{view}");
        assert_snapshot!(format!("alarm_view_units_{columns}x{rows}"), s.render());
    }
    // "All alarms OK" only when they are.
    let mut snapshot = fixtures::snapshot();
    let mut view = (*snapshot.alarms).clone();
    for s in &mut view.statuses {
        s.state = kinetop::core::alarms::AlarmState::InsufficientData;
    }
    view.recent.clear();
    snapshot.alarms = Arc::new(view);
    let text = Screen::new(160, 48, snapshot).text();
    assert!(!text.contains("All 4 alarms OK"), "{text}");
    assert!(text.contains("4 INSUFFICIENT_DATA"), "{text}");
}

#[test]
fn the_past_shows_its_own_alarms_and_an_ended_input_says_so() {
    let mut snapshot = fixtures::snapshot();
    snapshot.finished = true;
    for (columns, rows) in SIZES {
        let mut s = Screen::new(columns, rows, snapshot.clone());
        let now = s.text();
        assert!(now.contains("■ ENDED") && !now.contains("LIVE"), "{now}");
        assert!(!now.contains("ev/s"), "no frozen rate:\n{now}");
        // Three windows back (10:40), before checkout-5xx and unknown-flood fired at 10:50.
        s.key(KeyCode::Left).key(KeyCode::Left).key(KeyCode::Left);
        let past = s.text();
        assert!(past.contains("as of 10:40"), "{past}");
        assert!(
            !past.contains("● checkout"),
            "no ALARM mark in the past:\n{past}"
        );
        assert!(
            past.contains("0 ALARM") || !past.contains(" ALARM ·"),
            "{past}"
        );
        assert_snapshot!(format!("past_alarms_{columns}x{rows}"), s.render());
    }
}

/// Payments-like: many status codes, a long path list, buckets in the latency histogram.
fn snapshot_with_many_codes() -> Snapshot {
    let mut snapshot = fixtures::snapshot();
    let last = snapshot.windows.len() - 1;
    let mut window = (*snapshot.windows[last]).clone();
    let app = window
        .apps
        .iter_mut()
        .find(|a| &*a.application == "checkout")
        .unwrap();
    app.status_codes = [
        (200, 700),
        (201, 40),
        (204, 12),
        (301, 5),
        (302, 9),
        (304, 30),
        (400, 8),
        (401, 6),
        (403, 3),
        (404, 20),
        (429, 11),
        (500, 61),
        (502, 40),
        (503, 33),
        (504, 22),
    ]
    .to_vec();
    app.latency = Some(fixtures::latency(app.requests, 40_000, 9_000_000));
    window
        .apps
        .sort_by(|a, b| a.application.cmp(&b.application));
    snapshot.windows[last] = Arc::new(window);
    snapshot
}

#[test]
fn every_panel_is_reachable_scrolls_and_opens_full_screen() {
    for (columns, rows) in SIZES {
        let mut s = Screen::new(columns, rows, snapshot_with_many_codes());
        s.keys("/checkout").key(KeyCode::Enter).key(KeyCode::Enter);
        // Tab to the status codes, then to the bottom of them: 504 is reachable.
        s.key(KeyCode::Tab).keys("G");
        let codes = s.text();
        assert!(codes.contains("504"), "{codes}");
        assert_snapshot!(
            format!("status_codes_scrolled_{columns}x{rows}"),
            s.render()
        );
        // Enter shows the focused panel full screen; Esc comes back.
        s.key(KeyCode::Enter);
        let full = s.text();
        for code in ["200", "429", "500", "502", "503", "504"] {
            assert!(full.contains(code), "{code} missing:\n{full}");
        }
        assert_snapshot!(format!("status_codes_full_{columns}x{rows}"), s.render());
        s.key(KeyCode::Esc);
        assert!(s.text().contains("Callers"), "back to the detail");
        // Paths, user agents, referers, latency, chart: every panel takes the focus in turn,
        // then the callers again.
        s.key(KeyCode::Tab).key(KeyCode::Tab);
        assert!(s.text().contains("User agents"), "user agents next");
        s.key(KeyCode::Tab).key(KeyCode::Tab);
        let latency = s.text();
        assert!(latency.contains("Latency"), "{latency}");
        s.key(KeyCode::Enter);
        assert_snapshot!(format!("latency_panel_full_{columns}x{rows}"), s.render());
        s.key(KeyCode::Esc).key(KeyCode::Tab).key(KeyCode::Tab);
        assert_eq!(s.app.ui.top().panel, kinetop::ui::app::state::Panel::Table);
    }
}

#[test]
fn the_small_latency_histogram_never_hides_buckets_with_requests() {
    let mut s = Screen::new(80, 24, snapshot_with_many_codes());
    s.keys("/checkout").key(KeyCode::Enter).key(KeyCode::Enter);
    let text = s.text();
    assert!(text.contains("buckets a row"), "{text}");
    // The slowest bucket's bound is still on screen (it holds requests).
    assert!(text.contains("≤10.00s"), "{text}");
}

/// Files in the inputs view: path, state, for how long, bytes behind the end, bytes and lines
/// read, problem; long paths shortened from the left.
#[test]
fn the_inputs_view_lists_files() {
    let part =
        |name: &str, state: PartState, behind: Option<u64>, problem: Option<&str>| PartStatus {
            name: name.into(),
            state,
            records: 1_234_567,
            problem: problem.map(str::to_string),
            state_since_ms: Some(fixtures::NOW_MS - 95_000),
            bytes_read: Some(512 * 1024 * 1024),
            bytes_behind: behind,
            ..PartStatus::default()
        };
    let mut snapshot = fixtures::snapshot();
    snapshot.source = SourceStatus {
        name: "access.log, api.log, …".into(),
        parts: 4,
        lag_ms: None,
        records_per_sec: 210.0,
        problem: Some("waiting for /var/log/old/gone.log".into()),
        details: vec![
            part(
                "/var/log/apache2/access.log",
                PartState::Following,
                Some(0),
                None,
            ),
            part(
                "/srv/very/long/directory/names/that/go/on/and/on/api/api.log",
                PartState::Reading,
                Some(96 * 1024 * 1024),
                None,
            ),
            part(
                "/var/log/old/gone.log",
                PartState::Waiting,
                None,
                Some("waiting for /var/log/old/gone.log"),
            ),
            part("/tmp/pipe.log", PartState::WaitingForWriter, None, None),
            part(
                "/var/log/apache2/other.log",
                PartState::Rotated,
                Some(0),
                None,
            ),
            part("-", PartState::Ended, Some(0), None),
        ],
    };
    for (columns, rows) in SIZES {
        let mut s = Screen::new(columns, rows, snapshot.clone());
        s.keys("i");
        let text = s.text();
        assert!(
            text.contains("following") && text.contains("96.0 MiB"),
            "{text}"
        );
        assert!(text.contains("waiting for a writer"), "{text}");
        assert!(
            text.contains("…"),
            "a long path is shortened from the left:\n{text}"
        );
        assert!(text.contains("api/api.log"), "{text}");
        assert_snapshot!(format!("inputs_files_{columns}x{rows}"), s.render());
    }
}

/// At the smallest size the README names, the help scrolls to its last key; the malformed view
/// shows the whole reason and the line number, the path shortened from the left.
#[test]
fn small_terminals_help_scrolls_and_malformed_keeps_reason_and_line() {
    let mut s = Screen::new(60, 16, fixtures::snapshot());
    s.keys("?");
    let first = s.text();
    assert!(
        first.contains("quit") && first.contains("scroll"),
        "{first}"
    );
    s.keys("G");
    let last = s.text();
    assert!(
        last.contains("mouse"),
        "the last help row is reachable:\n{last}"
    );
    assert_snapshot!("help_scrolled_60x16", s.render());

    let mut snapshot = fixtures::snapshot();
    snapshot
        .malformed
        .push(kinetop::pipeline::snapshot::MalformedSample {
            origin: "/var/log/apache2/vhosts/shop.example.com/access.log.2017-01-20:1234567".into(),
            reason: "timestamp out of range: year 20170 is past 9999".into(),
            text: "10.0.0.1 - - [20/Jan/20170:10:00:00 +0000] \"GET / HTTP/1.1\" 200 1".into(),
        });
    for (columns, rows) in SIZES {
        let mut s = Screen::new(columns, rows, snapshot.clone());
        s.keys("m");
        let text = s.text();
        assert!(
            text.contains("timestamp out of range: year 20170 is past 9999"),
            "{text}"
        );
        assert!(text.contains(":1234567"), "{text}");
        assert!(text.contains("…"), "{text}");
        assert_snapshot!(format!("malformed_long_{columns}x{rows}"), s.render());
    }
}

/// Data over two days: the status bar, the chart's axis (labels on window starts, in order) and
/// the alarm times carry the date; the zone is always named.
#[test]
fn dates_and_the_zone_are_on_screen_when_data_spans_days() {
    let mut snapshot = fixtures::snapshot();
    // Twelve one-hour windows from 2017-01-20 18:00 to 2017-01-21 05:00 UTC.
    let base = 1_484_935_200;
    let windows: Vec<_> = snapshot
        .windows
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut w = (**w).clone();
            w.start = base + i as i64 * 3600;
            w.end = w.start + 3600;
            Arc::new(w)
        })
        .collect();
    snapshot.watermark = Some(windows.last().unwrap().start + 1800);
    snapshot.windows = windows;
    snapshot.width_secs = 3600;
    for (columns, rows) in SIZES {
        let mut s = Screen::new(columns, rows, snapshot.clone());
        let text = s.text();
        let bar = text.lines().next().unwrap();
        assert!(bar.contains("UTC") && bar.contains("01-21"), "{bar}");
        assert!(
            text.contains("01-20 18:00"),
            "the axis starts with a date:\n{text}"
        );
        assert!(
            text.contains("01-20 10:50"),
            "alarm times carry the date:\n{text}"
        );
        assert_snapshot!(format!("two_days_{columns}x{rows}"), s.render());
    }
}

/// Issue 14: an application's and a caller's top user agents and referers, reached with Tab
/// (at 80×24 they take the side column while focused; at 160×48 all four side panels show),
/// scrolled, full screen with Enter; a hostile user agent is escaped.
#[test]
fn user_agents_and_referers_panels() {
    for (columns, rows) in SIZES {
        let mut s = Screen::new(columns, rows, fixtures::snapshot());
        s.keys("/unk").key(KeyCode::Enter).key(KeyCode::Enter);
        if columns == 160 {
            let text = s.text();
            assert!(
                text.contains("User agents") && text.contains("Referers"),
                "{text}"
            );
        }
        // Callers → status codes → top paths → user agents.
        s.key(KeyCode::Tab).key(KeyCode::Tab).key(KeyCode::Tab);
        let text = s.text();
        // At 80 columns the side column shows the start of an agent; full screen, all of it.
        let crawler = if columns == 160 {
            "MJ12bot"
        } else {
            "Mozilla/5.0 (compat"
        };
        assert!(text.contains(crawler), "{text}");
        assert!(text.contains("\\x1b[31mred"), "escaped, not raw:\n{text}");
        assert!(!text.contains('\x1b'));
        assert_snapshot!(format!("unknown_user_agents_{columns}x{rows}"), s.render());
        s.key(KeyCode::Tab);
        assert_snapshot!(format!("unknown_referers_{columns}x{rows}"), s.render());
        s.keys("G").key(KeyCode::Enter);
        assert_snapshot!(
            format!("unknown_referers_full_{columns}x{rows}"),
            s.render()
        );

        // A caller's own: its detail opens on the status codes; two Tabs reach its agents.
        let mut s = Screen::new(columns, rows, fixtures::snapshot());
        s.keys("/search")
            .key(KeyCode::Enter)
            .key(KeyCode::Enter)
            .key(KeyCode::Enter);
        s.key(KeyCode::Tab).key(KeyCode::Tab);
        let text = s.text();
        assert!(text.contains("python-requests/2.31.0"), "{text}");
        assert_snapshot!(format!("caller_user_agents_{columns}x{rows}"), s.render());
        s.key(KeyCode::Tab);
        let text = s.text();
        assert!(
            text.contains("https://shop.example.com/search?q=shoes"),
            "{text}"
        );
    }
}
