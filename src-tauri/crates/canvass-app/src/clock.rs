//! The injected clock: the only source of time for use cases, so tests never read the wall clock.

use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Instant;

/// A source of wall-clock and monotonic time.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch, UTC. Read once per paradata session.
    fn now_ms(&self) -> i64;
    /// Milliseconds on a clock that never goes backwards and ignores changes to
    /// the wall clock; only differences between two readings mean anything.
    fn monotonic_ms(&self) -> i64;
    /// The device's offset from UTC in minutes, recorded beside session starts.
    fn utc_offset_min(&self) -> i32;
}

/// The real clock.
#[derive(Debug, Clone, Copy)]
pub struct SystemClock {
    anchor: Instant,
}

impl SystemClock {
    /// A clock whose monotonic readings count from now.
    pub fn new() -> SystemClock {
        SystemClock {
            anchor: Instant::now(),
        }
    }
}

impl Default for SystemClock {
    fn default() -> Self {
        SystemClock::new()
    }
}

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        // A clock set before 1970 is a broken machine; 0 keeps ordering sane
        // instead of refusing to save an answer.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0)
    }

    fn monotonic_ms(&self) -> i64 {
        self.anchor.elapsed().as_millis() as i64
    }

    fn utc_offset_min(&self) -> i32 {
        chrono::Local::now().offset().local_minus_utc() / 60
    }
}

/// A clock that stands still until told to move: for tests.
///
/// [`FixedClock::advance`] moves both readings; [`FixedClock::set_wall`] moves
/// only the wall clock, as a user changing the device time would.
#[derive(Debug)]
pub struct FixedClock {
    wall: AtomicI64,
    mono: AtomicI64,
    offset_min: i32,
}

impl FixedClock {
    /// A clock reading `now_ms` (UTC, offset 0).
    pub fn new(now_ms: i64) -> FixedClock {
        FixedClock {
            wall: AtomicI64::new(now_ms),
            mono: AtomicI64::new(0),
            offset_min: 0,
        }
    }

    /// The same clock in a time zone `offset_min` minutes from UTC.
    pub fn with_offset(self, offset_min: i32) -> FixedClock {
        FixedClock { offset_min, ..self }
    }

    /// Lets `ms` milliseconds pass.
    pub fn advance(&self, ms: i64) {
        self.wall.fetch_add(ms, Ordering::SeqCst);
        self.mono.fetch_add(ms, Ordering::SeqCst);
    }

    /// Sets the wall clock without time passing.
    pub fn set_wall(&self, now_ms: i64) {
        self.wall.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for FixedClock {
    fn now_ms(&self) -> i64 {
        self.wall.load(Ordering::SeqCst)
    }

    fn monotonic_ms(&self) -> i64 {
        self.mono.load(Ordering::SeqCst)
    }

    fn utc_offset_min(&self) -> i32 {
        self.offset_min
    }
}
