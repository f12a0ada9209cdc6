//! Reading messages the way IMAP and POP3 send them.

/// Turns every bare LF of `buf` into CRLF, in place, as IMAP and
/// POP3 send messages (RFC 3501 section 2.2, RFC 1939 section 3): the
/// buffer grows by one octet per bare LF (within its capacity when the
/// caller reserved the `,W=` size) and each octet after the first bare LF
/// moves once, from the end backwards. A message already in CRLF is left
/// as it is.
pub(crate) fn crlf_in_place(buf: &mut Vec<u8>) {
    // The bare LFs, found in one pass.
    let bare: Vec<usize> = memchr::memchr_iter(b'\n', buf)
        .filter(|&i| i == 0 || buf.get(i - 1) != Some(&b'\r'))
        .collect();
    if bare.is_empty() {
        return;
    }
    let old = buf.len();
    buf.resize(old + bare.len(), 0);
    // From the last bare LF back: the segment from each one to the next
    // moves right by the number of CRs still to insert before it.
    let mut end = old;
    for (n, &i) in bare.iter().enumerate().rev() {
        buf.copy_within(i..end, i + n + 1);
        if let Some(cr) = buf.get_mut(i + n) {
            *cr = b'\r';
        }
        end = i;
    }
}

#[cfg(test)]
mod tests {
    use super::crlf_in_place;

    fn crlf_line_ends(raw: Vec<u8>) -> Vec<u8> {
        let mut buf = raw;
        crlf_in_place(&mut buf);
        buf
    }
    use proptest::prelude::*;

    /// The obvious byte-at-a-time conversion.
    fn reference(raw: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut prev = 0u8;
        for &b in raw {
            if b == b'\n' && prev != b'\r' {
                out.push(b'\r');
            }
            out.push(b);
            prev = b;
        }
        out
    }

    #[test]
    fn examples() {
        for (raw, want) in [
            (&b""[..], &b""[..]),
            (b"\n", b"\r\n"),
            (b"a\nb\r\nc\n", b"a\r\nb\r\nc\r\n"),
            (b"\r\n\r\n", b"\r\n\r\n"),
            (b"\r\r\n\n", b"\r\r\n\r\n"),
            (b"no line end", b"no line end"),
        ] {
            assert_eq!(crlf_line_ends(raw.to_vec()), want);
        }
    }

    proptest! {
        #[test]
        fn same_as_byte_at_a_time(
            raw in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..300),
        ) {
            prop_assert_eq!(crlf_line_ends(raw.clone()), reference(&raw));
        }
    }
}
