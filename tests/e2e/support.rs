//! What the end-to-end tests share: the example binaries (built once per
//! test binary with the cargo that runs the tests), a full_server process
//! in a temporary directory on ephemeral ports, and the external clients.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The examples the tests run as processes.
const EXAMPLES: &[&str] = &["full_server", "sendmail", "mailq"];

/// The directory holding the built examples.
///
/// Cargo gives integration tests the path of `[[bin]]` targets only
/// (`CARGO_BIN_EXE_*`), not of examples, so they are built here with the
/// cargo that runs the tests, into the same target directory and profile
/// and with the features of the project's test command (`cargo test
/// --workspace --all-features`), which makes this a no-op after that
/// command built them. `MISSIVE_EXAMPLES_DIR` names a directory of
/// examples built beforehand instead.
pub fn examples_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        if let Some(dir) = std::env::var_os("MISSIVE_EXAMPLES_DIR") {
            return PathBuf::from(dir);
        }
        // <target>/<profile>/deps/<this test>
        let exe = std::env::current_exe().expect("test executable path");
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("test executable in <target>/<profile>/deps");
        let target = profile_dir.parent().expect("target directory");
        let profile = profile_dir
            .file_name()
            .and_then(|n| n.to_str())
            .expect("profile directory name");
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(["build", "--quiet", "--workspace", "--all-features"])
            .arg("--target-dir")
            .arg(target);
        match profile {
            "debug" => {}
            "release" => {
                cmd.arg("--release");
            }
            other => {
                cmd.args(["--profile", other]);
            }
        }
        for e in EXAMPLES {
            cmd.args(["--example", e]);
        }
        let status = cmd.status().expect("run cargo build for the examples");
        assert!(status.success(), "building the examples failed");
        profile_dir.join("examples")
    })
}

/// The path of a built example.
pub fn example(name: &str) -> PathBuf {
    examples_dir().join(name)
}

/// Whether an external tool is there. Under CI (`CI` set) a missing tool
/// fails the test; locally the test is skipped with the reason printed.
pub fn have(tool: &str) -> bool {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "{tool} is required under CI (.ci/run installs it)"
        );
        eprintln!("skipping: {tool} not found");
    }
    found
}

/// A full_server process; stopped with SIGINT (its Ctrl-C path) on drop.
pub struct Server {
    child: Child,
    /// The temporary directory holding data (and config, if any).
    pub dir: tempfile::TempDir,
    /// `--data`.
    pub data: PathBuf,
    /// Each listener by the name full_server prints ("SMTP", "IMAPS", ...).
    pub listeners: BTreeMap<String, SocketAddr>,
    /// Demo users and their passwords (zero configuration only).
    pub demo: BTreeMap<String, String>,
    /// Everything printed up to "Ctrl-C to stop.".
    pub banner: String,
}

/// How to start a server.
#[derive(Default)]
pub struct Start<'a> {
    /// Files for `--config DIR`: (name, contents); `{dir}` in a contents is
    /// replaced by the config directory, `{data}` by the data directory.
    pub config: Option<&'a [(&'a str, String)]>,
    /// Run in this directory without `--data` (the README's path).
    pub cwd_default_data: bool,
}

impl Server {
    /// Starts full_server with zero configuration.
    pub fn zero_config() -> Server {
        Server::start(Start::default())
    }

    /// Starts full_server with `--config` files.
    pub fn with_config(files: &[(&str, String)]) -> Server {
        Server::start(Start {
            config: Some(files),
            ..Start::default()
        })
    }

    /// Starts full_server on ephemeral ports in a fresh directory and
    /// waits until it prints its listeners.
    pub fn start(how: Start<'_>) -> Server {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("missive-data");
        let mut cmd = Command::new(example("full_server"));
        cmd.arg("--ephemeral-ports").current_dir(dir.path());
        if !how.cwd_default_data {
            cmd.arg("--data").arg(&data);
        }
        if let Some(files) = how.config {
            let etc = dir.path().join("etc");
            std::fs::create_dir_all(&etc).unwrap();
            for (name, text) in files {
                let text = text
                    .replace("{dir}", &etc.display().to_string())
                    .replace("{data}", &data.display().to_string());
                std::fs::write(etc.join(name), text).unwrap();
            }
            cmd.arg("--config").arg(&etc);
        }
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start full_server");
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut banner = String::new();
            let mut lines = BufReader::new(stdout).lines();
            for line in lines.by_ref() {
                let Ok(line) = line else { break };
                banner.push_str(&line);
                banner.push('\n');
                if line.starts_with("Ctrl-C to stop") {
                    let _ = tx.send(banner.clone());
                    break;
                }
            }
            // Keep draining so the server never blocks on a full pipe.
            for _ in lines {}
        });
        let banner = match rx.recv_timeout(Duration::from_secs(60)) {
            Ok(b) => b,
            Err(_) => {
                let _ = child.kill();
                panic!("full_server did not start: {:?}", child.wait());
            }
        };
        let mut listeners = BTreeMap::new();
        let mut demo = BTreeMap::new();
        let mut in_demo = false;
        for line in banner.lines() {
            if line.starts_with("demo users") {
                in_demo = true;
                continue;
            }
            let words: Vec<&str> = line.split_whitespace().collect();
            if in_demo {
                if let [user, password, _address] = words[..] {
                    demo.insert(user.to_owned(), password.to_owned());
                }
                continue;
            }
            // "  IMAPS        127.0.0.1:39055"; names may hold spaces.
            if let Some((last, name)) = words.split_last()
                && let Ok(addr) = last.parse::<SocketAddr>()
            {
                listeners.insert(name.join(" "), addr);
            }
        }
        let data = if how.cwd_default_data {
            dir.path().join("missive-data")
        } else {
            data
        };
        Server {
            child,
            dir,
            data,
            listeners,
            demo,
            banner,
        }
    }

    /// The address of a listener by its printed name.
    pub fn addr(&self, name: &str) -> SocketAddr {
        *self
            .listeners
            .get(name)
            .unwrap_or_else(|| panic!("no {name} listener in:\n{}", self.banner))
    }

    /// The port of a listener.
    pub fn port(&self, name: &str) -> u16 {
        self.addr(name).port()
    }

    /// The generated certificate (PEM).
    pub fn certificate(&self) -> PathBuf {
        self.data.join("tls").join("cert.pem")
    }

    /// The files in `user`'s Maildir INBOX (new/ and cur/) under the
    /// default mail_location.
    pub fn inbox(&self, user: &str) -> Vec<String> {
        let root = self.data.join("mail").join(user).join("Maildir");
        let mut out = Vec::new();
        for sub in ["new", "cur"] {
            if let Ok(entries) = std::fs::read_dir(root.join(sub)) {
                for e in entries.flatten() {
                    if let Ok(text) = std::fs::read_to_string(e.path()) {
                        out.push(text);
                    }
                }
            }
        }
        out
    }

    /// Waits until `user`'s INBOX holds `n` messages (or fails after a
    /// generous time) and returns them.
    pub fn wait_inbox(&self, user: &str, n: usize) -> Vec<String> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let got = self.inbox(user);
            if got.len() >= n {
                return got;
            }
            assert!(
                Instant::now() < deadline,
                "{user} has {} of {n} messages: {got:?}",
                got.len()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Runs `mailq --data` on this server's data directory.
    pub fn mailq(&self) -> String {
        let out = Command::new(example("mailq"))
            .arg("--data")
            .arg(&self.data)
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Stops the server with SIGINT and waits for it to exit.
    pub fn stop(mut self) -> std::process::ExitStatus {
        self.interrupt()
    }

    fn interrupt(&mut self) -> std::process::ExitStatus {
        let _ = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                return self.child.wait().unwrap();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.interrupt();
        }
    }
}

/// stdout and stderr of a finished process, for assertion messages.
pub fn text(out: &Output) -> String {
    format!(
        "status {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Runs a Python 3 script with arguments; fails the test when it fails.
pub fn python(script: &str, args: &[String]) -> String {
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python3");
    assert!(out.status.success(), "python3 failed: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a program with stdin; returns its output without checking it.
pub fn run(cmd: &mut Command, stdin: &[u8]) -> Output {
    use std::io::Write;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut input = child.stdin.take().unwrap();
    let bytes = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&bytes);
    });
    let out = child.wait_with_output().unwrap();
    let _ = writer.join();
    out
}
