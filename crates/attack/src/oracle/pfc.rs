//! Profit from corruption of an oracle: what a price read k times the true one lets an
//! attacker take out of the spec's lending markets (issue 3, vector 3).
//!
//! Two channels, summed over markets:
//! - **Borrowing at a false price.** k > 1: deposit collateral worth C at the true price,
//!   it reads kC, borrow LTV·kC of other assets and walk away: PfC = (LTV·k − 1)·C
//!   (positive only past the LTV slack k > 1/LTV), C bounded by the asset's supply-cap
//!   headroom and by what the other reserves can lend. k < 1: borrow the deflated asset
//!   against other collateral: PfC = (1 − k/LTV_B)·D for a true value D borrowed.
//! - **Liquidating positions the false price makes liquidatable** (Aave v3.0 rules,
//!   REFERENCES.md §6.1): HF < 1 at the false price; close factor 50 % above
//!   `full_liquidation_health`, else 100 %; the liquidator repays debt valued at the false
//!   price and receives collateral worth (1 + bonus) of it, less the protocol's share of the
//!   bonus, then values both at the true price. Positions already liquidatable at the true
//!   price are left out: their profit is anyone's, not the manipulation's.
//!
//! Lendable liquidity is a choice, [`BorrowLiquidity`]: the book lists borrowers only, not
//! lenders who do not borrow, so its supplied − borrowed understates what a pool can lend;
//! the borrow cap's headroom is what the protocol itself enforces.
//!
//! PfC rises with the move in each direction for books where no position holds the
//! manipulated asset on both sides (the property tests check it); a position that does can
//! make the liquidation channel fall slightly as the move grows.

use bulwark_spec::Protocol;
use bulwark_spec::model::market::Market;

/// Which liquidity a borrower at a false price can take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BorrowLiquidity {
    /// The borrow cap's headroom (cap − borrowed in the book); without a cap, the book's
    /// supplied − borrowed.
    #[default]
    CapHeadroom,
    /// The book's supplied − borrowed, also bounded by the cap's headroom.
    Book,
}

/// One leg of a position, in USD at the true price.
#[derive(Debug, Clone, Copy)]
struct Leg {
    manipulated: bool,
    value_usd: f64,
    /// Collateral: liquidation threshold; debt: unused.
    lt: f64,
    bonus: f64,
    protocol_fee: f64,
}

/// A reserve's lending terms, in USD at the true price.
#[derive(Debug, Clone, Copy)]
struct Terms {
    ltv: f64,
    /// Supply-cap headroom (infinite without a cap).
    supply_headroom_usd: f64,
    /// What the reserve can still lend (zero when borrowing is disabled).
    lendable_usd: f64,
}

#[derive(Debug, Clone)]
struct MarketExposure {
    close_factor: f64,
    full_liquidation_health: f64,
    /// Terms of the manipulated asset, if the market lists it.
    asset: Option<Terms>,
    /// Terms of every other reserve.
    others: Vec<Terms>,
    /// Positions touching the manipulated asset, not liquidatable at the true price.
    positions: Vec<(Vec<Leg>, Vec<Leg>)>,
}

/// What the lending markets expose to a false price of one asset.
#[derive(Debug, Clone)]
pub struct Exposure {
    markets: Vec<MarketExposure>,
}

/// The two channels of [`Exposure::pfc_usd`] at one move.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct PfcParts {
    /// Borrowing at the false price, USD.
    pub borrow_usd: f64,
    /// Liquidating positions the false price makes liquidatable, USD.
    pub liquidation_usd: f64,
}

impl PfcParts {
    /// Both channels.
    pub fn total_usd(&self) -> f64 {
        self.borrow_usd + self.liquidation_usd
    }
}

impl Exposure {
    /// The exposure of `p`'s markets to a false price of `asset`, with the books generated
    /// from `seed` where they are generated.
    pub fn new(p: &Protocol, asset: &str, seed: u64, liquidity: BorrowLiquidity) -> Self {
        let markets = p.markets.iter().map(|m| market_exposure(p, m, asset, seed, liquidity)).collect();
        Self { markets }
    }

    /// Whether any market lists the asset.
    pub fn is_listed(&self) -> bool {
        self.markets.iter().any(|m| m.asset.is_some())
    }

    /// PfC when the protocol reads the asset's price as `k` times the true one.
    ///
    /// # Formula
    /// k > 1: Σ (LTV·k − 1)·min(C_cap, D_avail/(LTV·k)), D_avail the other reserves'
    /// lendable USD; k < 1: Σ_B (1 − k/LTV_B)·D_B, the asset's lendable value D spread over
    /// collateral reserves by descending LTV, each within LTV_B·C_cap,B/k. Liquidations:
    /// per position with HF(k) < 1, the best (collateral, debt) pair's
    /// R·[(1 + b(1 − fee))·ρ_C − ρ_D], ρ = true/read price (1/k for the manipulated asset),
    /// R = min(cf·debt_read, collateral_read/(1 + b)). See the module documentation.
    pub fn pfc_usd(&self, k: f64) -> PfcParts {
        let mut parts = PfcParts::default();
        if !(k.is_finite() && k > 0.0) || k == 1.0 {
            return parts;
        }
        for m in &self.markets {
            parts.borrow_usd += m.borrow_profit(k);
            parts.liquidation_usd += m.liquidation_profit(k);
        }
        parts
    }
}

impl MarketExposure {
    fn borrow_profit(&self, k: f64) -> f64 {
        let Some(asset) = self.asset else { return 0.0 };
        if k > 1.0 {
            let lever = asset.ltv * k;
            if lever <= 1.0 {
                return 0.0;
            }
            let lendable: f64 = self.others.iter().map(|o| o.lendable_usd).sum();
            let c = asset.supply_headroom_usd.min(lendable / lever);
            (lever - 1.0) * c
        } else {
            // Borrow the deflated asset against the collateral with the highest LTV first.
            let mut remaining = asset.lendable_usd;
            let mut collateral: Vec<&Terms> = self.others.iter().filter(|o| o.ltv > k).collect();
            collateral.sort_by(|a, b| b.ltv.total_cmp(&a.ltv));
            let mut profit = 0.0;
            for b in collateral {
                if remaining <= 0.0 {
                    break;
                }
                let d = remaining.min(b.ltv * b.supply_headroom_usd / k);
                profit += d * (1.0 - k / b.ltv);
                remaining -= d;
            }
            profit
        }
    }

    fn liquidation_profit(&self, k: f64) -> f64 {
        let read = |l: &Leg| if l.manipulated { l.value_usd * k } else { l.value_usd };
        let rho = |l: &Leg| if l.manipulated { 1.0 / k } else { 1.0 };
        let mut total = 0.0;
        for (coll, debt) in &self.positions {
            let weighted: f64 = coll.iter().map(|l| read(l) * l.lt).sum();
            let owed: f64 = debt.iter().map(read).sum();
            let hf = weighted / owed;
            if hf >= 1.0 {
                continue;
            }
            let cf = if hf > self.full_liquidation_health { self.close_factor } else { 1.0 };
            let mut best = 0.0f64;
            for c in coll {
                for d in debt {
                    let repay = (cf * read(d)).min(read(c) / (1.0 + c.bonus));
                    let coef = (1.0 + c.bonus * (1.0 - c.protocol_fee)) * rho(c) - rho(d);
                    best = best.max(repay * coef);
                }
            }
            total += best;
        }
        total
    }
}

fn market_exposure(p: &Protocol, m: &Market, asset: &str, seed: u64, liquidity: BorrowLiquidity) -> MarketExposure {
    let price = |a: &str| p.price_usd(a);
    let book = m.book(seed, &price);
    let total = |a: &str, collateral: bool| -> f64 {
        book.iter()
            .flat_map(|pos| if collateral { pos.collateral.iter() } else { pos.debt.iter() })
            .filter(|(x, _)| x == a)
            .map(|(_, n)| n)
            .sum()
    };
    let terms = |a: &str| {
        let r = m.reserve(a)?;
        let (supplied, borrowed) = (total(a, true), total(a, false));
        let supply_headroom = r.supply_cap.map_or(f64::INFINITY, |cap| (cap - supplied).max(0.0));
        let book_free = (supplied - borrowed).max(0.0);
        let cap_free = r.borrow_cap.map(|cap| (cap - borrowed).max(0.0));
        let lendable = match (liquidity, cap_free) {
            _ if !r.borrowing_enabled => 0.0,
            (BorrowLiquidity::CapHeadroom, Some(c)) => c,
            (BorrowLiquidity::CapHeadroom, None) => book_free,
            (BorrowLiquidity::Book, c) => c.map_or(book_free, |c| c.min(book_free)),
        };
        Some(Terms { ltv: r.ltv, supply_headroom_usd: supply_headroom * price(a), lendable_usd: lendable * price(a) })
    };
    let leg = |a: &str, n: f64| {
        let r = m.reserve(a);
        Leg {
            manipulated: a == asset,
            value_usd: n * price(a),
            lt: r.map_or(0.0, |r| r.liquidation_threshold),
            bonus: r.map_or(0.0, |r| r.liquidation_bonus),
            protocol_fee: r.map_or(0.0, |r| r.liquidation_protocol_fee),
        }
    };
    let positions = book
        .iter()
        .filter(|pos| pos.collateral.iter().chain(&pos.debt).any(|(a, _)| a == asset))
        .map(|pos| {
            let coll: Vec<Leg> = pos.collateral.iter().map(|(a, n)| leg(a, *n)).collect();
            let debt: Vec<Leg> = pos.debt.iter().map(|(a, n)| leg(a, *n)).collect();
            (coll, debt)
        })
        .filter(|(coll, debt)| {
            let owed: f64 = debt.iter().map(|l| l.value_usd).sum();
            let weighted: f64 = coll.iter().map(|l| l.value_usd * l.lt).sum();
            owed > 0.0 && weighted >= owed
        })
        .collect();
    MarketExposure {
        close_factor: m.close_factor,
        full_liquidation_health: m.full_liquidation_health,
        asset: terms(asset),
        others: m.reserves.iter().filter(|r| r.asset != asset).filter_map(|r| terms(&r.asset)).collect(),
        positions,
    }
}
