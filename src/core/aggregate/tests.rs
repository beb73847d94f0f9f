//! Window unit tests: time is always passed in, never read from a clock.

use super::*;
use crate::core::window::{CALLER_TOP_PATHS, MIN_TOPK_CAPACITY, TOPK_OVERSAMPLING};
use crate::core::{StatusClasses, WindowSummary};

fn hit<'a>(time: i64, application: &'a str, client: &'a str, path: &'a str) -> Hit<'a> {
    Hit {
        time,
        application,
        client,
        method: "GET",
        path,
        status: 200,
        bytes: 100,
        latency_us: None,
        user_agent: None,
        referer: None,
    }
}

fn config(width_secs: i64, lateness_secs: i64) -> WindowConfig {
    WindowConfig {
        width_secs,
        lateness_secs,
        ..WindowConfig::default()
    }
}

fn starts(windows: &[Arc<WindowSummary>]) -> Vec<i64> {
    windows.iter().map(|w| w.start).collect()
}

#[test]
fn window_start_floors_also_for_negative_times() {
    assert_eq!(window_start(0, 300), 0);
    assert_eq!(window_start(299, 300), 0);
    assert_eq!(window_start(300, 300), 300);
    assert_eq!(window_start(-1, 300), -300);
    assert_eq!(window_start(-300, 300), -300);
    assert_eq!(window_start(-301, 300), -600);
    assert_eq!(window_start(1_484_906_700, 300), 1_484_906_700); // 2017-01-20T10:05:00Z
}

#[test]
fn a_hit_exactly_on_a_boundary_opens_the_next_window() {
    let mut agg = Aggregator::new(config(300, 60));
    agg.record(&hit(-1, "a", "h", "/"));
    agg.record(&hit(299, "a", "h", "/"));
    agg.record(&hit(300, "a", "h", "/"));
    agg.flush();
    let done = agg.take_final();
    assert_eq!(starts(&done), vec![-300, 0, 300]);
    assert!(done.iter().all(|w| w.is_final && w.end == w.start + 300));
    assert!(done.iter().all(|w| w.requests() == 1));
}

#[test]
fn lateness_edge_is_end_plus_lateness() {
    let mut agg = Aggregator::new(config(300, 60));
    assert_eq!(agg.record(&hit(10, "a", "h", "/")), Recorded::Accepted);
    // 359 < 300 + 60: window [0, 300) still open, late hits for it are accepted.
    assert_eq!(agg.record(&hit(359, "a", "h", "/")), Recorded::Accepted);
    assert_eq!(agg.record(&hit(5, "a", "h", "/")), Recorded::Accepted);
    assert!(agg.take_final().is_empty());
    // Exactly end + lateness: the window is final.
    assert_eq!(agg.record(&hit(360, "a", "h", "/")), Recorded::Accepted);
    let done = agg.take_final();
    assert_eq!(starts(&done), vec![0]);
    assert_eq!(done[0].requests(), 2);
    assert_eq!(agg.record(&hit(299, "a", "h", "/")), Recorded::Late);
    assert_eq!(agg.late(), 1);
    assert_eq!(agg.watermark(), Some(360));
    // The late hit is in no window.
    agg.flush();
    assert_eq!(agg.take_final()[0].requests(), 2); // [300, 600): 359 and 360
}

#[test]
fn out_of_order_within_lateness_is_accepted_in_its_window() {
    let mut agg = Aggregator::new(config(60, 120));
    for t in [100, 50, 130, 61, 179, 0, 150] {
        assert_eq!(
            agg.record(&hit(t, "a", "h", "/")),
            Recorded::Accepted,
            "t={t}"
        );
    }
    agg.flush();
    let done = agg.take_final();
    assert_eq!(starts(&done), vec![0, 60, 120]);
    let counts: Vec<u64> = done.iter().map(|w| w.requests()).collect();
    assert_eq!(counts, vec![2, 2, 3]);
    assert_eq!(agg.late(), 0);
}

#[test]
fn zero_lateness_finalizes_at_the_window_end() {
    let mut agg = Aggregator::new(config(10, 0));
    agg.record(&hit(9, "a", "h", "/"));
    assert!(agg.take_final().is_empty());
    agg.record(&hit(10, "a", "h", "/"));
    assert_eq!(starts(&agg.take_final()), vec![0]);
    assert_eq!(agg.record(&hit(9, "a", "h", "/")), Recorded::Late);
}

#[test]
fn advance_moves_the_watermark_forward_only() {
    let mut agg = Aggregator::new(config(300, 60));
    agg.advance(50); // no hits yet: nothing to finalize, but the watermark moves
    assert_eq!(agg.watermark(), Some(50));
    agg.record(&hit(100, "a", "h", "/"));
    agg.advance(359);
    assert!(agg.take_final().is_empty());
    agg.advance(360);
    assert_eq!(starts(&agg.take_final()), vec![0]);
    agg.advance(10);
    assert_eq!(agg.watermark(), Some(360));
    assert_eq!(agg.record(&hit(0, "a", "h", "/")), Recorded::Late);
}

#[test]
fn newest_closed_start_counts_windows_without_requests() {
    let mut agg = Aggregator::new(WindowConfig {
        external_watermark: true,
        ..config(300, 60)
    });
    assert_eq!(agg.newest_closed_start(), None);
    agg.record(&hit(10, "a", "h", "/"));
    agg.advance(359);
    // [0, 300) closes at 360: nothing is closed yet; the slot before it is.
    assert_eq!(agg.newest_closed_start(), Some(-300));
    agg.advance(360);
    assert_eq!(agg.newest_closed_start(), Some(0));
    // Silence: three empty windows later, the newest closed one is [900, 1200).
    agg.advance(1_200 + 60 + 299);
    assert_eq!(agg.newest_closed_start(), Some(900));
    assert_eq!(starts(&agg.take_final()), vec![0]);
}

#[test]
fn flush_finalizes_everything_in_order_and_seals_it() {
    let mut agg = Aggregator::new(config(60, 3600));
    for t in [1000, 10, 500] {
        agg.record(&hit(t, "a", "h", "/"));
    }
    assert!(agg.take_final().is_empty());
    agg.flush();
    // Empty windows between are not reported.
    assert_eq!(starts(&agg.take_final()), vec![0, 480, 960]);
    assert!(agg.take_final().is_empty());
    // Flushed windows never reopen (no duplicate output); later ones still work.
    assert_eq!(agg.record(&hit(20, "a", "h", "/")), Recorded::Late);
    assert_eq!(agg.record(&hit(1019, "a", "h", "/")), Recorded::Late);
    assert_eq!(agg.record(&hit(1020, "a", "h", "/")), Recorded::Accepted);
    agg.flush();
    assert_eq!(starts(&agg.take_final()), vec![1020]);
    assert_eq!(agg.late(), 2);
}

#[test]
fn history_is_bounded_and_shared() {
    let mut agg = Aggregator::new(WindowConfig {
        history: 3,
        ..config(10, 0)
    });
    for i in 0..10 {
        agg.record(&hit(i * 10, "a", "h", "/"));
    }
    let done = agg.take_final();
    assert_eq!(done.len(), 9);
    let windows = agg.windows();
    assert_eq!(starts(&windows), vec![60, 70, 80, 90]);
    assert!(windows[..3].iter().all(|w| w.is_final));
    assert!(!windows[3].is_final);
    assert_eq!(windows[3].requests(), 1);
    for (kept, taken) in windows[..3].iter().zip(&done[6..]) {
        assert!(Arc::ptr_eq(kept, taken));
    }
}

#[test]
fn far_future_and_far_past_events_keep_memory_bounded() {
    let mut agg = Aggregator::new(config(300, 60));
    agg.record(&hit(1_000, "a", "h", "/"));
    agg.record(&hit(4_000_000_000, "a", "h", "/"));
    assert_eq!(agg.open.len(), 1);
    assert_eq!(starts(&agg.take_final()), vec![900]);
    assert_eq!(agg.record(&hit(1_000, "a", "h", "/")), Recorded::Late);
    assert_eq!(
        agg.record(&hit(-4_000_000_000, "a", "h", "/")),
        Recorded::Late
    );
    // Extreme times neither panic nor overflow (the window holding i64::MAX ends beyond the
    // representable range, so it is final as soon as it is seen).
    agg.record(&hit(i64::MAX, "a", "h", "/"));
    assert_eq!(agg.record(&hit(i64::MIN, "a", "h", "/")), Recorded::Late);
    assert!(agg.open.is_empty());
    assert_eq!(starts(&agg.take_final()), vec![3_999_999_900]);
}

#[test]
fn open_windows_stay_within_lateness_of_the_watermark() {
    let mut agg = Aggregator::new(config(10, 30));
    for t in 0..10_000 {
        agg.record(&hit(t, "a", "h", "/"));
        assert!(agg.open.len() <= 30 / 10 + 2);
    }
}

#[test]
fn per_application_statistics() {
    let mut agg = Aggregator::new(config(300, 60));
    let rows: [(&str, &str, u16, u64, Option<u64>); 6] = [
        ("checkout", "10.0.0.1", 200, 1000, Some(800)),
        ("checkout", "10.0.0.2", 200, 2000, Some(1200)),
        ("checkout", "10.0.0.1", 503, 10, Some(90_000)),
        ("checkout", "10.0.0.3", 404, 0, Some(400)),
        ("billing", "10.1.0.1", 301, 5, None),
        ("billing", "10.1.0.1", 999, 7, None),
    ];
    for (app, client, status, bytes, latency_us) in rows {
        agg.record(&Hit {
            status,
            bytes,
            latency_us,
            ..hit(42, app, client, "/x")
        });
    }
    let windows = agg.windows();
    assert_eq!(windows.len(), 1);
    let w = &windows[0];
    assert!(!w.is_final);
    let names: Vec<&str> = w.apps.iter().map(|a| a.application.as_ref()).collect();
    assert_eq!(names, ["billing", "checkout"]);

    let c = w.app("checkout").unwrap();
    assert_eq!(
        (c.requests, c.bytes, c.hosts, c.hosts_exact),
        (4, 3010, 3, true)
    );
    assert_eq!(
        c.status,
        StatusClasses {
            c2xx: 2,
            c4xx: 1,
            c5xx: 1,
            ..Default::default()
        }
    );
    assert_eq!(c.status_codes, vec![(200, 2), (404, 1), (503, 1)]);
    assert_eq!(c.error_rate_5xx(), 0.25);
    let lat = c.latency.as_ref().unwrap();
    assert_eq!((lat.count, lat.min, lat.max), (4, 400, 90_000));
    assert_eq!((lat.p50, lat.p90, lat.p99), (800, 90_000, 90_000));
    assert_eq!(c.top_paths.len(), 1);
    assert_eq!(
        (c.top_paths[0].key.as_ref(), c.top_paths[0].count),
        ("/x", 4)
    );

    let b = w.app("billing").unwrap();
    assert_eq!((b.requests, b.bytes, b.hosts), (2, 12, 1));
    assert_eq!(b.status.other, 1);
    assert_eq!(b.status_codes, vec![(301, 1), (999, 1)]);
    assert!(b.latency.is_none());
}

#[test]
fn per_caller_statistics() {
    let mut agg = Aggregator::new(config(300, 60));
    let rows: [(&str, &str, u16, u64, u64); 6] = [
        ("10.0.0.1", "/a", 200, 100, 1000),
        ("10.0.0.1", "/a", 200, 100, 2000),
        ("10.0.0.1", "/b", 500, 50, 3000),
        ("10.0.0.2", "/a", 404, 10, 10),
        ("10.0.0.1", "/c", 304, 0, 4000),
        ("10.0.0.2", "", 408, 0, 20),
    ];
    for (client, path, status, bytes, us) in rows {
        agg.record(&Hit {
            status,
            bytes,
            latency_us: Some(us),
            ..hit(7, "shop", client, path)
        });
    }
    agg.flush();
    let done = agg.take_final();
    let app = done[0].app("shop").unwrap();
    assert_eq!(app.top_callers.len(), 2);
    let first = &app.top_callers[0];
    assert_eq!(
        (first.host.as_ref(), first.requests, first.error),
        ("10.0.0.1", 4, 0)
    );
    assert_eq!(first.bytes, 250);
    assert_eq!(
        (first.status.c2xx, first.status.c3xx, first.status.c5xx),
        (2, 1, 1)
    );
    assert_eq!(first.status_codes, vec![(200, 2), (304, 1), (500, 1)]);
    let lat = first.latency.as_ref().unwrap();
    assert_eq!((lat.count, lat.min, lat.max), (4, 1000, 4000));
    let paths: Vec<(&str, u64)> = first
        .top_paths
        .iter()
        .map(|c| (c.key.as_ref(), c.count))
        .collect();
    assert_eq!(paths, [("/a", 2), ("/b", 1), ("/c", 1)]);
    let second = &app.top_callers[1];
    assert_eq!(
        (second.host.as_ref(), second.requests, second.bytes),
        ("10.0.0.2", 2, 10)
    );
    // The `-` request line has no path: counted as a request, not as a path.
    assert_eq!(second.top_paths.len(), 1);
    assert_eq!(app.top_paths.iter().map(|c| c.count).sum::<u64>(), 5);
}

#[test]
fn unknown_callers_get_their_own_k() {
    let mut agg = Aggregator::new(WindowConfig {
        top_k: 2,
        top_k_unknown: 5,
        ..config(300, 60)
    });
    let clients: Vec<String> = (0..10).map(|i| format!("192.0.2.{i}")).collect();
    for (i, client) in clients.iter().enumerate() {
        for _ in 0..=i {
            agg.record(&hit(1, "unknown", client, "/"));
            agg.record(&hit(1, "known", client, "/"));
        }
    }
    let w = &agg.windows()[0];
    let hosts = |app: &str| -> Vec<String> {
        let callers = &w.app(app).unwrap().top_callers;
        callers.iter().map(|c| c.host.to_string()).collect()
    };
    assert_eq!(hosts("known"), ["192.0.2.9", "192.0.2.8"]);
    assert_eq!(
        hosts("unknown"),
        [
            "192.0.2.9",
            "192.0.2.8",
            "192.0.2.7",
            "192.0.2.6",
            "192.0.2.5"
        ]
    );
    assert_eq!(w.app("known").unwrap().hosts, 10);
}

#[test]
fn distinct_hosts_are_exact_at_ten_and_fifty_thousand() {
    for n in [10_000u32, 50_000] {
        let mut agg = Aggregator::new(config(300, 60));
        let mut client = String::new();
        for round in 0..2 {
            for i in 0..n {
                use std::fmt::Write;
                client.clear();
                write!(client, "10.{}.{}.{}", i >> 16, (i >> 8) & 255, i & 255).unwrap();
                agg.record(&hit(round, "a", &client, "/"));
            }
        }
        let w = &agg.windows()[0];
        let app = w.app("a").unwrap();
        assert_eq!(
            (app.requests, app.hosts, app.hosts_exact),
            (2 * u64::from(n), u64::from(n), true)
        );
    }
}

#[test]
fn a_million_distinct_paths_and_clients_keep_tables_at_capacity() {
    let k = WindowConfig::default().top_k;
    let mut agg = Aggregator::new(config(300, 60));
    let (mut path, mut client) = (String::new(), String::new());
    for i in 0..1_000_000u32 {
        use std::fmt::Write;
        path.clear();
        client.clear();
        write!(path, "/item/{i}").unwrap();
        write!(client, "c{i}.example").unwrap();
        agg.record(&hit(1, "shop", &client, &path));
    }
    let capacity = (k * TOPK_OVERSAMPLING).max(MIN_TOPK_CAPACITY);
    let sizes = agg.open[0].table_sizes();
    assert_eq!(sizes.len(), 1);
    let (_, paths, callers, hosts) = &sizes[0];
    assert_eq!((*paths, *callers), (capacity, capacity));
    assert!(hosts.abs_diff(1_000_000) < 30_000, "{hosts}");
    let w = &agg.windows()[0];
    let app = w.app("shop").unwrap();
    assert!(!app.hosts_exact);
    assert_eq!(app.top_paths.len(), k);
    assert!(app
        .top_callers
        .iter()
        .all(|c| c.top_paths.len() <= CALLER_TOP_PATHS));
}

#[test]
fn skewed_paths_come_out_on_top() {
    let mut agg = Aggregator::new(config(300, 60));
    let mut path = String::new();
    for i in 0..50_000u32 {
        path.clear();
        use std::fmt::Write;
        match i % 10 {
            0..=3 => path.push_str("/hot"),
            4..=5 => path.push_str("/warm"),
            6 => path.push_str("/mild"),
            _ => write!(path, "/cold/{i}").unwrap(),
        }
        agg.record(&hit(1, "a", "h", &path));
    }
    let w = &agg.windows()[0];
    let top: Vec<(&str, u64)> = w.app("a").unwrap().top_paths[..3]
        .iter()
        .map(|c| (c.key.as_ref(), c.count - c.error))
        .collect();
    // Lower bounds: the guaranteed counts are close to the truth (20000, 10000, 5000).
    assert_eq!(top[0].0, "/hot");
    assert_eq!(top[1].0, "/warm");
    assert_eq!(top[2].0, "/mild");
    let caps = [20_000, 10_000, 5_000];
    for ((_, lower), truth) in top.iter().zip(caps) {
        assert!(
            *lower <= truth && truth - lower <= 50_000 / 80,
            "{lower} vs {truth}"
        );
    }
}

#[test]
fn the_aggregator_can_move_to_another_thread() {
    fn assert_send<T: Send + Sync>() {}
    assert_send::<Aggregator>();
}

mod properties {
    use std::collections::BTreeMap;

    use proptest::prelude::*;

    use super::*;

    proptest! {
        /// Against a naive model: every hit is either late or counted in exactly its window,
        /// windows come out once each, in order, and late hits are exactly those whose window
        /// had closed (end + lateness <= newest time seen before or at that hit).
        #[test]
        fn every_hit_is_counted_once_or_late(
            width in 1i64..100,
            lateness in 0i64..200,
            times in prop::collection::vec(-500i64..2_000, 1..300),
            advance_at in prop::option::of(0usize..300),
        ) {
            let mut agg = Aggregator::new(config(width, lateness));
            let mut model: BTreeMap<i64, u64> = BTreeMap::new();
            let mut model_late = 0u64;
            let mut newest = i64::MIN;
            let mut taken = Vec::new();
            for (i, &t) in times.iter().enumerate() {
                if advance_at == Some(i) {
                    agg.advance(t + width);
                    newest = newest.max(t + width);
                }
                newest = newest.max(t);
                let start = t.div_euclid(width) * width;
                let expect_late = start + width + lateness <= newest;
                let got = agg.record(&hit(t, "a", "h", "/"));
                prop_assert_eq!(got == Recorded::Late, expect_late, "t={}", t);
                if expect_late {
                    model_late += 1;
                } else {
                    *model.entry(start).or_default() += 1;
                }
                taken.extend(agg.take_final());
            }
            agg.flush();
            taken.extend(agg.take_final());
            prop_assert_eq!(agg.late(), model_late);
            let got: BTreeMap<i64, u64> = taken.iter().map(|w| (w.start, w.requests())).collect();
            prop_assert_eq!(got.len(), taken.len(), "each window once");
            prop_assert!(taken.windows(2).all(|p| p[0].start < p[1].start), "in order");
            prop_assert_eq!(got, model);
        }
    }
}

/// A lateness of a week with one-second windows and hits scattered over it: at most
/// `max_open` windows stay open; the oldest are finalized early, in order, and counted.
#[test]
fn open_windows_are_bounded_whatever_the_lateness() {
    let mut agg = Aggregator::new(WindowConfig {
        max_open: 8,
        external_watermark: true,
        ..config(1, 7 * 86_400)
    });
    for t in 0..100 {
        assert_eq!(agg.record(&hit(t * 10, "a", "h", "/")), Recorded::Accepted);
        assert!(agg.windows().iter().filter(|w| !w.is_final).count() <= 8);
    }
    assert_eq!(agg.closed_early(), 92);
    let early = agg.take_final();
    assert_eq!(early.len(), 92);
    assert!(
        early.windows(2).all(|w| w[0].start < w[1].start),
        "final in order"
    );
    // A hit for a window closed early, or older than every open one, is late.
    assert_eq!(agg.record(&hit(15, "a", "h", "/")), Recorded::Late);
    assert_eq!(agg.record(&hit(915, "a", "h", "/")), Recorded::Late);
    assert_eq!(agg.late(), 2);
    // The open ones still take hits.
    assert_eq!(agg.record(&hit(990, "a", "h", "/")), Recorded::Accepted);
}

/// Many applications over many open windows: the oldest windows close early once the
/// accumulators exceed the budget, but never one of the two newest windows.
#[test]
fn open_accumulators_are_bounded_but_the_newest_two_windows_stay() {
    let names: Vec<String> = (0..50).map(|i| format!("app-{i}")).collect();
    let mut agg = Aggregator::new(WindowConfig {
        max_open_apps: 60,
        external_watermark: true,
        ..config(10, 86_400)
    });
    for w in 0..5 {
        for name in &names {
            agg.record(&hit(w * 10, name, "h", "/"));
        }
    }
    assert!(agg.closed_early() >= 3, "{}", agg.closed_early());
    let open: Vec<Arc<WindowSummary>> = agg.windows().into_iter().filter(|w| !w.is_final).collect();
    assert_eq!(starts(&open), vec![30, 40]);
    assert!(open.iter().all(|w| w.apps.len() == 50));
    // Two windows of 50 applications each exceed the budget, and still nothing is lost of them.
    let mut big = Aggregator::new(WindowConfig {
        max_open_apps: 10,
        external_watermark: true,
        ..config(10, 86_400)
    });
    for w in 0..2 {
        for name in &names {
            big.record(&hit(w * 10, name, "h", "/"));
        }
    }
    assert_eq!(big.closed_early(), 0);
}
