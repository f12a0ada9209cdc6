//! Responses to bytes (server side).

use bytes::BytesMut;

use crate::types::{
    Address, BodyExtension, BodyParameters, BodyStructure, Code, Continuation, Data,
    DispositionTail, ESearchItem, Envelope, ListData, ListExtendedItem, MessageDataItem,
    NamespaceDescription, Response, SIMPLE_CODES, SectionData, SpecificFields, StatusKind, Thread,
    UidRange,
};

use super::command::{id_params, section, section_binary, status_item};
use super::{EncodeError, EncodeOptions, Fragment, Writer};

/// Writes a response into one buffer.
///
/// Fails only for [`SectionData::External`], which needs [`response_fragments`].
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use imap_proto::serialize::{encode_response, EncodeOptions};
/// use imap_proto::types::{Response, Data};
/// let mut out = BytesMut::new();
/// encode_response(&Response::Data(Data::Exists(172)), EncodeOptions::default(), &mut out).unwrap();
/// assert_eq!(&out[..], b"* 172 EXISTS\r\n");
/// ```
pub fn encode_response(
    r: &Response,
    opts: EncodeOptions,
    out: &mut BytesMut,
) -> Result<(), EncodeError> {
    let start = out.len();
    let mut w = Writer::new(out, opts, false, false);
    response(&mut w, r);
    if w.external {
        out.truncate(start);
        return Err(EncodeError::ExternalData);
    }
    Ok(())
}

/// Writes a response as fragments: literal octets of 1 KiB or more come
/// as their own [`Fragment::Literal`] (the `Bytes` is shared, not copied),
/// and [`SectionData::External`] becomes a [`Fragment::External`] hole that
/// the owner fills from its reader, so a large `BODY[]` is never built in
/// one buffer.
///
/// # Examples
///
/// ```
/// use std::num::NonZeroU32;
/// use imap_proto::serialize::{response_fragments, EncodeOptions, Fragment};
/// use imap_proto::types::*;
/// let r = Response::Data(Data::Fetch {
///     seq: NonZeroU32::new(1).unwrap(),
///     items: Vec1::one(MessageDataItem::BodySection {
///         section: Section::default(), origin: None, data: SectionData::External { length: 10_000_000 } }),
/// });
/// let f = response_fragments(&r, EncodeOptions::default());
/// assert_eq!(f[0], Fragment::Line("* 1 FETCH (BODY[] {10000000}\r\n".into()));
/// assert_eq!(f[1], Fragment::External { length: 10_000_000 });
/// assert_eq!(f[2], Fragment::Line(")\r\n".into()));
/// ```
pub fn response_fragments(r: &Response, opts: EncodeOptions) -> Vec<Fragment> {
    let mut buf = BytesMut::new();
    let mut w = Writer::new(&mut buf, opts, false, true);
    response(&mut w, r);
    w.finish().unwrap_or_default()
}

fn response(w: &mut Writer<'_>, r: &Response) {
    match r {
        Response::Status(s) => {
            match &s.tag {
                Some(t) => w.raw(t.as_str().as_bytes()),
                None => w.byte(b'*'),
            }
            w.sp();
            w.raw(match s.kind {
                StatusKind::Ok => b"OK" as &[u8],
                StatusKind::No => b"NO",
                StatusKind::Bad => b"BAD",
                StatusKind::PreAuth => b"PREAUTH",
                StatusKind::Bye => b"BYE",
            });
            if let Some(c) = &s.code {
                w.raw(b" [");
                code(w, c);
                w.byte(b']');
            }
            if !s.text.is_empty() {
                w.sp();
                w.text(&s.text);
            }
        }
        Response::Continuation(c) => {
            w.raw(b"+ ");
            match c {
                Continuation::Text { code: c, text } => {
                    if let Some(c) = c {
                        w.byte(b'[');
                        code(w, c);
                        w.byte(b']');
                        if !text.is_empty() {
                            w.sp();
                        }
                    }
                    w.text(text);
                }
                Continuation::Base64(d) => {
                    let mut e = Vec::new();
                    crate::base64::encode(d, &mut e);
                    w.raw(&e);
                }
            }
        }
        Response::Data(d) => {
            w.raw(b"* ");
            data(w, d);
        }
    }
    w.crlf();
}

fn uid_set(w: &mut Writer<'_>, s: &[UidRange]) {
    w.sep(s, b',', |w, r| match r {
        UidRange::Single(n) => w.number(n.get() as u64),
        UidRange::Range(a, b) => {
            w.number(a.get() as u64);
            w.byte(b':');
            w.number(b.get() as u64);
        }
    });
}

fn code(w: &mut Writer<'_>, c: &Code) {
    for (n, s) in SIMPLE_CODES {
        if s == c {
            w.raw(n.as_bytes());
            return;
        }
    }
    match c {
        Code::BadCharset(v) => {
            w.raw(b"BADCHARSET");
            if !v.is_empty() {
                w.sp();
                w.list(v, |w, c| w.atom_or_quoted(c));
            }
        }
        Code::Capability(v) => {
            w.raw(b"CAPABILITY");
            for a in v.iter() {
                w.sp();
                w.raw(a.as_str().as_bytes());
            }
        }
        Code::PermanentFlags(v) => {
            w.raw(b"PERMANENTFLAGS ");
            w.list(v, |w, f| w.flag_perm(f));
        }
        Code::UidNext(n) => {
            w.raw(b"UIDNEXT ");
            w.number(n.get() as u64);
        }
        Code::UidValidity(n) => {
            w.raw(b"UIDVALIDITY ");
            w.number(n.get() as u64);
        }
        Code::Unseen(n) => {
            w.raw(b"UNSEEN ");
            w.number(n.get() as u64);
        }
        Code::AppendUid { uid_validity, uids } => {
            w.raw(b"APPENDUID ");
            w.number(uid_validity.get() as u64);
            w.sp();
            uid_set(w, uids);
        }
        Code::CopyUid {
            uid_validity,
            source,
            destination,
        } => {
            w.raw(b"COPYUID ");
            w.number(uid_validity.get() as u64);
            w.sp();
            uid_set(w, source);
            w.sp();
            uid_set(w, destination);
        }
        Code::HighestModSeq(n) => {
            w.raw(b"HIGHESTMODSEQ ");
            w.number(*n);
        }
        Code::Modified(s) => {
            w.raw(b"MODIFIED ");
            w.sequence_set(s);
        }
        Code::Other(a, t) => {
            w.raw(a.as_str().as_bytes());
            if let Some(t) = t {
                w.sp();
                let clean: String = t.chars().map(|c| if c == ']' { ' ' } else { c }).collect();
                w.text(&clean);
            }
        }
        _ => {}
    }
}

fn numbers_modseq(w: &mut Writer<'_>, name: &[u8], n: &[std::num::NonZeroU32], m: &Option<u64>) {
    w.raw(name);
    for x in n {
        w.sp();
        w.number(x.get() as u64);
    }
    if let Some(m) = m {
        w.raw(b" (MODSEQ ");
        w.number(*m);
        w.byte(b')');
    }
}

fn delimiter(w: &mut Writer<'_>, d: &Option<char>) {
    match d {
        None => w.raw(b"NIL"),
        Some(c) => {
            let mut b = [0u8; 4];
            w.quoted(c.encode_utf8(&mut b).as_bytes());
        }
    }
}

fn list_data(w: &mut Writer<'_>, name: &[u8], l: &ListData) {
    w.raw(name);
    w.sp();
    w.list(&l.attributes, |w, a| w.mailbox_attr(a));
    w.sp();
    delimiter(w, &l.delimiter);
    w.sp();
    w.mailbox(&l.mailbox);
    if !l.extended.is_empty() {
        w.sp();
        w.list(&l.extended, |w, e| match e {
            ListExtendedItem::ChildInfo(v) => {
                w.raw(b"\"CHILDINFO\" ");
                w.list(v, |w, s| w.string(s));
            }
            ListExtendedItem::OldName(m) => {
                w.raw(b"\"OLDNAME\" (");
                w.mailbox(m);
                w.byte(b')');
            }
            ListExtendedItem::Other { tag, value } => {
                w.astring(tag);
                w.sp();
                w.raw(value);
            }
        });
    }
}

fn namespace(w: &mut Writer<'_>, n: &Option<crate::types::Vec1<NamespaceDescription>>) {
    match n {
        None => w.raw(b"NIL"),
        Some(v) => {
            w.byte(b'(');
            for d in v.iter() {
                w.byte(b'(');
                w.string(&d.prefix);
                w.sp();
                delimiter(w, &d.delimiter);
                for (name, vals) in &d.extensions {
                    w.sp();
                    w.string(name);
                    w.sp();
                    w.list(vals, |w, s| w.string(s));
                }
                w.byte(b')');
            }
            w.byte(b')');
        }
    }
}

fn thread(w: &mut Writer<'_>, t: &Thread) {
    w.byte(b'(');
    w.sep(&t.members, b' ', |w, n| w.number(n.get() as u64));
    if !t.children.is_empty() {
        if !t.members.is_empty() {
            w.sp();
        }
        for c in &t.children {
            thread(w, c);
        }
    }
    w.byte(b')');
}

fn data(w: &mut Writer<'_>, d: &Data) {
    match d {
        Data::Capability(v) => {
            w.raw(b"CAPABILITY");
            for a in v.iter() {
                w.sp();
                w.raw(a.as_str().as_bytes());
            }
        }
        Data::List(l) => list_data(w, b"LIST", l),
        Data::Lsub(l) => list_data(w, b"LSUB", l),
        Data::Status { mailbox, items } => {
            w.raw(b"STATUS ");
            w.mailbox(mailbox);
            w.sp();
            w.list(items, |w, v| {
                status_item(w, v.item);
                w.sp();
                w.number(v.value);
            });
        }
        Data::Search { numbers, modseq } => numbers_modseq(w, b"SEARCH", numbers, modseq),
        Data::Sort { numbers, modseq } => numbers_modseq(w, b"SORT", numbers, modseq),
        Data::ESearch { tag, uid, items } => {
            w.raw(b"ESEARCH");
            if let Some(t) = tag {
                w.raw(b" (TAG ");
                w.string(t);
                w.byte(b')');
            }
            if *uid {
                w.raw(b" UID");
            }
            for i in items {
                w.sp();
                match i {
                    ESearchItem::Min(n) => {
                        w.raw(b"MIN ");
                        w.number(n.get() as u64);
                    }
                    ESearchItem::Max(n) => {
                        w.raw(b"MAX ");
                        w.number(n.get() as u64);
                    }
                    ESearchItem::All(s) => {
                        w.raw(b"ALL ");
                        w.sequence_set(s);
                    }
                    ESearchItem::Count(n) => {
                        w.raw(b"COUNT ");
                        w.number(*n as u64);
                    }
                    ESearchItem::ModSeq(n) => {
                        w.raw(b"MODSEQ ");
                        w.number(*n);
                    }
                }
            }
        }
        Data::Thread(v) => {
            w.raw(b"THREAD");
            if !v.is_empty() {
                w.sp();
                for t in v {
                    thread(w, t);
                }
            }
        }
        Data::Flags(v) => {
            w.raw(b"FLAGS ");
            w.list(v, |w, f| w.flag(f));
        }
        Data::Exists(n) => {
            w.number(*n as u64);
            w.raw(b" EXISTS");
        }
        Data::Recent(n) => {
            w.number(*n as u64);
            w.raw(b" RECENT");
        }
        Data::Expunge(n) => {
            w.number(n.get() as u64);
            w.raw(b" EXPUNGE");
        }
        Data::Fetch { seq, items } => {
            w.number(seq.get() as u64);
            w.raw(b" FETCH ");
            w.list(items, msg_att);
        }
        Data::Enabled(v) => {
            w.raw(b"ENABLED");
            for a in v {
                w.sp();
                w.raw(a.as_str().as_bytes());
            }
        }
        Data::Namespace {
            personal,
            other,
            shared,
        } => {
            w.raw(b"NAMESPACE ");
            namespace(w, personal);
            w.sp();
            namespace(w, other);
            w.sp();
            namespace(w, shared);
        }
        Data::Id(p) => {
            w.raw(b"ID ");
            id_params(w, p);
        }
        Data::Vanished { earlier, uids } => {
            w.raw(b"VANISHED ");
            if *earlier {
                w.raw(b"(EARLIER) ");
            }
            w.sequence_set(uids);
        }
    }
}

fn section_data(w: &mut Writer<'_>, d: &SectionData, binary: bool) {
    match d {
        SectionData::Nil => w.raw(b"NIL"),
        SectionData::Data(b) => {
            if binary && b.contains(&0) {
                w.literal(b, Some(b), true, crate::types::LiteralMode::Sync);
            } else {
                w.string_bytes(b);
            }
        }
        SectionData::External { length } => w.external(*length),
    }
}

fn msg_att(w: &mut Writer<'_>, m: &MessageDataItem) {
    use MessageDataItem as M;
    match m {
        M::Flags(v) => {
            w.raw(b"FLAGS ");
            w.list(v, |w, f| w.flag_fetch(f));
        }
        M::Uid(n) => {
            w.raw(b"UID ");
            w.number(n.get() as u64);
        }
        M::InternalDate(d) => {
            w.raw(b"INTERNALDATE ");
            w.date_time(d);
        }
        M::Rfc822Size(n) => {
            w.raw(b"RFC822.SIZE ");
            w.number(*n);
        }
        M::Envelope(e) => {
            w.raw(b"ENVELOPE ");
            envelope(w, e);
        }
        M::Body(b) => {
            w.raw(b"BODY ");
            body(w, b);
        }
        M::BodyStructure(b) => {
            w.raw(b"BODYSTRUCTURE ");
            body(w, b);
        }
        M::BodySection {
            section: s,
            origin,
            data,
        } => {
            w.raw(b"BODY");
            section(w, s);
            if let Some(o) = origin {
                w.byte(b'<');
                w.number(*o as u64);
                w.byte(b'>');
            }
            w.sp();
            section_data(w, data, false);
        }
        M::Binary { part, data } => {
            w.raw(b"BINARY");
            section_binary(w, part);
            w.sp();
            section_data(w, data, true);
        }
        M::BinarySize { part, size } => {
            w.raw(b"BINARY.SIZE");
            section_binary(w, part);
            w.sp();
            w.number(*size);
        }
        M::Rfc822(d) => {
            w.raw(b"RFC822 ");
            section_data(w, d, false);
        }
        M::Rfc822Header(d) => {
            w.raw(b"RFC822.HEADER ");
            section_data(w, d, false);
        }
        M::Rfc822Text(d) => {
            w.raw(b"RFC822.TEXT ");
            section_data(w, d, false);
        }
        M::ModSeq(n) => {
            w.raw(b"MODSEQ (");
            w.number(*n);
            w.byte(b')');
        }
    }
}

fn addresses(w: &mut Writer<'_>, v: &[Address]) {
    if v.is_empty() {
        w.raw(b"NIL");
        return;
    }
    w.byte(b'(');
    for a in v {
        w.byte(b'(');
        w.nstring(&a.name);
        w.sp();
        w.nstring(&a.adl);
        w.sp();
        w.nstring(&a.mailbox);
        w.sp();
        w.nstring(&a.host);
        w.byte(b')');
    }
    w.byte(b')');
}

/// Writes an ENVELOPE structure.
pub(crate) fn envelope(w: &mut Writer<'_>, e: &Envelope) {
    w.byte(b'(');
    w.nstring(&e.date);
    w.sp();
    w.nstring(&e.subject);
    for l in [&e.from, &e.sender, &e.reply_to, &e.to, &e.cc, &e.bcc] {
        w.sp();
        addresses(w, l);
    }
    w.sp();
    w.nstring(&e.in_reply_to);
    w.sp();
    w.nstring(&e.message_id);
    w.byte(b')');
}

fn params(w: &mut Writer<'_>, p: &BodyParameters) {
    if p.is_empty() {
        w.raw(b"NIL");
    } else {
        w.list(p, |w, (k, v)| {
            w.string(k);
            w.sp();
            w.string(v);
        });
    }
}

fn body(w: &mut Writer<'_>, b: &BodyStructure) {
    w.byte(b'(');
    match b {
        BodyStructure::Multi {
            bodies,
            subtype,
            extension,
        } => {
            for b in bodies.iter() {
                body(w, b);
            }
            w.sp();
            w.string(subtype);
            if let Some(e) = extension {
                w.sp();
                params(w, &e.parameters);
                tail(w, &e.tail);
            }
        }
        BodyStructure::Single { body: b, extension } => {
            let f = &b.fields;
            match &b.specific {
                SpecificFields::Basic {
                    media_type,
                    subtype,
                } => {
                    w.string(media_type);
                    w.sp();
                    w.string(subtype);
                }
                SpecificFields::Message { subtype, .. } => {
                    w.raw(b"\"MESSAGE\" ");
                    w.string(subtype);
                }
                SpecificFields::Text { subtype, .. } => {
                    w.raw(b"\"TEXT\" ");
                    w.string(subtype);
                }
            }
            w.sp();
            params(w, &f.parameters);
            w.sp();
            w.nstring(&f.id);
            w.sp();
            w.nstring(&f.description);
            w.sp();
            w.string(&f.encoding);
            w.sp();
            w.number(f.octets as u64);
            match &b.specific {
                SpecificFields::Basic { .. } => {}
                SpecificFields::Message {
                    envelope: e,
                    body_structure,
                    lines,
                    ..
                } => {
                    w.sp();
                    envelope(w, e);
                    w.sp();
                    body(w, body_structure);
                    w.sp();
                    w.number(*lines as u64);
                }
                SpecificFields::Text { lines, .. } => {
                    w.sp();
                    w.number(*lines as u64);
                }
            }
            if let Some(e) = extension {
                w.sp();
                w.nstring(&e.md5);
                tail(w, &e.tail);
            }
        }
    }
    w.byte(b')');
}

fn tail(w: &mut Writer<'_>, t: &Option<DispositionTail>) {
    let Some(t) = t else { return };
    w.sp();
    match &t.disposition {
        None => w.raw(b"NIL"),
        Some((kind, p)) => {
            w.byte(b'(');
            w.string(kind);
            w.sp();
            params(w, p);
            w.byte(b')');
        }
    }
    let Some(l) = &t.tail else { return };
    w.sp();
    match l.languages.as_slice() {
        [] => w.raw(b"NIL"),
        [one] => w.string(one),
        many => w.list(many, |w, s| w.string(s)),
    }
    let Some(loc) = &l.tail else { return };
    w.sp();
    w.nstring(&loc.location);
    for e in &loc.extensions {
        w.sp();
        extension(w, e);
    }
}

fn extension(w: &mut Writer<'_>, e: &BodyExtension) {
    match e {
        BodyExtension::NString(s) => w.nstring(s),
        BodyExtension::Number(n) => w.number(*n),
        BodyExtension::List(v) => w.list(v, extension),
    }
}
