//! The components `smartville serve --target` can run, in data-flow order.

use anyhow::{Result, bail};

/// A component that `--target` can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    /// The participants' HTTP API (sign-in, uploads, wallet); accepting an upload is ingest.
    MobileApi,
    /// Publishes outbox events on the bus, and re-publishes those of stuck trips.
    Relay,
    /// Judges submitted trips, and closes savings periods.
    Scoring,
    /// Credits accepted trips and savings.
    Ledger,
    /// Takes readings published to an MQTT broker.
    MqttBridge,
}

impl Component {
    /// Every component, in data-flow order.
    pub const ALL: [Self; 5] = [Self::MqttBridge, Self::MobileApi, Self::Relay, Self::Scoring, Self::Ledger];

    /// What `all` (the default) runs: every component but the MQTT bridge, which needs a broker.
    pub const DEFAULT: [Self; 4] = [Self::MobileApi, Self::Relay, Self::Scoring, Self::Ledger];

    /// The name used by `--target`.
    pub fn name(self) -> &'static str {
        match self {
            Self::MobileApi => "mobile-api",
            Self::Relay => "relay",
            Self::Scoring => "scoring",
            Self::Ledger => "ledger",
            Self::MqttBridge => "mqtt-bridge",
        }
    }

    /// What it does, for `smartville targets`.
    pub fn describe(self) -> &'static str {
        match self {
            Self::MobileApi => {
                "HTTP API: the app (join, tokens, trip uploads, wallet, vouchers), the shops' counter, the councils' administration"
            }
            Self::Relay => {
                "publishes stored events (outbox) on the bus; re-publishes events of stuck trips; deletes old traces; \
                 warns of budgets that run out early; expires vouchers not used in time"
            }
            Self::Scoring => "validates and scores submitted trips; closes the periods of savings campaigns",
            Self::Ledger => "credits accepted trips and closed savings periods from the campaign budget to the wallets",
            Self::MqttBridge => {
                "takes batches of readings published to smartville/<tenant>/readings on the MQTT broker \
                 (SMARTVILLE_MQTT_URL); not part of `all`"
            }
        }
    }

    /// Parses `all` or a comma-separated list of names.
    pub fn parse_targets(targets: &str) -> Result<Vec<Self>> {
        let mut chosen = Vec::new();
        for name in targets.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            if name == "all" {
                chosen.extend(Self::DEFAULT);
                continue;
            }
            let Some(component) = Self::ALL.into_iter().find(|c| c.name() == name) else {
                bail!("unknown target {name:?}; run `smartville targets` for the list");
            };
            chosen.push(component);
        }
        if chosen.is_empty() {
            bail!("no target given");
        }
        chosen.sort_by_key(|c| Self::ALL.iter().position(|a| a == c));
        chosen.dedup();
        Ok(chosen)
    }
}
