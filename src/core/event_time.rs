//! The watermark policy: event time per input, and when silence moves it on. Pure: the wall
//! clock is passed in as an `Instant`.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Event time per input. Windows close by the slowest input still delivering (each input's newest
/// event time, the lowest of those), so one shard or file read ahead in event time does not make
/// every other input's lines late. An input silent for [`OriginClocks::IDLE`] no longer holds
/// the others back (a finished file, a closed shard, a quiet log).
#[derive(Debug, Default)]
pub struct OriginClocks {
    origins: HashMap<Arc<str>, (i64, Instant)>,
}

impl OriginClocks {
    pub const IDLE: Duration = Duration::from_secs(5);

    /// An input that will deliver soon (a file being opened, a shard being read): it holds the
    /// watermark back until its first lines, or until it has been idle too long.
    pub fn wait_for(&mut self, origin: &str) {
        if !self.origins.contains_key(origin) {
            self.origins
                .insert(Arc::from(origin), (i64::MIN, Instant::now()));
        }
    }

    pub fn saw(&mut self, origin: &Arc<str>, newest: i64) {
        let now = Instant::now();
        match self.origins.get_mut(origin) {
            Some((t, seen)) => {
                *t = (*t).max(newest);
                *seen = now;
            }
            None => {
                self.origins.insert(origin.clone(), (newest, now));
            }
        }
    }

    /// The lowest newest-event-time among active inputs. When all are idle: the highest, and,
    /// if `follow_wall_clock`, moved on by the silence since anything last arrived. Then a
    /// stream that stops altogether still closes its windows and its alarms see the missing
    /// data, as CloudWatch evaluates on a schedule, not on arrival.
    pub fn watermark(&self, now: Instant, follow_wall_clock: bool) -> Option<i64> {
        let active = self
            .origins
            .values()
            .filter(|(_, seen)| now.duration_since(*seen) < Self::IDLE)
            .map(|(t, _)| *t)
            .min();
        if active.is_some() {
            return active.filter(|&t| t != i64::MIN);
        }
        let newest = self.origins.values().map(|(t, _)| *t).max()?;
        if newest == i64::MIN {
            return None;
        }
        let silence = self
            .origins
            .values()
            .map(|(_, seen)| now.duration_since(*seen))
            .min()
            .unwrap_or_default();
        let moved_on = if follow_wall_clock {
            i64::try_from(silence.as_secs()).unwrap_or(i64::MAX)
        } else {
            0
        };
        Some(newest.saturating_add(moved_on))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_slowest_active_origin_sets_the_watermark() {
        let mut clocks = OriginClocks::default();
        let (a, b): (Arc<str>, Arc<str>) = ("shard-a".into(), "shard-b".into());
        assert_eq!(clocks.watermark(Instant::now(), true), None);
        clocks.saw(&a, 1_000);
        clocks.saw(&b, 400);
        clocks.saw(&a, 900);
        assert_eq!(clocks.watermark(Instant::now(), true), Some(400));
        clocks.saw(&b, 700);
        assert_eq!(clocks.watermark(Instant::now(), true), Some(700));
        // Once every input is quiet, time is the newest seen anywhere (held while a source has
        // data still to come).
        let later = Instant::now() + OriginClocks::IDLE + Duration::from_millis(500);
        assert_eq!(clocks.watermark(later, false), Some(1_000));
    }

    #[test]
    fn silence_everywhere_moves_event_time_on_with_the_wall_clock() {
        let mut clocks = OriginClocks::default();
        let (a, b): (Arc<str>, Arc<str>) = ("shard-a".into(), "shard-b".into());
        let start = Instant::now();
        clocks.saw(&a, 1_000);
        clocks.saw(&b, 400);
        let quiet = |secs| start + Duration::from_secs(secs) + Duration::from_millis(300);
        // Still within the idle allowance: the slowest input holds time.
        assert_eq!(clocks.watermark(quiet(4), true), Some(400));
        // Everything silent for 6 s, then 10 minutes: event time runs on from the newest seen.
        assert_eq!(clocks.watermark(quiet(6), true), Some(1_006));
        assert_eq!(clocks.watermark(quiet(600), true), Some(1_600));
        assert_eq!(clocks.watermark(quiet(600), false), Some(1_000));
        // Nothing ever delivered: no time at all.
        let mut empty = OriginClocks::default();
        empty.wait_for("a.log");
        assert_eq!(empty.watermark(quiet(600), true), None);
    }

    #[test]
    fn an_expected_origin_holds_time_until_it_delivers() {
        let mut clocks = OriginClocks::default();
        let (a, b): (Arc<str>, Arc<str>) = ("a.log".into(), "b.log".into());
        clocks.wait_for("a.log");
        clocks.wait_for("b.log");
        clocks.saw(&a, 5_000);
        assert_eq!(clocks.watermark(Instant::now(), true), None);
        clocks.saw(&b, 100);
        assert_eq!(clocks.watermark(Instant::now(), true), Some(100));
    }
}
