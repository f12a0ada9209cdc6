//! FETCH data items from a message's metadata and bytes (RFC 3501
//! section 6.4.5, RFC 9051 section 6.4.5).

use std::num::NonZeroU32;

use crate::types::{FetchAttribute, Flag, MessageDataItem, Section, SectionData, SectionText};

use super::Message;
use super::date::date_time_of;
use super::section::{SectionError, apply_partial};
use super::view::flag_fetch;

/// Why a FETCH item could not be produced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchError {
    /// An attribute needs the message but none was given.
    MissingMessage,
    /// BINARY of a part with an unknown transfer encoding
    /// (`NO [UNKNOWN-CTE]`).
    UnknownCte,
}

/// Whether an attribute needs the message's bytes.
pub fn needs_message(attrs: &[FetchAttribute]) -> bool {
    attrs.iter().any(|a| {
        !matches!(
            a,
            FetchAttribute::Flags
                | FetchAttribute::Uid
                | FetchAttribute::InternalDate
                | FetchAttribute::Rfc822Size
                | FetchAttribute::ModSeq
        )
    })
}

/// Whether fetching these attributes sets `\Seen` (RFC 3501 section
/// 6.4.5: BODY[...] without .PEEK, RFC822, RFC822.TEXT, BINARY without
/// .PEEK).
pub fn sets_seen(attrs: &[FetchAttribute]) -> bool {
    attrs.iter().any(|a| {
        matches!(
            a,
            FetchAttribute::BodySection { peek: false, .. }
                | FetchAttribute::Binary { peek: false, .. }
                | FetchAttribute::Rfc822
                | FetchAttribute::Rfc822Text
        )
    })
}

/// What FETCH knows of one message.
#[derive(Debug, Clone, Copy)]
pub struct FetchInput<'a> {
    /// UID.
    pub uid: u32,
    /// Flags (after any `\Seen` this FETCH set).
    pub flags: &'a [Flag],
    /// `\Recent` to report (IMAP4rev1 sessions).
    pub recent: bool,
    /// INTERNALDATE as Unix time.
    pub internal_date: i64,
    /// RFC822.SIZE.
    pub size: u64,
    /// The mod-sequence (RFC 7162 section 3.1.4.2; 0 when the mailbox
    /// keeps none: MODSEQ is then left out).
    pub modseq: u64,
    /// The message, when [`needs_message`] said so.
    pub message: Option<&'a Message>,
}

/// The items for `attrs` (macros already expanded), in request order.
/// `UID` is added first when `with_uid` (UID FETCH, RFC 3501 section
/// 6.4.8) and the request lacks it.
pub fn fetch_items(
    attrs: &[FetchAttribute],
    input: &FetchInput<'_>,
    with_uid: bool,
) -> Result<Vec<MessageDataItem>, FetchError> {
    let mut out = Vec::with_capacity(attrs.len() + 1);
    let uid = NonZeroU32::new(input.uid);
    if with_uid
        && !attrs.contains(&FetchAttribute::Uid)
        && let Some(u) = uid
    {
        out.push(MessageDataItem::Uid(u));
    }
    let msg = || input.message.ok_or(FetchError::MissingMessage);
    for a in attrs {
        let item = match a {
            FetchAttribute::Flags => MessageDataItem::Flags(flag_fetch(input.flags, input.recent)),
            FetchAttribute::Uid => match uid {
                Some(u) => MessageDataItem::Uid(u),
                None => continue,
            },
            FetchAttribute::InternalDate => match date_time_of(input.internal_date) {
                Some(d) => MessageDataItem::InternalDate(d),
                None => continue,
            },
            FetchAttribute::Rfc822Size => MessageDataItem::Rfc822Size(input.size),
            FetchAttribute::ModSeq if input.modseq != 0 => MessageDataItem::ModSeq(input.modseq),
            FetchAttribute::ModSeq => continue,
            FetchAttribute::Envelope => MessageDataItem::Envelope(Box::new(msg()?.envelope())),
            FetchAttribute::Body => MessageDataItem::Body(Box::new(msg()?.body_structure(false))),
            FetchAttribute::BodyStructure => {
                MessageDataItem::BodyStructure(Box::new(msg()?.body_structure(true)))
            }
            FetchAttribute::Rfc822 => {
                MessageDataItem::Rfc822(SectionData::Data(msg()?.bytes().clone()))
            }
            FetchAttribute::Rfc822Header => {
                MessageDataItem::Rfc822Header(SectionData::Data(msg()?.section(&Section {
                    part: vec![],
                    text: Some(SectionText::Header),
                })))
            }
            FetchAttribute::Rfc822Text => {
                MessageDataItem::Rfc822Text(SectionData::Data(msg()?.section(&Section {
                    part: vec![],
                    text: Some(SectionText::Text),
                })))
            }
            FetchAttribute::BodySection {
                section, partial, ..
            } => MessageDataItem::BodySection {
                section: section.clone(),
                origin: partial.map(|p| p.origin),
                data: SectionData::Data(apply_partial(msg()?.section(section), *partial)),
            },
            FetchAttribute::Binary { part, partial, .. } => {
                let data = match msg()?.binary(part) {
                    Ok(d) => d,
                    Err(SectionError::NoSuchPart) => bytes::Bytes::new(),
                    Err(SectionError::UnknownCte) => return Err(FetchError::UnknownCte),
                };
                MessageDataItem::Binary {
                    part: part.clone(),
                    data: SectionData::Data(apply_partial(data, *partial)),
                }
            }
            FetchAttribute::BinarySize { part } => {
                let size = match msg()?.binary(part) {
                    Ok(d) => d.len(),
                    Err(SectionError::NoSuchPart) => 0,
                    Err(SectionError::UnknownCte) => return Err(FetchError::UnknownCte),
                };
                MessageDataItem::BinarySize {
                    part: part.clone(),
                    size: size as u64,
                }
            }
        };
        out.push(item);
    }
    Ok(out)
}
