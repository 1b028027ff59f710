//! `[consensus]`: the chain a protocol lives on, as a validator set and the
//! thresholds at which an attacker halts it (liveness) or rewrites it (safety).

use std::path::Path;

use serde::Serialize;

use crate::data::validators::{
    ColumnMap, StakeUnit, Validator, ValidatorFormat, ValidatorSet, load_validators, parse_decimal_units,
};
use crate::error::ErrorKind;
use crate::reader::{Field, Table};
use crate::units::Threshold;

/// A validator set with its attack thresholds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Consensus {
    /// The chain's name, for reports.
    pub chain: String,
    /// Stake an attacker must exceed (or reach) to halt finality or block production.
    pub liveness: Threshold,
    /// Stake an attacker must exceed (or reach) to finalize conflicting blocks.
    pub safety: Threshold,
    /// The asset the stake is denominated in, if priced in `[assets]`.
    pub stake_asset: Option<String>,
    /// The validators.
    pub validators: ValidatorSet,
    /// The file they came from, if any.
    pub validators_file: Option<std::path::PathBuf>,
}

pub(crate) const CONSENSUS_KEYS: &[&str] = &["chain", "liveness", "safety", "stake_asset", "validators"];
pub(crate) const VALIDATOR_FILE_KEYS: &[&str] = &["file", "format", "columns", "decimals", "unit"];
pub(crate) const COLUMN_KEYS: &[&str] =
    &["id", "stake", "operator", "country", "asn", "datacenter", "client", "active"];
pub(crate) const VALIDATOR_KEYS: &[&str] =
    &["id", "stake", "operator", "country", "asn", "datacenter", "client", "active"];

/// Reads `[consensus]`.
pub(crate) fn parse_consensus(t: &Table<'_, '_>, base: &Path) -> Option<Consensus> {
    let chain = t.get("chain").map_or(Some("chain".to_string()), |f| f.string());
    let liveness = t
        .require("liveness", "the liveness threshold with its comparison, e.g. liveness = \"> 1/3\"")
        .and_then(|f| f.threshold());
    let safety = t
        .require("safety", "the safety threshold with its comparison, e.g. safety = \">= 2/3\"")
        .and_then(|f| f.threshold());
    let stake_asset = t.get("stake_asset").map_or(Some(None), |f| f.string().map(Some));
    let validators = t
        .require("validators", "a file { file = \"validators.csv\" } or an inline array of { id, stake }")
        .and_then(|f| parse_validators(f, base));
    let (liveness, safety) = (liveness?, safety?);
    if safety.fraction.to_f64() < liveness.fraction.to_f64() {
        if let Some(f) = t.get("safety") {
            f.out_of_range(format!("at least the liveness threshold ({liveness})"));
        }
        return None;
    }
    let (validators, validators_file) = validators?;
    Some(Consensus { chain: chain?, liveness, safety, stake_asset: stake_asset?, validators, validators_file })
}

fn parse_validators(field: &Field<'_, '_>, base: &Path) -> Option<(ValidatorSet, Option<std::path::PathBuf>)> {
    if field.is_array() {
        return parse_inline(field).map(|v| (v, None));
    }
    let t = field.table(VALIDATOR_FILE_KEYS)?;
    let file = t.require("file", "the validator file, e.g. file = \"validators/sui_validators.csv\"")?.file(base)?;
    let format = t.get("format").map_or(Some(None), |f| {
        f.choice(&[
            ("solana", ValidatorFormat::Solana),
            ("sui", ValidatorFormat::Sui),
            ("cosmos_hub", ValidatorFormat::CosmosHub),
            ("ethereum_entities", ValidatorFormat::EthereumEntities),
            ("columns", ValidatorFormat::Columns),
        ])
        .map(Some)
    });
    let columns = t.get("columns").map_or(Some(None), |f| parse_columns(f).map(Some));
    let decimals = t.get("decimals").map_or(Some(0), |f| {
        let d = f.count()?;
        if d <= 24 {
            u32::try_from(d).ok()
        } else {
            f.out_of_range("between 0 and 24");
            None
        }
    });
    let (format, columns, decimals) = (format?, columns?, decimals?);
    let format = if columns.is_some() { Some(format.unwrap_or(ValidatorFormat::Columns)) } else { format };
    if format == Some(ValidatorFormat::Columns) && columns.is_none() {
        t.error(ErrorKind::MissingKey("columns = { id = ..., stake = ... } for format = \"columns\"".into()));
        return None;
    }
    match load_validators(&file, format, columns.as_ref(), decimals) {
        Ok(mut set) => {
            if let Some(unit) = t.get("unit") {
                set.unit.symbol = unit.string()?;
            }
            Some((set, Some(file)))
        }
        Err(e) => {
            t.error_at("file", ErrorKind::Data(e));
            None
        }
    }
}

fn parse_columns(field: &Field<'_, '_>) -> Option<ColumnMap> {
    let t = field.table(COLUMN_KEYS)?;
    let opt = |k: &str| t.get(k).map_or(Some(None), |f| f.string().map(Some));
    let id = t.require("id", "the column naming each validator, e.g. id = \"name\"").and_then(|f| f.string());
    let stake = t.require("stake", "the stake column, e.g. stake = \"stake\"").and_then(|f| f.string());
    Some(ColumnMap {
        id: id?,
        stake: stake?,
        operator: opt("operator")?,
        country: opt("country")?,
        asn: opt("asn")?,
        datacenter: opt("datacenter")?,
        client: opt("client")?,
        active: opt("active")?,
    })
}

/// Inline validators: stake in whole tokens, held exactly as base units of 10⁻⁹.
fn parse_inline(field: &Field<'_, '_>) -> Option<ValidatorSet> {
    const DECIMALS: u32 = 9;
    let mut validators = Vec::new();
    let mut ok = true;
    for (i, element) in field.elements()?.iter().enumerate() {
        let Some(t) = element.table(VALIDATOR_KEYS) else {
            ok = false;
            continue;
        };
        let id = t.get("id").map_or(Some(format!("validator-{i}")), |f| f.string());
        let stake = t.require("stake", "the validator's stake in tokens, e.g. stake = 32").and_then(|f| {
            f.number_where(|x| x >= 0.0, "zero or a positive stake")?;
            let units = parse_decimal_units(&f.found().replace('_', ""), DECIMALS);
            if units.is_none() {
                f.out_of_range("a plain decimal number of tokens");
            }
            units
        });
        let opt = |k: &str| t.get(k).map_or(Some(None), |f| f.string().map(Some));
        let active = t.get("active").map_or(Some(true), |f| f.boolean());
        let v = (|| {
            Some(Validator {
                id: id?,
                stake: stake?,
                active: active?,
                operator: opt("operator")?,
                country: opt("country")?,
                asn: opt("asn")?,
                datacenter: opt("datacenter")?,
                client: opt("client")?,
            })
        })();
        match v {
            Some(v) => validators.push(v),
            None => ok = false,
        }
    }
    if !ok {
        return None;
    }
    if validators.iter().all(|v| !v.active || v.stake == 0) {
        field.out_of_range("at least one active validator with stake");
        return None;
    }
    Some(ValidatorSet {
        format: ValidatorFormat::Columns,
        unit: StakeUnit { symbol: "tokens".into(), decimals: DECIMALS },
        validators,
    })
}
