//! Authentication policy shared by SMTP AUTH, IMAP LOGIN/AUTHENTICATE and
//! POP3 USER/PASS/AUTH: a delay after each failed attempt and a limit on
//! failures per client address.
//!
//! [`FailureLimiter`] is Sans-clock: it reads no clock and sleeps nowhere.
//! The caller passes `now` in, and gets back how long to wait before it
//! sends the failure reply, or that the address is blocked until a given
//! instant. A tokio listener sleeps that long; a test moves `now` by hand.
//!
//! The defaults follow Dovecot: a failure reply waits 2 seconds
//! (`auth_failure_delay`), and the wait doubles with each further failure
//! from the same address, up to 15 seconds (Dovecot's auth penalty); and,
//! as fail2ban-style blocking, 10 failures within 10 minutes block the
//! address for 10 minutes. IPv6 clients are counted by their /64 prefix,
//! since one host usually holds a whole /64.
//!
//! [`PasswordAuth`] puts the limiter in front of a passwd-file for the
//! SMTP, POP3 and IMAP listeners, and [`PlaintextAuth`] says where a
//! password may be sent without TLS.
//!
//! ```
//! use std::net::IpAddr;
//! use std::time::{Duration, Instant};
//! use mta_core::auth::{AuthLimits, FailureLimiter, Verdict};
//!
//! let mut limiter = FailureLimiter::new(AuthLimits::default());
//! let client: IpAddr = "192.0.2.7".parse().unwrap();
//! let now = Instant::now();
//! assert_eq!(limiter.check(client, now), Verdict::Allow);
//! // The password was wrong: wait this long, then send the failure reply.
//! let delay = limiter.record_failure(client, now);
//! assert_eq!(delay, Duration::from_secs(2));
//! ```

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

mod password;

pub use password::{Attempt, PasswdMailboxes, PasswordAuth, PlaintextAuth};

/// The limits of a [`FailureLimiter`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuthLimits {
    /// Wait before the first failure reply (Dovecot's
    /// `auth_failure_delay`, 2 seconds); each further failure within the
    /// window doubles it, up to [`AuthLimits::max_failure_delay`].
    pub failure_delay: Duration,
    /// The longest wait before a failure reply (15 seconds, Dovecot's
    /// largest auth penalty).
    pub max_failure_delay: Duration,
    /// Failures from one address within [`AuthLimits::window`] that block
    /// it (10).
    pub max_failures: u32,
    /// The span failures are counted over (10 minutes).
    pub window: Duration,
    /// How long a blocked address stays blocked (10 minutes).
    pub block_for: Duration,
    /// Addresses tracked at once, so a flood of sources cannot grow memory
    /// without bound; past it the oldest record is dropped (65 536).
    pub max_tracked: usize,
}

impl Default for AuthLimits {
    fn default() -> Self {
        AuthLimits {
            failure_delay: Duration::from_secs(2),
            max_failure_delay: Duration::from_secs(15),
            max_failures: 10,
            window: Duration::from_secs(600),
            block_for: Duration::from_secs(600),
            max_tracked: 65_536,
        }
    }
}

/// Whether an address may try to authenticate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// It may.
    Allow,
    /// Too many failures: refuse without checking the password (a
    /// temporary failure such as SMTP 454 4.7.0 or IMAP `NO [UNAVAILABLE]`)
    /// until the given instant.
    Blocked {
        /// When the block ends.
        until: Instant,
    },
}

#[derive(Debug, Clone)]
struct Record {
    /// Failures counted since `window_start`.
    failures: u32,
    /// Failures since the last success: the delay doubles with these.
    since_success: u32,
    window_start: Instant,
    blocked_until: Option<Instant>,
    last_seen: Instant,
}

/// Counts failed authentications per client address. See the module
/// documentation.
///
/// Call order per attempt: [`FailureLimiter::check`] before verifying the
/// credentials; then [`FailureLimiter::record_failure`] (and wait the
/// returned delay before replying) or [`FailureLimiter::record_success`].
/// [`FailureLimiter::expire`] drops records that no longer matter; call it
/// now and then (for example every minute).
#[derive(Debug, Clone)]
pub struct FailureLimiter {
    limits: AuthLimits,
    records: HashMap<IpAddr, Record>,
}

impl FailureLimiter {
    /// A limiter with `limits`.
    pub fn new(limits: AuthLimits) -> Self {
        FailureLimiter {
            limits,
            records: HashMap::new(),
        }
    }

    /// The limits in use.
    pub fn limits(&self) -> &AuthLimits {
        &self.limits
    }

    /// Whether `client` may try now.
    #[must_use]
    pub fn check(&self, client: IpAddr, now: Instant) -> Verdict {
        match self.records.get(&key(client)) {
            Some(Record {
                blocked_until: Some(until),
                ..
            }) if now < *until => Verdict::Blocked { until: *until },
            _ => Verdict::Allow,
        }
    }

    /// Counts a failed attempt by `client` and returns how long to wait
    /// before sending the failure reply: [`AuthLimits::failure_delay`]
    /// for the first failure in the window, doubled for each one after,
    /// at most [`AuthLimits::max_failure_delay`]. The failure that reaches
    /// [`AuthLimits::max_failures`] within the window blocks the address.
    #[must_use]
    pub fn record_failure(&mut self, client: IpAddr, now: Instant) -> Duration {
        let key = key(client);
        if !self.records.contains_key(&key) && self.records.len() >= self.limits.max_tracked {
            self.expire(now);
            if self.records.len() >= self.limits.max_tracked {
                self.evict_oldest();
            }
        }
        let limits = &self.limits;
        let record = self.records.entry(key).or_insert(Record {
            failures: 0,
            since_success: 0,
            window_start: now,
            blocked_until: None,
            last_seen: now,
        });
        if record.blocked_until.is_some_and(|until| now >= until)
            || now.saturating_duration_since(record.window_start) >= limits.window
        {
            record.failures = 0;
            record.since_success = 0;
            record.window_start = now;
            record.blocked_until = None;
        }
        record.failures = record.failures.saturating_add(1);
        record.since_success = record.since_success.saturating_add(1);
        record.last_seen = now;
        if record.failures >= limits.max_failures && limits.max_failures > 0 {
            record.blocked_until = Some(now + limits.block_for);
        }
        let doublings = record.since_success.saturating_sub(1).min(31);
        limits
            .failure_delay
            .saturating_mul(1u32 << doublings)
            .min(limits.max_failure_delay.max(limits.failure_delay))
    }

    /// A successful login by `client`: the next failure waits the first
    /// delay again. The failures already counted still count towards a
    /// block until their window passes, so a client that holds one valid
    /// account cannot log into it between guesses at others to escape the
    /// limit. A blocked address stays blocked.
    pub fn record_success(&mut self, client: IpAddr, now: Instant) {
        if let Some(record) = self.records.get_mut(&key(client)) {
            record.since_success = 0;
        }
        self.expire_one(client, now);
    }

    fn expire_one(&mut self, client: IpAddr, now: Instant) {
        let window = self.limits.window;
        let key = key(client);
        if self.records.get(&key).is_some_and(|r| {
            r.blocked_until.is_none_or(|until| now >= until)
                && now.saturating_duration_since(r.window_start) >= window
        }) {
            self.records.remove(&key);
        }
    }

    /// Drops records whose window and block have both passed.
    pub fn expire(&mut self, now: Instant) {
        let window = self.limits.window;
        self.records.retain(|_, r| {
            let blocked = r.blocked_until.is_some_and(|until| now < until);
            blocked || now.saturating_duration_since(r.window_start) < window
        });
    }

    /// Addresses (IPv6: /64 prefixes) currently tracked.
    pub fn tracked(&self) -> usize {
        self.records.len()
    }

    fn evict_oldest(&mut self) {
        let oldest = self
            .records
            .iter()
            .min_by_key(|(_, r)| r.last_seen)
            .map(|(k, _)| *k);
        if let Some(k) = oldest {
            self.records.remove(&k);
        }
    }
}

/// The counting key: IPv4 as is, IPv6 by its /64 prefix; an IPv4-mapped
/// IPv6 address counts as the IPv4 address.
fn key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V4(_) => ip,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let s = v6.segments();
                IpAddr::V6(Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0))
            }
        },
    }
}
