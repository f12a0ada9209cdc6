//! ENVELOPE and BODY/BODYSTRUCTURE in FETCH responses (RFC 3501 section 9
//! `envelope`, `body`; RFC 9051). The structure recurses through multipart
//! bodies, MESSAGE/RFC822 parts and body extensions; the depth is bounded
//! by `Limits::nesting_depth`.

use crate::types::{
    Address, Body, BodyExtension, BodyFields, BodyParameters, BodyStructure, DispositionTail,
    Envelope, LanguageTail, LocationTail, MultiPartExtension, SinglePartExtension, SpecificFields,
    Vec1,
};

use super::core::{Cx, PResult, byte, fail, nil, nstring, number, number64, sp, string};

fn address(i: &[u8]) -> PResult<'_, Address> {
    let (i, _) = byte(b'(')(i)?;
    let (i, name) = nstring(i)?;
    let (i, _) = sp(i)?;
    let (i, adl) = nstring(i)?;
    let (i, _) = sp(i)?;
    let (i, mailbox) = nstring(i)?;
    let (i, _) = sp(i)?;
    let (i, host) = nstring(i)?;
    let (i, _) = byte(b')')(i)?;
    Ok((
        i,
        Address {
            name,
            adl,
            mailbox,
            host,
        },
    ))
}

/// `"(" 1*address ")" / nil` (addresses are not separated by spaces;
/// some servers put one anyway, which is accepted).
fn address_list<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Vec<Address>> {
    if let Ok((i, _)) = nil(i) {
        return Ok((i, Vec::new()));
    }
    let (mut i, _) = byte(b'(')(i)?;
    let mut out = Vec::new();
    loop {
        if let Some(b' ') = i.first() {
            i = &i[1..];
        }
        if let Some(b')') = i.first() {
            if out.is_empty() {
                return fail();
            }
            return Ok((&i[1..], out));
        }
        let (r, a) = address(i)?;
        out.push(a);
        cx.check_items(r, out.len())?;
        i = r;
    }
}

/// `envelope`.
pub(crate) fn envelope<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, Envelope> {
    let (i, _) = byte(b'(')(i)?;
    let (i, date) = nstring(i)?;
    let (i, _) = sp(i)?;
    let (i, subject) = nstring(i)?;
    let (i, _) = sp(i)?;
    let (i, from) = address_list(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, sender) = address_list(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, reply_to) = address_list(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, to) = address_list(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, cc) = address_list(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, bcc) = address_list(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, in_reply_to) = nstring(i)?;
    let (i, _) = sp(i)?;
    let (i, message_id) = nstring(i)?;
    let (i, _) = byte(b')')(i)?;
    Ok((
        i,
        Envelope {
            date,
            subject,
            from,
            sender,
            reply_to,
            to,
            cc,
            bcc,
            in_reply_to,
            message_id,
        },
    ))
}

/// `body-fld-param = "(" string SP string *(SP string SP string) ")" / nil`.
fn body_params<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, BodyParameters> {
    if let Ok((i, _)) = nil(i) {
        return Ok((i, Vec::new()));
    }
    let (mut i, _) = byte(b'(')(i)?;
    let mut out = Vec::new();
    loop {
        let (r, k) = string(i)?;
        let (r, _) = sp(r)?;
        let (r, v) = string(r)?;
        out.push((k, v));
        cx.check_items(r, out.len())?;
        match r.first() {
            Some(b' ') => i = &r[1..],
            Some(b')') => return Ok((&r[1..], out)),
            _ => return fail(),
        }
    }
}

fn body_fields<'a>(cx: &Cx<'_>, i: &'a [u8]) -> PResult<'a, BodyFields> {
    let (i, parameters) = body_params(cx, i)?;
    let (i, _) = sp(i)?;
    let (i, id) = nstring(i)?;
    let (i, _) = sp(i)?;
    let (i, description) = nstring(i)?;
    let (i, _) = sp(i)?;
    // body-fld-enc is a string; NIL is seen in the wild and read as "".
    let (i, encoding) = match nstring(i)? {
        (i, Some(e)) => (i, e),
        (i, None) => (i, Vec::new()),
    };
    let (i, _) = sp(i)?;
    let (i, octets) = number(i)?;
    Ok((
        i,
        BodyFields {
            parameters,
            id,
            description,
            encoding,
            octets,
        },
    ))
}

/// `body`.
pub(crate) fn body<'a>(cx: &Cx<'_>, depth: usize, i: &'a [u8]) -> PResult<'a, BodyStructure> {
    cx.check_depth(depth)?;
    let (i, _) = byte(b'(')(i)?;
    if let Some(b'(') = i.first() {
        // body-type-mpart = 1*body SP media-subtype [SP body-ext-mpart]
        let mut bodies = Vec::new();
        let mut i = i;
        while let Some(b'(') = i.first() {
            let (r, b) = body(cx, depth + 1, i)?;
            bodies.push(b);
            cx.check_items(r, bodies.len())?;
            // Tolerate a space between parts.
            i = match r {
                [b' ', b'(', ..] => &r[1..],
                _ => r,
            };
        }
        let (i, _) = sp(i)?;
        let (i, subtype) = string(i)?;
        let (i, extension) = match i.first() {
            Some(b' ') => {
                let (i, parameters) = body_params(cx, &i[1..])?;
                let (i, tail) = disposition_tail(cx, depth, i)?;
                (i, Some(MultiPartExtension { parameters, tail }))
            }
            _ => (i, None),
        };
        let (i, _) = byte(b')')(i)?;
        let bodies = Vec1::from_nonempty(bodies);
        return Ok((
            i,
            BodyStructure::Multi {
                bodies,
                subtype,
                extension,
            },
        ));
    }
    let (i, media_type) = string(i)?;
    let (i, _) = sp(i)?;
    let (i, subtype) = string(i)?;
    let (i, _) = sp(i)?;
    let (i, fields) = body_fields(cx, i)?;
    let is_message = media_type.eq_ignore_ascii_case(b"MESSAGE")
        && (subtype.eq_ignore_ascii_case(b"RFC822") || subtype.eq_ignore_ascii_case(b"GLOBAL"));
    let (i, specific) = if is_message {
        let (i, _) = sp(i)?;
        let (i, env) = envelope(cx, i)?;
        let (i, _) = sp(i)?;
        let (i, b) = body(cx, depth + 1, i)?;
        let (i, _) = sp(i)?;
        let (i, lines) = number(i)?;
        (
            i,
            SpecificFields::Message {
                subtype,
                envelope: Box::new(env),
                body_structure: Box::new(b),
                lines,
            },
        )
    } else if media_type.eq_ignore_ascii_case(b"TEXT") {
        let (i, _) = sp(i)?;
        let (i, lines) = number(i)?;
        (i, SpecificFields::Text { subtype, lines })
    } else {
        (
            i,
            SpecificFields::Basic {
                media_type,
                subtype,
            },
        )
    };
    let (i, extension) = match i.first() {
        Some(b' ') => {
            let (i, md5) = nstring(&i[1..])?;
            let (i, tail) = disposition_tail(cx, depth, i)?;
            (i, Some(SinglePartExtension { md5, tail }))
        }
        _ => (i, None),
    };
    let (i, _) = byte(b')')(i)?;
    Ok((
        i,
        BodyStructure::Single {
            body: Body { fields, specific },
            extension,
        },
    ))
}

/// `[SP body-fld-dsp [SP body-fld-lang [SP body-fld-loc *(SP body-extension)]]]`.
fn disposition_tail<'a>(
    cx: &Cx<'_>,
    depth: usize,
    i: &'a [u8],
) -> PResult<'a, Option<DispositionTail>> {
    let Some(b' ') = i.first() else {
        return Ok((i, None));
    };
    let i = &i[1..];
    let (i, disposition) = match nil(i) {
        Ok((i, _)) => (i, None),
        Err(_) => {
            let (i, _) = byte(b'(')(i)?;
            let (i, kind) = string(i)?;
            let (i, _) = sp(i)?;
            let (i, params) = body_params(cx, i)?;
            let (i, _) = byte(b')')(i)?;
            (i, Some((kind, params)))
        }
    };
    let (i, tail) = match i.first() {
        Some(b' ') => {
            let i = &i[1..];
            let (i, languages) = match i.first() {
                Some(b'(') => {
                    let (i, v) = super::core::paren_list1(cx, i, string)?;
                    (i, v.into_vec())
                }
                _ => {
                    let (i, s) = nstring(i)?;
                    (i, s.into_iter().collect())
                }
            };
            let (i, tail) = match i.first() {
                Some(b' ') => {
                    let (mut i, location) = nstring(&i[1..])?;
                    let mut extensions = Vec::new();
                    while let Some(b' ') = i.first() {
                        let (r, e) = body_extension(cx, depth + 1, &i[1..])?;
                        extensions.push(e);
                        cx.check_items(r, extensions.len())?;
                        i = r;
                    }
                    (
                        i,
                        Some(LocationTail {
                            location,
                            extensions,
                        }),
                    )
                }
                _ => (i, None),
            };
            (i, Some(LanguageTail { languages, tail }))
        }
        _ => (i, None),
    };
    Ok((i, Some(DispositionTail { disposition, tail })))
}

fn body_extension<'a>(cx: &Cx<'_>, depth: usize, i: &'a [u8]) -> PResult<'a, BodyExtension> {
    cx.check_depth(depth)?;
    match i.first() {
        Some(b'(') => {
            let (mut i, first) = body_extension(cx, depth + 1, &i[1..])?;
            let mut out = vec![first];
            loop {
                match i.first() {
                    Some(b' ') => {
                        let (r, e) = body_extension(cx, depth + 1, &i[1..])?;
                        out.push(e);
                        cx.check_items(r, out.len())?;
                        i = r;
                    }
                    Some(b')') => {
                        return Ok((&i[1..], BodyExtension::List(Vec1::from_nonempty(out))));
                    }
                    _ => return fail(),
                }
            }
        }
        Some(b'0'..=b'9') => {
            let (i, n) = number64(i)?;
            Ok((i, BodyExtension::Number(n)))
        }
        _ => {
            let (i, s) = nstring(i)?;
            Ok((i, BodyExtension::NString(s)))
        }
    }
}
