//! Slashing, leak and churn against the consensus-specs reference, and the consensus
//! vectors on the Ethereum examples, with their invariants on random inputs.
//!
//! Reference figures: `crates/attack/tests/it/fixtures/slashing_reference.json`, the
//! output of `slashing_reference.py` beside it (eth2spec 1.1.10's real functions for
//! phase0 to capella, a transcription of consensus-specs@a08d8a6 for deneb and electra).

#![allow(clippy::unwrap_used, clippy::expect_used)] // Tests: a failure should stop loudly.

use std::path::{Path, PathBuf};

use bulwark_attack::consensus::{
    ConsensusOptions, acquisition_usd, consensus_summary, consensus_vectors, min_share_of, min_stake_to_reach,
};
use bulwark_attack::dispersion::Dimension;
use bulwark_attack::slashing::{
    self, Fork, LeakScenario, activation_exit_churn_limit_gwei, balance_churn_limit_gwei, coalition_slashing,
    correlation_penalty_gwei, epochs_to_enter, initial_slashing, leak_until_finality, offline_validator_after,
};
use bulwark_attack::{CostKind, Verdict};
use bulwark_market::ConstantProduct;
use bulwark_spec::units::Threshold;
use proptest::prelude::*;
use serde_json::Value;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/it/fixtures/slashing_reference.json");
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn rows<'a>(v: &'a Value, section: &str) -> &'a [Value] {
    let rows = v[section].as_array().unwrap_or_else(|| panic!("fixture section {section} missing"));
    // A section that is present but empty would check nothing: fail instead.
    assert!(!rows.is_empty(), "fixture section {section} is empty");
    rows
}

fn u(v: &Value, key: &str) -> u64 {
    v[key].as_u64().unwrap_or_else(|| panic!("{key} missing in {v}"))
}

fn fork(v: &Value) -> Fork {
    v["fork"].as_str().unwrap().parse().unwrap()
}

#[test]
fn the_fixture_comes_from_the_pyspec_and_the_pinned_commit() {
    let f = fixture();
    assert_eq!(f["transcribed_from"], "ethereum/consensus-specs@a08d8a6e2b45f0b8c0d379abc15583427c643689");
    assert_eq!(f["checked_against"], "eth2spec==1.1.10 for altair, bellatrix, capella, phase0");
}

#[test]
fn initial_penalties_and_rewards_match_the_reference() {
    for r in rows(&fixture(), "initial") {
        let got = initial_slashing(fork(r), u(r, "effective_balance_gwei"));
        assert_eq!(got.penalty_gwei, u(r, "penalty_gwei"), "{r}");
        assert_eq!(got.whistleblower_reward_gwei, u(r, "whistleblower_reward_gwei"), "{r}");
        assert_eq!(got.proposer_reward_gwei, u(r, "proposer_reward_gwei"), "{r}");
    }
}

#[test]
fn correlation_penalties_match_the_reference() {
    // Includes the shapes of consensus-specs test_process_slashings.py: max, low,
    // minimal and scaled penalties on 256 validators, per fork.
    let f = fixture();
    let rows = rows(&f, "correlation");
    for case in ["max_penalties", "low_penalty", "minimal_penalty", "scaled_penalties", "lido_coinbase"] {
        assert!(rows.iter().any(|r| r["case"] == case), "case {case} absent");
    }
    for r in rows {
        let got = correlation_penalty_gwei(
            fork(r),
            u(r, "effective_balance_gwei"),
            u(r, "total_active_balance_gwei"),
            u(r, "slashed_sum_gwei"),
        );
        assert_eq!(got, u(r, "penalty_gwei"), "{r}");
    }
}

#[test]
fn coalition_losses_match_the_reference() {
    for r in rows(&fixture(), "coalition") {
        let got = coalition_slashing(
            fork(r),
            u(r, "validators"),
            u(r, "effective_balance_gwei"),
            u(r, "total_active_balance_gwei"),
        );
        assert_eq!(got.initial_penalty_gwei, u(r, "initial_penalty_gwei"), "{r}");
        assert_eq!(got.effective_balance_after_gwei, u(r, "effective_balance_after_gwei"), "{r}");
        assert_eq!(got.correlation_penalty_gwei, u(r, "correlation_penalty_gwei"), "{r}");
        assert_eq!(got.loss_per_validator_gwei, u(r, "loss_per_validator_gwei"), "{r}");
        assert_eq!(got.total_loss_gwei, u128::from(u(r, "total_loss_gwei")), "{r}");
    }
}

#[test]
fn the_leak_matches_the_reference_epoch_by_epoch() {
    let f = fixture();
    for r in rows(&f, "leak") {
        let v = offline_validator_after(fork(r), slashing::MAX_EFFECTIVE_BALANCE_GWEI, u(r, "epoch"));
        assert_eq!(v.balance_gwei, u(r, "balance_gwei"), "{r}");
        assert_eq!(v.effective_balance_gwei, u(r, "effective_balance_gwei"), "{r}");
        assert_eq!(v.inactivity_score, u(r, "inactivity_score"), "{r}");
    }
    let ejection = f["ejection"].as_object().unwrap();
    assert_eq!(ejection.len(), Fork::ALL.len());
    for (name, epoch) in ejection {
        let fork: Fork = name.parse().unwrap();
        let epoch = epoch.as_u64().unwrap();
        let v = offline_validator_after(fork, slashing::MAX_EFFECTIVE_BALANCE_GWEI, epoch);
        assert_eq!(v.ejected_at, Some(epoch), "{fork}");
        assert_eq!(offline_validator_after(fork, slashing::MAX_EFFECTIVE_BALANCE_GWEI, epoch - 1).ejected_at, None);
    }
    // Bellatrix+: 4,686 epochs (20.8 days) from 32 ETH to ejection; phase0 9,368.
    assert_eq!(ejection["electra"], 4686);
    assert_eq!(ejection["phase0"], 9368);
}

#[test]
fn churn_and_entry_match_the_reference() {
    let f = fixture();
    for r in rows(&f, "churn") {
        let total = u(r, "total_active_balance_gwei");
        assert_eq!(balance_churn_limit_gwei(total), u(r, "balance_churn_limit_gwei"), "{r}");
        assert_eq!(activation_exit_churn_limit_gwei(total), u(r, "activation_exit_churn_limit_gwei"), "{r}");
    }
    for r in rows(&f, "entry") {
        let e = epochs_to_enter(fork(r), u128::from(u(r, "honest_gwei")), u128::from(u(r, "stake_gwei")));
        assert_eq!(e.epochs, u(r, "epochs"), "{r}");
    }
}

#[test]
fn leak_until_finality_matches_the_independent_transcription() {
    for r in rows(&fixture(), "leak_until_finality") {
        let s = LeakScenario {
            fork: fork(r),
            online_validators: u(r, "online_validators"),
            offline_validators: u(r, "offline_validators"),
            balance_gwei: u(r, "balance_gwei"),
            max_epochs: 1_000_000,
        };
        let out = leak_until_finality(&s).unwrap();
        assert_eq!(out.epochs, u(r, "epochs"), "{r}");
        assert_eq!(out.offline_balance_gwei, u(r, "offline_balance_gwei"), "{r}");
        assert_eq!(out.offline_effective_balance_gwei, u(r, "offline_effective_balance_gwei"), "{r}");
        assert_eq!(out.exited_validators, u(r, "exited_validators"), "{r}");
        assert_eq!(out.ejected_at, r["ejected_at"].as_u64(), "{r}");
        assert_eq!(out.loss_gwei, u128::from(u(r, "loss_gwei")), "{r}");
    }
}

#[test]
fn stake_split_into_validators_matches_the_coalition_loss() {
    // Lido's 5,792,448 ETH is exactly 181,014 validators of 32 ETH.
    let total = 18_748_864 * slashing::GWEI_PER_ETH;
    for f in Fork::ALL {
        let c = coalition_slashing(f, 181_014, slashing::MAX_EFFECTIVE_BALANCE_GWEI, total);
        assert_eq!(slashing::stake_slashing_loss_gwei(f, 5_792_448 * slashing::GWEI_PER_ETH, total), c.total_loss_gwei);
    }
    // A remainder validator of 16.5 ETH is slashed on its 16 ETH effective balance.
    let odd = slashing::stake_slashing_loss_gwei(Fork::Electra, 16_500_000_000, total);
    assert!(odd > 0 && odd < 16_500_000_000);
}

fn load(example: &str) -> bulwark_spec::Protocol {
    bulwark_spec::load(&repo().join("examples").join(example)).unwrap()
}

fn coc(vectors: &[bulwark_attack::Vector], needle: &str) -> f64 {
    vectors.iter().find(|v| v.vector.contains(needle)).unwrap_or_else(|| panic!("no vector {needle}")).coc_usd
}

#[test]
fn ethereum_costs_of_halting_and_finalizing() {
    let p = load("ethereum.toml");
    let v = consensus_vectors(&p, &ConsensusOptions::default());
    assert_eq!(v.len(), 4);
    assert!(v.iter().all(|v| v.verdict == Verdict::Unknown && v.slack.is_none()));
    // Liveness by buying: X > T/2 of T = 18,748,864 ETH, whole validators: 9,374,464 ETH
    // at 1,937.66 (no venue), plus the leak until finality resumes.
    let halt_buy = v.iter().find(|v| v.vector.contains("halt") && v.vector.contains("buying")).unwrap();
    let acquired = halt_buy.breakdown.iter().find(|i| i.kind == CostKind::Acquired).unwrap().usd;
    assert!((acquired - 9_374_464.0 * 1_937.66).abs() < 1.0, "{acquired}");
    let leak = halt_buy.breakdown.iter().find(|i| i.kind == CostKind::Destroyed).unwrap().usd;
    assert!(leak > 0.005 * acquired && leak < 0.01 * acquired, "{leak}");
    // Entry: 9,374,464 ETH at 256 ETH an epoch under Electra's churn: 36,619 epochs.
    assert_eq!(halt_buy.time_s, Some(36_619.0 * 384.0));
    // Safety by buying: X ≥ 2T, all of it slashed: CoC ≈ 2 · 2T at spot.
    let two_t = 2.0 * 18_748_864.0 * 1_937.66;
    let finalize = coc(&v, "finalize conflicting blocks on Ethereum (safety >= 2/3 of stake) by buying");
    assert!((finalize / (2.0 * two_t) - 1.0).abs() < 1e-6, "{finalize}");
    // Corrupting: Lido and Coinbase halt (the aggregate `Other` never joins); the bribe
    // covers the leak on the 1/3 they commit, far below buying.
    let halt_bribe = v.iter().find(|v| v.vector.contains("halt") && v.vector.contains("corrupting")).unwrap();
    assert!(
        halt_bribe
            .assumptions
            .iter()
            .any(|a| a.contains("validator = operator") && a.contains(": 2 — Lido, Coinbase,"))
    );
    assert!(halt_bribe.coc_usd < 0.01 * halt_buy.coc_usd);
}

#[test]
fn aave_buys_against_the_weth_pool_and_runs_out_of_depth() {
    let p = load("aave-v3-ethereum.toml");
    let v = consensus_vectors(&p, &ConsensusOptions::default());
    assert_eq!(v.len(), 4);
    let halt_buy = v.iter().find(|v| v.vector.contains("halt") && v.vector.contains("buying")).unwrap();
    // The stake asset's venue: the example's first WETH venue, x WETH against y USDC.
    let venue = p.venues.iter().find(|v| v.pair[0] == "WETH").unwrap();
    let bulwark_spec::model::venue::VenueKind::ConstantProduct { reserves: [x, y] } = venue.kind else {
        panic!("constant product")
    };
    let f = venue.fee;
    assert!(
        halt_buy.assumptions.iter().any(|a| a.contains(&format!("holds {x:.0} WETH"))),
        "{:?}",
        halt_buy.assumptions
    );
    // From the pool until its marginal price doubles: a* = x(1 − 1/√(2(1 − f))) WETH for
    // y(√(2(1 − f)) − 1)/(1 − f) USDC; the rest at 2 × 2,447.42.
    let r = (2.0 * (1.0 - f)).sqrt();
    let (a_star, cost) = (x * (1.0 - 1.0 / r), y * (r - 1.0) / (1.0 - f));
    let pool = &halt_buy.breakdown[0];
    assert!(pool.label.starts_with(&format!("{a_star:.0} WETH")), "{} vs {a_star:.0}", pool.label);
    assert!((pool.usd / cost - 1.0).abs() < 0.01, "{} vs {cost}", pool.usd);
    let outside = &halt_buy.breakdown[1];
    assert!(
        (outside.usd - (9_374_464.0 - a_star.round()) * 2.0 * 2_447.42).abs() / outside.usd < 1e-5,
        "{}",
        outside.usd
    );
}

#[test]
fn the_summary_lists_nakamoto_and_coalitions() {
    let s = consensus_summary(&load("ethereum.toml")).unwrap();
    assert!(s.ethereum);
    assert_eq!(s.aggregates, vec!["Other".to_string()]);
    let op = s.nakamoto.iter().find(|r| r.dimension == Dimension::Operator).unwrap();
    // As the data groups it, Lido + Other cross 1/3; Lido, Other, Coinbase, Kraken 2/3.
    assert_eq!((op.liveness, op.safety), (Some(2), Some(4)));
    let live = s.coalitions.iter().find(|c| c.threshold == "liveness" && c.dimension == Dimension::Operator).unwrap();
    assert_eq!(live.members, ["Lido", "Coinbase"]);
    let safe = s.coalitions.iter().find(|c| c.threshold == "safety" && c.dimension == Dimension::Operator).unwrap();
    // Without `Other`, 2/3 takes the eight largest entities down to RocketPool.
    assert_eq!(safe.members.len(), 8);
    assert_eq!(safe.members.last().unwrap(), "RocketPool (Minipool)");
    assert!(safe.share >= 2.0 / 3.0);
    serde_json::to_string(&s).unwrap();
}

#[test]
fn fork_choice_changes_only_the_destroyed_part() {
    let p = load("ethereum.toml");
    let phase0 = consensus_vectors(&p, &ConsensusOptions { fork: Fork::Phase0, ..Default::default() });
    let electra = consensus_vectors(&p, &ConsensusOptions::default());
    // Lido + Coinbase + … committing 2/3: phase0's multiplier 1 takes 2/3 of the stake,
    // Bellatrix+'s 3 takes all of it.
    let name = "finalize conflicting blocks on Ethereum (safety >= 2/3 of stake) by corrupting";
    assert!(coc(&phase0, name) < coc(&electra, name));
    // Given a PfC of $1B, buying is secure but bribing Lido and Coinbase to halt is not.
    let pfc = consensus_vectors(&p, &ConsensusOptions { pfc_usd: Some(1e9), ..Default::default() });
    let verdicts: Vec<Verdict> = pfc.iter().map(|v| v.verdict).collect();
    assert_eq!(verdicts, [Verdict::Secure, Verdict::Insecure, Verdict::Secure, Verdict::Secure]);
}

fn spec_text(stakes: &[u64], pool: Option<(f64, f64)>, chain: &str) -> String {
    let mut s = String::from("[protocol]\nname = \"t\"\n[assets.ETH]\nprice = 2000.0\nvolatility = { daily = 0.05 }\n");
    s.push_str("[assets.USDC]\nprice = 1.0\nvolatility = { daily = 0.001 }\n");
    if let Some((base, quote)) = pool {
        s.push_str(&format!(
            "[[venues]]\nname = \"pool\"\npair = [\"ETH\", \"USDC\"]\nkind = \"constant_product\"\n\
             reserves = [{base:.1}, {quote:.1}]\nfee = 0.003\n"
        ));
    }
    s.push_str(&format!("[consensus]\nchain = \"{chain}\"\nliveness = \"> 1/3\"\nsafety = \">= 2/3\"\nstake_asset = \"ETH\"\nvalidators = ["));
    for (i, st) in stakes.iter().enumerate() {
        s.push_str(&format!("{{ id = \"v{i}\", stake = {st} }},"));
    }
    s.push_str("]\n");
    s
}

fn vectors_of(stakes: &[u64], pool: Option<(f64, f64)>, chain: &str) -> Vec<bulwark_attack::Vector> {
    let p = bulwark_spec::parse_str(&spec_text(stakes, pool, chain), Path::new("t.toml"), Path::new(".")).unwrap();
    consensus_vectors(&p, &ConsensusOptions::default())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// More honest stake never makes reaching a threshold cheaper, by buying or by
    /// corrupting (issue 3: CoC is monotone in stake).
    #[test]
    fn coc_is_monotone_in_stake(
        stakes in prop::collection::vec(32u64..2_000_000, 1..12),
        extra in 32u64..1_000_000,
        chain in prop_oneof![Just("Ethereum"), Just("Other chain")],
        pool in prop::option::of((1_000.0f64..5_000_000.0, 1.0f64..3.0)),
    ) {
        let pool = pool.map(|(base, k)| (base, base * 2000.0 * k));
        let before = vectors_of(&stakes, pool, chain);
        let mut more = stakes.clone();
        more.push(extra);
        let after = vectors_of(&more, pool, chain);
        for (b, a) in before.iter().zip(&after).filter(|(b, _)| b.vector.contains("buying")) {
            prop_assert!(a.coc_usd >= b.coc_usd * (1.0 - 1e-12), "{}: {} → {}", b.vector, b.coc_usd, a.coc_usd);
        }
    }

    /// Buying X out of a deeper pool at the same price costs less, never more: the buy
    /// CoC is monotone non-increasing in liquidity, and never below X at spot.
    #[test]
    fn buying_is_cheaper_in_deeper_pools(
        base in 1.0f64..1e7, price in 0.01f64..1e5, fee in 0.0f64..0.01,
        share in 0.0f64..2.0, deeper in 1.0f64..100.0, m in 1.0f64..10.0,
    ) {
        let tokens = base * share;
        let shallow = ConstantProduct::new(base, base * price, fee).unwrap();
        let deep = ConstantProduct::new(base * deeper, base * deeper * price, fee).unwrap();
        let c1 = acquisition_usd(tokens, Some((&shallow, fee)), 1.0, price, m).usd;
        let c2 = acquisition_usd(tokens, Some((&deep, fee)), 1.0, price, m).usd;
        prop_assert!(c2 <= c1 * (1.0 + 1e-9), "{c1} → {c2}");
        prop_assert!(c2 >= tokens * price * (1.0 - 1e-9));
        let c3 = acquisition_usd(tokens * 1.01 + 1e-6, Some((&deep, fee)), 1.0, price, m).usd;
        prop_assert!(c3 > c2);
    }

    /// The least stake to add reaches the threshold exactly, and one unit less does not.
    #[test]
    fn least_stake_is_least(others in 0u128..u128::from(u64::MAX), num in 1u128..100, den in 1u128..100, ge: bool) {
        prop_assume!(num < den);
        let t = Threshold::parse(&format!("{} {num}/{den}", if ge { ">=" } else { ">" })).unwrap();
        let x = min_stake_to_reach(t, others).unwrap();
        prop_assert!(t.is_reached_by(x, others + x));
        prop_assert!(x == 0 || !t.is_reached_by(x - 1, others + x - 1));
        if let Some(y) = min_share_of(t, others) {
            prop_assert!(t.is_reached_by(y, others) && (y == 0 || !t.is_reached_by(y - 1, others)));
        }
    }

    /// Slashing more stake in the window never lowers a validator's correlation penalty,
    /// and a validator never loses more than its balance.
    #[test]
    fn slashing_is_monotone_in_the_slashed_sum(
        f in 0usize..6, eb_eth in 1u64..=32, total_eth in 1u64..100_000_000, a in 0u64..100_000_000, b in 0u64..100_000_000,
    ) {
        let fork = Fork::ALL[f];
        let (lo, hi) = (a.min(b) * 1_000_000_000, a.max(b) * 1_000_000_000);
        let eb = eb_eth * 1_000_000_000;
        let total = total_eth * 1_000_000_000;
        prop_assert!(correlation_penalty_gwei(fork, eb, total, lo) <= correlation_penalty_gwei(fork, eb, total, hi));
        prop_assert!(coalition_slashing(fork, 1, eb, total).loss_per_validator_gwei <= eb);
    }
}
