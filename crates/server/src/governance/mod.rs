//! Governance: loosening commands as Safe-signed proposals behind a timelock, and
//! guardian keys that pause at once.
//!
//! - A **proposal** is a Safe transaction addressed to the configured timelock
//!   (`tx.to = timelock_address`) whose `data` is the UTF-8 JSON of a [`Command`], e.g.
//!   `{"kind":"unpause","market":"Core"}`. The owners sign its SafeTx hash (EIP-712, Safe
//!   1.0.0 to 1.4.1), so the signatures bind the command, the nonce, the Safe and the
//!   chain. The service checks the first `threshold` signatures as the Safe contract does
//!   (owners strictly ascending, each an owner; ECDSA or `eth_sign` only: contract
//!   signatures and approved hashes need the chain and are refused) and that the nonce is
//!   the next one (replay protection). A loosening command is then scheduled in an
//!   OpenZeppelin `TimelockController` model at the service's own clock, as the call
//!   `guard_address.call(data)` with predecessor zero and salt `bytes32(nonce)`; its
//!   operation id is the proposal's id. A `pause` needs no timelock and applies at once;
//!   a `cancel` removes a scheduled proposal at once (the Safe is the canceller).
//! - **Execution** (anyone holding the write token) applies the command to the guard
//!   once the operation is Ready, with the authority `{principal: safe, method: multisig
//!   {signers, queued_ms}}`; before then it is refused with the time it becomes ready.
//! - A **guardian** pauses a market at once with one signature over the EIP-191 message
//!   of [`guardian_message`], numbered by its own nonce.
//!
//! Every request that reaches the log is recorded with its decision, refusals included:
//! the signatures are logged, and verification is a pure function of the event and the
//! state, so replaying the log reaches the same verdicts.

mod apply;
pub mod http;

use std::collections::{BTreeMap, BTreeSet};

use alloy_primitives::{Address, B256, Bytes, U256, keccak256};
use bulwark_guard::{Outcome, Parameter};
use bulwark_spec::model::guard::GovernanceSpec;
use bulwark_verify::safe::{Multisig, SafeTransaction, SafeVersion};
use bulwark_verify::timelock::{Call, Operation, Timelock};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The governance configuration, from the spec's `[guard.governance]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GovernanceConfig {
    multisig: Multisig,
    timelock_address: Address,
    guard_address: Address,
    delay_ms: u64,
    min_delay_ms: u64,
    guardians: BTreeSet<Address>,
}

/// A `[guard.governance]` table the service cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("guard.governance.{field}: {problem}")]
pub struct GovernanceConfigError {
    /// The key.
    pub field: &'static str,
    /// What is wrong.
    pub problem: String,
}

fn parse_address(field: &'static str, text: &str) -> Result<Address, GovernanceConfigError> {
    text.parse().map_err(|e| GovernanceConfigError { field, problem: format!("{text:?} is not an address: {e}") })
}

fn seconds_to_ms(s: f64) -> u64 {
    let ms = (s * 1000.0).round();
    if ms.is_finite() && ms > 0.0 { ms.min(u64::MAX as f64) as u64 } else { 0 }
}

impl GovernanceConfig {
    /// The configuration a spec describes.
    ///
    /// # Errors
    /// [`GovernanceConfigError`] for an address that does not parse, an unknown Safe
    /// version, or owners and threshold the Safe contract would refuse.
    pub fn from_spec(spec: &GovernanceSpec) -> Result<Self, GovernanceConfigError> {
        let safe = parse_address("safe", &spec.safe)?;
        let version: SafeVersion =
            spec.safe_version.parse().map_err(|e: bulwark_verify::safe::UnknownSafeVersion| GovernanceConfigError {
                field: "safe_version",
                problem: e.to_string(),
            })?;
        let owners = spec.owners.iter().map(|o| parse_address("owners", o)).collect::<Result<Vec<_>, _>>()?;
        let threshold = usize::try_from(spec.threshold).unwrap_or(usize::MAX);
        let multisig = Multisig::new(safe, spec.chain_id, version, &owners, threshold)
            .map_err(|e| GovernanceConfigError { field: "owners", problem: e.to_string() })?;
        let guardians =
            spec.guardians.iter().map(|g| parse_address("guardians", g)).collect::<Result<BTreeSet<_>, _>>()?;
        let config = Self {
            multisig,
            timelock_address: parse_address("timelock_address", &spec.timelock_address)?,
            guard_address: parse_address("guard_address", &spec.guard_address)?,
            delay_ms: seconds_to_ms(spec.delay_s),
            min_delay_ms: seconds_to_ms(spec.min_delay_s),
            guardians,
        };
        config.timelock().map_err(|e| GovernanceConfigError { field: "delay", problem: e.to_string() })?;
        Ok(config)
    }

    /// The Safe whose owners sign.
    pub fn multisig(&self) -> &Multisig {
        &self.multisig
    }

    /// The timelock's delay, milliseconds.
    pub fn delay_ms(&self) -> u64 {
        self.delay_ms
    }

    /// The timelock a proposal's Safe transaction must be addressed to.
    pub fn timelock_address(&self) -> Address {
        self.timelock_address
    }

    /// The keys that may pause at once.
    pub fn guardians(&self) -> impl Iterator<Item = Address> + '_ {
        self.guardians.iter().copied()
    }

    /// A fresh timelock: the Safe proposes and cancels, anyone executes; delays in ms.
    fn timelock(&self) -> Result<Timelock, bulwark_verify::timelock::TimelockError> {
        let safe = self.multisig.safe();
        Timelock::new(self.timelock_address, self.delay_ms, self.min_delay_ms, &[safe], &[Address::ZERO])
    }

    /// The configuration as JSON, for the view and the configuration digest.
    pub fn to_json(&self) -> Value {
        let m = &self.multisig;
        json!({
            "safe": m.safe(),
            "chain_id": m.chain_id(),
            "safe_version": m.version().as_str(),
            "owners": m.owners().collect::<Vec<_>>(),
            "threshold": m.threshold(),
            "timelock_address": self.timelock_address,
            "guard_address": self.guard_address,
            "delay_ms": self.delay_ms,
            "min_delay_ms": self.min_delay_ms,
            "guardians": self.guardians,
        })
    }

    /// The timelocked call of a proposal: `guard_address.call(data)`, predecessor zero,
    /// salt `bytes32(nonce)`.
    pub fn operation(&self, data: &Bytes, nonce: u64) -> Operation {
        Operation::Single {
            call: Call { target: self.guard_address, value: U256::ZERO, data: data.clone() },
            predecessor: B256::ZERO,
            salt: B256::from(U256::from(nonce)),
        }
    }
}

/// The text a guardian signs (EIP-191 `personal_sign`) to pause `market` at once. It
/// names the Safe and chain, so a signature for one deployment is void for another, and
/// the guardian nonce, so a signature pauses once.
pub fn guardian_message(market: &str, safe: Address, chain_id: u64, nonce: u64) -> String {
    format!(
        "bulwark guardian pause\nmarket: {market}\nsafe: {}\nchain: {chain_id}\nnonce: {nonce}",
        safe.to_string().to_lowercase()
    )
}

/// `keccak256("\x19Ethereum Signed Message:\n" ‖ len ‖ message)`: what `personal_sign` signs.
pub fn personal_message_hash(message: &str) -> B256 {
    let mut bytes = format!("\x19Ethereum Signed Message:\n{}", message.len()).into_bytes();
    bytes.extend_from_slice(message.as_bytes());
    keccak256(bytes)
}

/// What a proposal asks for: the JSON in a Safe transaction's `data`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[non_exhaustive]
pub enum Command {
    /// Pause a lending market (at once: tightening needs no timelock).
    Pause {
        /// The market.
        market: String,
    },
    /// Lift a market's pause (timelocked).
    Unpause {
        /// The market.
        market: String,
    },
    /// Re-arm a breaker (timelocked).
    ResetBreaker {
        /// The breaker's name.
        breaker: String,
        /// Reset even while its condition holds.
        #[serde(default)]
        force: bool,
    },
    /// Set a risk parameter (timelocked, tightening or not).
    SetParameter {
        /// The market.
        market: String,
        /// The reserve's asset.
        asset: String,
        /// Which parameter.
        parameter: Parameter,
        /// The new value, basis points.
        value_bps: u32,
    },
    /// Cancel a scheduled proposal (at once).
    Cancel {
        /// The proposal's id (its timelock operation id).
        proposal: B256,
    },
}

impl Command {
    /// Whether the command applies at once instead of waiting for the timelock.
    pub fn is_immediate(&self) -> bool {
        matches!(self, Command::Pause { .. } | Command::Cancel { .. })
    }
}

/// A governance request as logged: the service's receipt time and what was signed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GovernanceEvent {
    /// Chosen by the service (from the signed content), so a re-sent request is a duplicate.
    pub id: String,
    /// When the service received it, unix milliseconds (its own clock).
    pub time_ms: u64,
    /// What was asked.
    #[serde(flatten)]
    pub action: GovernanceAction,
}

/// A governance request, by `kind`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[non_exhaustive]
pub enum GovernanceAction {
    /// A Safe transaction and its signatures.
    GovernanceProposal {
        /// The transaction.
        tx: Box<SafeTransaction>,
        /// The signature blob as `execTransaction` receives it.
        signatures: Bytes,
    },
    /// Execute a scheduled proposal.
    GovernanceExecute {
        /// The proposal's id.
        proposal: B256,
    },
    /// A guardian's pause.
    GovernanceGuardianPause {
        /// The market.
        market: String,
        /// The guardian nonce signed.
        nonce: u64,
        /// `r ‖ s ‖ v`, 65 bytes, over [`guardian_message`].
        signature: Bytes,
    },
}

/// What the service decided about a governance request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "governance", rename_all = "snake_case")]
#[non_exhaustive]
pub enum GovernanceDecision {
    /// A loosening proposal was scheduled.
    Scheduled {
        /// Its id.
        proposal: B256,
        /// The Safe nonce it used.
        nonce: u64,
        /// The hash the owners signed.
        safe_tx_hash: B256,
        /// The owners whose signatures counted, ascending.
        signers: Vec<Address>,
        /// When it becomes executable, unix milliseconds.
        ready_ms: u64,
    },
    /// A command reached the guard (an executed proposal, a Safe or guardian pause).
    Applied {
        /// The proposal, if it came from one.
        proposal: Option<B256>,
        /// Who: the Safe or the guardian.
        principal: Address,
        /// The keys whose signatures counted.
        signers: Vec<Address>,
        /// What the guard decided.
        outcome: Outcome,
    },
    /// A scheduled proposal was cancelled by the Safe.
    Cancelled {
        /// The cancelling proposal (its nonce was used).
        by: B256,
        /// The proposal cancelled.
        cancelled: B256,
        /// The owners whose signatures counted.
        signers: Vec<Address>,
    },
    /// The request was refused; nothing changed.
    Refused {
        /// Why, as a stable code.
        code: Refusal,
        /// A sentence for the person reading it.
        message: String,
        /// For a proposal not yet ready: when it will be, unix milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ready_ms: Option<u64>,
    },
}

/// Why a governance request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Refusal {
    /// The service has no `[guard.governance]`.
    NotConfigured,
    /// The signatures do not meet the quorum (or are not from owners or guardians).
    BadSignatures,
    /// The nonce was already used.
    NonceUsed,
    /// The nonce is ahead of the next one.
    NonceAhead,
    /// The transaction is not a plain call to the timelock, or its data is no command.
    BadCommand,
    /// No proposal with this id.
    UnknownProposal,
    /// The proposal was already executed or cancelled.
    Closed,
    /// The timelock has not run out.
    NotReady,
    /// The guard refused the command.
    GuardRefused,
}

/// The life of a proposal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ProposalStatus {
    /// Scheduled; waiting or ready, by the clock.
    Scheduled,
    /// Executed (or, for a pause or cancel, applied at once).
    Executed,
    /// Cancelled by the Safe.
    Cancelled,
}

/// One accepted proposal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Its id: the timelock operation id.
    pub id: B256,
    /// The Safe nonce it used.
    pub nonce: u64,
    /// The hash the owners signed.
    pub safe_tx_hash: B256,
    /// The command, as signed.
    pub command: Command,
    /// The data bytes signed (the command's JSON as sent).
    pub data: Bytes,
    /// The owners whose signatures counted, ascending.
    pub signers: Vec<Address>,
    /// When the service received it, unix milliseconds.
    pub queued_ms: u64,
    /// When it may execute, unix milliseconds.
    pub ready_ms: u64,
    /// Where it is.
    pub status: ProposalStatus,
    /// The event that proposed it.
    pub event_id: String,
    /// When it was executed or cancelled, and by which event.
    pub closed: Option<(u64, String)>,
}

/// Governance state: part of the service's state machine, logged and snapshot.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct GovernanceState {
    /// The next Safe nonce expected.
    pub next_nonce: u64,
    /// The next guardian nonce expected.
    pub next_guardian_nonce: u64,
    /// Every accepted proposal, by id.
    pub proposals: BTreeMap<B256, Proposal>,
}

/// The configuration, the state and the timelock it drives.
#[derive(Debug, Clone)]
pub struct Governance {
    config: GovernanceConfig,
    state: GovernanceState,
    timelock: Timelock,
}

impl Governance {
    /// Governance with nothing proposed yet.
    ///
    /// # Errors
    /// [`GovernanceConfigError`] when the delay is below its floor.
    pub fn new(config: GovernanceConfig) -> Result<Self, GovernanceConfigError> {
        let timelock =
            config.timelock().map_err(|e| GovernanceConfigError { field: "delay", problem: e.to_string() })?;
        Ok(Self { config, state: GovernanceState::default(), timelock })
    }

    /// The configuration.
    pub fn config(&self) -> &GovernanceConfig {
        &self.config
    }

    /// The state.
    pub fn state(&self) -> &GovernanceState {
        &self.state
    }

    /// Governance in `state`, its timelock rebuilt by replaying each proposal's schedule,
    /// execution or cancellation at the times recorded.
    ///
    /// # Errors
    /// A message when the state does not replay on this configuration.
    pub fn restore(config: GovernanceConfig, state: GovernanceState) -> Result<Self, String> {
        let mut g = Self::new(config).map_err(|e| e.to_string())?;
        let safe = g.config.multisig.safe();
        for p in state.proposals.values().filter(|p| !p.command.is_immediate()) {
            let op = g.config.operation(&p.data, p.nonce);
            let delay = p.ready_ms.saturating_sub(p.queued_ms);
            let id = g.timelock.schedule(safe, &op, delay, p.queued_ms).map_err(|e| e.to_string())?;
            if id != p.id {
                return Err(format!("proposal {} does not hash to its id on this configuration", p.id));
            }
            match (p.status, &p.closed) {
                (ProposalStatus::Executed, Some((at, _))) => {
                    g.timelock.execute(Address::ZERO, &op, *at).map_err(|e| e.to_string())?;
                }
                (ProposalStatus::Cancelled, Some((at, _))) => {
                    g.timelock.cancel(safe, id, *at).map_err(|e| e.to_string())?;
                }
                _ => {}
            }
        }
        g.state = state;
        Ok(g)
    }

    /// The configuration, the nonces and every proposal (by nonce), for the view.
    pub fn to_json(&self) -> Value {
        let mut proposals: Vec<&Proposal> = self.state.proposals.values().collect();
        proposals.sort_by_key(|p| p.nonce);
        json!({
            "config": self.config.to_json(),
            "next_nonce": self.state.next_nonce,
            "next_guardian_nonce": self.state.next_guardian_nonce,
            "proposals": proposals,
        })
    }
}
