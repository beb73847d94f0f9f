//! Deterministic snapshots (fixed times, fixed numbers) for the UI's snapshot tests and render
//! benchmark. Not used by the running program.
#![doc(hidden)]

use std::sync::Arc;

use crate::core::alarms::{
    AlarmHistory, AlarmState, AlarmStatus, AlarmTransition, AlarmsView, Datapoint, RuleSummary,
};
use crate::core::{
    AppWindow, CallerSummary, Counted, LatencySummary, StatusClasses, TopAgents, WindowSummary,
};
use crate::enrich::MetadataTable;
use crate::pipeline::recent::{RecentByApp, RecentKeeper, RecentRequest};
use crate::pipeline::snapshot::{
    Counters, MalformedSample, MetadataStatus, Snapshot, SourceStatus,
};

/// 2017-01-20T10:00:00Z: the first window of the fixture.
pub const START: i64 = 1_484_906_400;
pub const WIDTH: i64 = 300;
/// Windows in the fixture's history (the last one open).
pub const WINDOWS: usize = 12;
/// The fixture's wall clock: 30 s after the last window started, in milliseconds.
pub const NOW_MS: i64 = (START + (WINDOWS as i64 - 1) * WIDTH + 30) * 1000;

const METADATA_CSV: &str = "\
host,application,contact,team,env
10.0.1.0/24,checkout,checkout-oncall@example.com,payments,prod
10.0.1.99,checkout,Jane Roe <jane@example.com>,payments,prod
10.0.2.0/24,search,search-team@example.com,discovery,prod
10.0.3.0/24,inventory,inventory@example.com,logistics,prod
10.0.4.0/24,reporting,bi@example.com,analytics,batch
";

/// The fixture metadata (through the real CSV loader, so contacts and attributes are real).
pub fn metadata() -> Arc<MetadataTable> {
    Arc::new(
        MetadataTable::from_csv(METADATA_CSV.as_bytes(), "fixtures/metadata.csv")
            .expect("fixture metadata is valid"),
    )
}

/// Latency around `median` µs with a tail to `max`; buckets in 1-2-5 steps.
pub fn latency(count: u64, median: u64, max: u64) -> LatencySummary {
    let mut buckets = Vec::new();
    let mut bound = 100u64;
    let steps = [2u64, 5, 10];
    let mut decade = 100u64;
    let mut step = 0;
    while bound < max.max(1) * 2 {
        let share = if bound < median / 4 {
            0
        } else if bound <= median {
            count / 4
        } else if bound <= median * 4 {
            count / 8
        } else {
            count / 50 + 1
        };
        buckets.push((bound, share.min(count)));
        if bound >= max {
            break;
        }
        bound = decade * steps[step];
        step += 1;
        if step == 3 {
            step = 0;
            decade *= 10;
        }
    }
    LatencySummary {
        count,
        min: median / 5,
        p50: median,
        p90: median * 3,
        p99: (median * 8).min(max),
        max,
        mean: median as f64 * 1.4,
        buckets,
    }
}

fn status(codes: &[(u16, u64)]) -> StatusClasses {
    let mut s = StatusClasses::default();
    for &(code, n) in codes {
        s.add(code, n);
    }
    s
}

fn counted(key: &str, count: u64) -> Counted {
    Counted {
        key: key.into(),
        count,
        error: 0,
    }
}

/// One caller with `requests`, `err5` of them 500s.
pub fn caller(host: &str, requests: u64, err5: u64, median: u64) -> CallerSummary {
    let codes: Vec<(u16, u64)> = [
        (200, requests - err5 - requests / 20),
        (404, requests / 20),
        (500, err5),
    ]
    .into_iter()
    .filter(|&(_, n)| n > 0)
    .collect();
    CallerSummary {
        host: host.into(),
        requests,
        error: 0,
        bytes: requests * 2_345,
        status: status(&codes),
        status_codes: codes,
        latency: Some(latency(requests, median, median * 20)),
        top_paths: vec![
            counted("/api/cart", requests / 2),
            counted("/api/items?id=42", requests / 4),
            counted("/healthz", requests / 8),
        ],
        agents: caller_agents(host, requests),
    }
}

/// The user agent and referer a fixture caller sends, by its address: services, scripts, a
/// crawler, a browser, no agent at all, and one trying to colour the terminal.
fn agent_of(host: &str) -> (&'static str, &'static str) {
    match host {
        h if h.starts_with("10.0.1.") => ("Go-http-client/1.1", "-"),
        h if h.starts_with("10.0.2.") => (
            "python-requests/2.31.0",
            "https://shop.example.com/search?q=shoes",
        ),
        h if h.starts_with("10.0.3.") => ("inventory-sync/1.4 (+ops@example.com)", "-"),
        "203.0.113.77" => (
            "Mozilla/5.0 (compatible; MJ12bot/v1.4.8; http://mj12bot.com/)",
            "-",
        ),
        "198.51.100.23" => ("curl/8.5.0", "http://spam.example/?ref=\"x\""),
        h if h.starts_with("evil") => ("\x1b[31mred\x1b[0m \u{1b}]0;title\u{7}agent", "-"),
        h if h.starts_with("2001:") => (
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
             Chrome/120.0.0.0 Safari/537.36",
            "https://www.example.org/links.html",
        ),
        _ => ("-", "-"),
    }
}

fn caller_agents(host: &str, requests: u64) -> TopAgents {
    let (agent, referer) = agent_of(host);
    TopAgents {
        user_agents: vec![counted(agent, requests)],
        referers: vec![counted(referer, requests)],
    }
}

/// An application's top agents: its callers' added up, by count descending.
fn app_agents(callers: &[CallerSummary]) -> TopAgents {
    let add_up = |pick: fn(&TopAgents) -> &Vec<Counted>| {
        let mut all: Vec<Counted> = Vec::new();
        for c in callers.iter().flat_map(|c| pick(&c.agents)) {
            match all.iter_mut().find(|a| a.key == c.key) {
                Some(a) => a.count += c.count,
                None => all.push(c.clone()),
            }
        }
        all.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key.cmp(&b.key)));
        all
    };
    TopAgents {
        user_agents: add_up(|a| &a.user_agents),
        referers: add_up(|a| &a.referers),
    }
}

/// An application window from its callers.
pub fn app(
    name: &str,
    callers: Vec<CallerSummary>,
    median: u64,
    paths: &[(&str, u64)],
) -> AppWindow {
    let requests: u64 = callers.iter().map(|c| c.requests).sum();
    let mut codes: Vec<(u16, u64)> = Vec::new();
    for c in &callers {
        for &(code, n) in &c.status_codes {
            match codes.iter_mut().find(|(k, _)| *k == code) {
                Some((_, m)) => *m += n,
                None => codes.push((code, n)),
            }
        }
    }
    codes.sort();
    AppWindow {
        application: name.into(),
        requests,
        bytes: callers.iter().map(|c| c.bytes).sum(),
        status: status(&codes),
        status_codes: codes,
        hosts: callers.len() as u64,
        hosts_exact: true,
        latency: (requests > 0).then(|| latency(requests, median, median * 40)),
        top_paths: paths.iter().map(|&(p, n)| counted(p, n)).collect(),
        agents: app_agents(&callers),
        top_callers: callers,
    }
}

/// Window `i` of the fixture: steady traffic, checkout's 5xx spike from window 9, a flood of
/// unknown callers in the last windows, search slowing down.
pub fn window(i: usize) -> WindowSummary {
    let k = i as u64;
    let spike = if i >= 9 { 40 + 10 * k } else { 1 };
    let unknown_flood = if i >= 10 { 900 } else { 60 + 5 * k };
    let mut apps = vec![
        app(
            "checkout",
            vec![
                caller("10.0.1.12", 420 + 7 * k, spike, 38_000),
                caller("10.0.1.13", 380 + 5 * k, spike / 2, 41_000),
                caller("10.0.1.99", 95, 0, 35_000),
            ],
            39_000,
            &[
                ("/api/cart", 450),
                ("/api/checkout", 310),
                ("/api/pay", 120),
            ],
        ),
        app(
            "search",
            vec![
                caller("10.0.2.21", 610 + 11 * k, 0, 12_000 + 2_000 * k),
                caller("10.0.2.22", 590, 1, 12_500),
            ],
            12_000 + 2_000 * k,
            &[
                ("/search?q=shoes", 700),
                ("/search?q=%1b[31mred", 90),
                ("/suggest", 60),
            ],
        ),
        app(
            "inventory",
            vec![caller("10.0.3.5", 150 + 3 * k, 0, 5_000)],
            5_000,
            &[("/stock", 120), ("/reserve", 40)],
        ),
        app(
            "unknown",
            vec![
                caller("203.0.113.77", unknown_flood, 0, 2_000),
                caller("198.51.100.23", 40, 0, 9_000),
                caller("evil\x1b]0;pwned\x07.example", 3, 0, 9_000),
                caller("2001:db8::bad:cafe", 12, 0, 15_000),
            ],
            2_500,
            &[("/wp-login.php", 600), ("/.env", 250), ("/", 40)],
        ),
    ];
    if i < 8 {
        // Reporting only ran early: it shows as a silent row later.
        apps.push(app(
            "reporting",
            vec![caller("10.0.4.2", 30, 0, 250_000)],
            250_000,
            &[("/export", 30)],
        ));
    }
    apps.sort_by(|a, b| a.application.cmp(&b.application));
    let start = START + i as i64 * WIDTH;
    WindowSummary {
        relays: None,
        start,
        end: start + WIDTH,
        is_final: i + 1 < WINDOWS,
        apps,
    }
}

fn alarms() -> AlarmsView {
    let at = |i: usize| START + i as i64 * WIDTH;
    // The last three windows' datapoints, judged against the threshold as the engine does.
    let history = |values: [Option<f64>; 3], threshold: f64| -> AlarmHistory {
        values
            .iter()
            .enumerate()
            .map(|(j, value)| Datapoint {
                start: at(8 + j),
                value: *value,
                band: None,
                breaching: value.map(|v| v > threshold),
            })
            .collect()
    };
    // Threshold rules (`>`) over three datapoints.
    let rule = |name: &str, metric: &str, threshold: f64| {
        Arc::new(RuleSummary {
            name: name.into(),
            metric: metric.into(),
            comparison: ">",
            threshold,
            band: None,
            evaluation_periods: 3,
        })
    };
    AlarmsView {
        statuses: vec![
            AlarmStatus {
                rule: rule("checkout-5xx", "error-rate-5xx", 0.05),
                application: "checkout".into(),
                state: AlarmState::Alarm,
                since: Some(at(10)),
                value: Some(0.118),
                history: history([Some(0.002), Some(0.064), Some(0.118)], 0.05),
            },
            AlarmStatus {
                rule: rule("unknown-flood", "requests", 500.0),
                application: "unknown".into(),
                state: AlarmState::Alarm,
                since: Some(at(10)),
                value: Some(955.0),
                history: history([Some(111.0), Some(955.0), Some(955.0)], 500.0),
            },
            AlarmStatus {
                rule: rule("p99-latency", "p99-latency-us", 500_000.0),
                application: "search".into(),
                state: AlarmState::Ok,
                since: Some(at(2)),
                value: Some(176_000.0),
                history: history(
                    [Some(160_000.0), Some(168_000.0), Some(176_000.0)],
                    500_000.0,
                ),
            },
            AlarmStatus {
                rule: rule("p99-latency", "p99-latency-us", 500_000.0),
                application: "reporting".into(),
                state: AlarmState::InsufficientData,
                since: None,
                value: None,
                history: history([None, None, None], 500_000.0),
            },
        ],
        recent: vec![
            AlarmTransition {
                alarm: "unknown-flood".into(),
                application: "unknown".into(),
                state: AlarmState::Alarm,
                previous: AlarmState::Ok,
                window_start: at(10),
                value: Some(955.0),
                threshold: 500.0,
                band: None,
            },
            AlarmTransition {
                alarm: "checkout-5xx".into(),
                application: "checkout".into(),
                state: AlarmState::Alarm,
                previous: AlarmState::Ok,
                window_start: at(10),
                value: Some(0.118),
                threshold: 0.05,
                band: None,
            },
        ],
        width_secs: WIDTH,
    }
}

/// The standard fixture: 12 windows of 5 minutes, alarms firing, malformed samples.
pub fn snapshot() -> Snapshot {
    Snapshot {
        seq: 42,
        taken_at_ms: NOW_MS,
        width_secs: WIDTH,
        widths: Vec::new(),
        widths_given_up: Vec::new(),
        windows: (0..WINDOWS).map(|i| Arc::new(window(i))).collect(),
        detail_from: None,
        history_dropped: 0,
        watermark: Some(START + (WINDOWS as i64 - 1) * WIDTH + 29),
        counters: Counters {
            lines: 61_234,
            parsed: 61_231,
            malformed: 3,
            late: 2,
            bad_records: 0,
            ..Counters::default()
        },
        events_per_sec: 187.5,
        malformed: vec![
            MalformedSample {
                origin: "access.log:8899".into(),
                reason: "truncated line".into(),
                text: "66.249.73.135 - - [20/Jan/2017:10:15:02 +0000] \"GET /blog/tags/".into(),
            },
            MalformedSample {
                origin: "access.log:9120".into(),
                reason: "bad status".into(),
                text: "10.0.1.12 - - [20/Jan/2017:10:52:10 +0000] \"GET / HTTP/1.1\" 2x0 12".into(),
            },
            MalformedSample {
                origin: "access.log:9121".into(),
                reason: "bad request line".into(),
                text: "\\x1b[2J\\x1b]0;pwned\\x07 hostile bytes".into(),
            },
        ],
        source: SourceStatus {
            name: "access.log".into(),
            parts: 1,
            lag_ms: Some(1_200),
            records_per_sec: 190.0,
            problem: None,
            details: vec![],
        },
        metadata: MetadataStatus {
            origin: Some("fixtures/metadata.csv".into()),
            table: metadata(),
            loaded_at: Some(NOW_MS / 1000 - 420),
            changed_at: None,
            error: None,
        },
        alarms: Arc::new(alarms()),
        actions: None,
        finished: false,
        recent: recent(),
    }
}

/// Checkout's recent requests: 30 of them, two seconds apart, from its three callers, a few
/// 500s, and one line carrying terminal escape sequences.
pub fn recent() -> RecentByApp {
    let mut keeper = RecentKeeper::default();
    let last = START + (WINDOWS as i64 - 1) * WIDTH + 29;
    for i in 0..30_i64 {
        let time = last - 2 * (29 - i);
        let client = ["10.0.1.12", "10.0.1.13", "10.0.1.99"][(i % 3) as usize];
        let status: u16 = if i % 7 == 6 { 500 } else { 200 };
        let path = if i == 27 {
            "/api/cart?x=\x1b]0;pwned\x07"
        } else {
            ["/api/cart", "/api/checkout", "/api/pay"][(i % 3) as usize]
        };
        let line = format!(
            "{client} - - [20/Jan/2017:10:{:02}:{:02} +0000] \"GET {path} HTTP/1.1\" {status} {} \"-\" \"curl/8.5\" {}",
            (time - START) / 60 % 60,
            (time - START) % 60,
            1_000 + 10 * i,
            35_000 + 1_000 * i,
        );
        keeper.push(
            "checkout",
            RecentRequest {
                time,
                client: client.into(),
                status,
                bytes: 1_000 + 10 * i as u64,
                latency_us: Some(35_000 + 1_000 * i as u64),
                line: line.into(),
            },
        );
    }
    keeper.view()
}

/// The fixture without alarm rules (the alarm panel's empty state).
pub fn snapshot_without_alarms() -> Snapshot {
    Snapshot {
        alarms: Arc::new(AlarmsView::default()),
        ..snapshot()
    }
}

/// A large snapshot for the render benchmark: `apps` applications and `callers` unknown callers
/// in each of 12 windows (the windows share their data, as final windows do).
pub fn large(apps: usize, callers: usize) -> Snapshot {
    let unknown_callers: Vec<CallerSummary> = (0..callers)
        .map(|i| {
            caller(
                &format!("198.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255),
                5 + (i as u64 * 7919) % 500,
                0,
                3_000,
            )
        })
        .collect();
    let mut list: Vec<AppWindow> = (0..apps.saturating_sub(1))
        .map(|i| {
            app(
                &format!("app-{i:04}"),
                vec![caller(
                    &format!("10.{}.{}.1", i / 256, i % 256),
                    100 + (i as u64 * 31) % 900,
                    (i % 7) as u64,
                    20_000,
                )],
                20_000,
                &[("/api", 100)],
            )
        })
        .collect();
    let mut unknown = app("unknown", Vec::new(), 3_000, &[("/", 1)]);
    unknown.requests = unknown_callers.iter().map(|c| c.requests).sum();
    unknown.hosts = callers as u64;
    // Older windows keep a short caller list: 12 copies of 100,000 callers would only cost memory.
    unknown.top_callers = unknown_callers[..callers.min(20)].to_vec();
    list.push(unknown.clone());
    list.sort_by(|a, b| a.application.cmp(&b.application));
    let base = snapshot_without_alarms();
    let window = |i: usize, apps: Vec<AppWindow>| {
        let start = START + i as i64 * WIDTH;
        Arc::new(WindowSummary {
            relays: None,
            start,
            end: start + WIDTH,
            is_final: i + 1 < WINDOWS,
            apps,
        })
    };
    let mut windows: Vec<Arc<WindowSummary>> =
        (0..WINDOWS - 1).map(|i| window(i, list.clone())).collect();
    unknown.top_callers = unknown_callers;
    let at = list
        .iter()
        .position(|a| &*a.application == "unknown")
        .expect("unknown is listed");
    list[at] = unknown;
    windows.push(window(WINDOWS - 1, list));
    Snapshot { windows, ..base }
}
