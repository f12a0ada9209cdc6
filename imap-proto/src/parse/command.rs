//! The command grammar (RFC 3501 section 9 `command`, RFC 9051 section 9,
//! and the extensions: RFC 2177, 2342, 2971, 3502, 3691, 4315, 4466, 4731,
//! 4959, 4978, 5161, 5182, 5256, 5258, 5819, 6154, 6851, 6855, 7162, 7888).

use crate::types::{
    AppendMessage, Command, CommandBody, ListReturnOption, ListSelectOption, LiteralData,
    LiteralMode, MailboxAttribute, Secret, SelectParameter, StatusItem, StoreKind, Tag, Vec1,
};

use super::core::{
    Cx, PResult, astring, atom, atom_owned, byte, crlf, date_time, fail, flag, flag_list, kw,
    list_mailbox, literal_any, mailbox, nil, nstring, number64, nz_number, paren_list, paren_list1,
    sequence_set, sp, sp_list1, string, tag, take_while1, upper,
};
use super::fetch::{fetch_items, fetch_modifiers};
use super::search::{
    charset, match_upper, search_keys, search_program, search_return_opts, sort_criteria,
    thread_alg,
};

/// `command = tag SP (command-any / command-auth / command-nonauth / command-select) CRLF`.
pub(crate) fn command<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Command> {
    let (i, t) = tag(i)?;
    let (i, _) = sp(i)?;
    let (i, body) = command_body(cx, i)?;
    let (i, _) = crlf(i)?;
    Ok((
        i,
        Command {
            tag: Tag::from_valid(t),
            body,
        },
    ))
}

fn name(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(i, |b| b.is_ascii_alphabetic())
}

fn end(i: &[u8]) -> bool {
    matches!(i.first(), Some(b'\r'))
}

fn command_body<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    use CommandBody as C;
    let (i, n) = name(i)?;
    let mut ub = [0u8; 32];
    let up = upper(n, &mut ub);
    let is = |s: &str| up == s.as_bytes();
    // Commands without arguments.
    if end(i) {
        let c = match up {
            b"CAPABILITY" => C::Capability,
            b"NOOP" => C::Noop,
            b"LOGOUT" => C::Logout,
            b"STARTTLS" => C::StartTls,
            b"NAMESPACE" => C::Namespace,
            b"IDLE" => C::Idle,
            b"CHECK" => C::Check,
            b"CLOSE" => C::Close,
            b"UNSELECT" => C::Unselect,
            b"EXPUNGE" => C::Expunge,
            _ => return fail(),
        };
        return Ok((i, c));
    }
    let (i, _) = sp(i)?;
    if is("UID") {
        let (i, n) = name(i)?;
        let (i, _) = sp(i)?;
        return uid_command(cx, i, n, true);
    }
    if is("FETCH")
        || is("STORE")
        || is("COPY")
        || is("MOVE")
        || is("SEARCH")
        || is("SORT")
        || is("THREAD")
    {
        return uid_command(cx, i, n, false);
    }
    if is("LOGIN") {
        let (i, username) = astring(i)?;
        let (i, _) = sp(i)?;
        let (i, password) = astring(i)?;
        return Ok((
            i,
            C::Login {
                username,
                password: Secret::new(password),
            },
        ));
    }
    if is("AUTHENTICATE") {
        let (i, mechanism) = atom_owned(i)?;
        let (i, initial_response) = match i.first() {
            Some(b' ') => {
                let (i, b) = take_while1(&i[1..], |b| {
                    b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=')
                })?;
                let data = if b == b"=" {
                    Vec::new()
                } else {
                    match crate::base64::decode(b) {
                        Some(d) => d,
                        None => return fail(),
                    }
                };
                (i, Some(Secret::new(data)))
            }
            _ => (i, None),
        };
        return Ok((
            i,
            C::Authenticate {
                mechanism,
                initial_response,
            },
        ));
    }
    if is("ENABLE") {
        let (i, capabilities) = sp_list1(cx, i, atom_owned)?;
        return Ok((i, C::Enable { capabilities }));
    }
    if is("SELECT") || is("EXAMINE") {
        let (i, mailbox) = mailbox(cx, i)?;
        let (i, parameters) = match i.first() {
            Some(b' ') => paren_list(cx, &i[1..], |i| select_param(cx, i))?,
            _ => (i, Vec::new()),
        };
        return Ok((
            i,
            if is("SELECT") {
                C::Select {
                    mailbox,
                    parameters,
                }
            } else {
                C::Examine {
                    mailbox,
                    parameters,
                }
            },
        ));
    }
    if is("CREATE") {
        let (i, mailbox) = mailbox(cx, i)?;
        let (i, special_use) = match i.first() {
            Some(b' ') => {
                // create-params = "(" "USE" SP "(" [use-attr *(SP use-attr)] ")" ")"
                let (i, _) = byte(b'(')(&i[1..])?;
                let (i, _) = kw("USE ")(i)?;
                let (i, attrs) = paren_list(cx, i, mailbox_attr)?;
                let (i, _) = byte(b')')(i)?;
                (i, Some(attrs))
            }
            _ => (i, None),
        };
        return Ok((
            i,
            C::Create {
                mailbox,
                special_use,
            },
        ));
    }
    if is("DELETE") || is("SUBSCRIBE") || is("UNSUBSCRIBE") {
        let (i, mailbox) = mailbox(cx, i)?;
        let c = if is("DELETE") {
            C::Delete { mailbox }
        } else if is("SUBSCRIBE") {
            C::Subscribe { mailbox }
        } else {
            C::Unsubscribe { mailbox }
        };
        return Ok((i, c));
    }
    if is("RENAME") {
        let (i, from) = mailbox(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, to) = mailbox(cx, i)?;
        return Ok((i, C::Rename { from, to }));
    }
    if is("LIST") {
        return list(cx, i);
    }
    if is("LSUB") {
        let (i, reference) = mailbox(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, pattern) = list_mailbox(cx, i)?;
        return Ok((i, C::Lsub { reference, pattern }));
    }
    if is("STATUS") {
        let (i, mailbox) = mailbox(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, items) = paren_list(cx, i, status_item)?;
        return Ok((i, C::Status { mailbox, items }));
    }
    if is("APPEND") {
        return append(cx, i);
    }
    if is("ID") {
        let (i, parameters) = id_params(cx, i)?;
        return Ok((i, C::Id { parameters }));
    }
    if is("COMPRESS") {
        let (i, algorithm) = atom_owned(i)?;
        return Ok((i, C::Compress { algorithm }));
    }
    fail()
}

/// The commands that take a `UID` prefix (and `EXPUNGE`, which only exists with it).
fn uid_command<'a>(cx: &Cx<'_>, i: &'a [u8], n: &[u8], uid: bool) -> PResult<'a, CommandBody> {
    use CommandBody as C;
    let mut ub = [0u8; 32];
    let up = upper(n, &mut ub);
    let is = |s: &str| up == s.as_bytes();
    if is("FETCH") {
        let (i, sequence_set) = sequence_set(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, items) = fetch_items(cx, i)?;
        let (i, modifiers) = match i.first() {
            Some(b' ') => fetch_modifiers(cx, &i[1..])?,
            _ => (i, Vec::new()),
        };
        return Ok((
            i,
            C::Fetch {
                uid,
                sequence_set,
                items,
                modifiers,
            },
        ));
    }
    if is("STORE") {
        let (i, sequence_set) = sequence_set(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, unchanged_since) = match i.first() {
            Some(b'(') => {
                let (i, _) = kw("(UNCHANGEDSINCE ")(i)?;
                let (i, n) = number64(i)?;
                let (i, _) = byte(b')')(i)?;
                let (i, _) = sp(i)?;
                (i, Some(n))
            }
            _ => (i, None),
        };
        let (i, kind) = match i.first() {
            Some(b'+') => (&i[1..], StoreKind::Add),
            Some(b'-') => (&i[1..], StoreKind::Remove),
            _ => (i, StoreKind::Replace),
        };
        let (i, _) = kw("FLAGS")(i)?;
        let (i, silent) = match kw(".SILENT")(i) {
            Ok((i, _)) => (i, true),
            Err(_) => (i, false),
        };
        let (i, _) = sp(i)?;
        let (i, flags) = match i.first() {
            Some(b'(') => flag_list(cx, i)?,
            _ => {
                let (i, v) = sp_list1(cx, i, flag)?;
                (i, v.into_vec())
            }
        };
        return Ok((
            i,
            C::Store {
                uid,
                sequence_set,
                unchanged_since,
                kind,
                silent,
                flags,
            },
        ));
    }
    if is("COPY") || is("MOVE") {
        let (i, sequence_set) = sequence_set(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, mailbox) = mailbox(cx, i)?;
        return Ok((
            i,
            if is("COPY") {
                C::Copy {
                    uid,
                    sequence_set,
                    mailbox,
                }
            } else {
                C::Move {
                    uid,
                    sequence_set,
                    mailbox,
                }
            },
        ));
    }
    if is("SEARCH") {
        let (i, return_options) = match i.first() {
            Some(b'R') | Some(b'r') if kw("RETURN ")(i).is_ok() => {
                let (i, r) = search_return_opts(cx, i)?;
                let (i, _) = sp(i)?;
                (i, Some(r))
            }
            _ => (i, None),
        };
        let (i, (charset, criteria)) = search_program(cx, i)?;
        return Ok((
            i,
            C::Search {
                uid,
                return_options,
                charset,
                criteria,
            },
        ));
    }
    if is("SORT") {
        let (i, criteria) = sort_criteria(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, charset) = charset(i)?;
        let (i, _) = sp(i)?;
        let (i, search) = search_keys(cx, i)?;
        return Ok((
            i,
            C::Sort {
                uid,
                criteria,
                charset,
                search,
            },
        ));
    }
    if is("THREAD") {
        let (i, algorithm) = thread_alg(i)?;
        let (i, _) = sp(i)?;
        let (i, charset) = charset(i)?;
        let (i, _) = sp(i)?;
        let (i, search) = search_keys(cx, i)?;
        return Ok((
            i,
            C::Thread {
                uid,
                algorithm,
                charset,
                search,
            },
        ));
    }
    if is("EXPUNGE") && uid {
        let (i, uids) = sequence_set(cx, i)?;
        return Ok((i, C::UidExpunge { uids }));
    }
    fail()
}

/// `select-param`: `CONDSTORE` or `QRESYNC (...)` (RFC 7162 section 3.2.5).
fn select_param<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, SelectParameter> {
    let (i, a) = atom(i)?;
    if a.eq_ignore_ascii_case(b"CONDSTORE") {
        return Ok((i, SelectParameter::CondStore));
    }
    if !a.eq_ignore_ascii_case(b"QRESYNC") {
        return fail();
    }
    let (i, _) = sp(i)?;
    let (i, _) = byte(b'(')(i)?;
    let (i, uid_validity) = nz_number(i)?;
    let (i, _) = sp(i)?;
    let (i, modseq) = number64(i)?;
    let (i, known_uids) = match i {
        [b' ', c, ..] if c.is_ascii_digit() || *c == b'*' => {
            let (i, s) = sequence_set(cx, &i[1..])?;
            (i, Some(s))
        }
        _ => (i, None),
    };
    let (i, seq_match) = match i {
        [b' ', b'(', ..] => {
            let (i, _) = byte(b'(')(&i[1..])?;
            let (i, seqs) = sequence_set(cx, i)?;
            let (i, _) = sp(i)?;
            let (i, uids) = sequence_set(cx, i)?;
            let (i, _) = byte(b')')(i)?;
            (i, Some((seqs, uids)))
        }
        _ => (i, None),
    };
    let (i, _) = byte(b')')(i)?;
    Ok((
        i,
        SelectParameter::QResync {
            uid_validity,
            modseq,
            known_uids,
            seq_match,
        },
    ))
}

/// `"\" atom` in LIST responses and CREATE USE.
pub(crate) fn mailbox_attr(i: &[u8]) -> PResult<'_, MailboxAttribute> {
    let (i, _) = byte(b'\\')(i)?;
    let (i, a) = atom(i)?;
    Ok((i, MailboxAttribute::from_name(a)))
}

/// `status-att`.
pub(crate) fn status_item(i: &[u8]) -> PResult<'_, StatusItem> {
    let (i, a) = atom(i)?;
    match match_upper(a, STATUS_ITEMS) {
        Some(s) => Ok((i, s)),
        None => fail(),
    }
}

pub(crate) const STATUS_ITEMS: &[(&str, StatusItem)] = &[
    ("MESSAGES", StatusItem::Messages),
    ("UIDNEXT", StatusItem::UidNext),
    ("UIDVALIDITY", StatusItem::UidValidity),
    ("UNSEEN", StatusItem::Unseen),
    ("DELETED", StatusItem::Deleted),
    ("SIZE", StatusItem::Size),
    ("RECENT", StatusItem::Recent),
    ("HIGHESTMODSEQ", StatusItem::HighestModSeq),
];

/// `list = "LIST" [SP list-select-opts] SP mailbox SP mbox-or-pat [SP list-return-opts]` (RFC 5258).
fn list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (i, selection) = match i.first() {
        Some(b'(') => {
            let (i, v) = paren_list(cx, i, |i| {
                let (i, a) = atom(i)?;
                match match_upper(
                    a,
                    &[
                        ("SUBSCRIBED", ListSelectOption::Subscribed),
                        ("REMOTE", ListSelectOption::Remote),
                        ("RECURSIVEMATCH", ListSelectOption::RecursiveMatch),
                        ("SPECIAL-USE", ListSelectOption::SpecialUse),
                    ],
                ) {
                    Some(o) => Ok((i, o)),
                    None => fail(),
                }
            })?;
            let (i, _) = sp(i)?;
            (i, Some(v))
        }
        _ => (i, None),
    };
    let (i, reference) = mailbox(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, patterns) = match i.first() {
        Some(b'(') => paren_list1(cx, i, |i| list_mailbox(cx, i))?,
        _ => {
            let (i, p) = list_mailbox(cx, i)?;
            (i, Vec1::one(p))
        }
    };
    let (i, return_options) = match i.first() {
        Some(b' ') => {
            let (i, _) = kw(" RETURN ")(i)?;
            let (i, v) = paren_list(cx, i, |i| {
                let (i, a) = atom(i)?;
                if a.eq_ignore_ascii_case(b"STATUS") {
                    let (i, _) = sp(i)?;
                    let (i, items) = paren_list1(cx, i, status_item)?;
                    return Ok((i, ListReturnOption::Status(items)));
                }
                match match_upper(
                    a,
                    &[
                        ("SUBSCRIBED", ListReturnOption::Subscribed),
                        ("CHILDREN", ListReturnOption::Children),
                        ("SPECIAL-USE", ListReturnOption::SpecialUse),
                    ],
                ) {
                    Some(o) => Ok((i, o)),
                    None => fail(),
                }
            })?;
            (i, Some(v))
        }
        _ => (i, None),
    };
    Ok((
        i,
        CommandBody::List {
            selection,
            reference,
            patterns,
            return_options,
        },
    ))
}

/// `append = "APPEND" SP mailbox 1*append-message` (RFC 3502 MULTIAPPEND,
/// RFC 6855 `UTF8 (literal8)`, RFC 7888 `{N+}`).
fn append<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, CommandBody> {
    let (mut i, mailbox) = mailbox(cx, i)?;
    let mut messages = Vec::new();
    while let Some(b' ') = i.first() {
        let (r, m) = append_message(cx, &i[1..])?;
        messages.push(m);
        cx.check_items(r, messages.len())?;
        i = r;
    }
    match Vec1::new(messages) {
        Ok(messages) => Ok((i, CommandBody::Append { mailbox, messages })),
        Err(_) => fail(),
    }
}

/// What an APPEND message may carry before its literal, shared by the
/// whole-command and the streaming parsers: `[flag-list SP] [date-time SP]
/// ["UTF8 ("]`, the last as a flag (RFC 6855 section 4).
type AppendOptions = (
    Option<Vec<crate::types::Flag>>,
    Option<crate::types::DateTime>,
    bool,
);

fn append_options<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, AppendOptions> {
    let (i, flags) = match i.first() {
        Some(b'(') => {
            let (i, f) = flag_list(cx, i)?;
            let (i, _) = sp(i)?;
            (i, Some(f))
        }
        _ => (i, None),
    };
    let (i, date) = match i.first() {
        Some(b'"') => {
            let (i, d) = date_time(i)?;
            let (i, _) = sp(i)?;
            (i, Some(d))
        }
        _ => (i, None),
    };
    let (i, utf8) = match kw("UTF8 (")(i) {
        Ok((i, _)) => (i, true),
        Err(_) => (i, false),
    };
    Ok((i, (flags, date, utf8)))
}

/// `[flag-list SP] [date-time SP] (literal / literal8 / "UTF8" SP "(" literal8 ")")`.
pub(crate) fn append_message<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, AppendMessage> {
    let (i, (flags, date, utf8)) = append_options(cx, i)?;
    let (i, (data, binary, nonsync)) = literal_any(i)?;
    if utf8 && !binary {
        return fail();
    }
    let i = if utf8 { byte(b')')(i)?.0 } else { i };
    let message = LiteralData {
        data: cx.bytes(data),
        mode: if nonsync {
            LiteralMode::NonSync
        } else {
            LiteralMode::Sync
        },
        binary,
    };
    Ok((
        i,
        AppendMessage {
            flags,
            date,
            utf8,
            message,
        },
    ))
}

/// `id-params-list = "(" *(string SP nstring) ")" / nil` (RFC 2971).
pub(crate) fn id_params<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, crate::types::IdParameters> {
    if let Ok((i, _)) = nil(i) {
        return Ok((i, None));
    }
    let (i, v) = paren_list(cx, i, |i| {
        let (i, k) = string(i)?;
        let (i, _) = sp(i)?;
        let (i, v) = nstring(i)?;
        Ok((i, (k, v)))
    })?;
    Ok((i, Some(v)))
}

/// The part of an APPEND message before its octets, for streaming:
/// `[flag-list SP] [date-time SP] ["UTF8 ("] literal-header`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AppendHead {
    pub flags: Option<Vec<crate::types::Flag>>,
    pub date: Option<crate::types::DateTime>,
    pub utf8: bool,
    pub binary: bool,
    pub nonsync: bool,
    pub length: u64,
}

fn append_head<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, AppendHead> {
    let (i, (flags, date, utf8)) = append_options(cx, i)?;
    let (i, binary) = match i.first() {
        Some(b'~') => (&i[1..], true),
        _ => (i, false),
    };
    if utf8 && !binary {
        return fail();
    }
    let (i, _) = byte(b'{')(i)?;
    let (i, length) = number64(i)?;
    let (i, nonsync) = match i.first() {
        Some(b'+') => (&i[1..], true),
        _ => (i, false),
    };
    let (i, _) = byte(b'}')(i)?;
    let (i, _) = crlf(i)?;
    Ok((
        i,
        AppendHead {
            flags,
            date,
            utf8,
            binary,
            nonsync,
            length,
        },
    ))
}

/// `tag SP "APPEND" SP mailbox SP append-head`: the start of a streamed APPEND.
pub(crate) fn append_first<'a>(
    cx: &Cx<'_>,
    i: &'a [u8],
) -> PResult<'a, (Tag, crate::types::Mailbox, AppendHead)> {
    let (i, t) = tag(i)?;
    let (i, _) = sp(i)?;
    let (i, _) = kw("APPEND ")(i)?;
    let (i, m) = mailbox(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, h) = append_head(cx, i)?;
    Ok((i, (Tag::from_valid(t), m, h)))
}

/// After a streamed message: `[")"] SP append-head` (the next message of
/// a MULTIAPPEND), the `)` closing a previous `UTF8 (`.
pub(crate) fn append_next<'a>(cx: &Cx<'_>, i: &'a [u8], close: bool) -> PResult<'a, AppendHead> {
    let i = if close { byte(b')')(i)?.0 } else { i };
    let (i, _) = sp(i)?;
    append_head(cx, i)
}
