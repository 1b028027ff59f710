//! One-day crisis replays in `crises/`: ETH/USD 10-minute bars (`eth_10min/`), Uniswap
//! v2 ETH/DAI reserves (`uniswap_v2_eth_dai/`) and gas price statistics (`gas/`), all
//! from BerkeleyBlockchain/stablesims `feeds/`, 144 rows a day, one every 10 minutes.
//!
//! This module also holds the JSON plumbing the other loaders share.

use std::cell::Cell;
use std::fmt;
use std::path::Path;

use serde::Serialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::prices::{bad_value, io_error};
use super::{DataError, DataProblem};

const WEI_PER_GWEI: f64 = 1e9;

/// One OHLCV bar of ETH/USD.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bar {
    /// Start of the bar, unix seconds (`time_period_start`).
    pub start_s: i64,
    /// First trade price, USD.
    pub open: f64,
    /// Highest trade price, USD.
    pub high: f64,
    /// Lowest trade price, USD.
    pub low: f64,
    /// Last trade price, USD.
    pub close: f64,
    /// ETH traded during the bar.
    pub volume: f64,
    /// Number of trades.
    pub trades: u64,
}

/// Reserves of the Uniswap v2 ETH/DAI pool at one bar.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PoolReserves {
    /// WETH held by the pool, in ETH.
    pub weth: f64,
    /// DAI held by the pool, in DAI.
    pub dai: f64,
}

impl PoolReserves {
    /// The pool's marginal price, DAI per WETH (`dai / weth`, before the 0.3 % fee).
    pub fn dai_per_weth(&self) -> f64 {
        self.dai / self.weth
    }
}

/// Gas prices paid during one 10-minute window, in gwei.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GasStats {
    /// Start of the window, unix seconds (the file's `timestamp` column).
    pub timestamp_s: i64,
    /// Mean gas price (`avgGasDay`).
    pub average_gwei: f64,
    /// 30th percentile (`30.0 Perc`).
    pub p30_gwei: f64,
    /// 60th percentile (`60.0 Perc`).
    pub p60_gwei: f64,
    /// 90th percentile (`90.0 Perc`).
    pub p90_gwei: f64,
    /// Highest price paid (`100.0 Perc`).
    pub max_gwei: f64,
}

/// Reads ETH/USD bars: a JSON array of objects with `time_period_start` (RFC 3339),
/// `price_open`, `price_high`, `price_low`, `price_close`, `volume_traded` and
/// `trades_count`; other keys are ignored.
///
/// # Errors
/// `Missing`, `Malformed` (JSON syntax, at the array element where it broke),
/// `MissingColumn` (a key absent from an element), `BadValue` (a time that is not RFC
/// 3339, a price that is not positive, `low` above `open` or `close`, `high` below
/// them, a negative volume, a trade count that is not a whole number), `OutOfOrder`
/// and `Empty`.
pub fn load_bars(path: &Path) -> Result<Vec<Bar>, DataError> {
    let mut previous_s = None;
    map_rows(path, &read_json_rows(path, None)?, |row| {
        let start_s = row.time("time_period_start")?;
        previous_s = Some(row.after(previous_s, start_s)?);
        let [open, high, low, close] =
            ["price_open", "price_high", "price_low", "price_close"].map(|key| row.positive(key));
        let (open, high, low, close) = (open?, high?, low?, close?);
        if low > open.min(close) {
            return Err(row.bad("price_low", "at most price_open and price_close"));
        }
        if high < open.max(close) {
            return Err(row.bad("price_high", "at least price_open and price_close"));
        }
        let volume = row.non_negative("volume_traded")?;
        let trades = row.get("trades_count")?.as_u64();
        let trades = trades.ok_or_else(|| row.bad("trades_count", "a whole number of trades"))?;
        Ok(Bar { start_s, open, high, low, close, volume, trades })
    })
}

/// Reads Uniswap v2 ETH/DAI reserves: a JSON array of `{"DAI": ..., "WETH": ...}`.
///
/// # Errors
/// `Missing`, `Malformed`, `MissingColumn`, `BadValue` (a reserve that is not a
/// positive finite number) and `Empty`.
pub fn load_uniswap_v2_reserves(path: &Path) -> Result<Vec<PoolReserves>, DataError> {
    map_rows(path, &read_json_rows(path, None)?, |row| {
        Ok(PoolReserves { weth: row.positive("WETH")?, dai: row.positive("DAI")? })
    })
}

/// Reads gas statistics: a pandas "table" JSON object whose `data` array holds one
/// object per 10-minute window, with prices in wei (converted here to gwei).
///
/// Times come from `timestamp` (RFC 3339 UTC, e.g. `2020-03-12T23:50:00.000Z`). The
/// `datetime` column is not used: it is a 12-hour clock without AM/PM (midnight
/// reads `12:00:00`, 23:50 reads `11:50:00`), so it cannot be told apart.
///
/// # Errors
/// `Missing`, `Malformed`, `MissingColumn` (no `data`, or a key absent from a row),
/// `BadValue` (a time that is not RFC 3339, a price that is negative or not finite,
/// percentiles out of order: 30th <= 60th <= 90th <= max), `OutOfOrder` and `Empty`.
pub fn load_gas(path: &Path) -> Result<Vec<GasStats>, DataError> {
    let mut previous_s = None;
    map_rows(path, &read_json_rows(path, Some("data"))?, |row| {
        let timestamp_s = row.time("timestamp")?;
        previous_s = Some(row.after(previous_s, timestamp_s)?);
        let keys = ["avgGasDay", "30.0 Perc", "60.0 Perc", "90.0 Perc", "100.0 Perc"];
        let [average, p30, p60, p90, max] = keys.map(|key| row.non_negative(key));
        let [average_gwei, p30_gwei, p60_gwei, p90_gwei, max_gwei] =
            [average?, p30?, p60?, p90?, max?].map(|wei| wei / WEI_PER_GWEI);
        let ordered = [
            ("60.0 Perc", p30_gwei <= p60_gwei, "at least the 30th percentile"),
            ("90.0 Perc", p60_gwei <= p90_gwei, "at least the 60th percentile"),
            ("100.0 Perc", p90_gwei.max(average_gwei) <= max_gwei, "at least p90 and the average"),
        ];
        if let Some((key, _, expected)) = ordered.into_iter().find(|(_, ok, _)| !ok) {
            return Err(row.bad(key, expected));
        }
        Ok(GasStats { timestamp_s, average_gwei, p30_gwei, p60_gwei, p90_gwei, max_gwei })
    })
}

/// Parses an RFC 3339 time (`2020-03-12T00:00:00.0000000Z`, `...+02:00`) to unix
/// seconds, dropping any fraction of a second. `None` when it is not one.
pub fn parse_rfc3339_s(text: &str) -> Option<i64> {
    let num = |from: usize, to: usize, max: i64| -> Option<i64> {
        let digits = text.get(from..to).filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
        digits.parse().ok().filter(|n| *n <= max)
    };
    let at = |i: usize| text.as_bytes().get(i).copied();
    let separators = [(4, b'-'), (7, b'-'), (13, b':'), (16, b':')];
    if separators.iter().any(|&(i, c)| at(i) != Some(c)) || !matches!(at(10), Some(b'T' | b't')) {
        return None;
    }
    let (year, month) = (num(0, 4, 9999)?, num(5, 7, 12).filter(|m| *m >= 1)?);
    let day = num(8, 10, days_in_month(year, month)).filter(|d| *d >= 1)?;
    let (hour, minute, second) = (num(11, 13, 23)?, num(14, 16, 59)?, num(17, 19, 59)?);
    let fraction =
        text.get(19..)?.strip_prefix('.').map_or(0, |f| 1 + f.bytes().take_while(u8::is_ascii_digit).count());
    let zone = 19 + fraction;
    if fraction == 1 {
        return None; // a `.` without digits
    }
    let offset_s = match at(zone)? {
        b'Z' | b'z' if text.len() == zone + 1 => 0,
        sign @ (b'+' | b'-') if text.len() == zone + 6 && at(zone + 3) == Some(b':') => {
            let offset_s = num(zone + 1, zone + 3, 23)? * 3600 + num(zone + 4, zone + 6, 59)? * 60;
            if sign == b'+' { offset_s } else { -offset_s }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month, day);
    Some(days * 86_400 + hour * 3600 + minute * 60 + second - offset_s)
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: i64) -> i64 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar.
///
/// # Formula
/// Howard Hinnant's `days_from_civil` (<https://howardhinnant.github.io/date_algorithms.html>):
/// count from 0000-03-01 in 400-year eras of 146,097 days, with March as month 0 so
/// that the leap day ends the year.
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Applies `parse` to each element of a JSON array, with its 1-based index; `Empty`
/// when there is none.
pub(super) fn map_rows<T>(
    path: &Path,
    values: &[Value],
    mut parse: impl FnMut(&JsonRow<'_>) -> Result<T, DataError>,
) -> Result<Vec<T>, DataError> {
    if values.is_empty() {
        return Err(DataError::file(path, DataProblem::Empty));
    }
    values.iter().enumerate().map(|(i, value)| parse(&JsonRow::new(path, i + 1, value)?)).collect()
}

/// One JSON object of an array, with its place, for error messages.
pub(super) struct JsonRow<'a> {
    path: &'a Path,
    row: usize,
    object: &'a Map<String, Value>,
}

impl<'a> JsonRow<'a> {
    /// Element `row` (1-based) of the file's array; `BadValue` when not an object.
    pub(super) fn new(path: &'a Path, row: usize, value: &'a Value) -> Result<Self, DataError> {
        let object = value
            .as_object()
            .ok_or_else(|| DataError::row(path, row, bad_value("(element)", &value.to_string(), "a JSON object")))?;
        Ok(Self { path, row, object })
    }

    /// The object itself.
    pub(super) fn object(&self) -> &'a Map<String, Value> {
        self.object
    }

    /// The value at `key`; `MissingColumn` when absent.
    pub(super) fn get(&self, key: &str) -> Result<&'a Value, DataError> {
        self.object.get(key).ok_or_else(|| {
            let available = self.object.keys().cloned().collect();
            self.error(DataProblem::MissingColumn { column: key.to_owned(), available })
        })
    }

    /// An error at this row.
    pub(super) fn error(&self, problem: DataProblem) -> DataError {
        DataError::row(self.path, self.row, problem)
    }

    /// `BadValue` for the value at `key` (or `null` when absent).
    pub(super) fn bad(&self, key: &str, expected: &'static str) -> DataError {
        let found = self.object.get(key).map_or_else(|| "null".to_owned(), Value::to_string);
        self.error(bad_value(key, &found, expected))
    }

    fn number(&self, key: &str, ok: impl Fn(f64) -> bool, expected: &'static str) -> Result<f64, DataError> {
        let value = self.get(key)?.as_f64().filter(|x| x.is_finite() && ok(*x));
        value.ok_or_else(|| self.bad(key, expected))
    }

    fn positive(&self, key: &str) -> Result<f64, DataError> {
        self.number(key, |x| x > 0.0, "a positive number")
    }

    fn non_negative(&self, key: &str) -> Result<f64, DataError> {
        self.number(key, |x| x >= 0.0, "a non-negative number")
    }

    fn time(&self, key: &str) -> Result<i64, DataError> {
        let text = self.get(key)?.as_str();
        text.and_then(parse_rfc3339_s).ok_or_else(|| self.bad(key, "an RFC 3339 time"))
    }

    /// `time_s`, when it comes strictly after `previous_s`; `OutOfOrder` otherwise.
    fn after(&self, previous_s: Option<i64>, time_s: i64) -> Result<i64, DataError> {
        match previous_s {
            Some(previous) if time_s <= previous => {
                Err(self.error(DataProblem::OutOfOrder { found: time_s, previous }))
            }
            _ => Ok(time_s),
        }
    }
}

/// Reads the JSON array at the top of `path`, or under `key` of the top-level object.
///
/// A syntax error inside the array (a truncated file) is `Malformed` at the 1-based
/// index of the element being read when it broke.
pub(super) fn read_json_rows(path: &Path, key: Option<&str>) -> Result<Vec<Value>, DataError> {
    let bytes = std::fs::read(path).map_err(|e| io_error(path, &e))?;
    let progress = Progress::default();
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let parsed = match key {
        None => CountedArray(&progress).deserialize(&mut deserializer).map(Some),
        Some(key) => de::Deserializer::deserialize_map(&mut deserializer, ArrayUnder { key, progress: &progress }),
    };
    let rows = parsed.and_then(|rows| deserializer.end().map(|()| rows)).map_err(|e| {
        let problem = DataProblem::Malformed { format: "JSON", message: e.to_string() };
        if progress.inside.get() {
            DataError::row(path, progress.done.get() + 1, problem)
        } else {
            DataError::file(path, problem)
        }
    })?;
    rows.ok_or_else(|| {
        let column = key.unwrap_or_default().to_owned();
        DataError::file(path, DataProblem::MissingColumn { column, available: progress.keys.take() })
    })
}

/// How far a [`CountedArray`] got, readable after the parse failed.
#[derive(Default)]
struct Progress {
    inside: Cell<bool>,
    done: Cell<usize>,
    keys: Cell<Vec<String>>,
}

/// Deserializes a JSON array of values, counting the elements as they complete.
struct CountedArray<'a>(&'a Progress);

impl<'de> DeserializeSeed<'de> for CountedArray<'_> {
    type Value = Vec<Value>;

    fn deserialize<D: de::Deserializer<'de>>(self, deserializer: D) -> Result<Vec<Value>, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for CountedArray<'_> {
    type Value = Vec<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<Value>, A::Error> {
        self.0.inside.set(true);
        let mut rows = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(value) = seq.next_element()? {
            rows.push(value);
            self.0.done.set(rows.len());
        }
        self.0.inside.set(false);
        Ok(rows)
    }
}

/// Deserializes a JSON object, keeping only the array under `key` (`None` without it).
struct ArrayUnder<'a> {
    key: &'a str,
    progress: &'a Progress,
}

impl<'de> Visitor<'de> for ArrayUnder<'_> {
    type Value = Option<Vec<Value>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a JSON object with an array under `{}`", self.key)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut rows, mut keys) = (None, Vec::new());
        while let Some(key) = map.next_key::<String>()? {
            if key == self.key {
                rows = Some(map.next_value_seed(CountedArray(self.progress))?);
            } else {
                map.next_value::<IgnoredAny>()?;
            }
            keys.push(key);
        }
        self.progress.keys.set(keys);
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CRISES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/crises");
    const DAYS: [&str; 5] = ["01-11-2021", "01-21-2021", "02-22-2021", "03-12-2020", "05-19-2021"];

    fn real(dir: &str, day: &str) -> std::path::PathBuf {
        Path::new(CRISES).join(dir).join(format!("{day}.json"))
    }

    /// Writes `text` to a fresh file and loads it with `load`.
    fn load_text<T>(text: &str, load: fn(&Path) -> Result<T, DataError>) -> Result<T, DataError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("file.json");
        std::fs::write(&path, text).unwrap();
        load(&path)
    }

    fn error_of<T: fmt::Debug>(text: &str, load: fn(&Path) -> Result<T, DataError>) -> (Option<usize>, DataProblem) {
        let error = load_text(text, load).unwrap_err();
        (error.row, error.problem)
    }

    /// Equal to within a few ulps: serde_json without its `float_roundtrip` feature
    /// may read a decimal one ulp away from Python's correctly rounded value.
    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() <= 4.0 * f64::EPSILON * a.abs().max(b.abs())
    }

    #[test]
    fn no_crisis_file_is_left_untested() {
        for dir in ["eth_10min", "uniswap_v2_eth_dai", "gas"] {
            for entry in std::fs::read_dir(Path::new(CRISES).join(dir)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().into_owned();
                assert!(DAYS.iter().any(|d| format!("{d}.json") == name), "{dir}/{name}");
            }
        }
    }

    #[test]
    fn eth_bars_load_for_every_day() {
        // (day, start of the day, first price_open, last price_close, lowest price_low):
        // python3 -c "import json; e=json.load(open(F)); print(e[0]['price_open'],
        //   e[-1]['price_close'], min(x['price_low'] for x in e))"; calendar.timegm for the start.
        let expected = [
            ("01-11-2021", 1_610_323_200, 1255.0, 1089.01, 902.0),
            ("01-21-2021", 1_611_187_200, 1377.42, 1110.7, 1083.21),
            ("02-22-2021", 1_613_952_000, 1936.14, 1778.12, 1507.58),
            ("03-12-2020", 1_583_971_200, 195.21, 107.52, 101.01),
            ("05-19-2021", 1_621_382_400, 3375.69, 2445.07, 1862.04),
        ];
        for (day, start_s, open, close_usd, low) in expected {
            let bars = load_bars(&real("eth_10min", day)).unwrap();
            assert_eq!(bars.len(), 144, "{day}");
            assert!(bars.iter().zip(0..).all(|(b, i)| b.start_s == start_s + 600 * i), "{day}");
            assert!(close(bars[0].open, open) && close(bars[143].close, close_usd), "{day}");
            assert!(close(bars.iter().map(|b| b.low).fold(f64::INFINITY, f64::min), low), "{day}");
        }
    }

    #[test]
    fn black_thursday_opens_near_195_and_falls_below_110() {
        let bars = load_bars(&real("eth_10min", "03-12-2020")).unwrap();
        assert!((bars[0].open - 195.0).abs() < 1.0);
        // This feed's lowest low is 101.01: it never printed below 100 USD that day.
        assert!(bars.iter().any(|b| b.low < 110.0));
        assert!(close(bars[0].volume, 69.682_075_4) && bars[0].trades == 27);
    }

    #[test]
    fn uniswap_reserves_load_for_every_day_with_a_pool() {
        // First and last (WETH, DAI): python3 -c "import json; u=json.load(open(F)); print(u[0], u[-1])".
        let expected = [
            (
                "01-11-2021",
                [94_422.423_174_488_59, 101_582_543.499_123_35, 91_254.005_728_005_87, 104_235_555.224_801_91],
            ),
            ("01-21-2021", [82_543.154_968_459_74, 108_218_929.471_101_8, 80_551.219_505_215_75, 91_896_176.355_853_7]),
            (
                "02-22-2021",
                [42_554.078_998_203_97, 80_035_208.386_644_14, 40_749.511_431_217_68, 65_452_721.496_661_63],
            ),
            (
                "05-19-2021",
                [23_221.346_350_380_82, 67_923_883.662_778_82, 23_229.751_072_212_523, 61_614_423.799_252_58],
            ),
        ];
        for (day, pinned) in expected {
            let pool = load_uniswap_v2_reserves(&real("uniswap_v2_eth_dai", day)).unwrap();
            assert_eq!(pool.len(), 144, "{day}");
            let found = [pool[0].weth, pool[0].dai, pool[143].weth, pool[143].dai];
            assert!(found.iter().zip(pinned).all(|(f, p)| close(*f, p)), "{day}: {found:?}");
        }
        let missing = load_uniswap_v2_reserves(&real("uniswap_v2_eth_dai", "03-12-2020")).unwrap_err();
        assert_eq!(missing.problem, DataProblem::Missing);
    }

    #[test]
    fn gas_loads_for_every_day_in_gwei() {
        // (day, first `timestamp`, first avgGasDay and last `100.0 Perc`, in wei): python3 -c
        // "import json; g=json.load(open(F))['data']; print(g[0]['timestamp'], g[0]['avgGasDay'], g[-1]['100.0 Perc'])"
        let expected = [
            ("01-11-2021", "2021-01-11T00:00:00.000Z", 98_380_254_294.062_03, 3_746_650_077_226.0),
            ("01-21-2021", "2021-01-21T00:00:00.000Z", 104_505_486_856.685_58, 1_970_356_617_475.0),
            ("02-22-2021", "2020-02-22T00:00:00.000Z", 5_522_483_224.322_909, 600_000_000_000.0),
            ("03-12-2020", "2020-03-12T00:00:00.000Z", 9_899_718_140.504_95, 7_324_118_900_682.0),
            ("05-19-2021", "2021-05-19T00:00:00.000Z", 77_684_165_707.038_27, 15_431_369_000_874.0),
        ];
        for (day, first_time, average_wei, max_wei) in expected {
            let gas = load_gas(&real("gas", day)).unwrap();
            assert_eq!(gas.len(), 144, "{day}");
            assert_eq!(Some(gas[0].timestamp_s), parse_rfc3339_s(first_time), "{day}");
            assert_eq!(gas[143].timestamp_s, gas[0].timestamp_s + 143 * 600, "{day}");
            assert!(close(gas[0].average_gwei, average_wei / 1e9), "{day}");
            assert!(close(gas[143].max_gwei, max_wei / 1e9), "{day}");
        }
    }

    /// Guards a quirk of the data, not of the loader: the gas file named 02-22-2021
    /// holds 2020-02-22, while the bars and reserves of that name hold 2021-02-22.
    #[test]
    fn gas_file_named_02_22_2021_holds_2020_02_22() {
        let gas = load_gas(&real("gas", "02-22-2021")).unwrap();
        assert_eq!(gas[0].timestamp_s, 1_582_329_600); // calendar.timegm((2020, 2, 22, 0, 0, 0))
    }

    #[test]
    fn rfc3339_times_parse_to_unix_seconds() {
        // Values from python3 calendar.timegm.
        let cases = [
            ("1970-01-01T00:00:00Z", Some(0)),
            ("2020-03-12T00:00:00.0000000Z", Some(1_583_971_200)),
            ("2020-03-12T23:50:00.000Z", Some(1_583_971_200 + 85_800)),
            ("2000-02-29T00:00:00Z", Some(951_782_400)),
            ("1969-12-31T00:00:00Z", Some(-86_400)),
            ("1600-03-01T00:00:00Z", Some(-11_670_912_000)),
            ("2020-03-12T02:00:00+02:00", Some(1_583_971_200)),
            ("2020-03-11T19:30:00-04:30", Some(1_583_971_200)),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_rfc3339_s(text), expected, "{text}");
        }
        let invalid = [
            "2021-02-29T00:00:00Z",
            "2020-13-01T00:00:00Z",
            "2020-03-12T24:00:00Z",
            "2020-03-12T00:00:00",
            "2020-03-12T00:00:00.Z",
            "2020-03-12 12:00:00",
            "2020-3-12T00:00:00Z",
            "2020-03-12T00:00:00+2:00",
            "",
        ];
        assert!(invalid.iter().all(|text| parse_rfc3339_s(text).is_none()));
    }

    #[test]
    fn truncated_json_is_malformed_at_the_element_it_broke_in() {
        let text = std::fs::read_to_string(real("eth_10min", "03-12-2020")).unwrap();
        // Keep the `[`, two whole bars of 12 lines each, and 5 lines of the third.
        let cut = text.lines().take(1 + 2 * 12 + 5).collect::<Vec<_>>().join("\n");
        let (row, problem) = error_of(&cut, load_bars);
        assert_eq!(row, Some(3));
        assert!(matches!(problem, DataProblem::Malformed { format: "JSON", .. }), "{problem}");
        let gas_cut = r#"{"schema": {}, "data": [{"timestamp": "2020-03-12T00:00:00Z"#;
        assert_eq!(error_of(gas_cut, load_gas).0, Some(1));
        assert_eq!(error_of(r#"{"schema": {"fields": []"#, load_gas).0, None);
    }

    #[test]
    fn inconsistent_or_repeated_bar_is_named_at_its_index() {
        let bar = |minute: u32, low: f64| {
            format!(
                r#"{{"time_period_start": "2020-03-12T00:{minute:02}:00.0000000Z", "price_open": 195.21,
                 "price_high": 195.43, "price_low": {low}, "price_close": 194.52,
                 "volume_traded": 69.68, "trades_count": 27}}"#
            )
        };
        let good = load_text(&format!("[{}, {}]", bar(0, 194.38), bar(10, 194.38)), load_bars).unwrap();
        assert_eq!(good[1].start_s, 1_583_971_200 + 600);
        let expected = bad_value("price_low", "194.6", "at most price_open and price_close");
        assert_eq!(error_of(&format!("[{}, {}]", bar(0, 194.38), bar(10, 194.6)), load_bars), (Some(2), expected));
        let expected = DataProblem::OutOfOrder { found: 1_583_971_200, previous: 1_583_971_200 };
        assert_eq!(error_of(&format!("[{}, {}]", bar(0, 194.38), bar(0, 194.38)), load_bars), (Some(2), expected));
    }

    #[test]
    fn bad_reserves_and_gas_rows_are_named() {
        let zero = error_of(r#"[{"DAI": 1.0, "WETH": 2.0}, {"DAI": 0, "WETH": 2.0}]"#, load_uniswap_v2_reserves);
        assert_eq!(zero, (Some(2), bad_value("DAI", "0", "a positive number")));
        let missing = DataProblem::MissingColumn { column: "WETH".into(), available: vec!["DAI".into()] };
        assert_eq!(error_of(r#"[{"DAI": 1.0}]"#, load_uniswap_v2_reserves), (Some(1), missing));
        assert_eq!(error_of("[]", load_uniswap_v2_reserves), (None, DataProblem::Empty));
        let no_data = DataProblem::MissingColumn { column: "data".into(), available: vec!["schema".into()] };
        assert_eq!(error_of(r#"{"schema": {}}"#, load_gas), (None, no_data));
        let row = r#"{"timestamp": "2020-03-12T00:00:00.000Z", "avgGasDay": 5e9, "30.0 Perc": 4e9,
                      "60.0 Perc": 3e9, "90.0 Perc": 6e9, "100.0 Perc": 7e9}"#;
        let expected = bad_value("60.0 Perc", "3000000000.0", "at least the 30th percentile");
        assert_eq!(error_of(&format!(r#"{{"data": [{row}]}}"#), load_gas), (Some(1), expected));
    }
}
