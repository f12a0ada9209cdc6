//! Serializing: types to bytes, exactly the grammar.
//!
//! Strings are written as an atom where the grammar allows one (`astring`)
//! and the content fits, else quoted when every octet may be quoted and
//! the string is short, else as a literal. Mailbox names are written in
//! modified UTF-7 unless [`EncodeOptions::utf8`] is set (after `ENABLE
//! UTF8=ACCEPT` or IMAP4rev2, RFC 6855 section 3). Lines end with CRLF.
//!
//! Two forms:
//! - `encode_*` appends everything to one `BytesMut` (a client with
//!   LITERAL+, a server writing small responses);
//! - `*_fragments` returns [`Fragment`]s: lines, literal octets as their
//!   own (zero-copy) pieces, and [`Fragment::External`] holes where the
//!   owner writes a big literal from its own reader. A client waits for the
//!   server's `+` after a [`Fragment::Line`] that ends in a synchronizing
//!   literal header before it sends the next fragment.

mod command;
mod response;

use bytes::{BufMut, Bytes, BytesMut};

use crate::types::{
    Date, DateTime, Flag, FlagFetch, FlagPerm, ListMailbox, LiteralMode, MONTHS, Mailbox,
    MailboxAttribute, SeqNumber, Sequence, SequenceSet, encode_utf7, is_astring_char, is_atom_char,
    is_list_char,
};

pub use self::command::{command_fragments, encode_command};
pub use self::response::{encode_response, response_fragments};

/// Strings longer than this are written as literals even when they could
/// be quoted.
const QUOTED_MAX: usize = 1024;

/// Options that change how values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct EncodeOptions {
    /// UTF-8 is enabled: mailbox names and quoted strings may hold UTF-8
    /// (RFC 6855, RFC 9051) instead of modified UTF-7 / literals.
    pub utf8: bool,
    /// Client side: the server has LITERAL+ (RFC 7888), so string literals
    /// chosen by the serializer are written `{N+}` and need no wait.
    pub literal_plus: bool,
}

/// A piece of serialized output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fragment {
    /// Bytes to write. For a command, if they end with a synchronizing
    /// literal header (`{N}\r\n`), wait for the server's `+` before the next
    /// fragment (RFC 3501 section 7.5).
    Line(Bytes),
    /// The octets of a literal whose header ended the previous line.
    Literal {
        /// The octets.
        data: Bytes,
        /// How its header was written.
        mode: LiteralMode,
    },
    /// The owner writes exactly `length` octets here from its own source
    /// (for [`SectionData::External`](crate::types::SectionData::External)).
    External {
        /// Octets to write.
        length: u64,
    },
}

/// Why a value could not be written into a single buffer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeError {
    /// The response holds [`SectionData::External`](crate::types::SectionData::External):
    /// use [`response_fragments`].
    #[error("external literal data needs the fragment form")]
    ExternalData,
}

/// Joins fragments into one buffer (external holes are not allowed).
///
/// # Examples
///
/// ```
/// use imap_proto::serialize::{join_fragments, Fragment};
/// let f = vec![Fragment::Line("a\r\n".into())];
/// assert_eq!(&join_fragments(&f).unwrap()[..], b"a\r\n");
/// ```
pub fn join_fragments(fragments: &[Fragment]) -> Result<BytesMut, EncodeError> {
    let mut out = BytesMut::new();
    for f in fragments {
        match f {
            Fragment::Line(b) | Fragment::Literal { data: b, .. } => out.extend_from_slice(b),
            Fragment::External { .. } => return Err(EncodeError::ExternalData),
        }
    }
    Ok(out)
}

/// The writer shared by the command and response serializers.
pub(crate) struct Writer<'o> {
    pub buf: &'o mut BytesMut,
    pub frags: Option<Vec<Fragment>>,
    pub opts: EncodeOptions,
    /// Writing a command: literals may need a continuation.
    pub client: bool,
    pub external: bool,
}

impl<'o> Writer<'o> {
    pub fn new(buf: &'o mut BytesMut, opts: EncodeOptions, client: bool, fragments: bool) -> Self {
        Writer {
            buf,
            frags: fragments.then(Vec::new),
            opts,
            client,
            external: false,
        }
    }

    pub fn finish(mut self) -> Option<Vec<Fragment>> {
        if let Some(mut f) = self.frags.take() {
            if !self.buf.is_empty() {
                f.push(Fragment::Line(self.buf.split().freeze()));
            }
            Some(f)
        } else {
            None
        }
    }

    #[inline]
    pub fn raw(&mut self, b: &[u8]) {
        self.buf.extend_from_slice(b);
    }

    #[inline]
    pub fn sp(&mut self) {
        self.buf.put_u8(b' ');
    }

    #[inline]
    pub fn byte(&mut self, b: u8) {
        self.buf.put_u8(b);
    }

    pub fn crlf(&mut self) {
        self.raw(b"\r\n");
    }

    pub fn number(&mut self, mut n: u64) {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        loop {
            i -= 1;
            tmp[i] = b'0' + (n % 10) as u8;
            n /= 10;
            if n == 0 {
                break;
            }
        }
        self.raw(&tmp[i..]);
    }

    /// Text where the grammar wants `text`: CR and LF would end the line
    /// early (response splitting), so they become spaces.
    pub fn text(&mut self, s: &str) {
        for &b in s.as_bytes() {
            self.byte(if b == b'\r' || b == b'\n' || b == 0 {
                b' '
            } else {
                b
            });
        }
    }

    fn quotable(&self, b: &[u8]) -> bool {
        if b.len() > QUOTED_MAX {
            return false;
        }
        let mut eight = false;
        for &c in b {
            if c == 0 || c == b'\r' || c == b'\n' {
                return false;
            }
            eight |= c >= 0x80;
        }
        !eight || (self.opts.utf8 && std::str::from_utf8(b).is_ok())
    }

    pub fn quoted(&mut self, b: &[u8]) {
        self.byte(b'"');
        for &c in b {
            if c == b'"' || c == b'\\' {
                self.byte(b'\\');
            }
            self.byte(c);
        }
        self.byte(b'"');
    }

    /// A literal: header, then the octets inline or as a fragment.
    pub fn literal(&mut self, data: &[u8], owned: Option<&Bytes>, binary: bool, mode: LiteralMode) {
        if binary {
            self.byte(b'~');
        }
        self.byte(b'{');
        self.number(data.len() as u64);
        let mode = if self.client { mode } else { LiteralMode::Sync };
        if mode == LiteralMode::NonSync {
            self.byte(b'+');
        }
        self.raw(b"}\r\n");
        let split = self.frags.is_some()
            && (self.client && mode == LiteralMode::Sync || data.len() >= 1024);
        if split {
            let line = self.buf.split().freeze();
            let data = match owned {
                Some(b) => b.clone(),
                None => Bytes::copy_from_slice(data),
            };
            if let Some(f) = self.frags.as_mut() {
                f.push(Fragment::Line(line));
                f.push(Fragment::Literal { data, mode });
            }
        } else {
            self.raw(data);
        }
    }

    /// A literal header whose octets the owner writes.
    pub fn external(&mut self, length: u64) {
        self.byte(b'{');
        self.number(length);
        self.raw(b"}\r\n");
        self.external = true;
        let line = self.buf.split().freeze();
        if let Some(f) = self.frags.as_mut() {
            f.push(Fragment::Line(line));
            f.push(Fragment::External { length });
        }
    }

    fn default_mode(&self) -> LiteralMode {
        if self.opts.literal_plus {
            LiteralMode::NonSync
        } else {
            LiteralMode::Sync
        }
    }

    /// `string`: quoted or literal by content.
    pub fn string(&mut self, b: &[u8]) {
        if self.quotable(b) {
            self.quoted(b);
        } else {
            let m = self.default_mode();
            self.literal(b, None, false, m);
        }
    }

    /// A big string given as `Bytes` (zero-copy in fragment form).
    pub fn string_bytes(&mut self, b: &Bytes) {
        if self.quotable(b) {
            self.quoted(b);
        } else {
            let m = self.default_mode();
            self.literal(b, Some(b), false, m);
        }
    }

    /// `astring`: an atom when possible.
    pub fn astring(&mut self, b: &[u8]) {
        if !b.is_empty() && b.iter().all(|&c| is_astring_char(c)) {
            self.raw(b);
        } else {
            self.string(b);
        }
    }

    pub fn nstring(&mut self, b: &Option<Vec<u8>>) {
        match b {
            Some(b) => self.string(b),
            None => self.raw(b"NIL"),
        }
    }

    /// `charset = atom / quoted`: the grammar has no literal here, so a
    /// charset that is not an atom is always quoted (NUL, CR and LF, which
    /// quoted cannot hold, become spaces).
    pub fn atom_or_quoted(&mut self, s: &[u8]) {
        if !s.is_empty() && s.iter().all(|&b| is_atom_char(b)) {
            self.raw(s);
        } else {
            let clean: Vec<u8> = s
                .iter()
                .copied()
                .map(|b| {
                    if matches!(b, 0 | b'\r' | b'\n') {
                        b' '
                    } else {
                        b
                    }
                })
                .collect();
            self.quoted(&clean);
        }
    }

    fn name_bytes(&self, s: &str) -> Vec<u8> {
        if self.opts.utf8 || s.is_ascii() && !s.contains('&') {
            s.as_bytes().to_vec()
        } else {
            encode_utf7(s).into_bytes()
        }
    }

    pub fn mailbox(&mut self, m: &Mailbox) {
        match m {
            Mailbox::Inbox => self.raw(b"INBOX"),
            Mailbox::Other(s) => {
                let b = self.name_bytes(s);
                self.astring(&b);
            }
        }
    }

    pub fn list_mailbox(&mut self, m: &ListMailbox) {
        let b = self.name_bytes(m.as_str());
        if !b.is_empty() && b.iter().all(|&c| is_list_char(c)) {
            self.raw(&b);
        } else {
            self.string(&b);
        }
    }

    pub fn flag(&mut self, f: &Flag) {
        match f {
            Flag::Answered => self.raw(b"\\Answered"),
            Flag::Flagged => self.raw(b"\\Flagged"),
            Flag::Deleted => self.raw(b"\\Deleted"),
            Flag::Seen => self.raw(b"\\Seen"),
            Flag::Draft => self.raw(b"\\Draft"),
            Flag::Keyword(a) => self.raw(a.as_str().as_bytes()),
            Flag::Extension(a) => {
                self.byte(b'\\');
                self.raw(a.as_str().as_bytes());
            }
        }
    }

    pub fn flag_fetch(&mut self, f: &FlagFetch) {
        match f {
            FlagFetch::Flag(f) => self.flag(f),
            FlagFetch::Recent => self.raw(b"\\Recent"),
        }
    }

    pub fn flag_perm(&mut self, f: &FlagPerm) {
        match f {
            FlagPerm::Flag(f) => self.flag(f),
            FlagPerm::Any => self.raw(b"\\*"),
        }
    }

    pub fn mailbox_attr(&mut self, a: &MailboxAttribute) {
        self.byte(b'\\');
        self.raw(a.name().as_bytes());
    }

    /// `"(" x *(SP x) ")"`.
    pub fn list<T>(&mut self, items: &[T], mut f: impl FnMut(&mut Self, &T)) {
        self.byte(b'(');
        self.sep(items, b' ', &mut f);
        self.byte(b')');
    }

    pub fn sep<T>(&mut self, items: &[T], sep: u8, mut f: impl FnMut(&mut Self, &T)) {
        for (n, x) in items.iter().enumerate() {
            if n > 0 {
                self.byte(sep);
            }
            f(self, x);
        }
    }

    fn seq_number(&mut self, n: &SeqNumber) {
        match n {
            SeqNumber::Value(v) => self.number(v.get() as u64),
            SeqNumber::Largest => self.byte(b'*'),
        }
    }

    pub fn sequence_set(&mut self, s: &SequenceSet) {
        match s {
            SequenceSet::SearchResult => self.byte(b'$'),
            SequenceSet::List(v) => self.sep(v, b',', |w, x| match x {
                Sequence::Single(n) => w.seq_number(n),
                Sequence::Range(a, b) => {
                    w.seq_number(a);
                    w.byte(b':');
                    w.seq_number(b);
                }
            }),
        }
    }

    /// SEARCH `date`: `1-Feb-1994`.
    pub fn date(&mut self, d: &Date) {
        self.number(d.day() as u64);
        self.byte(b'-');
        self.raw(MONTHS[(d.month() - 1) as usize % 12].as_bytes());
        self.byte(b'-');
        self.four(d.year() as u32);
    }

    fn two(&mut self, n: u32) {
        self.byte(b'0' + (n / 10 % 10) as u8);
        self.byte(b'0' + (n % 10) as u8);
    }

    fn four(&mut self, n: u32) {
        self.two(n / 100);
        self.two(n % 100);
    }

    /// `date-time`: `"17-Jul-1996 02:44:25 -0700"`, day padded with a space.
    pub fn date_time(&mut self, d: &DateTime) {
        self.byte(b'"');
        let day = d.date().day() as u32;
        if day < 10 {
            self.byte(b' ');
            self.byte(b'0' + day as u8);
        } else {
            self.two(day);
        }
        self.byte(b'-');
        self.raw(MONTHS[(d.date().month() - 1) as usize % 12].as_bytes());
        self.byte(b'-');
        self.four(d.date().year() as u32);
        self.sp();
        self.two(d.hour() as u32);
        self.byte(b':');
        self.two(d.minute() as u32);
        self.byte(b':');
        self.two(d.second() as u32);
        self.sp();
        let z = d.zone_minutes();
        self.byte(if z < 0 { b'-' } else { b'+' });
        let z = z.unsigned_abs() as u32;
        self.two(z / 60);
        self.two(z % 60);
        self.byte(b'"');
    }
}
