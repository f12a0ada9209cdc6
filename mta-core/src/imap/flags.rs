//! Flags between the store (Maildir letters and keywords) and IMAP.

use imap_proto::message::{FlagSet, MessageListWriter};
use imap_proto::types::{Atom, Flag};
use maildir::{Flag as MdFlag, Flags, Folder, Keywords};

pub(crate) const FORWARDED: &str = "$Forwarded";

/// Store flags to IMAP flags.
pub(crate) fn to_imap(flags: Flags, keywords: &Keywords) -> Vec<Flag> {
    let mut out = Vec::new();
    for (f, imap) in [
        (MdFlag::Replied, Flag::Answered),
        (MdFlag::Flagged, Flag::Flagged),
        (MdFlag::Trashed, Flag::Deleted),
        (MdFlag::Seen, Flag::Seen),
        (MdFlag::Draft, Flag::Draft),
    ] {
        if flags.contains(f) {
            out.push(imap);
        }
    }
    if flags.contains(MdFlag::Passed)
        && let Ok(a) = Atom::new(FORWARDED)
    {
        out.push(Flag::Keyword(a));
    }
    for i in flags.keywords() {
        if let Some(a) = keywords.name(i).and_then(|n| Atom::new(n).ok()) {
            out.push(Flag::Keyword(a));
        }
    }
    out
}

/// Store flags to IMAP flags, made once for each distinct set of flags
/// of a folder and shared by the messages that have it (a big folder has
/// a few distinct sets: SELECT then makes no list of flags per message).
pub(crate) struct SharedFlags<'a> {
    keywords: &'a Keywords,
    /// The sets made so far with their numbers in the list.
    made: Vec<(Flags, u32)>,
    /// The index in `made` of the last set found, tried first.
    last: usize,
    /// Past this many distinct sets, sets are made for each message (the
    /// search among them would cost more than making them).
    max: usize,
}

impl<'a> SharedFlags<'a> {
    pub(crate) fn new(keywords: &'a Keywords) -> Self {
        SharedFlags {
            keywords,
            made: Vec::new(),
            last: 0,
            max: 64,
        }
    }

    /// The number in `list` of the set `flags` stands for, added to it
    /// if need be.
    pub(crate) fn of(&mut self, flags: Flags, list: &mut MessageListWriter<'_>) -> u32 {
        if let Some(&(f, set)) = self.made.get(self.last)
            && f == flags
        {
            return set;
        }
        if let Some(i) = self.made.iter().position(|(f, _)| *f == flags)
            && let Some(&(_, set)) = self.made.get(i)
        {
            self.last = i;
            return set;
        }
        let set = list.add_flag_set(FlagSet::from(to_imap(flags, self.keywords)));
        if self.made.len() < self.max {
            self.made.push((flags, set));
            self.last = self.made.len() - 1;
        }
        set
    }
}

/// IMAP flags to store flags, giving new keywords a letter.
pub(crate) fn to_store(flags: &[Flag], folder: &mut Folder) -> maildir::Result<Flags> {
    let mut out = Flags::empty();
    for f in flags {
        match f {
            Flag::Answered => out.insert(MdFlag::Replied),
            Flag::Flagged => out.insert(MdFlag::Flagged),
            Flag::Deleted => out.insert(MdFlag::Trashed),
            Flag::Seen => out.insert(MdFlag::Seen),
            Flag::Draft => out.insert(MdFlag::Draft),
            Flag::Keyword(k) if k.as_str().eq_ignore_ascii_case(FORWARDED) => {
                out.insert(MdFlag::Passed)
            }
            Flag::Keyword(k) => {
                if let Some(i) = folder.keyword_index(k.as_str(), true)? {
                    out.insert_keyword(i);
                }
            }
            // Unknown system flags cannot be stored (not in PERMANENTFLAGS).
            Flag::Extension(_) => {}
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use imap_proto::message::{MailboxView, MessageList};

    #[test]
    fn shared_flags_are_made_once_per_distinct_set() {
        let kw = Keywords::parse("0 $Junk\n");
        let mut shared = SharedFlags::new(&kw);
        let mut list = MessageList::default();
        let mut w = list.writer();
        let mut seen = Flags::empty();
        seen.insert(MdFlag::Seen);
        let mut junk = seen;
        junk.insert_keyword(0);
        for (uid, f) in [seen, Flags::empty(), junk, seen, junk]
            .into_iter()
            .enumerate()
        {
            let set = shared.of(f, &mut w);
            w.push(uid as u32 + 1, set, false);
        }
        assert_eq!(shared.made.len(), 3);
        let v = MailboxView::from_list(list);
        assert_eq!(v.flags(0), Some(&[Flag::Seen][..]));
        assert_eq!(v.flags(1), Some(&[][..]));
        let junk_flags = [Flag::Seen, Flag::Keyword(Atom::new("$Junk").unwrap())];
        assert_eq!(v.flags(2), Some(&junk_flags[..]));
        assert_eq!(v.flags(3), Some(&[Flag::Seen][..]));
        assert_eq!(v.flags(4), Some(&junk_flags[..]));
        // The same set again is the same list, not a new one.
        let (a, b) = (v.flag_set(0).unwrap(), v.flag_set(3).unwrap());
        assert!(std::ptr::eq(a.as_slice(), b.as_slice()));
    }

    #[test]
    fn shared_flags_hold_a_bounded_number_of_sets() {
        let kw = Keywords::default();
        let mut shared = SharedFlags::new(&kw);
        shared.max = 2;
        let mut list = MessageList::default();
        let mut w = list.writer();
        let all = [
            MdFlag::Seen,
            MdFlag::Flagged,
            MdFlag::Draft,
            MdFlag::Replied,
        ];
        for round in 0..2u32 {
            for (i, f) in all.into_iter().enumerate() {
                let mut flags = Flags::empty();
                flags.insert(f);
                let set = shared.of(flags, &mut w);
                w.push(round * 10 + i as u32 + 1, set, false);
            }
        }
        assert_eq!(shared.made.len(), 2);
        // Past the bound a set is still right, only not shared.
        let v = MailboxView::from_list(list);
        for round in 0..2usize {
            for (i, f) in all.into_iter().enumerate() {
                let mut flags = Flags::empty();
                flags.insert(f);
                assert_eq!(v.flags(round * 4 + i), Some(&to_imap(flags, &kw)[..]));
            }
        }
    }
}
