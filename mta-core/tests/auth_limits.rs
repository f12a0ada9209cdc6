//! The failed-attempt delay and per-address failure limit, with time
//! moved by hand.

use std::net::IpAddr;
use std::time::{Duration, Instant};

use mta_core::auth::{AuthLimits, FailureLimiter, Verdict};

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn limits(max_failures: u32) -> AuthLimits {
    let mut l = AuthLimits::default();
    l.max_failures = max_failures;
    l.window = Duration::from_secs(60);
    l.block_for = Duration::from_secs(300);
    l
}

#[test]
fn every_failure_gets_the_delay_doubling_up_to_the_maximum() {
    let mut limiter = FailureLimiter::new(AuthLimits::default());
    let t0 = Instant::now();
    let delays: Vec<u64> = (0..5)
        .map(|i| {
            limiter
                .record_failure(ip("192.0.2.1"), t0 + Duration::from_secs(i))
                .as_secs()
        })
        .collect();
    assert_eq!(delays, [2, 4, 8, 15, 15]);
    assert_eq!(limiter.check(ip("192.0.2.1"), t0), Verdict::Allow);
    // Another address starts at the first delay.
    assert_eq!(
        limiter.record_failure(ip("192.0.2.2"), t0),
        Duration::from_secs(2)
    );
    // After a success the delay starts over.
    limiter.record_success(ip("192.0.2.1"), t0 + Duration::from_secs(6));
    assert_eq!(
        limiter.record_failure(ip("192.0.2.1"), t0 + Duration::from_secs(7)),
        Duration::from_secs(2)
    );
}

#[test]
fn too_many_failures_block_until_the_block_ends() {
    let mut limiter = FailureLimiter::new(limits(3));
    let t0 = Instant::now();
    let client = ip("198.51.100.9");
    let _ = limiter.record_failure(client, t0);
    let _ = limiter.record_failure(client, t0 + Duration::from_secs(1));
    assert_eq!(
        limiter.check(client, t0 + Duration::from_secs(2)),
        Verdict::Allow
    );
    let _ = limiter.record_failure(client, t0 + Duration::from_secs(2));
    let until = t0 + Duration::from_secs(302);
    assert_eq!(
        limiter.check(client, t0 + Duration::from_secs(3)),
        Verdict::Blocked { until }
    );
    // Another address is not affected.
    assert_eq!(limiter.check(ip("198.51.100.10"), t0), Verdict::Allow);
    // A success while blocked does not lift the block.
    limiter.record_success(client, t0 + Duration::from_secs(4));
    assert_eq!(
        limiter.check(client, until - Duration::from_millis(1)),
        Verdict::Blocked { until }
    );
    assert_eq!(limiter.check(client, until), Verdict::Allow);
    // After the block, counting starts again from zero.
    let _ = limiter.record_failure(client, until);
    assert_eq!(limiter.check(client, until), Verdict::Allow);
}

#[test]
fn failures_outside_the_window_do_not_add_up() {
    let mut limiter = FailureLimiter::new(limits(3));
    let t0 = Instant::now();
    let client = ip("203.0.113.5");
    let _ = limiter.record_failure(client, t0);
    let _ = limiter.record_failure(client, t0 + Duration::from_secs(30));
    // The window (60 s) has passed: this is the first of a new window.
    let _ = limiter.record_failure(client, t0 + Duration::from_secs(61));
    let _ = limiter.record_failure(client, t0 + Duration::from_secs(62));
    assert_eq!(
        limiter.check(client, t0 + Duration::from_secs(63)),
        Verdict::Allow
    );
}

#[test]
fn success_resets_the_delay_but_not_the_count() {
    let mut limiter = FailureLimiter::new(limits(3));
    let t0 = Instant::now();
    let client = ip("192.0.2.44");
    let _ = limiter.record_failure(client, t0);
    let second = limiter.record_failure(client, t0 + Duration::from_secs(1));
    assert_eq!(second, Duration::from_secs(4));
    limiter.record_success(client, t0 + Duration::from_secs(2));
    // The delay starts over...
    let third = limiter.record_failure(client, t0 + Duration::from_secs(3));
    assert_eq!(third, Duration::from_secs(2));
    // ...but that was the third failure in the window: blocked, so a
    // client cannot reset the count by logging into an account it holds.
    assert!(matches!(
        limiter.check(client, t0 + Duration::from_secs(4)),
        Verdict::Blocked { .. }
    ));
    // Once the window has passed, a success drops the record.
    let later = t0 + Duration::from_secs(3 + 300);
    limiter.record_success(client, later + Duration::from_secs(61));
    assert_eq!(limiter.tracked(), 0);
}

#[test]
fn ipv6_counts_by_slash_64_and_mapped_ipv4_as_ipv4() {
    let mut limiter = FailureLimiter::new(limits(2));
    let t0 = Instant::now();
    let _ = limiter.record_failure(ip("2001:db8:1:2::1"), t0);
    let _ = limiter.record_failure(ip("2001:db8:1:2:ffff::7"), t0);
    assert!(matches!(
        limiter.check(ip("2001:db8:1:2::99"), t0),
        Verdict::Blocked { .. }
    ));
    assert_eq!(limiter.check(ip("2001:db8:1:3::1"), t0), Verdict::Allow);

    let _ = limiter.record_failure(ip("::ffff:192.0.2.8"), t0);
    let _ = limiter.record_failure(ip("192.0.2.8"), t0);
    assert!(matches!(
        limiter.check(ip("192.0.2.8"), t0),
        Verdict::Blocked { .. }
    ));
}

#[test]
fn memory_is_bounded_and_records_expire() {
    let mut l = limits(5);
    l.max_tracked = 100;
    let mut limiter = FailureLimiter::new(l);
    let t0 = Instant::now();
    for i in 0..1000u32 {
        let addr = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000u32 + i));
        let _ = limiter.record_failure(addr, t0 + Duration::from_millis(u64::from(i)));
        assert!(limiter.tracked() <= 100);
    }
    assert_eq!(limiter.tracked(), 100);
    // The most recent ones are kept.
    let last = IpAddr::from(std::net::Ipv4Addr::from(0x0a00_0000u32 + 999));
    let _ = limiter.record_failure(last, t0 + Duration::from_secs(2));
    let _ = limiter.record_failure(last, t0 + Duration::from_secs(2));
    let _ = limiter.record_failure(last, t0 + Duration::from_secs(2));
    let _ = limiter.record_failure(last, t0 + Duration::from_secs(2));
    assert!(matches!(
        limiter.check(last, t0 + Duration::from_secs(2)),
        Verdict::Blocked { .. }
    ));
    // Past the window every unblocked record goes; the blocked one stays.
    limiter.expire(t0 + Duration::from_secs(120));
    assert_eq!(limiter.tracked(), 1);
    limiter.expire(t0 + Duration::from_secs(400));
    assert_eq!(limiter.tracked(), 0);
}

proptest::proptest! {
    /// Any sequence of failures, successes and expiries from any addresses,
    /// at any times: no panic, memory within max_tracked, and an address
    /// is blocked only after max_failures failures of its own.
    #[test]
    fn any_sequence_stays_bounded(
        ops in proptest::collection::vec((0u8..3, 0u8..40, 0u64..2_000), 0..300),
    ) {
        let mut l = limits(4);
        l.max_tracked = 16;
        let mut limiter = FailureLimiter::new(l);
        let t0 = Instant::now();
        let mut failures = std::collections::HashMap::<IpAddr, u32>::new();
        let mut now = t0;
        for (op, host, step_ms) in ops {
            now += Duration::from_millis(step_ms);
            let addr = IpAddr::from(std::net::Ipv4Addr::new(10, 0, 0, host));
            match op {
                0 => {
                    let delay = limiter.record_failure(addr, now);
                    proptest::prop_assert!(delay >= Duration::from_secs(2));
                    proptest::prop_assert!(delay <= Duration::from_secs(15));
                    *failures.entry(addr).or_default() += 1;
                }
                1 => limiter.record_success(addr, now),
                _ => limiter.expire(now),
            }
            proptest::prop_assert!(limiter.tracked() <= 16);
            if let Verdict::Blocked { until } = limiter.check(addr, now) {
                proptest::prop_assert!(failures.get(&addr).copied().unwrap_or(0) >= 4);
                proptest::prop_assert!(until > now);
            }
        }
    }
}
