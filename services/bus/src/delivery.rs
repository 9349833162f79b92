//! What both backends do with one delivery: run the handler and decide what happens to the
//! message. Keeping the decision here means the two backends cannot disagree on when a
//! message is retried or dead-lettered; they only differ in how they carry the verdict out.

use crate::{HandlerError, Message};

/// What the backend must do with a message after one delivery.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// Handled: ack it, never deliver it to this group again.
    Ack,
    /// Failed, deliveries left: deliver it again later.
    Retry,
    /// Out of deliveries: move it to the dead letters and ack it. Carries the reason, which the
    /// Redis backend stores next to the payload for operators.
    DeadLetter(String),
}

/// Where a delivery happens, for the logs.
pub(crate) struct Context<'a> {
    /// The topic the message was published to.
    pub topic: &'a str,
    /// The group it is delivered to.
    pub group: &'a str,
    /// Delivery budget ([`crate::BusConfig::max_deliveries`]).
    pub max_deliveries: u32,
}

/// Runs `handler` on `message` unless the message is already out of deliveries, and turns the
/// outcome into a [`Verdict`].
///
/// A message arriving with more deliveries than allowed was delivered that often without
/// being acked: its earlier deliveries never finished (the consumer crashed or was stopped
/// while handling it). It is dead-lettered without running the handler again, since it may be
/// what crashed the consumers.
pub(crate) async fn deliver<H, F>(handler: &H, message: Message, context: &Context<'_>) -> Verdict
where
    H: Fn(Message) -> F,
    F: Future<Output = Result<(), HandlerError>>,
{
    let Context { topic, group, max_deliveries } = *context;
    let max_deliveries = max_deliveries.max(1);
    let id = message.id.clone();
    let deliveries = message.deliveries;
    if deliveries > max_deliveries {
        tracing::error!(topic, group, id, deliveries, "message out of deliveries; dead-lettered unhandled");
        return Verdict::DeadLetter(format!("not acked after {} deliveries", deliveries - 1));
    }
    match handler(message).await {
        Ok(()) => Verdict::Ack,
        Err(error) if deliveries >= max_deliveries => {
            tracing::error!(topic, group, id, deliveries, %error, "handler failed for the last time; dead-lettered");
            Verdict::DeadLetter(error.0)
        }
        Err(error) => {
            tracing::warn!(topic, group, id, deliveries, %error, "handler failed; message will be redelivered");
            Verdict::Retry
        }
    }
}
