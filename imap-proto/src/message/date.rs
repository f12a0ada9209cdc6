//! Dates: Unix time to and from IMAP's `date-time`, and the RFC 5322
//! `Date:` field (for SENTBEFORE, SENTON, SENTSINCE).

use crate::types::{Date, DateTime};

/// Days since 1970-01-01 to a civil (year, month, day), proleptic
/// Gregorian.
fn civil_from_days(z: i64) -> (i64, u8, u8) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u8;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u8;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// A civil date to days since 1970-01-01.
fn days_from_civil(y: i64, m: u8, d: u8) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The UTC date of a Unix time.
pub fn date_of(unix: i64) -> Option<Date> {
    let (y, m, d) = civil_from_days(unix.div_euclid(86_400));
    Date::new(u16::try_from(y).ok()?, m, d).ok()
}

/// A Unix time as an INTERNALDATE in UTC (`+0000`).
pub fn date_time_of(unix: i64) -> Option<DateTime> {
    let secs = unix.rem_euclid(86_400);
    DateTime::new(
        date_of(unix)?,
        (secs / 3600) as u8,
        (secs / 60 % 60) as u8,
        (secs % 60) as u8,
        0,
    )
    .ok()
}

/// The Unix time of a `date-time` (APPEND's internal date).
pub fn unix_of(dt: &DateTime) -> i64 {
    let d = dt.date();
    let days = days_from_civil(i64::from(d.year()), d.month(), d.day());
    days * 86_400
        + i64::from(dt.hour()) * 3600
        + i64::from(dt.minute()) * 60
        + i64::from(dt.second())
        - i64::from(dt.zone_minutes()) * 60
}

/// Days since 1970 of a SEARCH date, for comparisons.
pub fn day_number(d: &Date) -> i64 {
    days_from_civil(i64::from(d.year()), d.month(), d.day())
}

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// The date part of an RFC 5322 `date-time` (`[day ","] d month year
/// time zone`), in the field's own zone, as SENT* searches compare it
/// (RFC 3501 section 6.4.4). Two-digit years follow RFC 5322 section 4.3.
pub fn parse_header_date(v: &[u8]) -> Option<Date> {
    let text = String::from_utf8_lossy(v);
    let text = match text.find(',') {
        Some(i) => &text[i + 1..],
        None => &text[..],
    };
    let mut words = text
        .split(|c: char| c.is_whitespace() || c == '-')
        .filter(|w| !w.is_empty());
    let day: u8 = words.next()?.parse().ok()?;
    let mon = words.next()?.to_ascii_lowercase();
    let month = MONTHS.iter().position(|m| mon.starts_with(m))? as u8 + 1;
    let year: u16 = words.next()?.parse().ok()?;
    let year = match year {
        0..=49 => year + 2000,
        50..=999 => year + 1900,
        y => y,
    };
    Date::new(year, month, day).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let dt = date_time_of(1_700_000_000).unwrap();
        assert_eq!(unix_of(&dt), 1_700_000_000);
        assert_eq!(dt.date(), Date::new(2023, 11, 14).unwrap());
        assert_eq!(
            parse_header_date(b" Tue, 1 Jul 2003 10:52:37 +0200").unwrap(),
            Date::new(2003, 7, 1).unwrap()
        );
        assert_eq!(
            parse_header_date(b"1 Jan 99 00:00 GMT").unwrap(),
            Date::new(1999, 1, 1).unwrap()
        );
    }
}
