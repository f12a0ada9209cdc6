//! The UIDs and flags of a snapshot, held compactly: the UIDs as runs of
//! consecutive numbers (a folder's UIDs mostly are: 100,000 of them with
//! a few gaps take a few runs), the flags as the index of each message's
//! flags among the distinct ones when there are at most 256 of them (one
//! octet a message). What the snapshot index's summary holds, and all an
//! IMAP SELECT needs.

use bytes::Bytes;

use crate::flags::Flags;
use crate::snapshot::MessageInfo;

/// The UIDs and flags of a folder's messages as its snapshot index holds
/// them (see [`Folder::flag_runs`](crate::Folder::flag_runs)): runs of
/// consecutive UIDs, the distinct flags, and each message's index among
/// them.
#[derive(Debug, Clone, Copy)]
pub struct FlagRuns<'a> {
    runs: &'a [(u32, u32)],
    values: &'a [Flags],
    of: &'a Bytes,
}

impl<'a> FlagRuns<'a> {
    /// (first UID, number of UIDs), ascending and apart; the messages are
    /// the UIDs of each run, one run after the other.
    pub fn runs(&self) -> &'a [(u32, u32)] {
        self.runs
    }

    /// The distinct flags (at most 256).
    pub fn values(&self) -> &'a [Flags] {
        self.values
    }

    /// For each message in turn, the index of its flags in
    /// [`FlagRuns::values`].
    pub fn of(&self) -> &'a [u8] {
        self.of
    }

    /// [`FlagRuns::of`], shared: held with no copy (an IMAP SELECT's
    /// message list keeps it, so that a big mailbox's list is a few
    /// runs, not an entry per message).
    pub fn of_shared(&self) -> Bytes {
        self.of.clone()
    }
}

/// UIDs and flags of a snapshot's messages, in UID order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Columns {
    /// (first UID, number of UIDs), ascending and apart: each run starts
    /// above the end of the one before, and has at least one UID.
    runs: Vec<(u32, u32)>,
    flags: FlagColumn,
}

/// Each message's flags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FlagColumn {
    /// The distinct flags, and for each message the index of its own.
    Indexed { values: Vec<Flags>, of: Bytes },
    /// More than 256 distinct flags: each message's.
    Each(Vec<Flags>),
}

impl Default for FlagColumn {
    fn default() -> Self {
        FlagColumn::Each(Vec::new())
    }
}

impl FlagColumn {
    pub fn len(&self) -> usize {
        match self {
            FlagColumn::Indexed { of, .. } => of.len(),
            FlagColumn::Each(v) => v.len(),
        }
    }

    fn get(&self, i: usize) -> Option<Flags> {
        match self {
            FlagColumn::Indexed { values, of } => values.get(usize::from(*of.get(i)?)).copied(),
            FlagColumn::Each(v) => v.get(i).copied(),
        }
    }
}

impl Columns {
    /// The columns of `messages` (sorted by UID).
    pub fn of(messages: &[MessageInfo]) -> Columns {
        let mut runs: Vec<(u32, u32)> = Vec::new();
        for m in messages {
            match runs.last_mut() {
                Some((first, n)) if first.checked_add(*n) == Some(m.uid) => *n += 1,
                _ => runs.push((m.uid, 1)),
            }
        }
        let mut values: Vec<Flags> = Vec::new();
        let mut of = Vec::with_capacity(messages.len());
        for m in messages {
            let i = match values.iter().position(|&v| v == m.flags) {
                Some(i) => i,
                None => {
                    values.push(m.flags);
                    values.len() - 1
                }
            };
            match u8::try_from(i) {
                Ok(i) => of.push(i),
                Err(_) => {
                    return Columns {
                        runs,
                        flags: FlagColumn::Each(messages.iter().map(|m| m.flags).collect()),
                    };
                }
            }
        }
        Columns {
            runs,
            flags: FlagColumn::Indexed {
                values,
                of: Bytes::from(of),
            },
        }
    }

    /// Columns from their parts; `None` unless the runs are ascending and
    /// apart, hold as many UIDs as there are flags, and every index
    /// names a value.
    pub fn new(runs: Vec<(u32, u32)>, flags: FlagColumn) -> Option<Columns> {
        // The least UID the next run may start at (none after u32::MAX).
        let mut next = Some(1u32);
        let mut count = 0usize;
        for &(first, n) in &runs {
            if n == 0 || next.is_none_or(|next| first < next) {
                return None;
            }
            let last = first.checked_add(n - 1)?;
            next = last.checked_add(1);
            count = count.checked_add(n as usize)?;
        }
        if count != flags.len() {
            return None;
        }
        // The greatest index, found in one pass the compiler vectorizes.
        if let FlagColumn::Indexed { values, of } = &flags
            && of
                .iter()
                .copied()
                .max()
                .is_some_and(|i| usize::from(i) >= values.len())
        {
            return None;
        }
        Some(Columns { runs, flags })
    }

    pub fn runs(&self) -> &[(u32, u32)] {
        &self.runs
    }

    /// The runs with the flags as indexes into the distinct values; `None`
    /// when there are more than 256 of them.
    pub fn flag_runs(&self) -> Option<FlagRuns<'_>> {
        match &self.flags {
            FlagColumn::Indexed { values, of } => Some(FlagRuns {
                runs: &self.runs,
                values,
                of,
            }),
            FlagColumn::Each(_) => None,
        }
    }

    pub fn flags(&self) -> &FlagColumn {
        &self.flags
    }

    /// The number of messages.
    pub fn len(&self) -> usize {
        self.flags.len()
    }

    pub fn last_uid(&self) -> Option<u32> {
        self.runs.last().map(|&(first, n)| first + (n - 1))
    }

    /// Each message's UID and flags.
    pub fn iter(&self) -> ColumnsIter<'_> {
        ColumnsIter {
            columns: self,
            run: 0,
            within: 0,
            at: 0,
        }
    }
}

/// See [`Columns::iter`].
#[derive(Debug, Clone)]
pub(crate) struct ColumnsIter<'a> {
    columns: &'a Columns,
    run: usize,
    within: u32,
    at: usize,
}

impl Iterator for ColumnsIter<'_> {
    type Item = (u32, Flags);

    #[inline]
    fn next(&mut self) -> Option<(u32, Flags)> {
        let &(first, n) = self.columns.runs.get(self.run)?;
        let uid = first + self.within;
        self.within += 1;
        if self.within == n {
            self.run += 1;
            self.within = 0;
        }
        let flags = self.columns.flags.get(self.at)?;
        self.at += 1;
        Some((uid, flags))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.columns.len().saturating_sub(self.at);
        (left, Some(left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any UIDs and flags come back as they went in, and a run
        /// that overlaps or a bad index is refused.
        #[test]
        fn columns_give_back_the_uids_and_flags(
            uids in proptest::collection::btree_set(1u32..2000, 0..400),
            kinds in proptest::collection::vec(0u64..1000, 400),
            max in any::<bool>(),
        ) {
            let mut uids: Vec<u32> = uids.into_iter().collect();
            if max && !uids.is_empty() {
                let last = uids.len() - 1;
                uids[last] = u32::MAX;
            }
            // Three distinct flags, or often more than 256.
            let wide = kinds.first().is_some_and(|&k| k >= 500);
            let flags: Vec<Flags> = kinds
                .iter()
                .take(uids.len())
                .map(|&k| Flags::from_bits(if wide { k } else { k % 3 }))
                .collect();
            let messages: Vec<MessageInfo> = uids
                .iter()
                .zip(&flags)
                .map(|(&uid, &f)| {
                    let mut m = crate::snapshot::tests::info(uid);
                    m.flags = f;
                    m
                })
                .collect();
            let c = Columns::of(&messages);
            let got: Vec<(u32, Flags)> = c.iter().collect();
            let want: Vec<(u32, Flags)> = uids.iter().copied().zip(flags.iter().copied()).collect();
            prop_assert_eq!(&got, &want);
            prop_assert_eq!(c.len(), uids.len());
            prop_assert_eq!(c.last_uid(), uids.last().copied());
            prop_assert_eq!(Columns::new(c.runs.clone(), c.flags.clone()), Some(c.clone()));
            if let Some(&(first, n)) = c.runs.first() {
                // A run starting inside the one before, or empty.
                let mut bad = c.runs.clone();
                bad.push((first + (n - 1), 1));
                prop_assert_eq!(Columns::new(bad, c.flags.clone()), None);
                let mut empty = c.runs.clone();
                empty[0].1 = 0;
                prop_assert_eq!(Columns::new(empty, c.flags.clone()), None);
            }
            if let FlagColumn::Indexed { values, of } = &c.flags
                && !of.is_empty()
                && let Ok(past) = u8::try_from(values.len())
            {
                let mut of = of.to_vec();
                of[0] = past;
                let bad = FlagColumn::Indexed { values: values.clone(), of: Bytes::from(of) };
                prop_assert_eq!(Columns::new(c.runs.clone(), bad), None);
            }
        }
    }
}
