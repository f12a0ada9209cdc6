//! The checksum, and names checked one by one.

use super::*;
use proptest::prelude::*;

proptest! {
    /// The checksum of bytes given in pieces is the one of the whole.
    #[test]
    fn a_checksum_in_pieces_is_the_checksum_of_the_whole(
        data in proptest::collection::vec(any::<u8>(), 0..100),
        cuts in proptest::collection::vec(any::<usize>(), 0..6),
    ) {
        let mut sum = Checksum::new(data.len() as u64);
        let mut cuts: Vec<usize> = cuts.iter().map(|c| c % (data.len() + 1)).collect();
        cuts.sort_unstable();
        let mut from = 0;
        for c in cuts.into_iter().chain([data.len()]) {
            sum.update(&data[from..c]);
            from = c;
        }
        prop_assert_eq!(sum.finish(), checksum(&data));
    }
}

fn message(uid: u32, name: &str) -> MessageInfo {
    MessageInfo {
        uid,
        flags: Flags::empty(),
        size: 1,
        vsize: NO_VSIZE,
        date_secs: 0,
        date_nanos: 0,
        location: Location::Maildir(Entry {
            subdir: Subdir::Cur,
            name: Name::from(name.to_owned()),
        }),
        modseq: 2,
        modseq_flags: Flags::empty(),
    }
}

/// `data` with the bytes of `from` (same length) changed to `to`,
/// the checksums made right again.
fn altered(data: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let mut data = data.to_vec();
    let at = data.windows(from.len()).position(|w| w == from).unwrap();
    data[at..at + to.len()].copy_from_slice(to);
    resealed(data)
}

#[test]
fn names_are_checked_one_by_one_though_checked_all_at_once() {
    let head = Head {
        validity: 1,
        guid: "",
        uid_list: None,
        new_stamp: DirStamp::default(),
        cur_stamp: DirStamp::default(),
        log: None,
    };
    let messages = vec![message(1, "1.a:2,S"), message(2, "2.bb"), message(3, "3.c")];
    let data = encode(&head, &messages).unwrap();
    let ix = decode(&data).unwrap();
    assert_eq!(ix.messages, messages);
    // A '/' or a NUL in any name, first, middle or last.
    for (from, to) in [
        (&b"1.a:"[..], &b"1/a:"[..]),
        (b"2.bb", b"2.b/"),
        (b"3.c", b"3\0c"),
    ] {
        assert_eq!(decode(&altered(&data, from, to)), None, "{to:?}");
    }
    // A name starting with '.'.
    assert_eq!(decode(&altered(&data, b"2.bb", b".2bb")), None);
    // "\xc3\xa9" (an e with an acute accent) cut between two names:
    // the buffer is valid UTF-8, neither name is.
    let split = altered(&data, b"2.bb", b"2.b\xc3");
    let split = altered(&split, b"3.c", b"\xa9.c");
    assert!(std::str::from_utf8(b"1.a:2,S2.b\xc3\xa9.c").is_ok());
    assert_eq!(decode(&split), None);
    // A name of its own that is valid UTF-8 is fine.
    let accented = altered(&data, b"2.bb", b"\xc3\xa9bb");
    assert_eq!(decode(&accented).unwrap().messages[1].base(), "\u{e9}bb");
}

#[test]
fn summaries_shorter_and_longer_than_the_first_read_read_back() {
    let head = Head {
        validity: 7,
        guid: "g",
        uid_list: None,
        new_stamp: DirStamp::default(),
        cur_stamp: DirStamp::default(),
        log: None,
    };
    // Within the first read, just past it, and with more flag indexes
    // than the reader's buffer holds at once.
    for n in [0u32, 1, 11_000, 12_300, READ_BUF as u32 + 100] {
        let messages: Vec<MessageInfo> = (1..=n)
            .map(|i| {
                // A gap in the UIDs every 1,000 messages.
                let mut m = message(i + i / 1000, &format!("{i}"));
                m.flags = Flags::from_bits(u64::from(i % 3));
                m
            })
            .collect();
        let data = encode(&head, &messages).unwrap();
        for step in [data.len(), 5000, 4093] {
            let ix =
                decode_from(crate::fuzzing::Pieces::new(&data, step), data.len() as u64).unwrap();
            assert_eq!(ix.messages, messages, "{n} messages, step {step}");
            if n == 0 {
                continue;
            }
            let runs = ix.summary.columns.flag_runs().unwrap();
            let want: Vec<u64> = (1..=n).map(|i| u64::from(i % 3)).collect();
            let got: Vec<u64> = runs
                .of()
                .iter()
                .map(|&k| runs.values()[usize::from(k)].to_bits())
                .collect();
            assert_eq!(got, want, "{n} messages, step {step}");
            assert_eq!(runs.of_shared(), runs.of());
        }
    }
}
