//! Bodies of the fuzz targets and helpers for benches, as library functions
//! so that a normal test can replay the fuzz corpus. Not a stable API.

use std::time::{Duration, Instant};

pub use crate::server::data::{scan_len, unstuff};
use crate::server::{Config, Event, Mode, Session};
use crate::types::Reply;

/// Feeds arbitrary bytes to a server session and answers every decision,
/// checking that the session never panics and its buffers stay bounded.
///
/// The first byte picks the configuration (SMTP or LMTP, bare LF policy,
/// small limits) and a pattern of accept/reject decisions; the rest is split
/// into receive calls at positions the input also chooses.
pub fn server_session(data: &[u8]) {
    let Some((&ctl, rest)) = data.split_first() else {
        return;
    };
    let mut config = Config::new("fuzz.example");
    if ctl & 1 != 0 {
        config.mode = Mode::Lmtp;
    }
    if ctl & 2 != 0 {
        config.bare_line_ending = crate::server::BareLineEnding::Reject;
    }
    if ctl & 4 != 0 {
        config.limits.message_size = Some(64);
        config.limits.max_recipients = 3;
        config.limits.text_line = Some(40);
    }
    config.starttls = ctl & 8 != 0;
    config.auth_mechanisms = vec![crate::Mechanism::Plain, crate::Mechanism::Login];
    config.auth_without_tls = ctl & 16 != 0;
    let reject_pattern = ctl >> 5;
    let mut now = Instant::now();
    let mut s = Session::new(config, now);
    let mut decisions = 0u32;
    let mut out = 0usize;
    let step = |s: &mut Session, decisions: &mut u32, out: &mut usize| {
        while let Some(ev) = s.poll_event() {
            if !ev.needs_decision() {
                continue;
            }
            *decisions += 1;
            let reject =
                reject_pattern != 0 && (*decisions).is_multiple_of(u32::from(reject_pattern) + 1);
            let r = if reject {
                s.reject(Reply::fixed(550, Some((5, 7, 1)), "no"))
            } else if let (Event::MessageEnd, Mode::Lmtp) = (&ev, s.config().mode) {
                let n = s.recipients().len();
                s.respond_recipients(vec![Reply::fixed(250, None, "ok"); n])
            } else {
                s.accept()
            };
            assert!(r.is_ok(), "decision refused: {r:?}");
            if ev == Event::StartTls {
                s.tls_established(Instant::now());
            }
        }
        while let Some(b) = s.poll_transmit() {
            *out += b.len();
        }
    };
    step(&mut s, &mut decisions, &mut out);
    let mut input = rest;
    while !input.is_empty() {
        // A chunk length chosen by the input itself: 1 to 64 octets.
        let n = (usize::from(input[0] & 63) + 1).min(input.len());
        let (chunk, tail) = input.split_at(n);
        input = tail;
        s.receive(now, chunk);
        step(&mut s, &mut decisions, &mut out);
        assert!(
            s.buffered() <= 64 * 1024,
            "session buffered {} octets",
            s.buffered()
        );
    }
    now += Duration::from_secs(3600);
    s.handle_timeout(now);
    step(&mut s, &mut decisions, &mut out);
}
