//! Governance: the cost to pass a malicious proposal, by each channel that can buy
//! votes, against what governance controls (REFERENCES.md §5.1).

use bulwark_spec::Protocol;
use bulwark_spec::model::governance::Governance;
use bulwark_spec::units::format_duration;

use crate::consensus::acquisition_usd;
use crate::vector::{CostItem, CostKind, PfcBasis, Vector, VectorKind, judge};

/// The market assumptions of the governance vector, each reported with the result.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GovernanceOptions {
    /// Fall of the token's price after a malicious proposal passes, as a fraction; the
    /// attacker holds the votes until execution and bears it.
    pub drawdown: f64,
    /// Yearly rate to borrow the token.
    pub borrow_rate: f64,
    /// Flash-loan fee (Aave v3: 0.05 %).
    pub flash_loan_fee: f64,
    /// Margin below which a vector is at risk.
    pub at_risk_below: f64,
    /// Price, as a multiple of spot, at which tokens beyond the venue's depth are bought
    /// (the same assumption as for stake; see `ConsensusOptions`).
    pub outside_price_multiple: f64,
}

impl Default for GovernanceOptions {
    fn default() -> Self {
        Self {
            drawdown: 0.5,
            borrow_rate: 0.10,
            flash_loan_fee: 0.0005,
            outside_price_multiple: 2.0,
            at_risk_below: crate::vector::DEFAULT_AT_RISK_BELOW,
        }
    }
}

const YEAR_S: f64 = 365.0 * 86_400.0;

/// Votes an attacker must acquire: V = max(Q, V_against + δ), with no votes of its own.
///
/// # Formula
/// REFERENCES.md §5.1: V_need = max(Q, V_against + δ) − V_own, V_own = 0.
pub fn votes_needed(g: &Governance) -> f64 {
    g.quorum_votes.max(g.opposition_votes + g.differential_votes)
}

/// The governance vector: the cheapest channel's cost against the treasury and what the
/// governed markets hold. `None` without `[governance]`.
pub fn governance_vector(p: &Protocol, opts: &GovernanceOptions) -> Option<Vector> {
    let g = p.governance.as_ref()?;
    let price = p.price_usd(&g.token);
    let votes = votes_needed(g);
    let mut channels: Vec<(String, Vec<CostItem>, Vec<String>)> = Vec::new();

    // Buying on the market, with price impact, then selling after execution at the
    // drawn-down price.
    let venue = p.venues.iter().find(|v| v.pair[0] == g.token);
    let pool = venue.and_then(|v| Some((v, bulwark_market::curve(v).ok()?)));
    let quote_usd = venue.map_or(0.0, |v| p.price_usd(&v.pair[1]));
    let bought =
        acquisition_usd(votes, pool.as_ref().map(|(v, c)| (c, v.fee)), quote_usd, price, opts.outside_price_multiple);
    let resale = votes * price * (1.0 - opts.drawdown);
    let where_bought = match (venue, bought.outside > 0.0) {
        (Some(v), false) => format!("on {}", v.name),
        (Some(v), true) => format!("on {} and outside it", v.name),
        (None, _) => "at spot".to_string(),
    };
    let mut items = vec![item(
        format!("{votes:.0} {} bought {where_bought}, price impact included", g.token),
        bought.usd,
        CostKind::Acquired,
    )];
    items.push(item(
        format!("sold back after execution at {:.0} % below spot", opts.drawdown * 100.0),
        -resale,
        CostKind::Acquired,
    ));
    let mut buy_notes = vec![format!(
        "the token falls {:.0} % once the proposal passes; the votes are sold then",
        opts.drawdown * 100.0
    )];
    match venue {
        Some(v) if bought.outside > 0.0 => buy_notes.push(format!(
            "{} cannot supply {votes:.0} {}: {:.0} bought there until its price reaches {}× spot, {:.0} outside at that price (assumption)",
            v.name, g.token, bought.from_pool, opts.outside_price_multiple, bought.outside
        )),
        Some(_) => {}
        None => buy_notes.push(format!("no venue trades {}: bought at spot with no price impact, a lower bound", g.token)),
    }
    channels.push((format!("buy {votes:.0} {} {where_bought}", g.token), items, buy_notes));

    // Borrowing the votes for the voting period and the timelock.
    let lock_s = g.voting_period_s.unwrap_or(0.0) + g.timelock_s;
    let lendable: f64 =
        p.markets.iter().filter_map(|m| m.reserve(&g.token)).filter(|r| r.borrowing_enabled).count() as f64;
    if lendable > 0.0 {
        channels.push((
            format!("borrow {votes:.0} {} for {}", g.token, format_duration(lock_s)),
            vec![item(
                format!("interest at {:.0} % a year over the vote and the timelock", opts.borrow_rate * 100.0),
                votes * price * opts.borrow_rate * lock_s / YEAR_S,
                CostKind::Time,
            )],
            vec!["a lending market lists the token and can lend that much (caps not checked)".into()],
        ));
    }

    // A flash loan, only where weights are read when the vote is cast.
    if !g.snapshot {
        channels.push((
            format!("flash-loan {votes:.0} {}", g.token),
            vec![item(
                format!("flash-loan fee of {:.2} %", opts.flash_loan_fee * 100.0),
                votes * price * opts.flash_loan_fee,
                CostKind::Destroyed,
            )],
            vec![
                "vote weights are read at the vote, not at a snapshot: borrowed votes count within one transaction"
                    .into(),
            ],
        ));
    }

    let priced = channels.iter().filter(|(_, items, _)| !items.is_empty());
    let (label, breakdown, mut assumptions) =
        priced.min_by(|a, b| total(&a.1).total_cmp(&total(&b.1))).cloned().or_else(|| channels.first().cloned())?;
    let coc_usd = total(&breakdown);

    let markets_usd: f64 = p
        .markets
        .iter()
        .map(|m| {
            m.book(p.scenario.seed, &|a| p.price_usd(a))
                .iter()
                .flat_map(|pos| pos.collateral.iter())
                .map(|(a, n)| n * p.price_usd(a))
                .sum::<f64>()
        })
        .sum();
    let treasury = g.treasury_usd.unwrap_or(0.0);
    let pfc_usd = treasury + markets_usd;
    let pfc_basis = PfcBasis::Estimate(format!(
        "treasury ({}) plus the collateral the governed markets hold (${:.0}), which an upgrade could reach",
        g.treasury_usd.map_or("not given: 0".to_string(), |t| format!("${t:.0}")),
        markets_usd
    ));
    let (slack, verdict) = judge(coc_usd, Some(pfc_usd), opts.at_risk_below);
    assumptions.insert(
        0,
        format!(
            "votes needed: max(quorum {:.0}, opposition {:.0} + differential {:.0}) = {votes:.0}, with none held",
            g.quorum_votes, g.opposition_votes, g.differential_votes
        ),
    );
    assumptions.push(format!("the timelock gives {} to respond after the vote", format_duration(g.timelock_s)));
    if let Some(guardian) = g.guardian {
        assumptions.push(format!(
            "a {}-of-{} guardian can cancel a passed proposal during the timelock",
            guardian.threshold, guardian.size
        ));
    }
    Some(Vector {
        vector: format!("governance: pass a malicious proposal ({label})"),
        kind: VectorKind::Governance,
        coc_usd,
        pfc_usd: Some(pfc_usd),
        pfc_basis,
        slack,
        verdict,
        breakdown,
        time_s: Some(lock_s),
        assumptions,
    })
}

fn item(label: String, usd: f64, kind: CostKind) -> CostItem {
    CostItem { label, usd, kind }
}

fn total(items: &[CostItem]) -> f64 {
    items.iter().map(|i| i.usd).sum()
}
