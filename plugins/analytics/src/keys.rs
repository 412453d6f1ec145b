//! The kv layout of the analytics cog, in one place. Every key is per guild (the host
//! scopes kv to the guild of the message, command or event).
//!
//! | key | value | written by |
//! |---|---|---|
//! | `total` | messages ever counted | `count.rs` |
//! | `ch:<channel>` | messages in the channel | `count.rs` |
//! | `hour:<yyyymmddhh>` | messages in that UTC hour | `count.rs` |
//! | `du:<yyyymmdd>:<user>` | the user's messages that day (marker; pruned after 2 days) | `count.rs` |
//! | `dau:<yyyymmdd>` | distinct non-bot users that day | `count.rs` |
//! | `wu:<monday>:<user>` | days the user was active that week (marker; pruned after 2 weeks) | `count.rs` |
//! | `wau:<monday>` | distinct non-bot users that week | `count.rs` |
//! | `rule:<rule>` | warnings other cogs gave for the rule | `violations.rs` |
//! | `act:<warn\|timeout\|kick\|ban>` | actions other cogs took | `violations.rs` |

pub const TOTAL: &str = "total";
pub const CHANNEL: &str = "ch:";
pub const HOUR: &str = "hour:";
pub const DAY_USER: &str = "du:";
pub const DAY_ACTIVE: &str = "dau:";
pub const WEEK_USER: &str = "wu:";
pub const WEEK_ACTIVE: &str = "wau:";
pub const RULE: &str = "rule:";
pub const ACTION: &str = "act:";

pub fn channel(id: &str) -> String {
    format!("{CHANNEL}{id}")
}

pub fn hour(hour_key: &str) -> String {
    format!("{HOUR}{hour_key}")
}

pub fn day_user(day: &str, user: &str) -> String {
    format!("{DAY_USER}{day}:{user}")
}

pub fn day_active(day: &str) -> String {
    format!("{DAY_ACTIVE}{day}")
}

pub fn week_user(week: &str, user: &str) -> String {
    format!("{WEEK_USER}{week}:{user}")
}

pub fn week_active(week: &str) -> String {
    format!("{WEEK_ACTIVE}{week}")
}

pub fn rule(name: &str) -> String {
    format!("{RULE}{name}")
}

pub fn action(kind: &str) -> String {
    format!("{ACTION}{kind}")
}
