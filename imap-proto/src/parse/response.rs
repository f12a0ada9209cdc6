//! The response grammar (RFC 3501 section 9 `response`, RFC 9051, and the
//! extensions' response data and codes).

use std::num::NonZeroU32;

use crate::types::{
    Atom, Code, Continuation, Data, ESearchItem, ListData, ListExtendedItem, MessageDataItem,
    NamespaceDescription, Response, SIMPLE_CODES, SectionData, StatusKind, StatusResponse,
    StatusValue, Tag, Thread, UidRange, UidSet, Vec1,
};

use super::body::{body, envelope};
use super::command::{id_params, mailbox_attr, status_item};
use super::core::{
    Cx, PResult, atom, atom_owned, byte, crlf, date_time, fail, flag, flag_fetch, flag_perm, kw,
    literal_any, mailbox, nil, nstring, number, number64, nz_number, paren_list, paren_list1,
    quoted, sequence_set, sp, string, tag, take_while1, text,
};
use super::fetch::{section, section_binary};
use super::search::match_upper;

/// `response = continue-req / response-data / response-tagged` (one of them).
pub(crate) fn response<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Response> {
    match i.first() {
        Some(b'+') => {
            let i = &i[1..];
            let i = match i.first() {
                Some(b' ') => &i[1..],
                _ => i,
            };
            let (i, c) = continuation(i)?;
            let (i, _) = crlf(i)?;
            Ok((i, Response::Continuation(c)))
        }
        Some(b'*') => {
            let (i, _) = byte(b'*')(i)?;
            let (i, _) = sp(i)?;
            let (i, r) = untagged(cx, i)?;
            let (i, _) = crlf(i)?;
            Ok((i, r))
        }
        _ => {
            let (i, t) = tag(i)?;
            let (i, _) = sp(i)?;
            let (i, kind) = status_kind(i)?;
            if !matches!(kind, StatusKind::Ok | StatusKind::No | StatusKind::Bad) {
                return fail();
            }
            let (i, (code, text)) = resp_text(cx, i)?;
            let (i, _) = crlf(i)?;
            Ok((
                i,
                Response::Status(StatusResponse {
                    tag: Some(Tag::from_valid(t)),
                    kind,
                    code,
                    text,
                }),
            ))
        }
    }
}

fn continuation(i: &[u8]) -> PResult<'_, Continuation> {
    let n = memchr::memchr(b'\r', i).unwrap_or(i.len());
    let line = &i[..n];
    if !line.is_empty()
        && line.first() != Some(&b'[')
        && let Some(d) = crate::base64::decode(line)
    {
        return Ok((&i[n..], Continuation::Base64(d)));
    }
    let cx = Cx {
        utf8: true,
        max_depth: 8,
        max_items: 1000,
        frame: None,
    };
    let (i, (code, text)) = resp_text_body(&cx, i)?;
    Ok((i, Continuation::Text { code, text }))
}

fn status_kind(i: &[u8]) -> PResult<'_, StatusKind> {
    let (i, a) = take_while1(i, |b| b.is_ascii_alphabetic())?;
    match match_upper(
        a,
        &[
            ("OK", StatusKind::Ok),
            ("NO", StatusKind::No),
            ("BAD", StatusKind::Bad),
            ("PREAUTH", StatusKind::PreAuth),
            ("BYE", StatusKind::Bye),
        ],
    ) {
        Some(k) => Ok((i, k)),
        None => fail(),
    }
}

/// `[SP resp-text]`: lenient about a missing text (RFC 9051 makes it optional).
fn resp_text<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, (Option<Code>, String)> {
    match i.first() {
        Some(b' ') => resp_text_body(cx, &i[1..]),
        _ => Ok((i, (None, String::new()))),
    }
}

/// `resp-text = ["[" resp-text-code "]" SP] text`.
fn resp_text_body<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, (Option<Code>, String)> {
    let coded = |i: &'a [u8]| -> PResult<'a, Code> {
        let (i, c) = code(cx, i)?;
        let (i, _) = byte(b']')(i)?;
        let i = match i.first() {
            Some(b' ') => &i[1..],
            _ => i,
        };
        Ok((i, c))
    };
    let (i, code) = match i.first() {
        // Text that merely starts with "[" is still text.
        Some(b'[') => match coded(&i[1..]) {
            Ok((i, c)) => (i, Some(c)),
            Err(nom::Err::Error(_)) => (i, None),
            Err(e) => return Err(e),
        },
        _ => (i, None),
    };
    let (i, t) = text(i)?;
    Ok((i, (code, t)))
}

fn uid_set<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, UidSet> {
    let mut out = Vec::new();
    let mut i = i;
    loop {
        let (r, a) = nz_number(i)?;
        let (r, x) = match r.first() {
            Some(b':') => {
                let (r, b) = nz_number(&r[1..])?;
                (r, UidRange::Range(a, b))
            }
            _ => (r, UidRange::Single(a)),
        };
        out.push(x);
        cx.check_items(r, out.len())?;
        match r.first() {
            Some(b',') => i = &r[1..],
            _ => return Ok((r, Vec1::from_nonempty(out))),
        }
    }
}

fn charset_bytes(i: &[u8]) -> PResult<'_, Vec<u8>> {
    match i.first() {
        Some(b'"') => quoted(i),
        _ => {
            let (i, a) = atom(i)?;
            Ok((i, a.to_vec()))
        }
    }
}

fn code<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Code> {
    let (i, name) = take_while1(i, crate::types::is_atom_char)?;
    let is = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
    if let Some(c) = match_upper(name, SIMPLE_CODES)
        && i.first() == Some(&b']')
    {
        return Ok((i, c));
    }
    if is("BADCHARSET") {
        return match i.first() {
            Some(b' ') if i.get(1) == Some(&b'(') => {
                let (i, v) = paren_list(cx, &i[1..], charset_bytes)?;
                Ok((i, Code::BadCharset(v)))
            }
            // RFC 9051 section 6.4.4.4 shows the list without parentheses.
            Some(b' ') => {
                let (i, v) = super::core::sp_list1(cx, &i[1..], charset_bytes)?;
                Ok((i, Code::BadCharset(v.into_vec())))
            }
            _ => Ok((i, Code::BadCharset(Vec::new()))),
        };
    }
    if is("CAPABILITY") {
        let (i, _) = sp(i)?;
        let (i, v) = super::core::sp_list1(cx, i, atom_owned)?;
        return Ok((i, Code::Capability(v)));
    }
    if is("PERMANENTFLAGS") {
        let (i, _) = sp(i)?;
        let (i, v) = paren_list(cx, i, flag_perm)?;
        return Ok((i, Code::PermanentFlags(v)));
    }
    let nz = |i| -> PResult<'_, NonZeroU32> {
        let (i, _) = sp(i)?;
        nz_number(i)
    };
    if is("UIDNEXT") {
        let (i, n) = nz(i)?;
        return Ok((i, Code::UidNext(n)));
    }
    if is("UIDVALIDITY") {
        let (i, n) = nz(i)?;
        return Ok((i, Code::UidValidity(n)));
    }
    if is("UNSEEN") {
        let (i, n) = nz(i)?;
        return Ok((i, Code::Unseen(n)));
    }
    if is("APPENDUID") {
        let (i, uid_validity) = nz(i)?;
        let (i, _) = sp(i)?;
        let (i, uids) = uid_set(cx, i)?;
        return Ok((i, Code::AppendUid { uid_validity, uids }));
    }
    if is("COPYUID") {
        let (i, uid_validity) = nz(i)?;
        let (i, _) = sp(i)?;
        let (i, source) = uid_set(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, destination) = uid_set(cx, i)?;
        return Ok((
            i,
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            },
        ));
    }
    if is("HIGHESTMODSEQ") {
        let (i, _) = sp(i)?;
        let (i, n) = number64(i)?;
        return Ok((i, Code::HighestModSeq(n)));
    }
    if is("MODIFIED") {
        let (i, _) = sp(i)?;
        let (i, s) = sequence_set(cx, i)?;
        return Ok((i, Code::Modified(s)));
    }
    let a = Atom::from_valid(name);
    match i.first() {
        Some(b' ') => {
            let n = memchr::memchr2(b']', b'\r', i).unwrap_or(i.len());
            let raw = &i[1..n];
            // TEXT-CHAR excludes NUL (and CR/LF, which end the search).
            if raw.contains(&0) || raw.contains(&b'\n') {
                return fail();
            }
            let t = String::from_utf8_lossy(raw).into_owned();
            Ok((&i[n..], Code::Other(a, Some(t))))
        }
        _ => Ok((i, Code::Other(a, None))),
    }
}

fn numbers_modseq<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, (Vec<NonZeroU32>, Option<u64>)> {
    let mut out = Vec::new();
    let mut i = i;
    while let [b' ', c, ..] = i {
        if c.is_ascii_digit() {
            let (r, n) = nz_number(&i[1..])?;
            out.push(n);
            cx.check_items(r, out.len())?;
            i = r;
        } else {
            let (r, _) = kw(" (MODSEQ ")(i)?;
            let (r, m) = number64(r)?;
            let (r, _) = byte(b')')(r)?;
            return Ok((r, (out, Some(m))));
        }
    }
    Ok((i, (out, None)))
}

fn delimiter(i: &[u8]) -> PResult<'_, Option<char>> {
    if let Ok((i, _)) = nil(i) {
        return Ok((i, None));
    }
    let (i, q) = quoted(i)?;
    let s = String::from_utf8_lossy(&q).into_owned();
    let mut it = s.chars();
    match (it.next(), it.next()) {
        (Some(c), None) => Ok((i, Some(c))),
        _ => fail(),
    }
}

fn list_data<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, ListData> {
    let (i, attributes) = paren_list(cx, i, mailbox_attr)?;
    let (i, _) = sp(i)?;
    let (i, delimiter) = delimiter(i)?;
    let (i, _) = sp(i)?;
    let (i, mailbox) = mailbox(cx, i)?;
    let (i, extended) = match i.first() {
        Some(b' ') => paren_list(cx, &i[1..], |i| {
            // mbox-list-extended-item-tag = astring (RFC 4466 section 2.1).
            let (i, name) = super::core::astring(i)?;
            let (i, _) = sp(i)?;
            if name.eq_ignore_ascii_case(b"CHILDINFO") {
                let (i, v) = paren_list1(cx, i, string_or_atom)?;
                Ok((i, ListExtendedItem::ChildInfo(v)))
            } else if name.eq_ignore_ascii_case(b"OLDNAME") {
                let (i, _) = byte(b'(')(i)?;
                let (i, m) = super::core::mailbox(cx, i)?;
                let (i, _) = byte(b')')(i)?;
                Ok((i, ListExtendedItem::OldName(m)))
            } else {
                let (r, _) = ext_val(cx, 1, i)?;
                let value = i[..i.len() - r.len()].to_vec();
                Ok((r, ListExtendedItem::Other { tag: name, value }))
            }
        })?,
        _ => (i, Vec::new()),
    };
    Ok((
        i,
        ListData {
            attributes,
            delimiter,
            mailbox,
            extended,
        },
    ))
}

/// `tagged-ext-val` (RFC 4466 section 2.1), only checked, not kept apart.
fn ext_val<'a>(cx: &Cx<'_>, depth: usize, i: &'a [u8]) -> PResult<'a, ()> {
    cx.check_depth(depth)?;
    match i.first() {
        Some(b'(') => {
            let mut i = &i[1..];
            let mut n = 0;
            loop {
                match i.first() {
                    Some(b')') => return Ok((&i[1..], ())),
                    Some(b' ') if n > 0 => i = &i[1..],
                    _ if n > 0 => return fail(),
                    _ => {}
                }
                let (r, _) = ext_val(cx, depth + 1, i)?;
                n += 1;
                cx.check_items(r, n)?;
                i = r;
            }
        }
        _ => {
            let (i, _) = super::core::astring(i)?;
            Ok((i, ()))
        }
    }
}

fn string_or_atom(i: &[u8]) -> PResult<'_, Vec<u8>> {
    match i.first() {
        Some(b'"') | Some(b'{') => string(i),
        _ => {
            let (i, a) = atom(i)?;
            Ok((i, a.to_vec()))
        }
    }
}

fn namespace<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Option<Vec1<NamespaceDescription>>> {
    if let Ok((i, _)) = nil(i) {
        return Ok((i, None));
    }
    let (mut i, _) = byte(b'(')(i)?;
    let mut out = Vec::new();
    while let Some(b'(') = i.first() {
        let (r, prefix) = string(&i[1..])?;
        let (r, _) = sp(r)?;
        let (mut r, delimiter) = delimiter(r)?;
        let mut extensions = Vec::new();
        while let Some(b' ') = r.first() {
            let (x, name) = string(&r[1..])?;
            let (x, _) = sp(x)?;
            let (x, vals) = paren_list1(cx, x, string)?;
            extensions.push((name, vals));
            cx.check_items(x, extensions.len())?;
            r = x;
        }
        let (r, _) = byte(b')')(r)?;
        out.push(NamespaceDescription {
            prefix,
            delimiter,
            extensions,
        });
        cx.check_items(r, out.len())?;
        i = r;
    }
    let (i, _) = byte(b')')(i)?;
    match Vec1::new(out) {
        Ok(v) => Ok((i, Some(v))),
        Err(_) => fail(),
    }
}

fn thread_list<'a>(cx: &Cx<'_>, depth: usize, i: &'a [u8]) -> PResult<'a, Thread> {
    cx.check_depth(depth)?;
    let (mut i, _) = byte(b'(')(i)?;
    let mut members = Vec::new();
    while let Some(b'0'..=b'9') = i.first() {
        let (r, n) = nz_number(i)?;
        members.push(n);
        cx.check_items(r, members.len())?;
        i = match r.first() {
            Some(b' ') => &r[1..],
            _ => r,
        };
    }
    let mut children = Vec::new();
    while let Some(b'(') = i.first() {
        let (r, t) = thread_list(cx, depth + 1, i)?;
        children.push(t);
        cx.check_items(r, children.len())?;
        i = r;
    }
    let (i, _) = byte(b')')(i)?;
    if members.is_empty() && children.len() < 2 {
        return fail();
    }
    Ok((i, Thread { members, children }))
}

fn untagged<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Response> {
    if let Some(b'0'..=b'9') = i.first() {
        let (i, n) = number(i)?;
        let (i, _) = sp(i)?;
        let (i, w) = take_while1(i, |b| b.is_ascii_alphabetic())?;
        let is = |s: &str| w.eq_ignore_ascii_case(s.as_bytes());
        let data = if is("EXISTS") {
            Data::Exists(n)
        } else if is("RECENT") {
            Data::Recent(n)
        } else if is("EXPUNGE") {
            match NonZeroU32::new(n) {
                Some(n) => Data::Expunge(n),
                None => return fail(),
            }
        } else if is("FETCH") {
            let Some(seq) = NonZeroU32::new(n) else {
                return fail();
            };
            let (i, _) = sp(i)?;
            let (i, items) = paren_list1(cx, i, |i| msg_att(cx, i))?;
            return Ok((i, Response::Data(Data::Fetch { seq, items })));
        } else {
            return fail();
        };
        return Ok((i, Response::Data(data)));
    }
    let (r, w) = take_while1(i, |b| b.is_ascii_alphabetic())?;
    let is = |s: &str| w.eq_ignore_ascii_case(s.as_bytes());
    if is("OK") || is("NO") || is("BAD") || is("PREAUTH") || is("BYE") {
        let (i, kind) = status_kind(i)?;
        let (i, (code, text)) = resp_text(cx, i)?;
        return Ok((
            i,
            Response::Status(StatusResponse {
                tag: None,
                kind,
                code,
                text,
            }),
        ));
    }
    let i = r;

    if is("CAPABILITY") {
        let (i, _) = sp(i)?;
        let (i, v) = super::core::sp_list1(cx, i, atom_owned)?;
        Ok((i, Response::Data(Data::Capability(v))))
    } else if is("LIST") || is("LSUB") {
        let (i, _) = sp(i)?;
        let (i, l) = list_data(cx, i)?;
        Ok((
            i,
            Response::Data(if is("LIST") {
                Data::List(l)
            } else {
                Data::Lsub(l)
            }),
        ))
    } else if is("STATUS") {
        let (i, _) = sp(i)?;
        let (i, mailbox) = mailbox(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, items) = paren_list(cx, i, |i| {
            let (i, item) = status_item(i)?;
            let (i, _) = sp(i)?;
            let (i, value) = number64(i)?;
            Ok((i, StatusValue { item, value }))
        })?;
        Ok((i, Response::Data(Data::Status { mailbox, items })))
    } else if is("SEARCH") || is("SORT") {
        let (i, (numbers, modseq)) = numbers_modseq(cx, i)?;
        Ok((
            i,
            Response::Data(if is("SEARCH") {
                Data::Search { numbers, modseq }
            } else {
                Data::Sort { numbers, modseq }
            }),
        ))
    } else if is("ESEARCH") {
        let (i, tag) = match kw(" (TAG ")(i) {
            Ok((i, _)) => {
                let (i, t) = super::core::astring(i)?;
                let (i, _) = byte(b')')(i)?;
                (i, Some(t))
            }
            Err(_) => (i, None),
        };
        let (mut i, uid) = match kw(" UID")(i) {
            Ok((r, _)) if matches!(r.first(), None | Some(b' ') | Some(b'\r')) => (r, true),
            _ => (i, false),
        };
        let mut items = Vec::new();
        while let Some(b' ') = i.first() {
            let (r, name) = atom(&i[1..])?;
            let (r, _) = sp(r)?;
            let isn = |s: &str| name.eq_ignore_ascii_case(s.as_bytes());
            let (r, item) = if isn("MIN") {
                let (r, n) = nz_number(r)?;
                (r, ESearchItem::Min(n))
            } else if isn("MAX") {
                let (r, n) = nz_number(r)?;
                (r, ESearchItem::Max(n))
            } else if isn("ALL") {
                let (r, s) = sequence_set(cx, r)?;
                (r, ESearchItem::All(s))
            } else if isn("COUNT") {
                let (r, n) = number(r)?;
                (r, ESearchItem::Count(n))
            } else if isn("MODSEQ") {
                let (r, n) = number64(r)?;
                (r, ESearchItem::ModSeq(n))
            } else {
                return fail();
            };
            items.push(item);
            cx.check_items(r, items.len())?;
            i = r;
        }
        Data::ESearch { tag, uid, items }.into_response(i)
    } else if is("THREAD") {
        let mut threads = Vec::new();
        let mut i = match i.first() {
            Some(b' ') => &i[1..],
            _ => i,
        };
        while let Some(b'(') = i.first() {
            let (r, t) = thread_list(cx, 1, i)?;
            threads.push(t);
            cx.check_items(r, threads.len())?;
            i = r;
        }
        Data::Thread(threads).into_response(i)
    } else if is("FLAGS") {
        let (i, _) = sp(i)?;
        let (i, v) = paren_list(cx, i, flag)?;
        Data::Flags(v).into_response(i)
    } else if is("ENABLED") {
        let mut v = Vec::new();
        let mut i = i;
        while let Some(b' ') = i.first() {
            let (r, a) = atom_owned(&i[1..])?;
            v.push(a);
            cx.check_items(r, v.len())?;
            i = r;
        }
        Data::Enabled(v).into_response(i)
    } else if is("NAMESPACE") {
        let (i, _) = sp(i)?;
        let (i, personal) = namespace(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, other) = namespace(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, shared) = namespace(cx, i)?;
        Data::Namespace {
            personal,
            other,
            shared,
        }
        .into_response(i)
    } else if is("ID") {
        let (i, _) = sp(i)?;
        let (i, p) = id_params(cx, i)?;
        Data::Id(p).into_response(i)
    } else if is("VANISHED") {
        let (i, _) = sp(i)?;
        let (i, earlier) = match kw("(EARLIER) ")(i) {
            Ok((i, _)) => (i, true),
            Err(_) => (i, false),
        };
        let (i, uids) = sequence_set(cx, i)?;
        Data::Vanished { earlier, uids }.into_response(i)
    } else {
        fail()
    }
}

trait IntoResponse {
    fn into_response(self, i: &[u8]) -> PResult<'_, Response>;
}

impl IntoResponse for Data {
    fn into_response(self, i: &[u8]) -> PResult<'_, Response> {
        Ok((i, Response::Data(self)))
    }
}

fn section_data<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SectionData> {
    match i.first() {
        Some(b'{') | Some(b'~') => {
            let (i, (d, _, _)) = literal_any(i)?;
            Ok((i, SectionData::Data(cx.bytes(d))))
        }
        _ => {
            let (i, s) = nstring(i)?;
            Ok((
                i,
                match s {
                    Some(s) => SectionData::Data(s.into()),
                    None => SectionData::Nil,
                },
            ))
        }
    }
}

/// One `msg-att` item.
fn msg_att<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, MessageDataItem> {
    use MessageDataItem as M;
    let (i, w) = take_while1(i, |b| b.is_ascii_alphanumeric() || b == b'.')?;
    let is = |s: &str| w.eq_ignore_ascii_case(s.as_bytes());
    if is("BODY") && i.first() == Some(&b'[') {
        let (i, section) = section(cx, i)?;
        let (i, origin) = match i.first() {
            Some(b'<') => {
                let (i, n) = number(&i[1..])?;
                let (i, _) = byte(b'>')(i)?;
                (i, Some(n))
            }
            _ => (i, None),
        };
        let (i, _) = sp(i)?;
        let (i, data) = section_data(cx, i)?;
        return Ok((
            i,
            M::BodySection {
                section,
                origin,
                data,
            },
        ));
    }
    if is("BINARY") {
        let (i, part) = section_binary(i)?;
        let (i, _) = sp(i)?;
        let (i, data) = section_data(cx, i)?;
        return Ok((i, M::Binary { part, data }));
    }
    if is("BINARY.SIZE") {
        let (i, part) = section_binary(i)?;
        let (i, _) = sp(i)?;
        let (i, size) = number64(i)?;
        return Ok((i, M::BinarySize { part, size }));
    }
    let (i, _) = sp(i)?;
    if is("FLAGS") {
        let (i, v) = paren_list(cx, i, flag_fetch)?;
        return Ok((i, M::Flags(v)));
    }
    if is("UID") {
        let (i, n) = nz_number(i)?;
        return Ok((i, M::Uid(n)));
    }
    if is("INTERNALDATE") {
        let (i, d) = date_time(i)?;
        return Ok((i, M::InternalDate(d)));
    }
    if is("RFC822.SIZE") {
        let (i, n) = number64(i)?;
        return Ok((i, M::Rfc822Size(n)));
    }
    if is("ENVELOPE") {
        let (i, e) = envelope(cx, i)?;
        return Ok((i, M::Envelope(Box::new(e))));
    }
    if is("BODY") {
        let (i, b) = body(cx, 1, i)?;
        return Ok((i, M::Body(Box::new(b))));
    }
    if is("BODYSTRUCTURE") {
        let (i, b) = body(cx, 1, i)?;
        return Ok((i, M::BodyStructure(Box::new(b))));
    }
    if is("RFC822") || is("RFC822.HEADER") || is("RFC822.TEXT") {
        let (i, d) = section_data(cx, i)?;
        return Ok((
            i,
            if is("RFC822") {
                M::Rfc822(d)
            } else if is("RFC822.HEADER") {
                M::Rfc822Header(d)
            } else {
                M::Rfc822Text(d)
            },
        ));
    }
    if is("MODSEQ") {
        let (i, _) = byte(b'(')(i)?;
        let (i, n) = number64(i)?;
        let (i, _) = byte(b')')(i)?;
        return Ok((i, M::ModSeq(n)));
    }
    fail()
}
