//! RFC 5321 Appendix D scenarios as known-answer tests: the application
//! answers as the RFC's server did, and the session must produce the same
//! replies in the same order, with the message content intact.

mod common;

use common::transcripts::*;

use common::{check, config, messages};

#[test]
fn d1_typical_transaction() {
    let out = check(config(), D1);
    // The transcript's "...etc." is what the wire carries, so its first dot
    // is removed as transparency (RFC 5321 4.5.2).
    assert_eq!(
        messages(&out),
        vec![b"Blah blah blah...\r\n..etc. etc. etc.\r\n".to_vec()]
    );
}

#[test]
fn d2_aborted_transaction() {
    let out = check(config(), D2);
    assert!(messages(&out).is_empty());
    assert!(out.events.contains(&smtp_proto::server::Event::Reset));
}

#[test]
fn d3_relayed_mail() {
    let out = check(config(), D3_1);
    let m = messages(&out);
    assert_eq!(m.len(), 1);
    assert!(m[0].starts_with(b"Date: Thu, 21 May 1998 05:33:29 -0700\r\n"));
    assert!(m[0].ends_with(b"on Tuesday.\r\nJohn.\r\n"));
    let out = check(config(), D3_2);
    let m = messages(&out);
    assert!(m[0].starts_with(
        b"Received: from bar.com by foo.com ; Thu, 21 May 1998\r\n    05:33:29 -0700\r\n"
    ));
}

#[test]
fn d4_verifying_and_sending() {
    let out = check(config(), D4);
    assert_eq!(messages(&out).len(), 1);
    let vrfy = common::parse_all(&out.output)
        .into_iter()
        .find(|r| r.lines()[0].contains("Crispin"))
        .expect("the application's VRFY answer");
    assert_eq!(vrfy.code().get(), 250);
}
