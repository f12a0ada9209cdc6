//! Relay permission: smtpd_relay_restrictions and
//! smtpd_recipient_restrictions against (client address, SASL, reverse-path,
//! forward-path), including an address outside mynetworks refused relay;
//! routers opened from table files and refreshed.

mod router_support;

use mta_core::maps::TableKind;
use mta_core::router::{Decision, Router, Tables};
use router_support::*;

#[test]
fn no_open_relay_by_default() {
    // Postfix's defaults: mynetworks_style = host (this machine only),
    // smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,
    // defer_unauth_destination.
    let r = router_with("", Tables::default());
    let far = "x@remote.example";
    assert_eq!(
        decide(&r, "127.0.0.1", false, "a@b.example", far),
        Decision::Accept
    );
    assert_eq!(decide(&r, "::1", false, "<>", far), Decision::Accept);
    // 127.0.0.2 is a loopback address but not this host's interface address:
    // outside mynetworks, so relaying is refused.
    for outside in [
        "127.0.0.2",
        "192.0.2.10",
        "2001:db8::1",
        "::ffff:198.51.100.1",
    ] {
        let d = decide(&r, outside, false, "a@b.example", far);
        assert_eq!(refused(&d), Some((454, "4.7.1".into())), "{outside}");
        if let Decision::Refuse(reply) = d {
            assert!(reply.text.contains("Relay access denied"), "{reply}");
        }
    }
    // An authenticated client may relay from anywhere.
    assert_eq!(
        decide(&r, "192.0.2.10", true, "a@b.example", far),
        Decision::Accept
    );
    // Mail for our own domains is accepted from anyone...
    assert_eq!(
        decide(&r, "192.0.2.10", false, "a@b.example", "alice@example.com"),
        Decision::Accept
    );
    // ...unless the user is unknown (smtpd_reject_unlisted_recipient).
    assert_eq!(
        refused(&decide(
            &r,
            "192.0.2.10",
            false,
            "a@b.example",
            "ghost@example.com"
        )),
        Some((550, "5.1.1".into()))
    );
}

#[test]
fn mynetworks_and_reject_unauth_destination() {
    let r = router_with(
        "mynetworks = 127.0.0.0/8, [::1]/128, 10.1.0.0/16\n\
         relay_domains = partner.example\n\
         smtpd_relay_restrictions = permit_mynetworks, reject_unauth_destination\n",
        Tables::default(),
    );
    let far = "x@remote.example";
    assert_eq!(decide(&r, "127.0.0.2", false, "<>", far), Decision::Accept);
    assert_eq!(decide(&r, "10.1.200.3", false, "<>", far), Decision::Accept);
    assert_eq!(
        refused(&decide(&r, "10.2.0.1", false, "<>", far)),
        Some((554, "5.7.1".into()))
    );
    // SASL is not in this list.
    assert!(refused(&decide(&r, "10.2.0.1", true, "<>", far)).is_some());
    // relay_domains (and subdomains) from anyone, but not with
    // sender-specified routing in the local part.
    assert_eq!(
        decide(&r, "10.2.0.1", false, "<>", "x@partner.example"),
        Decision::Accept
    );
    assert_eq!(
        decide(&r, "10.2.0.1", false, "<>", "x@mx.partner.example"),
        Decision::Accept
    );
    assert!(
        refused(&decide(
            &r,
            "10.2.0.1",
            false,
            "<>",
            "x%evil.example@partner.example"
        ))
        .is_some()
    );
    // mynetworks_style = subnet over the loopback interface trusts 127/8.
    let r = router_with("mynetworks_style = subnet\n", Tables::default());
    assert_eq!(
        decide(&r, "127.0.0.2", false, "<>", "x@remote.example"),
        Decision::Accept
    );
}

#[test]
fn access_restrictions() {
    let tables = access_tables(&[
        (
            "cidr:/etc/postfix/clients.cidr",
            "192.0.2.0/24 REJECT blocked network\n198.51.100.7 permit_mynetworks\n",
            TableKind::Cidr,
        ),
        (
            "hash:/etc/postfix/senders",
            "<>                 550 5.7.1 no bounces here\n\
             spam.example       REJECT\n\
             friend@spam.example OK\n\
             grey.example       DEFER\n",
            TableKind::Indexed,
        ),
        (
            "hash:/etc/postfix/recipients",
            "carol@example.com  REJECT carol left\n\
             example.com        DUNNO\n\
             open.example       OK\n\
             weird.example      HOLD\n",
            TableKind::Indexed,
        ),
    ]);
    let r = router_with(
        "smtpd_relay_restrictions =\n\
         smtpd_recipient_restrictions =\n\
         \x20 check_client_access cidr:/etc/postfix/clients.cidr,\n\
         \x20 check_sender_access hash:/etc/postfix/senders,\n\
         \x20 check_recipient_access hash:/etc/postfix/recipients,\n\
         \x20 permit_mynetworks, reject_unauth_destination\n",
        tables,
    );
    let local = "alice@example.com";
    // Client table.
    let d = decide(&r, "192.0.2.1", false, "a@b.example", local);
    assert_eq!(refused(&d), Some((554, "5.7.1".into())));
    if let Decision::Refuse(reply) = d {
        assert_eq!(
            reply.text,
            "<unknown[192.0.2.1]>: Client host rejected: blocked network"
        );
    }
    // A restriction name as the action: 198.51.100.7 is not in mynetworks,
    // so permit_mynetworks says nothing and the checks go on.
    assert_eq!(
        decide(&r, "198.51.100.7", false, "a@b.example", local),
        Decision::Accept
    );
    // Sender table: the null reverse-path is looked up as <>.
    let d = decide(&r, "203.0.113.1", false, "<>", local);
    assert_eq!(refused(&d), Some((550, "5.7.1".into())));
    assert_eq!(
        refused(&decide(
            &r,
            "203.0.113.1",
            false,
            "x@mx.spam.example",
            local
        )),
        Some((554, "5.7.1".into()))
    );
    assert_eq!(
        decide(&r, "203.0.113.1", false, "friend@spam.example", local),
        Decision::Accept
    );
    assert_eq!(
        refused(&decide(&r, "203.0.113.1", false, "x@grey.example", local)),
        Some((450, "4.7.1".into()))
    );
    // Recipient table: OK permits relaying to open.example from anyone.
    assert_eq!(
        decide(&r, "203.0.113.1", false, "a@b.example", "x@open.example"),
        Decision::Accept
    );
    let d = decide(&r, "203.0.113.1", false, "a@b.example", "carol@example.com");
    match d {
        Decision::Refuse(reply) => {
            assert_eq!(reply.code, 554);
            assert_eq!(
                reply.text,
                "<carol@example.com>: Recipient address rejected: carol left"
            );
        }
        Decision::Accept => panic!("carol accepted"),
    }
    // DUNNO for example.com: the parent "com" is not tried, and the
    // remaining restrictions accept a local recipient.
    assert_eq!(
        decide(&r, "203.0.113.1", false, "a@b.example", "bob@example.com"),
        Decision::Accept
    );
    // An action missive does not implement answers 451 4.3.5.
    assert_eq!(
        refused(&decide(
            &r,
            "203.0.113.1",
            false,
            "a@b.example",
            "x@weird.example"
        )),
        Some((451, "4.3.5".into()))
    );
    // Still no open relay for others.
    assert_eq!(
        refused(&decide(
            &r,
            "203.0.113.1",
            false,
            "a@b.example",
            "x@remote.example"
        )),
        Some((554, "5.7.1".into()))
    );
}

#[test]
fn explicit_reject_unlisted_and_permit_reject() {
    let r = router_with(
        "smtpd_reject_unlisted_recipient = no\n\
         smtpd_relay_restrictions = reject_unauth_destination\n\
         smtpd_recipient_restrictions = reject_unlisted_recipient, permit\n",
        aliases("sales: alice\n"),
    );
    assert_eq!(
        decide(&r, "192.0.2.1", false, "<>", "sales+x@example.com"),
        Decision::Accept
    );
    assert_eq!(
        refused(&decide(&r, "192.0.2.1", false, "<>", "ghost@example.com")),
        Some((550, "5.1.1".into()))
    );
    let r = router_with(
        "smtpd_reject_unlisted_recipient = no\n\
         smtpd_relay_restrictions = permit_mynetworks, reject\n",
        Tables::default(),
    );
    assert_eq!(
        decide(&r, "127.0.0.1", false, "<>", "x@remote.example"),
        Decision::Accept
    );
    assert_eq!(
        refused(&decide(&r, "192.0.2.1", false, "<>", "ghost@example.com")),
        Some((554, "5.7.1".into()))
    );
}

#[test]
fn open_and_refresh_from_files() {
    let dir = tempfile::tempdir().unwrap();
    let aliases_path = dir.path().join("aliases");
    let access_path = dir.path().join("access");
    let domains_path = dir.path().join("relay_domains");
    std::fs::write(&aliases_path, "info: alice\n").unwrap();
    std::fs::write(&access_path, "192.0.2.1 REJECT\n").unwrap();
    std::fs::write(&domains_path, "partner.example OK\n").unwrap();
    let cfg = config(&format!(
        "alias_maps = hash:{}\n\
         relay_domains = hash:{}\n\
         smtpd_recipient_restrictions = check_client_access texthash:{}\n",
        aliases_path.display(),
        domains_path.display(),
        access_path.display()
    ));
    let mut r = Router::open(cfg, users()).unwrap();
    assert_eq!(routes(&r, "info@example.com"), ["local:alice"]);
    assert_eq!(
        routes(&r, "x@partner.example"),
        ["relay:partner.example:x@partner.example"]
    );
    assert!(refused(&decide(&r, "192.0.2.1", false, "<>", "alice@example.com")).is_some());
    assert_eq!(r.refresh().unwrap(), 0);
    std::fs::write(&aliases_path, "info: bob, carol\n").unwrap();
    std::fs::write(&access_path, "192.0.2.2 REJECT\n").unwrap();
    assert_eq!(r.refresh().unwrap(), 2);
    assert_eq!(routes(&r, "info@example.com"), ["local:bob", "local:carol"]);
    assert_eq!(
        decide(&r, "192.0.2.1", false, "<>", "alice@example.com"),
        Decision::Accept
    );
    // A missing table fails to open with its path (Postfix's default
    // alias_maps = hash:/etc/aliases fails the same way where there is no
    // /etc/aliases, hence the empty alias_maps here).
    std::fs::remove_file(&domains_path).unwrap();
    let cfg = config(&format!(
        "alias_maps =\nrelay_domains = hash:{}\n",
        domains_path.display()
    ));
    let e = Router::open(cfg, users()).unwrap_err();
    assert!(e.to_string().contains("relay_domains"), "{e}");
}
