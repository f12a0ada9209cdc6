//! parse(serialize(x)) == x for commands and replies, and no panic on
//! arbitrary bytes.

use bytes::BytesMut;
use proptest::prelude::*;
use smtp_proto::{
    AddressLiteral, Body, Command, Domain, ForwardPath, Host, InitialResponse, MailParameters,
    Mailbox, Mechanism, Notify, Orcpt, Parameter, RcptParameters, Reply, Ret, ReversePath, Secret,
    parse_command, parse_reply, serialize,
};

fn domain() -> impl Strategy<Value = Domain> {
    prop_oneof![
        "[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\\.[a-zA-Z0-9]([a-z0-9-]{0,8}[a-z0-9])?){0,3}",
        "[a-z]{1,5}\\.(例子|bücher)",
    ]
    .prop_map(|s| Domain::new(&s).expect("generated domain"))
}

fn host() -> impl Strategy<Value = Host> {
    prop_oneof![
        4 => domain().prop_map(Host::Domain),
        1 => any::<[u8; 4]>().prop_map(|a| Host::Literal(AddressLiteral::Ipv4(a.into()))),
        1 => any::<[u16; 8]>().prop_map(|a| Host::Literal(AddressLiteral::Ipv6(a.into()))),
        1 => ("[a-zA-Z0-9]{1,6}", "[!-Z^-~]{1,10}").prop_map(|(tag, content)| Host::Literal(AddressLiteral::General { tag, content })),
    ]
}

fn mailbox() -> impl Strategy<Value = Mailbox> {
    let local = prop_oneof![
        "[a-zA-Z0-9!#$%&'*+/=?^_`{|}~-]{1,10}(\\.[a-zA-Z0-9_-]{1,6}){0,2}",
        "[ -~]{0,12}",
        "[a-z]{1,3}ü[a-z]{0,3}",
    ];
    (local, host()).prop_map(|(l, h)| Mailbox::new(&l, h).expect("generated mailbox"))
}

fn xtext() -> impl Strategy<Value = String> {
    "([!-*,-<>-~]|\\+[0-9A-F]{2}){1,12}"
}

fn params() -> impl Strategy<Value = Vec<Parameter>> {
    prop::collection::vec(
        ("X[A-Z0-9-]{0,6}", prop::option::of("[!-<>-~]{1,8}"))
            .prop_map(|(k, v)| Parameter::new(&k, v.as_deref()).expect("generated parameter")),
        0..3,
    )
    .prop_map(|mut v| {
        v.sort_by_key(|p| p.keyword().to_ascii_uppercase());
        v.dedup_by_key(|p| p.keyword().to_ascii_uppercase());
        v
    })
}

fn mail_parameters() -> impl Strategy<Value = MailParameters> {
    (
        prop::option::of(any::<u64>()),
        prop::option::of(prop_oneof![
            Just(Body::SevenBit),
            Just(Body::EightBitMime),
            Just(Body::BinaryMime)
        ]),
        any::<bool>(),
        prop::option::of(prop_oneof![Just(Ret::Full), Just(Ret::Headers)]),
        prop::option::of(xtext()),
        prop::option::of(prop_oneof![Just("<>".to_string()), xtext()]),
        params(),
    )
        .prop_map(
            |(size, body, smtputf8, ret, envid, auth, other)| MailParameters {
                size,
                body,
                smtputf8,
                ret,
                envid,
                auth,
                other,
            },
        )
}

fn rcpt_parameters() -> impl Strategy<Value = RcptParameters> {
    let notify = prop_oneof![
        Just(Notify::Never),
        (any::<bool>(), any::<bool>(), any::<bool>())
            .prop_filter("one flag", |(a, b, c)| *a || *b || *c)
            .prop_map(|(success, failure, delay)| Notify::On {
                success,
                failure,
                delay
            }),
    ];
    let orcpt =
        ("rfc822|utf-8", xtext()).prop_map(|(addr_type, address)| Orcpt { addr_type, address });
    (prop::option::of(notify), prop::option::of(orcpt), params()).prop_map(
        |(notify, orcpt, other)| RcptParameters {
            notify,
            orcpt,
            other,
        },
    )
}

fn text() -> impl Strategy<Value = String> {
    "[ -~]{1,20}".prop_filter("no leading/trailing space", |s| {
        !s.starts_with(' ') && !s.ends_with(' ')
    })
}

fn command() -> impl Strategy<Value = Command> {
    prop_oneof![
        host().prop_map(Command::Ehlo),
        host().prop_map(Command::Helo),
        host().prop_map(Command::Lhlo),
        (
            prop_oneof![
                Just(ReversePath::Null),
                mailbox().prop_map(ReversePath::Mailbox)
            ],
            mail_parameters()
        )
            .prop_map(|(reverse_path, parameters)| Command::Mail {
                reverse_path,
                parameters
            }),
        (
            prop_oneof![
                Just(ForwardPath::Postmaster),
                mailbox().prop_map(ForwardPath::Mailbox)
            ],
            rcpt_parameters()
        )
            .prop_map(|(forward_path, parameters)| Command::Rcpt {
                forward_path,
                parameters
            }),
        Just(Command::Data),
        (any::<u64>(), any::<bool>()).prop_map(|(size, last)| Command::Bdat { size, last }),
        Just(Command::Rset),
        text().prop_map(Command::Vrfy),
        text().prop_map(Command::Expn),
        prop::option::of(text()).prop_map(Command::Help),
        prop::option::of(text()).prop_map(Command::Noop),
        Just(Command::Quit),
        Just(Command::StartTls),
        (
            prop_oneof![
                Just(Mechanism::Plain),
                Just(Mechanism::Login),
                "[A-Z][A-Z0-9-]{0,10}".prop_map(|m| Mechanism::parse(&m).expect("mechanism"))
            ],
            prop::option::of(prop_oneof![
                Just(InitialResponse::Empty),
                prop::collection::vec(any::<u8>(), 1..40)
                    .prop_map(|v| InitialResponse::Data(Secret::new(v))),
            ]),
        )
            .prop_map(|(mechanism, initial_response)| Command::Auth {
                mechanism,
                initial_response
            }),
    ]
}

fn reply() -> impl Strategy<Value = Reply> {
    (
        prop_oneof![200u16..=259, 300u16..=359, 400u16..=459, 500u16..=559]
            .prop_filter("second digit 0-5", |c| c / 10 % 10 <= 5),
        any::<bool>(),
        0u16..1000,
        0u16..1000,
        prop::collection::vec("([A-Za-z][ -~]{0,30})?", 1..5),
    )
        .prop_map(|(code, enhanced, s, d, lines)| {
            let class = (code / 100) as u8;
            let e = (enhanced && class != 3).then_some((class, s, d));
            Reply::multiline(code, e, lines).expect("generated reply")
        })
}

proptest! {
    #[test]
    fn commands_roundtrip(cmd in command()) {
        let mut out = BytesMut::new();
        serialize::command(&cmd, &mut out);
        prop_assert_eq!(parse_command(&out), Ok(cmd), "{:?}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn replies_roundtrip(r in reply()) {
        let mut out = BytesMut::new();
        serialize::reply(&r, &mut out);
        let parsed = parse_reply(&out);
        prop_assert_eq!(parsed, Ok(Some((r, out.len()))), "{:?}", String::from_utf8_lossy(&out));
    }

    #[test]
    fn arbitrary_lines_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..300)) {
        let _ = parse_command(&bytes);
        let _ = parse_reply(&bytes);
    }

    #[test]
    fn arbitrary_sessions_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2000)) {
        smtp_proto::fuzzing::server_session(&bytes);
    }
}
