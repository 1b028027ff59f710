//! Oracle manipulation (issue 3, vector 3): the cost to make the protocol read a false
//! price, route by route, against what the false price lets an attacker take out of the
//! spec's lending markets (REFERENCES.md §1, §4).
//!
//! Routes, for each asset a lending market lists:
//! - **spot** on every venue that trades it: move the price by k within one block
//!   (constant product: §4.1 with the fee; Uniswap v3: the exact tick walk), then trade back
//!   in the same transaction or leave the price to arbitrage, whichever costs less;
//! - **TWAP**, for an asset whose oracle averages a venue: hold the spot the mean needs,
//!   q = p + n(T − p)/m (v2, arithmetic) or q = p·(T/p)^(n/m) (v3, geometric), for m of the
//!   window's n blocks of [`OracleOptions::block_time_s`], paying m·[L(q/p) + fee] since
//!   arbitrage resets the price each block; the cheapest m. A proposer of consecutive slots
//!   pays about one L (ePrint 2022/445): reported as an assumption line, its probability
//!   being an input the spec does not give;
//! - **push feeds**: no manipulation at all: the answer may lag the market by the deviation
//!   band δ indefinitely and be stale for heartbeat + latency; the gap g = δ + z·σ·√(stale)
//!   is priced as a free move of 1 + g either way ([`push_window`]).
//!
//! A route moves what the protocol reads only if its oracle reads that venue: a push feed
//! reads neither spot nor TWAP, a TWAP oracle reads its own venue's mean, and an asset with
//! no oracle in the spec is assumed to read every venue's spot (the weakest design). A route
//! the oracle does not read is reported with no PfC and, as an assumption line, the move
//! that would pay if it did.
//!
//! Each route is scanned over k in [1/[`OracleOptions::max_move`], max_move]; its vector is
//! judged at the k where CoC/PfC is smallest (the attacker's best), and the smallest
//! profitable move k* (PfC > CoC, refined by bisection) is reported with it.

mod cost;
mod pfc;
mod vectors;

pub use cost::{PushWindow, arithmetic_spot_factor, geometric_spot_factor, push_window};
pub use pfc::{BorrowLiquidity, Exposure, PfcParts};

use bulwark_spec::Protocol;
use bulwark_spec::model::oracle::{OracleKind, TwapMean};
use bulwark_spec::model::venue::Venue;
use bulwark_spec::units::format_duration;
use serde::Serialize;

use crate::vector::{DEFAULT_AT_RISK_BELOW, Vector};
use cost::{RouteCost, VenueSide};
use vectors::{mean_name, push_vector, route_vector};

/// Ethereum's slot time since the merge, seconds.
pub const DEFAULT_BLOCK_TIME_S: f64 = 12.0;

/// Choices for the oracle vectors, each reported with the result.
#[derive(Debug, Clone, PartialEq)]
pub struct OracleOptions {
    /// Margin below which a vector is at risk.
    pub at_risk_below: f64,
    /// Seed of generated position books; `None` takes the scenario's.
    pub seed: Option<u64>,
    /// Seconds per block: TWAP windows in blocks, and the time a manipulation takes.
    pub block_time_s: f64,
    /// Largest move scanned, as a factor: k runs over [1/max_move, max_move].
    pub max_move: f64,
    /// Grid points per direction (geometric in k), before bisection refines k*.
    pub scan_points: usize,
    /// Sigmas of the market move a push feed can miss over its staleness window.
    pub lag_sigmas: f64,
    /// Flash-loan fee on the capital of a one-block manipulation (Aave v3: 0.05 %).
    pub flash_loan_fee: f64,
    /// Which liquidity a borrower at a false price can take.
    pub borrow_liquidity: BorrowLiquidity,
    /// The move at which routes are compared for the cheapest manipulation (1.1: 10 %),
    /// up and down.
    pub reference_move: f64,
    /// Consecutive slots assumed for the proposer variant of a TWAP attack.
    pub consecutive_slots: usize,
}

impl Default for OracleOptions {
    fn default() -> Self {
        Self {
            at_risk_below: DEFAULT_AT_RISK_BELOW,
            seed: None,
            block_time_s: DEFAULT_BLOCK_TIME_S,
            max_move: 10.0,
            scan_points: 160,
            lag_sigmas: 3.0,
            flash_loan_fee: 0.0005,
            borrow_liquidity: BorrowLiquidity::CapHeadroom,
            reference_move: 1.1,
            consecutive_slots: 2,
        }
    }
}

/// The oracle vectors and, per asset, the cheapest manipulation and smallest profitable move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OracleAssessment {
    /// Every route's vector, and one per push feed.
    pub vectors: Vec<Vector>,
    /// One entry per asset a lending market lists.
    pub assets: Vec<AssetManipulation>,
}

/// The manipulation summary of one asset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AssetManipulation {
    /// The asset.
    pub asset: String,
    /// How the protocol reads its price, in words.
    pub oracle: String,
    /// The route the oracle reads with the lowest CoC at the reference move, up or down.
    pub cheapest: Option<RouteAt>,
    /// The same over every route, as if the oracle read each.
    pub cheapest_if_read: Option<RouteAt>,
    /// The smallest profitable move over the routes the oracle reads.
    pub smallest_profitable_move: Option<RouteAt>,
    /// The smallest profitable move over every route, as if the oracle read each.
    pub smallest_profitable_move_if_read: Option<RouteAt>,
    /// For a push feed, how far its answer can be from the market: the window its
    /// deviation band, heartbeat and latency leave open.
    pub push_window: Option<PushWindow>,
}

/// A route at one move.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RouteAt {
    /// The route, e.g. `spot on Uniswap v3 WETH/USDC 0.05 %`.
    pub route: String,
    /// Whether the protocol's oracle reads it.
    pub reads: bool,
    /// The move k of the asset's USD price.
    pub factor: f64,
    /// CoC at that move, USD.
    pub coc_usd: f64,
    /// PfC at that move were the route read, USD.
    pub pfc_usd: f64,
}

/// The oracle vectors of a protocol: see the module documentation.
pub fn oracle_vectors(p: &Protocol, opts: &OracleOptions) -> Vec<Vector> {
    oracle_assessment(p, opts).vectors
}

#[derive(Debug, Clone)]
enum RouteKind {
    Spot,
    Twap { mean: TwapMean, window_blocks: usize, window_s: f64 },
}

#[derive(Debug, Clone)]
struct Route {
    name: String,
    side: VenueSide,
    kind: RouteKind,
    /// `None` when the oracle reads the route, else why it does not.
    unread: Option<String>,
    /// True when reading it is an assumption (no oracle in the spec).
    assumed: bool,
}

impl Route {
    fn cost(&self, k: f64, opts: &OracleOptions) -> Option<RouteCost> {
        match self.kind {
            RouteKind::Spot => self.side.spot(k, opts.flash_loan_fee),
            RouteKind::Twap { mean, window_blocks, .. } => self.side.twap(k, mean, window_blocks),
        }
    }
}

/// A point of a scan: move, CoC, PfC.
#[derive(Debug, Clone)]
struct Point {
    k: f64,
    cost: RouteCost,
    pfc: PfcParts,
}

/// The oracle vectors with the per-asset summary.
pub fn oracle_assessment(p: &Protocol, opts: &OracleOptions) -> OracleAssessment {
    let seed = opts.seed.unwrap_or(p.scenario.seed);
    let max_move = opts.max_move.max(1.0 + 1e-6);
    let n = opts.scan_points.max(2);
    let ups: Vec<f64> = (1..=n).map(|i| max_move.powf(i as f64 / n as f64)).collect();
    let mut vectors = Vec::new();
    let mut assets = Vec::new();
    for asset in &p.assets {
        let a = asset.symbol.as_str();
        let exposure = Exposure::new(p, a, seed, opts.borrow_liquidity);
        if !exposure.is_listed() {
            continue;
        }
        let oracle = p.oracle(a).map(|o| &o.kind);
        let routes = routes(p, a, oracle, opts);
        // PfC on the shared grid, once per asset: up then down, outward from 1.
        let pfc_up: Vec<PfcParts> = ups.iter().map(|&k| exposure.pfc_usd(k)).collect();
        let pfc_down: Vec<PfcParts> = ups.iter().map(|&k| exposure.pfc_usd(1.0 / k)).collect();

        let mut summary = AssetManipulation {
            asset: a.to_string(),
            oracle: describe_oracle(p, oracle),
            cheapest: None,
            cheapest_if_read: None,
            smallest_profitable_move: None,
            smallest_profitable_move_if_read: None,
            push_window: None,
        };
        if let Some(OracleKind::Push { heartbeat_s, deviation, latency_s }) = oracle {
            let w = push_window(*heartbeat_s, *deviation, *latency_s, asset.volatility.daily, opts.lag_sigmas);
            vectors.push(push_vector(a, &w, &exposure, opts));
            summary.push_window = Some(w);
        }
        for route in &routes {
            let (k_star, worst) = scan(route, &exposure, &ups, [&pfc_up, &pfc_down], opts);
            let at = |pt: &Point| RouteAt {
                route: route.name.clone(),
                reads: route.unread.is_none(),
                factor: pt.k,
                coc_usd: pt.cost.usd,
                pfc_usd: pt.pfc.total_usd(),
            };
            let better = |old: &Option<RouteAt>, new: &RouteAt| {
                old.as_ref().is_none_or(|o| new.factor.ln().abs() < o.factor.ln().abs())
            };
            if let Some(s) = &k_star {
                let r = at(s);
                if route.unread.is_none() && better(&summary.smallest_profitable_move, &r) {
                    summary.smallest_profitable_move = Some(r.clone());
                }
                if better(&summary.smallest_profitable_move_if_read, &r) {
                    summary.smallest_profitable_move_if_read = Some(r);
                }
            }
            for k in [opts.reference_move, 1.0 / opts.reference_move] {
                if let Some(cost) = route.cost(k, opts) {
                    let r = at(&Point { k, cost, pfc: exposure.pfc_usd(k) });
                    let cheaper = |c: &Option<RouteAt>| c.as_ref().is_none_or(|c| r.coc_usd < c.coc_usd);
                    if r.reads && cheaper(&summary.cheapest) {
                        summary.cheapest = Some(r.clone());
                    }
                    if cheaper(&summary.cheapest_if_read) {
                        summary.cheapest_if_read = Some(r);
                    }
                }
            }
            vectors.extend(route_vector(a, route, k_star.as_ref(), worst, opts));
        }
        assets.push(summary);
    }
    OracleAssessment { vectors, assets }
}

/// Scans a route over the grid, up then down, outward from 1: the smallest profitable
/// move (refined by bisection) and the point where CoC/PfC is smallest.
fn scan(
    route: &Route,
    exposure: &Exposure,
    ups: &[f64],
    pfcs: [&[PfcParts]; 2],
    opts: &OracleOptions,
) -> (Option<Point>, Option<Point>) {
    let mut k_star: Option<Point> = None;
    let mut worst: Option<(f64, Point)> = None;
    for (pfcs, invert) in [(pfcs[0], false), (pfcs[1], true)] {
        let mut prev = 1.0;
        let mut found = false;
        for (&g, pfc) in ups.iter().zip(pfcs) {
            let k = if invert { 1.0 / g } else { g };
            let Some(cost) = route.cost(k, opts) else { continue };
            let pfc_total = pfc.total_usd();
            if pfc_total > 0.0 {
                let ratio = cost.usd / pfc_total;
                if worst.as_ref().is_none_or(|(r, _)| ratio < *r) {
                    worst = Some((ratio, Point { k, cost: cost.clone(), pfc: *pfc }));
                }
            }
            if !found && pfc_total > cost.usd {
                found = true;
                let star = bisect(route, exposure, prev, k, opts).unwrap_or(Point { k, cost, pfc: *pfc });
                if k_star.as_ref().is_none_or(|s| star.k.ln().abs() < s.k.ln().abs()) {
                    k_star = Some(star);
                }
            }
            prev = k;
        }
    }
    (k_star, worst.map(|w| w.1))
}

/// The routes of asset `a`: spot on each venue trading it, and the TWAP its oracle averages.
fn routes(p: &Protocol, a: &str, oracle: Option<&OracleKind>, opts: &OracleOptions) -> Vec<Route> {
    let side = |v: &Venue| -> Option<VenueSide> {
        let asset_is_base = v.pair[0] == a;
        if !asset_is_base && v.pair[1] != a {
            return None;
        }
        Some(VenueSide {
            curve: bulwark_market::venue_curve(v).ok()?,
            asset_is_base,
            base_usd: p.price_usd(&v.pair[0]),
            quote_usd: p.price_usd(&v.pair[1]),
        })
    };
    let mut out = Vec::new();
    if let Some(OracleKind::Twap { venue, window_s, mean }) = oracle
        && let Some((v, s)) = p.venues.get(*venue).and_then(|v| Some((v, side(v)?)))
    {
        let window_blocks = (window_s / opts.block_time_s).round().max(1.0) as usize;
        let name = format!("{} TWAP over {} on {}", mean_name(*mean), format_duration(*window_s), v.name);
        out.push(Route {
            name,
            side: s,
            kind: RouteKind::Twap { mean: *mean, window_blocks, window_s: *window_s },
            unread: None,
            assumed: false,
        });
    }
    for v in &p.venues {
        let Some(s) = side(v) else { continue };
        let unread = match oracle {
            None => None,
            Some(OracleKind::Push { .. }) => {
                Some(format!("the protocol reads {a} from a push feed, which a single venue's spot does not move"))
            }
            Some(OracleKind::Twap { .. }) => {
                Some(format!("the protocol reads {a} from a TWAP, which one block's spot barely moves"))
            }
            Some(_) => Some(format!("the protocol's oracle for {a} does not read this venue")),
        };
        out.push(Route {
            name: format!("spot on {}", v.name),
            side: s,
            kind: RouteKind::Spot,
            unread,
            assumed: oracle.is_none(),
        });
    }
    out
}

/// Bisection for the smallest profitable move between `lo` (not profitable) and `hi`.
fn bisect(route: &Route, exposure: &Exposure, lo: f64, hi: f64, opts: &OracleOptions) -> Option<Point> {
    let (mut lo, mut hi) = (lo.ln(), hi.ln());
    let profit = |k: f64| -> Option<Point> {
        let cost = route.cost(k, opts)?;
        let pfc = exposure.pfc_usd(k);
        (pfc.total_usd() > cost.usd).then_some(Point { k, cost, pfc })
    };
    let mut best = profit(hi.exp())?;
    for _ in 0..40 {
        let mid = 0.5 * (lo + hi);
        match profit(mid.exp()) {
            Some(pt) => {
                hi = mid;
                best = pt;
            }
            None => lo = mid,
        }
    }
    Some(best)
}

fn describe_oracle(p: &Protocol, oracle: Option<&OracleKind>) -> String {
    match oracle {
        None => "none in the spec (assumed to read venue spot)".into(),
        Some(OracleKind::Push { heartbeat_s, deviation, latency_s }) => format!(
            "push feed: heartbeat {}, deviation {:.2} %, latency {}",
            format_duration(*heartbeat_s),
            deviation * 100.0,
            format_duration(*latency_s)
        ),
        Some(OracleKind::Twap { venue, window_s, mean }) => format!(
            "{} TWAP over {} on {}",
            mean_name(*mean),
            format_duration(*window_s),
            p.venues.get(*venue).map_or("?", |v| v.name.as_str())
        ),
        Some(_) => "other".into(),
    }
}
