//! The selected mailbox as one session sees it: message sequence numbers
//! and UIDs (RFC 3501 section 2.3.1), and the changes the session has not
//! told its client yet.
//!
//! Message sequence numbers change only when the client is told: an
//! expunge by anyone is held until the session may send `EXPUNGE`
//! (never during FETCH, STORE or SEARCH, RFC 3501 section 7.4.1, RFC 9051
//! section 7.5.1), new messages until it sends `EXISTS`, flag changes by
//! others until it sends `FETCH (FLAGS ...)`.

use std::num::NonZeroU32;
use std::sync::Arc;

use entries::Entries;

use crate::types::{Data, Flag, FlagFetch, MessageDataItem, SequenceSet, Vec1};

/// The flags of a message (system flags and keywords), shared by every
/// message that has the same ones: a big mailbox has a few distinct sets
/// of flags, so a backend makes each set once and gives every message a
/// cheap clone of it rather than a list of its own.
///
/// # Examples
///
/// ```
/// use imap_proto::message::FlagSet;
/// use imap_proto::types::Flag;
/// let seen = FlagSet::from(vec![Flag::Seen]);
/// let same = seen.clone(); // shares the list
/// assert_eq!(&same[..], &[Flag::Seen]);
/// assert!(FlagSet::default().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlagSet(Arc<[Flag]>);

impl FlagSet {
    /// The flags as a slice.
    pub fn as_slice(&self) -> &[Flag] {
        &self.0
    }
}

impl Default for FlagSet {
    fn default() -> Self {
        FlagSet(Arc::from(Vec::new()))
    }
}

impl From<Vec<Flag>> for FlagSet {
    fn from(flags: Vec<Flag>) -> Self {
        FlagSet(Arc::from(flags))
    }
}

impl std::ops::Deref for FlagSet {
    type Target = [Flag];
    fn deref(&self) -> &[Flag] {
        &self.0
    }
}

/// One message in a snapshot from the store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageState {
    /// The UID.
    pub uid: u32,
    /// The flags (system flags and keywords).
    pub flags: FlagSet,
    /// `\Recent` for this session (IMAP4rev1).
    pub recent: bool,
}

/// The most distinct sets of flags searched for one already held, before
/// a new one is added.
const SETS_SEARCHED: usize = 64;

/// A message of a [`MessageList`] and of a [`MailboxView`]: eight octets
/// (a list holds one per message, 100,000 for a big mailbox).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    uid: u32,
    /// The index of the message's flags in [`MailboxView::sets`] (the low
    /// 29 bits), and the `RECENT`, `EXPUNGED` and `FLAGS_CHANGED` bits.
    bits: u32,
}

impl Entry {
    const SET: u32 = (1 << 29) - 1;
    const RECENT: u32 = 1 << 29;
    const EXPUNGED: u32 = 1 << 30;
    const FLAGS_CHANGED: u32 = 1 << 31;

    /// A message with the flags of set `set` (a number above 2^29 - 1,
    /// which no list of fewer messages has, stands for no set as any
    /// number without a set does).
    fn new(uid: u32, set: u32, recent: bool) -> Entry {
        let mut e = Entry { uid, bits: 0 };
        e.set_set(set);
        e.set_bit(Entry::RECENT, recent);
        e
    }

    fn set(&self) -> u32 {
        self.bits & Entry::SET
    }

    fn set_set(&mut self, set: u32) {
        self.bits = (self.bits & !Entry::SET) | set.min(Entry::SET);
    }

    fn recent(&self) -> bool {
        self.bits & Entry::RECENT != 0
    }

    fn expunged(&self) -> bool {
        self.bits & Entry::EXPUNGED != 0
    }

    fn flags_changed(&self) -> bool {
        self.bits & Entry::FLAGS_CHANGED != 0
    }

    fn set_bit(&mut self, bit: u32, on: bool) {
        if on {
            self.bits |= bit;
        } else {
            self.bits &= !bit;
        }
    }
}

/// The flags of set number `set` (none for a number without a set).
fn set_of(sets: &[FlagSet], set: u32) -> &[Flag] {
    sets.get(set as usize).map_or(&[], FlagSet::as_slice)
}

/// A sequence set that cannot be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SequenceError {
    /// A message sequence number beyond the last message, `*` in an
    /// empty mailbox included (RFC 9051 section 6.4.x: tagged BAD).
    OutOfRange,
}

/// How [`MailboxView::take_updates_as`] writes what it owes the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdateStyle {
    /// Send `EXPUNGE` (not during FETCH, STORE or SEARCH by sequence
    /// number, RFC 9051 section 7.5.1).
    pub allow_expunge: bool,
    /// Send `RECENT` and `\Recent` (IMAP4rev1 only: RFC 9051 removed them).
    pub recent: bool,
    /// Put the UID in every unsolicited `FETCH` (RFC 9051 section 7.5.2
    /// requires it of IMAP4rev2).
    pub uid: bool,
    /// Put the MODSEQ in every unsolicited `FETCH` (a CONDSTORE-aware
    /// client, RFC 7162 section 3.1), when the store reported it
    /// ([`MailboxView::store_modseq`]).
    pub modseq: bool,
    /// Report expunges with one `VANISHED` of their UIDs instead of an
    /// `EXPUNGE` per message (a client that enabled QRESYNC, in a mailbox
    /// with mod-sequences: RFC 7162 section 3.2.10.2).
    pub vanished: bool,
}

/// The selected mailbox's message list for one session.
///
/// # Examples
///
/// ```
/// use imap_proto::message::{MailboxView, MessageState};
/// use imap_proto::types::{Data, SequenceSet};
/// let msgs = (1..=3).map(|uid| MessageState { uid: uid * 10, flags: Default::default(), recent: false });
/// let mut view = MailboxView::new(msgs);
/// assert_eq!(view.resolve(&SequenceSet::range(2, 3).unwrap(), false).unwrap(), vec![1, 2]);
/// view.store_expunged(20); // another session expunged UID 20
/// assert!(view.take_updates(false, true).is_empty()); // not during FETCH/STORE/SEARCH
/// let updates = view.take_updates(true, true);
/// assert!(matches!(updates[0], Data::Expunge(n) if n.get() == 2));
/// assert_eq!(view.len(), 2);
/// ```
#[derive(Debug, Clone, Default)]
pub struct MailboxView {
    /// Shared with the [`MessageList`] it was made from until the first
    /// change (copy on write).
    entries: Entries,
    added: Vec<Entry>,
    /// The distinct sets of flags the messages have (a few in a big
    /// mailbox, whatever its size).
    sets: Vec<FlagSet>,
    expunged: usize,
    /// The UIDs of the last `SEARCH RETURN (SAVE)`, what `$` stands for
    /// (RFC 5182, RFC 9051 section 6.4.4.1).
    saved: Vec<u32>,
    /// No message is `\Recent` (IMAP4rev2).
    no_recent: bool,
    /// Mod-sequences of flag changes by others, until they are told.
    modseqs: std::collections::HashMap<u32, u64>,
    /// Entries with `recent` set.
    recent: usize,
    /// Entries with `flags_changed` set.
    changed: usize,
    /// The first unseen message as the list of the SELECT gave it, until
    /// the first change of the entries.
    unseen_hint: Option<Option<usize>>,
}

fn nz(n: usize) -> Option<NonZeroU32> {
    NonZeroU32::new(u32::try_from(n).ok()?)
}

impl MailboxView {
    /// A view of the messages of a SELECT, ascending by UID.
    pub fn new(messages: impl IntoIterator<Item = MessageState>) -> Self {
        MailboxView::from_list(messages.into_iter().collect())
    }

    /// A view of the messages of a SELECT, ascending by UID, with their
    /// flags shared.
    pub fn from_list(list: MessageList) -> Self {
        let MessageList {
            flag_sets,
            mut messages,
            unsorted,
            recent,
            first_unseen,
            ..
        } = list;
        let (recent, unseen_hint) = if unsorted {
            // Backends list messages ascending by UID; this one did not.
            let entries = messages.make_mut();
            entries.sort_by_key(|e| e.uid);
            entries.dedup_by_key(|e| e.uid);
            (entries.iter().filter(|e| e.recent()).count(), None)
        } else {
            (recent, Some(first_unseen))
        };
        MailboxView {
            entries: messages,
            added: Vec::new(),
            sets: flag_sets,
            expunged: 0,
            saved: Vec::new(),
            no_recent: false,
            modseqs: Default::default(),
            recent,
            changed: 0,
            unseen_hint,
        }
    }

    /// Drops `\Recent` from every message, now and to come: IMAP4rev2 has
    /// no such flag (RFC 9051 Appendix E, item 12).
    pub fn without_recent(mut self) -> Self {
        self.no_recent = true;
        self
    }

    /// The entries, to change them: unshared first, and the first unseen
    /// message no longer known.
    fn entries_mut(&mut self) -> &mut Vec<Entry> {
        self.unseen_hint = None;
        self.entries.make_mut()
    }

    /// Saves a search result for `$` (RFC 5182 section 2.1): the UIDs of
    /// the messages found, as seen by the client.
    pub fn save_result(&mut self, mut uids: Vec<u32>) {
        uids.sort_unstable();
        uids.dedup();
        self.saved = uids;
    }

    /// The UIDs `$` stands for now: the saved ones not expunged since
    /// (RFC 5182 section 2.1).
    pub fn saved_result(&self) -> Vec<u32> {
        self.saved
            .iter()
            .copied()
            .filter(|&u| self.index_of(u).is_some_and(|i| !self.is_expunged(i)))
            .collect()
    }

    /// Messages the client knows of (its `EXISTS`), including expunged
    /// ones it has not been told about.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if the client knows of no message.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The UID of the message at `index` (sequence number - 1).
    pub fn uid(&self, index: usize) -> Option<u32> {
        self.entries.get(index).map(|e| e.uid)
    }

    /// The flags of the message at `index`.
    pub fn flags(&self, index: usize) -> Option<&[Flag]> {
        self.entries.get(index).map(|e| set_of(&self.sets, e.set()))
    }

    /// The flags of the message at `index`, shared.
    pub fn flag_set(&self, index: usize) -> Option<&FlagSet> {
        self.entries
            .get(index)
            .and_then(|e| self.sets.get(e.set() as usize))
    }

    /// The number of a set of flags, added if none of the sets held is
    /// the same. Sets no message has any more are dropped when they
    /// outnumber the messages.
    fn intern(&mut self, flags: FlagSet) -> u32 {
        let held = |sets: &[FlagSet]| {
            sets.iter()
                .take(SETS_SEARCHED)
                .position(|s| *s == flags)
                .and_then(|i| u32::try_from(i).ok())
        };
        if let Some(i) = held(&self.sets) {
            return i;
        }
        let messages = self.entries.len() + self.added.len();
        if self.sets.len() > 2 * messages + SETS_SEARCHED {
            self.compact();
            if let Some(i) = held(&self.sets) {
                return i;
            }
        }
        self.sets.push(flags);
        u32::try_from(self.sets.len() - 1).unwrap_or(u32::MAX)
    }

    /// Keeps only the sets of flags messages have, each once.
    fn compact(&mut self) {
        let old = std::mem::take(&mut self.sets);
        let mut index: std::collections::HashMap<&[Flag], u32> = Default::default();
        self.unseen_hint = None;
        let entries = self.entries.make_mut();
        for e in entries.iter_mut().chain(self.added.iter_mut()) {
            let flags = set_of(&old, e.set());
            let set = match index.get(flags) {
                Some(&n) => n,
                None => {
                    self.sets.push(FlagSet::from(flags.to_vec()));
                    let n = u32::try_from(self.sets.len() - 1).unwrap_or(u32::MAX);
                    index.insert(flags, n);
                    n
                }
            };
            e.set_set(set);
        }
    }

    /// Whether the message at `index` is `\Recent` for this session.
    pub fn is_recent(&self, index: usize) -> bool {
        !self.no_recent && self.entries.get(index).is_some_and(|e| e.recent())
    }

    /// Whether the message at `index` was expunged (the client has not been
    /// told yet).
    pub fn is_expunged(&self, index: usize) -> bool {
        self.entries.get(index).is_none_or(|e| e.expunged())
    }

    /// The index of a UID the client knows.
    pub fn index_of(&self, uid: u32) -> Option<usize> {
        self.entries.index_of(uid)
    }

    /// The highest UID the client knows (0 if none).
    pub fn max_uid(&self) -> u32 {
        self.entries.last().map_or(0, |e| e.uid)
    }

    /// Number of `\Recent` messages.
    pub fn recent_count(&self) -> usize {
        if self.no_recent { 0 } else { self.recent }
    }

    /// Sequence number of the first message without `\Seen`.
    pub fn first_unseen(&self) -> Option<NonZeroU32> {
        if let Some(hint) = self.unseen_hint {
            return hint.and_then(|i| nz(i + 1));
        }
        let seen: Vec<bool> = self.sets.iter().map(|s| s.contains(&Flag::Seen)).collect();
        let i = self
            .entries
            .iter()
            .position(|e| !seen.get(e.set() as usize).copied().unwrap_or(false))?;
        nz(i + 1)
    }

    /// Resolves a sequence set to indexes (ascending, no duplicates). With
    /// `uid`, numbers are UIDs: `*` is the highest UID, and UIDs without
    /// a message are left out (RFC 3501 section 6.4.8); otherwise a
    /// number beyond the last message is an error.
    /// `$` is the saved search result ([`MailboxView::save_result`]),
    /// whichever of the two numberings the command uses.
    pub fn resolve(&self, set: &SequenceSet, uid: bool) -> Result<Vec<usize>, SequenceError> {
        let SequenceSet::List(items) = set else {
            return Ok(self
                .saved_result()
                .into_iter()
                .filter_map(|u| self.index_of(u))
                .collect());
        };
        let n = self.entries.len();
        let mut out = Vec::new();
        if uid {
            let max = self.max_uid();
            for item in items.iter() {
                let (a, b) = item.bounds(max);
                let lo = self.entries.below(a);
                let hi = b.checked_add(1).map_or(n, |b| self.entries.below(b));
                out.extend(lo..hi);
            }
        } else {
            let last = u32::try_from(n).unwrap_or(u32::MAX);
            for item in items.iter() {
                // `*` of an empty mailbox is 0: out of range too.
                let (a, b) = item.bounds(last);
                if a == 0 || b as usize > n {
                    return Err(SequenceError::OutOfRange);
                }
                out.extend(a as usize - 1..b as usize);
            }
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Whether `seq`/`uid` is in a sequence set, for SEARCH (`*` is the
    /// last message or the highest UID).
    pub fn contains(&self, set: &SequenceSet, value: u32, uid: bool) -> bool {
        let SequenceSet::List(items) = set else {
            // `$`: the saved result, by UID.
            let u = if uid {
                Some(value)
            } else {
                (value as usize).checked_sub(1).and_then(|i| self.uid(i))
            };
            return u.is_some_and(|u| self.saved.binary_search(&u).is_ok());
        };
        let max = if uid {
            self.max_uid()
        } else {
            u32::try_from(self.entries.len()).unwrap_or(u32::MAX)
        };
        items.iter().any(|item| {
            let (a, b) = item.bounds(max);
            (a..=b).contains(&value)
        })
    }

    /// The store reports a new message (delivered or appended, by anyone).
    pub fn store_added(&mut self, message: MessageState) {
        let known = self.max_uid().max(self.added.last().map_or(0, |e| e.uid));
        if message.uid <= known {
            return;
        }
        let set = self.intern(message.flags);
        self.added.push(Entry::new(
            message.uid,
            set,
            message.recent && !self.no_recent,
        ));
    }

    /// The store reports that a message is gone.
    pub fn store_expunged(&mut self, uid: u32) {
        if let Some(i) = self.index_of(uid) {
            if self.entries.get(i).is_some_and(|e| !e.expunged())
                && let Some(e) = self.entries_mut().get_mut(i)
            {
                e.set_bit(Entry::EXPUNGED, true);
                self.expunged += 1;
            }
        } else {
            self.added.retain(|e| e.uid != uid);
        }
    }

    /// The store reports another session's flag change.
    pub fn store_flags(&mut self, uid: u32, flags: Vec<Flag>) {
        if let Some(i) = self.index_of(uid) {
            if self.flags(i).is_some_and(|f| *f != *flags) {
                let set = self.intern(flags.into());
                if let Some(e) = self.entries_mut().get_mut(i) {
                    e.set_set(set);
                    if !e.flags_changed() {
                        e.set_bit(Entry::FLAGS_CHANGED, true);
                        self.changed += 1;
                    }
                }
            }
        } else if let Some(i) = self.added.iter().position(|e| e.uid == uid) {
            let set = self.intern(flags.into());
            if let Some(e) = self.added.get_mut(i) {
                e.set_set(set);
            }
        }
    }

    /// The store reports the mod-sequence of another session's flag
    /// change (RFC 7162 section 3.1.4.2): sent with the `FETCH (FLAGS)`
    /// of that change in the MODSEQ style.
    pub fn store_modseq(&mut self, uid: u32, modseq: u64) {
        if modseq != 0 && self.index_of(uid).is_some() {
            self.modseqs.insert(uid, modseq);
        }
    }

    /// Records this session's own flag change (answered in its own FETCH
    /// responses, so nothing is queued).
    pub fn set_flags(&mut self, index: usize, flags: Vec<Flag>) {
        if index >= self.entries.len() {
            return;
        }
        let set = self.intern(flags.into());
        if let Some(e) = self.entries_mut().get_mut(index) {
            e.set_set(set);
            if e.flags_changed() {
                e.set_bit(Entry::FLAGS_CHANGED, false);
                self.changed = self.changed.saturating_sub(1);
            }
        }
    }

    /// Whether there is anything to tell the client.
    pub fn has_updates(&self) -> bool {
        self.expunged > 0 || !self.added.is_empty() || self.changed > 0
    }

    /// The untagged responses owed to the client, in order: `EXPUNGE`
    /// (only when `allow_expunge`), `FETCH (FLAGS)` for flag changes by
    /// others, then `EXISTS` and (with `recent`, IMAP4rev1) `RECENT` for
    /// new messages. The view then matches what the client knows.
    pub fn take_updates(&mut self, allow_expunge: bool, recent: bool) -> Vec<Data> {
        self.take_updates_as(UpdateStyle {
            allow_expunge,
            recent,
            uid: false,
            modseq: false,
            vanished: false,
        })
    }

    /// [`MailboxView::take_updates`] in a chosen style.
    pub fn take_updates_as(&mut self, style: UpdateStyle) -> Vec<Data> {
        let UpdateStyle {
            allow_expunge,
            recent,
            uid,
            modseq,
            vanished,
        } = style;
        let mut modseqs = std::mem::take(&mut self.modseqs);
        let mut out = Vec::new();
        if allow_expunge && self.expunged > 0 {
            if vanished {
                let uids: Vec<u32> = self
                    .entries
                    .iter()
                    .filter(|e| e.expunged())
                    .map(|e| e.uid)
                    .collect();
                if let Some(uids) = SequenceSet::from_numbers(&uids) {
                    out.push(Data::Vanished {
                        earlier: false,
                        uids,
                    });
                }
            } else {
                let mut seq = 0usize;
                for e in self.entries.iter() {
                    seq += 1;
                    if e.expunged() {
                        if let Some(n) = nz(seq) {
                            out.push(Data::Expunge(n));
                        }
                        seq -= 1;
                    }
                }
            }
            let (mut recent_gone, mut changed_gone) = (0, 0);
            self.entries_mut().retain(|e| {
                if e.expunged() {
                    recent_gone += usize::from(e.recent());
                    changed_gone += usize::from(e.flags_changed());
                }
                !e.expunged()
            });
            self.recent = self.recent.saturating_sub(recent_gone);
            self.changed = self.changed.saturating_sub(changed_gone);
            self.expunged = 0;
        }
        let recent = recent && !self.no_recent;
        let mut changed = self.changed;
        if changed > 0 {
            self.unseen_hint = None;
        }
        let entries = if changed > 0 {
            self.entries.make_mut().as_mut_slice()
        } else {
            &mut []
        };
        for (i, e) in entries.iter_mut().enumerate() {
            if changed == 0 {
                break;
            }
            if e.flags_changed() && !e.expunged() {
                e.set_bit(Entry::FLAGS_CHANGED, false);
                changed = changed.saturating_sub(1);
                if let Some(seq) = nz(i + 1) {
                    let mut items = vec![MessageDataItem::Flags(flag_fetch(
                        set_of(&self.sets, e.set()),
                        e.recent() && recent,
                    ))];
                    if uid && let Some(u) = NonZeroU32::new(e.uid) {
                        items.push(MessageDataItem::Uid(u));
                    }
                    if let Some(m) = modseqs.remove(&e.uid)
                        && modseq
                    {
                        items.push(MessageDataItem::ModSeq(m));
                    }
                    if let Ok(items) = Vec1::new(items) {
                        out.push(Data::Fetch { seq, items });
                    }
                }
            }
        }
        self.changed = changed;
        if !self.added.is_empty() {
            let new_recent = self.added.iter().filter(|e| e.recent()).count();
            self.recent += new_recent;
            let mut added = std::mem::take(&mut self.added);
            self.entries_mut().append(&mut added);
            out.push(Data::Exists(
                u32::try_from(self.entries.len()).unwrap_or(u32::MAX),
            ));
            if recent && new_recent > 0 {
                out.push(Data::Recent(
                    u32::try_from(self.recent_count()).unwrap_or(u32::MAX),
                ));
            }
        }
        out
    }
}

/// Flags as a FETCH response writes them, `\Recent` last when set.
pub fn flag_fetch(flags: &[Flag], recent: bool) -> Vec<FlagFetch> {
    let mut v: Vec<FlagFetch> = flags.iter().cloned().map(FlagFetch::Flag).collect();
    if recent {
        v.push(FlagFetch::Recent);
    }
    v
}

mod entries;
mod list;
#[cfg(test)]
mod tests;

pub use list::{MessageList, MessageListWriter};
