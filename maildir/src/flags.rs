//! Message flags as kept in a Maildir file name, and IMAP keyword letters.
//!
//! The info part of a file name in `cur/` is `:2,` followed by one letter
//! per flag in ASCII order (<https://cr.yp.to/proto/maildir.html>, "What
//! can I put in info?"): the standard flags are upper-case letters
//! (`D`, `F`, `P`, `R`, `S`, `T`), and Dovecot stores IMAP keywords as the
//! lower-case letters `a`..`z`, each naming an entry of the folder's
//! `dovecot-keywords` file. Upper-case letters we do not know are kept, so
//! a flag change never loses what another program wrote.

use std::fmt;

/// One of the standard Maildir flags.
///
/// The IMAP system flags map onto them as Dovecot maps them:
/// `\Draft` = [`Flag::Draft`], `\Flagged` = [`Flag::Flagged`],
/// `\Answered` = [`Flag::Replied`], `\Seen` = [`Flag::Seen`],
/// `\Deleted` = [`Flag::Trashed`]. [`Flag::Passed`] has no IMAP system flag
/// (Dovecot shows it as the keyword `$Forwarded`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Flag {
    /// `D`: the user considers this message a draft.
    Draft,
    /// `F`: flagged for urgent or special attention.
    Flagged,
    /// `P`: passed (resent, forwarded or bounced).
    Passed,
    /// `R`: replied to.
    Replied,
    /// `S`: seen.
    Seen,
    /// `T`: trashed (IMAP `\Deleted`), to be removed by a later expunge.
    Trashed,
}

impl Flag {
    /// Every standard flag, in ASCII order of their letters.
    pub const ALL: [Flag; 6] = [
        Flag::Draft,
        Flag::Flagged,
        Flag::Passed,
        Flag::Replied,
        Flag::Seen,
        Flag::Trashed,
    ];

    /// The flag's letter in the info part.
    pub const fn letter(self) -> char {
        match self {
            Flag::Draft => 'D',
            Flag::Flagged => 'F',
            Flag::Passed => 'P',
            Flag::Replied => 'R',
            Flag::Seen => 'S',
            Flag::Trashed => 'T',
        }
    }

    /// The flag for a letter, if it is a standard one.
    pub const fn from_letter(c: char) -> Option<Flag> {
        match c {
            'D' => Some(Flag::Draft),
            'F' => Some(Flag::Flagged),
            'P' => Some(Flag::Passed),
            'R' => Some(Flag::Replied),
            'S' => Some(Flag::Seen),
            'T' => Some(Flag::Trashed),
            _ => None,
        }
    }
}

/// A set of flags: upper-case letters (standard and unknown ones) and
/// keyword letters `a`..`z`.
///
/// # Examples
///
/// ```
/// use maildir::{Flag, Flags};
///
/// let mut flags = Flags::from_info("SRa");
/// flags.insert(Flag::Flagged);
/// assert_eq!(flags.to_string(), "FRSa"); // ASCII order
/// assert!(flags.has_keyword(0));
/// ```
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Flags {
    upper: u32,
    lower: u32,
}

impl Flags {
    /// No flag set.
    pub const fn empty() -> Flags {
        Flags { upper: 0, lower: 0 }
    }

    /// Parses the flag letters of an info part (the text after `2,`, up to
    /// an optional `,` that starts Dovecot's non-standard fields). Anything
    /// that is not an ASCII letter is ignored.
    pub fn from_info(letters: &str) -> Flags {
        let mut flags = Flags::empty();
        for c in letters.chars() {
            flags.insert_letter(c);
        }
        flags
    }

    /// True if no flag is set.
    pub const fn is_empty(&self) -> bool {
        self.upper == 0 && self.lower == 0
    }

    /// True if the standard flag is set.
    pub const fn contains(&self, flag: Flag) -> bool {
        self.upper & upper_bit(flag.letter()) != 0
    }

    /// Sets a standard flag.
    pub fn insert(&mut self, flag: Flag) {
        self.upper |= upper_bit(flag.letter());
    }

    /// Clears a standard flag.
    pub fn remove(&mut self, flag: Flag) {
        self.upper &= !upper_bit(flag.letter());
    }

    /// Returns these flags with `flag` set (builder style).
    pub fn with(mut self, flag: Flag) -> Flags {
        self.insert(flag);
        self
    }

    /// True if keyword number `index` (0 = `a` .. 25 = `z`) is set.
    pub const fn has_keyword(&self, index: u8) -> bool {
        index < 26 && self.lower & (1 << index) != 0
    }

    /// Sets keyword number `index` (0 = `a` .. 25 = `z`); larger indexes
    /// are ignored.
    pub fn insert_keyword(&mut self, index: u8) {
        if index < 26 {
            self.lower |= 1 << index;
        }
    }

    /// Clears keyword number `index`.
    pub fn remove_keyword(&mut self, index: u8) {
        if index < 26 {
            self.lower &= !(1 << index);
        }
    }

    /// The set keyword numbers, ascending.
    pub fn keywords(&self) -> impl Iterator<Item = u8> + '_ {
        (0u8..26).filter(|i| self.has_keyword(*i))
    }

    /// Sets a flag by its letter: an ASCII upper-case letter (standard or
    /// not) or a keyword letter `a`..`z`. Other characters are ignored.
    pub fn insert_letter(&mut self, c: char) {
        if c.is_ascii_uppercase() {
            self.upper |= upper_bit(c);
        } else if c.is_ascii_lowercase() {
            self.lower |= 1 << (c as u32 - 'a' as u32);
        }
    }

    /// The union of both sets.
    pub const fn union(self, other: Flags) -> Flags {
        Flags {
            upper: self.upper | other.upper,
            lower: self.lower | other.lower,
        }
    }

    /// The flags of `self` that are not in `other`.
    pub const fn difference(self, other: Flags) -> Flags {
        Flags {
            upper: self.upper & !other.upper,
            lower: self.lower & !other.lower,
        }
    }

    /// Applies an operation and returns the result.
    pub fn apply(self, op: FlagOp, flags: Flags) -> Flags {
        match op {
            FlagOp::Set => flags,
            FlagOp::Add => self.union(flags),
            FlagOp::Remove => self.difference(flags),
        }
    }

    /// The set as one number (upper-case letters in the high half), for
    /// the snapshot index.
    pub(crate) const fn to_bits(self) -> u64 {
        ((self.upper as u64) << 32) | self.lower as u64
    }

    /// The set [`Flags::to_bits`] gave.
    pub(crate) const fn from_bits(bits: u64) -> Flags {
        Flags {
            upper: (bits >> 32) as u32,
            lower: bits as u32,
        }
    }
}

const fn upper_bit(c: char) -> u32 {
    1 << (c as u32 - 'A' as u32)
}

/// Writes the letters in ASCII order (upper case before lower case).
impl fmt::Display for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for i in 0..26u8 {
            if self.upper & (1 << i) != 0 {
                write!(f, "{}", char::from(b'A' + i))?;
            }
        }
        for i in 0..26u8 {
            if self.lower & (1 << i) != 0 {
                write!(f, "{}", char::from(b'a' + i))?;
            }
        }
        Ok(())
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

impl From<Flag> for Flags {
    fn from(flag: Flag) -> Flags {
        Flags::empty().with(flag)
    }
}

impl FromIterator<Flag> for Flags {
    fn from_iter<I: IntoIterator<Item = Flag>>(iter: I) -> Flags {
        let mut flags = Flags::empty();
        for flag in iter {
            flags.insert(flag);
        }
        flags
    }
}

/// How a flag change combines with the flags a message already has
/// (IMAP STORE `FLAGS`, `+FLAGS`, `-FLAGS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlagOp {
    /// Replace the flags.
    Set,
    /// Add the given flags.
    Add,
    /// Remove the given flags.
    Remove,
}

/// The keyword names of a folder, by letter: the `dovecot-keywords` file.
///
/// The file holds lines `<index> <name>`, where index 0 is the letter `a`
/// and 25 the letter `z`. It is read without a lock and replaced (written
/// to a temporary file, then renamed) under the folder's UID list lock.
///
/// # Examples
///
/// ```
/// use maildir::Keywords;
///
/// let mut kw = Keywords::parse("0 $Junk\n1 $NonJunk\n");
/// assert_eq!(kw.index_of("$nonjunk"), Some(1)); // IMAP keywords ignore case
/// assert_eq!(kw.name(0), Some("$Junk"));
/// assert_eq!(kw.insert("work").unwrap(), 2);
/// assert_eq!(kw.to_file(), "0 $Junk\n1 $NonJunk\n2 work\n");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Keywords {
    names: Vec<Option<String>>,
}

impl Keywords {
    /// Parses the file's text. Lines that are not `<0..25> <name>` are
    /// skipped, so a damaged file loses only its damaged lines.
    pub fn parse(text: &str) -> Keywords {
        let mut kw = Keywords::default();
        for line in text.lines() {
            let Some((index, name)) = line.split_once(' ') else {
                continue;
            };
            let Ok(index) = index.parse::<usize>() else {
                continue;
            };
            if index >= 26 || !valid_keyword(name) {
                continue;
            }
            if kw.names.len() <= index {
                kw.names.resize(index + 1, None);
            }
            if let Some(slot) = kw.names.get_mut(index) {
                *slot = Some(name.to_owned());
            }
        }
        kw
    }

    /// The letter index of a keyword, compared without regard to case
    /// (RFC 3501 section 2.3.2 flags are case-insensitive).
    pub fn index_of(&self, name: &str) -> Option<u8> {
        self.names
            .iter()
            .position(|n| n.as_deref().is_some_and(|n| n.eq_ignore_ascii_case(name)))
            .and_then(|i| u8::try_from(i).ok())
    }

    /// The keyword stored under letter index `index`.
    pub fn name(&self, index: u8) -> Option<&str> {
        self.names.get(usize::from(index))?.as_deref()
    }

    /// Every keyword with its index.
    pub fn iter(&self) -> impl Iterator<Item = (u8, &str)> + '_ {
        self.names
            .iter()
            .enumerate()
            .filter_map(|(i, n)| Some((u8::try_from(i).ok()?, n.as_deref()?)))
    }

    /// Returns the keyword's index, giving it the first free letter if it
    /// has none yet.
    pub fn insert(&mut self, name: &str) -> Result<u8, crate::Error> {
        if !valid_keyword(name) {
            return Err(crate::Error::InvalidKeyword(name.to_owned()));
        }
        if let Some(i) = self.index_of(name) {
            return Ok(i);
        }
        let free = self.names.iter().position(Option::is_none);
        let index = match free {
            Some(i) => i,
            None if self.names.len() < 26 => {
                self.names.push(None);
                self.names.len() - 1
            }
            None => return Err(crate::Error::TooManyKeywords(name.to_owned())),
        };
        if let Some(slot) = self.names.get_mut(index) {
            *slot = Some(name.to_owned());
        }
        u8::try_from(index).map_err(|_| crate::Error::TooManyKeywords(name.to_owned()))
    }

    /// The file's text.
    pub fn to_file(&self) -> String {
        let mut out = String::new();
        for (i, name) in self.iter() {
            out.push_str(&format!("{i} {name}\n"));
        }
        out
    }
}

/// An IMAP flag-keyword is an atom (RFC 3501 section 9, `flag-keyword`);
/// we refuse at least what would break the file: spaces, control
/// characters, and backslash-prefixed system flags.
fn valid_keyword(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 200
        && !name.starts_with('\\')
        && name
            .bytes()
            .all(|b| b > b' ' && b != 0x7f && !b"(){%*\"]".contains(&b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ascii_order_and_unknown_letters_kept() {
        let f = Flags::from_info("TzSaXD");
        assert_eq!(f.to_string(), "DSTXaz");
        assert!(f.contains(Flag::Trashed));
        assert!(f.contains(Flag::Seen) && !f.contains(Flag::Flagged));
    }

    #[test]
    fn ops() {
        let f = Flags::from_info("S");
        assert_eq!(
            f.apply(FlagOp::Add, Flags::from_info("Fb")).to_string(),
            "FSb"
        );
        assert_eq!(
            f.apply(FlagOp::Remove, Flags::from_info("S")).to_string(),
            ""
        );
        assert_eq!(f.apply(FlagOp::Set, Flags::from_info("R")).to_string(), "R");
    }

    #[test]
    fn keywords_full() {
        let mut kw = Keywords::default();
        for i in 0..26 {
            assert_eq!(kw.insert(&format!("k{i}")).unwrap(), i);
        }
        assert!(matches!(
            kw.insert("one-more"),
            Err(crate::Error::TooManyKeywords(_))
        ));
        assert!(kw.insert("bad name").is_err());
        let again = Keywords::parse(&kw.to_file());
        assert_eq!(again, kw);
        assert_eq!(
            Keywords::parse("x y\n99 z\n3 ok\n")
                .iter()
                .collect::<Vec<_>>(),
            vec![(3, "ok")]
        );
    }
}
