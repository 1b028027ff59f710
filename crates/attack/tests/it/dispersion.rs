//! Dispersion metrics and correlated failure on every real validator file, against
//! figures computed independently in Python, and their invariants on random sets.
//!
//! Reference figures: `python3 crates/attack/tests/it/fixtures/dispersion_reference.py`
//! (numpy 2.4.6), run from the repository root; each table below is its output, pasted.

#![allow(clippy::unwrap_used)] // Test helpers: a failure should stop the test loudly.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use bulwark_attack::dispersion::{
    CorrelatedFailure, Dimension, Dispersion, Grouping, Metrics, correlated_failure, dispersion, group, nakamoto,
    tau_index,
};
use bulwark_spec::data::validators::{StakeUnit, Validator, ValidatorFormat, ValidatorSet, load_validators};
use bulwark_spec::units::{Comparison, Ratio, Threshold};
use proptest::prelude::*;

/// Relative tolerance against the Python figures. Both sides are f64 sums over at most
/// 955 terms, in different orders and, for Gini, by a different formula (all pairs
/// |x_i − x_j| in Python, ascending ranks in Rust): they agree to about 1e-13, and a
/// wrong formula is off by far more than 1e-9.
const REL_TOL: f64 = 1e-9;

/// Absolute tolerance for shares that must sum to one: the f64 rounding of a few
/// dozen divisions, with room to spare.
const SHARE_SUM_TOL: f64 = 1e-12;

/// One row of the reference: (file, dimension, entities, total active stake in base
/// units, NC > 1/3, NC > 2/3, gini, hhi, entropy_bits, entropy_pct, theil, CR_1, CR_5, CR_10).
type Row = (&'static str, &'static str, usize, u128, usize, usize, f64, f64, f64, Option<f64>, f64, f64, f64, f64);

// Output of dispersion_reference.py, first table.
#[rustfmt::skip]
const REFERENCE: [Row; 12] = [
("solana_epoch860.json", "validator", 955, 414457672340656315, 20, 88, 0.75975689009851, 88.97627680630411, 7.985227609321395, Some(80.67642240742771), 1.3267733369501722, 0.033362950918504525, 0.1394528791836292, 0.22783536039899638),
("solana_epoch860.json", "country", 46, 414457672340656315, 2, 4, 0.8348851099431763, 1603.5330626334717, 3.2965151876452645, Some(59.68096698961403), 1.5436711884997412, 0.3013478597071004, 0.777294085384447, 0.9091980330710656),
("solana_epoch860.json", "asn", 100, 414457672340656315, 2, 8, 0.8362255943683555, 1093.6867709024332, 4.237574368044517, Some(63.781849681911936), 1.6679074603649413, 0.23382491682707726, 0.5706304140166144, 0.7178140802373227),
("solana_epoch860.json", "datacenter", 212, 414457672340656315, 7, 22, 0.7759001505241191, 286.1772635202887, 5.915016724291077, Some(76.60847995506043), 1.2566091092647287, 0.0785969199428821, 0.2869290616996342, 0.44994926340445285),
("solana_epoch860.json", "client", 13, 414457672340656315, 1, 1, 0.8561640555320533, 5448.80689932612, 1.2609301916598912, Some(34.07514478558555), 1.6909391502295716, 0.7056011340952004, 0.994599448789129, 0.9994401829297913),
("sui_validators.csv", "validator", 106, 8079274410851082800, 16, 42, 0.362816359885857, 139.2914934192878, 6.421043957211727, Some(95.4387615099799), 0.21271057891928435, 0.0291175748568438, 0.1393091276847473, 0.24456801140536535),
("sui_validators.csv", "country", 20, 8079274410851082800, 3, 6, 0.518023602837455, 1015.0203298428254, 3.6570979658681906, Some(84.61727926927718), 0.46082512948094356, 0.20822359253527672, 0.5956736404665168, 0.8861551203192575),
("sui_validators.csv", "asn", 35, 8079274410851082800, 3, 7, 0.610162217812877, 845.6805714175032, 4.144568224203689, Some(80.8020967162818), 0.6825522822442872, 0.16430392007604983, 0.5790784570666885, 0.7643866996987176),
("sui_validators.csv", "datacenter", 63, 8079274410851082800, 7, 20, 0.46864261347995956, 291.7561493185509, 5.457593966018865, Some(91.30564463882835), 0.36021885620458616, 0.06518550386348569, 0.2586675921065429, 0.43353899023004366),
("cosmoshub_height10562840.json", "validator", 175, 184812384524694, 7, 23, 0.7223135445947122, 266.7612581864132, 5.9578799343791715, Some(79.95854425488244), 1.0350982952939196, 0.06213473779818389, 0.2638105203646645, 0.44176742082236914),
("ethereum_staking_entities_2023-04-19.csv", "validator", 68, 18748864000000000, 2, 4, 0.8894406129478188, 1740.2060428289012, 3.2383357689962264, Some(53.19680552384425), 1.974864397189951, 0.30894927820693563, 0.782792120098583, 0.9165935066785913),
("ethereum_staking_entities_2023-04-19.csv", "operator", 68, 18748864000000000, 2, 4, 0.8894406129478188, 1740.2060428289012, 3.2383357689962264, Some(53.19680552384425), 1.974864397189951, 0.30894927820693563, 0.782792120098583, 0.9165935066785913),
];

/// (file, dimension, halts_liveness, threatens_safety, NC > 1/3, NC > 2/3, unknown_share).
type FailureRow = (
    &'static str,
    &'static str,
    &'static [(&'static str, f64)],
    &'static [(&'static str, f64)],
    Option<usize>,
    Option<usize>,
    f64,
);

// Output of dispersion_reference.py, second table.
#[rustfmt::skip]
const FAILURES: [FailureRow; 5] = [
("solana_epoch860.json", "country", &[], &[], Some(2), Some(4), 0.0029112374313149006),
("solana_epoch860.json", "asn", &[], &[], Some(2), Some(8), 0.0013740585316654901),
("solana_epoch860.json", "client", &[("JitoLabs", 0.7056011340952004)], &[("JitoLabs", 0.7056011340952004)], Some(1), Some(1), 0.009187620583944085),
("sui_validators.csv", "country", &[], &[], Some(3), Some(6), 0.0035228582352024055),
("sui_validators.csv", "asn", &[], &[], Some(3), Some(7), 0.0035228582352024055),
];

fn validators_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data/validators")
}

fn load(file: &str) -> ValidatorSet {
    load_validators(&validators_dir().join(file), None, None, 0).unwrap()
}

fn close(found: f64, expected: f64) -> bool {
    (found - expected).abs() <= REL_TOL * expected.abs().max(f64::MIN_POSITIVE)
}

fn assert_close(found: f64, expected: f64, what: &str) {
    assert!(close(found, expected), "{what}: found {found}, expected {expected}");
}

fn gt(num: u128, den: u128) -> Threshold {
    Threshold { fraction: Ratio::new(num, den).unwrap(), cmp: Comparison::Gt }
}

/// Every file in data/validators, so that a file added without reference figures fails.
fn real_files() -> BTreeSet<String> {
    std::fs::read_dir(validators_dir())
        .unwrap()
        .map(|entry| entry.unwrap().file_name().into_string().unwrap())
        .collect()
}

#[test]
fn every_real_file_and_dimension_matches_the_python_reference() {
    let mut checked = BTreeSet::new();
    for file in real_files() {
        let set = load(&file);
        for dimension in Dimension::ALL {
            let grouped = group(&set, dimension);
            let report = dispersion(&set, dimension);
            assert_eq!(grouped.is_some(), report.is_some(), "{file} by {}", dimension.name());
            let (Some(grouped), Some(report)) = (grouped, report) else { continue };
            let row = REFERENCE.iter().find(|r| r.0 == file && r.1 == dimension.name());
            let row = row.unwrap_or_else(|| panic!("no reference figures for {file} by {}", dimension.name()));
            check_against_reference(&report, row);
            check_consistent_with_group(&set, &report, &grouped);
            checked.insert((row.0, row.1));
        }
    }
    // Every reference row was reached, and no file was skipped.
    assert_eq!(checked.len(), REFERENCE.len(), "checked {checked:?}");
    let files: BTreeSet<String> = REFERENCE.iter().map(|r| r.0.to_owned()).collect();
    assert_eq!(files, real_files());
}

fn check_against_reference(d: &Dispersion, row: &Row) {
    let (file, dim, entities, total, nc13, nc23, gini, hhi, bits, pct, theil, cr1, cr5, cr10) = *row;
    let at = |what: &str| format!("{file} by {dim}: {what}");
    let m = &d.metrics;
    assert_eq!(d.entities, entities, "{}", at("entities"));
    assert_eq!((m.nakamoto.one_third, m.nakamoto.two_thirds), (nc13, nc23), "{}", at("Nakamoto"));
    assert_close(m.gini, gini, &at("gini"));
    assert_close(m.hhi, hhi, &at("hhi"));
    assert_close(m.entropy_bits, bits, &at("entropy_bits"));
    assert_close(m.entropy_pct.unwrap(), pct.unwrap(), &at("entropy_pct"));
    assert_close(m.theil, theil, &at("theil"));
    assert_close(m.cr.cr_1, cr1, &at("CR_1"));
    assert_close(m.cr.cr_5, cr5, &at("CR_5"));
    assert_close(m.cr.cr_10, cr10, &at("CR_10"));
    let decimals = match file {
        f if f.starts_with("cosmoshub") => 6,
        _ => 9,
    };
    assert_close(d.total_stake, total as f64 / 10f64.powi(decimals), &at("total_stake"));
}

/// The report agrees with the building blocks other modules use.
fn check_consistent_with_group(set: &ValidatorSet, d: &Dispersion, grouped: &[(String, u128)]) {
    let stakes: Vec<u128> = grouped.iter().map(|(_, stake)| *stake).collect();
    let total: u128 = stakes.iter().sum();
    assert_eq!(total, set.total_active_stake());
    assert_eq!(d.entities, grouped.len());
    assert_eq!(nakamoto(&stakes, gt(1, 3)), Some(d.metrics.nakamoto.one_third));
    assert_eq!(nakamoto(&stakes, gt(2, 3)), Some(d.metrics.nakamoto.two_thirds));
    assert_eq!(Metrics::of(&stakes).as_ref(), Some(&d.metrics));
    let largest: Vec<(&str, f64)> = d.largest.iter().map(|h| (h.name.as_str(), h.share)).collect();
    let expected: Vec<(&str, f64)> =
        grouped.iter().take(10).map(|(name, stake)| (name.as_str(), *stake as f64 / total as f64)).collect();
    assert_eq!(largest, expected);
    assert_eq!(d.unit, set.unit.symbol);
}

#[test]
fn correlated_failure_on_real_files_matches_the_python_reference() {
    for (file, dim, halts, safety, nc13, nc23, unknown) in FAILURES {
        let set = load(file);
        let dimension = Dimension::ALL.into_iter().find(|d| d.name() == dim).unwrap();
        let f = correlated_failure(&set, dimension).unwrap();
        let named = |list: &[(String, f64)]| list.iter().map(|(n, s)| (n.clone(), *s)).collect::<Vec<_>>();
        let owned = |list: &[(&str, f64)]| list.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect::<Vec<_>>();
        let same = |a: Vec<(String, f64)>, b: Vec<(String, f64)>| {
            a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x.0 == y.0 && close(x.1, y.1))
        };
        assert!(same(named(&f.halts_liveness), owned(halts)), "{file} by {dim}: {f:?}");
        assert!(same(named(&f.threatens_safety), owned(safety)), "{file} by {dim}: {f:?}");
        assert_eq!((f.nakamoto_one_third, f.nakamoto_two_thirds), (nc13, nc23), "{file} by {dim}");
        assert_close(f.unknown_share, unknown, &format!("{file} by {dim}: unknown_share"));
    }
}

#[test]
fn one_solana_client_holds_more_than_two_thirds() {
    // dispersion_reference.py: JitoLabs holds 0.7056011340952004 of active stake at epoch 860,
    // so the loss of that one client halts Solana and its bug could finalize alone.
    let f = correlated_failure(&load("solana_epoch860.json"), Dimension::Client).unwrap();
    assert_eq!(f.threatens_safety.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["JitoLabs"]);
    assert_eq!(f.nakamoto_one_third, Some(1));
    // Validators reporting `Unknown` are kept apart, and are not a category.
    assert!(f.halts_liveness.iter().all(|(n, _)| !n.starts_with("unknown:")));
}

#[test]
fn the_report_serializes_with_the_documented_keys() {
    let d = dispersion(&load("solana_epoch860.json"), Dimension::Country).unwrap();
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(json["dimension"], "country");
    assert_eq!(json["unit"], "SOL");
    assert_eq!(json["entities"], 46);
    // dispersion_reference.py: NC > 1/3 = 2, NC > 2/3 = 4 by country.
    assert_eq!(json["nakamoto"]["one_third"], 2);
    assert_eq!(json["nakamoto"]["two_thirds"], 4);
    for key in ["gini", "hhi", "entropy_bits", "entropy_pct", "theil", "total_stake"] {
        assert!(json[key].is_f64(), "{key}: {json}");
    }
    for key in ["cr_1", "cr_5", "cr_10"] {
        assert!(json["cr"][key].is_f64(), "{key}: {json}");
    }
    assert_eq!(json["largest"][0]["name"], "DE");
    assert_eq!(json["largest"].as_array().map(Vec::len), Some(10));
    // 414457672340656315 lamports (dispersion_reference.py) at 9 decimals.
    assert_close(d.total_stake, 414_457_672.0 + 0.340_656_315, "total_stake");
    let f: CorrelatedFailure = correlated_failure(&load("solana_epoch860.json"), Dimension::Client).unwrap();
    let json = serde_json::to_value(&f).unwrap();
    assert_eq!(json["halts_liveness"][0][0], "JitoLabs");
    assert_eq!(json["nakamoto_two_thirds"], 1);
}

#[test]
fn a_shared_grouping_gives_the_same_reports() {
    let set = load("sui_validators.csv");
    for dimension in Dimension::ALL {
        let grouping = Grouping::new(&set, dimension);
        assert_eq!(grouping.as_ref().and_then(Grouping::dispersion), dispersion(&set, dimension));
        assert_eq!(grouping.as_ref().and_then(Grouping::correlated_failure), correlated_failure(&set, dimension));
    }
}

#[test]
fn a_large_newcomer_can_lower_the_nakamoto_coefficient() {
    // Why the property below bounds the newcomer's stake: [10, 1 × 23] needs 3 holders for
    // > 1/3 (12 of 33), but with another 10 the two tens hold 20 of 43 > 1/3.
    let mut stakes = vec![10];
    stakes.extend([1; 23]);
    assert_eq!(nakamoto(&stakes, gt(1, 3)), Some(3));
    stakes.insert(0, 10);
    assert_eq!(nakamoto(&stakes, gt(1, 3)), Some(2));
}

fn set_of(stakes: &[u128]) -> ValidatorSet {
    let validators = stakes
        .iter()
        .enumerate()
        .map(|(i, &stake)| Validator {
            id: format!("v{i}"),
            stake,
            active: true,
            operator: None,
            country: (i % 5 != 0).then(|| format!("C{}", i % 3)),
            asn: None,
            datacenter: None,
            client: None,
        })
        .collect();
    ValidatorSet {
        format: ValidatorFormat::Columns,
        unit: StakeUnit { symbol: String::new(), decimals: 0 },
        validators,
    }
}

fn by_validator(stakes: &[u128]) -> (usize, usize) {
    let n = dispersion(&set_of(stakes), Dimension::Validator).unwrap().metrics.nakamoto;
    (n.one_third, n.two_thirds)
}

fn desc(stakes: &[u128]) -> Vec<u128> {
    let mut sorted = stakes.to_vec();
    sorted.sort_unstable_by(|a, b| b.cmp(a));
    sorted
}

/// Stakes with at least one non-zero, some zero, some far apart in size.
fn stakes() -> impl Strategy<Value = Vec<u128>> {
    let stake = prop_oneof![Just(0u128), 1u128..1_000, 1u128..u128::from(u64::MAX)];
    (prop::collection::vec(stake, 0..40), 1u128..1_000_000).prop_map(|(mut stakes, positive)| {
        stakes.push(positive);
        stakes
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn adding_a_validator_no_larger_than_the_holders_already_counted_never_lowers_nc(
        stakes in stakes(),
        newcomer in any::<u128>().prop_map(|s| s >> 64),
    ) {
        // See a_large_newcomer_can_lower_the_nakamoto_coefficient for why the bound.
        let before = by_validator(&stakes);
        let sorted = desc(&stakes);
        for (k, one_third) in [(before.0, true), (before.1, false)] {
            // No larger than the (k − 1)-th largest: the k − 1 largest keep their sum.
            let newcomer = newcomer.min(if k >= 2 { sorted[k - 2] } else { u128::MAX });
            let mut grown = stakes.clone();
            grown.push(newcomer);
            let after = by_validator(&grown);
            let after_k = if one_third { after.0 } else { after.1 };
            prop_assert!(after_k >= k, "{stakes:?} + {newcomer}: {k} -> {after_k}");
        }
    }

    #[test]
    fn splitting_a_validator_never_lowers_nc(
        stakes in stakes(),
        which in any::<prop::sample::Index>(),
        cut in 0.0..1.0f64,
    ) {
        let i = which.index(stakes.len());
        let mut split = stakes.clone();
        let part = (split[i] as f64 * cut) as u128;
        split[i] -= part;
        split.push(part);
        let (before, after) = (by_validator(&stakes), by_validator(&split));
        prop_assert!(after.0 >= before.0 && after.1 >= before.1, "{stakes:?} -> {split:?}");
    }

    #[test]
    fn nc_is_monotone_in_the_threshold(stakes in stakes(), a in 1u128..100, b in 1u128..100) {
        let sorted = desc(&stakes);
        let (low, high) = (a.min(b), a.max(b));
        let (low, high) = (Ratio::new(low, 100).unwrap(), Ratio::new(high, 100).unwrap());
        let at = |fraction, cmp| nakamoto(&sorted, Threshold { fraction, cmp }).unwrap();
        prop_assert!(at(low, Comparison::Gt) <= at(high, Comparison::Gt));
        prop_assert!(at(low, Comparison::Ge) <= at(high, Comparison::Ge));
        prop_assert!(at(low, Comparison::Ge) <= at(low, Comparison::Gt));
        prop_assert!(tau_index(&sorted, low) <= tau_index(&sorted, high));
        prop_assert_eq!(tau_index(&sorted, low), Some(at(low, Comparison::Ge)));
        let (third, two_thirds) = by_validator(&stakes);
        prop_assert!(third <= two_thirds);
    }

    #[test]
    fn shares_sum_to_one(stakes in stakes()) {
        let set = set_of(&stakes);
        for dimension in [Dimension::Validator, Dimension::Country] {
            let Some(d) = dispersion(&set, dimension) else { continue };
            let listed: f64 = d.largest.iter().map(|h| h.share).sum();
            prop_assert!((listed - d.metrics.cr.cr_10).abs() < SHARE_SUM_TOL, "{d:?}");
            if d.entities <= 10 {
                prop_assert!((listed - 1.0).abs() < SHARE_SUM_TOL, "{d:?}");
            }
            let grouped = group(&set, dimension).unwrap();
            let total = set.total_active_stake() as f64;
            let all: f64 = grouped.iter().map(|(_, stake)| *stake as f64 / total).sum();
            prop_assert!((all - 1.0).abs() < SHARE_SUM_TOL);
            let f = correlated_failure(&set, dimension).unwrap();
            let unknown: u128 =
                grouped.iter().filter(|(name, _)| name.starts_with("unknown:")).map(|(_, stake)| stake).sum();
            let unknown = unknown as f64 / total;
            prop_assert!((f.unknown_share - unknown).abs() < SHARE_SUM_TOL);
        }
    }

    #[test]
    fn correlated_failure_matches_a_direct_count(stakes in stakes()) {
        // From group's strings: categories are the names without the `unknown:` prefix,
        // shares are of all active stake, and thresholds are exact (3·x > S, 3·x > 2·S).
        let set = set_of(&stakes);
        let Some(grouped) = group(&set, Dimension::Country) else {
            prop_assert_eq!(correlated_failure(&set, Dimension::Country), None);
            return Ok(());
        };
        let total = set.total_active_stake();
        let categories: Vec<&(String, u128)> = grouped.iter().filter(|(n, _)| !n.starts_with("unknown:")).collect();
        let over = |num: u128| -> Vec<String> {
            categories.iter().filter(|(_, x)| 3 * x > num * total).map(|(n, _)| n.clone()).collect()
        };
        let fewest = |num: u128| {
            let mut acc = 0;
            categories.iter().position(|(_, x)| {
                acc += x;
                3 * acc > num * total
            })
            .map(|i| i + 1)
        };
        let f = correlated_failure(&set, Dimension::Country).unwrap();
        let names = |list: &[(String, f64)]| list.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
        prop_assert_eq!(names(&f.halts_liveness), over(1));
        prop_assert_eq!(names(&f.threatens_safety), over(2));
        prop_assert_eq!((f.nakamoto_one_third, f.nakamoto_two_thirds), (fewest(1), fewest(2)));
    }

    #[test]
    fn every_metric_stays_in_its_range(stakes in stakes()) {
        let m = Metrics::of(&desc(&stakes)).unwrap();
        let n = stakes.len() as f64;
        prop_assert!(m.hhi > 0.0 && m.hhi <= 10_000.0, "{m:?}");
        prop_assert!(m.hhi >= 10_000.0 / n * (1.0 - 1e-9), "{m:?}");
        prop_assert!((-1e-12..1.0).contains(&m.gini), "{m:?}");
        prop_assert!(m.theil >= -1e-12 && m.theil <= n.ln() + 1e-9, "{m:?}");
        prop_assert!(m.entropy_bits >= 0.0 && m.entropy_bits <= n.log2() + 1e-9, "{m:?}");
        prop_assert!(m.entropy_pct.is_none_or(|pct| (0.0..=100.0 + 1e-9).contains(&pct)), "{m:?}");
        prop_assert!(m.cr.cr_1 <= m.cr.cr_5 && m.cr.cr_5 <= m.cr.cr_10 && m.cr.cr_10 <= 1.0, "{m:?}");
        prop_assert!(m.nakamoto.one_third <= m.nakamoto.two_thirds);
    }
}
