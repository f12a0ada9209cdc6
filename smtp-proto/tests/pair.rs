//! Client session wired to server session in memory, with a fake clock.

use std::time::{Duration, Instant};

use bytes::Bytes;
use smtp_proto::client::{self, Envelope, Failure, TlsPolicy};
use smtp_proto::server::{self, Event as SEvent, Mode};
use smtp_proto::{
    ForwardPath, Host, Mailbox, Mechanism, RcptParameters, Reply, ReversePath, Secret,
};

/// What the server application does.
struct App {
    /// Recipients whose local part starts with this are refused at RCPT.
    refuse_prefix: &'static str,
    /// LMTP: recipients whose local part starts with this fail at the end.
    over_quota_prefix: &'static str,
    messages: Vec<Vec<u8>>,
    current: Vec<u8>,
    auth: Vec<smtp_proto::Credentials>,
    /// Extra bytes the "server" slips in after its STARTTLS 220.
    inject_after_starttls: Option<&'static [u8]>,
}

impl App {
    fn new() -> Self {
        App {
            refuse_prefix: "nobody",
            over_quota_prefix: "full",
            messages: Vec::new(),
            current: Vec::new(),
            auth: Vec::new(),
            inject_after_starttls: None,
        }
    }
}

fn mb(s: &str) -> Mailbox {
    Mailbox::parse(s).unwrap()
}

fn envelope(rcpts: &[&str]) -> Envelope {
    Envelope {
        reverse_path: ReversePath::Mailbox(mb("sender@client.example")),
        parameters: Default::default(),
        recipients: rcpts
            .iter()
            .map(|r| (ForwardPath::Mailbox(mb(r)), RcptParameters::default()))
            .collect(),
    }
}

/// Runs both sessions until neither has anything to say. Returns client events.
fn pump(
    c: &mut client::Session,
    s: &mut server::Session,
    app: &mut App,
    now: Instant,
) -> Vec<client::Event> {
    let mut events = Vec::new();
    loop {
        let mut progressed = false;
        while let Some(e) = s.poll_event() {
            progressed = true;
            match &e {
                SEvent::MessageData(d) => app.current.extend_from_slice(d),
                SEvent::Rcpt {
                    forward_path: ForwardPath::Mailbox(m),
                    ..
                } if m.local_part().starts_with(app.refuse_prefix) => {
                    s.reject(Reply::new(550, Some((5, 1, 1)), "no such user").unwrap())
                        .unwrap();
                }
                SEvent::MessageEnd => {
                    app.messages.push(std::mem::take(&mut app.current));
                    if s.config().mode == Mode::Lmtp {
                        let replies = s
                            .recipients()
                            .iter()
                            .map(|r| match r {
                                ForwardPath::Mailbox(m)
                                    if m.local_part().starts_with(app.over_quota_prefix) =>
                                {
                                    Reply::new(452, Some((4, 2, 2)), "over quota").unwrap()
                                }
                                _ => Reply::new(250, Some((2, 0, 0)), "delivered").unwrap(),
                            })
                            .collect();
                        s.respond_recipients(replies).unwrap();
                    } else {
                        s.accept().unwrap();
                    }
                }
                SEvent::Auth(cr) => {
                    app.auth.push(cr.clone());
                    if cr.password.expose() == "secret" {
                        s.accept().unwrap();
                    } else {
                        s.reject(Reply::new(535, Some((5, 7, 8)), "bad credentials").unwrap())
                            .unwrap();
                    }
                }
                SEvent::StartTls => {
                    s.accept().unwrap();
                    let mut wire = Vec::new();
                    while let Some(b) = s.poll_transmit() {
                        wire.extend_from_slice(&b);
                    }
                    if let Some(extra) = app.inject_after_starttls {
                        wire.extend_from_slice(extra);
                    }
                    c.receive(now, &wire);
                    s.tls_established(now);
                }
                e if e.needs_decision() => s.accept().unwrap(),
                _ => {}
            }
        }
        while let Some(b) = s.poll_transmit() {
            progressed = true;
            c.receive(now, &b);
        }
        while let Some(e) = c.poll_event() {
            progressed = true;
            if e == client::Event::StartTls {
                c.tls_established(now);
            }
            events.push(e);
        }
        while let Some(b) = c.poll_transmit() {
            progressed = true;
            s.receive(now, &b);
        }
        if !progressed {
            return events;
        }
    }
}

fn pair(sc: server::Config, cc: client::Config) -> (client::Session, server::Session, Instant) {
    let now = Instant::now();
    (
        client::Session::new(cc, now),
        server::Session::new(sc, now),
        now,
    )
}

fn cconfig() -> client::Config {
    client::Config::new(Host::parse("client.example").unwrap())
}

fn delivered(events: &[client::Event]) -> Vec<client::Outcome> {
    events
        .iter()
        .filter_map(|e| match e {
            client::Event::Delivered(o) => Some(o.clone()),
            _ => None,
        })
        .collect()
}

fn send(
    c: &mut client::Session,
    s: &mut server::Session,
    app: &mut App,
    now: Instant,
    rcpts: &[&str],
    msg: &'static [u8],
) -> client::Outcome {
    c.send_mail(envelope(rcpts), Bytes::from_static(msg))
        .unwrap();
    let ev = pump(c, s, app, now);
    delivered(&ev).pop().expect("an outcome")
}

#[test]
fn every_combination_of_pipelining_and_chunking() {
    for (pipelining, chunking) in [(true, true), (true, false), (false, true), (false, false)] {
        let mut sc = server::Config::new("mx.example");
        sc.pipelining = pipelining;
        sc.chunking = chunking;
        let (mut c, mut s, now) = pair(sc, cconfig());
        let mut app = App::new();
        let ev = pump(&mut c, &mut s, &mut app, now);
        assert!(matches!(ev.last(), Some(client::Event::Ready(_))), "{ev:?}");
        let msg: &[u8] = b"Subject: hi\r\n\r\n.leading dot\r\n..two\r\nend\r\n";
        let out = send(
            &mut c,
            &mut s,
            &mut app,
            now,
            &["a@mx.example", "nobody@mx.example", "b@mx.example"],
            msg,
        );
        let ok: Vec<bool> = out.recipients.iter().map(|r| r.is_delivered()).collect();
        assert_eq!(
            ok,
            vec![true, false, true],
            "pipelining={pipelining} chunking={chunking}"
        );
        assert_eq!(out.recipients[1].reply.code().get(), 550);
        assert_eq!(
            app.messages,
            vec![msg.to_vec()],
            "pipelining={pipelining} chunking={chunking}"
        );
        // All recipients refused: no data is sent, the session goes on.
        let out = send(
            &mut c,
            &mut s,
            &mut app,
            now,
            &["nobody1@mx.example", "nobody2@mx.example"],
            b"x\r\n",
        );
        assert!(out.recipients.iter().all(|r| r.reply.code().get() == 550));
        assert_eq!(app.messages.len(), 1);
        c.quit().unwrap();
        let ev = pump(&mut c, &mut s, &mut app, now);
        assert_eq!(ev, vec![client::Event::Closed]);
        assert!(c.is_closed() && s.is_closed());
    }
}

#[test]
fn lmtp_per_recipient_results() {
    let sc = server::Config {
        mode: Mode::Lmtp,
        ..server::Config::new("lmtp.example")
    };
    let cc = client::Config {
        mode: Mode::Lmtp,
        ..cconfig()
    };
    for chunking in [false, true] {
        let mut sc = sc.clone();
        sc.chunking = chunking;
        let (mut c, mut s, now) = pair(sc, cc.clone());
        let mut app = App::new();
        pump(&mut c, &mut s, &mut app, now);
        let out = send(
            &mut c,
            &mut s,
            &mut app,
            now,
            &[
                "a@x.example",
                "nobody@x.example",
                "full@x.example",
                "b@x.example",
            ],
            b"m\r\n",
        );
        let codes: Vec<u16> = out
            .recipients
            .iter()
            .map(|r| r.reply.code().get())
            .collect();
        assert_eq!(codes, vec![250, 550, 452, 250], "chunking={chunking}");
        assert!(out.recipients[2].reply.is_transient());
    }
}

#[test]
fn starttls_then_auth_plain_and_login() {
    for mech in [Mechanism::Plain, Mechanism::Login] {
        let mut sc = server::Config::new("mx.example");
        sc.starttls = true;
        sc.auth_mechanisms = vec![mech.clone()];
        let mut cc = cconfig();
        cc.tls = TlsPolicy::Required;
        cc.credentials = Some(("user".into(), Secret::new("secret".into())));
        let (mut c, mut s, now) = pair(sc, cc);
        let mut app = App::new();
        let ev = pump(&mut c, &mut s, &mut app, now);
        assert!(ev.contains(&client::Event::StartTls));
        assert!(matches!(ev.last(), Some(client::Event::Ready(_))), "{ev:?}");
        assert!(c.is_tls() && s.is_tls() && s.is_authenticated());
        assert_eq!(app.auth[0].mechanism, mech);
        assert_eq!(app.auth[0].authcid, "user");
    }
}

#[test]
fn wrong_password_fails_the_session() {
    let mut sc = server::Config::new("mx.example");
    sc.auth_mechanisms = vec![Mechanism::Plain];
    sc.auth_without_tls = true;
    let mut cc = cconfig();
    cc.auth_without_tls = true;
    cc.credentials = Some(("user".into(), Secret::new("wrong".into())));
    let (mut c, mut s, now) = pair(sc, cc);
    let ev = pump(&mut c, &mut s, &mut App::new(), now);
    assert!(
        matches!(ev.last(), Some(client::Event::Failed(Failure::Auth(r))) if r.code().get() == 535)
    );
}

#[test]
fn tls_required_but_not_offered() {
    let mut cc = cconfig();
    cc.tls = TlsPolicy::Required;
    let (mut c, mut s, now) = pair(server::Config::new("mx.example"), cc);
    let ev = pump(&mut c, &mut s, &mut App::new(), now);
    assert_eq!(
        ev.last(),
        Some(&client::Event::Failed(Failure::TlsUnavailable))
    );
}

#[test]
fn response_injection_after_starttls_is_discarded() {
    // CVE-2021-38371: a reply sent in plaintext right after the 220 must not
    // be read as the answer to the EHLO sent over TLS.
    let mut sc = server::Config::new("mx.example");
    sc.starttls = true;
    let (mut c, mut s, now) = pair(sc, cconfig());
    let mut app = App::new();
    app.inject_after_starttls = Some(b"250-evil.example\r\n250 AUTH PLAIN\r\n");
    let ev = pump(&mut c, &mut s, &mut app, now);
    let Some(client::Event::Ready(caps)) = ev.last() else {
        panic!("{ev:?}")
    };
    assert!(
        caps.auth.is_empty(),
        "injected capabilities were read: {caps:?}"
    );
    assert!(caps.pipelining);
}

#[test]
fn ehlo_refused_falls_back_to_helo() {
    let now = Instant::now();
    let mut c = client::Session::new(cconfig(), now);
    c.receive(now, b"220 old.example\r\n");
    assert_eq!(&c.poll_transmit().unwrap()[..], b"EHLO client.example\r\n");
    c.receive(now, b"502 command not implemented\r\n");
    assert_eq!(&c.poll_transmit().unwrap()[..], b"HELO client.example\r\n");
    c.receive(now, b"250 old.example\r\n");
    assert_eq!(
        c.poll_event(),
        Some(client::Event::Ready(Default::default()))
    );
    // No PIPELINING: one command at a time.
    c.send_mail(
        envelope(&["a@old.example", "b@old.example"]),
        Bytes::from_static(b"hi\r\n"),
    )
    .unwrap();
    assert_eq!(
        &c.poll_transmit().unwrap()[..],
        b"MAIL FROM:<sender@client.example>\r\n"
    );
    c.receive(now, b"250 ok\r\n");
    assert_eq!(
        &c.poll_transmit().unwrap()[..],
        b"RCPT TO:<a@old.example>\r\n"
    );
}

#[test]
fn client_timeouts_follow_rfc5321() {
    let now = Instant::now();
    let mut c = client::Session::new(cconfig(), now);
    assert_eq!(c.poll_timeout(), Some(now + Duration::from_secs(300)));
    c.handle_timeout(now + Duration::from_secs(301));
    assert_eq!(
        c.poll_event(),
        Some(client::Event::Failed(Failure::Timeout))
    );
    assert!(c.is_closed());
}

#[test]
fn server_421_ends_the_client() {
    let now = Instant::now();
    let mut c = client::Session::new(cconfig(), now);
    c.receive(now, b"421 4.3.2 shutting down\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(client::Event::Failed(Failure::ServiceClosing(_)))
    ));
    let now = Instant::now();
    let mut c = client::Session::new(cconfig(), now);
    c.receive(now, b"220 x\r\n");
    let _ = c.poll_transmit();
    c.receive(now, b"421 4.4.2 timeout\r\n");
    assert!(matches!(
        c.poll_event(),
        Some(client::Event::Failed(Failure::ServiceClosing(_)))
    ));
}

#[test]
fn bare_lf_messages_go_out_with_crlf_by_data_and_bdat() {
    for chunking in [false, true] {
        let mut sc = server::Config::new("mx.example");
        sc.chunking = chunking;
        let (mut c, mut s, now) = pair(sc, cconfig());
        let mut app = App::new();
        pump(&mut c, &mut s, &mut app, now);
        let out = send(
            &mut c,
            &mut s,
            &mut app,
            now,
            &["a@mx.example"],
            b"Subject: lf\n\n.x\nlast",
        );
        assert!(out.recipients[0].is_delivered());
        let expected: &[u8] = if chunking {
            b"Subject: lf\r\n\r\n.x\r\nlast"
        } else {
            b"Subject: lf\r\n\r\n.x\r\nlast\r\n"
        };
        assert_eq!(app.messages, vec![expected.to_vec()], "chunking={chunking}");
    }
}
