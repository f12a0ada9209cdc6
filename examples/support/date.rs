//! Dates for the sendmail and mailq examples, from the system clock in
//! UTC (std has no time zones; the examples need no more).

use std::time::{SystemTime, UNIX_EPOCH};

const WEEKDAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The parts of a time in UTC.
struct Civil {
    weekday: &'static str,
    day: u64,
    month: &'static str,
    year: u64,
    hour: u64,
    minute: u64,
    second: u64,
}

fn civil(t: SystemTime) -> Civil {
    let secs = t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs();
    let days = secs / 86_400;
    let rem = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    Civil {
        // 1970-01-01 was a Thursday.
        weekday: WEEKDAYS[(days % 7) as usize],
        day,
        month: MONTHS[(month - 1) as usize],
        year,
        hour: rem / 3600,
        minute: rem % 3600 / 60,
        second: rem % 60,
    }
}

/// `Wed, 25 Nov 2026 16:51:57 +0000` (RFC 5322 3.3).
#[allow(dead_code)]
pub fn rfc5322_date(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} +0000",
        c.weekday, c.day, c.month, c.year, c.hour, c.minute, c.second
    )
}

/// `Wed Nov 25 16:51:57` (the arrival time column of Postfix's mailq).
#[allow(dead_code)]
pub fn mailq_date(t: SystemTime) -> String {
    let c = civil(t);
    format!(
        "{} {} {:2} {:02}:{:02}:{:02}",
        c.weekday, c.month, c.day, c.hour, c.minute, c.second
    )
}

/// Days since 1970-01-01 to (year, month 1-12, day 1-31) in the proleptic
/// Gregorian calendar (the era arithmetic of H. Hinnant's date algorithms).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn dates() {
        assert_eq!(rfc5322_date(UNIX_EPOCH), "Thu, 1 Jan 1970 00:00:00 +0000");
        let t = UNIX_EPOCH + Duration::from_secs(1_795_625_517);
        assert_eq!(rfc5322_date(t), "Wed, 25 Nov 2026 16:51:57 +0000");
        assert_eq!(mailq_date(t), "Wed Nov 25 16:51:57");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400);
        assert_eq!(rfc5322_date(leap), "Tue, 29 Feb 2000 00:00:00 +0000");
        assert_eq!(mailq_date(leap), "Tue Feb 29 00:00:00");
        let first = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        assert_eq!(mailq_date(first), "Thu Jan  1 00:00:00");
    }
}
