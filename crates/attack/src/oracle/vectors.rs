//! The vectors of the oracle routes and push feeds: CoC, PfC, verdict and the assumptions
//! in words.

use bulwark_spec::model::oracle::TwapMean;
use bulwark_spec::units::format_duration;

use super::cost::item;
use super::{BorrowLiquidity, Exposure, OracleOptions, PfcParts, Point, PushWindow, Route, RouteKind};
use crate::vector::{CostKind, PfcBasis, Vector, VectorKind, judge};

pub(super) fn route_vector(
    a: &str,
    route: &Route,
    k_star: Option<&Point>,
    worst: Option<Point>,
    opts: &OracleOptions,
) -> Option<Vector> {
    let reads = route.unread.is_none();
    // Judged where the attacker does best; without any PfC, where a move would first pay
    // if read, else at the reference move.
    let pt = match (reads, worst, k_star) {
        (true, Some(w), _) => w,
        (_, _, Some(s)) => s.clone(),
        _ => {
            let k = opts.reference_move;
            Point { k, cost: route.cost(k, opts)?, pfc: PfcParts::default() }
        }
    };
    let pfc = if reads { pt.pfc.total_usd() } else { 0.0 };
    let (slack, verdict) = judge(pt.cost.usd, Some(pfc), opts.at_risk_below);
    let mut assumptions = vec![
        format!("{a}'s USD price read {:.3}× the true one: {}", pt.k, pt.cost.detail),
        "the venue's other asset keeps its USD price".to_string(),
    ];
    match &route.kind {
        RouteKind::Spot => assumptions.push(format!(
            "one block: the input is flash-borrowed at {:.2} % and the move undone in the same transaction when that is cheaper",
            opts.flash_loan_fee * 100.0
        )),
        RouteKind::Twap { mean, window_blocks, window_s } => {
            assumptions.push(format!(
                "{} mean over {} = {window_blocks} blocks of {} s; arbitrage resets the price every block, so each block held costs L(q/p) plus the fee (REFERENCES.md §4.2); capital held across blocks cannot be flash-borrowed, its cost over minutes is neglected",
                mean_name(*mean),
                format_duration(*window_s),
                opts.block_time_s
            ));
            let m = opts.consecutive_slots;
            match route.side.consecutive_proposer_usd(pt.k, *mean, *window_blocks, m) {
                Some(c) => assumptions.push(format!(
                    "a proposer of {m} consecutive slots is not arbitraged in between and pays about one L plus the fee: ${c:.0} (ePrint 2022/445); the chance of holding {m} consecutive slots is an input not modelled"
                )),
                None => assumptions.push(format!("{m} consecutive slots cannot move the mean that far: the price would have to go to zero")),
            }
        }
    }
    if route.assumed {
        assumptions.push(format!(
            "the spec gives {a} no oracle: assumed to read this venue's spot price (the weakest design)"
        ));
    }
    if let Some(why) = &route.unread {
        assumptions.push(format!("no PfC: {why}"));
    }
    assumptions.push(match k_star {
        Some(s) if reads => format!(
            "smallest profitable move ×{:.4} (there CoC ${:.0}, PfC ${:.0}: break-even)",
            s.k,
            s.cost.usd,
            s.pfc.total_usd()
        ),
        Some(s) => format!(
            "were this venue read, a move of ×{:.4} would pay (there CoC ${:.0}, PfC ${:.0}: break-even)",
            s.k,
            s.cost.usd,
            s.pfc.total_usd()
        ),
        None => format!("no move between ×{:.2} and ×{:.0} pays", 1.0 / opts.max_move, opts.max_move),
    });
    assumptions.push(liquidity_line(opts.borrow_liquidity));
    Some(Vector {
        vector: format!("oracle: {a} ×{:.3} via {}{}", pt.k, route.name, if reads { "" } else { " (not read)" }),
        kind: VectorKind::Oracle,
        coc_usd: pt.cost.usd,
        pfc_usd: Some(pfc),
        pfc_basis: PfcBasis::Estimate(match &route.unread {
            None => pfc_basis(&pt.pfc, pt.k),
            Some(why) => format!("none: {why} (were it read: {})", pfc_basis(&pt.pfc, pt.k)),
        }),
        slack,
        verdict,
        breakdown: pt.cost.items,
        time_s: Some(pt.cost.time_blocks * opts.block_time_s),
        assumptions,
    })
}

pub(super) fn push_vector(a: &str, w: &PushWindow, exposure: &Exposure, opts: &OracleOptions) -> Vector {
    // A stale answer does not move: positions keep the health factor they had, so only
    // borrowing against the gap pays, not liquidations (those need the read price to move).
    let (up, down) = (1.0 + w.gap, 1.0 / (1.0 + w.gap));
    let only_borrow = |k: f64| PfcParts { borrow_usd: exposure.pfc_usd(k).borrow_usd, liquidation_usd: 0.0 };
    let (pu, pd) = (only_borrow(up), only_borrow(down));
    let (k, parts) = if pu.borrow_usd >= pd.borrow_usd { (up, pu) } else { (down, pd) };
    let pfc = parts.borrow_usd;
    let (slack, verdict) = judge(0.0, Some(pfc), opts.at_risk_below);
    Vector {
        vector: format!("oracle: {a} push feed lag (gap {:.2} %)", w.gap * 100.0),
        kind: VectorKind::Oracle,
        coc_usd: 0.0,
        pfc_usd: Some(pfc),
        pfc_basis: PfcBasis::Estimate(pfc_basis(&parts, k)),
        slack,
        verdict,
        breakdown: vec![item("none: the gap opens when the market moves and the feed lags".into(), 0.0, CostKind::Time)],
        time_s: Some(w.stale_s),
        assumptions: vec![
            format!(
                "the answer may lag the market by up to the deviation band δ = {:.2} % indefinitely while moves stay inside it (REFERENCES.md §4.3)",
                w.deviation * 100.0
            ),
            format!(
                "stale up to heartbeat + latency = {}: a {:.0}σ move over that time at the asset's daily volatility is {:.2} %",
                format_duration(w.stale_s),
                opts.lag_sigmas,
                w.drift * 100.0
            ),
            format!(
                "gap used g = δ + drift = {:.2} %, either way; with a working deviation trigger a round lands within the latency and the gap is {:.2} %",
                w.gap * 100.0,
                w.gap_with_trigger * 100.0
            ),
            "PfC: borrowing against the stale price, which pays only beyond the LTV slack (1 + g > 1/LTV, or 1/(1 + g) < LTV of the collateral); a stale answer tips no position below HF 1, so no liquidation profit".to_string(),
            liquidity_line(opts.borrow_liquidity),
        ],
    }
}

fn pfc_basis(parts: &PfcParts, k: f64) -> String {
    format!(
        "lending markets at a price read {k:.3}× true: borrowing at the false price ${:.0}, liquidating positions it tips below HF 1 ${:.0}",
        parts.borrow_usd, parts.liquidation_usd
    )
}

fn liquidity_line(l: BorrowLiquidity) -> String {
    match l {
        BorrowLiquidity::CapHeadroom => "lendable liquidity: each reserve's borrow-cap headroom (the book lists borrowers, not every lender); supply-cap headroom bounds the collateral".into(),
        BorrowLiquidity::Book => "lendable liquidity: the book's supplied − borrowed, within the borrow cap; supply-cap headroom bounds the collateral".into(),
    }
}

pub(super) fn mean_name(mean: TwapMean) -> &'static str {
    match mean {
        TwapMean::Arithmetic => "arithmetic",
        TwapMean::Geometric => "geometric",
    }
}
