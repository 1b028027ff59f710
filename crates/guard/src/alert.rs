//! Alerts as security monitors publish them (Forta's `Finding`, REFERENCES.md §7.2):
//! a severity and a type, deduplicated per condition, with a cooldown, re-alerting
//! only when the condition worsens, and re-arming when it recovers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::event::TimeMs;

/// How serious (Forta `FindingSeverity`, without `Unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// For the record.
    Info,
    /// Worth a look.
    Low,
    /// Needs attention.
    Medium,
    /// Needs action.
    High,
    /// Funds at risk now.
    Critical,
}

/// What kind of finding (Forta `FindingType`, without `Unknown`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertType {
    /// An attack in progress.
    Exploit,
    /// Looks like one.
    Suspicious,
    /// Something the protocol depends on works badly (a stale oracle).
    Degraded,
    /// Information.
    Info,
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// First raised.
    Raised,
    /// Raised again because the condition got worse.
    Worsened,
    /// The condition recovered; the alert re-arms.
    Resolved,
}

/// One published alert.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The deduplication key (Forta `alertId`): the breaker's name.
    pub alert_id: String,
    /// A short title.
    pub name: String,
    /// A sentence with the numbers.
    pub description: String,
    /// How serious.
    pub severity: Severity,
    /// What kind.
    #[serde(rename = "type")]
    pub alert_type: AlertType,
    /// Raised, worsened or resolved.
    pub status: AlertStatus,
    /// How bad the condition is (larger is worse; comparable within one `alert_id`).
    pub score: f64,
    /// When, unix milliseconds.
    pub at_ms: TimeMs,
    /// The event that caused it.
    pub event_id: String,
}

/// Per-condition memory: whether its alert is active, and what was last sent.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct AlertMemory {
    last: Alert,
    active: bool,
}

/// Deduplicates alerts per key with a cooldown, re-alerts when worse, re-arms on recovery.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertBook {
    cooldown_ms: u64,
    worsen_factor: f64,
    memory: BTreeMap<String, AlertMemory>,
}

/// What a monitor says about its condition for one key, for [`AlertBook::holds`].
#[derive(Debug, Clone)]
pub struct Finding<'a> {
    /// The dedup key.
    pub alert_id: &'a str,
    /// A short title.
    pub name: &'a str,
    /// Severity while the condition holds.
    pub severity: Severity,
    /// Type.
    pub alert_type: AlertType,
    /// How bad (larger is worse).
    pub score: f64,
}

impl AlertBook {
    /// A book that sends at most one alert per key per `cooldown_ms` (unless severity
    /// rises) and re-alerts when the score exceeds the last sent by `worsen_factor`
    /// (1.25: 25 % worse).
    pub fn new(cooldown_ms: u64, worsen_factor: f64) -> Self {
        Self { cooldown_ms, worsen_factor, memory: BTreeMap::new() }
    }

    /// The condition of `finding` holds at `now_ms`: raises, re-alerts or stays silent.
    /// `describe` is called only when an alert is sent.
    pub fn holds(
        &mut self,
        finding: Finding<'_>,
        now_ms: TimeMs,
        event_id: &str,
        describe: impl FnOnce() -> String,
    ) -> Option<Alert> {
        let status = match self.memory.get(finding.alert_id) {
            Some(m) if m.active => {
                let worse = if m.last.score > 0.0 {
                    finding.score > m.last.score * self.worsen_factor
                } else {
                    finding.score > m.last.score
                };
                let cooled = now_ms.saturating_sub(m.last.at_ms) >= self.cooldown_ms;
                let escalated = finding.severity > m.last.severity;
                if !(worse && (cooled || escalated)) {
                    return None;
                }
                AlertStatus::Worsened
            }
            _ => AlertStatus::Raised,
        };
        let alert = Alert {
            alert_id: finding.alert_id.to_string(),
            name: finding.name.to_string(),
            description: describe(),
            severity: finding.severity,
            alert_type: finding.alert_type,
            status,
            score: finding.score,
            at_ms: now_ms,
            event_id: event_id.to_string(),
        };
        self.memory.insert(alert.alert_id.clone(), AlertMemory { last: alert.clone(), active: true });
        Some(alert)
    }

    /// The condition of `alert_id` no longer holds: resolves an active alert (re-arms it).
    pub fn recovered(&mut self, alert_id: &str, now_ms: TimeMs, event_id: &str) -> Option<Alert> {
        let memory = self.memory.get_mut(alert_id).filter(|m| m.active)?;
        memory.active = false;
        let alert = Alert {
            alert_id: alert_id.to_string(),
            name: memory.last.name.clone(),
            description: format!("{} recovered", memory.last.name),
            severity: Severity::Info,
            alert_type: AlertType::Info,
            status: AlertStatus::Resolved,
            score: 0.0,
            at_ms: now_ms,
            event_id: event_id.to_string(),
        };
        Some(alert)
    }

    /// The alerts whose condition still holds, the last one sent for each.
    pub fn active(&self) -> impl Iterator<Item = &Alert> {
        self.memory.values().filter(|m| m.active).map(|m| &m.last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(score: f64, severity: Severity) -> Finding<'static> {
        Finding { alert_id: "k", name: "n", severity, alert_type: AlertType::Suspicious, score }
    }

    #[test]
    fn dedup_cooldown_worsen_rearm() {
        let mut book = AlertBook::new(600_000, 1.25);
        let d = || String::from("d");
        assert_eq!(book.holds(finding(1.0, Severity::High), 0, "e", d).map(|a| a.status), Some(AlertStatus::Raised));
        assert!(book.holds(finding(1.0, Severity::High), 1, "e", d).is_none(), "same condition: deduplicated");
        assert!(book.holds(finding(2.0, Severity::High), 2, "e", d).is_none(), "worse but within the cooldown");
        let again = book.holds(finding(2.0, Severity::High), 600_000, "e", d).map(|a| a.status);
        assert_eq!(again, Some(AlertStatus::Worsened));
        assert!(book.holds(finding(2.4, Severity::High), 1_300_000, "e", d).is_none(), "not 25 % worse");
        let escalated = book.holds(finding(3.0, Severity::Critical), 1_300_001, "e", d).map(|a| a.status);
        assert_eq!(escalated, Some(AlertStatus::Worsened), "a higher severity skips the cooldown");
        assert_eq!(book.active().count(), 1);
        assert_eq!(book.recovered("k", 1_400_000, "e").map(|a| a.status), Some(AlertStatus::Resolved));
        assert!(book.recovered("k", 1_400_001, "e").is_none());
        assert_eq!(book.active().count(), 0);
        let rearmed = book.holds(finding(1.0, Severity::High), 1_400_002, "e", d).map(|a| a.status);
        assert_eq!(rearmed, Some(AlertStatus::Raised), "re-armed on recovery");
    }
}
