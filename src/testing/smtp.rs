//! The SMTP side: smtp-proto's driver with a handler that takes mail for
//! any domain, keeps the envelope, plays the scripted faults, and delivers
//! into the recipients' Maildirs (fsynced before the 250).

use std::sync::Arc;

use bytes::Bytes;
use smtp_proto::server::{self, HeloKind};
use smtp_proto::tokio::{Handler, Options};
use smtp_proto::{
    Credentials, ForwardPath, Host, MailParameters, Mechanism, RcptParameters, Reply, ReversePath,
};

use super::Shared;
use super::access::user_key;
use super::fault::{SmtpAction, SmtpCommand};
use super::message::{Envelope, ReceivedMessage};
use super::stream::Conn;
use super::transcript::{ConnectionId, FaultEvent};

/// Serves one SMTP connection.
pub(crate) async fn serve<S>(io: S, shared: Arc<Shared>, conn: Arc<Conn>, id: ConnectionId)
where
    S: smtp_proto::tokio::Io + 'static,
{
    let mut config = server::Config::new(&shared.hostname);
    config.auth_mechanisms = vec![Mechanism::Plain, Mechanism::Login];
    // Test traffic stays on loopback: AUTH needs no TLS here.
    config.auth_without_tls = true;
    let mut handler = TestHandler {
        shared,
        conn,
        id,
        reverse_path: None,
        recipients: Vec::new(),
    };
    let _ = smtp_proto::tokio::serve(io, config, &mut handler, Options::default()).await;
}

struct TestHandler {
    shared: Arc<Shared>,
    conn: Arc<Conn>,
    id: ConnectionId,
    reverse_path: Option<ReversePath>,
    /// Accepted forward-paths with their user keys.
    recipients: Vec<(ForwardPath, String)>,
}

fn reply(code: u16, enhanced: (u8, u16, u16), text: &str) -> Reply {
    // The arguments are constants of this file: valid.
    Reply::new(code, Some(enhanced), text)
        .or_else(|_| Reply::new(451, None, "Local error"))
        .unwrap_or_else(|_| unreachable!("a constant reply is valid"))
}

/// The user a forward-path is for.
fn recipient_key(forward_path: &ForwardPath) -> String {
    match forward_path {
        ForwardPath::Postmaster => "postmaster".to_owned(),
        ForwardPath::Mailbox(m) => user_key(&m.to_string()),
    }
}

impl TestHandler {
    /// Plays the first scripted fault that matches.
    async fn script(&self, command: SmtpCommand, recipient: Option<&str>) -> Result<(), Reply> {
        let action = self.shared.smtp_fault(command, recipient);
        match action {
            None => Ok(()),
            Some(SmtpAction::Reply(r)) => Err(r),
            Some(SmtpAction::Delay(d)) => {
                self.conn.record(|r| r.fault(FaultEvent::Delayed(d)));
                tokio::time::sleep(d).await;
                Ok(())
            }
            Some(SmtpAction::Stall) => {
                self.conn.record(|r| r.fault(FaultEvent::Stalled));
                std::future::pending().await
            }
            Some(SmtpAction::Disconnect) => {
                self.conn.kill();
                // Never sent: the stream refuses writes once killed.
                Err(reply(421, (4, 4, 2), "Connection closed"))
            }
        }
    }

    async fn deliver(&mut self, message: Bytes) -> Result<(), Reply> {
        let Some(reverse_path) = self.reverse_path.take() else {
            return Err(reply(503, (5, 5, 1), "No transaction"));
        };
        let recipients = std::mem::take(&mut self.recipients);
        let mut users: Vec<String> = Vec::new();
        for (_, key) in &recipients {
            if !users.contains(key) {
                users.push(key.clone());
            }
        }
        let accounts = self.shared.accounts.clone();
        let (to, data) = (users.clone(), message.clone());
        // Store::deliver fsyncs the file and new/ before it returns, so
        // the 250 below follows a durable write.
        let delivered = tokio::task::spawn_blocking(move || -> maildir::Result<()> {
            for key in &to {
                accounts.store(key)?.deliver("INBOX", &data)?;
            }
            Ok(())
        })
        .await;
        if !matches!(delivered, Ok(Ok(()))) {
            return Err(reply(451, (4, 3, 0), "Local error in delivery"));
        }
        if self.shared.accounts.create_on_delivery {
            for key in &users {
                self.shared.accounts.add_if_absent(key);
            }
        }
        let envelope = Envelope {
            reverse_path,
            forward_paths: recipients.into_iter().map(|(f, _)| f).collect(),
            connection: self.id,
        };
        self.shared
            .received(ReceivedMessage::new(envelope, message, users));
        Ok(())
    }
}

#[async_trait::async_trait]
impl Handler for TestHandler {
    async fn connect(&mut self) -> Result<(), Reply> {
        self.script(SmtpCommand::Connect, None).await
    }

    async fn helo(&mut self, _host: &Host, _kind: HeloKind) -> Result<(), Reply> {
        self.script(SmtpCommand::Ehlo, None).await
    }

    async fn mail(
        &mut self,
        reverse_path: &ReversePath,
        _parameters: &MailParameters,
    ) -> Result<(), Reply> {
        self.script(SmtpCommand::Mail, None).await?;
        self.reverse_path = Some(reverse_path.clone());
        self.recipients.clear();
        Ok(())
    }

    async fn rcpt(
        &mut self,
        forward_path: &ForwardPath,
        _parameters: &RcptParameters,
    ) -> Result<(), Reply> {
        let key = recipient_key(forward_path);
        self.script(SmtpCommand::Rcpt, Some(&key)).await?;
        let accounts = &self.shared.accounts;
        let known = accounts.exists(&key);
        if !super::access::usable_name(&key) || !(known || accounts.create_on_delivery) {
            // RFC 3463: X.1.1 bad destination mailbox address.
            return Err(reply(
                550,
                (5, 1, 1),
                "Recipient address rejected: User unknown",
            ));
        }
        self.recipients.push((forward_path.clone(), key));
        Ok(())
    }

    async fn data_start(&mut self) -> Result<smtp_proto::tokio::DataMode, Reply> {
        self.script(SmtpCommand::Data, None).await?;
        Ok(smtp_proto::tokio::DataMode::Whole)
    }

    async fn data_end(&mut self, message: Option<Bytes>) -> Result<(), Reply> {
        if let Err(r) = self.script(SmtpCommand::DataEnd, None).await {
            self.reverse_path = None;
            self.recipients.clear();
            return Err(r);
        }
        self.deliver(message.unwrap_or_default()).await
    }

    async fn reset(&mut self) {
        self.reverse_path = None;
        self.recipients.clear();
    }

    async fn vrfy(&mut self, _argument: &str) -> Option<Reply> {
        self.script(SmtpCommand::Vrfy, None).await.err()
    }

    async fn expn(&mut self, _argument: &str) -> Option<Reply> {
        self.script(SmtpCommand::Expn, None).await.err()
    }

    async fn auth(&mut self, credentials: &Credentials) -> Result<(), Reply> {
        self.script(SmtpCommand::Auth, None).await?;
        // No proxy authorization: an authzid must name the same user.
        if let Some(z) = &credentials.authzid
            && !z.is_empty()
            && !z.eq_ignore_ascii_case(&credentials.authcid)
        {
            return Err(reply(535, (5, 7, 8), "Authentication credentials invalid"));
        }
        let ok = self.shared.accounts.check(
            &credentials.authcid,
            credentials.password.expose().as_bytes(),
        );
        match ok {
            Some(_) => Ok(()),
            None => Err(reply(535, (5, 7, 8), "Authentication credentials invalid")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_replies_are_valid() {
        for (code, e) in [
            (503, (5, 5, 1)),
            (451, (4, 3, 0)),
            (421, (4, 4, 2)),
            (550, (5, 1, 1)),
            (535, (5, 7, 8)),
        ] {
            assert!(Reply::new(code, Some(e), "text").is_ok(), "{code}");
        }
        assert_eq!(reply(550, (5, 1, 1), "x").code().get(), 550);
    }

    #[test]
    fn postmaster_and_case() {
        assert_eq!(recipient_key(&ForwardPath::Postmaster), "postmaster");
        let m = smtp_proto::Mailbox::parse("Alice@LocalHost").unwrap();
        assert_eq!(recipient_key(&ForwardPath::Mailbox(m)), "alice@localhost");
    }
}
