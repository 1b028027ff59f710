//! Every file in `broken/` is a spec with known mistakes. Its `# expect:` lines, at the end
//! give the messages it must produce, each as `LINE:COLUMN: path message`; the file
//! name is prefixed when comparing, and `{dir}` stands for the corpus folder. Each must fail with exactly those errors, in order,
//! and none may panic.

use std::path::PathBuf;

fn corpus() -> Vec<PathBuf> {
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/broken"));
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus folder exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn the_corpus_has_at_least_twenty_broken_specs() {
    assert!(corpus().len() >= 20, "only {} broken specs", corpus().len());
}

#[test]
fn each_broken_spec_yields_its_expected_messages_with_locations() {
    let mut failures = Vec::new();
    let dir = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/it/broken"));
    for file in corpus() {
        let text = std::fs::read_to_string(&file).expect("readable");
        let expected: Vec<String> = text
            .lines()
            .filter_map(|l| l.strip_prefix("# expect: "))
            .map(|e| format!("{}:{}", file.display(), e.replace("{dir}", &dir.display().to_string())))
            .collect();
        let got = match bulwark_spec::load(&file) {
            Ok(_) => vec!["<loaded without error>".to_string()],
            Err(errors) => errors.iter().map(ToString::to_string).collect(),
        };
        if expected.is_empty() || got != expected {
            failures.push(format!(
                "{}\n  expected:\n    {}\n  got:\n    {}",
                file.display(),
                expected.join("\n    "),
                got.join("\n    ")
            ));
        }
    }
    assert!(failures.is_empty(), "{} of the corpus failed:\n{}", failures.len(), failures.join("\n"));
}
