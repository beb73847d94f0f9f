use super::*;
use crate::core::merge::record::RelayStamp;
use crate::core::{Aggregator, Hit};

const T0: i64 = 1_700_000_000 - 1_700_000_000 % 3600;

fn hit(i: u64) -> (i64, String, String, u16) {
    let time = T0 + (i as i64 * 7) % 1800;
    let app = ["billing", "checkout", "search"][(i % 3) as usize].to_string();
    let client = format!("10.0.0.{}", i % 40);
    let status = [200, 200, 404, 503][(i % 4) as usize];
    (time, app, client, status)
}

fn aggregator(width: i64, export: bool) -> Aggregator {
    let mut a = Aggregator::new(WindowConfig {
        width_secs: width,
        lateness_secs: 0,
        external_watermark: true,
        ..WindowConfig::default()
    });
    a.export_partials(export);
    a
}

fn feed(a: &mut Aggregator, hits: &[(i64, String, String, u16)]) {
    let mut sorted = hits.to_vec();
    sorted.sort_by_key(|h| h.0);
    for (time, app, client, status) in &sorted {
        a.record(&Hit {
            time: *time,
            application: app,
            client,
            method: "GET",
            path: "/x",
            status: *status,
            bytes: 100,
            latency_us: Some(1000 + (*time as u64 % 977) * 31),
            user_agent: None,
            referer: None,
        });
    }
    a.flush();
}

fn beat(group: u32, groups: u32, seq: u64, final_until: i64) -> Heartbeat {
    Heartbeat {
        relay: RelayStamp { group, groups, seq },
        time: 0,
        width_s: 60,
        lateness_s: 0,
        final_until: Some(final_until),
        watermark: Some(final_until),
        lag_ms: None,
        shards: vec![],
        counters: RelayCounters {
            lines: 10,
            parsed: 9,
            malformed: 1,
            ..RelayCounters::default()
        },
    }
}

/// Two relays' records of the hits split by caller, fed to a viewer.
fn relay_records(
    hits: &[(i64, String, String, u16)],
    group: u32,
    seq: u64,
) -> Vec<AggregateRecord> {
    let mine: Vec<_> = hits
        .iter()
        .filter(|h| (h.2.len() % 2) as u32 == group)
        .cloned()
        .collect();
    let mut a = aggregator(60, true);
    feed(&mut a, &mine);
    a.take_final_partials()
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(i, partial)| AggregateRecord {
            relay: RelayStamp {
                group,
                groups: 2,
                seq: seq + i as u64,
            },
            partial,
        })
        .collect()
}

fn truth(width: i64, hits: &[(i64, String, String, u16)]) -> Vec<WindowSummary> {
    let mut a = aggregator(width, false);
    feed(&mut a, hits);
    a.take_final()
        .into_iter()
        .map(|w| WindowSummary {
            relays: None,
            ..(*w).clone()
        })
        .collect()
}

fn without_coverage(windows: Vec<(usize, WindowSummary)>, index: usize) -> Vec<WindowSummary> {
    windows
        .into_iter()
        .filter(|(i, _)| *i == index)
        .map(|(_, w)| WindowSummary { relays: None, ..w })
        .collect()
}

#[test]
fn two_relays_merge_to_one_process_and_duplicates_count_once() {
    let hits: Vec<_> = (0..3000).map(hit).collect();
    let mut viewer = MergedWindows::new(WindowConfig::default(), &[60, 300, 90]);
    let zero = relay_records(&hits, 0, 1000);
    let one = relay_records(&hits, 1, 5000);
    for r in zero.iter().chain(&one).chain(&zero) {
        assert_eq!(viewer.add_aggregate(r.clone()), Taken::Accepted);
    }
    // A restarted relay 1 republishes everything with greater numbers.
    for r in relay_records(&hits, 1, 9000) {
        viewer.add_aggregate(r);
    }
    viewer.add_heartbeat(&beat(0, 2, 2000, T0 + 1800));
    assert!(
        viewer.take_final().is_empty(),
        "group 1 has not said anything yet"
    );
    let open = viewer.open_windows(0);
    assert_eq!(open.len(), 30);
    assert_eq!(
        open[0].relays,
        Some(RelayCoverage {
            relays: 1,
            expected: 2
        })
    );
    viewer.add_heartbeat(&beat(1, 2, 9999, T0 + 900));
    let finals = viewer.take_final();
    let minute = without_coverage(finals, 0);
    assert_eq!(minute, truth(60, &hits)[..15].to_vec());
    viewer.add_heartbeat(&beat(1, 2, 10_000, T0 + 1800));
    let finals = viewer.take_final();
    assert!(finals.iter().all(|(_, w)| w.relays
        == Some(RelayCoverage {
            relays: 2,
            expected: 2
        })));
    assert_eq!(
        without_coverage(finals.clone(), 0),
        truth(60, &hits)[15..].to_vec()
    );
    // Rolled up to 5 minutes: the same as one process with 5-minute windows.
    let mut five = without_coverage(viewer.take_final(), 1);
    five.splice(0..0, without_coverage(finals, 1));
    let all_five: Vec<WindowSummary> = {
        let mut v = MergedWindows::new(WindowConfig::default(), &[300]);
        for r in relay_records(&hits, 0, 1)
            .into_iter()
            .chain(relay_records(&hits, 1, 1))
        {
            v.add_aggregate(r);
        }
        without_coverage(v.flush(), 0)
    };
    assert_eq!(all_five, truth(300, &hits));
    // 90 s is not a multiple of the relays' 60 s: nothing.
    assert!(viewer.open_windows(2).is_empty());
    // A copy of a final window is stale, not added.
    assert_eq!(viewer.add_aggregate(zero[0].clone()), Taken::Stale);
    // Counters: each group's latest heartbeat, added up.
    assert_eq!(viewer.relay_counters().lines, 20);
}

#[test]
fn flush_makes_partial_windows_final_with_their_coverage() {
    let hits: Vec<_> = (0..600).map(hit).collect();
    let mut viewer = MergedWindows::new(WindowConfig::default(), &[60]);
    for r in relay_records(&hits, 0, 1) {
        viewer.add_aggregate(r);
    }
    viewer.add_heartbeat(&beat(0, 2, 2, T0 + 1800));
    let finals = viewer.flush();
    assert!(!finals.is_empty());
    assert!(finals.iter().all(|(_, w)| w.relays
        == Some(RelayCoverage {
            relays: 1,
            expected: 2
        })
        && w.is_final));
    let wrong = AggregateRecord {
        relay: RelayStamp {
            group: 0,
            groups: 2,
            seq: 1,
        },
        partial: AppPartial {
            end: T0 + 30,
            ..relay_records(&hits, 0, 1)[0].partial.clone()
        },
    };
    assert!(matches!(
        viewer.add_aggregate(wrong),
        Taken::OtherWidth { .. }
    ));
}

#[test]
fn heartbeats_wait_for_every_shard_to_pass_them() {
    let mut gate = HeartbeatGate::default();
    let (a, b): (Arc<str>, Arc<str>) = (Arc::from("shard-a"), Arc::from("shard-b"));
    gate.delivered(&a, 1_000);
    gate.hold(beat(0, 1, 1, T0), 900);
    assert!(
        gate.release().is_empty(),
        "the source has not said which shards it reads"
    );
    gate.shard_state("shard-a", false, 1_000);
    gate.shard_state("shard-b", false, 1_000);
    assert!(gate.release().is_empty(), "shard b delivered nothing yet");
    gate.delivered(&b, 500);
    assert!(gate.release().is_empty(), "shard b is behind the heartbeat");
    gate.delivered(&b, 950);
    assert_eq!(gate.release().len(), 1);
    gate.hold(beat(0, 1, 2, T0), 2_000);
    gate.shard_state("shard-a", true, 2_500);
    gate.shard_state("shard-b", true, 2_500);
    assert!(
        gate.release().is_empty(),
        "at the tip, but said too soon after the heartbeat"
    );
    gate.shard_state("shard-b", true, 5_000);
    assert!(gate.release().is_empty(), "shard a's word is still too old");
    gate.shard_state("shard-a", true, 5_000);
    assert_eq!(gate.release().len(), 1);
    gate.hold(beat(0, 1, 3, T0), 9_000);
    gate.shard_state("shard-a", false, 20_000);
    assert!(gate.release().is_empty(), "shard a has records again");
    assert_eq!(gate.release_all().len(), 1);
}
