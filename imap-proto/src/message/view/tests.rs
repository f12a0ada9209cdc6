//! Unit tests of the mailbox view.

use super::*;
use crate::types::{SeqNumber, Sequence};

fn view(uids: &[u32]) -> MailboxView {
    MailboxView::new(uids.iter().map(|&uid| MessageState {
        uid,
        flags: FlagSet::default(),
        recent: false,
    }))
}

#[test]
fn unsorted_input_is_sorted_once_per_uid() {
    let v = view(&[9, 3, 5, 3]);
    assert_eq!(v.len(), 3);
    assert_eq!((v.uid(0), v.uid(1), v.uid(2)), (Some(3), Some(5), Some(9)));
    assert_eq!(v.index_of(5), Some(1));
}

#[test]
fn flag_changes_replace_a_shared_set() {
    let seen = FlagSet::from(vec![Flag::Seen]);
    let mut v = MailboxView::new([1, 2].map(|uid| MessageState {
        uid,
        flags: seen.clone(),
        recent: false,
    }));
    v.store_flags(2, vec![Flag::Seen, Flag::Flagged]);
    assert_eq!(v.flags(0), Some(&[Flag::Seen][..]));
    assert_eq!(v.flags(1), Some(&[Flag::Seen, Flag::Flagged][..]));
    // The same flags again are no change.
    v.store_flags(1, vec![Flag::Seen]);
    let u = v.take_updates(true, false);
    assert_eq!(u.len(), 1);
    assert!(matches!(&u[0], Data::Fetch { seq, .. } if seq.get() == 2));
}

#[test]
fn index_of_dense_and_sparse_uids() {
    let v = view(&[3, 4, 5, 9, 12]);
    for (i, u) in [3, 4, 5, 9, 12].into_iter().enumerate() {
        assert_eq!(v.index_of(u), Some(i));
    }
    for u in [0, 1, 2, 6, 7, 8, 10, 11, 13, u32::MAX] {
        assert_eq!(v.index_of(u), None);
    }
    assert_eq!(view(&[]).index_of(1), None);
}

proptest::proptest! {
    #[test]
    fn index_of_finds_what_a_binary_search_finds(
        uids in proptest::collection::btree_set(1u32..400, 0..120),
        probe in 0u32..420,
    ) {
        let uids: Vec<u32> = uids.into_iter().collect();
        proptest::prop_assert_eq!(view(&uids).index_of(probe), uids.binary_search(&probe).ok());
    }
}

/// What the view keeps counted, counted again from its messages.
fn recounted(v: &MailboxView) -> (Option<usize>, usize) {
    let unseen = (0..v.len()).find(|&i| !v.flags(i).is_some_and(|f| f.contains(&Flag::Seen)));
    let recent = (0..v.len()).filter(|&i| v.is_recent(i)).count();
    (unseen, recent)
}

proptest::proptest! {
    /// A view shares the list it was made from until it changes, and
    /// what it keeps counted (first unseen, recent, flag changes owed)
    /// stays what its messages say, whatever the changes.
    #[test]
    fn counts_and_shared_list_survive_changes(
        start in proptest::collection::vec((proptest::bool::ANY, proptest::bool::ANY), 0..40),
        ops in proptest::collection::vec((0u8..6, 0u32..50, proptest::bool::ANY), 0..40),
        rev2 in proptest::bool::ANY,
    ) {
        let seen = FlagSet::from(vec![Flag::Seen]);
        let list: MessageList = start
            .iter()
            .enumerate()
            .map(|(i, &(s, recent))| MessageState {
                uid: u32::try_from(i).unwrap() + 1,
                flags: if s { seen.clone() } else { FlagSet::default() },
                recent,
            })
            .collect();
        let kept = list.clone();
        let mut v = MailboxView::from_list(list);
        if rev2 {
            v = v.without_recent();
        }
        for (op, n, b) in ops {
            let flags = if b { vec![Flag::Seen] } else { vec![] };
            match op {
                0 => v.store_flags(n, flags),
                1 => v.set_flags(n as usize, flags),
                2 => v.store_expunged(n),
                3 => v.store_added(MessageState { uid: n, flags: flags.into(), recent: b }),
                4 => {
                    let mut probe = v.clone();
                    let owed = !probe.take_updates(true, !rev2).is_empty();
                    proptest::prop_assert_eq!(v.has_updates(), owed);
                }
                _ => {
                    v.take_updates(b, !rev2);
                }
            }
            let (unseen, recent) = recounted(&v);
            proptest::prop_assert_eq!(v.first_unseen().map(|n| n.get() as usize - 1), unseen);
            proptest::prop_assert_eq!(v.recent_count(), recent);
        }
        // The list the view was made from is as it was.
        let again = MailboxView::from_list(kept);
        for (i, &(s, recent)) in start.iter().enumerate() {
            proptest::prop_assert_eq!(again.uid(i), Some(u32::try_from(i).unwrap() + 1));
            proptest::prop_assert_eq!(again.flags(i).unwrap().contains(&Flag::Seen), s);
            proptest::prop_assert_eq!(again.is_recent(i), recent);
        }
    }
}

#[test]
fn sets_no_message_has_are_dropped() {
    let mut v = view(&[1, 2]);
    for n in 0..1000 {
        let k = Flag::from_keyword(&format!("k{n}")).unwrap();
        v.store_flags(1 + n % 2, vec![Flag::Seen, k]);
        assert!(v.sets.len() <= 2 * 2 + SETS_SEARCHED + 1);
    }
    let k = |n: u32| Flag::from_keyword(&format!("k{n}")).unwrap();
    assert_eq!(v.flags(0), Some(&[Flag::Seen, k(998)][..]));
    assert_eq!(v.flags(1), Some(&[Flag::Seen, k(999)][..]));
    v.set_flags(0, vec![]);
    assert_eq!(v.flags(0), Some(&[][..]));
}

#[test]
fn star_on_empty() {
    let v = view(&[]);
    assert_eq!(
        v.resolve(&SequenceSet::single(0), false),
        Err(SequenceError::OutOfRange)
    );
    assert_eq!(v.resolve(&SequenceSet::single(0), true), Ok(vec![]));
}

#[test]
fn uid_ranges() {
    let v = view(&[3, 5, 9]);
    let set = SequenceSet::range(4, 100).unwrap();
    assert_eq!(v.resolve(&set, true).unwrap(), vec![1, 2]);
    // 559:* includes the last message even past the highest UID.
    let star = SequenceSet::List(Vec1::one(Sequence::Range(
        SeqNumber::Value(NonZeroU32::new(559).unwrap()),
        SeqNumber::Largest,
    )));
    assert_eq!(v.resolve(&star, true).unwrap(), vec![2]);
}

#[test]
fn expunge_numbers_shift() {
    let mut v = view(&[1, 2, 3, 4]);
    v.store_expunged(2);
    v.store_expunged(3);
    v.store_added(MessageState {
        uid: 7,
        flags: FlagSet::default(),
        recent: true,
    });
    let u = v.take_updates(true, true);
    assert_eq!(
        u,
        vec![
            Data::Expunge(NonZeroU32::new(2).unwrap()),
            Data::Expunge(NonZeroU32::new(2).unwrap()),
            Data::Exists(3),
            Data::Recent(1)
        ]
    );
}

#[test]
fn an_entry_keeps_its_set_and_bits_apart_in_eight_octets() {
    assert_eq!(std::mem::size_of::<Entry>(), 8);
    let mut e = Entry::new(7, 5, true);
    assert_eq!((e.uid, e.set(), e.recent()), (7, 5, true));
    assert!(!e.expunged() && !e.flags_changed());
    e.set_bit(Entry::EXPUNGED, true);
    e.set_bit(Entry::FLAGS_CHANGED, true);
    e.set_set(Entry::SET - 1);
    assert_eq!(e.set(), Entry::SET - 1);
    assert!(e.recent() && e.expunged() && e.flags_changed());
    e.set_bit(Entry::RECENT, false);
    e.set_bit(Entry::FLAGS_CHANGED, false);
    assert!(!e.recent() && e.expunged() && !e.flags_changed());
    assert_eq!(e.set(), Entry::SET - 1);
    // A number past the set bits stands for no set; it spoils no bit.
    let e = Entry::new(1, u32::MAX, false);
    assert_eq!(e.set(), Entry::SET);
    assert!(!e.recent() && !e.expunged() && !e.flags_changed());
}

proptest::proptest! {
    /// Runs give the list that one push per message gives, in or out of
    /// order, with sets held or not, pushed or packed; and the views of
    /// the two answer alike and go through the same changes alike.
    #[test]
    fn runs_are_one_push_per_message(
        runs in proptest::collection::vec((0u32..300, 0u32..20), 0..12),
        of in proptest::collection::vec(0u8..4, 0..150),
        end in proptest::bool::ANY,
        sorted in proptest::bool::ANY,
        ops in proptest::collection::vec((0u8..5, 0u32..320, proptest::bool::ANY), 0..12),
        probes in proptest::collection::vec((0u32..330, 0u32..20), 1..8),
    ) {
        let mut runs = runs;
        if sorted {
            // Ascending and apart, as a store gives them.
            let mut next = 0u32;
            for r in &mut runs {
                r.0 = next + r.0 % 7;
                next = r.0 + r.1;
            }
        }
        if end {
            runs.push((u32::MAX - 2, 5));
        }
        // Set numbers 0 (\Seen) and 1 (none) held, 7 not; index 3 past
        // the table.
        let sets = [1u32, 0, 7];
        let seen = FlagSet::from(vec![Flag::Seen]);
        let none = FlagSet::from(Vec::new());
        let mut bulk = MessageList::default();
        let mut packed = MessageList::default();
        let mut one = MessageList::default();
        for l in [&mut bulk, &mut packed, &mut one] {
            l.add_flag_set(seen.clone());
            l.add_flag_set(none.clone());
        }
        bulk.writer().push_runs(&runs, &sets, &of);
        packed.extend_runs(&runs, &sets, of.clone().into());
        let mut left = of.iter();
        'runs: for &(first, n) in &runs {
            if n == 0 {
                continue;
            }
            for uid in first..=first.saturating_add(n - 1) {
                let Some(&i) = left.next() else {
                    break 'runs;
                };
                one.push(uid, sets.get(usize::from(i)).copied().unwrap_or(u32::MAX), false);
            }
        }
        proptest::prop_assert_eq!(&bulk, &one);
        proptest::prop_assert_eq!(&packed, &one);
        proptest::prop_assert_eq!(bulk.first_unseen(), one.first_unseen());
        proptest::prop_assert_eq!(packed.first_unseen(), one.first_unseen());
        proptest::prop_assert_eq!(packed.len(), one.len());
        let kept = packed.clone();
        let mut a = MailboxView::from_list(packed);
        let mut b = MailboxView::from_list(one);
        for step in 0..=ops.len() {
            proptest::prop_assert_eq!(a.len(), b.len());
            proptest::prop_assert_eq!(a.max_uid(), b.max_uid());
            proptest::prop_assert_eq!(a.first_unseen(), b.first_unseen());
            for i in 0..=b.len() {
                proptest::prop_assert_eq!(a.uid(i), b.uid(i));
                proptest::prop_assert_eq!(a.flags(i), b.flags(i));
                proptest::prop_assert_eq!(a.is_expunged(i), b.is_expunged(i));
            }
            for &(p, n) in &probes {
                let p = if end && n == 0 { u32::MAX - 3 + p % 4 } else { p };
                proptest::prop_assert_eq!(a.index_of(p), b.index_of(p));
                let set = SequenceSet::range(p.max(1), p.max(1).saturating_add(n)).unwrap();
                proptest::prop_assert_eq!(a.resolve(&set, true), b.resolve(&set, true));
                proptest::prop_assert_eq!(a.resolve(&set, false), b.resolve(&set, false));
                proptest::prop_assert_eq!(a.contains(&set, p, true), b.contains(&set, p, true));
            }
            let Some(&(op, n, on)) = ops.get(step) else { break };
            let flags = if on { vec![Flag::Seen] } else { vec![] };
            for v in [&mut a, &mut b] {
                match op {
                    0 => v.store_flags(n, flags.clone()),
                    1 => v.set_flags(n as usize, flags.clone()),
                    2 => v.store_expunged(n),
                    3 => v.store_added(MessageState { uid: n, flags: flags.clone().into(), recent: on }),
                    _ => {}
                }
            }
            if op == 4 {
                proptest::prop_assert_eq!(a.take_updates(on, true), b.take_updates(on, true));
            }
        }
        // The list kept is as it was (copy on write).
        proptest::prop_assert_eq!(&kept, &bulk);
    }
}
