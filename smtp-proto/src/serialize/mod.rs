//! Serializers: commands (client side) and replies (server side), written
//! into a `BytesMut`.

use bytes::{BufMut, BytesMut};

use crate::types::sasl::base64_encode;
use crate::types::{
    Body, Command, InitialResponse, MailParameters, Notify, Parameter, RcptParameters, Reply, Ret,
};

/// Writes a command line with its CRLF.
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use smtp_proto::{serialize, Command};
/// let mut out = BytesMut::new();
/// serialize::command(&Command::Bdat { size: 42, last: true }, &mut out);
/// assert_eq!(&out[..], b"BDAT 42 LAST\r\n");
/// ```
pub fn command(cmd: &Command, out: &mut BytesMut) {
    use std::fmt::Write;
    let mut s = String::new();
    // Writing into a String cannot fail.
    let _ = match cmd {
        Command::Ehlo(h) => write!(s, "EHLO {h}"),
        Command::Helo(h) => write!(s, "HELO {h}"),
        Command::Lhlo(h) => write!(s, "LHLO {h}"),
        Command::Mail {
            reverse_path,
            parameters,
        } => {
            let _ = write!(s, "MAIL FROM:{reverse_path}");
            mail_parameters(parameters, &mut s);
            Ok(())
        }
        Command::Rcpt {
            forward_path,
            parameters,
        } => {
            let _ = write!(s, "RCPT TO:{forward_path}");
            rcpt_parameters(parameters, &mut s);
            Ok(())
        }
        Command::Data => write!(s, "DATA"),
        Command::Bdat { size, last } => {
            write!(s, "BDAT {size}{}", if *last { " LAST" } else { "" })
        }
        Command::Rset => write!(s, "RSET"),
        Command::Vrfy(a) => write!(s, "VRFY {a}"),
        Command::Expn(a) => write!(s, "EXPN {a}"),
        Command::Help(None) => write!(s, "HELP"),
        Command::Help(Some(a)) => write!(s, "HELP {a}"),
        Command::Noop(None) => write!(s, "NOOP"),
        Command::Noop(Some(a)) => write!(s, "NOOP {a}"),
        Command::Quit => write!(s, "QUIT"),
        Command::StartTls => write!(s, "STARTTLS"),
        Command::Auth {
            mechanism,
            initial_response,
        } => {
            let _ = write!(s, "AUTH {mechanism}");
            match initial_response {
                None => {}
                Some(InitialResponse::Empty) => s.push_str(" ="),
                Some(InitialResponse::Data(d)) => {
                    let mut enc = Vec::new();
                    base64_encode(d.expose(), &mut enc);
                    s.push(' ');
                    s.push_str(&String::from_utf8_lossy(&enc));
                }
            }
            Ok(())
        }
    };
    out.reserve(s.len() + 2);
    out.put_slice(s.as_bytes());
    out.put_slice(b"\r\n");
}

fn other(params: &[Parameter], s: &mut String) {
    for p in params {
        s.push(' ');
        s.push_str(p.keyword());
        if let Some(v) = p.value() {
            s.push('=');
            s.push_str(v);
        }
    }
}

fn mail_parameters(p: &MailParameters, s: &mut String) {
    use std::fmt::Write;
    if let Some(n) = p.size {
        let _ = write!(s, " SIZE={n}");
    }
    if let Some(b) = p.body {
        s.push_str(match b {
            Body::SevenBit => " BODY=7BIT",
            Body::EightBitMime => " BODY=8BITMIME",
            Body::BinaryMime => " BODY=BINARYMIME",
        });
    }
    if p.smtputf8 {
        s.push_str(" SMTPUTF8");
    }
    if let Some(r) = p.ret {
        s.push_str(match r {
            Ret::Full => " RET=FULL",
            Ret::Headers => " RET=HDRS",
        });
    }
    if let Some(e) = &p.envid {
        let _ = write!(s, " ENVID={e}");
    }
    if let Some(a) = &p.auth {
        let _ = write!(s, " AUTH={a}");
    }
    other(&p.other, s);
}

fn rcpt_parameters(p: &RcptParameters, s: &mut String) {
    use std::fmt::Write;
    match p.notify {
        None => {}
        Some(Notify::Never) => s.push_str(" NOTIFY=NEVER"),
        Some(Notify::On {
            success,
            failure,
            delay,
        }) => {
            let items: Vec<&str> = [(success, "SUCCESS"), (failure, "FAILURE"), (delay, "DELAY")]
                .into_iter()
                .filter_map(|(on, name)| on.then_some(name))
                .collect();
            let _ = write!(s, " NOTIFY={}", items.join(","));
        }
    }
    if let Some(o) = &p.orcpt {
        let _ = write!(s, " ORCPT={};{}", o.addr_type, o.address);
    }
    other(&p.other, s);
}

/// Writes a reply, every line carrying the code and the enhanced status code
/// (RFC 5321 4.2.1, RFC 2034 4).
///
/// # Examples
///
/// ```
/// use bytes::BytesMut;
/// use smtp_proto::{serialize, Reply};
/// let mut out = BytesMut::new();
/// let r = Reply::multiline(250, None, ["mx.example", "PIPELINING"]).unwrap();
/// serialize::reply(&r, &mut out);
/// assert_eq!(&out[..], b"250-mx.example\r\n250 PIPELINING\r\n");
/// ```
pub fn reply(r: &Reply, out: &mut BytesMut) {
    let code = r.code().get();
    let digits = [
        b'0' + (code / 100) as u8,
        b'0' + (code / 10 % 10) as u8,
        b'0' + (code % 10) as u8,
    ];
    let enhanced = r.enhanced().map(|e| e.to_string());
    let n = r.lines().len();
    for (i, line) in r.lines().iter().enumerate() {
        out.put_slice(&digits);
        let sep = if i + 1 == n { b' ' } else { b'-' };
        match &enhanced {
            Some(e) => {
                out.put_u8(sep);
                out.put_slice(e.as_bytes());
                if !line.is_empty() {
                    out.put_u8(b' ');
                }
            }
            None if !line.is_empty() || sep == b'-' => out.put_u8(sep),
            None => {}
        }
        out.put_slice(line.as_bytes());
        out.put_slice(b"\r\n");
    }
}
