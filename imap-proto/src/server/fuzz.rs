//! The body of the `imap_server` fuzz target, a library function so that
//! a normal test replays the corpus (`tests/server_fuzz_corpus.rs`).

use std::time::{Duration, Instant};

use crate::message::MessageState;
use crate::types::{CommandBody, Flag, MessageDataItem, Section, SectionData, StatusKind};

use super::{Config, Event, Resync, SelectInfo, Session};

/// Feeds `data` to a server session in chunks whose sizes come from the
/// first byte, with a scripted owner that accepts logins, selects a
/// three-message mailbox (with something to report to a QRESYNC
/// parameter), reports another session's changes at every command,
/// answers FETCH with a size and a body (large from some chunk sizes on),
/// and completes everything with OK. Panics only on a broken
/// invariant: output that does not end in CRLF, or an owner call the
/// session refuses while its decision is pending.
pub fn server_session(data: &[u8]) {
    let Some((&chunk, data)) = data.split_first() else {
        return;
    };
    let chunk = usize::from(chunk % 64) + 1;
    let mut now = Instant::now();
    let mut s = Session::new(
        Config {
            plaintext_auth: true,
            condstore: true,
            qresync: true,
            ..Config::default()
        },
        now,
    );
    let mut uid = 3;
    for piece in data.chunks(chunk) {
        now += Duration::from_secs(1);
        s.receive(now, piece);
        while let Some(ev) = s.poll_event() {
            match ev {
                Event::Login { .. } => s.login_complete(now, true).expect("login pending"),
                Event::Command(c) => {
                    if let Some(v) = s.view_mut() {
                        uid += 1;
                        v.store_added(MessageState {
                            uid,
                            flags: Default::default(),
                            recent: true,
                        });
                        v.store_expunged(2);
                        v.store_flags(1, vec![Flag::Seen]);
                        v.store_modseq(1, u64::from(uid));
                    }
                    match c.body {
                        CommandBody::Select { .. } | CommandBody::Examine { .. } => {
                            let info = SelectInfo {
                                messages: (1..=3)
                                    .map(|uid| MessageState {
                                        uid,
                                        flags: Default::default(),
                                        recent: false,
                                    })
                                    .collect(),
                                uid_validity: 1,
                                uid_next: 4,
                                keywords: vec![],
                                new_keywords: true,
                                read_only: false,
                                // Every other SELECT finds no mod-sequences.
                                highest_modseq: (uid % 2 == 0).then_some(u64::from(uid)),
                            };
                            let resync = Resync {
                                vanished: vec![(5, 6), (uid, uid)],
                                changed: vec![(1, 2), (uid, 3)],
                            };
                            s.select_resync(now, Ok(info), resync)
                                .expect("select pending");
                        }
                        CommandBody::Fetch { .. } => {
                            if s.view().is_some_and(|v| !v.is_empty()) {
                                s.fetch_response(0, vec![MessageDataItem::Rfc822Size(1)]);
                                // A body, copied into the output or (from
                                // 8 KiB) queued as a chunk of its own.
                                let body = bytes::Bytes::from(vec![b'x'; chunk * 300]);
                                s.fetch_response(
                                    0,
                                    vec![MessageDataItem::BodySection {
                                        section: Section::default(),
                                        origin: None,
                                        data: SectionData::Data(body),
                                    }],
                                );
                            }
                            s.complete(now, StatusKind::Ok, None, "done")
                                .expect("command pending");
                        }
                        _ => s
                            .complete(now, StatusKind::Ok, None, "done")
                            .expect("command pending"),
                    }
                }
                Event::Idle => s.flush_updates(),
                // A streamed APPEND: refuse odd sizes, take the others.
                Event::AppendStart { length, .. } if length % 2 == 1 => {
                    s.append_reject(now, None, "odd").expect("append pending")
                }
                Event::AppendStart { .. } => s.append_accept(now).expect("append pending"),
                Event::AppendEnd => s
                    .complete(now, StatusKind::Ok, None, "done")
                    .expect("append end pending"),
                Event::StartTls
                | Event::IdleDone
                | Event::Closed
                | Event::AppendData(_)
                | Event::AppendAbort => {}
            }
        }
        // A large body comes as a chunk of its own: what is drained at
        // once ends in CRLF, not each chunk.
        let mut out = Vec::new();
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        assert!(
            out.is_empty() || out.ends_with(b"\r\n"),
            "output not ending in CRLF"
        );
        if let Some(t) = s.poll_timeout()
            && t <= now
        {
            s.handle_timeout(now);
        }
    }
}
