//! The loader never panics: arbitrary bytes, and valid specs with random edits, give
//! either an error or a valid protocol. Failures print the input; proptest also saves
//! a regression seed under `proptest-regressions/`.

use std::path::Path;

use proptest::prelude::*;

use crate::repo;

fn load(text: &str) -> Result<bulwark_spec::Protocol, bulwark_spec::SpecErrors> {
    bulwark_spec::parse_str(text, Path::new("fuzz.toml"), &repo().join("examples"))
}

fn examples() -> Vec<String> {
    ["aave-v3-ethereum.toml", "ethereum.toml", "sui.toml"]
        .iter()
        .map(|f| std::fs::read_to_string(repo().join("examples").join(f)).expect("example readable"))
        .collect()
}

/// An edit of a valid spec: replace a span with text that is likely to break it.
#[derive(Debug, Clone)]
struct Mutation {
    example: usize,
    at: usize,
    len: usize,
    insert: String,
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let tokens = prop::sample::select(vec![
        "",
        "-",
        "0",
        "-1",
        "1e309",
        "nan",
        "inf",
        "\"",
        "[",
        "]",
        "{",
        "}",
        "=",
        "\n",
        "\"1/0\"",
        "\"90\"",
        "\"> 4/3\"",
        "true",
        "[[markets]]\n",
        "[assets.X]\n",
        "ltv = 0.99\n",
        "\u{0}",
        "é",
        "0x10",
        "1_000",
        "\"\"",
        "#",
    ]);
    (0usize..3, any::<prop::sample::Index>(), 0usize..12, prop::collection::vec(tokens, 1..3)).prop_map(
        |(example, at, len, parts)| Mutation { example, at: at.index(usize::MAX), len, insert: parts.concat() },
    )
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut at = m.at % (text.len() + 1);
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    let mut end = (at + m.len).min(text.len());
    while !text.is_char_boundary(end) {
        end += 1;
    }
    format!("{}{}{}", &text[..at], m.insert, &text[end..])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = load(&text);
    }

    #[test]
    fn arbitrary_files_give_an_error_or_a_protocol(bytes in prop::collection::vec(any::<u8>(), 0..512)) {
        // Through the file loader, so that invalid UTF-8 reaches it as it would from disk.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("spec.toml");
        std::fs::write(&path, &bytes).unwrap();
        if let Err(errors) = bulwark_spec::load(&path) {
            prop_assert!(errors.iter().all(|e| e.location.file == path));
        }
    }

    #[test]
    fn mutated_examples_never_panic_and_errors_have_places(m in mutation()) {
        let examples = examples();
        let text = apply(&examples[m.example], &m);
        match load(&text) {
            Ok(p) => prop_assert!(!p.name.is_empty()),
            Err(errors) => {
                prop_assert!(!errors.is_empty());
                for e in errors.iter() {
                    prop_assert!(e.location.line >= 1 && e.location.line <= text.lines().count().max(1) + 1, "{e}");
                }
            }
        }
    }
}
