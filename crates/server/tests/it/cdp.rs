//! Headless Chromium driven over the DevTools protocol on a pipe
//! (`--remote-debugging-pipe`: JSON messages separated by NUL bytes on file
//! descriptors 3 and 4, here two named pipes), to read what a person sees on a page.
//!
//! Needs Chromium: `scripts/test.sh` installs Debian's `chromium`; `BULWARK_CHROMIUM`
//! names another binary.

use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{Value, json};

pub(crate) fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("BULWARK_CHROMIUM") {
        return PathBuf::from(path);
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    for dir in std::env::split_paths(&path) {
        for name in ["chromium", "chromium-browser", "google-chrome"] {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("no Chromium found: run scripts/test.sh (it installs Debian's chromium) or set BULWARK_CHROMIUM");
}

pub(crate) struct Browser {
    child: Child,
    to: File,
    from: BufReader<File>,
    next_id: u64,
    session: Option<String>,
    /// Console errors and uncaught exceptions seen so far.
    pub(crate) errors: Vec<String>,
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Browser {
    pub(crate) fn launch(dir: &Path) -> Browser {
        let to_browser = dir.join("cdp-in");
        let from_browser = dir.join("cdp-out");
        for fifo in [&to_browser, &from_browser] {
            let status = Command::new("mkfifo").arg(fifo).status().expect("mkfifo runs");
            assert!(status.success(), "mkfifo {}", fifo.display());
        }
        let profile = dir.join("profile");
        let child = Command::new("sh")
            .arg("-c")
            .arg(r#"exec "$0" "$@" 3<"$CDP_IN" 4>"$CDP_OUT""#)
            .arg(chromium())
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--remote-debugging-pipe",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .env("CDP_IN", &to_browser)
            .env("CDP_OUT", &from_browser)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("Chromium starts");
        // A watchdog: no test needs the browser for more than a minute.
        let pid = child.id();
        std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(90));
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        });
        // Opened in the order the shell opens them, so neither side waits for the other.
        let to = OpenOptions::new().write(true).open(&to_browser).unwrap();
        let from = BufReader::new(File::open(&from_browser).unwrap());
        Browser { child, to, from, next_id: 1, session: None, errors: Vec::new() }
    }

    /// Sends a command (to the attached page, once there is one) and returns its result.
    pub(crate) fn call(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        let mut message = json!({ "id": id, "method": method, "params": params });
        if let Some(session) = &self.session {
            message["sessionId"] = json!(session);
        }
        let mut bytes = serde_json::to_vec(&message).unwrap();
        bytes.push(0);
        self.to.write_all(&bytes).unwrap();
        self.to.flush().unwrap();
        loop {
            let mut raw = Vec::new();
            let n = self.from.read_until(0, &mut raw).unwrap();
            assert!(n > 0, "Chromium closed the pipe");
            raw.pop();
            let reply: Value = serde_json::from_slice(&raw).unwrap();
            match reply["method"].as_str() {
                Some("Runtime.exceptionThrown") => self.errors.push(reply["params"]["exceptionDetails"].to_string()),
                Some("Runtime.consoleAPICalled") if reply["params"]["type"] == "error" => {
                    self.errors.push(reply["params"]["args"].to_string())
                }
                _ => {}
            }
            if reply["id"].as_u64() == Some(id) {
                assert!(reply.get("error").is_none(), "{method}: {reply}");
                return reply["result"].clone();
            }
        }
    }

    /// Opens a page in a new tab and attaches to it.
    pub(crate) fn open(&mut self, url: &str) {
        let target = self.call("Target.createTarget", json!({ "url": "about:blank" }));
        let attached = self.call("Target.attachToTarget", json!({ "targetId": target["targetId"], "flatten": true }));
        self.session = Some(attached["sessionId"].as_str().unwrap().to_string());
        self.call("Runtime.enable", json!({}));
        self.call("Page.enable", json!({}));
        self.call("Page.navigate", json!({ "url": url }));
    }

    /// Evaluates a JavaScript expression in the page and returns its value.
    pub(crate) fn eval(&mut self, expression: &str) -> Value {
        let result = self.call("Runtime.evaluate", json!({ "expression": expression, "returnByValue": true }));
        result["result"]["value"].clone()
    }
}
