//! QRESYNC (RFC 7162 section 3.2) in the driver: what a SELECT with the
//! QRESYNC parameter and a `UID FETCH ... (CHANGEDSINCE n VANISHED)`
//! report, worked out from the backend.

use super::exec::{Outcome, ok};
use super::{Backend, BackendResult, Connection, Mailboxes};
use crate::message::MailboxView;
use crate::server::{Resync, SelectInfo};
use crate::types::{Code, Data, SelectParameter, SequenceSet, StatusKind, runs};

/// At most this many numbers in each half of a SELECT's `seq-match-data`
/// (RFC 7162 section 3.2.5.2): clients send a sample; a longer one is
/// ignored, which only makes the VANISHED response longer.
const SEQ_MATCH_CAP: usize = 100_000;

/// The parts of the ascending, merged `ranges` above `floor` that hold no
/// UID of `view`: the UIDs a store that does not remember expunges that
/// far back reports as expunged (RFC 7162 section 3.2.6, the note on
/// `<minmodseq>`).
fn absent_ranges(view: &MailboxView, ranges: &[(u32, u32)], floor: u32) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    let mut i = 0usize;
    let range = |a: u64, b: u64| Some((u32::try_from(a).ok()?, u32::try_from(b).ok()?));
    for &(a, b) in ranges {
        // The first UID not yet accounted for; u64, so that it can pass
        // u32::MAX.
        let mut next = u64::from(a.max(floor.saturating_add(1)));
        let b = u64::from(b);
        if next > b || floor == u32::MAX {
            continue;
        }
        // Skip the UIDs below this range.
        while view.uid(i).is_some_and(|u| u64::from(u) < next) {
            i += 1;
        }
        while let Some(u) = view.uid(i).map(u64::from).filter(|&u| u <= b) {
            if u > next {
                out.extend(range(next, u - 1));
            }
            next = u + 1;
            i += 1;
        }
        if next <= b {
            out.extend(range(next, b));
        }
    }
    out
}

/// Whether `uid` is in the ascending, merged `ranges`.
fn in_ranges(ranges: &[(u32, u32)], uid: u32) -> bool {
    let i = ranges.partition_point(|&(_, b)| b < uid);
    ranges.get(i).is_some_and(|&(a, _)| a <= uid)
}

/// The UIDs in `ranges` above `floor` expunged since `since`, as
/// ascending ranges: from the store's memory of expunges, or, when it does
/// not go back that far, every UID the mailbox lacks.
async fn expunged_in<M: Mailboxes>(
    mb: &mut M,
    view: &MailboxView,
    ranges: &[(u32, u32)],
    floor: u32,
    since: u64,
) -> BackendResult<Vec<(u32, u32)>> {
    Ok(match mb.expunged_since(since).await? {
        Some(uids) => {
            let kept: Vec<u32> = uids
                .into_iter()
                .filter(|&u| u > floor && in_ranges(ranges, u) && view.index_of(u).is_none())
                .collect();
            runs(&kept)
        }
        None => absent_ranges(view, ranges, floor),
    })
}

/// The greatest UID up to which `seq-match-data` shows the client knows
/// every expunge (RFC 7162 section 3.2.5.2): the UID of the last pair,
/// before the first that does not match the mailbox, whose message
/// number has that UID now. 0 when none matches.
fn seq_match_floor(view: &MailboxView, seq_match: &(SequenceSet, SequenceSet)) -> u32 {
    let len = u32::try_from(view.len()).unwrap_or(u32::MAX);
    let (Some(seqs), Some(uids)) = (
        seq_match.0.numbers_in_order(len, SEQ_MATCH_CAP),
        seq_match.1.numbers_in_order(view.max_uid(), SEQ_MATCH_CAP),
    ) else {
        return 0;
    };
    if seqs.len() != uids.len() {
        return 0;
    }
    let mut floor = 0;
    for (seq, uid) in seqs.into_iter().zip(uids) {
        let here = (seq as usize).checked_sub(1).and_then(|i| view.uid(i));
        if here != Some(uid) {
            break;
        }
        floor = uid;
    }
    floor
}

impl<B: Backend> Connection<'_, B> {
    /// What a SELECT or EXAMINE with `parameters` reports beyond the usual
    /// responses (RFC 7162 section 3.2.5): nothing without the QRESYNC
    /// parameter, in a mailbox without mod-sequences (section 3.2.5.1) or
    /// when the client's UIDVALIDITY is not the mailbox's.
    pub(crate) async fn resync(
        &mut self,
        mb: &mut B::Mailboxes,
        info: &SelectInfo,
        parameters: &[SelectParameter],
    ) -> BackendResult<Resync> {
        let Some(SelectParameter::QResync {
            uid_validity,
            modseq,
            known_uids,
            seq_match,
        }) = parameters
            .iter()
            .find(|p| matches!(p, SelectParameter::QResync { .. }))
        else {
            return Ok(Resync::default());
        };
        // Nothing changed or went at a mod-sequence above the mailbox's
        // highest: the usual reconnection costs no look at the messages.
        if !self.session.qresync_enabled()
            || info.highest_modseq.is_none_or(|h| *modseq >= h)
            || uid_validity.get() != info.uid_validity
        {
            return Ok(Resync::default());
        }
        let view = MailboxView::from_list(info.messages.clone());
        let max_uid = info.uid_next.saturating_sub(1);
        // Without known UIDs, 1:<UIDNEXT - 1> (section 3.2.5.1).
        let known = match known_uids {
            Some(set) => set.ranges_up_to(max_uid),
            None if max_uid > 0 => vec![(1, max_uid)],
            None => Vec::new(),
        };
        let floor = seq_match.as_ref().map_or(0, |m| seq_match_floor(&view, m));
        let vanished = expunged_in(mb, &view, &known, floor, *modseq).await?;
        let candidates: Vec<u32> = (0..view.len())
            .filter_map(|i| view.uid(i))
            .filter(|&u| in_ranges(&known, u))
            .collect();
        let changed = if candidates.is_empty() {
            Vec::new()
        } else {
            mb.metadata(&candidates)
                .await?
                .into_iter()
                .filter(|m| m.modseq > *modseq)
                .map(|m| (m.uid, m.modseq))
                .collect()
        };
        Ok(Resync { vanished, changed })
    }

    /// The tagged response of an EXPUNGE, UID EXPUNGE or MOVE that
    /// removed `gone`: once the client enabled QRESYNC, with the mailbox's
    /// new HIGHESTMODSEQ when messages went (RFC 7162 sections 3.2.7 and
    /// 3.2.9, RFC 6851 section 4.4).
    pub(crate) async fn expunge_outcome(
        &mut self,
        mb: &mut B::Mailboxes,
        gone: &[u32],
        text: &str,
    ) -> Outcome {
        if gone.is_empty() || !self.session.qresync_enabled() {
            return ok(text);
        }
        match mb.highest_modseq().await {
            Ok(Some(h)) => {
                self.session.note_modseq(h);
                (
                    StatusKind::Ok,
                    Some(Code::HighestModSeq(h)),
                    text.to_owned(),
                )
            }
            // The messages are gone either way: only the code is missing.
            Ok(None) | Err(_) => ok(text),
        }
    }

    /// Sends the `VANISHED (EARLIER)` of a `UID FETCH set (CHANGEDSINCE
    /// since VANISHED)`, before its FETCH responses (RFC 7162 section
    /// 3.2.6): the UIDs of `set` expunged since `since`.
    pub(crate) async fn vanished_earlier(
        &mut self,
        mb: &mut B::Mailboxes,
        set: &SequenceSet,
        since: u64,
    ) -> BackendResult<()> {
        let Some(view) = self.session.view() else {
            return Ok(());
        };
        // `*` is the greatest UID in the mailbox; UIDs beyond the greatest
        // ever given cannot have been expunged.
        let largest = view.max_uid().max(self.uid_next.saturating_sub(1));
        let ranges = set.ranges_up_to(largest);
        let vanished = expunged_in(mb, view, &ranges, 0, since).await?;
        if let Some(uids) = SequenceSet::from_ranges(&vanished) {
            self.session.respond(Data::Vanished {
                earlier: true,
                uids,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::message::MessageState;

    fn view(uids: &[u32]) -> MailboxView {
        MailboxView::new(uids.iter().map(|&uid| MessageState {
            uid,
            flags: Default::default(),
            recent: false,
        }))
    }

    #[test]
    fn absent_ranges_are_the_gaps_above_the_floor() {
        let v = view(&[3, 5, 6, 10]);
        assert_eq!(
            absent_ranges(&v, &[(1, 12)], 0),
            vec![(1, 2), (4, 4), (7, 9), (11, 12)]
        );
        assert_eq!(absent_ranges(&v, &[(1, 12)], 5), vec![(7, 9), (11, 12)]);
        assert_eq!(
            absent_ranges(&v, &[(4, 4), (6, 8)], 0),
            vec![(4, 4), (7, 8)]
        );
        assert_eq!(absent_ranges(&v, &[(5, 6)], 0), vec![]);
        assert_eq!(absent_ranges(&view(&[]), &[(1, 3)], 0), vec![(1, 3)]);
        assert_eq!(
            absent_ranges(&view(&[u32::MAX]), &[(u32::MAX - 1, u32::MAX)], 0),
            vec![(u32::MAX - 1, u32::MAX - 1)]
        );
    }

    #[test]
    fn seq_match_stops_at_the_first_pair_that_does_not_match() {
        // RFC 7162 section 3.2.5.2: the 4th message has UID 8, the 5th does
        // not have UID 24.
        let v = view(&[2, 4, 6, 8, 25, 30]);
        let set = |n: &[u32]| SequenceSet::from_numbers(n).unwrap();
        assert_eq!(seq_match_floor(&v, &(set(&[4, 5]), set(&[8, 24]))), 8);
        assert_eq!(seq_match_floor(&v, &(set(&[1, 4]), set(&[2, 8]))), 8);
        assert_eq!(seq_match_floor(&v, &(set(&[1, 4]), set(&[3, 8]))), 0);
        // Halves of different lengths: ignored.
        assert_eq!(seq_match_floor(&v, &(set(&[1, 4]), set(&[2]))), 0);
        // A huge range is not expanded.
        let huge = SequenceSet::range(1, u32::MAX).unwrap();
        assert_eq!(seq_match_floor(&v, &(huge.clone(), huge)), 0);
    }

    #[test]
    fn in_ranges_finds_members() {
        let r = [(1, 3), (7, 7), (10, 20)];
        for (u, want) in [
            (0, false),
            (1, true),
            (3, true),
            (4, false),
            (7, true),
            (9, false),
            (20, true),
            (21, false),
        ] {
            assert_eq!(in_ranges(&r, u), want, "{u}");
        }
    }
}
