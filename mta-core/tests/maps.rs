//! Table tests for every map format and Postfix's lookup orders.

use std::net::IpAddr;
use std::path::PathBuf;

use mta_core::config::Restriction;
use mta_core::maps::{
    Access, AccessAction, AliasTarget, Aliases, EntryProblem, MapError, MapList, MapWarning, Table,
    TableKind, TableRef, Text, Transport, TransportEntry, Virtual, access_lookup, address_keys,
    client_keys, split_extension, transport_lookup, virtual_lookup,
};

fn indexed<F: mta_core::maps::TableFormat>(text: &str) -> Table<F> {
    Table::from_text(text, "test-table", TableKind::Indexed).expect("table")
}

fn addr(s: &str) -> AliasTarget {
    AliasTarget::Address {
        address: s.into(),
        expand: true,
    }
}

#[test]
fn aliases_format() {
    let t = indexed::<Aliases>(
        "# aliases(5)\n\
         postmaster: root\n\
         Root: alice, bob@example.org,\n\
         \x20   carol\n\
         \"john doe\": john\n\
         bin: \"|/usr/bin/vacation -a bin\", /var/log/bin.mbox\n\
         list: :include:/etc/mail/list.members, \\alice\n\
         spaced :   x\n",
    );
    let cases: &[(&str, Vec<AliasTarget>)] = &[
        ("postmaster", vec![addr("root")]),
        // Keys are case-folded; continuation lines join the value.
        (
            "ROOT",
            vec![addr("alice"), addr("bob@example.org"), addr("carol")],
        ),
        ("john doe", vec![addr("john")]),
        (
            "bin",
            vec![
                AliasTarget::Command("/usr/bin/vacation -a bin".into()),
                AliasTarget::File(PathBuf::from("/var/log/bin.mbox")),
            ],
        ),
        (
            "list",
            vec![
                AliasTarget::Include(PathBuf::from("/etc/mail/list.members")),
                AliasTarget::Address {
                    address: "alice".into(),
                    expand: false,
                },
            ],
        ),
        ("spaced", vec![addr("x")]),
    ];
    for (key, want) in cases {
        assert_eq!(t.get(key), Some(want), "{key}");
    }
    assert_eq!(t.len(), cases.len());
    assert!(t.get("nobody").is_none());
    let e = Table::<Aliases>::from_text("ok: a\nno colon here\n", "aliases", TableKind::Indexed)
        .unwrap_err();
    match e {
        MapError::Entry { line, .. } => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    let e =
        Table::<Aliases>::from_text("ok: a\nempty:\n", "aliases", TableKind::Indexed).unwrap_err();
    assert!(matches!(
        e,
        MapError::Entry {
            line: 2,
            problem: EntryProblem::MissingValue(_),
            ..
        }
    ));
    let e = Table::<Aliases>::from_text("a: \"|unterminated\n", "aliases", TableKind::Indexed)
        .unwrap_err();
    assert!(matches!(
        e,
        MapError::Entry {
            problem: EntryProblem::UnterminatedQuote,
            ..
        }
    ));
}

#[test]
fn access_actions() {
    let table: &[(&str, AccessAction)] = &[
        ("OK", AccessAction::Ok),
        ("ok", AccessAction::Ok),
        ("12345", AccessAction::Ok),
        ("RELAY", AccessAction::Relay),
        ("DUNNO", AccessAction::Dunno),
        ("REJECT", AccessAction::Reject(None)),
        (
            "REJECT go away",
            AccessAction::Reject(Some("go away".into())),
        ),
        ("DEFER", AccessAction::Defer(None)),
        (
            "450 4.7.1 try later",
            AccessAction::Reply {
                code: 450,
                text: "4.7.1 try later".into(),
            },
        ),
        (
            "554 no",
            AccessAction::Reply {
                code: 554,
                text: "no".into(),
            },
        ),
        (
            "permit_mynetworks",
            AccessAction::Restriction(Restriction::PermitMynetworks),
        ),
        (
            "reject_unauth_destination",
            AccessAction::Restriction(Restriction::RejectUnauthDestination),
        ),
        ("DISCARD", AccessAction::Unsupported("DISCARD".into())),
        (
            "HOLD for review",
            AccessAction::Unsupported("HOLD for review".into()),
        ),
    ];
    for (text, want) in table {
        assert_eq!(&AccessAction::parse(text).unwrap(), want, "{text}");
    }
    for bad in ["250 fine", "999 x"] {
        assert!(AccessAction::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn access_address_lookup_order() {
    // access(5): user+ext@domain, user@domain, domain, parents, user+ext@, user@.
    assert_eq!(
        address_keys(Some(("joe+list", "Mail.Example.com")), "+", true, "<>"),
        [
            "joe+list@mail.example.com",
            "joe@mail.example.com",
            "mail.example.com",
            "example.com",
            "com",
            "joe+list@",
            "joe@"
        ]
    );
    assert_eq!(
        address_keys(Some(("joe", "a.b")), "", false, "<>"),
        ["joe@a.b", "a.b", ".b", "joe@"]
    );
    assert_eq!(address_keys(None, "+", true, "<>"), ["<>"]);

    let maps = MapList::from_tables(vec![indexed::<Access>(
        "example.com           REJECT domain\n\
         good@example.com     OK\n\
         neutral.example.com  DUNNO\n\
         postmaster@          OK\n\
         <>                   550 no bounces\n",
    )]);
    let look = |local: &str, domain: &str| {
        access_lookup(&maps, &address_keys(Some((local, domain)), "+", true, "<>")).cloned()
    };
    assert_eq!(look("good", "example.com"), Some(AccessAction::Ok));
    assert_eq!(look("good+x", "example.com"), Some(AccessAction::Ok));
    assert!(matches!(
        look("bad", "example.com"),
        Some(AccessAction::Reject(_))
    ));
    // A parent domain matches (parent_domain_matches_subdomains).
    assert!(matches!(
        look("bad", "sub.example.com"),
        Some(AccessAction::Reject(_))
    ));
    // DUNNO stops the search before the parent domain.
    assert_eq!(look("x", "neutral.example.com"), Some(AccessAction::Dunno));
    // The domain comes before user@.
    assert!(matches!(
        look("postmaster", "example.com"),
        Some(AccessAction::Reject(_))
    ));
    assert_eq!(look("postmaster", "other.org"), Some(AccessAction::Ok));
    assert_eq!(look("x", "other.org"), None);
    assert!(matches!(
        access_lookup(&maps, &address_keys(None, "+", true, "<>")),
        Some(AccessAction::Reply { code: 550, .. })
    ));
}

#[test]
fn access_client_lookup_order() {
    let v4: IpAddr = "192.0.2.77".parse().unwrap();
    assert_eq!(
        client_keys(Some("Host.Example.net."), v4, true),
        [
            "host.example.net",
            "example.net",
            "net",
            "192.0.2.77",
            "192.0.2",
            "192.0",
            "192"
        ]
    );
    let mapped: IpAddr = "::ffff:192.0.2.1".parse().unwrap();
    assert_eq!(client_keys(None, mapped, true)[0], "192.0.2.1");
    let v6: IpAddr = "2001:db8:1:2::5".parse().unwrap();
    assert_eq!(
        client_keys(Some("unknown"), v6, false),
        [
            "2001:db8:1:2::5",
            "2001:db8:1:2:",
            "2001:db8:1:2",
            "2001:db8:1",
            "2001:db8",
            "2001"
        ]
    );
    let maps = MapList::from_tables(vec![indexed::<Access>(
        "192.0.2      REJECT\n192.0.2.7 OK\n.example.net OK\n",
    )]);
    let look = |name: Option<&str>, ip: &str| {
        access_lookup(&maps, &client_keys(name, ip.parse().unwrap(), false)).cloned()
    };
    assert_eq!(look(None, "192.0.2.7"), Some(AccessAction::Ok));
    assert!(matches!(
        look(None, "192.0.2.8"),
        Some(AccessAction::Reject(None))
    ));
    assert_eq!(look(None, "198.51.100.1"), None);
    // Without parent matching, ".example.net" matches subdomains.
    assert_eq!(
        look(Some("mx.example.net"), "198.51.100.1"),
        Some(AccessAction::Ok)
    );
}

#[test]
fn cidr_tables_first_match_wins() {
    let t = Table::<Access>::from_text(
        "# cidr_table(5)\n\
         192.0.2.7          OK\n\
         192.0.2.0/24       REJECT local net\n\
         0.0.0.0/0          DUNNO\n\
         [2001:db8::]/32    554 v6 go away\n\
         ::1                OK\n",
        "cidr",
        TableKind::Cidr,
    )
    .unwrap();
    assert_eq!(t.get("192.0.2.7"), Some(&AccessAction::Ok));
    assert_eq!(
        t.get("192.0.2.8"),
        Some(&AccessAction::Reject(Some("local net".into())))
    );
    assert_eq!(t.get("[192.0.2.9]").map(|_| ()), Some(()));
    assert_eq!(t.get("10.1.1.1"), Some(&AccessAction::Dunno));
    assert!(matches!(
        t.get("2001:db8::1"),
        Some(AccessAction::Reply { code: 554, .. })
    ));
    assert_eq!(t.get("::1"), Some(&AccessAction::Ok));
    assert_eq!(t.get("::2"), None);
    assert_eq!(t.get("not-an-address"), None);
    let e =
        Table::<Access>::from_text("ok OK\n300.1.1.1/8 OK\n", "cidr", TableKind::Cidr).unwrap_err();
    assert!(matches!(
        e,
        MapError::Entry {
            line: 1,
            problem: EntryProblem::BadNetwork(_),
            ..
        }
    ));
}

#[test]
fn transport_format_and_order() {
    let t = indexed::<Transport>(
        "example.com        smtp:[mail.example.com]:2525\n\
         .example.com       relay:[gateway.example.com]\n\
         joe@example.com    local:\n\
         bounce.example     error:5.1.2 this domain is gone\n\
         void.example       discard:\n\
         lmtp.example       lmtp:unix:/run/dovecot/lmtp\n\
         nexthop-only.example   :[10.0.0.1]\n\
         *                  smtp:[smarthost.example]\n",
    );
    let table: &[(&str, (&str, &str))] = &[
        ("example.com", ("smtp", "[mail.example.com]:2525")),
        ("bounce.example", ("error", "5.1.2 this domain is gone")),
        ("void.example", ("discard", "")),
        ("lmtp.example", ("lmtp", "unix:/run/dovecot/lmtp")),
        ("nexthop-only.example", ("", "[10.0.0.1]")),
    ];
    for (key, (transport, nexthop)) in table {
        assert_eq!(
            t.get(key),
            Some(&TransportEntry {
                transport: (*transport).into(),
                nexthop: (*nexthop).into()
            }),
            "{key}"
        );
    }
    let maps = MapList::from_tables(vec![t]);
    let look = |local: &str, domain: &str| {
        transport_lookup(&maps, local, domain, "+", false)
            .map(|e| format!("{}:{}", e.transport, e.nexthop))
    };
    // user@domain beats domain; the extension is tried first, then stripped.
    assert_eq!(look("joe", "example.com").as_deref(), Some("local:"));
    assert_eq!(look("joe+x", "example.com").as_deref(), Some("local:"));
    assert_eq!(
        look("ann", "example.com").as_deref(),
        Some("smtp:[mail.example.com]:2525")
    );
    // .example.com matches subdomains only.
    assert_eq!(
        look("ann", "a.b.example.com").as_deref(),
        Some("relay:[gateway.example.com]")
    );
    // * matches everything else.
    assert_eq!(
        look("ann", "elsewhere.org").as_deref(),
        Some("smtp:[smarthost.example]")
    );
}

#[test]
fn virtual_format_and_order() {
    let maps = MapList::from_tables(vec![indexed::<Virtual>(
        "info@example.com      alice, bob@example.net\n\
         joe@example.com       joe@elsewhere.org\n\
         @example.com          catchall\n\
         postmaster            root\n\
         list+admin@example.com  owner\n",
    )]);
    let look = |local: &str, domain: &str, local_domain: bool| {
        virtual_lookup(&maps, local, domain, "+", local_domain, true)
    };
    assert_eq!(
        look("info", "example.com", false),
        Some(vec!["alice".into(), "bob@example.net".into()])
    );
    // The catch-all has the lowest precedence.
    assert_eq!(
        look("someone", "example.com", false),
        Some(vec!["catchall".into()])
    );
    // The extension is propagated when the match was without it.
    assert_eq!(
        look("joe+news", "example.com", false),
        Some(vec!["joe+news@elsewhere.org".into()])
    );
    assert_eq!(
        look("list+admin", "example.com", false),
        Some(vec!["owner".into()])
    );
    // A bare "user" key applies only to local domains.
    assert_eq!(look("postmaster", "other.org", false), None);
    assert_eq!(
        look("postmaster", "localhost", true),
        Some(vec!["root".into()])
    );
    assert_eq!(
        virtual_lookup(&maps, "joe+news", "example.com", "+", false, false),
        Some(vec!["joe@elsewhere.org".into()])
    );
    let e = Table::<Virtual>::from_text("lonely@example.com\n", "virtual", TableKind::Indexed)
        .unwrap_err();
    assert!(matches!(e, MapError::Entry { line: 1, .. }));
}

#[test]
fn extensions_and_warnings() {
    assert_eq!(split_extension("user+tag", "+"), ("user", Some("tag")));
    assert_eq!(split_extension("user-tag+x", "+-"), ("user", Some("tag+x")));
    assert_eq!(split_extension("+tag", "+"), ("+tag", None));
    assert_eq!(split_extension("user+tag", ""), ("user+tag", None));
    let t = indexed::<Text>("a 1\n  continued\nA 2\nb 3\n");
    assert_eq!(t.get("a").map(String::as_str), Some("1 continued"));
    assert!(matches!(
        t.warnings(),
        [MapWarning::Duplicate { line: 3, .. }]
    ));
    let t = indexed::<Text>("  stray\nb 3\n");
    assert!(matches!(
        t.warnings(),
        [MapWarning::StrayContinuation { line: 1, .. }]
    ));
}

#[test]
fn table_references() {
    for (text, kind) in [
        ("hash:/etc/aliases", TableKind::Indexed),
        ("lmdb:/etc/postfix/access", TableKind::Indexed),
        ("texthash:/etc/postfix/virtual", TableKind::Indexed),
        ("btree:/x", TableKind::Indexed),
        ("cidr:/etc/postfix/clients.cidr", TableKind::Cidr),
    ] {
        let r: TableRef = text.parse().unwrap();
        assert_eq!(r.kind, kind);
        assert_eq!(r.to_string(), text);
    }
    for bad in ["/etc/aliases", "mysql:/x.cf", "regexp:/x", "hash:", ":x"] {
        assert!(bad.parse::<TableRef>().is_err(), "{bad}");
    }
}

#[test]
fn files_reload_when_changed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("access");
    std::fs::write(&path, "example.com REJECT\n").unwrap();
    let reference: TableRef = format!("hash:{}", path.display()).parse().unwrap();
    let mut t = Table::<Access>::open(&reference).unwrap();
    assert!(matches!(
        t.get("example.com"),
        Some(AccessAction::Reject(None))
    ));
    // Unchanged: no reload.
    assert!(!t.refresh().unwrap());
    std::fs::write(&path, "example.com OK\nexample.org REJECT\n").unwrap();
    assert!(t.refresh().unwrap());
    assert_eq!(t.get("example.com"), Some(&AccessAction::Ok));
    assert!(t.get("example.org").is_some());
    // A broken file keeps the old contents and reports the line.
    std::fs::write(&path, "example.com OK\nexample.net 250 bad\n").unwrap();
    match t.refresh() {
        Err(MapError::Entry { line, .. }) => assert_eq!(line, 2),
        other => panic!("{other:?}"),
    }
    assert_eq!(t.get("example.com"), Some(&AccessAction::Ok));
    // The owner is read from the file (root owns it when the test runs as
    // root).
    let uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&path).unwrap());
    assert_eq!(t.owner_is_root(), uid == 0);
    // A missing file is an I/O error naming it.
    let missing: TableRef = format!("hash:{}", dir.path().join("nope").display())
        .parse()
        .unwrap();
    let e = Table::<Access>::open(&missing).unwrap_err();
    assert!(matches!(e, MapError::Io { .. }));
    assert!(e.to_string().contains("nope"));
}

#[test]
fn map_lists_search_in_order() {
    let first = indexed::<Text>("a first\n");
    let second = indexed::<Text>("a second\nb second\n");
    let list = MapList::from_tables(vec![first, second]);
    assert_eq!(list.get("a").map(String::as_str), Some("first"));
    assert_eq!(list.get("b").map(String::as_str), Some("second"));
    assert_eq!(list.get("c"), None);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn tables_never_panic(text in "[ -~\t\n\"|:,\\\\]{0,300}") {
            let _ = Table::<Aliases>::from_text(&text, "a", TableKind::Indexed);
            let _ = Table::<Access>::from_text(&text, "a", TableKind::Indexed);
            let _ = Table::<Access>::from_text(&text, "a", TableKind::Cidr);
            let _ = Table::<Transport>::from_text(&text, "a", TableKind::Indexed);
            let _ = Table::<Virtual>::from_text(&text, "a", TableKind::Indexed);
        }

        #[test]
        fn lookups_never_panic(local in "[ -~]{0,40}", domain in "[ -~]{0,40}", delim in "[+\\-=]{0,2}") {
            let maps = MapList::from_tables(vec![indexed::<Virtual>("@example.com x\n")]);
            let _ = virtual_lookup(&maps, &local, &domain, &delim, true, true);
            let _ = address_keys(Some((&local, &domain)), &delim, true, "<>");
            let _ = split_extension(&local, &delim);
        }
    }
}
