//! SEARCH keys (RFC 3501 section 6.4.4, RFC 9051 section 6.4.4, RFC 7162
//! section 3.1.5), SORT and THREAD arguments (RFC 5256).
//!
//! `NOT`, `OR` and parentheses recurse; the depth is counted and bounded
//! by `Limits::nesting_depth`, so no input can exhaust the stack.

use crate::types::{
    Atom, Charset, EntryType, SearchKey, SearchReturnOption, SortCriterion, SortKey,
    ThreadAlgorithm, Vec1, is_atom_char,
};

use super::core::{
    Cx, PResult, astring, atom, byte, date, fail, kw, number, number64, paren_list, paren_list1,
    quoted, sequence_set, sp, take_while1,
};

/// `charset = atom / quoted`.
pub(crate) fn charset(i: &[u8]) -> PResult<'_, Charset> {
    let (i, b) = match i.first() {
        Some(b'"') => quoted(i)?,
        _ => {
            let (i, a) = atom(i)?;
            (i, a.to_vec())
        }
    };
    Ok((i, Charset(String::from_utf8_lossy(&b).into_owned())))
}

/// `1*(SP search-key)` after the first key: keys separated by SP up to
/// the end of what the caller expects.
pub(crate) fn search_keys<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec1<SearchKey>> {
    let (mut i, first) = search_key(cx, 1, i)?;
    let mut out = vec![first];
    while let [b' ', rest @ ..] = i {
        let (r, k) = search_key(cx, 1, rest)?;
        out.push(k);
        cx.check_items(r, out.len())?;
        i = r;
    }
    Ok((i, Vec1::from_nonempty(out)))
}

/// `search-program = ["CHARSET" SP charset SP] search-key *(SP search-key)`.
pub(crate) fn search_program<'a>(
    cx: &Cx<'_>,
    i: &'a [u8],
) -> PResult<'a, (Option<Charset>, Vec1<SearchKey>)> {
    let (i, cs) = match kw("CHARSET ")(i) {
        Ok((i, _)) => {
            let (i, c) = charset(i)?;
            let (i, _) = sp(i)?;
            (i, Some(c))
        }
        Err(_) => (i, None),
    };
    let (i, keys) = search_keys(cx, i)?;
    Ok((i, (cs, keys)))
}

/// `search-return-opts = "RETURN" SP "(" [opt *(SP opt)] ")"` (after `SP`).
pub(crate) fn search_return_opts<'a>(
    cx: &Cx<'_>,
    i: &'a [u8],
) -> PResult<'a, Vec<SearchReturnOption>> {
    let (i, _) = kw("RETURN ")(i)?;
    paren_list(cx, i, |i| {
        let (r, a) = atom(i)?;
        let o = match_upper(
            a,
            &[
                ("MIN", SearchReturnOption::Min),
                ("MAX", SearchReturnOption::Max),
                ("ALL", SearchReturnOption::All),
                ("COUNT", SearchReturnOption::Count),
                ("SAVE", SearchReturnOption::Save),
            ],
        );
        match o {
            Some(o) => Ok((r, o)),
            None => fail(),
        }
    })
}

pub(crate) fn match_upper<T: Clone>(a: &[u8], table: &[(&str, T)]) -> Option<T> {
    table
        .iter()
        .find(|(n, _)| a.eq_ignore_ascii_case(n.as_bytes()))
        .map(|(_, v)| v.clone())
}

fn key_word(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(i, |b| b.is_ascii_alphanumeric() || b == b'-')
}

/// One `search-key`.
pub(crate) fn search_key<'a>(cx: &Cx<'_>, depth: usize, i: &'a [u8]) -> PResult<'a, SearchKey> {
    cx.check_depth(depth)?;
    match i.first() {
        Some(b'(') => {
            let (i, _) = byte(b'(')(i)?;
            let (mut i, first) = search_key(cx, depth + 1, i)?;
            let mut out = vec![first];
            loop {
                match i.first() {
                    Some(b' ') => {
                        let (r, k) = search_key(cx, depth + 1, &i[1..])?;
                        out.push(k);
                        cx.check_items(r, out.len())?;
                        i = r;
                    }
                    Some(b')') => return Ok((&i[1..], SearchKey::And(Vec1::from_nonempty(out)))),
                    _ => return fail(),
                }
            }
        }
        Some(b'0'..=b'9') | Some(b'*') | Some(b'$') => {
            let (i, s) = sequence_set(cx, i)?;
            Ok((i, SearchKey::SequenceSet(s)))
        }
        _ => {
            let (i, w) = key_word(i)?;
            search_key_named(cx, depth, i, w)
        }
    }
}

fn search_key_named<'a>(
    cx: &Cx<'_>,
    depth: usize,
    i: &'a [u8],
    w: &[u8],
) -> PResult<'a, SearchKey> {
    use SearchKey as K;
    let mut ub = [0u8; 32];
    let up = super::core::upper(w, &mut ub);
    let upper = |s: &str| up == s.as_bytes();
    let simple = match up {
        b"ALL" => Some(K::All),
        b"ANSWERED" => Some(K::Answered),
        b"DELETED" => Some(K::Deleted),
        b"DRAFT" => Some(K::Draft),
        b"FLAGGED" => Some(K::Flagged),
        b"NEW" => Some(K::New),
        b"OLD" => Some(K::Old),
        b"RECENT" => Some(K::Recent),
        b"SEEN" => Some(K::Seen),
        b"UNANSWERED" => Some(K::Unanswered),
        b"UNDELETED" => Some(K::Undeleted),
        b"UNDRAFT" => Some(K::Undraft),
        b"UNFLAGGED" => Some(K::Unflagged),
        b"UNSEEN" => Some(K::Unseen),
        _ => None,
    };
    if let Some(k) = simple {
        return Ok((i, k));
    }
    let (i, _) = sp(i)?;
    let with_text: Option<fn(Vec<u8>) -> SearchKey> = match up {
        b"BCC" => Some(K::Bcc),
        b"BODY" => Some(K::Body),
        b"CC" => Some(K::Cc),
        b"FROM" => Some(K::From),
        b"SUBJECT" => Some(K::Subject),
        b"TEXT" => Some(K::Text),
        b"TO" => Some(K::To),
        _ => None,
    };
    if let Some(f) = with_text {
        let (i, s) = astring(i)?;
        return Ok((i, f(s)));
    }
    let with_date: Option<fn(crate::types::Date) -> SearchKey> = match up {
        b"BEFORE" => Some(K::Before),
        b"ON" => Some(K::On),
        b"SINCE" => Some(K::Since),
        b"SENTBEFORE" => Some(K::SentBefore),
        b"SENTON" => Some(K::SentOn),
        b"SENTSINCE" => Some(K::SentSince),
        _ => None,
    };
    if let Some(f) = with_date {
        let (i, d) = date(i)?;
        return Ok((i, f(d)));
    }
    if upper("HEADER") {
        let (i, name) = astring(i)?;
        let (i, _) = sp(i)?;
        let (i, value) = astring(i)?;
        return Ok((i, K::Header(name, value)));
    }
    if upper("KEYWORD") || upper("UNKEYWORD") {
        let (i, a) = take_while1(i, |b| is_atom_char(b) && b != b'\\')?;
        let a = Atom::from_valid(a);
        return Ok((
            i,
            if upper("KEYWORD") {
                K::Keyword(a)
            } else {
                K::Unkeyword(a)
            },
        ));
    }
    if upper("LARGER") {
        let (i, n) = number64(i)?;
        return Ok((i, K::Larger(n)));
    }
    if upper("SMALLER") {
        let (i, n) = number64(i)?;
        return Ok((i, K::Smaller(n)));
    }
    if upper("OLDER") {
        let (i, n) = number(i)?;
        return Ok((i, K::Older(n)));
    }
    if upper("YOUNGER") {
        let (i, n) = number(i)?;
        return Ok((i, K::Younger(n)));
    }
    if upper("UID") {
        let (i, s) = sequence_set(cx, i)?;
        return Ok((i, K::Uid(s)));
    }
    if upper("NOT") {
        let (i, k) = search_key(cx, depth + 1, i)?;
        return Ok((i, K::Not(Box::new(k))));
    }
    if upper("OR") {
        let (i, a) = search_key(cx, depth + 1, i)?;
        let (i, _) = sp(i)?;
        let (i, b) = search_key(cx, depth + 1, i)?;
        return Ok((i, K::Or(Box::new(a), Box::new(b))));
    }
    if upper("MODSEQ") {
        // MODSEQ [SP entry-name SP entry-type-req] SP mod-sequence-valzer
        if let Some(b'"') = i.first() {
            let (i, name) = quoted(i)?;
            let (i, _) = sp(i)?;
            let (i, t) = atom(i)?;
            let t = match_upper(
                t,
                &[
                    ("priv", EntryType::Private),
                    ("shared", EntryType::Shared),
                    ("all", EntryType::All),
                ],
            );
            let Some(t) = t else { return fail() };
            let (i, _) = sp(i)?;
            let (i, m) = number64(i)?;
            return Ok((
                i,
                K::ModSeq {
                    entry: Some((name, t)),
                    modseq: m,
                },
            ));
        }
        let (i, m) = number64(i)?;
        return Ok((
            i,
            K::ModSeq {
                entry: None,
                modseq: m,
            },
        ));
    }
    fail()
}

/// `sort-criteria = "(" sort-criterion *(SP sort-criterion) ")"`.
pub(crate) fn sort_criteria<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec1<SortCriterion>> {
    paren_list1(cx, i, |i| {
        let (i, reverse) = match kw("REVERSE ")(i) {
            Ok((i, _)) => (i, true),
            Err(_) => (i, false),
        };
        let (i, a) = key_word(i)?;
        let key = match_upper(
            a,
            &[
                ("ARRIVAL", SortKey::Arrival),
                ("CC", SortKey::Cc),
                ("DATE", SortKey::Date),
                ("FROM", SortKey::From),
                ("SIZE", SortKey::Size),
                ("SUBJECT", SortKey::Subject),
                ("TO", SortKey::To),
                ("DISPLAYFROM", SortKey::DisplayFrom),
                ("DISPLAYTO", SortKey::DisplayTo),
            ],
        );
        match key {
            Some(key) => Ok((i, SortCriterion { reverse, key })),
            None => fail(),
        }
    })
}

/// `thread-alg`.
pub(crate) fn thread_alg(i: &[u8]) -> PResult<'_, ThreadAlgorithm> {
    let (i, a) = atom(i)?;
    let alg = if a.eq_ignore_ascii_case(b"ORDEREDSUBJECT") {
        ThreadAlgorithm::OrderedSubject
    } else if a.eq_ignore_ascii_case(b"REFERENCES") {
        ThreadAlgorithm::References
    } else {
        ThreadAlgorithm::Other(Atom::from_valid(a))
    };
    Ok((i, alg))
}
