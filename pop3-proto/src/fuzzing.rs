//! Bodies of the fuzz targets, as library functions so that a normal test
//! can replay the fuzz corpus. Not a stable API.

use crate::server::{Config, Event, Session};
use crate::types::{MessageInfo, Response, UniqueId};
use std::time::{Duration, Instant};

/// Feeds arbitrary bytes to a server session and answers every decision,
/// checking that the session never panics, that its input buffer stays
/// within the limits, and that every multi-line answer ends.
///
/// The first byte picks the configuration (plaintext allowed, STLS, APOP,
/// small limits) and a pattern of accept/reject decisions; the second
/// picks where the rest is split into `receive` calls.
pub fn server_session(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let Some((&split, input)) = rest.split_first() else {
        return;
    };
    let mut config = Config {
        plaintext_auth: ctl & 1 != 0,
        stls: ctl & 2 != 0,
        apop_timestamp: (ctl & 4 != 0).then(|| "<1.2@fuzz>".to_string()),
        ..Config::default()
    };
    if ctl & 8 != 0 {
        config.limits.command_line = 16;
        config.limits.sasl_line = 24;
        config.limits.pipeline_buffer = 64;
        config.limits.max_bad_commands = 3;
    }
    let limit = config
        .limits
        .pipeline_buffer
        .max(config.limits.sasl_line)
        .max(config.limits.command_line);
    let reject_pattern = u32::from(ctl >> 4);
    let t0 = Instant::now();
    let mut now = t0;
    let mut s = Session::new(config, now);
    let mut decisions = 0u32;
    let step = usize::from(split).max(1);
    for chunk in input.chunks(step) {
        now += Duration::from_secs(1);
        s.receive(now, chunk);
        assert!(s.buffered() <= limit + step, "input buffer past its limit");
        loop {
            while s.poll_transmit().is_some() {}
            let Some(event) = s.poll_event() else { break };
            decisions += 1;
            let reject = reject_pattern != 0 && decisions.is_multiple_of(reject_pattern + 1);
            let result = match event {
                _ if reject => {
                    s.reject(Response::from_parts(crate::Status::Err, None, "no".into()))
                }
                Event::Authenticate(_) => {
                    let listing = (1..=3u32)
                        .filter_map(|i| UniqueId::new(format!("u{i}")).ok())
                        .map(|uid| MessageInfo { uid, size: 20 })
                        .collect();
                    s.accept_maildrop(listing)
                }
                Event::Retrieve { .. } => s
                    .accept()
                    .and_then(|()| s.message_data(b"Subject: x\n\n.line\nbody\n"))
                    .and_then(|_| s.end_message()),
                Event::StartTls => s.accept().and_then(|()| s.tls_established(now)),
                Event::Update { .. } => s.accept(),
            };
            assert!(result.is_ok(), "decision refused: {result:?}");
        }
        if s.is_closed() {
            break;
        }
    }
    s.handle_timeout(now + Duration::from_secs(3600));
    assert!(s.is_closed() || s.poll_timeout().is_some() || !s.wants_input());
}

/// Parses arbitrary bytes as a command line and as a server line; a
/// parsed command must serialize back to something that parses the same.
pub fn parsers(data: &[u8]) {
    if let Ok(cmd) = crate::parse::command(data) {
        let mut out = bytes::BytesMut::new();
        crate::serialize::command(&cmd, &mut out);
        let line = out.get(..out.len().saturating_sub(2)).unwrap_or_default();
        assert_eq!(crate::parse::command(line).ok(), Some(cmd));
    }
    let _ = crate::parse::server_line(data);
    let _ = crate::parse::capability(data);
}

/// Feeds arbitrary server bytes to a client session that has pipelined a
/// mix of commands, checking it never panics and ends in a sane state.
pub fn client_session(data: &[u8]) {
    use crate::client::{Client, Event};
    use crate::types::{Command, Secret};
    let Some((&split, input)) = data.split_first() else {
        return;
    };
    let now = Instant::now();
    let mut c = Client::new(crate::Limits::default());
    let commands = [
        Command::Capa,
        Command::User { name: "u".into() },
        Command::Pass {
            password: Secret::new("p".into()),
        },
        Command::Auth {
            mechanism: "PLAIN".into(),
            initial_response: None,
        },
        Command::List { msg: None },
        Command::Uidl { msg: None },
        Command::Retr { msg: 1 },
        Command::Top { msg: 1, lines: 2 },
        Command::Stls,
    ];
    for cmd in &commands {
        let _ = c.send(cmd);
    }
    while c.poll_transmit().is_some() {}
    for chunk in input.chunks(usize::from(split).max(1)) {
        c.receive(now, chunk);
        while let Some(e) = c.poll_event() {
            if let Event::Challenge(_) = e {
                let _ = c.sasl_response(b"\0u\0p");
            }
        }
        if c.wants_tls() {
            let _ = c.tls_established(now);
        }
    }
}
