//! Reading messages the way IMAP and POP3 send them.

/// `raw` with every bare LF line end made CRLF (RFC 3501 section 2.2,
/// RFC 1939 section 3). A message already in CRLF is returned as it is,
/// without a copy; otherwise one copy, sized by `vsize` (the `,W=` size)
/// when known.
pub(crate) fn crlf_line_ends(raw: Vec<u8>, vsize: Option<u64>) -> Vec<u8> {
    let mut out: Option<Vec<u8>> = None;
    let mut from = 0;
    for i in memchr::memchr_iter(b'\n', &raw) {
        let bare = i == 0 || raw.get(i - 1) != Some(&b'\r');
        if !bare {
            continue;
        }
        let o = out.get_or_insert_with(|| {
            let guess = raw.len() + raw.len() / 32 + 2;
            let want = vsize
                .and_then(|v| usize::try_from(v).ok())
                .filter(|&v| v >= raw.len())
                .unwrap_or(guess);
            // A name's size field is a hint, not a promise.
            Vec::with_capacity(want.min(raw.len().saturating_mul(2)))
        });
        o.extend_from_slice(raw.get(from..i).unwrap_or_default());
        o.extend_from_slice(b"\r\n");
        from = i + 1;
    }
    match out {
        None => raw,
        Some(mut o) => {
            o.extend_from_slice(raw.get(from..).unwrap_or_default());
            o
        }
    }
}

#[cfg(test)]
mod tests {
    use super::crlf_line_ends;
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
            assert_eq!(crlf_line_ends(raw.to_vec(), None), want);
            assert_eq!(crlf_line_ends(raw.to_vec(), Some(0)), want);
            assert_eq!(crlf_line_ends(raw.to_vec(), Some(u64::MAX)), want);
        }
    }

    proptest! {
        #[test]
        fn same_as_byte_at_a_time(
            raw in proptest::collection::vec(prop_oneof![Just(b'\n'), Just(b'\r'), any::<u8>()], 0..300),
            vsize in proptest::option::of(0u64..1000),
        ) {
            prop_assert_eq!(crlf_line_ends(raw.clone(), vsize), reference(&raw));
        }
    }
}
