//! README.md stays true: its configuration tables list every parameter the
//! parsers know, with their real defaults, and its five-minute tour runs,
//! command by command, against a fresh zero-configuration full_server.

#[path = "e2e/support.rs"]
mod support;

use std::collections::BTreeSet;
use std::process::Command;

use mta_core::config::{AccessConfig, Environment, MainCf, MainConfig, WarningKind};
use support::{Server, Start, example, have, text};

const README: &str = include_str!("../README.md");
/// The access-server parser, whose `set` match arms are its settings.
const DOVECOT_RS: &str = include_str!("../mta-core/src/config/dovecot.rs");

/// The lines of the README between the heading `title` and the next
/// heading of the same or a higher level.
fn section(title: &str) -> Vec<&'static str> {
    let mut lines = README.lines();
    let level = title.split(' ').next().unwrap_or("").len();
    lines
        .by_ref()
        .find(|l| *l == title)
        .unwrap_or_else(|| panic!("no {title:?} in README.md"));
    lines
        .take_while(|l| {
            let hashes = l.len() - l.trim_start_matches('#').len();
            !(hashes > 0 && hashes <= level && l[hashes..].starts_with(' '))
        })
        .collect()
}

/// A table row's cells, with `\|` (a pipe escaped in a cell) restored.
fn cells(row: &str) -> Vec<String> {
    let row = row.trim().trim_start_matches('|').trim_end_matches('|');
    let mut out = vec![String::new()];
    let mut chars = row.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' if chars.peek() == Some(&'|') => {
                out.last_mut().unwrap().push('|');
                chars.next();
            }
            '|' => out.push(String::new()),
            c => out.last_mut().unwrap().push(c),
        }
    }
    out.iter().map(|c| c.trim().to_owned()).collect()
}

/// A default cell: `Some(text)` for `` `text` `` and *empty*, `None` for
/// a computed default.
fn default_value(cell: &str) -> Option<String> {
    if cell == "*empty*" {
        return Some(String::new());
    }
    if cell.starts_with("*computed") {
        return None;
    }
    let v = cell.strip_prefix('`').and_then(|c| c.strip_suffix('`'));
    Some(
        v.unwrap_or_else(|| panic!("default cell {cell:?}"))
            .to_owned(),
    )
}

/// (name, default cell) for each row of the table in `title`'s section.
fn table(title: &str) -> Vec<(String, String)> {
    section(title)
        .into_iter()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let c = cells(l);
            let name = c[0].trim_matches('`').to_owned();
            (name, c[1].clone())
        })
        .collect()
}

#[test]
fn main_cf_table_lists_every_parameter_with_its_default() {
    let rows = table("### main.cf parameters");
    let listed: BTreeSet<&str> = rows.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(listed.len(), rows.len(), "a parameter listed twice");
    let known: BTreeSet<&str> = MainConfig::known_parameters().collect();
    let missing: Vec<_> = known.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&known).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "README.md main.cf table: missing {missing:?}, not known to the parser {extra:?}"
    );

    // Each default given is the parser's: setting it changes nothing.
    let env = Environment::loopback("mx.example.com");
    let load = |text: &str| {
        let cf = MainCf::parse_str(text, "main.cf").unwrap();
        format!("{:?}", MainConfig::from_cf(&cf, &env).unwrap().config)
    };
    let defaults = load("");
    for (name, cell) in &rows {
        let Some(value) = default_value(cell) else {
            continue;
        };
        assert_eq!(
            load(&format!("{name} = {value}\n")),
            defaults,
            "README.md gives {name} the default {value:?}, which is not the parser's"
        );
    }
}

/// The settings `AccessConfig` reads: the keys of the match in its `set`.
fn access_settings_in_parser() -> BTreeSet<String> {
    let start = DOVECOT_RS.find("fn set(").expect("AccessConfig::set");
    let body = &DOVECOT_RS[start..];
    let end = body.find("_ => warnings.push").expect("the catch-all arm");
    // Arms of the outer match (on the key) are the least indented; the
    // inner matches on values (`"yes" => ...`) sit deeper.
    let mut arms: Vec<(usize, Vec<String>)> = Vec::new();
    for line in body[..end].lines() {
        let indent = line.len() - line.trim_start().len();
        let Some((arm, _)) = line.trim().split_once("=>") else {
            continue;
        };
        let words: Vec<&str> = arm.split('|').map(str::trim).collect();
        if words
            .iter()
            .all(|w| w.len() > 2 && w.starts_with('"') && w.ends_with('"'))
        {
            arms.push((
                indent,
                words
                    .iter()
                    .map(|w| w.trim_matches('"').to_owned())
                    .collect(),
            ));
        }
    }
    let outer = arms.iter().map(|(i, _)| *i).min().unwrap_or(0);
    let mut keys = BTreeSet::new();
    for (indent, words) in arms {
        if indent == outer {
            keys.extend(words);
        }
    }
    keys
}

#[test]
fn access_table_lists_every_setting_with_its_default() {
    let rows = table("### Access-server settings (IMAP, POP3)");
    let listed: BTreeSet<String> = rows.iter().map(|(n, _)| n.clone()).collect();
    assert_eq!(listed.len(), rows.len(), "a setting listed twice");
    // Probe the parser with each listed setting and its default: known
    // (no warning) and the default indeed.
    let defaults = AccessConfig::default();
    for (name, cell) in &rows {
        let value = default_value(cell).expect("access defaults are literal");
        let loaded = AccessConfig::parse_str(&format!("{name} = {value}\n"), "dovecot.conf")
            .unwrap_or_else(|e| panic!("{name} = {value}: {e}"));
        assert!(
            !loaded
                .warnings
                .iter()
                .any(|w| matches!(w.kind, WarningKind::UnknownParameter(_))),
            "README.md lists {name}, which the parser does not know"
        );
        assert_eq!(
            loaded.config, defaults,
            "README.md gives {name} the default {value:?}, which is not the parser's"
        );
    }
    // And every setting the parser reads is listed.
    let in_parser = access_settings_in_parser();
    assert!(in_parser.contains("mail_location"), "{in_parser:?}");
    let missing: Vec<_> = in_parser.difference(&listed).collect();
    assert!(
        missing.is_empty(),
        "README.md access table misses {missing:?}"
    );
}

/// The tour's commands: each ```sh block of the section, in order.
fn tour_blocks() -> Vec<String> {
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in section("## A five-minute tour") {
        match (&mut current, line) {
            (None, "```sh") => current = Some(String::new()),
            (Some(_), "```") => blocks.push(current.take().unwrap()),
            (Some(block), l) => {
                block.push_str(l);
                block.push('\n');
            }
            (None, _) => {}
        }
    }
    blocks
}

/// The tour's mutt command (a ```text block: it needs a terminal).
fn tour_mutt_command() -> String {
    section("## A five-minute tour")
        .into_iter()
        .find(|l| l.starts_with("mutt "))
        .expect("a mutt command in the tour")
        .to_owned()
}

/// Rewrites the README's fixed ports to the server's ephemeral ones, and
/// `cargo run -q --example X --` to the built example.
fn localize(script: &str, server: &Server) -> String {
    let mut s = script.to_owned();
    for (port, name) in [
        (10025, "SMTP"),
        (10587, "submission"),
        (10465, "SMTPS"),
        (10110, "POP3 (STLS)"),
        (10995, "POP3S"),
        (10143, "IMAP"),
        (10993, "IMAPS"),
    ] {
        s = s.replace(&port.to_string(), &server.port(name).to_string());
    }
    for name in ["sendmail", "mailq"] {
        let path = example(name).display().to_string();
        s = s.replace(&format!("cargo run -q --example {name} --"), &path);
        s = s.replace(&format!("cargo run -q --example {name}"), &path);
    }
    s = s.replace("cargo run", "false # unexpected cargo run");
    s
}

#[test]
fn the_five_minute_tour_works_as_written() {
    for tool in ["bash", "swaks", "curl", "python3", "awk"] {
        if !have(tool) {
            return;
        }
    }
    // `cargo run --example full_server` in a fresh directory: the default
    // ./missive-data, demo users, generated certificate; only the ports
    // are ephemeral so that tests can run side by side.
    let server = Server::start(Start {
        cwd_default_data: true,
        ..Start::default()
    });
    assert!(server.banner.contains("demo users"), "{}", server.banner);
    assert!(server.data.join("demo-passwords").exists());
    let alice = server.demo["alice"].clone();

    // One shell, as a person types the blocks one after another; between
    // blocks, wait until the queue is empty (a person is slower than a
    // local delivery).
    let wait = format!(
        "until {} --data missive-data | grep -q '^Mail queue is empty'; do sleep 0.05; done\n",
        example("mailq").display()
    );
    let mut script = String::from("set -eu\n");
    for block in tour_blocks() {
        script.push_str(&localize(&block, &server));
        script.push_str(&wait);
    }
    let out = Command::new("bash")
        .arg("-c")
        .arg(&script)
        .current_dir(server.dir.path())
        // sendmail's default server, 127.0.0.1:10025, moved like the rest.
        .env("MISSIVE_SMTP_SERVER", server.addr("SMTP").to_string())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "the tour failed:\n{script}\n{}",
        text(&out)
    );

    // cat demo-passwords
    assert!(
        stdout.contains(&format!("alice {alice} alice@localhost")),
        "{stdout}"
    );
    // swaks over STARTTLS
    assert!(stdout.contains(" -> STARTTLS"), "{stdout}");
    // curl imaps SEARCH, FETCH; pop3s LIST, RETR
    assert!(stdout.contains("* SEARCH 1 2"), "{stdout}");
    assert!(stdout.contains("Subject: Hello from swaks"), "{stdout}");
    assert!(stdout.contains("First message."), "{stdout}");
    assert!(
        stdout.contains("\n1 ") && stdout.contains("\n2 "),
        "{stdout}"
    );
    assert!(stdout.contains("Second message."), "{stdout}");
    // Python
    assert!(stdout.contains("1 Subject: Hello from swaks"), "{stdout}");
    assert!(stdout.contains("2 Subject: Hello from curl"), "{stdout}");
    // swaks on the submission port with AUTH, then sendmail, then mailq
    assert!(stdout.contains("235 2.7.0"), "{stdout}");
    let bob = server.wait_inbox("bob", 2).join("\n");
    assert!(bob.contains("Subject: Re: Hello"), "{bob}");
    assert!(bob.contains("Thanks, Bob."), "{bob}");
    assert!(bob.contains(" with ESMTPSA "), "{bob}");
    assert!(bob.contains("Subject: Nightly report"), "{bob}");
    assert!(bob.contains("All is well."), "{bob}");
    // mailq ran right after: the reply is still queued, or delivered.
    assert!(
        stdout.contains("Mail queue is empty")
            || (stdout.contains("-Queue ID-") && stdout.contains("  bob@localhost")),
        "{stdout}"
    );

    if have("mutt") {
        mutt_reads_the_inbox(&server, &alice);
    }
}

/// Runs the tour's mutt command in a pseudo-terminal, types the password
/// when asked, and checks that the index shows both messages.
fn mutt_reads_the_inbox(server: &Server, password: &str) {
    let command = localize(&tour_mutt_command(), server);
    let home = server.dir.path().join("home");
    std::fs::create_dir_all(home.join("Mail")).unwrap();
    let script = r#"
import os, pty, select, sys, time
command, password = sys.argv[1], sys.argv[2].encode()
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "vt100"
    os.execvp("sh", ["sh", "-c", "exec " + command])
screen, typed = b"", False
deadline = time.time() + 30
while time.time() < deadline and b"Hello from curl" not in screen:
    if select.select([fd], [], [], 0.2)[0]:
        try:
            screen += os.read(fd, 65536)
        except OSError:
            break
    if not typed and b"Password" in screen:
        os.write(fd, password + b"\r")
        typed = True
os.write(fd, b"q")
time.sleep(0.3)
os.kill(pid, 9)
text = screen.decode("utf-8", "replace")
print("typed" if typed else "not asked", "index:" if "Hello from curl" in text else "no index:", text[-2000:])
"#;
    let out = Command::new("python3")
        .args(["-c", script, &command, password])
        .current_dir(server.dir.path())
        .env("HOME", &home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with("typed index:"),
        "mutt: {command}\n{}",
        text(&out)
    );
    assert!(stdout.contains("Hello from swaks"), "{stdout}");
}
