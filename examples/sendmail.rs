//! A sendmail-compatible entry: programs that shell out to
//! `/usr/sbin/sendmail` (cron, PHP's mail(), git send-email, mutt) hand
//! their message to missive unchanged.
//!
//! ```text
//! cargo build --example sendmail
//! printf 'Subject: hi\n\nhello\n' | target/debug/examples/sendmail -f bob alice
//! target/debug/examples/sendmail -t -oi < message.eml   # recipients from To/Cc/Bcc
//! target/debug/examples/sendmail -bs                    # SMTP on stdin/stdout
//! ```
//!
//! The message is read from standard input and submitted over SMTP to a
//! running server: 127.0.0.1:10025 (full_server's SMTP listener), or
//! `--server HOST:PORT`, or the `MISSIVE_SMTP_SERVER` environment
//! variable. STARTTLS is used when the server offers it (the certificate
//! is not checked, as Postfix's `smtp_tls_security_level = may`). For a
//! submission port that requires AUTH, `--user NAME` (or
//! `MISSIVE_SMTP_USER`) with the password in `MISSIVE_SMTP_PASSWORD` (not
//! on the command line, where `ps` shows it) authenticates after
//! STARTTLS. It does not write into the queue directory itself: the
//! engine's journal belongs to the process that opened it (see
//! `mta_core::queue::snapshot`), so a second process submits over SMTP,
//! which also puts the message through the same policy as any other.
//!
//! Flags (as sendmail(8) and Postfix's sendmail(1) read them; a value may
//! follow its flag in the same argument or the next one):
//!
//! | flag | meaning |
//! |------|---------|
//! | `-t` | recipients from the To:, Cc: and Bcc: headers, added to those on the command line; Bcc: is removed |
//! | `-f sender`, `-r sender` | the envelope sender (reverse-path); `-f '<>'` for the null sender |
//! | `-F name` | the full name in the From: header this program adds when there is none |
//! | `-i`, `-oi` | a line with a single `.` does not end the message (without it, it does) |
//! | `-bm` | read the message and deliver it (the default) |
//! | `-bs` | speak SMTP on stdin/stdout, relayed to the server |
//! | `-bp` | list the queue, as mailq (of `./missive-data/queue`, or `--data DIR`'s) |
//! | `-bi` | newaliases: succeeds at once (alias tables are read from their text; nothing to rebuild) |
//! | `--server HOST:PORT`, `--origin DOMAIN`, `--user NAME`, `--data DIR` | missive's own: where to submit, the domain of unqualified addresses, the AUTH user, full_server's data directory for `-bp` |
//! | `-o...`, `-O ...`, `-B type`, `-N dsn`, `-R ret`, `-V envid`, `-L tag`, `-h hops`, `-C file`, `-X file`, `-p proto`, `-q...`, `-v`, `-n`, `-U`, `-m`, `-em`, `-ee`, `-ep`, `-eq`, `-ew`, `-d...` | accepted and ignored, as by Postfix |
//!
//! Addresses without a domain get `@localhost` (full_server's domain), or
//! the `--origin DOMAIN` given, as Postfix appends $myorigin. The sender
//! defaults to the login name (`$LOGNAME`, `$USER`). Date:, From: and
//! Message-ID: are added when the message has none; line ends become
//! CRLF.
//!
//! Exit status (sysexits.h, as sendmail): 0 when the server accepted every
//! recipient; 67 (EX_NOUSER) when it refused a recipient permanently and 75
//! (EX_TEMPFAIL) when temporarily, the refusals printed on stderr — the
//! other recipients have the message then; 64 (EX_USAGE) for bad
//! arguments, 65 (EX_DATAERR) for an address that cannot be parsed, 69
//! (EX_UNAVAILABLE) when the server cannot be reached or refuses the
//! session.

use std::io::Read;
use std::process::ExitCode;
use std::time::{SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use mta_core::tls::Connector;
use smtp_proto::client::{Config, Envelope};
use smtp_proto::{ForwardPath, Host, Mailbox, ReversePath, Secret};
use tokio::io::AsyncWriteExt;

#[path = "support/date.rs"]
mod date;
use date::rfc5322_date;
#[path = "support/listing.rs"]
mod listing;

const EX_USAGE: u8 = 64;
const EX_DATAERR: u8 = 65;
const EX_NOUSER: u8 = 67;
const EX_UNAVAILABLE: u8 = 69;
const EX_TEMPFAIL: u8 = 75;

/// What the command line asks for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    /// `-t`.
    extract: bool,
    /// `-f` / `-r`.
    sender: Option<String>,
    /// `-F`.
    full_name: Option<String>,
    /// `-i` / `-oi`.
    ignore_dots: bool,
    /// `-bs`.
    smtp_on_stdio: bool,
    /// `-bp`.
    list_queue: bool,
    /// `-bi`.
    initialize_aliases: bool,
    /// `--data`.
    data: Option<String>,
    /// `--server`.
    server: Option<String>,
    /// `--origin`.
    origin: Option<String>,
    /// `--user`.
    user: Option<String>,
    /// The recipients on the command line.
    recipients: Vec<String>,
}

/// Flags that take a value (in the same argument or the next).
const WITH_VALUE: &[char] = &[
    'f', 'r', 'F', 'B', 'N', 'R', 'V', 'L', 'h', 'C', 'X', 'p', 'O',
];

/// Reads sendmail's command line (without the program name).
fn parse_args(args: &[String]) -> Result<Options, String> {
    let mut o = Options::default();
    let mut i = 0;
    while i < args.len() {
        let arg = &args[i];
        i += 1;
        if arg == "--" {
            o.recipients.extend(args[i..].iter().cloned());
            break;
        }
        // missive's own long options (sendmail has none).
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_owned())),
                None => (long, None),
            };
            let value = match inline {
                Some(v) => v,
                None => {
                    let v = args
                        .get(i)
                        .cloned()
                        .ok_or(format!("--{name} needs a value"))?;
                    i += 1;
                    v
                }
            };
            match name {
                "server" => o.server = Some(value),
                "origin" => o.origin = Some(value),
                "user" => o.user = Some(value),
                "data" => o.data = Some(value),
                _ => return Err(format!("unknown option --{name}")),
            }
            continue;
        }
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            o.recipients.push(arg.clone());
            continue;
        };
        let mut chars = flags.chars();
        let Some(flag) = chars.next() else { continue };
        let attached = chars.as_str();
        if WITH_VALUE.contains(&flag) {
            let value = if attached.is_empty() {
                let v = args
                    .get(i)
                    .cloned()
                    .ok_or(format!("-{flag} needs a value"))?;
                i += 1;
                v
            } else {
                attached.to_owned()
            };
            match flag {
                'f' | 'r' => o.sender = Some(value),
                'F' => o.full_name = Some(value),
                // -O option=value and the DSN/queue flags: ignored.
                _ => {}
            }
            continue;
        }
        match flag {
            't' => o.extract = true,
            'i' => o.ignore_dots = true,
            // -oXvalue: only -oi means something here; the rest
            // (-oem, -odb, -oQ/dir ...) is ignored as Postfix does.
            'o' => {
                if attached == "i" {
                    o.ignore_dots = true;
                }
            }
            'b' => match attached {
                "s" => o.smtp_on_stdio = true,
                "p" => o.list_queue = true,
                "i" => o.initialize_aliases = true,
                "m" | "" => {}
                other => {
                    return Err(format!(
                        "-b{other} is not supported (only -bm, -bs, -bp and -bi)"
                    ));
                }
            },
            // -q[time], -d[flags], -e[x], -v, -n, -U, -m: ignored.
            'q' | 'd' | 'e' | 'v' | 'n' | 'U' | 'm' | 'A' => {}
            _ => return Err(format!("unknown flag -{flags}")),
        }
    }
    Ok(o)
}

/// The message as read from stdin: line ends CRLF; without `-i` a line
/// holding only `.` ends it (that line is not part of the message).
fn read_message(input: &[u8], ignore_dots: bool) -> Vec<u8> {
    let mut out = Vec::with_capacity(input.len() + input.len() / 32);
    for line in input.split_inclusive(|&b| b == b'\n') {
        let bare = line.strip_suffix(b"\n").unwrap_or(line);
        let bare = bare.strip_suffix(b"\r").unwrap_or(bare);
        if !ignore_dots && bare == b"." {
            break;
        }
        out.extend_from_slice(bare);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// Where the header section ends (RFC 5322 2.1): the offset of the empty
/// line, or of the first line that is not a header field (a message
/// typed without headers starts its body at once), and whether the empty
/// line separating header and body is there.
fn header_end(message: &[u8]) -> (usize, bool) {
    let mut at = 0;
    for line in message.split_inclusive(|&b| b == b'\n') {
        if line == b"\r\n" {
            return (at, true);
        }
        let continuation = at > 0 && matches!(line.first(), Some(b' ' | b'\t'));
        // field-name = 1*ftext (printable US-ASCII except ':'), then ':'.
        let field = line
            .iter()
            .position(|&b| b == b':')
            .is_some_and(|i| i > 0 && line[..i].iter().all(|&b| (33..=126).contains(&b)));
        if !continuation && !field {
            return (at, false);
        }
        at += line.len();
    }
    (at, false)
}

/// The header fields as (name, whole field including folded lines).
fn fields(header: &[u8]) -> Vec<(String, std::ops::Range<usize>)> {
    let mut out: Vec<(String, std::ops::Range<usize>)> = Vec::new();
    let mut at = 0;
    for line in header.split_inclusive(|&b| b == b'\n') {
        let end = at + line.len();
        match line.first() {
            Some(b' ' | b'\t') => {
                if let Some(last) = out.last_mut() {
                    last.1.end = end;
                }
            }
            _ => {
                let name = line
                    .iter()
                    .position(|&b| b == b':')
                    .map(|i| {
                        String::from_utf8_lossy(&line[..i])
                            .trim()
                            .to_ascii_lowercase()
                    })
                    .unwrap_or_default();
                out.push((name, at..end));
            }
        }
        at = end;
    }
    out
}

/// The addresses in an address-list header value (RFC 5322 3.4): display
/// names, comments and groups are skipped.
fn addresses_in(value: &str) -> Vec<String> {
    // Drop comments (not nested deeper than needed here) and quoted text.
    let mut plain = String::with_capacity(value.len());
    let (mut depth, mut quoted, mut escaped) = (0usize, false, false);
    for c in value.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if quoted || depth > 0 => escaped = true,
            '"' if depth == 0 => quoted = !quoted,
            '(' if !quoted => depth += 1,
            ')' if !quoted && depth > 0 => depth -= 1,
            _ if quoted || depth > 0 => {}
            '\r' | '\n' => plain.push(' '),
            _ => plain.push(c),
        }
    }
    let mut out = Vec::new();
    // A group "name: a, b;" lists its members after the colon.
    for item in plain.split([',', ';']) {
        let item = item.rsplit_once(':').map_or(item, |(_, rest)| rest);
        let address = match (item.find('<'), item.rfind('>')) {
            (Some(open), Some(close)) if open < close => &item[open + 1..close],
            _ => item,
        };
        let address = address.trim();
        if !address.is_empty() {
            out.push(address.to_owned());
        }
    }
    out
}

/// `-t`: the recipients in To:, Cc: and Bcc:, and the message without its
/// Bcc: fields (RFC 5322 3.6.3: blind copies are not shown).
fn extract_recipients(message: &[u8]) -> (Vec<String>, Vec<u8>) {
    let (end, _) = header_end(message);
    let header = &message[..end];
    let mut recipients = Vec::new();
    let mut kept = Vec::with_capacity(message.len());
    for (name, range) in fields(header) {
        let field = &header[range];
        if matches!(name.as_str(), "to" | "cc" | "bcc") {
            let text = String::from_utf8_lossy(field);
            if let Some((_, value)) = text.split_once(':') {
                recipients.extend(addresses_in(value));
            }
        }
        if name != "bcc" {
            kept.extend_from_slice(field);
        }
    }
    kept.extend_from_slice(&message[end..]);
    (recipients, kept)
}

/// Adds the fields a message must have (RFC 5322 3.6: Date and From) and
/// Message-ID, as Postfix's cleanup does for local submissions.
fn complete_header(message: Vec<u8>, from: &str, full_name: Option<&str>, host: &str) -> Vec<u8> {
    let (end, separated) = header_end(&message);
    let names: Vec<String> = fields(&message[..end])
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    let has = |n: &str| names.iter().any(|m| m == n);
    let mut added = String::new();
    if !has("date") {
        added.push_str(&format!("Date: {}\r\n", rfc5322_date(SystemTime::now())));
    }
    if !has("from") {
        let shown = if from.is_empty() {
            "MAILER-DAEMON"
        } else {
            from
        };
        match full_name {
            Some(name) => {
                let name = name.replace(['\\', '"', '\r', '\n'], "");
                added.push_str(&format!("From: \"{name}\" <{shown}>\r\n"));
            }
            None => added.push_str(&format!("From: {shown}\r\n")),
        }
    }
    if !has("message-id") {
        let micros = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_micros();
        added.push_str(&format!(
            "Message-ID: <{micros}.{}@{host}>\r\n",
            std::process::id()
        ));
    }
    let mut out = added.into_bytes();
    out.extend_from_slice(&message[..end]);
    if !separated {
        // The body began without the empty line: put it in.
        out.extend_from_slice(b"\r\n");
    }
    out.extend_from_slice(&message[end..]);
    out
}

/// `user` becomes `user@origin`; `<>` and empty stay the null path.
fn qualify(address: &str, origin: &str) -> String {
    let a = address.trim().trim_start_matches('<').trim_end_matches('>');
    if a.is_empty() || a.contains('@') {
        a.to_owned()
    } else {
        format!("{a}@{origin}")
    }
}

fn login_name() -> String {
    ["LOGNAME", "USER"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.is_empty()))
        .unwrap_or_else(|| "nobody".to_owned())
}

/// `-bs`: the server's SMTP session on stdin/stdout. Ends when the
/// server closes the connection (after QUIT, or after stdin's end was
/// passed on).
async fn relay_stdio(server: &str) -> Result<(), std::io::Error> {
    let socket = tokio::net::TcpStream::connect(server).await?;
    let (mut from_server, mut to_server) = socket.into_split();
    tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let _ = tokio::io::copy(&mut stdin, &mut to_server).await;
        let _ = to_server.shutdown().await;
    });
    let mut stdout = tokio::io::stdout();
    tokio::io::copy(&mut from_server, &mut stdout).await?;
    stdout.flush().await
}

/// The client configuration: opportunistic STARTTLS, and AUTH when a user
/// is given (only over TLS).
fn client_config(helo: Host, user: Option<String>) -> Result<Config, (u8, String)> {
    let mut config = Config::new(helo);
    if let Some(user) = user {
        let password = std::env::var("MISSIVE_SMTP_PASSWORD").map_err(|_| {
            (
                EX_USAGE,
                format!("--user {user}: set the password in MISSIVE_SMTP_PASSWORD"),
            )
        })?;
        config.credentials = Some((user, Secret::new(password)));
    }
    Ok(config)
}

async fn submit(o: Options, server: &str) -> Result<u8, (u8, String)> {
    let origin = o.origin.clone().unwrap_or_else(|| "localhost".to_owned());
    let mut input = Vec::new();
    std::io::stdin()
        .read_to_end(&mut input)
        .map_err(|e| (EX_UNAVAILABLE, format!("reading the message: {e}")))?;
    let mut message = read_message(&input, o.ignore_dots);
    let mut recipients: Vec<String> = o.recipients.iter().map(|r| qualify(r, &origin)).collect();
    if o.extract {
        let (found, without_bcc) = extract_recipients(&message);
        message = without_bcc;
        recipients.extend(found.iter().map(|r| qualify(r, &origin)));
    }
    recipients.dedup();
    if recipients.is_empty() {
        return Err((EX_USAGE, "no recipients (give them or use -t)".into()));
    }
    let sender = match &o.sender {
        Some(s) if s.trim() == "<>" || s.trim().is_empty() => String::new(),
        Some(s) => qualify(s, &origin),
        None => qualify(&login_name(), &origin),
    };
    let message = complete_header(message, &sender, o.full_name.as_deref(), &origin);

    let mailbox = |s: &str| Mailbox::parse(s).map_err(|e| (EX_DATAERR, format!("{s:?}: {e}")));
    let reverse_path = if sender.is_empty() {
        ReversePath::Null
    } else {
        ReversePath::Mailbox(mailbox(&sender)?)
    };
    let mut forward = Vec::new();
    for r in &recipients {
        forward.push((ForwardPath::Mailbox(mailbox(r)?), Default::default()));
    }
    let envelope = Envelope {
        reverse_path,
        parameters: Default::default(),
        recipients: forward,
    };
    let helo = Host::parse(&origin).map_err(|e| (EX_USAGE, format!("--origin: {e}")))?;
    let user = o.user.or_else(|| std::env::var("MISSIVE_SMTP_USER").ok());
    let config = client_config(helo, user)?;
    let host = server.rsplit_once(':').map_or(server, |(h, _)| h);
    let tls = Connector::opportunistic(host.trim_matches(['[', ']']))
        .map_err(|e| (EX_UNAVAILABLE, format!("TLS: {e}")))?;
    let socket = tokio::net::TcpStream::connect(server)
        .await
        .map_err(|e| (EX_UNAVAILABLE, format!("connect to {server}: {e}")))?;
    let outcome =
        smtp_proto::tokio::send_message(socket, config, envelope, Bytes::from(message), Some(&tls))
            .await
            .map_err(|e| (EX_UNAVAILABLE, format!("{server}: {e}")))?;
    let mut status = 0;
    for r in &outcome.recipients {
        if !r.is_delivered() {
            eprintln!("sendmail: {}: {}", r.forward_path, r.reply);
            let code = if r.reply.is_permanent() {
                EX_NOUSER
            } else {
                EX_TEMPFAIL
            };
            // A temporary failure is the one to report: retrying helps.
            status = if status == EX_TEMPFAIL { status } else { code };
        }
    }
    Ok(status)
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let o = match parse_args(&args) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("sendmail: {e}");
            return ExitCode::from(EX_USAGE);
        }
    };
    let server = o
        .server
        .clone()
        .or_else(|| std::env::var("MISSIVE_SMTP_SERVER").ok())
        .unwrap_or_else(|| "127.0.0.1:10025".to_owned());
    if o.list_queue {
        // mailq's listing of DATA/queue, read without writing.
        let dir = std::path::Path::new(o.data.as_deref().unwrap_or("./missive-data")).join("queue");
        return match mta_core::queue::snapshot(&dir) {
            Ok(entries) => {
                print!("{}", listing::render(&entries));
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("sendmail: {}: {e}", dir.display());
                ExitCode::from(EX_TEMPFAIL)
            }
        };
    }
    if o.initialize_aliases {
        // newaliases: alias tables are read from their source text, so
        // there is no database to rebuild.
        return ExitCode::SUCCESS;
    }
    if o.smtp_on_stdio {
        // Exit at once: a read of stdin still blocked in tokio's thread
        // pool would hold up the runtime's shutdown.
        std::process::exit(match relay_stdio(&server).await {
            Ok(()) => 0,
            Err(e) => {
                eprintln!("sendmail: {server}: {e}");
                i32::from(EX_UNAVAILABLE)
            }
        });
    }
    match submit(o, &server).await {
        Ok(code) => ExitCode::from(code),
        Err((code, e)) => {
            eprintln!("sendmail: {e}");
            ExitCode::from(code)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_owned).collect()
    }

    #[test]
    fn classic_flags() {
        let o = parse_args(&args("-t -oi -f bob@example.org -FBob -oem -odb alice")).unwrap();
        assert!(o.extract && o.ignore_dots);
        assert_eq!(o.sender.as_deref(), Some("bob@example.org"));
        assert_eq!(o.full_name.as_deref(), Some("Bob"));
        assert_eq!(o.recipients, ["alice"]);

        let o = parse_args(&args("-i -fbob -F Bob -N never -R hdrs -V id1 -- -weird")).unwrap();
        assert!(o.ignore_dots && !o.extract);
        assert_eq!(o.sender.as_deref(), Some("bob"));
        assert_eq!(o.full_name.as_deref(), Some("Bob"));
        assert_eq!(o.recipients, ["-weird"]);

        assert!(parse_args(&args("-bs")).unwrap().smtp_on_stdio);
        assert!(parse_args(&args("-bp")).unwrap().list_queue);
        assert!(parse_args(&args("-bi")).unwrap().initialize_aliases);
        assert!(parse_args(&args("-bv")).is_err());
        assert!(parse_args(&args("-Z")).is_err());
        assert!(parse_args(&args("-f")).is_err());
        let o = parse_args(&args(
            "--server 127.0.0.1:1 --origin=example.org --user u -r x a b",
        ))
        .unwrap();
        assert_eq!(o.user.as_deref(), Some("u"));
        assert_eq!(o.server.as_deref(), Some("127.0.0.1:1"));
        assert_eq!(o.origin.as_deref(), Some("example.org"));
        assert_eq!(o.sender.as_deref(), Some("x"));
        assert_eq!(o.recipients, ["a", "b"]);
    }

    #[test]
    fn a_lone_dot_ends_the_message_unless_i() {
        let input = b"Subject: x\n\none\n.\ntwo\n";
        assert_eq!(read_message(input, false), b"Subject: x\r\n\r\none\r\n");
        assert_eq!(
            read_message(input, true),
            b"Subject: x\r\n\r\none\r\n.\r\ntwo\r\n"
        );
        assert_eq!(read_message(b"a\r\nb", true), b"a\r\nb\r\n");
        assert_eq!(read_message(b"..\n", false), b"..\r\n");
    }

    #[test]
    fn recipients_from_headers_and_bcc_removed() {
        let m = read_message(
            b"From: Bob <bob@example.org>\nTo: \"Smith, Al\" <al@example.org>, carol\n\
              Cc: team: dan@example.org, (x) eve@example.org;\nBcc: frank@example.org,\n  \
              gina@example.org\nSubject: to: nobody@example.org\n\nBcc: body@example.org\n",
            true,
        );
        let (r, kept) = extract_recipients(&m);
        assert_eq!(
            r,
            [
                "al@example.org",
                "carol",
                "dan@example.org",
                "eve@example.org",
                "frank@example.org",
                "gina@example.org"
            ]
        );
        let kept = String::from_utf8(kept).unwrap();
        assert!(!kept.contains("frank") && !kept.contains("gina"), "{kept}");
        assert!(kept.contains("\r\n\r\nBcc: body@example.org\r\n"), "{kept}");
        assert!(kept.starts_with("From: Bob"), "{kept}");
    }

    #[test]
    fn missing_fields_are_added() {
        let m = complete_header(
            b"Subject: x\r\n\r\nbody\r\n".to_vec(),
            "bob@h",
            Some("Bob B"),
            "h",
        );
        let m = String::from_utf8(m).unwrap();
        assert!(m.starts_with("Date: "), "{m}");
        assert!(m.contains("From: \"Bob B\" <bob@h>\r\n"), "{m}");
        assert!(m.contains("Message-ID: <"), "{m}");
        assert!(m.ends_with("Subject: x\r\n\r\nbody\r\n"), "{m}");

        let m = complete_header(b"\r\nbody only\r\n".to_vec(), "", None, "h");
        let m = String::from_utf8(m).unwrap();
        assert!(m.contains("From: MAILER-DAEMON\r\n"), "{m}");
        assert!(m.ends_with("\r\n\r\nbody only\r\n"), "{m}");

        let full = b"Date: x\r\nFrom: a@b\r\nMessage-ID: <1@b>\r\n\r\nbody\r\n";
        assert_eq!(complete_header(full.to_vec(), "a@b", None, "h"), full);
    }

    #[test]
    fn a_message_without_header_gets_one() {
        let m = complete_header(b"hello there\r\n".to_vec(), "a@b", None, "h");
        let m = String::from_utf8(m).unwrap();
        assert!(m.ends_with("\r\n\r\nhello there\r\n"), "{m}");
        assert!(m.contains("From: a@b\r\n"), "{m}");
        assert_eq!(header_end(b"To: x\r\n y\r\n\r\nb"), (11, true));
        assert_eq!(header_end(b"To: x\r\nbody line\r\n"), (7, false));
        assert_eq!(header_end(b"To: x\r\n"), (7, false));
    }

    proptest::proptest! {
        /// Whatever a program pipes in: no panic, CRLF line ends only, a
        /// header section that ends, no Bcc: left after -t.
        #[test]
        fn any_input_gives_a_well_formed_message(
            input in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..512),
            ignore_dots in proptest::prelude::any::<bool>(),
        ) {
            let m = read_message(&input, ignore_dots);
            for line in m.split_inclusive(|&b| b == b'\n') {
                proptest::prop_assert!(line.ends_with(b"\r\n"));
                proptest::prop_assert!(!line[..line.len() - 2].contains(&b'\n'));
            }
            let (_, without_bcc) = extract_recipients(&m);
            let (end, _) = header_end(&without_bcc);
            let names = fields(&without_bcc[..end]);
            proptest::prop_assert!(names.iter().all(|(n, _)| n != "bcc"));
            let done = complete_header(without_bcc, "a@b", Some("A"), "h");
            let (end, separated) = header_end(&done);
            proptest::prop_assert!(separated);
            let names: Vec<String> = fields(&done[..end]).into_iter().map(|(n, _)| n).collect();
            for required in ["date", "from", "message-id"] {
                proptest::prop_assert!(names.iter().any(|n| n == required), "{names:?}");
            }
        }

        /// Address lists of any text: no panic, no empty address.
        #[test]
        fn any_address_list(value in "\\PC{0,200}") {
            proptest::prop_assert!(addresses_in(&value).iter().all(|a| !a.is_empty()));
        }
    }

    #[test]
    fn addresses_are_qualified() {
        assert_eq!(qualify("alice", "localhost"), "alice@localhost");
        assert_eq!(qualify("<a@b>", "localhost"), "a@b");
        assert_eq!(qualify("<>", "localhost"), "");
    }
}
