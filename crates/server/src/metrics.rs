//! Counters and latency histograms, rendered in the Prometheus text format
//! (<https://prometheus.io/docs/instrumenting/exposition_formats/>).

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds: 50 µs to 10 s, finer around the
/// milliseconds where a guard's decisions should fall.
const BUCKETS_S: [f64; 24] = [
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002, 0.003, 0.004, 0.005, 0.006, 0.007_5, 0.01, 0.012_5, 0.015,
    0.02, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// A latency histogram with fixed buckets; lock-free.
#[derive(Debug, Default)]
pub struct Histogram {
    counts: [AtomicU64; BUCKETS_S.len() + 1],
    sum_ns: AtomicU64,
    count: AtomicU64,
}

impl Histogram {
    /// Records `n` observations of `d`.
    pub fn observe_n(&self, d: Duration, n: u64) {
        let s = d.as_secs_f64();
        let i = BUCKETS_S.iter().position(|&b| s <= b).unwrap_or(BUCKETS_S.len());
        self.counts[i].fetch_add(n, Ordering::Relaxed);
        let ns = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        self.sum_ns.fetch_add(ns.saturating_mul(n), Ordering::Relaxed);
        self.count.fetch_add(n, Ordering::Relaxed);
    }

    /// The number of observations.
    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    /// The upper bound of the bucket holding quantile `q` (0 to 1), in seconds: an upper
    /// estimate of the quantile at the buckets' resolution. `None` when empty.
    pub fn quantile_upper_s(&self, q: f64) -> Option<f64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = (q.clamp(0.0, 1.0) * total as f64).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c.load(Ordering::Relaxed);
            if seen >= rank {
                return Some(BUCKETS_S.get(i).copied().unwrap_or(f64::INFINITY));
            }
        }
        Some(f64::INFINITY)
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, bound) in BUCKETS_S.iter().enumerate() {
            cumulative += self.counts[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
        }
        cumulative += self.counts[BUCKETS_S.len()].load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
        let sum_s = self.sum_ns.load(Ordering::Relaxed) as f64 / 1e9;
        let _ = writeln!(out, "{name}_sum {sum_s}\n{name}_count {cumulative}");
    }
}

/// The service's counters.
#[derive(Debug, Default)]
pub struct Metrics {
    /// Events applied and logged.
    pub events_applied: AtomicU64,
    /// Events that were already in the log (re-sent), acknowledged without applying.
    pub events_duplicate: AtomicU64,
    /// Events the guard refused (their requests changed nothing).
    pub events_rejected: AtomicU64,
    /// Write requests refused before reaching the guard (auth, size, rate, syntax).
    pub requests_refused: AtomicU64,
    /// Durable commits (each may carry many requests: group commit).
    pub commits: AtomicU64,
    /// Time from receipt of an event to its durable decision, per event.
    pub decision_latency: Histogram,
    /// Time of each durable commit.
    pub commit_latency: Histogram,
    /// Breakers tripped now (set after each commit).
    pub breakers_tripped: AtomicU64,
    /// The last sequence number in the log.
    pub last_seq: AtomicU64,
}

impl Metrics {
    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let counters: [(&str, &str, &AtomicU64); 5] = [
            ("bulwark_events_applied_total", "Events applied and logged durably.", &self.events_applied),
            ("bulwark_events_duplicate_total", "Re-sent events acknowledged without applying.", &self.events_duplicate),
            ("bulwark_events_rejected_total", "Events the guard refused.", &self.events_rejected),
            ("bulwark_requests_refused_total", "Write requests refused before the guard.", &self.requests_refused),
            ("bulwark_commits_total", "Durable commits of the log (group commits).", &self.commits),
        ];
        for (name, help, value) in counters {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}", value.load(Ordering::Relaxed));
        }
        let gauges: [(&str, &str, &AtomicU64); 2] = [
            ("bulwark_breakers_tripped", "Breakers tripped now.", &self.breakers_tripped),
            ("bulwark_log_last_seq", "The last sequence number in the durable log.", &self.last_seq),
        ];
        for (name, help, value) in gauges {
            let _ =
                writeln!(out, "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {}", value.load(Ordering::Relaxed));
        }
        self.decision_latency.render(
            &mut out,
            "bulwark_decision_latency_seconds",
            "Time from receipt of an event to its durable decision.",
        );
        self.commit_latency.render(&mut out, "bulwark_commit_seconds", "Time of one durable commit.");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_the_right_buckets() {
        let h = Histogram::default();
        h.observe_n(Duration::from_micros(80), 98);
        h.observe_n(Duration::from_millis(4), 2);
        assert_eq!(h.quantile_upper_s(0.5), Some(0.000_1));
        assert_eq!(h.quantile_upper_s(0.98), Some(0.000_1));
        assert_eq!(h.quantile_upper_s(0.99), Some(0.004));
        assert_eq!(Histogram::default().quantile_upper_s(0.5), None);
    }

    #[test]
    fn the_exposition_is_cumulative_and_ends_with_inf() {
        let m = Metrics::default();
        m.events_applied.fetch_add(3, Ordering::Relaxed);
        m.decision_latency.observe_n(Duration::from_millis(2), 3);
        let text = m.render();
        assert!(text.contains("bulwark_events_applied_total 3\n"), "{text}");
        assert!(text.contains("bulwark_decision_latency_seconds_bucket{le=\"0.001\"} 0\n"), "{text}");
        assert!(text.contains("bulwark_decision_latency_seconds_bucket{le=\"0.002\"} 3\n"), "{text}");
        assert!(text.contains("bulwark_decision_latency_seconds_bucket{le=\"+Inf\"} 3\n"), "{text}");
        assert!(text.contains("bulwark_decision_latency_seconds_count 3\n"), "{text}");
    }
}
