//! Login throttling: after too many failed sign-ins for one user name, refuse attempts for a while.
//!
//! Argon2 makes each guess slow; this bounds how many guesses a name can take
//! at all. Counting per name (not per address) also covers guesses spread
//! over many addresses. State is in memory: a restart forgets it, which only
//! ever errs toward letting a real user back in.

use std::collections::HashMap;
use std::sync::Mutex;

/// Failed attempts allowed per name within one window.
pub const MAX_FAILURES: u32 = 10;
/// Length of the window, and of the lock-out once it is full.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

/// Failed sign-ins per user name: (failures, start of the window).
#[derive(Debug, Default)]
pub struct LoginThrottle {
    failures: Mutex<HashMap<String, (u32, i64)>>,
}

impl LoginThrottle {
    /// `Err(ms)` with how long to wait when `user` is locked out at `now`.
    pub fn check(&self, user: &str, now: i64) -> Result<(), i64> {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        match map.get(user) {
            Some(&(n, start)) if n >= MAX_FAILURES && now < start + WINDOW_MS => {
                Err(start + WINDOW_MS - now)
            }
            _ => Ok(()),
        }
    }

    /// Counts a failed attempt.
    pub fn failed(&self, user: &str, now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        // Forget windows that are over, so the map cannot grow without bound.
        map.retain(|_, &mut (_, start)| now < start + WINDOW_MS);
        let e = map.entry(user.to_owned()).or_insert((0, now));
        e.0 += 1;
    }

    /// A successful sign-in clears the count.
    pub fn succeeded(&self, user: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(user);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_locked_out_after_too_many_failures_until_the_window_ends() {
        let t = LoginThrottle::default();
        for i in 0..MAX_FAILURES {
            assert_eq!(t.check("ines", i as i64), Ok(()));
            t.failed("ines", i as i64);
        }
        assert_eq!(t.check("ines", 100), Err(WINDOW_MS - 100));
        assert_eq!(t.check("sam", 100), Ok(()), "other names are not affected");
        assert_eq!(t.check("ines", WINDOW_MS), Ok(()));
        t.failed("ines", WINDOW_MS);
        assert_eq!(
            t.check("ines", WINDOW_MS + 1),
            Ok(()),
            "a new window starts counting afresh"
        );
        t.succeeded("ines");
        assert!(t.failures.lock().unwrap().get("ines").is_none());
    }
}
