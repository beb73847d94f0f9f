//! Render cost of one frame with 1,000 and 100,000 applications (and 100,000 unknown callers;
//! issue 3: "a frame renders in a few milliseconds"), on ratatui's TestBackend; plus the
//! per-snapshot work, which is where sorting and filtering happen (once per snapshot, not per
//! frame): the view model alone (issue 13: at most 20 ms for 100,000 applications), as a new
//! snapshot builds it and at a window boundary, and all of taking a snapshot in.
//!
//! `cargo bench --bench render`
#![allow(clippy::unwrap_used)] // test and bench code: a panic is how a failure is reported

use std::sync::Arc;

use criterion::{criterion_group, criterion_main, Criterion};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use kinetop::ui::app::model::{ModelCache, ViewModel};
use kinetop::ui::app::{fixtures, App};
use kinetop::ui::view::{self, Theme};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

/// The shipped binary's allocator (src/main.rs): the view model allocates per row, and its
/// cost is what an operator's TUI pays, not the C library's malloc.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn app_with(apps: usize, callers: usize) -> App {
    let mut app = App::new(vec![10, 60, 300, 900, 3600], (160, 48), fixtures::NOW_MS);
    app.on_snapshot(Arc::new(fixtures::large(apps, callers)));
    app
}

/// Label of an application count: `1k`, `100k`.
fn label(apps: usize) -> String {
    format!("{}k", apps / 1_000)
}

fn render(c: &mut Criterion) {
    let theme = Theme::colour();
    let mut terminal = Terminal::new(TestBackend::new(160, 48)).unwrap();

    // Issue 13: per frame and per snapshot at 1,000 and 100,000 applications.
    for apps in [1_000, 100_000] {
        let app = app_with(apps, 100_000);
        c.bench_function(&format!("frame/overview {} apps", label(apps)), |b| {
            b.iter(|| {
                terminal.draw(|f| view::draw(f, &app, &theme)).unwrap();
            });
        });
    }

    // The unknown application's detail: 100,000 callers in its list.
    let mut unknown = app_with(1_000, 100_000);
    for c in "/unknown".chars() {
        unknown.on_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
    }
    unknown.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    unknown.on_key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE));
    unknown.on_key(KeyEvent::new(KeyCode::PageDown, KeyModifiers::NONE));
    c.bench_function("frame/unknown detail 100k callers", |b| {
        b.iter(|| {
            terminal.draw(|f| view::draw(f, &unknown, &theme)).unwrap();
        });
    });

    let mut group = c.benchmark_group("model (per snapshot)");
    group.sample_size(20);
    for apps in [1_000, 100_000] {
        let snapshot = Arc::new(fixtures::large(apps, 100_000));
        let mut app = app_with(apps, 100_000);
        // The view model alone (the target: at most 20 ms for 100,000 applications), as
        // each new snapshot builds it: the final windows are those of the last snapshot, so
        // their applications are kept merged (the fixture's last window is the open one).
        let mut cache = ModelCache::default();
        group.bench_function(format!("overview {} apps", label(apps)), |b| {
            b.iter(|| {
                ViewModel::build_with(Some(&snapshot), &app.ui, fixtures::NOW_MS, 160, &mut cache)
            });
        });
        // Once per window boundary (and on time travel, `w`): the older windows merged again.
        group.bench_function(format!("overview {} apps, new window", label(apps)), |b| {
            b.iter(|| ViewModel::build(Some(&snapshot), &app.ui, fixtures::NOW_MS, 160));
        });
        // All the TUI does when a snapshot arrives (the view model and what it keeps).
        group.bench_function(format!("take snapshot {} apps", label(apps)), |b| {
            b.iter(|| app.on_snapshot(Arc::clone(&snapshot)));
        });
    }
    let snapshot = Arc::new(fixtures::large(1_000, 100_000));
    group.bench_function("unknown detail 100k callers", |b| {
        b.iter(|| ViewModel::build(Some(&snapshot), &unknown.ui, fixtures::NOW_MS, 160));
    });
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
