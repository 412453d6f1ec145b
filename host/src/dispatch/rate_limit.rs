//! Per-user rate limits on response work (governor's GCRA, keyed by guild and user).
//!
//! The default quota is 5 messages per 10 s with a burst of 5; a guild may override
//! it. It applies only to the priorities configured (default: HIGH — AI and support
//! answers), never to triage or to CRITICAL security work. A message over the limit
//! gets the outcome `rate_limited` and its handlers do not run.

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use std::collections::HashMap;
use std::num::NonZeroU32;
use std::time::Duration;

/// `messages` per `per`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateSpec {
    pub messages: NonZeroU32,
    pub per: Duration,
}

impl RateSpec {
    fn quota(&self) -> Quota {
        let period = self.per / self.messages.get();
        Quota::with_period(period.max(Duration::from_nanos(1)))
            .expect("non-zero period")
            .allow_burst(self.messages)
    }
}

pub struct UserRateLimits {
    default: DefaultKeyedRateLimiter<(String, String)>,
    per_guild: HashMap<String, DefaultKeyedRateLimiter<String>>,
}

impl UserRateLimits {
    pub fn new(default: RateSpec, overrides: &HashMap<String, RateSpec>) -> Self {
        UserRateLimits {
            default: RateLimiter::keyed(default.quota()),
            per_guild: overrides
                .iter()
                .map(|(guild, spec)| (guild.clone(), RateLimiter::keyed(spec.quota())))
                .collect(),
        }
    }

    /// May `user` in `guild` have one more response now?
    pub fn allow(&self, guild: &str, user: &str) -> bool {
        match self.per_guild.get(guild) {
            Some(limiter) => limiter.check_key(&user.to_string()).is_ok(),
            None => self
                .default
                .check_key(&(guild.to_string(), user.to_string()))
                .is_ok(),
        }
    }
}
