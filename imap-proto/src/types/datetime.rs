//! `date-time` (INTERNALDATE, APPEND) and `date` (SEARCH), RFC 3501 section 9.

use crate::error::InvalidValue;

/// Month names as the grammar spells them.
pub(crate) const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// A calendar date as SEARCH uses it (`1-Feb-1994`).
///
/// # Examples
///
/// ```
/// use imap_proto::types::Date;
/// assert!(Date::new(1994, 2, 1).is_ok());
/// assert!(Date::new(1994, 2, 30).is_err());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Date {
    year: u16,
    month: u8,
    day: u8,
}

fn days_in_month(year: u16, month: u8) -> u8 {
    match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400) => {
            29
        }
        2 => 28,
        _ => 0,
    }
}

impl Date {
    /// Checks that the day exists; years 0..=9999 as the grammar's `4DIGIT`.
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self, InvalidValue> {
        if year > 9999 || !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month)
        {
            return Err(InvalidValue::new("date"));
        }
        Ok(Date { year, month, day })
    }

    /// The year.
    pub fn year(&self) -> u16 {
        self.year
    }
    /// The month, 1 to 12.
    pub fn month(&self) -> u8 {
        self.month
    }
    /// The day of the month, from 1.
    pub fn day(&self) -> u8 {
        self.day
    }
}

/// A date and time with a zone offset (`"17-Jul-1996 02:44:25 -0700"`).
///
/// # Examples
///
/// ```
/// use imap_proto::types::{Date, DateTime};
/// let d = DateTime::new(Date::new(1996, 7, 17).unwrap(), 2, 44, 25, -7 * 60).unwrap();
/// assert_eq!(d.zone_minutes(), -420);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DateTime {
    date: Date,
    hour: u8,
    minute: u8,
    second: u8,
    zone: i16,
}

impl DateTime {
    /// Checks ranges: hours 0-23, minutes 0-59, seconds 0-60 (leap
    /// second), zone within +-99:59.
    pub fn new(
        date: Date,
        hour: u8,
        minute: u8,
        second: u8,
        zone_minutes: i16,
    ) -> Result<Self, InvalidValue> {
        if hour > 23
            || minute > 59
            || second > 60
            || zone_minutes.abs() > 99 * 60 + 59
            || (zone_minutes.abs() % 60) > 59
        {
            return Err(InvalidValue::new("date-time"));
        }
        Ok(DateTime {
            date,
            hour,
            minute,
            second,
            zone: zone_minutes,
        })
    }

    /// The date part.
    pub fn date(&self) -> Date {
        self.date
    }
    /// Hour, 0-23.
    pub fn hour(&self) -> u8 {
        self.hour
    }
    /// Minute.
    pub fn minute(&self) -> u8 {
        self.minute
    }
    /// Second.
    pub fn second(&self) -> u8 {
        self.second
    }
    /// Offset from UTC in minutes (`-0700` is -420).
    pub fn zone_minutes(&self) -> i16 {
        self.zone
    }
}
