//! The client session wired to the server session in memory, with a fake
//! clock.

mod common;

use common::*;
use pop3_proto::client::{self, Client, Event};
use pop3_proto::server::Session;
use pop3_proto::{Command, CommandKind, Limits, Secret, parse};
use std::time::Instant;

struct Pair {
    client: Client,
    server: Session,
    owner: Owner,
    now: Instant,
    events: Vec<Event>,
}

impl Pair {
    fn new(owner: Owner) -> Self {
        let now = Instant::now();
        let mut p = Pair {
            client: Client::new(Limits::default()),
            server: Session::new(apop_config(), now),
            owner,
            now,
            events: vec![],
        };
        p.step();
        p
    }

    /// Moves bytes both ways until neither side has anything to send.
    fn step(&mut self) {
        loop {
            let mut moved = false;
            let mut to_client = Vec::new();
            pump(&mut self.server, &mut self.owner, &mut to_client);
            if !to_client.is_empty() {
                moved = true;
                // One byte at a time: the client must not care.
                for b in to_client.chunks(1) {
                    self.client.receive(self.now, b);
                }
            }
            while let Some(e) = self.client.poll_event() {
                self.events.push(e);
            }
            while let Some(bytes) = self.client.poll_transmit() {
                moved = true;
                self.server.receive(self.now, &bytes);
            }
            if !moved {
                return;
            }
        }
    }

    fn body(&mut self, command: CommandKind) -> Vec<u8> {
        let mut out = Vec::new();
        for e in self.events.drain(..) {
            if let Event::Data { command: c, data } = e
                && c == command
            {
                out.extend_from_slice(&data);
            }
        }
        out
    }
}

#[test]
fn client_fetches_and_deletes() {
    let msg1: &[u8] = b"Subject: a\r\n\r\n.\r\n..\r\nend\r\n";
    let mut p = Pair::new(Owner::new(&[
        ("u1", msg1),
        ("u2", b"Subject: b\r\n\r\nhello\r\n"),
    ]));
    let Some(Event::Greeting(g)) = p.events.first().cloned() else {
        panic!("{:?}", p.events)
    };
    assert_eq!(client::apop_timestamp(&g), Some(TIMESTAMP));
    p.events.clear();

    // Pipelined: USER, PASS, CAPA, UIDL, LIST.
    p.client
        .send(&Command::User {
            name: "mrose".into(),
        })
        .unwrap();
    p.client
        .send(&Command::Pass {
            password: Secret::new("secret".into()),
        })
        .unwrap();
    p.client.send(&Command::Uidl { msg: None }).unwrap();
    p.step();
    assert!(p.client.is_idle());
    let uidl = p.body(CommandKind::Uidl);
    let ids: Vec<_> = uidl
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| parse::unique_id_listing(l.strip_suffix(b"\r").unwrap()).unwrap())
        .collect();
    assert_eq!(ids.len(), 2);
    assert_eq!(ids[1].1.as_str(), "u2");

    p.client.send(&Command::Retr { msg: 1 }).unwrap();
    p.step();
    assert_eq!(p.body(CommandKind::Retr), msg1);

    p.client.send(&Command::Dele { msg: 1 }).unwrap();
    p.client.send(&Command::Quit).unwrap();
    p.step();
    assert!(p.client.is_closed());
    assert!(p.server.is_closed());
    assert_eq!(p.owner.updates.len(), 1);
    assert_eq!(p.owner.updates[0][0].uid.as_str(), "u1");
}

#[test]
fn client_runs_sasl_plain_exchange() {
    let mut p = Pair::new(Owner::new(&[]));
    p.events.clear();
    p.client
        .send(&Command::Auth {
            mechanism: "PLAIN".into(),
            initial_response: None,
        })
        .unwrap();
    p.step();
    assert_eq!(p.events.pop(), Some(Event::Challenge(vec![])));
    p.client.sasl_response(b"\0mrose\0secret").unwrap();
    p.step();
    match p.events.pop() {
        Some(Event::Response {
            command: CommandKind::Auth,
            response,
        }) => assert!(response.is_ok()),
        other => panic!("{other:?}"),
    }
}

#[test]
fn client_rejects_garbage_and_stls_pipelining() {
    let mut c = Client::new(Limits::default());
    c.receive(Instant::now(), b"+OK hi\r\n");
    c.send(&Command::Stls).unwrap();
    assert!(c.send(&Command::Capa).is_err());
    c.receive(Instant::now(), b"+OK go\r\n+OK injected\r\n");
    assert!(c.wants_tls());
    c.tls_established(Instant::now()).unwrap();
    c.send(&Command::Noop).unwrap();
    c.receive(Instant::now(), b"* nonsense\r\n");
    let events: Vec<_> = std::iter::from_fn(|| c.poll_event()).collect();
    assert_eq!(events.last(), Some(&Event::ProtocolError));
    assert!(
        !events.iter().any(
            |e| matches!(e, Event::Response { response, .. } if response.text() == "injected")
        )
    );
}
