//! Command dispatch: which command is valid in which state (RFC 3501
//! section 3, section 6), and the commands the session answers itself.

use std::time::Instant;

use super::{Event, Pending, PendingKind, SERVER_NAME, Session, State, status};
use crate::message::{SequenceError, charset_supported};
use crate::parse::{DecodeOptions, Expect};
use crate::types::{
    Code, Command, CommandBody, Continuation, Data, Response, SearchReturnOption, Secret,
    StatusKind, Tag, Vec1,
};

impl Session {
    pub(super) fn sasl_plain(&mut self, tag: Tag, data: &[u8]) {
        // RFC 4616: [authzid] NUL authcid NUL passwd.
        let mut parts = data.split(|&b| b == 0);
        let (Some(authz), Some(authc), Some(pass), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            self.tagged(&tag, StatusKind::Bad, None, "Malformed PLAIN response");
            return;
        };
        if !authz.is_empty() && authz != authc {
            // No proxy authorization.
            self.auth_failures += 1;
            self.tagged(
                &tag,
                StatusKind::No,
                Some(Code::AuthorizationFailed),
                "Not authorized",
            );
            return;
        }
        let username = String::from_utf8_lossy(authc).into_owned();
        self.pending = Some(Pending {
            tag: tag.clone(),
            kind: PendingKind::Login,
            allow_expunge: true,
        });
        self.events.push_back(Event::Login {
            tag,
            username,
            password: Secret::new(pass.to_vec()),
        });
    }

    pub(super) fn dispatch(&mut self, _now: Instant, c: Command) {
        use CommandBody as B;
        let tag = c.tag.clone();
        let authenticated = matches!(self.state, State::Authenticated | State::Selected { .. });
        let selected = matches!(self.state, State::Selected { .. });
        let read_only = matches!(self.state, State::Selected { read_only: true });
        // Commands valid in any state.
        match &c.body {
            B::Capability => {
                let caps = self.capabilities();
                if let Ok(caps) = Vec1::new(caps) {
                    self.respond(Data::Capability(caps));
                }
                self.tagged(&tag, StatusKind::Ok, None, "CAPABILITY completed");
                self.bad_commands = 0;
                return;
            }
            B::Noop | B::Check if selected => {
                // The owner looks for changes in the mailbox.
                self.hand_over(c, PendingKind::Command, true);
                return;
            }
            B::Noop => {
                self.tagged(&tag, StatusKind::Ok, None, "NOOP completed");
                return;
            }
            B::Logout => {
                self.send(&status(None, StatusKind::Bye, None, "Logging out"));
                self.tagged(&tag, StatusKind::Ok, None, "LOGOUT completed");
                self.close();
                return;
            }
            B::Id { .. } => {
                let params = Some(vec![(
                    b"name".to_vec(),
                    Some(SERVER_NAME.as_bytes().to_vec()),
                )]);
                self.respond(Data::Id(params));
                self.tagged(&tag, StatusKind::Ok, None, "ID completed");
                return;
            }
            _ => {}
        }
        if !authenticated {
            match c.body {
                B::StartTls => self.starttls(tag),
                B::Login { username, password } => {
                    if !self.plaintext_allowed() {
                        self.tagged(
                            &tag,
                            StatusKind::No,
                            Some(Code::PrivacyRequired),
                            "LOGIN is disabled before TLS",
                        );
                        return;
                    }
                    self.pending = Some(Pending {
                        tag: tag.clone(),
                        kind: PendingKind::Login,
                        allow_expunge: true,
                    });
                    self.events.push_back(Event::Login {
                        tag,
                        username: String::from_utf8_lossy(&username).into_owned(),
                        password,
                    });
                }
                B::Authenticate {
                    mechanism,
                    initial_response,
                } => {
                    if !mechanism.eq_ignore_case("PLAIN") {
                        self.tagged(
                            &tag,
                            StatusKind::No,
                            Some(Code::Cannot),
                            "Unsupported mechanism",
                        );
                        return;
                    }
                    if !self.plaintext_allowed() {
                        self.tagged(
                            &tag,
                            StatusKind::No,
                            Some(Code::PrivacyRequired),
                            "Plaintext authentication is disabled before TLS",
                        );
                        return;
                    }
                    match initial_response {
                        Some(ir) => self.sasl_plain(tag, ir.expose()),
                        None => {
                            self.pending = Some(Pending {
                                tag,
                                kind: PendingKind::Sasl,
                                allow_expunge: true,
                            });
                            self.decoder.expect(Expect::AuthenticateData);
                            self.send(&Response::Continuation(Continuation::Text {
                                code: None,
                                text: String::new(),
                            }));
                        }
                    }
                }
                _ => self.bad(&tag, "Command not valid before authentication"),
            }
            return;
        }
        if !self.condstore_command(&tag, &c.body) {
            return;
        }
        match &c.body {
            B::StartTls | B::Login { .. } | B::Authenticate { .. } => {
                self.bad(&tag, "Already authenticated");
            }
            B::Enable { capabilities } => {
                let mut enabled = Vec::new();
                for cap in capabilities.iter() {
                    let rev2 = cap.eq_ignore_case("IMAP4rev2");
                    if rev2 || cap.eq_ignore_case("UTF8=ACCEPT") {
                        // IMAP4rev2 mailbox names are UTF-8 (RFC 9051
                        // section 5.1), as with UTF8=ACCEPT (RFC 6855).
                        self.utf8 = true;
                        self.decoder.set_options(DecodeOptions { utf8: true });
                        self.rev2 |= rev2;
                        enabled.push(cap.clone());
                    } else if self.config.condstore && cap.eq_ignore_case("CONDSTORE") {
                        self.enable_condstore();
                        enabled.push(cap.clone());
                    } else if self.config.condstore
                        && self.config.qresync
                        && cap.eq_ignore_case("QRESYNC")
                    {
                        // QRESYNC implies CONDSTORE (RFC 7162 section 3.2.3).
                        self.qresync = true;
                        self.enable_condstore();
                        enabled.push(cap.clone());
                    }
                }
                self.respond(Data::Enabled(enabled));
                self.tagged(&tag, StatusKind::Ok, None, "ENABLE completed");
            }
            B::Idle => {
                self.pending = Some(Pending {
                    tag,
                    kind: PendingKind::Idle,
                    allow_expunge: true,
                });
                self.decoder.expect(Expect::IdleDone);
                self.send(&Response::Continuation(Continuation::Text {
                    code: None,
                    text: "idling".into(),
                }));
                self.send_updates(true);
                self.events.push_back(Event::Idle);
            }
            B::Select { .. } | B::Examine { .. } => {
                // Selecting closes the current mailbox without expunging
                // (RFC 3501 section 6.3.1); IMAP4rev2 and a server offering
                // CONDSTORE say so with `[CLOSED]` (RFC 9051 section 6.3.2,
                // RFC 7162 section 3.2.11).
                if (self.rev2 || self.config.condstore) && self.view.is_some() {
                    self.send(&status(None, StatusKind::Ok, Some(Code::Closed), "Closed"));
                }
                self.view = None;
                self.state = State::Authenticated;
                self.hand_over(c, PendingKind::Select, true);
            }
            B::Create { .. }
            | B::Delete { .. }
            | B::Rename { .. }
            | B::Subscribe { .. }
            | B::Unsubscribe { .. }
            | B::List { .. }
            | B::Lsub { .. }
            | B::Namespace
            | B::Status { .. }
            | B::Append { .. } => self.hand_over(c, PendingKind::Command, true),
            B::Compress { .. } | B::Sort { .. } | B::Thread { .. } => {
                self.bad(&tag, "Command not supported");
            }
            _ if !selected => self.bad(&tag, "No mailbox selected"),
            B::Close | B::Unselect => self.hand_over(c, PendingKind::Close, true),
            B::Expunge | B::UidExpunge { .. } | B::Store { .. } | B::Move { .. } if read_only => {
                self.tagged(
                    &tag,
                    StatusKind::No,
                    Some(Code::ReadOnly),
                    "Mailbox is read-only",
                );
            }
            B::Search {
                charset,
                return_options,
                ..
            } if !charset_supported(charset.as_ref()) => {
                // A failed SEARCH with SAVE empties `$` (RFC 5182 section 2.1).
                if return_options
                    .as_ref()
                    .is_some_and(|r| r.contains(&SearchReturnOption::Save))
                    && let Some(v) = self.view.as_mut()
                {
                    v.save_result(Vec::new());
                }
                let cs = vec![b"UTF-8".to_vec(), b"US-ASCII".to_vec()];
                self.tagged(
                    &tag,
                    StatusKind::No,
                    Some(Code::BadCharset(cs)),
                    "Unsupported charset",
                );
            }
            B::Fetch {
                uid, sequence_set, ..
            }
            | B::Store {
                uid, sequence_set, ..
            }
            | B::Copy {
                uid, sequence_set, ..
            }
            | B::Move {
                uid, sequence_set, ..
            } => {
                let check = self
                    .view
                    .as_ref()
                    .map(|v| v.resolve(sequence_set, *uid).map(|_| ()));
                match check {
                    Some(Err(SequenceError::OutOfRange)) => {
                        self.bad(&tag, "Invalid message sequence number");
                    }
                    _ => {
                        let moving = matches!(c.body, B::Move { .. });
                        let allow = *uid || moving;
                        self.hand_over(c, PendingKind::Command, allow);
                    }
                }
            }
            B::Search { uid, criteria, .. } => {
                // Not during a UID SEARCH by message numbers either (RFC
                // 7162 section 3.2.10.2).
                let allow = *uid && !crate::message::has_sequence_key(criteria);
                self.hand_over(c, PendingKind::Command, allow);
            }
            B::Expunge | B::UidExpunge { .. } => self.hand_over(c, PendingKind::Command, true),
            _ => self.bad(&tag, "Command not valid in this state"),
        }
    }

    fn starttls(&mut self, tag: Tag) {
        if self.tls || !self.config.starttls {
            self.bad(&tag, "STARTTLS not available");
            return;
        }
        self.tagged(&tag, StatusKind::Ok, None, "Begin TLS negotiation now");
        // Anything pipelined after STARTTLS is dropped (CVE-2011-0411).
        self.decoder.discard_buffered();
        self.awaiting_tls = true;
        self.pending = Some(Pending {
            tag,
            kind: PendingKind::StartTls,
            allow_expunge: true,
        });
        self.events.push_back(Event::StartTls);
    }
}
