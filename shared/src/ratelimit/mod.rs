//! Per-key rate limits (spec §9): every authenticated request of an API key counts in a sliding
//! window of 60 s; over the limit a request gets 429 and creates nothing.
//!
//! Why one-second slices: the store keeps one counter per key and second (a DynamoDB item, a
//! SQLite row), so an admission is two cheap operations that need no lock across Lambda
//! instances: read the counts of the 59 seconds before this one (they no longer change), then
//! add one to this second's counter *only while it is below what the window leaves*, a single
//! conditional write. Any number of concurrent requests within one second are therefore
//! admitted exactly up to the limit. The window is exact to the second; the one tolerance is
//! at a second's boundary, where a request of the next second may read the previous counter
//! just before a late increment of it lands (so at most the requests in flight at that instant
//! can be admitted over the limit). A refused request writes nothing, so a client that keeps
//! hammering is not locked out for longer than the window.
//!
//! This module holds the arithmetic (window, remaining, reset, retry-after); the use case over
//! the store is `service::auth`, and the headers are set in `http`.

use crate::UnixSeconds;

/// The sliding window's length.
pub const WINDOW_SECONDS: UnixSeconds = 60;

/// How long a slice's counter is kept after its second (the store's TTL): the window, and a
/// margin for clocks that differ between instances.
pub const SLICE_TTL_SECONDS: UnixSeconds = 2 * WINDOW_SECONDS;

/// The largest limit `ADGEN_RATE_LIMIT_PER_MINUTE` / `--rate-limit-per-minute` accept.
pub const MAX_LIMIT_PER_MINUTE: u32 = 1_000_000;

/// One second's counter of one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slice {
    pub second: UnixSeconds,
    pub count: u32,
}

/// The seconds before `now` whose counters are in its window: `now - 59 ..= now - 1`.
pub fn prior_seconds(now: UnixSeconds) -> (UnixSeconds, UnixSeconds) {
    (now - (WINDOW_SECONDS - 1), now - 1)
}

/// When a slice's counter may be dropped by the store.
pub fn slice_expires_at(second: UnixSeconds) -> UnixSeconds {
    second + SLICE_TTL_SECONDS
}

/// What the `X-RateLimit-*` headers say after a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    pub limit: u32,
    /// Requests still allowed in the window now.
    pub remaining: u32,
    /// When the oldest request still counted leaves the window (unix seconds), so at least one
    /// more request is allowed.
    pub reset: UnixSeconds,
}

/// A refused request: its quota (remaining 0) and how long to wait.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limited {
    pub quota: Quota,
    /// Seconds until a request would be admitted (at least 1).
    pub retry_after: u32,
}

/// How many requests the current second may still admit, given the counts of the seconds
/// before it (which may include slices outside the window: they are ignored).
pub fn allowance(limit: u32, now: UnixSeconds, prior: &[Slice]) -> u32 {
    limit.saturating_sub(total(now, prior))
}

/// The counted requests of `prior` slices inside `now`'s window.
fn total(now: UnixSeconds, prior: &[Slice]) -> u32 {
    let (from, to) = prior_seconds(now);
    prior
        .iter()
        .filter(|s| (from..=to).contains(&s.second))
        .fold(0u32, |sum, s| sum.saturating_add(s.count))
}

/// The window's slices oldest first: the prior ones in range, then the current second's.
fn window(now: UnixSeconds, prior: &[Slice], current: u32) -> Vec<Slice> {
    let (from, to) = prior_seconds(now);
    let mut slices: Vec<Slice> = prior
        .iter()
        .copied()
        .filter(|s| (from..=to).contains(&s.second) && s.count > 0)
        .collect();
    slices.sort_by_key(|s| s.second);
    if current > 0 {
        slices.push(Slice {
            second: now,
            count: current,
        });
    }
    slices
}

/// The quota after an admitted request, `current` being this second's count including it.
pub fn admitted(limit: u32, now: UnixSeconds, prior: &[Slice], current: u32) -> Quota {
    let slices = window(now, prior, current);
    let used = slices
        .iter()
        .fold(0u32, |sum, s| sum.saturating_add(s.count));
    let oldest = slices.first().map_or(now, |s| s.second);
    Quota {
        limit,
        remaining: limit.saturating_sub(used),
        reset: oldest + WINDOW_SECONDS,
    }
}

/// The answer to a refused request, `current` being this second's count (which it did not
/// change): it may come back when enough of the oldest requests have left the window that
/// fewer than `limit` remain.
pub fn limited(limit: u32, now: UnixSeconds, prior: &[Slice], current: u32) -> Limited {
    let slices = window(now, prior, current);
    let mut counted = slices
        .iter()
        .fold(0u32, |sum, s| sum.saturating_add(s.count));
    // Walk the window oldest first until what is left is below the limit.
    let mut free_at = now + WINDOW_SECONDS;
    for slice in &slices {
        if counted < limit {
            break;
        }
        counted = counted.saturating_sub(slice.count);
        free_at = slice.second + WINDOW_SECONDS;
    }
    let retry_after = u32::try_from((free_at - now).max(1)).unwrap_or(u32::MAX);
    Limited {
        quota: Quota {
            limit,
            remaining: 0,
            reset: slices
                .first()
                .map_or(free_at, |s| s.second + WINDOW_SECONDS),
        },
        retry_after,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(second: UnixSeconds, count: u32) -> Slice {
        Slice { second, count }
    }

    #[test]
    fn the_window_is_the_59_seconds_before_now_and_now() {
        assert_eq!(prior_seconds(1_000), (941, 999));
        // 940 is 60 s old: out of the window.
        assert_eq!(allowance(10, 1_000, &[s(940, 5), s(941, 3), s(999, 2)]), 5);
        assert_eq!(allowance(10, 1_000, &[s(1_000, 9)]), 10, "current ignored");
        assert_eq!(allowance(3, 1_000, &[s(990, 7)]), 0);
    }

    #[test]
    fn an_admitted_request_reports_what_remains_and_when_the_oldest_leaves() {
        let q = admitted(20, 1_000, &[s(950, 4), s(990, 1)], 3);
        assert_eq!(
            q,
            Quota {
                limit: 20,
                remaining: 12,
                reset: 1_010
            }
        );
        // The first request of a key: the window resets a minute on.
        assert_eq!(admitted(5, 1_000, &[], 1).reset, 1_060);
        assert_eq!(admitted(5, 1_000, &[], 1).remaining, 4);
    }

    #[test]
    fn a_refused_request_waits_for_enough_of_the_oldest_to_leave() {
        // 20 counted, limit 20: one must leave; the oldest (at 950) leaves at 1010.
        let l = limited(20, 1_000, &[s(950, 4), s(990, 16)], 0);
        assert_eq!(l.retry_after, 10);
        assert_eq!(l.quota.remaining, 0);
        assert_eq!(l.quota.reset, 1_010);
        // 25 counted (the limit was lowered): 6 must leave; 950 frees 4, 990 the rest.
        let l = limited(20, 1_000, &[s(950, 4), s(990, 16)], 5);
        assert_eq!(l.retry_after, 50);
        // All in this second: a full minute.
        let l = limited(20, 1_000, &[], 20);
        assert_eq!(l.retry_after, 60);
        assert_eq!(l.quota.reset, 1_060);
    }

    #[test]
    fn retry_after_is_never_zero() {
        let l = limited(1, 1_000, &[s(941, 1)], 0);
        assert_eq!(l.retry_after, 1);
    }
}
