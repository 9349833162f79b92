//! Event bus between the engine's components (HTTP API, outbox relay, scoring worker,
//! ledger), with one public API and two backends chosen at runtime.
//!
//! - **In-process** ([`Bus::in_process`], the default, no configuration): every component
//!   runs in one process and the queues live in memory, guarded by a mutex and woken by
//!   [`tokio::sync::Notify`].
//! - **Redis Streams** ([`Bus::redis`], when a `redis://` URL is configured): components run
//!   in separate processes; a topic is a stream, a group is a consumer group.
//!
//! The data flows through the modules in this order:
//!
//! - this file: the API ([`Bus`], [`BusConfig`], [`Message`], the errors), which only
//!   dispatches to a backend;
//! - `in_process`: [`InProcessBus`], the in-memory queues;
//! - `redis_streams`: [`RedisBus`], `XADD` / `XREADGROUP` / `XAUTOCLAIM` / `XACK`;
//! - `delivery`: what both backends share, running a handler on one delivery and turning its
//!   result into a verdict (ack, retry later, dead-letter).
//!
//! # Delivery guarantees
//!
//! Producers write events to a transactional outbox first and a relay publishes them, so an
//! event may be published twice; the bus itself may also deliver a message twice (a consumer
//! dies after handling but before acking). The bus therefore promises **at least once** and
//! consumers must be idempotent. Precisely:
//!
//! - **Fan-out and load balancing.** Every group of a topic gets every message published while
//!   it exists; the consumers of one group share them, each message going to one consumer at a
//!   time. A group that does not exist yet still gets the messages published before it (Redis:
//!   the group starts at the beginning of the stream; in-process: messages published while a
//!   topic has no group at all are kept for its first group, see [`Bus::ensure_group`]).
//! - **Ack on success, retry on failure.** A message whose handler returns `Ok` is acked and
//!   never delivered to that group again. A failed message is delivered again later, to this
//!   or another consumer of the group, with [`Message::deliveries`] one higher.
//! - **Dead letters.** A message that was delivered [`BusConfig::max_deliveries`] times without
//!   success is moved to the topic's dead letters ([`Bus::dead_letters`]) and acked, so one
//!   poison message cannot block a group forever. A delivery that never finished (the consumer
//!   died or shut down while handling it) counts too: a message that crashes its consumer
//!   ends up among the dead letters instead of crashing every consumer in turn.
//! - **Nothing lost to a dying consumer.** In-process, a message being handled when its
//!   `consume` future is dropped goes back to the front of its queue (a drop guard). With
//!   Redis, it stays pending at the dead consumer and another consumer of the group takes it
//!   over once it has been pending for [`BusConfig::reclaim_idle`].
//! - **Survives Redis restarts.** A consumer logs Redis errors and retries with backoff; it
//!   recreates its group when Redis lost it. Messages still only in a Redis that restarted
//!   without persistence are gone, which is why the outbox, not the bus, is the record.
//! - **Bounded.** A stream keeps about [`BusConfig::max_len`] messages; older ones are trimmed
//!   even if a slow group has not read them yet (in-process: each queue keeps at most
//!   `max_len`, dropping the oldest with a warning).
//!
//! A consumer handles its messages one at a time, in order of delivery; run more consumers
//! (tasks or processes) in the group for parallelism.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), smartville_bus::BusError> {
//! use smartville_bus::{Bus, BusConfig, Message};
//! let bus = Bus::connect(None, BusConfig::default()).await?;
//! bus.publish("rides.scored", b"{\"ride\":42}").await?;
//! let handled = tokio::sync::Notify::new();
//! bus.consume(
//!     "rides.scored",
//!     "ledger",
//!     "ledger-1",
//!     |message: Message| {
//!         assert_eq!(message.payload, b"{\"ride\":42}");
//!         handled.notify_one(); // stops this example; a service stops on SIGTERM
//!         async { Ok(()) }
//!     },
//!     handled.notified(),
//! )
//! # .await?;
//! # Ok(()) }
//! ```

mod delivery;
mod in_process;
mod redis_streams;

use std::fmt;
use std::time::Duration;

pub use in_process::InProcessBus;
pub use redis_streams::{RedisBus, dead_letter_key, stream_key};

/// Tuning shared by both backends.
///
/// The defaults suit production; tests shorten the durations so that retries and reclaims
/// happen within milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BusConfig {
    /// Deliveries after which a message that still did not succeed is dead-lettered (default
    /// 5). Bounds the work a poison message costs; 0 is treated as 1.
    pub max_deliveries: u32,
    /// Redis: how long a message may stay pending at a consumer before another consumer takes
    /// it over (default 30 s). It is also how long a failed message waits before it is
    /// redelivered, and it must exceed the longest handler run, or a slow but healthy
    /// consumer's message is handled a second time elsewhere.
    pub reclaim_idle: Duration,
    /// In-process: how long a failed message waits before it is delivered again (default 1 s),
    /// so a failing dependency is not hammered in a tight loop.
    pub retry_delay: Duration,
    /// Redis: how long one `XREADGROUP` blocks waiting for new messages (default 2 s). It also
    /// bounds how late an idle consumer notices messages to reclaim. At least 1 ms is used,
    /// since Redis reads 0 as "block forever".
    pub block: Duration,
    /// Approximate maximum number of messages kept per stream (default 1,000,000), so a topic
    /// nobody reads cannot fill Redis' memory. Also caps the dead letters and, in-process,
    /// each queue.
    pub max_len: usize,
}

impl Default for BusConfig {
    fn default() -> Self {
        Self {
            max_deliveries: 5,
            reclaim_idle: Duration::from_secs(30),
            retry_delay: Duration::from_secs(1),
            block: Duration::from_secs(2),
            max_len: 1_000_000,
        }
    }
}

/// One delivery of a published message to a consumer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// Backend-assigned identifier, unique within the topic (Redis: the stream entry ID;
    /// in-process: a sequence number). Useful in logs; idempotency keys belong in the payload,
    /// since a relay may publish the same event twice under two IDs.
    pub id: String,
    /// The bytes given to [`Bus::publish`].
    pub payload: Vec<u8>,
    /// How many times this message has been delivered to this group, this delivery included
    /// (1 the first time). Lets a handler tell a retry from a first attempt.
    pub deliveries: u32,
}

/// Why a handler could not process a message; the message is delivered again later.
///
/// A message rather than a boxed error, because the bus only logs it and records it with the
/// dead letter. Any [`std::error::Error`] converts into it (with its chain of causes), so a
/// handler can use `?`; for other failures build it directly: `HandlerError("...".into())`.
/// It deliberately does not implement `Error` itself, which is what makes that blanket
/// conversion possible.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HandlerError(pub String);

impl<E: std::error::Error> From<E> for HandlerError {
    fn from(error: E) -> Self {
        let mut text = error.to_string();
        let mut source = error.source();
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        Self(text)
    }
}

impl fmt::Display for HandlerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Why a bus operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BusError {
    /// The bus URL is neither `redis://` nor `rediss://`. Only the scheme is kept: the rest of
    /// the URL may hold a password, and errors end up in logs.
    #[error("unsupported bus URL scheme {0:?}: expected redis:// or rediss://")]
    UnsupportedScheme(String),
    /// Redis refused the command or could not be reached.
    #[error("redis: {0}")]
    Redis(#[from] redis::RedisError),
}

/// Handle to the event bus; cheap to clone (every clone shares the same queues or Redis
/// connection), `Send + Sync`, so each component gets its own copy.
///
/// A variant per backend, so that a caller can tell which one runs (for logs); everything
/// else goes through the methods, which behave the same on both.
#[derive(Clone)]
pub enum Bus {
    /// Queues in this process's memory: the default, for running every component in one
    /// process.
    InProcess(InProcessBus),
    /// Redis Streams: for components in separate processes.
    Redis(RedisBus),
}

impl fmt::Debug for Bus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The Redis variant holds connections and a URL with a possible password: name only.
        f.write_str(match self {
            Self::InProcess(_) => "Bus::InProcess",
            Self::Redis(_) => "Bus::Redis",
        })
    }
}

impl Bus {
    /// A bus inside this process, for the default single-process deployment and for tests.
    pub fn in_process(config: BusConfig) -> Self {
        Self::InProcess(InProcessBus::new(config))
    }

    /// A bus on the Redis server at `url` (`redis://` or `rediss://`).
    ///
    /// Connects before returning, so that a wrong URL or an unreachable server fails at start
    /// rather than at the first event; later connection losses are repaired automatically.
    /// `rediss://` needs a TLS feature of the `redis` crate, which this crate does not enable.
    pub async fn redis(url: &str, config: BusConfig) -> Result<Self, BusError> {
        let scheme = url.split_once("://").map_or("", |(scheme, _)| scheme);
        if !scheme.eq_ignore_ascii_case("redis") && !scheme.eq_ignore_ascii_case("rediss") {
            return Err(BusError::UnsupportedScheme(scheme.to_owned()));
        }
        Ok(Self::Redis(RedisBus::connect(url, config).await?))
    }

    /// The bus a deployment's configuration asks for: `None` → in-process, `Some(url)` →
    /// Redis. Lets the binary take one optional setting instead of choosing a backend itself.
    pub async fn connect(url: Option<&str>, config: BusConfig) -> Result<Self, BusError> {
        match url {
            None => Ok(Self::in_process(config)),
            Some(url) => Self::redis(url, config).await,
        }
    }

    /// Publishes `payload` to every group of `topic`.
    ///
    /// Returns once the message is stored (in memory, or in Redis), not once it is handled.
    /// On error the message may or may not have been stored: publish again (at least once).
    pub async fn publish(&self, topic: &str, payload: &[u8]) -> Result<(), BusError> {
        match self {
            Self::InProcess(bus) => {
                bus.publish(topic, payload);
                Ok(())
            }
            Self::Redis(bus) => bus.publish(topic, payload).await,
        }
    }

    /// Publishes a batch of `(topic, payload)` messages, in order: with Redis in
    /// one round trip (a pipeline), which is what a relay draining an outbox needs.
    ///
    /// Same guarantees as [`Bus::publish`] for each message; on error any prefix of
    /// the batch may have been stored.
    pub async fn publish_all(&self, messages: &[(&str, &[u8])]) -> Result<(), BusError> {
        match self {
            Self::InProcess(bus) => {
                for (topic, payload) in messages {
                    bus.publish(topic, payload);
                }
                Ok(())
            }
            Self::Redis(bus) => bus.publish_all(messages).await,
        }
    }

    /// Declares group `group` of `topic` without consuming, so that it receives every message
    /// published from now on even before its first consumer starts (in-process, a group only
    /// gets messages published before it existed if it is the topic's first group).
    ///
    /// [`Bus::consume`] does this itself; call it at start-up when another component may
    /// publish before the consumers run. Idempotent.
    pub async fn ensure_group(&self, topic: &str, group: &str) -> Result<(), BusError> {
        match self {
            Self::InProcess(bus) => {
                bus.ensure_group(topic, group);
                Ok(())
            }
            Self::Redis(bus) => bus.ensure_group(topic, group).await,
        }
    }

    /// Runs `handler` for every message of `topic` delivered to consumer `consumer` of group
    /// `group`, one message at a time, until `shutdown` resolves.
    ///
    /// `Ok` → the message is acked. `Err` → the message is delivered again later (to this or
    /// another consumer of the group); after [`BusConfig::max_deliveries`] deliveries it is
    /// moved to the dead letters and acked. Every group of a topic gets every message
    /// (fan-out); consumers of one group share them (load balancing). The group is created if
    /// needed, and a group created after messages were published still receives them.
    ///
    /// When `shutdown` resolves, `consume` returns at once, even in the middle of a handler:
    /// that message is delivered again (in-process: immediately, to another consumer of the
    /// group; Redis: after [`BusConfig::reclaim_idle`], like the rest of the batch the
    /// consumer had fetched). The same holds when the returned future is dropped. Errors talking to Redis are logged with `tracing` and retried with
    /// backoff, never returned, so the loop survives a Redis restart; the only error is a
    /// Redis client configuration that cannot work at all.
    ///
    /// With Redis, give each consumer a name that is stable across restarts (a pod or host
    /// name with a slot number): Redis remembers every consumer name it has seen.
    pub async fn consume<H, F>(
        &self,
        topic: &str,
        group: &str,
        consumer: &str,
        handler: H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), BusError>
    where
        H: Fn(Message) -> F + Send + Sync,
        F: Future<Output = Result<(), HandlerError>> + Send,
    {
        match self {
            Self::InProcess(bus) => {
                bus.consume(topic, group, &handler, shutdown).await;
                Ok(())
            }
            Self::Redis(bus) => bus.consume(topic, group, consumer, &handler, shutdown).await,
        }
    }

    /// Number of messages of `topic` not yet acked by `group` (pending at a consumer, waiting
    /// for a retry, or not yet delivered): the bus lag, for metrics and alerts.
    ///
    /// For a group that does not exist yet, the number of messages it would get if it started
    /// now.
    pub async fn lag(&self, topic: &str, group: &str) -> Result<u64, BusError> {
        match self {
            Self::InProcess(bus) => Ok(bus.lag(topic, group)),
            Self::Redis(bus) => bus.lag(topic, group).await,
        }
    }

    /// Dead-lettered payloads of `topic`, oldest first, for operators (inspect, then replay by
    /// publishing again) and tests. A message dead-lettered by two groups appears twice.
    pub async fn dead_letters(&self, topic: &str) -> Result<Vec<Vec<u8>>, BusError> {
        match self {
            Self::InProcess(bus) => Ok(bus.dead_letters(topic)),
            Self::Redis(bus) => bus.dead_letters(topic).await,
        }
    }

    /// Which run of the backend this is: Redis's `run_id`, new each time the server starts
    /// (perhaps without what it held: see "Survives Redis restarts"); in-process, always the
    /// same (the queues die with the process). A publisher that sees it change publishes again
    /// what may have been lost.
    pub async fn incarnation(&self) -> Result<String, BusError> {
        match self {
            Self::InProcess(_) => Ok("in-process".to_owned()),
            Self::Redis(bus) => bus.run_id().await,
        }
    }

    /// Liveness of the backend, for `/readyz`: in-process always `Ok`; Redis `PING`.
    pub async fn ping(&self) -> Result<(), BusError> {
        match self {
            Self::InProcess(_) => Ok(()),
            Self::Redis(bus) => bus.ping().await,
        }
    }
}
