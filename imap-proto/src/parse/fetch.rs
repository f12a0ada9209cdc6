//! FETCH attributes and body sections (RFC 3501 section 6.4.5, RFC 9051
//! section 6.4.5, RFC 7162 MODSEQ/CHANGEDSINCE/VANISHED).

use std::num::NonZeroU32;

use crate::types::{
    FetchAttribute, FetchItems, FetchModifier, Partial, Section, SectionText, Vec1,
};

use super::core::{
    Cx, PResult, astring, byte, fail, kw, number, number64, nz_number, paren_list, paren_list1,
    take_while1, upper,
};

fn fetch_word(i: &[u8]) -> PResult<'_, &[u8]> {
    take_while1(i, |b| b.is_ascii_alphanumeric() || b == b'.')
}

/// `section-part = nz-number *("." nz-number)`; stops before a `.` that
/// is not followed by a digit.
fn section_part(i: &[u8]) -> PResult<'_, Vec<NonZeroU32>> {
    let (mut i, first) = nz_number(i)?;
    let mut out = vec![first];
    while let [b'.', d, ..] = i {
        if !d.is_ascii_digit() {
            break;
        }
        let (r, n) = nz_number(&i[1..])?;
        out.push(n);
        if out.len() > 64 {
            return fail();
        }
        i = r;
    }
    Ok((i, out))
}

/// `section = "[" [section-spec] "]"`.
pub(crate) fn section<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Section> {
    let (i, _) = byte(b'[')(i)?;
    if let Some(b']') = i.first() {
        return Ok((&i[1..], Section::default()));
    }
    let (i, part, allow_mime) = match i.first() {
        Some(b'0'..=b'9') => {
            let (i, p) = section_part(i)?;
            match i {
                [b']', rest @ ..] => {
                    return Ok((
                        rest,
                        Section {
                            part: p,
                            text: None,
                        },
                    ));
                }
                [b'.', rest @ ..] => (rest, p, true),
                _ => return fail(),
            }
        }
        _ => (i, Vec::new(), false),
    };
    let (i, w) = take_while1(i, |b| b.is_ascii_alphabetic() || b == b'.')?;
    let (i, text) = if w.eq_ignore_ascii_case(b"HEADER") {
        (i, SectionText::Header)
    } else if w.eq_ignore_ascii_case(b"TEXT") {
        (i, SectionText::Text)
    } else if w.eq_ignore_ascii_case(b"MIME") && allow_mime {
        (i, SectionText::Mime)
    } else if w.eq_ignore_ascii_case(b"HEADER.FIELDS")
        || w.eq_ignore_ascii_case(b"HEADER.FIELDS.NOT")
    {
        let not = w.len() > 13;
        let (i, _) = byte(b' ')(i)?;
        let (i, fields) = paren_list1(cx, i, astring)?;
        (i, SectionText::HeaderFields { not, fields })
    } else {
        return fail();
    };
    let (i, _) = byte(b']')(i)?;
    Ok((
        i,
        Section {
            part,
            text: Some(text),
        },
    ))
}

/// `section-binary = "[" [section-part] "]"`.
pub(crate) fn section_binary(i: &[u8]) -> PResult<'_, Vec<NonZeroU32>> {
    let (i, _) = byte(b'[')(i)?;
    if let Some(b']') = i.first() {
        return Ok((&i[1..], Vec::new()));
    }
    let (i, p) = section_part(i)?;
    let (i, _) = byte(b']')(i)?;
    Ok((i, p))
}

/// `"<" number "." nz-number ">"`.
fn partial(i: &[u8]) -> PResult<'_, Option<Partial>> {
    match i.first() {
        Some(b'<') => {
            let (i, origin) = number(&i[1..])?;
            let (i, _) = byte(b'.')(i)?;
            let (i, length) = nz_number(i)?;
            let (i, _) = byte(b'>')(i)?;
            Ok((i, Some(Partial { origin, length })))
        }
        _ => Ok((i, None)),
    }
}

/// One `fetch-att`.
pub(crate) fn fetch_att<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FetchAttribute> {
    use FetchAttribute as A;
    let (i, w) = fetch_word(i)?;
    let mut ub = [0u8; 32];
    let up = upper(w, &mut ub);
    let is = |s: &str| up == s.as_bytes();
    let simple = match up {
        b"ENVELOPE" => Some(A::Envelope),
        b"FLAGS" => Some(A::Flags),
        b"INTERNALDATE" => Some(A::InternalDate),
        b"RFC822" => Some(A::Rfc822),
        b"RFC822.HEADER" => Some(A::Rfc822Header),
        b"RFC822.SIZE" => Some(A::Rfc822Size),
        b"RFC822.TEXT" => Some(A::Rfc822Text),
        b"BODYSTRUCTURE" => Some(A::BodyStructure),
        b"UID" => Some(A::Uid),
        b"MODSEQ" => Some(A::ModSeq),
        _ => None,
    };
    if let Some(a) = simple {
        return Ok((i, a));
    }
    if is("BODY") || is("BODY.PEEK") {
        let peek = w.len() > 4;
        if i.first() != Some(&b'[') {
            if peek {
                return fail();
            }
            return Ok((i, A::Body));
        }
        let (i, section) = section(cx, i)?;
        let (i, partial) = partial(i)?;
        return Ok((
            i,
            A::BodySection {
                section,
                partial,
                peek,
            },
        ));
    }
    if is("BINARY") || is("BINARY.PEEK") {
        let peek = w.len() > 6;
        let (i, part) = section_binary(i)?;
        let (i, partial) = partial(i)?;
        return Ok((
            i,
            A::Binary {
                part,
                partial,
                peek,
            },
        ));
    }
    if is("BINARY.SIZE") {
        let (i, part) = section_binary(i)?;
        return Ok((i, A::BinarySize { part }));
    }
    fail()
}

/// `"ALL" / "FULL" / "FAST" / fetch-att / "(" fetch-att *(SP fetch-att) ")"`.
pub(crate) fn fetch_items<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, FetchItems> {
    if let Some(b'(') = i.first() {
        let (i, v) = paren_list1(cx, i, |i| fetch_att(cx, i))?;
        return Ok((i, FetchItems::Attributes(v)));
    }
    for (n, m) in [
        ("ALL", FetchItems::All),
        ("FAST", FetchItems::Fast),
        ("FULL", FetchItems::Full),
    ] {
        if let Ok((r, _)) = kw(n)(i)
            && matches!(r.first(), None | Some(b' ') | Some(b'\r'))
        {
            return Ok((r, m));
        }
    }
    let (i, a) = fetch_att(cx, i)?;
    Ok((i, FetchItems::Attributes(Vec1::one(a))))
}

/// `"(" fetch-modifier *(SP fetch-modifier) ")"`.
pub(crate) fn fetch_modifiers<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<FetchModifier>> {
    let (i, v) = paren_list(cx, i, |i| {
        if let Ok((i, _)) = kw("CHANGEDSINCE ")(i) {
            let (i, n) = number64(i)?;
            return Ok((i, FetchModifier::ChangedSince(n)));
        }
        let (i, _) = kw("VANISHED")(i)?;
        Ok((i, FetchModifier::Vanished))
    })?;
    if v.is_empty() {
        return fail();
    }
    Ok((i, v))
}
