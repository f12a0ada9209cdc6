//! FETCH and SEARCH execution: message data from the backend, items and
//! matches computed by [`crate::message`].

use std::io;

use ::tokio::io::{AsyncRead, AsyncWrite};

use super::exec::{Outcome, no, ok};
use super::{Backend, BackendError, Connection, Mailboxes, MessageMeta, flush};
use crate::message::{
    Candidate, FetchError, FetchInput, Message, SearchContext, fetch_items, fetch_needs_message,
    has_modseq_key, matches_all, needs_message, sets_seen,
};
use crate::types::{
    Code, FetchAttribute, Flag, SearchReturnOption, SequenceSet, StatusKind, StoreKind,
};

/// Flush to the socket after this many octets of FETCH responses, so a
/// FETCH of many bodies is not held whole.
const FLUSH_AT: usize = 256 * 1024;

/// Messages read from the backend in one call, at most.
const BATCH: usize = 64;

/// About this many octets of messages per call: big messages come a few
/// at a time, so that the buffers of one batch are reused by the next
/// rather than freshly mapped each time (a batch of 64 messages of 50 KB
/// made every FETCH BODY[] page-fault its whole output in).
const BATCH_OCTETS: usize = 256 * 1024;

/// The first batch, before the size of the messages is known.
const FIRST_BATCH: usize = 4;

/// The size of the next batch, from what the last one held.
fn next_batch(got: &[Option<bytes::Bytes>]) -> usize {
    let octets: usize = got.iter().flatten().map(bytes::Bytes::len).sum();
    (BATCH_OCTETS.saturating_mul(got.len()) / octets.max(1)).clamp(1, BATCH)
}

/// A FETCH command's arguments.
pub(crate) struct Request<'a> {
    pub set: &'a SequenceSet,
    pub uid: bool,
    /// The attributes, macros expanded.
    pub attrs: Vec<FetchAttribute>,
    /// The CHANGEDSINCE modifier (RFC 7162 section 3.1.4.1).
    pub changed_since: Option<u64>,
    pub read_only: bool,
}

impl<B: Backend> Connection<'_, B> {
    pub(crate) async fn metas(
        &mut self,
        mb: &mut B::Mailboxes,
        uids: &[u32],
    ) -> Result<Vec<MessageMeta>, BackendError> {
        mb.metadata(uids).await
    }

    pub(crate) async fn fetch<S>(
        &mut self,
        mb: &mut B::Mailboxes,
        request: Request<'_>,
        stream: &mut S,
    ) -> io::Result<Outcome>
    where
        S: AsyncRead + AsyncWrite + Unpin + Send,
    {
        let Request {
            set,
            uid,
            mut attrs,
            changed_since,
            read_only,
        } = request;
        let mut uids = self.uids_of(set, uid);
        // CHANGEDSINCE implies MODSEQ (RFC 7162 section 3.1.4.1); once the
        // client is CONDSTORE-aware, FLAGS go out with the MODSEQ (section
        // 3.1).
        let condstore = self.session.condstore_enabled();
        if (changed_since.is_some() || (condstore && attrs.contains(&FetchAttribute::Flags)))
            && !attrs.contains(&FetchAttribute::ModSeq)
        {
            attrs.push(FetchAttribute::ModSeq);
        }
        let need_meta = attrs.iter().any(|a| {
            matches!(
                a,
                FetchAttribute::InternalDate | FetchAttribute::Rfc822Size | FetchAttribute::ModSeq
            )
        });
        let metas = if need_meta {
            match self.metas(mb, &uids).await {
                Ok(m) => m,
                Err(e) => return Ok(no(&e, false)),
            }
        } else {
            Vec::new()
        };
        if let Some(since) = changed_since {
            // Only messages changed since (section 3.1.4.1); `metas` is
            // ascending by UID, as `uids` is.
            uids.retain(|u| {
                metas
                    .binary_search_by_key(u, |m| m.uid)
                    .ok()
                    .and_then(|i| metas.get(i))
                    .is_some_and(|m| m.modseq > since)
            });
        }
        // The metadata of the n-th UID is usually the n-th (none of the
        // messages went away); otherwise it is searched for.
        let meta_of = |n: usize, u: u32| {
            metas.get(n).filter(|m| m.uid == u).or_else(|| {
                metas
                    .binary_search_by_key(&u, |m| m.uid)
                    .ok()
                    .and_then(|i| metas.get(i))
            })
        };
        // \Seen set by a non-PEEK body fetch (RFC 3501 section 6.4.5).
        let mut seen_modseqs: Vec<(u32, u64)> = Vec::new();
        if sets_seen(&attrs) && !read_only {
            let unseen: Vec<u32> = uids
                .iter()
                .copied()
                .filter(|&u| {
                    self.session
                        .view()
                        .and_then(|v| v.index_of(u).and_then(|i| v.flags(i)))
                        .is_some_and(|f| !f.contains(&Flag::Seen))
                })
                .collect();
            if !unseen.is_empty() {
                if let Ok(changed) = mb.store(&unseen, StoreKind::Add, &[Flag::Seen], None).await {
                    for (u, f, m) in changed.messages {
                        self.session.note_modseq(m);
                        seen_modseqs.push((u, m));
                        if let Some(view) = self.session.view_mut()
                            && let Some(i) = view.index_of(u)
                        {
                            view.set_flags(i, f);
                        }
                    }
                }
                if !attrs.contains(&FetchAttribute::Flags) {
                    attrs.push(FetchAttribute::Flags);
                }
                if condstore && !attrs.contains(&FetchAttribute::ModSeq) {
                    attrs.push(FetchAttribute::ModSeq);
                }
                // With the UID as well (RFC 7162 section 3.2.4).
                if condstore && !attrs.contains(&FetchAttribute::Uid) {
                    attrs.push(FetchAttribute::Uid);
                }
            }
        }
        let need_message = fetch_needs_message(&attrs);
        let mut written = 0usize;
        let mut cte_error = false;
        let mut batch: std::collections::VecDeque<Option<bytes::Bytes>> = Default::default();
        let mut batch_len = FIRST_BATCH;
        for (n, &u) in uids.iter().enumerate() {
            if need_message && batch.is_empty() {
                let next = uids
                    .get(n..(n + batch_len).min(uids.len()))
                    .unwrap_or_default();
                match mb.read_many(next).await {
                    Ok(v) => {
                        batch_len = next_batch(&v);
                        batch.extend(v);
                    }
                    Err(e) => return Ok(no(&e, false)),
                }
            }
            let body = if need_message {
                batch.pop_front().flatten()
            } else {
                None
            };
            let Some(view) = self.session.view() else {
                break;
            };
            let Some(index) = view.index_of(u) else {
                continue;
            };
            // A shared clone, not a copy of the list.
            let flags = view.flag_set(index).cloned().unwrap_or_default();
            let recent = view.is_recent(index);
            let message = match (need_message, body) {
                (true, Some(b)) => Some(Message::new(b)),
                // Expunged meanwhile: left out (RFC 2180 section 4.1).
                (true, None) => continue,
                (false, _) => None,
            };
            let meta = meta_of(n, u);
            // The mod-sequence of a \Seen this FETCH set is newer than
            // the metadata read before.
            let modseq = seen_modseqs
                .iter()
                .find(|p| p.0 == u)
                .map(|p| p.1)
                .or(meta.map(|m| m.modseq))
                .unwrap_or(0);
            let input = FetchInput {
                uid: u,
                flags: &flags,
                recent,
                internal_date: meta.map_or(0, |m| m.internal_date),
                size: meta.map_or_else(
                    || message.as_ref().map_or(0, |m| m.bytes().len() as u64),
                    |m| m.size,
                ),
                modseq,
                message: message.as_ref(),
            };
            match fetch_items(&attrs, &input, uid) {
                Ok(items) => {
                    written += message.as_ref().map_or(64, |m| m.bytes().len());
                    self.session.fetch_response(index, items);
                }
                Err(FetchError::UnknownCte) => cte_error = true,
                Err(FetchError::MissingMessage) => continue,
            }
            if written >= FLUSH_AT {
                flush(&mut self.session, stream).await?;
                written = 0;
            }
        }
        Ok(if cte_error {
            (
                StatusKind::No,
                Some(Code::UnknownCte),
                "Unknown Content-Transfer-Encoding".into(),
            )
        } else {
            ok("FETCH completed")
        })
    }

    pub(crate) async fn search(
        &mut self,
        mb: &mut B::Mailboxes,
        tag: &crate::types::Tag,
        uid: bool,
        returns: Option<&[SearchReturnOption]>,
        keys: &[crate::types::SearchKey],
    ) -> Outcome {
        let Some(view) = self.session.view() else {
            return ok("SEARCH completed");
        };
        let all: Vec<u32> = (0..view.len()).filter_map(|i| view.uid(i)).collect();
        let metas = match self.metas(mb, &all).await {
            Ok(m) => m,
            Err(e) => return no(&e, false),
        };
        let need_message = needs_message(keys);
        let now_unix = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut found: Vec<u32> = Vec::new();
        let mut highest = 0u64;
        let mut batch: std::collections::VecDeque<Option<bytes::Bytes>> = Default::default();
        let mut batch_len = FIRST_BATCH;
        for (index, &u) in all.iter().enumerate() {
            if need_message && batch.is_empty() {
                let next = all
                    .get(index..(index + batch_len).min(all.len()))
                    .unwrap_or_default();
                match mb.read_many(next).await {
                    Ok(v) => {
                        batch_len = next_batch(&v);
                        batch.extend(v);
                    }
                    Err(e) => return no(&e, false),
                }
            }
            let body = if need_message {
                batch.pop_front().flatten()
            } else {
                None
            };
            let Some(view) = self.session.view() else {
                break;
            };
            if view.is_expunged(index) {
                continue;
            }
            let message = match (need_message, body) {
                (true, Some(b)) => Some(Message::new(b)),
                (true, None) => continue,
                (false, _) => None,
            };
            let Some(view) = self.session.view() else {
                break;
            };
            let meta = metas
                .binary_search_by_key(&u, |m| m.uid)
                .ok()
                .and_then(|i| metas.get(i));
            let flags = view.flags(index).unwrap_or_default();
            let seq = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let cand = Candidate {
                seq,
                uid: u,
                flags,
                recent: view.is_recent(index),
                internal_date: meta.map_or(0, |m| m.internal_date),
                size: meta.map_or(0, |m| m.size),
                modseq: meta.map_or(0, |m| m.modseq),
                message: message.as_ref(),
            };
            let cx = SearchContext {
                view,
                now: now_unix,
            };
            if matches_all(keys, &cand, &cx) {
                found.push(if uid { u } else { seq });
                highest = highest.max(cand.modseq);
            }
        }
        // With a MODSEQ key, the highest mod-sequence of the messages
        // found (RFC 7162 section 3.1.6).
        let modseq = (has_modseq_key(keys) && highest != 0).then_some(highest);
        self.search_results(tag, uid, returns, &found, modseq);
        ok("SEARCH completed")
    }
}
