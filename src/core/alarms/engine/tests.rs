use super::*;
use crate::core::alarms::{Comparison, Metric, TreatMissingData};
use crate::core::{AppWindow, LatencySummary, StatusClasses};
use AlarmState::{Alarm, InsufficientData, Ok};

const W: i64 = 60;
const T0: i64 = 1_484_906_400; // 2017-01-20T10:00:00Z

/// An application window with `requests` requests of which `errors` are 5xx.
fn app(name: &str, requests: u64, errors: u64) -> AppWindow {
    let mut status = StatusClasses::default();
    status.add(200, requests - errors);
    status.add(500, errors);
    AppWindow {
        application: Arc::from(name),
        requests,
        bytes: requests * 100,
        status,
        status_codes: vec![(200, requests - errors), (500, errors)],
        hosts: 3,
        hosts_exact: true,
        latency: None,
        top_paths: Vec::new(),
        top_callers: Vec::new(),
        agents: Default::default(),
    }
}

/// Window number `i` (start `T0 + i·W`) with these applications.
fn window(i: i64, mut apps: Vec<AppWindow>) -> WindowSummary {
    apps.sort_by(|a, b| a.application.cmp(&b.application));
    WindowSummary {
        relays: None,
        start: T0 + i * W,
        end: T0 + (i + 1) * W,
        is_final: true,
        apps,
    }
}

fn five_xx(app: &str, m: usize, n: usize, treat: TreatMissingData) -> AlarmRule {
    AlarmRule::new("5xx", app, Metric::ErrorRate5xx, Comparison::Greater, 0.05)
        .m_of_n(m, n)
        .missing_data(treat)
}

/// (window index, application, state, previous, value)
fn brief(ts: &[AlarmTransition]) -> Vec<(i64, String, AlarmState, AlarmState, Option<f64>)> {
    ts.iter()
        .map(|t| {
            assert_eq!((t.window_start - T0) % W, 0);
            (
                (t.window_start - T0) / W,
                t.application.to_string(),
                t.state,
                t.previous,
                t.value,
            )
        })
        .collect()
}

#[test]
fn two_out_of_three_on_consecutive_windows() {
    let mut engine = AlarmEngine::new(
        vec![five_xx("checkout", 2, 3, TreatMissingData::Missing)],
        W,
    );
    let errors = [0, 10, 0, 20, 30, 0, 0, 0];
    let mut all = Vec::new();
    for (i, e) in errors.iter().enumerate() {
        all.extend(engine.evaluate(&window(i as i64, vec![app("checkout", 100, *e)])));
    }
    assert_eq!(
        brief(&all),
        vec![
            (0, "checkout".into(), Ok, InsufficientData, Some(0.0)),
            // 0.1 0 0.2: two of the last three breach.
            (3, "checkout".into(), Alarm, Ok, Some(0.2)),
            // 0.3 0 0: only one of three.
            (6, "checkout".into(), Ok, Alarm, Some(0.0)),
        ]
    );
    assert_eq!(all[1].threshold, 0.05);
    assert_eq!(&*all[1].alarm, "5xx");
}

#[test]
fn skipped_windows_are_missing_datapoints_for_every_alarm() {
    let mut engine = AlarmEngine::new(
        vec![five_xx("checkout", 2, 3, TreatMissingData::Missing)],
        W,
    );
    let mut all = Vec::new();
    all.extend(engine.evaluate(&window(0, vec![app("checkout", 100, 50)])));
    all.extend(engine.evaluate(&window(1, vec![app("checkout", 100, 50)])));
    // Nothing at all happens for 8 windows (the aggregator reports none of them).
    all.extend(engine.evaluate(&window(10, vec![app("checkout", 100, 0)])));
    assert_eq!(
        brief(&all),
        vec![
            (1, "checkout".into(), Alarm, InsufficientData, Some(0.5)),
            // The breaching datapoints are carried until they leave the 5-window range.
            (6, "checkout".into(), InsufficientData, Alarm, None),
            (10, "checkout".into(), Ok, InsufficientData, Some(0.0)),
        ]
    );
    let view = engine.view();
    assert_eq!(
        view.statuses[0].datapoints(W),
        vec![
            (T0 + 8 * W, None),
            (T0 + 9 * W, None),
            (T0 + 10 * W, Some(0.0))
        ]
    );
}

#[test]
fn skipped_windows_with_each_treatment() {
    let run = |treat| {
        let rule = AlarmRule::new(
            "rps",
            "api",
            Metric::RequestsPerSecond,
            Comparison::Greater,
            1.0,
        )
        .m_of_n(1, 1)
        .missing_data(treat);
        let mut engine = AlarmEngine::new(vec![rule], W);
        let mut all = engine.evaluate(&window(0, vec![app("api", 600, 0)])); // 10/s: ALARM
        all.extend(engine.evaluate(&window(5, vec![app("api", 6, 0)]))); // 0.1/s: OK
        brief(&all)
            .into_iter()
            .map(|(i, _, state, _, _)| (i, state))
            .collect::<Vec<_>>()
    };
    use TreatMissingData as T;
    // Range 3 for N = 1: the datapoint is kept for 2 empty windows, then nothing is known.
    assert_eq!(
        run(T::Missing),
        vec![(0, Alarm), (3, InsufficientData), (5, Ok)]
    );
    assert_eq!(run(T::Ignore), vec![(0, Alarm), (5, Ok)]);
    assert_eq!(run(T::Breaching), vec![(0, Alarm), (5, Ok)]);
    // As CloudWatch: while N real datapoints are in the range, they decide, whatever the treatment.
    assert_eq!(run(T::NotBreaching), vec![(0, Alarm), (3, Ok)]);
}

#[test]
fn an_absent_application_is_a_missing_datapoint() {
    let rule = five_xx("checkout", 1, 1, TreatMissingData::NotBreaching);
    let mut engine = AlarmEngine::new(vec![rule], W);
    let mut all = engine.evaluate(&window(0, vec![app("checkout", 10, 5)]));
    // Windows happen, but without checkout: once its datapoint has left the range (3 windows
    // for N = 1), the missing datapoints count as not breaching.
    for i in 1..4 {
        all.extend(engine.evaluate(&window(i, vec![app("search", 10, 0)])));
    }
    assert_eq!(
        brief(&all),
        vec![
            (0, "checkout".into(), Alarm, InsufficientData, Some(0.5)),
            (3, "checkout".into(), Ok, Alarm, None),
        ]
    );
}

#[test]
fn star_rule_keeps_one_state_per_application() {
    let mut engine = AlarmEngine::new(vec![five_xx("*", 1, 1, TreatMissingData::Missing)], W);
    let t0 = engine.evaluate(&window(
        0,
        vec![app("checkout", 10, 5), app("search", 10, 0)],
    ));
    assert_eq!(
        brief(&t0),
        vec![
            (0, "checkout".into(), Alarm, InsufficientData, Some(0.5)),
            (0, "search".into(), Ok, InsufficientData, Some(0.0)),
        ]
    );
    // A new application gets its own state when it first appears; the others are unaffected.
    let t1 = engine.evaluate(&window(
        1,
        vec![
            app("checkout", 10, 5),
            app("search", 10, 0),
            app("unknown", 4, 4),
        ],
    ));
    assert_eq!(
        brief(&t1),
        vec![(1, "unknown".into(), Alarm, InsufficientData, Some(1.0))]
    );
    assert_eq!(engine.state("5xx", "checkout"), Some(Alarm));
    assert_eq!(engine.state("5xx", "search"), Some(Ok));
    assert_eq!(engine.state("5xx", "unknown"), Some(Alarm));
    assert_eq!(engine.state("5xx", "payments"), None);
    let view = engine.view();
    let names: Vec<_> = view
        .statuses
        .iter()
        .map(|s| (s.application.to_string(), s.state))
        .collect();
    assert_eq!(
        names,
        vec![
            ("checkout".into(), Alarm),
            ("unknown".into(), Alarm),
            ("search".into(), Ok)
        ]
    );
}

#[test]
fn single_application_rule_exists_from_the_start_and_works_for_unknown() {
    let rule = AlarmRule::new(
        "scanner",
        "unknown",
        Metric::RequestsPerSecond,
        Comparison::Greater,
        5.0,
    )
    .m_of_n(2, 3);
    let mut engine = AlarmEngine::new(vec![rule], W);
    let view = engine.view();
    assert_eq!(view.statuses.len(), 1);
    assert_eq!(view.statuses[0].state, InsufficientData);
    assert_eq!(view.statuses[0].since, None);
    assert!(view.statuses[0].datapoints(W).is_empty());
    let mut all = Vec::new();
    for (i, n) in [600, 120, 900].iter().enumerate() {
        all.extend(engine.evaluate(&window(i as i64, vec![app("unknown", *n, 0)])));
    }
    assert_eq!(
        brief(&all),
        vec![
            (1, "unknown".into(), Ok, InsufficientData, Some(2.0)),
            (2, "unknown".into(), Alarm, Ok, Some(15.0)),
        ]
    );
    let status = &engine.view().statuses[0];
    assert_eq!(status.since, Some(T0 + 2 * W));
    assert_eq!(status.value, Some(15.0));
    assert_eq!(&*status.rule.metric, "requests-per-second");
    assert_eq!(status.rule.comparison, ">");
    assert_eq!(
        status.datapoints(W),
        vec![
            (T0, Some(10.0)),
            (T0 + W, Some(2.0)),
            (T0 + 2 * W, Some(15.0))
        ]
    );
}

#[test]
fn datapoints_are_padded_to_n_before_the_alarm_existed() {
    let mut engine = AlarmEngine::new(
        vec![five_xx("checkout", 2, 4, TreatMissingData::Missing)],
        W,
    );
    engine.evaluate(&window(7, vec![app("checkout", 10, 0)]));
    assert_eq!(
        engine.view().statuses[0].datapoints(W),
        vec![
            (T0 + 4 * W, None),
            (T0 + 5 * W, None),
            (T0 + 6 * W, None),
            (T0 + 7 * W, Some(0.0))
        ]
    );
}

#[test]
fn old_and_repeated_windows_are_ignored() {
    let mut engine = AlarmEngine::new(
        vec![five_xx("checkout", 1, 1, TreatMissingData::Missing)],
        W,
    );
    assert_eq!(
        engine
            .evaluate(&window(5, vec![app("checkout", 10, 5)]))
            .len(),
        1
    );
    assert!(engine
        .evaluate(&window(5, vec![app("checkout", 10, 0)]))
        .is_empty());
    assert!(engine
        .evaluate(&window(3, vec![app("checkout", 10, 0)]))
        .is_empty());
    assert_eq!(engine.state("5xx", "checkout"), Some(Alarm));
    assert_eq!(engine.last_window_start(), Some(T0 + 5 * W));
}

#[test]
fn view_orders_alarms_first_and_keeps_recent_transitions_bounded() {
    let rules = vec![
        AlarmRule::new("b-rule", "api", Metric::Requests, Comparison::Greater, 5.0),
        AlarmRule::new("a-rule", "api", Metric::Requests, Comparison::Greater, 50.0),
        AlarmRule::new("c-rule", "api", Metric::Requests, Comparison::Less, 1.0),
    ];
    let mut engine = AlarmEngine::new(rules, W);
    // Flip b-rule between ALARM and OK more often than transitions are kept.
    let flips = RECENT_TRANSITIONS as i64 + 50;
    for i in 0..flips {
        engine.evaluate(&window(
            i,
            vec![app("api", if i % 2 == 0 { 10 } else { 2 }, 0)],
        ));
    }
    let view = engine.view();
    let order: Vec<_> = view
        .statuses
        .iter()
        .map(|s| (&*s.rule.name, s.state))
        .collect();
    assert_eq!(order, vec![("a-rule", Ok), ("b-rule", Ok), ("c-rule", Ok)]);
    engine.evaluate(&window(flips, vec![app("api", 10, 0)]));
    let view = engine.view();
    assert_eq!(view.statuses[0].rule.name.as_ref(), "b-rule");
    assert_eq!(view.statuses[0].state, Alarm);
    assert_eq!(view.recent.len(), RECENT_TRANSITIONS);
    assert_eq!(view.recent[0].window_start, T0 + flips * W, "newest first");
    assert!(view
        .recent
        .windows(2)
        .all(|p| p[0].window_start >= p[1].window_start));
}

#[test]
fn metric_values() {
    let mut a = app("api", 120, 6);
    a.status.add(404, 12);
    a.requests += 12;
    assert_eq!(Metric::Requests.value(&a, 60), Some(132.0));
    assert_eq!(Metric::RequestsPerSecond.value(&a, 60), Some(2.2));
    assert_eq!(Metric::RequestsPerSecond.value(&a, 10), Some(13.2));
    assert_eq!(Metric::Bytes.value(&a, 60), Some(12_000.0));
    assert_eq!(Metric::ErrorRate5xx.value(&a, 60), Some(6.0 / 132.0));
    assert_eq!(Metric::ErrorRate4xx.value(&a, 60), Some(12.0 / 132.0));
    assert_eq!(Metric::Hosts.value(&a, 60), Some(3.0));
    // No latency field in the log: latency datapoints are missing.
    assert_eq!(Metric::P99LatencyUs.value(&a, 60), None);
    a.latency = Some(LatencySummary {
        count: 132,
        min: 10,
        p50: 800,
        p90: 9_000,
        p99: 1_200_000,
        max: 30_000_000,
        mean: 20_000.0,
        buckets: Vec::new(),
    });
    assert_eq!(Metric::P50LatencyUs.value(&a, 60), Some(800.0));
    assert_eq!(Metric::P90LatencyUs.value(&a, 60), Some(9_000.0));
    assert_eq!(Metric::P99LatencyUs.value(&a, 60), Some(1_200_000.0));
    assert_eq!(Metric::MaxLatencyUs.value(&a, 60), Some(30_000_000.0));
    // Error rates of a window without requests are missing, not 0.
    let empty = app("api", 0, 0);
    assert_eq!(Metric::ErrorRate5xx.value(&empty, 60), None);
    assert_eq!(Metric::ErrorRate4xx.value(&empty, 60), None);
    assert_eq!(Metric::Requests.value(&empty, 60), Some(0.0));
}

#[test]
fn cloudwatch_table_through_the_engine() {
    // The documented row "X - - - -" (3 out of 3): a breaching datapoint followed by four
    // windows without one is ALARM for `missing`, and the state is kept for `ignore`.
    let run = |treat| {
        let mut engine = AlarmEngine::new(vec![five_xx("checkout", 3, 3, treat)], W);
        // Earlier history: three good windows make it OK; they leave the range later.
        for i in 0..3 {
            engine.evaluate(&window(i, vec![app("checkout", 10, 0)]));
        }
        engine.evaluate(&window(3, vec![app("checkout", 10, 5)]));
        // Windows 4..=7 happen without checkout.
        for i in 4..8 {
            engine.evaluate(&window(i, vec![app("search", 10, 0)]));
        }
        engine.state("5xx", "checkout").unwrap()
    };
    use TreatMissingData as T;
    assert_eq!(run(T::Missing), Alarm);
    assert_eq!(run(T::Ignore), Ok);
    assert_eq!(run(T::Breaching), Alarm);
    assert_eq!(run(T::NotBreaching), Ok);
}

/// A band rule over `requests` of `api`: `comparison`, 2 standard deviations over 6 windows.
fn band_rule(comparison: Comparison, treat: TreatMissingData) -> AlarmRule {
    AlarmRule::band("api-anomaly", "api", Metric::Requests, comparison, 2.0, 6).missing_data(treat)
}

/// Requests per window of `api` (`None`: the window has no `api` traffic); transitions.
fn run_band(rule: AlarmRule, requests: &[Option<u64>]) -> (AlarmEngine, Vec<AlarmTransition>) {
    let mut engine = AlarmEngine::new(vec![rule], W);
    let mut all = Vec::new();
    for (i, r) in requests.iter().enumerate() {
        // Another application keeps every window present.
        let mut apps = vec![app("other", 1, 0)];
        if let Some(r) = r {
            apps.push(app("api", *r, 0));
        }
        all.extend(engine.evaluate(&window(i as i64, apps)));
    }
    (engine, all)
}

#[test]
fn band_alarm_waits_for_history_then_judges_against_the_previous_windows() {
    use TreatMissingData::Missing;
    // 6 band windows: a band needs 3 datapoints; the first 3 windows cannot be judged.
    let steady = [100, 104, 96, 100, 102, 98];
    let mut requests: Vec<Option<u64>> = steady.iter().map(|&r| Some(r)).collect();
    requests.push(Some(180)); // window 6: far above
    requests.push(Some(101)); // window 7: back inside
    let (engine, all) = run_band(band_rule(Comparison::OutsideBand, Missing), &requests);
    assert_eq!(
        brief(&all),
        vec![
            (3, "api".into(), Ok, InsufficientData, Some(100.0)),
            (6, "api".into(), Alarm, Ok, Some(180.0)),
            (7, "api".into(), Ok, Alarm, Some(101.0)),
        ]
    );
    // The transition to ALARM carries the band of window 6: mean 100, sd 2.97 of windows 0-5.
    let band = all[1].band.unwrap();
    assert!(band.low > 93.0 && band.low < 95.0, "{band:?}");
    assert!(band.high > 105.0 && band.high < 107.0, "{band:?}");
    assert_eq!(
        all[1].threshold, 2.0,
        "a band rule's threshold is its width"
    );
    // The view keeps the band windows + 1 datapoints, each with its own band and verdict.
    let status = &engine.view().statuses[0];
    assert_eq!(status.rule.comparison, "outside-band");
    assert_eq!(status.rule.band.unwrap().windows, 6);
    let history: Vec<(i64, Option<f64>, bool, Option<bool>)> = status
        .history
        .iter()
        .map(|d| ((d.start - T0) / W, d.value, d.band.is_some(), d.breaching))
        .collect();
    assert_eq!(
        history,
        vec![
            (1, Some(104.0), false, None),
            (2, Some(96.0), false, None),
            (3, Some(100.0), true, Some(false)),
            (4, Some(102.0), true, Some(false)),
            (5, Some(98.0), true, Some(false)),
            (6, Some(180.0), true, Some(true)),
            (7, Some(101.0), true, Some(false)),
        ]
    );
    // Window 7's band includes the spike: it widened.
    assert!(status.history.to_vec()[6].band.unwrap().high > band.high);
    assert_eq!(status.datapoints(W).len(), 1, "N datapoints as before");
}

#[test]
fn above_and_below_band_judge_one_side_each() {
    use TreatMissingData::Missing;
    let base = [100, 104, 96, 100, 102, 98].map(Some);
    let drop = [&base[..], &[Some(20)]].concat();
    let spike = [&base[..], &[Some(180)]].concat();
    let last = |(_, all): (AlarmEngine, Vec<AlarmTransition>)| all.last().map(|t| t.state);
    assert_eq!(
        last(run_band(band_rule(Comparison::BelowBand, Missing), &drop)),
        Some(Alarm)
    );
    assert_eq!(
        last(run_band(band_rule(Comparison::AboveBand, Missing), &drop)),
        Some(Ok)
    );
    assert_eq!(
        last(run_band(band_rule(Comparison::AboveBand, Missing), &spike)),
        Some(Alarm)
    );
    assert_eq!(
        last(run_band(band_rule(Comparison::BelowBand, Missing), &spike)),
        Some(Ok)
    );
}

#[test]
fn band_alarm_missing_data_follows_the_treatment() {
    use TreatMissingData as T;
    let mut requests: Vec<Option<u64>> = [100, 104, 96, 100, 102, 98].map(Some).to_vec();
    let state = |requests: &[Option<u64>], treat| {
        let (engine, _) = run_band(band_rule(Comparison::OutsideBand, treat), requests);
        engine.state("api-anomaly", "api").unwrap()
    };
    // One silent window: with 1 out of 1, the evaluation range (3 windows) still holds real
    // datapoints, which decide whatever the treatment (CloudWatch's rule).
    requests.push(None);
    for treat in [T::Breaching, T::NotBreaching, T::Ignore, T::Missing] {
        assert_eq!(state(&requests, treat), Ok, "{treat:?}");
    }
    // Three: the range is all missing, and a missing window is what the treatment says, as for
    // a threshold rule.
    requests.extend([None, None]);
    assert_eq!(state(&requests, T::Breaching), Alarm);
    assert_eq!(state(&requests, T::NotBreaching), Ok);
    assert_eq!(state(&requests, T::Ignore), Ok);
    assert_eq!(state(&requests, T::Missing), InsufficientData);
    // The band is made of the datapoints there are: a gap inside the band windows is left out.
    let mut gappy: Vec<Option<u64>> = vec![Some(100), None, Some(104), None, Some(96), Some(100)];
    gappy.push(Some(180));
    let (engine, all) = run_band(band_rule(Comparison::OutsideBand, T::Missing), &gappy);
    assert_eq!(all.last().unwrap().state, Alarm);
    let status = &engine.view().statuses[0];
    let missing = status.history.iter().find(|d| d.value.is_none()).unwrap();
    assert_eq!(missing.breaching, None);
}

#[test]
fn band_history_without_enough_datapoints_is_insufficient_whatever_the_treatment() {
    use TreatMissingData as T;
    // Two datapoints then silence: no band ever forms; missing windows are filled by the
    // treatment, datapoints without a band give no opinion.
    let requests = [Some(100), Some(500), None, None];
    for (treat, expected) in [
        (T::Missing, InsufficientData),
        (T::Ignore, InsufficientData),
        (T::NotBreaching, Ok),
        (T::Breaching, Alarm),
    ] {
        let (engine, _) = run_band(band_rule(Comparison::OutsideBand, treat), &requests);
        assert_eq!(
            engine.state("api-anomaly", "api"),
            Some(expected),
            "{treat:?}"
        );
        let status = &engine.view().statuses[0];
        assert!(status.history.iter().all(|d| d.band.is_none()));
    }
}

#[test]
fn a_long_silence_empties_the_band_windows() {
    use TreatMissingData::Missing;
    let rule = band_rule(Comparison::OutsideBand, Missing);
    let mut engine = AlarmEngine::new(vec![rule], W);
    for (i, r) in [100, 104, 96, 100, 102, 98].iter().enumerate() {
        engine.evaluate(&window(i as i64, vec![app("api", *r, 0)]));
    }
    // 100 windows later: the old traffic is no baseline for the new.
    let t = engine.evaluate(&window(106, vec![app("api", 500, 0)]));
    // The gap itself made the alarm INSUFFICIENT_DATA (window 8: 3 windows without data); the
    // new traffic has no band yet, so it cannot be judged: no ALARM for 500 against the old 100.
    assert_eq!(
        brief(&t),
        vec![(8, "api".into(), InsufficientData, Ok, None)]
    );
    let status = &engine.view().statuses[0];
    assert_eq!(status.history.len(), 7);
    assert!(status.history.to_vec()[..6]
        .iter()
        .all(|d| d.value.is_none()));
    assert_eq!(status.history.to_vec()[6].band, None);
    assert_eq!(status.history.to_vec()[6].breaching, None);
}

/// Each alarm of a `*` rule is found in the window by walking the applications in name order:
/// judged among many, every application must be judged exactly as if it were the only one
/// (names shared between windows as the engine interns them, or not; windows skipped).
#[test]
fn each_application_is_judged_as_if_it_were_alone() {
    let mut rng = fastrand::Rng::with_seed(3);
    let pool: Vec<Arc<str>> = (0..40).map(|i| Arc::from(format!("app-{i:02}"))).collect();
    for round in 0..20 {
        let mut windows: Vec<WindowSummary> = Vec::new();
        for i in 0..16 {
            if rng.u8(..5) == 0 {
                continue;
            }
            let mut apps = Vec::new();
            for name in &pool {
                if rng.u8(..3) == 0 {
                    continue;
                }
                let requests = rng.u64(1..20);
                let mut a = app(name, requests, rng.u64(0..3).min(requests));
                if rng.bool() {
                    a.application = Arc::clone(name);
                }
                apps.push(a);
            }
            windows.push(window(i, apps));
        }
        let treat = [TreatMissingData::Missing, TreatMissingData::Breaching][round % 2];
        let rule = five_xx("*", 2, 3, treat);
        let mut together = AlarmEngine::new(vec![rule.clone()], W);
        let all: Vec<AlarmTransition> = windows.iter().flat_map(|w| together.evaluate(w)).collect();
        assert!(!all.is_empty());
        let view = together.view();
        for name in &pool {
            let mut alone = AlarmEngine::new(vec![rule.clone()], W);
            let by_itself: Vec<AlarmTransition> = windows
                .iter()
                .flat_map(|w| {
                    // Alone, and always the same name (pointer): judged without any walk.
                    let mut w = w.clone();
                    w.apps.retain(|a| a.application == *name);
                    for a in &mut w.apps {
                        a.application = Arc::clone(name);
                    }
                    alone.evaluate(&w)
                })
                .collect();
            let among: Vec<AlarmTransition> = all
                .iter()
                .filter(|t| t.application == *name)
                .cloned()
                .collect();
            assert_eq!(brief(&among), brief(&by_itself), "{name}, round {round}");
            let status = |v: &AlarmsView| {
                v.statuses
                    .iter()
                    .find(|s| s.application == *name)
                    .map(|s| (s.state, s.datapoints(W), s.history.clone()))
            };
            assert_eq!(status(&view), status(&alone.view()), "{name}");
            // Created once, when first seen, and kept since: a datapoint for every window from
            // then on (alone or not, so this does not rest on the engine agreeing with itself).
            let last = windows.last().map(|w| w.start);
            let first = windows
                .iter()
                .find(|w| w.apps.iter().any(|a| a.application == *name))
                .map(|w| w.start);
            let kept = status(&view).map(|s| s.2.len());
            let want = first.zip(last).map(|(first, last)| {
                (((last - first) / W + 1) as usize).min(rule.kept_datapoints())
            });
            assert_eq!(kept, want, "{name}: datapoints kept");
        }
    }
}

/// The view lists ALARM first, then by alarm name and application, however the rules were
/// given (and even when two share a name, which the configuration refuses).
#[test]
fn the_view_is_in_order_whatever_the_rules_order() {
    let mut rng = fastrand::Rng::with_seed(9);
    for names in [["b-5xx", "a-5xx", "c-5xx"], ["b-5xx", "a-5xx", "b-5xx"]] {
        let rules: Vec<AlarmRule> = names
            .iter()
            .enumerate()
            .map(|(i, name)| {
                AlarmRule::new(
                    name,
                    "*",
                    Metric::ErrorRate5xx,
                    Comparison::Greater,
                    0.05 * i as f64,
                )
                .m_of_n(1, 1)
            })
            .collect();
        let mut engine = AlarmEngine::new(rules, W);
        for i in 0..6 {
            let mut apps = Vec::new();
            for a in 0..30 {
                if rng.bool() {
                    let requests = rng.u64(1..20);
                    apps.push(app(
                        &format!("app-{a:02}"),
                        requests,
                        rng.u64(0..4).min(requests),
                    ));
                }
            }
            engine.evaluate(&window(i, apps));
        }
        let view = engine.view();
        let key = |s: &AlarmStatus| {
            (
                s.state != AlarmState::Alarm,
                s.rule.name.to_string(),
                s.application.to_string(),
            )
        };
        let keys: Vec<_> = view.statuses.iter().map(key).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted, "{names:?}");
        assert!(keys.iter().any(|k| !k.0) && keys.iter().any(|k| k.0));
    }
}

/// Views share the engine's columns: a view taken earlier keeps showing its own windows while
/// the engine goes on (the columns are copied on write), and the engine's own state is the
/// same whether or not a view was holding them.
#[test]
fn a_view_keeps_its_datapoints_while_the_engine_goes_on() {
    let rule = |app: &str| five_xx(app, 2, 3, TreatMissingData::Missing);
    let mut watched = AlarmEngine::new(vec![rule("checkout")], W);
    let mut unwatched = AlarmEngine::new(vec![rule("checkout")], W);
    let mut views = Vec::new();
    for i in 0..8 {
        let w = window(i, vec![app("checkout", 10, i as u64)]);
        watched.evaluate(&w);
        unwatched.evaluate(&w);
        views.push((watched.view(), watched.view().statuses[0].history.to_vec()));
    }
    for (i, (view, then)) in views.iter().enumerate() {
        let now = view.statuses[0].history.to_vec();
        assert_eq!(&now, then, "view {i} changed after the engine went on");
        assert_eq!(now.last().map(|d| d.start), Some(T0 + i as i64 * W));
    }
    assert_eq!(watched.view(), unwatched.view());
}
