//! The SASL exchanges the server runs itself: PLAIN (RFC 4616) and LOGIN,
//! framed as RFC 5034 describes.

use crate::parse::{self, SaslLine};
use crate::types::{Credentials, Secret};

/// Where a SASL exchange stands, waiting for the client's next line.
#[derive(Debug)]
pub(super) enum Sasl {
    /// PLAIN sent an empty challenge and waits for the message.
    Plain,
    /// LOGIN asked for the user name.
    LoginUser,
    /// LOGIN asked for the password.
    LoginPass { user: String },
}

/// What the server does next.
pub(super) enum Step {
    /// Send this challenge and wait in this state.
    Challenge(Sasl, &'static [u8]),
    /// The exchange produced credentials for the owner to check.
    Done(Credentials),
    /// The exchange failed: `-ERR` with this text (RFC 5034 section 4).
    Failed(&'static str),
}

impl Sasl {
    /// Starts `AUTH mechanism [initial-response]`.
    pub(super) fn start(
        mechanism: &str,
        initial: Option<Secret<Vec<u8>>>,
    ) -> Result<Step, &'static str> {
        match mechanism {
            "PLAIN" => Ok(match initial {
                Some(msg) => plain(msg.expose()),
                // RFC 5034 section 4: an empty challenge is "+ " alone.
                None => Step::Challenge(Sasl::Plain, b""),
            }),
            "LOGIN" => Ok(match initial {
                Some(user) => login_user(user.expose()),
                None => Step::Challenge(Sasl::LoginUser, b"Username:"),
            }),
            _ => Err("unsupported SASL mechanism"),
        }
    }

    /// Takes the client's next line.
    pub(super) fn step(&mut self, line: &[u8]) -> Step {
        let data = match parse::sasl_line(line) {
            Some(SaslLine::Data(d)) => d,
            Some(SaslLine::Cancel) => return Step::Failed("authentication cancelled"),
            None => return Step::Failed("invalid base64 in SASL response"),
        };
        match self {
            Sasl::Plain => plain(data.expose()),
            Sasl::LoginUser => login_user(data.expose()),
            Sasl::LoginPass { user } => match String::from_utf8(data.expose().clone()) {
                Ok(pass) => Step::Done(Credentials::Login {
                    user: std::mem::take(user),
                    pass: Secret::new(pass),
                }),
                Err(_) => Step::Failed("invalid LOGIN password"),
            },
        }
    }
}

fn login_user(data: &[u8]) -> Step {
    match std::str::from_utf8(data) {
        Ok(user) if !user.is_empty() => Step::Challenge(
            Sasl::LoginPass {
                user: user.to_string(),
            },
            b"Password:",
        ),
        _ => Step::Failed("invalid LOGIN user name"),
    }
}

/// `[authzid] NUL authcid NUL passwd` (RFC 4616 section 2).
fn plain(msg: &[u8]) -> Step {
    let mut parts = msg.split(|&b| b == 0);
    let (Some(authzid), Some(authcid), Some(pass), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Step::Failed("malformed PLAIN message");
    };
    let text = |b: &[u8]| std::str::from_utf8(b).map(str::to_string);
    match (text(authzid), text(authcid), text(pass)) {
        (Ok(authzid), Ok(authcid), Ok(pass)) if !authcid.is_empty() && !pass.is_empty() => {
            Step::Done(Credentials::Plain {
                authzid,
                authcid,
                pass: Secret::new(pass),
            })
        }
        _ => Step::Failed("malformed PLAIN message"),
    }
}
