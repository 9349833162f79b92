//! Behaviour of the bus: every scenario in the first part runs twice, with the same body, on
//! the in-process backend and on Redis Streams; the scenarios at the end only make sense with
//! Redis (reclaim by a lone XREADGROUP reader, lost groups, killed connections, lag counted
//! by hand).
//!
//! Redis tests use the server at `$SMARTVILLE_TEST_REDIS_URL` (default
//! `redis://127.0.0.1:6379`, given without a database number). Each test works on its own
//! topic (process id and a counter in the name), so tests run in parallel, and deletes its
//! keys when it ends, even when it fails. Durations are shortened (see [`config`]) so that a
//! retry or a reclaim takes a fraction of a second.

#![allow(clippy::unwrap_used)]

use std::future::{Ready, ready};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use smartville_bus::{Bus, BusConfig, BusError, HandlerError, Message, dead_letter_key, stream_key};
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio::time::{Instant, sleep, timeout};

/// How long a test waits for something that should happen.
const PATIENCE: Duration = Duration::from_secs(5);
/// How long a test watches for something that should not happen: longer than a retry, a
/// reclaim (`reclaim_idle`) plus a blocking read (`block`), so a wrong redelivery would show.
const QUIET: Duration = Duration::from_millis(700);
/// The database the connection-killing test works in: it kills every connection using it, so
/// no other test may use it.
const KILL_DB: u32 = 13;

#[derive(Debug, Clone, Copy)]
enum Backend {
    InProcess,
    Redis,
}

/// Short durations, so retries and reclaims happen within a test.
fn config() -> BusConfig {
    BusConfig {
        max_deliveries: 3,
        reclaim_idle: Duration::from_millis(300),
        retry_delay: Duration::from_millis(50),
        block: Duration::from_millis(100),
        max_len: 10_000,
    }
}

fn redis_url() -> String {
    std::env::var("SMARTVILLE_TEST_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// A bus and a topic of its own; deletes the topic's Redis keys when dropped.
struct Setup {
    bus: Bus,
    topic: String,
    /// The Redis URL when the backend is Redis, for raw commands and the clean-up.
    url: Option<String>,
}

impl Setup {
    async fn new(backend: Backend) -> Self {
        Self::with_config(backend, config()).await
    }

    async fn with_config(backend: Backend, config: BusConfig) -> Self {
        match backend {
            Backend::InProcess => Self::build(Bus::in_process(config), None),
            Backend::Redis => Self::on_redis(redis_url(), config).await,
        }
    }

    async fn on_redis(url: String, config: BusConfig) -> Self {
        Self::build(Bus::redis(&url, config).await.unwrap(), Some(url))
    }

    fn build(bus: Bus, url: Option<String>) -> Self {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let topic = format!("bus-test-{}-{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        Self { bus, topic, url }
    }

    async fn publish(&self, payload: &str) {
        self.bus.publish(&self.topic, payload.as_bytes()).await.unwrap();
    }

    async fn lag(&self, group: &str) -> u64 {
        self.bus.lag(&self.topic, group).await.unwrap()
    }

    /// A raw connection to the test's Redis, for what the bus API does not offer.
    async fn raw(&self) -> redis::aio::MultiplexedConnection {
        let url = self.url.as_deref().unwrap();
        redis::Client::open(url).unwrap().get_multiplexed_async_connection().await.unwrap()
    }

    /// Runs `consume` in a task until [`Consumer::stop`] (or until dropped).
    fn consumer<H, F>(&self, group: &str, name: &str, handler: H) -> Consumer
    where
        H: Fn(Message) -> F + Send + Sync + 'static,
        F: Future<Output = Result<(), HandlerError>> + Send + 'static,
    {
        let (stop, stopped) = oneshot::channel::<()>();
        let (bus, topic, group, name) = (self.bus.clone(), self.topic.clone(), group.to_owned(), name.to_owned());
        let task = tokio::spawn(async move {
            // Resolves on `stop` or when the sender is dropped with the `Consumer`.
            let shutdown = async {
                stopped.await.ok();
            };
            bus.consume(&topic, &group, &name, handler, shutdown).await
        });
        Consumer { stop: Some(stop), task }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        let Some(url) = &self.url else { return };
        // Blocking, so it also runs when the test panics; a test's last act, so it delays
        // nothing.
        let mut conn = redis::Client::open(url.as_str()).unwrap().get_connection().unwrap();
        let keys = [stream_key(&self.topic), dead_letter_key(&self.topic)];
        redis::cmd("DEL").arg(&keys).exec(&mut conn).unwrap();
    }
}

/// A running `consume` task.
struct Consumer {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<Result<(), BusError>>,
}

impl Consumer {
    /// Resolves the shutdown future and checks that `consume` returns `Ok` promptly.
    async fn stop(mut self) {
        self.stop.take().unwrap().send(()).unwrap();
        let joined = timeout(Duration::from_secs(1), &mut self.task).await;
        joined.expect("consume did not return within 1 s of shutdown").unwrap().unwrap();
    }
}

/// A handler that sends every message it gets to `seen`, then fails when `fails` says so.
fn recorder(
    seen: mpsc::UnboundedSender<Message>,
    fails: impl Fn(&Message) -> bool + Send + Sync + 'static,
) -> impl Fn(Message) -> Ready<Result<(), HandlerError>> + Send + Sync + 'static {
    move |message| {
        let failed = fails(&message);
        seen.send(message).ok();
        ready(if failed { Err(HandlerError("planned failure".into())) } else { Ok(()) })
    }
}

/// The next message a handler saw, or a panic after [`PATIENCE`].
async fn next(seen: &mut mpsc::UnboundedReceiver<Message>) -> Message {
    timeout(PATIENCE, seen.recv()).await.expect("no message delivered in time").unwrap()
}

/// The payloads of the next `n` messages, sorted.
async fn next_payloads(seen: &mut mpsc::UnboundedReceiver<Message>, n: usize) -> Vec<String> {
    let mut payloads = Vec::new();
    for _ in 0..n {
        payloads.push(String::from_utf8(next(seen).await.payload).unwrap());
    }
    payloads.sort();
    payloads
}

/// Fails if a handler sees a message within [`QUIET`].
async fn assert_quiet(seen: &mut mpsc::UnboundedReceiver<Message>) {
    if let Ok(Some(message)) = timeout(QUIET, seen.recv()).await {
        panic!("unexpected delivery: {message:?}");
    }
}

/// Polls `check` until it holds, or panics after [`PATIENCE`].
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + PATIENCE;
    while !check().await {
        assert!(Instant::now() < deadline, "not within {PATIENCE:?}: {what}");
        sleep(Duration::from_millis(20)).await;
    }
}

fn never_fails(_: &Message) -> bool {
    false
}

/// Runs each scenario as `in_process::<name>` and `redis_streams::<name>`.
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod in_process {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::InProcess).await;
                }
            )*
        }
        mod redis_streams {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $scenario() {
                    super::$scenario(super::Backend::Redis).await;
                }
            )*
        }
    };
}

on_both_backends!(
    publish_then_consume_delivers_the_payload_once,
    a_published_batch_arrives_in_order_on_each_topic,
    every_group_gets_every_message,
    consumers_of_a_group_share_the_messages,
    failed_message_is_redelivered_with_a_growing_count,
    message_is_dead_lettered_after_max_deliveries,
    group_created_after_publishing_gets_earlier_messages,
    lag_counts_unacked_messages_until_handled,
    shutdown_stops_a_waiting_consumer,
    message_of_a_stopped_consumer_goes_to_another,
);

async fn publish_then_consume_delivers_the_payload_once(backend: Backend) {
    let setup = Setup::new(backend).await;
    setup.publish("hello").await;
    let (tx, mut seen) = mpsc::unbounded_channel();
    let consumer = setup.consumer("g", "c1", recorder(tx, never_fails));

    let message = next(&mut seen).await;
    assert_eq!(message.payload, b"hello");
    assert_eq!(message.deliveries, 1);
    assert!(!message.id.is_empty());
    assert_quiet(&mut seen).await;
    eventually("the message is acked", async || setup.lag("g").await == 0).await;
    consumer.stop().await;
}

async fn a_published_batch_arrives_in_order_on_each_topic(backend: Backend) {
    let setup = Setup::new(backend).await;
    let other = Setup { bus: setup.bus.clone(), topic: format!("{}-other", setup.topic), url: setup.url.clone() };
    let batch: Vec<(&str, &[u8])> = vec![
        (&setup.topic, b"a1"),
        (&other.topic, b"b1"),
        (&setup.topic, b"a2"),
        (&setup.topic, b"a3"),
        (&other.topic, b"b2"),
    ];
    setup.bus.publish_all(&batch).await.unwrap();
    setup.bus.publish_all(&[]).await.unwrap();
    let (tx, mut seen) = mpsc::unbounded_channel();
    let consumer = setup.consumer("g", "c1", recorder(tx, never_fails));
    assert_eq!(next_payloads(&mut seen, 3).await, ["a1", "a2", "a3"]);
    let (tx, mut seen_other) = mpsc::unbounded_channel();
    let other_consumer = other.consumer("g", "c1", recorder(tx, never_fails));
    assert_eq!(next_payloads(&mut seen_other, 2).await, ["b1", "b2"]);
    assert_quiet(&mut seen).await;
    consumer.stop().await;
    other_consumer.stop().await;
}

async fn every_group_gets_every_message(backend: Backend) {
    let setup = Setup::new(backend).await;
    for group in ["g1", "g2"] {
        setup.bus.ensure_group(&setup.topic, group).await.unwrap();
    }
    for payload in ["a", "b", "c"] {
        setup.publish(payload).await;
    }
    let (tx1, mut seen1) = mpsc::unbounded_channel();
    let (tx2, mut seen2) = mpsc::unbounded_channel();
    let consumers =
        [setup.consumer("g1", "c", recorder(tx1, never_fails)), setup.consumer("g2", "c", recorder(tx2, never_fails))];

    assert_eq!(next_payloads(&mut seen1, 3).await, ["a", "b", "c"]);
    assert_eq!(next_payloads(&mut seen2, 3).await, ["a", "b", "c"]);
    assert_quiet(&mut seen1).await;
    assert_quiet(&mut seen2).await;
    for consumer in consumers {
        consumer.stop().await;
    }
}

async fn consumers_of_a_group_share_the_messages(backend: Backend) {
    let setup = Setup::new(backend).await;
    setup.bus.ensure_group(&setup.topic, "g").await.unwrap();
    let (tx, mut seen) = mpsc::unbounded_channel();
    let consumers = [
        setup.consumer("g", "c1", recorder(tx.clone(), never_fails)),
        setup.consumer("g", "c2", recorder(tx, never_fails)),
    ];
    let expected: Vec<String> = (10..30).map(|i| format!("m{i}")).collect();
    for payload in &expected {
        setup.publish(payload).await;
    }

    // Exactly once overall: two consumers each seeing every message would make 40.
    assert_eq!(next_payloads(&mut seen, expected.len()).await, expected);
    assert_quiet(&mut seen).await;
    assert_eq!(setup.lag("g").await, 0);
    for consumer in consumers {
        consumer.stop().await;
    }
}

async fn failed_message_is_redelivered_with_a_growing_count(backend: Backend) {
    let setup = Setup::new(backend).await;
    setup.publish("flaky").await;
    let (tx, mut seen) = mpsc::unbounded_channel();
    // Fails twice, succeeds on the third and last allowed delivery.
    let consumer = setup.consumer("g", "c1", recorder(tx, |message| message.deliveries < 3));

    let first = next(&mut seen).await;
    for deliveries in 1..=3 {
        let message = if deliveries == 1 { first.clone() } else { next(&mut seen).await };
        assert_eq!((message.id.as_str(), message.payload.as_slice()), (first.id.as_str(), &b"flaky"[..]));
        assert_eq!(message.deliveries, deliveries);
    }
    assert_quiet(&mut seen).await;
    assert_eq!(setup.lag("g").await, 0);
    assert!(setup.bus.dead_letters(&setup.topic).await.unwrap().is_empty());
    consumer.stop().await;
}

async fn message_is_dead_lettered_after_max_deliveries(backend: Backend) {
    let setup = Setup::new(backend).await;
    setup.publish("poison").await;
    setup.publish("fine").await;
    let (tx, mut seen) = mpsc::unbounded_channel();
    let consumer = setup.consumer("g", "c1", recorder(tx, |message| message.payload == b"poison"));

    let mut poison_deliveries = Vec::new();
    let mut fine_deliveries = 0;
    while poison_deliveries.len() < 3 {
        let message = next(&mut seen).await;
        match message.payload.as_slice() {
            b"poison" => poison_deliveries.push(message.deliveries),
            _ => fine_deliveries += 1,
        }
    }
    assert_eq!(poison_deliveries, [1, 2, 3]);
    eventually("the poison message is dead-lettered", async || {
        setup.bus.dead_letters(&setup.topic).await.unwrap() == [b"poison".to_vec()]
    })
    .await;
    if fine_deliveries == 0 {
        assert_eq!(next(&mut seen).await.payload, b"fine");
    }
    // Not delivered a fourth time, and acked.
    assert_quiet(&mut seen).await;
    assert_eq!(setup.lag("g").await, 0);
    consumer.stop().await;
}

async fn group_created_after_publishing_gets_earlier_messages(backend: Backend) {
    let setup = Setup::new(backend).await;
    setup.publish("early-1").await;
    setup.publish("early-2").await;
    let (tx, mut seen) = mpsc::unbounded_channel();
    let consumer = setup.consumer("late", "c1", recorder(tx, never_fails));

    // In publication order, too.
    assert_eq!(next(&mut seen).await.payload, b"early-1");
    assert_eq!(next(&mut seen).await.payload, b"early-2");
    consumer.stop().await;
}

async fn lag_counts_unacked_messages_until_handled(backend: Backend) {
    let setup = Setup::new(backend).await;
    for payload in ["a", "b", "c"] {
        setup.publish(payload).await;
    }
    assert_eq!(setup.lag("g").await, 3, "a group that does not exist yet would get all three");
    // The handler holds each message until the test lets it through.
    let gate = Arc::new(Semaphore::new(0));
    let (tx, mut seen) = mpsc::unbounded_channel();
    let handler = {
        let gate = Arc::clone(&gate);
        move |message: Message| {
            let (gate, tx) = (Arc::clone(&gate), tx.clone());
            async move {
                tx.send(message).ok();
                gate.acquire().await.unwrap().forget();
                Ok(())
            }
        }
    };
    let consumer = setup.consumer("g", "c1", handler);

    next(&mut seen).await;
    // One message in the handler, two waiting: none acked.
    assert_eq!(setup.lag("g").await, 3);
    gate.add_permits(3);
    next_payloads(&mut seen, 2).await;
    eventually("the lag drops to 0", async || setup.lag("g").await == 0).await;
    consumer.stop().await;
}

async fn shutdown_stops_a_waiting_consumer(backend: Backend) {
    // A read blocking far longer than the test: shutdown has to interrupt it.
    let config = BusConfig { block: Duration::from_secs(30), ..config() };
    let setup = Setup::with_config(backend, config).await;
    let (tx, mut seen) = mpsc::unbounded_channel();
    let consumer = setup.consumer("g", "c1", recorder(tx, never_fails));
    // Time to create the group and start blocking in a read.
    sleep(Duration::from_millis(300)).await;

    consumer.stop().await;
    setup.publish("after").await;
    assert_quiet(&mut seen).await;
    assert_eq!(setup.lag("g").await, 1, "nobody consumes any more");
}

async fn message_of_a_stopped_consumer_goes_to_another(backend: Backend) {
    let setup = Setup::new(backend).await;
    setup.publish("orphan").await;
    // A consumer that takes the message and never finishes with it, then is stopped: in
    // effect, a consumer that died holding the message.
    let (tx, mut seen_by_first) = mpsc::unbounded_channel();
    let stuck = setup.consumer("g", "stuck", move |message: Message| {
        tx.send(message).ok();
        std::future::pending()
    });
    let taken = next(&mut seen_by_first).await;
    assert_eq!(taken.deliveries, 1);
    stuck.stop().await;

    // In-process the drop guard puts it back at once; Redis leaves it pending until
    // `reclaim_idle` and the other consumer's XAUTOCLAIM.
    let (tx, mut seen) = mpsc::unbounded_channel();
    let rescuer = setup.consumer("g", "rescuer", recorder(tx, never_fails));
    let message = next(&mut seen).await;
    assert_eq!((message.id, message.payload, message.deliveries), (taken.id, taken.payload, 2));
    eventually("the message is acked", async || setup.lag("g").await == 0).await;
    rescuer.stop().await;
}

#[tokio::test]
async fn connect_picks_the_backend_from_the_url() {
    fn shareable<T: Clone + Send + Sync + 'static>() {}
    shareable::<Bus>();

    let bus = Bus::connect(None, config()).await.unwrap();
    assert!(matches!(bus, Bus::InProcess(_)));
    bus.ping().await.unwrap();

    let bus = Bus::connect(Some(&redis_url()), config()).await.unwrap();
    assert!(matches!(bus, Bus::Redis(_)));
    bus.ping().await.unwrap();

    let error = Bus::connect(Some("http://user:secret@example.invalid"), config()).await.unwrap_err();
    assert!(matches!(&error, BusError::UnsupportedScheme(scheme) if scheme == "http"));
    assert!(!error.to_string().contains("secret"), "the error must not leak the URL: {error}");
}

mod in_process_only {
    use super::*;

    /// A topic nobody consumes cannot grow without bound: only the newest `max_len` are kept.
    #[tokio::test]
    async fn backlog_keeps_the_newest_max_len_messages() {
        let setup = Setup::with_config(Backend::InProcess, BusConfig { max_len: 2, ..config() }).await;
        for payload in ["old", "newer", "newest"] {
            setup.publish(payload).await;
        }
        assert_eq!(setup.lag("g").await, 2);
        let (tx, mut seen) = mpsc::unbounded_channel();
        let consumer = setup.consumer("g", "c1", recorder(tx, never_fails));
        assert_eq!(next(&mut seen).await.payload, b"newer");
        assert_eq!(next(&mut seen).await.payload, b"newest");
        assert_quiet(&mut seen).await;
        consumer.stop().await;
    }
}

mod redis_only {
    use super::*;

    /// The dead-letter stream tells operators which message failed where and why.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn dead_letter_entry_records_the_last_failure() {
        let setup = Setup::new(Backend::Redis).await;
        setup.publish("poison").await;
        let (tx, mut seen) = mpsc::unbounded_channel();
        let consumer = setup.consumer("g", "c1", recorder(tx, |_| true));
        let id = next(&mut seen).await.id;
        eventually("the message is dead-lettered", async || {
            !setup.bus.dead_letters(&setup.topic).await.unwrap().is_empty()
        })
        .await;
        consumer.stop().await;

        let dead: redis::streams::StreamRangeReply = redis::cmd("XRANGE")
            .arg(&[&dead_letter_key(&setup.topic), "-", "+"])
            .query_async(&mut setup.raw().await)
            .await
            .unwrap();
        assert_eq!(dead.ids.len(), 1);
        let field = |name: &str| redis::from_redis_value::<String>(dead.ids[0].map[name].clone()).unwrap();
        let fields = ["payload", "id", "group", "deliveries", "error"].map(field);
        // Dead-lettered on the third failure, with the handler's own error.
        assert_eq!(fields, ["poison", id.as_str(), "g", "3", "planned failure"]);
    }

    /// XAUTOCLAIM: an entry read by a consumer that vanished without acking is taken over.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn entry_left_pending_by_a_vanished_reader_is_reclaimed() {
        let setup = Setup::new(Backend::Redis).await;
        setup.bus.ensure_group(&setup.topic, "g").await.unwrap();
        setup.publish("abandoned").await;
        // A throwaway consumer reads the entry and is never heard of again.
        let mut raw = setup.raw().await;
        let read = redis::cmd("XREADGROUP")
            .arg(&["GROUP", "g", "ghost", "COUNT", "1", "STREAMS", &stream_key(&setup.topic), ">"])
            .query_async::<redis::streams::StreamReadReply>(&mut raw)
            .await
            .unwrap();
        assert_eq!(read.keys[0].ids.len(), 1);

        let started = Instant::now();
        let (tx, mut seen) = mpsc::unbounded_channel();
        let consumer = setup.consumer("g", "c1", recorder(tx, never_fails));
        let message = next(&mut seen).await;
        assert_eq!((message.payload.as_slice(), message.deliveries), (&b"abandoned"[..], 2));
        assert!(started.elapsed() >= config().reclaim_idle / 2, "taken over before it was idle");
        eventually("the message is acked", async || setup.lag("g").await == 0).await;
        consumer.stop().await;
    }

    /// What a Redis restart without persistence does to a topic: the stream and its group
    /// vanish. The running consumer must recreate the group and carry on.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn consumer_recovers_when_stream_and_group_vanish() {
        let setup = Setup::new(Backend::Redis).await;
        let (tx, mut seen) = mpsc::unbounded_channel();
        let consumer = setup.consumer("g", "c1", recorder(tx, never_fails));
        setup.publish("before").await;
        assert_eq!(next(&mut seen).await.payload, b"before");
        eventually("the message is acked", async || setup.lag("g").await == 0).await;

        redis::cmd("DEL").arg(stream_key(&setup.topic)).exec_async(&mut setup.raw().await).await.unwrap();
        setup.publish("after").await;
        assert_eq!(next(&mut seen).await.payload, b"after");
        eventually("the message is acked", async || setup.lag("g").await == 0).await;
        consumer.stop().await;
    }

    /// What a Redis restart does to the connections: every one of the bus's is killed.
    /// Publishing and consuming must go on over new ones.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn consumer_and_publisher_recover_when_connections_are_killed() {
        // Its own database, so that the connections to kill can be told from other tests'.
        let setup = Setup::on_redis(format!("{}/{KILL_DB}", redis_url()), config()).await;
        let (tx, mut seen) = mpsc::unbounded_channel();
        let consumer = setup.consumer("g", "c1", recorder(tx, never_fails));
        setup.publish("before").await;
        assert_eq!(next(&mut seen).await.payload, b"before");

        let mut raw = setup.raw().await;
        let own_id: u64 = redis::cmd("CLIENT").arg("ID").query_async(&mut raw).await.unwrap();
        let clients: String =
            redis::cmd("CLIENT").arg(&["LIST", "TYPE", "normal"]).query_async(&mut raw).await.unwrap();
        let victims: Vec<u64> = clients
            .lines()
            .filter(|line| line.split(' ').any(|field| field == format!("db={KILL_DB}")))
            .filter_map(|line| line.strip_prefix("id=")?.split(' ').next()?.parse().ok())
            .filter(|id| *id != own_id)
            .collect();
        assert!(victims.len() >= 2, "expected the publishing and the consuming connection, found {victims:?}");
        for id in victims {
            redis::cmd("CLIENT").arg("KILL").arg("ID").arg(id).exec_async(&mut raw).await.unwrap();
        }

        setup.publish("after").await;
        assert_eq!(next(&mut seen).await.payload, b"after");
        consumer.stop().await;
    }

    /// After XDEL Redis cannot tell a group's lag (XINFO answers nil); the bus counts it.
    #[tokio::test]
    async fn lag_is_counted_when_redis_cannot_tell() {
        let setup = Setup::new(Backend::Redis).await;
        setup.bus.ensure_group(&setup.topic, "g").await.unwrap();
        for payload in ["a", "b", "c"] {
            setup.publish(payload).await;
        }
        let mut raw = setup.raw().await;
        let key = stream_key(&setup.topic);
        let entries: redis::streams::StreamRangeReply =
            redis::cmd("XRANGE").arg(&[&key, "-", "+"]).query_async(&mut raw).await.unwrap();
        redis::cmd("XDEL").arg(&key).arg(&entries.ids[1].id).exec_async(&mut raw).await.unwrap();

        assert_eq!(setup.lag("g").await, 2);
    }
}
