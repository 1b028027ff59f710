//! `[guard]`: how the guard service enforces: who may loosen, outflow rate limits per
//! asset, oracle checks, order-flow anomalies and the adaptive collateral controller.
//! Every key is optional; an absent section means the documented defaults.

use serde::Serialize;

use crate::error::ErrorKind;
use crate::reader::{Field, Table};

/// The guard's settings, defaults filled in.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardSpec {
    /// What a loosening command must carry.
    pub authorization: Authorization,
    /// How long a breaker cools down after its condition clears, seconds.
    pub cooldown_s: f64,
    /// Shortest time between two alerts for the same condition, seconds.
    pub alert_cooldown_s: f64,
    /// A condition is re-alerted when its score exceeds the last alert's by this factor.
    pub alert_worsen: f64,
    /// Outflow rate limits.
    pub outflow: OutflowSpec,
    /// Oracle deviation and staleness.
    pub oracle: OracleGuardSpec,
    /// Order-flow anomalies and TVL drops.
    pub anomaly: AnomalySpec,
    /// The adaptive collateral controller.
    pub controller: ControllerSpec,
    /// The Safe, timelock and guardians whose signatures the service verifies, if any.
    pub governance: Option<GovernanceSpec>,
}

/// `[guard.governance]`: the Safe whose owners sign loosening proposals, the timelock
/// they wait behind, and the guardian keys that may pause at once.
///
/// Addresses are kept as written, lowercased: `0x` and 40 hex digits (the spec crate
/// does not compute EIP-55 checksums; the service parses them).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GovernanceSpec {
    /// The Safe's address: the EIP-712 verifying contract of its transactions.
    pub safe: String,
    /// The chain id in the Safe's EIP-712 domain (Safe 1.3.0 and later).
    pub chain_id: u64,
    /// The Safe contract version, one of `1.0.0`, `1.1.1`, `1.2.0`, `1.3.0`, `1.4.1`.
    pub safe_version: String,
    /// The Safe's owners, distinct.
    pub owners: Vec<String>,
    /// Signatures required, at most the number of owners.
    pub threshold: u64,
    /// The TimelockController the Safe schedules on: a governance transaction's `to`.
    pub timelock_address: String,
    /// The guarded contract: the target of the timelocked call.
    pub guard_address: String,
    /// The timelock's delay between scheduling and execution, seconds.
    pub delay_s: f64,
    /// The immutable floor under the delay, seconds.
    pub min_delay_s: f64,
    /// Keys that may pause at once with one signature.
    pub guardians: Vec<String>,
}

/// What a loosening command must carry.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Authorization {
    /// The service's admin token.
    AdminToken,
    /// M-of-N signatures queued behind a timelock.
    Multisig {
        /// M.
        threshold: u64,
        /// The timelock, seconds.
        timelock_s: f64,
    },
}

/// ERC-7265's global settings and the limited assets.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutflowSpec {
    /// `WITHDRAWAL_PERIOD`, seconds.
    pub withdrawal_period_s: f64,
    /// `TICK_LENGTH`, seconds.
    pub tick_s: f64,
    /// `rateLimitCooldownPeriod`: the cooldown of outflow breakers, seconds.
    pub cooldown_s: f64,
    /// The limited assets.
    pub assets: Vec<OutflowLimit>,
}

/// One asset's outflow limit.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutflowLimit {
    /// The asset.
    pub asset: String,
    /// The limiter.
    pub limiter: Limiter,
}

/// An outflow limiter.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
#[non_exhaustive]
pub enum Limiter {
    /// ERC-7265's tick-bucketed limiter.
    Erc7265 {
        /// `minLiqRetainedBps`, in (0, 10000].
        min_retained_bps: u32,
        /// `limitBeginThreshold`, tokens.
        limit_begin: f64,
        /// Base units per token are 10^decimals (amounts are counted in base units).
        decimals: u32,
    },
    /// The main + elastic buffer limiter.
    Elastic {
        /// Largest short-term draw, a fraction of TVL.
        max_draw: f64,
        /// Main buffer refill window, seconds.
        main_window_s: f64,
        /// Elastic buffer decay window, seconds.
        elastic_window_s: f64,
        /// TVL when the guard starts, tokens.
        tvl: f64,
    },
}

/// Oracle checks.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OracleGuardSpec {
    /// Deviation from the venues' median beyond which the oracle is suspect, a fraction.
    pub deviation: f64,
    /// How long the deviation must last to trip, seconds.
    pub grace_s: f64,
    /// Time allowed beyond the heartbeat before the oracle is stale, seconds.
    pub stale_tolerance_s: f64,
    /// Venue prices older than this are ignored, seconds.
    pub venue_max_age_s: f64,
    /// Fresh venue prices needed to judge deviation.
    pub min_venues: u64,
}

/// Order-flow anomalies and TVL drops.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AnomalySpec {
    /// Values in each sliding window.
    pub window: u64,
    /// Values needed before scoring.
    pub min_samples: u64,
    /// Robust z-score beyond which (strictly) a value is anomalous.
    pub z: f64,
    /// Volume is summed over buckets of this length, seconds.
    pub bucket_s: f64,
    /// TVL drop beyond which (strictly) a market pauses, a fraction of the window's peak.
    pub tvl_drop: f64,
    /// The TVL window, seconds.
    pub tvl_window_s: f64,
    /// Most trading markets tracked.
    pub max_markets: u64,
}

/// The adaptive collateral controller.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ControllerSpec {
    /// Returns are taken between samples this far apart, seconds.
    pub sample_s: f64,
    /// EWMA decay per sample.
    pub ewma_lambda: f64,
    /// GARCH(1,1) α.
    pub garch_alpha: f64,
    /// GARCH(1,1) β.
    pub garch_beta: f64,
    /// SmartLTV's risk appetite `r` (`c = 1/r`).
    pub risk_appetite: f64,
    /// The steward's minimum delay between updates, seconds.
    pub min_delay_s: f64,
    /// The steward's largest change per update, basis points (absolute, for LTV and LT).
    pub max_change_bps: u32,
    /// How long the target must stay looser before a loosening is proposed, seconds.
    pub loosen_hold_s: f64,
    /// Largest loosening step, basis points.
    pub loosen_step_bps: u32,
    /// The lowest LTV the controller targets, a fraction.
    pub floor_ltv: f64,
}

impl Default for GuardSpec {
    fn default() -> Self {
        Self {
            authorization: Authorization::AdminToken,
            cooldown_s: 3600.0,
            alert_cooldown_s: 600.0,
            alert_worsen: 1.25,
            outflow: OutflowSpec::default(),
            oracle: OracleGuardSpec::default(),
            anomaly: AnomalySpec::default(),
            controller: ControllerSpec::default(),
            governance: None,
        }
    }
}

impl Default for OutflowSpec {
    /// The reference tests' settings: 4 h window, 5 min ticks, 3 d cooldown.
    fn default() -> Self {
        Self { withdrawal_period_s: 4.0 * 3600.0, tick_s: 300.0, cooldown_s: 3.0 * 86_400.0, assets: Vec::new() }
    }
}

impl Default for OracleGuardSpec {
    fn default() -> Self {
        Self { deviation: 0.03, grace_s: 300.0, stale_tolerance_s: 600.0, venue_max_age_s: 600.0, min_venues: 1 }
    }
}

impl Default for AnomalySpec {
    fn default() -> Self {
        Self {
            window: 144,
            min_samples: 36,
            z: 10.0,
            bucket_s: 600.0,
            tvl_drop: 0.2,
            tvl_window_s: 3600.0,
            max_markets: 256,
        }
    }
}

impl Default for ControllerSpec {
    fn default() -> Self {
        Self {
            sample_s: 3600.0,
            ewma_lambda: 0.94,
            garch_alpha: 0.10,
            garch_beta: 0.85,
            risk_appetite: 5.0,
            min_delay_s: 3.0 * 86_400.0,
            max_change_bps: 50,
            loosen_hold_s: 86_400.0,
            loosen_step_bps: 25,
            floor_ltv: 0.0,
        }
    }
}

pub(crate) const GUARD_KEYS: &[&str] = &[
    "authorization",
    "threshold",
    "timelock",
    "cooldown",
    "alert_cooldown",
    "alert_worsen",
    "outflow",
    "oracle",
    "anomaly",
    "controller",
    "governance",
];
pub(crate) const GOVERNANCE_KEYS: &[&str] = &[
    "safe",
    "chain_id",
    "safe_version",
    "owners",
    "threshold",
    "timelock_address",
    "guard_address",
    "delay",
    "min_delay",
    "guardians",
];
pub(crate) const OUTFLOW_KEYS: &[&str] = &["withdrawal_period", "tick", "cooldown", "assets"];
pub(crate) const OUTFLOW_ASSET_KEYS: &[&str] =
    &["kind", "min_retained", "limit_begin", "decimals", "max_draw", "main_window", "elastic_window", "tvl"];
pub(crate) const ORACLE_GUARD_KEYS: &[&str] = &["deviation", "grace", "stale_tolerance", "venue_max_age", "min_venues"];
pub(crate) const ANOMALY_KEYS: &[&str] =
    &["window", "min_samples", "z", "bucket", "tvl_drop", "tvl_window", "max_markets"];
pub(crate) const CONTROLLER_KEYS: &[&str] = &[
    "sample",
    "ewma_lambda",
    "garch_alpha",
    "garch_beta",
    "risk_appetite",
    "min_delay",
    "max_change",
    "loosen_hold",
    "loosen_step",
    "floor_ltv",
];

#[derive(Clone, Copy)]
enum AuthName {
    AdminToken,
    Multisig,
}

#[derive(Clone, Copy)]
enum LimiterName {
    Erc7265,
    Elastic,
}

const POSITIVE_DURATION: &str = "a positive duration";

fn duration(t: &Table<'_, '_>, key: &str, default: f64, positive: bool) -> Option<f64> {
    t.get(key).map_or(Some(default), |f| {
        if positive {
            f.duration_where(|d| d > 0.0, POSITIVE_DURATION)
        } else {
            f.duration_where(|d| d >= 0.0, "zero or a positive duration")
        }
    })
}

fn number(t: &Table<'_, '_>, key: &str, default: f64, ok: impl Fn(f64) -> bool, valid: &str) -> Option<f64> {
    t.get(key).map_or(Some(default), |f| f.number_where(ok, valid))
}

fn fraction(t: &Table<'_, '_>, key: &str, default: f64, ok: impl Fn(f64) -> bool, valid: &str) -> Option<f64> {
    t.get(key).map_or(Some(default), |f| f.fraction_where(ok, valid))
}

fn count(t: &Table<'_, '_>, key: &str, default: u64, ok: impl Fn(u64) -> bool, valid: &str) -> Option<u64> {
    t.get(key).map_or(Some(default), |f| f.count_where(ok, valid))
}

fn bps(t: &Table<'_, '_>, key: &str, default: u32) -> Option<u32> {
    count(t, key, u64::from(default), |n| (1..=10_000).contains(&n), "whole basis points in [1, 10000]")
        .map(|n| u32::try_from(n).unwrap_or(10_000))
}

/// Reads `[guard]`; `asset_known` checks asset names against `[assets]`;
/// `governance` supplies the default threshold and timelock of a multisig requirement.
pub(crate) fn parse_guard(
    t: &Table<'_, '_>,
    asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool,
    governance: Option<(u64, f64)>,
) -> Option<GuardSpec> {
    let d = GuardSpec::default();
    let gov = t
        .get("governance")
        .map_or(Some(None), |f| f.table(GOVERNANCE_KEYS).and_then(|t| parse_governance(&t)).map(Some));
    let signing = gov.as_ref().and_then(|g| g.as_ref().map(|g| (g.threshold, g.delay_s)));
    let governance = signing.or(governance);
    let auth = t.get("authorization").map_or(Some(AuthName::AdminToken), |f| {
        f.choice(&[("admin_token", AuthName::AdminToken), ("multisig", AuthName::Multisig)])
    });
    let threshold = t
        .get("threshold")
        .map_or(Some(governance.map(|g| g.0)), |f| f.count_where(|n| n >= 1, "at least 1 signature").map(Some));
    let timelock = t.get("timelock").map_or(Some(governance.map_or(0.0, |g| g.1)), |f| {
        f.duration_where(|d| d >= 0.0, "zero or a positive duration")
    });
    if let (Some((m, delay_s)), Some(AuthName::Multisig)) = (signing, auth) {
        if threshold.flatten().is_some_and(|given| given != m) {
            t.error_at("threshold", ErrorKind::Inconsistent(format!("differs from guard.governance.threshold ({m})")));
            return None;
        }
        if t.get("timelock").is_some() && timelock.is_some_and(|given| given != delay_s) {
            t.error_at(
                "timelock",
                ErrorKind::Inconsistent(format!("differs from guard.governance.delay ({delay_s} s)")),
            );
            return None;
        }
    }
    let authorization = match (auth?, threshold?, timelock?) {
        (AuthName::AdminToken, _, _) => Authorization::AdminToken,
        (AuthName::Multisig, Some(threshold), timelock_s) => Authorization::Multisig { threshold, timelock_s },
        (AuthName::Multisig, None, _) => {
            t.error_at(
                "authorization",
                ErrorKind::MissingKey(
                    "a multisig requirement needs `threshold` (or a [governance] guardian to take it from)".into(),
                ),
            );
            return None;
        }
    };
    let cooldown = duration(t, "cooldown", d.cooldown_s, false);
    let alert_cooldown = duration(t, "alert_cooldown", d.alert_cooldown_s, false);
    let alert_worsen = number(t, "alert_worsen", d.alert_worsen, |x| x >= 1.0, "a factor of at least 1");
    let outflow = t
        .get("outflow")
        .map_or(Some(OutflowSpec::default()), |f| f.table(OUTFLOW_KEYS).and_then(|t| parse_outflow(&t, asset_known)));
    let oracle = t
        .get("oracle")
        .map_or(Some(OracleGuardSpec::default()), |f| f.table(ORACLE_GUARD_KEYS).and_then(|t| parse_oracle_guard(&t)));
    let anomaly = t
        .get("anomaly")
        .map_or(Some(AnomalySpec::default()), |f| f.table(ANOMALY_KEYS).and_then(|t| parse_anomaly(&t)));
    let controller = t
        .get("controller")
        .map_or(Some(ControllerSpec::default()), |f| f.table(CONTROLLER_KEYS).and_then(|t| parse_controller(&t)));
    Some(GuardSpec {
        authorization,
        cooldown_s: cooldown?,
        alert_cooldown_s: alert_cooldown?,
        alert_worsen: alert_worsen?,
        outflow: outflow?,
        oracle: oracle?,
        anomaly: anomaly?,
        controller: controller?,
        governance: gov?,
    })
}

/// `0x` and 40 hex digits, lowercased; the error placed at the field.
fn address(f: &Field<'_, '_>) -> Option<String> {
    let s = f.string()?;
    let hex = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X"));
    match hex {
        Some(h) if h.len() == 40 && h.chars().all(|c| c.is_ascii_hexdigit()) => {
            Some(format!("0x{}", h.to_ascii_lowercase()))
        }
        _ => {
            f.out_of_range("an address: 0x and 40 hex digits");
            None
        }
    }
}

/// A list of distinct addresses (at least one when `required`).
fn addresses(t: &Table<'_, '_>, key: &str, what: &str, required: bool) -> Option<Vec<String>> {
    let field = if required {
        t.require(key, what)?
    } else {
        match t.get(key) {
            Some(f) => f,
            None => return Some(Vec::new()),
        }
    };
    let elements = field.elements()?;
    if required && elements.is_empty() {
        field.out_of_range("at least one address");
        return None;
    }
    let mut out: Vec<String> = Vec::new();
    let mut ok = true;
    for e in &elements {
        match address(e) {
            Some(a) if out.contains(&a) => {
                e.error(ErrorKind::Duplicate(format!("{a} is listed twice")));
                ok = false;
            }
            Some(a) => out.push(a),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

const SAFE_VERSIONS: [(&str, &str); 5] =
    [("1.0.0", "1.0.0"), ("1.1.1", "1.1.1"), ("1.2.0", "1.2.0"), ("1.3.0", "1.3.0"), ("1.4.1", "1.4.1")];

fn parse_governance(t: &Table<'_, '_>) -> Option<GovernanceSpec> {
    let safe = t.require("safe", "the Safe's address, e.g. safe = \"0x…\"").and_then(address);
    let chain_id = t
        .require("chain_id", "the chain id of the Safe's EIP-712 domain, e.g. chain_id = 1")
        .and_then(|f| f.count_where(|n| n >= 1, "a chain id of at least 1"));
    let version = t.get("safe_version").map_or(Some("1.3.0"), |f| f.choice(&SAFE_VERSIONS)).map(str::to_string);
    let owners = addresses(t, "owners", "the Safe's owners, e.g. owners = [\"0x…\", \"0x…\"]", true);
    let threshold = t
        .require("threshold", "signatures required, e.g. threshold = 2")
        .and_then(|f| f.count_where(|n| n >= 1, "at least 1 signature"));
    let timelock_address =
        t.require("timelock_address", "the TimelockController the Safe schedules on").and_then(address);
    let guard_address = t.require("guard_address", "the guarded contract the timelock calls").and_then(address);
    let delay = t
        .require("delay", "the timelock's delay, e.g. delay = \"2d\"")
        .and_then(|f| f.duration_where(|d| d >= 0.0, "zero or a positive duration"));
    let min_delay = duration(t, "min_delay", 0.0, false);
    let guardians = addresses(t, "guardians", "", false);
    let (safe, owners, threshold) = (safe?, owners?, threshold?);
    let (timelock_address, guard_address, delay, min_delay) = (timelock_address?, guard_address?, delay?, min_delay?);
    if threshold > owners.len() as u64 {
        t.out_of_range_at("threshold", format!("at most the {} owners", owners.len()));
        return None;
    }
    let forbidden = ["0x0000000000000000000000000000000000000000", "0x0000000000000000000000000000000000000001"];
    if let Some(bad) = owners.iter().find(|o| forbidden.contains(&o.as_str()) || **o == safe) {
        t.error_at(
            "owners",
            ErrorKind::Inconsistent(format!("{bad} cannot own a Safe (zero, the sentinel 0x…01 or the Safe itself)")),
        );
        return None;
    }
    if timelock_address == guard_address {
        t.error_at("guard_address", ErrorKind::Inconsistent("must differ from timelock_address".into()));
        return None;
    }
    if min_delay > delay {
        t.out_of_range_at("delay", format!("at least min_delay ({min_delay} s)"));
        return None;
    }
    Some(GovernanceSpec {
        safe,
        chain_id: chain_id?,
        safe_version: version?,
        owners,
        threshold,
        timelock_address,
        guard_address,
        delay_s: delay,
        min_delay_s: min_delay,
        guardians: guardians?,
    })
}

fn parse_outflow(t: &Table<'_, '_>, asset_known: &dyn Fn(&Field<'_, '_>, &str) -> bool) -> Option<OutflowSpec> {
    let d = OutflowSpec::default();
    let period = duration(t, "withdrawal_period", d.withdrawal_period_s, true);
    let tick = duration(t, "tick", d.tick_s, true);
    let cooldown = duration(t, "cooldown", d.cooldown_s, false);
    let mut ok = true;
    let mut assets = Vec::new();
    if let Some(table) = t.get("assets").and_then(|f| f.table(&["*"])) {
        for (asset, f) in table.entries() {
            if !asset_known(f, asset) {
                ok = false;
                continue;
            }
            match f.table(OUTFLOW_ASSET_KEYS).and_then(|t| parse_limiter(&t)) {
                Some(limiter) => assets.push(OutflowLimit { asset: asset.to_string(), limiter }),
                None => ok = false,
            }
        }
    } else if t.get("assets").is_some() {
        ok = false;
    }
    let (period, tick) = (period?, tick?);
    if tick > period {
        t.out_of_range_at("tick", format!("at most the withdrawal period ({period} s)"));
        return None;
    }
    ok.then_some(OutflowSpec { withdrawal_period_s: period, tick_s: tick, cooldown_s: cooldown?, assets })
}

fn parse_limiter(t: &Table<'_, '_>) -> Option<Limiter> {
    let kind = t
        .require("kind", "kind = \"erc7265\" or \"elastic\"")?
        .choice(&[("erc7265", LimiterName::Erc7265), ("elastic", LimiterName::Elastic)])?;
    let foreign: &[&str] = match kind {
        LimiterName::Erc7265 => &["max_draw", "main_window", "elastic_window", "tvl"],
        LimiterName::Elastic => &["min_retained", "limit_begin", "decimals"],
    };
    for key in foreign {
        if let Some(f) = t.get(key) {
            f.error(ErrorKind::Inconsistent(format!("does not apply to this kind of limiter ({key})")));
            return None;
        }
    }
    match kind {
        LimiterName::Erc7265 => {
            let min_retained =
                t.require("min_retained", "the share of liquidity to retain, e.g. min_retained = 0.7").and_then(|f| {
                    let r = f.ratio()?;
                    let scaled = r.numer().checked_mul(10_000);
                    match scaled.filter(|s| s % r.denom() == 0).map(|s| s / r.denom()) {
                        Some(bps @ 1..=10_000) => Some(u32::try_from(bps).unwrap_or(10_000)),
                        _ => {
                            f.out_of_range("a fraction in (0, 1] of whole basis points (0.7, \"70%\")");
                            None
                        }
                    }
                });
            let limit_begin = number(t, "limit_begin", 0.0, |x| x >= 0.0, "zero or more tokens");
            let decimals = count(t, "decimals", 6, |n| n <= 18, "at most 18");
            Some(Limiter::Erc7265 {
                min_retained_bps: min_retained?,
                limit_begin: limit_begin?,
                decimals: u32::try_from(decimals?).unwrap_or(18),
            })
        }
        LimiterName::Elastic => {
            let max_draw = t
                .require("max_draw", "the largest short-term draw, e.g. max_draw = 0.05")
                .and_then(|f| f.fraction_where(|x| x > 0.0 && x < 1.0, "a fraction in (0, 1)"));
            let main = duration(t, "main_window", 86_400.0, true);
            let elastic = duration(t, "elastic_window", 600.0, true);
            let tvl = number(t, "tvl", 0.0, |x| x >= 0.0, "zero or more tokens");
            Some(Limiter::Elastic { max_draw: max_draw?, main_window_s: main?, elastic_window_s: elastic?, tvl: tvl? })
        }
    }
}

fn parse_oracle_guard(t: &Table<'_, '_>) -> Option<OracleGuardSpec> {
    let d = OracleGuardSpec::default();
    let deviation = fraction(t, "deviation", d.deviation, |x| x > 0.0 && x < 1.0, "a fraction in (0, 1)");
    let grace = duration(t, "grace", d.grace_s, false);
    let stale = duration(t, "stale_tolerance", d.stale_tolerance_s, false);
    let age = duration(t, "venue_max_age", d.venue_max_age_s, true);
    let min_venues = count(t, "min_venues", d.min_venues, |n| n >= 1, "at least 1");
    Some(OracleGuardSpec {
        deviation: deviation?,
        grace_s: grace?,
        stale_tolerance_s: stale?,
        venue_max_age_s: age?,
        min_venues: min_venues?,
    })
}

fn parse_anomaly(t: &Table<'_, '_>) -> Option<AnomalySpec> {
    let d = AnomalySpec::default();
    let window = count(t, "window", d.window, |n| (3..=100_000).contains(&n), "between 3 and 100000 values");
    let min_samples = count(t, "min_samples", d.min_samples, |n| n >= 3, "at least 3");
    let z = number(t, "z", d.z, |x| x > 0.0, "a positive score");
    let bucket = duration(t, "bucket", d.bucket_s, true);
    let drop = fraction(t, "tvl_drop", d.tvl_drop, |x| x > 0.0 && x < 1.0, "a fraction in (0, 1)");
    let tvl_window = duration(t, "tvl_window", d.tvl_window_s, true);
    let max_markets = count(t, "max_markets", d.max_markets, |n| n >= 1, "at least 1");
    let (window, min_samples) = (window?, min_samples?);
    if min_samples > window {
        t.out_of_range_at("min_samples", format!("at most the window ({window})"));
        return None;
    }
    Some(AnomalySpec {
        window,
        min_samples,
        z: z?,
        bucket_s: bucket?,
        tvl_drop: drop?,
        tvl_window_s: tvl_window?,
        max_markets: max_markets?,
    })
}

fn parse_controller(t: &Table<'_, '_>) -> Option<ControllerSpec> {
    let d = ControllerSpec::default();
    let sample = duration(t, "sample", d.sample_s, true);
    let lambda = number(t, "ewma_lambda", d.ewma_lambda, |x| x > 0.0 && x < 1.0, "in (0, 1)");
    let alpha = number(t, "garch_alpha", d.garch_alpha, |x| (0.0..1.0).contains(&x), "in [0, 1)");
    let beta = number(t, "garch_beta", d.garch_beta, |x| (0.0..1.0).contains(&x), "in [0, 1)");
    let appetite = number(t, "risk_appetite", d.risk_appetite, |x| x > 0.0, "positive");
    let min_delay = duration(t, "min_delay", d.min_delay_s, false);
    let max_change = bps(t, "max_change", d.max_change_bps);
    let hold = duration(t, "loosen_hold", d.loosen_hold_s, false);
    let step = bps(t, "loosen_step", d.loosen_step_bps);
    let floor = fraction(t, "floor_ltv", d.floor_ltv, |x| (0.0..1.0).contains(&x), "a fraction in [0, 1)");
    let (alpha, beta) = (alpha?, beta?);
    if alpha + beta >= 1.0 {
        t.out_of_range_at("garch_beta", format!("below 1 − garch_alpha = {} (a stationary GARCH)", 1.0 - alpha));
        return None;
    }
    Some(ControllerSpec {
        sample_s: sample?,
        ewma_lambda: lambda?,
        garch_alpha: alpha,
        garch_beta: beta,
        risk_appetite: appetite?,
        min_delay_s: min_delay?,
        max_change_bps: max_change?,
        loosen_hold_s: hold?,
        loosen_step_bps: step?,
        floor_ltv: floor?,
    })
}
