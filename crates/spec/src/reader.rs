//! A walker over a parsed TOML document that keeps every value's place, so that
//! each error can name file, line, column and key path, and that collects errors
//! instead of stopping at the first.
//!
//! Each table is opened with the list of keys valid there; any other key is an
//! error with a did-you-mean. Getters return `None` after recording an error, so
//! a section parser reads everything it can and reports everything it cannot.

use std::cell::RefCell;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{Item, Table as TomlTable, TableLike, Value};

use crate::error::{ErrorKind, Location, SpecError};
use crate::units::{Ratio, Threshold, parse_duration_s};

/// The text of one spec file and where it came from.
pub(crate) struct Source {
    file: PathBuf,
    text: String,
    line_starts: Vec<usize>,
}

impl Source {
    pub(crate) fn new(file: PathBuf, text: String) -> Self {
        let line_starts = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
        Self { file, text, line_starts }
    }

    pub(crate) fn text(&self) -> &str {
        &self.text
    }

    /// 1-based line and character column of a byte offset.
    pub(crate) fn location(&self, offset: usize) -> Location {
        let offset = offset.min(self.text.len());
        let line = self.line_starts.partition_point(|&s| s <= offset).max(1);
        let start = self.line_starts[line - 1];
        let column = self.text.get(start..offset).map_or(1, |s| s.chars().count() + 1);
        Location { file: self.file.clone(), line, column }
    }
}

/// Collects errors while the sections are read.
pub(crate) struct Ctx<'s> {
    pub(crate) source: &'s Source,
    errors: RefCell<Vec<(usize, SpecError)>>,
}

impl<'s> Ctx<'s> {
    pub(crate) fn new(source: &'s Source) -> Self {
        Self { source, errors: RefCell::new(Vec::new()) }
    }

    /// Records an error at a byte offset.
    pub(crate) fn error_at(&self, offset: usize, path: &str, kind: ErrorKind) {
        let error = SpecError { location: self.source.location(offset), path: path.to_string(), kind };
        self.errors.borrow_mut().push((offset, error));
    }

    /// The errors, in file order.
    pub(crate) fn into_errors(self) -> Vec<SpecError> {
        let mut errors = self.errors.into_inner();
        errors.sort_by_key(|(offset, _)| *offset);
        errors.into_iter().map(|(_, e)| e).collect()
    }

    pub(crate) fn has_errors(&self) -> bool {
        !self.errors.borrow().is_empty()
    }

    /// The source text a span covers, trimmed, for quoting a value back.
    pub(crate) fn text_of(&self, span: &Range<usize>) -> String {
        self.source.text().get(span.clone()).unwrap_or("").trim().to_string()
    }
}

/// Anything in the document that can hold a value: a standard table, an item, or an
/// element of an inline array.
#[derive(Clone, Copy)]
pub(crate) enum Node<'a> {
    Item(&'a Item),
    Value(&'a Value),
    Table(&'a TomlTable),
}

impl<'a> Node<'a> {
    fn span(&self) -> Option<Range<usize>> {
        match self {
            Node::Item(i) => i.span(),
            Node::Value(v) => v.span(),
            Node::Table(t) => t.span(),
        }
    }

    fn table_like(&self) -> Option<&'a dyn TableLike> {
        match *self {
            Node::Item(i) => i.as_table_like(),
            Node::Value(v) => v.as_inline_table().map(|t| t as &dyn TableLike),
            Node::Table(t) => Some(t as &dyn TableLike),
        }
    }

    fn value(&self) -> Option<&'a Value> {
        match *self {
            Node::Item(i) => i.as_value(),
            Node::Value(v) => Some(v),
            Node::Table(_) => None,
        }
    }

    fn elements(&self) -> Option<Vec<Node<'a>>> {
        match *self {
            Node::Item(Item::ArrayOfTables(a)) => Some(a.iter().map(Node::Table).collect()),
            _ => self.value().and_then(|v| v.as_array()).map(|a| a.iter().map(Node::Value).collect()),
        }
    }

    fn type_name(&self) -> &'static str {
        match self {
            Node::Item(Item::Table(_)) | Node::Table(_) => "a table",
            Node::Item(Item::ArrayOfTables(_)) => "an array of tables",
            Node::Item(Item::None) => "nothing",
            _ => match self.value() {
                Some(Value::String(_)) => "a string",
                Some(Value::Integer(_)) => "an integer",
                Some(Value::Float(_)) => "a float",
                Some(Value::Boolean(_)) => "a boolean",
                Some(Value::Datetime(_)) => "a datetime",
                Some(Value::Array(_)) => "an array",
                Some(Value::InlineTable(_)) => "a table",
                None => "nothing",
            },
        }
    }
}

/// One value at a known path, ready to be read as some type.
#[derive(Clone)]
pub(crate) struct Field<'c, 'a> {
    pub(crate) ctx: &'c Ctx<'c>,
    pub(crate) path: String,
    node: Node<'a>,
    offset: usize,
}

impl<'c, 'a> Field<'c, 'a> {
    /// The value as written in the file, for messages.
    pub(crate) fn found(&self) -> String {
        self.node.span().map(|s| self.ctx.text_of(&s)).unwrap_or_else(|| self.node.type_name().to_string())
    }

    pub(crate) fn error(&self, kind: ErrorKind) {
        self.ctx.error_at(self.offset, &self.path, kind);
    }

    fn wrong_type(&self, expected: &'static str) {
        self.error(ErrorKind::WrongType { expected, found: self.found(), found_type: self.node.type_name() });
    }

    pub(crate) fn out_of_range(&self, valid: impl Into<String>) {
        self.error(ErrorKind::OutOfRange { found: self.found(), valid: valid.into() });
    }

    pub(crate) fn is_array(&self) -> bool {
        self.node.elements().is_some()
    }

    pub(crate) fn string(&self) -> Option<String> {
        match self.node.value() {
            Some(Value::String(s)) => Some(s.value().clone()),
            _ => {
                self.wrong_type("a string");
                None
            }
        }
    }

    pub(crate) fn boolean(&self) -> Option<bool> {
        match self.node.value() {
            Some(Value::Boolean(b)) => Some(*b.value()),
            _ => {
                self.wrong_type("true or false");
                None
            }
        }
    }

    /// A finite number, integer or float.
    pub(crate) fn number(&self) -> Option<f64> {
        match self.node.value() {
            Some(Value::Integer(i)) => Some(*i.value() as f64),
            Some(Value::Float(x)) if x.value().is_finite() => Some(*x.value()),
            Some(Value::Float(_)) => {
                self.out_of_range("a finite number");
                None
            }
            _ => {
                self.wrong_type("a number");
                None
            }
        }
    }

    /// A number checked against a predicate, with the valid range in words.
    pub(crate) fn number_where(&self, ok: impl Fn(f64) -> bool, valid: &str) -> Option<f64> {
        let x = self.number()?;
        if ok(x) {
            Some(x)
        } else {
            self.out_of_range(valid);
            None
        }
    }

    /// A non-negative integer.
    pub(crate) fn count(&self) -> Option<u64> {
        match self.node.value() {
            Some(Value::Integer(i)) if *i.value() >= 0 => Some(u64::try_from(*i.value()).unwrap_or(0)),
            Some(Value::Integer(_)) => {
                self.out_of_range("a whole number, zero or more");
                None
            }
            _ => {
                self.wrong_type("a whole number");
                None
            }
        }
    }

    /// A whole number checked against a predicate, with the valid range in words.
    pub(crate) fn count_where(&self, ok: impl Fn(u64) -> bool, valid: &str) -> Option<u64> {
        let n = self.count()?;
        if ok(n) {
            Some(n)
        } else {
            self.out_of_range(valid);
            None
        }
    }

    /// A duration checked against a predicate on its seconds, with the valid range in words.
    pub(crate) fn duration_where(&self, ok: impl Fn(f64) -> bool, valid: &str) -> Option<f64> {
        let d = self.duration_s()?;
        if ok(d) {
            Some(d)
        } else {
            self.out_of_range(valid);
            None
        }
    }

    /// A duration string with its unit, in seconds.
    pub(crate) fn duration_s(&self) -> Option<f64> {
        match self.node.value() {
            Some(Value::String(s)) => match parse_duration_s(s.value()) {
                Ok(d) => Some(d),
                Err(problem) => {
                    self.error(ErrorKind::BadDuration { found: self.found(), problem });
                    None
                }
            },
            _ => {
                self.wrong_type("a duration with a unit, such as \"90s\" or \"1h\"");
                None
            }
        }
    }

    /// An exact fraction: a number as written (`0.805`) or a string (`"1/3"`, `"5%"`).
    pub(crate) fn ratio(&self) -> Option<Ratio> {
        let text = match self.node.value() {
            Some(Value::String(s)) => s.value().clone(),
            Some(Value::Integer(_) | Value::Float(_)) => self.found(),
            _ => {
                self.wrong_type("a fraction: a number or a string such as \"1/3\" or \"5%\"");
                return None;
            }
        };
        match Ratio::parse(&text) {
            Ok(r) => Some(r),
            Err(problem) => {
                self.error(ErrorKind::BadFraction { found: self.found(), problem });
                None
            }
        }
    }

    /// A fraction as `f64`, checked against a predicate.
    pub(crate) fn fraction_where(&self, ok: impl Fn(f64) -> bool, valid: &str) -> Option<f64> {
        let x = self.ratio()?.to_f64();
        if ok(x) {
            Some(x)
        } else {
            self.out_of_range(valid);
            None
        }
    }

    /// A threshold: `"> 1/3"`, or a table `{ fraction = "1/3", cmp = ">" }`.
    pub(crate) fn threshold(&self) -> Option<Threshold> {
        match self.node.value() {
            Some(Value::String(s)) => match Threshold::parse(s.value()) {
                Ok(t) => Some(t),
                Err(problem) => {
                    self.error(ErrorKind::BadThreshold { found: self.found(), problem });
                    None
                }
            },
            _ => {
                self.wrong_type("a threshold such as \"> 1/3\" or \">= 2/3\"");
                None
            }
        }
    }

    /// One of a fixed set of names.
    pub(crate) fn choice<T: Copy>(&self, choices: &[(&'static str, T)]) -> Option<T> {
        let s = self.string()?;
        match choices.iter().find(|(name, _)| *name == s) {
            Some((_, v)) => Some(*v),
            None => {
                self.error(ErrorKind::UnknownChoice { found: s, valid: choices.iter().map(|(n, _)| *n).collect() });
                None
            }
        }
    }

    /// A path to a data file, resolved against the spec's folder.
    pub(crate) fn file(&self, base: &Path) -> Option<PathBuf> {
        let s = self.string()?;
        Some(base.join(s))
    }

    /// The table at this place, with the keys valid in it.
    pub(crate) fn table(&self, valid: &'static [&'static str]) -> Option<Table<'c, 'a>> {
        match self.node.table_like() {
            Some(t) => Some(Table::open(self.ctx, self.path.clone(), t, self.offset, valid)),
            None => {
                self.wrong_type("a table");
                None
            }
        }
    }

    /// The elements of an array (inline or of tables), each with its index in the path.
    pub(crate) fn elements(&self) -> Option<Vec<Field<'c, 'a>>> {
        match self.node.elements() {
            Some(nodes) => Some(
                nodes
                    .into_iter()
                    .enumerate()
                    .map(|(i, node)| Field {
                        ctx: self.ctx,
                        path: format!("{}[{i}]", self.path),
                        offset: node.span().map_or(self.offset, |s| s.start),
                        node,
                    })
                    .collect(),
            ),
            None => {
                self.wrong_type("an array");
                None
            }
        }
    }
}

/// An open table: its entries with their places, and the keys valid in it.
pub(crate) struct Table<'c, 'a> {
    ctx: &'c Ctx<'c>,
    path: String,
    offset: usize,
    entries: Vec<(String, Field<'c, 'a>)>,
}

impl<'c, 'a> Table<'c, 'a> {
    /// Opens a table, reporting every key not in `valid` with a did-you-mean.
    fn open(
        ctx: &'c Ctx<'c>,
        path: String,
        t: &'a dyn TableLike,
        offset: usize,
        valid: &'static [&'static str],
    ) -> Self {
        let mut entries = Vec::new();
        for (key, item) in t.iter() {
            let (key_offset, value_offset) = match t.get_key_value(key) {
                Some((k, i)) => {
                    let ko = k.span().map_or(offset, |s| s.start);
                    (ko, i.span().map_or(ko, |s| s.start))
                }
                None => (offset, offset),
            };
            let child = join(&path, key);
            if !valid.contains(&key) && !valid.contains(&"*") {
                ctx.error_at(
                    key_offset,
                    &child,
                    ErrorKind::UnknownKey {
                        suggestion: closest(key, valid.iter().copied()),
                        valid: valid.iter().map(|s| s.to_string()).collect(),
                    },
                );
                continue;
            }
            let field = Field { ctx, path: child, node: Node::Item(item), offset: value_offset };
            entries.push((key.to_string(), field));
        }
        Self { ctx, path, offset, entries }
    }

    /// The root of a document.
    pub(crate) fn root(ctx: &'c Ctx<'c>, t: &'a TomlTable, valid: &'static [&'static str]) -> Self {
        Self::open(ctx, String::new(), t, 0, valid)
    }

    /// Records an error about the table as a whole.
    pub(crate) fn error(&self, kind: ErrorKind) {
        self.ctx.error_at(self.offset, &self.path, kind);
    }

    /// Records that the value under `key` is out of range (at the table when absent).
    pub(crate) fn out_of_range_at(&self, key: &str, valid: impl Into<String>) {
        match self.get(key) {
            Some(f) => f.out_of_range(valid),
            None => self.error(ErrorKind::OutOfRange { found: "nothing".into(), valid: valid.into() }),
        }
    }

    /// Records an error about the value under `key` (at the table when absent).
    pub(crate) fn error_at(&self, key: &str, kind: ErrorKind) {
        match self.get(key) {
            Some(f) => f.error(kind),
            None => self.error(kind),
        }
    }

    /// The entry under `key`, if present.
    pub(crate) fn get(&self, key: &str) -> Option<&Field<'c, 'a>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, f)| f)
    }

    /// The entry under `key`; records a missing-key error when absent.
    pub(crate) fn require(&self, key: &str, what: &str) -> Option<&Field<'c, 'a>> {
        let field = self.get(key);
        if field.is_none() {
            self.ctx.error_at(self.offset, &join(&self.path, key), ErrorKind::MissingKey(what.to_string()));
        }
        field
    }

    /// Every entry, in file order (for tables keyed by name, such as `[assets.WETH]`).
    pub(crate) fn entries(&self) -> impl Iterator<Item = (&str, &Field<'c, 'a>)> {
        self.entries.iter().map(|(k, f)| (k.as_str(), f))
    }
}

/// `parent.key`, quoting keys that are not bare.
fn join(parent: &str, key: &str) -> String {
    let bare = !key.is_empty() && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    let key = if bare { key.to_string() } else { format!("\"{key}\"") };
    if parent.is_empty() { key } else { format!("{parent}.{key}") }
}

/// The candidate closest to `word`, if it is close enough to be a likely typo.
pub(crate) fn closest<'x>(word: &str, candidates: impl Iterator<Item = &'x str>) -> Option<String> {
    candidates
        .filter(|c| *c != "*")
        .map(|c| (strsim::jaro_winkler(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(score, _)| *score >= 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c.to_string())
}
