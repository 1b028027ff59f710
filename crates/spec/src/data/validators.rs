//! Validator sets with their stake and where they run: the four real layouts of
//! `validators/` (Solana, Sui, Cosmos Hub, Ethereum staking entities) and any CSV or
//! JSON array of objects whose columns are named with a [`ColumnMap`].

use std::ffi::OsStr;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::crises::{JsonRow, map_rows, read_json_rows};
use super::prices::{bad_value, column_index, csv_error, csv_reader, record_line};
use super::{DataError, DataProblem};

/// Size of the Cosmos Hub active set (its `max_validators` staking parameter).
const COSMOS_HUB_ACTIVE_SET: usize = 175;

/// One validator (or, for Ethereum, one staking entity).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validator {
    /// Its name or address in the source; not necessarily unique (Cosmos monikers).
    pub id: String,
    /// Stake in the set's base units (see [`ValidatorSet::unit`]).
    pub stake: u128,
    /// Whether it counts toward consensus (not delinquent, in the active set).
    pub active: bool,
    /// The entity running it, where the source says.
    pub operator: Option<String>,
    /// ISO 3166 country code of its machine.
    pub country: Option<String>,
    /// Autonomous system number, or the hosting provider where that is all the source has.
    pub asn: Option<String>,
    /// Data center, as the source names it.
    pub datacenter: Option<String>,
    /// Node software.
    pub client: Option<String>,
}

/// The unit stakes are counted in: the token and its base-unit exponent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StakeUnit {
    /// Token symbol (`SOL`, `SUI`, `ATOM`, `ETH`); empty when a column map loaded it.
    pub symbol: String,
    /// One token is `10^decimals` base units (SOL 9: lamports; ATOM 6: uatom; ETH 9: gwei).
    pub decimals: u32,
}

/// The layout of a validator file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ValidatorFormat {
    /// validators.app JSON: `vote_account`, `active_stake` (lamports), `delinquent`, ...
    Solana,
    /// CSV `name,stake,cloud,city,country,...` with stake in SUI.
    Sui,
    /// JSON of staking state: `val_address`, `moniker`, `tokens` (uatom).
    CosmosHub,
    /// CSV `rank,entity,eth_deposited,...` of Ethereum staking entities.
    EthereumEntities,
    /// Any CSV or JSON array of objects, read through a [`ColumnMap`].
    Columns,
}

impl ValidatorFormat {
    fn unit(self, decimals: u32) -> StakeUnit {
        let (symbol, decimals) = match self {
            Self::Solana => ("SOL", 9),
            Self::Sui => ("SUI", 9),
            Self::CosmosHub => ("ATOM", 6),
            Self::EthereumEntities => ("ETH", 9),
            Self::Columns => ("", decimals),
        };
        StakeUnit { symbol: symbol.to_owned(), decimals }
    }
}

/// Which column (CSV header or JSON key) holds each field, for [`ValidatorFormat::Columns`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ColumnMap {
    /// Column of the validator's name or address.
    pub id: String,
    /// Column of the stake, in tokens (decimals allowed).
    pub stake: String,
    /// Column of the operator.
    pub operator: Option<String>,
    /// Column of the country.
    pub country: Option<String>,
    /// Column of the autonomous system or hosting provider.
    pub asn: Option<String>,
    /// Column of the data center.
    pub datacenter: Option<String>,
    /// Column of the client software.
    pub client: Option<String>,
    /// Column saying whether it is active (`true`/`false`/`1`/`0`); all active without one.
    pub active: Option<String>,
}

impl ColumnMap {
    /// A map naming only the two required columns.
    pub fn new(id: &str, stake: &str) -> Self {
        let (operator, country, asn, datacenter, client, active) = Default::default();
        Self { id: id.to_owned(), stake: stake.to_owned(), operator, country, asn, datacenter, client, active }
    }
}

/// The validators of one file, in file order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidatorSet {
    /// The layout it was read with.
    pub format: ValidatorFormat,
    /// The unit of every [`Validator::stake`].
    pub unit: StakeUnit,
    /// The validators, at least one.
    pub validators: Vec<Validator>,
}

impl ValidatorSet {
    /// The validators that count toward consensus.
    pub fn active(&self) -> impl Iterator<Item = &Validator> {
        self.validators.iter().filter(|v| v.active)
    }

    /// Total stake of the active validators, in base units (saturating, though no real
    /// supply comes near `u128::MAX`).
    pub fn total_active_stake(&self) -> u128 {
        self.active().fold(0, |total, v| total.saturating_add(v.stake))
    }
}

/// Recognizes a validator file's layout from its extension and its header (CSV) or
/// the keys of its first object (JSON).
///
/// # Errors
/// `Missing`, `Malformed`, `Empty` (no rows), and `UnknownShape` when it matches none
/// of the real layouts ([`ValidatorFormat::Columns`] is never detected: it needs a map).
pub fn detect_format(path: &Path) -> Result<ValidatorFormat, DataError> {
    Source::read(path)?.shape(path)
}

/// Reads a validator set.
///
/// The layout is `format`, else [`ValidatorFormat::Columns`] when `columns` is given,
/// else [`detect_format`]'s. `columns` and `decimals` serve only `Columns`: the stake
/// column holds tokens, and `decimals` is the base-unit exponent they are scaled by
/// (see [`parse_decimal_units`]). The real layouts fix their own unit:
/// - Solana: id `vote_account` (else `account`), stake `active_stake` lamports, active
///   when not `delinquent`, `asn` the AS number (0 is unknown), `datacenter` the
///   `data_center_key` (`0--Unknown` is none), `country` its middle part when a
///   two-letter code (`395201-DE-Fechenheim`), `client` `software_client` (`Unknown`
///   is none). The `name` is a display name, not an operator, and is not kept.
/// - Sui: id `name`, stake SUI to MIST, `asn` the `cloud` provider, `datacenter`
///   `cloud / city`, `country`; all active.
/// - Cosmos Hub: id `moniker` (else `val_address`), stake `tokens` uatom; the 175
///   largest by tokens are active, ties going to the smaller `val_address`.
/// - Ethereum entities: id and operator `entity`, stake `eth_deposited` in gwei; all
///   active. The entity `Other` aggregates many small stakers.
///
/// # Errors
/// `Missing`, `Malformed` (at its line or element), `MissingColumn`, `BadValue` (a
/// stake that is not a non-negative decimal, a flag that is not a boolean, an empty
/// id), `Empty`, and `UnknownShape` (undetectable, or `Columns` without a map).
pub fn load_validators(
    path: &Path,
    format: Option<ValidatorFormat>,
    columns: Option<&ColumnMap>,
    decimals: u32,
) -> Result<ValidatorSet, DataError> {
    let source = Source::read(path)?;
    let format = match (format, columns) {
        (Some(format), _) => format,
        (None, Some(_)) => ValidatorFormat::Columns,
        (None, None) => source.shape(path)?,
    };
    let validators = match format {
        ValidatorFormat::Solana => source.each(path, solana)?,
        ValidatorFormat::Sui => source.each(path, sui)?,
        ValidatorFormat::CosmosHub => cosmos_hub(path, &source)?,
        ValidatorFormat::EthereumEntities => source.each(path, ethereum_entity)?,
        ValidatorFormat::Columns => {
            let map = columns.ok_or_else(|| {
                let shape = "format `columns` without a column map".to_owned();
                DataError::file(path, DataProblem::UnknownShape(shape))
            })?;
            source.each(path, |row| by_columns(row, map, decimals))?
        }
    };
    Ok(ValidatorSet { format, unit: format.unit(decimals), validators })
}

/// Reads a non-negative decimal amount of tokens as an exact count of base units
/// (`"235248877.446939"` with 9 decimals is `235_248_877_446_939_000`).
///
/// Fraction digits past `decimals` are dropped (rounding toward zero). `None` for
/// anything but ASCII digits with at most one `.` (no sign, exponent or separators),
/// and on overflow. Surrounding whitespace is ignored.
pub fn parse_decimal_units(text: &str, decimals: u32) -> Option<u128> {
    let text = text.trim();
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits(whole) || !digits(fraction) {
        return None;
    }
    let scale = 10_u128.checked_pow(decimals)?;
    let whole_units = whole.bytes().try_fold(0_u128, |n, b| n.checked_mul(10)?.checked_add(u128::from(b - b'0')));
    let mut units = whole_units?.checked_mul(scale)?;
    let mut place = scale;
    for b in fraction.bytes().take(usize::try_from(decimals).unwrap_or(usize::MAX)) {
        place /= 10;
        units = units.checked_add(u128::from(b - b'0') * place)?;
    }
    Some(units)
}

fn solana(row: &Row<'_>) -> Result<Validator, DataError> {
    let id = match row.optional("vote_account")? {
        Some(vote_account) => vote_account,
        None => row.required("account")?,
    };
    let key = row.optional("data_center_key")?;
    let mut parts = key.as_deref().unwrap_or("").splitn(3, '-');
    let (_, code, place) = (parts.next(), parts.next(), parts.next().unwrap_or(""));
    let known = !place.is_empty() && place != "Unknown";
    let is_country = |c: &&str| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase());
    Ok(Validator {
        active: !row.flag("delinquent")?,
        asn: row.optional("autonomous_system_number")?.filter(|asn| asn != "0"),
        country: code.filter(is_country).map(str::to_owned),
        datacenter: key.filter(|_| known),
        client: row.optional("software_client")?.filter(|c| c != "Unknown"),
        ..base(id, row.stake("active_stake", 0)?)
    })
}

fn sui(row: &Row<'_>) -> Result<Validator, DataError> {
    let (cloud, city) = (row.optional("cloud")?, row.optional("city")?);
    let datacenter = match (&cloud, city) {
        (Some(cloud), Some(city)) => Some(format!("{cloud} / {city}")),
        (cloud, city) => cloud.clone().or(city),
    };
    let country = row.optional("country")?;
    Ok(Validator { asn: cloud, datacenter, country, ..base(row.required("name")?, row.stake("stake", 9)?) })
}

fn ethereum_entity(row: &Row<'_>) -> Result<Validator, DataError> {
    let entity = row.required("entity")?;
    Ok(Validator { operator: Some(entity.clone()), ..base(entity, row.stake("eth_deposited", 9)?) })
}

fn cosmos_hub(path: &Path, source: &Source) -> Result<Vec<Validator>, DataError> {
    let mut rows = source.each(path, |row| {
        let address = row.required("val_address")?;
        let id = row.optional("moniker")?.unwrap_or_else(|| address.clone());
        Ok((base(id, row.stake("tokens", 0)?), address))
    })?;
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by(|&a, &b| rows[b].0.stake.cmp(&rows[a].0.stake).then_with(|| rows[a].1.cmp(&rows[b].1)));
    for (rank, i) in order.into_iter().enumerate() {
        rows[i].0.active = rank < COSMOS_HUB_ACTIVE_SET;
    }
    Ok(rows.into_iter().map(|(validator, _)| validator).collect())
}

fn by_columns(row: &Row<'_>, map: &ColumnMap, decimals: u32) -> Result<Validator, DataError> {
    let (id, stake) = (row.required(&map.id)?, row.stake(&map.stake, decimals)?);
    let mapped = |column: &Option<String>| column.as_deref().map_or(Ok(None), |c| row.text(c));
    Ok(Validator {
        active: map.active.as_deref().map_or(Ok(true), |c| row.flag(c))?,
        operator: mapped(&map.operator)?,
        country: mapped(&map.country)?,
        asn: mapped(&map.asn)?,
        datacenter: mapped(&map.datacenter)?,
        client: mapped(&map.client)?,
        ..base(id, stake)
    })
}

/// An active validator with nothing known but its id and stake.
fn base(id: String, stake: u128) -> Validator {
    let (operator, country, asn, datacenter, client) = Default::default();
    Validator { id, stake, active: true, operator, country, asn, datacenter, client }
}

/// A validator file read into memory.
enum Source {
    Json(Vec<Value>),
    Csv { headers: csv::StringRecord, records: Vec<csv::StringRecord> },
}

impl Source {
    fn read(path: &Path) -> Result<Self, DataError> {
        let extension = path.extension().and_then(OsStr::to_str).map(str::to_ascii_lowercase);
        match extension.as_deref() {
            Some("json") => Ok(Self::Json(read_json_rows(path, None)?)),
            Some("csv") => {
                let mut reader = csv_reader(path)?;
                let headers = reader.headers().map_err(|e| csv_error(path, &e))?.clone();
                let records = reader.records().collect::<Result<_, _>>().map_err(|e| csv_error(path, &e))?;
                Ok(Self::Csv { headers, records })
            }
            _ => Err(DataError::file(path, DataProblem::UnknownShape("not a .json or .csv file".to_owned()))),
        }
    }

    fn shape(&self, path: &Path) -> Result<ValidatorFormat, DataError> {
        let (names, kind): (Vec<&str>, _) = match self {
            Self::Json(values) => {
                let first = values.first().ok_or_else(|| DataError::file(path, DataProblem::Empty))?;
                let keys = first.as_object().map(|o| o.keys().map(String::as_str).collect());
                (keys.unwrap_or_default(), "a JSON array of objects with keys")
            }
            Self::Csv { headers, .. } => (headers.iter().map(str::trim).collect(), "a CSV with columns"),
        };
        let has = |name: &str| names.contains(&name);
        match self {
            Self::Json(_) if has("active_stake") && (has("vote_account") || has("account")) => {
                Ok(ValidatorFormat::Solana)
            }
            Self::Json(_) if has("tokens") && has("val_address") => Ok(ValidatorFormat::CosmosHub),
            Self::Csv { .. } if ["name", "stake", "cloud", "city", "country"].iter().all(|n| has(n)) => {
                Ok(ValidatorFormat::Sui)
            }
            Self::Csv { .. } if has("entity") && has("eth_deposited") => Ok(ValidatorFormat::EthereumEntities),
            _ => Err(DataError::file(path, DataProblem::UnknownShape(format!("{kind} {}", names.join(", "))))),
        }
    }

    /// Applies `parse` to every row; `Empty` when there is none.
    fn each<T>(
        &self,
        path: &Path,
        mut parse: impl FnMut(&Row<'_>) -> Result<T, DataError>,
    ) -> Result<Vec<T>, DataError> {
        match self {
            Self::Json(values) => map_rows(path, values, |row| parse(&Row::Json(row))),
            Self::Csv { records, .. } if records.is_empty() => Err(DataError::file(path, DataProblem::Empty)),
            Self::Csv { headers, records } => records
                .iter()
                .map(|record| parse(&Row::Csv { path, line: record_line(record), headers, record }))
                .collect(),
        }
    }
}

/// One record of either kind, read as text by column name.
enum Row<'a> {
    Json(&'a JsonRow<'a>),
    Csv { path: &'a Path, line: usize, headers: &'a csv::StringRecord, record: &'a csv::StringRecord },
}

impl Row<'_> {
    /// The trimmed text at `column`, `None` when blank or null; `MissingColumn` when absent.
    fn text(&self, column: &str) -> Result<Option<String>, DataError> {
        let text = match self {
            Self::Json(row) => match row.get(column)? {
                Value::Null => return Ok(None),
                Value::String(text) => text.clone(),
                value @ (Value::Number(_) | Value::Bool(_)) => value.to_string(),
                Value::Array(_) | Value::Object(_) => {
                    return Err(row.bad(column, "a string, number or boolean"));
                }
            },
            Self::Csv { path, headers, record, .. } => {
                record.get(column_index(path, headers, column)?).unwrap_or_default().to_owned()
            }
        };
        let text = text.trim();
        Ok((!text.is_empty()).then(|| text.to_owned()))
    }

    /// Like [`Self::text`], but `None` when the column is absent.
    fn optional(&self, column: &str) -> Result<Option<String>, DataError> {
        let present = match self {
            Self::Json(row) => row.object().contains_key(column),
            Self::Csv { headers, .. } => headers.iter().any(|h| h.trim() == column),
        };
        if present { self.text(column) } else { Ok(None) }
    }

    fn required(&self, column: &str) -> Result<String, DataError> {
        self.text(column)?.ok_or_else(|| self.bad(column, "", "a non-empty value"))
    }

    fn stake(&self, column: &str, decimals: u32) -> Result<u128, DataError> {
        let text = self.text(column)?.unwrap_or_default();
        parse_decimal_units(&text, decimals).ok_or_else(|| self.bad(column, &text, "a non-negative decimal amount"))
    }

    fn flag(&self, column: &str) -> Result<bool, DataError> {
        let text = self.text(column)?.unwrap_or_default();
        match text.to_ascii_lowercase().as_str() {
            "true" | "1" => Ok(true),
            "false" | "0" => Ok(false),
            _ => Err(self.bad(column, &text, "true, false, 1 or 0")),
        }
    }

    fn bad(&self, column: &str, found: &str, expected: &'static str) -> DataError {
        let problem = bad_value(column, found, expected);
        match self {
            Self::Json(row) => row.error(problem),
            Self::Csv { path, line, .. } => DataError::row(path, *line, problem),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const VALIDATORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/validators");
    const SOLANA: &str = "solana_epoch860.json";
    const SUI: &str = "sui_validators.csv";
    const COSMOS: &str = "cosmoshub_height10562840.json";
    const ETHEREUM: &str = "ethereum_staking_entities_2023-04-19.csv";

    fn real(file: &str) -> std::path::PathBuf {
        Path::new(VALIDATORS).join(file)
    }

    /// Writes `text` to a fresh file named `name` and loads it.
    fn load_text(
        name: &str,
        text: &str,
        columns: Option<&ColumnMap>,
        decimals: u32,
    ) -> Result<ValidatorSet, DataError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        load_validators(&path, None, columns, decimals)
    }

    fn problem(result: Result<ValidatorSet, DataError>) -> (Option<usize>, DataProblem) {
        let error = result.unwrap_err();
        (error.row, error.problem)
    }

    #[test]
    fn every_real_file_is_detected_and_no_file_is_left_untested() {
        let files = [
            (SOLANA, ValidatorFormat::Solana),
            (SUI, ValidatorFormat::Sui),
            (COSMOS, ValidatorFormat::CosmosHub),
            (ETHEREUM, ValidatorFormat::EthereumEntities),
        ];
        for (file, format) in files {
            assert_eq!(detect_format(&real(file)).unwrap(), format, "{file}");
        }
        for entry in std::fs::read_dir(VALIDATORS).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            assert!(files.iter().any(|(f, _)| *f == name), "{name} is not tested");
        }
    }

    #[test]
    fn solana_counts_stake_of_validators_not_delinquent() {
        let set = load_validators(&real(SOLANA), None, None, 0).unwrap();
        assert_eq!(set.unit, StakeUnit { symbol: "SOL".into(), decimals: 9 });
        assert_eq!((set.validators.len(), set.active().count()), (963, 955));
        // python3 -c "import json; s=json.load(open('solana_epoch860.json'));
        //   print(sum(v['active_stake'] for v in s if not v['delinquent']))"
        assert_eq!(set.total_active_stake(), 414_457_672_340_656_315);
        let first = &set.validators[0];
        assert_eq!(
            (first.id.as_str(), first.stake),
            ("5eJQDSbgTZSEmH3zSWDEdAKgjavUUn9BkouCFNLz1x93", 32_033_159_813_978)
        );
        assert_eq!(first.country.as_deref(), Some("DE"));
        assert_eq!((first.asn.as_deref(), first.datacenter.as_deref()), (Some("395201"), Some("395201-DE-Fechenheim")));
        assert_eq!((first.client.as_deref(), first.operator.as_deref()), (Some("JitoLabs"), None));
        // Keys `0--Unknown` (3) have no data center; with `29066--Europe/Vaduz` (4), no country.
        assert_eq!(set.validators.iter().filter(|v| v.datacenter.is_none()).count(), 3);
        assert_eq!(set.validators.iter().filter(|v| v.country.is_none()).count(), 7);
    }

    #[test]
    fn sui_stakes_become_mist_exactly() {
        let set = load_validators(&real(SUI), None, None, 0).unwrap();
        assert_eq!((set.validators.len(), set.active().count()), (106, 106));
        // python3 -c "import csv; from decimal import Decimal as D; r=list(csv.DictReader(open('sui_validators.csv')));
        //   print(sum(int(D(x['stake'])*10**9) for x in r))"
        assert_eq!(set.total_active_stake(), 8_079_274_410_851_082_800);
        let first = &set.validators[0]; // Mysten-1,235248877.446939,"The Constant Company, LLC",Santa Clara,US
        assert_eq!((first.id.as_str(), first.stake), ("Mysten-1", 235_248_877_446_939_000));
        assert_eq!(first.asn.as_deref(), Some("The Constant Company, LLC"));
        assert_eq!(first.datacenter.as_deref(), Some("The Constant Company, LLC / Santa Clara"));
        let stakely = set.validators.iter().find(|v| v.id == "Stakely").unwrap(); // no cloud, city, country
        assert_eq!((&stakely.asn, &stakely.datacenter, &stakely.country), (&None, &None, &None));
    }

    #[test]
    fn cosmos_hub_activates_the_175_largest() {
        let set = load_validators(&real(COSMOS), None, None, 0).unwrap();
        assert_eq!(set.unit, StakeUnit { symbol: "ATOM".into(), decimals: 6 });
        assert_eq!((set.validators.len(), set.active().count()), (387, 175));
        // python3 -c "import json; c=json.load(open('cosmoshub_height10562840.json'));
        //   t=sorted(-int(v['tokens']) for v in c); print(-sum(t[:175]), -t[174], -t[175])"
        assert_eq!(set.total_active_stake(), 184_812_384_524_694);
        let smallest_active = set.active().map(|v| v.stake).min().unwrap();
        let largest_inactive = set.validators.iter().filter(|v| !v.active).map(|v| v.stake).max().unwrap();
        assert_eq!((smallest_active, largest_inactive), (31_524_961_939, 30_070_858_218));
        // One validator has an empty moniker; it goes by its operator address.
        assert!(set.validators.iter().any(|v| v.id == "cosmosvaloper1p42rgfdq500nlt387l4f0vfv5p90dl6ftr8jds"));
    }

    #[test]
    fn ethereum_entities_skip_the_source_line_and_count_gwei() {
        let set = load_validators(&real(ETHEREUM), None, None, 0).unwrap();
        assert_eq!((set.validators.len(), set.active().count()), (68, 68));
        // python3 -c "import csv; from decimal import Decimal as D; r=list(csv.DictReader(open(
        //   'ethereum_staking_entities_2023-04-19.csv').readlines()[1:])); print(sum(int(D(x['eth_deposited'])*10**9) for x in r))"
        assert_eq!(set.total_active_stake(), 18_748_864_000_000_000);
        let lido = &set.validators[0]; // 1,Lido,5792448,181014,0.30894928
        assert_eq!(
            (lido.id.as_str(), lido.operator.as_deref(), lido.stake),
            ("Lido", Some("Lido"), 5_792_448_000_000_000)
        );
    }

    #[test]
    fn column_map_reads_csv_and_json() {
        let mut map = ColumnMap::new("node", "bond");
        map.country = Some("cc".into());
        map.active = Some("up".into());
        let csv = "# source: made up\nnode,bond,cc,up\na,1.5,DE,true\nb,2,,0\nc,0.0000009,US,1\n";
        let set = load_text("set.csv", csv, Some(&map), 6).unwrap();
        assert_eq!((set.format, set.unit.decimals), (ValidatorFormat::Columns, 6));
        let stakes: Vec<_> = set.validators.iter().map(|v| (v.stake, v.active, v.country.as_deref())).collect();
        assert_eq!(stakes, [(1_500_000, true, Some("DE")), (2_000_000, false, None), (0, true, Some("US"))]);
        assert_eq!(set.total_active_stake(), 1_500_000);
        let json =
            r#"[{"node": "a", "bond": 3, "cc": "FR", "up": true}, {"node": "b", "bond": "0.25", "cc": null, "up": 0}]"#;
        let set = load_text("set.json", json, Some(&map), 2).unwrap();
        let stakes: Vec<_> = set.validators.iter().map(|v| (v.stake, v.active, v.country.as_deref())).collect();
        assert_eq!(stakes, [(300, true, Some("FR")), (25, false, None)]);
    }

    #[test]
    fn decimal_units_are_exact_and_truncate_past_the_decimals() {
        let cases = [
            ("235248877.446939", 9, Some(235_248_877_446_939_000)),
            ("5792448", 9, Some(5_792_448_000_000_000)),
            (" 12. ", 2, Some(1200)),
            (".5", 1, Some(5)),
            ("1.999", 2, Some(199)),
            ("0.0000009", 6, Some(0)),
            ("340282366920938463463374607431768211455", 0, Some(u128::MAX)),
            ("340282366920938463463374607431768211456", 0, None),
            ("1", 39, None),
            ("-1", 0, None),
            ("+1", 0, None),
            ("1e9", 0, None),
            ("1,000", 0, None),
            ("1.2.3", 2, None),
            (".", 2, None),
            ("", 2, None),
        ];
        for (text, decimals, expected) in cases {
            assert_eq!(parse_decimal_units(text, decimals), expected, "{text:?}");
        }
    }

    #[test]
    fn missing_and_unrecognized_files_are_named() {
        let error = load_validators(Path::new("/nonexistent/set.json"), None, None, 0).unwrap_err();
        assert_eq!(error.problem, DataProblem::Missing);
        let (_, shape) = problem(load_text("set.csv", "a,b\n1,2\n", None, 0));
        assert_eq!(shape, DataProblem::UnknownShape("a CSV with columns a, b".into()));
        let (_, no_map) = problem(load_validators(&real(SUI), Some(ValidatorFormat::Columns), None, 0));
        assert!(matches!(no_map, DataProblem::UnknownShape(_)));
        assert_eq!(problem(load_text("set.json", "[]", None, 0)), (None, DataProblem::Empty));
    }

    #[test]
    fn truncated_solana_json_is_malformed_at_the_element() {
        let text = std::fs::read_to_string(real(SOLANA)).unwrap();
        let (row, problem) = problem(load_text("set.json", &text[..text.len() / 2], None, 0));
        assert!(matches!(problem, DataProblem::Malformed { format: "JSON", .. }), "{problem}");
        // The cut falls inside element 470: python3 -c "t=open('solana_epoch860.json').read();
        //   print(t[:len(t)//2].count('\"network\"'))" (the file is ASCII, so bytes are chars).
        assert_eq!(row, Some(470));
    }

    #[test]
    fn bad_stake_text_is_a_bad_value_at_its_row() {
        let sui = "name,stake,cloud,city,country\nA,1.5,X,Y,US\nB,12 SUI,X,Y,US\n";
        let expected = bad_value("stake", "12 SUI", "a non-negative decimal amount");
        assert_eq!(problem(load_text("sui.csv", sui, None, 0)), (Some(3), expected));
        let cosmos = r#"[{"val_address": "v1", "moniker": "m", "tokens": "10"}, {"val_address": "v2", "moniker": "n", "tokens": "-4"}]"#;
        let expected = bad_value("tokens", "-4", "a non-negative decimal amount");
        assert_eq!(problem(load_text("cosmos.json", cosmos, None, 0)), (Some(2), expected));
        let map = ColumnMap { active: Some("up".into()), ..ColumnMap::new("node", "bond") };
        let flags = "node,bond,up\na,1,yes\n";
        assert_eq!(
            problem(load_text("f.csv", flags, Some(&map), 0)),
            (Some(2), bad_value("up", "yes", "true, false, 1 or 0"))
        );
        let missing =
            DataProblem::MissingColumn { column: "bond".into(), available: vec!["node".into(), "stake".into()] };
        assert_eq!(problem(load_text("m.csv", "node,stake\na,1\n", Some(&map), 0)), (None, missing));
    }
}
