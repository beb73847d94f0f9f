//! The terminal: setup and guaranteed restore, the event loop.
//!
//! One task `select!`s over terminal events (crossterm's `EventStream`), new snapshots (a tokio
//! `watch`), a frame deadline and a slow tick. Nothing spins: with no input and no traffic the
//! loop wakes once a second to refresh ages in the status bar. Frames are drawn only when
//! something changed, at most [`MAX_FPS`] times a second.

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;
use std::time::Duration;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use tokio::time::{sleep_until, Instant};

use crate::pipeline::{EngineCommand, PipelineHandle};
use crate::ui::app::{App, Outcome};
use crate::ui::view::{self, Theme};

/// Upper bound of the redraw rate.
pub const MAX_FPS: u64 = 10;
/// How often the status bar's ages are refreshed without any other change.
const TICK: Duration = Duration::from_secs(1);

/// How the TUI behaves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuiOptions {
    /// Ring the terminal bell once when an alarm goes to ALARM (`--no-bell` turns it off).
    pub bell: bool,
}

impl Default for TuiOptions {
    fn default() -> Self {
        TuiOptions { bell: true }
    }
}

/// Puts the terminal back (raw mode off, main screen, cursor, mouse) however we leave: on drop,
/// on error, and from the panic hook.
struct TerminalGuard;

impl TerminalGuard {
    fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        // The guard exists before the first change, so a failure halfway is undone too.
        let guard = TerminalGuard;
        TERMINAL_TAKEN.store(true, Ordering::SeqCst);
        enable_raw_mode()?;
        let mut out = io::stdout();
        // Mouse capture: a click selects a row, the wheel scrolls (Shift-drag still selects text
        // in most terminals).
        execute!(out, EnterAlternateScreen, cursor::Hide, EnableMouseCapture)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore();
    }
}

/// Whether the terminal is in kinetop's modes: restoring twice must be a no-op, since leaving
/// the alternate screen again puts the cursor back where kinetop started, and whatever comes
/// next (a panic message, the shell) would overwrite the screen.
static TERMINAL_TAKEN: AtomicBool = AtomicBool::new(false);

/// Best effort: every step is tried even if one fails. Only the first call after
/// [`TerminalGuard::enter`] acts (the panic hook, then the guard's drop while unwinding).
fn restore() {
    if !TERMINAL_TAKEN.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = execute!(out, DisableMouseCapture, LeaveAlternateScreen, cursor::Show);
    let _ = disable_raw_mode();
    let _ = out.flush();
}

/// Restores the terminal before the default hook prints the panic, so the message is readable.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore();
            tracing::error!(%info, "panic");
            previous(info);
        }));
    });
}

/// Debug builds only: with `KINETOP_DEBUG_PANIC_AFTER_FRAMES=N` the TUI panics after N frames,
/// so a test can check through the real binary in a real terminal that a panic restores it.
#[cfg(debug_assertions)]
fn debug_panic_after_frames() {
    use std::sync::atomic::AtomicU64;
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

/// Runs the TUI until the user quits. The terminal is restored on every way out.
pub async fn run(mut handle: PipelineHandle, options: TuiOptions) -> anyhow::Result<()> {
    let _guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let theme = Theme::from_env();
    let size = terminal.size()?;
    let mut app = App::new(
        handle.widths.clone(),
        (size.width, size.height),
        crate::clock::now_ms(),
    );
    let initial = handle.snapshots.borrow_and_update().clone();
    app.on_snapshot(initial);

    let mut events = EventStream::new();
    let frame_interval = Duration::from_millis(1000 / MAX_FPS);
    let mut last_frame: Option<Instant> = None;
    let mut dirty = true;
    let mut snapshots_open = true;
    let mut next_tick = Instant::now() + TICK;

    loop {
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
                None => break,
            },
            changed = handle.snapshots.changed(), if snapshots_open => match changed {
                Ok(()) => {
                    let snapshot = handle.snapshots.borrow_and_update().clone();
                    app.on_snapshot(snapshot)
                }
                Err(_) => {
                    // The engine stopped (finite input ended): keep showing the last snapshot.
                    snapshots_open = false;
                    Outcome::default()
                }
            },
            _ = sleep_until(frame_due), if dirty => Outcome::default(),
            _ = sleep_until(next_tick) => {
                next_tick = Instant::now() + TICK;
                app.on_tick(crate::clock::now_ms())
            }
        };
        dirty |= outcome.redraw;
        if outcome.bell && options.bell {
            let mut out = io::stdout();
            out.write_all(b"\x07")?;
            out.flush()?;
        }
        if let Some(width) = outcome.set_width {
            // The engine may be gone (finite input ended); the view then stays as it is.
            let _ = handle.commands.send(EngineCommand::SetWidth(width));
        }
        if outcome.quit {
            break;
        }
    }
    terminal.show_cursor()?;
    Ok(())
}
