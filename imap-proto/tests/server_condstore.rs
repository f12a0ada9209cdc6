//! CONDSTORE and QRESYNC in the Sans-IO session (RFC 7162 sections 3.1
//! and 3.2): the capabilities, HIGHESTMODSEQ and NOMODSEQ at SELECT, the
//! enabling commands, the commands refused without mod-sequences or
//! before ENABLE QRESYNC, MODSEQ and UID in the FETCH responses about
//! others' flag changes, VANISHED instead of EXPUNGE, what a SELECT with
//! the QRESYNC parameter reports, and [CLOSED].

use std::time::Instant;

use imap_proto::message::MessageState;
use imap_proto::server::{Config, Event, Resync, SelectInfo, Session};
use imap_proto::types::{
    CommandBody, Flag, MessageDataItem, SearchKey, SelectParameter, StatusKind,
};

fn config() -> Config {
    Config {
        plaintext_auth: true,
        condstore: true,
        ..Config::default()
    }
}

fn out(s: &mut Session) -> String {
    let mut v = Vec::new();
    while let Some(b) = s.poll_transmit() {
        v.extend_from_slice(&b);
    }
    String::from_utf8_lossy(&v).into_owned()
}

fn info(highest: Option<u64>) -> SelectInfo {
    SelectInfo {
        messages: (1..=3)
            .map(|uid| MessageState {
                uid,
                flags: Default::default(),
                recent: false,
            })
            .collect(),
        uid_validity: 7,
        uid_next: 4,
        keywords: vec![],
        new_keywords: true,
        read_only: false,
        highest_modseq: highest,
    }
}

/// A scripted owner: accepts every login; SELECT finds `highest` (the
/// mailbox "nomodseq" none); every other command completes with OK, a
/// FETCH answering `* 1 FETCH (MODSEQ (5))`. Returns what was written and
/// the commands handed over.
fn run_owner(s: &mut Session, now: Instant, highest: u64) -> (String, Vec<CommandBody>) {
    let mut text = out(s);
    let mut seen = Vec::new();
    while let Some(ev) = s.poll_event() {
        match ev {
            Event::Login { .. } => s.login_complete(now, true).unwrap(),
            Event::Command(c) => {
                match &c.body {
                    CommandBody::Select {
                        mailbox,
                        parameters,
                    }
                    | CommandBody::Examine {
                        mailbox,
                        parameters,
                    } => {
                        let h = (mailbox.as_str() != "nomodseq").then_some(highest);
                        let qresync = parameters
                            .iter()
                            .any(|p| matches!(p, SelectParameter::QResync { .. }));
                        // What the owner found for a QRESYNC parameter.
                        let resync = if qresync {
                            Resync {
                                vanished: vec![(5, 6), (9, 9)],
                                changed: vec![(2, 40)],
                            }
                        } else {
                            Resync::default()
                        };
                        s.select_resync(now, Ok(info(h)), resync).unwrap()
                    }
                    CommandBody::Fetch { .. } => {
                        s.fetch_response(0, vec![MessageDataItem::ModSeq(5)]);
                        s.complete(now, StatusKind::Ok, None, "done").unwrap()
                    }
                    _ => s.complete(now, StatusKind::Ok, None, "done").unwrap(),
                }
                seen.push(c.body);
            }
            _ => {}
        }
        text.push_str(&out(s));
    }
    (text, seen)
}

fn session(now: Instant, config: Config) -> Session {
    let mut s = Session::new(config, now);
    s.receive(now, b"a LOGIN alice secret\r\n");
    run_owner(&mut s, now, 0);
    s
}

fn say(s: &mut Session, now: Instant, line: &str) -> String {
    s.receive(now, format!("{line}\r\n").as_bytes());
    run_owner(s, now, 42).0
}

#[test]
fn capability_only_when_configured() {
    let now = Instant::now();
    let mut s = session(now, config());
    assert!(say(&mut s, now, "c CAPABILITY").contains(" CONDSTORE"));
    let mut s = session(
        now,
        Config {
            plaintext_auth: true,
            ..Config::default()
        },
    );
    let t = say(&mut s, now, "c CAPABILITY");
    assert!(!t.contains("CONDSTORE"), "{t}");
    // Not offered: ENABLE leaves it out, SELECT reports nothing.
    let t = say(&mut s, now, "e ENABLE CONDSTORE");
    assert!(t.contains("* ENABLED\r\n"), "{t}");
    let t = say(&mut s, now, "s SELECT INBOX");
    assert!(!t.contains("MODSEQ"), "{t}");
}

#[test]
fn select_condstore_reports_highestmodseq() {
    let now = Instant::now();
    let mut s = session(now, config());
    let t = say(&mut s, now, "s SELECT INBOX");
    assert!(!t.contains("MODSEQ"), "not yet CONDSTORE-aware: {t}");
    let t = say(&mut s, now, "s SELECT INBOX (CONDSTORE)");
    assert!(t.contains("* OK [HIGHESTMODSEQ 42] "), "{t}");
    assert!(t.contains("s OK [READ-WRITE]"), "{t}");
    assert!(s.condstore_enabled());
    // From now on every SELECT reports it, or NOMODSEQ.
    let t = say(&mut s, now, "x EXAMINE INBOX");
    assert!(t.contains("* OK [HIGHESTMODSEQ 42] "), "{t}");
    let t = say(&mut s, now, "y SELECT nomodseq");
    assert!(t.contains("* OK [NOMODSEQ] "), "{t}");
}

#[test]
fn enable_with_a_mailbox_selected_reports_highestmodseq_once() {
    let now = Instant::now();
    let mut s = session(now, config());
    say(&mut s, now, "s SELECT INBOX");
    let t = say(&mut s, now, "e ENABLE CONDSTORE");
    assert!(t.contains("* OK [HIGHESTMODSEQ 42] "), "{t}");
    assert!(t.contains("* ENABLED CONDSTORE\r\n"), "{t}");
    let t = say(&mut s, now, "f ENABLE CONDSTORE");
    assert!(!t.contains("HIGHESTMODSEQ"), "{t}");
}

#[test]
fn first_enabling_command_reports_the_highest_known() {
    for (line, enables) in [
        ("f FETCH 1 (MODSEQ)", true),
        ("f FETCH 1:* (FLAGS) (CHANGEDSINCE 3)", true),
        ("f UID SEARCH MODSEQ 3", true),
        ("f SEARCH OR NOT MODSEQ 3 ALL", true),
        ("f STORE 1 (UNCHANGEDSINCE 3) +FLAGS (\\Seen)", true),
        ("f STATUS INBOX (HIGHESTMODSEQ)", true),
        ("f FETCH 1 (FLAGS)", false),
        ("f STORE 1 +FLAGS (\\Seen)", false),
    ] {
        let now = Instant::now();
        let mut s = session(now, config());
        say(&mut s, now, "s SELECT INBOX");
        // The owner learned of a later change meanwhile.
        s.note_modseq(50);
        let t = say(&mut s, now, line);
        assert_eq!(s.condstore_enabled(), enables, "{line}: {t}");
        assert_eq!(
            t.contains("* OK [HIGHESTMODSEQ 50] "),
            enables,
            "{line}: {t}"
        );
        assert!(t.contains("f OK"), "{line}: {t}");
    }
}

#[test]
fn a_mailbox_without_modseqs_refuses_what_needs_them() {
    let now = Instant::now();
    let mut s = session(now, config());
    say(&mut s, now, "s SELECT nomodseq (CONDSTORE)");
    for line in [
        "f FETCH 1 (MODSEQ)",
        "f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3)",
        "f SEARCH MODSEQ 3",
        "f UID STORE 1 (UNCHANGEDSINCE 3) +FLAGS (\\Seen)",
    ] {
        s.receive(now, format!("{line}\r\n").as_bytes());
        let (t, handed) = run_owner(&mut s, now, 42);
        assert!(t.starts_with("f BAD "), "{line}: {t}");
        assert!(handed.is_empty(), "{line}");
    }
    // Without MODSEQ the commands go on.
    let (t, handed) = {
        s.receive(now, b"g FETCH 1 (FLAGS)\r\n");
        run_owner(&mut s, now, 42)
    };
    assert!(t.contains("g OK"), "{t}");
    assert_eq!(handed.len(), 1);
}

#[test]
fn qresync_is_not_offered() {
    let now = Instant::now();
    let mut s = session(now, config());
    let t = say(&mut s, now, "s SELECT INBOX (QRESYNC (7 40))");
    assert!(t.starts_with("s BAD "), "{t}");
    let t = say(&mut s, now, "e ENABLE QRESYNC");
    assert!(t.contains("* ENABLED\r\n"), "{t}");
    say(&mut s, now, "s SELECT INBOX");
    let t = say(
        &mut s,
        now,
        "f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)",
    );
    assert!(t.starts_with("f BAD "), "{t}");
}

#[test]
fn others_flag_changes_carry_the_modseq_once_enabled() {
    let now = Instant::now();
    let mut s = session(now, config());
    say(&mut s, now, "s SELECT INBOX");
    let v = s.view_mut().unwrap();
    v.store_flags(2, vec![Flag::Seen]);
    v.store_modseq(2, 60);
    let t = say(&mut s, now, "n NOOP");
    assert!(t.contains("* 2 FETCH (FLAGS (\\Seen))\r\n"), "{t}");
    say(&mut s, now, "e ENABLE CONDSTORE");
    let v = s.view_mut().unwrap();
    v.store_flags(3, vec![Flag::Flagged]);
    v.store_modseq(3, 61);
    let t = say(&mut s, now, "n NOOP");
    // With the UID too (RFC 7162 section 3.2.4).
    assert!(
        t.contains("* 3 FETCH (FLAGS (\\Flagged) UID 3 MODSEQ (61))\r\n"),
        "{t}"
    );
}

#[test]
fn parsed_condstore_commands() {
    let now = Instant::now();
    let mut s = session(now, config());
    s.receive(now, b"s SELECT INBOX (CONDSTORE)\r\n");
    let (_, handed) = run_owner(&mut s, now, 42);
    assert!(matches!(
        &handed[..],
        [CommandBody::Select { parameters, .. }] if parameters == &[SelectParameter::CondStore]
    ));
    s.receive(
        now,
        b"a UID STORE 1:3 (UNCHANGEDSINCE 12121230045) +FLAGS.SILENT (\\Deleted)\r\n\
b SEARCH MODSEQ \"/flags/\\\\draft\" all 620162338\r\n",
    );
    let (_, handed) = run_owner(&mut s, now, 42);
    assert!(matches!(
        &handed[0],
        CommandBody::Store {
            uid: true,
            unchanged_since: Some(12121230045),
            silent: true,
            ..
        }
    ));
    assert!(matches!(
        &handed[1],
        CommandBody::Search { criteria, .. }
            if matches!(criteria.first(), Some(SearchKey::ModSeq { modseq: 620162338, entry: Some(_) }))
    ));
}

/// The output of `script` fed to a session with `config` at once, after
/// checking that byte by byte and split at every position give the same.
fn same_at_every_split(config: Config, script: &[u8]) -> String {
    let run = |chunks: Vec<&[u8]>| {
        let now = Instant::now();
        let mut s = Session::new(config.clone(), now);
        let mut text = out(&mut s);
        for c in chunks {
            s.receive(now, c);
            text.push_str(&run_owner(&mut s, now, 42).0);
        }
        text
    };
    let whole = run(vec![script]);
    let bytes: Vec<&[u8]> = script.chunks(1).collect();
    assert_eq!(run(bytes), whole);
    for i in 1..script.len() {
        let (a, b) = script.split_at(i);
        assert_eq!(run(vec![a, b]), whole, "split at {i}");
    }
    whole
}

/// A CONDSTORE session fed at once, byte by byte, and split at every
/// position gives the same output.
#[test]
fn any_split_gives_the_same_session() {
    let script: &[u8] = b"a LOGIN alice secret\r\nb SELECT INBOX (CONDSTORE)\r\n\
c FETCH 1:* (FLAGS) (CHANGEDSINCE 12)\r\nd UID STORE 1 (UNCHANGEDSINCE 40) +FLAGS (\\Seen)\r\n\
e SEARCH MODSEQ 7\r\nf STATUS INBOX (HIGHESTMODSEQ)\r\ng SELECT nomodseq\r\n\
h FETCH 1 (MODSEQ)\r\ni ENABLE CONDSTORE\r\nj LOGOUT\r\n";
    let whole = same_at_every_split(config(), script);
    assert!(whole.contains("* OK [HIGHESTMODSEQ 42]"), "{whole}");
    assert!(whole.contains("* OK [NOMODSEQ]"), "{whole}");
    assert!(whole.contains("h BAD"), "{whole}");
    assert!(whole.contains("j OK LOGOUT"), "{whole}");
}

fn qresync_config() -> Config {
    Config {
        qresync: true,
        ..config()
    }
}

#[test]
fn qresync_is_offered_and_enabled_with_condstore() {
    let now = Instant::now();
    let mut s = session(now, qresync_config());
    let t = say(&mut s, now, "c CAPABILITY");
    assert!(t.contains(" CONDSTORE QRESYNC"), "{t}");
    let t = say(&mut s, now, "e ENABLE QRESYNC");
    assert!(t.contains("* ENABLED QRESYNC\r\n"), "{t}");
    assert!(s.qresync_enabled() && s.condstore_enabled());
    // Not offered without CONDSTORE.
    let mut s = session(
        now,
        Config {
            qresync: true,
            plaintext_auth: true,
            ..Config::default()
        },
    );
    let t = say(&mut s, now, "c CAPABILITY");
    assert!(!t.contains("QRESYNC"), "{t}");
    let t = say(&mut s, now, "e ENABLE QRESYNC");
    assert!(t.contains("* ENABLED\r\n"), "{t}");
}

#[test]
fn qresync_commands_refused_as_rfc_7162_says() {
    let now = Instant::now();
    let mut s = session(now, qresync_config());
    // Before ENABLE QRESYNC (sections 3.2.5 and 3.2.6).
    let t = say(&mut s, now, "s SELECT INBOX (QRESYNC (7 10))");
    assert!(t.starts_with("s BAD "), "{t}");
    say(&mut s, now, "s SELECT INBOX");
    let t = say(
        &mut s,
        now,
        "f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)",
    );
    assert!(t.starts_with("f BAD "), "{t}");
    say(&mut s, now, "e ENABLE QRESYNC");
    // VANISHED: UID FETCH only, with CHANGEDSINCE.
    let t = say(&mut s, now, "f FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)");
    assert!(t.starts_with("f BAD "), "{t}");
    let t = say(&mut s, now, "f UID FETCH 1:* (FLAGS) (VANISHED)");
    assert!(t.starts_with("f BAD "), "{t}");
    s.receive(
        now,
        b"f UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)\r\n",
    );
    let (t, handed) = run_owner(&mut s, now, 42);
    assert!(t.contains("f OK"), "{t}");
    assert!(matches!(
        &handed[..],
        [CommandBody::Fetch { uid: true, .. }]
    ));
}

#[test]
fn select_with_qresync_reports_vanished_then_changes() {
    let now = Instant::now();
    let mut s = session(now, qresync_config());
    say(&mut s, now, "e ENABLE QRESYNC");
    let t = say(&mut s, now, "s SELECT INBOX (QRESYNC (7 10 1:9))");
    let at = |needle: &str| t.find(needle).unwrap_or_else(|| panic!("{needle} in {t}"));
    // After the usual responses, VANISHED (EARLIER) first, then each
    // change with its UID and MODSEQ, then the tagged OK (section 3.2.5.1).
    let vanished = at("* VANISHED (EARLIER) 5:6,9\r\n");
    let fetch = at("* 2 FETCH (UID 2 FLAGS () MODSEQ (40))\r\n");
    assert!(at("* OK [HIGHESTMODSEQ 42]") < vanished, "{t}");
    assert!(at("* OK [UIDNEXT 4]") < vanished, "{t}");
    assert!(vanished < fetch && fetch < at("s OK [READ-WRITE]"), "{t}");
}

#[test]
fn vanished_replaces_expunge_once_qresync_is_enabled() {
    let now = Instant::now();
    // Not enabled: EXPUNGE.
    let mut s = session(now, qresync_config());
    say(&mut s, now, "s SELECT INBOX");
    s.view_mut().unwrap().store_expunged(2);
    let t = say(&mut s, now, "n NOOP");
    assert!(t.contains("* 2 EXPUNGE\r\n"), "{t}");
    // Enabled: one VANISHED of the UIDs (section 3.2.10.2).
    let mut s = session(now, qresync_config());
    say(&mut s, now, "e ENABLE QRESYNC");
    say(&mut s, now, "s SELECT INBOX");
    let v = s.view_mut().unwrap();
    v.store_expunged(1);
    v.store_expunged(3);
    let t = say(&mut s, now, "n NOOP");
    assert!(t.contains("* VANISHED 1,3\r\n"), "{t}");
    assert!(!t.contains("EXPUNGE"), "{t}");
    assert_eq!(s.view().unwrap().len(), 1);
    // Not during FETCH by sequence number (section 3.2.10.2).
    s.view_mut().unwrap().store_expunged(2);
    let t = say(&mut s, now, "f FETCH 1 (FLAGS)");
    assert!(!t.contains("VANISHED"), "{t}");
    // Nor during a UID SEARCH by message numbers, but during one by UID.
    let t = say(&mut s, now, "u UID SEARCH NOT 1");
    assert!(!t.contains("VANISHED"), "{t}");
    let t = say(&mut s, now, "u UID SEARCH UID 1:*");
    assert!(t.contains("* VANISHED 2\r\n"), "{t}");
    // A mailbox without mod-sequences keeps EXPUNGE.
    say(&mut s, now, "s SELECT nomodseq");
    s.view_mut().unwrap().store_expunged(3);
    let t = say(&mut s, now, "n NOOP");
    assert!(t.contains("* 3 EXPUNGE\r\n"), "{t}");
}

#[test]
fn closed_separates_two_selected_mailboxes() {
    let now = Instant::now();
    let mut s = session(now, config());
    let t = say(&mut s, now, "s SELECT INBOX");
    assert!(!t.contains("[CLOSED]"), "{t}");
    // A server offering CONDSTORE says [CLOSED] (section 3.2.11).
    let t = say(&mut s, now, "s SELECT INBOX");
    assert!(t.starts_with("* OK [CLOSED]"), "{t}");
}

/// A QRESYNC session fed at once, byte by byte, and split at every
/// position gives the same output.
#[test]
fn any_split_gives_the_same_qresync_session() {
    let script: &[u8] = b"a LOGIN alice secret\r\nb ENABLE QRESYNC\r\n\
c SELECT INBOX (QRESYNC (7 10 1:9 (1,2 1,2)))\r\nd UID FETCH 1:* (FLAGS) (CHANGEDSINCE 3 VANISHED)\r\n\
e FETCH 1 (FLAGS) (CHANGEDSINCE 3 VANISHED)\r\nf EXAMINE INBOX (QRESYNC (7 10))\r\ng LOGOUT\r\n";
    let whole = same_at_every_split(qresync_config(), script);
    assert!(whole.contains("* VANISHED (EARLIER) 5:6,9"), "{whole}");
    assert!(whole.contains("e BAD"), "{whole}");
    assert!(whole.contains("f OK "), "{whole}");
    assert!(whole.contains("g OK LOGOUT"), "{whole}");
}
