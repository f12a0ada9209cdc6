//! Command handling of the server session: the order rules of RFC 5321
//! 4.1.4, parameter checks, and the AUTH exchange (RFC 4954).

use bytes::Bytes;

use super::{Event, HeloKind, Mode, Pending, Phase, Session};
use crate::parse::{CommandError, parse_command};
use crate::types::sasl::base64_decode;
use crate::types::{Body, Command, Credentials, InitialResponse, Mechanism, Secret};

impl Session {
    pub(super) fn command_line(&mut self, line: Bytes) {
        if !line.ends_with(b"\r\n") && self.config.bare_line_ending == super::BareLineEnding::Reject
        {
            self.error(500, (5, 5, 2), "Error: bare <LF> received");
            return;
        }
        let cmd = match parse_command(&line) {
            Ok(cmd) => cmd,
            Err(e) => {
                if matches!(self.phase, Phase::Refused) {
                    self.error(503, (5, 5, 1), "Error: service refused, send QUIT");
                    return;
                }
                let (code, enh, text) = match e {
                    CommandError::Unrecognized => (500, (5, 5, 2), "Error: command not recognized"),
                    CommandError::ReversePath => {
                        (501, (5, 1, 7), "Error: bad sender address syntax")
                    }
                    CommandError::ForwardPath => {
                        (501, (5, 1, 3), "Error: bad recipient address syntax")
                    }
                    _ => (
                        501,
                        (5, 5, 4),
                        "Error: syntax error in parameters or arguments",
                    ),
                };
                self.error(code, enh, text);
                return;
            }
        };
        if line.len() > self.config.limits.command_line
            && !matches!(cmd, Command::Mail { .. } | Command::Rcpt { .. })
        {
            self.error(500, (5, 5, 2), "Error: line too long");
            return;
        }
        if matches!(self.phase, Phase::Refused) {
            if cmd == Command::Quit {
                self.say(221, Some((2, 0, 0)), "Bye");
                self.phase = Phase::Closed;
            } else {
                self.error(503, (5, 5, 1), "Error: service refused, send QUIT");
            }
            return;
        }
        self.command(cmd);
    }

    fn extended(&self) -> bool {
        matches!(self.greeted, Some(HeloKind::Ehlo | HeloKind::Lhlo))
    }

    fn command(&mut self, cmd: Command) {
        let lmtp = self.config.mode == Mode::Lmtp;
        let ext = self.extended();
        match cmd {
            Command::Ehlo(_) | Command::Helo(_) if lmtp => {
                self.error(500, (5, 5, 1), "Error: this is LMTP, use LHLO");
            }
            Command::Lhlo(_) if !lmtp => {
                self.error(500, (5, 5, 2), "Error: command not recognized")
            }
            Command::Ehlo(host) => self.helo(host, HeloKind::Ehlo),
            Command::Helo(host) => self.helo(host, HeloKind::Helo),
            Command::Lhlo(host) => self.helo(host, HeloKind::Lhlo),
            Command::Mail {
                reverse_path,
                parameters: p,
            } => {
                let c = &self.config;
                if self.greeted.is_none() {
                    return self.error(503, (5, 5, 1), "Error: send HELO/EHLO first");
                }
                if self.tx.is_some() {
                    return self.error(503, (5, 5, 1), "Error: nested MAIL command");
                }
                let unsupported = !p.other.is_empty()
                    || (p.size.is_some() && !ext)
                    || match p.body {
                        None => false,
                        Some(Body::BinaryMime) => !(ext && c.chunking),
                        Some(_) => !(ext && c.eightbitmime),
                    }
                    || (p.smtputf8 && !(ext && c.smtputf8))
                    || ((p.ret.is_some() || p.envid.is_some()) && !(ext && c.dsn))
                    || (p.auth.is_some() && !(ext && self.auth_mechanisms().next().is_some()));
                if unsupported {
                    return self.error(555, (5, 5, 4), "Error: unsupported MAIL parameter");
                }
                if let (Some(n), Some(max)) = (p.size, c.limits.message_size)
                    && n > max
                {
                    return self.say(
                        552,
                        Some((5, 3, 4)),
                        "Error: message too large for this system",
                    );
                }
                if !reverse_path.is_ascii() && !p.smtputf8 {
                    return self.say(
                        553,
                        Some((5, 6, 7)),
                        "Error: non-ASCII address needs SMTPUTF8",
                    );
                }
                self.ask(
                    Event::Mail {
                        reverse_path,
                        parameters: p.clone(),
                    },
                    Pending::Mail(p),
                );
            }
            Command::Rcpt {
                forward_path,
                parameters: p,
            } => {
                let max = self.config.limits.max_recipients;
                let dsn = ext && self.config.dsn;
                let Some(tx) = self.tx.as_ref() else {
                    return self.error(503, (5, 5, 1), "Error: need MAIL command");
                };
                if tx.data_started {
                    return self.error(503, (5, 5, 1), "Error: message data already started");
                }
                if tx.recipients.len() >= max {
                    // RFC 5321 4.5.3.1.10: 452 for too many recipients.
                    return self.say(452, Some((4, 5, 3)), "Error: too many recipients");
                }
                if !p.other.is_empty() || ((p.notify.is_some() || p.orcpt.is_some()) && !dsn) {
                    return self.error(555, (5, 5, 4), "Error: unsupported RCPT parameter");
                }
                if !forward_path.is_ascii() && !tx.smtputf8 {
                    return self.say(
                        553,
                        Some((5, 6, 7)),
                        "Error: non-ASCII address needs SMTPUTF8",
                    );
                }
                self.ask(
                    Event::Rcpt {
                        forward_path: forward_path.clone(),
                        parameters: p,
                    },
                    Pending::Rcpt(forward_path),
                );
            }
            Command::Data => {
                let Some(tx) = self.tx.as_ref() else {
                    return self.error(503, (5, 5, 1), "Error: need MAIL command");
                };
                if tx.bdat {
                    return self.error(503, (5, 5, 1), "Error: DATA after BDAT in one transaction");
                }
                if tx.binarymime {
                    return self.error(503, (5, 5, 1), "Error: BODY=BINARYMIME needs BDAT");
                }
                if tx.recipients.is_empty() {
                    return self.no_recipients();
                }
                self.ask(
                    Event::DataStart { chunking: false },
                    Pending::DataStart { bdat: None },
                );
            }
            Command::Bdat { size, last } => self.bdat(size, last),
            Command::Rset => {
                self.drop_transaction();
                self.say(250, Some((2, 0, 0)), "OK");
            }
            Command::Vrfy(arg) => self.ask(Event::Vrfy(arg), Pending::Vrfy),
            Command::Expn(arg) => self.ask(Event::Expn(arg), Pending::Expn),
            Command::Help(_) => self.say(214, Some((2, 0, 0)), "See RFC 5321"),
            Command::Noop(_) => self.say(250, Some((2, 0, 0)), "OK"),
            Command::Quit => {
                self.drop_transaction();
                self.say(221, Some((2, 0, 0)), "Bye");
                self.phase = Phase::Closed;
            }
            Command::StartTls => {
                if !self.config.starttls {
                    return self.error(502, (5, 5, 1), "Error: command not implemented");
                }
                if self.tls {
                    return self.error(503, (5, 5, 1), "Error: TLS already active");
                }
                self.ask(Event::StartTls, Pending::StartTls);
            }
            Command::Auth {
                mechanism,
                initial_response,
            } => self.auth(mechanism, initial_response),
        }
    }

    fn helo(&mut self, host: crate::types::Host, kind: HeloKind) {
        self.drop_transaction();
        self.greeted = None;
        self.ask(Event::Helo { host, kind }, Pending::Helo(kind));
    }

    /// DATA or BDAT with no accepted recipient: 554 in SMTP (RFC 5321 3.3),
    /// 503 in LMTP (RFC 2033 4.2).
    fn no_recipients(&mut self) {
        if self.config.mode == Mode::Lmtp {
            self.error(503, (5, 5, 1), "Error: no valid recipients");
        } else {
            self.say(554, Some((5, 5, 1)), "Error: no valid recipients");
        }
    }

    /// BDAT (RFC 3030 2): a refused chunk is still read, so the client and
    /// the server stay in step; the reply comes after its last octet.
    fn bdat(&mut self, size: u64, last: bool) {
        let refuse = |s: &mut Session, code, enh: (u8, u16, u16), text: &str| {
            s.phase = Phase::Bdat {
                remaining: size,
                last,
                discard: Some(crate::types::Reply::fixed(code, Some(enh), text)),
            };
        };
        if !self.config.chunking {
            return refuse(self, 502, (5, 5, 1), "Error: command not implemented");
        }
        let Some(tx) = self.tx.as_ref() else {
            return refuse(self, 503, (5, 5, 1), "Error: need MAIL command");
        };
        if tx.recipients.is_empty() {
            let code = if self.config.mode == Mode::Lmtp {
                503
            } else {
                554
            };
            return refuse(self, code, (5, 5, 1), "Error: no valid recipients");
        }
        if tx.data_started {
            self.phase = Phase::Bdat {
                remaining: size,
                last,
                discard: None,
            };
        } else {
            self.ask(
                Event::DataStart { chunking: true },
                Pending::DataStart {
                    bdat: Some((size, last)),
                },
            );
        }
    }

    fn auth(&mut self, mechanism: Mechanism, initial: Option<InitialResponse>) {
        if self.authenticated {
            return self.error(503, (5, 5, 1), "Error: already authenticated");
        }
        if self.auth_mechanisms().next().is_none() {
            return self.error(502, (5, 5, 1), "Error: command not implemented");
        }
        if !self.tls && !self.config.auth_without_tls {
            return self.say(
                538,
                Some((5, 7, 11)),
                "Error: encryption required for authentication",
            );
        }
        if !self.extended() {
            return self.error(503, (5, 5, 1), "Error: send EHLO first");
        }
        if self.tx.is_some() {
            return self.error(503, (5, 5, 1), "Error: MAIL transaction in progress");
        }
        if !self.auth_mechanisms().any(|m| *m == mechanism) {
            return self.error(
                504,
                (5, 5, 4),
                "Error: unsupported authentication mechanism",
            );
        }
        let initial = initial.map(|r| match r {
            InitialResponse::Empty => Vec::new(),
            InitialResponse::Data(d) => d.expose().clone(),
        });
        match (mechanism, initial) {
            (Mechanism::Plain, Some(resp)) => self.auth_plain(&resp),
            (Mechanism::Plain, None) => {
                self.say(334, None, "");
                self.phase = Phase::AuthPlain;
            }
            (_, Some(user)) => self.login_user(&user),
            (_, None) => {
                self.say(334, None, "VXNlcm5hbWU6");
                self.phase = Phase::AuthLoginUser;
            }
        }
    }

    /// A line of the SASL exchange (RFC 4954 4).
    pub(super) fn auth_line(&mut self, line: Bytes) {
        let phase = std::mem::replace(&mut self.phase, Phase::Command);
        let text = crate::parse::command::strip_line_end(&line);
        if text == b"*" {
            return self.error(501, (5, 0, 0), "Authentication cancelled");
        }
        let Some(decoded) = base64_decode(text) else {
            return self.error(501, (5, 5, 2), "Error: cannot decode response");
        };
        match phase {
            Phase::AuthPlain => self.auth_plain(&decoded),
            Phase::AuthLoginUser => self.login_user(&decoded),
            Phase::AuthLoginPassword(user) => {
                let Ok(password) = String::from_utf8(decoded) else {
                    return self.error(501, (5, 5, 2), "Error: cannot decode response");
                };
                self.ask(
                    Event::Auth(Credentials {
                        mechanism: Mechanism::Login,
                        authzid: None,
                        authcid: user,
                        password: Secret::new(password),
                    }),
                    Pending::Auth,
                );
            }
            _ => {}
        }
    }

    fn login_user(&mut self, user: &[u8]) {
        match String::from_utf8(user.to_vec()) {
            Ok(user) if !user.is_empty() => {
                self.say(334, None, "UGFzc3dvcmQ6");
                self.phase = Phase::AuthLoginPassword(user);
            }
            _ => self.error(501, (5, 5, 2), "Error: bad user name"),
        }
    }

    /// `[authzid] NUL authcid NUL passwd` (RFC 4616 2).
    fn auth_plain(&mut self, resp: &[u8]) {
        let mut parts = resp.split(|&b| b == 0);
        let (Some(z), Some(c), Some(p), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return self.error(501, (5, 5, 2), "Error: malformed PLAIN response");
        };
        let (Ok(z), Ok(c), Ok(p)) = (
            std::str::from_utf8(z),
            std::str::from_utf8(c),
            std::str::from_utf8(p),
        ) else {
            return self.error(501, (5, 5, 2), "Error: malformed PLAIN response");
        };
        if c.is_empty() {
            return self.error(501, (5, 5, 2), "Error: malformed PLAIN response");
        }
        self.ask(
            Event::Auth(Credentials {
                mechanism: Mechanism::Plain,
                authzid: (!z.is_empty()).then(|| z.to_owned()),
                authcid: c.to_owned(),
                password: Secret::new(p.to_owned()),
            }),
            Pending::Auth,
        );
    }
}
