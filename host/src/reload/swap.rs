//! Making a new cog version live, refusing a bad one, unloading and rolling back.

use super::{lock, CogManager, Source, MAX_HISTORY};
use crate::runtime::{LoadedCog, Refusal};
use std::path::Path;
use std::sync::Arc;

impl CogManager {
    /// Load `path` and make it live (replacing the cog of the same name). On refusal
    /// nothing changes: the previous version keeps serving.
    pub async fn load_file(&self, path: &Path) -> Result<Arc<LoadedCog>, Refusal> {
        let bytes = std::fs::read(path).map_err(|e| Refusal {
            origin: path.display().to_string(),
            reason: format!("cannot read it: {e}"),
        })?;
        self.load_bytes(
            &bytes,
            &path.display().to_string(),
            Source::File(path.to_path_buf()),
        )
        .await
    }

    /// Load `bytes` (from `origin`) and make it live.
    pub async fn load_bytes(
        &self,
        bytes: &[u8],
        origin: &str,
        source: Source,
    ) -> Result<Arc<LoadedCog>, Refusal> {
        let config = self.inner.policy.config();
        let bundled = source == Source::Bundled;
        let prepared = self
            .inner
            .runtime
            .prepare(bytes, origin, |name| {
                crate::app::policy_for(&config, name, bundled)
            })
            .await;
        let cog = match prepared {
            Ok(cog) => cog,
            Err(refusal) => {
                let name = origin.to_string();
                self.event(&name, format!("refused: {}", refusal.reason));
                tracing::error!("{refusal}");
                return Err(refusal);
            }
        };
        let name = cog.name.to_string();
        let previous = self.inner.runtime.install(cog.clone());
        lock(&self.inner.sources).insert(name.clone(), source);
        match previous {
            Some(old) => {
                {
                    let mut history = lock(&self.inner.history);
                    let versions = history.entry(name.clone()).or_default();
                    versions.push(old.clone());
                    if versions.len() > MAX_HISTORY {
                        versions.remove(0);
                    }
                }
                lock(&self.inner.on_probation).insert(name.clone(), cog.clone());
                self.event(
                    &name,
                    format!(
                        "swapped {} → {} from {origin}",
                        old.manifest.version, cog.manifest.version
                    ),
                );
            }
            None => self.event(
                &name,
                format!("loaded {} from {origin}", cog.manifest.version),
            ),
        }
        self.inner.policy.set_commands(&self.inner.runtime.cogs());
        Ok(cog)
    }

    /// Reload cog `name` from the file it came from (or re-instantiate a bundled one).
    pub async fn reload(&self, name: &str) -> Result<Arc<LoadedCog>, String> {
        let source = lock(&self.inner.sources).get(name).cloned();
        match source {
            Some(Source::File(path)) => self.load_file(&path).await.map_err(|r| r.reason),
            Some(Source::Bundled) => {
                let bytes = crate::cogs::bundled()
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, b)| *b)
                    .ok_or_else(|| format!("no bundled cog `{name}`"))?;
                self.load_bytes(bytes, &format!("bundled:{name}"), Source::Bundled)
                    .await
                    .map_err(|r| r.reason)
            }
            None => Err(format!("no cog `{name}` is loaded")),
        }
    }

    /// Unload the cog that came from `path`, if any.
    pub fn unload_path(&self, path: &Path) -> Option<String> {
        let name = lock(&self.inner.sources)
            .iter()
            .find(|(_, s)| **s == Source::File(path.to_path_buf()))
            .map(|(n, _)| n.clone())?;
        self.unload(&name);
        Some(name)
    }

    pub fn unload(&self, name: &str) -> bool {
        let removed = self.inner.runtime.unload(name).is_some();
        if removed {
            lock(&self.inner.sources).remove(name);
            lock(&self.inner.on_probation).remove(name);
            self.event(name, "unloaded".into());
            self.inner.policy.set_commands(&self.inner.runtime.cogs());
        }
        removed
    }

    /// Go back to the version `name` replaced last. `why` is said in the log.
    pub fn rollback(&self, name: &str, why: &str) -> Result<String, String> {
        let previous = lock(&self.inner.history)
            .get_mut(name)
            .and_then(|v| v.pop())
            .ok_or_else(|| format!("`{name}` has no previous version to roll back to"))?;
        let version = previous.manifest.version.clone();
        let replaced = self.inner.runtime.install(previous);
        lock(&self.inner.on_probation).remove(name);
        let from = replaced
            .map(|c| c.manifest.version.clone())
            .unwrap_or_default();
        self.event(name, format!("rolled back {from} → {version}: {why}"));
        self.inner.policy.set_commands(&self.inner.runtime.cogs());
        Ok(version)
    }
}
