//! Types to bytes: commands, responses, CAPA lists, SASL lines, and
//! byte-stuffed multi-line bodies (RFC 1939 section 3).

mod stuff;

pub use stuff::DotStuffer;

use crate::types::{Capability, Command, Response, Status};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use bytes::{BufMut, BytesMut};

/// Appends a command line, CRLF included.
///
/// # Examples
///
/// ```
/// use pop3_proto::Command;
/// let mut out = bytes::BytesMut::new();
/// pop3_proto::serialize::command(&Command::Top { msg: 1, lines: 10 }, &mut out);
/// assert_eq!(&out[..], b"TOP 1 10\r\n");
/// ```
pub fn command(cmd: &Command, out: &mut BytesMut) {
    let mut put = |s: &str| out.put_slice(s.as_bytes());
    match cmd {
        Command::User { name } => {
            put("USER ");
            put(name);
        }
        Command::Pass { password } => {
            put("PASS ");
            put(password.expose());
        }
        Command::Apop { name, digest } => {
            put("APOP ");
            put(name);
            put(" ");
            put(digest);
        }
        Command::Quit => put("QUIT"),
        Command::Stat => put("STAT"),
        Command::List { msg } => {
            put("LIST");
            if let Some(n) = msg {
                put(&format!(" {n}"));
            }
        }
        Command::Retr { msg } => put(&format!("RETR {msg}")),
        Command::Dele { msg } => put(&format!("DELE {msg}")),
        Command::Noop => put("NOOP"),
        Command::Rset => put("RSET"),
        Command::Top { msg, lines } => put(&format!("TOP {msg} {lines}")),
        Command::Uidl { msg } => {
            put("UIDL");
            if let Some(n) = msg {
                put(&format!(" {n}"));
            }
        }
        Command::Capa => put("CAPA"),
        Command::Stls => put("STLS"),
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            put("AUTH ");
            put(mechanism);
            if let Some(ir) = initial_response {
                put(" ");
                if ir.expose().is_empty() {
                    // RFC 5034 section 4: an empty initial response is "=".
                    put("=");
                } else {
                    put(&BASE64.encode(ir.expose()));
                }
            }
        }
    }
    out.put_slice(b"\r\n");
}

/// Appends a single-line response (or the first line of a multi-line
/// one), CRLF included.
pub fn response(resp: &Response, out: &mut BytesMut) {
    out.put_slice(match resp.status() {
        Status::Ok => b"+OK",
        Status::Err => b"-ERR",
    });
    if let Some(code) = resp.code() {
        out.put_slice(b" [");
        out.put_slice(code.as_str().as_bytes());
        out.put_u8(b']');
    }
    if !resp.text().is_empty() {
        out.put_u8(b' ');
        out.put_slice(resp.text().as_bytes());
    }
    out.put_slice(b"\r\n");
}

/// Appends a whole CAPA response: the `+OK` line, one line per
/// capability, and the terminating `.` (RFC 2449 section 5).
pub fn capabilities(first: &Response, caps: &[Capability], out: &mut BytesMut) {
    response(first, out);
    for cap in caps {
        out.put_slice(cap.tag().as_bytes());
        for p in cap.params() {
            out.put_u8(b' ');
            out.put_slice(p.as_bytes());
        }
        out.put_slice(b"\r\n");
    }
    out.put_slice(b".\r\n");
}

/// Appends a multi-line response: the first line, the body byte-stuffed
/// with line ends made CRLF, and the terminating `.` line.
///
/// # Examples
///
/// ```
/// use pop3_proto::Response;
/// let mut out = bytes::BytesMut::new();
/// pop3_proto::serialize::multi_line(&Response::ok("").unwrap(), b".dot\nline", &mut out);
/// assert_eq!(&out[..], b"+OK\r\n..dot\r\nline\r\n.\r\n");
/// ```
pub fn multi_line(first: &Response, body: &[u8], out: &mut BytesMut) {
    response(first, out);
    let mut stuffer = DotStuffer::new();
    stuffer.push(body, out);
    stuffer.finish(out);
}

/// Appends a SASL server challenge: `+ ` and the Base64 text (RFC 5034
/// section 4; an empty challenge is `+ ` alone).
pub fn challenge(data: &[u8], out: &mut BytesMut) {
    out.put_slice(b"+ ");
    out.put_slice(BASE64.encode(data).as_bytes());
    out.put_slice(b"\r\n");
}

/// Appends a SASL client response line: the Base64 text, CRLF.
pub fn sasl_response(data: &[u8], out: &mut BytesMut) {
    out.put_slice(BASE64.encode(data).as_bytes());
    out.put_slice(b"\r\n");
}
