//! The shipped default rules against the demo's traffic, at window widths of 10 s, 1 min and
//! 5 min: every incident fires its alarm for its application, and nothing else fires.
//!
//! The windows are summarized here from the generated lines (requests, 5xx, p99 per caller's
//! application), so this checks the rules and the demo's scripted incidents, not the aggregator.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use kinetop::core::alarms::{AlarmEngine, AlarmState};
use kinetop::core::{AppWindow, LatencySummary, StatusClasses, WindowSummary};
use kinetop::source::demo::{DemoConfig, DemoGenerator, Incident, ERROR_APP, FLOOD_APP, SLOW_APP};

/// A cycle start (a multiple of 15 min): 2025-11-24T16:00:00Z.
const START_MS: i64 = 1_764_000_000_000;
const CYCLES: i64 = 2;
const SLICE_MS: i64 = 10_000;

#[derive(Default, Clone)]
struct Cell {
    requests: u64,
    c4xx: u64,
    c5xx: u64,
    latencies: Vec<u64>,
}

/// (status, latency µs) of a combined_D line.
fn status_and_latency(line: &str) -> Option<(u16, u64)> {
    let latency = line.rsplit(' ').next()?.parse().ok()?;
    let request = &line[line.find("] \"")? + 3..];
    let bytes = request.as_bytes();
    let mut i = 0;
    while i < bytes.len() && bytes[i] != b'"' {
        i += if bytes[i] == b'\\' { 2 } else { 1 };
    }
    let status = request.get(i + 1..)?.trim_start().get(..3)?.parse().ok()?;
    Some((status, latency))
}

/// Per 10 s slice, per application: what the demo generated.
fn generate() -> (DemoGenerator, Vec<BTreeMap<String, Cell>>) {
    let mut app_of: HashMap<&str, &str> = HashMap::new();
    for app in DemoGenerator::applications() {
        for host in DemoGenerator::callers(app) {
            app_of.insert(host, app);
        }
    }
    let mut demo = DemoGenerator::new(DemoConfig {
        hostile_rate: 0.0,
        ..DemoConfig::default()
    });
    let end = START_MS + CYCLES * 900_000;
    let mut slices = Vec::new();
    let mut buf = Vec::new();
    let mut t = START_MS;
    while t < end {
        buf.clear();
        demo.lines_between(t, t + SLICE_MS, &mut buf);
        let mut cells: BTreeMap<String, Cell> = BTreeMap::new();
        for line in String::from_utf8_lossy(&buf).lines() {
            let host = line.split(' ').next().unwrap();
            let app = app_of.get(host).copied().unwrap_or("unknown");
            let (status, latency) =
                status_and_latency(line).unwrap_or_else(|| panic!("unparsed: {line}"));
            let cell = cells.entry(app.to_string()).or_default();
            cell.requests += 1;
            cell.c4xx += u64::from((400..500).contains(&status));
            cell.c5xx += u64::from((500..600).contains(&status));
            cell.latencies.push(latency);
        }
        slices.push(cells);
        t += SLICE_MS;
    }
    (demo, slices)
}

fn window(start_ms: i64, width_ms: i64, cells: &BTreeMap<String, Cell>) -> WindowSummary {
    let apps = cells
        .iter()
        .map(|(name, cell)| {
            let mut lat = cell.latencies.clone();
            lat.sort_unstable();
            let at = |q: f64| lat[((q * lat.len() as f64).ceil() as usize).clamp(1, lat.len()) - 1];
            let mut status = StatusClasses::default();
            status.add(200, cell.requests - cell.c4xx - cell.c5xx);
            status.add(404, cell.c4xx);
            status.add(500, cell.c5xx);
            AppWindow {
                application: Arc::from(name.as_str()),
                requests: cell.requests,
                bytes: 0,
                status,
                status_codes: Vec::new(),
                hosts: 1,
                hosts_exact: true,
                latency: Some(LatencySummary {
                    count: lat.len() as u64,
                    min: lat[0],
                    p50: at(0.5),
                    p90: at(0.9),
                    p99: at(0.99),
                    max: lat[lat.len() - 1],
                    mean: 0.0,
                    buckets: Vec::new(),
                }),
                top_paths: Vec::new(),
                top_callers: Vec::new(),
                agents: Default::default(),
            }
        })
        .collect();
    WindowSummary {
        relays: None,
        start: start_ms / 1000,
        end: (start_ms + width_ms) / 1000,
        is_final: true,
        apps,
    }
}

/// The windows of `width_ms` made of the slices.
fn windows(slices: &[BTreeMap<String, Cell>], width_ms: i64) -> Vec<WindowSummary> {
    let per = (width_ms / SLICE_MS) as usize;
    slices
        .chunks(per)
        .enumerate()
        .map(|(i, chunk)| {
            let mut merged: BTreeMap<String, Cell> = BTreeMap::new();
            for cells in chunk {
                for (app, c) in cells {
                    let m = merged.entry(app.clone()).or_default();
                    m.requests += c.requests;
                    m.c4xx += c.c4xx;
                    m.c5xx += c.c5xx;
                    m.latencies.extend_from_slice(&c.latencies);
                }
            }
            window(START_MS + i as i64 * width_ms, width_ms, &merged)
        })
        .collect()
}

/// What can cause an alarm, with which occurrence: incidents per 15 min cycle, scanner bursts
/// per 3 min.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Cause {
    Flood(i64),
    ServerErrors(i64),
    LatencyTail(i64),
    ScannerBurst(i64),
}

impl Cause {
    fn kind(self) -> &'static str {
        match self {
            Cause::Flood(_) => "flood",
            Cause::ServerErrors(_) => "5xx",
            Cause::LatencyTail(_) => "latency",
            Cause::ScannerBurst(_) => "scanner",
        }
    }
}

fn causes_in(demo: &DemoGenerator, start_ms: i64, width_ms: i64) -> Vec<Cause> {
    let mut causes = Vec::new();
    let mut t = start_ms;
    while t < start_ms + width_ms {
        let cycle = t.div_euclid(900_000);
        causes.extend(demo.incident_at(t).map(|incident| match incident {
            Incident::Flood => Cause::Flood(cycle),
            Incident::ServerErrors => Cause::ServerErrors(cycle),
            Incident::LatencyTail => Cause::LatencyTail(cycle),
        }));
        // The scanner bursts for 20 s every 3 min.
        if t.rem_euclid(180_000) < 20_000 {
            causes.push(Cause::ScannerBurst(t.div_euclid(180_000)));
        }
        t += 1000;
    }
    causes.sort();
    causes.dedup();
    causes
}

#[test]
fn default_rules_fire_on_the_demo_incidents_and_nothing_else() {
    let (demo, slices) = generate();
    // rule → (application, kind of cause)
    let expected_alarm = |rule: &str| match rule {
        "traffic-flood" => (FLOOD_APP, "flood"),
        "5xx-errors" => (ERROR_APP, "5xx"),
        "search-slow-p99" => (SLOW_APP, "latency"),
        "unknown-callers" => ("unknown", "scanner"),
        other => panic!("a default rule this test does not know: {other}"),
    };
    let rules = kinetop::config::default_alarm_rules();
    for width_ms in [10_000, 60_000, 300_000] {
        let secs = width_ms / 1000;
        let mut engine = AlarmEngine::new(rules.clone(), secs);
        let mut seen: Vec<Vec<Cause>> = Vec::new();
        let mut all_causes: Vec<Cause> = Vec::new();
        // Causes whose alarm fired.
        let mut fired: Vec<Cause> = Vec::new();
        for w in windows(&slices, width_ms) {
            engine.evaluate(&w);
            seen.push(causes_in(&demo, w.start * 1000, width_ms));
            all_causes.extend(seen.last().unwrap());
            for status in engine.view().statuses {
                if status.state != AlarmState::Alarm {
                    continue;
                }
                let (app, kind) = expected_alarm(&status.rule.name);
                assert_eq!(
                    &*status.application, app,
                    "{secs}s windows: {} fired for {} at {} (value {:?})",
                    status.rule.name, status.application, w.start, status.value
                );
                // The cause is under way in one of the windows the alarm looks at.
                let n = rules
                    .iter()
                    .find(|r| r.name == status.rule.name)
                    .unwrap()
                    .evaluation_periods;
                let recent: Vec<Cause> = seen.iter().rev().take(n).flatten().copied().collect();
                let causes: Vec<Cause> = recent.into_iter().filter(|c| c.kind() == kind).collect();
                assert!(
                    !causes.is_empty(),
                    "{secs}s windows: {} fired at {} without a {kind} (value {:?})",
                    status.rule.name,
                    w.start,
                    status.value
                );
                fired.extend(causes);
            }
        }
        all_causes.sort();
        all_causes.dedup();
        fired.sort();
        fired.dedup();
        // Every incident fires at every width; the scanner's 20 s bursts vanish in 5 min averages.
        let expected: Vec<Cause> = all_causes
            .into_iter()
            .filter(|c| width_ms < 300_000 || c.kind() != "scanner")
            .collect();
        assert_eq!(fired, expected, "{secs}s windows");
        assert!(expected.len() >= 3 * CYCLES as usize, "{expected:?}");
    }
}
