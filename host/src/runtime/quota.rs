//! Quotas on what a cog may ask of the host over time, per cog and guild, and the
//! other guard rails the host applies to every cog (`[limits]` in `astra.toml`).
//!
//! - `kv_ops_per_call`: more kv operations in one call get `quota-exceeded` for the
//!   rest of that call (checked in `host_api/kv.rs`).
//! - `kv_ops_per_minute`: kv operations by one cog in one guild, GCRA with a burst of a
//!   whole minute; past it every kv call of that cog in that guild gets
//!   `quota-exceeded` until the quota refills (a cog hammering the store from many calls).
//! - `llm_calls_per_minute`: `llm.complete` calls by one cog in one guild, same shape;
//!   past it the cog gets `budget-exceeded` without the model being asked.
//! - the circuit breaker's policy (see `breaker.rs`).
//!
//! Both per-minute quotas are governor's keyed GCRA limiters (lock-free); keys idle
//! for a whole period are pruned every few thousand checks, so memory follows the
//! number of active (cog, guild) pairs, not history.

use super::breaker::BreakerPolicy;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The guard rails' numbers (`[limits]`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GuardLimits {
    pub kv_ops_per_call: u32,
    /// 0 = unlimited
    pub kv_ops_per_minute: u32,
    /// 0 = unlimited
    pub llm_calls_per_minute: u32,
    pub breaker: BreakerPolicy,
}

impl Default for GuardLimits {
    fn default() -> Self {
        GuardLimits {
            kv_ops_per_call: 10_000,
            kv_ops_per_minute: 600_000,
            llm_calls_per_minute: 1_200,
            breaker: BreakerPolicy::default(),
        }
    }
}

type Limiter = DefaultKeyedRateLimiter<(Arc<str>, String)>;

/// The shared quota state (one per host, in [`super::Services`]).
pub struct Quotas {
    pub limits: GuardLimits,
    kv: Option<Limiter>,
    llm: Option<Limiter>,
    checks: AtomicU64,
    /// how many kv operations / llm calls were refused by the per-minute quotas
    pub kv_refused: AtomicU64,
    pub llm_refused: AtomicU64,
}

impl Default for Quotas {
    fn default() -> Self {
        Quotas::new(GuardLimits::default())
    }
}

/// How often (in checks) idle keys are pruned.
const PRUNE_EVERY: u64 = 4096;

impl Quotas {
    pub fn new(limits: GuardLimits) -> Self {
        let per_minute =
            |n: u32| NonZeroU32::new(n).map(|n| RateLimiter::keyed(Quota::per_minute(n)));
        Quotas {
            kv: per_minute(limits.kv_ops_per_minute),
            llm: per_minute(limits.llm_calls_per_minute),
            limits,
            checks: AtomicU64::new(0),
            kv_refused: AtomicU64::new(0),
            llm_refused: AtomicU64::new(0),
        }
    }

    fn check(&self, limiter: &Option<Limiter>, cog: &Arc<str>, guild: &str) -> bool {
        let Some(limiter) = limiter else {
            return true;
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % PRUNE_EVERY == PRUNE_EVERY - 1 {
            limiter.retain_recent();
        }
        limiter.check_key(&(cog.clone(), guild.to_string())).is_ok()
    }

    /// May `cog` make one more kv operation in `guild`?
    pub fn kv(&self, cog: &Arc<str>, guild: &str) -> bool {
        let ok = self.check(&self.kv, cog, guild);
        if !ok {
            self.kv_refused.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }

    /// May `cog` make one more llm call in `guild`?
    pub fn llm(&self, cog: &Arc<str>, guild: &str) -> bool {
        let ok = self.check(&self.llm, cog, guild);
        if !ok {
            self.llm_refused.fetch_add(1, Ordering::Relaxed);
        }
        ok
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_llm_budget_is_per_cog_and_guild() {
        let q = Quotas::new(GuardLimits {
            llm_calls_per_minute: 3,
            ..GuardLimits::default()
        });
        let a: Arc<str> = "a".into();
        let b: Arc<str> = "b".into();
        assert!((0..3).all(|_| q.llm(&a, "g1")));
        assert!(!q.llm(&a, "g1"));
        assert!(q.llm(&a, "g2"), "another guild has its own budget");
        assert!(q.llm(&b, "g1"), "another cog has its own budget");
        assert_eq!(q.llm_refused.load(Ordering::Relaxed), 1);
    }

    #[test]
    fn zero_means_unlimited() {
        let q = Quotas::new(GuardLimits {
            kv_ops_per_minute: 0,
            ..GuardLimits::default()
        });
        let a: Arc<str> = "a".into();
        assert!((0..100_000).all(|_| q.kv(&a, "g")));
    }
}
