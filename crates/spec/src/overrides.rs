//! `key.path=value` overrides applied to a spec's text before it is validated, so that a
//! sweep or a search can change any field and the spec's own checks still apply.
//!
//! A path names keys with dots and array elements with `[i]`, as validation errors do:
//! `markets[0].reserves.WETH.liquidation_threshold`, `oracles.WETH.latency`,
//! `scenario.shocks[1].drop`. A value is TOML (`0.8`, `"1h"`, `true`); a bare word that is
//! not TOML, such as `1h` or `5%`, is taken as a string. The override keeps the comment
//! that followed the value it replaces.
//!
//! One shorthand: a reserve key written directly under a market
//! (`markets[0].liquidation_threshold`) sets that key on every reserve of the market
//! that accepts collateral (a liquidation threshold above zero).

use std::fmt;
use std::str::FromStr;

use toml_edit::{DocumentMut, Item, Value};

/// Keys of `[markets.reserves.SYMBOL]` that the market-level shorthand spreads.
const RESERVE_SHORTHAND: &[&str] =
    &["ltv", "liquidation_threshold", "liquidation_bonus", "liquidation_protocol_fee", "supply_cap", "borrow_cap"];

/// One override: a key path and the value to write there, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Override {
    /// The key path, such as `markets[0].reserves.WETH.ltv`.
    pub path: String,
    /// The value, as written after `=`.
    pub value: String,
}

impl Override {
    /// An override of `path` with `value`.
    pub fn new(path: impl Into<String>, value: impl Into<String>) -> Self {
        Self { path: path.into(), value: value.into() }
    }
}

impl fmt::Display for Override {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, self.value)
    }
}

impl FromStr for Override {
    type Err = OverrideError;

    /// Reads `key.path=value`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (path, value) = s.split_once('=').ok_or_else(|| OverrideError::Syntax {
            input: s.to_string(),
            problem: "expected key.path=value, e.g. markets[0].reserves.WETH.ltv=0.8".into(),
        })?;
        let (path, value) = (path.trim(), value.trim());
        parse_path(path)?;
        if value.is_empty() {
            return Err(OverrideError::Syntax { input: s.to_string(), problem: "the value after `=` is empty".into() });
        }
        Ok(Self::new(path, value))
    }
}

/// Why an override could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OverrideError {
    /// The override or its path is malformed.
    #[error("`{input}`: {problem}")]
    Syntax {
        /// What was given.
        input: String,
        /// What is wrong.
        problem: String,
    },
    /// The spec text itself is not TOML.
    #[error("the spec is not valid TOML: {0}")]
    Toml(String),
    /// A key on the way to the target does not exist.
    #[error("{path}: no such key in the spec; valid here: {}", list(valid))]
    NoSuchKey {
        /// The path up to and including the missing key.
        path: String,
        /// The keys that exist at that level.
        valid: Vec<String>,
    },
    /// An index past the end of an array.
    #[error("{path}: the spec has {len} element(s) here; valid indices: 0..{len}")]
    IndexOutOfRange {
        /// The path up to and including the index.
        path: String,
        /// The array's length.
        len: usize,
    },
    /// A key where the spec has an array, or an index where it has a table, or a path
    /// going through a plain value.
    #[error("{path}: {problem}")]
    WrongShape {
        /// The path up to the problem.
        path: String,
        /// What the spec has there.
        problem: String,
    },
}

fn list(valid: &[String]) -> String {
    if valid.is_empty() { "(nothing)".to_string() } else { valid.join(", ") }
}

/// One step of a key path.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Key(String),
    Index(usize),
}

fn parse_path(path: &str) -> Result<Vec<Step>, OverrideError> {
    let bad = |problem: &str| OverrideError::Syntax { input: path.to_string(), problem: problem.to_string() };
    if path.is_empty() {
        return Err(bad("the key path is empty"));
    }
    let mut steps = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = part.split_at(part.find('[').unwrap_or(part.len()));
        if key.is_empty() && steps.is_empty() {
            return Err(bad("the path must start with a key"));
        }
        if key.is_empty() && rest.is_empty() {
            return Err(bad("empty key between dots"));
        }
        if !key.is_empty() {
            if !key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
                return Err(bad("keys are letters, digits, `_` and `-`"));
            }
            steps.push(Step::Key(key.to_string()));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner.find(']').ok_or_else(|| bad("`[` without `]`"))?;
            let index = inner[..close].parse::<usize>().map_err(|_| bad("an index is a whole number, e.g. [0]"))?;
            steps.push(Step::Index(index));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(bad("unexpected text after `]`"));
        }
    }
    Ok(steps)
}

fn render(steps: &[Step]) -> String {
    let mut out = String::new();
    for s in steps {
        match s {
            Step::Key(k) if out.is_empty() => out.push_str(k),
            Step::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Step::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The value an override writes: TOML when the text is TOML, else the text as a string.
fn value_of(text: &str) -> Value {
    text.parse::<Value>().unwrap_or_else(|_| Value::from(text))
}

fn keys_of(item: &Item) -> Vec<String> {
    match item {
        Item::Table(t) => t.iter().map(|(k, _)| k.to_string()).collect(),
        Item::Value(Value::InlineTable(t)) => t.iter().map(|(k, _)| k.to_string()).collect(),
        _ => Vec::new(),
    }
}

fn shape(item: &Item) -> &'static str {
    match item {
        Item::None => "nothing",
        Item::Table(_) | Item::Value(Value::InlineTable(_)) => "a table",
        Item::ArrayOfTables(_) | Item::Value(Value::Array(_)) => "an array",
        Item::Value(_) => "a plain value",
    }
}

/// Writes `value` at `steps` under `item`, creating the last key when its table exists.
fn set(item: &mut Item, steps: &[Step], done: usize, value: &Value) -> Result<(), OverrideError> {
    let Some(step) = steps.get(done) else {
        let mut new = value.clone();
        if let Item::Value(old) = item {
            *new.decor_mut() = old.decor().clone();
        }
        *item = Item::Value(new);
        return Ok(());
    };
    let here = render(&steps[..=done]);
    let last = done + 1 == steps.len();
    match step {
        Step::Index(i) => {
            let len = match &*item {
                Item::ArrayOfTables(a) => a.len(),
                Item::Value(Value::Array(a)) => a.len(),
                other => {
                    return Err(OverrideError::WrongShape {
                        path: here,
                        problem: format!("the spec has {} here, not an array", shape(other)),
                    });
                }
            };
            match item.get_mut(*i) {
                Some(next) => set(next, steps, done + 1, value),
                None => Err(OverrideError::IndexOutOfRange { path: here, len }),
            }
        }
        Step::Key(k) => {
            let is_table = matches!(item, Item::Table(_) | Item::Value(Value::InlineTable(_)));
            if !is_table {
                return Err(OverrideError::WrongShape {
                    path: here,
                    problem: format!("the spec has {} above this key, not a table", shape(item)),
                });
            }
            let exists = keys_of(item).iter().any(|key| key == k);
            if !exists && last && is_market(steps, done) && RESERVE_SHORTHAND.contains(&k.as_str()) {
                return spread_over_reserves(item, &here, k, value);
            }
            if !exists && !last {
                return Err(OverrideError::NoSuchKey { path: here, valid: keys_of(item) });
            }
            match item.get_mut(k.as_str()) {
                Some(next) => set(next, steps, done + 1, value),
                None => Err(OverrideError::NoSuchKey { path: here, valid: keys_of(item) }),
            }
        }
    }
}

/// Whether `steps[..done]` names one market: `markets[i]`.
fn is_market(steps: &[Step], done: usize) -> bool {
    matches!(&steps[..done], [Step::Key(m), Step::Index(_)] if m == "markets")
}

/// The shorthand: `key` on every reserve of the market whose liquidation threshold is
/// above zero.
fn spread_over_reserves(market: &mut Item, here: &str, key: &str, value: &Value) -> Result<(), OverrideError> {
    let no_reserves = || OverrideError::NoSuchKey { path: here.to_string(), valid: Vec::new() };
    let reserves = market.get_mut("reserves").ok_or_else(no_reserves)?;
    let symbols = keys_of(reserves);
    let mut written = 0;
    for symbol in &symbols {
        let Some(reserve) = reserves.get_mut(symbol.as_str()) else { continue };
        let lt = reserve.get("liquidation_threshold").and_then(|v| v.as_float().or(v.as_integer().map(|i| i as f64)));
        if lt.is_some_and(|lt| lt > 0.0) {
            let target = reserve.get_mut(key).ok_or_else(no_reserves)?;
            set(target, &[], 0, value)?;
            written += 1;
        }
    }
    if written == 0 {
        return Err(OverrideError::NoSuchKey { path: here.to_string(), valid: symbols });
    }
    Ok(())
}

/// Applies `overrides`, in order, to the spec text and returns the new text. Lines the
/// overrides do not touch keep their place, so validation errors still point at them.
///
/// # Errors
/// [`OverrideError`] naming the path and what is valid there.
pub fn apply_overrides(text: &str, overrides: &[Override]) -> Result<String, OverrideError> {
    if overrides.is_empty() {
        return Ok(text.to_string());
    }
    let mut doc = text.parse::<DocumentMut>().map_err(|e| OverrideError::Toml(e.to_string()))?;
    for o in overrides {
        let steps = parse_path(&o.path)?;
        let value = value_of(&o.value);
        set(doc.as_item_mut(), &steps, 0, &value)?;
    }
    Ok(doc.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SPEC: &str = r#"
[assets.WETH]
price = 2000.0   # a comment
[oracles.WETH]
kind = "push"
latency = "12s"
[[markets]]
name = "m"
[markets.reserves.WETH]
ltv = 0.8
liquidation_threshold = 0.83
[markets.reserves.USDC]
ltv = 0.0
liquidation_threshold = 0.0
[scenario]
shocks = [{ asset = "WETH", drop = 0.4, at = "2h", over = "4h" }]
"#;

    fn apply(list: &[&str]) -> Result<String, OverrideError> {
        let o: Vec<Override> = list.iter().map(|s| s.parse().unwrap()).collect();
        apply_overrides(SPEC, &o)
    }

    #[test]
    fn writes_numbers_strings_and_keeps_comments() {
        let out = apply(&["assets.WETH.price=1500", "oracles.WETH.latency=1h", "scenario.shocks[0].drop=0.5"]).unwrap();
        assert!(out.contains("price = 1500   # a comment"), "{out}");
        assert!(out.contains("latency = \"1h\""), "{out}");
        assert!(out.contains("drop = 0.5"), "{out}");
    }

    #[test]
    fn market_shorthand_reaches_collateral_reserves_only() {
        let out = apply(&["markets[0].liquidation_threshold=0.75"]).unwrap();
        assert!(out.contains("liquidation_threshold = 0.75"), "{out}");
        assert!(out.contains("liquidation_threshold = 0.0"), "{out}");
    }

    #[test]
    fn errors_name_the_path_and_what_is_valid() {
        let e = apply(&["oracles.WBTC.latency=1h"]).unwrap_err();
        assert_eq!(e, OverrideError::NoSuchKey { path: "oracles.WBTC".into(), valid: vec!["WETH".into()] });
        let e = apply(&["markets[3].name=x"]).unwrap_err();
        assert_eq!(e, OverrideError::IndexOutOfRange { path: "markets[3]".into(), len: 1 });
        let e = apply(&["assets.WETH.price.x=1"]).unwrap_err();
        assert!(matches!(e, OverrideError::WrongShape { ref path, .. } if path == "assets.WETH.price.x"), "{e}");
        assert!("nonsense".parse::<Override>().is_err());
        assert!("a..b=1".parse::<Override>().is_err());
        assert!("a[x]=1".parse::<Override>().is_err());
    }

    #[test]
    fn a_new_last_key_is_inserted_into_an_existing_table() {
        let out = apply(&["markets[0].reserves.WETH.supply_cap=1000"]).unwrap();
        assert!(out.contains("supply_cap = 1000"), "{out}");
    }
}
