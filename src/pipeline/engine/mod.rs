//! Stage 2: the one owner of window state. Takes parsed batches in order, feeds the aggregators,
//! evaluates alarms, and hands final windows, alarm changes, snapshots and the summary to its
//! [`Sink`]s (JSON Lines headless, snapshots for the TUI).

mod rate;

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError};
use tokio::sync::{mpsc, watch};

use self::rate::RateMeter;
use super::parse_stage::ParsedBatch;
use super::sink::Sink;
use super::EngineCommand;
use crate::core::alarms::{AlarmEngine, AlarmsView};
use crate::core::event_time::OriginClocks;
use crate::core::{Aggregator, WindowConfig, WindowSummary};
use crate::output::actions::ActionRunner;
use crate::output::jsonl::is_broken_pipe;
use crate::output::lines::SummaryLine;
use crate::pipeline::snapshot::{
    merge_statuses, Counters, MalformedSample, MetadataStatus, Snapshot, SourceStatus,
};

/// Malformed samples kept for the malformed view.
const KEPT_SAMPLES: usize = 200;
/// How long alarm actions still running at the end of finite input may take.
const ACTIONS_GRACE: Duration = Duration::from_secs(10);
/// Snapshots are published at most this often (the UI draws at ≤ 10 fps).
const SNAPSHOT_EVERY: Duration = Duration::from_millis(100);
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
    rate: RateMeter,
    format_spec: Option<String>,
    clocks: OriginClocks,
    sinks: Vec<Box<dyn Sink>>,
    inputs: EngineInputs,
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
            rate: RateMeter::default(),
            format_spec: None,
            clocks: OriginClocks::default(),
            sinks: Vec::new(),
            inputs,
        }
    }

    /// Adds a consumer of the results.
    pub fn add_sink(&mut self, sink: Box<dyn Sink>) {
        self.sinks.push(sink);
    }

    /// Inputs known before they deliver (the files named on the command line).
    pub fn wait_for_origins(&mut self, origins: &[Arc<str>]) {
        for origin in origins {
            self.clocks.wait_for(origin);
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
                    for a in &mut self.aggregators {
                        a.advance(t);
                    }
                    self.dirty = true;
                }
                Ok(StageMsg::Status(status)) => {
                    for part in &status.details {
                        self.clocks.wait_for(&part.name);
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
                    if let Some(end) = self.emit()? {
                        return Ok(end);
                    }
                    if !self.is_live() {
                        return self.finish();
                    }
                    // The TUI keeps showing the final state until the user quits.
                    self.publish(true);
                    return self.idle_until_closed(&input);
                }
                Err(RecvTimeoutError::Timeout) => {}
            }
            // Inputs that went quiet stop holding the others back.
            self.advance_to_slowest_origin();
            if let Some(end) = self.emit()? {
                return Ok(end);
            }
            self.handle_commands();
            self.publish(false);
        }
    }

    fn apply(&mut self, mut batch: ParsedBatch) {
        self.counters.lines += batch.lines;
        self.counters.parsed += batch.parsed;
        self.counters.malformed += batch.malformed;
        self.counters.bad_records += batch.bad_records;
        self.counters.trailing += batch.trailing;
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
    fn emit(&mut self) -> io::Result<Option<EngineEnd>> {
        let finals = self.aggregators[self.primary].take_final();
        for (i, a) in self.aggregators.iter_mut().enumerate() {
            if i != self.primary {
                // Other widths only serve the display; their finals need no action.
                a.take_final();
            }
        }
        for window in &finals {
            for sink in &mut self.sinks {
                if let Err(e) = sink.window(window) {
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
            tracing::info!(
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
        self.alarms_view = Arc::new(alarms.view());
        Ok(())
    }

    fn finish(&mut self) -> io::Result<EngineEnd> {
        if let Some(actions) = self.actions.take() {
            // Commands started by the last windows get a moment to complete before exit.
            let stats = actions.finish_blocking(ACTIONS_GRACE);
            tracing::info!(?stats, "alarm actions finished");
        }
        let status = self.source_status();
        let mut line = SummaryLine::new(&self.counters, &self.source_name);
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
                Err(RecvTimeoutError::Disconnected) => {
                    return Ok(EngineEnd::Finished(self.counters))
                }
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

    fn source_status(&self) -> SourceStatus {
        merge_statuses(&self.source_name, self.sources.values())
    }

    fn publish(&mut self, force: bool) {
        if !self.is_live() {
            return;
        }
        if self.inputs.metadata.has_changed().unwrap_or(false) {
            self.dirty = true;
        }
        let due = self
            .last_publish
            .is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY);
        if !(force || (self.dirty && due)) {
            return;
        }
        self.seq += 1;
        let selected = &self.aggregators[self.selected];
        let snapshot = Snapshot {
            seq: self.seq,
            taken_at_ms: crate::clock::now_ms(),
            width_secs: selected.config().width_secs,
            windows: windows_until_now(selected),
            watermark: selected.newest_event().max(selected.watermark()),
            counters: self.counters,
            events_per_sec: self.rate.per_sec(),
            malformed: self.samples.iter().cloned().collect(),
            source: self.source_status(),
            metadata: self.inputs.metadata.borrow_and_update().clone(),
            alarms: self.alarms_view.clone(),
            finished: self.finished,
        };
        let snapshot = Arc::new(snapshot);
        for sink in self.sinks.iter_mut().filter(|s| s.is_live()) {
            sink.snapshot(Arc::clone(&snapshot));
        }
        self.dirty = false;
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

fn closed_or(e: io::Error) -> io::Result<Option<EngineEnd>> {
    if is_broken_pipe(&e) {
        Ok(Some(EngineEnd::OutputClosed))
    } else {
        Err(e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
