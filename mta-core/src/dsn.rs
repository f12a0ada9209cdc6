//! Delivery status notifications (RFC 3464): the bounce and the delay
//! warning, as `multipart/report; report-type=delivery-status` (RFC 6522)
//! with a human-readable part, the `message/delivery-status` part and the
//! original headers (`text/rfc822-headers`), built with mail-builder.
//!
//! A notification is sent from the null reverse-path (RFC 5321 section
//! 4.5.5) so it can never cause another; who receives it is the
//! scheduler's choice (never `<>`).

use std::time::{SystemTime, UNIX_EPOCH};

use mail_builder::MessageBuilder;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::date::Date;
use mail_builder::headers::raw::Raw;
use mail_builder::mime::MimePart;

use crate::router::EnhancedStatus;

/// The Action field (RFC 3464 section 2.3.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Delivery failed for good.
    Failed,
    /// Delivery is late but still being tried.
    Delayed,
}

impl Action {
    fn as_str(self) -> &'static str {
        match self {
            Action::Failed => "failed",
            Action::Delayed => "delayed",
        }
    }
}

/// One recipient's fields in the report (RFC 3464 section 2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DsnRecipient {
    /// Final-Recipient (the address delivery was attempted to).
    pub final_recipient: String,
    /// Original-Recipient, when alias expansion changed the address.
    pub original_recipient: Option<String>,
    /// Action.
    pub action: Action,
    /// Remote-MTA, when a remote server answered.
    pub remote_mta: Option<String>,
    /// The reply that decided, one line (`550 5.1.1 <x>: user unknown`):
    /// Status comes from its enhanced code, Diagnostic-Code is the reply.
    pub diagnostic: String,
}

impl DsnRecipient {
    /// The Status field: the enhanced code of the diagnostic, or the
    /// generic code of the action (5.0.0 failed, 4.0.0 delayed).
    #[must_use]
    pub fn status(&self) -> EnhancedStatus {
        let after_code = self.diagnostic.split_once(' ').map_or("", |(_, rest)| rest);
        match EnhancedStatus::parse_prefix(after_code) {
            Some((s, _)) => s,
            None => match self.action {
                Action::Failed => EnhancedStatus::new(5, 0, 0),
                Action::Delayed => EnhancedStatus::new(4, 0, 0),
            },
        }
    }
}

/// What a notification is about.
#[derive(Debug, Clone)]
pub struct Report<'a> {
    /// Reporting-MTA (myhostname).
    pub reporting_mta: &'a str,
    /// The address to notify.
    pub to: &'a str,
    /// The queue id of the original message.
    pub queue_id: &'a str,
    /// When the original arrived.
    pub arrival: SystemTime,
    /// The original message (only its header section is included).
    pub original: &'a [u8],
    /// The recipients reported on.
    pub recipients: &'a [DsnRecipient],
    /// Now.
    pub now: SystemTime,
}

fn unix(t: SystemTime) -> i64 {
    i64::try_from(t.duration_since(UNIX_EPOCH).unwrap_or_default().as_secs()).unwrap_or(0)
}

/// The header section of a message (up to and including the empty line's
/// first CR LF), with bare LFs made CR LF.
#[must_use]
pub fn header_section(message: &[u8]) -> Vec<u8> {
    let end = message
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|p| p + 2)
        .or_else(|| message.windows(2).position(|w| w == b"\n\n").map(|p| p + 1))
        .unwrap_or(message.len());
    let head = message.get(..end).unwrap_or_default();
    let mut out = Vec::with_capacity(head.len() + 16);
    for (i, &b) in head.iter().enumerate() {
        if b == b'\n' && (i == 0 || head.get(i - 1) != Some(&b'\r')) {
            out.push(b'\r');
        }
        out.push(b);
    }
    out
}

/// Builds the notification: the complete message, CR LF line ends.
///
/// # Examples
///
/// ```
/// use std::time::SystemTime;
/// use mta_core::dsn::{build, Action, DsnRecipient, Report};
///
/// let rcpt = DsnRecipient {
///     final_recipient: "nobody@example.org".into(),
///     original_recipient: None,
///     action: Action::Failed,
///     remote_mta: None,
///     diagnostic: "550 5.1.1 <nobody@example.org>: user unknown".into(),
/// };
/// let dsn = build(&Report {
///     reporting_mta: "mx.example.com",
///     to: "alice@example.com",
///     queue_id: "ABC",
///     arrival: SystemTime::now(),
///     original: b"Subject: hello\r\n\r\nbody\r\n",
///     recipients: &[rcpt],
///     now: SystemTime::now(),
/// });
/// let text = String::from_utf8(dsn).unwrap();
/// assert!(text.contains("report-type=\"delivery-status\"") || text.contains("report-type=delivery-status"));
/// assert!(text.contains("Status: 5.1.1"));
/// ```
#[must_use]
pub fn build(r: &Report<'_>) -> Vec<u8> {
    let failed = r.recipients.iter().any(|x| x.action == Action::Failed);
    let subject = if failed {
        "Undelivered Mail Returned to Sender"
    } else {
        "Delayed Mail (still being retried)"
    };
    let mut human = format!(
        "This is the mail system at host {}.\r\n\r\n",
        r.reporting_mta
    );
    if failed {
        human.push_str(
            "I'm sorry to have to inform you that your message could not\r\n\
             be delivered to one or more recipients. It's attached below.\r\n\r\n",
        );
    } else {
        human.push_str(
            "Your message could not be delivered for some time.\r\n\
             It will be retried until it is too old; you need not send it again.\r\n\r\n",
        );
    }
    for x in r.recipients {
        human.push_str(&format!("<{}>: {}\r\n", x.final_recipient, x.diagnostic));
    }

    let mut status = format!(
        "Reporting-MTA: dns; {}\r\nX-Missive-Queue-ID: {}\r\nArrival-Date: {}\r\n",
        r.reporting_mta,
        r.queue_id,
        Date::new(unix(r.arrival)).to_rfc822()
    );
    for x in r.recipients {
        status.push_str("\r\n");
        status.push_str(&format!(
            "Final-Recipient: rfc822; {}\r\n",
            x.final_recipient
        ));
        if let Some(o) = &x.original_recipient {
            status.push_str(&format!("Original-Recipient: rfc822; {o}\r\n"));
        }
        status.push_str(&format!(
            "Action: {}\r\nStatus: {}\r\n",
            x.action.as_str(),
            x.status()
        ));
        if let Some(m) = &x.remote_mta {
            status.push_str(&format!("Remote-MTA: dns; {m}\r\n"));
        }
        status.push_str(&format!("Diagnostic-Code: smtp; {}\r\n", x.diagnostic));
        status.push_str(&format!(
            "Last-Attempt-Date: {}\r\n",
            Date::new(unix(r.now)).to_rfc822()
        ));
    }

    let headers = String::from_utf8_lossy(&header_section(r.original)).into_owned();
    let report = MimePart::new(
        ContentType::new("multipart/report").attribute("report-type", "delivery-status"),
        vec![
            MimePart::new(
                ContentType::new("text/plain").attribute("charset", "us-ascii"),
                human,
            )
            .transfer_encoding("7bit"),
            MimePart::new(ContentType::new("message/delivery-status"), status)
                .transfer_encoding("7bit"),
            MimePart::new(ContentType::new("text/rfc822-headers"), headers)
                .transfer_encoding("8bit"),
        ],
    );
    let mailer = format!("MAILER-DAEMON@{}", r.reporting_mta);
    MessageBuilder::new()
        .from(("Mail Delivery System", mailer.as_str()))
        .to(r.to)
        .subject(subject)
        .date(Date::new(unix(r.now)))
        .message_id(format!(
            "{}.{}@{}",
            r.queue_id,
            unix(r.now),
            r.reporting_mta
        ))
        .header("Auto-Submitted", Raw::new("auto-replied"))
        .body(report)
        .write_to_vec()
        .unwrap_or_default()
}
