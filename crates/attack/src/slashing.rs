//! Ethereum slashing, inactivity leak and churn in exact integer gwei, with the spec
//! functions' floor divisions, for every fork from phase0 to electra (REFERENCES.md
//! §2.1 and §2.4).
//!
//! Source: `ethereum/consensus-specs` at a08d8a6, `specs/{phase0,altair,bellatrix,
//! deneb,electra}/beacon-chain.md`, `presets/mainnet/*.yaml`, `configs/mainnet.yaml`.
//! Capella and Deneb change none of these functions, so they inherit Bellatrix's.
//! Checked against the pyspec (`eth2spec==1.1.10`, phase0 to capella) and a
//! transcription of the markdown (deneb, electra) by
//! `tests/it/fixtures/slashing_reference.py`.
//!
//! Intermediate products are taken in `u128`, where the spec's `uint64` would raise on
//! overflow; for every input the spec accepts the results are the spec's.

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

/// One ETH in gwei.
pub const GWEI_PER_ETH: u64 = 1_000_000_000;
/// `EFFECTIVE_BALANCE_INCREMENT`: 1 ETH.
pub const EFFECTIVE_BALANCE_INCREMENT_GWEI: u64 = GWEI_PER_ETH;
/// `MAX_EFFECTIVE_BALANCE` (and Electra's `MIN_ACTIVATION_BALANCE`): 32 ETH.
pub const MAX_EFFECTIVE_BALANCE_GWEI: u64 = 32 * GWEI_PER_ETH;
/// `MAX_EFFECTIVE_BALANCE_ELECTRA`, for compounding (0x02) validators: 2048 ETH.
pub const MAX_EFFECTIVE_BALANCE_ELECTRA_GWEI: u64 = 2048 * GWEI_PER_ETH;
/// `EJECTION_BALANCE`: 16 ETH.
pub const EJECTION_BALANCE_GWEI: u64 = 16 * GWEI_PER_ETH;
/// `EPOCHS_PER_SLASHINGS_VECTOR`: 2^13.
pub const EPOCHS_PER_SLASHINGS_VECTOR: u64 = 8192;
/// `MIN_EPOCHS_TO_INACTIVITY_PENALTY`: a leak starts once the finality delay exceeds it.
pub const MIN_EPOCHS_TO_INACTIVITY_PENALTY: u64 = 4;
/// `INACTIVITY_SCORE_BIAS` (Altair+).
pub const INACTIVITY_SCORE_BIAS: u64 = 4;
/// `PROPOSER_REWARD_QUOTIENT` (phase0).
pub const PROPOSER_REWARD_QUOTIENT: u64 = 8;
/// `PROPOSER_WEIGHT` (Altair+), over [`WEIGHT_DENOMINATOR`].
pub const PROPOSER_WEIGHT: u64 = 8;
/// `WEIGHT_DENOMINATOR` (Altair+).
pub const WEIGHT_DENOMINATOR: u64 = 64;
/// `HYSTERESIS_QUOTIENT`.
pub const HYSTERESIS_QUOTIENT: u64 = 4;
/// `HYSTERESIS_DOWNWARD_MULTIPLIER`.
pub const HYSTERESIS_DOWNWARD_MULTIPLIER: u64 = 1;
/// `HYSTERESIS_UPWARD_MULTIPLIER`.
pub const HYSTERESIS_UPWARD_MULTIPLIER: u64 = 5;
/// `MIN_PER_EPOCH_CHURN_LIMIT`, in validators (phase0 to deneb).
pub const MIN_PER_EPOCH_CHURN_LIMIT: u64 = 4;
/// `CHURN_LIMIT_QUOTIENT`.
pub const CHURN_LIMIT_QUOTIENT: u64 = 65_536;
/// `MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT`, in validators (Deneb, EIP-7514).
pub const MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT: u64 = 8;
/// `MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA`: 128 ETH.
pub const MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA_GWEI: u64 = 128 * GWEI_PER_ETH;
/// `MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT`: 256 ETH.
pub const MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT_GWEI: u64 = 256 * GWEI_PER_ETH;
/// `MAX_SEED_LOOKAHEAD`: an exit initiated in epoch e takes effect at e + 1 + 4.
pub const MAX_SEED_LOOKAHEAD: u64 = 4;
/// One epoch: 32 slots of 12 s.
pub const SECONDS_PER_EPOCH: u64 = 384;

const INC: u64 = EFFECTIVE_BALANCE_INCREMENT_GWEI;

/// Errors of the slashing and leak computations.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SlashingError {
    /// A fork name that is none of phase0 … electra.
    #[error("unknown fork `{0}`: expected phase0, altair, bellatrix, capella, deneb or electra")]
    UnknownFork(String),
    /// A leak scenario without validators.
    #[error("a leak scenario needs at least one validator")]
    NoValidators,
    /// Finality did not resume within the epochs allowed.
    #[error("finality does not resume within {max_epochs} epochs")]
    NoFinality {
        /// The bound that was reached.
        max_epochs: u64,
    },
}

/// An Ethereum consensus fork, for the constants of slashing and the leak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Fork {
    /// Genesis (December 2020).
    Phase0,
    /// Altair: inactivity scores, lower quotients.
    Altair,
    /// Bellatrix (the Merge): final values until Electra.
    Bellatrix,
    /// Capella: Bellatrix's values.
    Capella,
    /// Deneb: Bellatrix's values; activation churn capped (EIP-7514).
    Deneb,
    /// Electra (EIP-7251): balance churn, a 1/4096 initial penalty.
    #[default]
    Electra,
}

impl Fork {
    /// Every fork, oldest first.
    pub const ALL: [Fork; 6] = [Fork::Phase0, Fork::Altair, Fork::Bellatrix, Fork::Capella, Fork::Deneb, Fork::Electra];

    /// Its lowercase name, as the consensus-specs folders spell it.
    pub fn name(self) -> &'static str {
        match self {
            Fork::Phase0 => "phase0",
            Fork::Altair => "altair",
            Fork::Bellatrix => "bellatrix",
            Fork::Capella => "capella",
            Fork::Deneb => "deneb",
            Fork::Electra => "electra",
        }
    }

    /// `MIN_SLASHING_PENALTY_QUOTIENT[_ALTAIR|_BELLATRIX|_ELECTRA]`: 2^7, 2^6, 2^5, 2^12.
    pub fn min_slashing_penalty_quotient(self) -> u64 {
        match self {
            Fork::Phase0 => 128,
            Fork::Altair => 64,
            Fork::Bellatrix | Fork::Capella | Fork::Deneb => 32,
            Fork::Electra => 4096,
        }
    }

    /// `PROPORTIONAL_SLASHING_MULTIPLIER[_ALTAIR|_BELLATRIX]`: 1, 2, 3 (Electra keeps 3).
    pub fn proportional_slashing_multiplier(self) -> u64 {
        match self {
            Fork::Phase0 => 1,
            Fork::Altair => 2,
            Fork::Bellatrix | Fork::Capella | Fork::Deneb | Fork::Electra => 3,
        }
    }

    /// `WHISTLEBLOWER_REWARD_QUOTIENT[_ELECTRA]`: 2^9, then 2^12 from Electra.
    pub fn whistleblower_reward_quotient(self) -> u64 {
        if self == Fork::Electra { 4096 } else { 512 }
    }

    /// `INACTIVITY_PENALTY_QUOTIENT[_ALTAIR|_BELLATRIX]`: 2^26, 3·2^24, 2^24.
    pub fn inactivity_penalty_quotient(self) -> u64 {
        match self {
            Fork::Phase0 => 1 << 26,
            Fork::Altair => 3 << 24,
            Fork::Bellatrix | Fork::Capella | Fork::Deneb | Fork::Electra => 1 << 24,
        }
    }

    fn uses_inactivity_scores(self) -> bool {
        self != Fork::Phase0
    }

    /// The cap on an effective balance: 32 ETH, except an Electra validator above 32 ETH,
    /// which can only be a compounding (0x02) one, capped at 2048 ETH.
    fn max_effective_balance_gwei(self, effective_balance_gwei: u64) -> u64 {
        if self == Fork::Electra && effective_balance_gwei > MAX_EFFECTIVE_BALANCE_GWEI {
            MAX_EFFECTIVE_BALANCE_ELECTRA_GWEI
        } else {
            MAX_EFFECTIVE_BALANCE_GWEI
        }
    }
}

impl fmt::Display for Fork {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Fork {
    type Err = SlashingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let name = s.trim().to_ascii_lowercase();
        Fork::ALL.into_iter().find(|f| f.name() == name).ok_or_else(|| SlashingError::UnknownFork(s.to_string()))
    }
}

/// What `slash_validator` takes from the slashed validator and pays to others.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InitialSlashing {
    /// Taken from the slashed validator at once.
    pub penalty_gwei: u64,
    /// Paid in all to the whistleblower and the proposer (the proposer's part included).
    pub whistleblower_reward_gwei: u64,
    /// The proposer's part of the whistleblower reward.
    pub proposer_reward_gwei: u64,
}

/// The initial penalty and rewards of `slash_validator`.
///
/// # Formula
/// `penalty = eb // MIN_SLASHING_PENALTY_QUOTIENT`, `wb = eb // WHISTLEBLOWER_REWARD_QUOTIENT`
/// (each the fork's), `proposer = wb // 8` (phase0) or `wb * 8 // 64` (Altair+). Source: `slash_validator` in
/// `specs/{phase0,altair,bellatrix,electra}/beacon-chain.md`.
pub fn initial_slashing(fork: Fork, effective_balance_gwei: u64) -> InitialSlashing {
    let eb = effective_balance_gwei;
    let wb = eb / fork.whistleblower_reward_quotient();
    let proposer = if fork.uses_inactivity_scores() {
        mul_div(wb, PROPOSER_WEIGHT, WEIGHT_DENOMINATOR)
    } else {
        wb / PROPOSER_REWARD_QUOTIENT
    };
    InitialSlashing {
        penalty_gwei: eb / fork.min_slashing_penalty_quotient(),
        whistleblower_reward_gwei: wb,
        proposer_reward_gwei: proposer,
    }
}

/// The correlation penalty of `process_slashings` for one slashed validator.
///
/// `total_active_balance_gwei` is floored at one increment, as `get_total_balance` does;
/// `slashed_in_window_gwei` is `sum(state.slashings)`, the effective balances slashed in
/// the last 8192 epochs. The result saturates at `u64::MAX` where the spec would overflow.
///
/// # Formula
/// `adjusted = min(slashed * MULTIPLIER, total)`, the fork's multiplier. Up to Deneb:
/// `eb // INC * adjusted // total * INC`; from Electra (EIP-7251):
/// `adjusted // (total // INC) * (eb // INC)`. Source: `process_slashings`, REFERENCES.md §2.4.
pub fn correlation_penalty_gwei(
    fork: Fork,
    effective_balance_gwei: u64,
    total_active_balance_gwei: u64,
    slashed_in_window_gwei: u64,
) -> u64 {
    correlation(fork, effective_balance_gwei, total_active_balance_gwei, u128::from(slashed_in_window_gwei))
}

fn correlation(fork: Fork, eb: u64, total: u64, slashed: u128) -> u64 {
    let total = u128::from(total.max(INC));
    let inc = u128::from(INC);
    let adjusted = (slashed * u128::from(fork.proportional_slashing_multiplier())).min(total);
    let increments = u128::from(eb / INC);
    let penalty =
        if fork == Fork::Electra { adjusted / (total / inc) * increments } else { increments * adjusted / total * inc };
    u64::try_from(penalty).unwrap_or(u64::MAX)
}

/// `process_effective_balance_updates` for one validator.
///
/// # Formula
/// With h = INC // 4: if balance + h·1 < eb or eb + h·5 < balance, eb = min(balance −
/// balance % INC, max). Source: `specs/phase0/beacon-chain.md` (Electra: the cap per validator).
pub fn effective_balance_update(fork: Fork, balance_gwei: u64, effective_balance_gwei: u64) -> u64 {
    let h = INC / HYSTERESIS_QUOTIENT;
    let down = h * HYSTERESIS_DOWNWARD_MULTIPLIER;
    let up = h * HYSTERESIS_UPWARD_MULTIPLIER;
    let eb = effective_balance_gwei;
    if balance_gwei.saturating_add(down) < eb || eb.saturating_add(up) < balance_gwei {
        (balance_gwei - balance_gwei % INC).min(fork.max_effective_balance_gwei(eb))
    } else {
        eb
    }
}

/// What a coalition loses when all of its validators are slashed in one window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CoalitionSlashing {
    /// The fork whose constants apply.
    pub fork: Fork,
    /// Validators slashed.
    pub validators: u64,
    /// Effective balance of each before slashing, equal to its balance.
    pub effective_balance_gwei: u64,
    /// Total active balance when `process_slashings` runs.
    pub total_active_balance_gwei: u64,
    /// Initial penalty of each.
    pub initial_penalty_gwei: u64,
    /// Effective balance of each after the hysteresis update that follows the initial penalty.
    pub effective_balance_after_gwei: u64,
    /// Correlation penalty of each, 4096 epochs later.
    pub correlation_penalty_gwei: u64,
    /// All that each loses (never more than its balance).
    pub loss_per_validator_gwei: u64,
    /// All that the coalition loses.
    pub total_loss_gwei: u128,
    /// Paid to whistleblowers and proposers out of the slashings.
    pub whistleblower_rewards_gwei: u128,
}

impl CoalitionSlashing {
    /// The share of the coalition's stake destroyed, in [0, 1].
    pub fn loss_fraction(&self) -> f64 {
        let stake = u128::from(self.validators) * u128::from(self.effective_balance_gwei);
        if stake == 0 { 0.0 } else { self.total_loss_gwei as f64 / stake as f64 }
    }
}

/// The total loss of `validators` validators of effective balance `eb`, slashed together
/// out of a total active balance `total`, with no other slashing in the window.
///
/// Each validator's balance is taken equal to its effective balance. After the initial
/// penalty the next epoch's hysteresis update may lower the effective balance (Altair to
/// Deneb: 32 → 31 ETH), and the correlation penalty uses that value. Omitted: the
/// attestation penalties of the 4096 epochs between (of order 0.03 ETH per validator),
/// and any balance effect of the slashed validators leaving the active set before
/// `process_slashings` runs (`total` is taken as given).
///
/// # Formula
/// loss = min(p₀ + corr(eb′, T, N·eb), eb), p₀ = eb // MIN_SLASHING_PENALTY_QUOTIENT,
/// eb′ = hysteresis(eb − p₀, eb); see [`initial_slashing`] and [`correlation_penalty_gwei`].
pub fn coalition_slashing(fork: Fork, validators: u64, eb: u64, total: u64) -> CoalitionSlashing {
    let window = u128::from(validators) * u128::from(eb);
    let part = slash_one(fork, eb, total, window);
    let initial = initial_slashing(fork, eb);
    CoalitionSlashing {
        fork,
        validators,
        effective_balance_gwei: eb,
        total_active_balance_gwei: total,
        initial_penalty_gwei: part.initial_gwei,
        effective_balance_after_gwei: part.effective_after_gwei,
        correlation_penalty_gwei: part.correlation_gwei,
        loss_per_validator_gwei: part.loss_gwei,
        total_loss_gwei: u128::from(validators) * u128::from(part.loss_gwei),
        whistleblower_rewards_gwei: u128::from(validators) * u128::from(initial.whistleblower_reward_gwei),
    }
}

/// The loss when `stake_gwei` is slashed at once, held in 32 ETH validators plus one
/// validator with the remainder (its effective balance rounded down to whole ETH).
///
/// # Formula
/// N = stake // 32 ETH full validators and a remainder r; each loses as in
/// [`coalition_slashing`] with the window holding N·32 ETH + (r − r % INC).
pub fn stake_slashing_loss_gwei(fork: Fork, stake_gwei: u64, total_active_balance_gwei: u64) -> u128 {
    let full = stake_gwei / MAX_EFFECTIVE_BALANCE_GWEI;
    let rest = stake_gwei % MAX_EFFECTIVE_BALANCE_GWEI;
    let rest_eb = rest - rest % INC;
    let window = u128::from(full) * u128::from(MAX_EFFECTIVE_BALANCE_GWEI) + u128::from(rest_eb);
    let one = slash_one(fork, MAX_EFFECTIVE_BALANCE_GWEI, total_active_balance_gwei, window);
    let last = if rest > 0 {
        // The remainder's balance is `rest`, its effective balance `rest_eb`.
        let p0 = rest_eb / fork.min_slashing_penalty_quotient();
        let balance = rest - p0.min(rest);
        let eb_after = effective_balance_update(fork, balance, rest_eb);
        let corr = correlation(fork, eb_after, total_active_balance_gwei, window);
        u128::from(rest - (balance - corr.min(balance)))
    } else {
        0
    };
    u128::from(full) * u128::from(one.loss_gwei) + last
}

struct OneSlashed {
    initial_gwei: u64,
    effective_after_gwei: u64,
    correlation_gwei: u64,
    loss_gwei: u64,
}

fn slash_one(fork: Fork, eb: u64, total: u64, window: u128) -> OneSlashed {
    let initial = initial_slashing(fork, eb).penalty_gwei;
    let balance = eb - initial.min(eb);
    let effective_after = effective_balance_update(fork, balance, eb);
    let corr = correlation(fork, effective_after, total, window);
    let left = balance - corr.min(balance);
    OneSlashed {
        initial_gwei: initial,
        effective_after_gwei: effective_after,
        correlation_gwei: corr,
        loss_gwei: eb - left,
    }
}

/// An always-offline validator during an inactivity leak, epoch by epoch.
///
/// Leak epoch n (from 1) is the n-th epoch with `is_in_inactivity_leak`, i.e. finality
/// delay 4 + n. Each step runs, in `process_epoch` order: the inactivity-score update
/// (Altair+: += `INACTIVITY_SCORE_BIAS`), the inactivity penalty, the ejection check of
/// `process_registry_updates` (effective balance ≤ 16 ETH), and the hysteresis update.
/// Omitted, as the brief allows: the base-reward-sized penalties for missed source and
/// target votes (Altair+: about 7,000 gwei per epoch at 18.7M ETH staked; phase0: the
/// base-reward terms of `get_inactivity_penalty_deltas`). The validator keeps leaking
/// after its ejection: when it leaves depends on the exit queue, see [`leak_until_finality`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OfflineValidator {
    /// The fork whose constants apply.
    pub fork: Fork,
    /// Leak epochs processed.
    pub leak_epochs: u64,
    /// Balance.
    pub balance_gwei: u64,
    /// Effective balance.
    pub effective_balance_gwei: u64,
    /// Inactivity score (always 0 in phase0, which has none).
    pub inactivity_score: u64,
    /// The leak epoch whose registry update initiated its exit, if any.
    pub ejected_at: Option<u64>,
    /// The effective balance its exit was queued with.
    pub ejected_with_gwei: Option<u64>,
}

impl OfflineValidator {
    /// A validator with this balance and the effective balance it implies.
    pub fn new(fork: Fork, balance_gwei: u64) -> Self {
        let eb = (balance_gwei - balance_gwei % INC).min(fork.max_effective_balance_gwei(balance_gwei));
        Self {
            fork,
            leak_epochs: 0,
            balance_gwei,
            effective_balance_gwei: eb,
            inactivity_score: 0,
            ejected_at: None,
            ejected_with_gwei: None,
        }
    }

    /// One more leak epoch; returns the penalty taken.
    ///
    /// # Formula
    /// Altair+: score += 4; `penalty = eb * score // (4 * INACTIVITY_PENALTY_QUOTIENT)`, the fork's.
    /// Phase0: penalty = eb · finality_delay // INACTIVITY_PENALTY_QUOTIENT, delay = 4 + n.
    /// Source: `process_inactivity_updates`, `get_inactivity_penalty_deltas`.
    pub fn step(&mut self) -> u64 {
        self.leak_epochs += 1;
        let q = self.fork.inactivity_penalty_quotient();
        let eb = self.effective_balance_gwei;
        let penalty = if self.fork.uses_inactivity_scores() {
            self.inactivity_score += INACTIVITY_SCORE_BIAS;
            mul_div(eb, self.inactivity_score, INACTIVITY_SCORE_BIAS * q)
        } else {
            mul_div(eb, MIN_EPOCHS_TO_INACTIVITY_PENALTY + self.leak_epochs, q)
        };
        self.balance_gwei -= penalty.min(self.balance_gwei);
        if self.ejected_at.is_none() && eb <= EJECTION_BALANCE_GWEI {
            self.ejected_at = Some(self.leak_epochs);
            self.ejected_with_gwei = Some(eb);
        }
        self.effective_balance_gwei = effective_balance_update(self.fork, self.balance_gwei, eb);
        penalty
    }
}

/// An always-offline validator of `balance_gwei` after `epochs` leak epochs.
pub fn offline_validator_after(fork: Fork, balance_gwei: u64, epochs: u64) -> OfflineValidator {
    let mut v = OfflineValidator::new(fork, balance_gwei);
    for _ in 0..epochs {
        v.step();
    }
    v
}

/// Online and offline validators during a leak, to find when finality can resume.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeakScenario {
    /// The fork whose constants apply.
    pub fork: Fork,
    /// Validators that attest throughout; their balance stays put (Altair+ pays no
    /// attestation rewards during a leak, and phase0's cancel out).
    pub online_validators: u64,
    /// Validators that never attest.
    pub offline_validators: u64,
    /// Every validator's starting balance.
    pub balance_gwei: u64,
    /// Give up after this many leak epochs.
    pub max_epochs: u64,
}

impl LeakScenario {
    /// A scenario of `total_validators` of 32 ETH of which the share `offline_share` is
    /// offline (rounded to the nearest validator), with a bound of a million epochs.
    pub fn from_share(fork: Fork, offline_share: f64, total_validators: u64) -> Self {
        let offline = (offline_share.clamp(0.0, 1.0) * total_validators as f64).round() as u64;
        Self {
            fork,
            online_validators: total_validators - offline.min(total_validators),
            offline_validators: offline.min(total_validators),
            balance_gwei: MAX_EFFECTIVE_BALANCE_GWEI,
            max_epochs: 1_000_000,
        }
    }
}

/// When finality can resume, and what the offline validators lost by then.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LeakOutcome {
    /// Leak epochs before justification is possible again (0: the offline share never
    /// blocked it). Finalization follows one or two epochs later.
    pub epochs: u64,
    /// Balance of each offline validator still active.
    pub offline_balance_gwei: u64,
    /// Effective balance of each offline validator still active.
    pub offline_effective_balance_gwei: u64,
    /// Offline validators that had exited after ejection.
    pub exited_validators: u64,
    /// The leak epoch at which the offline validators were ejected, if they were.
    pub ejected_at: Option<u64>,
    /// What the offline validators lost in all.
    pub loss_gwei: u128,
}

impl LeakOutcome {
    /// The leak's duration in seconds.
    pub fn time_s(&self) -> f64 {
        (self.epochs * SECONDS_PER_EPOCH) as f64
    }
}

/// Runs the leak epoch by epoch until the online validators hold 2/3 of the active
/// effective balance, so that justification (and then finality) can resume.
///
/// The offline validators evolve alike ([`OfflineValidator`]). Ejected, they queue for
/// exit together at `compute_activation_exit_epoch` (n + 5) under the fork's exit churn,
/// fixed at ejection: `max(4, active_validators // 65536)` validators per epoch up to
/// Deneb, `get_activation_exit_churn_limit` gwei per epoch from Electra (the j-th exits
/// once j · eb fits the epochs' churn); no other exits compete. An exiting validator
/// stops leaking and leaves the active balance from its exit epoch (to within an epoch:
/// the spec still penalizes it for the epoch before).
///
/// # Formula
/// Justification needs `online_eb · 3 ≥ (online_eb + offline_active_eb) · 2`
/// (`weigh_justification_and_finalization`).
///
/// # Errors
/// [`SlashingError::NoValidators`] for an empty scenario, [`SlashingError::NoFinality`]
/// past `max_epochs`.
pub fn leak_until_finality(s: &LeakScenario) -> Result<LeakOutcome, SlashingError> {
    if s.online_validators == 0 && s.offline_validators == 0 {
        return Err(SlashingError::NoValidators);
    }
    let mut v = OfflineValidator::new(s.fork, s.balance_gwei);
    let eb0 = u128::from(v.effective_balance_gwei);
    let online_eb = u128::from(s.online_validators) * eb0;
    let offline = s.offline_validators;
    let (mut active, mut exited, mut frozen_loss) = (offline, 0u64, 0u128);
    // (first exit epoch, churn per epoch, effective balance per exit or 0 for counts)
    let mut queue: Option<(u64, u128, u128)> = None;
    for n in 1..=s.max_epochs {
        if let Some((start, churn, per_exit)) = queue.filter(|q| n >= q.0) {
            let epochs = u128::from(n - start + 1);
            let due = (epochs * churn).checked_div(per_exit).unwrap_or(epochs * churn);
            let due = u64::try_from(due).unwrap_or(u64::MAX).min(offline);
            frozen_loss += u128::from(due - exited) * u128::from(s.balance_gwei - v.balance_gwei);
            exited = due;
            active = offline - due;
        }
        let offline_eb = u128::from(active) * u128::from(v.effective_balance_gwei);
        if online_eb * 3 >= (online_eb + offline_eb) * 2 {
            return Ok(LeakOutcome {
                epochs: n - 1,
                offline_balance_gwei: v.balance_gwei,
                offline_effective_balance_gwei: v.effective_balance_gwei,
                exited_validators: exited,
                ejected_at: v.ejected_at,
                loss_gwei: frozen_loss + u128::from(active) * u128::from(s.balance_gwei - v.balance_gwei),
            });
        }
        let was_ejected = v.ejected_at.is_some();
        v.step();
        if let (false, Some(eb)) = (was_ejected, v.ejected_with_gwei) {
            let start = n + 1 + MAX_SEED_LOOKAHEAD;
            queue = Some(if s.fork == Fork::Electra {
                let total = u64::try_from(online_eb + u128::from(active) * u128::from(eb)).unwrap_or(u64::MAX);
                (start, u128::from(activation_exit_churn_limit_gwei(total)), u128::from(eb).max(1))
            } else {
                let validators = s.online_validators.saturating_add(active);
                (start, u128::from(validator_churn_limit(validators)), 0)
            });
        }
    }
    Err(SlashingError::NoFinality { max_epochs: s.max_epochs })
}

/// The leak's length in epochs until an always-offline balance keeps the fraction `r`
/// of itself, from the continuous approximation (derived, REFERENCES.md §2.4).
///
/// # Formula
/// Penalties sum to ≈ n²/(2Q) of the balance after n epochs (Altair+: Σ 4k/(4Q);
/// phase0: Σ (4+k)/Q), so B(t) ≈ B₀·exp(−t²/(2Q)) and t ≈ √(−2Q·ln r); Bellatrix+:
/// √(−2²⁵·ln r). Returns 0 for r ≥ 1 and infinity for r ≤ 0.
pub fn approx_leak_epochs(fork: Fork, r: f64) -> f64 {
    if r >= 1.0 {
        0.0
    } else if r <= 0.0 {
        f64::INFINITY
    } else {
        (-2.0 * fork.inactivity_penalty_quotient() as f64 * r.ln()).sqrt()
    }
}

/// The fraction r of its balance an offline share `s` must fall to before the online
/// share reaches 2/3 again (derived, REFERENCES.md §2.4).
///
/// # Formula
/// (1 − s) ≥ 2·s·r ⇔ r ≤ (1 − s)/(2s).
pub fn remaining_fraction_to_unblock(offline_share: f64) -> f64 {
    (1.0 - offline_share) / (2.0 * offline_share)
}

/// Electra's `get_balance_churn_limit`.
///
/// # Formula
/// c = max(128 ETH, total // 65536); c − c % INC. Source: `specs/electra/beacon-chain.md`.
pub fn balance_churn_limit_gwei(total_active_balance_gwei: u64) -> u64 {
    let c = MIN_PER_EPOCH_CHURN_LIMIT_ELECTRA_GWEI.max(total_active_balance_gwei.max(INC) / CHURN_LIMIT_QUOTIENT);
    c - c % INC
}

/// Electra's `get_activation_exit_churn_limit`.
///
/// # Formula
/// min(256 ETH, [`balance_churn_limit_gwei`]). Source: `specs/electra/beacon-chain.md`.
pub fn activation_exit_churn_limit_gwei(total_active_balance_gwei: u64) -> u64 {
    MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT_GWEI.min(balance_churn_limit_gwei(total_active_balance_gwei))
}

/// `get_validator_churn_limit` (phase0 to Deneb), in validators per epoch.
///
/// # Formula
/// max(4, active_validators // 65536). Source: `specs/phase0/beacon-chain.md`.
pub fn validator_churn_limit(active_validators: u64) -> u64 {
    MIN_PER_EPOCH_CHURN_LIMIT.max(active_validators / CHURN_LIMIT_QUOTIENT)
}

/// How long fresh deposits take to become active stake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Entry {
    /// Stake to activate, rounded up to whole 32 ETH deposits.
    pub stake_gwei: u128,
    /// Epochs of churn until the last deposit is processed.
    pub epochs: u64,
}

impl Entry {
    /// The entry time in seconds.
    pub fn time_s(&self) -> f64 {
        self.epochs as f64 * SECONDS_PER_EPOCH as f64
    }
}

/// The epochs of activation churn to add `stake_gwei` of fresh 32 ETH deposits on top of
/// `honest_active_gwei`, recomputing the churn epoch by epoch as the total grows.
///
/// Electra: `process_pending_deposits` takes deposits while they fit `carry +
/// get_activation_exit_churn_limit`, carrying what is left when the limit stops it.
/// Phase0 to Capella: `get_validator_churn_limit` validators per epoch; Deneb: at most 8
/// (EIP-7514). Validators are counted as total // 32 ETH. Not counted: the fixed delays
/// before the queue (deposit inclusion, `compute_activation_exit_epoch`'s 5 epochs),
/// competing exits and deposits, and the wait for finality of the deposit's slot.
///
/// # Formula
/// X ≥ θT/(1−θ) is the caller's; here epochs = the first e with Σ_{k≤e} churn(T_k) ≥ X.
pub fn epochs_to_enter(fork: Fork, honest_active_gwei: u128, stake_gwei: u128) -> Entry {
    let deposit = u128::from(MAX_EFFECTIVE_BALANCE_GWEI);
    let mut left = stake_gwei.div_ceil(deposit);
    let stake = left * deposit;
    let (mut total, mut epochs, mut carry) = (honest_active_gwei, 0u64, 0u128);
    let cap = u128::from(MAX_PER_EPOCH_ACTIVATION_EXIT_CHURN_LIMIT_GWEI);
    while left > 0 {
        let total_u64 = u64::try_from(total).unwrap_or(u64::MAX);
        if fork == Fork::Electra {
            let churn = u128::from(activation_exit_churn_limit_gwei(total_u64));
            if churn == cap {
                // The churn stays at its cap as the total grows: the rest in closed form.
                let more = (left * deposit - carry).div_ceil(cap);
                epochs = epochs.saturating_add(u64::try_from(more).unwrap_or(u64::MAX));
                break;
            }
            let available = carry + churn;
            let k = left.min(available / deposit);
            carry = if k < left { available - k * deposit } else { 0 };
            left -= k;
            total += k * deposit;
        } else {
            let churn = u128::from(validator_churn_limit(total_u64 / MAX_EFFECTIVE_BALANCE_GWEI));
            if fork == Fork::Deneb && churn >= u128::from(MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT) {
                let more = left.div_ceil(u128::from(MAX_PER_EPOCH_ACTIVATION_CHURN_LIMIT));
                epochs = epochs.saturating_add(u64::try_from(more).unwrap_or(u64::MAX));
                break;
            }
            let k = left.min(churn);
            left -= k;
            total += k * deposit;
        }
        epochs += 1;
    }
    Entry { stake_gwei: stake, epochs }
}

/// a · b // c in 128 bits (c > 0), saturating at `u64::MAX`.
fn mul_div(a: u64, b: u64, c: u64) -> u64 {
    u64::try_from(u128::from(a) * u128::from(b) / u128::from(c.max(1))).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ETH: u64 = GWEI_PER_ETH;

    #[test]
    fn forks_parse_by_name_and_capella_deneb_inherit_bellatrix() {
        for f in Fork::ALL {
            assert_eq!(f.name().parse::<Fork>(), Ok(f));
        }
        assert!(matches!("shanghai".parse::<Fork>(), Err(SlashingError::UnknownFork(_))));
        for f in [Fork::Capella, Fork::Deneb] {
            assert_eq!(f.min_slashing_penalty_quotient(), Fork::Bellatrix.min_slashing_penalty_quotient());
            assert_eq!(f.inactivity_penalty_quotient(), 1 << 24);
        }
        assert_eq!(Fork::default(), Fork::Electra);
    }

    #[test]
    fn correlation_penalty_is_whole_once_a_third_is_slashed_from_bellatrix() {
        // REFERENCES.md §2.4: the whole stake is lost once slashed ≥ total/multiplier.
        let total = 3_000 * ETH;
        for f in [Fork::Bellatrix, Fork::Electra] {
            assert_eq!(correlation_penalty_gwei(f, 32 * ETH, total, 1_000 * ETH), 32 * ETH);
        }
        assert_eq!(correlation_penalty_gwei(Fork::Phase0, 32 * ETH, total, 1_000 * ETH), 10 * ETH);
        // Pre-Electra floors to whole ETH; Electra keeps gwei (pinned from the script:
        // test_process_slashings minimal_penalty shape, 17 ETH out of 8,177 ETH).
        assert_eq!(correlation_penalty_gwei(Fork::Bellatrix, 17 * ETH, 8_177 * ETH, 17 * ETH), 0);
        assert_eq!(correlation_penalty_gwei(Fork::Electra, 17 * ETH, 8_177 * ETH, 17 * ETH), 106_029_102);
        // get_total_balance floors the total at one increment: no division by zero.
        assert_eq!(correlation_penalty_gwei(Fork::Electra, 32 * ETH, 0, 0), 0);
    }

    #[test]
    fn hysteresis_lowers_only_past_a_quarter_eth_below() {
        assert_eq!(effective_balance_update(Fork::Bellatrix, 31_750_000_000, 32 * ETH), 32 * ETH);
        assert_eq!(effective_balance_update(Fork::Bellatrix, 31_749_999_999, 32 * ETH), 31 * ETH);
        assert_eq!(effective_balance_update(Fork::Bellatrix, 33_250_000_001, 32 * ETH), 32 * ETH);
        assert_eq!(effective_balance_update(Fork::Electra, 40 * ETH, 33 * ETH), 40 * ETH);
    }

    #[test]
    fn the_leak_follows_the_continuous_approximation() {
        // REFERENCES.md §2.4: t ≈ √(−2²⁵ ln r), r = (1 − s)/(2s). The exact run moves in
        // whole-ETH effective balances: finality resumes once eb ≤ r·32 ETH, i.e. at
        // E* = ⌊r·32⌋ ETH, reached when the balance falls below E* + 0.75 ETH (the
        // downward hysteresis). With that r the approximation is within 1 %; raw, 6 %.
        for s in [0.36, 0.4, 0.45, 0.49] {
            let out = leak_until_finality(&LeakScenario::from_share(Fork::Electra, s, 100_000)).unwrap();
            let r = remaining_fraction_to_unblock(s);
            let raw = approx_leak_epochs(Fork::Electra, r);
            let stepped = approx_leak_epochs(Fork::Electra, ((r * 32.0 + 1e-9).floor() + 0.75) / 32.0);
            let exact = out.epochs as f64;
            assert!((exact - raw).abs() / raw < 0.06, "s = {s}: exact {exact} vs raw {raw:.0}");
            assert!((exact - stepped).abs() / stepped < 0.01, "s = {s}: exact {exact} vs stepped {stepped:.0}");
        }
    }

    #[test]
    fn no_leak_without_a_blocking_share() {
        let out = leak_until_finality(&LeakScenario::from_share(Fork::Electra, 1.0 / 3.0, 300)).unwrap();
        assert_eq!((out.epochs, out.loss_gwei), (0, 0));
        let empty = LeakScenario {
            online_validators: 0,
            offline_validators: 0,
            ..LeakScenario::from_share(Fork::Electra, 0.5, 0)
        };
        assert_eq!(leak_until_finality(&empty), Err(SlashingError::NoValidators));
    }
}
