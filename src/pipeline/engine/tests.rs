use super::snapshots::windows_until_now;
use super::*;
use crate::enrich::{MetadataTable, SharedTable};
use crate::parse::{LogFormat, Preset};
use crate::pipeline::parse_stage::LineParser;
use crate::source::{Payload, RawBatch};

#[test]
fn silence_past_the_newest_window_shows_an_empty_window_for_now() {
    let mut aggregator = Aggregator::new(WindowConfig {
        width_secs: 300,
        lateness_secs: 60,
        external_watermark: true,
        ..WindowConfig::default()
    });
    aggregator.record(&crate::core::Hit {
        time: 10,
        application: "checkout",
        client: "10.0.0.1",
        method: "GET",
        path: "/",
        status: 200,
        bytes: 1,
        latency_us: None,
        user_agent: None,
        referer: None,
    });
    aggregator.advance(299);
    let starts = |w: &[Arc<WindowSummary>]| w.iter().map(|w| w.start).collect::<Vec<_>>();
    assert_eq!(starts(&windows_until_now(&aggregator, Vec::new())), [0]);
    // Time moved on by the wall clock into the next window, and nothing arrived.
    aggregator.advance(1_000);
    let windows = windows_until_now(&aggregator, Vec::new());
    assert_eq!(starts(&windows), [0, 900]);
    let now = windows.last().unwrap();
    assert!(now.apps.is_empty() && !now.is_final && now.end == 1_200);
}

/// A combined-format parser over `table`, and an engine keeping `widths` (5-minute primary,
/// 60 s lateness, an external watermark as the pipeline sets it).
fn parser_and_engine(table: MetadataTable, widths: &[i64]) -> (LineParser, Engine) {
    let parser = LineParser::new(
        Some(LogFormat::preset(Preset::Combined)),
        SharedTable::new(table),
    );
    let (_tx, metadata) = watch::channel(crate::enrich::metadata::no_metadata_status());
    let inputs = EngineInputs {
        commands: None,
        metadata,
    };
    let base = WindowConfig {
        external_watermark: true,
        ..WindowConfig::default()
    };
    let engine = Engine::new(&base, widths, 300, "test".into(), inputs);
    (parser, engine)
}

/// Collects what a headless run writes.
#[derive(Clone, Default)]
struct Collected(Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Collected {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// Runs `text` through the parse stage and the engine (one origin, 5-minute windows, 60 s
/// lateness) in the given chunks, as the pipeline would; returns the JSON Lines written.
fn run_chunked(text: &[u8], cuts: &[usize]) -> String {
    run_in_range(text, cuts, TimeRange::default())
}

/// [`run_chunked`] with `--since` / `--until`.
fn run_in_range(text: &[u8], cuts: &[usize], range: TimeRange) -> String {
    let (mut parser, mut engine) = parser_and_engine(MetadataTable::empty(), &[300]);
    engine.set_range(range);
    let out = Collected::default();
    engine.add_sink(Box::new(crate::pipeline::sink::JsonLinesSink::new(
        out.clone(),
    )));
    let (tx, rx) = crossbeam_channel::unbounded();
    let origin: Arc<str> = Arc::from("access.log");
    let mut from = 0;
    for &cut in cuts.iter().chain(std::iter::once(&text.len())) {
        let to = line_end_at_or_after(text, cut.max(from));
        if to > from {
            let batch = RawBatch {
                origin: origin.clone(),
                first_line: 0,
                received_ms: 1_800_000_000_000,
                payload: Payload::Lines(text[from..to].to_vec()),
            };
            tx.send(StageMsg::Batch(parser.parse_batch(&batch)))
                .unwrap();
        }
        from = to;
    }
    tx.send(StageMsg::AllFinished).unwrap();
    engine.run(rx).unwrap();
    let bytes = out.0.lock().unwrap().clone();
    String::from_utf8(bytes).unwrap()
}

fn line_end_at_or_after(text: &[u8], at: usize) -> usize {
    match memchr::memchr(b'\n', &text[at.min(text.len())..]) {
        Some(i) => at + i + 1,
        None => text.len(),
    }
}

fn line(time: &str, status: u16) -> String {
    format!(
        "10.0.0.{} - - [20/Jan/2017:{time} +0000] \"GET /a HTTP/1.1\" {status} 10 \"-\" \"t\"\n",
        status % 7
    )
}

fn summary(out: &str) -> serde_json::Value {
    serde_json::from_str(out.lines().last().unwrap()).unwrap()
}

/// The issue's example, scaled down: lines alternating 10:10 / 10:00 (10:10 first), 5-minute
/// windows, 60 s lateness. Every 10:00 line is late, however the bytes are cut.
#[test]
fn lateness_is_decided_per_event_whatever_the_chunking() {
    let text: String = (0..20_000)
        .map(|i| {
            if i % 2 == 0 {
                line("10:10:00", 200)
            } else {
                line("10:00:00", 500)
            }
        })
        .collect();
    let whole = run_chunked(text.as_bytes(), &[]);
    assert_eq!(summary(&whole)["late"], 10_000, "{whole}");
    assert_eq!(summary(&whole)["parsed"], 20_000);
    for step in [1, 97, 4096, 65_536] {
        let cuts: Vec<usize> = (step..text.len()).step_by(step).collect();
        assert_eq!(
            run_chunked(text.as_bytes(), &cuts),
            whole,
            "chunks of {step} bytes"
        );
    }
}

/// One line a day ahead and one in year 9999 among ordinary lines: no ordinary line is late, the
/// far one is refused as `future`, the day-ahead one is counted in its own window.
#[test]
fn one_wild_timestamp_makes_nothing_late() {
    let mut text = String::new();
    for i in 0..600 {
        let time = format!("10:{:02}:{:02}", i / 60, i % 60);
        text.push_str(&line(&time, 200));
        if i == 100 {
            text.push_str(&line("10:01:40", 200).replace("20/Jan/2017", "21/Jan/2017"));
            text.push_str(&line("10:01:40", 200).replace("20/Jan/2017", "31/Dec/9999"));
        }
    }
    let out = run_chunked(text.as_bytes(), &[]);
    let s = summary(&out);
    assert_eq!(s["late"], 0, "{out}");
    assert_eq!(s["future"], 1, "{out}");
    assert_eq!(s["parsed"], 602);
    assert!(out.contains(r#""start":"2017-01-21T10:00:00Z""#), "{out}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Shuffled times within a few minutes, some far behind, cut at random places: the windows,
    /// alarms and counts are the same as reading it whole.
    #[test]
    fn any_chunking_gives_identical_output(
        times in proptest::collection::vec(0u32..3_600, 1..400),
        cuts in proptest::collection::vec(0usize..40_000, 0..20),
    ) {
        let text: String = times
            .iter()
            .map(|t| line(&format!("{:02}:{:02}:{:02}", 9 + t / 3600, (t / 60) % 60, t % 60), 200 + (*t % 4) as u16 * 100))
            .collect();
        let mut cuts = cuts;
        cuts.sort_unstable();
        proptest::prop_assert_eq!(run_chunked(text.as_bytes(), &cuts), run_chunked(text.as_bytes(), &[]));
    }
}

/// `--since` / `--until`: lines outside are counted, not windowed, whatever the chunking; a line
/// after `--until` still moves event time (it closes the windows before it).
#[test]
fn lines_outside_since_until_are_counted_not_windowed() {
    // 2017-01-20T10:05:00Z .. 10:10:00Z
    let since = 1_484_906_700_000;
    let range = TimeRange::new(Some(since), Some(since + 300_000)).unwrap();
    let text: String = [
        line("10:04:59", 200),
        line("10:05:00", 200),
        line("10:09:59", 500),
        line("10:10:00", 200),
        line("10:20:00", 200),
        line("10:20:01", 200),
        line("10:04:00", 200),
    ]
    .concat();
    let whole = run_in_range(text.as_bytes(), &[], range);
    for cuts in [vec![10], vec![100, 300, 500]] {
        assert_eq!(run_in_range(text.as_bytes(), &cuts, range), whole);
    }
    let s = summary(&whole);
    assert_eq!(
        (
            &s["parsed"],
            &s["before_since"],
            &s["after_until"],
            &s["late"]
        ),
        (
            &serde_json::json!(7),
            &serde_json::json!(2),
            &serde_json::json!(3),
            &serde_json::json!(0)
        ),
        "{s}"
    );
    let windows: Vec<serde_json::Value> = whole
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .filter(|v: &serde_json::Value| v["type"] == "window")
        .collect();
    assert_eq!(windows.len(), 1);
    assert_eq!(windows[0]["start"], "2017-01-20T10:05:00Z");
    assert_eq!(windows[0]["requests"], 2);
    assert_eq!(windows[0]["status"]["5xx"], 1);
}

#[test]
fn recent_requests_keep_raw_lines_inside_the_range_only_when_asked() {
    let table = SharedTable::new(MetadataTable::empty());
    let text = format!(
        "{}{}{}",
        line("10:00:01", 200),
        line("10:00:02", 503),
        line("10:09:00", 200)
    );
    let batch = RawBatch {
        origin: Arc::from("access.log"),
        first_line: 1,
        received_ms: 1_800_000_000_000,
        payload: Payload::Lines(text.into_bytes()),
    };
    let engine_with = |raw: bool| {
        let (_tx, metadata) = watch::channel(crate::enrich::metadata::no_metadata_status());
        let inputs = EngineInputs {
            commands: None,
            metadata,
        };
        let mut engine = Engine::new(&WindowConfig::default(), &[300], 300, "t".into(), inputs);
        // Before 10:05 only.
        engine.set_range(TimeRange {
            since_ms: None,
            until_ms: Some(1_484_906_700_000),
        });
        let mut parser = LineParser::new(Some(LogFormat::preset(Preset::Combined)), table.clone())
            .with_raw_lines(raw);
        engine.apply(parser.parse_batch(&batch));
        engine.recent.view()
    };
    let recent = engine_with(true);
    let ring = &recent[crate::enrich::UNKNOWN];
    let kept: Vec<(u16, &str)> = ring.newest_first().map(|r| (r.status, &*r.line)).collect();
    assert_eq!(
        kept.len(),
        2,
        "the line after --until is not kept: {kept:?}"
    );
    assert_eq!(kept[0].0, 503);
    assert_eq!(kept[0].1, line("10:00:02", 503).trim_end());
    assert!(engine_with(false).is_empty(), "no raw lines, no rings");
}

/// An engine keeping the TUI's widths with `apps` applications, one host each, fed `lines`
/// lines spread over two hours (each application seen every `apps` lines).
fn engine_with_many_apps(apps: usize, lines: usize) -> Engine {
    let mut csv = String::from("host,application\n");
    let host = |i: usize| format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255);
    for i in 0..apps {
        csv.push_str(&format!("{},app-{i:06}\n", host(i)));
    }
    let table = MetadataTable::from_csv(csv.as_bytes(), "m.csv").unwrap();
    let (mut parser, mut engine) = parser_and_engine(table, &crate::pipeline::TUI_WIDTHS);
    let origin: Arc<str> = Arc::from("access.log");
    let mut text = String::new();
    for n in 0..lines {
        let t = 7_200 * n / lines;
        text.push_str(&format!(
            "{} - - [20/Jan/2017:1{}:{:02}:{:02} +0000] \"GET /a HTTP/1.1\" 200 10 \"-\" \"t\"\n",
            host(n % apps),
            t / 3600,
            t / 60 % 60,
            t % 60
        ));
        if n % 10_000 == 9_999 || n + 1 == lines {
            let batch = RawBatch {
                origin: origin.clone(),
                first_line: 0,
                received_ms: 1_800_000_000_000,
                payload: Payload::Lines(std::mem::take(&mut text).into_bytes()),
            };
            engine.apply(parser.parse_batch(&batch));
        }
    }
    engine
}

#[test]
fn a_few_thousand_applications_keep_every_width() {
    let engine = engine_with_many_apps(2_000, 40_000);
    let (kept, given_up) = engine.kept_widths();
    assert_eq!(kept, crate::pipeline::TUI_WIDTHS);
    assert!(given_up.is_empty());
}

#[test]
fn a_width_whose_hits_mostly_open_a_row_of_their_own_is_given_up() {
    // 150,000 lines over two hours (~21 a second) from 8,000 applications: at 10s and 1m
    // nearly every request opens its own (window, application) row; at 15m and 1h few do, and
    // the open rows stay under the memory bound.
    let engine = engine_with_many_apps(8_000, 150_000);
    let (kept, given_up) = engine.kept_widths();
    assert!(
        given_up.contains(&10) && given_up.contains(&60),
        "{given_up:?}"
    );
    assert_eq!(kept, [300, 900, 3_600]);
}

#[test]
fn few_applications_keep_every_width_past_the_churn_threshold() {
    let engine = engine_with_many_apps(20, super::widths::CHURN_MIN_HITS as usize + 10_000);
    let (kept, given_up) = engine.kept_widths();
    assert_eq!(kept, crate::pipeline::TUI_WIDTHS);
    assert!(given_up.is_empty());
}

#[test]
fn with_too_many_applications_the_widest_extra_widths_are_given_up_never_the_primary() {
    let mut engine = engine_with_many_apps(40_000, 120_000);
    let (kept, given_up) = engine.kept_widths();
    assert!(kept.contains(&300), "the primary width stays: {kept:?}");
    assert!(given_up.contains(&3_600), "1h held the most: {given_up:?}");
    let held: usize = (0..engine.aggregators.len())
        .filter(|&i| i != engine.primary && engine.kept[i])
        .map(|i| engine.aggregators[i].open_apps())
        .sum();
    assert!(held <= super::widths::EXTRA_WIDTHS_OPEN_APPS, "{held}");
    // A given-up width cannot be selected, and what is selected is always kept.
    let (tx, rx) = mpsc::unbounded_channel();
    engine.inputs.commands = Some(rx);
    tx.send(EngineCommand::SetWidth(3_600)).unwrap();
    engine.handle_commands();
    assert!(engine.kept[engine.selected]);
    assert_eq!(engine.aggregators[engine.selected].config().width_secs, 300);
    // Nothing more is recorded into a given-up width.
    let i = engine
        .aggregators
        .iter()
        .position(|a| a.config().width_secs == 3_600)
        .unwrap();
    assert_eq!(engine.aggregators[i].open_apps(), 0);
    assert!(engine.aggregators[i].windows().is_empty());
}
