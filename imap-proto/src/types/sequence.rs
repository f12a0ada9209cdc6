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
