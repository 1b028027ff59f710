//! One Aave v3 liquidation, in real numbers: how much debt may be repaid, how much
//! collateral is seized for it, and the protocol's share of the bonus
//! (REFERENCES.md §6.1, `LiquidationLogic._calculateAvailableCollateralToLiquidate`).

/// The reserve parameters a liquidation reads.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LiquidationTerms {
    /// Liquidation bonus above par (0.05 is Aave's 10500).
    pub bonus: f64,
    /// Share of the bonus sent to the treasury (`liquidationProtocolFee`).
    pub protocol_fee: f64,
    /// Share of the debt repayable while the health factor is above `full_below`.
    pub close_factor: f64,
    /// At or below this health factor the whole debt may be repaid (v3.0: 0.95).
    pub full_below: f64,
}

/// The outcome of one liquidation call.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Liquidation {
    /// Debt repaid by the liquidator, in debt tokens.
    pub debt_repaid: f64,
    /// Collateral taken from the position, in collateral tokens (liquidator and treasury).
    pub collateral_seized: f64,
    /// Of that, the treasury's share of the bonus, in collateral tokens.
    pub protocol_fee: f64,
}

impl Liquidation {
    /// Collateral the liquidator receives, in collateral tokens.
    pub fn to_liquidator(&self) -> f64 {
        self.collateral_seized - self.protocol_fee
    }
}

impl LiquidationTerms {
    /// The largest share of the debt one call may repay at health factor `hf`.
    ///
    /// # Formula
    /// v3.0: `hf > CLOSE_FACTOR_HF_THRESHOLD ? DEFAULT_LIQUIDATION_CLOSE_FACTOR : MAX_LIQUIDATION_CLOSE_FACTOR`,
    /// i.e. 50 % above 0.95 and 100 % at or below it.
    pub fn max_repay_share(&self, hf: f64) -> f64 {
        if hf > self.full_below { self.close_factor } else { 1.0 }
    }

    /// Liquidates as much as the close factor allows (or `debt_to_cover` if smaller),
    /// at oracle prices, with the seizure capped by the collateral held.
    ///
    /// # Formula
    /// base = debt · P_debt / P_coll; seized = base · (1 + bonus). If seized exceeds the
    /// collateral, seized = collateral and debt = collateral · P_coll / P_debt / (1 + bonus).
    /// fee = (seized − seized / (1 + bonus)) · protocol_fee: a share of the bonus only.
    ///
    /// The factors that do not depend on the repayment (collateral per debt token, the
    /// fee's share of the seizure) are formed first, so that the divisions do not wait on
    /// one another: the engine runs this thousands of times a path.
    pub fn liquidate(
        &self,
        collateral: f64,
        debt: f64,
        hf: f64,
        debt_to_cover: f64,
        coll_price: f64,
        debt_price: f64,
    ) -> Liquidation {
        let lb = 1.0 + self.bonus;
        let coll_per_debt = debt_price / coll_price * lb;
        let fee_share = (1.0 - 1.0 / lb) * self.protocol_fee;
        let repay = (debt * self.max_repay_share(hf)).min(debt_to_cover).max(0.0);
        let mut seized = repay * coll_per_debt;
        let mut debt_repaid = repay;
        if seized > collateral {
            seized = collateral;
            debt_repaid = collateral / coll_per_debt;
        }
        Liquidation { debt_repaid, collateral_seized: seized, protocol_fee: seized * fee_share }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TERMS: LiquidationTerms =
        LiquidationTerms { bonus: 0.05, protocol_fee: 0.1, close_factor: 0.5, full_below: 0.95 };

    #[test]
    fn half_the_debt_above_095_all_of_it_below() {
        assert_eq!(TERMS.max_repay_share(0.96), 0.5);
        assert_eq!(TERMS.max_repay_share(0.95), 1.0, "at 0.95 exactly the full close factor applies (strict >)");
    }

    #[test]
    fn seizure_pays_the_bonus_and_the_fee_is_a_share_of_the_bonus_only() {
        // 10 WETH at 1,900 against 16,000 USDC: HF = 10·1900·0.83/16000 ≈ 0.986 > 0.95.
        // Repay 8,000 USDC; seize 8000/1900 · 1.05 = 4.42105... WETH; the bonus is
        // 4.42105 − 4.42105/1.05 = 0.210526 WETH, of which 10 % goes to the treasury.
        let l = TERMS.liquidate(10.0, 16_000.0, 0.986, f64::INFINITY, 1900.0, 1.0);
        assert_eq!(l.debt_repaid, 8_000.0);
        assert!((l.collateral_seized - 8_000.0 / 1_900.0 * 1.05).abs() < 1e-12);
        assert!((l.protocol_fee - 0.021_052_631_578_947).abs() < 1e-12);
    }

    #[test]
    fn seizure_is_capped_by_the_collateral_and_the_debt_shrinks_to_match() {
        // 1 WETH at 1,000 against 2,000 USDC at HF 0.415: everything may be repaid, but the
        // collateral covers only 1000/1.05 = 952.38 USDC of it.
        let l = TERMS.liquidate(1.0, 2_000.0, 0.415, f64::INFINITY, 1000.0, 1.0);
        assert_eq!(l.collateral_seized, 1.0);
        assert!((l.debt_repaid - 1_000.0 / 1.05).abs() < 1e-9);
    }
}
