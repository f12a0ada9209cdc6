//! CONDSTORE and QRESYNC (RFC 7162 sections 3.1 and 3.2) in the session:
//! which commands make the client CONDSTORE-aware, `HIGHESTMODSEQ` or
//! `NOMODSEQ` at SELECT, the commands refused in a mailbox without
//! mod-sequences or before `ENABLE QRESYNC`, and what a SELECT with the
//! QRESYNC parameter reports.

use super::{Resync, Session, State, status};
use crate::message::{flag_fetch, has_modseq_key};
use crate::types::{
    Code, CommandBody, Data, FetchAttribute, FetchModifier, MessageDataItem, SelectParameter,
    SequenceSet, StatusItem, StatusKind, Tag,
};

impl Session {
    /// Whether the client issued a CONDSTORE enabling command (RFC 7162
    /// section 3.1): every FETCH response about flags then carries the
    /// MODSEQ, those of STORE `.SILENT` included.
    pub fn condstore_enabled(&self) -> bool {
        self.condstore
    }

    /// Whether the client issued `ENABLE QRESYNC` (RFC 7162 section
    /// 3.2.3): expunges then go out as `VANISHED`, and SELECT's QRESYNC
    /// parameter and UID FETCH's VANISHED modifier are accepted.
    pub fn qresync_enabled(&self) -> bool {
        self.qresync
    }

    /// What a QRESYNC SELECT reports after its usual responses (section
    /// 3.2.5.1): `VANISHED (EARLIER)` first, then the flag changes, each
    /// with its UID and MODSEQ.
    pub(super) fn send_resync(&mut self, resync: Resync) {
        if let Some(uids) = SequenceSet::from_ranges(&resync.vanished) {
            self.respond(Data::Vanished {
                earlier: true,
                uids,
            });
        }
        let recent_shown = !self.rev2;
        for (uid, modseq) in resync.changed {
            let Some(view) = self.view.as_ref() else {
                return;
            };
            let (Some(index), Some(u)) = (view.index_of(uid), std::num::NonZeroU32::new(uid))
            else {
                continue;
            };
            let flags = flag_fetch(
                view.flags(index).unwrap_or_default(),
                recent_shown && view.is_recent(index),
            );
            self.fetch_response(
                index,
                vec![
                    MessageDataItem::Uid(u),
                    MessageDataItem::Flags(flags),
                    MessageDataItem::ModSeq(modseq),
                ],
            );
        }
    }

    /// The owner learned a mod-sequence of the selected mailbox (from a
    /// STORE, or a change by someone else): the HIGHESTMODSEQ a later first
    /// enabling command reports is at least this.
    pub fn note_modseq(&mut self, modseq: u64) {
        if let Some(h) = self.highest_modseq.as_mut() {
            *h = (*h).max(modseq);
        }
    }

    /// The client becomes CONDSTORE-aware. The first enabling command
    /// with a mailbox selected reports its HIGHESTMODSEQ (section 3.1).
    pub(super) fn enable_condstore(&mut self) {
        if self.condstore {
            return;
        }
        self.condstore = true;
        if self.view.is_some()
            && let Some(h) = self.highest_modseq
        {
            self.send(&status(
                None,
                StatusKind::Ok,
                Some(Code::HighestModSeq(h)),
                "Highest",
            ));
        }
    }

    /// What SELECT found about mod-sequences: with CONDSTORE enabled,
    /// `OK [HIGHESTMODSEQ n]` or `OK [NOMODSEQ]` (section 3.1.2).
    pub(super) fn select_modseq(&mut self, highest: Option<u64>) {
        self.highest_modseq = highest;
        if !self.condstore {
            return;
        }
        let (code, text) = match highest {
            Some(h) => (Code::HighestModSeq(h), "Highest"),
            None => (Code::NoModSeq, "No mod-sequences in this mailbox"),
        };
        self.send(&status(None, StatusKind::Ok, Some(code), text));
    }

    /// The CONDSTORE side of a command before it is handed over: enabling
    /// commands enable, and a command that needs mod-sequences in a
    /// mailbox without them is answered `BAD` (section 3.1.2.2). Returns
    /// false when the command was answered.
    pub(super) fn condstore_command(&mut self, tag: &Tag, body: &CommandBody) -> bool {
        if !self.config.condstore {
            return true;
        }
        let uses_modseq = match body {
            CommandBody::Select { parameters, .. } | CommandBody::Examine { parameters, .. } => {
                let qresync = parameters
                    .iter()
                    .any(|p| matches!(p, SelectParameter::QResync { .. }));
                if qresync && !self.qresync {
                    // Section 3.2.5: QRESYNC must be enabled first.
                    self.bad(tag, "QRESYNC is not enabled");
                    return false;
                }
                if qresync || parameters.contains(&SelectParameter::CondStore) {
                    // The SELECT reports HIGHESTMODSEQ itself.
                    self.condstore = true;
                }
                return true;
            }
            CommandBody::Status { items, .. } => {
                if items.contains(&StatusItem::HighestModSeq) {
                    self.enable_condstore();
                }
                return true;
            }
            CommandBody::Fetch {
                items,
                modifiers,
                uid,
                ..
            } => {
                let changed_since = modifiers
                    .iter()
                    .any(|m| matches!(m, FetchModifier::ChangedSince(_)));
                if modifiers.contains(&FetchModifier::Vanished) {
                    // Section 3.2.6.
                    let refusal = if !self.qresync {
                        Some("VANISHED needs ENABLE QRESYNC")
                    } else if !uid {
                        Some("VANISHED is for UID FETCH only")
                    } else if !changed_since {
                        Some("VANISHED needs CHANGEDSINCE")
                    } else {
                        None
                    };
                    if let Some(text) = refusal {
                        self.bad(tag, text);
                        return false;
                    }
                }
                changed_since || items.expand().contains(&FetchAttribute::ModSeq)
            }
            CommandBody::Search { criteria, .. } => has_modseq_key(criteria),
            CommandBody::Store {
                unchanged_since, ..
            } => unchanged_since.is_some(),
            _ => false,
        };
        if !uses_modseq || !matches!(self.state, State::Selected { .. }) {
            return true;
        }
        if self.highest_modseq.is_none() {
            self.bad(tag, "This mailbox keeps no mod-sequences (NOMODSEQ)");
            return false;
        }
        self.enable_condstore();
        true
    }
}
