//! A small deterministic machine for testing the service's machinery on its own: it
//! sums amounts per account and refuses negative amounts and the reserved account.

use std::collections::BTreeMap;

use bulwark_server::{Channel, Machine, View};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct AddEvent {
    pub(crate) id: String,
    pub(crate) account: String,
    pub(crate) amount: i64,
    #[serde(default)]
    pub(crate) command: bool,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Sums {
    pub(crate) sums: BTreeMap<String, i64>,
    pub(crate) applied: u64,
}

impl Machine for Sums {
    type Event = AddEvent;
    type Decision = i64;

    fn event_id(event: &AddEvent) -> &str {
        &event.id
    }

    fn apply(&mut self, event: &AddEvent) -> Result<i64, String> {
        if event.amount < 0 {
            return Err(format!("amount {} is negative", event.amount));
        }
        if event.account == "reserved" {
            return Err("account reserved is closed".into());
        }
        let sum = self.sums.entry(event.account.clone()).or_default();
        *sum += event.amount;
        self.applied += 1;
        Ok(*sum)
    }

    fn snapshot(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(self).map_err(|e| e.to_string())
    }

    fn restore(_fresh: &Self, bytes: &[u8]) -> Result<Self, String> {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())
    }

    fn checkpoint(&self) -> Self {
        self.clone()
    }

    fn view(&self, last_seq: u64) -> View {
        View {
            status: serde_json::json!({ "applied": self.applied, "last_seq": last_seq }),
            breakers: serde_json::json!([]),
            alerts: serde_json::json!([]),
            parameters: serde_json::to_value(&self.sums).unwrap(),
            series: serde_json::json!({}),
            ..View::default()
        }
    }

    fn admit(event: &mut AddEvent, channel: Channel) -> Result<(), String> {
        if event.command && channel != Channel::Admin {
            return Err("commands need the admin token".into());
        }
        Ok(())
    }

    fn breakers_tripped(&self) -> u64 {
        0
    }
}

pub(crate) fn add(id: &str, account: &str, amount: i64) -> String {
    format!(r#"{{"id":"{id}","account":"{account}","amount":{amount}}}"#)
}
