//! The queue listing of the mailq and sendmail examples, in the format of
//! Postfix's showq (`mailq`, `postqueue -p`, `sendmail -bp`).

use mta_core::queue::QueueEntry;

use super::date;

/// The listing as Postfix's showq prints it.
pub fn render(entries: &[QueueEntry]) -> String {
    if entries.is_empty() {
        return "Mail queue is empty\n".to_owned();
    }
    let width = entries
        .iter()
        .map(|e| e.envelope.id.as_str().len())
        .max()
        .unwrap_or(10)
        .max(10);
    // Id, status, space, size (8), space, arrival (19), two spaces: where
    // the sender starts, under "-Sender/Recipient-".
    let indent = width + 1 + 1 + 8 + 1 + 19 + 2;
    let mut out = format!(
        "{:<w$} --Size-- ----Arrival Time---- -Sender/Recipient-------\n",
        "-Queue ID-",
        w = width + 1
    );
    let mut total = 0u64;
    for e in entries {
        let env = &e.envelope;
        total = total.saturating_add(e.size);
        let status = if e.active { '*' } else { ' ' };
        let sender = if env.reverse_path.is_empty() {
            "MAILER-DAEMON"
        } else {
            &env.reverse_path
        };
        out.push_str(&format!(
            "{:<width$}{status} {:>8} {}  {sender}\n",
            env.id.as_str(),
            e.size,
            date::mailq_date(env.arrival),
        ));
        // Recipients grouped under the reason of their last attempt.
        let mut last_reason: Option<&str> = None;
        for r in env.pending() {
            let reason = r.reason.as_deref();
            if let Some(text) = reason
                && reason != last_reason
            {
                out.push_str(&format!("({text})\n"));
            }
            last_reason = reason;
            out.push_str(&format!("{:indent$}{}\n", "", r.address));
        }
        out.push('\n');
    }
    let n = entries.len();
    out.push_str(&format!(
        "-- {} Kbytes in {n} Request{}.\n",
        total.div_ceil(1024),
        if n == 1 { "" } else { "s" }
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mta_core::queue::snapshot;
    use std::sync::Arc;

    use mta_core::clock::SystemClock;
    use mta_core::queue::{MessageKind, Queue, QueueOptions};

    #[test]
    fn empty_queue() {
        assert_eq!(render(&[]), "Mail queue is empty\n");
    }

    #[tokio::test]
    async fn listing_of_an_open_queue() {
        let dir = tempfile::tempdir().unwrap();
        let q = Queue::open(QueueOptions::new(dir.path()), Arc::new(SystemClock)).unwrap();
        let id = q.next_id();
        q.enqueue(
            &id,
            "",
            &["postmaster@example.org".into(), "x@example.org".into()],
            "test",
            MessageKind::Bounce,
            &[b'a'; 1500],
        )
        .await
        .unwrap();
        let mut entries = snapshot(dir.path()).unwrap();
        entries[0].envelope.recipients[1].reason = Some("connection refused".into());
        let text = render(&entries);
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("-Queue ID- "), "{text}");
        assert!(lines[1].starts_with(id.as_str()), "{text}");
        assert!(lines[1].contains(" 1500 "), "{text}");
        assert!(lines[1].ends_with("  MAILER-DAEMON"), "{text}");
        assert_eq!(lines[2].trim(), "postmaster@example.org");
        assert_eq!(lines[3], "(connection refused)");
        assert_eq!(lines[4].trim(), "x@example.org");
        // Recipients line up under the sender.
        let column = lines[1].find("MAILER-DAEMON").unwrap();
        assert_eq!(lines[2].find("postmaster").unwrap(), column);
        assert_eq!(lines.last(), Some(&"-- 2 Kbytes in 1 Request."));
        q.close();
    }
}
