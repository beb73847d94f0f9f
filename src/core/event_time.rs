//! The watermark policy: event time per input, which event is late, and when silence moves time
//! on. Pure: wall time is passed in (`Instant` for idleness, epoch seconds for "now").
//!
//! **Per event, per input.** Each input (file, shard, `stdin`, `demo`) has its own clock, moved
//! by its events one at a time, so the same lines in the same order give the same windows
//! whether they were read in one chunk or one line at a time. Windows close by the slowest input
//! still delivering: the watermark is the lowest clock among inputs active in the last
//! [`OriginClocks::IDLE`], so a shard or file read ahead in event time does not make the others'
//! lines late.
//!
//! **One line cannot poison the clock.** The first event of an input sets its clock. After that
//! an event at most `jump` seconds (the lateness) ahead moves the clock at once: a jump that
//! small never makes a line of the current time late. A bigger jump moves the clock only when
//! the *next* event of that input confirms it (is also more than `jump` ahead), and then only as
//! far as the lesser of the two. An isolated line hours or years ahead of its neighbours
//! therefore never moves event time; it is still counted, in its own window. (Lines further
//! ahead of the wall clock than `--max-skew` are refused before they get here: `future`.)
//!
//! **Silence.** When every input has been quiet for [`OriginClocks::IDLE`] and none reports a
//! backlog or a fault, event time runs on with the wall clock from the newest event, so a stream
//! that stopped still closes its windows and its alarms see the missing data. This holds for
//! inputs declared live (`--follow`: see [`OriginClocks::follow_silence`]) and for any input
//! while its data is current (the newest event within [`CURRENT_WITHIN`] of the wall clock). A
//! replay of old data through a pipe or from a stream's start is never moved by pauses in
//! reading, so its windows are the same however fast it is read.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How close to the wall clock the newest event must be for silence to move event time on.
pub const CURRENT_WITHIN: i64 = 15 * 60;

/// An input registered with [`OriginClocks::origin`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OriginId(usize);

#[derive(Debug)]
struct OriginClock {
    /// Confirmed event time; `None` until the first event.
    time: Option<i64>,
    /// A jump beyond `time + jump` waiting for the next event to confirm it.
    pending: Option<i64>,
    last_seen: Instant,
}

/// Event time per input; see the module docs.
#[derive(Debug)]
pub struct OriginClocks {
    index: HashMap<Arc<str>, OriginId>,
    origins: Vec<OriginClock>,
    /// A forward step larger than this needs a second event to confirm it.
    jump: i64,
    /// Whether silence moves event time on whatever the data's age (followed files).
    always_follow_silence: bool,
}

impl OriginClocks {
    /// An input silent this long no longer holds the others back.
    pub const IDLE: Duration = Duration::from_secs(5);

    /// `jump`: the largest forward step (seconds) one event may make alone: the lateness.
    pub fn new(jump: i64) -> Self {
        OriginClocks {
            index: HashMap::new(),
            origins: Vec::new(),
            jump: jump.max(0),
            always_follow_silence: false,
        }
    }

    /// Silence moves event time on even when the data is old: the inputs are followed files
    /// (`--follow`), which the user declared live.
    pub fn follow_silence(&mut self, always: bool) {
        self.always_follow_silence = always;
    }

    /// An input that will deliver soon (a file being opened, a shard being read): it holds the
    /// watermark back until its first event, or until it has been idle for [`Self::IDLE`].
    pub fn wait_for(&mut self, origin: &str, now: Instant) {
        if !self.index.contains_key(origin) {
            self.register(Arc::from(origin), now);
        }
    }

    /// The id of an input that is delivering now (registered on first sight).
    pub fn origin(&mut self, origin: &Arc<str>, now: Instant) -> OriginId {
        match self.index.get(origin) {
            Some(&id) => {
                self.origins[id.0].last_seen = now;
                id
            }
            None => self.register(Arc::clone(origin), now),
        }
    }

    fn register(&mut self, origin: Arc<str>, now: Instant) -> OriginId {
        let id = OriginId(self.origins.len());
        self.origins.push(OriginClock {
            time: None,
            pending: None,
            last_seen: now,
        });
        self.index.insert(origin, id);
        id
    }

    /// One event of input `id` at time `t`, in input order. Returns whether the input's
    /// confirmed time moved (the watermark may have).
    #[inline]
    pub fn observe(&mut self, id: OriginId, t: i64) -> bool {
        let jump = self.jump;
        let o = &mut self.origins[id.0];
        match o.time {
            Some(c) if t <= c => {
                o.pending = None;
                false
            }
            Some(c) if t.saturating_sub(c) <= jump => {
                o.time = Some(t);
                o.pending = None;
                true
            }
            Some(_) => match o.pending.take() {
                Some(p) => {
                    o.time = Some(p.min(t));
                    true
                }
                None => {
                    o.pending = Some(t);
                    false
                }
            },
            None => {
                o.time = Some(t);
                true
            }
        }
    }

    /// The newest confirmed event time of any input (what "now" is in event time).
    pub fn newest(&self) -> Option<i64> {
        self.origins.iter().filter_map(|o| o.time).max()
    }

    /// Whether the newest event is within [`CURRENT_WITHIN`] of wall-clock `wall_now` (epoch
    /// seconds): live data, not a replay.
    pub fn is_current(&self, wall_now: i64) -> bool {
        self.newest()
            .is_some_and(|n| n >= wall_now.saturating_sub(CURRENT_WITHIN))
    }

    /// The lowest confirmed time among inputs active at `now` (an active input that has not
    /// delivered yet holds time: `None`). When every input is idle: the newest time, and, given
    /// `silence_to` (wall-clock epoch seconds; the caller passes it only when no input reports a
    /// backlog or a fault) and current data, moved on by the silence since anything arrived.
    pub fn watermark(&self, now: Instant, silence_to: Option<i64>) -> Option<i64> {
        let active = self
            .origins
            .iter()
            .filter(|o| now.duration_since(o.last_seen) < Self::IDLE)
            .map(|o| o.time)
            .min();
        if let Some(active) = active {
            return active;
        }
        let newest = self.newest()?;
        let Some(wall_now) = silence_to else {
            return Some(newest);
        };
        let silence = self
            .origins
            .iter()
            .map(|o| now.duration_since(o.last_seen))
            .min()
            .unwrap_or_default();
        let silence = i64::try_from(silence.as_secs()).unwrap_or(i64::MAX);
        let arrived_at = wall_now.saturating_sub(silence);
        if self.always_follow_silence || newest >= arrived_at.saturating_sub(CURRENT_WITHIN) {
            Some(newest.saturating_add(silence))
        } else {
            Some(newest)
        }
    }
}

#[cfg(test)]
mod tests;
