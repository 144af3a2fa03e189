//! What the end-to-end and browser tests share: starting the real `sohoa` binary.

#![allow(dead_code)] // each test binary uses its own part

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_sohoa");

pub fn shared_data() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data")
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn sohoa(data_dir: &std::path::Path) -> Command {
    let mut cmd = Command::new(BIN);
    // The caller's SOHOA__* variables must not leak into the test.
    for (key, _) in std::env::vars() {
        if key.starts_with("SOHOA__") {
            cmd.env_remove(key);
        }
    }
    // The bundled plugins, built into the workspace's wasm target folder.
    cmd.env("SOHOA__PATHS__PLUGIN_DIR", repo().join("plugins"));
    cmd.arg("--data-dir").arg(data_dir).env("RUST_LOG", "warn");
    cmd
}

/// A server process, killed when dropped.
pub struct Server {
    pub child: Child,
    pub url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the command and waits for its "listening on" line.
pub fn start(cmd: Command) -> Server {
    start_with_stderr(cmd, Stdio::inherit())
}

/// [`start`], with the server's log (stderr) going to `stderr`.
pub fn start_with_stderr(mut cmd: Command, stderr: Stdio) -> Server {
    let mut child = cmd.stdout(Stdio::piped()).stderr(stderr).spawn().expect("start sohoa");
    let stdout = child.stdout.take().expect("stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if let Some(url) = line.strip_prefix("sohoa listening on ") {
                let _ = tx.send(url.to_string());
            }
        }
    });
    let url = rx.recv_timeout(Duration::from_secs(60)).expect("the server announces its URL within 60 s");
    Server { child, url }
}
