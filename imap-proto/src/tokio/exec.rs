//! Command execution: one [`Command`] in, backend calls, responses out.

use std::collections::{BTreeMap, HashSet};
use std::io;
use std::num::NonZeroU32;

use ::tokio::io::{AsyncRead, AsyncWrite};

use super::{Backend, BackendError, Connection, Mailboxes, now, owner_error};
use crate::message::unix_of;
use crate::server::{ListPattern, State};
use crate::types::{
    Code, Command, CommandBody, Data, Flag, ListData, ListMailbox, ListReturnOption,
    ListSelectOption, Mailbox, MailboxAttribute, NamespaceDescription, SequenceSet, StatusItem,
    StatusKind, StatusValue, StoreKind, Vec1, uid_set_of,
};

pub(crate) type Outcome = (StatusKind, Option<Code>, String);

/// A STORE command's arguments.
struct StoreRequest<'a> {
    set: &'a SequenceSet,
    uid: bool,
    kind: StoreKind,
    silent: bool,
    flags: &'a [Flag],
    unchanged_since: Option<u64>,
}

pub(crate) fn ok(text: &str) -> Outcome {
    (StatusKind::Ok, None, text.to_owned())
}

pub(crate) fn no(e: &BackendError, trycreate: bool) -> Outcome {
    let (code, text) = e.response(trycreate);
    (StatusKind::No, code, text)
}

/// A mailbox name as the store knows it: in Unicode Normalization Form C,
/// as Net-Unicode asks (RFC 9051 section 5.1), so that a name sent
/// denormalized (a decomposed "é") names the same mailbox in every
/// command.
pub(super) fn name(m: &Mailbox) -> String {
    let s = m.as_str();
    if s.is_ascii() || unicode_normalization::is_nfc(s) {
        return s.to_owned();
    }
    use unicode_normalization::UnicodeNormalization;
    s.nfc().collect()
}

impl<B: Backend> Connection<'_, B> {
    pub(crate) async fn execute<S>(&mut self, c: Command, stream: &mut S) -> io::Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let Some(mut mb) = self.mailboxes.take() else {
            // The session hands over commands only once authenticated.
            self.session
                .complete(now(), StatusKind::No, Some(Code::ServerBug), "No backend")
                .map_err(owner_error)?;
            return Ok(());
        };
        let r = self.run(&mut mb, c, stream).await;
        self.mailboxes = Some(mb);
        r
    }

    async fn run<S>(&mut self, mb: &mut B::Mailboxes, c: Command, stream: &mut S) -> io::Result<()>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        use CommandBody as C;
        let read_only = matches!(self.session.state(), State::Selected { read_only: true });
        let cmd_name = c.body.name();
        let outcome: Outcome = match c.body {
            C::Select {
                mailbox,
                parameters,
            }
            | C::Examine {
                mailbox,
                parameters,
            } => {
                let ro = matches!(cmd_name, "EXAMINE");
                let _ = mb.unselect(false).await;
                let mut r = mb
                    .select(&name(&mailbox), ro)
                    .await
                    .map_err(|e| e.response(false));
                let mut resync = crate::server::Resync::default();
                if let Ok(info) = &r {
                    self.uid_next = info.uid_next;
                    match self.resync(mb, info, &parameters).await {
                        Ok(found) => resync = found,
                        Err(e) => {
                            let _ = mb.unselect(false).await;
                            r = Err(e.response(false));
                        }
                    }
                }
                if r.is_ok() && self.session.rev2_enabled() {
                    // RFC 9051 section 6.3.2: a LIST response with the
                    // mailbox's attributes.
                    self.list_selected(mb, &mailbox).await;
                }
                self.session
                    .select_resync(now(), r, resync)
                    .map_err(owner_error)?;
                return Ok(());
            }
            C::Create {
                mailbox,
                special_use,
            } => {
                let full = name(&mailbox);
                let n = full.trim_end_matches(self.options.delimiter);
                if mailbox == Mailbox::Inbox {
                    (
                        StatusKind::No,
                        Some(Code::AlreadyExists),
                        "INBOX exists".into(),
                    )
                } else {
                    match mb.create(n, special_use.as_deref().unwrap_or(&[])).await {
                        Ok(()) => {
                            if full != mailbox.as_str() {
                                self.old_name(n, &mailbox);
                            }
                            ok("CREATE completed")
                        }
                        Err(e) => no(&e, false),
                    }
                }
            }
            C::Delete { mailbox } => match mb.delete(&name(&mailbox)).await {
                Ok(()) => ok("DELETE completed"),
                Err(e) => no(&e, false),
            },
            C::Rename { from, to } => {
                let (old_name, new_name) = (name(&from), name(&to));
                match mb.rename(&old_name, &new_name).await {
                    Ok(()) => {
                        if old_name != from.as_str() || new_name != to.as_str() {
                            self.old_name(&new_name, &from);
                        }
                        ok("RENAME completed")
                    }
                    Err(e) => no(&e, false),
                }
            }
            C::Subscribe { mailbox } => match mb.subscribe(&name(&mailbox), true).await {
                Ok(()) => ok("SUBSCRIBE completed"),
                Err(e) => no(&e, false),
            },
            C::Unsubscribe { mailbox } => match mb.subscribe(&name(&mailbox), false).await {
                Ok(()) => ok("UNSUBSCRIBE completed"),
                Err(e) => no(&e, false),
            },
            C::Namespace => {
                let personal = Vec1::one(NamespaceDescription {
                    prefix: Vec::new(),
                    delimiter: Some(self.options.delimiter),
                    extensions: Vec::new(),
                });
                self.session.respond(Data::Namespace {
                    personal: Some(personal),
                    other: None,
                    shared: None,
                });
                ok("NAMESPACE completed")
            }
            C::Status { mailbox, items } => match self.status(mb, &mailbox, &items).await {
                Ok(()) => ok("STATUS completed"),
                Err(e) => no(&e, false),
            },
            C::List {
                selection,
                reference,
                patterns,
                return_options,
            } => {
                let sel = selection.unwrap_or_default();
                let ret = return_options.unwrap_or_default();
                match self
                    .list(mb, &reference, &patterns, &sel, &ret, false)
                    .await
                {
                    Ok(()) => ok("LIST completed"),
                    Err(e) => no(&e, false),
                }
            }
            C::Lsub { reference, pattern } => {
                let pats = Vec1::one(pattern);
                match self.list(mb, &reference, &pats, &[], &[], true).await {
                    Ok(()) => ok("LSUB completed"),
                    Err(e) => no(&e, false),
                }
            }
            C::Append { mailbox, messages } => {
                let n = name(&mailbox);
                let mut uids = Vec::new();
                let mut validity = 0;
                let mut failed = None;
                for m in messages.iter() {
                    let date = m.date.as_ref().map(unix_of);
                    let flags = m.flags.clone().unwrap_or_default();
                    match mb.append(&n, &flags, date, m.message.data.clone()).await {
                        Ok((v, uid)) => {
                            validity = v;
                            uids.push(uid);
                        }
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match (failed, NonZeroU32::new(validity), uid_set_of(&uids)) {
                    (Some(e), ..) => no(&e, true),
                    (None, Some(uid_validity), Some(uids)) => (
                        StatusKind::Ok,
                        Some(Code::AppendUid { uid_validity, uids }),
                        "APPEND completed".into(),
                    ),
                    _ => ok("APPEND completed"),
                }
            }
            C::Noop | C::Check => ok(if matches!(cmd_name, "CHECK") {
                "CHECK completed"
            } else {
                "NOOP completed"
            }),
            C::Close | C::Unselect => {
                let expunge = matches!(cmd_name, "CLOSE") && !read_only;
                let r = mb.unselect(expunge).await;
                let (kind, code, text) = match r {
                    Ok(()) => ok("Mailbox closed"),
                    Err(e) => no(&e, false),
                };
                self.session
                    .complete(now(), kind, code, &text)
                    .map_err(owner_error)?;
                return Ok(());
            }
            C::Expunge => match mb.expunge(None).await {
                Ok(gone) => {
                    self.expunged(&gone);
                    self.expunge_outcome(mb, &gone, "EXPUNGE completed").await
                }
                Err(e) => no(&e, false),
            },
            C::UidExpunge { uids } => {
                let targets = self.uids_of(&uids, true);
                match mb.expunge(Some(&targets)).await {
                    Ok(gone) => {
                        self.expunged(&gone);
                        self.expunge_outcome(mb, &gone, "UID EXPUNGE completed")
                            .await
                    }
                    Err(e) => no(&e, false),
                }
            }
            C::Fetch {
                uid,
                sequence_set,
                items,
                modifiers,
            } => {
                let attrs = items.expand();
                let changed_since = modifiers.iter().find_map(|m| match m {
                    crate::types::FetchModifier::ChangedSince(n) => Some(*n),
                    crate::types::FetchModifier::Vanished => None,
                });
                // The session let VANISHED through only for a UID FETCH with
                // CHANGEDSINCE after ENABLE QRESYNC (RFC 7162 section 3.2.6).
                let vanished = match changed_since {
                    Some(since) if modifiers.contains(&crate::types::FetchModifier::Vanished) => {
                        self.vanished_earlier(mb, &sequence_set, since).await
                    }
                    _ => Ok(()),
                };
                match vanished {
                    Err(e) => no(&e, false),
                    Ok(()) => {
                        let request = super::fetch::Request {
                            set: &sequence_set,
                            uid,
                            attrs,
                            changed_since,
                            read_only,
                        };
                        self.fetch(mb, request, stream).await?
                    }
                }
            }
            C::Store {
                uid,
                sequence_set,
                kind,
                silent,
                flags,
                unchanged_since,
            } => {
                let request = StoreRequest {
                    set: &sequence_set,
                    uid,
                    kind,
                    silent,
                    flags: &flags,
                    unchanged_since,
                };
                self.store(mb, request).await
            }
            C::Copy {
                uid,
                sequence_set,
                mailbox,
            } => self.copy(mb, &sequence_set, uid, &mailbox, false).await,
            C::Move {
                uid,
                sequence_set,
                mailbox,
            } => self.copy(mb, &sequence_set, uid, &mailbox, true).await,
            C::Search {
                uid,
                return_options,
                criteria,
                ..
            } => {
                let returns = return_options.as_deref();
                let outcome = self.search(mb, &c.tag, uid, returns, &criteria).await;
                if outcome.0 != StatusKind::Ok
                    && returns.is_some_and(|r| r.contains(&crate::types::SearchReturnOption::Save))
                {
                    self.clear_saved_result();
                }
                outcome
            }
            _ => (StatusKind::Bad, None, "Command not supported".into()),
        };
        self.note_changes(mb).await;
        let (kind, code, text) = outcome;
        self.session
            .complete(now(), kind, code, &text)
            .map_err(owner_error)
    }

    /// What others did meanwhile, recorded in the view to go out before
    /// the tagged response.
    pub(crate) async fn note_changes(&mut self, mb: &mut B::Mailboxes) {
        if self.session.view().is_some()
            && let Ok(changes) = mb.changes().await
        {
            self.record_changes(changes);
        }
    }

    /// Records changes in the view; true if UIDVALIDITY changed.
    pub(crate) fn record_changes(&mut self, changes: Vec<super::Change>) -> bool {
        let mut lost = false;
        for ch in changes {
            if let super::Change::Flags(_, _, m) = &ch {
                self.session.note_modseq(*m);
            }
            let Some(view) = self.session.view_mut() else {
                break;
            };
            match ch {
                super::Change::Added(m) => view.store_added(m),
                super::Change::Expunged(u) => view.store_expunged(u),
                super::Change::Flags(u, f, m) => {
                    view.store_flags(u, f);
                    view.store_modseq(u, m);
                }
                super::Change::UidValidity => lost = true,
            }
        }
        lost
    }

    pub(crate) fn uids_of(&self, set: &SequenceSet, uid: bool) -> Vec<u32> {
        let Some(view) = self.session.view() else {
            return Vec::new();
        };
        view.resolve(set, uid)
            .unwrap_or_default()
            .into_iter()
            .filter(|&i| !view.is_expunged(i))
            .filter_map(|i| view.uid(i))
            .collect()
    }

    fn expunged(&mut self, uids: &[u32]) {
        if let Some(view) = self.session.view_mut() {
            for &u in uids {
                view.store_expunged(u);
            }
        }
    }

    async fn status(
        &mut self,
        mb: &mut B::Mailboxes,
        mailbox: &Mailbox,
        items: &[StatusItem],
    ) -> Result<(), BackendError> {
        let st = mb.status(&name(mailbox)).await?;
        let items = items
            .iter()
            .map(|&item| {
                let value = match item {
                    StatusItem::Messages => u64::from(st.messages),
                    StatusItem::Recent => u64::from(st.recent),
                    StatusItem::UidNext => u64::from(st.uid_next),
                    StatusItem::UidValidity => u64::from(st.uid_validity),
                    StatusItem::Unseen => u64::from(st.unseen),
                    StatusItem::Deleted => u64::from(st.deleted),
                    StatusItem::Size => st.size,
                    StatusItem::HighestModSeq => st.highest_modseq,
                };
                StatusValue { item, value }
            })
            .collect();
        self.session.respond(Data::Status {
            mailbox: mailbox.clone(),
            items,
        });
        Ok(())
    }

    #[allow(clippy::too_many_arguments)]
    async fn list(
        &mut self,
        mb: &mut B::Mailboxes,
        reference: &Mailbox,
        patterns: &[ListMailbox],
        selection: &[ListSelectOption],
        returns: &[ListReturnOption],
        lsub: bool,
    ) -> Result<(), BackendError> {
        let delim = self.options.delimiter;
        let reference = match reference {
            Mailbox::Other(s) => s.as_str(),
            Mailbox::Inbox => "INBOX",
        };
        // LIST "" "": the delimiter and root (RFC 3501 section 6.3.8).
        if patterns.len() == 1 && patterns.first().is_some_and(|p| p.as_str().is_empty()) && !lsub {
            self.session.respond(Data::List(ListData {
                attributes: vec![MailboxAttribute::NoSelect],
                delimiter: Some(delim),
                mailbox: Mailbox::Other(String::new()),
                extended: Vec::new(),
            }));
            return Ok(());
        }
        let all = mb.list().await?;
        let subs: HashSet<String> = mb.subscriptions().await?.into_iter().collect();
        let subscribed_only = lsub || selection.contains(&ListSelectOption::Subscribed);
        let special_only = selection.contains(&ListSelectOption::SpecialUse);
        let recursive = selection.contains(&ListSelectOption::RecursiveMatch);
        let show_subscribed = subscribed_only || returns.contains(&ListReturnOption::Subscribed);
        let status_items = returns.iter().find_map(|r| match r {
            ListReturnOption::Status(items) => Some(items.to_vec()),
            _ => None,
        });
        // Every name, with parents that exist only as part of a path.
        let mut names: BTreeMap<String, Vec<MailboxAttribute>> = BTreeMap::new();
        for m in &all {
            names.insert(m.name.clone(), m.attributes.clone());
        }
        for m in &all {
            let mut prefix = String::new();
            for (i, part) in m.name.split(delim).enumerate() {
                if i > 0 {
                    prefix.push(delim);
                }
                prefix.push_str(part);
                if prefix.len() < m.name.len() {
                    names.entry(prefix.clone()).or_insert_with(|| {
                        vec![MailboxAttribute::NoSelect, MailboxAttribute::NonExistent]
                    });
                }
            }
        }
        if subscribed_only {
            for s in &subs {
                names.entry(s.clone()).or_insert_with(|| {
                    vec![MailboxAttribute::NoSelect, MailboxAttribute::NonExistent]
                });
            }
        }
        let pats: Vec<ListPattern> = patterns
            .iter()
            .map(|p| ListPattern::new(reference, p.as_str(), delim))
            .collect();
        let keys: Vec<String> = names.keys().cloned().collect();
        for n in &keys {
            let Some(attrs) = names.get(n) else { continue };
            let matched = pats.iter().any(|p| p.matches(n));
            let child_prefix = format!("{n}{delim}");
            let children: Vec<&String> = keys
                .iter()
                .filter(|k| k.starts_with(&child_prefix))
                .collect();
            let subscribed = subs.contains(n)
                || (n == "INBOX" && subs.iter().any(|s| s.eq_ignore_ascii_case("INBOX")));
            let nonexistent = attrs.contains(&MailboxAttribute::NonExistent);
            let mut child_info = false;
            if !matched {
                continue;
            }
            if subscribed_only && !subscribed {
                if recursive && children.iter().any(|c| subs.contains(*c)) {
                    child_info = true;
                } else if lsub && children.iter().any(|c| subs.contains(*c)) {
                    // LSUB: a parent of a subscribed mailbox matched by %
                    // is listed \Noselect (RFC 3501 section 6.3.9).
                } else {
                    continue;
                }
                if lsub && !child_info && !children.iter().any(|c| subs.contains(*c)) {
                    continue;
                }
            }
            let is_special = attrs.iter().any(|a| {
                matches!(
                    a,
                    MailboxAttribute::Sent
                        | MailboxAttribute::Trash
                        | MailboxAttribute::Drafts
                        | MailboxAttribute::Junk
                        | MailboxAttribute::Archive
                        | MailboxAttribute::All
                        | MailboxAttribute::Flagged
                )
            });
            if special_only && !is_special {
                continue;
            }
            let mut out: Vec<MailboxAttribute> = Vec::new();
            if lsub {
                if nonexistent || (subscribed_only && !subscribed) {
                    out.push(MailboxAttribute::NoSelect);
                }
            } else {
                if nonexistent {
                    // RFC 5258: \NonExistent implies \Noselect; basic
                    // LIST writes \Noselect for IMAP4rev1, IMAP4rev2
                    // \NonExistent (RFC 9051 section 6.3.9.5).
                    let rev2 = self.session.rev2_enabled();
                    if selection.is_empty() && returns.is_empty() && !rev2 {
                        out.push(MailboxAttribute::NoSelect);
                    } else {
                        out.push(MailboxAttribute::NonExistent);
                    }
                }
                out.extend(
                    attrs
                        .iter()
                        .filter(|a| {
                            !matches!(
                                a,
                                MailboxAttribute::NonExistent | MailboxAttribute::NoSelect
                            )
                        })
                        .cloned(),
                );
                out.push(if children.is_empty() {
                    MailboxAttribute::HasNoChildren
                } else {
                    MailboxAttribute::HasChildren
                });
                if show_subscribed && subscribed {
                    out.push(MailboxAttribute::Subscribed);
                }
            }
            let mailbox = Mailbox::new(n.clone()).unwrap_or(Mailbox::Inbox);
            let extended = if child_info {
                vec![crate::types::ListExtendedItem::ChildInfo(Vec1::one(
                    b"SUBSCRIBED".to_vec(),
                ))]
            } else {
                Vec::new()
            };
            let data = ListData {
                attributes: out,
                delimiter: Some(delim),
                mailbox: mailbox.clone(),
                extended,
            };
            self.session.respond(if lsub {
                Data::Lsub(data)
            } else {
                Data::List(data)
            });
            if let Some(items) = &status_items
                && !nonexistent
            {
                // LIST-STATUS (RFC 5819): a failure for one mailbox is
                // left out, the LIST goes on.
                let _ = self.status(mb, &mailbox, items).await;
            }
        }
        Ok(())
    }

    /// The LIST response for the mailbox just selected: its special-use
    /// attributes and whether it has children.
    async fn list_selected(&mut self, mb: &mut B::Mailboxes, mailbox: &Mailbox) {
        let Ok(all) = mb.list().await else {
            return;
        };
        let delim = self.options.delimiter;
        let wanted = name(mailbox);
        let same = |n: &str| {
            n == wanted || (n.eq_ignore_ascii_case("INBOX") && wanted.eq_ignore_ascii_case("INBOX"))
        };
        let Some(entry) = all.iter().find(|m| same(&m.name)) else {
            return;
        };
        let prefix = format!("{}{delim}", entry.name);
        let mut attributes = entry.attributes.clone();
        attributes.push(if all.iter().any(|m| m.name.starts_with(&prefix)) {
            MailboxAttribute::HasChildren
        } else {
            MailboxAttribute::HasNoChildren
        });
        // A name given denormalized: the stored one, with the given one as
        // OLDNAME (RFC 9051 section 6.3.2).
        let (listed, extended) = match Mailbox::new(wanted.as_str()) {
            Ok(stored) if wanted != mailbox.as_str() => (
                stored,
                vec![crate::types::ListExtendedItem::OldName(mailbox.clone())],
            ),
            _ => (mailbox.clone(), Vec::new()),
        };
        self.session.respond(Data::List(ListData {
            attributes,
            delimiter: Some(delim),
            mailbox: listed,
            extended,
        }));
    }

    async fn store(&mut self, mb: &mut B::Mailboxes, r: StoreRequest<'_>) -> Outcome {
        use crate::types::MessageDataItem as Item;
        let uids = self.uids_of(r.set, r.uid);
        if uids.is_empty() {
            return ok("STORE completed");
        }
        let result = match mb.store(&uids, r.kind, r.flags, r.unchanged_since).await {
            Ok(r) => r,
            Err(e) => return no(&e, false),
        };
        let condstore = self.session.condstore_enabled();
        for (u, new_flags, modseq) in result.messages {
            self.session.note_modseq(modseq);
            let Some(view) = self.session.view_mut() else {
                break;
            };
            let Some(index) = view.index_of(u) else {
                continue;
            };
            let recent = view.is_recent(index);
            view.set_flags(index, new_flags.clone());
            // With CONDSTORE the new MODSEQ goes out even for .SILENT (RFC
            // 7162 section 3.1.3, example 14).
            let with_modseq = condstore && modseq != 0;
            if r.silent && !with_modseq {
                continue;
            }
            let mut items = Vec::new();
            if !r.silent {
                items.push(Item::Flags(crate::message::flag_fetch(&new_flags, recent)));
            }
            // A CONDSTORE-aware client gets the UID as well (RFC 7162
            // section 3.2.4).
            if (r.uid || with_modseq)
                && let Some(u) = NonZeroU32::new(u)
            {
                items.push(Item::Uid(u));
            }
            if with_modseq {
                items.push(Item::ModSeq(modseq));
            }
            self.session.fetch_response(index, items);
        }
        if result.modified.is_empty() {
            return ok("STORE completed");
        }
        // MODIFIED: UIDs for UID STORE, else sequence numbers (RFC 7162
        // section 3.1.3).
        let mut numbers: Vec<u32> = if r.uid {
            result.modified
        } else {
            let Some(view) = self.session.view() else {
                return ok("STORE completed");
            };
            result
                .modified
                .iter()
                .filter_map(|&u| view.index_of(u))
                .filter_map(|i| u32::try_from(i + 1).ok())
                .collect()
        };
        numbers.sort_unstable();
        numbers.dedup();
        match SequenceSet::from_numbers(&numbers) {
            Some(set) => (
                StatusKind::Ok,
                Some(Code::Modified(set)),
                "Conditional STORE failed".into(),
            ),
            None => ok("STORE completed"),
        }
    }

    /// After a CREATE or RENAME whose names were normalized: a LIST of
    /// the name stored with the name the client gave as OLDNAME (RFC 9051
    /// sections 6.3.4 and 6.3.9.7), so that it can tell the two are one.
    fn old_name(&mut self, stored: &str, given: &Mailbox) {
        let Ok(mailbox) = Mailbox::new(stored) else {
            return;
        };
        self.session.respond(Data::List(ListData {
            attributes: Vec::new(),
            delimiter: Some(self.options.delimiter),
            mailbox,
            extended: vec![crate::types::ListExtendedItem::OldName(given.clone())],
        }));
    }

    async fn copy(
        &mut self,
        mb: &mut B::Mailboxes,
        set: &SequenceSet,
        uid: bool,
        dest: &Mailbox,
        remove: bool,
    ) -> Outcome {
        let uids = self.uids_of(set, uid);
        if uids.is_empty() {
            return ok(if remove {
                "MOVE completed"
            } else {
                "COPY completed"
            });
        }
        match mb.copy(&uids, &name(dest), remove).await {
            Err(e) => no(&e, true),
            Ok(info) => {
                let src: Vec<u32> = info.uids.iter().map(|p| p.0).collect();
                let dst: Vec<u32> = info.uids.iter().map(|p| p.1).collect();
                let code = match (
                    NonZeroU32::new(info.uid_validity),
                    uid_set_of(&src),
                    uid_set_of(&dst),
                ) {
                    (Some(uid_validity), Some(source), Some(destination)) => Some(Code::CopyUid {
                        uid_validity,
                        source,
                        destination,
                    }),
                    _ => None,
                };
                if remove {
                    // RFC 6851 section 4.3: COPYUID in an untagged OK
                    // before the EXPUNGE responses.
                    self.session.respond_status(code, "Moved UIDs");
                    self.expunged(&src);
                    // With the new HIGHESTMODSEQ (RFC 6851 section 4.4), as
                    // for EXPUNGE.
                    self.expunge_outcome(mb, &src, "MOVE completed").await
                } else {
                    (StatusKind::Ok, code, "COPY completed".into())
                }
            }
        }
    }
}
