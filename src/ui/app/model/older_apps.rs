//! The applications of the sparkline's older, final windows, kept from one view model to the
//! next. The overview lists every application seen in the sparkline's windows; finding them means
//! reading every application of each of those windows, and at 100,000 applications in twelve
//! windows that read (one cache line per application per window) was most of the overview's
//! cost. Final windows do not change, and from one snapshot to the next only the open window does:
//! their applications are merged once, when the windows change (a new window, time travel, `w`),
//! and each snapshot merges that list with the open windows only.

use std::fmt;
use std::sync::Arc;

use crate::core::WindowSummary;
use crate::pipeline::snapshot::Snapshot;

use super::by_name::{merge_by_name, window_list, NameList, RowAt};

/// Every application of the final windows among the sparkline's older slots, once, in name
/// order, each where it was first seen.
#[derive(Default, Clone)]
pub struct OlderApps {
    /// The windows merged and their slots (held, so their addresses stay theirs).
    windows: Vec<(usize, Arc<WindowSummary>)>,
    rows: Vec<RowAt>,
}

impl OlderApps {
    /// Brings the list up to date with the final windows of `spark` (the sparkline's windows as
    /// indices in `snapshot.windows`) before its last slot, the window on screen; merges them
    /// again only when they are not the ones merged last time.
    pub fn update(&mut self, snapshot: &Snapshot, spark: &[Option<usize>]) {
        let older = &spark[..spark.len().saturating_sub(1)];
        let finals: Vec<(usize, &Arc<WindowSummary>)> = older
            .iter()
            .enumerate()
            .filter_map(|(slot, at)| {
                let window = &snapshot.windows[(*at)?];
                window.is_final.then_some((slot, window))
            })
            .collect();
        let same = finals.len() == self.windows.len()
            && finals
                .iter()
                .zip(&self.windows)
                .all(|((slot, w), (kept_slot, kept))| slot == kept_slot && Arc::ptr_eq(w, kept));
        if same {
            return;
        }
        let mut rows = Vec::new();
        let lists = finals
            .iter()
            .map(|(slot, w)| window_list(*slot, w))
            .collect();
        // Lists go oldest first: the first that has an application is where it was first seen.
        merge_by_name(lists, |_, found| {
            if let Some(at) = found.iter().flatten().next() {
                rows.push(*at);
            }
        });
        self.rows = rows;
        self.windows = finals
            .into_iter()
            .map(|(s, w)| (s, Arc::clone(w)))
            .collect();
    }

    /// The applications, in name order.
    pub fn list(&self) -> NameList<'_> {
        let slots = self.windows.last().map_or(0, |(slot, _)| slot + 1);
        let mut windows: Vec<Option<&WindowSummary>> = vec![None; slots];
        for (slot, w) in &self.windows {
            windows[*slot] = Some(w);
        }
        NameList::Rows {
            rows: &self.rows,
            windows,
        }
    }
}

/// How many applications over how many windows, not the list.
impl fmt::Debug for OlderApps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OlderApps")
            .field("windows", &self.windows.len())
            .field("apps", &self.rows.len())
            .finish()
    }
}
