//! The HTML report, opened in headless Chromium: its charts draw visible shapes and the
//! console stays silent. The test needs a Chromium binary: `scripts/test.sh` installs
//! Debian's `chromium`; `BULWARK_CHROMIUM` names another binary.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{bulwark, stderr};

fn chromium() -> PathBuf {
    if let Some(path) = std::env::var_os("BULWARK_CHROMIUM") {
        return PathBuf::from(path);
    }
    for name in ["chromium", "chromium-browser", "google-chrome"] {
        for dir in std::env::var_os("PATH").map(|p| std::env::split_paths(&p).collect::<Vec<_>>()).unwrap_or_default() {
            let candidate = dir.join(name);
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!("no Chromium found: run scripts/test.sh (it installs Debian's chromium) or set BULWARK_CHROMIUM");
}

/// Loads `page` headless and returns (the DOM after load, Chromium's log on stderr).
fn open(page: &Path, profile: &Path) -> (String, String) {
    let out = Command::new(chromium())
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--virtual-time-budget=5000",
            "--enable-logging=stderr",
            "--v=0",
            "--dump-dom",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("file://{}", page.display()))
        .output()
        .expect("Chromium starts");
    (String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn body_attribute(dom: &str, name: &str) -> Option<usize> {
    let body = &dom[dom.find("<body")?..];
    let body = &body[..body.find('>')?];
    let start = body.find(&format!("{name}=\""))? + name.len() + 2;
    body[start..].split('"').next()?.parse().ok()
}

#[test]
fn the_html_report_renders_its_charts_in_chromium_without_console_errors() {
    let dir = tempfile::tempdir().unwrap();
    let out = bulwark(dir.path(), &["assess", "--out", "report", "-q", "--paths", "200"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let page = dir.path().join("report/index.html");
    let html = std::fs::read_to_string(&page).unwrap();
    for forbidden in ["src=\"http", "href=\"http", "url(http", "@import", "<link"] {
        assert!(!html.contains(forbidden), "the page loads something from outside: {forbidden}");
    }

    let (dom, log) = open(&page, &dir.path().join("profile"));
    let total = body_attribute(&dom, "data-charts-total");
    let rendered = body_attribute(&dom, "data-charts-rendered");
    // Cost against profit, Lorenz curves by dimension, the bad-debt histogram, the fan
    // chart, liquidations over time, the health-factor histogram and the stake Lorenz curve;
    // then five more: the risk-sensitivity tornado and, in the recommendations, one line
    // chart of the target's figure per lever searched.
    assert_eq!(
        total,
        Some(12),
        "the page's self-check did not run or found other charts; DOM starts: {}",
        &dom[..dom.len().min(400)]
    );
    assert_eq!(rendered, total, "some charts drew nothing");
    let console: Vec<&str> = log.lines().filter(|l| l.contains(":CONSOLE")).collect();
    assert!(console.is_empty(), "the console printed:\n{}", console.join("\n"));
}

#[test]
fn the_console_check_sees_a_broken_page() {
    // Guards the check above: a page with a script error must be caught.
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("broken.html");
    std::fs::write(&page, "<html><body><script>undefinedFunction();</script></body></html>").unwrap();
    let (_, log) = open(&page, &dir.path().join("profile"));
    assert!(log.lines().any(|l| l.contains(":CONSOLE") && l.contains("undefinedFunction")), "{log}");
}
