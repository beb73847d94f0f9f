use super::*;

fn clocks_with(jump: i64) -> (OriginClocks, Instant) {
    (OriginClocks::new(jump), Instant::now())
}

#[test]
fn the_slowest_active_origin_sets_the_watermark() {
    let (mut clocks, now) = clocks_with(60);
    let (a, b): (Arc<str>, Arc<str>) = ("shard-a".into(), "shard-b".into());
    assert_eq!(clocks.watermark(now, None), None);
    let ia = clocks.origin(&a, now);
    let ib = clocks.origin(&b, now);
    clocks.observe(ia, 1_000);
    clocks.observe(ib, 400);
    clocks.observe(ia, 900);
    assert_eq!(clocks.watermark(now, None), Some(400));
    clocks.observe(ib, 440);
    assert_eq!(clocks.watermark(now, None), Some(440));
    // Once every input is quiet, time is the newest seen anywhere.
    let later = now + OriginClocks::IDLE + Duration::from_millis(500);
    assert_eq!(clocks.watermark(later, None), Some(1_000));
    assert_eq!(clocks.newest(), Some(1_000));
}

#[test]
fn an_expected_origin_holds_time_until_it_delivers() {
    let (mut clocks, now) = clocks_with(60);
    let (a, b): (Arc<str>, Arc<str>) = ("a.log".into(), "b.log".into());
    clocks.wait_for("a.log", now);
    clocks.wait_for("b.log", now);
    let ia = clocks.origin(&a, now);
    clocks.observe(ia, 5_000);
    assert_eq!(clocks.watermark(now, None), None);
    let ib = clocks.origin(&b, now);
    clocks.observe(ib, 100);
    assert_eq!(clocks.watermark(now, None), Some(100));
    // Never delivering, it stops holding the others after the idle time.
    let (mut clocks, now) = clocks_with(60);
    clocks.wait_for("never.log", now);
    let ia = clocks.origin(&a, now);
    clocks.observe(ia, 5_000);
    assert_eq!(clocks.watermark(now, None), None);
    let later = now + OriginClocks::IDLE + Duration::from_millis(10);
    let ia = clocks.origin(&a, later);
    clocks.observe(ia, 5_001);
    assert_eq!(clocks.watermark(later, None), Some(5_001));
}

#[test]
fn an_isolated_event_far_ahead_never_moves_the_clock() {
    let (mut clocks, now) = clocks_with(60);
    let a: Arc<str> = "access.log".into();
    let id = clocks.origin(&a, now);
    assert!(clocks.observe(id, 1_000), "the first event sets the clock");
    assert!(
        clocks.observe(id, 1_030),
        "a step within the lateness moves it at once"
    );
    // A line a day ahead, then ordinary lines again: the clock does not move.
    assert!(!clocks.observe(id, 1_030 + 86_400));
    assert!(!clocks.observe(id, 1_031 - 5));
    assert!(clocks.observe(id, 1_031));
    assert_eq!(clocks.watermark(now, None), Some(1_031));
    // Two outliers separated by an ordinary line still do not.
    assert!(!clocks.observe(id, 900_000));
    assert!(!clocks.observe(id, 1_031));
    assert!(!clocks.observe(id, 900_001));
    assert_eq!(clocks.watermark(now, None), Some(1_031));
}

#[test]
fn a_real_jump_is_confirmed_by_the_next_event_to_the_lesser_of_the_two() {
    let (mut clocks, now) = clocks_with(60);
    let a: Arc<str> = "access.log".into();
    let id = clocks.origin(&a, now);
    clocks.observe(id, 10_000);
    // The log resumes two hours later.
    assert!(!clocks.observe(id, 17_205));
    assert!(clocks.observe(id, 17_200));
    assert_eq!(clocks.watermark(now, None), Some(17_200));
    // With no lateness at all, every forward step waits for a second event.
    let (mut strict, now) = clocks_with(0);
    let id = strict.origin(&a, now);
    strict.observe(id, 100);
    assert!(!strict.observe(id, 101));
    assert!(strict.observe(id, 101));
    assert_eq!(strict.watermark(now, None), Some(101));
}

#[test]
fn silence_moves_current_data_on_with_the_wall_clock_and_never_a_replay() {
    let (mut clocks, start) = clocks_with(60);
    let wall = 1_700_000_000;
    let (a, b): (Arc<str>, Arc<str>) = ("shard-a".into(), "shard-b".into());
    let ia = clocks.origin(&a, start);
    let ib = clocks.origin(&b, start);
    clocks.observe(ia, wall - 2);
    clocks.observe(ib, wall - 30);
    let quiet = |secs| start + Duration::from_secs(secs) + Duration::from_millis(300);
    // Still within the idle allowance: the slowest input holds time.
    assert_eq!(clocks.watermark(quiet(4), Some(wall + 4)), Some(wall - 30));
    // Everything silent for 6 s, then 10 minutes: event time runs on from the newest seen.
    assert_eq!(clocks.watermark(quiet(6), Some(wall + 6)), Some(wall + 4));
    assert_eq!(
        clocks.watermark(quiet(600), Some(wall + 600)),
        Some(wall + 598)
    );
    // A source with a backlog or a fault: no silence (the caller passes no wall time).
    assert_eq!(clocks.watermark(quiet(600), None), Some(wall - 2));
    // A replay of 2017 data: pauses in reading never move its event time.
    let (mut replay, start) = clocks_with(60);
    let id = replay.origin(&a, start);
    replay.observe(id, 1_484_906_700);
    assert!(!replay.is_current(wall));
    assert_eq!(
        replay.watermark(start + Duration::from_secs(600), Some(wall + 600)),
        Some(1_484_906_700)
    );
    // A followed file is live by declaration: its silence moves time whatever the dates.
    let (mut followed, start) = clocks_with(60);
    followed.follow_silence(true);
    let id = followed.origin(&a, start);
    followed.observe(id, 1_484_906_700);
    assert_eq!(
        followed.watermark(start + Duration::from_secs(600), Some(wall + 600)),
        Some(1_484_907_300)
    );
    // Nothing ever delivered: no time at all.
    let (mut empty, start) = clocks_with(60);
    empty.wait_for("a.log", start);
    assert_eq!(
        empty.watermark(start + Duration::from_secs(600), Some(wall)),
        None
    );
}
