//! Every limit an input can grow against, in one place.

/// Hard limits applied while decoding. A hit becomes a [`DecodeError`]
/// (answered with `BAD`, or `NO [TOOBIG]` for a literal) and the decoder
/// skips to the next command.
///
/// [`DecodeError`]: crate::DecodeError
///
/// # Examples
///
/// ```
/// use imap_proto::Limits;
/// let l = Limits { literal_size: 50 * 1024 * 1024, ..Limits::default() };
/// assert_eq!(l.line_length, Limits::default().line_length);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Longest line, CRLF and literal headers included, literal octets
    /// excluded. RFC 2683 section 3.2.1.5 asks servers to take at least
    /// 8000 octets; RFC 7162 section 4 raises that to 8192 for CONDSTORE.
    pub line_length: usize,
    /// Largest single literal (an APPENDed message is one). The RFCs set
    /// no limit; RFC 7888 section 4 lets a server refuse with `[TOOBIG]`.
    pub literal_size: u64,
    /// Largest non-synchronizing literal `{N+}` from a client. A server
    /// that announces LITERAL- sets 4096 (RFC 7888 section 4); a larger one
    /// is refused (and its octets skipped), so the client must resend it
    /// with a synchronizing literal.
    pub non_sync_literal_size: u64,
    /// Largest whole command, lines and literals together.
    pub command_size: u64,
    /// Most literals in one command (a MULTIAPPEND has one per message).
    pub literals: usize,
    /// Deepest parenthesis nesting: SEARCH keys, BODYSTRUCTURE, THREAD,
    /// body extensions. Bounds the parser's recursion.
    pub nesting_depth: usize,
    /// Most elements in one list (fetch attributes, flags, search keys at
    /// one level, sequence-set elements...).
    pub items: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            line_length: 64 * 1024,
            literal_size: 64 * 1024 * 1024,
            non_sync_literal_size: 64 * 1024 * 1024,
            command_size: 128 * 1024 * 1024,
            literals: 1000,
            nesting_depth: 32,
            items: 10_000,
        }
    }
}
