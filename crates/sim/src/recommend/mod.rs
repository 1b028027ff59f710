//! Recommended risk parameters: for a target on bad debt or insolvency, the largest
//! liquidation thresholds, LTVs and caps, and the liquidation bonuses, that meet it,
//! found by bisection over the simulation with common random numbers, each with a
//! confidence interval; SmartLTV's closed form beside them.
//!
//! Each lever moves one family of parameters, the others staying at the spec's values:
//!
//! - liquidation threshold: every collateral reserve's threshold shifted by the same
//!   amount (an LTV above the new threshold comes down to it). A generated book keeps its
//!   health factors, so a higher threshold means borrowers hold less collateral per dollar
//!   of debt;
//! - LTV: every collateral reserve's LTV set to the same share `r` of its threshold; the
//!   book's health factors shift so that the lowest is `1/r` (borrowers may open positions
//!   up to the LTV, and keep their distance above it);
//! - caps: the book scaled by `k` (debt and collateral); the caps are `k` times what the
//!   book supplies and borrows of each asset;
//! - liquidation bonus: the same bonus on every collateral reserve, scanned over a list,
//!   since bad debt need not move one way with it (a low bonus leaves small liquidations
//!   unpaid for gas; a high one seizes more collateral into thin markets).
//!
//! The LTV and cap levers change a generated book; for a book read from a CSV they are
//! not simulated, and the report says so.
//!
//! Confidence interval: the bound is bisected three times at once, on the estimate and
//! on the estimate plus and minus `z` standard errors; the two outer solutions bracket the
//! bound at the pointwise level of `z` (1.96: 95 %). More paths give narrower intervals.

mod smart_ltv;
mod target;

pub use smart_ltv::{BLUE_CHIP_APPETITE, SmartLtv, smart_ltv};
pub use target::{Limit, Target, TargetError, TargetMetric};

use bulwark_spec::Protocol;
use bulwark_spec::overrides::Override;
use bulwark_spec::positions::PositionBook;
use serde::Serialize;

use crate::run::EngineKind;
use crate::sweep::{SpecText, SweepError, SweepOptions, evaluate};

/// A family of parameters the search moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Lever {
    /// Collateral liquidation thresholds, shifted together.
    LiquidationThreshold,
    /// Collateral LTVs, as one share of each threshold.
    Ltv,
    /// Supply and borrow caps, as one scale of the book.
    Caps,
    /// The liquidation bonus of collateral reserves.
    LiquidationBonus,
}

impl Lever {
    /// Every lever, in report order.
    pub const ALL: [Lever; 4] = [Lever::LiquidationThreshold, Lever::Ltv, Lever::Caps, Lever::LiquidationBonus];

    /// What the lever's coordinate means, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Lever::LiquidationThreshold => "shift of every collateral liquidation threshold",
            Lever::Ltv => "LTV as a share of each liquidation threshold",
            Lever::Caps => "scale of the book (caps = scale × supplied and borrowed)",
            Lever::LiquidationBonus => "liquidation bonus of every collateral reserve",
        }
    }
}

/// Settings of a search.
#[derive(Debug, Clone, PartialEq)]
pub struct RecommendOptions {
    /// Paths per evaluation.
    pub paths: u64,
    /// The seed (the same at every evaluation).
    pub seed: u64,
    /// The market.
    pub market: usize,
    /// Bisection steps per lever.
    pub iterations: u32,
    /// Standard errors on each side for the confidence interval (1.96: 95 %).
    pub z: f64,
    /// The levers to search.
    pub levers: Vec<Lever>,
    /// The bonuses scanned.
    pub bonuses: Vec<f64>,
}

impl Default for RecommendOptions {
    fn default() -> Self {
        Self {
            paths: 1_000,
            seed: 7,
            market: 0,
            iterations: 7,
            z: 1.96,
            levers: Lever::ALL.to_vec(),
            bonuses: vec![0.02, 0.04, 0.06, 0.08, 0.10, 0.12],
        }
    }
}

/// One evaluation of the search: the lever's coordinate and the target's figure.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Evaluation {
    /// The lever's coordinate.
    pub x: f64,
    /// The figure, in the target's unit.
    pub figure: f64,
    /// Its standard error.
    pub std_error: f64,
}

/// A parameter of one reserve at the recommended bound, and its interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReserveValue {
    /// The asset.
    pub asset: String,
    /// Which parameter (`liquidation_threshold`, `ltv`, `supply_cap`, `borrow_cap`, `liquidation_bonus`).
    pub parameter: String,
    /// The spec's value (`None`: the spec sets none).
    pub spec: Option<f64>,
    /// At the bound.
    pub value: f64,
    /// At the interval's conservative end.
    pub low: f64,
    /// At the interval's optimistic end.
    pub high: f64,
}

/// What the search found for one lever.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendation {
    /// The lever.
    pub lever: Lever,
    /// What its coordinate means.
    pub coordinate: String,
    /// The coordinate at the spec's values.
    pub spec_x: f64,
    /// The range searched.
    pub range: (f64, f64),
    /// The bound on the coordinate (largest meeting the target; for the bonus, the
    /// smallest), `None` when no value in the range meets it.
    pub x: Option<f64>,
    /// The confidence interval of the bound, conservative end first.
    pub interval: Option<(f64, f64)>,
    /// The parameters at the bound, per reserve.
    pub values: Vec<ReserveValue>,
    /// Whether the spec's own values meet the target (estimate below the limit).
    pub spec_meets: bool,
    /// Every evaluation, in the order run.
    pub evaluations: Vec<Evaluation>,
    /// Anything the reader must know (a lever that cannot be simulated, a range edge).
    pub note: Option<String>,
}

/// The whole answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Recommendations {
    /// The target, as read.
    pub target: String,
    /// The market.
    pub market: String,
    /// Paths per evaluation.
    pub paths: u64,
    /// The seed.
    pub seed: u64,
    /// The confidence level of the intervals, from `z`.
    pub z: f64,
    /// One entry per lever searched.
    pub levers: Vec<Recommendation>,
    /// SmartLTV per collateral reserve.
    pub smart_ltv: Vec<SmartLtv>,
    /// Why SmartLTV and the simulation differ, in words.
    pub comparison: Vec<String>,
}

/// The spec's reserves a lever moves: collateral ones.
fn collateral(p: &Protocol, market: usize) -> Vec<(String, f64, f64, f64)> {
    p.markets
        .get(market)
        .map(|m| {
            m.reserves
                .iter()
                .filter(|r| r.liquidation_threshold > 0.0)
                .map(|r| (r.asset.clone(), r.liquidation_threshold, r.ltv, r.liquidation_bonus))
                .collect()
        })
        .unwrap_or_default()
}

struct Plan {
    range: (f64, f64),
    spec_x: f64,
    log: bool,
    note: Option<String>,
}

/// The overrides that put a lever at `x`.
fn overrides(p: &Protocol, market: usize, lever: Lever, x: f64) -> Vec<Override> {
    let m = format!("markets[{market}]");
    let mut out = Vec::new();
    let num = |v: f64| format!("{v:.6}");
    match lever {
        Lever::LiquidationThreshold => {
            for (a, lt, ltv, _) in collateral(p, market) {
                let new = (lt + x).clamp(0.01, 0.99);
                out.push(Override::new(format!("{m}.reserves.{a}.liquidation_threshold"), num(new)));
                if ltv > new {
                    out.push(Override::new(format!("{m}.reserves.{a}.ltv"), num(new)));
                }
            }
        }
        Lever::Ltv => {
            for (a, lt, _, _) in collateral(p, market) {
                out.push(Override::new(format!("{m}.reserves.{a}.ltv"), num(x * lt)));
            }
            // The whole health distribution shifts so that its floor is 1/r: every
            // borrower keeps the same distance above the floor.
            if let Some(PositionBook::Generated(g)) = p.markets.get(market).map(|m| &m.positions) {
                let shift = 1.0 / x - g.health.min;
                out.push(Override::new(format!("{m}.positions.health.min"), num(g.health.min + shift)));
                out.push(Override::new(format!("{m}.positions.health.median"), num(g.health.median + shift)));
            }
        }
        Lever::Caps => {
            if let Some(PositionBook::Generated(g)) = p.markets.get(market).map(|m| &m.positions) {
                out.push(Override::new(format!("{m}.positions.total_debt"), num(g.total_debt_usd * x)));
            }
        }
        Lever::LiquidationBonus => {
            for (a, ..) in collateral(p, market) {
                out.push(Override::new(format!("{m}.reserves.{a}.liquidation_bonus"), num(x)));
            }
        }
    }
    out
}

fn plan(p: &Protocol, market: usize, lever: Lever, bonuses: &[f64]) -> Plan {
    let reserves = collateral(p, market);
    let generated = match p.markets.get(market).map(|m| &m.positions) {
        Some(PositionBook::Generated(g)) => Some(g),
        _ => None,
    };
    match lever {
        Lever::LiquidationThreshold => {
            // Up to the first threshold at which LT·(1 + bonus) reaches 1 (Aave's rule),
            // down by 0.25 or to 0.05.
            let up = reserves.iter().map(|(_, lt, _, b)| (1.0 / (1.0 + b) - 0.001).min(0.99) - lt).fold(0.15, f64::min);
            let down = reserves.iter().map(|(_, lt, _, _)| 0.05 - lt).fold(-0.25, f64::max);
            Plan { range: (down, up.max(down)), spec_x: 0.0, log: false, note: None }
        }
        Lever::Ltv => {
            let spec_x = reserves.iter().map(|(_, lt, ltv, _)| ltv / lt).fold(0.0, f64::max);
            match generated {
                Some(g) => Plan { range: (0.5, 0.995), spec_x: 1.0 / g.health.min, log: false, note: None },
                None => Plan {
                    range: (spec_x, spec_x),
                    spec_x,
                    log: false,
                    note: Some("the book is read from a CSV: LTV does not move it, so it is not simulated".into()),
                },
            }
        }
        Lever::Caps => match generated {
            Some(_) => Plan { range: (0.1, 10.0), spec_x: 1.0, log: true, note: None },
            None => Plan {
                range: (1.0, 1.0),
                spec_x: 1.0,
                log: true,
                note: Some("the book is read from a CSV: caps are not simulated".into()),
            },
        },
        Lever::LiquidationBonus => {
            let spec_x = reserves.iter().map(|(_, _, _, b)| *b).fold(0.0, f64::max);
            let lo = bonuses.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = bonuses.iter().copied().fold(0.0, f64::max);
            Plan { range: (lo, hi), spec_x, log: false, note: None }
        }
    }
}

/// Searches every lever of `opts` for the bounds that meet `target`.
///
/// # Errors
/// [`SweepError`] when the spec, a point of the search or the simulation fails.
pub fn recommend(
    spec: &SpecText,
    target: &Target,
    opts: &RecommendOptions,
    progress: &(dyn Fn(&str) + Sync),
) -> Result<Recommendations, SweepError> {
    let base = spec.protocol(&[])?;
    let market =
        base.markets.get(opts.market).ok_or(SweepError::Market { index: opts.market, count: base.markets.len() })?;
    let sweep_opts =
        SweepOptions { paths: opts.paths, seed: opts.seed, engine: EngineKind::Buckets, market: opts.market };
    let run = |lever: Lever, xs: &[f64]| -> Result<Vec<Evaluation>, SweepError> {
        let protocols = xs
            .iter()
            .map(|&x| spec.protocol(&overrides(&base, opts.market, lever, x)))
            .collect::<Result<Vec<_>, _>>()?;
        let (summaries, _) = evaluate(&protocols, &sweep_opts, &|_, _| {})?;
        Ok(xs
            .iter()
            .zip(&summaries)
            .map(|(&x, s)| {
                let (figure, std_error) = target.measure(s);
                Evaluation { x, figure, std_error }
            })
            .collect())
    };
    let mut levers = Vec::new();
    for &lever in &opts.levers {
        progress(lever.describe());
        let plan = plan(&base, opts.market, lever, &opts.bonuses);
        let mut found = if lever == Lever::LiquidationBonus {
            scan(&run, lever, &opts.bonuses, target.bound(), opts.z)?
        } else if plan.range.0 == plan.range.1 {
            Found { evaluations: run(lever, &[plan.spec_x])?, x: None, interval: None, note: None }
        } else {
            bisect(&run, lever, &plan, target.bound(), opts.z, opts.iterations)?
        };
        let spec_eval = match found.evaluations.iter().find(|e| (e.x - plan.spec_x).abs() < 1e-12) {
            Some(e) => *e,
            None => {
                let e = run(lever, &[plan.spec_x])?;
                found.evaluations.extend(&e);
                e[0]
            }
        };
        let values = match (found.x, found.interval) {
            (Some(x), Some((lo, hi))) => reserve_values(&base, opts.market, lever, x, lo, hi),
            _ => Vec::new(),
        };
        levers.push(Recommendation {
            lever,
            coordinate: lever.describe().to_string(),
            spec_x: plan.spec_x,
            range: plan.range,
            x: found.x,
            interval: found.interval,
            values,
            spec_meets: spec_eval.figure < target.bound(),
            evaluations: found.evaluations,
            note: plan.note.or(found.note),
        });
    }
    let smart = smart_ltv(&base, market, opts.seed);
    let comparison = comparison(&base, &smart, levers.iter().find(|l| l.lever == Lever::Ltv), opts.paths);
    Ok(Recommendations {
        target: target.to_string(),
        market: market.name.clone(),
        paths: opts.paths,
        seed: opts.seed,
        z: opts.z,
        levers,
        smart_ltv: smart,
        comparison,
    })
}

struct Found {
    evaluations: Vec<Evaluation>,
    x: Option<f64>,
    interval: Option<(f64, f64)>,
    note: Option<String>,
}

type Runner<'a> = dyn Fn(Lever, &[f64]) -> Result<Vec<Evaluation>, SweepError> + 'a;

/// Bisection for the largest x whose figure (risk grows with x) stays below `bound`, on
/// the estimate and on the estimate ± z standard errors at once.
fn bisect(
    run: &Runner<'_>,
    lever: Lever,
    plan: &Plan,
    bound: f64,
    z: f64,
    iterations: u32,
) -> Result<Found, SweepError> {
    let (lo, hi) = plan.range;
    let mut evaluations = run(lever, &[lo, hi])?;
    let curves = [z, 0.0, -z]; // conservative, estimate, optimistic
    let meets = |e: &Evaluation, k: f64| e.figure + k * e.std_error < bound;
    let (at_lo, at_hi) = (evaluations[0], evaluations[1]);
    let mut brackets: Vec<(f64, f64)> = Vec::new();
    let mut note = None;
    for k in curves {
        brackets.push(match (meets(&at_lo, k), meets(&at_hi, k)) {
            (_, true) => (hi, hi),
            (false, false) => (lo, lo),
            (true, false) => (lo, hi),
        });
    }
    if !meets(&at_lo, 0.0) {
        note = Some(format!("the target is not met anywhere in the range searched ({lo:.4} to {hi:.4})"));
    } else if meets(&at_hi, 0.0) {
        note = Some(format!("the target is met across the whole range; the bound is at least {hi:.4}"));
    }
    let mid = |a: f64, b: f64| if plan.log { (a * b).sqrt() } else { 0.5 * (a + b) };
    for _ in 0..iterations {
        let open: Vec<usize> = (0..3).filter(|&i| brackets[i].0 < brackets[i].1).collect();
        if open.is_empty() {
            break;
        }
        let xs: Vec<f64> = open.iter().map(|&i| mid(brackets[i].0, brackets[i].1)).collect();
        let es = run(lever, &xs)?;
        for (&i, e) in open.iter().zip(&es) {
            if meets(e, curves[i]) {
                brackets[i].0 = e.x;
            } else {
                brackets[i].1 = e.x;
            }
        }
        evaluations.extend(es);
    }
    // The largest x known to meet each curve: the lower end of its bracket.
    let x = meets(&at_lo, 0.0).then_some(brackets[1].0);
    // Conservative end: the largest x known to meet the target even z errors up; optimistic
    // end: the smallest x known to miss it even z errors down (so the bisection's own
    // resolution is inside the interval).
    let interval = x.map(|_| (brackets[0].0, brackets[2].1));
    Ok(Found { evaluations, x, interval, note })
}

/// The smallest bonus in the list whose figure stays below the bound, and the interval
/// between the smallest that surely does (+z) and the smallest that may (−z).
fn scan(run: &Runner<'_>, lever: Lever, xs: &[f64], bound: f64, z: f64) -> Result<Found, SweepError> {
    let mut sorted = xs.to_vec();
    sorted.sort_by(f64::total_cmp);
    let evaluations = run(lever, &sorted)?;
    let first = |k: f64| evaluations.iter().find(|e| e.figure + k * e.std_error < bound).map(|e| e.x);
    let x = first(0.0);
    let interval = x.map(|x| (first(z).unwrap_or(x), first(-z).unwrap_or(x)));
    let note = Some(if x.is_none() {
        "no bonus in the list meets the target".to_string()
    } else {
        "scanned, not bisected: bad debt need not move one way with the bonus; the smallest bonus meeting the target is given (the cheapest for borrowers)".to_string()
    });
    Ok(Found { evaluations, x, interval, note })
}

/// The reserves' parameters at a lever's coordinate and its interval ends.
fn reserve_values(p: &Protocol, market: usize, lever: Lever, x: f64, lo: f64, hi: f64) -> Vec<ReserveValue> {
    let Some(m) = p.markets.get(market) else { return Vec::new() };
    let mut out = Vec::new();
    let mut push = |asset: &str, parameter: &str, spec: Option<f64>, f: &dyn Fn(f64) -> f64| {
        out.push(ReserveValue {
            asset: asset.to_string(),
            parameter: parameter.to_string(),
            spec,
            value: f(x),
            low: f(lo),
            high: f(hi),
        });
    };
    match lever {
        Lever::LiquidationThreshold => {
            for (a, lt, _, _) in collateral(p, market) {
                push(&a, "liquidation_threshold", Some(lt), &|d| (lt + d).clamp(0.01, 0.99));
            }
        }
        Lever::Ltv => {
            for (a, lt, ltv, _) in collateral(p, market) {
                push(&a, "ltv", Some(ltv), &|r| r * lt);
            }
        }
        Lever::Caps => {
            let price = |a: &str| p.price_usd(a);
            let book = m.book(0, &price);
            for r in &m.reserves {
                let supplied: f64 = book
                    .iter()
                    .flat_map(|pos| pos.collateral.iter())
                    .filter(|(a, _)| *a == r.asset)
                    .map(|(_, n)| n)
                    .sum();
                let borrowed: f64 =
                    book.iter().flat_map(|pos| pos.debt.iter()).filter(|(a, _)| *a == r.asset).map(|(_, n)| n).sum();
                if supplied > 0.0 {
                    push(&r.asset, "supply_cap", r.supply_cap, &|k| k * supplied);
                }
                if borrowed > 0.0 {
                    push(&r.asset, "borrow_cap", r.borrow_cap, &|k| k * borrowed);
                }
            }
        }
        Lever::LiquidationBonus => {
            for (a, _, _, b) in collateral(p, market) {
                push(&a, "liquidation_bonus", Some(b), &|v| v);
            }
        }
    }
    out
}

/// Why SmartLTV and the simulated LTV bound differ, from the spec's own figures.
fn comparison(p: &Protocol, smart: &[SmartLtv], simulated: Option<&Recommendation>, paths: u64) -> Vec<String> {
    let mut out = vec![
        "SmartLTV (REFERENCES.md §6.4) assumes one day of log-normal moves of size σ, liquidations that do not move \
         the price, no oracle lag, no gas and no liquidator limits; its only market input is the depth l at a price \
         impact of β."
            .to_string(),
    ];
    let s = &p.scenario;
    let mut sim = Vec::new();
    for shock in &s.shocks {
        if let bulwark_spec::model::scenario::ShockKind::Drop { fraction } = shock.kind {
            sim.push(format!(
                "{} falls {:.0} % over {}",
                shock.asset,
                fraction * 100.0,
                bulwark_spec::units::format_duration(shock.over_s)
            ));
        }
    }
    sim.push(format!("liquidators repay at most ${:.0} a step", s.liquidators.capital_per_step_usd));
    sim.push(format!("a liquidation costs {:.0} gas at {} gwei", s.liquidators.gas, s.liquidators.gas_price_gwei));
    sim.push("oracles lag by their latency and deviation rules; seized collateral is sold into the venues".to_string());
    out.push(format!(
        "The simulation runs the spec's scenario instead: {}; so it bounds the LTV by the tail ({} paths per evaluation), where \
         SmartLTV bounds it by one σ scaled by c.",
        sim.join("; "),
        paths
    ));
    if let Some(r) = simulated.filter(|r| r.x.is_some()) {
        let at_edge = r.x.is_some_and(|x| (x - r.range.1).abs() < 1e-9);
        for v in &r.values {
            if let Some(sm) = smart.iter().find(|m| m.asset == v.asset) {
                let why = if at_edge {
                    format!(
                        "the simulated bound is at least {:.3}: the target holds up to the search's edge, so the scenario's tail is milder than SmartLTV's σ-day for this book",
                        v.value
                    )
                } else if sm.ltv > v.value {
                    format!(
                        "SmartLTV is looser than the simulated {:.3}: the crash and the cascade it sets off cost more than one σ-day with perfect liquidity",
                        v.value
                    )
                } else {
                    format!(
                        "SmartLTV is tighter than the simulated {:.3}: σ from the worst day and a small l/d cost more than the scenario's paths do",
                        v.value
                    )
                };
                out.push(format!("{}: SmartLTV {:.3}; {why}.", v.asset, sm.ltv));
            }
        }
    }
    out
}
