//! Router cases: local users, alias chains and loops, virtual aliases and
//! catch-alls, the recipient delimiter, virtual mailboxes, transports.

mod router_support;

use std::path::PathBuf;

use mta_core::maps::{Aliases, MapList, Table, Text, Transport, Virtual};
use mta_core::router::{
    AliasPolicy, LocalUsers, Mailbox, NextHop, ReversePath, Route, Router, Tables, UserLookupError,
};
use router_support::*;

#[test]
fn local_users_and_unknown_users() {
    let r = router_with("", Tables::default());
    assert_eq!(routes(&r, "alice@example.com"), ["local:alice"]);
    assert_eq!(routes(&r, "ALICE@MX.Example.COM"), ["local:alice"]);
    assert_eq!(routes(&r, "alice@localhost"), ["local:alice"]);
    // Unknown user in a local domain: 550 5.1.1.
    let res = r.resolve(&mb("nobody@example.com"));
    let reply = res.rejection().unwrap();
    assert_eq!(
        (reply.code, reply.status.to_string().as_str()),
        (550, "5.1.1")
    );
    assert!(
        reply.text.contains("User unknown in local recipient table"),
        "{reply}"
    );
}

#[test]
fn delimiter_keeps_the_extension() {
    let r = router_with("", Tables::default());
    assert_eq!(routes(&r, "alice+news@example.com"), ["local:alice+news"]);
    let r = router_with("recipient_delimiter = +-\n", Tables::default());
    assert_eq!(routes(&r, "bob-lists@example.com"), ["local:bob+lists"]);
    let r = router_with("recipient_delimiter =\n", Tables::default());
    assert_eq!(routes(&r, "alice+news@example.com"), ["reject:550 5.1.1"]);
}

#[test]
fn alias_chains() {
    let r = router_with(
        "",
        aliases(
            "postmaster: root\n\
             root: admins\n\
             admins: alice, bob@example.com, partner@remote.example\n",
        ),
    );
    assert_eq!(
        routes(&r, "postmaster@example.com"),
        [
            "local:alice",
            "local:bob",
            "smtp:remote.example:partner@remote.example"
        ]
    );
}

#[test]
fn alias_delimiter_lookup_order() {
    let r = router_with("", aliases("team: alice, bob\nteam+ops: carol\n"));
    // user+tag is looked up first...
    assert_eq!(routes(&r, "team+ops@example.com"), ["local:carol"]);
    // ...then user; the extension is not carried into alias results.
    assert_eq!(
        routes(&r, "team+misc@example.com"),
        ["local:alice", "local:bob"]
    );
}

#[test]
fn alias_loops_and_self_references() {
    let r = router_with(
        "",
        aliases(
            "a: b\nb: c\nc: a\n\
             root: root, alice\n\
             bob: \\bob, carol\n\
             twice: alice, alice, alice@example.com\n",
        ),
    );
    let res = r.resolve(&mb("a@example.com"));
    let reply = res.rejection().unwrap();
    assert_eq!(reply.status.to_string(), "5.4.6");
    assert!(reply.text.contains("loop"), "{reply}");
    // root: root -> root's own mailbox, no loop.
    assert_eq!(
        routes(&r, "root@example.com"),
        ["local:root", "local:alice"]
    );
    // \bob: bob's mailbox without further alias expansion.
    assert_eq!(routes(&r, "bob@example.com"), ["local:bob", "local:carol"]);
    // Duplicates are removed.
    assert_eq!(routes(&r, "twice@example.com"), ["local:alice"]);
}

#[test]
fn alias_to_unknown_user() {
    let r = router_with("", aliases("info: ghost\n"));
    assert_eq!(routes(&r, "info@example.com"), ["reject:550 5.1.1"]);
}

#[test]
fn commands_files_and_includes_need_policy_and_root() {
    let dir = tempfile::tempdir().unwrap();
    let include = dir.path().join("members");
    std::fs::write(&include, "# members\nalice\nbob, carol\n").unwrap();
    let text = format!(
        "bin: \"|/usr/bin/procmail -a bin\"\n\
         log: /var/log/mail.copy\n\
         list: :include:{}\n",
        include.display()
    );
    let mut root_owned = table::<Aliases>(&text);
    root_owned.set_owner_is_root(true);
    let user_owned = table::<Aliases>(&text);

    let with = |t: Table<Aliases>, policy: AliasPolicy| {
        let mut r = router_with(
            "",
            Tables {
                aliases: MapList::from_tables(vec![t]),
                ..Tables::default()
            },
        );
        r.set_alias_policy(policy);
        r
    };
    let all = AliasPolicy {
        commands: true,
        files: true,
        includes: true,
        include_commands: false,
        include_files: false,
    };
    // Root-owned table, everything allowed.
    let r = with(root_owned.clone(), all);
    assert_eq!(
        routes(&r, "bin@example.com"),
        ["command:/usr/bin/procmail -a bin"]
    );
    assert_eq!(routes(&r, "log@example.com"), ["file:/var/log/mail.copy"]);
    let include_uid = std::os::unix::fs::MetadataExt::uid(&std::fs::metadata(&include).unwrap());
    if include_uid == 0 {
        assert_eq!(
            routes(&r, "list@example.com"),
            ["local:alice", "local:bob", "local:carol"]
        );
    }
    // The same table not owned by root: refused.
    let r = with(user_owned, all);
    for rcpt in ["bin@example.com", "log@example.com", "list@example.com"] {
        assert_eq!(routes(&r, rcpt), ["reject:550 5.7.1"], "{rcpt}");
    }
    // Root-owned but the policy forbids it.
    let r = with(root_owned.clone(), AliasPolicy::addresses_only());
    for rcpt in ["bin@example.com", "log@example.com", "list@example.com"] {
        assert_eq!(routes(&r, rcpt), ["reject:550 5.7.1"], "{rcpt}");
    }
    // Postfix's defaults (allow_mail_to_commands = alias, forward) allow
    // commands and files in root-owned aliases; a main.cf can forbid them.
    let r = Router::with_tables(
        config("allow_mail_to_commands =\nallow_mail_to_files = forward\n"),
        Tables {
            aliases: MapList::from_tables(vec![root_owned]),
            ..Tables::default()
        },
        users(),
    );
    assert!(!r.alias_policy().commands && !r.alias_policy().files);
    assert_eq!(routes(&r, "bin@example.com"), ["reject:550 5.7.1"]);
}

#[test]
fn include_files_owned_by_someone_else_are_refused() {
    // Make an include file owned by "nobody" (possible only as root).
    let dir = tempfile::tempdir().unwrap();
    let include = dir.path().join("members");
    std::fs::write(&include, "alice\n").unwrap();
    if std::os::unix::fs::chown(&include, Some(65534), Some(65534)).is_err() {
        eprintln!("skipping: cannot chown (not root)");
        return;
    }
    let mut t = table::<Aliases>(&format!("list: :include:{}\n", include.display()));
    t.set_owner_is_root(true);
    let mut r = router_with(
        "",
        Tables {
            aliases: MapList::from_tables(vec![t]),
            ..Tables::default()
        },
    );
    r.set_alias_policy(AliasPolicy {
        includes: true,
        ..AliasPolicy::default()
    });
    // Addresses in a non-root include file are still delivered; the file
    // itself may not name further includes, commands or files.
    assert_eq!(routes(&r, "list@example.com"), ["local:alice"]);
    // An include file without addresses refuses instead of dropping mail.
    std::fs::write(&include, "# nobody here\n").unwrap();
    assert_eq!(routes(&r, "list@example.com"), ["reject:550 5.1.1"]);
    std::fs::write(&include, "alice, |/bin/true\n").unwrap();
    assert_eq!(
        routes(&r, "list@example.com"),
        ["local:alice", "reject:550 5.7.1"]
    );
}

fn virtual_tables(text: &str) -> Tables {
    Tables {
        virtual_alias: MapList::from_tables(vec![table::<Virtual>(text)]),
        ..Tables::default()
    }
}

#[test]
fn virtual_aliases_and_catch_alls() {
    let r = router_with(
        "virtual_alias_domains = hosted.example\n",
        virtual_tables(
            "info@hosted.example      alice, sales@hosted.example\n\
             sales@hosted.example     bob@example.com, rep@remote.example\n\
             joe@hosted.example       joe@elsewhere.example\n\
             @hosted.example          carol\n\
             self@hosted.example      self@hosted.example, alice\n",
        ),
    );
    // Recursive expansion; "alice" gets @$myorigin.
    assert_eq!(
        routes(&r, "info@hosted.example"),
        [
            "local:alice",
            "local:bob",
            "smtp:remote.example:rep@remote.example"
        ]
    );
    // The catch-all takes the rest.
    assert_eq!(routes(&r, "anyone@hosted.example"), ["local:carol"]);
    // Extension propagation: joe+x -> joe+x@elsewhere.example.
    assert_eq!(
        routes(&r, "joe+x@hosted.example"),
        ["smtp:elsewhere.example:joe+x@elsewhere.example"]
    );
    // A self-reference stops expansion; hosted.example has no mailboxes,
    // so the address itself is unknown in the virtual alias table.
    assert_eq!(
        routes(&r, "self@hosted.example"),
        ["reject:550 5.1.1", "local:alice"]
    );
}

#[test]
fn virtual_alias_domain_without_catch_all() {
    let r = router_with(
        "virtual_alias_domains = hosted.example\n",
        virtual_tables("info@hosted.example alice\n"),
    );
    let res = r.resolve(&mb("nobody@hosted.example"));
    let reply = res.rejection().unwrap();
    assert_eq!(reply.code, 550);
    assert!(reply.text.contains("virtual alias table"), "{reply}");
}

#[test]
fn virtual_alias_loops_and_limits() {
    let r = router_with(
        "",
        virtual_tables("a@example.com b@example.com\nb@example.com a@example.com\n"),
    );
    let res = r.resolve(&mb("a@example.com"));
    assert_eq!(res.rejection().unwrap().status.to_string(), "5.4.6");

    // A chain longer than virtual_alias_recursion_limit defers (Postfix's
    // cleanup defers the message).
    let chain: String = (0..10)
        .map(|i| format!("u{i}@example.com u{}@example.com\n", i + 1))
        .collect();
    let r = router_with(
        "virtual_alias_recursion_limit = 5\n",
        virtual_tables(&chain),
    );
    let reply = r
        .resolve(&mb("u0@example.com"))
        .rejection()
        .cloned()
        .unwrap();
    assert_eq!(
        (reply.code, reply.status.to_string().as_str()),
        (451, "4.3.0")
    );
    // The same chain within the limit ends at u10, which is unknown.
    let r = router_with(
        "virtual_alias_recursion_limit = 50\n",
        virtual_tables(&chain),
    );
    assert_eq!(routes(&r, "u0@example.com"), ["reject:550 5.1.1"]);

    // Whatever the configured limit, nesting stops at MAX_EXPANSION_DEPTH
    // (run on a small stack to show the walk stays shallow).
    let long: String = (0..400)
        .map(|i| format!("u{i}@example.com u{}@example.com\n", i + 1))
        .collect();
    let r = router_with(
        "virtual_alias_recursion_limit = 100000\n",
        virtual_tables(&long),
    );
    let reply = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || r.resolve(&mb("u0@example.com")).rejection().cloned())
        .unwrap()
        .join()
        .unwrap()
        .unwrap();
    assert_eq!(reply.code, 451);

    // A fan-out larger than virtual_alias_expansion_limit defers too.
    let r = router_with(
        "virtual_alias_expansion_limit = 3\n",
        virtual_tables("all@example.com alice, bob, carol, root, alice+x\n"),
    );
    let res = r.resolve(&mb("all@example.com"));
    assert_eq!(res.rejection().map(|r| r.code), Some(451));
}

#[test]
fn virtual_mailboxes() {
    let tables = Tables {
        virtual_mailbox: MapList::from_tables(vec![table::<Text>(
            "ann@mail.example      mail.example/ann/\n\
             ben@mail.example      mail.example/ben.mbox\n\
             @catch.example        catch.example/all/\n",
        )]),
        ..Tables::default()
    };
    let r = router_with(
        "virtual_mailbox_domains = mail.example, catch.example\n\
         virtual_mailbox_base = /srv/vmail\n",
        tables,
    );
    let res = r.resolve(&mb("ann+tag@mail.example"));
    match &res.routes[..] {
        [
            Route::VirtualMailbox {
                maildrop, maildir, ..
            },
        ] => {
            assert_eq!(maildrop, &PathBuf::from("/srv/vmail/mail.example/ann/"));
            assert!(*maildir);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        routes(&r, "ben@mail.example"),
        ["virtual:/srv/vmail/mail.example/ben.mbox"]
    );
    assert_eq!(
        routes(&r, "whoever@catch.example"),
        ["virtual:/srv/vmail/catch.example/all/"]
    );
    let res = r.resolve(&mb("ghost@mail.example"));
    let reply = res.rejection().unwrap();
    assert_eq!(reply.code, 550);
    assert!(reply.text.contains("virtual mailbox table"), "{reply}");
}

#[test]
fn transports_relayhost_and_mx() {
    let transport = table::<Transport>(
        "special.example         smtp:[10.0.0.5]:2525\n\
         .special.example        relay:gw.special.example\n\
         bob@example.com         lmtp:unix:/run/dovecot/lmtp\n\
         gone.example            error:5.1.2 domain is gone\n\
         later.example           error:4.4.1 try later\n\
         void.example            discard:silently\n\
         pipe.example            dovecot:\n\
         localized.example       local:\n\
         hop.example             :[hop.relay.example]\n",
    );
    let tables = Tables {
        transport: MapList::from_tables(vec![transport]),
        ..Tables::default()
    };
    let r = router_with("relay_domains = partner.example\n", tables.clone());
    let cases: &[(&str, &str)] = &[
        (
            "x@special.example",
            "smtp:[10.0.0.5]:2525:x@special.example",
        ),
        (
            "x@a.special.example",
            "relay:gw.special.example:x@a.special.example",
        ),
        (
            "bob@example.com",
            "lmtp:unix:/run/dovecot/lmtp:bob@example.com",
        ),
        ("x@gone.example", "reject:550 5.1.2"),
        ("x@later.example", "reject:450 4.4.1"),
        ("x@void.example", "discard"),
        // An empty next hop means the recipient domain.
        ("x@pipe.example", "other:dovecot:pipe.example"),
        ("alice@localized.example", "local:alice"),
        ("x@hop.example", "smtp:[hop.relay.example]:x@hop.example"),
        // relay_domains: transport relay, next hop the domain (MX).
        (
            "x@partner.example",
            "relay:partner.example:x@partner.example",
        ),
        // The default class: smtp to the MX of the domain.
        (
            "x@elsewhere.example",
            "smtp:elsewhere.example:x@elsewhere.example",
        ),
    ];
    for (rcpt, want) in cases {
        assert_eq!(routes(&r, rcpt), [*want], "{rcpt}");
    }
    // relayhost takes non-local mail unless the transport table says more.
    let r = router_with(
        "relay_domains = partner.example\nrelayhost = [smart.example]:587\n",
        tables,
    );
    assert_eq!(
        routes(&r, "x@elsewhere.example"),
        ["smtp:[smart.example]:587:x@elsewhere.example"]
    );
    assert_eq!(
        routes(&r, "x@partner.example"),
        ["relay:[smart.example]:587:x@partner.example"]
    );
    assert_eq!(
        routes(&r, "x@special.example"),
        ["smtp:[10.0.0.5]:2525:x@special.example"]
    );
}

#[test]
fn next_hop_forms() {
    let cases: &[(&str, NextHop)] = &[
        (
            "example.com",
            NextHop::Mx {
                domain: "example.com".into(),
                port: None,
            },
        ),
        (
            "Example.com:587",
            NextHop::Mx {
                domain: "example.com".into(),
                port: Some(587),
            },
        ),
        (
            "[192.0.2.1]",
            NextHop::Host {
                host: "192.0.2.1".into(),
                port: None,
            },
        ),
        (
            "[2001:db8::1]:smtp",
            NextHop::Host {
                host: "2001:db8::1".into(),
                port: Some(25),
            },
        ),
        (
            "inet:[lmtp.example]:lmtp",
            NextHop::Host {
                host: "lmtp.example".into(),
                port: Some(24),
            },
        ),
        ("unix:/run/lmtp", NextHop::Unix(PathBuf::from("/run/lmtp"))),
    ];
    for (text, want) in cases {
        assert_eq!(NextHop::parse(text).as_ref(), Some(want), "{text}");
    }
    for bad in [
        "",
        "[x",
        "[x]:",
        "host:0",
        "host:99999",
        "host:nosuchservice",
        "unix:",
    ] {
        assert_eq!(NextHop::parse(bad), None, "{bad}");
    }
}

struct FailingUsers;

impl LocalUsers for FailingUsers {
    fn exists(&self, _: &str) -> Result<bool, UserLookupError> {
        Err(UserLookupError(std::io::Error::other(
            "passwd-file unreadable",
        )))
    }
}

#[test]
fn user_database_failure_is_temporary() {
    let r = Router::with_tables(config(""), Tables::default(), FailingUsers);
    assert_eq!(routes(&r, "alice@example.com"), ["reject:451 4.3.0"]);
}

mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn addresses_never_panic(text in "[ -~]{0,300}") {
            let _ = Mailbox::parse(&text);
            let _ = ReversePath::parse(&text);
        }

        /// Any address resolves without panicking, over aliases and
        /// virtual aliases that refer to each other.
        #[test]
        fn resolve_never_panics(local in "[a-z+.\"]{1,12}", domain in "(example\\.com|hosted\\.example|remote\\.example)") {
            let tables = Tables {
                aliases: MapList::from_tables(vec![table::<Aliases>("a: b, c@hosted.example\nb: a\nc: \\c\n")]),
                virtual_alias: MapList::from_tables(vec![table::<Virtual>("@hosted.example a@example.com\nc@hosted.example c@hosted.example\n")]),
                ..Tables::default()
            };
            let r = router_with("", tables);
            if let Ok(m) = Mailbox::parse(&format!("{local}@{domain}")) {
                let res = r.resolve(&m);
                prop_assert!(!res.routes.is_empty());
            }
        }
    }
}
