//! One event's delivery to one endpoint (spec §5): the attempts made, the retry schedule, and
//! what an answer means. A 2xx within [`DELIVERY_TIMEOUT`] is success; a 410 is final and
//! disables the endpoint; anything else (a 3xx, since redirects are not followed, a timeout,
//! a refused connection) is retried after 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h, each
//! delay stretched by up to 10 % — 8 attempts over about 28 hours.
//!
//! A scheduled attempt is claimed first (a short lease on the record, written over its
//! version), so a duplicated queue message never makes a second attempt; the record of the
//! attempt is then written over the claim's version. The delivery id is derived from the
//! event and the endpoint, so draining an event's outbox twice finds the same delivery.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::event::EventRef;
use crate::UnixSeconds;
use crate::digest::derived_uuid;

/// How long an endpoint has to answer.
pub const DELIVERY_TIMEOUT: Duration = Duration::from_secs(15);
/// The waits after each failed scheduled attempt, in seconds (before jitter).
pub const RETRY_DELAYS: [i64; 7] = [5, 300, 1800, 7200, 18_000, 36_000, 36_000];
/// Scheduled attempts of one delivery.
pub const MAX_ATTEMPTS: u32 = RETRY_DELAYS.len() as u32 + 1;
/// A claimed attempt not recorded within this long (the worker died) may be made again.
pub const ATTEMPT_LEASE_SECONDS: i64 = 60;
/// The longest error text kept for an attempt.
const MAX_ERROR_CHARS: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryStatus {
    /// Attempts remain (or the first is on its way).
    Pending,
    Delivered,
    /// The schedule ran out, the endpoint answered 410, or it was disabled or deleted.
    Failed,
}

/// Why an attempt was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Trigger {
    Scheduled,
    /// `POST …/deliveries/{id}/resend`.
    Resend,
    /// `POST /api/v1/webhooks/{id}/test`.
    Test,
}

/// What one HTTP attempt came to, as the sender saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// When the request was sent (its `webhook-timestamp`): the attempt's time in the log.
    pub sent_at: UnixSeconds,
    /// The status code, when the endpoint answered.
    pub status_code: Option<u16>,
    /// Why there was no usable answer (a timeout, a blocked address, a refused connection).
    pub error: Option<String>,
    pub duration_ms: u64,
}

/// What an answer means for the delivery and the endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// 410: final, and the endpoint is disabled.
    Gone,
    /// Worth another attempt.
    Failed,
}

impl Response {
    pub fn verdict(&self) -> Verdict {
        match self.status_code {
            Some(200..=299) if self.error.is_none() => Verdict::Delivered,
            Some(410) => Verdict::Gone,
            _ => Verdict::Failed,
        }
    }
}

/// One attempt, as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attempt {
    pub trigger: Trigger,
    /// When the request was sent.
    pub at: UnixSeconds,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    /// When the next scheduled attempt is due (none when this one ended the delivery).
    pub next_attempt_at: Option<UnixSeconds>,
}

/// The delivery queue's message: which delivery, which scheduled attempt, and not before when.
/// SQS delays a message at most 15 minutes, so a longer wait is a chain of re-sends, each
/// carrying the same `not_before`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeliveryMessage {
    pub org_id: Uuid,
    pub delivery_id: Uuid,
    /// 1-based number of the scheduled attempt this message is for.
    pub attempt: u32,
    pub not_before: UnixSeconds,
}

/// The most a queue can hold a message back (SQS `DelaySeconds`).
pub const MAX_QUEUE_DELAY_SECONDS: i64 = 900;

impl DeliveryMessage {
    /// How long to hold the message back from `now`, at most the queue's limit.
    pub fn delay_from(&self, now: UnixSeconds) -> Duration {
        Duration::from_secs((self.not_before - now).clamp(0, MAX_QUEUE_DELAY_SECONDS) as u64)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Delivery {
    pub id: Uuid,
    pub org_id: Uuid,
    pub endpoint_id: Uuid,
    pub event: EventRef,
    pub status: DeliveryStatus,
    pub attempts: Vec<Attempt>,
    /// True once the first attempt's message is on the queue (an outbox drained again skips it).
    pub enqueued: bool,
    /// While a scheduled attempt is under way: until when it holds the delivery.
    #[serde(default)]
    pub lease_until: Option<UnixSeconds>,
    pub created_at: UnixSeconds,
    pub updated_at: UnixSeconds,
    pub version: u64,
}

/// One page of deliveries, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryPage {
    pub deliveries: Vec<Delivery>,
    pub total_count: usize,
}

/// The wait after the `failed`-th failed scheduled attempt (1-based), with its jitter; none
/// when the schedule is spent. The jitter is derived from the delivery and the attempt, so a
/// re-computed schedule is the same schedule.
pub fn retry_delay(delivery_id: Uuid, failed: u32) -> Option<i64> {
    let base = *RETRY_DELAYS.get(usize::try_from(failed).ok()?.checked_sub(1)?)?;
    let spread = derived_uuid(&format!("retry-jitter\n{delivery_id}\n{failed}")).as_u128() % 1000;
    Some(base + base * spread as i64 / 10_000)
}

impl Delivery {
    /// A delivery of `event` to `endpoint_id`, not yet enqueued.
    pub fn new(org_id: Uuid, endpoint_id: Uuid, event: EventRef, now: UnixSeconds) -> Self {
        Self {
            id: derived_uuid(&format!("delivery\n{}\n{endpoint_id}", event.id)),
            org_id,
            endpoint_id,
            event,
            status: DeliveryStatus::Pending,
            attempts: Vec::new(),
            enqueued: false,
            lease_until: None,
            created_at: now,
            updated_at: now,
            version: 1,
        }
    }

    /// Scheduled attempts made so far.
    pub fn scheduled_attempts(&self) -> u32 {
        self.attempts
            .iter()
            .filter(|a| a.trigger == Trigger::Scheduled)
            .count() as u32
    }

    fn changed(&self, now: UnixSeconds, change: impl FnOnce(&mut Delivery)) -> Delivery {
        let mut next = self.clone();
        change(&mut next);
        next.updated_at = now;
        next.version = self.version + 1;
        next
    }

    /// Its first message is on the queue.
    pub fn marked_enqueued(&self, now: UnixSeconds) -> Delivery {
        self.changed(now, |d| d.enqueued = true)
    }

    /// The claim of scheduled attempt `number`, when it is due and nobody holds it: the
    /// delivery is pending, exactly `number - 1` scheduled attempts were made, and no live
    /// claim exists. `None` for a duplicate or stale message.
    pub fn claim(&self, number: u32, now: UnixSeconds) -> Option<Delivery> {
        let free = self.lease_until.is_none_or(|until| until <= now);
        (self.status == DeliveryStatus::Pending && self.scheduled_attempts() + 1 == number && free)
            .then(|| self.changed(now, |d| d.lease_until = Some(now + ATTEMPT_LEASE_SECONDS)))
    }

    /// Records a scheduled attempt's answer; with the next attempt's message when one is due.
    pub fn after_scheduled(
        &self,
        response: &Response,
        now: UnixSeconds,
    ) -> (Delivery, Option<DeliveryMessage>) {
        let number = self.scheduled_attempts() + 1;
        let verdict = response.verdict();
        let next_at = match verdict {
            Verdict::Failed => retry_delay(self.id, number).map(|delay| now + delay),
            Verdict::Delivered | Verdict::Gone => None,
        };
        let delivery = self.changed(now, |d| {
            d.lease_until = None;
            d.attempts
                .push(attempt(Trigger::Scheduled, response, next_at));
            d.status = match (verdict, next_at) {
                (Verdict::Delivered, _) => DeliveryStatus::Delivered,
                (Verdict::Failed, Some(_)) => DeliveryStatus::Pending,
                _ => DeliveryStatus::Failed,
            };
        });
        let message = next_at.map(|not_before| DeliveryMessage {
            org_id: self.org_id,
            delivery_id: self.id,
            attempt: number + 1,
            not_before,
        });
        (delivery, message)
    }

    /// Records a resend's or a test's answer: a success delivers; a failed resend changes
    /// nothing of the schedule.
    pub fn after_manual(
        &self,
        trigger: Trigger,
        response: &Response,
        now: UnixSeconds,
    ) -> Delivery {
        self.changed(now, |d| {
            d.attempts.push(attempt(trigger, response, None));
            if response.verdict() == Verdict::Delivered {
                d.status = DeliveryStatus::Delivered;
            } else if trigger == Trigger::Test {
                // A test has no schedule: its one attempt decides it.
                d.status = DeliveryStatus::Failed;
            }
        })
    }

    /// The endpoint is gone or disabled: the delivery ends without another attempt.
    pub fn abandoned(&self, why: &str, now: UnixSeconds) -> Delivery {
        self.changed(now, |d| {
            d.lease_until = None;
            d.status = DeliveryStatus::Failed;
            d.attempts.push(Attempt {
                trigger: Trigger::Scheduled,
                at: now,
                status_code: None,
                error: Some(why.to_owned()),
                duration_ms: 0,
                next_attempt_at: None,
            });
        })
    }
}

fn attempt(trigger: Trigger, response: &Response, next_attempt_at: Option<UnixSeconds>) -> Attempt {
    Attempt {
        trigger,
        at: response.sent_at,
        status_code: response.status_code,
        error: response
            .error
            .as_ref()
            .map(|e| e.chars().take(MAX_ERROR_CHARS).collect()),
        duration_ms: response.duration_ms,
        next_attempt_at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn delivery() -> Delivery {
        Delivery::new(
            Uuid::from_u128(1),
            Uuid::from_u128(2),
            EventRef::test(0),
            100,
        )
    }

    fn answer(status: Option<u16>) -> Response {
        Response {
            sent_at: 0,
            status_code: status,
            error: status.is_none().then(|| "timed out".to_owned()),
            duration_ms: 3,
        }
    }

    #[test]
    fn verdicts() {
        assert_eq!(answer(Some(204)).verdict(), Verdict::Delivered);
        assert_eq!(answer(Some(410)).verdict(), Verdict::Gone);
        for failed in [Some(301), Some(404), Some(500), None] {
            assert_eq!(answer(failed).verdict(), Verdict::Failed);
        }
    }

    #[test]
    fn schedule_is_eight_attempts_over_about_28_hours_with_bounded_jitter() {
        let id = Uuid::from_u128(9);
        let mut total = 0;
        for (n, base) in RETRY_DELAYS.iter().enumerate() {
            let delay = retry_delay(id, n as u32 + 1).unwrap();
            assert!(delay >= *base && delay <= base + base / 10, "{n}: {delay}");
            assert_eq!(retry_delay(id, n as u32 + 1), Some(delay));
            total += delay;
        }
        assert_eq!(retry_delay(id, MAX_ATTEMPTS), None);
        assert_eq!(retry_delay(id, 0), None);
        assert!((27 * 3600..31 * 3600).contains(&total), "{total}");
        assert_eq!(MAX_ATTEMPTS, 8);
    }

    #[test]
    fn a_claim_is_taken_once_per_attempt() {
        let d = delivery();
        let claimed = d.claim(1, 100).unwrap();
        assert!(claimed.claim(1, 101).is_none(), "held");
        assert!(d.claim(2, 100).is_none(), "not that attempt");
        assert!(
            claimed.claim(1, 100 + ATTEMPT_LEASE_SECONDS).is_some(),
            "lease expired"
        );

        let (failed, next) = claimed.after_scheduled(&answer(Some(500)), 110);
        let next = next.unwrap();
        assert_eq!((next.attempt, failed.status), (2, DeliveryStatus::Pending));
        assert!(next.not_before >= 115 && next.not_before <= 116);
        assert_eq!(failed.attempts[0].next_attempt_at, Some(next.not_before));
        assert!(failed.claim(1, 200).is_none(), "attempt 1 is recorded");
        let (done, none) = failed
            .claim(2, 200)
            .unwrap()
            .after_scheduled(&answer(Some(200)), 201);
        assert_eq!((done.status, none), (DeliveryStatus::Delivered, None));
        assert!(done.claim(3, 300).is_none());
    }

    #[test]
    fn gone_and_exhaustion_end_the_delivery() {
        let (gone, next) = delivery().after_scheduled(&answer(Some(410)), 1);
        assert_eq!((gone.status, next), (DeliveryStatus::Failed, None));

        let mut d = delivery();
        for n in 1..=MAX_ATTEMPTS {
            let (after, next) = d
                .claim(n, 10 * n as i64)
                .unwrap()
                .after_scheduled(&answer(None), 10 * n as i64);
            assert_eq!(next.is_some(), n < MAX_ATTEMPTS);
            d = after;
        }
        assert_eq!(d.status, DeliveryStatus::Failed);
        assert_eq!(d.scheduled_attempts(), MAX_ATTEMPTS);
    }

    #[test]
    fn resend_delivers_a_failed_delivery_without_touching_the_schedule() {
        let (gone, _) = delivery().after_scheduled(&answer(Some(410)), 1);
        let resent = gone.after_manual(Trigger::Resend, &answer(Some(200)), 5);
        assert_eq!(resent.status, DeliveryStatus::Delivered);
        assert_eq!(resent.scheduled_attempts(), 1);
        assert_eq!(resent.attempts.len(), 2);
    }

    #[test]
    fn long_waits_are_chained_through_the_queue_limit() {
        let m = DeliveryMessage {
            org_id: Uuid::nil(),
            delivery_id: Uuid::nil(),
            attempt: 5,
            not_before: 10_000,
        };
        assert_eq!(m.delay_from(0), Duration::from_secs(900));
        assert_eq!(m.delay_from(9_990), Duration::from_secs(10));
        assert_eq!(m.delay_from(20_000), Duration::ZERO);
    }
}
