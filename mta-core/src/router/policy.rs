//! The RCPT TO decision: smtpd_relay_restrictions, then
//! smtpd_recipient_restrictions, then the implicit unlisted-recipient check
//! (Postfix SMTPD_ACCESS_README; compatibility_level 3.6 order).

use std::net::IpAddr;

use super::Router;
use super::address::{Mailbox, ReversePath};
use super::resolve::{Class, Walk};
use super::route::{EnhancedStatus, Reply};
use super::users::LocalUsers;
use crate::config::Restriction;
use crate::maps::{
    AccessAction, TableRef, address_keys, client_keys, split_extension, virtual_lookup,
};

/// What the restrictions know about one RCPT TO.
#[derive(Debug, Clone, Copy)]
pub struct RcptContext<'a> {
    /// The client's address.
    pub client_addr: IpAddr,
    /// The client's verified host name, when known.
    pub client_name: Option<&'a str>,
    /// Whether the client authenticated with SASL (RFC 4954).
    pub sasl_authenticated: bool,
    /// The transaction's reverse-path (MAIL FROM).
    pub reverse_path: &'a ReversePath,
    /// The forward-path being checked (RCPT TO).
    pub forward_path: &'a Mailbox,
}

/// The answer to a RCPT TO.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Accept the recipient (250).
    Accept,
    /// Refuse it with this reply (4xx or 5xx).
    Refuse(Reply),
}

enum Outcome {
    Permit,
    Dunno,
    Refuse(Reply),
}

fn reply(code: u16, class: u8, subject: u16, detail: u16, text: String) -> Reply {
    Reply::new(code, EnhancedStatus::new(class, subject, detail), text)
}

/// Which check_*_access a lookup is for: names the object in replies.
#[derive(Clone, Copy)]
enum Subject {
    Client,
    Sender,
    Recipient,
}

impl<U: LocalUsers> Router<U> {
    /// Decides a RCPT TO. smtpd_relay_restrictions are evaluated first, then
    /// smtpd_recipient_restrictions (each list: the first restriction that
    /// permits or refuses ends that list; an exhausted list permits), then,
    /// when smtpd_reject_unlisted_recipient is set (the default), unknown
    /// recipients in our domains are refused with 550 5.1.1.
    ///
    /// There is no open relay by default: the default
    /// smtpd_relay_restrictions end in defer_unauth_destination, and a
    /// configuration without any restriction that can refuse relaying is
    /// rejected when it is loaded.
    #[must_use]
    pub fn check_recipient(&self, ctx: &RcptContext<'_>) -> Decision {
        let c = &self.config;
        self.check_recipient_with(
            ctx,
            &c.smtpd_relay_restrictions,
            &c.smtpd_recipient_restrictions,
        )
    }

    /// [`Router::check_recipient`] with other restriction lists in place of
    /// smtpd_relay_restrictions and smtpd_recipient_restrictions, as a
    /// master.cf service overrides them with `-o` (the submission service:
    /// `smtpd_relay_restrictions=permit_sasl_authenticated,reject`).
    #[must_use]
    pub fn check_recipient_with(
        &self,
        ctx: &RcptContext<'_>,
        relay: &[Restriction],
        recipient: &[Restriction],
    ) -> Decision {
        let c = &self.config;
        for list in [relay, recipient] {
            if let Outcome::Refuse(r) = self.evaluate(list, ctx) {
                return Decision::Refuse(r);
            }
        }
        if c.smtpd_reject_unlisted_recipient
            && let Some(r) = self.unlisted(ctx.forward_path)
        {
            return Decision::Refuse(r);
        }
        Decision::Accept
    }

    /// True when the recipient's domain is one this server accepts mail for
    /// from anyone: a local, virtual alias or virtual mailbox domain, or a
    /// relay_domains domain whose local part has no sender-specified
    /// routing (`@`, `%`, `!`), as permit_auth_destination defines it.
    #[must_use]
    pub fn authorized_destination(&self, rcpt: &Mailbox) -> bool {
        let walk = Walk::new(&self.config, &self.tables, &self.users, self.policy);
        match walk.class(rcpt.domain()) {
            Class::Local | Class::VirtualAlias | Class::VirtualMailbox => true,
            Class::Relay => !rcpt.local_part().contains(['@', '%', '!']),
            Class::Default => false,
        }
    }

    /// Whether the client address is in mynetworks.
    #[must_use]
    pub fn in_mynetworks(&self, addr: IpAddr) -> bool {
        self.config
            .mynetworks
            .matches(addr, &|t: &TableRef, k: &str| self.tables.keyed_has(t, k))
    }

    fn evaluate(&self, list: &[Restriction], ctx: &RcptContext<'_>) -> Outcome {
        for r in list {
            match self.restriction(r, ctx, true) {
                Outcome::Dunno => {}
                decided => return decided,
            }
        }
        Outcome::Dunno
    }

    fn restriction(&self, r: &Restriction, ctx: &RcptContext<'_>, nested_ok: bool) -> Outcome {
        let c = &self.config;
        let rcpt = ctx.forward_path;
        match r {
            Restriction::PermitMynetworks => {
                if self.in_mynetworks(ctx.client_addr) {
                    Outcome::Permit
                } else {
                    Outcome::Dunno
                }
            }
            Restriction::PermitSaslAuthenticated => {
                if ctx.sasl_authenticated {
                    Outcome::Permit
                } else {
                    Outcome::Dunno
                }
            }
            Restriction::RejectUnauthDestination | Restriction::DeferUnauthDestination => {
                if self.authorized_destination(rcpt) {
                    Outcome::Dunno
                } else if matches!(r, Restriction::RejectUnauthDestination) {
                    Outcome::Refuse(reply(
                        c.codes.relay_reject,
                        5,
                        7,
                        1,
                        format!("<{rcpt}>: Relay access denied"),
                    ))
                } else {
                    // Postfix answers defer_unauth_destination with the 4xx
                    // twin of relay_domains_reject_code: "454 4.7.1 <...>:
                    // Relay access denied" by default.
                    let code = if c.codes.relay_reject >= 500 {
                        c.codes.relay_reject - 100
                    } else {
                        c.codes.relay_reject
                    };
                    Outcome::Refuse(reply(
                        code,
                        4,
                        7,
                        1,
                        format!("<{rcpt}>: Relay access denied"),
                    ))
                }
            }
            Restriction::PermitAuthDestination => {
                if self.authorized_destination(rcpt) {
                    Outcome::Permit
                } else {
                    Outcome::Dunno
                }
            }
            Restriction::CheckClientAccess(t) => {
                let keys = client_keys(
                    ctx.client_name,
                    ctx.client_addr,
                    c.parent_matches("smtpd_access_maps"),
                );
                let what = format!(
                    "<{}[{}]>",
                    ctx.client_name.unwrap_or("unknown"),
                    crate::maps::canonical(ctx.client_addr)
                );
                self.access(t, &keys, ctx, Subject::Client, &what, nested_ok)
            }
            Restriction::CheckSenderAccess(t) => {
                let address = match ctx.reverse_path {
                    ReversePath::Null => None,
                    ReversePath::Mailbox(m) => Some(m),
                };
                let lower = address.map(|m| m.local_part().to_lowercase());
                let keys = address_keys(
                    address.zip(lower.as_deref()).map(|(m, l)| (l, m.domain())),
                    &c.recipient_delimiter,
                    c.parent_matches("smtpd_access_maps"),
                    &c.smtpd_null_access_lookup_key,
                );
                let what = ctx.reverse_path.to_string();
                self.access(t, &keys, ctx, Subject::Sender, &what, nested_ok)
            }
            Restriction::CheckRecipientAccess(t) => {
                let lower = rcpt.local_part().to_lowercase();
                let keys = address_keys(
                    Some((&lower, rcpt.domain())),
                    &c.recipient_delimiter,
                    c.parent_matches("smtpd_access_maps"),
                    &c.smtpd_null_access_lookup_key,
                );
                let what = format!("<{rcpt}>");
                self.access(t, &keys, ctx, Subject::Recipient, &what, nested_ok)
            }
            Restriction::RejectUnlistedRecipient => match self.unlisted(rcpt) {
                Some(r) => Outcome::Refuse(r),
                None => Outcome::Dunno,
            },
            Restriction::Permit => Outcome::Permit,
            Restriction::Reject => Outcome::Refuse(reply(
                c.codes.reject,
                5,
                7,
                1,
                format!("<{rcpt}>: Recipient address rejected: Access denied"),
            )),
            Restriction::Defer => Outcome::Refuse(reply(
                c.codes.defer,
                4,
                7,
                1,
                format!("<{rcpt}>: Recipient address rejected: Try again later"),
            )),
        }
    }

    fn access(
        &self,
        table: &TableRef,
        keys: &[String],
        ctx: &RcptContext<'_>,
        subject: Subject,
        what: &str,
        nested_ok: bool,
    ) -> Outcome {
        let c = &self.config;
        let Some(t) = self.tables.access.get(table) else {
            return Outcome::Refuse(config_error(what));
        };
        // access(5): the first key found answers (DUNNO included).
        let Some(action) = keys.iter().find_map(|k| t.get(k)) else {
            return Outcome::Dunno;
        };
        let label = match subject {
            Subject::Client => "Client host rejected",
            Subject::Sender => "Sender address rejected",
            Subject::Recipient => "Recipient address rejected",
        };
        let text = |t: &Option<String>, default: &str| {
            format!("{what}: {label}: {}", t.as_deref().unwrap_or(default))
        };
        match action {
            AccessAction::Ok | AccessAction::Relay => Outcome::Permit,
            AccessAction::Dunno => Outcome::Dunno,
            AccessAction::Reject(t) => Outcome::Refuse(reply(
                c.codes.access_reject,
                5,
                7,
                1,
                text(t, "Access denied"),
            )),
            AccessAction::Defer(t) => Outcome::Refuse(reply(
                c.codes.access_defer,
                4,
                7,
                1,
                text(t, "Access denied"),
            )),
            AccessAction::Reply { code, text: body } => {
                let class = if *code >= 500 { 5 } else { 4 };
                let (status, body) = EnhancedStatus::parse_prefix(body)
                    .filter(|(s, _)| s.class == class)
                    .unwrap_or((EnhancedStatus::new(class, 7, 1), body.as_str()));
                Outcome::Refuse(Reply::new(
                    *code,
                    status,
                    format!("{what}: {label}: {body}"),
                ))
            }
            AccessAction::Restriction(r) if nested_ok => self.restriction(r, ctx, false),
            AccessAction::Restriction(_) | AccessAction::Unsupported(_) => {
                Outcome::Refuse(config_error(what))
            }
        }
    }

    /// reject_unlisted_recipient: `Some(reply)` when the recipient is in one
    /// of our domains and unknown there.
    fn unlisted(&self, rcpt: &Mailbox) -> Option<Reply> {
        let c = &self.config;
        let walk = Walk::new(&self.config, &self.tables, &self.users, self.policy);
        let class = walk.class(rcpt.domain());
        if matches!(class, Class::Relay | Class::Default) {
            return None;
        }
        let local = rcpt.local_part().to_lowercase();
        if !self.tables.virtual_alias.is_empty() {
            let local_domain =
                class == Class::Local || rcpt.domain() == c.myorigin.to_ascii_lowercase();
            if virtual_lookup(
                &self.tables.virtual_alias,
                &local,
                rcpt.domain(),
                &c.recipient_delimiter,
                local_domain,
                false,
            )
            .is_some()
            {
                return None;
            }
        }
        let unknown = |table: &str| {
            Some(reply(
                550,
                5,
                1,
                1,
                format!("<{rcpt}>: Recipient address rejected: User unknown in {table}"),
            ))
        };
        match class {
            Class::Local => {
                let (user, ext) = split_extension(&local, &c.recipient_delimiter);
                if self.tables.aliases.get(&local).is_some()
                    || (ext.is_some() && self.tables.aliases.get(user).is_some())
                {
                    return None;
                }
                match self.users.exists(user) {
                    Ok(true) => None,
                    Ok(false) => Some(reply(
                        c.codes.unknown_local,
                        5,
                        1,
                        1,
                        format!(
                            "<{rcpt}>: Recipient address rejected: User unknown in local recipient table"
                        ),
                    )),
                    Err(_) => Some(reply(
                        451,
                        4,
                        3,
                        0,
                        format!("<{rcpt}>: Temporary lookup failure"),
                    )),
                }
            }
            Class::VirtualAlias => unknown("virtual alias table"),
            Class::VirtualMailbox => match walk.virtual_mailbox_result(rcpt) {
                Some(_) => None,
                None => unknown("virtual mailbox table"),
            },
            Class::Relay | Class::Default => None,
        }
    }
}

/// Postfix answers a restriction it cannot apply with this (SMTPD_ACCESS_README).
fn config_error(what: &str) -> Reply {
    reply(451, 4, 3, 5, format!("{what}: Server configuration error"))
}
