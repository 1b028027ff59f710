//! Cost of corruption of each manipulation route: moving a venue's spot price within one
//! block, holding a TWAP's venue for m blocks, and the window a push feed leaves open.

use bulwark_market::{Curve, PriceMove};
use bulwark_spec::model::oracle::TwapMean;

use crate::vector::{CostItem, CostKind};

/// Seconds in a day, for daily volatilities.
const DAY_S: f64 = 86_400.0;

/// Largest window scanned block by block; longer windows try 64 block counts spread
/// geometrically (the cost of holding is smooth in m, so the grid loses little).
const MAX_BLOCKS_SCANNED: usize = 256;

/// Relative shortfall of a move the venue cannot make (a v3 pool at its ratio bounds).
const UNREACHED: f64 = 1e-6;

/// The spot factor an n-block arithmetic TWAP needs, held for m blocks, to average k·p;
/// `None` when it would have to be zero or negative.
///
/// # Formula
/// REFERENCES.md §4.2 (Uniswap v2): q = p + n(T − p)/m, i.e. q/p = 1 + n(k − 1)/m.
pub fn arithmetic_spot_factor(k: f64, n: f64, m: f64) -> Option<f64> {
    let q = 1.0 + n * (k - 1.0) / m;
    (q > 0.0 && q.is_finite()).then_some(q)
}

/// The spot factor an n-block geometric TWAP needs, held for m blocks, to average k·p.
///
/// # Formula
/// REFERENCES.md §4.2 (Uniswap v3, mean of ticks): q = p·(T/p)^(n/m), i.e. q/p = k^(n/m).
pub fn geometric_spot_factor(k: f64, n: f64, m: f64) -> f64 {
    k.powf(n / m)
}

/// How far a push feed's answer can be from the market (derived, REFERENCES.md §4.3).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct PushWindow {
    /// Deviation band δ: moves inside it never trigger a round, for as long as they last.
    pub deviation: f64,
    /// Longest staleness: heartbeat + latency, seconds.
    pub stale_s: f64,
    /// A `sigmas`-σ move over the staleness window at the asset's daily volatility.
    pub drift: f64,
    /// The gap used: δ + drift (the deviation trigger assumed not to fire in time).
    pub gap: f64,
    /// The gap with a working deviation trigger: δ + a `sigmas`-σ move over the latency.
    pub gap_with_trigger: f64,
}

/// The window a push feed leaves open.
///
/// # Formula
/// Derived from REFERENCES.md §4.3: the answer lags by up to δ indefinitely and is stale up
/// to heartbeat + latency; drift = z·σ_daily·√(stale_s / 86,400 s); gap g = δ + drift.
/// With a working deviation trigger a new round lands within the latency, so the gap is
/// δ + z·σ_daily·√(latency_s / 86,400 s).
pub fn push_window(heartbeat_s: f64, deviation: f64, latency_s: f64, daily_vol: f64, sigmas: f64) -> PushWindow {
    let stale_s = heartbeat_s + latency_s;
    let drift = sigmas * daily_vol * (stale_s / DAY_S).sqrt();
    PushWindow {
        deviation,
        stale_s,
        drift,
        gap: deviation + drift,
        gap_with_trigger: deviation + sigmas * daily_vol * (latency_s / DAY_S).sqrt(),
    }
}

/// A venue seen from one of its assets: its curve and the USD prices of both sides.
#[derive(Debug, Clone)]
pub(crate) struct VenueSide {
    pub(crate) curve: Curve,
    /// Whether the manipulated asset is the venue's base (else its quote).
    pub(crate) asset_is_base: bool,
    pub(crate) base_usd: f64,
    pub(crate) quote_usd: f64,
}

/// The cost of one route at one move.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct RouteCost {
    pub(crate) usd: f64,
    pub(crate) items: Vec<CostItem>,
    pub(crate) time_blocks: f64,
    /// What was done, for the assumptions: e.g. "hold 1.32× for 150 blocks".
    pub(crate) detail: String,
}

impl VenueSide {
    /// The venue's own factor for a move k of the asset's USD price, the other side's
    /// USD price held fixed.
    pub(crate) fn venue_factor(&self, k: f64) -> f64 {
        if self.asset_is_base { k } else { 1.0 / k }
    }

    /// The move by `venue_k`, if the venue can make it.
    fn price_move(&self, venue_k: f64) -> Option<PriceMove> {
        let m = self.curve.cost_to_move(venue_k).ok()?;
        ((m.factor / venue_k).ln().abs() <= UNREACHED).then_some(m)
    }

    /// Moving the spot price by k within one block: the attacker pays the fee on the
    /// input and then either leaves the price to arbitrage (losing L) or, in the same
    /// transaction, trades back itself (losing the round trip); it takes the cheaper. The
    /// input is flash-borrowed at `flash_fee`.
    pub(crate) fn spot(&self, k: f64, flash_fee: f64) -> Option<RouteCost> {
        let vk = self.venue_factor(k);
        let m = self.price_move(vk)?;
        let input_usd = m.quote_in * self.quote_usd + m.base_in * self.base_usd;
        let fee = m.fee_quote * self.quote_usd;
        let leave = m.arbitrage_loss_quote * self.quote_usd;
        let round_trip = m.round_trip_loss_quote * self.quote_usd;
        let flash = flash_fee * input_usd;
        let mut items = Vec::new();
        let detail = if round_trip < fee + leave {
            items.push(item(
                format!("round trip in one transaction: both swap fees and price impact on ${input_usd:.0} moved"),
                round_trip,
                CostKind::Destroyed,
            ));
            "trade back in the same transaction".to_string()
        } else {
            items.push(item(format!("swap fee on ${input_usd:.0} moved"), fee, CostKind::Destroyed));
            items.push(item("arbitrage loss L(k) when the price is restored".into(), leave, CostKind::Destroyed));
            "left to arbitrage".to_string()
        };
        if flash > 0.0 {
            items.push(item(format!("flash-loan fee on ${input_usd:.0}"), flash, CostKind::Destroyed));
        }
        Some(RouteCost {
            usd: items.iter().map(|i| i.usd).sum(),
            items,
            time_blocks: 1.0,
            detail: format!("move the spot {vk:.4}× ({detail})"),
        })
    }

    /// Holding a TWAP at k: for each number of blocks m, the spot factor the mean needs and
    /// m times the per-block cost (arbitrage resets the price every block, so the attacker
    /// pays the fee and loses L(q/p) in each); the cheapest m.
    ///
    /// # Formula
    /// REFERENCES.md §4.2: cost ≈ m·[L(q/p) + fee], q from [`arithmetic_spot_factor`] or
    /// [`geometric_spot_factor`] with the venue's own factor.
    pub(crate) fn twap(&self, k: f64, mean: TwapMean, window_blocks: usize) -> Option<RouteCost> {
        let vk = self.venue_factor(k);
        let n = window_blocks as f64;
        let mut best: Option<(f64, f64, f64, PriceMove)> = None;
        for m in block_counts(window_blocks) {
            let mf = m as f64;
            let q = match mean {
                TwapMean::Arithmetic => arithmetic_spot_factor(vk, n, mf),
                TwapMean::Geometric => Some(geometric_spot_factor(vk, n, mf)),
            };
            let Some(pm) = q.and_then(|q| self.price_move(q)) else { continue };
            let per_block = (pm.fee_quote + pm.arbitrage_loss_quote) * self.quote_usd;
            let total = mf * per_block;
            if best.as_ref().is_none_or(|b| total < b.0) {
                best = Some((total, mf, pm.factor, pm));
            }
        }
        let (total, m, q, pm) = best?;
        let fee = m * pm.fee_quote * self.quote_usd;
        Some(RouteCost {
            usd: total,
            items: vec![
                item(format!("swap fees over {m:.0} blocks"), fee, CostKind::Destroyed),
                item(format!("arbitrage loss L(q/p) in each of {m:.0} blocks"), total - fee, CostKind::Destroyed),
            ],
            time_blocks: m,
            detail: format!("hold the spot at {q:.4}× for {m:.0} of the window's {window_blocks} blocks"),
        })
    }

    /// One block's cost at the spot factor m blocks need: what a proposer of m consecutive
    /// slots pays, since no arbitrage runs between its blocks (ePrint 2022/445).
    pub(crate) fn consecutive_proposer_usd(
        &self,
        k: f64,
        mean: TwapMean,
        window_blocks: usize,
        m: usize,
    ) -> Option<f64> {
        let vk = self.venue_factor(k);
        let (n, mf) = (window_blocks as f64, m.min(window_blocks).max(1) as f64);
        let q = match mean {
            TwapMean::Arithmetic => arithmetic_spot_factor(vk, n, mf)?,
            TwapMean::Geometric => geometric_spot_factor(vk, n, mf),
        };
        let pm = self.price_move(q)?;
        Some((pm.fee_quote + pm.arbitrage_loss_quote) * self.quote_usd)
    }
}

/// Block counts to try for an n-block window: all of them up to [`MAX_BLOCKS_SCANNED`],
/// else 64 spread geometrically, always with 1 and n.
fn block_counts(n: usize) -> Vec<usize> {
    let n = n.max(1);
    if n <= MAX_BLOCKS_SCANNED {
        return (1..=n).collect();
    }
    let mut out: Vec<usize> = (0..64).map(|i| (n as f64).powf(f64::from(i) / 63.0).round() as usize).collect();
    out.push(n);
    out.sort_unstable();
    out.dedup();
    out
}

pub(crate) fn item(label: String, usd: f64, kind: CostKind) -> CostItem {
    CostItem { label, usd, kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twap_spot_factors_follow_the_hand_algebra() {
        // Arithmetic: move a 10-block mean 5 % up holding 2 blocks: 1 + 10·0.05/2 = 1.25.
        let near = |a: Option<f64>, b: f64| a.is_some_and(|a| (a - b).abs() < 1e-12);
        assert!(near(arithmetic_spot_factor(1.05, 10.0, 2.0), 1.25));
        // Holding the whole window needs the target itself.
        assert!(near(arithmetic_spot_factor(1.05, 10.0, 10.0), 1.05));
        // q = p + n(T − p)/m with p = 2,000, T = 2,100, n = 150, m = 30: 2,500, i.e. 1.25.
        assert!(near(arithmetic_spot_factor(2_100.0 / 2_000.0, 150.0, 30.0), 2_500.0 / 2_000.0));
        // 30 % down over a 10-block window in 2 blocks would need a negative price.
        assert_eq!(arithmetic_spot_factor(0.7, 10.0, 2.0), None);
        // Geometric: 1.05^(10/2) = 1.2762815625.
        assert!((geometric_spot_factor(1.05, 10.0, 2.0) - 1.276_281_562_5).abs() < 1e-12);
        assert!((geometric_spot_factor(0.8, 10.0, 2.0) - 0.327_68).abs() < 1e-12);
    }

    #[test]
    fn push_window_adds_the_band_to_the_drift() {
        // σ = 4.8 %/day, one day stale, 3σ: drift 14.4 %, gap 14.9 % with δ = 0.5 %.
        let w = push_window(86_400.0, 0.005, 0.0, 0.048, 3.0);
        assert!((w.drift - 0.144).abs() < 1e-12);
        assert!((w.gap - 0.149).abs() < 1e-12);
        assert_eq!(w.gap_with_trigger, 0.005);
    }

    fn side(fee: f64) -> VenueSide {
        // REFERENCES.md §4.1's pool: x = 100 base, y = 10,000 quote, p = 100; quote at $1.
        let curve = Curve::ConstantProduct(bulwark_market::ConstantProduct::new(100.0, 10_000.0, fee).unwrap());
        VenueSide { curve, asset_is_base: true, base_usd: 100.0, quote_usd: 1.0 }
    }

    #[test]
    fn a_one_block_window_held_one_block_costs_l_plus_the_fee() {
        // k = 4: L(4) = y(√4 − 1)²/√4 = 5,000; no fee.
        let c = side(0.0).twap(4.0, TwapMean::Arithmetic, 1).unwrap();
        assert!((c.usd - 5_000.0).abs() < 1e-9);
        assert_eq!(c.time_blocks, 1.0);
        // With a 0.3 % fee, the fee on Δy = y/(1 − f) comes on top.
        let c = side(0.003).twap(4.0, TwapMean::Arithmetic, 1).unwrap();
        assert!((c.usd - (5_000.0 + 10_000.0 * 0.003 / 0.997)).abs() < 1e-9);
    }

    #[test]
    fn atomic_spot_moves_cost_only_the_round_trip() {
        // Without a fee, trading back in the same transaction returns everything; the flash
        // fee on Δy = 10,000 is the whole cost.
        let c = side(0.0).spot(4.0, 0.0005).unwrap();
        assert!((c.usd - 5.0).abs() < 1e-6, "{}", c.usd);
        // The asset as the quote side: its price ×2 is the venue's ×1/2.
        let mut s = side(0.0);
        s.asset_is_base = false;
        assert_eq!(s.venue_factor(2.0), 0.5);
    }

    #[test]
    fn holding_a_twap_takes_the_cheapest_number_of_blocks() {
        // 10-block arithmetic mean moved 5 %: m blocks at q = 1 + 0.5/m each cost
        // m·y(√q − 1)²/√q; by hand the cheapest is the whole window (m = 10, q = 1.05).
        let c = side(0.0).twap(1.05, TwapMean::Arithmetic, 10).unwrap();
        let by_hand = |m: f64| {
            let r = (1.0 + 0.5 / m).sqrt();
            m * 10_000.0 * (r - 1.0).powi(2) / r
        };
        let best = (1..=10).map(|m| by_hand(f64::from(m))).fold(f64::INFINITY, f64::min);
        assert!((c.usd - best).abs() < 1e-9 * best);
        assert!((c.usd - by_hand(10.0)).abs() < 1e-9 * best);
        assert_eq!(c.time_blocks, 10.0);
        // Geometric over the same window: q = 1.05^(10/m), also cheapest over all of it.
        let g = side(0.0).twap(1.05, TwapMean::Geometric, 10).unwrap();
        let r = 1.05f64.sqrt();
        assert!((g.usd - 10.0 * 10_000.0 * (r - 1.0).powi(2) / r).abs() < 1e-6);
    }

    #[test]
    fn long_windows_try_a_geometric_grid_that_ends_at_the_window() {
        assert_eq!(block_counts(3), vec![1, 2, 3]);
        let grid = block_counts(7200);
        assert_eq!((grid[0], *grid.last().unwrap()), (1, 7200));
        assert!(grid.len() <= 65);
    }
}
