//! One alarm evaluation with CloudWatch's semantics: M out of N datapoints over an evaluation
//! range longer than N, and its four treatments of missing data.
//!
//! CloudWatch ("Configuring how CloudWatch alarms treat missing data", section "How alarm state
//! is evaluated when data is missing") retrieves more datapoints than the N evaluation periods
//! — 5 for N = 3 — and then:
//! - with at least N real datapoints in that range, evaluates the most recent N of them, whatever
//!   the missing-data treatment;
//! - with fewer, evaluates every real datapoint of the range plus as few filled-in ones as it
//!   takes to make N, filled by the treatment;
//! - ALARM when at least M of the N breach, OK otherwise.
//!
//! Its worked tables (both are unit tests below) pin down what "filled by the treatment" means
//! for `missing` and `ignore`, which this module implements as:
//! - `missing`: the N evaluated slots are the most recent run of N windows that holds every real
//!   datapoint; a gap after a datapoint carries it forward (the documented `X - - - -` → ALARM),
//!   a gap before any datapoint stays unknown. ALARM with ≥ M breaching, OK with any
//!   non-breaching, else (only breaching, fewer than M, or nothing at all) INSUFFICIENT_DATA.
//! - `ignore`: only real datapoints count; when they decide neither ALARM (≥ M breaching) nor OK
//!   (any non-breaching), the current state is kept.
//! - `breaching` / `not-breaching`: gaps are filled with breaching / non-breaching datapoints.
//!
//! Windows from before the alarm existed (start-up, or before a `*` rule's application first
//! appeared) are [`WindowVerdict::Unknown`], not missing: treating them as breaching would fire every
//! `breaching` alarm at start-up. CloudWatch avoids that by reading data from before the alarm
//! was created; kinetop has none.

use super::{AlarmState, TreatMissingData};

/// One window of an alarm's evaluation range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowVerdict {
    Breaching,
    NotBreaching,
    /// The window passed without a datapoint for this alarm.
    Missing,
    /// The window is from before the alarm existed.
    Unknown,
}

impl WindowVerdict {
    /// `Some(breaching)` for a real datapoint.
    fn real(self) -> Option<bool> {
        match self {
            WindowVerdict::Breaching => Some(true),
            WindowVerdict::NotBreaching => Some(false),
            WindowVerdict::Missing | WindowVerdict::Unknown => None,
        }
    }
}

/// The state an alarm with `m` out of `n` datapoints to alarm goes to, given its evaluation
/// range (oldest first, newest last; usually `n + 2` slots) and its current state.
pub fn evaluate(
    range: &[WindowVerdict],
    n: usize,
    m: usize,
    treat: TreatMissingData,
    current: AlarmState,
) -> AlarmState {
    let real: Vec<(usize, bool)> = range
        .iter()
        .enumerate()
        .filter_map(|(i, s)| s.real().map(|b| (i, b)))
        .collect();
    let k = real.len();
    if k >= n {
        let breaching = real[k - n..].iter().filter(|(_, b)| *b).count();
        return if breaching >= m {
            AlarmState::Alarm
        } else {
            AlarmState::Ok
        };
    }
    let real_breaching = real.iter().filter(|(_, b)| *b).count();
    let real_ok = k - real_breaching;
    match treat {
        TreatMissingData::Missing => {
            if k == 0 {
                return AlarmState::InsufficientData;
            }
            let (breaching, ok) = carry_forward(range, &real, n);
            decide(breaching, ok, m, AlarmState::InsufficientData)
        }
        TreatMissingData::Ignore => {
            if k == 0 {
                return current;
            }
            decide(real_breaching, real_ok, m, current)
        }
        TreatMissingData::Breaching | TreatMissingData::NotBreaching => {
            let missing = range
                .iter()
                .filter(|s| **s == WindowVerdict::Missing)
                .count();
            let filled = (n - k).min(missing);
            let (breaching, ok) = if treat == TreatMissingData::Breaching {
                (real_breaching + filled, real_ok)
            } else {
                (real_breaching, real_ok + filled)
            };
            decide(breaching, ok, m, AlarmState::InsufficientData)
        }
    }
}

fn decide(breaching: usize, ok: usize, m: usize, undecided: AlarmState) -> AlarmState {
    if breaching >= m {
        AlarmState::Alarm
    } else if ok > 0 {
        AlarmState::Ok
    } else {
        undecided
    }
}

/// `missing` with 1 ≤ k < n real datapoints: counts (breaching, not breaching) over the evaluated
/// slots, gaps carrying the datapoint before them forward.
fn carry_forward(range: &[WindowVerdict], real: &[(usize, bool)], n: usize) -> (usize, usize) {
    let first = real[0].0;
    let last = real[real.len() - 1].0;
    let (mut breaching, mut ok) = (0, 0);
    let mut count = |b: bool| {
        if b {
            breaching += 1
        } else {
            ok += 1
        }
    };
    if last - first < n {
        // The most recent run of n windows that holds every real datapoint.
        let start = first.min(range.len().saturating_sub(n));
        let mut carried = None;
        for slot in &range[start..(start + n).min(range.len())] {
            match slot.real() {
                Some(b) => {
                    carried = Some(b);
                    count(b);
                }
                None => {
                    if let Some(b) = carried {
                        count(b);
                    }
                }
            }
        }
    } else {
        // The datapoints are spread wider than n windows: all of them, plus the most recent gaps
        // between them, each carrying the datapoint before it.
        for &(_, b) in real {
            count(b);
        }
        let mut gaps = n - real.len();
        let mut i = last;
        while gaps > 0 && i > first {
            i -= 1;
            if range[i].real().is_none() {
                let before = range[first..i].iter().rev().find_map(|s| s.real());
                if let Some(b) = before {
                    count(b);
                }
                gaps -= 1;
            }
        }
    }
    (breaching, ok)
}

#[cfg(test)]
mod tests {
    use super::*;
    use AlarmState::{Alarm, InsufficientData as Insufficient, Ok};

    fn slots(text: &str) -> Vec<WindowVerdict> {
        text.split_whitespace()
            .map(|s| match s {
                "0" => WindowVerdict::NotBreaching,
                "X" => WindowVerdict::Breaching,
                "-" => WindowVerdict::Missing,
                "?" => WindowVerdict::Unknown,
                other => panic!("bad slot {other}"),
            })
            .collect()
    }

    /// `None` in the IGNORE column: "Retain current state".
    type Row = (
        &'static str,
        AlarmState,
        Option<AlarmState>,
        AlarmState,
        AlarmState,
    );

    /// Checks one documented table: data points (oldest first; 0 not breaching, X breaching,
    /// - missing) and the state for MISSING, IGNORE, BREACHING and NOT BREACHING.
    fn check_table(m: usize, n: usize, rows: &[Row]) {
        use TreatMissingData as T;
        for &(points, missing, ignore, breaching, not_breaching) in rows {
            let range = slots(points);
            assert_eq!(
                range.len(),
                n + 2,
                "the documented range holds 5 datapoints"
            );
            let eval = |t, current| evaluate(&range, n, m, t, current);
            for current in [Ok, Alarm, Insufficient] {
                assert_eq!(eval(T::Missing, current), missing, "{points} missing");
                assert_eq!(
                    eval(T::Ignore, current),
                    ignore.unwrap_or(current),
                    "{points} ignore from {current:?}"
                );
                assert_eq!(eval(T::Breaching, current), breaching, "{points} breaching");
                assert_eq!(
                    eval(T::NotBreaching, current),
                    not_breaching,
                    "{points} not-breaching"
                );
            }
        }
    }

    /// CloudWatch User Guide, "How alarm state is evaluated when data is missing", first table:
    /// Datapoints to Alarm and Evaluation Periods both 3; 5 datapoints retrieved.
    #[test]
    fn cloudwatch_table_3_out_of_3() {
        check_table(
            3,
            3,
            &[
                ("0 - X - X", Ok, Some(Ok), Ok, Ok),
                ("0 - - - -", Ok, Some(Ok), Ok, Ok),
                ("- - - - -", Insufficient, None, Alarm, Ok),
                ("0 X X - X", Alarm, Some(Alarm), Alarm, Alarm),
                ("- - - - X", Insufficient, None, Alarm, Ok),
                ("X - - - -", Alarm, None, Alarm, Ok),
            ],
        );
    }

    /// Second table: Datapoints to Alarm 2, Evaluation Periods 3 (2 out of 3).
    #[test]
    fn cloudwatch_table_2_out_of_3() {
        check_table(
            2,
            3,
            &[
                ("0 - X - X", Alarm, Some(Alarm), Alarm, Alarm),
                ("0 0 X 0 X", Alarm, Some(Alarm), Alarm, Alarm),
                ("0 - X - -", Ok, Some(Ok), Alarm, Ok),
                ("- - - - 0", Ok, Some(Ok), Alarm, Ok),
                ("- - - - X", Insufficient, None, Alarm, Ok),
            ],
        );
    }

    #[test]
    fn m_out_of_n_with_every_datapoint_present() {
        use TreatMissingData::Missing;
        // 2 of 3: the breaching datapoints need not be consecutive.
        assert_eq!(evaluate(&slots("0 0 X 0 X"), 3, 2, Missing, Ok), Alarm);
        assert_eq!(evaluate(&slots("0 0 X 0 0"), 3, 2, Missing, Alarm), Ok);
        assert_eq!(evaluate(&slots("X X 0 0 X"), 3, 2, Missing, Alarm), Ok);
        // 3 of 3 needs all three; 1 of 1 only the newest.
        assert_eq!(evaluate(&slots("X X X X 0"), 3, 3, Missing, Alarm), Ok);
        assert_eq!(evaluate(&slots("0 0 X X X"), 3, 3, Missing, Ok), Alarm);
        assert_eq!(evaluate(&slots("X X 0"), 1, 1, Missing, Alarm), Ok);
        assert_eq!(evaluate(&slots("0 0 X"), 1, 1, Missing, Ok), Alarm);
        // 4 of 5 over a longer range.
        assert_eq!(evaluate(&slots("0 0 X X 0 X X"), 5, 4, Missing, Ok), Alarm);
        assert_eq!(evaluate(&slots("0 0 X 0 0 X X"), 5, 4, Missing, Ok), Ok);
    }

    #[test]
    fn with_enough_real_datapoints_the_treatment_does_not_matter() {
        use TreatMissingData as T;
        for t in [T::Missing, T::Ignore, T::Breaching, T::NotBreaching] {
            // The most recent 3 real datapoints are X X X even though 2 windows are missing.
            assert_eq!(evaluate(&slots("X X - X -"), 3, 3, t, Ok), Alarm, "{t:?}");
            assert_eq!(evaluate(&slots("X 0 - X -"), 3, 3, t, Alarm), Ok, "{t:?}");
        }
    }

    #[test]
    fn missing_spread_wider_than_n() {
        use TreatMissingData::Missing;
        // Two datapoints 5 windows apart, 3 evaluated: the newest gap carries the oldest forward.
        assert_eq!(evaluate(&slots("X - - - X"), 3, 3, Missing, Ok), Alarm);
        assert_eq!(evaluate(&slots("0 - - - X"), 3, 2, Missing, Alarm), Ok);
        assert_eq!(evaluate(&slots("X - - - 0"), 3, 2, Missing, Ok), Alarm);
    }

    #[test]
    fn windows_before_the_alarm_existed_are_not_filled() {
        use TreatMissingData as T;
        // Start-up with one good datapoint: not an ALARM even when missing data is breaching.
        assert_eq!(
            evaluate(&slots("? ? ? ? 0"), 3, 2, T::Breaching, Insufficient),
            Ok
        );
        // One breaching datapoint at start-up, 2 of 3 needed: not decided yet.
        assert_eq!(
            evaluate(&slots("? ? ? ? X"), 3, 2, T::Breaching, Insufficient),
            Insufficient
        );
        assert_eq!(
            evaluate(&slots("? ? ? ? X"), 3, 2, T::NotBreaching, Insufficient),
            Insufficient
        );
        // A real gap after start-up is filled.
        assert_eq!(
            evaluate(&slots("? ? ? X -"), 3, 2, T::Breaching, Insufficient),
            Alarm
        );
        assert_eq!(
            evaluate(&slots("? ? ? X -"), 3, 2, T::NotBreaching, Insufficient),
            Ok
        );
        // For `missing` and `ignore` an unknown window is just another missing one.
        assert_eq!(
            evaluate(&slots("? ? ? ? X"), 3, 2, T::Missing, Ok),
            Insufficient
        );
        assert_eq!(evaluate(&slots("? ? ? ? X"), 3, 2, T::Ignore, Ok), Ok);
        assert_eq!(evaluate(&slots("? ? ? X X"), 3, 2, T::Missing, Ok), Alarm);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn slot() -> impl Strategy<Value = WindowVerdict> {
            prop_oneof![
                Just(WindowVerdict::Breaching),
                Just(WindowVerdict::NotBreaching),
                Just(WindowVerdict::Missing),
                Just(WindowVerdict::Unknown),
            ]
        }

        fn treatment() -> impl Strategy<Value = TreatMissingData> {
            prop_oneof![
                Just(TreatMissingData::Missing),
                Just(TreatMissingData::Breaching),
                Just(TreatMissingData::NotBreaching),
                Just(TreatMissingData::Ignore),
            ]
        }

        fn state() -> impl Strategy<Value = AlarmState> {
            prop_oneof![Just(Ok), Just(Alarm), Just(Insufficient)]
        }

        /// (n, m, range of n + 2 slots)
        fn alarm() -> impl Strategy<Value = (usize, usize, Vec<WindowVerdict>)> {
            (1usize..8).prop_flat_map(|n| (Just(n), 1..=n, prop::collection::vec(slot(), n + 2)))
        }

        proptest! {
            /// Without gaps it is plain M out of the last N, whatever the treatment or state.
            #[test]
            fn complete_data_is_m_out_of_n(
                (n, m, range) in alarm(),
                treat in treatment(),
                current in state(),
            ) {
                let range: Vec<WindowVerdict> = range
                    .into_iter()
                    .map(|s| if s == WindowVerdict::Breaching { s } else { WindowVerdict::NotBreaching })
                    .collect();
                let breaching = range[2..].iter().filter(|s| **s == WindowVerdict::Breaching).count();
                let expected = if breaching >= m { Alarm } else { Ok };
                prop_assert_eq!(evaluate(&range, n, m, treat, current), expected);
            }

            /// Only `ignore` ever depends on the current state, and only `ignore` keeps it
            /// without a decision; the other treatments never leave an alarm undecided unless
            /// data is short.
            #[test]
            fn only_ignore_remembers(
                (n, m, range) in alarm(),
                treat in treatment(),
                current in state(),
            ) {
                let now = evaluate(&range, n, m, treat, current);
                if treat != TreatMissingData::Ignore {
                    prop_assert_eq!(now, evaluate(&range, n, m, treat, Insufficient));
                }
                let real = range.iter().filter(|s| matches!(s, WindowVerdict::Breaching | WindowVerdict::NotBreaching)).count();
                if real >= n {
                    prop_assert_ne!(now, Insufficient);
                }
            }

            /// Breaching-as-missing never gives a better state than not-breaching-as-missing.
            #[test]
            fn breaching_is_never_kinder((n, m, range) in alarm()) {
                let bad = evaluate(&range, n, m, TreatMissingData::Breaching, Insufficient);
                let good = evaluate(&range, n, m, TreatMissingData::NotBreaching, Insufficient);
                prop_assert!(!(good == Alarm && bad != Alarm), "{:?} vs {:?}", bad, good);
            }
        }
    }
}
