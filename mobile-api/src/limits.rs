//! Rate limits against abuse: join-code enumeration, password guessing,
//! wallet farming, refresh-token hammering and upload floods answer 429 with
//! `Retry-After`.
//!
//! Each limit is a GCRA (generic cell rate algorithm: a token bucket kept as
//! one timestamp per key) with a burst and a sustained rate. On the embedded
//! default the buckets live in this process ([`governor`]); when `REDIS_URL`
//! is set they live in Redis, checked by one script per request, so every
//! `mobile-api` process behind a load balancer counts against the same
//! buckets. Wrong join codes (per address) and wrong voucher codes (per
//! counter login) also earn a penalty that doubles with each time the guesser
//! runs out of attempts, so guessing gets slower the longer it goes on.
//!
//! If Redis cannot be reached, requests are let through (and logged): the
//! limits protect the engine, they must not take it down with Redis.

use std::collections::HashMap;
use std::fmt;
use std::num::NonZeroU32;
use std::str::FromStr;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota};
use redis::Script;
use redis::aio::ConnectionManager;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;

use crate::ApiState;
use crate::problem::Problem;

/// A rate: at most `count` at once, and `count` more per `period` after that.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    /// The burst, and how many the period refills.
    pub count: u32,
    /// How long a full refill takes.
    pub period: Duration,
}

impl Rate {
    /// `count` per `period`.
    pub const fn new(count: u32, period: Duration) -> Self {
        Self { count, period }
    }

    /// The time one more request adds to the bucket.
    fn interval(self) -> Duration {
        self.period / self.count.max(1)
    }
}

impl FromStr for Rate {
    type Err = String;

    /// `COUNT/PERIOD` with a period in `s`, `m`, `h` or `d`: `20/10m`, `100/1d`.
    fn from_str(text: &str) -> Result<Self, String> {
        let invalid = || format!("{text:?} is not a rate such as 20/10m (count per period in s, m, h or d)");
        let (count, period) = text.trim().split_once('/').ok_or_else(invalid)?;
        let count: u32 = count.parse().ok().filter(|&c| c > 0).ok_or_else(invalid)?;
        let unit = period.chars().last().ok_or_else(invalid)?;
        let amount: u64 =
            period[..period.len() - unit.len_utf8()].parse().ok().filter(|&a| a > 0).ok_or_else(invalid)?;
        let seconds = match unit {
            's' => 1,
            'm' => 60,
            'h' => 3_600,
            'd' => 86_400,
            _ => return Err(invalid()),
        };
        Ok(Self::new(count, Duration::from_secs(amount * seconds)))
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}s", self.count, self.period.as_secs())
    }
}

/// The limits, each configurable (`SMARTVILLE_LIMIT_*`, see `.env.example`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LimitSettings {
    /// Joins from one client address: a whole class may join from the school's network.
    pub joins_per_address: Rate,
    /// Joins with one class code: a class is at most a few dozen pupils.
    pub joins_per_code: Rate,
    /// Unknown join codes tried from one client address, and unknown voucher
    /// codes typed at one counter login: people mistype, guessers guess.
    pub wrong_codes_per_address: Rate,
    /// Refreshes of one session (a refresh-token family): a phone refreshes every 15 minutes.
    pub refreshes_per_session: Rate,
    /// Uploads by one participant: a student rides a few times a day, not hundreds.
    pub uploads_per_participant: Rate,
    /// Staff logins to one account: a person mistypes a few times; a guesser tries thousands.
    pub logins_per_account: Rate,
    /// Staff logins from one client address: a school's staff share its network.
    pub logins_per_address: Rate,
    /// The first lock-out of an address out of wrong-code attempts; doubled each time after.
    pub wrong_code_penalty: Duration,
}

impl Default for LimitSettings {
    fn default() -> Self {
        const MINUTE: Duration = Duration::from_secs(60);
        Self {
            joins_per_address: Rate::new(60, 10 * MINUTE),
            joins_per_code: Rate::new(60, 60 * MINUTE),
            wrong_codes_per_address: Rate::new(10, 10 * MINUTE),
            refreshes_per_session: Rate::new(20, 60 * MINUTE),
            uploads_per_participant: Rate::new(50, 24 * 60 * MINUTE),
            logins_per_account: Rate::new(10, 15 * MINUTE),
            logins_per_address: Rate::new(30, 15 * MINUTE),
            wrong_code_penalty: MINUTE,
        }
    }
}

/// What a limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Limit {
    /// See [`LimitSettings::joins_per_address`].
    JoinsPerAddress,
    /// See [`LimitSettings::joins_per_code`].
    JoinsPerCode,
    /// See [`LimitSettings::wrong_codes_per_address`].
    WrongCodesPerAddress,
    /// See [`LimitSettings::refreshes_per_session`].
    RefreshesPerSession,
    /// See [`LimitSettings::uploads_per_participant`].
    UploadsPerParticipant,
    /// See [`LimitSettings::logins_per_account`].
    LoginsPerAccount,
    /// See [`LimitSettings::logins_per_address`].
    LoginsPerAddress,
}

impl Limit {
    const ALL: [Self; 7] = [
        Self::JoinsPerAddress,
        Self::JoinsPerCode,
        Self::WrongCodesPerAddress,
        Self::RefreshesPerSession,
        Self::UploadsPerParticipant,
        Self::LoginsPerAccount,
        Self::LoginsPerAddress,
    ];

    /// The name in keys, logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Self::JoinsPerAddress => "joins_per_address",
            Self::JoinsPerCode => "joins_per_code",
            Self::WrongCodesPerAddress => "wrong_codes_per_address",
            Self::RefreshesPerSession => "refreshes_per_session",
            Self::UploadsPerParticipant => "uploads_per_participant",
            Self::LoginsPerAccount => "logins_per_account",
            Self::LoginsPerAddress => "logins_per_address",
        }
    }

    fn rate(self, settings: &LimitSettings) -> Rate {
        match self {
            Self::JoinsPerAddress => settings.joins_per_address,
            Self::JoinsPerCode => settings.joins_per_code,
            Self::WrongCodesPerAddress => settings.wrong_codes_per_address,
            Self::RefreshesPerSession => settings.refreshes_per_session,
            Self::UploadsPerParticipant => settings.uploads_per_participant,
            Self::LoginsPerAccount => settings.logins_per_account,
            Self::LoginsPerAddress => settings.logins_per_address,
        }
    }
}

/// The longest lock-out of an address for wrong join codes.
const MAX_PENALTY: Duration = Duration::from_secs(24 * 3600);
/// How long an address's wrong-code lock-outs are remembered (and keep doubling).
const STRIKES_REMEMBERED: Duration = Duration::from_secs(24 * 3600);

/// Checks the limits. Cheap to share behind an `Arc`.
pub struct Limiter {
    settings: LimitSettings,
    buckets: Buckets,
}

enum Buckets {
    /// This process's memory.
    Memory { limiters: HashMap<Limit, DefaultKeyedRateLimiter<String>>, penalties: Mutex<HashMap<String, Penalty>> },
    /// Redis, shared by every process; keys under `prefix`.
    Redis { connection: ConnectionManager, prefix: String },
}

/// An address's wrong-code record in memory.
struct Penalty {
    strikes: u32,
    locked_until: Instant,
    forgotten_at: Instant,
}

/// The GCRA in Redis. KEYS[1]: the bucket; ARGV[1]: interval (ms); ARGV[2]:
/// burst. Returns 0 when allowed, else the milliseconds until it would be.
/// Time comes from Redis, so processes with skewed clocks agree.
const GCRA: &str = r"
local now_parts = redis.call('TIME')
local now = now_parts[1] * 1000 + math.floor(now_parts[2] / 1000)
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local new_tat = tat + interval
local allowed_at = new_tat - interval * burst
if allowed_at > now then return allowed_at - now end
redis.call('SET', KEYS[1], new_tat, 'PX', new_tat - now)
return 0
";

/// A wrong-code strike in Redis. KEYS[1]: strikes; KEYS[2]: the lock;
/// ARGV[1]: first penalty (ms); ARGV[2]: longest (ms); ARGV[3]: memory (ms).
/// Returns the lock-out in milliseconds.
const STRIKE: &str = r"
local strikes = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local wait = math.min(tonumber(ARGV[1]) * 2 ^ (strikes - 1), tonumber(ARGV[2]))
redis.call('SET', KEYS[2], 1, 'PX', math.floor(wait))
return math.floor(wait)
";

impl Limiter {
    /// Limits kept in this process.
    pub fn in_memory(settings: LimitSettings) -> Self {
        let limiters = Limit::ALL
            .into_iter()
            .map(|limit| {
                let rate = limit.rate(&settings);
                let burst = NonZeroU32::new(rate.count).unwrap_or(NonZeroU32::MIN);
                let quota =
                    Quota::with_period(rate.interval()).map_or(Quota::per_second(burst), |q| q.allow_burst(burst));
                (limit, DefaultKeyedRateLimiter::dashmap(quota))
            })
            .collect();
        Self { settings, buckets: Buckets::Memory { limiters, penalties: Mutex::default() } }
    }

    /// Limits kept in the Redis at `url`, shared by every process using the same `namespace`.
    pub async fn in_redis(settings: LimitSettings, url: &str, namespace: &str) -> Result<Self, redis::RedisError> {
        let connection = ConnectionManager::new(redis::Client::open(url)?).await?;
        Ok(Self { settings, buckets: Buckets::Redis { connection, prefix: format!("{namespace}limit:") } })
    }

    /// Counts one request against `limit` for `key`; a 429 problem when over it.
    pub async fn check(&self, limit: Limit, key: &str) -> Result<(), Problem> {
        let rate = limit.rate(&self.settings);
        let wait = match &self.buckets {
            Buckets::Memory { limiters, .. } => limiters.get(&limit).and_then(|limiter| {
                limiter
                    .check_key(&key.to_owned())
                    .err()
                    .map(|not_until| not_until.wait_time_from(DefaultClock::default().now()))
            }),
            Buckets::Redis { connection, prefix } => {
                let bucket = format!("{prefix}{}:{{{key}}}", limit.name());
                let interval = u64::try_from(rate.interval().as_millis()).unwrap_or(u64::MAX).max(1);
                let result: Result<u64, _> = Script::new(GCRA)
                    .key(bucket)
                    .arg(interval)
                    .arg(rate.count)
                    .invoke_async(&mut connection.clone())
                    .await;
                match result {
                    Ok(0) => None,
                    Ok(ms) => Some(Duration::from_millis(ms)),
                    Err(error) => {
                        tracing::warn!(%error, limit = limit.name(), "rate limits unavailable; letting the request through");
                        None
                    }
                }
            }
        };
        match wait {
            None => Ok(()),
            Some(wait) => {
                Err(too_many(limit.name(), wait, &format!("at most {} per {} s", rate.count, rate.period.as_secs())))
            }
        }
    }

    /// A 429 problem while `address` is locked out for wrong codes. The
    /// "address" names who guesses: a client address for join codes, a
    /// counter (`counter:<staff id>`) for voucher codes.
    pub async fn penalty(&self, address: &str) -> Result<(), Problem> {
        let left = match &self.buckets {
            Buckets::Memory { penalties, .. } => {
                let now = Instant::now();
                lock(penalties).get(address).and_then(|p| p.locked_until.checked_duration_since(now))
            }
            Buckets::Redis { connection, prefix } => {
                let result: Result<i64, _> = redis::cmd("PTTL")
                    .arg(format!("{prefix}locked:{{{address}}}"))
                    .query_async(&mut connection.clone())
                    .await;
                match result {
                    Ok(ms) if ms > 0 => Some(Duration::from_millis(ms.unsigned_abs())),
                    Ok(_) => None,
                    Err(error) => {
                        tracing::warn!(%error, "rate limits unavailable; letting the request through");
                        None
                    }
                }
            }
        };
        match left {
            Some(left) if !left.is_zero() => Err(too_many("wrong_code_penalty", left, "too many wrong codes")),
            _ => Ok(()),
        }
    }

    /// Counts a wrong code from `address` (see [`Self::penalty`]); once it is out of attempts,
    /// locks it out (for twice as long as the previous time) and returns the 429.
    pub async fn wrong_code(&self, address: &str) -> Result<(), Problem> {
        if self.check(Limit::WrongCodesPerAddress, address).await.is_ok() {
            return Ok(());
        }
        let first = self.settings.wrong_code_penalty;
        let locked_for = match &self.buckets {
            Buckets::Memory { penalties, .. } => {
                let now = Instant::now();
                let mut penalties = lock(penalties);
                if penalties.len() > 100_000 {
                    penalties.retain(|_, p| p.forgotten_at > now);
                }
                let penalty = penalties.entry(address.to_owned()).or_insert(Penalty {
                    strikes: 0,
                    locked_until: now,
                    forgotten_at: now,
                });
                if penalty.forgotten_at <= now {
                    penalty.strikes = 0;
                }
                penalty.strikes += 1;
                let locked_for = doubled(first, penalty.strikes);
                penalty.locked_until = now + locked_for;
                penalty.forgotten_at = now + STRIKES_REMEMBERED;
                locked_for
            }
            Buckets::Redis { connection, prefix } => {
                let millis = |d: Duration| u64::try_from(d.as_millis()).unwrap_or(u64::MAX);
                let result: Result<u64, _> = Script::new(STRIKE)
                    .key(format!("{prefix}strikes:{{{address}}}"))
                    .key(format!("{prefix}locked:{{{address}}}"))
                    .arg(millis(first))
                    .arg(millis(MAX_PENALTY))
                    .arg(millis(STRIKES_REMEMBERED))
                    .invoke_async(&mut connection.clone())
                    .await;
                result.map_or(first, Duration::from_millis)
            }
        };
        tracing::warn!(
            security_event = "code_guessing",
            locked_for_s = locked_for.as_secs(),
            "a guesser ran out of attempts at a code"
        );
        Err(too_many("wrong_code_penalty", locked_for, "too many wrong codes"))
    }

    /// Forgets in-memory buckets that have refilled (call now and then).
    pub fn forget_idle(&self) {
        if let Buckets::Memory { limiters, penalties } = &self.buckets {
            for limiter in limiters.values() {
                limiter.retain_recent();
            }
            let now = Instant::now();
            lock(penalties).retain(|_, p| p.forgotten_at > now);
        }
    }
}

/// `first` doubled for each strike after the first, at most [`MAX_PENALTY`].
fn doubled(first: Duration, strikes: u32) -> Duration {
    first.saturating_mul(1 << strikes.saturating_sub(1).min(20)).min(MAX_PENALTY)
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The client's address, for the per-address limits: the connection's peer,
/// or, behind a load balancer, the last address in the header it appends
/// (configured as [`crate::ApiSettings::client_address_header`]; the last one,
/// because the client can write anything in front of it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientAddress(pub String);

impl FromRequestParts<ApiState> for ClientAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &ApiState) -> Result<Self, Self::Rejection> {
        let forwarded = state.settings.client_address_header.as_ref().and_then(|name| {
            let value = parts.headers.get_all(name).iter().filter_map(|v| v.to_str().ok()).next_back()?;
            Some(value.rsplit(',').next()?.trim().to_owned()).filter(|a| !a.is_empty())
        });
        let peer = || {
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "unknown".to_owned(), |c| c.0.ip().to_string())
        };
        Ok(Self(forwarded.unwrap_or_else(peer)))
    }
}

/// 429 with the wait (rounded up to whole seconds) in `Retry-After`.
fn too_many(limit: &str, wait: Duration, what: &str) -> Problem {
    metrics::counter!("smartville_rate_limited_total", "limit" => limit.to_owned()).increment(1);
    let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    Problem::new(axum::http::StatusCode::TOO_MANY_REQUESTS, "RATE_LIMITED", format!("{what}; retry in {seconds} s"))
        .retry_after(seconds)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn rates_read_as_count_per_period() {
        assert_eq!("20/10m".parse(), Ok(Rate::new(20, Duration::from_secs(600))));
        assert_eq!("1000000/1s".parse(), Ok(Rate::new(1_000_000, Duration::from_secs(1))));
        for bad in ["", "20", "0/1m", "20/0m", "20/1w", "x/1m", "20/m"] {
            assert!(bad.parse::<Rate>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn penalties_double_up_to_a_day() {
        let minute = Duration::from_secs(60);
        assert_eq!(doubled(minute, 1), minute);
        assert_eq!(doubled(minute, 3), 4 * minute);
        assert_eq!(doubled(minute, 40), MAX_PENALTY);
    }

    #[tokio::test]
    async fn a_bucket_allows_its_burst_then_refuses_with_the_wait() {
        let settings =
            LimitSettings { joins_per_code: Rate::new(3, Duration::from_secs(60)), ..LimitSettings::default() };
        let limiter = Limiter::in_memory(settings);
        for _ in 0..3 {
            assert!(limiter.check(Limit::JoinsPerCode, "GEEL-5A").await.is_ok());
        }
        let refused = limiter.check(Limit::JoinsPerCode, "GEEL-5A").await.unwrap_err();
        assert_eq!(refused.status, 429);
        assert!(matches!(refused.retry_after, Some(1..=20)), "one more in 20 s: {:?}", refused.retry_after);
        assert!(limiter.check(Limit::JoinsPerCode, "OTHER").await.is_ok(), "other keys have their own bucket");
    }

    #[tokio::test]
    async fn wrong_codes_lock_an_address_out_for_longer_each_time() {
        let settings = LimitSettings {
            wrong_codes_per_address: Rate::new(2, Duration::from_secs(3600)),
            ..LimitSettings::default()
        };
        let limiter = Limiter::in_memory(settings);
        assert!(limiter.wrong_code("10.0.0.1").await.is_ok());
        assert!(limiter.wrong_code("10.0.0.1").await.is_ok());
        assert!(limiter.penalty("10.0.0.1").await.is_ok(), "not locked before running out");
        let first = limiter.wrong_code("10.0.0.1").await.unwrap_err().retry_after.unwrap();
        let second = limiter.wrong_code("10.0.0.1").await.unwrap_err().retry_after.unwrap();
        assert_eq!((first, second), (60, 120));
        assert_eq!(limiter.penalty("10.0.0.1").await.unwrap_err().status, 429);
        assert!(limiter.penalty("10.0.0.2").await.is_ok());
    }
}
