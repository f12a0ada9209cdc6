//! [`MessageList`]: what a backend gives for a SELECT, and its writer.

use bytes::Bytes;

use super::{Entries, Entry, FlagSet, MailboxView, MessageState, SETS_SEARCHED};
use crate::types::Flag;

/// The messages of a SELECT, ascending by UID, each naming one of a few
/// distinct sets of flags rather than holding a list of its own.
///
/// A clone shares the messages (copy on write): a backend that keeps the
/// list of its last SELECT can hand it out again, without making it anew,
/// while the mailbox has not changed, and the session's view takes it
/// without a copy.
///
/// # Examples
///
/// ```
/// use imap_proto::message::{FlagSet, MessageList, MailboxView};
/// use imap_proto::types::Flag;
/// let mut list = MessageList::default();
/// let seen = list.add_flag_set(FlagSet::from(vec![Flag::Seen]));
/// let none = list.add_flag_set(FlagSet::default());
/// list.push(1, seen, false);
/// list.push(2, none, true);
/// assert_eq!((list.recent_count(), list.first_unseen()), (1, Some(1)));
/// let view = MailboxView::from_list(list);
/// assert_eq!(view.flags(0), Some(&[Flag::Seen][..]));
/// assert_eq!(view.first_unseen().map(|n| n.get()), Some(2));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MessageList {
    pub(super) flag_sets: Vec<FlagSet>,
    /// Whether each set of `flag_sets` holds `\Seen`.
    pub(super) seen_sets: Vec<bool>,
    pub(super) messages: Entries,
    /// A message was pushed at or below the UID of the one before.
    pub(super) unsorted: bool,
    pub(super) recent: usize,
    pub(super) first_unseen: Option<usize>,
}

impl MessageList {
    /// An empty list with room for `n` messages.
    pub fn with_capacity(n: usize) -> Self {
        MessageList {
            messages: Entries::with_capacity(n),
            ..MessageList::default()
        }
    }

    /// Adds a set of flags; returns the number [`MessageList::push`]
    /// takes.
    pub fn add_flag_set(&mut self, flags: FlagSet) -> u32 {
        // Not through the writer: a shared list of messages is not copied
        // for a set of flags.
        add_set(&mut self.flag_sets, &mut self.seen_sets, flags)
    }

    /// Adds a message (the next in UID order) with the flags of set
    /// number `set`; a number no set has stands for no flags.
    #[inline]
    pub fn push(&mut self, uid: u32, set: u32, recent: bool) {
        self.writer().push(uid, set, recent);
    }

    /// A writer to add many messages and sets: [`MessageList::push`]
    /// makes sure at each message that no clone shares the messages (an
    /// atomic operation, some 1 ms for 100,000 messages); the writer does
    /// once.
    ///
    /// # Examples
    ///
    /// ```
    /// use imap_proto::message::{FlagSet, MessageList};
    /// let mut list = MessageList::with_capacity(3);
    /// let mut w = list.writer();
    /// let none = w.add_flag_set(FlagSet::default());
    /// for uid in 1..=3 {
    ///     w.push(uid, none, false);
    /// }
    /// assert_eq!((list.len(), list.first_unseen()), (3, Some(0)));
    /// ```
    pub fn writer(&mut self) -> MessageListWriter<'_> {
        MessageListWriter {
            flag_sets: &mut self.flag_sets,
            seen_sets: &mut self.seen_sets,
            messages: self.messages.make_mut(),
            unsorted: &mut self.unsorted,
            recent: &mut self.recent,
            first_unseen: &mut self.first_unseen,
        }
    }

    /// Adds messages as [`MessageListWriter::push_runs`] does, taking
    /// `of` to hold rather than an entry per message when the list is
    /// empty and the runs ascend apart (as a store's UIDs do): a SELECT of
    /// a big mailbox then writes next to nothing. The first change of the
    /// list in a session's [`MailboxView`] makes the entries.
    ///
    /// # Examples
    ///
    /// ```
    /// use imap_proto::message::{FlagSet, MailboxView, MessageList};
    /// use imap_proto::types::Flag;
    /// let mut list = MessageList::default();
    /// let seen = list.add_flag_set(FlagSet::from(vec![Flag::Seen]));
    /// let none = list.add_flag_set(FlagSet::default());
    /// // UIDs 1 to 3 and 7 to 8; message i has set `sets[of[i]]`.
    /// list.extend_runs(&[(1, 3), (7, 2)], &[seen, none], vec![0, 0, 1, 0, 1].into());
    /// assert_eq!((list.len(), list.first_unseen()), (5, Some(2)));
    /// let view = MailboxView::from_list(list);
    /// assert_eq!((view.uid(3), view.index_of(8)), (Some(7), Some(4)));
    /// assert_eq!(view.flags(2), Some(&[][..]));
    /// ```
    pub fn extend_runs(&mut self, runs: &[(u32, u32)], sets: &[u32], of: Bytes) {
        if self.messages.is_empty()
            && let Some(packed) = Entries::packed(runs, table_of(sets), of.clone())
        {
            let unseen = unseen_of(sets, &self.seen_sets);
            self.first_unseen = of
                .get(..packed.len())
                .and_then(|of| of.iter().position(|&i| unseen[usize::from(i)]));
            self.messages = packed;
            return;
        }
        self.writer().push_runs(runs, sets, &of);
    }

    /// The number of messages.
    pub fn len(&self) -> usize {
        self.messages.len()
    }

    /// True if there is no message.
    pub fn is_empty(&self) -> bool {
        self.messages.is_empty()
    }

    /// The number of messages pushed as `\Recent`.
    pub fn recent_count(&self) -> usize {
        self.recent
    }

    /// The index of the first message without `\Seen`: its message
    /// sequence number less one once the list is in UID order.
    pub fn first_unseen(&self) -> Option<usize> {
        if self.unsorted {
            let view = MailboxView::from_list(self.clone());
            return view.first_unseen().map(|n| n.get() as usize - 1);
        }
        self.first_unseen
    }
}

/// Adds `flags` to a list's sets; returns its number.
fn add_set(flag_sets: &mut Vec<FlagSet>, seen_sets: &mut Vec<bool>, flags: FlagSet) -> u32 {
    seen_sets.push(flags.contains(&Flag::Seen));
    flag_sets.push(flags);
    u32::try_from(flag_sets.len() - 1).unwrap_or(u32::MAX)
}

/// The set number of each index of a run's `of` (`u32::MAX`, no set,
/// past `sets`).
fn table_of(sets: &[u32]) -> [u32; 256] {
    let mut table = [u32::MAX; 256];
    for (t, &s) in table.iter_mut().zip(sets) {
        *t = s;
    }
    table
}

/// Whether each index of a run's `of` stands for flags without `\Seen`.
fn unseen_of(sets: &[u32], seen_sets: &[bool]) -> [bool; 256] {
    table_of(sets).map(|s| !seen_sets.get(s as usize).copied().unwrap_or(false))
}

/// Adds sets and messages to a [`MessageList`] ([`MessageList::writer`]),
/// as its own [`MessageList::add_flag_set`] and [`MessageList::push`] do.
#[derive(Debug)]
pub struct MessageListWriter<'a> {
    flag_sets: &'a mut Vec<FlagSet>,
    seen_sets: &'a mut Vec<bool>,
    messages: &'a mut Vec<Entry>,
    unsorted: &'a mut bool,
    recent: &'a mut usize,
    first_unseen: &'a mut Option<usize>,
}

impl MessageListWriter<'_> {
    /// Adds a set of flags; returns the number [`MessageListWriter::push`]
    /// takes.
    pub fn add_flag_set(&mut self, flags: FlagSet) -> u32 {
        add_set(self.flag_sets, self.seen_sets, flags)
    }

    /// Adds a message (the next in UID order) with the flags of set
    /// number `set`; a number no set has stands for no flags.
    #[inline]
    pub fn push(&mut self, uid: u32, set: u32, recent: bool) {
        if self.first_unseen.is_none()
            && !self.seen_sets.get(set as usize).copied().unwrap_or(false)
        {
            *self.first_unseen = Some(self.messages.len());
        }
        if self.messages.last().is_some_and(|m| m.uid >= uid) {
            *self.unsorted = true;
        }
        *self.recent += usize::from(recent);
        self.messages.push(Entry::new(uid, set, recent));
    }

    /// Adds messages, none `\Recent`, whose UIDs are the `runs` (first
    /// UID, number of UIDs) one after the other, message `i` with the
    /// flags of set number `sets[of[i]]` (a number past `sets` stands for
    /// no flags): as many [`push`] calls, in a loop with nothing else to
    /// do per message than to store it. Messages past the end of `of` are
    /// not added.
    ///
    /// [`push`]: MessageListWriter::push
    pub fn push_runs(&mut self, runs: &[(u32, u32)], sets: &[u32], of: &[u8]) {
        // Every u8 indexes the table: no check per message.
        let table = table_of(sets);
        let unseen = unseen_of(sets, self.seen_sets);
        let mut of = of;
        for &(first, n) in runs {
            if n == 0 {
                continue;
            }
            // A run past u32::MAX ends there.
            let n = n.min((u32::MAX - first).saturating_add(1));
            let (here, rest) = of.split_at(of.len().min(n as usize));
            of = rest;
            if here.is_empty() {
                break;
            }
            if self.messages.last().is_some_and(|m| m.uid >= first) {
                *self.unsorted = true;
            }
            if self.first_unseen.is_none()
                && let Some(i) = here.iter().position(|&i| unseen[usize::from(i)])
            {
                *self.first_unseen = Some(self.messages.len() + i);
            }
            self.messages.extend(
                here.iter()
                    .enumerate()
                    .map(|(k, &i)| Entry::new(first + k as u32, table[usize::from(i)], false)),
            );
        }
    }
}

impl FromIterator<MessageState> for MessageList {
    fn from_iter<I: IntoIterator<Item = MessageState>>(iter: I) -> Self {
        let mut list = MessageList::default();
        for m in iter {
            let held = list
                .flag_sets
                .iter()
                .take(SETS_SEARCHED)
                .position(|s| *s == m.flags)
                .and_then(|i| u32::try_from(i).ok());
            let set = match held {
                Some(i) => i,
                None => list.add_flag_set(m.flags),
            };
            list.push(m.uid, set, m.recent);
        }
        list
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_writer_adds_what_push_adds_and_leaves_clones_alone() {
        let seen = FlagSet::from(vec![Flag::Seen]);
        let items = [
            (1, true, false),
            (2, false, true),
            (5, true, true),
            (4, false, false),
        ];
        let mut by_push = MessageList::default();
        let s = by_push.add_flag_set(seen.clone());
        let n = by_push.add_flag_set(FlagSet::default());
        for (uid, is_seen, recent) in items {
            by_push.push(uid, if is_seen { s } else { n }, recent);
        }
        let mut by_writer = MessageList::with_capacity(2);
        let before = by_writer.clone();
        let mut w = by_writer.writer();
        let s = w.add_flag_set(seen);
        let n = w.add_flag_set(FlagSet::default());
        for (uid, is_seen, recent) in items {
            w.push(uid, if is_seen { s } else { n }, recent);
        }
        assert_eq!(by_writer, by_push);
        assert_eq!(by_writer.first_unseen(), Some(1));
        assert_eq!(by_writer.recent_count(), 2);
        // UID 4 after 5: out of order, as push notes it too.
        assert!(by_writer.unsorted);
        // A clone taken before is not changed (copy on write).
        assert!(before.is_empty());
        let shared = by_writer.clone();
        by_writer.writer().push(9, n, false);
        assert_eq!((shared.len(), by_writer.len()), (4, 5));
    }
}
