//! The session's side of decisions: what accepting or refusing each pending
//! event writes and changes.

use super::data::DotScanner;
use super::{HeloKind, Mode, Pending, Phase, Session, Transaction};
use crate::types::{Mechanism, Reply};

impl Session {
    pub(super) fn accept_pending(&mut self, pending: Pending) {
        match pending {
            Pending::Connect => {
                let kind = if self.config.mode == Mode::Lmtp {
                    "LMTP"
                } else {
                    "ESMTP"
                };
                let text = match &self.config.greeting {
                    Some(g) => g.replace(['\r', '\n'], " "),
                    None => format!("{} {kind}", self.config.hostname),
                };
                self.say(220, None, &text);
                self.phase = Phase::Command;
            }
            Pending::Helo(kind) => {
                self.greeted = Some(kind);
                let reply = self.helo_reply(kind);
                self.send(&reply);
            }
            Pending::Mail(params) => {
                self.tx = Some(Transaction {
                    smtputf8: params.smtputf8,
                    binarymime: params.body == Some(crate::types::Body::BinaryMime),
                    recipients: Vec::new(),
                    data_started: false,
                    bdat: false,
                    size: 0,
                    failed: None,
                });
                self.say(250, Some((2, 1, 0)), "OK");
            }
            Pending::Rcpt(path) => {
                if let Some(tx) = self.tx.as_mut() {
                    tx.recipients.push(path);
                }
                self.say(250, Some((2, 1, 5)), "OK");
            }
            Pending::DataStart { bdat: None } => {
                if let Some(tx) = self.tx.as_mut() {
                    tx.data_started = true;
                }
                self.say(354, None, "End data with <CR><LF>.<CR><LF>");
                self.phase = Phase::Data(DotScanner::new());
            }
            Pending::DataStart {
                bdat: Some((size, last)),
            } => {
                if let Some(tx) = self.tx.as_mut() {
                    tx.data_started = true;
                    tx.bdat = true;
                }
                self.phase = Phase::Bdat {
                    remaining: size,
                    last,
                    discard: None,
                };
            }
            Pending::MessageEnd => {
                let n = self.recipients().len();
                if self.config.mode == Mode::Lmtp {
                    for _ in 0..n {
                        self.say(250, Some((2, 0, 0)), "OK: delivered");
                    }
                } else {
                    self.say(250, Some((2, 0, 0)), "OK: queued");
                }
                self.tx = None;
            }
            Pending::StartTls => {
                self.drop_transaction();
                self.say(220, Some((2, 0, 0)), "Ready to start TLS");
                self.buf.clear();
                self.scanned = 0;
                self.phase = Phase::TlsWait;
            }
            Pending::Vrfy => self.say(
                252,
                Some((2, 0, 0)),
                "Cannot VRFY user, but will accept message and attempt delivery",
            ),
            Pending::Expn => self.say(502, Some((5, 5, 1)), "Error: EXPN is not supported"),
            Pending::Auth => {
                self.authenticated = true;
                self.say(235, Some((2, 7, 0)), "Authentication successful");
            }
        }
    }

    pub(super) fn reject_pending(&mut self, pending: Pending, reply: Reply) {
        match pending {
            Pending::Connect => {
                self.send(&reply);
                if !self.is_closed() {
                    self.phase = Phase::Refused;
                }
            }
            Pending::DataStart {
                bdat: Some((size, last)),
            } => {
                self.phase = Phase::Bdat {
                    remaining: size,
                    last,
                    discard: Some(reply),
                };
            }
            Pending::MessageEnd => {
                let n = if self.config.mode == Mode::Lmtp {
                    self.recipients().len()
                } else {
                    1
                };
                for _ in 0..n {
                    self.send(&reply);
                }
                self.tx = None;
            }
            _ => self.send(&reply),
        }
    }

    pub(super) fn helo_reply(&self, kind: HeloKind) -> Reply {
        let c = &self.config;
        if kind == HeloKind::Helo {
            return Reply::fixed(250, None, &c.hostname);
        }
        let mut lines = vec![c.hostname.clone()];
        if c.pipelining {
            lines.push("PIPELINING".into());
        }
        lines.push(match c.limits.message_size {
            Some(n) => format!("SIZE {n}"),
            None => "SIZE".into(),
        });
        if c.eightbitmime {
            lines.push("8BITMIME".into());
        }
        if c.smtputf8 {
            lines.push("SMTPUTF8".into());
        }
        if c.enhanced_status_codes {
            lines.push("ENHANCEDSTATUSCODES".into());
        }
        if c.chunking {
            lines.push("CHUNKING".into());
            lines.push("BINARYMIME".into());
        }
        if c.dsn {
            lines.push("DSN".into());
        }
        if c.starttls && !self.tls {
            lines.push("STARTTLS".into());
        }
        if self.auth_offered() {
            let mechs: Vec<&str> = self.auth_mechanisms().map(Mechanism::as_str).collect();
            lines.push(format!("AUTH {}", mechs.join(" ")));
        }
        Reply::fixed_lines(250, lines)
    }

    /// The configured mechanisms this session implements.
    pub(super) fn auth_mechanisms(&self) -> impl Iterator<Item = &Mechanism> {
        self.config
            .auth_mechanisms
            .iter()
            .filter(|m| matches!(m, Mechanism::Plain | Mechanism::Login))
    }

    pub(super) fn auth_offered(&self) -> bool {
        !self.authenticated
            && (self.tls || self.config.auth_without_tls)
            && self.auth_mechanisms().next().is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::super::{Config, Event};
    use super::Session;
    use std::time::Instant;

    fn greeting(config: Config) -> Vec<u8> {
        let mut s = Session::new(config, Instant::now());
        assert_eq!(s.poll_event(), Some(Event::Connect));
        s.accept().unwrap();
        s.poll_transmit().unwrap().to_vec()
    }

    #[test]
    fn greeting_text_replaces_the_default() {
        let config = Config {
            greeting: Some("mx.example ESMTP Postfix (Debian)".into()),
            ..Config::new("mx.example")
        };
        assert_eq!(
            greeting(config),
            b"220 mx.example ESMTP Postfix (Debian)\r\n"
        );
        assert_eq!(
            greeting(Config::new("mx.example")),
            b"220 mx.example ESMTP\r\n"
        );
    }

    #[test]
    fn greeting_text_cannot_break_the_line() {
        let config = Config {
            greeting: Some("mx.example\r\n250 injected".into()),
            ..Config::new("mx.example")
        };
        assert_eq!(greeting(config), b"220 mx.example  250 injected\r\n");
    }
}
