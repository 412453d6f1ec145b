//! Embeddings for the knowledge base, computed once per guild and knowledge-base version
//! and cached in kv under `kbvec:<fingerprint of the questions>` (compact integer form,
//! see `rank`). Each lookup embeds the question together with the first entry's question
//! as a probe: if the probe no longer matches its cached vector (the host's model
//! changed), the cache is rebuilt. Calls the host (embed, kv, log).
use crate::kb::{self, Kb};
use crate::rank;
use astra_sdk::embed::EmbedError;
use astra_sdk::prelude::*;

const CACHE_PREFIX: &str = "kbvec:";
/// Texts per `embed` call when building the cache.
const BATCH: usize = 32;
/// The probe must be this close to its cached vector for the cache to be trusted.
const PROBE_MIN: f32 = 0.98;

/// The entry closest in meaning to `question`, as (index, cosine); `Err` when the host
/// cannot embed (the caller falls back to keywords).
pub fn best_by_meaning(kb: &Kb, question: &str) -> Result<Option<(usize, f32)>, EmbedError> {
    let texts = kb.embed_texts();
    if texts.is_empty() {
        return Ok(None);
    }
    let key = cache_key(kb);
    let (query, vectors) = match read_cache(&key, texts.len()) {
        Some(cached) => {
            let [query, probe] = embed_exact::<2>(&[question.to_string(), texts[0].clone()])?;
            if rank::cosine(&probe, &cached[0]) >= PROBE_MIN {
                (query, cached)
            } else {
                log::info("cached knowledge-base vectors are stale (model changed?): rebuilding");
                (query, build_cache(&key, &texts)?)
            }
        }
        None => {
            let vectors = build_cache(&key, &texts)?;
            let [query] = embed_exact::<1>(&[question.to_string()])?;
            (query, vectors)
        }
    };
    Ok(rank::best_match(&query, &vectors))
}

/// The kv key for `kb`'s cached vectors.
pub fn cache_key(kb: &Kb) -> String {
    format!("{CACHE_PREFIX}{}", kb::fingerprint(&kb.embed_texts()))
}

/// Whether vectors for `kb` are cached (for `/kb`).
pub fn is_cached(kb: &Kb) -> bool {
    matches!(kv::get(&cache_key(kb)), Ok(Some(_)))
}

fn read_cache(key: &str, expected: usize) -> Option<Vec<Vec<f32>>> {
    match kv::get_json::<Vec<Vec<i16>>>(key) {
        Ok(Some(stored)) if stored.len() == expected && stored.iter().all(|v| !v.is_empty()) => {
            Some(stored.iter().map(|v| rank::dequantize(v)).collect())
        }
        Ok(_) => None,
        Err(e) => {
            log::warn(&format!("knowledge-base vectors not read: {e:?}"));
            None
        }
    }
}

/// Embeds every text, stores the result under `key` and drops older versions.
fn build_cache(key: &str, texts: &[String]) -> Result<Vec<Vec<f32>>, EmbedError> {
    let mut vectors = Vec::with_capacity(texts.len());
    for batch in texts.chunks(BATCH) {
        let got = embed::embed(batch)?;
        if got.len() != batch.len() {
            return Err(EmbedError::Backend(format!(
                "asked for {} embeddings, got {}",
                batch.len(),
                got.len()
            )));
        }
        vectors.extend(got);
    }
    let stored: Vec<Vec<i16>> = vectors.iter().map(|v| rank::quantize(v)).collect();
    match kv::set_json(key, &stored) {
        Ok(()) => {
            log::info(&format!("cached {} knowledge-base vectors", vectors.len()));
            drop_other_versions(key);
        }
        Err(e) => log::warn(&format!("knowledge-base vectors not cached: {e:?}")),
    }
    Ok(vectors)
}

fn drop_other_versions(keep: &str) {
    match kv::list_prefix(CACHE_PREFIX, 16) {
        Ok(found) => {
            for (key, _) in found.into_iter().filter(|(k, _)| k != keep) {
                let _ = kv::delete(&key);
            }
        }
        Err(e) => log::warn(&format!("old knowledge-base vectors not listed: {e:?}")),
    }
}

/// Exactly `N` embeddings for `texts`, or a backend error.
fn embed_exact<const N: usize>(texts: &[String]) -> Result<[Vec<f32>; N], EmbedError> {
    let got = embed::embed(texts)?;
    let n = got.len();
    got.try_into()
        .map_err(|_| EmbedError::Backend(format!("asked for {N} embeddings, got {n}")))
}
