//! The whole spec: reading every section, then the references between sections.

use std::collections::BTreeSet;
use std::path::Path;

use serde::Serialize;
use toml_edit::Document;

use crate::error::{ErrorKind, SpecError};
use crate::model::asset::{Asset, parse_assets};
use crate::model::consensus::{CONSENSUS_KEYS, Consensus, parse_consensus};
use crate::model::governance::{Committee, GOVERNANCE_KEYS, Governance, parse_committee, parse_governance};
use crate::model::guard::{GUARD_KEYS, GuardSpec, parse_guard};
use crate::model::market::{Market, parse_market};
use crate::model::oracle::{Oracle, parse_oracle};
use crate::model::restaking::{RESTAKING_KEYS, Restaking, parse_restaking};
use crate::model::scenario::{SCENARIO_KEYS, Scenario, parse_scenario};
use crate::model::venue::{Venue, parse_venue};
use crate::reader::{Ctx, Field, Source, Table, closest};

/// A protocol, validated: every reference resolves and every number is in range.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Protocol {
    /// Its name.
    pub name: String,
    /// A sentence on what it models.
    pub description: Option<String>,
    /// The tokens.
    pub assets: Vec<Asset>,
    /// Liquidity venues.
    pub venues: Vec<Venue>,
    /// Price oracles, one per asset at most.
    pub oracles: Vec<Oracle>,
    /// Lending markets.
    pub markets: Vec<Market>,
    /// The chain's validator set, if described.
    pub consensus: Option<Consensus>,
    /// Token governance, if described.
    pub governance: Option<Governance>,
    /// Signer committees.
    pub committees: Vec<Committee>,
    /// A restaking network of validators and the services they secure, if described.
    pub restaking: Option<Restaking>,
    /// The stress scenario (defaults when absent).
    pub scenario: Scenario,
    /// How the guard service enforces, if described (the guard's defaults otherwise).
    pub guard: Option<GuardSpec>,
}

impl Protocol {
    /// The asset with this symbol.
    pub fn asset(&self, symbol: &str) -> Option<&Asset> {
        self.assets.iter().find(|a| a.symbol == symbol)
    }

    /// The oracle of an asset, if it has one.
    pub fn oracle(&self, symbol: &str) -> Option<&Oracle> {
        self.oracles.iter().find(|o| o.asset == symbol)
    }

    /// The price of an asset in USD; zero for an unknown symbol (validation guarantees
    /// that every symbol a protocol refers to is known).
    pub fn price_usd(&self, symbol: &str) -> f64 {
        self.asset(symbol).map_or(0.0, |a| a.price_usd)
    }
}

pub(crate) const ROOT_KEYS: &[&str] = &[
    "protocol",
    "assets",
    "venues",
    "oracles",
    "markets",
    "consensus",
    "governance",
    "committees",
    "restaking",
    "scenario",
    "guard",
];
pub(crate) const PROTOCOL_KEYS: &[&str] = &["name", "description"];

/// Parses and validates spec text. `file` names it in messages; relative data paths
/// resolve against `base`.
pub(crate) fn parse(source: &Source, base: &Path) -> Result<Protocol, Vec<SpecError>> {
    let ctx = Ctx::new(source);
    let doc = match Document::parse(source.text()) {
        Ok(doc) => doc,
        Err(e) => {
            let offset = e.span().map_or(0, |s| s.start);
            ctx.error_at(offset, "", ErrorKind::Syntax(e.message().trim().to_string()));
            return Err(ctx.into_errors());
        }
    };
    let protocol = read_root(&ctx, doc.as_table(), base);
    match protocol {
        Some(p) if !ctx.has_errors() => Ok(p),
        _ => {
            let errors = ctx.into_errors();
            if errors.is_empty() {
                // Every path that returns None records an error first; this is a guard
                // against a section forgetting to, so that a bad spec never passes.
                Err(vec![SpecError {
                    location: source.location(0),
                    path: String::new(),
                    kind: ErrorKind::Inconsistent("could not be read (no detail recorded)".into()),
                }])
            } else {
                Err(errors)
            }
        }
    }
}

fn read_root(ctx: &Ctx<'_>, root: &toml_edit::Table, base: &Path) -> Option<Protocol> {
    let root = Table::root(ctx, root, ROOT_KEYS);
    let header = root.require("protocol", "a [protocol] table with a name").and_then(|f| f.table(PROTOCOL_KEYS));
    let name = header
        .as_ref()
        .and_then(|h| h.require("name", "the protocol's name, e.g. name = \"Aave v3 Ethereum\""))
        .and_then(|f| f.string());
    let description = header.as_ref().and_then(|h| h.get("description")).map_or(Some(None), |f| f.string().map(Some));

    let assets_table = root.get("assets").and_then(|f| f.table(&["*"]));
    let declared: BTreeSet<String> =
        assets_table.as_ref().map(|t| t.entries().map(|(k, _)| k.to_string()).collect()).unwrap_or_default();
    let asset_known = |f: &Field<'_, '_>, name: &str| known(f, name, "asset", &declared);
    let assets = assets_table.as_ref().map(|t| parse_assets(t, base)).unwrap_or_default();

    let venue_fields = root.get("venues").and_then(|f| f.elements()).unwrap_or_default();
    let mut venues = Vec::new();
    let mut venue_names: Vec<String> = Vec::new();
    for f in &venue_fields {
        if let Some(v) = parse_venue(f, &asset_known) {
            if venue_names.contains(&v.name) {
                f.error(ErrorKind::Duplicate(v.name.clone()));
            }
            venue_names.push(v.name.clone());
            venues.push(v);
        }
    }
    let venue_index = |f: &Field<'_, '_>| {
        let name = f.string()?;
        let found = venue_names.iter().position(|n| *n == name);
        if found.is_none() {
            f.error(ErrorKind::UnknownReference {
                what: "venue",
                suggestion: closest(&name, venue_names.iter().map(String::as_str)),
                name,
                known: venue_names.clone(),
            });
        }
        found
    };

    let oracles = root
        .get("oracles")
        .and_then(|f| f.table(&["*"]))
        .map(|t| {
            t.entries()
                .filter_map(
                    |(asset, f)| if asset_known(f, asset) { parse_oracle(asset, f, &venue_index) } else { None },
                )
                .collect()
        })
        .unwrap_or_default();

    let markets = root
        .get("markets")
        .and_then(|f| f.elements())
        .map(|fields| fields.iter().filter_map(|f| parse_market(f, base, &asset_known)).collect())
        .unwrap_or_default();

    let consensus = root.get("consensus").and_then(|f| f.table(CONSENSUS_KEYS)).and_then(|t| {
        let c = parse_consensus(&t, base)?;
        if let (Some(asset), Some(f)) = (&c.stake_asset, t.get("stake_asset")) {
            asset_known(f, asset);
        }
        Some(c)
    });
    let governance =
        root.get("governance").and_then(|f| f.table(GOVERNANCE_KEYS)).and_then(|t| parse_governance(&t, &asset_known));
    let committees = root
        .get("committees")
        .and_then(|f| f.elements())
        .map(|fs| fs.iter().filter_map(parse_committee).collect())
        .unwrap_or_default();
    let restaking = root.get("restaking").and_then(|f| f.table(RESTAKING_KEYS)).and_then(|t| parse_restaking(&t));
    let guardian = governance.as_ref().map(|g| (g.guardian.map(|m| m.threshold), g.timelock_s));
    let guard = match root.get("guard") {
        Some(f) => f
            .table(GUARD_KEYS)
            .and_then(|t| {
                let defaults = guardian.and_then(|(threshold, timelock_s)| Some((threshold?, timelock_s)));
                parse_guard(&t, &asset_known, defaults)
            })
            .map(Some),
        None => Some(None),
    };
    let scenario = match root.get("scenario") {
        Some(f) => f.table(SCENARIO_KEYS).and_then(|t| parse_scenario(&t, base, &asset_known)),
        None => Some(Scenario::default()),
    };

    Some(Protocol {
        name: name?,
        description: description?,
        assets,
        venues,
        oracles,
        markets,
        consensus,
        governance,
        committees,
        restaking,
        scenario: scenario?,
        guard: guard?,
    })
}

/// Whether `name` is declared; records an unknown-reference error with a did-you-mean when not.
fn known(f: &Field<'_, '_>, name: &str, what: &'static str, declared: &BTreeSet<String>) -> bool {
    if declared.contains(name) {
        return true;
    }
    f.error(ErrorKind::UnknownReference {
        what,
        name: name.to_string(),
        suggestion: closest(name, declared.iter().map(String::as_str)),
        known: declared.iter().cloned().collect(),
    });
    false
}
