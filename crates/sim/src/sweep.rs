//! Parameter sweeps: any numeric spec field varied over a range or a list, on the full
//! grid or one axis at a time (a tornado), with common random numbers across points.
//!
//! Common random numbers: path `i` draws its returns from `(seed, i)` at every point. Points
//! whose price model is the same (the varied fields are not in `[assets]` or `[scenario]`)
//! share the very same returns: each path's returns are drawn once and every such point's
//! market runs on them, so neighbouring points differ only by the parameter. Points with a
//! different price model (a volatility, a shock) draw from the same streams; for the
//! Gaussian models the number of draws per path does not depend on those figures, so the
//! same normal variates are reused, scaled.

use std::str::FromStr;

use bulwark_spec::overrides::Override;
use bulwark_spec::{OverriddenSpecError, Protocol};
use rayon::prelude::*;
use serde::Serialize;

use crate::engine::{NoRecord, PathOutcome, ReferencePath, Scratch, run_buckets_on, run_exact_on};
use crate::process::path_rng;
use crate::run::{EngineKind, RunOutput, Summary, summarize};
use crate::simulate::{SimError, liquidators, path_model};
use crate::world::World;

/// Why a sweep could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SweepError {
    /// An axis is malformed.
    #[error("--vary `{input}`: {problem}")]
    Axis {
        /// What was given.
        input: String,
        /// What is wrong, and what would be valid.
        problem: String,
    },
    /// A point's overrides make an invalid spec.
    #[error("at {point}: {source}")]
    Point {
        /// The point's overrides, `path=value` joined by commas.
        point: String,
        /// Why.
        source: OverriddenSpecError,
    },
    /// The market index is past the spec's markets.
    #[error("market {index}: the spec has {count} market(s)")]
    Market {
        /// The index asked for.
        index: usize,
        /// How many markets the spec has.
        count: usize,
    },
    /// The simulation could not be set up.
    #[error("{0}")]
    Sim(#[from] SimError),
}

/// Spec text and where it came from, so each point can be re-validated with overrides.
#[derive(Debug, Clone)]
pub struct SpecText {
    /// The TOML text.
    pub text: String,
    /// The file it names in messages.
    pub file: std::path::PathBuf,
    /// The folder relative data paths resolve against.
    pub base: std::path::PathBuf,
}

impl SpecText {
    /// Reads a spec file.
    ///
    /// # Errors
    /// The I/O error.
    pub fn read(path: &std::path::Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(path)?;
        let base = path.parent().unwrap_or_else(|| std::path::Path::new(".")).to_path_buf();
        Ok(Self { text, file: path.to_path_buf(), base })
    }

    /// The spec with `overrides` applied, validated.
    ///
    /// # Errors
    /// [`SweepError::Point`] naming the overrides.
    pub fn protocol(&self, overrides: &[Override]) -> Result<Protocol, SweepError> {
        bulwark_spec::parse_with_overrides(&self.text, &self.file, &self.base, overrides).map_err(|source| {
            SweepError::Point {
                point: overrides.iter().map(ToString::to_string).collect::<Vec<_>>().join(", "),
                source,
            }
        })
    }
}

/// One value of an axis: the text written into the spec and the number it stands for
/// (seconds for a duration, the fraction for a percentage).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AxisValue {
    /// As written into the spec.
    pub text: String,
    /// As a number, for tables and charts.
    pub number: f64,
}

/// One varied field and its values.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Axis {
    /// The key path, such as `markets[0].reserves.WETH.liquidation_threshold`.
    pub path: String,
    /// The values, in order.
    pub values: Vec<AxisValue>,
    /// Whether the values are durations (numbers are seconds).
    pub duration: bool,
}

impl Axis {
    /// The override setting this axis to its `i`-th value.
    pub fn at(&self, i: usize) -> Option<Override> {
        self.values.get(i).map(|v| Override::new(self.path.clone(), v.text.clone()))
    }
}

/// A number, a duration (`90s`, `1h`) or a percentage (`5%`), as a number and the text to
/// write back; `None` when it is none of these.
pub(crate) fn read_number(text: &str) -> Option<(f64, bool)> {
    let t = text.trim().replace('_', "");
    if let Ok(x) = t.parse::<f64>() {
        return x.is_finite().then_some((x, false));
    }
    if let Some(p) = t.strip_suffix('%') {
        return p.trim().parse::<f64>().ok().filter(|x| x.is_finite()).map(|x| (x / 100.0, false));
    }
    bulwark_spec::units::parse_duration_s(t.trim_matches('"')).ok().map(|s| (s, true))
}

/// The text written into the spec for a number: an integer when both ends were written
/// as integers, a duration in seconds, or the shortest float with 12 significant digits.
pub(crate) fn write_number(x: f64, duration: bool, integer: bool) -> String {
    if duration {
        return format!("\"{}s\"", trim_float(x));
    }
    if integer && x.fract() == 0.0 && x.abs() < 9.0e15 {
        return format!("{}", x as i64);
    }
    let s = trim_float(x);
    if s.contains('.') || s.contains('e') { s } else { format!("{s}.0") }
}

/// Whether a value was written as a whole number (`5`, `1_000`), so the values made from
/// it are written as integers too.
pub(crate) fn written_as_integer(text: &str) -> bool {
    !text.contains(['.', 'e', 'E', '%']) && text.trim().replace('_', "").parse::<f64>().is_ok()
}

fn trim_float(x: f64) -> String {
    let rounded: f64 = format!("{x:.12e}").parse().unwrap_or(x);
    format!("{rounded}")
}

/// The `path=` part of a `--vary` argument, its path's syntax checked, and the rest;
/// `usage` says what was expected when there is no `=`.
pub(crate) fn split_vary<'a>(
    s: &'a str,
    usage: &str,
    bad: &impl Fn(&str) -> SweepError,
) -> Result<(&'a str, &'a str), SweepError> {
    let (path, spec) = s.split_once('=').ok_or_else(|| bad(usage))?;
    let path = path.trim();
    // Validate the path's syntax now, with a placeholder value.
    Override::from_str(&format!("{path}=0")).map_err(|e| bad(&e.to_string()))?;
    Ok((path, spec))
}

/// [`read_number`], or the error naming the text.
fn number(t: &str, bad: &impl Fn(&str) -> SweepError) -> Result<(f64, bool), SweepError> {
    read_number(t).ok_or_else(|| bad(&format!("`{t}` is not a number, a duration (90s, 1h) or a percentage")))
}

/// A range `lo..hi` of numbers, durations or percentages, as written on the command line.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Range {
    pub(crate) low: f64,
    pub(crate) high: f64,
    /// Whether the ends are durations (written back as seconds).
    pub(crate) duration: bool,
    /// Whether both ends were written as whole numbers: values made from them are rounded
    /// and written as integers.
    pub(crate) integer: bool,
}

impl Range {
    /// Reads `lo..hi`; `no_range` is the problem to report when there is no `..`.
    pub(crate) fn parse(text: &str, no_range: &str, bad: &impl Fn(&str) -> SweepError) -> Result<Self, SweepError> {
        let (lo, hi) = text.split_once("..").ok_or_else(|| bad(no_range))?;
        let ((low, dl), (high, dh)) = (number(lo, bad)?, number(hi, bad)?);
        if dl != dh {
            return Err(bad("both ends are durations or neither is"));
        }
        Ok(Self { low, high, duration: dl, integer: written_as_integer(lo) && written_as_integer(hi) })
    }

    /// A value `x` made from the range, rounded if its ends were integers, and its text as
    /// written into the spec.
    pub(crate) fn value(&self, x: f64) -> (f64, String) {
        let x = if self.integer { x.round() } else { x };
        (x, write_number(x, self.duration, self.integer))
    }
}

impl FromStr for Axis {
    type Err = SweepError;

    /// Reads `path=lo..hi:count` (evenly spaced, both ends included) or `path=a,b,c`.
    /// Ends and values are numbers, durations (`0s..1h:7`) or percentages.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = |problem: &str| SweepError::Axis { input: s.to_string(), problem: problem.to_string() };
        let (path, spec) = split_vary(
            s,
            "expected path=lo..hi:count or path=a,b,c, e.g. markets[0].reserves.WETH.ltv=0.70..0.80:5",
            &bad,
        )?;
        let (values, duration) = if let Some((range, count)) = spec.split_once(':') {
            let r = Range::parse(range, "a range is lo..hi:count", &bad)?;
            let count: usize =
                count.trim().parse().map_err(|_| bad("the count after `:` is a whole number, e.g. :9"))?;
            if !(2..=1000).contains(&count) {
                return Err(bad("the count is between 2 and 1000"));
            }
            let values = (0..count)
                .map(|i| {
                    let (number, text) = r.value(r.low + (r.high - r.low) * i as f64 / (count - 1) as f64);
                    AxisValue { text, number }
                })
                .collect::<Vec<_>>();
            (values, r.duration)
        } else {
            let read = spec
                .split(',')
                .map(|t| Ok((number(t, &bad)?, written_as_integer(t))))
                .collect::<Result<Vec<_>, SweepError>>()?;
            let duration = read.first().is_some_and(|((_, d), _)| *d);
            if read.iter().any(|((_, d), _)| *d != duration) {
                return Err(bad("the values are all durations or none is"));
            }
            let values = read
                .into_iter()
                .map(|((x, d), int)| AxisValue { text: write_number(x, d, int), number: x })
                .collect::<Vec<_>>();
            (values, duration)
        };
        Ok(Self { path: path.to_string(), values, duration })
    }
}

/// How points are laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum SweepMode {
    /// Every combination of the axes' values.
    Grid,
    /// One axis at a time, the others at the spec's values (a tornado), plus the spec itself.
    OneAtATime,
}

/// What every sweep run shares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SweepOptions {
    /// Paths per point.
    pub paths: u64,
    /// The seed (the same at every point: common random numbers).
    pub seed: u64,
    /// The engine.
    pub engine: EngineKind,
    /// Which market of the spec to stress.
    pub market: usize,
}

/// The risk figures of one point, flat for a tidy table. `_se` fields are Monte Carlo
/// standard errors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Metrics {
    /// Total debt at the start, USD.
    pub total_debt_usd: f64,
    /// Mean bad debt, USD.
    pub bad_debt_mean_usd: f64,
    /// Its standard error.
    pub bad_debt_mean_se: f64,
    /// 95th percentile of bad debt, USD.
    pub var95_usd: f64,
    /// 99th percentile of bad debt, USD.
    pub var99_usd: f64,
    /// Its standard error.
    pub var99_se: f64,
    /// 99th percentile of bad debt as a share of total debt.
    pub var99_share: f64,
    /// Mean of the worst 1 % of bad debt, USD.
    pub cvar99_usd: f64,
    /// Probability that bad debt exceeds 1 % of debt.
    pub prob_insolvency: f64,
    /// Its standard error.
    pub prob_insolvency_se: f64,
    /// Probability of any bad debt.
    pub prob_any_bad_debt: f64,
    /// Mean debt liquidated per path, USD.
    pub liquidated_mean_usd: f64,
}

impl Metrics {
    /// The flat figures of a summary.
    pub fn of(s: &Summary) -> Self {
        Self {
            total_debt_usd: s.total_debt_usd,
            bad_debt_mean_usd: s.bad_debt.mean,
            bad_debt_mean_se: s.std_error.bad_debt_mean,
            var95_usd: s.var95_usd,
            var99_usd: s.var99_usd,
            var99_se: s.std_error.var99_usd,
            var99_share: s.var99_usd / s.total_debt_usd.max(f64::MIN_POSITIVE),
            cvar99_usd: s.cvar99_usd,
            prob_insolvency: s.prob_insolvency,
            prob_insolvency_se: s.std_error.prob_insolvency,
            prob_any_bad_debt: s.prob_any_bad_debt,
            liquidated_mean_usd: s.liquidated_volume,
        }
    }

    /// The figures by name, in the order of [`Metrics::NAMES`], for CSV and charts.
    pub fn values(&self) -> [f64; 12] {
        [
            self.total_debt_usd,
            self.bad_debt_mean_usd,
            self.bad_debt_mean_se,
            self.var95_usd,
            self.var99_usd,
            self.var99_se,
            self.var99_share,
            self.cvar99_usd,
            self.prob_insolvency,
            self.prob_insolvency_se,
            self.prob_any_bad_debt,
            self.liquidated_mean_usd,
        ]
    }

    /// The names of [`Metrics::values`], as the JSON fields.
    pub const NAMES: [&'static str; 12] = [
        "total_debt_usd",
        "bad_debt_mean_usd",
        "bad_debt_mean_se",
        "var95_usd",
        "var99_usd",
        "var99_se",
        "var99_share",
        "cvar99_usd",
        "prob_insolvency",
        "prob_insolvency_se",
        "prob_any_bad_debt",
        "liquidated_mean_usd",
    ];
}

/// One point of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepPoint {
    /// The value of each axis, in axis order; `None` where the spec's own value stands.
    pub values: Vec<Option<f64>>,
    /// The figures.
    #[serde(flatten)]
    pub metrics: Metrics,
}

/// A sweep's results: a tidy table, one row per point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SweepResult {
    /// The axes.
    pub axes: Vec<Axis>,
    /// Grid or one at a time.
    pub mode: SweepMode,
    /// The market stressed.
    pub market: String,
    /// Paths per point.
    pub paths: u64,
    /// The seed, the same at every point.
    pub seed: u64,
    /// Distinct price models among the points (points sharing one share their returns).
    pub price_models: usize,
    /// The points; in grid mode the last axis varies fastest; in one-at-a-time mode the
    /// spec itself comes first, then each axis's values in turn.
    pub points: Vec<SweepPoint>,
}

impl SweepResult {
    /// The tidy table as CSV: one column per axis (its path), then the figures.
    pub fn to_csv(&self) -> String {
        let mut out = String::new();
        let mut header: Vec<String> = self.axes.iter().map(|a| csv_cell(&a.path)).collect();
        header.extend(Metrics::NAMES.iter().map(|s| s.to_string()));
        out.push_str(&header.join(","));
        out.push('\n');
        for p in &self.points {
            let mut row: Vec<String> = p.values.iter().map(|v| v.map_or(String::new(), |x| format!("{x}"))).collect();
            row.extend(p.metrics.values().iter().map(|x| format!("{x}")));
            out.push_str(&row.join(","));
            out.push('\n');
        }
        out
    }
}

/// A CSV field: quoted (RFC 4180, inner quotes doubled) when it holds a comma or a quote.
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
}

/// The points of a layout: each is the index of every axis's value, `None` for the
/// spec's own value.
pub fn layout(axes: &[Axis], mode: SweepMode) -> Vec<Vec<Option<usize>>> {
    match mode {
        SweepMode::Grid => {
            let mut points: Vec<Vec<Option<usize>>> = vec![Vec::new()];
            for a in axes {
                points = points
                    .into_iter()
                    .flat_map(|p| {
                        (0..a.values.len()).map(move |i| {
                            let mut q = p.clone();
                            q.push(Some(i));
                            q
                        })
                    })
                    .collect();
            }
            points
        }
        SweepMode::OneAtATime => {
            let mut points = vec![vec![None; axes.len()]];
            for (k, a) in axes.iter().enumerate() {
                for i in 0..a.values.len() {
                    let mut q = vec![None; axes.len()];
                    q[k] = Some(i);
                    points.push(q);
                }
            }
            points
        }
    }
}

/// Runs a sweep. `progress(done, total)` counts path-runs over all points.
///
/// # Errors
/// [`SweepError`] for an invalid point, a missing market or a model that cannot be built.
pub fn sweep(
    spec: &SpecText,
    axes: &[Axis],
    mode: SweepMode,
    opts: &SweepOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<SweepResult, SweepError> {
    let plan = layout(axes, mode);
    let overrides: Vec<Vec<Override>> =
        plan.iter().map(|p| p.iter().zip(axes).filter_map(|(i, a)| i.and_then(|i| a.at(i))).collect()).collect();
    // Each point parses its spec and generates its book: independent, so in parallel.
    let protocols = overrides.par_iter().map(|o| spec.protocol(o)).collect::<Result<Vec<_>, _>>()?;
    let (summaries, models) = evaluate(&protocols, opts, progress)?;
    let market =
        protocols.first().and_then(|p| p.markets.get(opts.market)).map_or_else(String::new, |m| m.name.clone());
    let points = plan
        .iter()
        .zip(&summaries)
        .map(|(p, s)| SweepPoint {
            values: p.iter().zip(axes).map(|(i, a)| i.and_then(|i| a.values.get(i)).map(|v| v.number)).collect(),
            metrics: Metrics::of(s),
        })
        .collect();
    Ok(SweepResult {
        axes: axes.to_vec(),
        mode,
        market,
        paths: opts.paths,
        seed: opts.seed,
        price_models: models,
        points,
    })
}

/// Simulates one market of each protocol with the same seed and paths (common random
/// numbers), and returns each one's summary and the count of distinct price models.
/// Protocols with the same `[assets]` and `[scenario]` share each path's returns.
///
/// # Errors
/// [`SweepError::Market`] when a protocol lacks the market, [`SweepError::Sim`] when a
/// price model cannot be built.
pub fn evaluate(
    protocols: &[Protocol],
    opts: &SweepOptions,
    progress: &(dyn Fn(u64, u64) + Sync),
) -> Result<(Vec<Summary>, usize), SweepError> {
    // Group the protocols by price model.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for (i, p) in protocols.iter().enumerate() {
        let same = |j: &usize| protocols[*j].assets == p.assets && same_scenario(&protocols[*j], p);
        match groups.iter_mut().find(|g| g.first().is_some_and(same)) {
            Some(g) => g.push(i),
            None => groups.push(vec![i]),
        }
    }
    let total = opts.paths * protocols.len() as u64;
    let done = std::sync::atomic::AtomicU64::new(0);
    let mut summaries: Vec<Option<Summary>> = vec![None; protocols.len()];
    for group in &groups {
        let first = &protocols[group[0]];
        let (model, _) = path_model(first)?;
        let (liq, _) = liquidators(first)?;
        let worlds = group
            .par_iter()
            .map(|&i| {
                let p = &protocols[i];
                let market = p
                    .markets
                    .get(opts.market)
                    .ok_or(SweepError::Market { index: opts.market, count: p.markets.len() })?;
                Ok(World::with_engine(p, market, opts.seed, liq.clone(), opts.engine == EngineKind::Buckets))
            })
            .collect::<Result<Vec<World>, SweepError>>()?;
        let dt_days = first.scenario.step_s / 86_400.0;
        let steps = worlds.first().map_or(1, |w| w.steps);
        let assets = first.assets.len();
        // A chunk runs its paths through every world: about 256 path-runs, so that the
        // last chunks, when one thread may wait on the other, are short.
        let chunk_paths = (256 / worlds.len().max(1) as u64).clamp(1, 16);
        let chunks: Vec<u64> = (0..opts.paths.div_ceil(chunk_paths)).collect();
        // outcomes[chunk][path in chunk][world]
        let parts: Vec<Vec<Vec<PathOutcome>>> = chunks
            .par_iter()
            .map_init(
                || (Scratch::default(), vec![0.0; steps * assets], ReferencePath::default()),
                |(scratch, returns, reference), &chunk| {
                    let range = chunk * chunk_paths..((chunk + 1) * chunk_paths).min(opts.paths);
                    let n = range.end - range.start;
                    let out = range
                        .map(|path| {
                            // Validated when the model was built: fill fails only on a bad
                            // step or length, which this loop never passes.
                            if model.fill(&mut path_rng(opts.seed, path), dt_days, returns).is_err() {
                                returns.fill(0.0);
                            }
                            // The worlds share the path's reference prices (one model, so the
                            // same initial prices); one whose venues quote other assets gets
                            // its own.
                            if let Some(first) = worlds.first() {
                                reference.fill(first, returns);
                            }
                            worlds
                                .iter()
                                .map(|w| {
                                    if !reference.fits(w) {
                                        reference.fill(w, returns);
                                    }
                                    match opts.engine {
                                        EngineKind::Buckets => run_buckets_on(w, scratch, reference, &mut NoRecord),
                                        EngineKind::Exact => run_exact_on(w, scratch, reference, &mut NoRecord),
                                    }
                                })
                                .collect::<Vec<PathOutcome>>()
                        })
                        .collect::<Vec<_>>();
                    let finished = done.fetch_add(n * worlds.len() as u64, std::sync::atomic::Ordering::Relaxed)
                        + n * worlds.len() as u64;
                    progress(finished, total);
                    out
                },
            )
            .collect();
        for (k, (&i, world)) in group.iter().zip(&worlds).enumerate() {
            let outcomes: Vec<PathOutcome> = parts.iter().flatten().map(|per_world| per_world[k]).collect();
            let out = RunOutput { outcomes, liquidated_per_step: Vec::new(), written_off_per_step: Vec::new() };
            summaries[i] = Some(summarize(world, opts.engine, opts.seed, &out, 0));
        }
    }
    Ok((summaries.into_iter().flatten().collect(), groups.len()))
}

/// Whether two protocols simulate the same prices: the same scenario but for the count
/// of paths and the seed, which the options set.
fn same_scenario(a: &Protocol, b: &Protocol) -> bool {
    let mut s = b.scenario.clone();
    s.paths = a.scenario.paths;
    s.seed = a.scenario.seed;
    s == a.scenario
}
