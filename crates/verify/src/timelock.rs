//! OpenZeppelin `TimelockController` as a pure state machine, time passed in: operation
//! ids as the contract hashes them, the states Unset, Waiting, Ready and Done, the
//! minimum delay, cancellation, predecessors, roles, and delay changes only through the
//! timelock itself. Reimplemented from OpenZeppelin/openzeppelin-contracts
//! `contracts/governance/TimelockController.sol` (v5).
//!
//! One addition: an immutable floor under the minimum delay. The contract lets a proposer
//! schedule `updateDelay(0)` (OpenZeppelin issue #2642); here the delay can never go
//! below the floor fixed at construction.

use std::collections::{BTreeSet, HashMap};

use alloy_primitives::{Address, B256, Bytes, FixedBytes, U256, fixed_bytes, keccak256};
use alloy_sol_types::SolValue;

/// `bytes4(keccak256("updateDelay(uint256)"))`.
pub const UPDATE_DELAY_SELECTOR: FixedBytes<4> = fixed_bytes!("64d62353");
/// `bytes4(keccak256("grantRole(bytes32,address)"))`.
pub const GRANT_ROLE_SELECTOR: FixedBytes<4> = fixed_bytes!("2f2ff15d");
/// `bytes4(keccak256("revokeRole(bytes32,address)"))`.
pub const REVOKE_ROLE_SELECTOR: FixedBytes<4> = fixed_bytes!("d547741f");
/// The timestamp the contract stores for a done operation.
const DONE_TIMESTAMP: u64 = 1;

/// One call of an operation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Contract called.
    pub target: Address,
    /// Wei sent.
    pub value: U256,
    /// Call data.
    pub data: Bytes,
}

/// A scheduled operation: one call (`schedule`) or a batch (`scheduleBatch`). The two
/// hash differently even for a single call.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Operation {
    /// `schedule` / `execute`.
    Single {
        /// The call.
        call: Call,
        /// Id of an operation that must be done first, or zero.
        predecessor: B256,
        /// Distinguishes otherwise equal operations.
        salt: B256,
    },
    /// `scheduleBatch` / `executeBatch`.
    Batch {
        /// The calls, run in order.
        calls: Vec<Call>,
        /// Id of an operation that must be done first, or zero.
        predecessor: B256,
        /// Distinguishes otherwise equal operations.
        salt: B256,
    },
}

impl Operation {
    /// The operation id, as `hashOperation` / `hashOperationBatch` compute it.
    #[must_use]
    pub fn id(&self) -> B256 {
        match self {
            Self::Single { call, predecessor, salt } => {
                hash_operation(call.target, call.value, &call.data, *predecessor, *salt)
            }
            Self::Batch { calls, predecessor, salt } => {
                let targets: Vec<Address> = calls.iter().map(|c| c.target).collect();
                let values: Vec<U256> = calls.iter().map(|c| c.value).collect();
                let payloads: Vec<Bytes> = calls.iter().map(|c| c.data.clone()).collect();
                keccak256((targets, values, payloads, *predecessor, *salt).abi_encode_params())
            }
        }
    }

    /// The predecessor id (zero for none).
    #[must_use]
    pub fn predecessor(&self) -> B256 {
        match self {
            Self::Single { predecessor, .. } | Self::Batch { predecessor, .. } => *predecessor,
        }
    }

    /// The calls, in order.
    #[must_use]
    pub fn calls(&self) -> &[Call] {
        match self {
            Self::Single { call, .. } => std::slice::from_ref(call),
            Self::Batch { calls, .. } => calls,
        }
    }
}

/// `keccak256(abi.encode(target, value, data, predecessor, salt))`: `hashOperation`.
#[must_use]
pub fn hash_operation(target: Address, value: U256, data: &[u8], predecessor: B256, salt: B256) -> B256 {
    keccak256((target, value, Bytes::copy_from_slice(data), predecessor, salt).abi_encode_params())
}

/// `hashOperationBatch` over parallel arrays, which must have equal lengths.
///
/// # Errors
/// [`TimelockError::InvalidOperationLength`].
pub fn hash_operation_batch(
    targets: &[Address],
    values: &[U256],
    payloads: &[Bytes],
    predecessor: B256,
    salt: B256,
) -> Result<B256, TimelockError> {
    if targets.len() != values.len() || targets.len() != payloads.len() {
        return Err(TimelockError::InvalidOperationLength {
            targets: targets.len(),
            payloads: payloads.len(),
            values: values.len(),
        });
    }
    Ok(keccak256((targets.to_vec(), values.to_vec(), payloads.to_vec(), predecessor, salt).abi_encode_params()))
}

/// `getOperationState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OperationState {
    /// Never scheduled, or cancelled.
    Unset,
    /// Scheduled; its time has not come.
    Waiting,
    /// Scheduled; its time has come.
    Ready,
    /// Executed.
    Done,
}

/// The roles of `TimelockController`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Role {
    /// May schedule.
    Proposer,
    /// May execute (everyone, if the zero address holds it).
    Executor,
    /// May cancel.
    Canceller,
}

impl Role {
    /// `keccak256("<NAME>_ROLE")`, the role id the contract uses.
    #[must_use]
    pub fn id(self) -> B256 {
        keccak256(match self {
            Self::Proposer => "PROPOSER_ROLE",
            Self::Executor => "EXECUTOR_ROLE",
            Self::Canceller => "CANCELLER_ROLE",
        })
    }

    fn from_id(id: B256) -> Option<Self> {
        [Self::Proposer, Self::Executor, Self::Canceller].into_iter().find(|r| r.id() == id)
    }
}

/// Why the timelock refuses an action; names follow the contract's custom errors.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TimelockError {
    /// Batch arrays of different lengths (`TimelockInvalidOperationLength`).
    #[error("batch lengths differ: {targets} targets, {payloads} payloads, {values} values")]
    InvalidOperationLength {
        /// Targets given.
        targets: usize,
        /// Payloads given.
        payloads: usize,
        /// Values given.
        values: usize,
    },
    /// A delay below the minimum (`TimelockInsufficientDelay`).
    #[error("delay {delay} s is below the minimum delay {min_delay} s")]
    InsufficientDelay {
        /// Delay asked for.
        delay: u64,
        /// The minimum delay.
        min_delay: u64,
    },
    /// The operation is in a state that does not allow the action
    /// (`TimelockUnexpectedOperationState`).
    #[error("operation {id} is {state:?}; expected {expected:?}")]
    UnexpectedOperationState {
        /// The operation id.
        id: B256,
        /// Its state.
        state: OperationState,
        /// The states that would allow the action.
        expected: &'static [OperationState],
    },
    /// The predecessor is not done (`TimelockUnexecutedPredecessor`).
    #[error("predecessor {predecessor} has not been executed")]
    UnexecutedPredecessor {
        /// The predecessor id.
        predecessor: B256,
    },
    /// `updateDelay` called by anyone but the timelock (`TimelockUnauthorizedCaller`).
    #[error("{caller} may not change the delay: only the timelock itself may")]
    UnauthorizedCaller {
        /// The caller.
        caller: Address,
    },
    /// A caller without the role (`AccessControlUnauthorizedAccount`).
    #[error("{caller} lacks the {role:?} role")]
    MissingRole {
        /// The caller.
        caller: Address,
        /// The role needed.
        role: Role,
    },
    /// A minimum delay below the immutable floor (this model's addition).
    #[error("minimum delay {delay} s is below the floor {floor} s")]
    DelayBelowFloor {
        /// Delay asked for.
        delay: u64,
        /// The floor.
        floor: u64,
    },
    /// `now + delay` does not fit (the contract reverts on overflow).
    #[error("now {now} + delay {delay} overflows")]
    TimestampOverflow {
        /// The time given.
        now: u64,
        /// The delay.
        delay: u64,
    },
    /// A call to the timelock itself that this model does not implement.
    #[error("call to the timelock itself with selector {selector} is not modelled")]
    UnsupportedSelfCall {
        /// The first four bytes of the call data (zero-padded when shorter).
        selector: FixedBytes<4>,
    },
    /// A self-call whose arguments do not decode.
    #[error("call to the timelock itself with selector {selector} has malformed arguments ({len} bytes)")]
    MalformedSelfCall {
        /// The selector.
        selector: FixedBytes<4>,
        /// Length of the call data.
        len: usize,
    },
}

/// What an execution did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Execution {
    /// The operation id, now Done.
    pub id: B256,
    /// The calls to other contracts, in order, for the caller to perform.
    pub external_calls: Vec<Call>,
    /// The minimum delay before and after, when the operation changed it.
    pub delay_change: Option<(u64, u64)>,
}

/// The timelock's state: minimum delay, its floor, roles and operation timestamps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timelock {
    address: Address,
    min_delay: u64,
    min_delay_floor: u64,
    timestamps: HashMap<B256, u64>,
    roles: HashMap<Role, BTreeSet<Address>>,
}

impl Timelock {
    /// A timelock at `address`, as the constructor sets it up: every proposer is also a
    /// canceller; an executor of `Address::ZERO` opens execution to everyone.
    ///
    /// # Errors
    /// [`TimelockError::DelayBelowFloor`] when `min_delay < min_delay_floor`.
    pub fn new(
        address: Address,
        min_delay: u64,
        min_delay_floor: u64,
        proposers: &[Address],
        executors: &[Address],
    ) -> Result<Self, TimelockError> {
        if min_delay < min_delay_floor {
            return Err(TimelockError::DelayBelowFloor { delay: min_delay, floor: min_delay_floor });
        }
        let mut roles = HashMap::new();
        roles.insert(Role::Proposer, proposers.iter().copied().collect());
        roles.insert(Role::Canceller, proposers.iter().copied().collect());
        roles.insert(Role::Executor, executors.iter().copied().collect());
        Ok(Self { address, min_delay, min_delay_floor, timestamps: HashMap::new(), roles })
    }

    /// The timelock's own address: the only caller allowed to change the delay.
    #[must_use]
    pub fn address(&self) -> Address {
        self.address
    }

    /// `getMinDelay`.
    #[must_use]
    pub fn min_delay(&self) -> u64 {
        self.min_delay
    }

    /// The immutable floor under the minimum delay.
    #[must_use]
    pub fn min_delay_floor(&self) -> u64 {
        self.min_delay_floor
    }

    /// `hasRole`.
    #[must_use]
    pub fn has_role(&self, role: Role, account: Address) -> bool {
        self.roles.get(&role).is_some_and(|members| members.contains(&account))
    }

    /// `getTimestamp`: 0 unset, 1 done, otherwise when it becomes ready.
    #[must_use]
    pub fn timestamp(&self, id: B256) -> u64 {
        self.timestamps.get(&id).copied().unwrap_or(0)
    }

    /// `getOperationState` at time `now`.
    #[must_use]
    pub fn state(&self, id: B256, now: u64) -> OperationState {
        match self.timestamp(id) {
            0 => OperationState::Unset,
            DONE_TIMESTAMP => OperationState::Done,
            t if t > now => OperationState::Waiting,
            _ => OperationState::Ready,
        }
    }

    fn require_role(&self, role: Role, caller: Address) -> Result<(), TimelockError> {
        if self.has_role(role, caller) { Ok(()) } else { Err(TimelockError::MissingRole { caller, role }) }
    }

    /// `schedule` / `scheduleBatch`: a proposer schedules an unset operation at
    /// `now + delay`, with `delay >= min_delay`. Returns the id.
    ///
    /// # Errors
    /// [`TimelockError::MissingRole`], [`TimelockError::UnexpectedOperationState`],
    /// [`TimelockError::InsufficientDelay`] or [`TimelockError::TimestampOverflow`].
    pub fn schedule(&mut self, caller: Address, op: &Operation, delay: u64, now: u64) -> Result<B256, TimelockError> {
        self.require_role(Role::Proposer, caller)?;
        let id = op.id();
        let state = self.state(id, now);
        if state != OperationState::Unset {
            return Err(TimelockError::UnexpectedOperationState { id, state, expected: &[OperationState::Unset] });
        }
        if delay < self.min_delay {
            return Err(TimelockError::InsufficientDelay { delay, min_delay: self.min_delay });
        }
        let at = now.checked_add(delay).ok_or(TimelockError::TimestampOverflow { now, delay })?;
        // A timestamp of 0 or 1 would read as Unset or Done; the contract cannot produce
        // them after genesis, and neither may we.
        self.timestamps.insert(id, at.max(DONE_TIMESTAMP + 1));
        Ok(id)
    }

    /// `cancel`: a canceller removes a waiting or ready operation.
    ///
    /// # Errors
    /// [`TimelockError::MissingRole`] or [`TimelockError::UnexpectedOperationState`].
    pub fn cancel(&mut self, caller: Address, id: B256, now: u64) -> Result<(), TimelockError> {
        self.require_role(Role::Canceller, caller)?;
        let state = self.state(id, now);
        if !matches!(state, OperationState::Waiting | OperationState::Ready) {
            return Err(TimelockError::UnexpectedOperationState {
                id,
                state,
                expected: &[OperationState::Waiting, OperationState::Ready],
            });
        }
        self.timestamps.remove(&id);
        Ok(())
    }

    /// `execute` / `executeBatch`: an executor (anyone, if the zero address is one) runs a
    /// ready operation whose predecessor is done. Calls to the timelock itself
    /// (`updateDelay`, `grantRole`, `revokeRole`) take effect here; the other calls are
    /// returned for the caller to perform. All or nothing: on error nothing changes.
    ///
    /// # Errors
    /// [`TimelockError::MissingRole`], [`TimelockError::UnexpectedOperationState`],
    /// [`TimelockError::UnexecutedPredecessor`], or an error of a self-call.
    pub fn execute(&mut self, caller: Address, op: &Operation, now: u64) -> Result<Execution, TimelockError> {
        if !self.has_role(Role::Executor, Address::ZERO) {
            self.require_role(Role::Executor, caller)?;
        }
        let id = op.id();
        let state = self.state(id, now);
        if state != OperationState::Ready {
            return Err(TimelockError::UnexpectedOperationState { id, state, expected: &[OperationState::Ready] });
        }
        let predecessor = op.predecessor();
        if predecessor != B256::ZERO && self.state(predecessor, now) != OperationState::Done {
            return Err(TimelockError::UnexecutedPredecessor { predecessor });
        }
        let mut next = self.clone();
        let old_delay = self.min_delay;
        let mut external_calls = Vec::new();
        for call in op.calls() {
            if call.target == self.address {
                next.self_call(&call.data)?;
            } else {
                external_calls.push(call.clone());
            }
        }
        // `_afterCall` re-checks Ready: a self-call may not have touched this operation.
        let state = next.state(id, now);
        if state != OperationState::Ready {
            return Err(TimelockError::UnexpectedOperationState { id, state, expected: &[OperationState::Ready] });
        }
        next.timestamps.insert(id, DONE_TIMESTAMP);
        let delay_change = (next.min_delay != old_delay).then_some((old_delay, next.min_delay));
        *self = next;
        Ok(Execution { id, external_calls, delay_change })
    }

    /// `updateDelay`: only the timelock itself, and never below the floor.
    ///
    /// # Errors
    /// [`TimelockError::UnauthorizedCaller`] or [`TimelockError::DelayBelowFloor`].
    pub fn update_delay(&mut self, caller: Address, new_delay: u64) -> Result<(), TimelockError> {
        if caller != self.address {
            return Err(TimelockError::UnauthorizedCaller { caller });
        }
        if new_delay < self.min_delay_floor {
            return Err(TimelockError::DelayBelowFloor { delay: new_delay, floor: self.min_delay_floor });
        }
        self.min_delay = new_delay;
        Ok(())
    }

    /// A call from the timelock to itself, decoded from ABI call data.
    fn self_call(&mut self, data: &[u8]) -> Result<(), TimelockError> {
        let mut selector = FixedBytes::<4>::ZERO;
        let n = data.len().min(4);
        selector[..n].copy_from_slice(&data[..n]);
        let malformed = TimelockError::MalformedSelfCall { selector, len: data.len() };
        // Solidity's decoder needs the words present and ignores extra trailing bytes.
        let word = |i: usize| data.get(4 + 32 * i..4 + 32 * (i + 1)).map(B256::from_slice).ok_or(malformed.clone());
        if selector == UPDATE_DELAY_SELECTOR {
            let new_delay = u64::try_from(U256::from_be_bytes(word(0)?.0)).map_err(|_| malformed.clone())?;
            self.update_delay(self.address, new_delay)
        } else if selector == GRANT_ROLE_SELECTOR || selector == REVOKE_ROLE_SELECTOR {
            let role_id = word(0)?;
            let account_word = word(1)?;
            if account_word[..12] != [0u8; 12] {
                return Err(malformed);
            }
            let account = Address::from_slice(&account_word[12..]);
            let role = Role::from_id(role_id).ok_or(TimelockError::UnsupportedSelfCall { selector })?;
            let members = self.roles.entry(role).or_default();
            if selector == GRANT_ROLE_SELECTOR {
                members.insert(account);
            } else {
                members.remove(&account);
            }
            Ok(())
        } else {
            Err(TimelockError::UnsupportedSelfCall { selector })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_ids_match_the_contract() {
        // REFERENCES 8.2, from TimelockController.sol's constants.
        assert_eq!(
            Role::Proposer.id().to_string(),
            "0xb09aa5aeb3702cfd50b6b62bc4532604938f21248a27a1d5ca736082b6819cc1"
        );
        assert_eq!(
            Role::Executor.id().to_string(),
            "0xd8aa0f3194971a2a116679f7c2090f6939c8d4e01a2a8d7e41d55e5351469e63"
        );
        assert_eq!(
            Role::Canceller.id().to_string(),
            "0xfd643c72710c63c0180259aba6b2d05451e3591a24e58b62239378085726f783"
        );
    }

    #[test]
    fn selectors_are_the_keccak_of_their_signatures() {
        assert_eq!(keccak256("updateDelay(uint256)")[..4], UPDATE_DELAY_SELECTOR[..]);
        assert_eq!(keccak256("grantRole(bytes32,address)")[..4], GRANT_ROLE_SELECTOR[..]);
        assert_eq!(keccak256("revokeRole(bytes32,address)")[..4], REVOKE_ROLE_SELECTOR[..]);
    }
}
