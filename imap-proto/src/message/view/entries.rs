//! [`Entries`]: the messages of a [`MessageList`](super::MessageList) and
//! of a [`MailboxView`](super::MailboxView), one [`Entry`] each, or packed.

use std::sync::Arc;

use bytes::Bytes;

use super::Entry;

/// The messages, ascending by UID when the list was pushed in order.
/// A clone shares them (copy on write).
///
/// Packed, as [`MessageList::extend_runs`](super::MessageList::extend_runs)
/// makes them, they are runs of consecutive UIDs and an octet a message
/// shared with the store: a SELECT of 100,000 messages writes no 800 KB
/// list, and fresh memory is what a first SELECT spends most on (each
/// page is a fault, a few µs). They are unpacked at the first change.
#[derive(Debug, Clone, Default)]
pub(super) struct Entries(Arc<Repr>);

/// `each` is empty while `packed` holds the messages.
#[derive(Debug, Clone, Default)]
struct Repr {
    each: Vec<Entry>,
    packed: Option<Packed>,
}

/// Messages none of which is `\Recent`, expunged or changed: message `i`
/// has UID `first + (i - start)` of the run it falls in, and set number
/// `table[of[i]]`.
#[derive(Debug, Clone)]
struct Packed {
    /// (first UID, index of its message): ascending in both, each run
    /// going on to the next one's index, the last one to `len`.
    runs: Vec<(u32, usize)>,
    len: usize,
    table: Box<[u32; 256]>,
    /// At least `len` octets.
    of: Bytes,
}

impl Packed {
    /// The run `i` falls in: its first UID, first index and end.
    fn run_of(&self, i: usize) -> Option<(u32, usize, usize)> {
        if i >= self.len {
            return None;
        }
        let k = self.runs.partition_point(|r| r.1 <= i).checked_sub(1)?;
        Some(self.run(k))
    }

    fn run(&self, k: usize) -> (u32, usize, usize) {
        let (first, start) = self.runs[k];
        let end = self.runs.get(k + 1).map_or(self.len, |r| r.1);
        (first, start, end)
    }

    fn get(&self, i: usize) -> Option<Entry> {
        let (first, start, _) = self.run_of(i)?;
        let set = self.table[usize::from(*self.of.get(i)?)];
        // `start` at most `i`, the run's UIDs within u32 (extend_runs).
        Some(Entry::new(first + (i - start) as u32, set, false))
    }

    /// The number of messages whose UID is below `uid`.
    fn below(&self, uid: u32) -> usize {
        let k = match self.runs.partition_point(|r| r.0 < uid).checked_sub(1) {
            Some(k) => k,
            None => return 0,
        };
        let (first, start, end) = self.run(k);
        start + ((uid - first) as usize).min(end - start)
    }
}

impl Entries {
    /// Room for `n` messages.
    pub fn with_capacity(n: usize) -> Entries {
        Entries(Arc::new(Repr {
            each: Vec::with_capacity(n),
            packed: None,
        }))
    }

    /// Messages packed from `runs` (first UID, number), `table` and `of`
    /// (see [`MessageList::extend_runs`](super::MessageList::extend_runs));
    /// `None` unless the runs ascend apart (each above the end of the one
    /// before).
    pub fn packed(runs: &[(u32, u32)], table: [u32; 256], of: Bytes) -> Option<Entries> {
        let mut packed = Vec::with_capacity(runs.len());
        let mut len = 0usize;
        let mut next = Some(0u32);
        for &(first, n) in runs {
            if n == 0 {
                continue;
            }
            if len >= of.len() {
                break;
            }
            if next.is_none_or(|next| first < next) {
                return None;
            }
            // A run past u32::MAX ends there; the messages end with `of`.
            let n = n.min((u32::MAX - first).saturating_add(1));
            let n = (n as usize).min(of.len() - len);
            packed.push((first, len));
            len += n;
            next = first.checked_add(u32::try_from(n).ok()?);
        }
        Some(Entries(Arc::new(Repr {
            each: Vec::new(),
            packed: Some(Packed {
                runs: packed,
                len,
                table: Box::new(table),
                of,
            }),
        })))
    }

    pub fn len(&self) -> usize {
        match &self.0.packed {
            Some(p) => p.len,
            None => self.0.each.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Option<Entry> {
        match &self.0.packed {
            Some(p) => p.get(i),
            None => self.0.each.get(i).copied(),
        }
    }

    pub fn last(&self) -> Option<Entry> {
        self.get(self.len().checked_sub(1)?)
    }

    /// The number of messages whose UID is below `uid` (in a list in UID
    /// order).
    pub fn below(&self, uid: u32) -> usize {
        match &self.0.packed {
            Some(p) => p.below(uid),
            None => self.0.each.partition_point(|e| e.uid < uid),
        }
    }

    /// The index of the message with UID `uid` (in a list in UID order).
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        match &self.0.packed {
            None => {
                let v = &self.0.each;
                // UIDs are mostly dense: the place a dense list gives the
                // UID is tried first, then a binary search.
                let first = v.first()?.uid;
                let guess = usize::try_from(uid.checked_sub(first)?).ok()?;
                if v.get(guess).is_some_and(|e| e.uid == uid) {
                    return Some(guess);
                }
                v.binary_search_by_key(&uid, |e| e.uid).ok()
            }
            Some(p) => {
                let i = p.below(uid);
                p.get(i).filter(|e| e.uid == uid).map(|_| i)
            }
        }
    }

    /// Each message in turn.
    pub fn iter(&self) -> impl Iterator<Item = Entry> + '_ {
        let packed = self
            .0
            .packed
            .as_ref()
            .map(|p| (0..p.len).filter_map(|i| p.get(i)));
        self.0
            .each
            .iter()
            .copied()
            .chain(packed.into_iter().flatten())
    }

    /// The messages to change: unshared and unpacked first.
    pub fn make_mut(&mut self) -> &mut Vec<Entry> {
        if self.0.packed.is_some() {
            let each = self.iter().collect();
            self.0 = Arc::new(Repr { each, packed: None });
        }
        &mut Arc::make_mut(&mut self.0).each
    }
}

impl PartialEq for Entries {
    fn eq(&self, other: &Entries) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Entries {}
