//! Hourly USD price histories: `prices/chainlink_hourly/*.csv` (unix seconds, Chainlink
//! feeds read through Compound v3) and `prices/coingecko_hourly/*.csv` (unix
//! milliseconds, CoinGecko), both with the columns `symbol,timestamp,USD_price`.
//!
//! This module also holds the CSV plumbing the other loaders share.

use std::fs::File;
use std::io;
use std::path::Path;

use serde::Serialize;

use super::{DataError, DataProblem};

/// Raw timestamps at or above this are unix milliseconds, below it unix seconds:
/// 1e11 seconds is the year 5138, 1e11 milliseconds is March 1973.
const MILLISECONDS_FROM: i64 = 100_000_000_000;

const SECONDS_PER_DAY: f64 = 86_400.0;

/// One observed price.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PricePoint {
    /// Unix time in whole seconds (milliseconds in the file are floored).
    pub timestamp_s: i64,
    /// Price of one unit in USD, positive and finite.
    pub price_usd: f64,
}

/// The prices of one asset from one source, in strictly increasing time order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PriceSeries {
    /// The asset, as the file's `symbol` column names it (`WETH`, `stETH`, ...).
    pub symbol: String,
    /// The observations, oldest first, timestamps strictly increasing.
    pub points: Vec<PricePoint>,
}

/// The convention a price file used for its `timestamp` column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[non_exhaustive]
pub enum TimestampUnit {
    /// Unix seconds (the Chainlink files).
    Seconds,
    /// Unix milliseconds (the CoinGecko files).
    Milliseconds,
}

impl TimestampUnit {
    fn of(raw: i64) -> Self {
        if raw >= MILLISECONDS_FROM { Self::Milliseconds } else { Self::Seconds }
    }

    fn to_seconds(self, raw: i64) -> i64 {
        match self {
            Self::Seconds => raw,
            Self::Milliseconds => raw.div_euclid(1000),
        }
    }

    fn same_as_first(self) -> &'static str {
        match self {
            Self::Seconds => "unix seconds, like the file's first timestamp",
            Self::Milliseconds => "unix milliseconds, like the file's first timestamp",
        }
    }
}

/// Reads a price history with the columns `symbol,timestamp,USD_price`.
///
/// The timestamp convention is detected from the first row (raw values of 1e11 and
/// more are milliseconds) and returned; every row must then use it. Rows with an
/// empty price before the first priced row are skipped (the feed was not live yet).
/// Timestamps, in whole seconds, must strictly increase over all rows: two rows in
/// the same second are [`DataProblem::OutOfOrder`] (the real files have none; the
/// closest CoinGecko rows are one second apart).
///
/// # Errors
/// [`DataProblem::Missing`] without the file; `MissingColumn`, `Malformed` (CSV
/// syntax, wrong field count), `BadValue` (a symbol different from the first row's, a
/// timestamp that is not a positive integer or switches unit, an empty, non-numeric
/// or non-positive price after the first priced row), `OutOfOrder`, and `Empty` when
/// no row has a price.
pub fn load_price_csv(path: &Path) -> Result<(PriceSeries, TimestampUnit), DataError> {
    let mut reader = csv_reader(path)?;
    let headers = reader.headers().map_err(|e| csv_error(path, &e))?.clone();
    if headers.is_empty() {
        return Err(DataError::file(path, DataProblem::Empty));
    }
    let [symbol_col, time_col, price_col] =
        ["symbol", "timestamp", "USD_price"].map(|name| column_index(path, &headers, name));
    let (symbol_col, time_col, price_col) = (symbol_col?, time_col?, price_col?);

    let mut symbol: Option<String> = None;
    let mut unit: Option<TimestampUnit> = None;
    let mut previous_s: Option<i64> = None;
    let mut points = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(path, &e))?;
        let row = record_line(&record);
        let field = |i: usize| record.get(i).unwrap_or("").trim();
        let bad = |column: &str, found: &str, expected| DataError::row(path, row, bad_value(column, found, expected));

        let found_symbol = field(symbol_col);
        match &symbol {
            None if found_symbol.is_empty() => return Err(bad("symbol", "", "an asset symbol")),
            None => symbol = Some(found_symbol.to_owned()),
            Some(first) if first != found_symbol => {
                return Err(bad("symbol", found_symbol, "the symbol of the file's first row"));
            }
            Some(_) => {}
        }

        let time_text = field(time_col);
        let raw = time_text
            .parse::<i64>()
            .ok()
            .filter(|t| *t > 0)
            .ok_or_else(|| bad("timestamp", time_text, "a positive integer unix time"))?;
        let this_unit = TimestampUnit::of(raw);
        match unit {
            None => unit = Some(this_unit),
            Some(first) if first != this_unit => {
                return Err(bad("timestamp", time_text, first.same_as_first()));
            }
            Some(_) => {}
        }
        let timestamp_s = this_unit.to_seconds(raw);
        if let Some(previous) = previous_s.filter(|p| timestamp_s <= *p) {
            let problem = DataProblem::OutOfOrder { found: timestamp_s, previous };
            return Err(DataError::row(path, row, problem));
        }
        previous_s = Some(timestamp_s);

        let price_text = field(price_col);
        if price_text.is_empty() && points.is_empty() {
            continue;
        }
        let price_usd = price_text
            .parse::<f64>()
            .ok()
            .filter(|p| p.is_finite() && *p > 0.0)
            .ok_or_else(|| bad("USD_price", price_text, "a positive price in USD"))?;
        points.push(PricePoint { timestamp_s, price_usd });
    }
    match (symbol, unit) {
        (Some(symbol), Some(unit)) if !points.is_empty() => Ok((PriceSeries { symbol, points }, unit)),
        _ => Err(DataError::file(path, DataProblem::Empty)),
    }
}

impl PriceSeries {
    /// The log returns between consecutive points, each with the time it spans.
    ///
    /// Yields `(dt_s, ln(p_i / p_{i-1}))`, one item fewer than there are points.
    pub fn log_returns(&self) -> impl Iterator<Item = (f64, f64)> + '_ {
        self.points.iter().zip(self.points.iter().skip(1)).map(|(before, after)| {
            let dt_s = (after.timestamp_s - before.timestamp_s) as f64;
            (dt_s, (after.price_usd / before.price_usd).ln())
        })
    }

    /// Realized daily volatility, robust to irregular spacing between points.
    ///
    /// # Formula
    /// `sigma_daily = sqrt( sum(r_i^2) / sum(dt_i in days) )` over the consecutive log
    /// returns `r_i` of [`Self::log_returns`]: the variance per day of a random walk
    /// sampled at uneven times (a gap of 12 hours contributes 12 hours of variance).
    ///
    /// `None` with fewer than two points, or when the points do not span positive
    /// time (possible only for a series built by hand, not one loaded from a file).
    pub fn daily_volatility(&self) -> Option<f64> {
        if self.points.len() < 2 {
            return None;
        }
        let (sum_sq, sum_dt_s) = self.log_returns().fold((0.0, 0.0), |(sq, dt), (dt_s, r)| (sq + r * r, dt + dt_s));
        let sigma = (sum_sq / (sum_dt_s / SECONDS_PER_DAY)).sqrt();
        (sum_dt_s > 0.0 && sigma.is_finite()).then_some(sigma)
    }
}

/// Turns a failure to open or read `path` into [`DataProblem::Missing`] or `Unreadable`.
pub(super) fn io_error(path: &Path, error: &io::Error) -> DataError {
    match error.kind() {
        io::ErrorKind::NotFound => DataError::file(path, DataProblem::Missing),
        _ => DataError::file(path, DataProblem::Unreadable(error.to_string())),
    }
}

/// A strict CSV reader over `path`: a header row, the same field count on every row,
/// and lines starting with `#` (a `# source:` provenance line) skipped as comments.
pub(crate) fn csv_reader(path: &Path) -> Result<csv::Reader<File>, DataError> {
    let file = File::open(path).map_err(|e| io_error(path, &e))?;
    Ok(csv::ReaderBuilder::new().comment(Some(b'#')).flexible(false).from_reader(file))
}

/// A CSV reader's error as a [`DataError`], at its line when it has one.
pub(crate) fn csv_error(path: &Path, error: &csv::Error) -> DataError {
    if let csv::ErrorKind::Io(e) = error.kind() {
        return io_error(path, e);
    }
    let message = match error.kind() {
        csv::ErrorKind::UnequalLengths { expected_len, len, .. } => {
            format!("{len} fields where the header has {expected_len} (a truncated or misaligned row)")
        }
        csv::ErrorKind::Utf8 { err, .. } => format!("field {} is not UTF-8", err.field() + 1),
        _ => error.to_string(),
    };
    let problem = DataProblem::Malformed { format: "CSV", message };
    match error.position() {
        Some(p) => DataError::row(path, usize::try_from(p.line()).unwrap_or(usize::MAX), problem),
        None => DataError::file(path, problem),
    }
}

/// The 1-based line a record starts on, counting the header and comment lines.
pub(crate) fn record_line(record: &csv::StringRecord) -> usize {
    record.position().map_or(0, |p| usize::try_from(p.line()).unwrap_or(usize::MAX))
}

/// The index of the header column `name`, or [`DataProblem::MissingColumn`].
pub(crate) fn column_index(path: &Path, headers: &csv::StringRecord, name: &str) -> Result<usize, DataError> {
    headers.iter().position(|h| h.trim() == name).ok_or_else(|| {
        let available = headers.iter().map(str::to_owned).collect();
        DataError::file(path, DataProblem::MissingColumn { column: name.to_owned(), available })
    })
}

/// [`DataProblem::BadValue`] from borrowed parts.
pub(super) fn bad_value(column: &str, found: &str, expected: &'static str) -> DataProblem {
    DataProblem::BadValue { column: column.to_owned(), found: found.to_owned(), expected }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PRICES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/prices");

    fn real(file: &str) -> std::path::PathBuf {
        Path::new(PRICES).join(file)
    }

    /// Writes `text` to a fresh file and loads it.
    fn load_text(text: &str) -> Result<(PriceSeries, TimestampUnit), DataError> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("prices.csv");
        std::fs::write(&path, text).unwrap();
        load_price_csv(&path)
    }

    fn problem_at(text: &str) -> (Option<usize>, DataProblem) {
        let error = load_text(text).unwrap_err();
        (error.row, error.problem)
    }

    // Usable rows per file: `wc -l` less the header, less leading empty prices (WBTC and
    // wstETH have 16,641 of them: their first price is 2024-06-28).
    const REAL_FILES: [(&str, usize, TimestampUnit); 11] = [
        ("chainlink_hourly/WBTC_usd.csv", 3_191, TimestampUnit::Seconds),
        ("chainlink_hourly/WETH_usd.csv", 19_831, TimestampUnit::Seconds),
        ("chainlink_hourly/cbETH_usd.csv", 16_170, TimestampUnit::Seconds),
        ("chainlink_hourly/wstETH_usd.csv", 3_191, TimestampUnit::Seconds),
        ("coingecko_hourly/DAI_usd.csv", 18_848, TimestampUnit::Milliseconds),
        ("coingecko_hourly/USDC_usd.csv", 18_869, TimestampUnit::Milliseconds),
        ("coingecko_hourly/USDT_usd.csv", 18_845, TimestampUnit::Milliseconds),
        ("coingecko_hourly/UST_usd.csv", 10_808, TimestampUnit::Milliseconds),
        ("coingecko_hourly/WBTC_usd.csv", 18_833, TimestampUnit::Milliseconds),
        ("coingecko_hourly/WETH_usd.csv", 18_861, TimestampUnit::Milliseconds),
        ("coingecko_hourly/stETH_usd.csv", 18_410, TimestampUnit::Milliseconds),
    ];

    #[test]
    fn every_real_price_file_loads_with_its_unit_and_row_count() {
        for (file, count, unit) in REAL_FILES {
            let (series, found_unit) = load_price_csv(&real(file)).unwrap();
            assert_eq!((series.points.len(), found_unit), (count, unit), "{file}");
            assert!(file.ends_with(&format!("/{}_usd.csv", series.symbol)), "{file}");
        }
    }

    #[test]
    fn no_real_price_file_is_left_untested() {
        for source in ["chainlink_hourly", "coingecko_hourly"] {
            for entry in std::fs::read_dir(Path::new(PRICES).join(source)).unwrap() {
                let name = format!("{source}/{}", entry.unwrap().file_name().to_string_lossy());
                assert!(REAL_FILES.iter().any(|(f, ..)| *f == name), "{name} is not in REAL_FILES");
            }
        }
    }

    #[test]
    fn chainlink_weth_skips_the_leading_empty_price_and_pins_its_ends() {
        let (series, _) = load_price_csv(&real("chainlink_hourly/WETH_usd.csv")).unwrap();
        // Lines 3 and 19833 of the file (line 2, 1660368917, has an empty price).
        assert_eq!(series.points[0], PricePoint { timestamp_s: 1_660_372_939, price_usd: 2015.2666 });
        let last = PricePoint { timestamp_s: 1_730_819_219, price_usd: 2447.42025583 };
        assert_eq!(series.points.last(), Some(&last));
    }

    #[test]
    fn daily_volatility_matches_numpy_on_chainlink_weth() {
        let (series, _) = load_price_csv(&real("chainlink_hourly/WETH_usd.csv")).unwrap();
        // python3 -c "import pandas as pd, numpy as np; d=pd.read_csv('chainlink_hourly/WETH_usd.csv').dropna();
        //   r=np.diff(np.log(d.USD_price.values)); dt=np.diff(d.timestamp.values)/86400; print(np.sqrt((r**2).sum()/dt.sum()))"
        let numpy = 0.031_406_154_099_366_13;
        let sigma = series.daily_volatility().unwrap();
        assert!((sigma / numpy - 1.0).abs() < 1e-12, "{sigma} vs {numpy}");
    }

    #[test]
    fn coingecko_milliseconds_become_seconds_and_volatility_matches_numpy() {
        let (series, _) = load_price_csv(&real("coingecko_hourly/WETH_usd.csv")).unwrap();
        // Line 2 of the file: WETH,1609460789131,732.0868622834124.
        assert_eq!(series.points[0].timestamp_s, 1_609_460_789);
        // Same one-liner with t=d.timestamp.values//1000 in place of d.timestamp.values.
        let numpy = 0.052_674_242_709_915_49;
        assert!((series.daily_volatility().unwrap() / numpy - 1.0).abs() < 1e-12);
    }

    #[test]
    fn daily_volatility_weights_returns_by_elapsed_days() {
        let at = |day: i64, price_usd: f64| PricePoint { timestamp_s: day * 86_400, price_usd };
        let e = std::f64::consts::E;
        // Returns 0.1 over one day then 0.2 over two days: sqrt((0.01 + 0.04) / 3).
        let points = vec![at(0, 1.0), at(1, e.powf(0.1)), at(3, e.powf(0.3))];
        let series = PriceSeries { symbol: "X".into(), points };
        let returns: Vec<_> = series.log_returns().collect();
        assert_eq!(returns.len(), 2);
        assert_eq!(returns[1].0, 172_800.0);
        assert!((series.daily_volatility().unwrap() - (0.05_f64 / 3.0).sqrt()).abs() < 1e-12);
        let single = PriceSeries { symbol: "X".into(), points: vec![at(0, 1.0)] };
        assert_eq!(single.daily_volatility(), None);
    }

    #[test]
    fn missing_file_is_missing() {
        let error = load_price_csv(Path::new("/nonexistent/WETH_usd.csv")).unwrap_err();
        assert_eq!((error.row, error.problem), (None, DataProblem::Missing));
    }

    #[test]
    fn empty_price_after_the_first_is_a_bad_value_at_its_line() {
        let text = "symbol,timestamp,USD_price\nX,100,\nX,200,1.5\nX,300,\n";
        assert_eq!(problem_at(text), (Some(4), bad_value("USD_price", "", "a positive price in USD")));
    }

    #[test]
    fn non_numeric_and_non_positive_prices_are_bad_values() {
        let head = "symbol,timestamp,USD_price\nX,100,1\n";
        for price in ["abc", "0", "-2", "NaN", "inf"] {
            let (row, problem) = problem_at(&format!("{head}X,200,{price}\n"));
            assert_eq!((row, problem), (Some(3), bad_value("USD_price", price, "a positive price in USD")));
        }
    }

    #[test]
    fn comment_lines_count_in_row_numbers() {
        let text = "# source: test\nsymbol,timestamp,USD_price\nX,200,1\nX,100,1\n";
        let expected = DataProblem::OutOfOrder { found: 100, previous: 200 };
        assert_eq!(problem_at(text), (Some(4), expected));
    }

    #[test]
    fn repeated_timestamp_is_out_of_order() {
        let text = "symbol,timestamp,USD_price\nX,1609460789131,1\nX,1609460789999,1\n";
        let expected = DataProblem::OutOfOrder { found: 1_609_460_789, previous: 1_609_460_789 };
        assert_eq!(problem_at(text), (Some(3), expected));
    }

    #[test]
    fn mixing_seconds_and_milliseconds_is_rejected() {
        let text = "symbol,timestamp,USD_price\nX,1660368917,1\nX,1660368917000,1\n";
        let expected = bad_value("timestamp", "1660368917000", TimestampUnit::Seconds.same_as_first());
        assert_eq!(problem_at(text), (Some(3), expected));
    }

    #[test]
    fn a_second_symbol_is_rejected() {
        let text = "symbol,timestamp,USD_price\nX,100,1\nY,200,1\n";
        let expected = bad_value("symbol", "Y", "the symbol of the file's first row");
        assert_eq!(problem_at(text), (Some(3), expected));
    }

    #[test]
    fn truncated_row_is_malformed_at_its_line() {
        let (row, problem) = problem_at("symbol,timestamp,USD_price\nX,100,1\nX,20");
        assert_eq!(row, Some(3));
        assert!(matches!(problem, DataProblem::Malformed { format: "CSV", .. }), "{problem:?}");
    }

    #[test]
    fn missing_column_and_empty_files_are_named() {
        let (_, problem) = problem_at("symbol,time,USD_price\nX,100,1\n");
        assert!(matches!(problem, DataProblem::MissingColumn { ref column, .. } if column == "timestamp"));
        assert_eq!(problem_at(""), (None, DataProblem::Empty));
        assert_eq!(problem_at("symbol,timestamp,USD_price\n"), (None, DataProblem::Empty));
        assert_eq!(problem_at("symbol,timestamp,USD_price\nX,100,\nX,200,\n"), (None, DataProblem::Empty));
    }
}
