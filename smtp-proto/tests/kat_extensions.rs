//! Known-answer tests from the extension RFCs' examples: PIPELINING
//! (RFC 2920 3), LMTP (RFC 2033 4.3), CHUNKING (RFC 3030 4), AUTH (RFC 4954
//! 8) with STARTTLS (RFC 3207), SIZE (RFC 1870 6).

mod common;

use common::transcripts::*;

use common::{check, config, messages};
use smtp_proto::server::{Config, Event, Mode};
use smtp_proto::{Credentials, Mechanism, Secret};

#[test]
fn rfc2920_pipelining() {
    let out = check(config(), PIPELINED);
    assert_eq!(messages(&out), vec![Vec::<u8>::new()]);
    let out = check(config(), PIPELINED_NO_RECIPIENTS);
    assert!(messages(&out).is_empty());
    assert!(
        !out.events
            .iter()
            .any(|e| matches!(e, Event::DataStart { .. }))
    );
}

#[test]
fn rfc2033_lmtp_per_recipient_replies() {
    let c = Config {
        mode: Mode::Lmtp,
        ..config()
    };
    let out = check(c, LMTP);
    assert_eq!(messages(&out).len(), 1);
    let replies = common::parse_all(&out.output);
    assert!(
        replies
            .iter()
            .any(|r| r.code().get() == 452 && r.lines()[0].contains("green"))
    );
}

#[test]
fn rfc3030_bdat() {
    let out = check(config(), BDAT_SIMPLE);
    let m = messages(&out);
    assert_eq!(m[0].len(), 86);
    assert!(out.events.contains(&Event::DataStart { chunking: true }));
    let out = check(config(), BDAT_CHUNKS);
    // No dot transparency in BDAT: the ".\r\n" is content.
    assert_eq!(messages(&out), vec![b"\0\x01binary\n.\r\nmore.".to_vec()]);
}

#[test]
fn rfc4954_auth_plain_and_login() {
    let test_1234 = |mechanism, authzid: Option<&str>| {
        Event::Auth(Credentials {
            mechanism,
            authzid: authzid.map(str::to_owned),
            authcid: "test".into(),
            password: Secret::new("1234".into()),
        })
    };
    let out = check(config(), AUTH_AFTER_STARTTLS);
    assert!(out.events.contains(&Event::StartTls));
    assert!(
        out.events
            .contains(&test_1234(Mechanism::Plain, Some("test")))
    );
    let out = check(config(), AUTH_PLAIN_CHALLENGE);
    assert!(
        out.events
            .contains(&test_1234(Mechanism::Plain, Some("test")))
    );
    let out = check(config(), AUTH_LOGIN);
    assert!(out.events.contains(&test_1234(Mechanism::Login, None)));
}

#[test]
fn rfc3207_pipelined_plaintext_is_discarded() {
    let out = check(config(), STARTTLS_INJECTION);
    let mails: Vec<_> = out
        .events
        .iter()
        .filter(|e| matches!(e, Event::Mail { .. }))
        .collect();
    assert_eq!(mails.len(), 1);
    assert!(format!("{mails:?}").contains("after"));
}

#[test]
fn rfc1870_declared_size() {
    let mut c = config();
    c.limits.message_size = Some(1_000_000);
    check(c, SIZE_DECLARED);
}
