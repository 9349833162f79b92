//! In-process backend: queues in memory, for running every component in one process.
//!
//! A topic holds one queue per group; publishing pushes the message (a shared `Arc<[u8]>`,
//! not a copy) onto every group's queue, which is the fan-out. The consumers of a group pop
//! from its single queue, so each message goes to one of them: the load balancing.
//!
//! # Concurrency
//!
//! Two kinds of `std::sync::Mutex`, never held across an `.await`, so a blocking mutex is
//! cheaper than an async one: the topic map, and each group's queue. Whoever needs both locks
//! the map first (publish, group creation, lag), which rules out deadlock. Consumers only take
//! their group's lock on the hot path, so one topic's consumers do not contend with another's.
//! A waiting consumer sleeps on the group's [`Notify`], woken by every change to the queue.
//!
//! A message taken from a queue is wrapped in an [`InFlight`] guard in the same synchronous
//! step (no `.await` in between), and the guard puts it back at the front of the queue when
//! dropped unsettled: whether the consumer returned on shutdown, its task was aborted, or its
//! handler panicked, the message is not lost.

use std::collections::{HashMap, VecDeque};
use std::pin::pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;
use tokio::time::Instant;

use crate::delivery::{Context, Verdict, deliver};
use crate::{BusConfig, HandlerError, Message};

/// Handle to the in-process backend (the [`crate::Bus::InProcess`] variant). Cloning shares the
/// queues.
#[derive(Clone)]
pub struct InProcessBus(Arc<Shared>);

/// State shared by every clone of an [`InProcessBus`].
struct Shared {
    config: BusConfig,
    topics: Mutex<HashMap<String, Topic>>,
}

/// One topic's groups and leftovers.
#[derive(Default)]
struct Topic {
    /// Last message number handed out; the next message gets the one after.
    last_id: u64,
    groups: HashMap<String, Arc<Group>>,
    /// Messages published while the topic had no group, kept for its first group.
    backlog: VecDeque<Entry>,
    dead: VecDeque<Vec<u8>>,
}

/// One group's queue and the signal its waiting consumers sleep on.
struct Group {
    queue: Mutex<Queue>,
    /// Notified (all waiters) whenever a message becomes available or a retry time changes.
    changed: Notify,
}

#[derive(Default)]
struct Queue {
    /// Deliverable now, oldest first.
    ready: VecDeque<Entry>,
    /// Failed messages waiting for their retry time. Always sorted by time: every entry gets
    /// `now + retry_delay` with the same delay, so appending keeps the order.
    delayed: VecDeque<(Instant, Entry)>,
    /// Taken by a consumer and not settled yet (counts towards the lag).
    in_flight: usize,
}

/// A message as queued for one group.
#[derive(Clone)]
struct Entry {
    id: u64,
    payload: Arc<[u8]>,
    /// Deliveries to this group so far.
    deliveries: u32,
}

impl InProcessBus {
    pub(crate) fn new(config: BusConfig) -> Self {
        Self(Arc::new(Shared { config, topics: Mutex::new(HashMap::new()) }))
    }

    pub(crate) fn publish(&self, topic: &str, payload: &[u8]) {
        let max_len = self.0.config.max_len;
        let mut topics = lock(&self.0.topics);
        let state = topics.entry(topic.to_owned()).or_default();
        state.last_id += 1;
        let entry = Entry { id: state.last_id, payload: payload.into(), deliveries: 0 };
        // Still holding the topic map: a group being created concurrently either finds this
        // message in the backlog or receives it here, never neither.
        if state.groups.is_empty() {
            push_capped(&mut state.backlog, entry, max_len, topic, "backlog");
        } else {
            for (name, group) in &state.groups {
                group.push(entry.clone(), max_len, topic, name);
            }
        }
    }

    pub(crate) fn ensure_group(&self, topic: &str, group: &str) {
        self.group(topic, group);
    }

    /// The group's queue, created if needed; a topic's first group inherits its backlog.
    fn group(&self, topic: &str, name: &str) -> Arc<Group> {
        let mut topics = lock(&self.0.topics);
        let state = topics.entry(topic.to_owned()).or_default();
        if let Some(group) = state.groups.get(name) {
            return Arc::clone(group);
        }
        let ready = if state.groups.is_empty() { std::mem::take(&mut state.backlog) } else { VecDeque::new() };
        let group = Arc::new(Group { queue: Mutex::new(Queue { ready, ..Queue::default() }), changed: Notify::new() });
        state.groups.insert(name.to_owned(), Arc::clone(&group));
        group
    }

    pub(crate) async fn consume<H, F>(
        &self,
        topic: &str,
        group_name: &str,
        handler: &H,
        shutdown: impl Future<Output = ()>,
    ) where
        H: Fn(Message) -> F,
        F: Future<Output = Result<(), HandlerError>>,
    {
        let group = self.group(topic, group_name);
        let context = Context { topic, group: group_name, max_deliveries: self.0.config.max_deliveries };
        let mut shutdown = pin!(shutdown);
        loop {
            // `biased`: shutdown wins over a message that is ready at the same time.
            let (in_flight, message) = tokio::select! {
                biased;
                () = &mut shutdown => return,
                taken = group.take() => taken,
            };
            // Returning here drops `in_flight`, which puts the message back for another consumer.
            let verdict = tokio::select! {
                biased;
                () = &mut shutdown => return,
                verdict = deliver(handler, message, &context) => verdict,
            };
            match verdict {
                Verdict::Ack => in_flight.settle(None),
                Verdict::Retry => in_flight.settle(Some(Instant::now() + self.0.config.retry_delay)),
                Verdict::DeadLetter(_) => {
                    // Recorded before the ack: there is no `.await` in between, but should the
                    // order ever matter, a duplicate dead letter beats a lost message.
                    self.dead_letter(topic, in_flight.payload());
                    in_flight.settle(None);
                }
            }
        }
    }

    fn dead_letter(&self, topic: &str, payload: &[u8]) {
        let max_len = self.0.config.max_len;
        let mut topics = lock(&self.0.topics);
        let state = topics.entry(topic.to_owned()).or_default();
        push_capped(&mut state.dead, payload.to_vec(), max_len, topic, "dead letters");
    }

    pub(crate) fn lag(&self, topic: &str, group: &str) -> u64 {
        let topics = lock(&self.0.topics);
        let Some(state) = topics.get(topic) else { return 0 };
        let waiting = match state.groups.get(group) {
            Some(group) => {
                let queue = lock(&group.queue);
                queue.ready.len() + queue.delayed.len() + queue.in_flight
            }
            // A new group gets the backlog only if it is the topic's first.
            None if state.groups.is_empty() => state.backlog.len(),
            None => 0,
        };
        waiting as u64
    }

    pub(crate) fn dead_letters(&self, topic: &str) -> Vec<Vec<u8>> {
        lock(&self.0.topics).get(topic).map(|state| state.dead.iter().cloned().collect()).unwrap_or_default()
    }
}

impl Group {
    fn push(&self, entry: Entry, max_len: usize, topic: &str, group: &str) {
        push_capped(&mut lock(&self.queue).ready, entry, max_len, topic, group);
        self.changed.notify_waiters();
    }

    /// Waits for a deliverable message and takes it, counting the delivery.
    ///
    /// Cancel-safe: the message leaves the queue only in the poll that returns it, already
    /// inside its guard.
    async fn take(self: &Arc<Self>) -> (InFlight, Message) {
        loop {
            let mut notified = pin!(self.changed.notified());
            // Register as a waiter before looking at the queue, so that a push between the look
            // and the wait still wakes us (`notify_waiters` only wakes registered waiters).
            notified.as_mut().enable();
            let retry_at = {
                let mut queue = lock(&self.queue);
                let now = Instant::now();
                while let Some((_, entry)) = queue.delayed.pop_front_if(|(at, _)| *at <= now) {
                    queue.ready.push_back(entry);
                }
                if let Some(mut entry) = queue.ready.pop_front() {
                    entry.deliveries += 1;
                    queue.in_flight += 1;
                    let message = Message {
                        id: entry.id.to_string(),
                        payload: entry.payload.to_vec(),
                        deliveries: entry.deliveries,
                    };
                    return (InFlight { group: Arc::clone(self), entry: Some(entry) }, message);
                }
                queue.delayed.front().map(|(at, _)| *at)
            };
            match retry_at {
                Some(at) => tokio::select! {
                    () = notified => {}
                    () = tokio::time::sleep_until(at) => {}
                },
                None => notified.await,
            }
        }
    }
}

/// A message taken by a consumer. Settle it with [`InFlight::settle`]; dropped unsettled, it
/// goes back to the front of its queue (it was the oldest), keeping its delivery count.
struct InFlight {
    group: Arc<Group>,
    /// Always `Some` until settled or dropped; an `Option` so both can move it out.
    entry: Option<Entry>,
}

impl InFlight {
    fn payload(&self) -> &[u8] {
        self.entry.as_ref().map_or(&[], |entry| &entry.payload)
    }

    /// Done with the message: `None` drops it (acked or dead-lettered), `Some(at)` delivers it
    /// again from `at` on.
    fn settle(mut self, retry_at: Option<Instant>) {
        let Some(entry) = self.entry.take() else { return };
        let mut queue = lock(&self.group.queue);
        queue.in_flight -= 1;
        if let Some(at) = retry_at {
            queue.delayed.push_back((at, entry));
            drop(queue);
            // Waiting consumers recompute when to wake up.
            self.group.changed.notify_waiters();
        }
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        let Some(entry) = self.entry.take() else { return };
        let mut queue = lock(&self.group.queue);
        queue.in_flight -= 1;
        queue.ready.push_front(entry);
        drop(queue);
        self.group.changed.notify_waiters();
    }
}

/// Appends `item`, first dropping the oldest item if `queue` already holds `max_len` (at least
/// one is always kept), so a topic nobody consumes cannot exhaust memory.
fn push_capped<T>(queue: &mut VecDeque<T>, item: T, max_len: usize, topic: &str, what: &str) {
    if queue.len() >= max_len.max(1) {
        queue.pop_front();
        tracing::warn!(topic, queue = what, max_len, "queue full; oldest message dropped");
    }
    queue.push_back(item);
}

/// Locks `mutex` even if a thread panicked while holding it: every critical section in this
/// module leaves the state consistent after each step, so the data is still valid.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}
