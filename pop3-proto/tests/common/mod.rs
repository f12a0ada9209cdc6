//! Test owner for server sessions: a scripted maildrop and user table.
#![allow(dead_code)]

use pop3_proto::server::{Config, Event, Session};
use pop3_proto::{Credentials, MessageInfo, RespCode, Response, UniqueId};
use std::time::Instant;

pub const TIMESTAMP: &str = "<1896.697170952@dbc.mtview.ca.us>";
/// MD5 of TIMESTAMP + "tanstaaf" (RFC 1939 section 7, APOP).
pub const APOP_DIGEST: &str = "c4c9334bac560ecc979e58001b3e22fb";

pub struct Owner {
    pub messages: Vec<(String, Vec<u8>, u64)>,
    pub locked: bool,
    pub updates: Vec<Vec<MessageInfo>>,
    pub starttls: u32,
    pub chunk: usize,
}

impl Owner {
    pub fn new(messages: &[(&str, &[u8])]) -> Self {
        Owner {
            messages: messages
                .iter()
                .map(|(u, m)| (u.to_string(), m.to_vec(), m.len() as u64))
                .collect(),
            locked: false,
            updates: Vec::new(),
            starttls: 0,
            chunk: 7,
        }
    }

    pub fn with_sizes(messages: &[(&str, &[u8], u64)]) -> Self {
        let mut o = Owner::new(&[]);
        o.messages = messages
            .iter()
            .map(|(u, m, s)| (u.to_string(), m.to_vec(), *s))
            .collect();
        o
    }

    fn listing(&self) -> Vec<MessageInfo> {
        self.messages
            .iter()
            .map(|(u, _, s)| MessageInfo {
                uid: UniqueId::new(u.clone()).unwrap(),
                size: *s,
            })
            .collect()
    }

    pub fn decide(&mut self, s: &mut Session, event: Event) {
        match event {
            Event::Authenticate(c) => {
                let good = match &c {
                    Credentials::User { user, pass } => {
                        user == "mrose" && pass.expose() == "secret"
                    }
                    Credentials::Apop {
                        user,
                        digest,
                        timestamp,
                    } => user == "mrose" && digest == APOP_DIGEST && timestamp == TIMESTAMP,
                    Credentials::Plain { authcid, pass, .. } => {
                        authcid == "mrose" && pass.expose() == "secret"
                    }
                    Credentials::Login { user, pass } => {
                        user == "mrose" && pass.expose() == "secret"
                    }
                    _ => false,
                };
                if !good {
                    s.reject(
                        Response::err("authentication failed")
                            .unwrap()
                            .with_code(RespCode::AUTH),
                    )
                    .unwrap();
                } else if self.locked {
                    s.reject(
                        Response::err("maildrop already locked")
                            .unwrap()
                            .with_code(RespCode::IN_USE),
                    )
                    .unwrap();
                } else {
                    s.accept_maildrop(self.listing()).unwrap();
                }
            }
            Event::Retrieve { msg, .. } => {
                let data = self.messages[msg as usize - 1].1.clone();
                s.accept().unwrap();
                for piece in data.chunks(self.chunk.max(1)) {
                    if !s.message_data(piece).unwrap() {
                        break;
                    }
                }
                s.end_message().unwrap();
            }
            Event::Update { deleted } => {
                self.updates.push(deleted);
                s.accept().unwrap();
            }
            Event::StartTls => {
                self.starttls += 1;
                s.accept().unwrap();
            }
            _ => panic!("unexpected event"),
        }
    }
}

/// Drains output and answers events until the session is quiet.
pub fn pump(s: &mut Session, owner: &mut Owner, out: &mut Vec<u8>) {
    loop {
        while let Some(b) = s.poll_transmit() {
            out.extend_from_slice(&b);
        }
        match s.poll_event() {
            Some(e) => owner.decide(s, e),
            None => break,
        }
    }
}

/// Runs `input` through a new session in the given pieces; returns all the
/// server wrote.
pub fn run<'a>(
    config: Config,
    owner: &mut Owner,
    pieces: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<u8>, Session) {
    let now = Instant::now();
    let mut s = Session::new(config, now);
    let mut out = Vec::new();
    pump(&mut s, owner, &mut out);
    for p in pieces {
        s.receive(now, p);
        pump(&mut s, owner, &mut out);
    }
    (out, s)
}

/// `C:`/`S:` transcript → (client bytes, server bytes). Lines get CRLF.
pub fn transcript(t: &str) -> (Vec<u8>, Vec<u8>) {
    let (mut c, mut s) = (Vec::new(), Vec::new());
    for line in t.lines().map(str::trim_start).filter(|l| !l.is_empty()) {
        if let Some(l) = line.strip_prefix("C: ") {
            c.extend_from_slice(l.as_bytes());
            c.extend_from_slice(b"\r\n");
        } else if let Some(l) = line.strip_prefix("S: ") {
            s.extend_from_slice(l.as_bytes());
            s.extend_from_slice(b"\r\n");
        } else if line == "S:" {
            s.extend_from_slice(b"\r\n");
        } else {
            panic!("bad transcript line {line:?}");
        }
    }
    (c, s)
}

pub fn apop_config() -> Config {
    Config {
        apop_timestamp: Some(TIMESTAMP.into()),
        plaintext_auth: true,
        ..Config::default()
    }
}

/// Asserts that whole, byte-at-a-time and every two-way split give the
/// same server output, and returns it.
pub fn all_splits(config: &Config, make_owner: impl Fn() -> Owner, input: &[u8]) -> Vec<u8> {
    let (whole, _) = run(config.clone(), &mut make_owner(), [input]);
    let (bytewise, _) = run(config.clone(), &mut make_owner(), input.chunks(1));
    assert_eq!(
        String::from_utf8_lossy(&whole),
        String::from_utf8_lossy(&bytewise),
        "byte at a time"
    );
    for i in 0..=input.len() {
        let (a, b) = input.split_at(i);
        let (split, _) = run(config.clone(), &mut make_owner(), [a, b]);
        assert_eq!(whole, split, "split at {i}");
    }
    whole
}
