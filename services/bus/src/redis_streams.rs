//! Redis Streams backend, for components in separate processes.
//!
//! A topic is the stream `smartville:{<topic>}` and its dead letters the stream
//! `smartville:{<topic>}:dead`; the braces are a hash tag, so Redis Cluster keeps both in one
//! slot and the dead-letter transaction (`XADD` to one, `XACK` on the other) stays legal. A
//! bus group is a Redis consumer group, which gives fan-out (each group reads the whole
//! stream) and load balancing (`XREADGROUP ... >` hands each entry to one consumer).
//!
//! # The consumer loop
//!
//! Each round first takes over, with `XAUTOCLAIM`, entries that have been pending for
//! [`BusConfig::reclaim_idle`] at any consumer of the group: those of a consumer that died,
//! and those whose handler failed (a failed entry is simply not acked, so it becomes
//! reclaimable after the same delay, possibly by this very consumer). Only when there is
//! nothing to reclaim does it block in `XREADGROUP` for new entries. Each entry is acked, left
//! pending, or dead-lettered and acked in one `MULTI`, according to
//! [`crate::delivery::deliver`].
//!
//! # Connections and failures
//!
//! Every connection is a [`ConnectionManager`], which reconnects after the connection drops.
//! A `consume` call gets its own: `XREADGROUP BLOCK` occupies a connection for up to
//! [`BusConfig::block`], and a multiplexed connection answers in order, so sharing one would
//! hold every `publish` behind the read. Any error in the loop is logged, waited out with
//! exponential backoff, and followed by recreating the group (`XGROUP CREATE ... 0 MKSTREAM`),
//! which is how a consumer answers `NOGROUP` after a Redis restart without persistence.

use std::collections::HashMap;
use std::pin::pin;
use std::sync::Arc;
use std::time::Duration;

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::streams::{
    StreamAutoClaimOptions, StreamAutoClaimReply, StreamId, StreamInfoGroupsReply, StreamMaxlen,
    StreamPendingCountReply, StreamRangeReply, StreamReadOptions, StreamReadReply,
};
use redis::{Cmd, FromRedisValue, RedisResult, Value};

use crate::delivery::{Context, Verdict, deliver};
use crate::{BusConfig, BusError, HandlerError, Message};

/// Stream field holding the published bytes.
const PAYLOAD: &str = "payload";
/// Entries fetched per `XREADGROUP` or `XAUTOCLAIM`. A consumer handles them one by one, so a
/// batch must be handled within [`BusConfig::reclaim_idle`] or its tail is taken over; small
/// batches also spread a burst over the group's consumers.
const BATCH: usize = 16;
/// Entries per `XRANGE` page when the lag has to be counted by hand.
const COUNT_PAGE: usize = 1_000;
/// How long a command may take to answer, beyond any blocking it asks for, before the
/// connection is considered broken.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// First wait after an error in the consumer loop; doubles up to [`BACKOFF_MAX`].
const BACKOFF_MIN: Duration = Duration::from_millis(100);
/// Longest wait between attempts while Redis is unreachable.
const BACKOFF_MAX: Duration = Duration::from_secs(5);

/// Handle to the Redis backend (the [`crate::Bus::Redis`] variant). Cloning shares the
/// connection.
#[derive(Clone)]
pub struct RedisBus(Arc<Shared>);

/// State shared by every clone of a [`RedisBus`].
struct Shared {
    /// To open each consumer's own connection.
    client: redis::Client,
    /// Multiplexed connection for everything that does not block: publish, lag, ping, ...
    conn: ConnectionManager,
    config: BusConfig,
}

impl RedisBus {
    pub(crate) async fn connect(url: &str, config: BusConfig) -> Result<Self, BusError> {
        let client = redis::Client::open(url)?;
        let conn = ConnectionManager::new_with_config(client.clone(), manager_config(RESPONSE_TIMEOUT)).await?;
        Ok(Self(Arc::new(Shared { client, conn, config })))
    }

    pub(crate) async fn publish(&self, topic: &str, payload: &[u8]) -> Result<(), BusError> {
        let max_len = StreamMaxlen::Approx(self.0.config.max_len);
        let _id: Value =
            query(&self.0.conn, &Cmd::xadd_maxlen(stream_key(topic), max_len, "*", &[(PAYLOAD, payload)])).await?;
        Ok(())
    }

    pub(crate) async fn publish_all(&self, messages: &[(&str, &[u8])]) -> Result<(), BusError> {
        if messages.is_empty() {
            return Ok(()); // Redis refuses an empty pipeline
        }
        let max_len = StreamMaxlen::Approx(self.0.config.max_len);
        let mut pipe = redis::pipe();
        for (topic, payload) in messages {
            pipe.xadd_maxlen(stream_key(topic), max_len, "*", &[(PAYLOAD, *payload)]).ignore();
        }
        let mut conn = self.0.conn.clone();
        let () = match pipe.query_async(&mut conn).await {
            Err(error) if error.is_unrecoverable_error() => pipe.query_async(&mut conn).await?,
            result => result?,
        };
        Ok(())
    }

    pub(crate) async fn ensure_group(&self, topic: &str, group: &str) -> Result<(), BusError> {
        Ok(create_group(&self.0.conn, &stream_key(topic), group).await?)
    }

    pub(crate) async fn consume<H, F>(
        &self,
        topic: &str,
        group: &str,
        consumer: &str,
        handler: &H,
        shutdown: impl Future<Output = ()>,
    ) -> Result<(), BusError>
    where
        H: Fn(Message) -> F,
        F: Future<Output = Result<(), HandlerError>>,
    {
        let config = self.0.config;
        // Redis reads `BLOCK 0` as "forever".
        let block = config.block.max(Duration::from_millis(1));
        // Lazy: connecting happens inside the loop, where failures are retried like any other.
        let conn =
            ConnectionManager::new_lazy_with_config(self.0.client.clone(), manager_config(block + RESPONSE_TIMEOUT))?;
        let mut worker = Consumer {
            conn,
            key: stream_key(topic),
            dead_key: dead_letter_key(topic),
            consumer,
            block,
            config,
            context: Context { topic, group, max_deliveries: config.max_deliveries },
            cursor: "0-0".to_owned(),
            group_ready: false,
        };
        let mut shutdown = pin!(shutdown);
        let mut backoff = BACKOFF_MIN;
        loop {
            // Dropping a round mid-way is safe: whatever it read and did not ack stays pending
            // and is reclaimed after `reclaim_idle`.
            let round = tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                round = worker.round(handler) => round,
            };
            let Err(error) = round else {
                backoff = BACKOFF_MIN;
                continue;
            };
            tracing::warn!(topic, group, consumer, %error, retry_in = ?backoff, "redis error in consumer; retrying");
            // After a Redis restart the group is gone (NOGROUP); recreating it after any error
            // also covers a restart noticed as a dropped connection.
            worker.group_ready = false;
            tokio::select! {
                biased;
                () = &mut shutdown => return Ok(()),
                () = tokio::time::sleep(backoff) => {}
            }
            backoff = (backoff * 2).min(BACKOFF_MAX);
        }
    }

    pub(crate) async fn lag(&self, topic: &str, group: &str) -> Result<u64, BusError> {
        let key = stream_key(topic);
        let len: usize = query(&self.0.conn, &Cmd::xlen(&key)).await?;
        if len == 0 {
            // No stream (or an empty one): nothing left to deliver, and XINFO would fail.
            return Ok(0);
        }
        let groups: StreamInfoGroupsReply = query(&self.0.conn, &Cmd::xinfo_groups(&key)).await?;
        let Some(info) = groups.groups.into_iter().find(|info| info.name == group) else {
            // A group created now starts at the beginning: it would get the whole stream.
            return Ok(len as u64);
        };
        let undelivered = match info.lag {
            Some(lag) => lag,
            // Redis cannot tell once entries were deleted (XDEL) after the group's position.
            None => self.count_after(&key, &info.last_delivered_id).await?,
        };
        Ok((info.pending + undelivered) as u64)
    }

    /// Number of entries of stream `key` after entry `id`, counted page by page.
    async fn count_after(&self, key: &str, id: &str) -> RedisResult<usize> {
        let mut count = 0;
        let mut start = format!("({id}");
        loop {
            let page: StreamRangeReply = query(&self.0.conn, &Cmd::xrange_count(key, &start, "+", COUNT_PAGE)).await?;
            count += page.ids.len();
            match page.ids.last() {
                Some(last) if page.ids.len() == COUNT_PAGE => start = format!("({}", last.id),
                _ => return Ok(count),
            }
        }
    }

    pub(crate) async fn dead_letters(&self, topic: &str) -> Result<Vec<Vec<u8>>, BusError> {
        let entries: StreamRangeReply = query(&self.0.conn, &Cmd::xrange_all(dead_letter_key(topic))).await?;
        Ok(entries.ids.into_iter().filter_map(|entry| payload(entry.map)).collect())
    }

    pub(crate) async fn ping(&self) -> Result<(), BusError> {
        let _pong: String = query(&self.0.conn, &Cmd::ping()).await?;
        Ok(())
    }

    /// The server's `run_id` (from `INFO server`), new at every start.
    pub(crate) async fn run_id(&self) -> Result<String, BusError> {
        let info: String = query(&self.0.conn, redis::cmd("INFO").arg("server")).await?;
        let run_id = info.lines().find_map(|line| line.strip_prefix("run_id:"));
        Ok(run_id.unwrap_or_default().trim().to_owned())
    }
}

/// One `consume` call's state, kept across rounds.
struct Consumer<'a> {
    /// This consumer's own connection, used for all its commands (they run one at a time).
    conn: ConnectionManager,
    key: String,
    dead_key: String,
    consumer: &'a str,
    block: Duration,
    config: BusConfig,
    context: Context<'a>,
    /// Where the next `XAUTOCLAIM` continues its scan of the pending entries ("0-0": from the
    /// start).
    cursor: String,
    /// Whether the group is known to exist on the current server.
    group_ready: bool,
}

impl Consumer<'_> {
    /// One round: make sure the group exists, then handle the entries to reclaim or, if there
    /// are none, the new ones (waiting up to `block` for them).
    async fn round<H, F>(&mut self, handler: &H) -> RedisResult<()>
    where
        H: Fn(Message) -> F,
        F: Future<Output = Result<(), HandlerError>>,
    {
        if !self.group_ready {
            create_group(&self.conn, &self.key, self.context.group).await?;
            self.group_ready = true;
        }
        let mut entries = self.reclaim().await?;
        if entries.is_empty() {
            entries = self.read_new().await?.into_iter().map(|entry| (entry, 1)).collect();
        }
        for (entry, deliveries) in entries {
            self.handle(handler, entry, deliveries).await?;
        }
        Ok(())
    }

    /// Takes over entries pending for at least `reclaim_idle` at any consumer of the group,
    /// with their delivery counts (this delivery included).
    async fn reclaim(&mut self) -> RedisResult<Vec<(StreamId, u32)>> {
        let group = self.context.group;
        let idle_ms = u64::try_from(self.config.reclaim_idle.as_millis()).unwrap_or(u64::MAX);
        let options = StreamAutoClaimOptions::default().count(BATCH);
        let reply: StreamAutoClaimReply = query(
            &self.conn,
            &Cmd::xautoclaim_options(&self.key, group, self.consumer, idle_ms, &self.cursor, options),
        )
        .await?;
        self.cursor = reply.next_stream_id;
        if !reply.deleted_ids.is_empty() {
            // MAXLEN trimmed them while pending; Redis has dropped them from the group.
            let (topic, lost) = (self.context.topic, reply.deleted_ids.len());
            tracing::error!(topic, group, lost, "pending messages were trimmed from the stream before being acked");
        }
        if reply.claimed.is_empty() {
            return Ok(Vec::new());
        }
        // XAUTOCLAIM counts the delivery but does not report the count: read the counts back,
        // one XPENDING per entry, in a single round trip.
        let mut pipe = redis::pipe();
        for entry in &reply.claimed {
            pipe.xpending_consumer_count(&self.key, group, &entry.id, &entry.id, 1, self.consumer);
        }
        let counts: Vec<StreamPendingCountReply> = pipe.query_async(&mut self.conn.clone()).await?;
        // An entry no longer pending here was taken over by another consumer in between (only
        // possible with a `reclaim_idle` near zero): it is theirs now.
        Ok(reply
            .claimed
            .into_iter()
            .zip(counts)
            .filter_map(|(entry, count)| {
                let deliveries = count.ids.first()?.times_delivered;
                Some((entry, u32::try_from(deliveries).unwrap_or(u32::MAX)))
            })
            .collect())
    }

    /// Entries never delivered to the group, waiting up to `block` for some to arrive.
    async fn read_new(&mut self) -> RedisResult<Vec<StreamId>> {
        let block_ms = usize::try_from(self.block.as_millis()).unwrap_or(usize::MAX);
        let options =
            StreamReadOptions::default().group(self.context.group, self.consumer).count(BATCH).block(block_ms);
        let reply: Option<StreamReadReply> =
            query(&self.conn, &Cmd::xread_options(&[&self.key], &[">"], &options)).await?;
        Ok(reply.into_iter().flat_map(|reply| reply.keys).flat_map(|stream| stream.ids).collect())
    }

    /// Delivers one entry and carries out the verdict. An error leaves the entry pending, to be
    /// reclaimed later.
    async fn handle<H, F>(&self, handler: &H, entry: StreamId, deliveries: u32) -> RedisResult<()>
    where
        H: Fn(Message) -> F,
        F: Future<Output = Result<(), HandlerError>>,
    {
        let group = self.context.group;
        let StreamId { id, map, .. } = entry;
        let Some(payload) = payload(map) else {
            // Not written by `publish`: nothing a handler could read. Acked so it cannot block
            // the group; logged so it is not silent.
            tracing::error!(topic = self.context.topic, group, id, "stream entry without a payload field; skipped");
            return self.ack(&id).await;
        };
        // The handler takes the message by value; a copy of the payload is kept in case it has
        // to be dead-lettered (payloads are small events, and this avoids re-reading it).
        let message = Message { id: id.clone(), payload: payload.clone(), deliveries };
        match deliver(handler, message, &self.context).await {
            Verdict::Ack => self.ack(&id).await,
            // Stays pending at this consumer until `reclaim_idle` makes it reclaimable.
            Verdict::Retry => Ok(()),
            Verdict::DeadLetter(reason) => {
                let deliveries = deliveries.to_string();
                let fields: [(&str, &[u8]); 5] = [
                    (PAYLOAD, &payload),
                    ("id", id.as_bytes()),
                    ("group", group.as_bytes()),
                    ("deliveries", deliveries.as_bytes()),
                    ("error", reason.as_bytes()),
                ];
                // MULTI: the entry is either dead-lettered and acked, or neither (and retried).
                redis::pipe()
                    .atomic()
                    .xadd_maxlen(&self.dead_key, StreamMaxlen::Approx(self.config.max_len), "*", &fields)
                    .ignore()
                    .xack(&self.key, group, &[&id])
                    .ignore()
                    .exec_async(&mut self.conn.clone())
                    .await
            }
        }
    }

    async fn ack(&self, id: &str) -> RedisResult<()> {
        let _acked: usize = query(&self.conn, &Cmd::xack(&self.key, self.context.group, &[id])).await?;
        Ok(())
    }
}

/// Runs `cmd` on `conn`, retrying once if the connection turned out to be dead.
///
/// The manager reconnects after a dropped connection, but fails the command that found it
/// dropped (the first one after a Redis restart, say); the retry runs on the new connection.
/// A retried write may have been applied twice, which at-least-once delivery allows.
async fn query<T: FromRedisValue>(conn: &ConnectionManager, cmd: &Cmd) -> RedisResult<T> {
    let mut conn = conn.clone();
    match cmd.query_async(&mut conn).await {
        Err(error) if error.is_unrecoverable_error() => cmd.query_async(&mut conn).await,
        result => result,
    }
}

/// Creates `group` on stream `key` (and the stream if needed) at the start of the stream, so
/// the group gets the messages published before it existed. Idempotent.
async fn create_group(conn: &ConnectionManager, key: &str, group: &str) -> RedisResult<()> {
    match query(conn, &Cmd::xgroup_create_mkstream(key, group, "0")).await {
        Err(error) if error.code() == Some("BUSYGROUP") => Ok(()),
        result => result,
    }
}

fn manager_config(response_timeout: Duration) -> ConnectionManagerConfig {
    ConnectionManagerConfig::new().set_response_timeout(Some(response_timeout))
}

/// The payload of a stream entry, `None` if the entry was not written by the bus.
fn payload(mut fields: HashMap<String, Value>) -> Option<Vec<u8>> {
    match fields.remove(PAYLOAD)? {
        Value::BulkString(bytes) => Some(bytes),
        _ => None,
    }
}

/// The stream of `topic`; public so that tests and operators' tools use the same names.
pub fn stream_key(topic: &str) -> String {
    format!("smartville:{{{topic}}}")
}

/// The dead-letter stream of `topic`.
pub fn dead_letter_key(topic: &str) -> String {
    format!("smartville:{{{topic}}}:dead")
}
