//! Bodies of the fuzz targets, as library functions so that a normal test
//! can replay the fuzz corpus. Not a stable API.

use std::io::Read;

use crate::flags::Keywords;
use crate::mboxrd::{self, Unquote};
use crate::name::{self, FileName};
use crate::uidlist::UidList;

/// Feeds arbitrary bytes to every parser of the crate and checks the
/// round trips that must hold:
///
/// - a UID list that parses serializes to a file that parses to the same
///   list; the mbox side file likewise;
/// - `dovecot-keywords`: parse, write, parse gives the same mapping;
/// - the mod-sequence log: the lines read, written again, read the same;
/// - file names, `mail_location` specs and folder names never panic;
/// - mboxrd: quoting then unquoting gives the bytes back, and an mbox
///   holding the quoted message scans as exactly that one message;
/// - the snapshot index (with its checksums made right): read whole or in
///   pieces alike, and what reads re-encodes to what reads the same.
pub fn parsers(data: &[u8]) {
    crate::folder::fuzz_index(data);
    if let Some((list, consumed)) = UidList::parse(data) {
        assert!(consumed <= data.len());
        let again = list.to_file();
        let (list2, _) = UidList::parse(again.as_bytes()).expect("our own uidlist parses");
        assert_eq!(list2.to_file(), again);
    }
    let log = crate::modseq::parse(data, true);
    assert!(log.consumed <= data.len() && log.lines.len() <= log.count);
    let mut again = String::new();
    for l in &log.lines {
        l.write(&mut again);
    }
    assert_eq!(
        crate::modseq::parse(again.as_bytes(), false).lines,
        log.lines
    );
    let text = String::from_utf8_lossy(data);
    crate::mbox::side_round_trip(&text);
    let kw = Keywords::parse(&text);
    assert_eq!(Keywords::parse(&kw.to_file()), kw);
    if let Some(n) = FileName::parse(&text) {
        let _ = name::size_from_base(n.base);
        let _ = name::delivery_order_key(n.base);
        let rebuilt = name::cur_name(n.base, n.flags, n.extra);
        assert!(FileName::parse(&rebuilt).is_some());
    }
    let _ = crate::MailLocation::parse(&text, "user", Some(std::path::Path::new("/home/user")));
    if let Ok(parts) = crate::validate_folder_name(&text) {
        assert!(
            parts
                .iter()
                .all(|p| !p.is_empty() && !p.contains('.') && !p.contains('/'))
        );
    }
    let _ = mboxrd::parse_from_line_date(data);

    let mut quoted = Vec::new();
    let (_, ends_nl) = mboxrd::write_quoted(data, &mut quoted).expect("writing to a Vec");
    let mut back = Vec::new();
    Unquote::new(&quoted[..])
        .read_to_end(&mut back)
        .expect("reading a slice");
    assert_eq!(back, data);

    let mut mbox = b"From fuzz@example.org Thu Jan  1 00:00:00 1970\n".to_vec();
    mbox.extend_from_slice(&quoted);
    mbox.extend_from_slice(if ends_nl { b"\n" } else { b"\n\n" });
    let found = mboxrd::scan(&mbox[..], 0).expect("scanning a slice");
    assert_eq!(found.len(), 1);
    let m = &found[0];
    let start = usize::try_from(m.body_offset).unwrap_or(usize::MAX);
    let end = usize::try_from(m.body_offset + m.body_len).unwrap_or(usize::MAX);
    let mut body = Vec::new();
    Unquote::new(mbox.get(start..end).expect("body in range"))
        .read_to_end(&mut body)
        .expect("reading a slice");
    let mut want = data.to_vec();
    if !ends_nl {
        want.push(b'\n');
    }
    assert_eq!(body, want);
    assert_eq!(m.size, want.len() as u64);
}

/// A reader of `data` that hands out at most `step` bytes a call.
pub(crate) struct Pieces<'a> {
    data: &'a [u8],
    step: usize,
}

impl<'a> Pieces<'a> {
    pub(crate) fn new(data: &'a [u8], step: usize) -> Pieces<'a> {
        Pieces { data, step }
    }
}

impl Read for Pieces<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.step.min(buf.len()).min(self.data.len());
        let (head, rest) = self.data.split_at(n);
        if let Some(dst) = buf.get_mut(..n) {
            dst.copy_from_slice(head);
        }
        self.data = rest;
        Ok(n)
    }
}
