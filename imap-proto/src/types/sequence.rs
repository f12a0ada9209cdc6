//! Sequence sets (RFC 3501 section 9 `sequence-set`, RFC 5182 `$`).

use std::num::NonZeroU32;

use super::Vec1;

/// `seq-number = nz-number / "*"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SeqNumber {
    /// A message sequence number or UID.
    Value(NonZeroU32),
    /// `*`: the largest number in use.
    Largest,
}

/// One element of a sequence set: a number or a range.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sequence {
    /// `n` or `*`.
    Single(SeqNumber),
    /// `a:b`, in either order (RFC 3501 section 9: `2:4` and `4:2` are equal).
    Range(SeqNumber, SeqNumber),
}

/// A sequence set: message numbers or UIDs.
///
/// # Examples
///
/// ```
/// use imap_proto::types::{SequenceSet, Sequence, SeqNumber};
/// let s = SequenceSet::single(7);
/// assert!(matches!(s, SequenceSet::List(ref v) if v.len() == 1));
/// assert!(SequenceSet::range(0, 3).is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum SequenceSet {
    /// One or more numbers and ranges, separated by commas.
    List(Vec1<Sequence>),
    /// `$`: the saved search result (RFC 5182).
    SearchResult,
}

impl SequenceSet {
    /// The set holding one number; `0` means `*`.
    pub fn single(n: u32) -> Self {
        SequenceSet::List(Vec1::one(Sequence::Single(seq_number(n))))
    }

    /// The range `a:b`; fails if either end is zero (use [`SeqNumber::Largest`] for `*`).
    pub fn range(a: u32, b: u32) -> Result<Self, crate::InvalidValue> {
        let a = NonZeroU32::new(a).ok_or(crate::InvalidValue::new("seq-number"))?;
        let b = NonZeroU32::new(b).ok_or(crate::InvalidValue::new("seq-number"))?;
        Ok(SequenceSet::List(Vec1::one(Sequence::Range(
            SeqNumber::Value(a),
            SeqNumber::Value(b),
        ))))
    }

    /// Ascending numbers as a set, runs written as ranges (`1:3,7`);
    /// `None` when there are none, or one is zero.
    ///
    /// ```
    /// use imap_proto::types::SequenceSet;
    /// let s = SequenceSet::from_numbers(&[1, 2, 3, 7]).unwrap();
    /// assert_eq!(s, SequenceSet::from_ranges(&[(1, 3), (7, 7)]).unwrap());
    /// assert!(SequenceSet::from_numbers(&[]).is_none());
    /// ```
    pub fn from_numbers(numbers: &[u32]) -> Option<SequenceSet> {
        SequenceSet::from_ranges(&runs(numbers))
    }

    /// Inclusive ranges `(first, last)` as a set; `None` when there are
    /// none, or one starts at zero or ends before it starts.
    ///
    /// ```
    /// use imap_proto::types::SequenceSet;
    /// let s = SequenceSet::from_ranges(&[(1, 3), (7, 7)]).unwrap();
    /// assert_eq!(s, SequenceSet::from_numbers(&[1, 2, 3, 7]).unwrap());
    /// ```
    pub fn from_ranges(ranges: &[(u32, u32)]) -> Option<SequenceSet> {
        let mut items = Vec::with_capacity(ranges.len());
        for &(a, b) in ranges {
            if b < a {
                return None;
            }
            let (a, b) = (NonZeroU32::new(a)?, NonZeroU32::new(b)?);
            items.push(if a == b {
                Sequence::Single(SeqNumber::Value(a))
            } else {
                Sequence::Range(SeqNumber::Value(a), SeqNumber::Value(b))
            });
        }
        Vec1::new(items).ok().map(SequenceSet::List)
    }

    /// The set as inclusive ranges `(first, last)`, ascending and merged,
    /// with `*` as `largest` and every number above `largest` left out.
    /// Empty for `$`.
    pub fn ranges_up_to(&self, largest: u32) -> Vec<(u32, u32)> {
        let SequenceSet::List(items) = self else {
            return Vec::new();
        };
        let mut out: Vec<(u32, u32)> = items
            .iter()
            .map(|item| item.bounds(largest))
            .filter(|&(a, _)| a <= largest)
            .map(|(a, b)| (a, b.min(largest)))
            .collect();
        out.sort_unstable();
        let mut merged: Vec<(u32, u32)> = Vec::with_capacity(out.len());
        for (a, b) in out {
            match merged.last_mut() {
                Some(last) if a <= last.1.saturating_add(1) => last.1 = last.1.max(b),
                _ => merged.push((a, b)),
            }
        }
        merged
    }

    /// The numbers of the set in the order written (`*` as `largest`),
    /// or `None` when there would be more than `cap` of them.
    pub fn numbers_in_order(&self, largest: u32, cap: usize) -> Option<Vec<u32>> {
        let SequenceSet::List(items) = self else {
            return None;
        };
        let mut out = Vec::new();
        for item in items.iter() {
            let (a, b) = item.bounds(largest);
            if (b - a) as usize >= cap.saturating_sub(out.len()) {
                return None;
            }
            out.extend(a..=b);
        }
        Some(out)
    }
}

impl Sequence {
    /// The lowest and the highest number of the element, with `*` as
    /// `largest`.
    pub(crate) fn bounds(&self, largest: u32) -> (u32, u32) {
        let val = |s: &SeqNumber| match s {
            SeqNumber::Value(v) => v.get(),
            SeqNumber::Largest => largest,
        };
        match self {
            Sequence::Single(s) => (val(s), val(s)),
            Sequence::Range(x, y) => (val(x).min(val(y)), val(x).max(val(y))),
        }
    }
}

/// Ascending numbers as inclusive ranges `(first, last)`, each run of
/// consecutive numbers one range.
pub(crate) fn runs(numbers: &[u32]) -> Vec<(u32, u32)> {
    let mut out: Vec<(u32, u32)> = Vec::new();
    for &n in numbers {
        match out.last_mut() {
            Some(last) if last.1.checked_add(1) == Some(n) => last.1 = n,
            _ => out.push((n, n)),
        }
    }
    out
}

/// Ascending UIDs as a UID set, runs written as ranges; `None` when there
/// are none, or one is zero.
#[cfg(feature = "tokio")]
pub(crate) fn uid_set_of(uids: &[u32]) -> Option<UidSet> {
    let mut out = Vec::new();
    for (a, b) in runs(uids) {
        let (a, b) = (NonZeroU32::new(a)?, NonZeroU32::new(b)?);
        out.push(if a == b {
            UidRange::Single(a)
        } else {
            UidRange::Range(a, b)
        });
    }
    Vec1::new(out).ok()
}

fn seq_number(n: u32) -> SeqNumber {
    match NonZeroU32::new(n) {
        Some(v) => SeqNumber::Value(v),
        None => SeqNumber::Largest,
    }
}

/// A UID set as in APPENDUID/COPYUID (RFC 4315): no `*`.
pub type UidSet = Vec1<UidRange>;

/// `uid-range` or a single UID (RFC 4315 section 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UidRange {
    /// One UID.
    Single(NonZeroU32),
    /// `a:b`.
    Range(NonZeroU32, NonZeroU32),
}
