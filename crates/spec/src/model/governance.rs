//! `[governance]` and `[[committees]]`: who can change the protocol, and the signer
//! committees (bridges, guardians, multisigs) that secure value.

use serde::Serialize;

use crate::error::ErrorKind;
use crate::reader::{Field, Table};

/// Token governance with a quorum, a timelock and an optional guardian multisig.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Governance {
    /// The voting token, an entry of `[assets]`.
    pub token: String,
    /// Circulating supply of the token, in tokens.
    pub supply: Option<f64>,
    /// Votes a proposal needs, in tokens.
    pub quorum_votes: f64,
    /// Margin by which yes votes must exceed no votes, in tokens (Aave: the vote
    /// differential); zero when a simple majority suffices.
    pub differential_votes: f64,
    /// Votes expected against a malicious proposal, in tokens.
    pub opposition_votes: f64,
    /// Delay between a passed vote and its execution, in seconds.
    pub timelock_s: f64,
    /// How long a vote stays open, in seconds.
    pub voting_period_s: Option<f64>,
    /// Whether vote weights are read at a snapshot taken when the proposal starts
    /// (which rules out flash-loaned votes).
    pub snapshot: bool,
    /// Value governance can move, in USD (treasury and what upgrades can reach).
    pub treasury_usd: Option<f64>,
    /// A guardian multisig that can cancel proposals, if any.
    pub guardian: Option<Multisig>,
}

/// An M-of-N signer set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Multisig {
    /// N, the signers.
    pub size: u64,
    /// M, the signatures required.
    pub threshold: u64,
}

/// A k-of-n committee securing value, such as bridge guardians.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Committee {
    /// Its name.
    pub name: String,
    /// Size and threshold.
    pub multisig: Multisig,
    /// Value its signatures can release, in USD.
    pub value_secured_usd: f64,
    /// Most value one message or period can release after rate limits, in USD.
    pub rate_limit_usd: Option<f64>,
    /// Who holds the keys, grouped by entity; counts sum to the size when given.
    pub signers: Vec<Signer>,
}

/// Keys held by one entity.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signer {
    /// The entity.
    pub entity: String,
    /// How many of the committee's keys it holds.
    pub count: u64,
    /// Estimated cost to corrupt this entity (bond, bribe or compromise), in USD.
    pub cost_usd: Option<f64>,
}

pub(crate) const GOVERNANCE_KEYS: &[&str] = &[
    "token",
    "supply",
    "quorum",
    "differential",
    "opposition",
    "timelock",
    "voting_period",
    "snapshot",
    "treasury",
    "guardian",
];
pub(crate) const MULTISIG_KEYS: &[&str] = &["size", "threshold"];
pub(crate) const COMMITTEE_KEYS: &[&str] = &["name", "size", "threshold", "value_secured", "rate_limit", "signers"];
pub(crate) const SIGNER_KEYS: &[&str] = &["entity", "count", "cost"];

/// Reads `[governance]`; `asset_known` checks the token against `[assets]`.
pub(crate) fn parse_governance(
    t: &Table<'_, '_>,
    asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool,
) -> Option<Governance> {
    let token = t.require("token", "the voting token, an asset, e.g. token = \"AAVE\"").and_then(|f| {
        let s = f.string()?;
        asset_known(f, &s).then_some(s)
    });
    let positive = "a positive amount";
    let supply = t.get("supply").map_or(Some(None), |f| f.number_where(|x| x > 0.0, positive).map(Some));
    let quorum = t
        .require("quorum", "votes needed, in tokens, e.g. quorum = 320_000")
        .and_then(|f| f.number_where(|x| x > 0.0, positive));
    let votes = |key: &str| t.get(key).map_or(Some(0.0), |f| f.number_where(|x| x >= 0.0, "zero or more votes"));
    let differential = votes("differential");
    let opposition = votes("opposition");
    let timelock = t.require("timelock", "the execution delay, e.g. timelock = \"1d\"").and_then(|f| f.duration_s());
    let voting_period = t.get("voting_period").map_or(Some(None), |f| f.duration_s().map(Some));
    let snapshot = t.get("snapshot").map_or(Some(true), |f| f.boolean());
    let treasury = t.get("treasury").map_or(Some(None), |f| f.number_where(|x| x >= 0.0, "zero or more USD").map(Some));
    let guardian = t.get("guardian").map_or(Some(None), |f| parse_multisig(f).map(Some));
    let (supply, quorum) = (supply?, quorum?);
    if let Some(supply) = supply
        && quorum > supply
    {
        t.out_of_range_at("quorum", format!("at most the supply ({supply})"));
        return None;
    }
    Some(Governance {
        token: token?,
        supply,
        quorum_votes: quorum,
        differential_votes: differential?,
        opposition_votes: opposition?,
        timelock_s: timelock?,
        voting_period_s: voting_period?,
        snapshot: snapshot?,
        treasury_usd: treasury?,
        guardian: guardian?,
    })
}

fn parse_multisig(field: &Field<'_, '_>) -> Option<Multisig> {
    let t = field.table(MULTISIG_KEYS)?;
    size_and_threshold(&t)
}

fn size_and_threshold(t: &Table<'_, '_>) -> Option<Multisig> {
    let size = t.require("size", "the number of signers, e.g. size = 19").and_then(|f| f.count());
    let threshold = t.require("threshold", "signatures required, e.g. threshold = 13").and_then(|f| f.count());
    let (size, threshold) = (size?, threshold?);
    if size == 0 {
        t.out_of_range_at("size", "at least 1");
        return None;
    }
    if threshold == 0 || threshold > size {
        t.out_of_range_at("threshold", format!("between 1 and size = {size}"));
        return None;
    }
    Some(Multisig { size, threshold })
}

/// Reads one `[[committees]]` entry.
pub(crate) fn parse_committee(field: &Field<'_, '_>) -> Option<Committee> {
    let t = field.table(COMMITTEE_KEYS)?;
    let name = t.require("name", "a name, e.g. name = \"bridge guardians\"").and_then(|f| f.string());
    let multisig = size_and_threshold(&t);
    let rate_limit =
        t.get("rate_limit").map_or(Some(None), |f| f.number_where(|x| x > 0.0, "a positive amount in USD").map(Some));
    let value = t
        .require("value_secured", "USD its signatures can release, e.g. value_secured = 1.5e9")
        .and_then(|f| f.number_where(|x| x >= 0.0, "zero or more USD"));
    let signers = t.get("signers").map_or(Some(Vec::new()), parse_signers);
    let (multisig, signers) = (multisig?, signers?);
    let total: u64 = signers.iter().map(|s| s.count).sum();
    if !signers.is_empty() && total != multisig.size {
        t.error_at(
            "signers",
            ErrorKind::Inconsistent(format!("hold {total} keys in all, but size = {}", multisig.size)),
        );
        return None;
    }
    Some(Committee { name: name?, multisig, value_secured_usd: value?, rate_limit_usd: rate_limit?, signers })
}

fn parse_signers(field: &Field<'_, '_>) -> Option<Vec<Signer>> {
    let mut out = Vec::new();
    let mut ok = true;
    for element in field.elements()? {
        let signer = (|| {
            let t = element.table(SIGNER_KEYS)?;
            let entity =
                t.require("entity", "who holds the keys, e.g. entity = \"Sky Mavis\"").and_then(|f| f.string());
            let count = t.get("count").map_or(Some(1), |f| f.count());
            let cost = t.get("cost").map_or(Some(None), |f| f.number_where(|x| x >= 0.0, "zero or more USD").map(Some));
            Some(Signer { entity: entity?, count: count?, cost_usd: cost? })
        })();
        match signer {
            Some(s) => out.push(s),
            None => ok = false,
        }
    }
    ok.then_some(out)
}
