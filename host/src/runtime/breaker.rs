//! The circuit breaker: a cog that keeps crashing is suspended for a cool-down instead
//! of being called (and crashing) on every message.
//!
//! Every [`super::LoadedCog`] owns one [`Breaker`]; `LoadedCog::call` asks it first
//! (`admit`) and tells it how each call ended (`record`). A crash is a trap, a CPU
//! deadline or the memory cap — not a handled `handler-error`. After `crashes` crashes
//! within `window`, when at least half of the cog's last `2 × crashes` calls (at most
//! 64) crashed, the breaker opens: for `cooldown` every call fails at once with
//! [`super::CallError::Suspended`], which triage and the handlers skip (the message
//! is served by the other cogs), and a slash command answers with the reason. When the
//! cool-down is over the breaker is half-open: calls go through again;
//! `HALF_OPEN_SUCCESSES` successes in a row close it (one is not enough: a cog that
//! crashes only in its handler passes its triage), a crash opens it again for twice as
//! long (at most `MAX_COOLDOWN_FACTOR` times the configured cool-down).
//!
//! Why a rate and not only a count: some crashes can be caused by input (a message
//! crafted to run a cog past its CPU deadline). A handful of those among many good
//! calls must not let a sender switch a busy security cog off; a cog that crashes on
//! most calls is suspended all the same. `[cogs.NAME] breaker_crashes = 0` exempts a
//! cog entirely.
//!
//! What an admin sees: one `error` log line when it opens (cog, crashes, window, last
//! error, how long), the state `suspended` in `/plugins list` with the same reason, and
//! an `info` line when it closes. A new version of the cog (reload, hot swap) starts
//! with a closed breaker, because it is a new `LoadedCog`.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many crashes in what window suspend a cog, and for how long.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    /// crashes within `window` that open the breaker; 0 = never suspend
    pub crashes: u32,
    pub window: Duration,
    /// how long the first suspension lasts (doubles on each relapse)
    pub cooldown: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            crashes: 10,
            window: Duration::from_secs(60),
            cooldown: Duration::from_secs(300),
        }
    }
}

/// A relapse after a cool-down doubles the next one, up to this factor.
const MAX_COOLDOWN_FACTOR: u32 = 8;

/// Successful calls in a row that close a half-open breaker.
const HALF_OPEN_SUCCESSES: u32 = 3;

/// Where a breaker is.
#[derive(Debug, Clone, PartialEq)]
pub enum BreakerState {
    /// calls go through
    Closed,
    /// calls are refused until the cool-down ends
    Open { remaining: Duration, reason: String },
    /// the cool-down is over; the next call decides
    HalfOpen,
}

#[derive(Debug)]
enum Inner {
    Closed { recent: VecDeque<Instant> },
    Open { until: Instant, reason: String },
    HalfOpen { successes: u32 },
}

pub struct Breaker {
    policy: BreakerPolicy,
    // Held for a few comparisons per call, never across an `.await`.
    state: Mutex<Inner>,
    /// false while closed: the common path (a healthy cog) takes no lock
    tripped: AtomicBool,
    /// the last calls, newest in bit 0: 1 = crashed
    history: AtomicU64,
    /// current cool-down factor (1, 2, 4, ...), reset when a call succeeds
    factor: AtomicU64,
    /// how many times it has opened
    pub trips: AtomicU64,
    /// calls refused while open
    pub refused: AtomicU64,
}

/// Why [`Breaker::admit`] refused a call.
#[derive(Debug, Clone)]
pub struct Suspended {
    pub remaining: Duration,
    pub reason: String,
}

impl Breaker {
    pub fn new(policy: BreakerPolicy) -> Self {
        Breaker {
            policy,
            state: Mutex::new(Inner::Closed {
                recent: VecDeque::new(),
            }),
            tripped: AtomicBool::new(false),
            history: AtomicU64::new(0),
            factor: AtomicU64::new(1),
            trips: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// May a call go through now? Moves an open breaker whose cool-down is over to
    /// half-open.
    pub fn admit(&self) -> Result<(), Suspended> {
        if self.policy.crashes == 0 || !self.tripped.load(Ordering::Acquire) {
            return Ok(());
        }
        let mut state = self.lock();
        if let Inner::Open { until, reason } = &*state {
            let now = Instant::now();
            if now < *until {
                self.refused.fetch_add(1, Ordering::Relaxed);
                return Err(Suspended {
                    remaining: *until - now,
                    reason: reason.clone(),
                });
            }
            *state = Inner::HalfOpen { successes: 0 };
        }
        Ok(())
    }

    /// Record how a call ended. Returns the message to show admins when this call
    /// opened the breaker (the caller logs it).
    pub fn record(&self, cog: &str, crash: Option<&str>) -> Option<String> {
        if self.policy.crashes == 0 {
            return None;
        }
        let calls = self.rate_calls();
        let mask = if calls == 64 {
            u64::MAX
        } else {
            (1 << calls) - 1
        };
        let previous = self
            .history
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |h| {
                Some(((h << 1) | crash.is_some() as u64) & mask)
            })
            .unwrap_or_default();
        if crash.is_none() && !self.tripped.load(Ordering::Acquire) {
            return None;
        }
        let recent_crashes = (((previous << 1) | crash.is_some() as u64) & mask).count_ones();
        let mut state = self.lock();
        let now = Instant::now();
        match (&mut *state, crash) {
            (Inner::Closed { recent }, Some(error)) => {
                recent.push_back(now);
                while recent
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.policy.window)
                {
                    recent.pop_front();
                }
                if recent.len() as u32 >= self.policy.crashes && recent_crashes >= calls / 2 {
                    let why = format!(
                        "{} crashes within {} s ({recent_crashes} of its last {calls} calls)",
                        recent.len(),
                        self.policy.window.as_secs_f64()
                    );
                    return Some(self.open(&mut state, cog, why, error, now));
                }
                None
            }
            (Inner::HalfOpen { .. }, Some(error)) => {
                let factor =
                    (self.factor.load(Ordering::Relaxed) * 2).min(MAX_COOLDOWN_FACTOR as u64);
                self.factor.store(factor, Ordering::Relaxed);
                let why = "it crashed again after its cool-down".to_string();
                Some(self.open(&mut state, cog, why, error, now))
            }
            (Inner::HalfOpen { successes }, None) if *successes + 1 < HALF_OPEN_SUCCESSES => {
                *successes += 1;
                None
            }
            (Inner::HalfOpen { .. }, None) => {
                *state = Inner::Closed {
                    recent: VecDeque::new(),
                };
                self.tripped.store(false, Ordering::Release);
                self.factor.store(1, Ordering::Relaxed);
                tracing::info!(
                    cog,
                    "resumed: its first calls after the cool-down succeeded"
                );
                None
            }
            // A call admitted before the breaker opened may finish while it is open:
            // it does not change the state.
            (Inner::Open { .. }, _) | (Inner::Closed { .. }, None) => None,
        }
    }

    /// How many recent calls the crash rate is judged over.
    fn rate_calls(&self) -> u32 {
        self.policy.crashes.saturating_mul(2).clamp(2, 64)
    }

    fn open(&self, state: &mut Inner, cog: &str, why: String, error: &str, now: Instant) -> String {
        let cooldown = self.policy.cooldown * self.factor.load(Ordering::Relaxed) as u32;
        let reason = format!(
            "suspended for {} s: {why} (last: {})",
            cooldown.as_secs_f64(),
            error.chars().take(300).collect::<String>()
        );
        *state = Inner::Open {
            until: now + cooldown,
            reason: reason.clone(),
        };
        self.trips.fetch_add(1, Ordering::Relaxed);
        self.tripped.store(true, Ordering::Release);
        format!(
            "cog `{cog}` {reason}; its messages are served by the other cogs meanwhile \
             (`/plugins reload name:{cog}` loads a fixed version at once)"
        )
    }

    /// The state now (for `/plugins list`).
    pub fn state(&self) -> BreakerState {
        match &*self.lock() {
            Inner::Closed { .. } => BreakerState::Closed,
            Inner::HalfOpen { .. } => BreakerState::HalfOpen,
            Inner::Open { until, reason } => {
                let now = Instant::now();
                if now < *until {
                    BreakerState::Open {
                        remaining: *until - now,
                        reason: reason.clone(),
                    }
                } else {
                    BreakerState::HalfOpen
                }
            }
        }
    }

    pub fn is_open(&self) -> bool {
        matches!(self.state(), BreakerState::Open { .. })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy(crashes: u32, cooldown_ms: u64) -> BreakerPolicy {
        BreakerPolicy {
            crashes,
            window: Duration::from_secs(60),
            cooldown: Duration::from_millis(cooldown_ms),
        }
    }

    #[test]
    fn it_opens_after_the_configured_crashes_and_refuses_calls() {
        let b = Breaker::new(policy(3, 60_000));
        assert!(b.record("x", Some("trap")).is_none());
        assert!(b.record("x", None).is_none());
        assert!(b.record("x", Some("trap")).is_none());
        let message = b.record("x", Some("wasm trap: unreachable")).unwrap();
        assert!(
            message.contains("cog `x` suspended") && message.contains("3 crashes"),
            "{message}"
        );
        assert!(message.contains("unreachable"), "{message}");
        let refused = b.admit().unwrap_err();
        assert!(refused.reason.contains("3 crashes"));
        assert!(b.is_open());
        assert_eq!(b.trips.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn after_the_cool_down_three_successes_close_it_and_a_relapse_reopens_it_for_longer() {
        let b = Breaker::new(policy(1, 1));
        b.record("x", Some("trap")).unwrap();
        std::thread::sleep(Duration::from_millis(5));
        assert!(b.admit().is_ok());
        assert_eq!(b.state(), BreakerState::HalfOpen);
        let again = b.record("x", Some("trap")).unwrap();
        assert!(again.contains("crashed again"), "{again}");
        assert!(again.contains("0.002 s"), "cool-down doubled: {again}");
        std::thread::sleep(Duration::from_millis(5));
        assert!(b.admit().is_ok());
        assert!(b.record("x", None).is_none());
        assert_eq!(
            b.state(),
            BreakerState::HalfOpen,
            "one success is not enough"
        );
        assert!(b.record("x", None).is_none());
        assert!(b.record("x", None).is_none());
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn a_few_crashes_among_many_good_calls_do_not_suspend_a_busy_cog() {
        let b = Breaker::new(policy(3, 60_000));
        for _ in 0..10 {
            assert!(b.record("x", Some("deadline")).is_none());
            for _ in 0..5 {
                assert!(b.record("x", None).is_none());
            }
        }
        assert!(!b.is_open(), "10 crashes, but 1 in 6 calls");
        assert!(b.record("x", Some("trap")).is_none());
        assert!(b.record("x", Some("trap")).is_none());
        assert!(
            b.record("x", Some("trap")).is_some(),
            "3 of the last 6 calls crashed"
        );
    }

    #[test]
    fn zero_crashes_means_never_suspend() {
        let b = Breaker::new(policy(0, 60_000));
        for _ in 0..100 {
            assert!(b.record("x", Some("trap")).is_none());
            assert!(b.admit().is_ok());
        }
    }
}
