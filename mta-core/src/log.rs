//! Log lines in the maillog convention, through `tracing` (target
//! `missive::maillog`): one line per event, led by the queue id.
//!
//! ```text
//! 18B2F3A4C5D60001: client=client.example[192.0.2.1]
//! 18B2F3A4C5D60001: from=<alice@example.com>, size=1234, nrcpt=2 (queue active)
//! 18B2F3A4C5D60001: to=<bob@example.org>, relay=mx.example.org[192.0.2.25]:25, delay=0.41, dsn=2.0.0, status=sent (250 2.0.0 OK)
//! 18B2F3A4C5D60001: to=<carol@example.org>, orig_to=<c@example.org>, relay=local, delay=0.02, dsn=5.2.0, status=bounced (...)
//! 18B2F3A4C5D60001: sender non-delivery notification: 18B2F3A4C5D80002
//! 18B2F3A4C5D60001: removed
//! ```

use std::net::IpAddr;
use std::time::Duration;

use crate::delivery::Status;
use crate::queue::QueueId;

/// The tracing target of every maillog line.
pub const TARGET: &str = "missive::maillog";

/// `connect from name[addr]`.
pub fn connect(name: Option<&str>, addr: IpAddr) {
    tracing::info!(target: TARGET, "connect from {}[{addr}]", name.unwrap_or("unknown"));
}

/// `QUEUEID: client=name[addr]`, with `, sasl_method=PLAIN,
/// sasl_username=alice` after AUTH.
pub fn client(id: &QueueId, name: Option<&str>, addr: IpAddr, sasl: Option<(&str, &str)>) {
    let name = name.unwrap_or("unknown");
    match sasl {
        Some((method, user)) => tracing::info!(
            target: TARGET,
            "{id}: client={name}[{addr}], sasl_method={method}, sasl_username={user}"
        ),
        None => tracing::info!(target: TARGET, "{id}: client={name}[{addr}]"),
    }
}

/// `warning: name[addr]: SASL METHOD authentication failed: why`.
pub fn sasl_failed(name: Option<&str>, addr: IpAddr, method: &str, why: &str) {
    tracing::warn!(
        target: TARGET,
        "warning: {}[{addr}]: SASL {method} authentication failed: {why}",
        name.unwrap_or("unknown")
    );
}

/// `NOQUEUE: reject: RCPT from name[addr]: reply; from=<..> to=<..>`.
pub fn reject(name: Option<&str>, addr: IpAddr, reply: &str, from: &str, to: &str) {
    tracing::info!(
        target: TARGET,
        "NOQUEUE: reject: RCPT from {}[{addr}]: {reply}; from=<{from}> to=<{to}>",
        name.unwrap_or("unknown")
    );
}

/// `QUEUEID: from=<..>, size=N, nrcpt=N (queue active)`.
pub fn queued(id: &QueueId, from: &str, size: usize, nrcpt: usize) {
    tracing::info!(target: TARGET, "{id}: from=<{from}>, size={size}, nrcpt={nrcpt} (queue active)");
}

/// One delivery's fields for [`delivery`].
#[derive(Debug, Clone, Copy)]
pub struct DeliveryLine<'a> {
    /// The queue id.
    pub id: &'a QueueId,
    /// The final recipient.
    pub to: &'a str,
    /// The queued recipient, when alias expansion changed it.
    pub orig_to: Option<&'a str>,
    /// Where it went.
    pub relay: &'a str,
    /// Time since arrival.
    pub delay: Duration,
    /// The enhanced status code.
    pub dsn: &'a str,
    /// The outcome.
    pub status: Status,
    /// The reply text.
    pub text: &'a str,
}

/// `QUEUEID: to=<..>[, orig_to=<..>], relay=.., delay=.., dsn=x.y.z, status=.. (text)`.
pub fn delivery(l: &DeliveryLine<'_>) {
    let orig = l
        .orig_to
        .map(|o| format!(", orig_to=<{o}>"))
        .unwrap_or_default();
    tracing::info!(
        target: TARGET,
        "{}: to=<{}>{orig}, relay={}, delay={:.2}, dsn={}, status={} ({})",
        l.id,
        l.to,
        l.relay,
        l.delay.as_secs_f64(),
        l.dsn,
        l.status.as_str(),
        l.text
    );
}

/// `QUEUEID: to=<..>, relay=none, delay=.., status=expired, returned to sender`.
pub fn expired(id: &QueueId, to: &str, delay: Duration) {
    tracing::info!(
        target: TARGET,
        "{id}: to=<{to}>, relay=none, delay={:.2}, status=expired, returned to sender",
        delay.as_secs_f64()
    );
}

/// `QUEUEID: sender non-delivery notification: NEWID` (or delay notification).
pub fn notification(id: &QueueId, what: &str, new: &QueueId) {
    tracing::info!(target: TARGET, "{id}: {what} notification: {new}");
}

/// `QUEUEID: removed`.
pub fn removed(id: &QueueId) {
    tracing::info!(target: TARGET, "{id}: removed");
}

/// A problem worth a warning line.
pub fn warning(id: &QueueId, text: &str) {
    tracing::warn!(target: TARGET, "{id}: warning: {text}");
}
