//! The alarm view draws the selected alarm's recent values with the band each was judged
//! against, out-of-band points marked (issue 14); the real `App` over the fixture.

use std::sync::Arc;

use crossterm::event::KeyCode;
use insta::assert_snapshot;
use kinetop::core::alarms::{AlarmsView, Band, BandRule, Datapoint, RuleSummary};
use kinetop::ui::app::fixtures;

use super::tui_views::Screen;

/// The fixture with its first alarm made a band rule on requests: steady around 400, then a
/// jump to 955 that leaves the band.
fn band_snapshot() -> kinetop::pipeline::snapshot::Snapshot {
    let mut snapshot = fixtures::snapshot();
    let mut view: AlarmsView = (*snapshot.alarms).clone();
    let status = &mut view.statuses[0];
    status.rule = Arc::new(RuleSummary {
        metric: "requests".into(),
        comparison: "outside-band",
        threshold: 2.0,
        band: Some(BandRule {
            width: 2.0,
            windows: 12,
        }),
        ..(*status.rule).clone()
    });
    status.history = (0..14)
        .map(|i| {
            let value = if i == 13 {
                955.0
            } else {
                400.0 + (i % 3) as f64 * 10.0
            };
            let band = (i >= 6).then_some(Band {
                low: 370.0,
                high: 440.0,
            });
            Datapoint {
                start: fixtures::START - 2 * fixtures::WIDTH + i * fixtures::WIDTH,
                value: Some(value),
                band,
                breaching: band.map(|b| value < b.low || value > b.high),
            }
        })
        .collect();
    snapshot.alarms = Arc::new(view);
    snapshot
}

#[test]
fn the_alarm_view_draws_the_band_and_marks_the_point_outside_it() {
    let mut s = Screen::new(120, 36, band_snapshot());
    s.keys("a");
    let text = s.text();
    assert!(text.contains("■ value"), "{text}");
    assert!(text.contains("■ band"), "{text}");
    assert!(text.contains("■ out of band"), "{text}");
    assert!(text.contains("requests outside-band 2σ"), "{text}");
    assert_snapshot!("alarm_band_120x36", s.render());

    // A threshold rule draws its threshold instead; a short terminal keeps the table alone.
    s.key(KeyCode::Down);
    let text = s.text();
    assert!(!text.contains("■ band"), "{text}");
    let mut small = Screen::new(80, 16, band_snapshot());
    small.keys("a");
    assert!(!small.text().contains("■ value"), "{}", small.text());
}
