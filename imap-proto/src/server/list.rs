//! LIST and LSUB patterns (RFC 3501 section 6.3.8, RFC 5258 section 3).

/// A LIST pattern joined with its reference name.
///
/// # Examples
///
/// ```
/// use imap_proto::server::ListPattern;
/// let p = ListPattern::new("", "%", '/');
/// assert!(p.matches("INBOX") && p.matches("Sent"));
/// assert!(!p.matches("Archive/2024"));
/// let p = ListPattern::new("Archive/", "*", '/');
/// assert!(p.matches("Archive/2024/Q1") && !p.matches("Archive"));
/// assert!(ListPattern::new("", "inbox", '/').matches("INBOX"));
/// ```
#[derive(Debug, Clone)]
pub struct ListPattern {
    chars: Vec<char>,
    delimiter: char,
}

impl ListPattern {
    /// The pattern `reference` + `pattern` (the reference is a prefix,
    /// RFC 3501 section 6.3.8).
    pub fn new(reference: &str, pattern: &str, delimiter: char) -> Self {
        let mut s = String::with_capacity(reference.len() + pattern.len());
        s.push_str(reference);
        s.push_str(pattern);
        // INBOX is case-insensitive: match its spelling in any case.
        let chars = if s.len() >= 5 && s[..5].eq_ignore_ascii_case("INBOX") {
            let rest = &s[5..];
            if rest.is_empty() || rest.starts_with(delimiter) {
                format!("INBOX{rest}").chars().collect()
            } else {
                s.chars().collect()
            }
        } else {
            s.chars().collect()
        };
        ListPattern { chars, delimiter }
    }

    /// Whether the pattern is empty (`LIST "" ""` asks for the delimiter).
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// Whether a mailbox name matches: `*` matches anything, `%` anything
    /// but the hierarchy delimiter.
    pub fn matches(&self, name: &str) -> bool {
        let name: Vec<char> = name.chars().collect();
        matches_chars(&self.chars, &name, self.delimiter)
    }

    /// Whether some child of `name` could match (for `%` patterns that
    /// stop at a level: RFC 5258 CHILDINFO, `\HasChildren`).
    pub fn matches_prefix_of_child(&self, name: &str) -> bool {
        let mut n: Vec<char> = name.chars().collect();
        n.push(self.delimiter);
        // A child "name/x" matches when the pattern accepts name/ + something.
        (0..self.chars.len()).any(|i| {
            matches_chars(&self.chars[..i], &n, self.delimiter)
                && self.chars.get(i).is_some_and(|c| *c == '*' || *c == '%')
        }) || matches_chars(&self.chars, &n, self.delimiter)
    }
}

/// Iterative wildcard matching (no recursion an input can deepen):
/// dynamic programming over pattern positions.
fn matches_chars(p: &[char], s: &[char], delim: char) -> bool {
    // reach[j]: pattern prefix consumed so far can end at s[..j].
    let mut reach = vec![false; s.len() + 1];
    reach[0] = true;
    for &pc in p {
        let mut next = vec![false; s.len() + 1];
        match pc {
            '*' => {
                let mut on = false;
                for j in 0..=s.len() {
                    on |= reach[j];
                    next[j] = on;
                }
            }
            '%' => {
                let mut on = false;
                for j in 0..=s.len() {
                    if reach[j] {
                        on = true;
                    }
                    next[j] = on;
                    if j < s.len() && s[j] == delim {
                        on = false;
                    }
                }
            }
            c => {
                for j in 0..s.len() {
                    if reach[j] && s[j] == c {
                        next[j + 1] = true;
                    }
                }
            }
        }
        reach = next;
        if !reach.iter().any(|&r| r) {
            return false;
        }
    }
    reach[s.len()]
}

/// Whether `name` matches `pattern` under `reference`.
pub fn list_matches(reference: &str, pattern: &str, name: &str, delimiter: char) -> bool {
    ListPattern::new(reference, pattern, delimiter).matches(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_stops_at_delimiter() {
        assert!(list_matches("", "a/%", "a/b", '/'));
        assert!(!list_matches("", "a/%", "a/b/c", '/'));
        assert!(list_matches("", "a/%/c", "a/b/c", '/'));
        assert!(list_matches("", "*", "a/b/c", '/'));
        assert!(list_matches("", "%b%", "abc", '/'));
        assert!(!list_matches("", "x", "abc", '/'));
    }
}
