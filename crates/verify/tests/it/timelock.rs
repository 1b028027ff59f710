//! TimelockController: operation ids against eth-abi (fixture `timelock/operation_ids.json`)
//! and the state machine against the rules of `TimelockController.sol` (REFERENCES 8.2).

use alloy_primitives::{Address, B256, Bytes, U256};
use alloy_sol_types::SolValue;
use bulwark_verify::timelock::{
    Call, Operation, OperationState, Role, Timelock, TimelockError, UPDATE_DELAY_SELECTOR, hash_operation_batch,
};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Deserialize)]
struct Fixture {
    timelock: Address,
    update_delay_selector: Bytes,
    roles: std::collections::BTreeMap<String, B256>,
    single: Vec<Single>,
    batch: Vec<Batch>,
}

#[derive(Deserialize)]
struct Single {
    target: Address,
    value: String,
    data: Bytes,
    predecessor: B256,
    salt: B256,
    id: B256,
}

#[derive(Deserialize)]
struct Batch {
    targets: Vec<Address>,
    values: Vec<String>,
    payloads: Vec<Bytes>,
    predecessor: B256,
    salt: B256,
    id: B256,
}

fn dec(s: &str) -> U256 {
    U256::from_str_radix(s, 10).unwrap()
}

fn fixture() -> Fixture {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/timelock/operation_ids.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn operation_ids_match_eth_abi() {
    let f = fixture();
    assert_eq!(f.single.len(), 4);
    assert_eq!(f.batch.len(), 3);
    for s in &f.single {
        let op = Operation::Single {
            call: Call { target: s.target, value: dec(&s.value), data: s.data.clone() },
            predecessor: s.predecessor,
            salt: s.salt,
        };
        assert_eq!(op.id(), s.id);
    }
    for b in &f.batch {
        let values: Vec<U256> = b.values.iter().map(|v| dec(v)).collect();
        assert_eq!(hash_operation_batch(&b.targets, &values, &b.payloads, b.predecessor, b.salt).unwrap(), b.id);
        let calls = b
            .targets
            .iter()
            .zip(&values)
            .zip(&b.payloads)
            .map(|((&target, &value), data)| Call { target, value, data: data.clone() })
            .collect();
        assert_eq!(Operation::Batch { calls, predecessor: b.predecessor, salt: b.salt }.id(), b.id);
    }
    assert_eq!(f.update_delay_selector.as_ref(), UPDATE_DELAY_SELECTOR.as_slice());
    assert_eq!(f.roles["PROPOSER_ROLE"], Role::Proposer.id());
    assert_eq!(f.roles["EXECUTOR_ROLE"], Role::Executor.id());
    assert_eq!(f.roles["CANCELLER_ROLE"], Role::Canceller.id());
    assert_eq!(f.timelock, timelock_address());
}

fn timelock_address() -> Address {
    Address::repeat_byte(0x7e)
}

const PROPOSER: Address = Address::repeat_byte(0xa1);
const EXECUTOR: Address = Address::repeat_byte(0xe1);
const STRANGER: Address = Address::repeat_byte(0x99);
const DAY: u64 = 86_400;

fn timelock(executors: &[Address]) -> Timelock {
    Timelock::new(timelock_address(), 2 * DAY, DAY, &[PROPOSER], executors).unwrap()
}

fn op(salt: u8, predecessor: B256) -> Operation {
    Operation::Single {
        call: Call { target: Address::repeat_byte(0x11), value: U256::ZERO, data: Bytes::from_static(b"\x12\x34") },
        predecessor,
        salt: B256::repeat_byte(salt),
    }
}

fn update_delay(new_delay: u64, salt: u8) -> Operation {
    let mut data = UPDATE_DELAY_SELECTOR.to_vec();
    data.extend(U256::from(new_delay).abi_encode());
    Operation::Single {
        call: Call { target: timelock_address(), value: U256::ZERO, data: data.into() },
        predecessor: B256::ZERO,
        salt: B256::repeat_byte(salt),
    }
}

#[test]
fn schedule_wait_execute_done() {
    let mut t = timelock(&[EXECUTOR]);
    let o = op(1, B256::ZERO);
    let id = o.id();
    assert_eq!(t.state(id, 1000), OperationState::Unset);
    assert_eq!(t.schedule(PROPOSER, &o, 2 * DAY, 1000), Ok(id));
    assert_eq!(t.timestamp(id), 1000 + 2 * DAY);
    assert_eq!(t.state(id, 1000 + 2 * DAY - 1), OperationState::Waiting);
    assert_eq!(t.state(id, 1000 + 2 * DAY), OperationState::Ready);
    // Too early.
    assert_eq!(
        t.execute(EXECUTOR, &o, 1000 + 2 * DAY - 1),
        Err(TimelockError::UnexpectedOperationState {
            id,
            state: OperationState::Waiting,
            expected: &[OperationState::Ready]
        })
    );
    // Not an executor.
    assert_eq!(
        t.execute(STRANGER, &o, 1000 + 2 * DAY),
        Err(TimelockError::MissingRole { caller: STRANGER, role: Role::Executor })
    );
    let done = t.execute(EXECUTOR, &o, 1000 + 2 * DAY).unwrap();
    assert_eq!(done.external_calls, o.calls());
    assert_eq!(t.state(id, 0), OperationState::Done);
    // Done is final: no re-execution, no re-scheduling, no cancel.
    assert!(t.execute(EXECUTOR, &o, u64::MAX).is_err());
    assert!(t.schedule(PROPOSER, &o, 2 * DAY, 5000).is_err());
    assert!(t.cancel(PROPOSER, id, 5000).is_err());
}

#[test]
fn schedule_rules() {
    let mut t = timelock(&[EXECUTOR]);
    let o = op(2, B256::ZERO);
    assert_eq!(
        t.schedule(STRANGER, &o, 2 * DAY, 0),
        Err(TimelockError::MissingRole { caller: STRANGER, role: Role::Proposer })
    );
    assert_eq!(
        t.schedule(PROPOSER, &o, 2 * DAY - 1, 0),
        Err(TimelockError::InsufficientDelay { delay: 2 * DAY - 1, min_delay: 2 * DAY })
    );
    t.schedule(PROPOSER, &o, 3 * DAY, 10).unwrap();
    // Scheduling the same operation again is refused while pending.
    assert!(matches!(
        t.schedule(PROPOSER, &o, 3 * DAY, 10),
        Err(TimelockError::UnexpectedOperationState { state: OperationState::Waiting, .. })
    ));
    assert_eq!(
        t.schedule(PROPOSER, &op(3, B256::ZERO), u64::MAX, 10),
        Err(TimelockError::TimestampOverflow { now: 10, delay: u64::MAX })
    );
    // Batch arrays of different lengths.
    assert_eq!(
        hash_operation_batch(&[Address::ZERO], &[], &[Bytes::new()], B256::ZERO, B256::ZERO),
        Err(TimelockError::InvalidOperationLength { targets: 1, payloads: 1, values: 0 })
    );
}

#[test]
fn cancel_rules() {
    let mut t = timelock(&[EXECUTOR]);
    let o = op(4, B256::ZERO);
    let id = o.id();
    // Only pending operations can be cancelled; proposers are cancellers.
    assert!(matches!(
        t.cancel(PROPOSER, id, 0),
        Err(TimelockError::UnexpectedOperationState { state: OperationState::Unset, .. })
    ));
    t.schedule(PROPOSER, &o, 2 * DAY, 0).unwrap();
    assert_eq!(t.cancel(EXECUTOR, id, 0), Err(TimelockError::MissingRole { caller: EXECUTOR, role: Role::Canceller }));
    t.cancel(PROPOSER, id, 2 * DAY).unwrap(); // Ready can be cancelled too.
    assert_eq!(t.state(id, 2 * DAY), OperationState::Unset);
    assert!(t.execute(EXECUTOR, &o, 2 * DAY).is_err());
    // Once cancelled it can be scheduled again.
    t.schedule(PROPOSER, &o, 2 * DAY, 0).unwrap();
}

#[test]
fn predecessors_must_be_done() {
    let mut t = timelock(&[Address::ZERO]); // open executor role
    let first = op(5, B256::ZERO);
    let second = op(6, first.id());
    t.schedule(PROPOSER, &first, 2 * DAY, 0).unwrap();
    t.schedule(PROPOSER, &second, 2 * DAY, 0).unwrap();
    assert_eq!(
        t.execute(STRANGER, &second, 2 * DAY),
        Err(TimelockError::UnexecutedPredecessor { predecessor: first.id() })
    );
    t.execute(STRANGER, &first, 2 * DAY).unwrap(); // anyone may execute: address(0) holds the role
    t.execute(STRANGER, &second, 2 * DAY).unwrap();
}

#[test]
fn the_delay_changes_only_through_the_timelock_and_never_below_the_floor() {
    let mut t = timelock(&[EXECUTOR]);
    assert_eq!(t.update_delay(PROPOSER, 3 * DAY), Err(TimelockError::UnauthorizedCaller { caller: PROPOSER }));
    // Through a timelocked operation.
    let up = update_delay(3 * DAY, 7);
    t.schedule(PROPOSER, &up, 2 * DAY, 0).unwrap();
    let done = t.execute(EXECUTOR, &up, 2 * DAY).unwrap();
    assert_eq!(done.delay_change, Some((2 * DAY, 3 * DAY)));
    assert!(done.external_calls.is_empty());
    assert_eq!(t.min_delay(), 3 * DAY);
    // updateDelay(0) (OpenZeppelin issue #2642) fails at execution; nothing changes.
    let zero = update_delay(0, 8);
    t.schedule(PROPOSER, &zero, 3 * DAY, 0).unwrap();
    assert_eq!(t.execute(EXECUTOR, &zero, 3 * DAY), Err(TimelockError::DelayBelowFloor { delay: 0, floor: DAY }));
    assert_eq!(t.min_delay(), 3 * DAY);
    assert_eq!(t.state(zero.id(), 3 * DAY), OperationState::Ready);
    // The floor is checked at construction too.
    assert_eq!(
        Timelock::new(timelock_address(), 10, 11, &[], &[]),
        Err(TimelockError::DelayBelowFloor { delay: 10, floor: 11 })
    );
}

#[test]
fn roles_change_through_self_calls() {
    let mut t = timelock(&[EXECUTOR]);
    let mut data = alloy_primitives::keccak256("grantRole(bytes32,address)")[..4].to_vec();
    data.extend((Role::Proposer.id(), STRANGER).abi_encode_params());
    let grant = Operation::Single {
        call: Call { target: timelock_address(), value: U256::ZERO, data: data.into() },
        predecessor: B256::ZERO,
        salt: B256::ZERO,
    };
    t.schedule(PROPOSER, &grant, 2 * DAY, 0).unwrap();
    assert!(!t.has_role(Role::Proposer, STRANGER));
    t.execute(EXECUTOR, &grant, 2 * DAY).unwrap();
    assert!(t.has_role(Role::Proposer, STRANGER));
    // An unknown self-call is refused rather than pretended.
    let unknown = Operation::Single {
        call: Call { target: timelock_address(), value: U256::ZERO, data: Bytes::from_static(b"\xde\xad\xbe\xef") },
        predecessor: B256::ZERO,
        salt: B256::repeat_byte(1),
    };
    t.schedule(PROPOSER, &unknown, 2 * DAY, 0).unwrap();
    assert!(matches!(t.execute(EXECUTOR, &unknown, 2 * DAY), Err(TimelockError::UnsupportedSelfCall { .. })));
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// Whatever the sequence of actions and times, an operation executes only when it was
    /// scheduled at least `min_delay` before, is not cancelled since, and runs once.
    #[test]
    fn executes_only_after_the_delay_and_once(actions in proptest::collection::vec((0u8..3, 0u64..5 * DAY), 1..20)) {
        let mut t = timelock(&[EXECUTOR]);
        let o = op(9, B256::ZERO);
        let mut scheduled_at: Option<u64> = None;
        let mut executed = false;
        let mut now = 0u64;
        for (action, dt) in actions {
            now += dt;
            match action {
                0 => if t.schedule(PROPOSER, &o, 2 * DAY, now).is_ok() {
                    prop_assert!(scheduled_at.is_none() && !executed);
                    scheduled_at = Some(now);
                },
                1 => if t.cancel(PROPOSER, o.id(), now).is_ok() {
                    prop_assert!(scheduled_at.is_some() && !executed);
                    scheduled_at = None;
                },
                _ => if t.execute(EXECUTOR, &o, now).is_ok() {
                    prop_assert!(scheduled_at.is_some_and(|s| now >= s + 2 * DAY) && !executed);
                    executed = true;
                },
            }
        }
    }
}
