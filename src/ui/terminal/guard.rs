//! The terminal's modes (raw, alternate screen, hidden cursor, mouse reporting), taken once and
//! given back however kinetop leaves: quit, error, panic, a signal, or a suspend (Ctrl-Z).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Once;

use crossterm::event::{DisableMouseCapture, EnableMouseCapture};
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use crossterm::{cursor, execute};

/// Puts the terminal back on drop, on error, and from the panic hook.
pub struct TerminalGuard;

impl TerminalGuard {
    pub fn enter() -> io::Result<TerminalGuard> {
        install_panic_hook();
        // The guard exists before the first change, so a failure halfway is undone too.
        let guard = TerminalGuard;
        take()?;
        Ok(guard)
    }

    /// Ctrl-Z: gives the terminal back, stops the process as the shell's job control expects
    /// (SIGTSTP), and takes the terminal again once `fg` continues it. The caller redraws
    /// everything: the shell drew over the screen meanwhile.
    pub fn suspend(&self) -> io::Result<()> {
        restore();
        // The default action of SIGTSTP stops us here until SIGCONT.
        signal_hook::low_level::raise(signal_hook::consts::SIGTSTP)?;
        take()
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

fn take() -> io::Result<()> {
    TERMINAL_TAKEN.store(true, Ordering::SeqCst);
    enable_raw_mode()?;
    let mut out = io::stdout();
    // Mouse capture: a click selects a row, the wheel scrolls (Shift-drag still selects text
    // in most terminals).
    execute!(out, EnterAlternateScreen, cursor::Hide, EnableMouseCapture)
}

/// Best effort: every step is tried even if one fails (after a hang-up the terminal is gone and
/// every write fails). Only the first call after [`take`] acts (the panic hook, then the
/// guard's drop while unwinding).
pub fn restore() {
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
