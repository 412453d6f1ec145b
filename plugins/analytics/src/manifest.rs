//! The analytics cog's manifest: kv, clock, reply and log; the `moderation-actions`
//! subscription; the `/stats` command (anyone may use it).

use crate::stats;
use astra_sdk::prelude::*;

pub fn build() -> CogManifest {
    Manifest::new(
        "analytics",
        env!("CARGO_PKG_VERSION"),
        "counts messages, active users and moderation actions; /stats shows them",
    )
    .capabilities([
        Capability::Kv,
        Capability::Clock,
        Capability::Reply,
        Capability::Log,
    ])
    .events([EventKind::ModerationActions])
    .command(stats::spec())
    .build()
}
