//! `booking-server` as a real process, for the tests that need one: started
//! on a free loopback port, killed when dropped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::Url;

/// A running `booking-server`.
pub struct Server {
    /// The process.
    pub child: Child,
    /// Where it listens (`http://127.0.0.1:PORT/`).
    pub base: Url,
}

impl Server {
    /// Starts one on `database` (a `--database-url`) with more `flags`, and
    /// waits until it listens.
    #[allow(dead_code, reason = "not every test binary uses every way to start")]
    pub fn start(database: &str, flags: &[&str]) -> Self {
        Self::spawn(
            Command::new(env!("CARGO_BIN_EXE_booking-server")),
            database,
            flags,
        )
    }

    /// Like [`Server::start`], with the process's open-file limit lowered to
    /// `files` (by util-linux's `prlimit`, which then runs the server).
    #[allow(dead_code, reason = "not every test binary uses every way to start")]
    pub fn start_with_file_limit(database: &str, flags: &[&str], files: u64) -> Self {
        let mut command = Command::new("prlimit");
        command
            .arg(format!("--nofile={files}:{files}"))
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_booking-server"));
        Self::spawn(command, database, flags)
    }

    fn spawn(mut command: Command, database: &str, flags: &[&str]) -> Self {
        let mut child = command
            .args(["--database-url", database, "--bind", "127.0.0.1:0"])
            .args(flags)
            // Many servers run at once in the tests: none takes the default
            // metrics port unless asked to.
            .args(if flags.contains(&"--metrics-bind") {
                &[][..]
            } else {
                &["--metrics-bind", "off"][..]
            })
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .spawn()
            .expect("start booking-server (and prlimit, from util-linux, for a file limit)");
        // Standard output has the `listening on` line and nothing else (the
        // logs go to standard error), so the pipe never fills unread.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        Self {
            base: Url::parse(url).unwrap(),
            child,
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
