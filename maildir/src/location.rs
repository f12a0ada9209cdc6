//! `mail_location`: where a user's mail lives, in Dovecot's notation.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The storage format of a mail location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// A Maildir++ tree: INBOX is the root Maildir, folders are `.name`
    /// subdirectories.
    Maildir,
    /// One mbox file as INBOX (the classic `/var/spool/mail/<user>`),
    /// optionally with a directory of further mbox folders.
    Mbox,
}

/// A parsed `mail_location` such as `maildir:~/Maildir` or
/// `mbox:/var/spool/mail/%u`.
///
/// Syntax: `<format>:<path>[:<KEY>=<value>]...`, format `maildir` or
/// `mbox`. In the path and values, `~` at the start is the home
/// directory, `%u` the user name, `%n` its part before `@`, `%d` its part
/// after `@`, `%h` the home directory and `%%` a percent sign.
///
/// For `mbox`, the path is the INBOX file unless `INBOX=<file>` is given, in
/// which case the path is a directory holding further folders, one mbox
/// file each (`~/mail`, Dovecot's `fs` layout).
///
/// # Examples
///
/// ```
/// use maildir::{MailLocation, Format};
/// use std::path::Path;
///
/// let loc = MailLocation::parse("maildir:~/Maildir", "alice", Some(Path::new("/home/alice")))?;
/// assert_eq!(loc.format, Format::Maildir);
/// assert_eq!(loc.path, Path::new("/home/alice/Maildir"));
///
/// let loc = MailLocation::parse("mbox:/var/spool/mail/%u", "bob", None)?;
/// assert_eq!(loc.inbox, Path::new("/var/spool/mail/bob"));
///
/// // A user name cannot walk out of the spool.
/// assert!(MailLocation::parse("mbox:/var/spool/mail/%u", "../etc/passwd", None).is_err());
/// # Ok::<(), maildir::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct MailLocation {
    /// The storage format.
    pub format: Format,
    /// Maildir: the root Maildir. Mbox: the folder directory, or the
    /// INBOX file when there is none.
    pub path: PathBuf,
    /// The INBOX: the root Maildir, or the INBOX mbox file.
    pub inbox: PathBuf,
    /// Mbox only: the directory of further folders, if any.
    pub folder_dir: Option<PathBuf>,
}

impl MailLocation {
    /// Parses and expands a location for `user` (whose home is `home`).
    pub fn parse(spec: &str, user: &str, home: Option<&Path>) -> Result<MailLocation> {
        let bad = |reason| Error::InvalidLocation {
            spec: spec.to_owned(),
            reason,
        };
        // The user name ends up in a path: it must be one plain component.
        if user.is_empty()
            || user.split('@').any(|part| part == "." || part == "..")
            || user.contains('/')
            || user.chars().any(|c| c.is_control())
        {
            return Err(bad("the user name cannot be used in a path"));
        }
        let (format, rest) = spec
            .split_once(':')
            .ok_or(bad("expected <format>:<path>"))?;
        let format = match format.to_ascii_lowercase().as_str() {
            "maildir" => Format::Maildir,
            "mbox" => Format::Mbox,
            _ => return Err(bad("the format must be maildir or mbox")),
        };
        let mut parts = rest.split(':');
        let path = parts.next().unwrap_or_default();
        let mut inbox = None;
        for opt in parts {
            let (key, value) = opt.split_once('=').ok_or(bad("expected KEY=value"))?;
            match key.to_ascii_uppercase().as_str() {
                "INBOX" => {
                    inbox = Some(expand(value, user, home).ok_or(bad("cannot expand INBOX"))?)
                }
                // Dovecot's index and control options do not apply to us.
                "INDEX" | "CONTROL" | "LAYOUT" | "UTF8" | "VOLATILEDIR" | "DIRNAME" => {}
                _ => return Err(bad("unknown option")),
            }
        }
        if path.is_empty() {
            return Err(bad("empty path"));
        }
        let path = expand(path, user, home).ok_or(bad("~ or %h used without a home"))?;
        Ok(match format {
            Format::Maildir => MailLocation {
                format,
                inbox: path.clone(),
                path,
                folder_dir: None,
            },
            Format::Mbox => match inbox {
                Some(inbox) => MailLocation {
                    format,
                    folder_dir: Some(path.clone()),
                    path,
                    inbox,
                },
                None => MailLocation {
                    format,
                    inbox: path.clone(),
                    path,
                    folder_dir: None,
                },
            },
        })
    }
}

fn expand(s: &str, user: &str, home: Option<&Path>) -> Option<PathBuf> {
    let mut out = String::new();
    let home_str = home.map(|h| h.to_string_lossy().into_owned());
    let rest = if let Some(r) = s.strip_prefix('~') {
        out.push_str(home_str.as_deref()?);
        r
    } else {
        s
    };
    let mut chars = rest.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            'u' => out.push_str(user),
            'n' => out.push_str(user.split('@').next().unwrap_or(user)),
            'd' => out.push_str(user.split_once('@').map_or("", |(_, d)| d)),
            'h' => out.push_str(home_str.as_deref()?),
            '%' => out.push('%'),
            _ => return None,
        }
    }
    Some(PathBuf::from(out))
}
