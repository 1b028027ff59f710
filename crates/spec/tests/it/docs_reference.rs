//! docs/spec.md cannot drift from the code: every TOML snippet in it validates (a
//! snippet without a `[protocol]` table gets one), every snippet marked `toml,broken`
//! fails with the message printed under it, and every key the loader accepts is
//! documented.

use std::path::Path;

use crate::repo;

struct Snippet {
    line: usize,
    broken: bool,
    text: String,
    /// For a broken snippet: the text of the ```text block that follows it.
    expected: Option<String>,
}

fn snippets(doc: &str) -> Vec<Snippet> {
    let mut out: Vec<Snippet> = Vec::new();
    let mut lines = doc.lines().enumerate();
    while let Some((i, line)) = lines.next() {
        let fence = line.trim();
        let kind = fence.strip_prefix("```").unwrap_or("");
        if !fence.starts_with("```") || !(kind == "toml" || kind == "toml,broken" || kind == "text") {
            continue;
        }
        let body: Vec<&str> = lines.by_ref().take_while(|(_, l)| l.trim() != "```").map(|(_, l)| l).collect();
        let body = body.join("\n") + "\n";
        if kind == "text" {
            if let Some(last) = out.last_mut().filter(|s| s.broken && s.expected.is_none()) {
                last.expected = Some(body);
            }
            continue;
        }
        out.push(Snippet { line: i + 1, broken: kind == "toml,broken", text: body, expected: None });
    }
    out
}

fn with_header(text: &str) -> String {
    if text.contains("[protocol]") { text.to_string() } else { format!("[protocol]\nname = \"docs\"\n{text}") }
}

#[test]
fn every_snippet_in_the_spec_reference_behaves_as_documented() {
    let doc = std::fs::read_to_string(repo().join("docs/spec.md")).expect("docs/spec.md exists");
    let snippets = snippets(&doc);
    assert!(snippets.len() >= 10, "docs/spec.md has only {} TOML snippets", snippets.len());
    let mut failures = Vec::new();
    for s in &snippets {
        let text = with_header(&s.text);
        let result = bulwark_spec::parse_str(&text, Path::new("spec.toml"), &repo().join("examples"));
        match (s.broken, result) {
            (false, Err(e)) => failures.push(format!("docs/spec.md:{}: snippet does not validate:\n{e}", s.line)),
            (true, Ok(_)) => failures.push(format!("docs/spec.md:{}: broken snippet validates", s.line)),
            (true, Err(e)) => {
                let got = e.to_string();
                match &s.expected {
                    Some(expected) if expected.trim() == got.trim() => {}
                    Some(expected) => failures
                        .push(format!("docs/spec.md:{}: documented\n{expected}but the loader says\n{got}", s.line)),
                    None => failures
                        .push(format!("docs/spec.md:{}: broken snippet has no ```text block with its message", s.line)),
                }
            }
            (false, Ok(_)) => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn every_key_the_loader_accepts_is_documented() {
    let doc = std::fs::read_to_string(repo().join("docs/spec.md")).expect("docs/spec.md exists");
    let mut missing = Vec::new();
    for (section, keys) in bulwark_spec::known_keys() {
        for key in keys.iter().filter(|k| **k != "*") {
            if !doc.contains(&format!("`{key}`")) {
                missing.push(format!("{section}.{key}"));
            }
        }
    }
    assert!(missing.is_empty(), "keys missing from docs/spec.md: {}", missing.join(", "));
}
