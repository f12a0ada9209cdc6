//! FETCH responses: message data written into the output, large bodies
//! queued as chunks of their own.

use bytes::Bytes;

use super::Session;
use crate::serialize::{Fragment, response_fragments};
use crate::types::{Data, MessageDataItem, Response, SectionData, Vec1};

/// Bodies of at least this many octets go out as chunks of their own
/// rather than copied into the output buffer.
const QUEUE_BODY_AT: usize = 8 * 1024;

impl Session {
    /// Sends `* n FETCH (items)` for the message at `index` of the view.
    pub fn fetch_response(&mut self, index: usize, items: Vec<MessageDataItem>) {
        let Some(seq) = u32::try_from(index + 1)
            .ok()
            .and_then(std::num::NonZeroU32::new)
        else {
            return;
        };
        // Without body data (FLAGS, UID, RFC822.SIZE...: what a client
        // asks of every message when it opens a mailbox), the response is
        // written straight into the output.
        let has_body = items.iter().any(|i| {
            matches!(
                i,
                MessageDataItem::BodySection { .. }
                    | MessageDataItem::Binary { .. }
                    | MessageDataItem::Rfc822(_)
                    | MessageDataItem::Rfc822Header(_)
                    | MessageDataItem::Rfc822Text(_)
            )
        });
        if !has_body {
            if let Ok(items) = Vec1::new(items) {
                self.send(&Response::Data(Data::Fetch { seq, items }));
            }
            return;
        }
        // Body data always goes out as a literal, as clients (curl among
        // them) expect, even when a short section could be quoted: the
        // octets are set aside and written into the serializer's holes.
        let mut bodies: Vec<Bytes> = Vec::new();
        let items: Vec<MessageDataItem> = items
            .into_iter()
            .map(|item| {
                let mut hole = |d: SectionData| match d {
                    SectionData::Data(b) => {
                        let length = b.len() as u64;
                        bodies.push(b);
                        SectionData::External { length }
                    }
                    other => other,
                };
                match item {
                    MessageDataItem::BodySection {
                        section,
                        origin,
                        data,
                    } => MessageDataItem::BodySection {
                        section,
                        origin,
                        data: hole(data),
                    },
                    MessageDataItem::Rfc822(d) => MessageDataItem::Rfc822(hole(d)),
                    MessageDataItem::Rfc822Header(d) => MessageDataItem::Rfc822Header(hole(d)),
                    MessageDataItem::Rfc822Text(d) => MessageDataItem::Rfc822Text(hole(d)),
                    other => other,
                }
            })
            .collect();
        let Ok(items) = Vec1::new(items) else {
            return;
        };
        let r = Response::Data(Data::Fetch { seq, items });
        // Room for the small bodies at once, rather than growing the
        // buffer (and copying what it holds) while they are written.
        let small: usize = bodies
            .iter()
            .map(Bytes::len)
            .filter(|&n| n < QUEUE_BODY_AT)
            .sum();
        self.out.reserve(small + 256);
        let mut bodies = bodies.into_iter();
        for f in response_fragments(&r, self.options()) {
            match f {
                Fragment::Line(b) | Fragment::Literal { data: b, .. } => {
                    self.out.extend_from_slice(&b)
                }
                Fragment::External { .. } => match bodies.next() {
                    Some(b) if b.len() >= QUEUE_BODY_AT => {
                        if !self.out.is_empty() {
                            self.queued.push_back(self.out.split().freeze());
                        }
                        self.queued.push_back(b);
                    }
                    Some(b) => self.out.extend_from_slice(&b),
                    None => {}
                },
            }
        }
    }
}
