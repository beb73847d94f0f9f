//! Civil time (as written in `%t`) to UTC epoch seconds, with exact integer arithmetic.
//!
//! Done by hand rather than through `time::PrimitiveDateTime` because it runs once per line on the
//! hot path and only needs validation plus Howard Hinnant's `days_from_civil`; the tests check it
//! against the `time` crate.

/// A local date and time as written in a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Civil {
    pub year: i32,
    pub month: u8,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

/// UTC epoch seconds of `civil` at `offset` seconds east of UTC; `None` for impossible dates and
/// times (31/Feb, 29/Feb outside leap years, 24:00:00, second 60).
pub(super) fn to_epoch(civil: Civil, offset: i32) -> Option<i64> {
    let Civil {
        year,
        month,
        day,
        hour,
        minute,
        second,
    } = civil;
    if !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
        || hour > 23
        || minute > 59
        || second > 59
    {
        return None;
    }
    let days = days_from_civil(i64::from(year), u32::from(month), day);
    let local = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    Some(local - i64::from(offset))
}

fn is_leap(year: i32) -> bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
}

fn days_in_month(year: i32, month: u8) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days since 1970-01-01 of a proleptic Gregorian date (Hinnant's algorithm: eras of 400 years
/// starting in March, so the leap day is the last day of the shifted year).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::{Date, Month, PrimitiveDateTime, Time, UtcOffset};

    fn civil(year: i32, month: u8, day: u32, hour: u32, minute: u32, second: u32) -> Civil {
        Civil {
            year,
            month,
            day,
            hour,
            minute,
            second,
        }
    }

    #[test]
    fn known_instants() {
        assert_eq!(to_epoch(civil(1970, 1, 1, 0, 0, 0), 0), Some(0));
        // Apache's documentation example: 10/Oct/2000:13:55:36 -0700.
        assert_eq!(
            to_epoch(civil(2000, 10, 10, 13, 55, 36), -7 * 3600),
            Some(971_211_336)
        );
        assert_eq!(
            to_epoch(civil(2015, 5, 17, 10, 5, 3), 0),
            Some(1_431_857_103)
        );
        assert_eq!(to_epoch(civil(2000, 2, 29, 0, 0, 0), 0), Some(951_782_400));
        assert_eq!(to_epoch(civil(1969, 12, 31, 23, 59, 59), 0), Some(-1));
    }

    #[test]
    fn impossible_dates_are_rejected() {
        assert_eq!(to_epoch(civil(2021, 2, 31, 0, 0, 0), 0), None);
        assert_eq!(to_epoch(civil(2021, 2, 29, 0, 0, 0), 0), None);
        assert_eq!(to_epoch(civil(1900, 2, 29, 0, 0, 0), 0), None);
        assert_eq!(to_epoch(civil(2021, 4, 31, 0, 0, 0), 0), None);
        assert_eq!(to_epoch(civil(2021, 13, 1, 0, 0, 0), 0), None);
        assert_eq!(to_epoch(civil(2021, 1, 0, 0, 0, 0), 0), None);
        assert_eq!(to_epoch(civil(2021, 1, 1, 24, 0, 0), 0), None);
        assert_eq!(to_epoch(civil(2021, 1, 1, 0, 60, 0), 0), None);
        assert_eq!(to_epoch(civil(2021, 1, 1, 0, 0, 60), 0), None);
    }

    /// Every day from 1600 to 2400 at a few offsets, against the `time` crate.
    #[test]
    fn agrees_with_the_time_crate() {
        let mut date = Date::from_calendar_date(1600, Month::January, 1).unwrap();
        let end = Date::from_calendar_date(2400, Month::December, 31).unwrap();
        let clock = Time::from_hms(13, 55, 36).unwrap();
        let offsets = [
            0,
            -7 * 3600,
            5 * 3600 + 1800,
            -(11 * 3600 + 1800),
            14 * 3600,
        ];
        let mut step = 0;
        while date <= end {
            let offset = offsets[step % offsets.len()];
            step += 1;
            let expected = PrimitiveDateTime::new(date, clock)
                .assume_offset(UtcOffset::from_whole_seconds(offset).unwrap())
                .unix_timestamp();
            let got = to_epoch(
                civil(
                    date.year(),
                    date.month() as u8,
                    u32::from(date.day()),
                    13,
                    55,
                    36,
                ),
                offset,
            );
            assert_eq!(got, Some(expected), "{date} at offset {offset}");
            date = date.next_day().unwrap();
        }
    }
}
