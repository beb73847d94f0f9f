//! The datapoints every alarm of one rule keeps, in columns: the alarms of a rule all get a
//! datapoint for the same windows, so the windows' starts are kept once per rule, and each alarm
//! keeps a row of values and verdicts in a ring. At 200,000 alarms a slice of judged datapoints
//! per alarm (56 bytes each, one allocation per alarm per window) was most of the alarms'
//! memory; a row here is 9 bytes per datapoint (and a band rule's bands beside them).
//!
//! Views share the columns ([`AlarmHistory`]); the engine changes them only through
//! [`Arc::make_mut`], which copies them (a few large blocks) while a view still holds them.

use std::sync::Arc;

use super::{Band, Datapoint};

/// What one slot of a row holds.
const ABSENT: u8 = 0; // the alarm did not exist yet in that window
const MISSING: u8 = 1; // no datapoint in that window
const NO_VERDICT: u8 = 2; // a value without a verdict (a band rule without a band yet)
const NOT_BREACHING: u8 = 3;
const BREACHING: u8 = 4;

#[derive(Debug, Clone)]
pub struct RuleColumns {
    /// Slots per row: the datapoints each alarm keeps.
    keep: usize,
    /// Windows recorded so far, at most `keep`.
    len: usize,
    /// Slot of the newest window.
    head: usize,
    /// Window start of each slot.
    starts: Vec<i64>,
    /// `keep` per row: each slot's kind (the consts above) and value.
    kinds: Vec<u8>,
    values: Vec<f64>,
    /// Band rules only: `keep` per row, each slot's band.
    bands: Option<Vec<Option<Band>>>,
}

impl RuleColumns {
    /// Columns for rows of `keep` datapoints (at least one); `with_bands` for band rules.
    pub fn new(keep: usize, with_bands: bool) -> Self {
        let keep = keep.max(1);
        RuleColumns {
            keep,
            len: 0,
            head: keep - 1,
            starts: vec![0; keep],
            kinds: Vec::new(),
            values: Vec::new(),
            bands: with_bands.then(Vec::new),
        }
    }

    /// A new row, absent from every window so far; its index.
    pub fn add_row(&mut self) -> usize {
        let row = self.kinds.len() / self.keep;
        self.kinds.resize(self.kinds.len() + self.keep, ABSENT);
        self.values.resize(self.values.len() + self.keep, 0.0);
        if let Some(bands) = &mut self.bands {
            bands.resize(bands.len() + self.keep, None);
        }
        row
    }

    /// Makes room for the window starting at `start` in every row: its slot is the oldest's,
    /// which every row must then fill ([`RuleColumns::set`]).
    pub fn advance(&mut self, start: i64) {
        self.head = (self.head + 1) % self.keep;
        self.starts[self.head] = start;
        self.len = (self.len + 1).min(self.keep);
    }

    /// Sets `row`'s datapoint of the newest window.
    pub fn set(&mut self, row: usize, point: &Datapoint) {
        let at = row * self.keep + self.head;
        self.kinds[at] = match (point.value, point.breaching) {
            (None, _) => MISSING,
            (Some(_), None) => NO_VERDICT,
            (Some(_), Some(false)) => NOT_BREACHING,
            (Some(_), Some(true)) => BREACHING,
        };
        self.values[at] = point.value.unwrap_or(0.0);
        if let Some(bands) = &mut self.bands {
            bands[at] = point.band;
        }
    }

    /// `row`'s datapoints, oldest first, from its first window on: at most `keep`, the newest
    /// last.
    pub fn row(&self, row: usize) -> impl DoubleEndedIterator<Item = Datapoint> + '_ {
        self.aged(row, self.len)
    }

    /// `row`'s datapoints before the newest window (right after [`RuleColumns::advance`], the
    /// newest slot is the oldest's, not yet set again).
    pub fn earlier(&self, row: usize) -> impl DoubleEndedIterator<Item = Datapoint> + '_ {
        self.aged(row, self.len.saturating_sub(1))
    }

    /// The oldest `count` of the windows recorded, for `row`.
    fn aged(&self, row: usize, count: usize) -> impl DoubleEndedIterator<Item = Datapoint> + '_ {
        let base = row * self.keep;
        (0..count)
            .map(move |age| (self.head + self.keep - (self.len - 1 - age)) % self.keep)
            .filter_map(move |slot| {
                let at = base + slot;
                let value = self.values[at];
                let (value, breaching) = match self.kinds[at] {
                    ABSENT => return None,
                    MISSING => (None, None),
                    NO_VERDICT => (Some(value), None),
                    NOT_BREACHING => (Some(value), Some(false)),
                    _ => (Some(value), Some(true)),
                };
                Some(Datapoint {
                    start: self.starts[slot],
                    value,
                    band: self.bands.as_ref().and_then(|b| b[at]),
                    breaching,
                })
            })
    }
}

/// The datapoints one alarm keeps, oldest first, each as it was judged: the evaluation range
/// (N + 2), and for a band rule at least its band windows + 1, each with its own band.
#[derive(Clone)]
pub enum AlarmHistory {
    /// A row of its rule's columns, shared with the engine.
    Row {
        columns: Arc<RuleColumns>,
        row: usize,
    },
    /// Datapoints of its own (fixtures, tests, an alarm made elsewhere).
    Points(Arc<[Datapoint]>),
}

impl AlarmHistory {
    pub fn iter(&self) -> Box<dyn DoubleEndedIterator<Item = Datapoint> + '_> {
        match self {
            AlarmHistory::Row { columns, row } => Box::new(columns.row(*row)),
            AlarmHistory::Points(points) => Box::new(points.iter().copied()),
        }
    }

    pub fn len(&self) -> usize {
        match self {
            AlarmHistory::Row { .. } => self.iter().count(),
            AlarmHistory::Points(points) => points.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The newest datapoint.
    pub fn last(&self) -> Option<Datapoint> {
        self.iter().next_back()
    }

    pub fn to_vec(&self) -> Vec<Datapoint> {
        self.iter().collect()
    }
}

impl Default for AlarmHistory {
    fn default() -> Self {
        AlarmHistory::Points(Arc::from([]))
    }
}

impl FromIterator<Datapoint> for AlarmHistory {
    fn from_iter<I: IntoIterator<Item = Datapoint>>(iter: I) -> Self {
        AlarmHistory::Points(iter.into_iter().collect())
    }
}

impl PartialEq for AlarmHistory {
    fn eq(&self, other: &Self) -> bool {
        self.iter().eq(other.iter())
    }
}

impl std::fmt::Debug for AlarmHistory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(start: i64, value: Option<f64>, breaching: Option<bool>) -> Datapoint {
        Datapoint {
            start,
            value,
            band: None,
            breaching,
        }
    }

    #[test]
    fn rows_keep_the_newest_datapoints_from_when_each_alarm_began() {
        let mut columns = RuleColumns::new(3, false);
        let first = columns.add_row();
        assert_eq!(columns.row(first).count(), 0);
        let mut second = None;
        let mut want_first = Vec::new();
        let mut want_second = Vec::new();
        for w in 0..7i64 {
            columns.advance(w * 60);
            if w == 4 {
                second = Some(columns.add_row());
            }
            let p = point(w * 60, (w % 3 != 0).then_some(w as f64), Some(w % 2 == 0));
            let p = Datapoint {
                breaching: p.value.and(p.breaching),
                ..p
            };
            columns.set(first, &p);
            want_first.push(p);
            if let Some(row) = second {
                let q = point(w * 60, Some(-1.5), None);
                columns.set(row, &q);
                want_second.push(q);
            }
        }
        let tail = |v: &[Datapoint], n: usize| v[v.len().saturating_sub(n)..].to_vec();
        assert_eq!(columns.row(first).collect::<Vec<_>>(), tail(&want_first, 3));
        assert_eq!(
            columns.row(second.unwrap()).collect::<Vec<_>>(),
            tail(&want_second, 3)
        );
        assert_eq!(columns.row(first).next_back().map(|d| d.start), Some(360));
    }

    #[test]
    fn a_row_that_began_lately_lists_only_its_own_windows() {
        let mut columns = RuleColumns::new(5, true);
        let early = columns.add_row();
        for w in 0..3i64 {
            columns.advance(w);
            columns.set(early, &point(w, Some(1.0), Some(false)));
        }
        let late = columns.add_row();
        columns.advance(3);
        let banded = Datapoint {
            start: 3,
            value: Some(9.0),
            band: Some(Band {
                low: 0.5,
                high: 1.5,
            }),
            breaching: Some(true),
        };
        columns.set(early, &banded);
        columns.set(late, &point(3, None, None));
        let history = AlarmHistory::Row {
            columns: Arc::new(columns),
            row: late,
        };
        assert_eq!(history.to_vec(), vec![point(3, None, None)]);
        let early_history = AlarmHistory::Row {
            columns: match &history {
                AlarmHistory::Row { columns, .. } => Arc::clone(columns),
                AlarmHistory::Points(_) => unreachable!(),
            },
            row: early,
        };
        assert_eq!(early_history.len(), 4);
        assert_eq!(early_history.last(), Some(banded));
        // The same datapoints, however they are kept, are the same history.
        let points: AlarmHistory = early_history.iter().collect();
        assert_eq!(points, early_history);
    }
}
