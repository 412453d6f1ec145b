//! Historical statistics: per-hour throughput, latency and error counts kept in the
//! store, so `/performance view:history` shows trends across restarts.
//!
//! Each UTC hour is one JSON record at key `hour:YYYYMMDDHH` in the host's own scope
//! ([`SCOPE`]; no cog can read or write it). The [`Recorder`] adds what happened since
//! its previous flush: every [`FLUSH_EVERY`] while the bot runs, and once more at
//! shutdown. Latency per priority keeps the count and sum (for the average), the
//! maximum, and the worst p99 of any flush interval in the hour (percentiles of
//! different minutes cannot be merged exactly; the worst one is what an operator
//! looks for).

use super::Metrics;
use crate::event::{OutcomeKind, Priority};
use crate::store::{Scope, Store, StoreError};
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::Future;
use std::time::Duration;

/// Where the records live: a scope no cog can name (cog names are checked
/// identifiers; this one has a space).
pub const SCOPE: Scope<'static> = Scope {
    cog: "astra host",
    guild: "history",
};

/// How often the running bot writes its figures.
pub const FLUSH_EVERY: Duration = Duration::from_secs(60);

/// One hour's figures.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HourRecord {
    pub received: u64,
    pub processed: u64,
    pub rate_limited: u64,
    pub shed: u64,
    pub failed: u64,
    /// by priority name
    pub latency: BTreeMap<String, HourLatency>,
}

/// One priority's latency in one hour, microseconds.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HourLatency {
    pub count: u64,
    pub sum_us: u64,
    /// the highest p99 of the flush intervals in the hour
    pub worst_p99_us: u64,
    pub max_us: u64,
}

impl HourLatency {
    pub fn avg_us(&self) -> u64 {
        self.sum_us.checked_div(self.count).unwrap_or(0)
    }
}

/// The metrics' counters at one flush.
struct Snapshot {
    received: u64,
    outcomes: [u64; 4],
    latency: Vec<Histogram<u64>>,
}

impl Snapshot {
    fn take(metrics: &Metrics) -> Self {
        Snapshot {
            received: metrics.received_count(),
            outcomes: metrics.outcome_counts(),
            latency: Priority::ALL
                .iter()
                .map(|p| metrics.latency_histogram(*p))
                .collect(),
        }
    }
}

/// Writes what happened since its last flush into the current hour's record.
pub struct Recorder {
    last: Snapshot,
}

impl Recorder {
    /// Start counting from the metrics as they are now.
    pub fn new(metrics: &Metrics) -> Self {
        Recorder {
            last: Snapshot::take(metrics),
        }
    }

    /// Add what happened since the previous flush to the record of the hour holding
    /// `now_ms` (ms since the epoch). Nothing is written when nothing happened.
    pub async fn flush(
        &mut self,
        metrics: &Metrics,
        store: &dyn Store,
        now_ms: u64,
    ) -> Result<(), StoreError> {
        let now = Snapshot::take(metrics);
        let received = now.received.saturating_sub(self.last.received);
        let outcomes: Vec<u64> = (0..4)
            .map(|i| now.outcomes[i].saturating_sub(self.last.outcomes[i]))
            .collect();
        if received == 0 && outcomes.iter().all(|n| *n == 0) {
            return Ok(());
        }
        let key = hour_key(now_ms);
        let mut record: HourRecord = match store.get(SCOPE, &key).await? {
            Some(json) => serde_json::from_str(&json).unwrap_or_default(),
            None => HourRecord::default(),
        };
        record.received += received;
        record.processed += outcomes[OutcomeKind::Processed as usize];
        record.rate_limited += outcomes[OutcomeKind::RateLimited as usize];
        record.shed += outcomes[OutcomeKind::Shed as usize];
        record.failed += outcomes[OutcomeKind::Failed as usize];
        for (i, priority) in Priority::ALL.iter().enumerate() {
            let mut interval = now.latency[i].clone();
            if interval.subtract(&self.last.latency[i]).is_err() || interval.is_empty() {
                continue;
            }
            let entry = record
                .latency
                .entry(priority.name().to_string())
                .or_default();
            entry.count += interval.len();
            entry.sum_us += (interval.mean() * interval.len() as f64) as u64;
            entry.worst_p99_us = entry.worst_p99_us.max(interval.value_at_quantile(0.99));
            entry.max_us = entry.max_us.max(interval.max());
        }
        let json = serde_json::to_string(&record)
            .map_err(|e| StoreError::Backend(format!("history record: {e}")))?;
        store.set(SCOPE, &key, &json).await?;
        self.last = now;
        Ok(())
    }
}

/// Flush every [`FLUSH_EVERY`] until `stop` resolves, then once more. Counting starts
/// when this is called, not when the future is first polled.
pub fn record(
    metrics: Metrics,
    store: std::sync::Arc<dyn Store>,
    stop: impl Future<Output = ()>,
) -> impl Future<Output = ()> {
    let recorder = Recorder::new(&metrics);
    recording(recorder, metrics, store, stop)
}

async fn recording(
    mut recorder: Recorder,
    metrics: Metrics,
    store: std::sync::Arc<dyn Store>,
    stop: impl Future<Output = ()>,
) {
    tokio::pin!(stop);
    loop {
        let stopping = tokio::select! {
            _ = tokio::time::sleep(FLUSH_EVERY) => false,
            _ = &mut stop => true,
        };
        if let Err(e) = recorder
            .flush(&metrics, store.as_ref(), crate::event::now_ms())
            .await
        {
            tracing::warn!("could not record this hour's statistics: {e}");
        }
        if stopping {
            return;
        }
    }
}

/// The records of the `hours` hours up to the one holding `now_ms`, oldest first
/// (hours with no record are left out).
pub async fn recent(
    store: &dyn Store,
    now_ms: u64,
    hours: u32,
) -> Result<Vec<(String, HourRecord)>, StoreError> {
    let mut out = Vec::new();
    for back in (0..hours as u64).rev() {
        let key = hour_key(now_ms.saturating_sub(back * 3_600_000));
        if let Some(json) = store.get(SCOPE, &key).await? {
            if let Ok(record) = serde_json::from_str(&json) {
                out.push((key, record));
            }
        }
    }
    Ok(out)
}

/// `hour:YYYYMMDDHH` (UTC) for `ms` since the epoch.
pub fn hour_key(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp((ms / 1000) as i64)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "hour:{:04}{:02}{:02}{:02}",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hour_keys_are_utc_and_sort_in_time_order() {
        // 2024-05-01 13:07:59 UTC
        assert_eq!(hour_key(1_714_568_879_000), "hour:2024050113");
        assert_eq!(hour_key(0), "hour:1970010100");
        assert!(hour_key(1_714_568_879_000) < hour_key(1_714_568_879_000 + 3_600_000));
    }
}
