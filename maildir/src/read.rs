//! Reading messages the way IMAP and POP3 send them.

/// `raw` with every bare LF made CRLF, into `out` (cleared first), as
/// IMAP and POP3 send messages (RFC 3501 section 2.2, RFC 1939 section
/// 3): one pass, copying the lines between bare LFs; `want` is the size
/// expected (the `,W=` size), reserved at the first bare LF. Without bare
/// LFs, `raw` and `out` are swapped rather than copied (`raw` then holds
/// what `out` held).
pub(crate) fn crlf_line_ends_into(raw: &mut Vec<u8>, out: &mut Vec<u8>, want: usize) {
    out.clear();
    let mut from = 0;
    for i in memchr::memchr_iter(b'\n', raw) {
        if i > 0 && raw.get(i - 1) == Some(&b'\r') {
            continue;
        }
        if from == 0 {
            out.reserve(want.max(raw.len() + raw.len() / 32 + 2));
        }
        out.extend_from_slice(raw.get(from..i).unwrap_or_default());
        out.extend_from_slice(b"\r\n");
        from = i + 1;
    }
    if from == 0 {
        std::mem::swap(raw, out);
        return;
    }
    out.extend_from_slice(raw.get(from..).unwrap_or_default());
}

#[cfg(test)]
mod tests {
    use super::crlf_line_ends_into;

    fn crlf_line_ends(raw: Vec<u8>) -> Vec<u8> {
        let mut raw = raw;
        // An output buffer that held something before.
        let mut out = b"left over".to_vec();
        let want = raw.len();
        crlf_line_ends_into(&mut raw, &mut out, want);
        out
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
