//! The terminal: setup and guaranteed restore ([`guard`]), the signals that end the TUI
//! ([`signals`]), and the event loop.
//!
//! One task `select!`s over terminal events (crossterm's `EventStream`), end signals, the
//! pipeline's start-up, new snapshots (a tokio `watch`), a frame deadline and a slow tick.
//! The terminal is taken before start-up waits on anything (a metadata file in S3, a stream, a
//! FIFO without a writer), so the screen says what it waits for, and `q` quits, from the first
//! second. Nothing spins: with no input and no traffic the loop wakes once a second to refresh
//! ages in the status bar. Frames are drawn only when something changed, at most [`MAX_FPS`]
//! times a second.

pub mod guard;
pub mod signals;

use std::io::{self, Write};
use std::sync::Arc;
use std::time::Duration;

use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::{sleep_until, Instant};

use crate::output::csv_export::write_csv;
use crate::pipeline::progress::StartStep;
use crate::pipeline::snapshot::Snapshot;
use crate::pipeline::{EngineCommand, PipelineHandle, Running, StartError};
use crate::ui::app::{App, Outcome};
use crate::ui::view::{self, Theme};
use guard::TerminalGuard;
use signals::{EndSignal, EndSignals};
use std::path::PathBuf;

/// Upper bound of the redraw rate.
pub const MAX_FPS: u64 = 10;
/// How often the status bar's ages are refreshed without any other change.
const TICK: Duration = Duration::from_secs(1);
/// Taking in a snapshot (rebuilding the view model: sorting 100,000 applications…) may use at
/// most about 1/(1 + this) of a core: after one that took `t`, the next waits `t × this`, so a
/// huge input is read at nearly headless speed while the screen still moves every second or so.
const INTAKE_SPACING: u32 = 4;

/// How the TUI behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuiOptions {
    /// Ring the terminal bell once when an alarm goes to ALARM (`--no-bell` turns it off).
    pub bell: bool,
    /// Show times in the system's time zone (`--local-time`), not UTC.
    pub local_time: bool,
    /// Where `e` writes CSV files (the config's `export-dir`); `None`: the current directory.
    pub export_dir: Option<PathBuf>,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions {
            bell: true,
            local_time: false,
            export_dir: None,
        }
    }
}

/// The pipeline being started: the task that loads metadata and opens the sources, and what it
/// is waiting for meanwhile.
pub struct Startup {
    pub task: JoinHandle<Result<Running, StartError>>,
    pub progress: watch::Receiver<Option<StartStep>>,
}

/// How the TUI ended.
#[derive(Debug)]
pub enum TuiEnd {
    /// The user quit.
    Quit,
    /// A signal asked kinetop to end.
    Signal(EndSignal),
    /// Start-up failed (bad metadata, unknown stream…): the terminal is restored, the caller
    /// prints the error.
    StartFailed(StartError),
}

/// Debug builds only: with `KINETOP_DEBUG_PANIC_AFTER_FRAMES=N` the TUI panics after N frames,
/// so a test can check through the real binary in a real terminal that a panic restores it.
#[cfg(debug_assertions)]
fn debug_panic_after_frames() {
    use std::sync::atomic::{AtomicU64, Ordering};
    static FRAMES: AtomicU64 = AtomicU64::new(0);
    let Some(limit) = std::env::var("KINETOP_DEBUG_PANIC_AFTER_FRAMES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    else {
        return;
    };
    if FRAMES.fetch_add(1, Ordering::Relaxed) + 1 >= limit {
        panic!("KINETOP_DEBUG_PANIC_AFTER_FRAMES={limit}: panicking as asked");
    }
}

/// The pipeline once started: its snapshots and the way to send it commands.
struct Connected {
    running: Running,
    handle: PipelineHandle,
    /// False once the engine stopped (finite input ended and it was told to stop).
    snapshots_open: bool,
}

/// The next change of the snapshot, or never while there is no pipeline.
async fn next_snapshot(connected: &mut Option<Connected>) -> Option<Arc<Snapshot>> {
    match connected {
        Some(c) if c.snapshots_open => match c.handle.snapshots.changed().await {
            Ok(()) => Some(c.handle.snapshots.borrow_and_update().clone()),
            Err(_) => {
                // The engine stopped: keep showing the last snapshot.
                c.snapshots_open = false;
                None
            }
        },
        _ => std::future::pending().await,
    }
}

/// What start-up did.
enum StartupEvent {
    Step(StartStep),
    Done(Result<Result<Running, StartError>, tokio::task::JoinError>),
}

/// The next step or the end of start-up, or never once it ended.
async fn startup_event(startup: &mut Option<Startup>) -> StartupEvent {
    let Some(s) = startup else {
        return std::future::pending().await;
    };
    loop {
        tokio::select! {
            biased;
            result = &mut s.task => {
                *startup = None;
                return StartupEvent::Done(result);
            }
            Ok(()) = s.progress.changed() => {
                if let Some(step) = s.progress.borrow_and_update().clone() {
                    return StartupEvent::Step(step);
                }
            }
        }
    }
}

/// Gives the app a snapshot and spaces the next intake by what this one cost.
fn take_in(app: &mut App, snapshot: Arc<Snapshot>, due: &mut Instant) -> Outcome {
    let started = Instant::now();
    let outcome = app.on_snapshot(snapshot);
    *due = Instant::now() + started.elapsed() * INTAKE_SPACING;
    outcome
}

/// Runs the TUI until the user quits or a signal ends it. The terminal is restored on every way
/// out, and the pipeline is cancelled.
pub async fn run(startup: Startup, options: TuiOptions) -> anyhow::Result<TuiEnd> {
    if options.local_time {
        crate::ui::app::format::use_local_time();
    }
    let mut signals = EndSignals::install()?;
    let guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let theme = Theme::from_env();
    let size = terminal.size()?;
    let mut app = App::new(
        Vec::new(),
        (size.width, size.height),
        crate::clock::now_ms(),
    );
    let mut startup = Some(startup);
    if let Some(step) = startup.as_ref().and_then(|s| s.progress.borrow().clone()) {
        app.on_start_step(step);
    }
    let mut connected: Option<Connected> = None;
    // A snapshot that came before the last one's intake cost was paid back, and when it may go in.
    let mut pending: Option<Arc<Snapshot>> = None;
    let mut intake_due = Instant::now();

    let mut events = EventStream::new();
    let frame_interval = Duration::from_millis(1000 / MAX_FPS);
    let mut last_frame: Option<Instant> = None;
    let mut dirty = true;
    let mut next_tick = Instant::now() + TICK;

    let end = loop {
        if dirty {
            let due = last_frame.map_or(Instant::now(), |t| t + frame_interval);
            if due <= Instant::now() {
                terminal.draw(|frame| view::draw(frame, &app, &theme))?;
                #[cfg(debug_assertions)]
                debug_panic_after_frames();
                last_frame = Some(Instant::now());
                dirty = false;
            }
        }
        let frame_due = last_frame.map_or(Instant::now(), |t| t + frame_interval);
        let outcome: Outcome = tokio::select! {
            event = events.next() => match event {
                Some(Ok(Event::Key(key))) => app.on_key(key),
                Some(Ok(Event::Mouse(mouse))) => crate::ui::mouse::on_mouse(&mut app, mouse),
                Some(Ok(Event::Resize(w, h))) => {
                    terminal.autoresize()?;
                    app.on_resize(w, h)
                }
                Some(Ok(_)) => Outcome::default(),
                Some(Err(e)) => return Err(e.into()),
                None => break TuiEnd::Quit,
            },
            signal = signals.recv() => {
                tracing::info!(signal = signal.name, "ending on a signal");
                break TuiEnd::Signal(signal);
            }
            event = startup_event(&mut startup) => match event {
                StartupEvent::Step(step) => app.on_start_step(step),
                StartupEvent::Done(Ok(Ok(mut running))) => {
                    let Some(mut handle) = running.handle.take() else {
                        anyhow::bail!("the pipeline started without a handle for the TUI");
                    };
                    app.set_widths(handle.widths.clone());
                    let first = handle.snapshots.borrow_and_update().clone();
                    connected = Some(Connected { running, handle, snapshots_open: true });
                    app.on_snapshot(first)
                }
                StartupEvent::Done(Ok(Err(e))) => break TuiEnd::StartFailed(e),
                StartupEvent::Done(Err(e)) => anyhow::bail!("start-up failed: {e}"),
            },
            snapshot = next_snapshot(&mut connected) => match snapshot {
                Some(snapshot) if Instant::now() >= intake_due => {
                    take_in(&mut app, snapshot, &mut intake_due)
                }
                Some(snapshot) => {
                    pending = Some(snapshot);
                    Outcome::default()
                }
                None => Outcome::default(),
            },
            _ = sleep_until(intake_due), if pending.is_some() => match pending.take() {
                Some(snapshot) => take_in(&mut app, snapshot, &mut intake_due),
                None => Outcome::default(),
            },
            _ = sleep_until(frame_due), if dirty => Outcome::default(),
            _ = sleep_until(next_tick) => {
                next_tick = Instant::now() + TICK;
                app.on_tick(crate::clock::now_ms())
            }
        };
        dirty |= outcome.redraw;
        if let (Some(c), Some(seq)) = (connected.as_ref(), app.latest_seq()) {
            c.handle
                .taken
                .store(seq, std::sync::atomic::Ordering::Relaxed);
        }
        if outcome.bell && options.bell {
            let mut out = io::stdout();
            out.write_all(b"\x07")?;
            out.flush()?;
        }
        if let (Some(width), Some(c)) = (outcome.set_width, connected.as_ref()) {
            // The engine may be gone; the view then stays as it is.
            let _ = c.handle.commands.send(EngineCommand::SetWidth(width));
        }
        if outcome.export {
            if let Some(table) = app.take_export() {
                let dir = options
                    .export_dir
                    .clone()
                    .unwrap_or_else(|| PathBuf::from("."));
                let result = write_csv(&table, &dir, crate::clock::now_secs())
                    .map(|path| std::path::absolute(&path).unwrap_or(path))
                    .map_err(|e| format!("{}: {e}", dir.display()));
                match &result {
                    Ok(path) => {
                        tracing::info!(path = %path.display(), rows = table.rows.len(), "exported")
                    }
                    Err(e) => tracing::warn!("export failed: {e}"),
                }
                dirty |= app.on_exported(table.rows.len(), result).redraw;
            }
        }
        if outcome.suspend {
            guard.suspend()?;
            // Back from `fg`: the shell drew over the screen; draw every cell again.
            terminal.clear()?;
            let size = terminal.size()?;
            app.on_resize(size.width, size.height);
            dirty = true;
            last_frame = None;
        }
        if outcome.quit {
            break TuiEnd::Quit;
        }
    };
    if let Some(mut c) = connected {
        c.running.cancel.cancel();
        // Appends still waiting get a moment; every action's process group is killed.
        c.running.stop_actions();
    }
    drop(terminal);
    drop(guard);
    Ok(end)
}
