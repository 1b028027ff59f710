//! Applying governance requests: verify, check the nonce, schedule, execute, pause.
//! Pure functions of the state and the logged event (signature checks included), so
//! a replay reaches the same decisions. A refusal changes nothing.

use alloy_primitives::{Address, B256, U256};
use bulwark_guard::{AuthMethod, Authority, Event, EventBody, Guard};
use bulwark_verify::safe::{Operation as SafeOperation, SafeTransaction, ecrecover};
use bulwark_verify::timelock::OperationState;

use super::{
    Command, Governance, GovernanceAction, GovernanceDecision, GovernanceEvent, Proposal, ProposalStatus, Refusal,
    guardian_message, personal_message_hash,
};

fn refuse(code: Refusal, message: impl Into<String>) -> GovernanceDecision {
    GovernanceDecision::Refused { code, message: message.into(), ready_ms: None }
}

/// A verified proposal, before anything changes.
struct Verified {
    nonce: u64,
    safe_tx_hash: B256,
    signers: Vec<Address>,
    command: Command,
}

impl Governance {
    /// Applies one governance request to the governance state and, for commands that
    /// reach it, to the guard. Refusals are decisions too (they are logged), and leave
    /// both unchanged.
    pub fn apply(&mut self, event: &GovernanceEvent, guard: &mut Guard) -> GovernanceDecision {
        let now = event.time_ms;
        match &event.action {
            GovernanceAction::GovernanceProposal { tx, signatures } => match self.verify(tx, signatures, guard) {
                Ok(v) => self.accept(v, tx, &event.id, now, guard),
                Err(refusal) => refusal,
            },
            GovernanceAction::GovernanceExecute { proposal } => self.execute(*proposal, &event.id, now, guard),
            GovernanceAction::GovernanceGuardianPause { market, nonce, signature } => {
                self.guardian_pause(market, *nonce, signature, &event.id, now, guard)
            }
        }
    }

    fn verify(&self, tx: &SafeTransaction, signatures: &[u8], guard: &Guard) -> Result<Verified, GovernanceDecision> {
        let bad = |message: String| Err(refuse(Refusal::BadCommand, message));
        if tx.to != self.config.timelock_address {
            return bad(format!("the transaction must be addressed to the timelock {}", self.config.timelock_address));
        }
        if tx.value != U256::ZERO || tx.operation != SafeOperation::Call {
            return bad("the transaction must be a plain call (operation 0) sending no value".into());
        }
        let approval = self
            .config
            .multisig
            .verify(tx, signatures, None)
            .map_err(|e| refuse(Refusal::BadSignatures, format!("the signatures do not meet the quorum: {e}")))?;
        if !approval.is_fully_verified() {
            return Err(refuse(
                Refusal::BadSignatures,
                "contract signatures (v = 0) and approved hashes (v = 1) need the chain; send ECDSA or eth_sign signatures",
            ));
        }
        let next = self.state.next_nonce;
        let nonce = u64::try_from(tx.nonce).unwrap_or(u64::MAX);
        if nonce < next {
            return Err(refuse(Refusal::NonceUsed, format!("nonce {nonce} was already used; the next is {next}")));
        }
        if nonce > next {
            return Err(refuse(Refusal::NonceAhead, format!("nonce {nonce} is ahead; the next is {next}")));
        }
        let command: Command = serde_json::from_slice(&tx.data)
            .map_err(|e| refuse(Refusal::BadCommand, format!("the data is not a command's JSON: {e}")))?;
        self.check_names(&command, guard)?;
        Ok(Verified { nonce, safe_tx_hash: approval.safe_tx_hash, signers: approval.approvers(), command })
    }

    /// The markets, breakers and reserves a command names exist (so that a proposal
    /// that could never execute is refused now, before it uses a nonce).
    fn check_names(&self, command: &Command, guard: &Guard) -> Result<(), GovernanceDecision> {
        let market = |m: &str| {
            if guard.config().markets.iter().any(|x| x == m) {
                Ok(())
            } else {
                Err(refuse(Refusal::BadCommand, format!("unknown market {m:?}")))
            }
        };
        match command {
            Command::Pause { market: m } | Command::Unpause { market: m } => market(m),
            Command::ResetBreaker { breaker, .. } => match guard.breaker(breaker) {
                Some(_) => Ok(()),
                None => Err(refuse(Refusal::BadCommand, format!("unknown breaker {breaker:?}"))),
            },
            Command::SetParameter { market: m, asset, .. } => match guard.reserve(m, asset) {
                Some(_) => Ok(()),
                None => Err(refuse(Refusal::BadCommand, format!("unknown reserve {m}/{asset}"))),
            },
            Command::Cancel { proposal } => match self.state.proposals.get(proposal) {
                Some(p) if p.status == ProposalStatus::Scheduled => Ok(()),
                Some(_) => {
                    Err(refuse(Refusal::Closed, format!("proposal {proposal} is already executed or cancelled")))
                }
                None => Err(refuse(Refusal::UnknownProposal, format!("no proposal {proposal}"))),
            },
        }
    }

    fn authority(&self, signers: &[Address], queued_ms: u64) -> Authority {
        Authority {
            principal: self.config.multisig.safe().to_string(),
            method: AuthMethod::Multisig { signers: signers.iter().map(ToString::to_string).collect(), queued_ms },
        }
    }

    fn accept(
        &mut self,
        v: Verified,
        tx: &SafeTransaction,
        event_id: &str,
        now: u64,
        guard: &mut Guard,
    ) -> GovernanceDecision {
        let safe = self.config.multisig.safe();
        let op = self.config.operation(&tx.data, v.nonce);
        let id = op.id();
        let mut proposal = Proposal {
            id,
            nonce: v.nonce,
            safe_tx_hash: v.safe_tx_hash,
            command: v.command.clone(),
            data: tx.data.clone(),
            signers: v.signers.clone(),
            queued_ms: now,
            ready_ms: now,
            status: ProposalStatus::Executed,
            event_id: event_id.to_string(),
            closed: Some((now, event_id.to_string())),
        };
        let decision = match &v.command {
            Command::Pause { market } => {
                let body = EventBody::Pause { market: market.clone(), authority: self.authority(&v.signers, now) };
                match guard.apply(&Event::new(event_id, now, body)) {
                    Ok(outcome) => {
                        GovernanceDecision::Applied { proposal: Some(id), principal: safe, signers: v.signers, outcome }
                    }
                    Err(e) => return refuse(Refusal::GuardRefused, e.to_string()),
                }
            }
            Command::Cancel { proposal: target } => {
                if let Err(e) = self.timelock.cancel(safe, *target, now) {
                    return refuse(Refusal::Closed, e.to_string());
                }
                if let Some(p) = self.state.proposals.get_mut(target) {
                    p.status = ProposalStatus::Cancelled;
                    p.closed = Some((now, event_id.to_string()));
                }
                GovernanceDecision::Cancelled { by: id, cancelled: *target, signers: v.signers }
            }
            _ => {
                let delay = self.config.delay_ms;
                if let Err(e) = self.timelock.schedule(safe, &op, delay, now) {
                    return refuse(Refusal::Closed, e.to_string());
                }
                proposal.ready_ms = self.timelock.timestamp(id);
                proposal.status = ProposalStatus::Scheduled;
                proposal.closed = None;
                GovernanceDecision::Scheduled {
                    proposal: id,
                    nonce: v.nonce,
                    safe_tx_hash: v.safe_tx_hash,
                    signers: v.signers,
                    ready_ms: proposal.ready_ms,
                }
            }
        };
        self.state.next_nonce = v.nonce + 1;
        self.state.proposals.insert(id, proposal);
        decision
    }

    fn execute(&mut self, id: B256, event_id: &str, now: u64, guard: &mut Guard) -> GovernanceDecision {
        let Some(p) = self.state.proposals.get(&id) else {
            return refuse(Refusal::UnknownProposal, format!("no proposal {id}"));
        };
        if p.status != ProposalStatus::Scheduled {
            return refuse(Refusal::Closed, format!("proposal {id} is already executed or cancelled"));
        }
        match self.timelock.state(id, now) {
            OperationState::Ready => {}
            OperationState::Waiting => {
                let ready_ms = self.timelock.timestamp(id);
                return GovernanceDecision::Refused {
                    code: Refusal::NotReady,
                    message: format!(
                        "the timelock runs until {ready_ms} ms ({} s from now)",
                        ready_ms.saturating_sub(now).div_ceil(1000)
                    ),
                    ready_ms: Some(ready_ms),
                };
            }
            _ => return refuse(Refusal::Closed, format!("proposal {id} is not scheduled")),
        }
        let authority = self.authority(&p.signers, p.queued_ms);
        let body = match p.command.clone() {
            Command::Unpause { market } => EventBody::Unpause { market, authority },
            Command::ResetBreaker { breaker, force } => EventBody::ResetBreaker { breaker, force, authority },
            Command::SetParameter { market, asset, parameter, value_bps } => {
                EventBody::SetParameter { market, asset, parameter, value_bps, authority }
            }
            Command::Pause { market } => EventBody::Pause { market, authority },
            Command::Cancel { .. } => return refuse(Refusal::Closed, "a cancel applies when proposed"),
        };
        let op = self.config.operation(&p.data, p.nonce);
        let signers = p.signers.clone();
        // The guard first: if it refuses, the operation stays Ready (the contract would
        // revert the whole execution).
        let outcome = match guard.apply(&Event::new(event_id, now, body)) {
            Ok(outcome) => outcome,
            Err(e) => return refuse(Refusal::GuardRefused, e.to_string()),
        };
        if let Err(e) = self.timelock.execute(Address::ZERO, &op, now) {
            // Cannot happen after the Ready check; reported rather than hidden.
            return refuse(Refusal::Closed, e.to_string());
        }
        if let Some(p) = self.state.proposals.get_mut(&id) {
            p.status = ProposalStatus::Executed;
            p.closed = Some((now, event_id.to_string()));
        }
        GovernanceDecision::Applied { proposal: Some(id), principal: self.config.multisig.safe(), signers, outcome }
    }

    fn guardian_pause(
        &mut self,
        market: &str,
        nonce: u64,
        signature: &[u8],
        event_id: &str,
        now: u64,
        guard: &mut Guard,
    ) -> GovernanceDecision {
        let m = &self.config.multisig;
        let message = guardian_message(market, m.safe(), m.chain_id(), nonce);
        let Some(signer) = recover_personal(&message, signature) else {
            return refuse(Refusal::BadSignatures, "the signature is not 65 bytes r ‖ s ‖ v that recovers a key");
        };
        if !self.config.guardians.contains(&signer) {
            return refuse(Refusal::BadSignatures, format!("{signer} is not a guardian"));
        }
        let next = self.state.next_guardian_nonce;
        if nonce != next {
            let code = if nonce < next { Refusal::NonceUsed } else { Refusal::NonceAhead };
            return refuse(code, format!("guardian nonce {nonce}; the next is {next}"));
        }
        let authority =
            Authority { principal: signer.to_string(), method: AuthMethod::Guardian { signer: signer.to_string() } };
        let body = EventBody::Pause { market: market.to_string(), authority };
        match guard.apply(&Event::new(event_id, now, body)) {
            Ok(outcome) => {
                self.state.next_guardian_nonce = next + 1;
                GovernanceDecision::Applied { proposal: None, principal: signer, signers: vec![signer], outcome }
            }
            Err(e) => refuse(Refusal::GuardRefused, e.to_string()),
        }
    }
}

/// The signer of an EIP-191 personal message: `r ‖ s ‖ v` with v 27/28 (or 0/1).
pub(crate) fn recover_personal(message: &str, signature: &[u8]) -> Option<Address> {
    let sig: &[u8; 65] = signature.try_into().ok()?;
    let r = U256::from_be_slice(&sig[..32]);
    let s = U256::from_be_slice(&sig[32..64]);
    let v = match sig[64] {
        0 | 1 => sig[64] + 27,
        v => v,
    };
    ecrecover(personal_message_hash(message), v, r, s)
}
