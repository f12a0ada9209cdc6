//! The on-disk form of a queued message: an envelope in `key value`
//! lines, an empty line, then the content; and the framing that lets a
//! reader find where a torn append ends.
//!
//! A record is `kind` (one octet: `M` message, `D` done), the payload
//! length (u32, little endian), an FNV-1a 64 checksum of kind and payload
//! (u64, little endian), then the payload. The checksum detects a record
//! whose append was cut by a crash before its fsync; it is no defence
//! against an attacker who can write the queue directory.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;

/// Framing overhead of a record: kind, length, checksum.
pub(crate) const HEADER_LEN: usize = 1 + 4 + 8;

/// Largest payload a record may claim (a message is bounded by
/// message_size_limit long before this).
pub(crate) const MAX_PAYLOAD: usize = 1 << 30;

/// A queue id: hexadecimal digits, unique within the queue directory,
/// ordered by arrival (the time in microseconds, then a counter).
///
/// # Examples
///
/// ```
/// use mta_core::queue::QueueId;
///
/// let id = QueueId::parse("18B2F3A4C5D60001").unwrap();
/// assert_eq!(id.as_str(), "18B2F3A4C5D60001");
/// assert!(QueueId::parse("../etc").is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct QueueId(String);

impl QueueId {
    /// A new id from the arrival time and a per-process counter.
    pub(crate) fn generate(now: SystemTime, counter: u32) -> QueueId {
        let micros = now
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros();
        QueueId(format!("{micros:X}{:04X}", counter & 0xFFFF))
    }

    /// Accepts 1 to 32 upper-case hexadecimal digits (an id is also a file
    /// name, so nothing else may pass).
    #[must_use]
    pub fn parse(text: &str) -> Option<QueueId> {
        let ok = !text.is_empty()
            && text.len() <= 32
            && text
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b));
        ok.then(|| QueueId(text.to_owned()))
    }

    /// The id as text.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for QueueId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a message is in the queue: mail from a client, or a notification the
/// engine wrote (which must never cause another notification to loop).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// Mail received from a client or submitted by the embedding program.
    Normal,
    /// A delivery status notification to a sender (from `<>`).
    Bounce,
    /// A notification about an undeliverable notification, to the
    /// postmaster; if it fails too it is logged and dropped.
    DoubleBounce,
}

impl MessageKind {
    fn as_str(self) -> &'static str {
        match self {
            MessageKind::Normal => "normal",
            MessageKind::Bounce => "bounce",
            MessageKind::DoubleBounce => "2bounce",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "normal" => Some(MessageKind::Normal),
            "bounce" => Some(MessageKind::Bounce),
            "2bounce" => Some(MessageKind::DoubleBounce),
            _ => None,
        }
    }
}

/// One forward-path of a queued message and how far its delivery got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The forward-path as accepted (without angle brackets).
    pub address: String,
    /// Delivered, bounced or dropped: nothing left to do.
    pub done: bool,
    /// The final addresses (after alias expansion) already delivered, so a
    /// retry does not deliver them twice.
    pub delivered: Vec<String>,
    /// Why the last attempt did not finish (for mailq and DSNs).
    pub reason: Option<String>,
}

impl Recipient {
    /// A recipient still to deliver.
    #[must_use]
    pub fn new(address: impl Into<String>) -> Self {
        Recipient {
            address: address.into(),
            done: false,
            delivered: Vec::new(),
            reason: None,
        }
    }
}

/// The envelope of a queued message and its delivery state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Envelope {
    /// The queue id.
    pub id: QueueId,
    /// When the message entered the queue.
    pub arrival: SystemTime,
    /// The reverse-path without angle brackets; empty for `<>`.
    pub reverse_path: String,
    /// Where it came from (`helo (name [address])`), for logs and DSNs.
    pub client: String,
    /// Normal mail or a notification.
    pub kind: MessageKind,
    /// The recipients.
    pub recipients: Vec<Recipient>,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Not before this time.
    pub next_attempt: SystemTime,
    /// A delay warning was sent.
    pub warned: bool,
}

impl Envelope {
    /// Recipients not done yet.
    pub fn pending(&self) -> impl Iterator<Item = &Recipient> {
        self.recipients.iter().filter(|r| !r.done)
    }
}

fn micros(t: SystemTime) -> u64 {
    u64::try_from(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_micros()).unwrap_or(u64::MAX)
}

fn from_micros(m: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_micros(m)
}

/// Keeps a value on one line: control characters become spaces.
fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

/// The payload of an `M` record (or a deferred file): envelope and content.
pub(crate) fn encode_message(env: &Envelope, content: &[u8]) -> Vec<u8> {
    let mut head = String::with_capacity(256);
    let mut line = |k: &str, v: &str| {
        head.push_str(k);
        head.push(' ');
        head.push_str(&one_line(v));
        head.push('\n');
    };
    line("id", env.id.as_str());
    line("arrival", &micros(env.arrival).to_string());
    line("sender", &env.reverse_path);
    line("client", &env.client);
    line("kind", env.kind.as_str());
    line("attempts", &env.attempts.to_string());
    line("next", &micros(env.next_attempt).to_string());
    line("warned", if env.warned { "1" } else { "0" });
    for r in &env.recipients {
        line("rcpt", &format!("{} {}", u8::from(r.done), r.address));
        for d in &r.delivered {
            line("delivered", d);
        }
        if let Some(reason) = &r.reason {
            line("reason", reason);
        }
    }
    head.push('\n');
    let mut out = Vec::with_capacity(head.len() + content.len());
    out.extend_from_slice(head.as_bytes());
    out.extend_from_slice(content);
    out
}

/// Splits a message payload into envelope and the offset of its content.
pub(crate) fn decode_message(payload: &[u8]) -> Option<(Envelope, usize)> {
    let end = payload.windows(2).position(|w| w == b"\n\n")?;
    let head = std::str::from_utf8(payload.get(..end)?).ok()?;
    let mut id = None;
    let mut env = Envelope {
        id: QueueId(String::new()),
        arrival: UNIX_EPOCH,
        reverse_path: String::new(),
        client: String::new(),
        kind: MessageKind::Normal,
        recipients: Vec::new(),
        attempts: 0,
        next_attempt: UNIX_EPOCH,
        warned: false,
    };
    for l in head.split('\n') {
        let (k, v) = l.split_once(' ').unwrap_or((l, ""));
        match k {
            "id" => id = QueueId::parse(v),
            "arrival" => env.arrival = from_micros(v.parse().ok()?),
            "sender" => env.reverse_path = v.to_owned(),
            "client" => env.client = v.to_owned(),
            "kind" => env.kind = MessageKind::parse(v)?,
            "attempts" => env.attempts = v.parse().ok()?,
            "next" => env.next_attempt = from_micros(v.parse().ok()?),
            "warned" => env.warned = v == "1",
            "rcpt" => {
                let (done, addr) = v.split_once(' ')?;
                let mut r = Recipient::new(addr);
                r.done = done == "1";
                env.recipients.push(r);
            }
            "delivered" => env.recipients.last_mut()?.delivered.push(v.to_owned()),
            "reason" => env.recipients.last_mut()?.reason = Some(v.to_owned()),
            _ => {}
        }
    }
    env.id = id?;
    Some((env, end + 2))
}

/// FNV-1a, 64 bits.
fn checksum(kind: u8, payload: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in std::iter::once(&kind).chain(payload) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01B3);
    }
    h
}

/// Appends a framed record to `out`.
pub(crate) fn frame(kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).unwrap_or(u32::MAX);
    out.push(kind);
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(&checksum(kind, payload).to_le_bytes());
    out.extend_from_slice(payload);
}

/// One record read back.
pub(crate) struct Framed<'a> {
    pub kind: u8,
    pub payload: &'a [u8],
    /// Offset of the payload in the buffer.
    pub offset: usize,
}

/// Reads the records of `buf` in order; stops at the first torn or corrupt
/// one (everything after it was never acknowledged) and returns how many
/// octets were good.
pub(crate) fn unframe(buf: &[u8]) -> (Vec<Framed<'_>>, usize) {
    let mut out = Vec::new();
    let mut pos = 0;
    while let Some(head) = buf.get(pos..pos + HEADER_LEN) {
        let kind = head[0];
        let mut len4 = [0u8; 4];
        len4.copy_from_slice(&head[1..5]);
        let mut sum8 = [0u8; 8];
        sum8.copy_from_slice(&head[5..13]);
        let len = u32::from_le_bytes(len4) as usize;
        if len > MAX_PAYLOAD {
            break;
        }
        let start = pos + HEADER_LEN;
        let Some(payload) = buf.get(start..start + len) else {
            break;
        };
        if checksum(kind, payload) != u64::from_le_bytes(sum8) {
            break;
        }
        out.push(Framed {
            kind,
            payload,
            offset: start,
        });
        pos = start + len;
    }
    (out, pos)
}

/// The content part of a message payload.
pub(crate) fn content_of(payload: Bytes) -> Option<(Envelope, Bytes)> {
    let (env, at) = decode_message(&payload)?;
    Some((env, payload.slice(at..)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Envelope {
        let t = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let mut r = Recipient::new("bob@example.org");
        r.delivered.push("bob@example.org".into());
        r.reason = Some("451 4.3.0 try\nlater".into());
        Envelope {
            id: QueueId::generate(t, 7),
            arrival: t,
            reverse_path: "alice@example.com".into(),
            client: "c (c [127.0.0.1])".into(),
            kind: MessageKind::Bounce,
            recipients: vec![r, Recipient::new("carol@example.org")],
            attempts: 3,
            next_attempt: t + Duration::from_secs(60),
            warned: true,
        }
    }

    #[test]
    fn message_round_trip() {
        let env = sample();
        let payload = encode_message(&env, b"Subject: x\r\n\r\nbody\r\n");
        let (back, at) = decode_message(&payload).unwrap();
        assert_eq!(&payload[at..], b"Subject: x\r\n\r\nbody\r\n");
        let mut expected = env;
        expected.recipients[0].reason = Some("451 4.3.0 try later".into());
        assert_eq!(back, expected);
    }

    #[test]
    fn torn_tail_is_dropped() {
        let mut buf = Vec::new();
        frame(b'M', b"one", &mut buf);
        frame(b'D', b"two", &mut buf);
        let whole = buf.len();
        frame(b'M', b"three", &mut buf);
        for cut in whole..buf.len() {
            let (records, good) = unframe(&buf[..cut]);
            assert_eq!(records.len(), 2);
            assert_eq!(good, whole);
        }
        let last = buf.len() - 1;
        buf[last] ^= 1;
        assert_eq!(unframe(&buf).0.len(), 2);
    }

    #[test]
    fn garbage_never_panics() {
        for n in 0..64u8 {
            let junk: Vec<u8> = (0..n).map(|i| i.wrapping_mul(37)).collect();
            let _ = unframe(&junk);
            let _ = decode_message(&junk);
        }
    }
}
