//! Stage 2: the one owner of window state. Takes parsed batches in order, feeds the aggregators,
//! writes final windows (headless) and publishes snapshots (TUI).

use std::collections::{BTreeMap, VecDeque};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use tokio::sync::{mpsc, watch};

use super::parse_stage::ParsedBatch;
use super::EngineCommand;
use crate::core::alarms::{AlarmEngine, AlarmsView};
use crate::core::{Aggregator, WindowConfig, WindowSummary};
use crate::output::actions::ActionRunner;
use crate::output::jsonl::{is_broken_pipe, JsonLinesWriter};
use crate::pipeline::snapshot::{
    Counters, MalformedSample, MetadataStatus, Snapshot, SourceStatus,
};

/// Malformed samples kept for the malformed view.
const KEPT_SAMPLES: usize = 200;
/// How long alarm actions still running at the end of finite input may take.
const ACTIONS_GRACE: Duration = Duration::from_secs(10);
/// Snapshots are published at most this often (the UI draws at ≤ 10 fps).
const SNAPSHOT_EVERY: Duration = Duration::from_millis(100);
/// A snapshot that took `t` to make (summarizing the open windows of 100,000 applications takes a
/// while) is followed by the next no sooner than `t × this`: publishing stays under a tenth of
/// this thread's time, so the TUI takes in a huge input nearly as fast as headless does.
const PUBLISH_SPACING: u32 = 9;
/// A source further behind than this still has data to deliver, so its silence does not move
/// event time on (see [`OriginClocks::watermark`]).
const BACKLOG_MS: u64 = 5_000;

/// What stage 1 sends to the engine, in source order.
#[derive(Debug)]
pub enum StageMsg {
    Batch(ParsedBatch),
    Watermark(i64),
    Status(SourceStatus),
    /// Every source has finished: flush and stop (headless) or mark finished (TUI).
    AllFinished,
}

/// Where the engine's results go.
pub struct Outputs {
    /// Headless: JSON Lines on standard output.
    pub json: Option<JsonLinesWriter<Box<dyn Write + Send>>>,
    /// TUI: the latest snapshot.
    pub snapshots: Option<watch::Sender<Arc<Snapshot>>>,
    pub commands: Option<mpsc::UnboundedReceiver<EngineCommand>>,
    pub metadata: watch::Receiver<MetadataStatus>,
}

/// How the engine ended.
#[derive(Debug)]
pub enum EngineEnd {
    /// Input ended (or was cancelled) and everything was flushed.
    Finished(Counters),
    /// Standard output went away (e.g. `| head`).
    OutputClosed,
}

pub struct Engine {
    /// One aggregator per kept width; `primary` is the configured `--window`.
    aggregators: Vec<Aggregator>,
    primary: usize,
    selected: usize,
    counters: Counters,
    samples: VecDeque<MalformedSample>,
    sources: BTreeMap<String, SourceStatus>,
    source_name: String,
    alarms: Option<AlarmEngine>,
    actions: Option<ActionRunner>,
    alarms_view: Arc<AlarmsView>,
    finished: bool,
    seq: u64,
    dirty: bool,
    last_publish: Option<Instant>,
    /// How long the last snapshot took to make.
    publish_cost: Duration,
    /// Event time and events/s in the last snapshot: when silence moves either, the screen must
    /// move too, without a line arriving.
    published: (Option<i64>, f64),
    rate: RateMeter,
    format_spec: Option<String>,
    clocks: OriginClocks,
}

impl Engine {
    /// `widths`: window widths to keep (seconds); `primary_width` must be one of them.
    pub fn new(
        base: &WindowConfig,
        widths: &[i64],
        primary_width: i64,
        source_name: String,
    ) -> Self {
        let aggregators: Vec<Aggregator> = widths
            .iter()
            .map(|&w| {
                Aggregator::new(WindowConfig {
                    width_secs: w,
                    ..base.clone()
                })
            })
            .collect();
        let primary = widths
            .iter()
            .position(|&w| w == primary_width)
            .expect("primary width is one of the kept widths");
        Engine {
            aggregators,
            primary,
            selected: primary,
            counters: Counters::default(),
            samples: VecDeque::new(),
            sources: BTreeMap::new(),
            source_name,
            alarms: None,
            actions: None,
            alarms_view: Arc::new(AlarmsView::default()),
            finished: false,
            seq: 0,
            dirty: true,
            last_publish: None,
            publish_cost: Duration::ZERO,
            published: (None, 0.0),
            rate: RateMeter::default(),
            format_spec: None,
            clocks: OriginClocks::default(),
        }
    }

    /// Inputs known before they deliver (the files named on the command line).
    pub fn expect_origins(&mut self, origins: &[Arc<str>]) {
        for origin in origins {
            self.clocks.expect(origin);
        }
    }

    /// Evaluates these alarms on every final window of the primary width, and runs their actions.
    pub fn set_alarms(&mut self, alarms: AlarmEngine, actions: Option<ActionRunner>) {
        self.alarms_view = Arc::new(alarms.view());
        self.alarms = Some(alarms);
        self.actions = actions;
    }

    /// Records the log format in use (for the summary line).
    pub fn set_format_spec(&mut self, spec: Option<String>) {
        self.format_spec = spec;
    }

    /// Runs until the input ends, the output closes, or the channel is dropped.
    pub fn run(
        mut self,
        input: Receiver<StageMsg>,
        mut out: Outputs,
    ) -> std::io::Result<EngineEnd> {
        loop {
            match input.recv_timeout(SNAPSHOT_EVERY) {
                Ok(StageMsg::Batch(batch)) => self.apply(batch),
                Ok(StageMsg::Watermark(t)) => {
                    for a in &mut self.aggregators {
                        a.advance(t);
                    }
                    self.dirty = true;
                }
                Ok(StageMsg::Status(status)) => {
                    for part in &status.details {
                        self.clocks.expect(&part.name);
                    }
                    self.sources.insert(status.name.clone(), status);
                    self.dirty = true;
                }
                Ok(StageMsg::AllFinished) | Err(RecvTimeoutError::Disconnected) => {
                    for a in &mut self.aggregators {
                        a.flush();
                    }
                    self.finished = true;
                    self.dirty = true;
                    if let Some(end) = self.emit(&mut out)? {
                        return Ok(end);
                    }
                    if out.snapshots.is_none() {
                        return self.finish(&mut out);
                    }
                    // The TUI keeps showing the final state until the user quits.
                    self.publish(&mut out, true);
                    return self.idle_until_closed(&input, &mut out);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Inputs that went quiet stop holding the others back.
            self.advance_to_slowest_origin();
            if let Some(end) = self.emit(&mut out)? {
                return Ok(end);
            }
            if self.published != self.shown_now() {
                self.dirty = true;
            }
            self.handle_commands(&mut out);
            self.publish(&mut out, false);
        }
    }

    fn apply(&mut self, mut batch: ParsedBatch) {
        self.counters.lines += batch.lines;
        self.counters.parsed += batch.parsed;
        self.counters.malformed += batch.malformed;
        self.counters.bad_records += batch.bad_records;
        for s in batch.samples.drain(..) {
            if self.samples.len() == KEPT_SAMPLES {
                self.samples.pop_front();
            }
            self.samples.push_back(s);
        }
        let aggregators = &mut self.aggregators;
        batch.for_each_hit(|hit| {
            for a in aggregators.iter_mut() {
                a.record(hit);
            }
        });
        if let Some(t) = batch.max_time {
            self.clocks.saw(&batch.origin, t);
        }
        self.advance_to_slowest_origin();
        self.counters.late = self.aggregators[self.primary].late();
        self.rate.add(batch.parsed);
        self.dirty = true;
    }

    fn advance_to_slowest_origin(&mut self) {
        // A source in trouble or behind has data still to come: its silence is not the traffic's.
        let silence_is_real = !self
            .sources
            .values()
            .any(|s| s.problem.is_some() || s.lag_ms.is_some_and(|lag| lag > BACKLOG_MS));
        if let Some(t) = self.clocks.watermark(Instant::now(), silence_is_real) {
            for a in &mut self.aggregators {
                a.advance(t);
            }
        }
    }

    /// Writes windows that became final (and what they cause) to the outputs.
    fn emit(&mut self, out: &mut Outputs) -> std::io::Result<Option<EngineEnd>> {
        let finals = self.aggregators[self.primary].take_final();
        for (i, a) in self.aggregators.iter_mut().enumerate() {
            if i != self.primary {
                // Other widths only serve the display; their finals need no action.
                a.take_final();
            }
        }
        for window in &finals {
            if let Some(json) = out.json.as_mut() {
                if let Err(e) = json.write_window(window) {
                    return closed_or(e);
                }
            }
            if let Err(e) = self.evaluate_alarms(window, out) {
                return closed_or(e);
            }
        }
        // After the windows with data: the empty ones time has passed since.
        let silent = self.silent_window_closed();
        if let Some(window) = &silent {
            if let Err(e) = self.evaluate_alarms(window, out) {
                return closed_or(e);
            }
        }
        if finals.is_empty() && silent.is_none() {
            return Ok(None);
        }
        // Closed windows and the alarm states they caused are news for the screen.
        self.dirty = true;
        if let Some(json) = out.json.as_mut() {
            if let Err(e) = json.flush() {
                return closed_or(e);
            }
        }
        Ok(None)
    }

    /// An empty window for the newest window the watermark closed, when it is newer than any
    /// window the alarms have seen: with no traffic at all, no window is ever reported, yet
    /// alarms must see the missing data. Only after real windows were evaluated, so the time
    /// before the first request never counts as missing.
    fn silent_window_closed(&self) -> Option<WindowSummary> {
        let alarms = self.alarms.as_ref()?;
        let last = alarms.last_window_start()?;
        let start = self.aggregators[self.primary].newest_closed_start()?;
        (start > last).then(|| WindowSummary::empty(start, alarms.width_secs(), true))
    }

    /// Evaluates the alarms on a final window; alarm lines follow the window's own lines.
    fn evaluate_alarms(
        &mut self,
        window: &WindowSummary,
        out: &mut Outputs,
    ) -> std::io::Result<()> {
        let Some(alarms) = self.alarms.as_mut() else {
            return Ok(());
        };
        for transition in alarms.evaluate(window) {
            tracing::info!(
                alarm = %transition.alarm,
                application = %transition.application,
                state = transition.state.as_str(),
                "alarm state changed"
            );
            if let Some(actions) = self.actions.as_mut() {
                actions.on_transition(&transition);
            }
            if let Some(json) = out.json.as_mut() {
                json.write_value(&transition.to_json())?;
            }
        }
        self.alarms_view = Arc::new(alarms.view());
        Ok(())
    }

    fn finish(&mut self, out: &mut Outputs) -> std::io::Result<EngineEnd> {
        if let Some(actions) = self.actions.take() {
            // Commands started by the last windows get a moment to complete before exit.
            let stats = actions.finish_blocking(ACTIONS_GRACE);
            tracing::info!(?stats, "alarm actions finished");
        }
        if let Some(json) = out.json.as_mut() {
            let mut extra = serde_json::Map::new();
            extra.insert("bad_records".into(), self.counters.bad_records.into());
            extra.insert("source".into(), self.source_name.clone().into());
            if let Some(spec) = &self.format_spec {
                extra.insert("format".into(), spec.clone().into());
            }
            let status = self.source_status();
            if let Some(lag) = status.lag_ms {
                extra.insert("lag_ms".into(), lag.into());
            }
            if status.parts > 0 && self.source_name.starts_with("kinesis") {
                extra.insert("shards".into(), status.parts.into());
            }
            if let Err(e) = json
                .write_summary(&self.counters, extra)
                .and_then(|_| json.flush())
            {
                return closed_or(e).map(|end| end.unwrap_or(EngineEnd::OutputClosed));
            }
        }
        Ok(EngineEnd::Finished(self.counters))
    }

    fn idle_until_closed(
        mut self,
        input: &Receiver<StageMsg>,
        out: &mut Outputs,
    ) -> std::io::Result<EngineEnd> {
        loop {
            match input.recv_timeout(SNAPSHOT_EVERY) {
                // Stage 1 is gone once the input ended; the UI still asks for other widths.
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(SNAPSHOT_EVERY),
                Ok(StageMsg::Status(status)) => {
                    self.sources.insert(status.name.clone(), status);
                    self.dirty = true;
                }
                _ => {}
            }
            if out.snapshots.as_ref().is_some_and(|tx| tx.is_closed()) {
                return Ok(EngineEnd::Finished(self.counters));
            }
            self.handle_commands(out);
            self.publish(out, false);
        }
    }

    fn handle_commands(&mut self, out: &mut Outputs) {
        let Some(commands) = out.commands.as_mut() else {
            return;
        };
        while let Ok(cmd) = commands.try_recv() {
            match cmd {
                EngineCommand::SetWidth(w) => {
                    if let Some(i) = self
                        .aggregators
                        .iter()
                        .position(|a| a.config().width_secs == w)
                    {
                        self.selected = i;
                        self.dirty = true;
                        self.last_publish = None;
                    }
                }
                EngineCommand::Refresh => {
                    self.dirty = true;
                    self.last_publish = None;
                }
            }
        }
    }

    /// What silence alone changes on screen: event time (the window of now) and events/s.
    fn shown_now(&self) -> (Option<i64>, f64) {
        let selected = &self.aggregators[self.selected];
        (
            selected.newest_event().max(selected.watermark()),
            self.rate.per_sec(),
        )
    }

    fn source_status(&self) -> SourceStatus {
        merge_statuses(&self.source_name, self.sources.values())
    }

    fn publish(&mut self, out: &mut Outputs, force: bool) {
        let Some(tx) = out.snapshots.as_ref() else {
            return;
        };
        if out.metadata.has_changed().unwrap_or(false) {
            self.dirty = true;
        }
        let spacing = SNAPSHOT_EVERY.max(self.publish_cost * PUBLISH_SPACING);
        let due = self.last_publish.is_none_or(|t| t.elapsed() >= spacing);
        if !(force || (self.dirty && due)) {
            return;
        }
        let started = Instant::now();
        self.seq += 1;
        self.published = self.shown_now();
        let selected = &self.aggregators[self.selected];
        let snapshot = Snapshot {
            seq: self.seq,
            taken_at_ms: now_ms(),
            width_secs: selected.config().width_secs,
            windows: windows_until_now(selected),
            watermark: selected.newest_event().max(selected.watermark()),
            counters: self.counters,
            events_per_sec: self.rate.per_sec(),
            malformed: self.samples.iter().cloned().collect(),
            source: self.source_status(),
            metadata: out.metadata.borrow_and_update().clone(),
            alarms: self.alarms_view.clone(),
            finished: self.finished,
        };
        let _ = tx.send(Arc::new(snapshot));
        self.dirty = false;
        self.publish_cost = started.elapsed();
        self.last_publish = Some(Instant::now());
    }
}

/// The aggregator's windows, and, when time has moved past the newest of them without a single
/// request (a silent source, see [`OriginClocks::watermark`]), an empty open window for now:
/// the screen shows that nothing is arriving instead of the last window that had traffic.
fn windows_until_now(aggregator: &Aggregator) -> Vec<Arc<WindowSummary>> {
    let mut windows = aggregator.windows();
    let width = aggregator.config().width_secs;
    if let (Some(now), Some(newest)) = (aggregator.watermark(), windows.last()) {
        let start = crate::core::aggregate::window_start(now, width);
        if start >= newest.end {
            windows.push(Arc::new(WindowSummary::empty(start, width, false)));
        }
    }
    windows
}

fn closed_or(e: std::io::Error) -> std::io::Result<Option<EngineEnd>> {
    if is_broken_pipe(&e) {
        Ok(Some(EngineEnd::OutputClosed))
    } else {
        Err(e)
    }
}

/// One status for the status bar out of every source's.
pub fn merge_statuses<'a>(name: &str, all: impl Iterator<Item = &'a SourceStatus>) -> SourceStatus {
    let mut merged = SourceStatus {
        name: name.to_string(),
        ..SourceStatus::default()
    };
    for s in all {
        merged.parts += s.parts;
        merged.lag_ms = match (merged.lag_ms, s.lag_ms) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
        merged.records_per_sec += s.records_per_sec;
        if merged.problem.is_none() {
            merged.problem = s.problem.clone();
        }
        merged.details.extend(s.details.iter().cloned());
    }
    merged
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// Events per second over the last few seconds (a ring of one-second buckets).
#[derive(Debug, Default)]
struct RateMeter {
    buckets: VecDeque<(Instant, u64)>,
}

impl RateMeter {
    const SPAN: Duration = Duration::from_secs(3);

    fn add(&mut self, n: u64) {
        let now = Instant::now();
        match self.buckets.back_mut() {
            Some((t, count)) if now.duration_since(*t) < Duration::from_millis(250) => *count += n,
            _ => self.buckets.push_back((now, n)),
        }
        while self
            .buckets
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) > Self::SPAN)
        {
            self.buckets.pop_front();
        }
    }

    fn per_sec(&self) -> f64 {
        let recent = self
            .buckets
            .iter()
            .filter(|(t, _)| t.elapsed() <= Self::SPAN);
        let total: u64 = recent.map(|(_, n)| *n).sum();
        total as f64 / Self::SPAN.as_secs_f64()
    }
}

/// Event time per input. Windows close by the slowest input still delivering (each input's newest
/// event time, the lowest of those), so one shard or file read ahead in event time does not make
/// every other input's lines late. An input silent for [`OriginClocks::IDLE`] no longer holds
/// the others back (a finished file, a closed shard, a quiet log).
#[derive(Debug, Default)]
struct OriginClocks {
    origins: std::collections::HashMap<Arc<str>, (i64, Instant)>,
}

impl OriginClocks {
    const IDLE: Duration = Duration::from_secs(5);

    /// An input that will deliver soon (a file being opened, a shard being read): it holds the
    /// watermark back until its first lines, or until it has been idle too long.
    fn expect(&mut self, origin: &str) {
        if !self.origins.contains_key(origin) {
            self.origins
                .insert(Arc::from(origin), (i64::MIN, Instant::now()));
        }
    }

    fn saw(&mut self, origin: &Arc<str>, newest: i64) {
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
    fn watermark(&self, now: Instant, follow_wall_clock: bool) -> Option<i64> {
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
        empty.expect("a.log");
        assert_eq!(empty.watermark(quiet(600), true), None);
    }

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
        });
        aggregator.advance(299);
        let starts = |w: &[Arc<WindowSummary>]| w.iter().map(|w| w.start).collect::<Vec<_>>();
        assert_eq!(starts(&windows_until_now(&aggregator)), [0]);
        // Time moved on by the wall clock into the next window, and nothing arrived.
        aggregator.advance(1_000);
        let windows = windows_until_now(&aggregator);
        assert_eq!(starts(&windows), [0, 900]);
        let now = windows.last().unwrap();
        assert!(now.apps.is_empty() && !now.is_final && now.end == 1_200);
    }

    #[test]
    fn an_expected_origin_holds_time_until_it_delivers() {
        let mut clocks = OriginClocks::default();
        let (a, b): (Arc<str>, Arc<str>) = ("a.log".into(), "b.log".into());
        clocks.expect("a.log");
        clocks.expect("b.log");
        clocks.saw(&a, 5_000);
        assert_eq!(clocks.watermark(Instant::now(), true), None);
        clocks.saw(&b, 100);
        assert_eq!(clocks.watermark(Instant::now(), true), Some(100));
    }
}
