//! proptest strategies for every type of the grammar, shared by the
//! round-trip tests.
#![allow(dead_code)]

use std::num::NonZeroU32;

use bytes::Bytes;
use imap_proto::types::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

const ATOM_CHARS: &str = "[A-Za-z0-9!#&'+,./:;<=>?@^_`|~$-]";

fn atom_str() -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("{ATOM_CHARS}{{1,12}}")).unwrap()
}

fn atom() -> impl Strategy<Value = Atom> {
    atom_str().prop_map(|s| Atom::new(s).unwrap())
}

fn tag() -> impl Strategy<Value = Tag> {
    proptest::string::string_regex("[A-Za-z0-9.]{1,8}")
        .unwrap()
        .prop_map(|s| Tag::new(s).unwrap())
}

/// Octets of a string: printable text, or anything but NUL (literals).
fn octets() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        proptest::string::string_regex("[ -~]{0,20}")
            .unwrap()
            .prop_map(String::into_bytes),
        atom_str().prop_map(String::into_bytes),
        vec(1u8..=255, 0..40),
    ]
}

fn nstring() -> impl Strategy<Value = NString> {
    option::of(octets())
}

fn printable() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[ -~]{0,20}").unwrap()
}

fn text() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[!-Z\\\\^-~][ -~]{0,30}|").unwrap()
}

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::string::string_regex("[ -~]{0,16}").unwrap(),
        "\\PC{0,8}",
        Just("Entwürfe/日本語 &x".to_string()),
    ]
    .prop_filter("no NUL/CR/LF", |s| !s.contains(['\0', '\r', '\n']))
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    prop_oneof![
        Just(Mailbox::Inbox),
        name().prop_map(|s| Mailbox::new(s).unwrap())
    ]
}

fn list_mailbox() -> impl Strategy<Value = ListMailbox> {
    name().prop_map(|s| ListMailbox::new(s).unwrap())
}

fn nz() -> impl Strategy<Value = NonZeroU32> {
    (1u32..=u32::MAX).prop_map(|n| NonZeroU32::new(n).unwrap())
}

fn n64() -> impl Strategy<Value = u64> {
    0..=i64::MAX as u64
}

fn seq_number() -> impl Strategy<Value = SeqNumber> {
    prop_oneof![Just(SeqNumber::Largest), nz().prop_map(SeqNumber::Value)]
}

fn seq_list() -> impl Strategy<Value = SequenceSet> {
    vec(
        prop_oneof![
            seq_number().prop_map(Sequence::Single),
            (seq_number(), seq_number()).prop_map(|(a, b)| Sequence::Range(a, b)),
        ],
        1..4,
    )
    .prop_map(|v| SequenceSet::List(Vec1::new(v).unwrap()))
}

fn sequence_set() -> impl Strategy<Value = SequenceSet> {
    prop_oneof![4 => seq_list(), 1 => Just(SequenceSet::SearchResult)]
}

fn flag() -> impl Strategy<Value = Flag> {
    prop_oneof![
        Just(Flag::Answered),
        Just(Flag::Flagged),
        Just(Flag::Deleted),
        Just(Flag::Seen),
        Just(Flag::Draft),
        atom().prop_map(Flag::Keyword),
        Just(Flag::Extension(Atom::new("X-Custom").unwrap())),
    ]
}

fn date() -> impl Strategy<Value = Date> {
    (0u16..=9999, 1u8..=12, 1u8..=28).prop_map(|(y, m, d)| Date::new(y, m, d).unwrap())
}

fn date_time() -> impl Strategy<Value = DateTime> {
    (
        date(),
        0u8..24,
        0u8..60,
        0u8..=60,
        -(99 * 60 + 59)..=(99i16 * 60 + 59),
    )
        .prop_map(|(d, h, m, s, z)| DateTime::new(d, h, m, s, z).unwrap())
}

fn charset() -> impl Strategy<Value = Charset> {
    prop_oneof![atom_str(), printable()].prop_map(Charset)
}

fn search_key() -> impl Strategy<Value = SearchKey> {
    use SearchKey as K;
    let leaf = prop_oneof![
        Just(K::All),
        Just(K::Answered),
        Just(K::Deleted),
        Just(K::Draft),
        Just(K::Flagged),
        Just(K::New),
        Just(K::Old),
        Just(K::Recent),
        Just(K::Seen),
        Just(K::Unanswered),
        Just(K::Undeleted),
        Just(K::Undraft),
        Just(K::Unflagged),
        Just(K::Unseen),
        octets().prop_map(K::Bcc),
        octets().prop_map(K::Body),
        octets().prop_map(K::Cc),
        octets().prop_map(K::From),
        octets().prop_map(K::Subject),
        octets().prop_map(K::Text),
        octets().prop_map(K::To),
        (octets(), octets()).prop_map(|(a, b)| K::Header(a, b)),
        date().prop_map(K::Before),
        date().prop_map(K::On),
        date().prop_map(K::Since),
        date().prop_map(K::SentBefore),
        date().prop_map(K::SentOn),
        date().prop_map(K::SentSince),
        atom().prop_map(K::Keyword),
        atom().prop_map(K::Unkeyword),
        n64().prop_map(K::Larger),
        n64().prop_map(K::Smaller),
        any::<u32>().prop_map(K::Older),
        any::<u32>().prop_map(K::Younger),
        sequence_set().prop_map(K::Uid),
        sequence_set().prop_map(K::SequenceSet),
        (
            option::of((
                proptest::string::string_regex("/flags/[a-z]{1,8}").unwrap(),
                prop_oneof![
                    Just(EntryType::Private),
                    Just(EntryType::Shared),
                    Just(EntryType::All)
                ]
            )),
            n64()
        )
            .prop_map(|(e, m)| K::ModSeq {
                entry: e.map(|(n, t)| (n.into_bytes(), t)),
                modseq: m
            }),
    ];
    leaf.prop_recursive(4, 16, 3, |inner| {
        prop_oneof![
            inner.clone().prop_map(|k| K::Not(Box::new(k))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| K::Or(Box::new(a), Box::new(b))),
            vec(inner, 1..3).prop_map(|v| K::And(Vec1::new(v).unwrap())),
        ]
    })
}

fn keys() -> impl Strategy<Value = Vec1<SearchKey>> {
    vec(search_key(), 1..4).prop_map(|v| Vec1::new(v).unwrap())
}

fn part() -> impl Strategy<Value = Vec<NonZeroU32>> {
    vec(nz(), 0..4)
}

fn section() -> impl Strategy<Value = Section> {
    (
        part(),
        option::of(prop_oneof![
            Just(SectionText::Header),
            Just(SectionText::Text),
            Just(SectionText::Mime),
            (any::<bool>(), vec(octets(), 1..3)).prop_map(|(not, f)| SectionText::HeaderFields {
                not,
                fields: Vec1::new(f).unwrap()
            }),
        ]),
    )
        .prop_map(|(part, text)| {
            // MIME needs part numbers (RFC 3501 section 6.4.5).
            let text = match text {
                Some(SectionText::Mime) if part.is_empty() => Some(SectionText::Text),
                t => t,
            };
            Section { part, text }
        })
}

fn partial() -> impl Strategy<Value = Option<Partial>> {
    option::of((any::<u32>(), nz()).prop_map(|(origin, length)| Partial { origin, length }))
}

fn fetch_attribute() -> impl Strategy<Value = FetchAttribute> {
    use FetchAttribute as A;
    prop_oneof![
        Just(A::Envelope),
        Just(A::Flags),
        Just(A::InternalDate),
        Just(A::Rfc822),
        Just(A::Rfc822Header),
        Just(A::Rfc822Size),
        Just(A::Rfc822Text),
        Just(A::Body),
        Just(A::BodyStructure),
        Just(A::Uid),
        Just(A::ModSeq),
        (section(), partial(), any::<bool>()).prop_map(|(section, partial, peek)| A::BodySection {
            section,
            partial,
            peek
        }),
        (part(), partial(), any::<bool>()).prop_map(|(part, partial, peek)| A::Binary {
            part,
            partial,
            peek
        }),
        part().prop_map(|part| A::BinarySize { part }),
    ]
}

fn status_item() -> impl Strategy<Value = StatusItem> {
    prop_oneof![
        Just(StatusItem::Messages),
        Just(StatusItem::UidNext),
        Just(StatusItem::UidValidity),
        Just(StatusItem::Unseen),
        Just(StatusItem::Deleted),
        Just(StatusItem::Size),
        Just(StatusItem::Recent),
        Just(StatusItem::HighestModSeq),
    ]
}

fn mailbox_attribute() -> impl Strategy<Value = MailboxAttribute> {
    use MailboxAttribute as M;
    prop_oneof![
        Just(M::NoInferiors),
        Just(M::NoSelect),
        Just(M::Marked),
        Just(M::Unmarked),
        Just(M::NonExistent),
        Just(M::Subscribed),
        Just(M::Remote),
        Just(M::HasChildren),
        Just(M::HasNoChildren),
        Just(M::All),
        Just(M::Archive),
        Just(M::Drafts),
        Just(M::Flagged),
        Just(M::Junk),
        Just(M::Sent),
        Just(M::Trash),
        Just(M::Extension(Atom::new("X-Important").unwrap())),
    ]
}

fn id_params() -> impl Strategy<Value = IdParameters> {
    option::of(vec((octets(), nstring()), 0..4))
}

fn command_body() -> impl Strategy<Value = CommandBody> {
    use CommandBody as C;
    let simple = prop_oneof![
        Just(C::Capability),
        Just(C::Noop),
        Just(C::Logout),
        Just(C::StartTls),
        Just(C::Namespace),
        Just(C::Idle),
        Just(C::Check),
        Just(C::Close),
        Just(C::Unselect),
        Just(C::Expunge),
        (atom(), option::of(vec(any::<u8>(), 0..30))).prop_map(|(mechanism, ir)| C::Authenticate {
            mechanism,
            initial_response: ir.map(Secret::new)
        }),
        (octets(), octets()).prop_map(|(u, p)| C::Login {
            username: u,
            password: Secret::new(p)
        }),
        vec(atom(), 1..4).prop_map(|v| C::Enable {
            capabilities: Vec1::new(v).unwrap()
        }),
        mailbox().prop_map(|mailbox| C::Delete { mailbox }),
        mailbox().prop_map(|mailbox| C::Subscribe { mailbox }),
        mailbox().prop_map(|mailbox| C::Unsubscribe { mailbox }),
        (mailbox(), mailbox()).prop_map(|(from, to)| C::Rename { from, to }),
        (mailbox(), option::of(vec(mailbox_attribute(), 0..3))).prop_map(
            |(mailbox, special_use)| C::Create {
                mailbox,
                special_use
            }
        ),
        (mailbox(), list_mailbox()).prop_map(|(reference, pattern)| C::Lsub { reference, pattern }),
        (mailbox(), vec(status_item(), 0..5))
            .prop_map(|(mailbox, items)| C::Status { mailbox, items }),
        sequence_set().prop_map(|uids| C::UidExpunge { uids }),
        id_params().prop_map(|parameters| C::Id { parameters }),
        atom().prop_map(|algorithm| C::Compress { algorithm }),
    ];
    let select_param = prop_oneof![
        Just(SelectParameter::CondStore),
        (
            nz(),
            n64(),
            option::of(seq_list()),
            option::of((seq_list(), seq_list()))
        )
            .prop_map(|(uid_validity, modseq, known_uids, seq_match)| {
                SelectParameter::QResync {
                    uid_validity,
                    modseq,
                    known_uids,
                    seq_match,
                }
            }),
    ];
    let append_message = (
        option::of(vec(flag(), 0..3)),
        option::of(date_time()),
        any::<bool>(),
        vec(any::<u8>(), 0..50),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(flags, date, utf8, data, nonsync, binary)| AppendMessage {
            flags,
            date,
            utf8,
            message: LiteralData {
                data: Bytes::from(data),
                mode: if nonsync {
                    LiteralMode::NonSync
                } else {
                    LiteralMode::Sync
                },
                binary: binary || utf8,
            },
        });
    let list_select = prop_oneof![
        Just(ListSelectOption::Subscribed),
        Just(ListSelectOption::Remote),
        Just(ListSelectOption::RecursiveMatch),
        Just(ListSelectOption::SpecialUse),
    ];
    let list_return = prop_oneof![
        Just(ListReturnOption::Subscribed),
        Just(ListReturnOption::Children),
        Just(ListReturnOption::SpecialUse),
        vec(status_item(), 1..4).prop_map(|v| ListReturnOption::Status(Vec1::new(v).unwrap())),
    ];
    let search_return = prop_oneof![
        Just(SearchReturnOption::Min),
        Just(SearchReturnOption::Max),
        Just(SearchReturnOption::All),
        Just(SearchReturnOption::Count),
        Just(SearchReturnOption::Save),
    ];
    let fetch_items = prop_oneof![
        Just(FetchItems::All),
        Just(FetchItems::Fast),
        Just(FetchItems::Full),
        vec(fetch_attribute(), 1..5).prop_map(|v| FetchItems::Attributes(Vec1::new(v).unwrap())),
    ];
    let modifier = prop_oneof![
        n64().prop_map(FetchModifier::ChangedSince),
        Just(FetchModifier::Vanished)
    ];
    let store_kind = prop_oneof![
        Just(StoreKind::Replace),
        Just(StoreKind::Add),
        Just(StoreKind::Remove)
    ];
    let sort_key = prop_oneof![
        Just(SortKey::Arrival),
        Just(SortKey::Cc),
        Just(SortKey::Date),
        Just(SortKey::From),
        Just(SortKey::Size),
        Just(SortKey::Subject),
        Just(SortKey::To),
        Just(SortKey::DisplayFrom),
        Just(SortKey::DisplayTo),
    ];
    let thread_alg = prop_oneof![
        Just(ThreadAlgorithm::OrderedSubject),
        Just(ThreadAlgorithm::References),
        Just(ThreadAlgorithm::Other(Atom::new("REFS").unwrap())),
    ];
    let complex = prop_oneof![
        (mailbox(), vec(select_param.clone(), 0..2), any::<bool>()).prop_map(
            |(mailbox, parameters, sel)| if sel {
                C::Select {
                    mailbox,
                    parameters,
                }
            } else {
                C::Examine {
                    mailbox,
                    parameters,
                }
            }
        ),
        (
            option::of(vec(list_select, 0..3)),
            mailbox(),
            vec(list_mailbox(), 1..3),
            option::of(vec(list_return, 0..3))
        )
            .prop_map(|(selection, reference, patterns, return_options)| C::List {
                selection,
                reference,
                patterns: Vec1::new(patterns).unwrap(),
                return_options
            }),
        (mailbox(), vec(append_message, 1..3)).prop_map(|(mailbox, m)| C::Append {
            mailbox,
            messages: Vec1::new(m).unwrap()
        }),
        (
            any::<bool>(),
            option::of(vec(search_return, 0..3)),
            option::of(charset()),
            keys()
        )
            .prop_map(|(uid, return_options, charset, criteria)| C::Search {
                uid,
                return_options,
                charset,
                criteria
            }),
        (
            any::<bool>(),
            sequence_set(),
            fetch_items,
            vec(modifier, 0..2)
        )
            .prop_map(|(uid, sequence_set, items, modifiers)| C::Fetch {
                uid,
                sequence_set,
                items,
                modifiers
            }),
        (
            any::<bool>(),
            sequence_set(),
            option::of(n64()),
            store_kind,
            any::<bool>(),
            vec(flag(), 0..4)
        )
            .prop_map(
                |(uid, sequence_set, unchanged_since, kind, silent, flags)| C::Store {
                    uid,
                    sequence_set,
                    unchanged_since,
                    kind,
                    silent,
                    flags
                }
            ),
        (any::<bool>(), sequence_set(), mailbox(), any::<bool>()).prop_map(
            |(uid, sequence_set, mailbox, copy)| if copy {
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
            }
        ),
        (
            any::<bool>(),
            vec((any::<bool>(), sort_key), 1..3),
            charset(),
            keys()
        )
            .prop_map(|(uid, c, charset, search)| C::Sort {
                uid,
                criteria: Vec1::new(
                    c.into_iter()
                        .map(|(reverse, key)| SortCriterion { reverse, key })
                        .collect()
                )
                .unwrap(),
                charset,
                search,
            }),
        (any::<bool>(), thread_alg, charset(), keys()).prop_map(
            |(uid, algorithm, charset, search)| C::Thread {
                uid,
                algorithm,
                charset,
                search
            }
        ),
    ];
    prop_oneof![simple, complex]
}

pub fn command() -> impl Strategy<Value = Command> {
    (tag(), command_body()).prop_map(|(tag, body)| Command { tag, body })
}

mod response;
#[allow(unused_imports)]
pub use self::response::response;
