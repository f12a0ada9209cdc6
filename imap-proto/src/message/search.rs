//! SEARCH evaluation (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4).
//!
//! String keys match as case-insensitive substrings after decoding:
//! header values with their RFC 2047 encoded-words decoded, bodies with
//! their content-transfer-encoding and charset undone. Dates compare by
//! day: SINCE/ON/BEFORE on the INTERNALDATE (in UTC, the zone this
//! server writes it in), SENT* on the `Date:` field in its own zone
//! (falling back to the INTERNALDATE when it is missing or unreadable).

use crate::types::{Charset, Flag, SearchKey};

use super::Message;
use super::date::{date_of, day_number, parse_header_date};
use super::view::MailboxView;

/// Whether a SEARCH charset is supported (RFC 3501 section 6.4.4:
/// otherwise `NO [BADCHARSET (UTF-8 US-ASCII)]`).
pub fn charset_supported(charset: Option<&Charset>) -> bool {
    charset
        .is_none_or(|c| c.0.eq_ignore_ascii_case("UTF-8") || c.0.eq_ignore_ascii_case("US-ASCII"))
}

/// Whether any key is MODSEQ (RFC 7162 section 3.1.5): the SEARCH
/// response then ends with the highest mod-sequence of the messages
/// found (section 3.1.6).
pub fn has_modseq_key(keys: &[SearchKey]) -> bool {
    any_key(keys, &|k| matches!(k, SearchKey::ModSeq { .. }))
}

/// Whether any key, at any depth, is a message sequence set: a UID
/// SEARCH with one must not be answered with EXPUNGE or VANISHED
/// responses (RFC 7162 section 3.2.10.2), which would change what the
/// numbers mean.
pub fn has_sequence_key(keys: &[SearchKey]) -> bool {
    any_key(keys, &|k| matches!(k, SearchKey::SequenceSet(_)))
}

/// Whether `test` holds for any key, inside NOT, OR and parentheses too.
fn any_key(keys: &[SearchKey], test: &dyn Fn(&SearchKey) -> bool) -> bool {
    fn has(k: &SearchKey, test: &dyn Fn(&SearchKey) -> bool) -> bool {
        test(k)
            || match k {
                SearchKey::Not(k) => has(k, test),
                SearchKey::Or(a, b) => has(a, test) || has(b, test),
                SearchKey::And(v) => v.iter().any(|k| has(k, test)),
                _ => false,
            }
    }
    keys.iter().any(|k| has(k, test))
}

/// Whether any key needs the message's content (headers or body).
pub fn needs_message(keys: &[SearchKey]) -> bool {
    keys.iter().any(key_needs_message)
}

fn key_needs_message(k: &SearchKey) -> bool {
    use SearchKey::*;
    match k {
        Bcc(_) | Body(_) | Cc(_) | From(_) | Header(..) | Subject(_) | Text(_) | To(_)
        | SentBefore(_) | SentOn(_) | SentSince(_) => true,
        Not(k) => key_needs_message(k),
        Or(a, b) => key_needs_message(a) || key_needs_message(b),
        And(v) => v.iter().any(key_needs_message),
        _ => false,
    }
}

/// One message as SEARCH sees it.
#[derive(Debug, Clone, Copy)]
pub struct Candidate<'a> {
    /// Message sequence number.
    pub seq: u32,
    /// UID.
    pub uid: u32,
    /// Flags.
    pub flags: &'a [Flag],
    /// `\Recent` for this session.
    pub recent: bool,
    /// INTERNALDATE as Unix time.
    pub internal_date: i64,
    /// RFC822.SIZE.
    pub size: u64,
    /// The mod-sequence (RFC 7162 section 3.1; 0 when the mailbox keeps
    /// none).
    pub modseq: u64,
    /// The content, when a key needs it ([`needs_message`]).
    pub message: Option<&'a Message>,
}

/// What the keys are evaluated against besides the message.
#[derive(Debug, Clone, Copy)]
pub struct SearchContext<'a> {
    /// The session's view (for `*` in sequence sets).
    pub view: &'a MailboxView,
    /// The current Unix time (OLDER, YOUNGER).
    pub now: i64,
}

fn lower(s: &str) -> String {
    s.to_lowercase()
}

fn needle(b: &[u8]) -> String {
    lower(&String::from_utf8_lossy(b))
}

/// Whether all `keys` match the message.
pub fn matches_all(keys: &[SearchKey], c: &Candidate<'_>, cx: &SearchContext<'_>) -> bool {
    keys.iter().all(|k| matches(k, c, cx))
}

/// Whether one key matches the message.
pub fn matches(key: &SearchKey, c: &Candidate<'_>, cx: &SearchContext<'_>) -> bool {
    use SearchKey::*;
    let has = |f: &Flag| c.flags.contains(f);
    let header = |name: &str, value: &[u8]| {
        c.message
            .is_some_and(|m| m.header_contains(name, &needle(value)))
    };
    let internal_day = || date_of(c.internal_date).map(|d| day_number(&d));
    let sent_day = || {
        c.message
            .and_then(|m| m.header_value("Date"))
            .and_then(|v| parse_header_date(&v))
            .map(|d| day_number(&d))
            .or_else(internal_day)
    };
    match key {
        All => true,
        Answered => has(&Flag::Answered),
        Unanswered => !has(&Flag::Answered),
        Deleted => has(&Flag::Deleted),
        Undeleted => !has(&Flag::Deleted),
        Draft => has(&Flag::Draft),
        Undraft => !has(&Flag::Draft),
        Flagged => has(&Flag::Flagged),
        Unflagged => !has(&Flag::Flagged),
        Seen => has(&Flag::Seen),
        Unseen => !has(&Flag::Seen),
        Recent => c.recent,
        New => c.recent && !has(&Flag::Seen),
        Old => !c.recent,
        Keyword(k) => c
            .flags
            .iter()
            .any(|f| matches!(f, Flag::Keyword(a) if a.as_str().eq_ignore_ascii_case(k.as_str()))),
        Unkeyword(k) => !c
            .flags
            .iter()
            .any(|f| matches!(f, Flag::Keyword(a) if a.as_str().eq_ignore_ascii_case(k.as_str()))),
        Larger(n) => c.size > *n,
        Smaller(n) => c.size < *n,
        Before(d) => internal_day().is_some_and(|x| x < day_number(d)),
        On(d) => internal_day().is_some_and(|x| x == day_number(d)),
        Since(d) => internal_day().is_some_and(|x| x >= day_number(d)),
        SentBefore(d) => sent_day().is_some_and(|x| x < day_number(d)),
        SentOn(d) => sent_day().is_some_and(|x| x == day_number(d)),
        SentSince(d) => sent_day().is_some_and(|x| x >= day_number(d)),
        Older(s) => cx.now - c.internal_date > i64::from(*s),
        Younger(s) => cx.now - c.internal_date <= i64::from(*s),
        Bcc(v) => header("Bcc", v),
        Cc(v) => header("Cc", v),
        From(v) => header("From", v),
        To(v) => header("To", v),
        Subject(v) => header("Subject", v),
        Header(name, v) => header(&String::from_utf8_lossy(name), v),
        Body(v) => c
            .message
            .is_some_and(|m| m.body_text().contains(&needle(v))),
        Text(v) => c.message.is_some_and(|m| {
            let n = needle(v);
            m.header_text().contains(&n) || m.body_text().contains(&n)
        }),
        Uid(set) => cx.view.contains(set, c.uid, true),
        SequenceSet(set) => cx.view.contains(set, c.seq, false),
        Not(k) => !matches(k, c, cx),
        Or(a, b) => matches(a, c, cx) || matches(b, c, cx),
        And(keys) => keys.iter().all(|k| matches(k, c, cx)),
        // One mod-sequence per message: the entry name and type are
        // ignored (RFC 7162 section 3.1.5).
        ModSeq { modseq, .. } => c.modseq != 0 && c.modseq >= *modseq,
    }
}
