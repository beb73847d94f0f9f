//! The alarm view's chart of the selected alarm (issue 14): its recent values, and around them
//! the band each was judged against (band rules) or the threshold, with the points that breached
//! marked, as CloudWatch draws an anomaly band.

use crate::core::alarms::AlarmStatus;
use crate::ui::app::format;

use super::widgets::{safe, Chart, Series};

/// Palette indices: the value, the band (or threshold), the breaching points.
const VALUE: usize = 0;
const BOUND: usize = 2;
const BREACH: usize = 1;

/// The chart of `status`'s kept datapoints up to `past` (time travel), or `None` without any.
pub fn alarm_chart(status: &AlarmStatus, past: Option<i64>) -> Option<Chart> {
    let points: Vec<_> = status
        .history
        .iter()
        .filter(|d| past.is_none_or(|p| d.start <= p))
        .collect();
    let first = points.first()?.start;
    let last = points.last()?.start;
    let at = |start: i64| start as f64;
    let values: Vec<(f64, f64)> = points
        .iter()
        .filter_map(|d| d.value.map(|v| (at(d.start), v)))
        .collect();
    let breaching: Vec<(f64, f64)> = points
        .iter()
        .filter(|d| d.breaching == Some(true))
        .filter_map(|d| d.value.map(|v| (at(d.start), v)))
        .collect();
    let mut series = vec![Series {
        name: "value".into(),
        points: values,
        colour: VALUE,
        scatter: false,
    }];
    let is_band = status.rule.band.is_some();
    if is_band {
        let low: Vec<_> = points
            .iter()
            .filter_map(|d| d.band.map(|b| (at(d.start), b.low)))
            .collect();
        let high: Vec<_> = points
            .iter()
            .filter_map(|d| d.band.map(|b| (at(d.start), b.high)))
            .collect();
        series.push(Series {
            name: "band".into(),
            points: high,
            colour: BOUND,
            scatter: false,
        });
        series.push(Series {
            name: String::new(),
            points: low,
            colour: BOUND,
            scatter: false,
        });
    } else {
        series.push(Series {
            name: "threshold".into(),
            points: vec![
                (at(first), status.rule.threshold),
                (at(last.max(first + 1)), status.rule.threshold),
            ],
            colour: BOUND,
            scatter: false,
        });
    }
    series.push(Series {
        name: if is_band {
            "out of band".into()
        } else {
            "breaching".into()
        },
        points: breaching,
        colour: BREACH,
        scatter: true,
    });
    let all = || series.iter().flat_map(|s| s.points.iter().map(|p| p.1));
    let max = all().fold(0.0_f64, f64::max);
    let max = if max > 0.0 { max * 1.1 } else { 1.0 };
    // Zoomed on the values: a band a few percent wide must not be one row at the bottom.
    let min = (all().fold(max, f64::min) * 0.9).clamp(0.0, max * 0.99);
    let dated = format::spans_days(first, last);
    let mut x_labels = vec![first, last];
    x_labels.dedup();
    Some(Chart {
        title: format!(
            "{} · {} · {} {} {}",
            safe(&status.rule.name),
            safe(&status.application),
            safe(&status.rule.metric),
            status.rule.comparison,
            if is_band {
                format!("{}σ", format::metric(status.rule.threshold))
            } else {
                format::metric_value(&status.rule.metric, status.rule.threshold)
            }
        ),
        series,
        x_bounds: [at(first), at(last.max(first + 1))],
        y_bounds: [min, max],
        x_labels: x_labels
            .into_iter()
            .map(|t| format::stamp(t, dated))
            .collect(),
        y_labels: [min, (min + max) / 2.0, max]
            .into_iter()
            .map(|v| format::metric_value(&status.rule.metric, v))
            .collect(),
    })
}
