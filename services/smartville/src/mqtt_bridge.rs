//! The MQTT bridge (`serve --target mqtt-bridge`): sensor gateways and
//! meter platforms that speak MQTT publish the same batches that
//! `POST /v1/devices/readings` takes, as JSON, to
//! `smartville/<tenant id>/readings` (MQTT 5, QoS 1), signed with their API
//! key in the user property `authorization` (`Bearer svk_…`).
//!
//! The bridge holds one persistent session (a fixed client id, no clean
//! start) and acknowledges a message only once its readings are stored, or
//! once it is clear that they never will be (no key, a key of another
//! tenant, a payload that is no batch). A bridge that dies in between gets
//! the message again when it reconnects, and the readings' ids make the
//! second delivery change nothing: every reading is stored exactly once. A
//! store that fails is tried again, the message still unacknowledged. When
//! the publisher names a response topic, the outcome — the members of the
//! HTTP answer — is published there with its correlation data.

use std::time::Duration;

use anyhow::{Context, Result, bail};
use rumqttc::v5::mqttbytes::QoS;
use rumqttc::v5::mqttbytes::v5::{ConnectProperties, Packet, Publish, PublishProperties};
use rumqttc::v5::{AsyncClient, Event, EventLoop, MqttOptions};
use serde_json::json;
use smartville_engine::readings;
use smartville_engine::{Engine, EngineError, Shutdown};
use smartville_store::ids::TenantId;
use smartville_store::{StoreError, tenancy};
use tokio::sync::mpsc;

/// The topics the bridge subscribes to: `<tenant id>` in the middle.
pub const TOPICS: &str = "smartville/+/readings";
/// Largest message the broker may send the bridge: an 8 MiB batch and its headers.
const MAX_PACKET_BYTES: u32 = 8 << 20 | 64 << 10;
/// Messages the broker sends before the bridge acknowledges the first: a few in hand while one is stored.
const IN_FLIGHT: u16 = 8;
/// How long the broker keeps the bridge's session (and its unacknowledged messages) while it is away.
const SESSION_EXPIRY_S: u32 = 7 * 24 * 3600;
/// Wait between attempts to reach the broker or to store a batch.
const RETRY: Duration = Duration::from_secs(1);

/// Where the broker is and who the bridge is to it.
#[derive(Debug, Clone)]
pub struct MqttSettings {
    /// `mqtt://host:port`.
    pub url: String,
    /// The session's client id: the same after a restart, so the broker hands back what was not acknowledged.
    pub client_id: String,
}

impl MqttSettings {
    /// The connection's options: a persistent session that the bridge acknowledges by hand.
    pub fn options(&self) -> Result<MqttOptions> {
        let Some(address) = self.url.strip_prefix("mqtt://") else {
            bail!("SMARTVILLE_MQTT_URL must be mqtt://host:port, not {:?}", self.url);
        };
        let (host, port) = address.rsplit_once(':').unwrap_or((address, "1883"));
        let port = port.trim_end_matches('/').parse().with_context(|| format!("the port of {:?}", self.url))?;
        let mut options = MqttOptions::new(&self.client_id, host, port);
        let mut properties = ConnectProperties::new();
        properties.session_expiry_interval = Some(SESSION_EXPIRY_S);
        properties.receive_maximum = Some(IN_FLIGHT);
        properties.max_packet_size = Some(MAX_PACKET_BYTES);
        options
            .set_connect_properties(properties)
            .set_clean_start(false)
            .set_manual_acks(true)
            .set_keep_alive(Duration::from_secs(30));
        Ok(options)
    }
}

/// Runs the bridge until shutdown: one task keeps the connection (and
/// subscribes again after each reconnect), this one stores the batches in
/// the order they came and acknowledges each once it is done with.
pub async fn run(engine: Engine, options: MqttOptions, shutdown: Shutdown) -> Result<(), EngineError> {
    let (client, events) = AsyncClient::new(options, usize::from(IN_FLIGHT) * 2);
    // Unbounded, so that the connection is polled whatever the store does: the broker sends at
    // most IN_FLIGHT unacknowledged messages (and those again after a reconnect).
    let (received, mut to_store) = mpsc::unbounded_channel();
    let connection = tokio::spawn(keep_connected(client.clone(), events, received));
    let mut stop = std::pin::pin!(shutdown.clone().requested());
    loop {
        let publish = tokio::select! {
            publish = to_store.recv() => publish,
            () = &mut stop => None,
        };
        let Some(publish) = publish else { break };
        let answer = loop {
            match take(&engine, &publish).await {
                Ok(answer) => break answer,
                Err(error) if !shutdown.is_requested() => {
                    tracing::warn!(%error, "mqtt: storing a batch failed; trying again");
                    tokio::time::sleep(RETRY).await;
                }
                Err(_) => {
                    connection.abort();
                    return Ok(()); // unacknowledged: the broker sends it again
                }
            }
        };
        if let (Some(answer), Some((topic, properties))) = (answer, response_to(&publish)) {
            let sent = client.publish_with_properties(topic, QoS::AtLeastOnce, false, answer, properties);
            if let Err(error) = sent.await {
                tracing::warn!(%error, "mqtt: the answer could not be published");
            }
        }
        if let Err(error) = client.ack(&publish).await {
            tracing::warn!(%error, "mqtt: acknowledging failed; the broker will send the batch again");
        }
    }
    connection.abort();
    let _ = client.disconnect().await;
    Ok(())
}

/// Polls the connection, subscribing on every (re)connect, and passes the
/// messages on in order.
async fn keep_connected(client: AsyncClient, mut events: EventLoop, received: mpsc::UnboundedSender<Publish>) {
    loop {
        match events.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(_))) => {
                tracing::info!("mqtt: connected to the broker; subscribing to {TOPICS}");
                if let Err(error) = client.subscribe(TOPICS, QoS::AtLeastOnce).await {
                    tracing::warn!(%error, "mqtt: subscribing failed");
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                if received.send(publish).is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(%error, "mqtt: the broker is out of reach; trying again");
                tokio::time::sleep(RETRY).await;
            }
        }
    }
}

/// Stores one message's batch; the answer to publish, if any. `Err` only
/// when the engine failed (the message is to be tried again); a message that
/// can never be stored gets an answer that says why, but one for a tenant
/// this engine does not have gets none: deployments may share a broker.
async fn take(engine: &Engine, publish: &Publish) -> Result<Option<String>, EngineError> {
    let refuse = |code: &str, detail: &str| {
        tracing::warn!(code, detail, topic = %String::from_utf8_lossy(&publish.topic), "mqtt: a message was refused");
        Some(json!({"code": code, "detail": detail}).to_string())
    };
    let Some(tenant_id) = tenant_of(&publish.topic) else {
        return Ok(refuse("INVALID_TOPIC", "publish readings to smartville/<tenant id>/readings"));
    };
    let key = publish
        .properties
        .iter()
        .flat_map(|p| &p.user_properties)
        .find(|(name, _)| name.eq_ignore_ascii_case("authorization"))
        .map(|(_, value)| value.strip_prefix("Bearer ").unwrap_or(value).trim());
    let source = match key {
        Some(key) => readings::sign_in(&engine.store, key).await?,
        None => None,
    };
    let Some(source) = source.filter(|source| source.tenant_id == tenant_id) else {
        return Ok(match tenancy::tenant(&engine.store, &tenant_id).await {
            Err(StoreError::NotFound(_)) => None, // another deployment's tenant, or none
            Err(error) => return Err(error.into()),
            Ok(_) => refuse(
                "UNAUTHORIZED",
                "sign a batch with the user property authorization: Bearer svk_… (a key of this topic's tenant)",
            ),
        });
    };
    let payload = publish.payload.clone();
    let batch = tokio::task::spawn_blocking(move || readings::from_json(&payload))
        .await
        .map_err(|error| EngineError::Task(error.to_string()))?;
    let batch = match batch {
        Ok(batch) => batch,
        Err(refusal) => return Ok(refuse(refusal.code(), &refusal.to_string())),
    };
    let outcome = readings::take(engine, source.sender(), &batch).await?;
    tracing::info!(source = %source.source_id, stored = outcome.stored, rejected = outcome.rejected, "mqtt: batch taken");
    Ok(Some(serde_json::to_string(&outcome)?))
}

/// The tenant a topic `smartville/<tenant id>/readings` names.
fn tenant_of(topic: &[u8]) -> Option<TenantId> {
    let topic = std::str::from_utf8(topic).ok()?;
    let tenant = topic.strip_prefix("smartville/")?.strip_suffix("/readings")?;
    (!tenant.is_empty() && !tenant.contains('/')).then(|| TenantId::from(tenant))
}

/// Where the publisher asked for the answer, and the properties that carry its correlation data back.
fn response_to(publish: &Publish) -> Option<(String, PublishProperties)> {
    let asked = publish.properties.as_ref()?;
    let properties =
        PublishProperties { correlation_data: asked.correlation_data.clone(), ..PublishProperties::default() };
    Some((asked.response_topic.clone()?, properties))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_topic_names_its_tenant() {
        assert_eq!(tenant_of(b"smartville/019a-t/readings"), Some(TenantId::from("019a-t")));
        for other in [&b"smartville//readings"[..], b"smartville/a/b/readings", b"other/a/readings", b"\xff"] {
            assert_eq!(tenant_of(other), None);
        }
    }

    #[test]
    fn the_broker_address_is_read_from_its_url() {
        let settings = |url: &str| MqttSettings { url: url.into(), client_id: "bridge".into() };
        assert_eq!(settings("mqtt://127.0.0.1:1883").options().unwrap().broker_address(), ("127.0.0.1".into(), 1883));
        assert_eq!(settings("mqtt://broker").options().unwrap().broker_address(), ("broker".into(), 1883));
        assert!(settings("http://broker:80").options().is_err());
        assert!(settings("mqtt://broker:port").options().is_err());
    }
}
