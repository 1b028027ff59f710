//! Consensus vectors (issue 3, vector 1): the cost to reach a chain's liveness and
//! safety thresholds by buying stake against the stake asset's venue, and by corrupting
//! the fewest existing stakers; for Ethereum, with the stake destroyed by slashing or
//! the inactivity leak under a chosen fork, and the entry time under the churn limit
//! (REFERENCES.md §1, §2.1, §2.2, §2.4).
//!
//! Ethereum is recognized by the spec's chain name, exactly `Ethereum` in any case,
//! unless [`ConsensusOptions::ethereum`] says otherwise: the slashing, leak and churn
//! rules are Ethereum's and would be wrong for another chain (a name test such as
//! "starts with Ethereum" would catch Ethereum Classic), while a testnet or a spec that
//! names the chain otherwise can opt in.

use bulwark_market::ConstantProduct;
use bulwark_spec::Protocol;
use bulwark_spec::model::consensus::Consensus;
use bulwark_spec::units::{Comparison, Threshold};
use serde::Serialize;

use crate::dispersion::{Dimension, group, nakamoto};
use crate::slashing::{self, Fork, GWEI_PER_ETH, LeakScenario, MAX_EFFECTIVE_BALANCE_GWEI};
use crate::vector::{CostItem, CostKind, DEFAULT_AT_RISK_BELOW, PfcBasis, Vector, VectorKind, judge};

/// Labels that stand for many unrelated stakers, never one party to corrupt: the
/// Ethereum entity data's `Other` (22.6 % of stake no entity claims, data/README.md).
/// Compared without case. They count in the total but join no coalition.
pub const AGGREGATE_LABELS: &[&str] = &["Other"];

/// Choices for the consensus vectors.
#[derive(Debug, Clone, PartialEq)]
pub struct ConsensusOptions {
    /// The Ethereum fork whose slashing and leak constants apply.
    pub fork: Fork,
    /// The margin γ below which a vector is reported at risk.
    pub at_risk_below: f64,
    /// Whether the chain follows Ethereum's rules; `None` decides by its name.
    pub ethereum: Option<bool>,
    /// The profit from corrupting consensus, in USD, if the caller knows it.
    pub pfc_usd: Option<f64>,
    /// The price, as a multiple of spot, at which the market outside the spec's venue is
    /// assumed to sell any amount of the stake asset (see [`acquisition_usd`]).
    pub outside_price_multiple: f64,
}

/// Default [`ConsensusOptions::outside_price_multiple`]: an assumption, not a measurement.
/// Buying a third of a chain's stake would move every market; twice spot says "well
/// above spot" without pretending to know the curve. 1.0 gives the conventional pricing
/// at spot (the venue then goes unused: its first unit already costs more).
pub const DEFAULT_OUTSIDE_PRICE_MULTIPLE: f64 = 2.0;

impl Default for ConsensusOptions {
    fn default() -> Self {
        Self {
            fork: Fork::Electra,
            at_risk_below: DEFAULT_AT_RISK_BELOW,
            ethereum: None,
            pfc_usd: None,
            outside_price_multiple: DEFAULT_OUTSIDE_PRICE_MULTIPLE,
        }
    }
}

/// Whether a chain name is Ethereum's (see the module documentation).
pub fn is_ethereum_chain(chain: &str) -> bool {
    chain.trim().eq_ignore_ascii_case("ethereum")
}

/// The Nakamoto coefficients of one dimension.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NakamotoRow {
    /// What validators are grouped by.
    pub dimension: Dimension,
    /// Number of groups.
    pub groups: usize,
    /// Fewest groups reaching the liveness threshold (aggregates counted as the data has them).
    pub liveness: Option<usize>,
    /// Fewest groups reaching the safety threshold.
    pub safety: Option<usize>,
}

/// The fewest existing stakers, aggregates excluded, that reach a threshold.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Coalition {
    /// `liveness` or `safety`.
    pub threshold: &'static str,
    /// Validator or operator.
    pub dimension: Dimension,
    /// The members, largest first.
    pub members: Vec<String>,
    /// Their stake, in whole tokens.
    pub stake_tokens: f64,
    /// Their share of active stake.
    pub share: f64,
}

/// What the report shows beside the consensus vectors.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConsensusSummary {
    /// The chain.
    pub chain: String,
    /// Whether Ethereum's slashing, leak and churn rules apply (by name).
    pub ethereum: bool,
    /// The liveness threshold with its comparison.
    pub liveness: Threshold,
    /// The safety threshold with its comparison.
    pub safety: Threshold,
    /// The stake token's symbol.
    pub unit: String,
    /// Active stake, in whole tokens.
    pub total_stake_tokens: f64,
    /// The priced stake asset, if named.
    pub stake_asset: Option<String>,
    /// Active stake at the stake asset's price.
    pub total_stake_usd: Option<f64>,
    /// Nakamoto coefficients along every dimension the data has.
    pub nakamoto: Vec<NakamotoRow>,
    /// The aggregate labels present, kept out of coalitions.
    pub aggregates: Vec<String>,
    /// The fewest stakers reaching each threshold, by validator and by operator.
    pub coalitions: Vec<Coalition>,
}

/// The Nakamoto coefficients and coalitions of a protocol's chain; `None` without `[consensus]`.
pub fn consensus_summary(p: &Protocol) -> Option<ConsensusSummary> {
    let c = p.consensus.as_ref()?;
    let set = &c.validators;
    let scale = 10f64.powi(i32::try_from(set.unit.decimals).unwrap_or(0));
    let total = set.total_active_stake();
    let mut nakamoto_rows = Vec::new();
    let mut aggregates = Vec::new();
    for dimension in Dimension::ALL {
        let Some(groups) = group(set, dimension) else { continue };
        let stakes: Vec<u128> = groups.iter().map(|g| g.1).collect();
        nakamoto_rows.push(NakamotoRow {
            dimension,
            groups: groups.len(),
            liveness: nakamoto(&stakes, c.liveness),
            safety: nakamoto(&stakes, c.safety),
        });
        let coalition_dimension = matches!(dimension, Dimension::Validator | Dimension::Operator);
        for (label, _) in groups.iter().filter(|_| coalition_dimension) {
            if is_aggregate(label) && !aggregates.contains(label) {
                aggregates.push(label.clone());
            }
        }
    }
    let mut coalitions = Vec::new();
    for (name, threshold) in [("liveness", c.liveness), ("safety", c.safety)] {
        for dimension in [Dimension::Validator, Dimension::Operator] {
            if let Some((members, stake)) = fewest_stakers(c, dimension, threshold) {
                coalitions.push(Coalition {
                    threshold: name,
                    dimension,
                    members,
                    stake_tokens: stake as f64 / scale,
                    share: stake as f64 / total.max(1) as f64,
                });
            }
        }
    }
    let price = c.stake_asset.as_deref().and_then(|a| p.asset(a)).map(|a| a.price_usd);
    Some(ConsensusSummary {
        chain: c.chain.clone(),
        ethereum: is_ethereum_chain(&c.chain),
        liveness: c.liveness,
        safety: c.safety,
        unit: set.unit.symbol.clone(),
        total_stake_tokens: total as f64 / scale,
        stake_asset: c.stake_asset.clone(),
        total_stake_usd: price.map(|px| total as f64 / scale * px),
        nakamoto: nakamoto_rows,
        aggregates,
        coalitions,
    })
}

/// Whether a group's label is one of [`AGGREGATE_LABELS`].
pub fn is_aggregate(label: &str) -> bool {
    AGGREGATE_LABELS.iter().any(|a| a.eq_ignore_ascii_case(label))
}

/// The fewest groups along `dimension`, largest first and aggregates skipped, whose stake
/// reaches `threshold` of the whole active stake. [`nakamoto`] cannot serve here: it
/// takes the total from the stakes it is given, and the aggregates must stay in the total.
fn fewest_stakers(c: &Consensus, dimension: Dimension, threshold: Threshold) -> Option<(Vec<String>, u128)> {
    let groups = group(&c.validators, dimension)?;
    let total = c.validators.total_active_stake();
    let (mut members, mut acc) = (Vec::new(), 0u128);
    for (label, stake) in groups.into_iter().filter(|g| !is_aggregate(&g.0)) {
        acc = acc.saturating_add(stake);
        members.push(label);
        if threshold.is_reached_by(acc, total) {
            return Some((members, acc));
        }
    }
    None
}

/// The least stake X an outsider adds to `others` to reach the threshold: X/(others + X)
/// reaches θ = a/b, exactly; `None` if no X does (θ = 1 against existing stake, or overflow).
///
/// # Formula
/// X·(b − a) ≥ others·a (REFERENCES.md §2.1, X ≥ θT/(1−θ)): `>=` takes the ceiling of
/// others·a/(b − a), `>` the floor plus one.
pub fn min_stake_to_reach(threshold: Threshold, others: u128) -> Option<u128> {
    let (a, b) = (threshold.fraction.numer(), threshold.fraction.denom());
    let x = if a >= b {
        if others == 0 && threshold.is_reached_by(1, 1) { 1 } else { return None }
    } else {
        let num = others.checked_mul(a)?;
        let gap = b - a;
        match threshold.cmp {
            Comparison::Ge => num.div_ceil(gap),
            Comparison::Gt => num / gap + 1,
        }
    };
    threshold.is_reached_by(x, others.checked_add(x)?).then_some(x)
}

/// The least stake, out of `total`, that reaches the threshold: ⌈θ·total⌉ for `>=`,
/// ⌊θ·total⌋ + 1 for `>`; `None` if more than `total` or on overflow.
pub fn min_share_of(threshold: Threshold, total: u128) -> Option<u128> {
    let (a, b) = (threshold.fraction.numer(), threshold.fraction.denom());
    let num = total.checked_mul(a)?;
    let x = match threshold.cmp {
        Comparison::Ge => num.div_ceil(b),
        Comparison::Gt => num / b + 1,
    };
    (x <= total && threshold.is_reached_by(x, total)).then_some(x)
}

/// The quote paid to take `base_out` out of a constant-product pool, fee included;
/// `None` when the pool holds no more than `base_out`.
///
/// # Formula
/// Δy = y·a/(x − a)/(1 − f), the Uniswap v2 `getAmountIn` in real numbers
/// ([`ConstantProduct::quote_in_for_base_out`]).
pub fn buy_quote(pool: &ConstantProduct, base_out: f64) -> Option<f64> {
    if base_out <= 0.0 { Some(0.0) } else { pool.quote_in_for_base_out(base_out) }
}

/// Where bought stake comes from, and what it costs.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Acquisition {
    /// The cost in USD.
    pub usd: f64,
    /// Tokens bought out of the venue's pool.
    pub from_pool: f64,
    /// Tokens bought outside it, at the outside price.
    pub outside: f64,
    /// The outside price in USD; spot without a venue.
    pub outside_price_usd: f64,
}

/// The USD cost of buying `tokens` of the stake asset.
///
/// `pool` is the venue's curve with its fee. Without a pool: `tokens` at `spot_usd` (no price impact; a lower bound). With one: the
/// cheapest split between the pool and an outside market (other venues, OTC) assumed to
/// sell any amount at `outside_multiple` × spot: the attacker buys from the pool until its
/// marginal price reaches the outside price, then outside. So the pool's whole depth is
/// never needed, and the cost is continuous, increasing and convex in `tokens`, and
/// non-increasing in the pool's liquidity: a deeper pool at the same price offers every
/// amount cheaper (the "monotone in liquidity" holds in this direction).
///
/// # Formula
/// Pool marginal price after taking a: p(a) = y·x/(x − a)²/(1 − f); the cut a* solves
/// p(a*) = P, P = m·spot/quote_usd: a* = x − √(y·x/((1 − f)·P)), clamped to [0, x).
/// Cost = quote_usd·(buy_quote(min(X, a*)) + (X − a*)⁺·P), see [`buy_quote`].
pub fn acquisition_usd(
    tokens: f64,
    pool: Option<(&ConstantProduct, f64)>,
    quote_usd: f64,
    spot_usd: f64,
    outside_multiple: f64,
) -> Acquisition {
    let tokens = tokens.max(0.0);
    let Some((pool, fee)) = pool.filter(|_| quote_usd > 0.0) else {
        return Acquisition { usd: tokens * spot_usd, from_pool: 0.0, outside: tokens, outside_price_usd: spot_usd };
    };
    let outside_usd = outside_multiple.max(0.0) * spot_usd;
    let (x, y) = pool.reserves();
    let price_quote = outside_usd / quote_usd;
    let cut = if price_quote > 0.0 { (x - (y * x / ((1.0 - fee) * price_quote)).sqrt()).clamp(0.0, x) } else { 0.0 };
    let from_pool = tokens.min(cut).min(x * (1.0 - 1e-12));
    let pool_quote = buy_quote(pool, from_pool).unwrap_or(f64::INFINITY);
    let outside = tokens - from_pool;
    Acquisition {
        usd: pool_quote * quote_usd + outside * outside_usd,
        from_pool,
        outside,
        outside_price_usd: outside_usd,
    }
}

/// The consensus vectors of a protocol: for its liveness and safety thresholds, the cost
/// to reach each by buying stake and by corrupting existing stakers. Empty without
/// `[consensus]` or without a `stake_asset` to price the stake in.
///
/// PfC is unknown unless [`ConsensusOptions::pfc_usd`] gives it: the spec has no profit
/// from corrupting consensus (double-spend or censorship value), so the verdict is
/// `unknown`.
pub fn consensus_vectors(p: &Protocol, opts: &ConsensusOptions) -> Vec<Vector> {
    let Some(c) = p.consensus.as_ref() else { return Vec::new() };
    let Some(asset) = c.stake_asset.as_deref() else { return Vec::new() };
    let ctx = Ctx::new(p, c, asset, opts);
    let mut out = Vec::new();
    for role in [Role::Liveness, Role::Safety] {
        out.extend(ctx.buy_vector(role));
        out.extend(ctx.corrupt_vector(role));
    }
    out
}

/// The deepest constant-product venue selling the stake asset (it is the pair's base).
struct StakeVenue {
    name: String,
    pool: ConstantProduct,
    fee: f64,
    quote_usd: f64,
}

#[derive(Clone, Copy, PartialEq)]
enum Role {
    Liveness,
    Safety,
}

struct Ctx<'a> {
    c: &'a Consensus,
    opts: &'a ConsensusOptions,
    asset: &'a str,
    price_usd: f64,
    scale: f64,
    decimals: u32,
    total: u128,
    ethereum: bool,
    venue: Option<StakeVenue>,
    skipped_venues: Vec<String>,
}

impl<'a> Ctx<'a> {
    fn new(p: &'a Protocol, c: &'a Consensus, asset: &'a str, opts: &'a ConsensusOptions) -> Self {
        let mut venue: Option<StakeVenue> = None;
        let mut skipped_venues = Vec::new();
        for v in p.venues.iter().filter(|v| v.pair[0] == asset) {
            match bulwark_market::curve(v) {
                Ok(pool) if venue.as_ref().is_none_or(|b| pool.reserves().0 > b.pool.reserves().0) => {
                    let quote_usd = p.price_usd(&v.pair[1]);
                    venue = Some(StakeVenue { name: v.name.clone(), pool, fee: v.fee, quote_usd });
                }
                Ok(_) => {}
                Err(_) => skipped_venues.push(v.name.clone()),
            }
        }
        let decimals = c.validators.unit.decimals;
        Self {
            c,
            opts,
            asset,
            price_usd: p.price_usd(asset),
            scale: 10f64.powi(i32::try_from(decimals).unwrap_or(0)),
            decimals,
            total: c.validators.total_active_stake(),
            ethereum: opts.ethereum.unwrap_or_else(|| is_ethereum_chain(&c.chain)),
            venue,
            skipped_venues,
        }
    }

    fn threshold(&self, role: Role) -> Threshold {
        if role == Role::Liveness { self.c.liveness } else { self.c.safety }
    }

    fn title(&self, role: Role, how: &str) -> String {
        let (what, name) = match role {
            Role::Liveness => ("halt", "liveness"),
            Role::Safety => ("finalize conflicting blocks on", "safety"),
        };
        format!("consensus: {what} {} ({name} {} of stake) by {how}", self.c.chain, self.threshold(role))
    }

    fn tokens(&self, units: u128) -> f64 {
        units as f64 / self.scale
    }

    /// Base units to gwei, for Ethereum's integer rules.
    fn gwei(&self, units: u128) -> Option<u64> {
        let g = if self.decimals <= 9 {
            units.checked_mul(10u128.checked_pow(9 - self.decimals)?)?
        } else {
            units / 10u128.checked_pow(self.decimals - 9)?
        };
        u64::try_from(g).ok()
    }

    /// One 32 ETH validator in base units.
    fn validator_units(&self) -> u128 {
        let d = i64::from(self.decimals) - 9;
        let g = u128::from(MAX_EFFECTIVE_BALANCE_GWEI);
        if d >= 0 { g * 10u128.pow(d.unsigned_abs() as u32) } else { (g / 10u128.pow(d.unsigned_abs() as u32)).max(1) }
    }

    fn pfc(&self) -> (Option<f64>, PfcBasis) {
        match self.opts.pfc_usd {
            Some(v) => (Some(v), PfcBasis::Input("given with the consensus options".into())),
            None => (
                None,
                PfcBasis::Unknown(
                    "the spec gives no profit from corrupting consensus (double-spend or censorship value); \
                     supply one for a verdict"
                        .into(),
                ),
            ),
        }
    }

    fn vector(
        &self,
        vector: String,
        breakdown: Vec<CostItem>,
        time_s: Option<f64>,
        assumptions: Vec<String>,
    ) -> Vector {
        let coc_usd = breakdown.iter().map(|i| i.usd).sum();
        let (pfc_usd, pfc_basis) = self.pfc();
        let (slack, verdict) = judge(coc_usd, pfc_usd, self.opts.at_risk_below);
        Vector {
            vector,
            kind: VectorKind::Consensus,
            coc_usd,
            pfc_usd,
            pfc_basis,
            slack,
            verdict,
            breakdown,
            time_s,
            assumptions,
        }
    }

    /// What committing `stake` units out of `total` units destroys, for Ethereum: the
    /// slashing of all of it (safety) or the leak until finality resumes (liveness).
    fn destroyed(&self, role: Role, stake: u128, total: u128) -> Result<(CostItem, String), String> {
        let fork = self.opts.fork;
        let (Some(stake_gwei), Some(total_gwei)) = (self.gwei(stake), self.gwei(total)) else {
            return Err("stake too large for Ethereum's u64 gwei".into());
        };
        let eth = |gwei: u128| gwei as f64 / GWEI_PER_ETH as f64;
        match role {
            Role::Safety => {
                let loss = slashing::stake_slashing_loss_gwei(fork, stake_gwei, total_gwei);
                let item = CostItem {
                    label: format!("slashing of the {:.0} ETH that equivocates ({fork})", eth(u128::from(stake_gwei))),
                    usd: eth(loss) * self.price_usd,
                    kind: CostKind::Destroyed,
                };
                let note = format!(
                    "All the attacking stake is slashed in one window, on the chain honest validators follow \
                     (evidence included there; for a 2/3 attacker that needs the social layer): \
                     {:.0} ETH lost under {fork}, {:.2} % of it (initial penalty plus correlation penalty, \
                     exact gwei arithmetic of process_slashings).",
                    eth(loss),
                    100.0 * loss as f64 / stake_gwei.max(1) as f64
                );
                Ok((item, note))
            }
            Role::Liveness => {
                let v = u128::from(MAX_EFFECTIVE_BALANCE_GWEI);
                let offline = u128::from(stake_gwei).div_ceil(v);
                let online = u128::from(total_gwei).saturating_sub(offline * v) / v;
                let scenario = LeakScenario {
                    fork,
                    online_validators: u64::try_from(online).map_err(|e| e.to_string())?,
                    offline_validators: u64::try_from(offline).map_err(|e| e.to_string())?,
                    balance_gwei: MAX_EFFECTIVE_BALANCE_GWEI,
                    max_epochs: 10_000_000,
                };
                let out = slashing::leak_until_finality(&scenario).map_err(|e| e.to_string())?;
                let item = CostItem {
                    label: format!("inactivity leak on the {:.0} ETH offline until finality resumes", eth(offline * v)),
                    usd: eth(out.loss_gwei) * self.price_usd,
                    kind: CostKind::Destroyed,
                };
                let note = format!(
                    "The offline stake leaks ({fork} constants, exact epoch-by-epoch run with hysteresis and \
                     ejection) until the online stake holds 2/3 again: {} epochs ({:.1} days), {:.0} ETH lost. \
                     Finality then resumes; halting longer needs more stake.",
                    out.epochs,
                    out.time_s() / 86_400.0,
                    eth(out.loss_gwei)
                );
                Ok((item, note))
            }
        }
    }

    fn buy_vector(&self, role: Role) -> Option<Vector> {
        let threshold = self.threshold(role);
        let mut x = min_stake_to_reach(threshold, self.total)?;
        let mut assumptions = vec![format!(
            "An outsider adds X to the {:.0} {} active, the least with X/(T + X) {threshold} (X ≥ θT/(1 − θ)).",
            self.tokens(self.total),
            self.asset
        )];
        if self.ethereum {
            let v = self.validator_units();
            x = x.div_ceil(v) * v;
            assumptions[0].push_str(" Rounded up to whole 32 ETH validators.");
        }
        let tokens = self.tokens(x);
        let m = self.opts.outside_price_multiple;
        let venue = self.venue.as_ref();
        let a = acquisition_usd(
            tokens,
            venue.map(|v| (&v.pool, v.fee)),
            venue.map_or(0.0, |v| v.quote_usd),
            self.price_usd,
            m,
        );
        let mut breakdown = Vec::new();
        match venue {
            Some(v) => {
                let pool_usd = a.usd - a.outside * a.outside_price_usd;
                breakdown.push(CostItem {
                    label: format!(
                        "{:.0} {} bought on {} (price impact and fee included)",
                        a.from_pool, self.asset, v.name
                    ),
                    usd: pool_usd,
                    kind: CostKind::Acquired,
                });
                if a.outside > 0.0 {
                    breakdown.push(CostItem {
                        label: format!(
                            "{:.0} {} bought outside {} at {m}× spot (assumption)",
                            a.outside, self.asset, v.name
                        ),
                        usd: a.outside * a.outside_price_usd,
                        kind: CostKind::Acquired,
                    });
                }
                assumptions.push(format!(
                    "{} holds {:.0} {}. The attacker buys there until its marginal price reaches {m}× spot, and the \
                     rest outside (other venues, OTC) at {m}× spot: an assumption, as no venue in the spec shows \
                     that depth (ConsensusOptions::outside_price_multiple).",
                    v.name,
                    v.pool.reserves().0,
                    self.asset
                ));
            }
            None => {
                breakdown.push(CostItem {
                    label: format!("{tokens:.0} {} at spot (no venue; lower bound)", self.asset),
                    usd: a.usd,
                    kind: CostKind::Acquired,
                });
                assumptions.push(format!(
                    "No venue in the spec sells {}: X is priced at spot, without price impact (a lower bound).",
                    self.asset
                ));
            }
        }
        if !self.skipped_venues.is_empty() {
            assumptions.push(format!(
                "Venues without a constant-product curve are not used: {}.",
                self.skipped_venues.join(", ")
            ));
        }
        let mut time_s = None;
        if self.ethereum {
            match self.destroyed(role, x, self.total.saturating_add(x)) {
                Ok((item, note)) => {
                    breakdown.push(item);
                    assumptions.push(note);
                }
                Err(e) => assumptions.push(format!("Destroyed capital not computed: {e}.")),
            }
            if let Some(x_gwei) = self.gwei(x) {
                let total_gwei = self.gwei(self.total).map_or(u128::MAX, u128::from);
                let entry = slashing::epochs_to_enter(self.opts.fork, total_gwei, u128::from(x_gwei));
                time_s = Some(entry.time_s());
                assumptions.push(format!(
                    "Entry through the {} activation churn, recomputed each epoch as stake grows: {} epochs \
                     ({:.0} days), plus fixed delays of a few epochs; no competing deposits or exits; the \
                     opportunity cost of that time is not priced.",
                    self.opts.fork,
                    entry.epochs,
                    entry.time_s() / 86_400.0
                ));
            }
        } else {
            assumptions.push(format!(
                "No slashing or leak model for {}: destroyed capital is not counted, so the CoC is a lower \
                 bound; no entry queue is modelled.",
                self.c.chain
            ));
        }
        Some(self.vector(self.title(role, "buying stake"), breakdown, time_s, assumptions))
    }

    fn corrupt_vector(&self, role: Role) -> Option<Vector> {
        let threshold = self.threshold(role);
        // Groupings that give the same coalition (Ethereum entity data: validator = operator) share a line.
        let mut coalitions: Vec<(Vec<&str>, Vec<String>, u128)> = Vec::new();
        for dimension in [Dimension::Validator, Dimension::Operator] {
            if let Some((members, stake)) = fewest_stakers(self.c, dimension, threshold) {
                match coalitions.iter_mut().find(|c| c.1 == members) {
                    Some(c) => c.0.push(dimension.name()),
                    None => coalitions.push((vec![dimension.name()], members, stake)),
                }
            }
        }
        let largest = coalitions.iter().map(|c| c.2).max()?;
        let mut needed = min_share_of(threshold, self.total)?;
        if self.ethereum {
            let v = self.validator_units();
            needed = (needed.div_ceil(v) * v).min(largest);
        }
        let mut assumptions = Vec::new();
        for (dimensions, members, stake) in &coalitions {
            assumptions.push(format!(
                "Fewest stakers reaching the threshold by {} (aggregates excluded): {} — {}, holding {:.0} {} \
                 ({:.1} %), {:.0} USD at spot.",
                dimensions.join(" = "),
                members.len(),
                members.join(", "),
                self.tokens(*stake),
                self.asset,
                100.0 * *stake as f64 / self.total.max(1) as f64,
                self.tokens(*stake) * self.price_usd
            ));
        }
        assumptions.push(format!(
            "The coalition commits only the {:.0} {} the threshold needs; a bribe must at least cover what \
             that stake stands to lose. Reputation, future rewards and legal exposure are not priced, so the \
             CoC is a lower bound. Each entity is taken to act as one, as the data groups it{}.",
            self.tokens(needed),
            self.asset,
            if self.ethereum { "; aggregates such as `Other` never act as one" } else { "" }
        ));
        let breakdown = if self.ethereum {
            match self.destroyed(role, needed, self.total) {
                Ok((item, note)) => {
                    assumptions.push(note);
                    vec![item]
                }
                Err(e) => {
                    assumptions.push(format!("Destroyed capital not computed: {e}."));
                    Vec::new()
                }
            }
        } else {
            assumptions.push(format!(
                "No slashing model for {}: the committed stake is assumed lost in full, an upper end (Cosmos \
                 SDK genesis files commonly set slash_fraction_double_sign = 0.05, REFERENCES.md §2.1).",
                self.c.chain
            ));
            vec![CostItem {
                label: format!("{:.0} {} committed by the coalition, at spot", self.tokens(needed), self.asset),
                usd: self.tokens(needed) * self.price_usd,
                kind: CostKind::Destroyed,
            }]
        };
        Some(self.vector(self.title(role, "corrupting existing stakers"), breakdown, None, assumptions))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> Threshold {
        Threshold::parse(s).unwrap()
    }

    #[test]
    fn the_least_stake_to_add_respects_the_comparison() {
        // X/(T+X) > 1/3 ⇔ X > T/2: T = 100 gives 51; ≥ 1/3 gives 50.
        assert_eq!(min_stake_to_reach(t("> 1/3"), 100), Some(51));
        assert_eq!(min_stake_to_reach(t(">= 1/3"), 100), Some(50));
        // X/(T+X) ≥ 2/3 ⇔ X ≥ 2T.
        assert_eq!(min_stake_to_reach(t(">= 2/3"), 100), Some(200));
        assert_eq!(min_stake_to_reach(t("> 2/3"), 100), Some(201));
        assert_eq!(min_stake_to_reach(t(">= 1"), 100), None);
        assert_eq!(min_share_of(t("> 1/3"), 300), Some(101));
        assert_eq!(min_share_of(t(">= 1/3"), 300), Some(100));
        assert_eq!(min_share_of(t("> 1"), 300), None);
    }

    #[test]
    fn buying_from_a_pool_pays_the_constant_product_quote() {
        // x = 100, y = 10,000, no fee: taking 50 out costs y·a/(x − a) = 10,000.
        let pool = ConstantProduct::new(100.0, 10_000.0, 0.0).unwrap();
        let q = buy_quote(&pool, 50.0).unwrap();
        assert!((q - 10_000.0).abs() < 1e-6);
        assert_eq!(buy_quote(&pool, 100.0), None);
        // Outside price 400 (4× spot 100): the pool's marginal price y·x/(x − a)² reaches
        // it at a = 50, which costs 10,000; the other 150 cost 60,000.
        let a = acquisition_usd(200.0, Some((&pool, 0.0)), 1.0, 100.0, 4.0);
        assert!((a.from_pool - 50.0).abs() < 1e-9 && (a.usd - 70_000.0).abs() < 1e-6, "{a:?}");
        assert_eq!(acquisition_usd(3.0, None, 1.0, 100.0, 4.0).usd, 300.0);
    }

    #[test]
    fn ethereum_is_recognized_by_name_only() {
        assert!(is_ethereum_chain(" Ethereum"));
        assert!(!is_ethereum_chain("Ethereum Classic"));
        assert!(!is_ethereum_chain("Cosmos Hub"));
    }
}
