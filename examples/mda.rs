//! `mda`: a mail delivery agent, like procmail or dovecot-lda.
//!
//! Reads one message on standard input and delivers it, durably, into a
//! Maildir folder or an mbox file:
//!
//! ```text
//! mda --maildir ~/Maildir [--folder Lists/rust] < message
//! mda --mbox /var/spool/mail/alice [--from sender@example.org] < message
//! ```
//!
//! The exit status follows sysexits.h, which is what an MTA's pipe
//! transport reads: 0 delivered; 75 (`EX_TEMPFAIL`) when trying again
//! later may work (disk full, lock held too long); 73 (`EX_CANTCREAT`) when
//! the mailbox cannot be written (permissions); 64 (`EX_USAGE`) for bad
//! arguments or folder names. A missing Maildir folder is created.

use std::io::{self, Read};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use maildir::{Error, Store};

/// sysexits.h: the command was used incorrectly.
const EX_USAGE: u8 = 64;
/// sysexits.h: a (user specified) output file cannot be created.
const EX_CANTCREAT: u8 = 73;
/// sysexits.h: temporary failure; the sender should try again later.
const EX_TEMPFAIL: u8 = 75;

/// Deliver one message from standard input into a Maildir or an mbox.
#[derive(Debug, Parser)]
#[command(name = "mda", version)]
struct Args {
    /// Maildir to deliver into (created if missing).
    #[arg(
        long,
        value_name = "DIR",
        conflicts_with = "mbox",
        required_unless_present = "mbox"
    )]
    maildir: Option<PathBuf>,
    /// Maildir++ folder inside the Maildir, `/` separating levels
    /// (default: INBOX).
    #[arg(
        long,
        value_name = "NAME",
        requires = "maildir",
        conflicts_with = "mbox"
    )]
    folder: Option<String>,
    /// mbox file to append to (created if missing).
    #[arg(long, value_name = "FILE")]
    mbox: Option<PathBuf>,
    /// Envelope sender (reverse-path) for the mbox `From ` line.
    #[arg(short = 'f', long = "from", value_name = "ADDRESS", default_value = "")]
    from: String,
}

/// Delivers `message` as `args` say; returns the UID it got.
fn deliver(args: &Args, message: impl Read) -> Result<u32, Error> {
    if let Some(dir) = &args.maildir {
        let store = Store::maildir(dir)?;
        let folder = args.folder.as_deref().unwrap_or(maildir::INBOX);
        if !store.folder_exists(folder)? {
            store.create_folder(folder)?;
        }
        store.deliver_as(folder, &args.from, message)
    } else if let Some(file) = &args.mbox {
        Store::mbox(file)?.deliver_as(maildir::INBOX, &args.from, message)
    } else {
        unreachable!("clap requires --maildir or --mbox")
    }
}

/// The sysexits.h status for a failed delivery.
fn exit_status(err: &Error) -> u8 {
    if err.is_temporary() {
        return EX_TEMPFAIL;
    }
    match err {
        Error::InvalidFolderName { .. } => EX_USAGE,
        Error::Io { source, .. } => match source.kind() {
            io::ErrorKind::PermissionDenied
            | io::ErrorKind::ReadOnlyFilesystem
            | io::ErrorKind::NotADirectory
            | io::ErrorKind::IsADirectory
            | io::ErrorKind::InvalidFilename
            | io::ErrorKind::AlreadyExists => EX_CANTCREAT,
            // Anything else may pass: let the MTA keep the message.
            _ => EX_TEMPFAIL,
        },
        Error::FolderNotAllowed(_) | Error::Unsupported(_) => EX_CANTCREAT,
        _ => EX_TEMPFAIL,
    }
}

fn main() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let code = if e.use_stderr() { EX_USAGE } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    match deliver(&args, io::stdin().lock()) {
        Ok(_uid) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("mda: {e}");
            ExitCode::from(exit_status(&e))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(argv: &[&str]) -> Result<Args, clap::Error> {
        Args::try_parse_from(std::iter::once("mda").chain(argv.iter().copied()))
    }

    #[test]
    fn usage_errors() {
        assert!(args(&[]).is_err());
        assert!(args(&["--maildir", "a", "--mbox", "b"]).is_err());
        assert!(args(&["--mbox", "b", "--folder", "x"]).is_err());
        assert!(args(&["--maildir", "a", "--folder", "x"]).is_ok());
    }

    #[test]
    fn delivers_into_a_maildir_folder_and_an_mbox() {
        let tmp = tempfile::tempdir().unwrap();
        let md = tmp.path().join("Maildir");
        let a = args(&["--maildir", md.to_str().unwrap(), "--folder", "Lists/rust"]).unwrap();
        assert_eq!(deliver(&a, &b"Subject: x\n\nhello\n"[..]).unwrap(), 1);
        assert_eq!(deliver(&a, &b"Subject: y\n\nhello\n"[..]).unwrap(), 2);
        assert_eq!(
            std::fs::read_dir(md.join(".Lists.rust/new"))
                .unwrap()
                .count(),
            2
        );

        let mbox = tmp.path().join("spool/alice");
        let a = args(&["--mbox", mbox.to_str().unwrap(), "-f", "bob@example.org"]).unwrap();
        assert_eq!(deliver(&a, &b"Subject: z\n\nFrom me\n"[..]).unwrap(), 1);
        let text = std::fs::read_to_string(&mbox).unwrap();
        assert!(text.starts_with("From bob@example.org "));
        assert!(text.contains("\n>From me\n\n"));
    }

    #[test]
    fn statuses() {
        let tmp = tempfile::tempdir().unwrap();
        let md = tmp.path().join("Maildir");
        let bad = args(&["--maildir", md.to_str().unwrap(), "--folder", "../etc"]).unwrap();
        assert_eq!(
            exit_status(&deliver(&bad, &b"x"[..]).unwrap_err()),
            EX_USAGE
        );
        // A file where the Maildir should be: cannot create.
        let file = tmp.path().join("plain-file");
        std::fs::write(&file, "").unwrap();
        let a = args(&["--maildir", file.join("sub").to_str().unwrap()]).unwrap();
        assert_eq!(
            exit_status(&deliver(&a, &b"x"[..]).unwrap_err()),
            EX_CANTCREAT
        );
        let full = Error::io("write", "/x", io::Error::from(io::ErrorKind::StorageFull));
        assert_eq!(exit_status(&full), EX_TEMPFAIL);
        assert_eq!(exit_status(&Error::LockTimeout("/x".into())), EX_TEMPFAIL);
    }
}
