//! Strategies for the response side: ENVELOPE, BODYSTRUCTURE, FETCH data,
//! response codes, untagged data.

use bytes::Bytes;
use imap_proto::types::*;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;

use super::*;

fn address() -> impl Strategy<Value = Address> {
    (nstring(), nstring(), nstring(), nstring()).prop_map(|(name, adl, mailbox, host)| Address {
        name,
        adl,
        mailbox,
        host,
    })
}

fn envelope() -> impl Strategy<Value = Envelope> {
    (
        nstring(),
        nstring(),
        vec(address(), 0..2),
        vec(address(), 0..2),
        vec(address(), 0..2),
        vec(address(), 0..3),
        nstring(),
        nstring(),
    )
        .prop_map(
            |(date, subject, from, sender, reply_to, to, in_reply_to, message_id)| Envelope {
                date,
                subject,
                cc: to.clone(),
                bcc: from.clone(),
                from,
                sender,
                reply_to,
                to,
                in_reply_to,
                message_id,
            },
        )
}

fn params() -> impl Strategy<Value = BodyParameters> {
    vec((octets(), octets()), 0..3)
}

fn body_extension() -> impl Strategy<Value = BodyExtension> {
    let leaf = prop_oneof![
        nstring().prop_map(BodyExtension::NString),
        n64().prop_map(BodyExtension::Number)
    ];
    leaf.prop_recursive(3, 8, 3, |inner| {
        vec(inner, 1..3).prop_map(|v| BodyExtension::List(Vec1::new(v).unwrap()))
    })
}

fn tail() -> impl Strategy<Value = Option<DispositionTail>> {
    option::of((
        option::of((octets(), params())),
        option::of((
            vec(octets(), 0..3),
            option::of((nstring(), vec(body_extension(), 0..3))),
        )),
    ))
    .prop_map(|t| {
        t.map(|(disposition, lang)| DispositionTail {
            disposition,
            tail: lang.map(|(languages, loc)| LanguageTail {
                languages,
                tail: loc.map(|(location, extensions)| LocationTail {
                    location,
                    extensions,
                }),
            }),
        })
    })
}

fn fields() -> impl Strategy<Value = BodyFields> {
    (params(), nstring(), nstring(), octets(), any::<u32>()).prop_map(
        |(parameters, id, description, encoding, octets)| BodyFields {
            parameters,
            id,
            description,
            encoding,
            octets,
        },
    )
}

fn single_ext() -> impl Strategy<Value = Option<SinglePartExtension>> {
    option::of((nstring(), tail()).prop_map(|(md5, tail)| SinglePartExtension { md5, tail }))
}

fn body_structure() -> impl Strategy<Value = BodyStructure> {
    let basic = (octets(), octets()).prop_filter("not TEXT or MESSAGE", |(t, _)| {
        !t.eq_ignore_ascii_case(b"TEXT") && !t.eq_ignore_ascii_case(b"MESSAGE")
    });
    let leaf = (
        fields(),
        prop_oneof![
            basic.prop_map(|(media_type, subtype)| SpecificFields::Basic {
                media_type,
                subtype
            }),
            (octets(), any::<u32>())
                .prop_map(|(subtype, lines)| SpecificFields::Text { subtype, lines }),
        ],
        single_ext(),
    )
        .prop_map(|(fields, specific, extension)| BodyStructure::Single {
            body: Body { fields, specific },
            extension,
        });
    leaf.prop_recursive(3, 8, 3, move |inner| {
        prop_oneof![
            (
                vec(inner.clone(), 1..3),
                octets(),
                option::of(
                    (params(), tail())
                        .prop_map(|(parameters, tail)| MultiPartExtension { parameters, tail })
                )
            )
                .prop_map(|(b, subtype, extension)| BodyStructure::Multi {
                    bodies: Vec1::new(b).unwrap(),
                    subtype,
                    extension
                }),
            (
                fields(),
                prop_oneof![Just(b"RFC822".to_vec()), Just(b"GLOBAL".to_vec())],
                envelope(),
                inner,
                any::<u32>(),
                single_ext()
            )
                .prop_map(|(fields, subtype, e, b, lines, extension)| {
                    BodyStructure::Single {
                        body: Body {
                            fields,
                            specific: SpecificFields::Message {
                                subtype,
                                envelope: Box::new(e),
                                body_structure: Box::new(b),
                                lines,
                            },
                        },
                        extension,
                    }
                }),
        ]
    })
}

fn section_data() -> impl Strategy<Value = SectionData> {
    prop_oneof![
        Just(SectionData::Nil),
        vec(any::<u8>(), 0..2000).prop_map(|v| SectionData::Data(Bytes::from(v)))
    ]
}

fn text_section_data() -> impl Strategy<Value = SectionData> {
    prop_oneof![
        Just(SectionData::Nil),
        octets().prop_map(|v| SectionData::Data(Bytes::from(v)))
    ]
}

fn message_data_item() -> impl Strategy<Value = MessageDataItem> {
    use MessageDataItem as M;
    prop_oneof![
        vec(
            prop_oneof![flag().prop_map(FlagFetch::Flag), Just(FlagFetch::Recent)],
            0..4
        )
        .prop_map(M::Flags),
        nz().prop_map(M::Uid),
        date_time().prop_map(M::InternalDate),
        n64().prop_map(M::Rfc822Size),
        envelope().prop_map(|e| M::Envelope(Box::new(e))),
        body_structure().prop_map(|b| M::Body(Box::new(b))),
        body_structure().prop_map(|b| M::BodyStructure(Box::new(b))),
        (section(), option::of(any::<u32>()), text_section_data()).prop_map(
            |(section, origin, data)| M::BodySection {
                section,
                origin,
                data
            }
        ),
        (part(), section_data()).prop_map(|(part, data)| M::Binary { part, data }),
        (part(), n64()).prop_map(|(part, size)| M::BinarySize { part, size }),
        text_section_data().prop_map(M::Rfc822),
        text_section_data().prop_map(M::Rfc822Header),
        text_section_data().prop_map(M::Rfc822Text),
        n64().prop_map(M::ModSeq),
    ]
}

fn uid_set() -> impl Strategy<Value = UidSet> {
    vec(
        prop_oneof![
            nz().prop_map(UidRange::Single),
            (nz(), nz()).prop_map(|(a, b)| UidRange::Range(a, b))
        ],
        1..3,
    )
    .prop_map(|v| Vec1::new(v).unwrap())
}

fn code() -> impl Strategy<Value = Code> {
    prop_oneof![
        Just(Code::Alert),
        Just(Code::Parse),
        Just(Code::ReadOnly),
        Just(Code::ReadWrite),
        Just(Code::TryCreate),
        Just(Code::UidNotSticky),
        Just(Code::NoModSeq),
        Just(Code::Closed),
        Just(Code::OverQuota),
        Just(Code::AlreadyExists),
        Just(Code::NonExistent),
        Just(Code::Cannot),
        Just(Code::TooBig),
        vec(atom_str().prop_map(String::into_bytes), 0..3).prop_map(Code::BadCharset),
        vec(atom(), 1..4).prop_map(|v| Code::Capability(Vec1::new(v).unwrap())),
        vec(
            prop_oneof![flag().prop_map(FlagPerm::Flag), Just(FlagPerm::Any)],
            0..4
        )
        .prop_map(Code::PermanentFlags),
        nz().prop_map(Code::UidNext),
        nz().prop_map(Code::UidValidity),
        nz().prop_map(Code::Unseen),
        (nz(), uid_set()).prop_map(|(uid_validity, uids)| Code::AppendUid { uid_validity, uids }),
        (nz(), uid_set(), uid_set()).prop_map(|(uid_validity, source, destination)| {
            Code::CopyUid {
                uid_validity,
                source,
                destination,
            }
        }),
        n64().prop_map(Code::HighestModSeq),
        sequence_set().prop_map(Code::Modified),
        (
            Just(Atom::new("X-FOO").unwrap()),
            option::of(proptest::string::string_regex("[ -\\\\^-~]{0,12}").unwrap())
        )
            .prop_map(|(a, t)| Code::Other(a, t)),
    ]
}

fn thread() -> impl Strategy<Value = Thread> {
    let leaf = vec(nz(), 1..3).prop_map(|members| Thread {
        members,
        children: vec![],
    });
    leaf.prop_recursive(3, 10, 3, |inner| {
        (vec(nz(), 0..3), vec(inner, 2..4))
            .prop_map(|(members, children)| Thread { members, children })
    })
}

fn namespace() -> impl Strategy<Value = Option<Vec1<NamespaceDescription>>> {
    option::of(
        vec(
            (
                octets(),
                option::of(proptest::char::range(' ', '~')),
                vec((octets(), vec(octets(), 1..3)), 0..2),
            )
                .prop_map(|(prefix, delimiter, ext)| NamespaceDescription {
                    prefix,
                    delimiter,
                    extensions: ext
                        .into_iter()
                        .map(|(n, v)| (n, Vec1::new(v).unwrap()))
                        .collect(),
                }),
            1..3,
        )
        .prop_map(|v| Vec1::new(v).unwrap()),
    )
}

fn data() -> impl Strategy<Value = Data> {
    let list = || {
        (
            vec(mailbox_attribute(), 0..3),
            option::of(proptest::char::range(' ', '~')),
            mailbox(),
            vec(
                prop_oneof![
                    vec(octets(), 1..3)
                        .prop_map(|v| ListExtendedItem::ChildInfo(Vec1::new(v).unwrap())),
                    mailbox().prop_map(ListExtendedItem::OldName),
                    Just(ListExtendedItem::Other {
                        tag: b"tablecloth".to_vec(),
                        value: b"((\"edge\" \"lacy\") 7 NIL)".to_vec()
                    }),
                ],
                0..2,
            ),
        )
            .prop_map(|(attributes, delimiter, mailbox, extended)| ListData {
                attributes,
                delimiter,
                mailbox,
                extended,
            })
    };
    let esearch_item = prop_oneof![
        nz().prop_map(ESearchItem::Min),
        nz().prop_map(ESearchItem::Max),
        sequence_set().prop_map(ESearchItem::All),
        any::<u32>().prop_map(ESearchItem::Count),
        n64().prop_map(ESearchItem::ModSeq),
    ];
    prop_oneof![
        vec(atom(), 1..4).prop_map(|v| Data::Capability(Vec1::new(v).unwrap())),
        list().prop_map(Data::List),
        list().prop_map(Data::Lsub),
        (
            mailbox(),
            vec(
                (status_item(), n64()).prop_map(|(item, value)| StatusValue { item, value }),
                0..4
            )
        )
            .prop_map(|(mailbox, items)| Data::Status { mailbox, items }),
        (vec(nz(), 0..5), option::of(n64()))
            .prop_map(|(numbers, modseq)| Data::Search { numbers, modseq }),
        (vec(nz(), 0..5), option::of(n64()))
            .prop_map(|(numbers, modseq)| Data::Sort { numbers, modseq }),
        (option::of(octets()), any::<bool>(), vec(esearch_item, 0..4))
            .prop_map(|(tag, uid, items)| Data::ESearch { tag, uid, items }),
        vec(thread(), 0..3).prop_map(Data::Thread),
        vec(flag(), 0..5).prop_map(Data::Flags),
        any::<u32>().prop_map(Data::Exists),
        any::<u32>().prop_map(Data::Recent),
        nz().prop_map(Data::Expunge),
        (nz(), vec(message_data_item(), 1..4)).prop_map(|(seq, items)| Data::Fetch {
            seq,
            items: Vec1::new(items).unwrap()
        }),
        vec(atom(), 0..3).prop_map(Data::Enabled),
        (namespace(), namespace(), namespace()).prop_map(|(personal, other, shared)| {
            Data::Namespace {
                personal,
                other,
                shared,
            }
        }),
        id_params().prop_map(Data::Id),
        (any::<bool>(), sequence_set())
            .prop_map(|(earlier, uids)| Data::Vanished { earlier, uids }),
    ]
}

pub fn response() -> impl Strategy<Value = Response> {
    let tagged = (
        tag(),
        prop_oneof![
            Just(StatusKind::Ok),
            Just(StatusKind::No),
            Just(StatusKind::Bad)
        ],
        option::of(code()),
        text(),
    )
        .prop_map(|(t, kind, code, text)| {
            Response::Status(StatusResponse {
                tag: Some(t),
                kind,
                code,
                text,
            })
        });
    let untagged = (
        prop_oneof![
            Just(StatusKind::Ok),
            Just(StatusKind::No),
            Just(StatusKind::Bad),
            Just(StatusKind::PreAuth),
            Just(StatusKind::Bye)
        ],
        option::of(code()),
        text(),
    )
        .prop_map(|(kind, code, text)| {
            Response::Status(StatusResponse {
                tag: None,
                kind,
                code,
                text,
            })
        });
    let continuation = prop_oneof![
        (
            option::of(code()),
            proptest::string::string_regex("([!-Z\\\\^-~]*[ .][ -~]*)?").unwrap()
        )
            .prop_map(|(code, text)| Response::Continuation(Continuation::Text { code, text })),
        vec(any::<u8>(), 1..40).prop_map(|d| Response::Continuation(Continuation::Base64(d))),
    ];
    prop_oneof![
        tagged,
        untagged,
        continuation,
        data().prop_map(Response::Data)
    ]
}
