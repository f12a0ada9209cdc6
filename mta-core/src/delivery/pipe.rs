//! The pipe delivery agent: an aliases(5) `|command` target. Off unless
//! the engine enables it ([`crate::engine::EngineOptions::allow_commands`]).
//!
//! The command runs under `/bin/sh -c` with the message (Return-Path and
//! Delivered-To prepended) on its standard input and Postfix's
//! environment: SENDER, RECIPIENT, LOCAL, DOMAIN. Exit status 0 is success,
//! 75 (EX_TEMPFAIL, sysexits(3)) and a kill by a signal ask for a retry,
//! anything else bounces.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use super::{Outcome, prepend_delivery_headers};

/// command_time_limit (postconf(5)): 1000 seconds.
pub(crate) const COMMAND_TIME_LIMIT: Duration = Duration::from_secs(1000);

pub(crate) async fn deliver(
    command: &str,
    reverse_path: &str,
    recipient: &str,
    content: &[u8],
) -> Outcome {
    let message = prepend_delivery_headers(reverse_path, recipient, content);
    let (local, domain) = recipient.rsplit_once('@').unwrap_or((recipient, ""));
    let child = tokio::process::Command::new("/bin/sh")
        .arg("-c")
        .arg(command)
        .env("SENDER", reverse_path)
        .env("RECIPIENT", recipient)
        .env("LOCAL", local)
        .env("DOMAIN", domain)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => return Outcome::deferred(format!("451 4.3.0 cannot run command: {e}")),
    };
    if let Some(mut stdin) = child.stdin.take() {
        // A command that exits without reading everything is judged by its
        // exit status, not by the broken pipe.
        let _ = stdin.write_all(&message).await;
        drop(stdin);
    }
    let out = match tokio::time::timeout(COMMAND_TIME_LIMIT, child.wait_with_output()).await {
        Ok(Ok(o)) => o,
        Ok(Err(e)) => return Outcome::deferred(format!("451 4.3.0 command failed: {e}")),
        Err(_) => return Outcome::deferred("451 4.3.0 command time limit exceeded".into()),
    };
    let stderr = String::from_utf8_lossy(&out.stderr);
    let stderr = stderr.trim();
    match out.status.code() {
        Some(0) => Outcome::sent("250 2.0.0 delivered to command".into()),
        Some(75) => Outcome::deferred(format!("451 4.3.0 command asked for a retry: {stderr}")),
        Some(c) => Outcome::bounced(format!(
            "550 5.3.0 command exited with status {c}: {stderr}"
        )),
        None => Outcome::deferred("451 4.3.0 command killed by a signal".into()),
    }
}
