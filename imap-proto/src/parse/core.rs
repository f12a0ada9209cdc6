//! Grammar primitives shared by commands and responses (RFC 3501 section 9):
//! numbers, atoms, strings, mailboxes, flags, sequence sets, dates.
//!
//! Every parser here works on a complete frame (`complete` semantics): the
//! framer has already made sure that all lines and literal octets are
//! present, so running out of input is a syntax error, never "need more".

use std::num::NonZeroU32;

use bytes::Bytes;
use nom::IResult;
use nom::error::{ErrorKind, ParseError};

use crate::types::{
    Atom, Date, DateTime, Flag, FlagFetch, FlagPerm, ListMailbox, MONTHS, Mailbox, SeqNumber,
    Sequence, SequenceSet, Vec1, decode_utf7, is_astring_char, is_atom_char, is_list_char,
    is_tag_char,
};

/// What failed inside the grammar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PErrKind {
    Syntax,
    TooDeep,
    TooManyItems,
}

/// The nom error type of this crate's parsers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PErr {
    pub kind: PErrKind,
}

impl<I> ParseError<I> for PErr {
    fn from_error_kind(_input: I, _kind: ErrorKind) -> Self {
        PErr {
            kind: PErrKind::Syntax,
        }
    }
    fn append(_input: I, _kind: ErrorKind, other: Self) -> Self {
        other
    }
}

pub(crate) type PResult<'a, T> = IResult<&'a [u8], T, PErr>;

/// Parsing context: settings that change how bytes are read, and the
/// frame for zero-copy slicing of literals.
pub(crate) struct Cx<'f> {
    /// UTF-8 mailbox names (UTF8=ACCEPT / IMAP4rev2) instead of modified UTF-7.
    pub utf8: bool,
    /// Deepest nesting allowed.
    pub max_depth: usize,
    /// Most items in one list.
    pub max_items: usize,
    /// The whole frame, when it is a `Bytes` (lets literals be sliced, not copied).
    pub frame: Option<&'f Bytes>,
}

impl Cx<'_> {
    /// Bytes for a slice of the input: a cheap slice of the frame when possible.
    pub fn bytes(&self, s: &[u8]) -> Bytes {
        match self.frame {
            Some(f)
                if !s.is_empty() && {
                    let start = f.as_ptr() as usize;
                    let p = s.as_ptr() as usize;
                    p >= start && p + s.len() <= start + f.len()
                } =>
            {
                f.slice_ref(s)
            }
            _ => Bytes::copy_from_slice(s),
        }
    }

    pub fn check_items(&self, i: &[u8], n: usize) -> Result<(), nom::Err<PErr>> {
        let _ = i;
        if n > self.max_items {
            Err(nom::Err::Failure(PErr {
                kind: PErrKind::TooManyItems,
            }))
        } else {
            Ok(())
        }
    }

    pub fn check_depth(&self, depth: usize) -> Result<(), nom::Err<PErr>> {
        if depth > self.max_depth {
            Err(nom::Err::Failure(PErr {
                kind: PErrKind::TooDeep,
            }))
        } else {
            Ok(())
        }
    }
}

#[inline]
pub(crate) fn fail<T>() -> Result<T, nom::Err<PErr>> {
    Err(nom::Err::Error(PErr {
        kind: PErrKind::Syntax,
    }))
}

#[inline]
pub(crate) fn byte(c: u8) -> impl Fn(&[u8]) -> PResult<'_, ()> {
    move |i: &[u8]| match i.first() {
        Some(&b) if b == c => Ok((&i[1..], ())),
        _ => fail(),
    }
}

#[inline]
pub(crate) fn sp(i: &[u8]) -> PResult<'_, ()> {
    byte(b' ')(i)
}

#[inline]
pub(crate) fn crlf(i: &[u8]) -> PResult<'_, ()> {
    match i {
        [b'\r', b'\n', rest @ ..] => Ok((rest, ())),
        _ => fail(),
    }
}

/// Consumes `word` case-insensitively.
#[inline]
pub(crate) fn kw<'a>(word: &'static str) -> impl Fn(&'a [u8]) -> PResult<'a, ()> {
    move |i: &'a [u8]| {
        let w = word.as_bytes();
        if i.len() >= w.len() && i[..w.len()].eq_ignore_ascii_case(w) {
            Ok((&i[w.len()..], ()))
        } else {
            fail()
        }
    }
}

#[inline]
pub(crate) fn take_while1(i: &[u8], f: impl Fn(u8) -> bool) -> PResult<'_, &[u8]> {
    let n = i.iter().position(|&b| !f(b)).unwrap_or(i.len());
    if n == 0 {
        fail()
    } else {
        Ok((&i[n..], &i[..n]))
    }
}

/// Upper-cases a keyword into `buf` for byte comparison; a word longer
/// than any keyword gives the empty slice (which matches none).
#[inline]
pub(crate) fn upper<'b>(w: &[u8], buf: &'b mut [u8; 32]) -> &'b [u8] {
    if w.len() > buf.len() {
        return &[];
    }
    let out = &mut buf[..w.len()];
    out.copy_from_slice(w);
    out.make_ascii_uppercase();
    out
}

/// `number` (32-bit, RFC 3501 section 9).
pub(crate) fn number(i: &[u8]) -> PResult<'_, u32> {
    let (rest, d) = take_while1(i, |b| b.is_ascii_digit())?;
    let mut v: u32 = 0;
    for &b in d {
        v = match v
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as u32))
        {
            Some(v) => v,
            None => return fail(),
        };
    }
    Ok((rest, v))
}

/// `number64` (RFC 9051), also `mod-sequence-value` (RFC 7162; up to 2^63-1).
pub(crate) fn number64(i: &[u8]) -> PResult<'_, u64> {
    let (rest, d) = take_while1(i, |b| b.is_ascii_digit())?;
    let mut v: u64 = 0;
    for &b in d {
        v = match v
            .checked_mul(10)
            .and_then(|v| v.checked_add((b - b'0') as u64))
        {
            Some(v) => v,
            None => return fail(),
        };
    }
    if v > i64::MAX as u64 {
        return fail();
    }
    Ok((rest, v))
}

/// `nz-number`.
pub(crate) fn nz_number(i: &[u8]) -> PResult<'_, NonZeroU32> {
    let (rest, n) = number(i)?;
    match NonZeroU32::new(n) {
        Some(n) => Ok((rest, n)),
        None => fail(),
    }
}

/// `tag`.
pub(crate) fn tag(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(i, is_tag_char)
}

/// `atom`.
pub(crate) fn atom(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(i, is_atom_char)
}

pub(crate) fn atom_owned(i: &[u8]) -> PResult<'_, Atom> {
    let (i, a) = atom(i)?;
    Ok((i, Atom::from_valid(a)))
}

/// `quoted`: returns the unescaped content. Accepts 8-bit bytes (UTF-8,
/// RFC 9051 `QUOTED-CHAR`); refuses NUL, CR, LF.
pub(crate) fn quoted(i: &[u8]) -> PResult<'_, Vec<u8>> {
    let (mut i, _) = byte(b'"')(i)?;
    let mut out = Vec::new();
    loop {
        let Some(pos) = memchr::memchr3(b'"', b'\\', b'\r', i) else {
            return fail();
        };
        let chunk = &i[..pos];
        if chunk.iter().any(|&b| b == 0 || b == b'\n') {
            return fail();
        }
        out.extend_from_slice(chunk);
        match i[pos] {
            b'"' => return Ok((&i[pos + 1..], out)),
            b'\\' => match i.get(pos + 1) {
                Some(&c @ (b'"' | b'\\')) => {
                    out.push(c);
                    i = &i[pos + 2..];
                }
                _ => return fail(),
            },
            _ => return fail(),
        }
    }
}

/// Header of a literal: `{N}`, `{N+}`, `~{N}`, `~{N+}`; returns the
/// length, whether it is a `literal8` and whether it is non-synchronizing.
fn literal_header(i: &[u8]) -> PResult<'_, (usize, bool, bool)> {
    let (i, binary) = match i.first() {
        Some(b'~') => (&i[1..], true),
        _ => (i, false),
    };
    let (i, _) = byte(b'{')(i)?;
    let (i, n) = number64(i)?;
    let (i, nonsync) = match i.first() {
        Some(b'+') => (&i[1..], true),
        _ => (i, false),
    };
    let (i, _) = byte(b'}')(i)?;
    let (i, _) = crlf(i)?;
    match usize::try_from(n) {
        Ok(n) if n <= i.len() => Ok((i, (n, binary, nonsync))),
        _ => fail(),
    }
}

/// `literal` / `literal8`: the octets, whether it was `~{}`, whether `{N+}`.
pub(crate) fn literal_any(i: &[u8]) -> PResult<'_, (&[u8], bool, bool)> {
    let (i, (n, binary, nonsync)) = literal_header(i)?;
    Ok((&i[n..], (&i[..n], binary, nonsync)))
}

/// `literal` (no `~`).
pub(crate) fn literal(i: &[u8]) -> PResult<'_, &[u8]> {
    if i.first() == Some(&b'~') {
        return fail();
    }
    let (i, (n, _, _)) = literal_header(i)?;
    Ok((&i[n..], &i[..n]))
}

/// `string = quoted / literal`.
pub(crate) fn string(i: &[u8]) -> PResult<'_, Vec<u8>> {
    match i.first() {
        Some(b'"') => quoted(i),
        Some(b'{') => {
            let (i, l) = literal(i)?;
            Ok((i, l.to_vec()))
        }
        _ => fail(),
    }
}

/// `astring = 1*ASTRING-CHAR / string`.
pub(crate) fn astring(i: &[u8]) -> PResult<'_, Vec<u8>> {
    match i.first() {
        Some(b'"') | Some(b'{') => string(i),
        _ => {
            let (i, a) = take_while1(i, is_astring_char)?;
            Ok((i, a.to_vec()))
        }
    }
}

/// `nil`.
pub(crate) fn nil(i: &[u8]) -> PResult<'_, ()> {
    kw("NIL")(i)
}

/// `nstring = string / nil`.
pub(crate) fn nstring(i: &[u8]) -> PResult<'_, Option<Vec<u8>>> {
    match i.first() {
        Some(b'N') | Some(b'n') => {
            let (i, _) = nil(i)?;
            Ok((i, None))
        }
        _ => {
            let (i, s) = string(i)?;
            Ok((i, Some(s)))
        }
    }
}

/// Turns the wire bytes of a name into Unicode: UTF-8 when enabled, else
/// modified UTF-7 (RFC 3501 section 5.1.3). A name in raw UTF-8 without
/// `&` is accepted in either mode, as clients send such names.
pub(crate) fn decode_name(cx: &Cx<'_>, b: Vec<u8>) -> Option<String> {
    if cx.utf8 {
        return String::from_utf8(b).ok();
    }
    if b.iter().all(|&c| (0x20..0x7f).contains(&c) && c != b'&') {
        // SAFETY-free fast path: printable ASCII is valid UTF-8.
        return String::from_utf8(b).ok();
    }
    match decode_utf7(&b) {
        Ok(s) => Some(s),
        Err(_) if !b.contains(&b'&') => String::from_utf8(b).ok(),
        Err(_) => None,
    }
}

/// `mailbox = "INBOX" / astring`.
pub(crate) fn mailbox<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Mailbox> {
    let (i, b) = astring(i)?;
    match decode_name(cx, b) {
        Some(s) if !s.contains('\0') => Ok((i, Mailbox::from_name(s))),
        _ => fail(),
    }
}

/// `list-mailbox = 1*list-char / string`.
pub(crate) fn list_mailbox<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ListMailbox> {
    let (i, b) = match i.first() {
        Some(b'"') | Some(b'{') => string(i)?,
        _ => {
            let (i, a) = take_while1(i, is_list_char)?;
            (i, a.to_vec())
        }
    };
    match decode_name(cx, b) {
        Some(s) if !s.contains('\0') => Ok((i, ListMailbox::from_valid(s))),
        _ => fail(),
    }
}

/// `flag`: system flag, `\`-extension or keyword.
pub(crate) fn flag(i: &[u8]) -> PResult<'_, Flag> {
    match i.first() {
        Some(b'\\') => {
            let (i, a) = atom(&i[1..])?;
            Ok((i, Flag::system(a)))
        }
        _ => {
            let (i, a) = atom(i)?;
            Ok((i, Flag::Keyword(Atom::from_valid(a))))
        }
    }
}

/// `flag-fetch = flag / "\Recent"`.
pub(crate) fn flag_fetch(i: &[u8]) -> PResult<'_, FlagFetch> {
    let (i, f) = flag(i)?;
    Ok((
        i,
        match f {
            Flag::Extension(a) if a.eq_ignore_case("Recent") => FlagFetch::Recent,
            f => FlagFetch::Flag(f),
        },
    ))
}

/// `flag-perm = flag / "\*"`.
pub(crate) fn flag_perm(i: &[u8]) -> PResult<'_, FlagPerm> {
    if i.starts_with(b"\\*") {
        return Ok((&i[2..], FlagPerm::Any));
    }
    let (i, f) = flag(i)?;
    Ok((i, FlagPerm::Flag(f)))
}

/// `"(" [x *(SP x)] ")"` with the item limit.
pub(crate) fn paren_list<'a, T>(
    cx: &Cx<'_>,
    i: &'a [u8],
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec<T>> {
    let (mut i, _) = byte(b'(')(i)?;
    if let Some(b')') = i.first() {
        return Ok((&i[1..], Vec::new()));
    }
    let mut out = Vec::with_capacity(4);
    loop {
        let (r, x) = item(i)?;
        out.push(x);
        cx.check_items(r, out.len())?;
        match r.first() {
            Some(b' ') => i = &r[1..],
            Some(b')') => return Ok((&r[1..], out)),
            _ => return fail(),
        }
    }
}

/// `"(" x *(SP x) ")"`: at least one.
pub(crate) fn paren_list1<'a, T>(
    cx: &Cx<'_>,
    i: &'a [u8],
    item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec1<T>> {
    let (i, v) = paren_list(cx, i, item)?;
    match Vec1::new(v) {
        Ok(v) => Ok((i, v)),
        Err(_) => fail(),
    }
}

/// `x *(SP x)` without parentheses.
pub(crate) fn sp_list1<'a, T>(
    cx: &Cx<'_>,
    i: &'a [u8],
    mut item: impl FnMut(&'a [u8]) -> PResult<'a, T>,
) -> PResult<'a, Vec1<T>> {
    let (mut i, first) = item(i)?;
    let mut out = vec![first];
    while let Some(b' ') = i.first() {
        match item(&i[1..]) {
            Ok((r, x)) => {
                out.push(x);
                cx.check_items(r, out.len())?;
                i = r;
            }
            Err(nom::Err::Error(_)) => break,
            Err(e) => return Err(e),
        }
    }
    Ok((i, Vec1::from_nonempty(out)))
}

/// `flag-list = "(" [flag *(SP flag)] ")"`.
pub(crate) fn flag_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<Flag>> {
    paren_list(cx, i, flag)
}

fn seq_number(i: &[u8]) -> PResult<'_, SeqNumber> {
    match i.first() {
        Some(b'*') => Ok((&i[1..], SeqNumber::Largest)),
        _ => {
            let (i, n) = nz_number(i)?;
            Ok((i, SeqNumber::Value(n)))
        }
    }
}

/// `sequence-set` (with `$` of RFC 5182).
pub(crate) fn sequence_set<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SequenceSet> {
    if let Some(b'$') = i.first() {
        return Ok((&i[1..], SequenceSet::SearchResult));
    }
    let mut out = Vec::new();
    let mut i = i;
    loop {
        let (r, a) = seq_number(i)?;
        let (r, s) = match r.first() {
            Some(b':') => {
                let (r, b) = seq_number(&r[1..])?;
                (r, Sequence::Range(a, b))
            }
            _ => (r, Sequence::Single(a)),
        };
        out.push(s);
        cx.check_items(r, out.len())?;
        match r.first() {
            Some(b',') => i = &r[1..],
            _ => return Ok((r, SequenceSet::List(Vec1::from_nonempty(out)))),
        }
    }
}

fn month(i: &[u8]) -> PResult<'_, u8> {
    if i.len() < 3 {
        return fail();
    }
    for (n, m) in MONTHS.iter().enumerate() {
        if i[..3].eq_ignore_ascii_case(m.as_bytes()) {
            return Ok((&i[3..], n as u8 + 1));
        }
    }
    fail()
}

fn digits(i: &[u8], n: usize) -> PResult<'_, u32> {
    if i.len() < n || !i[..n].iter().all(u8::is_ascii_digit) {
        return fail();
    }
    let v = i[..n].iter().fold(0u32, |a, &b| a * 10 + (b - b'0') as u32);
    Ok((&i[n..], v))
}

fn date_text(i: &[u8]) -> PResult<'_, Date> {
    let (i, d) = take_while1(i, |b| b.is_ascii_digit())?;
    if d.len() > 2 {
        return fail();
    }
    let day = d.iter().fold(0u8, |a, &b| a * 10 + (b - b'0'));
    let (i, _) = byte(b'-')(i)?;
    let (i, m) = month(i)?;
    let (i, _) = byte(b'-')(i)?;
    let (i, y) = digits(i, 4)?;
    match Date::new(y as u16, m, day) {
        Ok(d) => Ok((i, d)),
        Err(_) => fail(),
    }
}

/// `date = date-text / DQUOTE date-text DQUOTE` (SEARCH).
pub(crate) fn date(i: &[u8]) -> PResult<'_, Date> {
    match i.first() {
        Some(b'"') => {
            let (i, d) = date_text(&i[1..])?;
            let (i, _) = byte(b'"')(i)?;
            Ok((i, d))
        }
        _ => date_text(i),
    }
}

/// `date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP zone DQUOTE`.
pub(crate) fn date_time(i: &[u8]) -> PResult<'_, DateTime> {
    let (i, _) = byte(b'"')(i)?;
    let (i, day) = match i {
        [b' ', d, rest @ ..] if d.is_ascii_digit() => (rest, d - b'0'),
        [a, b, rest @ ..] if a.is_ascii_digit() && b.is_ascii_digit() => {
            (rest, (a - b'0') * 10 + (b - b'0'))
        }
        [d, rest @ ..] if d.is_ascii_digit() => (rest, d - b'0'),
        _ => return fail(),
    };
    let (i, _) = byte(b'-')(i)?;
    let (i, m) = month(i)?;
    let (i, _) = byte(b'-')(i)?;
    let (i, y) = digits(i, 4)?;
    let (i, _) = sp(i)?;
    let (i, hh) = digits(i, 2)?;
    let (i, _) = byte(b':')(i)?;
    let (i, mm) = digits(i, 2)?;
    let (i, _) = byte(b':')(i)?;
    let (i, ss) = digits(i, 2)?;
    let (i, _) = sp(i)?;
    let (i, sign) = match i.first() {
        Some(b'+') => (&i[1..], 1i16),
        Some(b'-') => (&i[1..], -1i16),
        _ => return fail(),
    };
    let (i, zh) = digits(i, 2)?;
    let (i, zm) = digits(i, 2)?;
    let (i, _) = byte(b'"')(i)?;
    if zm > 59 {
        return fail();
    }
    let zone = sign * (zh as i16 * 60 + zm as i16);
    let date = match Date::new(y as u16, m, day) {
        Ok(d) => d,
        Err(_) => return fail(),
    };
    match DateTime::new(date, hh as u8, mm as u8, ss as u8, zone) {
        Ok(dt) => Ok((i, dt)),
        Err(_) => fail(),
    }
}

/// Text up to CRLF (not consumed), as UTF-8 (lossy).
pub(crate) fn text(i: &[u8]) -> PResult<'_, String> {
    let n = memchr::memchr(b'\r', i).unwrap_or(i.len());
    let t = &i[..n];
    if t.iter().any(|&b| b == 0 || b == b'\n') {
        return fail();
    }
    Ok((&i[n..], String::from_utf8_lossy(t).into_owned()))
}
