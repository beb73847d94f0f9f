//! Stage 2: the one owner of window state. Takes parsed batches in order, feeds the aggregators,
//! evaluates alarms, and hands final windows, alarm changes, snapshots and the summary to its
//! [`Sink`]s (JSON Lines headless, snapshots for the TUI).

mod progress;
mod rate;
mod relays;
mod snapshots;
mod widths;

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use tokio::sync::{mpsc, watch};
use tokio_util::sync::CancellationToken;

use self::rate::RateMeter;
use super::parse_stage::ParsedBatch;
use super::sink::Sink;
use super::EngineCommand;
use crate::config::when::{InRange, TimeRange};
use crate::core::alarms::{AlarmEngine, AlarmsView};
use crate::core::event_time::OriginClocks;
use crate::core::{Aggregator, WindowConfig, WindowSummary};
use crate::output::actions::ActionRunner;
use crate::output::fault_log::FaultLog;
use crate::output::jsonl::is_broken_pipe;
use crate::output::lines::SummaryLine;
use crate::pipeline::recent::RecentKeeper;
use crate::pipeline::snapshot::{Counters, MalformedSample, MetadataStatus, SourceStatus};

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

/// What the engine reads besides its stage input.
pub struct EngineInputs {
    /// Requests from the UI (width changes, refresh).
    pub commands: Option<mpsc::UnboundedReceiver<EngineCommand>>,
    /// The metadata table in use and its freshness, shown in snapshots.
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
    /// Whether each width is still recorded (see [`widths`]: extra widths are given up at scale).
    kept: Vec<bool>,
    primary: usize,
    selected: usize,
    counters: Counters,
    samples: VecDeque<MalformedSample>,
    sources: BTreeMap<String, SourceStatus>,
    /// Sinks' own states (publishers), by name.
    sink_statuses: BTreeMap<String, SourceStatus>,
    source_name: String,
    alarms: Option<AlarmEngine>,
    actions: Option<ActionRunner>,
    alarms_view: Arc<AlarmsView>,
    /// Alarm states changed since `alarms_view` was made: the view (every state of every
    /// application) is made when a snapshot is published, not for every window that closes.
    alarms_changed: bool,
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
    sinks: Vec<Box<dyn Sink>>,
    /// Headless: sources' troubles said on standard error.
    fault_log: Option<FaultLog>,
    /// Relays' records merged (a viewer), once any arrived.
    relays: Option<relays::RelayInput>,
    inputs: EngineInputs,
    /// `--since` / `--until`: lines outside are counted, not recorded (their time still moves
    /// event time on: a line after `--until` says time has passed it).
    range: TimeRange,
    /// `--until` on input that does not end by itself: once every window that can hold a line
    /// before it is final, the sources are stopped through this token and the input ends.
    stop_after: Option<(i64, CancellationToken)>,
    /// Each application's recent raw requests (none unless the parser keeps raw lines: TUI).
    recent: RecentKeeper,
}

impl Engine {
    /// `widths`: window widths to keep (seconds); `primary_width` must be one of them (it is
    /// added if not).
    pub fn new(
        base: &WindowConfig,
        widths: &[i64],
        primary_width: i64,
        source_name: String,
        inputs: EngineInputs,
    ) -> Self {
        let mut widths = widths.to_vec();
        if !widths.contains(&primary_width) {
            widths.push(primary_width);
        }
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
            .unwrap_or_default();
        Engine {
            kept: vec![true; aggregators.len()],
            aggregators,
            primary,
            selected: primary,
            counters: Counters::default(),
            samples: VecDeque::new(),
            sources: BTreeMap::new(),
            sink_statuses: BTreeMap::new(),
            source_name,
            alarms: None,
            actions: None,
            alarms_view: Arc::new(AlarmsView::default()),
            alarms_changed: false,
            finished: false,
            seq: 0,
            dirty: true,
            last_publish: None,
            publish_cost: Duration::ZERO,
            published: (None, 0.0),
            rate: RateMeter::default(),
            format_spec: None,
            clocks: OriginClocks::new(base.lateness_secs),
            sinks: Vec::new(),
            fault_log: None,
            relays: None,
            inputs,
            range: TimeRange::default(),
            stop_after: None,
            recent: RecentKeeper::default(),
        }
    }

    /// Lines dated outside `range` are skipped and counted (`before_since`, `after_until`).
    pub fn set_range(&mut self, range: TimeRange) {
        self.range = range;
    }

    /// Ends the input (cancels `sources`) once event time has closed every window that can hold
    /// a line dated before `until_ms` (UTC epoch milliseconds): nothing read later can count.
    pub fn stop_after(&mut self, until_ms: i64, sources: CancellationToken) {
        self.stop_after = Some((until_ms, sources));
    }

    fn stop_if_until_passed(&mut self) {
        let Some((until_ms, sources)) = &self.stop_after else {
            return;
        };
        let primary = &self.aggregators[self.primary];
        let config = primary.config();
        // The newest second a line may carry and still be read: t * 1000 < until_ms.
        let last = until_ms
            .saturating_add(999)
            .div_euclid(1000)
            .saturating_sub(1);
        let closes_at = crate::core::aggregate::window_start(last, config.width_secs)
            .saturating_add(config.width_secs)
            .saturating_add(config.lateness_secs);
        if primary.watermark().is_some_and(|w| w >= closes_at) && !sources.is_cancelled() {
            tracing::info!(until_ms, "--until passed: the input ends");
            sources.cancel();
        }
    }

    /// Says the sources' troubles (and the metadata's) on standard error (headless).
    pub fn set_fault_log(&mut self, log: FaultLog) {
        self.fault_log = Some(log);
    }

    /// Adds a consumer of the results.
    pub fn add_sink(&mut self, sink: Box<dyn Sink>) {
        if sink.wants_partials() {
            self.aggregators[self.primary].export_partials(true);
        }
        self.sinks.push(sink);
    }

    /// Silence moves event time on whatever the data's age: the inputs are followed files.
    pub fn follow_silence(&mut self, always: bool) {
        self.clocks.follow_silence(always);
    }

    /// Inputs known before they deliver (the files named on the command line).
    pub fn wait_for_origins(&mut self, origins: &[Arc<str>]) {
        let now = Instant::now();
        for origin in origins {
            self.clocks.wait_for(origin, now);
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

    fn is_live(&self) -> bool {
        self.sinks.iter().any(|s| s.is_live())
    }

    /// Runs until the input ends, the output closes, or the channel is dropped.
    pub fn run(mut self, input: Receiver<StageMsg>) -> io::Result<EngineEnd> {
        loop {
            match input.recv_timeout(SNAPSHOT_EVERY) {
                Ok(StageMsg::Batch(batch)) => self.apply(batch),
                Ok(StageMsg::Watermark(t)) => {
                    // A stream idle at its tip: live data has reached now; a replay has not.
                    if self.clocks.is_current(t) {
                        for a in &mut self.aggregators {
                            a.advance(t);
                        }
                        self.dirty = true;
                    }
                }
                Ok(StageMsg::Status(status)) => {
                    let now = Instant::now();
                    if let Some(log) = self.fault_log.as_mut() {
                        log.observe(&status, now);
                    }
                    for part in &status.details {
                        self.clocks.wait_for(&part.name, now);
                    }
                    self.relays_source_status(&status);
                    self.sources.insert(status.name.clone(), status);
                    self.dirty = true;
                }
                Ok(StageMsg::AllFinished) | Err(RecvTimeoutError::Disconnected) => {
                    self.drain_relays(true);
                    self.counters.late = self.aggregators[self.primary].late() + self.relays_late();
                    for a in &mut self.aggregators {
                        a.flush();
                    }
                    self.finished = true;
                    self.dirty = true;
                    if let Some(end) = self.emit()? {
                        return Ok(end);
                    }
                    if !self.is_live() {
                        return self.finish();
                    }
                    // The TUI keeps showing the final state until the user quits.
                    if let Err(e) = self.report_progress(true) {
                        return closed_or(e).map(|end| end.unwrap_or(EngineEnd::OutputClosed));
                    }
                    self.publish(true);
                    return self.idle_until_closed(&input);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Inputs that went quiet stop holding the others back.
            self.advance_to_slowest_origin();
            self.stop_if_until_passed();
            if let Some(end) = self.emit()? {
                return Ok(end);
            }
            if self.published != self.shown_now() {
                self.dirty = true;
            }
            if let Err(e) = self.report_progress(false) {
                return closed_or(e).map(|end| end.unwrap_or(EngineEnd::OutputClosed));
            }
            self.handle_commands();
            self.publish(false);
            if let Some(log) = self.fault_log.as_mut() {
                log.tick(Instant::now());
            }
        }
    }

    fn apply(&mut self, mut batch: ParsedBatch) {
        if !batch.records.is_empty() {
            let records = std::mem::take(&mut batch.records);
            let origin = Arc::clone(&batch.origin);
            self.take_relay_records(&origin, records);
        }
        self.counters.lines += batch.lines;
        self.counters.parsed += batch.parsed;
        self.counters.malformed += batch.malformed;
        self.counters.bad_records += batch.bad_records;
        self.counters.future += batch.future;
        self.counters.trailing += batch.trailing;
        for s in batch.samples.drain(..) {
            if self.samples.len() == KEPT_SAMPLES {
                self.samples.pop_front();
            }
            self.samples.push_back(s);
        }
        let now = Instant::now();
        let origin = self.clocks.origin(&batch.origin, now);
        let mut watermark = self.clocks.watermark(now, None);
        advance_all(&mut self.aggregators, watermark);
        let (aggregators, kept, clocks) = (&mut self.aggregators, &self.kept, &mut self.clocks);
        let (range, counters) = (self.range, &mut self.counters);
        // Each event is late or not against the event time of the events before it, whatever
        // the batches the bytes came in (see `core::event_time`).
        batch.for_each_hashed_hit(|hit, hashes| {
            match range.place(hit.time) {
                InRange::Inside => {
                    // Hashed once (by the parse stage) for all the widths the hit is recorded in.
                    for (a, _) in aggregators.iter_mut().zip(kept).filter(|(_, k)| **k) {
                        a.record_hashed(hit, hashes);
                    }
                }
                InRange::Before => counters.before_since += 1,
                InRange::After => counters.after_until += 1,
            }
            if clocks.observe(origin, hit.time) {
                let moved = clocks.watermark(now, None);
                if moved > watermark {
                    watermark = moved;
                    advance_all(aggregators, watermark);
                }
            }
        });
        self.recent.take_batch(&batch, range);
        self.bound_extra_widths();
        self.counters.late = self.aggregators[self.primary].late() + self.relays_late();
        self.counters.closed_early = self.aggregators[self.primary].closed_early();
        self.rate.add(batch.parsed);
        self.dirty = true;
    }

    fn advance_to_slowest_origin(&mut self) {
        // A source in trouble or behind has data still to come: its silence is not the traffic's.
        let silence_is_real = !self
            .sources
            .values()
            .any(|s| s.problem.is_some() || s.lag_ms.is_some_and(|lag| lag > BACKLOG_MS));
        let wall = silence_is_real.then(crate::clock::now_secs);
        let watermark = self.clocks.watermark(Instant::now(), wall);
        advance_all(&mut self.aggregators, watermark);
    }

    /// Writes windows that became final (and what they cause) to the outputs.
    fn emit(&mut self) -> io::Result<Option<EngineEnd>> {
        self.drain_relays(false);
        let finals = self.aggregators[self.primary].take_final();
        let mut partials = self.aggregators[self.primary]
            .take_final_partials()
            .into_iter();
        for (i, a) in self.aggregators.iter_mut().enumerate() {
            if i != self.primary {
                // Other widths only serve the display; their finals need no action.
                a.take_final();
            }
        }
        for window in &finals {
            // One list per final window, in the same order (when a sink asked for them).
            let window_partials = partials.next().unwrap_or_default();
            for sink in &mut self.sinks {
                if let Err(e) = sink
                    .window(window)
                    .and_then(|()| sink.final_partials(&window_partials))
                {
                    return closed_or(e);
                }
            }
            if let Err(e) = self.evaluate_alarms(window) {
                return closed_or(e);
            }
        }
        // After the windows with data: the empty ones time has passed since.
        let silent = self.silent_window_closed();
        if let Some(window) = &silent {
            if let Err(e) = self.evaluate_alarms(window) {
                return closed_or(e);
            }
        }
        if finals.is_empty() && silent.is_none() {
            return Ok(None);
        }
        // Closed windows and the alarm states they caused are news for the screen.
        self.dirty = true;
        for sink in &mut self.sinks {
            if let Err(e) = sink.flush() {
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
    fn evaluate_alarms(&mut self, window: &WindowSummary) -> io::Result<()> {
        let Some(alarms) = self.alarms.as_mut() else {
            return Ok(());
        };
        for transition in alarms.evaluate(window) {
            // Debug: a `*` rule over many applications changes thousands of states at once;
            // transitions are in the JSON Lines and the alarm view.
            tracing::debug!(
                alarm = %transition.alarm,
                application = %transition.application,
                state = transition.state.as_str(),
                "alarm state changed"
            );
            if let Some(actions) = self.actions.as_mut() {
                actions.on_transition(&transition);
            }
            for sink in &mut self.sinks {
                sink.alarm(&transition)?;
            }
        }
        self.alarms_changed = true;
        Ok(())
    }

    fn finish(&mut self) -> io::Result<EngineEnd> {
        if let Err(e) = self.report_progress(true) {
            return closed_or(e).map(|end| end.unwrap_or(EngineEnd::OutputClosed));
        }
        if let Some(log) = self.fault_log.as_mut() {
            log.flush(Instant::now());
        }
        // Commands started by the last windows get a moment to complete before exit (none
        // when a signal stopped the run; see `ActionRunner::finish`).
        let actions = self
            .actions
            .take()
            .map(|actions| actions.finish_blocking(ACTIONS_GRACE));
        if let Some(stats) = actions {
            tracing::info!(?stats, "alarm actions finished");
        }
        let status = self.source_status();
        let mut line = SummaryLine::new(&self.counters, &self.source_name);
        line.actions_dropped = actions.map(|stats| stats.dropped);
        line.format = self.format_spec.as_deref();
        line.lag_ms = status.lag_ms;
        line.shards =
            (status.parts > 0 && self.source_name.starts_with("kinesis")).then_some(status.parts);
        for sink in &mut self.sinks {
            if let Err(e) = sink.summary(&line) {
                return closed_or(e).map(|end| end.unwrap_or(EngineEnd::OutputClosed));
            }
        }
        Ok(EngineEnd::Finished(self.counters))
    }

    fn idle_until_closed(mut self, input: &Receiver<StageMsg>) -> io::Result<EngineEnd> {
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
            if self.sinks.iter().any(|s| s.is_live() && s.is_closed()) {
                return Ok(EngineEnd::Finished(self.counters));
            }
            self.handle_commands();
            self.publish(false);
        }
    }

    fn handle_commands(&mut self) {
        let Some(commands) = self.inputs.commands.as_mut() else {
            return;
        };
        while let Ok(cmd) = commands.try_recv() {
            match cmd {
                EngineCommand::SetWidth(w) => {
                    if let Some(i) = self
                        .aggregators
                        .iter()
                        .zip(&self.kept)
                        .position(|(a, &kept)| kept && a.config().width_secs == w)
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
}

fn advance_all(aggregators: &mut [Aggregator], watermark: Option<i64>) {
    if let Some(t) = watermark {
        for a in aggregators {
            a.advance(t);
        }
    }
}

fn closed_or(e: io::Error) -> io::Result<Option<EngineEnd>> {
    if is_broken_pipe(&e) {
        Ok(Some(EngineEnd::OutputClosed))
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests;
