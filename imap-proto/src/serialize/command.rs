//! Commands to bytes (client side).

use bytes::BytesMut;

use crate::types::{
    Command, CommandBody, EntryType, FetchAttribute, FetchItems, FetchModifier, ListReturnOption,
    ListSelectOption, Partial, SearchKey, SearchReturnOption, Section, SectionText,
    SelectParameter, SortKey, StatusItem, StoreKind, ThreadAlgorithm,
};

use super::{EncodeOptions, Fragment, Writer};

/// Writes a command, literals inline (for LITERAL+ servers, or when the
/// caller handles continuations itself).
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use imap_proto::serialize::{encode_command, EncodeOptions};
/// use imap_proto::types::{Command, CommandBody, Tag};
/// let mut out = BytesMut::new();
/// encode_command(&Command { tag: Tag::new("a").unwrap(), body: CommandBody::Noop }, EncodeOptions::default(), &mut out);
/// assert_eq!(&out[..], b"a NOOP\r\n");
/// ```
pub fn encode_command(cmd: &Command, opts: EncodeOptions, out: &mut BytesMut) {
    let mut w = Writer::new(out, opts, true, false);
    command(&mut w, cmd);
}

/// Writes a command as fragments: after each [`Fragment::Line`] that ends
/// with a synchronizing literal header, wait for the server's `+`.
///
/// # Examples
///
/// ```
/// use imap_proto::serialize::{command_fragments, EncodeOptions, Fragment};
/// use imap_proto::types::{Command, CommandBody, Tag, Secret};
/// let c = Command { tag: Tag::new("a").unwrap(), body: CommandBody::Login {
///     username: b"fred".to_vec(), password: Secret::new(b"p\r\nw".to_vec()) } };
/// let f = command_fragments(&c, EncodeOptions::default());
/// assert_eq!(f[0], Fragment::Line("a LOGIN fred {4}\r\n".into()));
/// assert_eq!(f.len(), 3);
/// ```
pub fn command_fragments(cmd: &Command, opts: EncodeOptions) -> Vec<Fragment> {
    let mut buf = BytesMut::new();
    let mut w = Writer::new(&mut buf, opts, true, true);
    command(&mut w, cmd);
    w.finish().unwrap_or_default()
}

fn command(w: &mut Writer<'_>, cmd: &Command) {
    use CommandBody as C;
    w.raw(cmd.tag.as_str().as_bytes());
    w.sp();
    w.raw(cmd.body.name().as_bytes());
    match &cmd.body {
        C::Capability
        | C::Noop
        | C::Logout
        | C::StartTls
        | C::Namespace
        | C::Idle
        | C::Check
        | C::Close
        | C::Unselect
        | C::Expunge => {}
        C::Authenticate {
            mechanism,
            initial_response,
        } => {
            w.sp();
            w.raw(mechanism.as_str().as_bytes());
            if let Some(ir) = initial_response {
                w.sp();
                if ir.expose().is_empty() {
                    w.byte(b'=');
                } else {
                    let mut e = Vec::new();
                    crate::base64::encode(ir.expose(), &mut e);
                    w.raw(&e);
                }
            }
        }
        C::Login { username, password } => {
            w.sp();
            w.astring(username);
            w.sp();
            w.astring(password.expose());
        }
        C::Enable { capabilities } => {
            for c in capabilities.iter() {
                w.sp();
                w.raw(c.as_str().as_bytes());
            }
        }
        C::Select {
            mailbox,
            parameters,
        }
        | C::Examine {
            mailbox,
            parameters,
        } => {
            w.sp();
            w.mailbox(mailbox);
            if !parameters.is_empty() {
                w.sp();
                w.list(parameters, select_param);
            }
        }
        C::Create {
            mailbox,
            special_use,
        } => {
            w.sp();
            w.mailbox(mailbox);
            if let Some(u) = special_use {
                w.raw(b" (USE ");
                w.list(u, |w, a| w.mailbox_attr(a));
                w.byte(b')');
            }
        }
        C::Delete { mailbox } | C::Subscribe { mailbox } | C::Unsubscribe { mailbox } => {
            w.sp();
            w.mailbox(mailbox);
        }
        C::Rename { from, to } => {
            w.sp();
            w.mailbox(from);
            w.sp();
            w.mailbox(to);
        }
        C::List {
            selection,
            reference,
            patterns,
            return_options,
        } => {
            if let Some(s) = selection {
                w.sp();
                w.list(s, |w, o| {
                    w.raw(match o {
                        ListSelectOption::Subscribed => b"SUBSCRIBED" as &[u8],
                        ListSelectOption::Remote => b"REMOTE",
                        ListSelectOption::RecursiveMatch => b"RECURSIVEMATCH",
                        ListSelectOption::SpecialUse => b"SPECIAL-USE",
                    })
                });
            }
            w.sp();
            w.mailbox(reference);
            w.sp();
            if patterns.len() == 1 {
                w.list_mailbox(&patterns[0]);
            } else {
                w.list(patterns, |w, p| w.list_mailbox(p));
            }
            if let Some(r) = return_options {
                w.raw(b" RETURN ");
                w.list(r, |w, o| match o {
                    ListReturnOption::Subscribed => w.raw(b"SUBSCRIBED"),
                    ListReturnOption::Children => w.raw(b"CHILDREN"),
                    ListReturnOption::SpecialUse => w.raw(b"SPECIAL-USE"),
                    ListReturnOption::Status(items) => {
                        w.raw(b"STATUS ");
                        w.list(items, |w, i| status_item(w, *i));
                    }
                });
            }
        }
        C::Lsub { reference, pattern } => {
            w.sp();
            w.mailbox(reference);
            w.sp();
            w.list_mailbox(pattern);
        }
        C::Status { mailbox, items } => {
            w.sp();
            w.mailbox(mailbox);
            w.sp();
            w.list(items, |w, i| status_item(w, *i));
        }
        C::Append { mailbox, messages } => {
            w.sp();
            w.mailbox(mailbox);
            for m in messages.iter() {
                if let Some(f) = &m.flags {
                    w.sp();
                    w.list(f, |w, f| w.flag(f));
                }
                if let Some(d) = &m.date {
                    w.sp();
                    w.date_time(d);
                }
                w.sp();
                if m.utf8 {
                    w.raw(b"UTF8 (");
                }
                let l = &m.message;
                w.literal(&l.data, Some(&l.data), l.binary || m.utf8, l.mode);
                if m.utf8 {
                    w.byte(b')');
                }
            }
        }
        C::UidExpunge { uids } => {
            w.sp();
            w.sequence_set(uids);
        }
        C::Search {
            return_options,
            charset,
            criteria,
            ..
        } => {
            if let Some(r) = return_options {
                w.raw(b" RETURN ");
                w.list(r, |w, o| {
                    w.raw(match o {
                        SearchReturnOption::Min => b"MIN" as &[u8],
                        SearchReturnOption::Max => b"MAX",
                        SearchReturnOption::All => b"ALL",
                        SearchReturnOption::Count => b"COUNT",
                        SearchReturnOption::Save => b"SAVE",
                    })
                });
            }
            if let Some(c) = charset {
                w.raw(b" CHARSET ");
                w.atom_or_quoted(c.0.as_bytes());
            }
            for k in criteria.iter() {
                w.sp();
                search_key(w, k);
            }
        }
        C::Fetch {
            sequence_set,
            items,
            modifiers,
            ..
        } => {
            w.sp();
            w.sequence_set(sequence_set);
            w.sp();
            match items {
                FetchItems::All => w.raw(b"ALL"),
                FetchItems::Fast => w.raw(b"FAST"),
                FetchItems::Full => w.raw(b"FULL"),
                FetchItems::Attributes(a) if a.len() == 1 => fetch_att(w, &a[0]),
                FetchItems::Attributes(a) => w.list(a, fetch_att),
            }
            if !modifiers.is_empty() {
                w.sp();
                w.list(modifiers, |w, m| match m {
                    FetchModifier::ChangedSince(n) => {
                        w.raw(b"CHANGEDSINCE ");
                        w.number(*n);
                    }
                    FetchModifier::Vanished => w.raw(b"VANISHED"),
                });
            }
        }
        C::Store {
            sequence_set,
            unchanged_since,
            kind,
            silent,
            flags,
            ..
        } => {
            w.sp();
            w.sequence_set(sequence_set);
            if let Some(n) = unchanged_since {
                w.raw(b" (UNCHANGEDSINCE ");
                w.number(*n);
                w.byte(b')');
            }
            w.sp();
            match kind {
                StoreKind::Replace => {}
                StoreKind::Add => w.byte(b'+'),
                StoreKind::Remove => w.byte(b'-'),
            }
            w.raw(b"FLAGS");
            if *silent {
                w.raw(b".SILENT");
            }
            w.sp();
            w.list(flags, |w, f| w.flag(f));
        }
        C::Copy {
            sequence_set,
            mailbox,
            ..
        }
        | C::Move {
            sequence_set,
            mailbox,
            ..
        } => {
            w.sp();
            w.sequence_set(sequence_set);
            w.sp();
            w.mailbox(mailbox);
        }
        C::Id { parameters } => {
            w.sp();
            id_params(w, parameters);
        }
        C::Compress { algorithm } => {
            w.sp();
            w.raw(algorithm.as_str().as_bytes());
        }
        C::Sort {
            criteria,
            charset,
            search,
            ..
        } => {
            w.sp();
            w.list(criteria, |w, c| {
                if c.reverse {
                    w.raw(b"REVERSE ");
                }
                w.raw(match c.key {
                    SortKey::Arrival => b"ARRIVAL" as &[u8],
                    SortKey::Cc => b"CC",
                    SortKey::Date => b"DATE",
                    SortKey::From => b"FROM",
                    SortKey::Size => b"SIZE",
                    SortKey::Subject => b"SUBJECT",
                    SortKey::To => b"TO",
                    SortKey::DisplayFrom => b"DISPLAYFROM",
                    SortKey::DisplayTo => b"DISPLAYTO",
                });
            });
            w.sp();
            w.atom_or_quoted(charset.0.as_bytes());
            for k in search.iter() {
                w.sp();
                search_key(w, k);
            }
        }
        C::Thread {
            algorithm,
            charset,
            search,
            ..
        } => {
            w.sp();
            match algorithm {
                ThreadAlgorithm::OrderedSubject => w.raw(b"ORDEREDSUBJECT"),
                ThreadAlgorithm::References => w.raw(b"REFERENCES"),
                ThreadAlgorithm::Other(a) => w.raw(a.as_str().as_bytes()),
            }
            w.sp();
            w.atom_or_quoted(charset.0.as_bytes());
            for k in search.iter() {
                w.sp();
                search_key(w, k);
            }
        }
    }
    w.crlf();
}

pub(crate) fn id_params(w: &mut Writer<'_>, p: &crate::types::IdParameters) {
    match p {
        None => w.raw(b"NIL"),
        Some(v) => w.list(v, |w, (k, v)| {
            w.string(k);
            w.sp();
            w.nstring(v);
        }),
    }
}

fn select_param(w: &mut Writer<'_>, p: &SelectParameter) {
    match p {
        SelectParameter::CondStore => w.raw(b"CONDSTORE"),
        SelectParameter::QResync {
            uid_validity,
            modseq,
            known_uids,
            seq_match,
        } => {
            w.raw(b"QRESYNC (");
            w.number(uid_validity.get() as u64);
            w.sp();
            w.number(*modseq);
            if let Some(k) = known_uids {
                w.sp();
                w.sequence_set(k);
            }
            if let Some((s, u)) = seq_match {
                w.raw(b" (");
                w.sequence_set(s);
                w.sp();
                w.sequence_set(u);
                w.byte(b')');
            }
            w.byte(b')');
        }
    }
}

pub(crate) fn status_item(w: &mut Writer<'_>, i: StatusItem) {
    w.raw(match i {
        StatusItem::Messages => b"MESSAGES" as &[u8],
        StatusItem::UidNext => b"UIDNEXT",
        StatusItem::UidValidity => b"UIDVALIDITY",
        StatusItem::Unseen => b"UNSEEN",
        StatusItem::Deleted => b"DELETED",
        StatusItem::Size => b"SIZE",
        StatusItem::Recent => b"RECENT",
        StatusItem::HighestModSeq => b"HIGHESTMODSEQ",
    });
}

pub(crate) fn section(w: &mut Writer<'_>, s: &Section) {
    w.byte(b'[');
    w.sep(&s.part, b'.', |w, n| w.number(n.get() as u64));
    if let Some(t) = &s.text {
        if !s.part.is_empty() {
            w.byte(b'.');
        }
        match t {
            SectionText::Header => w.raw(b"HEADER"),
            SectionText::Text => w.raw(b"TEXT"),
            SectionText::Mime => w.raw(b"MIME"),
            SectionText::HeaderFields { not, fields } => {
                w.raw(if *not {
                    b"HEADER.FIELDS.NOT "
                } else {
                    b"HEADER.FIELDS "
                });
                w.list(fields, |w, f| w.astring(f));
            }
        }
    }
    w.byte(b']');
}

pub(crate) fn section_binary(w: &mut Writer<'_>, p: &[std::num::NonZeroU32]) {
    w.byte(b'[');
    w.sep(p, b'.', |w, n| w.number(n.get() as u64));
    w.byte(b']');
}

fn partial(w: &mut Writer<'_>, p: &Option<Partial>) {
    if let Some(p) = p {
        w.byte(b'<');
        w.number(p.origin as u64);
        w.byte(b'.');
        w.number(p.length.get() as u64);
        w.byte(b'>');
    }
}

fn fetch_att(w: &mut Writer<'_>, a: &FetchAttribute) {
    use FetchAttribute as A;
    match a {
        A::Envelope => w.raw(b"ENVELOPE"),
        A::Flags => w.raw(b"FLAGS"),
        A::InternalDate => w.raw(b"INTERNALDATE"),
        A::Rfc822 => w.raw(b"RFC822"),
        A::Rfc822Header => w.raw(b"RFC822.HEADER"),
        A::Rfc822Size => w.raw(b"RFC822.SIZE"),
        A::Rfc822Text => w.raw(b"RFC822.TEXT"),
        A::Body => w.raw(b"BODY"),
        A::BodyStructure => w.raw(b"BODYSTRUCTURE"),
        A::Uid => w.raw(b"UID"),
        A::ModSeq => w.raw(b"MODSEQ"),
        A::BodySection {
            section: s,
            partial: p,
            peek,
        } => {
            w.raw(if *peek { b"BODY.PEEK" } else { b"BODY" });
            section(w, s);
            partial(w, p);
        }
        A::Binary {
            part,
            partial: p,
            peek,
        } => {
            w.raw(if *peek { b"BINARY.PEEK" } else { b"BINARY" });
            section_binary(w, part);
            partial(w, p);
        }
        A::BinarySize { part } => {
            w.raw(b"BINARY.SIZE");
            section_binary(w, part);
        }
    }
}

fn search_key(w: &mut Writer<'_>, k: &SearchKey) {
    use SearchKey as K;
    let (name, arg): (&[u8], Option<&[u8]>) = match k {
        K::All => (b"ALL", None),
        K::Answered => (b"ANSWERED", None),
        K::Deleted => (b"DELETED", None),
        K::Draft => (b"DRAFT", None),
        K::Flagged => (b"FLAGGED", None),
        K::New => (b"NEW", None),
        K::Old => (b"OLD", None),
        K::Recent => (b"RECENT", None),
        K::Seen => (b"SEEN", None),
        K::Unanswered => (b"UNANSWERED", None),
        K::Undeleted => (b"UNDELETED", None),
        K::Undraft => (b"UNDRAFT", None),
        K::Unflagged => (b"UNFLAGGED", None),
        K::Unseen => (b"UNSEEN", None),
        K::Bcc(s) => (b"BCC", Some(s)),
        K::Body(s) => (b"BODY", Some(s)),
        K::Cc(s) => (b"CC", Some(s)),
        K::From(s) => (b"FROM", Some(s)),
        K::Subject(s) => (b"SUBJECT", Some(s)),
        K::Text(s) => (b"TEXT", Some(s)),
        K::To(s) => (b"TO", Some(s)),
        K::Header(n, v) => {
            w.raw(b"HEADER ");
            w.astring(n);
            w.sp();
            w.astring(v);
            return;
        }
        K::Before(d)
        | K::On(d)
        | K::Since(d)
        | K::SentBefore(d)
        | K::SentOn(d)
        | K::SentSince(d) => {
            w.raw(match k {
                K::Before(_) => b"BEFORE " as &[u8],
                K::On(_) => b"ON ",
                K::Since(_) => b"SINCE ",
                K::SentBefore(_) => b"SENTBEFORE ",
                K::SentOn(_) => b"SENTON ",
                _ => b"SENTSINCE ",
            });
            w.date(d);
            return;
        }
        K::Keyword(a) | K::Unkeyword(a) => {
            w.raw(if matches!(k, K::Keyword(_)) {
                b"KEYWORD "
            } else {
                b"UNKEYWORD "
            });
            w.raw(a.as_str().as_bytes());
            return;
        }
        K::Larger(n) | K::Smaller(n) => {
            w.raw(if matches!(k, K::Larger(_)) {
                b"LARGER "
            } else {
                b"SMALLER "
            });
            w.number(*n);
            return;
        }
        K::Older(n) | K::Younger(n) => {
            w.raw(if matches!(k, K::Older(_)) {
                b"OLDER "
            } else {
                b"YOUNGER "
            });
            w.number(*n as u64);
            return;
        }
        K::Uid(s) => {
            w.raw(b"UID ");
            w.sequence_set(s);
            return;
        }
        K::SequenceSet(s) => {
            w.sequence_set(s);
            return;
        }
        K::Not(k) => {
            w.raw(b"NOT ");
            search_key(w, k);
            return;
        }
        K::Or(a, b) => {
            w.raw(b"OR ");
            search_key(w, a);
            w.sp();
            search_key(w, b);
            return;
        }
        K::And(v) => {
            w.list(v, search_key);
            return;
        }
        K::ModSeq { entry, modseq } => {
            w.raw(b"MODSEQ ");
            if let Some((name, t)) = entry {
                w.quoted(name);
                w.raw(match t {
                    EntryType::Private => b" priv " as &[u8],
                    EntryType::Shared => b" shared ",
                    EntryType::All => b" all ",
                });
            }
            w.number(*modseq);
            return;
        }
    };
    w.raw(name);
    if let Some(a) = arg {
        w.sp();
        w.astring(a);
    }
}
