//! Injectable time: the queue's scheduler reads the time through [`Clock`]
//! so that tests can move it forward (retries, delay warnings, expiry)
//! without sleeping.

use std::fmt;
use std::time::{Instant, SystemTime};

/// A source of time.
///
/// Two readings, because they serve two purposes: [`now`](Clock::now) is
/// wall-clock time, stored with queued messages and compared across
/// restarts (arrival time, next retry, maximal_queue_lifetime);
/// [`instant`](Clock::instant) is monotonic time, for deadlines within one
/// run (the `Instant` the Sans-IO sessions take).
pub trait Clock: Send + Sync + fmt::Debug {
    /// The wall-clock time.
    fn now(&self) -> SystemTime;

    /// The monotonic time.
    fn instant(&self) -> Instant;
}

/// The operating system's clocks.
///
/// # Examples
///
/// ```
/// use mta_core::clock::{Clock, SystemClock};
///
/// let clock = SystemClock;
/// let a = clock.instant();
/// let b = clock.instant();
/// assert!(b >= a);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> SystemTime {
        SystemTime::now()
    }

    fn instant(&self) -> Instant {
        Instant::now()
    }
}

impl<C: Clock + ?Sized> Clock for &C {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn instant(&self) -> Instant {
        (**self).instant()
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn instant(&self) -> Instant {
        (**self).instant()
    }
}

impl<C: Clock + ?Sized> Clock for Box<C> {
    fn now(&self) -> SystemTime {
        (**self).now()
    }

    fn instant(&self) -> Instant {
        (**self).instant()
    }
}
