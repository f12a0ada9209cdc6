//! The answer to SEARCH once the matches are known: `SEARCH` (IMAP4rev1),
//! `ESEARCH` (RFC 4731, and always for IMAP4rev2, RFC 9051 section
//! 6.4.4), and the result saved for `$` (SEARCHRES, RFC 5182).

use std::num::NonZeroU32;

use super::{Backend, Connection};
use crate::types::SequenceSet;
use crate::types::{Data, ESearchItem, SearchReturnOption as R, Tag};

impl<B: Backend> Connection<'_, B> {
    /// Sends the responses for `found` (UIDs with `uid`, else sequence
    /// numbers, ascending) and saves the `$` result if asked.
    pub(crate) fn search_results(
        &mut self,
        tag: &Tag,
        uid: bool,
        returns: Option<&[R]>,
        found: &[u32],
        modseq: Option<u64>,
    ) {
        let opts = returns.unwrap_or_default();
        if opts.contains(&R::Save) {
            self.save_result(uid, opts, found);
        }
        let rev2 = self.session.rev2_enabled();
        let Some(opts) = returns.or(rev2.then_some(&[][..])) else {
            // IMAP4rev1 without RETURN: the SEARCH response.
            let numbers = found.iter().filter_map(|&n| NonZeroU32::new(n)).collect();
            self.session.respond(Data::Search { numbers, modseq });
            return;
        };
        // SAVE alone suppresses the response (RFC 5182 section 2).
        if !opts.is_empty() && opts.iter().all(|o| *o == R::Save) {
            return;
        }
        // RETURN () means ALL (RFC 4731 section 3.1).
        let all = opts.iter().all(|o| *o == R::Save) || opts.contains(&R::All);
        let mut items = Vec::new();
        if opts.contains(&R::Min)
            && let Some(n) = found.first().and_then(|&n| NonZeroU32::new(n))
        {
            items.push(ESearchItem::Min(n));
        }
        if opts.contains(&R::Max)
            && let Some(n) = found.last().and_then(|&n| NonZeroU32::new(n))
        {
            items.push(ESearchItem::Max(n));
        }
        if all && let Some(set) = SequenceSet::from_numbers(found) {
            items.push(ESearchItem::All(set));
        }
        if opts.contains(&R::Count) {
            items.push(ESearchItem::Count(
                u32::try_from(found.len()).unwrap_or(u32::MAX),
            ));
        }
        // RFC 7162 section 3.1.10 (nothing when nothing was found).
        if let Some(m) = modseq
            && !found.is_empty()
        {
            items.push(ESearchItem::ModSeq(m));
        }
        self.session.respond(Data::ESearch {
            tag: Some(tag.as_str().as_bytes().to_vec()),
            uid,
            items,
        });
    }

    /// Saves what `$` stands for: with MIN and/or MAX alone only those
    /// messages, otherwise all found (RFC 5182 section 2.4).
    fn save_result(&mut self, uid: bool, opts: &[R], found: &[u32]) {
        let others = opts.iter().any(|o| matches!(o, R::All | R::Count));
        let (min, max) = (opts.contains(&R::Min), opts.contains(&R::Max));
        let chosen: Vec<u32> = if !others && (min || max) {
            let mut v = Vec::new();
            if min && let Some(&n) = found.first() {
                v.push(n);
            }
            if max && let Some(&n) = found.last() {
                v.push(n);
            }
            v
        } else {
            found.to_vec()
        };
        let Some(view) = self.session.view_mut() else {
            return;
        };
        let uids = if uid {
            chosen
        } else {
            chosen
                .iter()
                .filter_map(|&seq| (seq as usize).checked_sub(1).and_then(|i| view.uid(i)))
                .collect()
        };
        view.save_result(uids);
    }

    /// A SEARCH with SAVE that failed leaves `$` empty (RFC 5182 section
    /// 2.1).
    pub(crate) fn clear_saved_result(&mut self) {
        if let Some(view) = self.session.view_mut() {
            view.save_result(Vec::new());
        }
    }
}
