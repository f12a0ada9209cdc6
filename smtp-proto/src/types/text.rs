//! Short text held inline: most domains and local parts fit in a few dozen
//! octets, and a parsed command should not allocate for each of them.

use std::fmt;
use std::hash::{Hash, Hasher};

/// Octets kept inline; the whole value is as large as a `String`.
const INLINE: usize = 22;

/// A UTF-8 string: inline up to [`INLINE`] octets, on the heap beyond.
#[derive(Clone)]
pub(crate) enum Text {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<str>),
}

impl Text {
    /// Copies `s`, inline if it is short enough.
    pub(crate) fn new(s: &str) -> Self {
        let bytes = s.as_bytes();
        let mut buf = [0u8; INLINE];
        match (buf.get_mut(..bytes.len()), u8::try_from(bytes.len())) {
            (Some(head), Ok(len)) => {
                head.copy_from_slice(bytes);
                Text::Inline { len, buf }
            }
            _ => Text::Heap(s.into()),
        }
    }

    /// Takes `s`, moving it inline if it is short enough.
    pub(crate) fn from_string(s: String) -> Self {
        if s.len() <= INLINE {
            Text::new(&s)
        } else {
            Text::Heap(s.into_boxed_str())
        }
    }

    /// The length in octets.
    pub(crate) fn len(&self) -> usize {
        self.as_bytes().len()
    }

    fn as_bytes(&self) -> &[u8] {
        match self {
            Text::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or_default(),
            Text::Heap(s) => s.as_bytes(),
        }
    }

    pub(crate) fn as_str(&self) -> &str {
        match self {
            // Only a `str`'s octets are ever stored inline, so this is
            // always `Ok`: checking keeps the crate free of `unsafe` at the
            // cost of a pass over at most `INLINE` octets.
            Text::Inline { .. } => std::str::from_utf8(self.as_bytes()).unwrap_or_default(),
            Text::Heap(s) => s,
        }
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for Text {}

impl Hash for Text {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_and_heap_hold_the_same_text() {
        for s in [
            "",
            "a",
            "example.org",
            "exactly-22-octets.abcd",
            "twenty-three-octets.abc",
            "例子.广告例子.广告例子.广告",
        ] {
            let t = Text::new(s);
            assert_eq!(t.as_str(), s);
            assert_eq!(Text::from_string(s.to_owned()), t);
            assert_eq!(format!("{t:?}"), format!("{s:?}"));
            assert_eq!(matches!(t, Text::Inline { .. }), s.len() <= INLINE, "{s}");
        }
        assert_ne!(Text::new("a"), Text::new("b"));
        assert_eq!(std::mem::size_of::<Text>(), std::mem::size_of::<String>());
    }
}
